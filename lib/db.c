/* Databases, their pools of connections, and the worker threads.
 *
 * One mutex per db guards the shared queue, every connection's own queue
 * and the pool's state; each worker sleeps on its own condition variable
 * (libuv's threadpool: one lock, shutdown as state the loop checks, never
 * two locks held at once — futures complete and cq pushes happen unlocked).
 * An unpinned connection takes jobs from the shared queue; a pinned one
 * (aiodb_acquire) only from its own. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define DEFAULT_STACK (256u * 1024u)
#define MAX_POOL 1024

static _Thread_local aiodb_conn *tls_conn;

aiodb_conn *aiodb__current_conn(void) { return tls_conn; }

void aiodb_options_init(aiodb_options *opts) {
  if (opts) memset(opts, 0, sizeof *opts);
}

/* ---- the worker ---- */

static int spawn_locked(aiodb_db *db);

/* Takes the next job for conn, or NULL. Called locked. */
static aiodb_future *next_job(aiodb_conn *conn) {
  aiodb__qnode *n = aiodb__q_pop(&conn->own);
  if (n == NULL && !conn->pinned) n = aiodb__q_pop(&conn->db->shared);
  return n ? aiodb__q_data(n, aiodb_future, node) : NULL;
}

static void run_query(aiodb_conn *conn, aiodb_future *f) {
  aiodb__stmt st;
  const aiodb__driver *drv = conn->db->driver;
  f->result = aiodb__result_new();
  if (f->result == NULL) {
    aiodb__err_set(&f->err, AIODB_ENOMEM, "out of memory for the result");
    return;
  }
  st.sql = f->sql;
  st.sql_len = f->sql_len;
  st.args = f->args;
  st.nargs = f->nargs;
  if (drv->exec(conn->native, &st, f->result, &f->err) != 0) {
    aiodb_result_free(f->result);
    f->result = NULL;
  }
}

static void run_fn(aiodb_conn *conn, aiodb_future *f) {
  f->value = f->fn(conn->native, f->fn_ud);
  if (f->value < 0 && f->value > AIODB__STATUS_MAX)
    aiodb__err_set(&f->err, f->value, "aiodb_run: the function returned %s",
                   aiodb_err_name(f->value));
}

/* Fails every job of q with err (moved out first: call unlocked). */
static void fail_all(aiodb__qnode *q, const aiodb__err *err) {
  aiodb__qnode *n;
  while ((n = aiodb__q_pop(q)) != NULL) {
    aiodb_future *f = aiodb__q_data(n, aiodb_future, node);
    f->state = AIODB__JS_FINISHED;
    f->err = *err;
    aiodb__future_complete(f);
  }
}

static void *worker_main(void *arg) {
  aiodb_conn *conn = arg;
  aiodb_db *db = conn->db;
  const aiodb__driver *drv = db->driver;
  aiodb__err cerr, qerr;
  aiodb__qnode orphans;
  aiodb_future *f, *close_f = NULL;
  int broken = 0;

  tls_conn = conn;
  memset(&cerr, 0, sizeof cerr);
  aiodb__q_init(&orphans);
#if defined(__linux__)
  {
    char name[16];
    snprintf(name, sizeof name, "aiodb-w%u", conn->id);
    pthread_setname_np(pthread_self(), name);
  }
#endif
  drv->connect(db->driver_cfg, &conn->native, &cerr);

  pthread_mutex_lock(&db->lock);
  if (cerr.code == 0) {
    conn->connected = 1;
    db->nconnected++;
    for (;;) {
      f = next_job(conn);
      if (f == NULL) {
        if (db->closing) break;
        conn->sleeping = 1;
        pthread_cond_wait(&conn->cv, &db->lock);
        conn->sleeping = 0;
        continue;
      }
      if (f->kind == AIODB__JOB_ACQUIRE) {
        /* A detached acquire must not pin a connection nobody holds. */
        if (!(atomic_load(&f->flags) & AIODB__F_FREED)) {
          conn->pinned = 1;
          f->conn = conn;
        }
        f->state = AIODB__JS_FINISHED;
        pthread_mutex_unlock(&db->lock);
        aiodb__future_complete(f);
        pthread_mutex_lock(&db->lock);
        continue;
      }
      f->state = AIODB__JS_RUNNING;
      f->running_on = conn;
      conn->running = f;
      pthread_mutex_unlock(&db->lock);

      if (f->kind == AIODB__JOB_QUERY)
        run_query(conn, f);
      else
        run_fn(conn, f);
      if (f->err.code != 0 &&
          (atomic_load(&f->flags) & AIODB__F_CANCEL) != 0) {
        f->err.code = AIODB_ECANCELED;
      } else if (f->err.code != 0 && drv->is_broken &&
                 drv->is_broken(conn->native, &f->err)) {
        broken = 1;
      }

      pthread_mutex_lock(&db->lock);
      conn->running = NULL;
      f->state = AIODB__JS_FINISHED;
      pthread_mutex_unlock(&db->lock);
      aiodb__future_complete(f);
      pthread_mutex_lock(&db->lock);
      if (broken) break;
    }
    pthread_mutex_unlock(&db->lock);
    drv->disconnect(conn->native);
    conn->native = NULL;
    pthread_mutex_lock(&db->lock);
    db->nconnected--;
  }

  /* Leaving: nothing queued on this connection may be lost. */
  conn->quit = 1;
  aiodb__q_move(&conn->own, &orphans);
  if (cerr.code != 0) {
    qerr = cerr;
    if (db->nlive == 1) aiodb__q_move(&db->shared, &orphans);
  } else {
    aiodb__err_set(&qerr, AIODB_EALREADYQUIT,
                   broken ? "the connection broke before this call ran"
                          : "the database was closed before this call ran");
  }
  db->nlive--;
  if (db->nlive == 0) {
    if (db->closing) {
      aiodb__q_move(&db->shared, &orphans);
      close_f = db->close_future;
      db->close_future = NULL;
    } else if (!aiodb__q_empty(&db->shared) && cerr.code == 0) {
      if (spawn_locked(db) != 0) aiodb__q_move(&db->shared, &orphans);
    }
  }
  pthread_mutex_unlock(&db->lock);

  fail_all(&orphans, &qerr);
  if (close_f) aiodb__future_complete(close_f);
  tls_conn = NULL;
  return NULL;
}

/* Joins and frees connections whose workers have quit and that no caller
 * holds pinned. Called locked; joining cannot deadlock since a quit worker
 * no longer takes the lock. */
static void reap_locked(aiodb_db *db) {
  aiodb__qnode *n = db->conns.next;
  while (n != &db->conns) {
    aiodb_conn *c = aiodb__q_data(n, aiodb_conn, link);
    n = n->next;
    if (c->quit && !c->pinned && c != tls_conn) {
      pthread_join(c->thread, NULL);
      aiodb__q_remove(&c->link);
      pthread_cond_destroy(&c->cv);
      aiodb__free(c);
    }
  }
}

static int spawn_locked(aiodb_db *db) {
  pthread_attr_t attr;
  sigset_t all, old;
  aiodb_conn *c;
  int rc;

  reap_locked(db);
  c = aiodb__calloc(1, sizeof *c);
  if (c == NULL) return AIODB_ENOMEM;
  if (pthread_cond_init(&c->cv, NULL) != 0) {
    aiodb__free(c);
    return AIODB_ESYS;
  }
  c->db = db;
  c->id = db->next_id++;
  aiodb__q_init(&c->own);
  aiodb__q_push(&db->conns, &c->link);
  db->nlive++;

  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, db->stack_size);
  /* Workers never take the process's signals. */
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  rc = pthread_create(&c->thread, &attr, worker_main, c);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    db->nlive--;
    aiodb__q_remove(&c->link);
    pthread_cond_destroy(&c->cv);
    aiodb__free(c);
    return AIODB_ESYS;
  }
  return 0;
}

/* Wakes a sleeping unpinned connection, or grows the pool. Called locked. */
static void wake_pool_locked(aiodb_db *db) {
  aiodb__qnode *n;
  for (n = db->conns.next; n != &db->conns; n = n->next) {
    aiodb_conn *c = aiodb__q_data(n, aiodb_conn, link);
    if (c->sleeping && !c->pinned && !c->quit) {
      c->sleeping = 0;
      pthread_cond_signal(&c->cv);
      return;
    }
  }
  if (db->nlive < db->max_size) spawn_locked(db);
}

/* ---- submission ---- */

static void already_quit(aiodb_future *f, const char *function,
                         const void *site, const char *why) {
  aiodb__diag(AIODB_DIAG_ALREADY_QUIT, function, site, "%s: %s", function,
              why);
  aiodb__future_fail(f, AIODB_EALREADYQUIT, "%s", why);
}

/* Queues f on conn (pinned) or the pool. On refusal f completes at once. */
static aiodb_future *submit(aiodb_db *db, aiodb_conn *conn, aiodb_future *f,
                            const char *function, const void *site) {
  f->db = db;
  f->target = conn;
  pthread_mutex_lock(&db->lock);
  if (db->closing || (conn && conn->quit)) {
    pthread_mutex_unlock(&db->lock);
    already_quit(f, function, site,
                 db->closing ? "the database is closed"
                             : "the connection's worker has quit");
    return f;
  }
  f->state = AIODB__JS_QUEUED;
  if (conn) {
    aiodb__q_push(&conn->own, &f->node);
    if (conn->sleeping) {
      conn->sleeping = 0;
      pthread_cond_signal(&conn->cv);
    }
  } else {
    aiodb__q_push(&db->shared, &f->node);
    wake_pool_locked(db);
    if (db->nlive == 0) {
      /* No worker could be started. */
      aiodb__q_remove(&f->node);
      f->state = AIODB__JS_FINISHED;
      pthread_mutex_unlock(&db->lock);
      aiodb__future_fail(f, AIODB_ESYS, "could not start a worker thread");
      return f;
    }
  }
  pthread_mutex_unlock(&db->lock);
  return f;
}

static int value_ok(const aiodb_value *v) {
  switch (v->type) {
    case AIODB_TYPE_NULL:
    case AIODB_TYPE_INT:
    case AIODB_TYPE_FLOAT: return 1;
    case AIODB_TYPE_TEXT: return v->u.s != NULL || v->len == 0;
    case AIODB_TYPE_BLOB: return v->u.p != NULL || v->len == 0;
    default: return 0;
  }
}

/* Rewrites sql for the driver and copies it and the arguments into f->buf,
 * one allocation reused across the future's lives:
 *   [bound values, nslots][argument copies, nargs][slots][sql\0][bytes]
 * Every argument is bound at least once, so nslots >= nargs; only the QMARK
 * style reorders or repeats arguments, through slots. */
static int prepare_query(aiodb_db *db, aiodb_future *f, const char *sql,
                         const aiodb_value *args, size_t nargs) {
  const aiodb__driver *drv = db->driver;
  aiodb__sqlplan plan;
  char msg[200];
  size_t i, need, bytes = 0, slots_off, sql_off, data_off, len = strlen(sql);
  aiodb_value *copies;
  uint32_t *slots;
  char *p;
  int rc;

  if (nargs > 0 && args == NULL)
    return aiodb__err_set(&f->err, AIODB_EINVAL,
                          "args is NULL but nargs is %zu", nargs);
  for (i = 0; i < nargs; i++) {
    if (!value_ok(&args[i]))
      return aiodb__err_set(&f->err, AIODB_EINVAL,
                            "argument %zu is not a valid aiodb_value", i + 1);
    if (args[i].type == AIODB_TYPE_TEXT || args[i].type == AIODB_TYPE_BLOB) {
      if (args[i].len > SIZE_MAX / 4 - bytes)
        return aiodb__err_set(&f->err, AIODB_ERANGE, "arguments too large");
      bytes += args[i].len + 1;
    }
  }
  rc = aiodb__sql_rewrite(sql, len, (aiodb__dialect)drv->dialect,
                          (aiodb__pstyle)drv->pstyle, NULL, NULL, &plan, msg,
                          sizeof msg);
  if (rc != 0) return aiodb__err_set(&f->err, rc, "%s", msg);
  if (plan.nargs != nargs)
    return aiodb__err_set(&f->err, AIODB_EINVAL,
                          "the statement takes %zu argument%s but %zu %s given",
                          plan.nargs, plan.nargs == 1 ? "" : "s", nargs,
                          nargs == 1 ? "was" : "were");

  slots_off = (plan.nslots + nargs) * sizeof(aiodb_value);
  sql_off = slots_off + plan.nslots * sizeof(uint32_t);
  data_off = sql_off + plan.out_len + 1;
  need = data_off + bytes;
  if (need > f->bufcap) {
    char *b = aiodb__realloc(f->buf, need);
    if (b == NULL)
      return aiodb__err_set(&f->err, AIODB_ENOMEM, "out of memory");
    f->buf = b;
    f->bufcap = need;
  }
  f->args = (aiodb_value *)(void *)f->buf;
  copies = f->args + plan.nslots;
  slots = (uint32_t *)(void *)(f->buf + slots_off);
  rc = aiodb__sql_rewrite(sql, len, (aiodb__dialect)drv->dialect,
                          (aiodb__pstyle)drv->pstyle, f->buf + sql_off, slots,
                          &plan, msg, sizeof msg);
  if (rc != 0) return aiodb__err_set(&f->err, rc, "%s", msg);

  p = f->buf + data_off;
  for (i = 0; i < nargs; i++) {
    copies[i] = args[i];
    if (args[i].type == AIODB_TYPE_TEXT || args[i].type == AIODB_TYPE_BLOB) {
      if (args[i].len) memcpy(p, args[i].u.p, args[i].len);
      p[args[i].len] = '\0';
      copies[i].u.p = p;
      p += args[i].len + 1;
    }
  }
  for (i = 0; i < plan.nslots; i++) f->args[i] = copies[slots[i]];
  f->nargs = plan.nslots;
  f->sql = f->buf + sql_off;
  f->sql_len = plan.out_len;
  return 0;
}

static aiodb_future *query_on(aiodb_db *db, aiodb_conn *conn, const char *sql,
                              const aiodb_value *args, size_t nargs,
                              const char *function, const void *site) {
  aiodb_future *f;
  if (db == NULL) return NULL;
  f = aiodb__future_new(db->cq, AIODB__JOB_QUERY);
  if (f == NULL) return NULL;
  if (sql == NULL) {
    aiodb__future_fail(f, AIODB_EINVAL, "%s: sql is NULL", function);
    return f;
  }
  if (prepare_query(db, f, sql, args, nargs) != 0) {
    aiodb__future_complete(f);
    return f;
  }
  return submit(db, conn, f, function, site);
}

aiodb_future *aiodb_query(aiodb_db *db, const char *sql,
                          const aiodb_value *args, size_t nargs) {
  return query_on(db, NULL, sql, args, nargs, "aiodb_query",
                  __builtin_return_address(0));
}

aiodb_future *aiodb_conn_query(aiodb_conn *conn, const char *sql,
                               const aiodb_value *args, size_t nargs) {
  if (conn == NULL) return NULL;
  return query_on(conn->db, conn, sql, args, nargs, "aiodb_conn_query",
                  __builtin_return_address(0));
}

aiodb_result *aiodb_query_sync(aiodb_db *db, const char *sql,
                               const aiodb_value *args, size_t nargs,
                               aiodb_error *err) {
  aiodb_future *f;
  aiodb_result *r = NULL;
  const void *site = __builtin_return_address(0);
  int rc;

  if (db == NULL) {
    aiodb__error_set(err, AIODB_EINVAL, "aiodb_query_sync: db is NULL");
    return NULL;
  }
  f = query_on(db, NULL, sql, args, nargs, "aiodb_query_sync", site);
  if (f == NULL) {
    aiodb__error_set(err, AIODB_ENOMEM, "out of memory");
    return NULL;
  }
  rc = aiodb__future_wait(f, -1, "aiodb_query_sync", site);
  if (rc != 0) {
    aiodb__error_set(err, rc, "aiodb_query_sync: %s", aiodb_strerror(rc));
  } else if (aiodb_future_error(f) != 0) {
    aiodb__error_set(err, aiodb_future_error(f), "%s", aiodb_future_errmsg(f));
  } else {
    r = aiodb_future_take_result(f);
    if (err) {
      err->code = 0;
      err->message[0] = '\0';
    }
  }
  aiodb_future_free(f);
  return r;
}

static aiodb_future *run_on(aiodb_db *db, aiodb_conn *conn, aiodb_run_fn fn,
                            void *ud, const char *function, const void *site) {
  aiodb_future *f = aiodb__future_new(db->cq, AIODB__JOB_RUN);
  if (f == NULL) return NULL;
  if (fn == NULL) {
    aiodb__future_fail(f, AIODB_EINVAL, "%s: fn is NULL", function);
    return f;
  }
  f->fn = fn;
  f->fn_ud = ud;
  return submit(db, conn, f, function, site);
}

aiodb_future *aiodb_run(aiodb_conn *conn, aiodb_run_fn fn, void *ud) {
  if (conn == NULL) return NULL;
  return run_on(conn->db, conn, fn, ud, "aiodb_run",
                __builtin_return_address(0));
}

aiodb_future *aiodb_db_run(aiodb_db *db, aiodb_run_fn fn, void *ud) {
  if (db == NULL) return NULL;
  return run_on(db, NULL, fn, ud, "aiodb_db_run", __builtin_return_address(0));
}

aiodb_future *aiodb_acquire(aiodb_db *db) {
  aiodb_future *f;
  if (db == NULL) return NULL;
  f = aiodb__future_new(db->cq, AIODB__JOB_ACQUIRE);
  if (f == NULL) return NULL;
  return submit(db, NULL, f, "aiodb_acquire", __builtin_return_address(0));
}

void aiodb_release(aiodb_conn *conn) {
  aiodb_db *db;
  if (conn == NULL) return;
  db = conn->db;
  pthread_mutex_lock(&db->lock);
  conn->pinned = 0;
  if (conn->sleeping) {
    conn->sleeping = 0;
    pthread_cond_signal(&conn->cv);
  }
  pthread_mutex_unlock(&db->lock);
}

aiodb_db *aiodb_conn_db(aiodb_conn *conn) { return conn ? conn->db : NULL; }

int aiodb_future_cancel(aiodb_future *f) {
  aiodb_db *db;
  if (f == NULL) return AIODB_EINVAL;
  if (aiodb_future_done(f) || f->kind == AIODB__JOB_NONE ||
      f->kind == AIODB__JOB_CLOSE)
    return AIODB_EBUSY;
  db = f->db;
  pthread_mutex_lock(&db->lock);
  switch (f->state) {
    case AIODB__JS_QUEUED:
      aiodb__q_remove(&f->node);
      f->state = AIODB__JS_FINISHED;
      pthread_mutex_unlock(&db->lock);
      aiodb__future_fail(f, AIODB_ECANCELED, "canceled before it ran");
      return 0;
    case AIODB__JS_RUNNING:
      /* Only a statement can be interrupted; a running aiodb_run function
       * is the caller's own code. */
      if (f->kind != AIODB__JOB_QUERY || db->driver->interrupt == NULL) {
        pthread_mutex_unlock(&db->lock);
        return AIODB_EBUSY;
      }
      atomic_fetch_or(&f->flags, AIODB__F_CANCEL);
      db->driver->interrupt(f->running_on->native);
      pthread_mutex_unlock(&db->lock);
      return 0;
    default:
      pthread_mutex_unlock(&db->lock);
      return AIODB_EBUSY;
  }
}

/* ---- open, close, free ---- */

static int core_options(aiodb__url *url, const aiodb_options *o,
                        const aiodb__driver *drv, aiodb_db *db,
                        aiodb_error *err) {
  unsigned long v;
  const char *s;

  db->min_size = 1;
  db->max_size = drv->default_max_size ? drv->default_max_size : 1;
  db->stack_size = DEFAULT_STACK;
  if ((s = aiodb__url_opt(url, "max_size")) != NULL) {
    if (aiodb__parse_uint("max_size", s, 1, MAX_POOL, &v, err)) return AIODB_EINVAL;
    db->max_size = (unsigned)v;
  }
  if ((s = aiodb__url_opt(url, "min_size")) != NULL) {
    if (aiodb__parse_uint("min_size", s, 0, MAX_POOL, &v, err)) return AIODB_EINVAL;
    db->min_size = (unsigned)v;
  }
  if ((s = aiodb__url_opt(url, "stack_size")) != NULL) {
    if (aiodb__parse_uint("stack_size", s, 16384, 1ul << 30, &v, err))
      return AIODB_EINVAL;
    db->stack_size = v;
  }
  if (o) {
    if (o->max_size) db->max_size = o->max_size;
    if (o->min_size) db->min_size = o->min_size;
    if (o->stack_size) db->stack_size = o->stack_size;
    if (o->max_size > MAX_POOL)
      return aiodb__error_set(err, AIODB_EINVAL,
                              "max_size must be at most %d", MAX_POOL);
    if (o->timeout_ms || o->statement_cache || o->force_rollback)
      return aiodb__error_set(err, AIODB_EUNSUPPORTED,
                              "timeout_ms, statement_cache and force_rollback "
                              "are not supported by this version");
  }
  if (db->min_size > db->max_size)
    return aiodb__error_set(err, AIODB_EINVAL,
                            "min_size (%u) is larger than max_size (%u)",
                            db->min_size, db->max_size);
  if (db->stack_size < (size_t)PTHREAD_STACK_MIN)
    db->stack_size = (size_t)PTHREAD_STACK_MIN;
  return 0;
}

aiodb_db *aiodb_open(const char *url, const aiodb_options *opts,
                     aiodb_error *err) {
  aiodb__url u;
  aiodb_db *db;
  const aiodb__driver *drv;
  const aiodb__kv *kv;
  unsigned i;

  if (err) {
    err->code = 0;
    err->message[0] = '\0';
  }
  if (url == NULL) {
    aiodb__error_set(err, AIODB_EINVAL, "aiodb_open: url is NULL");
    return NULL;
  }
  if (aiodb__url_parse(url, &u, err) != 0) return NULL;
  drv = aiodb__driver_find(u.scheme, err);
  if (drv == NULL) {
    aiodb__url_free(&u);
    return NULL;
  }
  db = aiodb__calloc(1, sizeof *db);
  if (db == NULL) {
    aiodb__url_free(&u);
    aiodb__error_set(err, AIODB_ENOMEM, "out of memory");
    return NULL;
  }
  db->driver = drv;
  aiodb__q_init(&db->shared);
  aiodb__q_init(&db->conns);
  if (core_options(&u, opts, drv, db, err) != 0 ||
      drv->configure(&u, opts, &db->driver_cfg, err) != 0)
    goto fail;
  if ((kv = aiodb__url_unused(&u)) != NULL) {
    aiodb__error_set(err, AIODB_EINVAL, "unknown option '%s' for %s",
                     kv->key, drv->name);
    goto fail;
  }
  aiodb__url_free(&u);

  if (opts && opts->cq) {
    db->cq = opts->cq;
    aiodb__cq_ref(db->cq);
  } else if ((db->cq = aiodb_cq_new()) != NULL) {
    db->own_cq = 1;
  } else {
    aiodb__error_set(err, AIODB_ESYS, "cannot create a completion queue: %s",
                     strerror(errno));
    drv->free_config(db->driver_cfg);
    aiodb__free(db);
    return NULL;
  }
  pthread_mutex_init(&db->lock, NULL);
  pthread_mutex_lock(&db->lock);
  for (i = 0; i < db->min_size; i++) {
    if (spawn_locked(db) != 0) break;
  }
  pthread_mutex_unlock(&db->lock);
  if (i < db->min_size) {
    aiodb__error_set(err, AIODB_ESYS, "cannot start a worker thread");
    aiodb_db_free(db);
    return NULL;
  }
  return db;

fail:
  if (db->driver_cfg) drv->free_config(db->driver_cfg);
  aiodb__free(db);
  aiodb__url_free(&u);
  return NULL;
}

aiodb_future *aiodb_close(aiodb_db *db) {
  aiodb_future *f;
  aiodb__qnode *n;
  int now;

  if (db == NULL) return NULL;
  f = aiodb__future_new(db->cq, AIODB__JOB_CLOSE);
  if (f == NULL) return NULL;
  pthread_mutex_lock(&db->lock);
  if (db->closing) {
    pthread_mutex_unlock(&db->lock);
    aiodb__future_complete(f);
    return f;
  }
  db->closing = 1;
  now = db->nlive == 0;
  if (!now) {
    db->close_future = f;
    for (n = db->conns.next; n != &db->conns; n = n->next) {
      aiodb_conn *c = aiodb__q_data(n, aiodb_conn, link);
      if (c->sleeping) {
        c->sleeping = 0;
        pthread_cond_signal(&c->cv);
      }
    }
  }
  pthread_mutex_unlock(&db->lock);
  if (now) aiodb__future_complete(f);
  return f;
}

void aiodb_db_free(aiodb_db *db) {
  aiodb__qnode *n;
  aiodb_conn *self = aiodb__current_conn();
  aiodb_future *f;

  if (db == NULL) return;
  if (self != NULL && self->db == db) {
    aiodb__diag(AIODB_DIAG_MISUSE, "aiodb_db_free", __builtin_return_address(0),
                "aiodb_db_free called from one of the db's own workers; "
                "refused (it would join itself)");
    return;
  }
  f = aiodb_close(db);
  /* No worker is spawned once closing, so the list is stable now. */
  while ((n = aiodb__q_pop(&db->conns)) != NULL) {
    aiodb_conn *c = aiodb__q_data(n, aiodb_conn, link);
    pthread_join(c->thread, NULL);
    pthread_cond_destroy(&c->cv);
    aiodb__free(c);
  }
  aiodb_future_free(f);
  db->driver->free_config(db->driver_cfg);
  /* Our own cq goes with us; a caller's loses our reference only. */
  if (db->own_cq)
    aiodb_cq_free(db->cq);
  else
    aiodb__cq_unref(db->cq);
  pthread_mutex_destroy(&db->lock);
  aiodb__free(db);
}

aiodb_cq *aiodb_db_cq(aiodb_db *db) { return db ? db->cq : NULL; }

const char *aiodb_db_driver(const aiodb_db *db) {
  return db ? db->driver->name : NULL;
}

const char *aiodb_param_style(const aiodb_db *db) {
  return db ? db->driver->param_style : NULL;
}
