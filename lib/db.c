/* Databases, their pools of connections, and the worker threads.
 *
 * One mutex per db guards the shared queue, every connection's own queue,
 * the pins of transactions and cursors, and the pool's state; each worker
 * sleeps on its own condition variable (libuv's threadpool: one lock,
 * shutdown as state the loop checks, never two locks held at once — futures
 * complete and cq pushes happen unlocked). An unpinned connection takes jobs
 * from the shared queue; a pinned one (aiodb_acquire, a tx, a cursor) only
 * from its own. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#if defined(__linux__)
#include <stdint.h>
#include <sys/resource.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "internal.h"

#define DEFAULT_STACK (256u * 1024u)
#define DEFAULT_STATEMENT_CACHE 64u
#define DEFAULT_BATCH 1000u
#define DEFAULT_PIPELINE 64u
#define DEFAULT_CLOSE_TIMEOUT_MS 10000
#define MAX_PIPELINE 1024u
#define MAX_POOL 1024
#define MAX_STACK (1ul << 30)

static _Thread_local aiodb_conn *tls_conn;

aiodb_conn *aiodb__current_conn(void) { return tls_conn; }

void aiodb__conn_socket(int fd) {
  aiodb_conn *c = tls_conn;
  if (c == NULL) return;
  pthread_mutex_lock(&c->db->lock);
  c->sock = fd;
  /* Given up on already: a socket handed over now fails at once too. */
  if (fd >= 0 && c->abandoned) shutdown(fd, SHUT_RDWR);
  pthread_mutex_unlock(&c->db->lock);
}

int aiodb__conn_abandon_fd(void) { return tls_conn ? tls_conn->abandon_fd : -1; }

int aiodb__job_stopping(void) {
  aiodb_conn *c = tls_conn;
  return c != NULL && c->running != NULL &&
         (atomic_load(&c->running->flags) & (AIODB__F_CANCEL | AIODB__F_TIMEDOUT)) != 0;
}

/* Makes whatever c's worker is blocked on in its driver fail at once: its
 * socket is shut down (never closed: the driver owns it) and its abandon fd
 * fires. Never blocks. Called locked. */
static void abandon_locked(aiodb_conn *c) {
  if (c->abandoned) return;
  c->abandoned = 1;
  if (c->sock >= 0) shutdown(c->sock, SHUT_RDWR);
#if defined(__linux__)
  if (c->abandon_fd >= 0) {
    uint64_t one = 1;
    ssize_t w = write(c->abandon_fd, &one, sizeof one);
    (void)w;
  }
#endif
}

/* ---- fork(): a pre-forking server opens a db, then forks. The workers
 * stay in the parent; in the child every call on an inherited db completes
 * at once with AIODB_EALREADYQUIT. The handlers take every lock of the
 * library around fork (no cost elsewhere), so that the child finds none
 * held; the child's generation tells it which dbs it inherited. ---- */

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static aiodb__qnode registry = {&registry, &registry};
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static atomic_uint fork_gen;

static void fork_prepare(void) {
  aiodb__qnode *n;
  pthread_mutex_lock(&registry_lock);
  for (n = registry.next; n != &registry; n = n->next)
    pthread_mutex_lock(&aiodb__q_data(n, aiodb_db, reg)->lock);
  aiodb__cq_fork_lock();
  aiodb__future_fork_lock();
  aiodb__diag_fork_lock();
}

static void fork_release(int child) {
  aiodb__qnode *n;
  aiodb__diag_fork_unlock();
  aiodb__future_fork_unlock(child);
  aiodb__cq_fork_unlock();
  for (n = registry.next; n != &registry; n = n->next)
    pthread_mutex_unlock(&aiodb__q_data(n, aiodb_db, reg)->lock);
  pthread_mutex_unlock(&registry_lock);
}

static void fork_parent(void) { fork_release(0); }

static void fork_child(void) {
  atomic_fetch_add(&fork_gen, 1);
  fork_release(1);
}

static void atfork_install(void) {
  pthread_atfork(fork_prepare, fork_parent, fork_child);
}

/* Was db opened before a fork() that made this process? */
static int inherited(const aiodb_db *db) {
  return db->fork_gen != atomic_load_explicit(&fork_gen, memory_order_relaxed);
}

#define INHERITED_MSG                                                        \
  "this db was opened before fork(): its connections belong to the parent " \
  "process; open a new db in the child"

void aiodb_options_init(aiodb_options *opts) {
  if (opts) memset(opts, 0, sizeof *opts);
}

/* ---- references held by jobs; all called locked ---- */

static void tx_unref_locked(aiodb_tx *tx) {
  while (tx != NULL && --tx->refs == 0) {
    aiodb_tx *parent = tx->parent;
    aiodb__q_remove(&tx->link);
    aiodb__free(tx);
    tx = parent;
  }
}

static void cursor_unref_locked(aiodb_cursor *c) {
  if (c != NULL && --c->refs == 0) {
    aiodb__q_remove(&c->link);
    aiodb__free(c);
  }
}

/* A job leaves the queues for good: give back what it held. */
static void job_detach_locked(aiodb_future *f) {
  if (!f->counted) return;
  f->counted = 0;
  tx_unref_locked(f->tx);
  cursor_unref_locked(f->cur);
}

static int pins_connection(const aiodb_future *f) {
  return f->pin != NULL && f->pin->conn == NULL &&
         ((f->kind == AIODB__JOB_TX_BEGIN && f->tx->owns_pin) ||
          (f->kind == AIODB__JOB_CUR_OPEN && f->cur->pin == &f->cur->own_pin));
}

/* The error of a job of tx that cannot run because its connection broke:
 * the tx is aborted, as after any failed statement, and the error names
 * the first failure (its SQLSTATE and native code too). */
static void tx_broken_err(const aiodb_tx *tx, const aiodb__err *why,
                          aiodb__err *e) {
  const aiodb__err *first = why;
  const aiodb_tx *t;
  for (t = tx; t != NULL; t = t->parent)
    if (t->failed) {
      first = &t->fail_err;
      break;
    }
  *e = *first;
  aiodb__err_set(e, AIODB_ETXABORTED,
                 "not run: the transaction's connection broke: %s",
                 first->message);
}

/* Moves every job of q onto orphans, detached, each with its error: why,
 * or for a job of a tx on a connection that broke, AIODB_ETXABORTED. A
 * pinning job takes the jobs waiting on its pin along, since they can
 * never run now. */
static void orphan_all_locked(aiodb__qnode *q, aiodb__qnode *orphans,
                              const aiodb__err *why, int broken) {
  aiodb__qnode *n;
  while ((n = aiodb__q_pop(q)) != NULL) {
    aiodb_future *f = aiodb__q_data(n, aiodb_future, node);
    if (broken && f->tx != NULL)
      tx_broken_err(f->tx, why, &f->err);
    else
      f->err = *why;
    if (f->kind == AIODB__JOB_TX_BEGIN || f->kind == AIODB__JOB_CUR_OPEN) {
      aiodb__pin *pin = f->kind == AIODB__JOB_TX_BEGIN ? f->tx->pin : f->cur->pin;
      if (pin && pin->conn == NULL && !pin->failed) {
        pin->failed = 1;
        pin->err = *why;
        aiodb__q_move(&pin->pending, q);
      }
    }
    job_detach_locked(f);
    f->state = AIODB__JS_FINISHED;
    aiodb__q_push(orphans, &f->node);
  }
}

/* Completes every job of q, orphaned with its error (call unlocked). */
static void fail_all(aiodb__qnode *q) {
  aiodb__qnode *n;
  while ((n = aiodb__q_pop(q)) != NULL)
    aiodb__future_complete(aiodb__q_data(n, aiodb_future, node));
}

/* ---- the worker ---- */

static int spawn_locked(aiodb_db *db);

/* Takes the next job for conn, or NULL. Called locked. */
static aiodb_future *next_job(aiodb_conn *conn) {
  aiodb__qnode *n = aiodb__q_pop(&conn->own);
  aiodb_future *f;
  if (n == NULL && !conn->pinned) n = aiodb__q_pop(&conn->db->shared);
  if (n == NULL) return NULL;
  f = aiodb__q_data(n, aiodb_future, node);
  if (pins_connection(f)) {
    /* A tx or cursor takes this connection: what waited on it follows. */
    conn->pinned = 1;
    f->pin->conn = conn;
    aiodb__q_move(&f->pin->pending, &conn->own);
  }
  return f;
}

/* Runs SQL of the library's own (BEGIN, SAVEPOINT ...) on conn. */
static int exec_sql(aiodb_conn *conn, const char *sql, aiodb__err *e) {
  aiodb__stmt st;
  memset(&st, 0, sizeof st);
  st.sql = sql;
  st.sql_len = strlen(sql);
  st.nrows = 1;
  st.own = 1;
  memset(e, 0, sizeof *e);
  return conn->db->driver->exec(conn->native, &st, conn->scratch, e);
}

static void stmt_of(const aiodb_future *f, aiodb__stmt *st) {
  st->sql = f->sql;
  st->sql_len = f->sql_len;
  st->args = f->args;
  st->nargs = f->nargs;
  st->nrows = f->kind == AIODB__JOB_MANY ? f->nrows : 1;
  st->own = 0;
}

static int new_result(aiodb_future *f) {
  f->result = aiodb__result_new();
  if (f->result == NULL)
    return aiodb__err_set(&f->err, AIODB_ENOMEM, "out of memory for the result");
  return 0;
}

static void run_statement(aiodb_conn *conn, aiodb_future *f) {
  const aiodb__driver *drv = conn->db->driver;
  aiodb__stmt st;
  int rc;

  /* Canceled or timed out between being taken and reaching here: the
   * driver's interrupt may have found nothing running to stop. */
  if (atomic_load(&f->flags) & (AIODB__F_CANCEL | AIODB__F_TIMEDOUT)) {
    aiodb__err_set(&f->err, AIODB_ECANCELED, "canceled before it ran");
    return;
  }
  if (new_result(f) != 0) return;
  stmt_of(f, &st);
  if (f->kind == AIODB__JOB_MANY)
    rc = st.nrows == 0 ? 0 : drv->exec_many(conn->native, &st, f->result, &f->err);
  else
    rc = drv->exec(conn->native, &st, f->result, &f->err);
  if (rc != 0) {
    aiodb_result_free(f->result);
    f->result = NULL;
  }
}

static void run_fn(aiodb_conn *conn, aiodb_future *f) {
  f->value = f->fn(conn->db->driver->handle(conn->native), f->fn_ud);
  if (f->value < 0 && f->value > AIODB__STATUS_MAX)
    aiodb__err_set(&f->err, f->value, "aiodb_run: the function returned %s",
                   aiodb_err_name(f->value));
}

static void tx_sql(const aiodb_tx *tx, const char *verb, char *buf, size_t n) {
  if (tx->savepoint)
    snprintf(buf, n, "%s aiodb_sp%u", verb, tx->id);
  else
    snprintf(buf, n, "%s", verb);
}

static int ancestor_finished(const aiodb_tx *tx) {
  for (tx = tx->parent; tx != NULL; tx = tx->parent)
    if (tx->finished) return 1;
  return 0;
}

static void run_tx_begin(aiodb_conn *conn, aiodb_future *f) {
  aiodb_tx *tx = f->tx;
  char sql[64];
  if (ancestor_finished(tx)) {
    aiodb__err_set(&tx->fail_err, AIODB_EALREADYQUIT,
                   "the enclosing transaction has already ended");
    tx->failed = 1;
    return;
  }
  if (tx->failed) return; /* its enclosing tx was aborted: start_job_locked */
  tx_sql(tx, tx->savepoint ? "SAVEPOINT" : "BEGIN", sql, sizeof sql);
  if (exec_sql(conn, sql, &f->err) == 0) {
    tx->open = 1;
  } else {
    tx->failed = 1;
    tx->fail_err = f->err;
  }
}

/* Rolls tx back; errors are reported only through e. */
static int tx_rollback(aiodb_conn *conn, aiodb_tx *tx, aiodb__err *e) {
  char sql[64];
  int rc;
  tx_sql(tx, tx->savepoint ? "ROLLBACK TO SAVEPOINT" : "ROLLBACK", sql, sizeof sql);
  rc = exec_sql(conn, sql, e);
  if (rc == 0 && tx->savepoint) {
    tx_sql(tx, "RELEASE SAVEPOINT", sql, sizeof sql);
    rc = exec_sql(conn, sql, e);
  }
  return rc;
}

static void run_tx_end(aiodb_conn *conn, aiodb_future *f) {
  aiodb_tx *tx = f->tx;
  aiodb__err ignored;
  char sql[64];

  if (ancestor_finished(tx)) {
    aiodb__err_set(&f->err, AIODB_EALREADYQUIT,
                   "the enclosing transaction has already ended");
  } else if (!tx->open) {
    if (f->end_op == AIODB__END_COMMIT)
      aiodb__err_set(&f->err, AIODB_ETXABORTED,
                     "the transaction could not begin: %s", tx->fail_err.message);
  } else if (tx->gone) {
    /* The database rolled it all back already: no ROLLBACK (TO) to send. */
    if (f->end_op == AIODB__END_COMMIT) {
      f->err = tx->fail_err;
      aiodb__err_set(&f->err, AIODB_ETXABORTED,
                     "the database rolled the transaction back after an error: %s",
                     tx->fail_err.message);
    }
  } else if (f->end_op == AIODB__END_ROLLBACK) {
    if (tx_rollback(conn, tx, &f->err) != 0 && !tx->savepoint) conn->unsure = 1;
  } else if (tx->failed) {
    if (tx_rollback(conn, tx, &ignored) != 0 && !tx->savepoint) conn->unsure = 1;
    f->err = tx->fail_err; /* its SQLSTATE and native code */
    aiodb__err_set(&f->err, AIODB_ETXABORTED,
                   "the transaction was rolled back after an error: %s",
                   tx->fail_err.message);
  } else {
    tx_sql(tx, tx->savepoint ? "RELEASE SAVEPOINT" : "COMMIT", sql, sizeof sql);
    if (exec_sql(conn, sql, &f->err) != 0 &&
        tx_rollback(conn, tx, &ignored) != 0 && !tx->savepoint)
      conn->unsure = 1;
  }
  tx->open = 0;
  tx->finished = 1;
}

/* A statement on a tx runs only while the tx is healthy. */
static int tx_refuses(aiodb_future *f) {
  aiodb_tx *tx = f->tx;
  if (tx->finished || ancestor_finished(tx))
    return aiodb__err_set(&f->err, AIODB_EALREADYQUIT,
                          "the transaction has already ended");
  if (tx->failed)
    return aiodb__err_set(&f->err, AIODB_ETXABORTED,
                          "not run: an earlier statement in this transaction "
                          "failed: %s",
                          tx->fail_err.message);
  return 0;
}

static void run_cursor(aiodb_conn *conn, aiodb_future *f) {
  const aiodb__driver *drv = conn->db->driver;
  aiodb_cursor *c = f->cur;
  aiodb__stmt st;

  switch (f->kind) {
    case AIODB__JOB_CUR_OPEN:
      stmt_of(f, &st);
      if (drv->cursor_open(conn->native, &st, &c->handle, &f->err) != 0) {
        c->failed = 1;
        c->err = f->err;
      }
      break;
    case AIODB__JOB_CUR_NEXT:
      if (c->failed) {
        f->err = c->err;
        break;
      }
      if (new_result(f) != 0) break;
      if (drv->cursor_fetch(conn->native, c->handle, c->batch, f->result,
                            &f->err) != 0) {
        aiodb_result_free(f->result);
        f->result = NULL;
      }
      break;
    default: /* CUR_CLOSE */
      if (c->handle) drv->cursor_close(conn->native, c->handle);
      c->handle = NULL;
      break;
  }
}

/* The database ended tx's whole transaction on its own (SQLite does on an
 * interrupted write): every level is aborted, and its ends send nothing.
 * Otherwise what follows would run outside any transaction and be kept. */
static void tx_gone(aiodb_tx *tx, const aiodb__err *why) {
  for (; tx != NULL; tx = tx->parent) {
    tx->gone = 1;
    if (!tx->failed) {
      tx->failed = 1;
      tx->fail_err = *why;
    }
  }
}

static void run_job(aiodb_conn *conn, aiodb_future *f) {
  switch (f->kind) {
    case AIODB__JOB_QUERY:
    case AIODB__JOB_MANY:
    case AIODB__JOB_RUN:
      if (f->tx != NULL && tx_refuses(f) != 0) return;
      if (f->kind == AIODB__JOB_RUN)
        run_fn(conn, f);
      else
        run_statement(conn, f);
      if (f->tx != NULL && f->err.code != 0 && !f->tx->failed) {
        f->tx->failed = 1;
        f->tx->fail_err = f->err;
      }
      if (f->tx != NULL && f->err.code != 0 && conn->db->driver->tx_ended &&
          conn->db->driver->tx_ended(conn->native, &f->err))
        tx_gone(f->tx, &f->err);
      break;
    case AIODB__JOB_TX_BEGIN: run_tx_begin(conn, f); break;
    case AIODB__JOB_TX_END: run_tx_end(conn, f); break;
    default: run_cursor(conn, f); break;
  }
}

/* Does f, which just ran, give its connection back to the pool? */
static int unpins_connection(const aiodb_future *f) {
  return (f->kind == AIODB__JOB_TX_END && f->tx->parent == NULL &&
          f->tx->owns_pin) ||
         (f->kind == AIODB__JOB_CUR_CLOSE && f->cur->pin == &f->cur->own_pin);
}

static int open_connection(aiodb_conn *conn, aiodb__err *e) {
  aiodb_db *db = conn->db;
  const aiodb__driver *drv = db->driver;
  conn->scratch = aiodb__result_new();
  if (conn->scratch == NULL)
    return aiodb__err_set(e, AIODB_ENOMEM, "out of memory");
  if (drv->connect(db->driver_cfg, db->statement_cache, &conn->native, e) != 0)
    return e->code;
  /* force_rollback: everything this db does happens inside one
   * transaction that is never committed. */
  if (db->force_rollback && exec_sql(conn, "BEGIN", e) != 0) {
    drv->disconnect(conn->native);
    conn->native = NULL;
    return e->code;
  }
  return 0;
}

static void close_connection(aiodb_conn *conn) {
  aiodb__err ignored;
  if (conn->db->force_rollback) exec_sql(conn, "ROLLBACK", &ignored);
  conn->db->driver->disconnect(conn->native);
  conn->native = NULL;
}

/* Cursors still open on a connection that goes away are finished here;
 * their handles then only answer with errors. Called unlocked. */
static void close_cursors(aiodb_conn *conn) {
  aiodb_db *db = conn->db;
  for (;;) {
    aiodb__qnode *n;
    void *handle = NULL;
    /* One at a time: closing talks to the server, never under the lock. */
    pthread_mutex_lock(&db->lock);
    for (n = db->cursors.next; n != &db->cursors; n = n->next) {
      aiodb_cursor *c = aiodb__q_data(n, aiodb_cursor, link);
      aiodb_conn *on = c->pin ? c->pin->conn : c->conn;
      if (on == conn && c->handle != NULL) {
        handle = c->handle;
        c->handle = NULL;
        break;
      }
    }
    pthread_mutex_unlock(&db->lock);
    if (handle == NULL) return;
    db->driver->cursor_close(conn->native, handle);
  }
}

/* After a job ran: names its error for a cancel or a deadline, and tells
 * whether the connection is broken. */
static int settle(aiodb_conn *conn, aiodb_future *f) {
  const aiodb__driver *drv = conn->db->driver;
  unsigned flags = atomic_load(&f->flags);
  /* Asked before a deadline or a cancel renames the error: an interrupted
   * statement may also have lost its connection (a dead link, a connection
   * given up), which must not serve again. */
  int broken = f->err.code != 0 && drv->is_broken &&
               drv->is_broken(conn->native, &f->err);
  if (f->err.code != 0 && (flags & AIODB__F_TIMEDOUT))
    aiodb__err_set(&f->err, AIODB_ETIMEDOUT,
                   broken ? "the statement ran past its deadline, and its connection "
                            "was lost before it stopped"
                          : "the statement ran past its deadline and was stopped");
  else if (f->err.code != 0 && (flags & AIODB__F_CANCEL))
    f->err.code = AIODB_ECANCELED;
  if (f->kind == AIODB__JOB_CUR_NEXT && f->err.code != 0 && !f->cur->failed) {
    /* The statement was reset: a later batch must not start over. */
    f->cur->failed = 1;
    f->cur->err = f->err;
  }
  return broken;
}

/* ---- auto-pipelining: statements found queued together go to a driver
 * that can send them in one round trip (PostgreSQL's pipeline mode). Only
 * plain statements outside a tx or cursor, without a deadline: once sent
 * ahead a statement cannot be interrupted on its own (the server would stop
 * whichever statement it is running), so one with a deadline goes alone. */

/* A connection's batch, made once when its worker starts (off the stack:
 * 1024 statements would not fit a small worker stack). */
struct aiodb__batch {
  aiodb_conn *conn;
  size_t n, cap;
  int broken;
  aiodb__stmt *st;
  aiodb_future **f;
  aiodb_result **res;
  aiodb__err **err;
};

/* NULL when out of memory: the connection then sends one at a time. */
static aiodb__batch *batch_new(aiodb_conn *conn, size_t cap) {
  aiodb__batch *b = aiodb__malloc(sizeof *b + cap * (sizeof *b->st + sizeof *b->f +
                                                     sizeof *b->res + sizeof *b->err));
  if (b == NULL) return NULL;
  b->conn = conn;
  b->cap = cap;
  b->st = (aiodb__stmt *)(void *)(b + 1);
  b->f = (aiodb_future **)(void *)(b->st + cap);
  b->res = (aiodb_result **)(void *)(b->f + cap);
  b->err = (aiodb__err **)(void *)(b->res + cap);
  return b;
}

static int batchable(const aiodb_future *f) {
  return f->kind == AIODB__JOB_QUERY && f->tx == NULL && f->cur == NULL &&
         !(atomic_load(&f->flags) & (AIODB__F_DEADLINE | AIODB__F_CANCEL));
}

/* Could a connection other than me take a job of the pool's queue soon: one
 * that is idle or still opening, or one the pool may still open? Then the
 * pool's jobs are its to run in parallel, not me's to batch. Locked. */
static int others_could_take(const aiodb_conn *me) {
  const aiodb_db *db = me->db;
  const aiodb__qnode *n;
  if (db->nlive < db->max_size && !db->closing) return 1;
  for (n = db->conns.next; n != &db->conns; n = n->next) {
    const aiodb_conn *c = aiodb__q_data(n, aiodb_conn, link);
    if (c != me && !c->quit && !c->pinned && c->running == NULL && !c->batching)
      return 1;
  }
  return 0;
}

/* The job next_job would take, if it may join a batch: one of conn's own,
 * or of the pool's when shared says the pool's may be batched. Locked. */
static aiodb_future *peek_batchable(aiodb_conn *conn, int shared) {
  aiodb__qnode *q = &conn->own;
  aiodb_future *f;
  if (aiodb__q_empty(q)) {
    if (conn->pinned || !shared) return NULL;
    q = &conn->db->shared;
    if (aiodb__q_empty(q)) return NULL;
  }
  f = aiodb__q_data(q->next, aiodb_future, node);
  return batchable(f) ? f : NULL;
}

/* The driver finished statement i of the batch: complete its future. */
static void batch_done(void *ud, size_t i) {
  aiodb__batch *b = ud;
  aiodb_future *f = b->f[i];
  aiodb_db *db = b->conn->db;
  if (settle(b->conn, f)) b->broken = 1;
  if (f->err.code != 0) {
    aiodb_result_free(f->result);
    f->result = NULL;
  }
  pthread_mutex_lock(&db->lock);
  f->state = AIODB__JS_FINISHED;
  job_detach_locked(f);
  pthread_mutex_unlock(&db->lock);
  aiodb__future_complete(f);
}

/* Runs first and the batchable jobs queued behind it as one batch. Called
 * locked and returns locked; returns 1 if the connection broke. */
static int run_batch(aiodb_conn *conn, aiodb_future *first) {
  aiodb_db *db = conn->db;
  aiodb__batch *b = conn->batch;
  aiodb_future *f = first;
  size_t i, n = 0;
  int shared = !others_could_take(conn);

  b->broken = 0;
  for (;;) {
    if (f != first) aiodb__q_remove(&f->node);
    f->state = AIODB__JS_SENT;
    f->running_on = conn;
    f->target = conn;
    b->f[n++] = f;
    if (n == b->cap || (f = peek_batchable(conn, shared)) == NULL) break;
  }
  conn->batching = 1;
  conn->calls++;
  pthread_mutex_unlock(&db->lock);

  b->n = 0;
  for (i = 0; i < n; i++) {
    f = b->f[i];
    if (new_result(f) != 0) { /* it fails alone; the others go on */
      pthread_mutex_lock(&db->lock);
      f->state = AIODB__JS_FINISHED;
      job_detach_locked(f);
      pthread_mutex_unlock(&db->lock);
      aiodb__future_complete(f);
      continue;
    }
    b->f[b->n] = f;
    stmt_of(f, &b->st[b->n]);
    b->res[b->n] = f->result;
    b->err[b->n] = &f->err;
    b->n++;
  }
  if (b->n > 0) {
    atomic_fetch_add_explicit(&db->batches, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&db->batched, b->n, memory_order_relaxed);
    db->driver->exec_batch(conn->native, b->st, b->res, b->err, b->n,
                           batch_done, b);
  }
  pthread_mutex_lock(&db->lock);
  conn->batching = 0;
  return b->broken;
}

/* A savepoint does not begin inside a tx that a statement queued before it
 * aborted (it failed, or was dropped): its work would run in a tx bound to
 * roll back, or, were the transaction gone, in none. PostgreSQL refuses it
 * the same way. Called locked, on the tx's worker. */
static void savepoint_check_locked(aiodb_tx *tx) {
  const aiodb_tx *child = tx, *a;
  for (a = tx->parent; a != NULL; child = a, a = a->parent) {
    if (a->failed || (a->dropped && a->drop_seq <= child->parent_seq)) {
      const aiodb__err *why = a->failed ? &a->fail_err : &a->drop_err;
      tx->failed = 1;
      tx->fail_err = *why;
      aiodb__err_set(&tx->fail_err, AIODB_ETXABORTED,
                     "the enclosing transaction was aborted: %s", why->message);
      return;
    }
  }
}

/* f, just taken by conn, starts running. Called locked. */
static void start_job_locked(aiodb_conn *conn, aiodb_future *f) {
  if (f->tx != NULL && f->tx->dropped && f->tx_seq > f->tx->drop_seq &&
      !f->tx->failed) {
    /* A statement of this tx was dropped before it ran: the rest must not
     * run as if it had. */
    f->tx->failed = 1;
    f->tx->fail_err = f->tx->drop_err;
  }
  if (f->kind == AIODB__JOB_TX_BEGIN && f->tx->parent != NULL && !f->tx->failed)
    savepoint_check_locked(f->tx);
  f->state = AIODB__JS_RUNNING;
  f->running_on = conn;
  f->target = conn;
  conn->running = f;
  conn->calls++;
}

/* Does f, just taken, lead a batch with what is queued behind it? Locked. */
static int starts_batch(aiodb_conn *conn, aiodb_future *f) {
  return conn->batch != NULL && batchable(f) &&
         (peek_batchable(conn, 0) != NULL ||
          (peek_batchable(conn, 1) != NULL && !others_could_take(conn)));
}

/* worker_nice and worker_slice_us: a worker gives the CPU up to the
 * threads that run loops (a GUI's, the cq's) when they wake, instead of
 * holding it to the end of a scheduler tick. Best effort, Linux only. */
static void worker_sched(const aiodb_db *db) {
#if defined(__linux__)
  pid_t tid = (pid_t)syscall(SYS_gettid);
  int nice_now;
  if (db->worker_nice == 0 && db->worker_slice_us == 0) return;
  errno = 0;
  nice_now = getpriority(PRIO_PROCESS, (id_t)tid);
  if (nice_now == -1 && errno != 0) nice_now = 0;
  if (db->worker_nice > 0) {
    nice_now += (int)db->worker_nice;
    if (nice_now > 19) nice_now = 19;
    setpriority(PRIO_PROCESS, (id_t)tid, nice_now);
  }
#if defined(SYS_sched_setattr)
  if (db->worker_slice_us > 0) {
    /* struct sched_attr (linux/sched/types.h): SCHED_OTHER with its slice
     * in sched_runtime (EEVDF, Linux 6.12 on; older kernels ignore it). */
    struct {
      uint32_t size, policy;
      uint64_t flags;
      int32_t nice;
      uint32_t priority;
      uint64_t runtime, deadline, period;
    } attr;
    memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.nice = nice_now;
    attr.runtime = (uint64_t)db->worker_slice_us * 1000u;
    syscall(SYS_sched_setattr, tid, &attr, 0u);
  }
#endif
#else
  (void)db;
#endif
}

static void *worker_main(void *arg) {
  aiodb_conn *conn = arg;
  aiodb_db *db = conn->db;
  const aiodb__driver *drv = db->driver;
  aiodb__err cerr, qerr;
  aiodb__qnode orphans;
  aiodb_future *f, *ahead = NULL, *close_f = NULL;
  int broken = 0, spun = 0;

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
  worker_sched(db);
  if (drv->thread_start) drv->thread_start();
  open_connection(conn, &cerr);
  if (cerr.code == 0 && drv->exec_batch != NULL && db->pipeline > 1)
    conn->batch = batch_new(conn, db->pipeline);

  pthread_mutex_lock(&db->lock);
  conn->calls++; /* the connect */
  if (cerr.code == 0) {
    for (;;) {
      f = ahead != NULL ? ahead : next_job(conn);
      ahead = NULL;
      if (f == NULL) {
        if (db->closing) break;
        if (db->spin_us > 0 && !spun) {
          /* Work often follows within microseconds (the loop answering a
           * callback): look for it before paying for a sleep and a wake. */
          atomic_store_explicit(&db->submitted, 0, memory_order_relaxed);
          pthread_mutex_unlock(&db->lock);
          aiodb__spin(aiodb__flag_set, &db->submitted, db->spin_us);
          pthread_mutex_lock(&db->lock);
          spun = 1;
          continue;
        }
        spun = 0;
        conn->sleeping = 1;
        pthread_cond_wait(&conn->cv, &db->lock);
        conn->sleeping = 0;
        continue;
      }
      spun = 0;
      if (f->kind == AIODB__JOB_ACQUIRE) {
        /* A detached acquire must not pin a connection nobody holds. */
        if (!(atomic_load(&f->flags) & AIODB__F_FREED)) {
          conn->pinned = 1;
          conn->holder = f;
          atomic_store(&f->held, 1);
          f->conn = conn;
        }
        f->state = AIODB__JS_FINISHED;
        pthread_mutex_unlock(&db->lock);
        aiodb__future_complete(f);
        pthread_mutex_lock(&db->lock);
        continue;
      }
      if (starts_batch(conn, f)) {
        if (run_batch(conn, f)) break; /* the connection broke */
        continue;
      }
      start_job_locked(conn, f);
      pthread_mutex_unlock(&db->lock);

      /* f, then each job taken in the same hold of the lock that records
       * the end of the one before: with work queued, one round of the lock
       * per job instead of two. */
      while (f != NULL) {
        aiodb_future *next = NULL;
        run_job(conn, f);
        if (settle(conn, f)) broken = 1;
        /* A tx whose end failed to run may have left the session inside a
         * transaction: nobody else may get it like that. */
        if (conn->unsure) broken = 1;
        pthread_mutex_lock(&db->lock);
        /* given up on (its socket is shut down), even if f ended first */
        if (conn->abandoned) broken = 1;
        conn->running = NULL;
        f->state = AIODB__JS_FINISHED;
        if (unpins_connection(f)) conn->pinned = 0;
        job_detach_locked(f);
        if (!broken && (next = next_job(conn)) != NULL) {
          if (next->kind == AIODB__JOB_ACQUIRE || starts_batch(conn, next)) {
            ahead = next; /* the outer loop's own paths, under the lock */
            next = NULL;
          } else {
            start_job_locked(conn, next);
          }
        }
        pthread_mutex_unlock(&db->lock);
        aiodb__future_complete(f);
        f = next;
      }
      pthread_mutex_lock(&db->lock);
      if (broken) break;
    }
    pthread_mutex_unlock(&db->lock);
    close_cursors(conn);
    close_connection(conn);
    pthread_mutex_lock(&db->lock);
  }

  /* Leaving: nothing queued on this connection may be lost. */
  conn->quit = 1;
  if (cerr.code != 0) {
    qerr = cerr;
  } else {
    aiodb__err_set(&qerr, AIODB_EALREADYQUIT,
                   broken ? "the connection broke before this call ran"
                          : "the database was closed before this call ran");
  }
  orphan_all_locked(&conn->own, &orphans, &qerr, broken);
  if (cerr.code != 0 && db->nlive == 1)
    orphan_all_locked(&db->shared, &orphans, &qerr, 0);
  db->nlive--;
  if (db->nlive == 0) {
    if (db->closing) {
      orphan_all_locked(&db->shared, &orphans, &qerr, 0);
      close_f = db->close_future;
      db->close_future = NULL;
    } else if (!aiodb__q_empty(&db->shared) && cerr.code == 0) {
      if (spawn_locked(db) != 0)
        orphan_all_locked(&db->shared, &orphans, &qerr, 0);
    }
  }
  pthread_mutex_unlock(&db->lock);

  fail_all(&orphans);
  aiodb_result_free(conn->scratch);
  conn->scratch = NULL;
  aiodb__free(conn->batch);
  conn->batch = NULL;
  if (close_f) aiodb__future_complete(close_f);
  tls_conn = NULL;
  if (drv->thread_stop) drv->thread_stop();
  return NULL;
}

static void conn_free(aiodb_conn *c) {
  /* Its acquire future outlives it: freeing that must not look for it. */
  if (c->holder != NULL) atomic_store(&c->holder->held, 0);
  /* Left only by a worker that lives in the parent of a fork. */
  aiodb_result_free(c->scratch);
  aiodb__free(c->batch);
  pthread_cond_destroy(&c->cv);
#if defined(__linux__)
  if (c->abandon_fd >= 0) close(c->abandon_fd);
#endif
  aiodb__free(c);
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
      conn_free(c);
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
  c->sock = -1;
#if defined(__linux__)
  c->abandon_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (c->abandon_fd < 0) {
    pthread_cond_destroy(&c->cv);
    aiodb__free(c);
    return errno == ENOMEM ? AIODB_ENOMEM : AIODB_ESYS;
  }
#else
  c->abandon_fd = -1;
#endif
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
    conn_free(c);
    return rc == EAGAIN ? AIODB_ENOMEM : AIODB_ESYS;
  }
  return 0;
}

static void wake_conn_locked(aiodb_conn *c) {
  if (c->sleeping) {
    c->sleeping = 0;
    pthread_cond_signal(&c->cv);
  }
}

/* Wakes a sleeping unpinned connection, or grows the pool. Called locked.
 * Returns 0, or why the pool could not grow. */
static int wake_pool_locked(aiodb_db *db) {
  aiodb__qnode *n;
  for (n = db->conns.next; n != &db->conns; n = n->next) {
    aiodb_conn *c = aiodb__q_data(n, aiodb_conn, link);
    if (c->sleeping && !c->pinned && !c->quit) {
      wake_conn_locked(c);
      return 0;
    }
  }
  return db->nlive < db->max_size ? spawn_locked(db) : 0;
}

/* ---- submission ---- */

static void already_quit(aiodb_future *f, const char *function,
                         const void *site, const char *why) {
  aiodb__diag(AIODB_DIAG_ALREADY_QUIT, function, site, "%s: %s", function,
              why);
  aiodb__future_fail(f, AIODB_EALREADYQUIT, "%s", why);
}

static int is_statement(const aiodb_future *f) {
  return f->kind == AIODB__JOB_QUERY || f->kind == AIODB__JOB_MANY ||
         f->kind == AIODB__JOB_CUR_NEXT;
}

/* Queues f: on f->pin (a tx's or cursor's), on conn (pinned), or on the
 * pool; a job that pins a connection always goes to the pool. Returns 0
 * once queued, or the code f already completed with when refused. Takes the
 * job's references to its tx and cursor. */
static int enqueue(aiodb_db *db, aiodb_conn *conn, aiodb_future *f,
                   const char *function, const void *site) {
  aiodb__pin *pin = f->pin;
  int timeout;

  f->db = db;
  if (inherited(db)) {
    already_quit(f, function, site, INHERITED_MSG);
    return AIODB_EALREADYQUIT;
  }
  pthread_mutex_lock(&db->lock);
  if (db->closing || (conn && conn->quit) ||
      (pin && pin->conn && pin->conn->quit)) {
    pthread_mutex_unlock(&db->lock);
    already_quit(f, function, site,
                 db->closing ? "the database is closed"
                             : "the connection's worker has quit");
    return AIODB_EALREADYQUIT;
  }
  if (pin && pin->failed) {
    pthread_mutex_unlock(&db->lock);
    f->err = pin->err;
    aiodb__future_complete(f);
    return f->err.code;
  }
  f->state = AIODB__JS_QUEUED;
  f->counted = 1;
  /* Before any worker can see it: a statement with a deadline is never sent
   * ahead in a pipeline. */
  if (is_statement(f) && db->timeout_ms > 0)
    atomic_fetch_or(&f->flags, AIODB__F_DEADLINE);
  if (f->tx) {
    f->tx->refs++;
    f->tx_seq = ++f->tx->seq;
    if (f->kind == AIODB__JOB_TX_BEGIN && f->tx->parent)
      f->tx->parent_seq = f->tx->parent->seq;
  }
  if (f->cur) f->cur->refs++;
  if (pin && pin->conn == NULL && !pins_connection(f)) {
    aiodb__q_push(&pin->pending, &f->node);
  } else if ((pin && pin->conn) || conn) {
    aiodb_conn *c = pin && pin->conn ? pin->conn : conn;
    f->target = c;
    aiodb__q_push(&c->own, &f->node);
    wake_conn_locked(c);
  } else {
    int rc;
    aiodb__q_push(&db->shared, &f->node);
    rc = wake_pool_locked(db);
    if (db->nlive == 0) { /* nothing could be started to run it */
      aiodb__q_remove(&f->node);
      job_detach_locked(f);
      f->state = AIODB__JS_FINISHED;
      pthread_mutex_unlock(&db->lock);
      if (rc == AIODB_ENOMEM) {
        aiodb__future_fail(f, rc, "out of memory for a connection");
        return rc;
      }
      aiodb__future_fail(f, AIODB_ESYS, "could not start a worker thread");
      return AIODB_ESYS;
    }
  }
  timeout = is_statement(f) ? db->timeout_ms : 0;
  if (db->spin_us > 0) atomic_store_explicit(&db->submitted, 1, memory_order_release);
  pthread_mutex_unlock(&db->lock);
  if (timeout > 0) aiodb__timer_add(f, timeout);
  return 0;
}

static aiodb_future *submit(aiodb_db *db, aiodb_conn *conn, aiodb_future *f,
                            const char *function, const void *site) {
  enqueue(db, conn, f, function, site);
  return f;
}

/* A pin whose pinning job was refused can never be taken: what is submitted
 * through it fails at once with the same error. */
static void pin_refused(aiodb_db *db, aiodb__pin *pin, const aiodb_future *f) {
  pthread_mutex_lock(&db->lock);
  if (!pin->failed) {
    pin->failed = 1;
    pin->err = f->err;
  }
  pthread_mutex_unlock(&db->lock);
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

/* The last statement this thread rewrote, kept for the next call with the
 * same text for the same kind of driver (a loop submitting one statement
 * over and over skips the lexer's two passes). Fixed-size and thread-local:
 * nothing to allocate, lock or free. */
#define MEMO_SQL 256
#define MEMO_OUT 512
#define MEMO_SLOTS 32
typedef struct rewrite_memo {
  const aiodb__driver *drv; /* NULL: empty */
  size_t len;
  aiodb__sqlplan plan;
  char sql[MEMO_SQL];
  char out[MEMO_OUT];
  uint32_t slots[MEMO_SLOTS];
} rewrite_memo;
static _Thread_local rewrite_memo memo;

static int memo_hit(const aiodb__driver *drv, const char *sql, size_t len) {
  return memo.drv == drv && memo.len == len && memcmp(memo.sql, sql, len) == 0;
}

static void memo_keep(const aiodb__driver *drv, const char *sql, size_t len,
                      const aiodb__sqlplan *plan, const char *out,
                      const uint32_t *slots) {
  memo.drv = NULL;
  if (len > MEMO_SQL || plan->out_len > MEMO_OUT || plan->nslots > MEMO_SLOTS)
    return;
  memcpy(memo.sql, sql, len);
  memcpy(memo.out, out, plan->out_len);
  memcpy(memo.slots, slots, plan->nslots * sizeof *slots);
  memo.len = len;
  memo.plan = *plan;
  memo.drv = drv;
}

/* Rewrites sql for the driver and copies it and nrows rows of nargs
 * arguments into f->buf, one allocation reused across the future's lives:
 *   [bound values, nrows * nslots][argument copies, nargs][slots][sql\0][bytes]
 * Every argument is bound at least once, so nslots >= nargs; only the QMARK
 * style reorders or repeats arguments, through slots. */
static int prepare_query(aiodb_db *db, aiodb_future *f, const char *sql,
                         const aiodb_value *args, size_t nargs, size_t nrows) {
  const aiodb__driver *drv = db->driver;
  aiodb__sqlplan plan;
  char msg[200];
  size_t i, r, need, bytes = 0, total = nargs * nrows, len;
  size_t copies_off, slots_off, sql_off, data_off;
  aiodb_value *copies;
  uint32_t *slots;
  char *p;
  int rc, hit;

  if (sql == NULL)
    return aiodb__err_set(&f->err, AIODB_EINVAL, "sql is NULL");
  if (nrows && total / nrows != nargs)
    return aiodb__err_set(&f->err, AIODB_ERANGE, "too many arguments");
  len = strlen(sql);
  hit = memo_hit(drv, sql, len);
  if (hit) {
    plan = memo.plan;
  } else {
    rc = aiodb__sql_rewrite(sql, len, (aiodb__dialect)drv->dialect,
                            (aiodb__pstyle)drv->pstyle, NULL, NULL, &plan, msg,
                            sizeof msg);
    if (rc != 0) return aiodb__err_set(&f->err, rc, "%s", msg);
  }
  if (plan.nargs != nargs)
    return aiodb__err_set(&f->err, AIODB_EINVAL,
                          "the statement takes %zu argument%s but %zu %s given",
                          plan.nargs, plan.nargs == 1 ? "" : "s", nargs,
                          nargs == 1 ? "was" : "were");
  if (nrows && plan.nslots > SIZE_MAX / sizeof(aiodb_value) / 2 / nrows)
    return aiodb__err_set(&f->err, AIODB_ERANGE, "too many arguments");
  /* Only now, with the count known to match, is args read. */
  if (total > 0 && args == NULL)
    return aiodb__err_set(&f->err, AIODB_EINVAL,
                          "args is NULL but %zu values were promised", total);
  for (i = 0; i < total; i++) {
    if (!value_ok(&args[i]))
      return aiodb__err_set(&f->err, AIODB_EINVAL,
                            "argument %zu is not a valid aiodb_value", i + 1);
    if (args[i].type == AIODB_TYPE_TEXT || args[i].type == AIODB_TYPE_BLOB) {
      /* bytes stays at most SIZE_MAX / 4, so this never wraps */
      if (args[i].len >= SIZE_MAX / 4 - bytes)
        return aiodb__err_set(&f->err, AIODB_ERANGE, "arguments too large");
      bytes += args[i].len + 1;
    }
  }

  copies_off = nrows * plan.nslots * sizeof(aiodb_value);
  slots_off = copies_off + nargs * sizeof(aiodb_value);
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
  copies = (aiodb_value *)(void *)(f->buf + copies_off);
  slots = (uint32_t *)(void *)(f->buf + slots_off);
  if (hit) {
    memcpy(f->buf + sql_off, memo.out, plan.out_len);
    f->buf[sql_off + plan.out_len] = '\0';
    memcpy(slots, memo.slots, plan.nslots * sizeof *slots);
  } else {
    rc = aiodb__sql_rewrite(sql, len, (aiodb__dialect)drv->dialect,
                            (aiodb__pstyle)drv->pstyle, f->buf + sql_off, slots,
                            &plan, msg, sizeof msg);
    if (rc != 0) return aiodb__err_set(&f->err, rc, "%s", msg);
    memo_keep(drv, sql, len, &plan, f->buf + sql_off, slots);
  }

  p = f->buf + data_off;
  /* Without arguments there is nothing to copy, however many rows. */
  for (r = 0; nargs > 0 && r < nrows; r++) {
    const aiodb_value *row = args + r * nargs;
    for (i = 0; i < nargs; i++) {
      copies[i] = row[i];
      if (row[i].type == AIODB_TYPE_TEXT || row[i].type == AIODB_TYPE_BLOB) {
        if (row[i].len) memcpy(p, row[i].u.p, row[i].len);
        p[row[i].len] = '\0';
        copies[i].u.p = p;
        p += row[i].len + 1;
      }
    }
    for (i = 0; i < plan.nslots; i++)
      f->args[r * plan.nslots + i] = copies[slots[i]];
  }
  f->nargs = plan.nslots;
  f->nrows = nrows;
  f->sql = f->buf + sql_off;
  f->sql_len = plan.out_len;
  return 0;
}

/* Where a call goes: a db's pool, a pinned conn, a tx, or a cursor. */
typedef struct route {
  aiodb_db *db;
  aiodb_conn *conn;
  aiodb__pin *pin;
  aiodb_tx *tx;
  aiodb_cursor *cur;
} route;

static route on_db(aiodb_db *db) {
  route r = {db, NULL, NULL, NULL, NULL};
  return r;
}

static route on_conn(aiodb_conn *conn) {
  route r = {conn->db, conn, NULL, NULL, NULL};
  return r;
}

static route on_tx(aiodb_tx *tx) {
  route r = {tx->db, tx->conn, tx->pin, tx, NULL};
  return r;
}

static aiodb_future *new_job(route rt, aiodb__job_kind kind) {
  aiodb_future *f = aiodb__future_new(rt.db->cq, kind);
  if (f == NULL) return NULL;
  f->pin = rt.pin;
  f->tx = rt.tx;
  f->cur = rt.cur;
  return f;
}

/* A call on tx refused before it was queued (bad input) aborts the tx as a
 * failed statement does: the calls queued before it still run, those
 * after it and the commit fail with AIODB_ETXABORTED. */
static void tx_refused(aiodb_tx *tx, const aiodb__err *why) {
  unsigned seq;
  if (tx == NULL) return;
  pthread_mutex_lock(&tx->db->lock);
  seq = ++tx->seq;
  if (!tx->dropped) {
    tx->dropped = 1;
    tx->drop_seq = seq;
    tx->drop_err = *why;
  }
  pthread_mutex_unlock(&tx->db->lock);
}

/* Drops a future never submitted nor handed out (both its references). */
static void discard(aiodb_future *f) {
  if (f == NULL) return;
  aiodb__future_unref(f);
  aiodb__future_unref(f);
}

static aiodb_future *statement(route rt, aiodb__job_kind kind, const char *sql,
                               const aiodb_value *args, size_t nargs,
                               size_t nrows, const char *function,
                               const void *site) {
  aiodb_future *f = new_job(rt, kind);
  int rc;
  if (f == NULL) return NULL;
  rc = prepare_query(rt.db, f, sql, args, nargs, nrows);
  if (rc == 0 && kind == AIODB__JOB_MANY && nrows > 0 && args == NULL)
    rc = aiodb__err_set(&f->err, AIODB_EINVAL, "%s: rows is NULL but nrows is %zu",
                        function, nrows);
  if (rc != 0) {
    if (f->err.code == AIODB_EINVAL && sql == NULL)
      aiodb__err_set(&f->err, AIODB_EINVAL, "%s: sql is NULL", function);
    tx_refused(rt.tx, &f->err);
    aiodb__future_complete(f);
    return f;
  }
  return submit(rt.db, rt.conn, f, function, site);
}

#define SITE __builtin_return_address(0)

aiodb_future *aiodb_query(aiodb_db *db, const char *sql,
                          const aiodb_value *args, size_t nargs) {
  if (db == NULL) return NULL;
  return statement(on_db(db), AIODB__JOB_QUERY, sql, args, nargs, 1,
                   "aiodb_query", SITE);
}

aiodb_future *aiodb_conn_query(aiodb_conn *conn, const char *sql,
                               const aiodb_value *args, size_t nargs) {
  if (conn == NULL) return NULL;
  return statement(on_conn(conn), AIODB__JOB_QUERY, sql, args, nargs, 1,
                   "aiodb_conn_query", SITE);
}

aiodb_future *aiodb_tx_query(aiodb_tx *tx, const char *sql,
                             const aiodb_value *args, size_t nargs) {
  if (tx == NULL) return NULL;
  return statement(on_tx(tx), AIODB__JOB_QUERY, sql, args, nargs, 1,
                   "aiodb_tx_query", SITE);
}

aiodb_future *aiodb_query_many(aiodb_db *db, const char *sql,
                               const aiodb_value *rows, size_t nrows,
                               size_t ncols) {
  if (db == NULL) return NULL;
  return statement(on_db(db), AIODB__JOB_MANY, sql, rows, ncols, nrows,
                   "aiodb_query_many", SITE);
}

aiodb_future *aiodb_conn_query_many(aiodb_conn *conn, const char *sql,
                                    const aiodb_value *rows, size_t nrows,
                                    size_t ncols) {
  if (conn == NULL) return NULL;
  return statement(on_conn(conn), AIODB__JOB_MANY, sql, rows, ncols, nrows,
                   "aiodb_conn_query_many", SITE);
}

aiodb_future *aiodb_tx_query_many(aiodb_tx *tx, const char *sql,
                                  const aiodb_value *rows, size_t nrows,
                                  size_t ncols) {
  if (tx == NULL) return NULL;
  return statement(on_tx(tx), AIODB__JOB_MANY, sql, rows, ncols, nrows,
                   "aiodb_tx_query_many", SITE);
}

aiodb_future *aiodb__query(aiodb_db *db, const char *sql,
                           const aiodb_value *args, size_t nargs,
                           const char *function, const void *call_site) {
  return statement(on_db(db), AIODB__JOB_QUERY, sql, args, nargs, 1, function,
                   call_site);
}

static aiodb_future *run_on(route rt, aiodb_run_fn fn, void *ud,
                            const char *function, const void *site) {
  aiodb_future *f = new_job(rt, AIODB__JOB_RUN);
  if (f == NULL) return NULL;
  if (fn == NULL) {
    aiodb__err_set(&f->err, AIODB_EINVAL, "%s: fn is NULL", function);
    tx_refused(rt.tx, &f->err);
    aiodb__future_complete(f);
    return f;
  }
  f->fn = fn;
  f->fn_ud = ud;
  return submit(rt.db, rt.conn, f, function, site);
}

aiodb_future *aiodb_run(aiodb_conn *conn, aiodb_run_fn fn, void *ud) {
  if (conn == NULL) return NULL;
  return run_on(on_conn(conn), fn, ud, "aiodb_run", SITE);
}

aiodb_future *aiodb_db_run(aiodb_db *db, aiodb_run_fn fn, void *ud) {
  if (db == NULL) return NULL;
  return run_on(on_db(db), fn, ud, "aiodb_db_run", SITE);
}

aiodb_future *aiodb_tx_run(aiodb_tx *tx, aiodb_run_fn fn, void *ud) {
  if (tx == NULL) return NULL;
  return run_on(on_tx(tx), fn, ud, "aiodb_tx_run", SITE);
}

aiodb_future *aiodb_acquire(aiodb_db *db) {
  aiodb_future *f;
  if (db == NULL) return NULL;
  f = aiodb__future_new(db->cq, AIODB__JOB_ACQUIRE);
  if (f == NULL) return NULL;
  return submit(db, NULL, f, "aiodb_acquire", SITE);
}

void aiodb_release(aiodb_conn *conn) {
  aiodb_db *db;
  if (conn == NULL) return;
  db = conn->db;
  pthread_mutex_lock(&db->lock);
  conn->pinned = 0;
  if (conn->holder != NULL) atomic_store(&conn->holder->held, 0);
  conn->holder = NULL;
  wake_conn_locked(conn);
  pthread_mutex_unlock(&db->lock);
}

void aiodb__acquire_freed(aiodb_future *f, const void *call_site) {
  aiodb_db *db = f->db;
  aiodb_conn *c;
  int handed = 0;
  /* Not pinned (never, or released, or its db freed, which may be gone):
   * nothing to give back. F_FREED is set: a worker that takes f from now
   * on pins nothing, and one that pinned it set held first. */
  if (db == NULL || !atomic_load(&f->held)) return;
  pthread_mutex_lock(&db->lock);
  c = f->conn;
  if (c != NULL && c->holder == f) {
    atomic_store(&f->held, 0);
    c->holder = NULL;
    c->pinned = 0;
    wake_conn_locked(c);
    handed = (atomic_load(&f->flags) & AIODB__F_HANDED) != 0;
  }
  pthread_mutex_unlock(&db->lock);
  if (handed)
    aiodb__diag(AIODB_DIAG_MISUSE, "aiodb_future_free", call_site,
                "aiodb_future_free: the connection this aiodb_acquire pinned "
                "was never released; it goes back to the pool now (call "
                "aiodb_release first)");
}

aiodb_db *aiodb_conn_db(aiodb_conn *conn) { return conn ? conn->db : NULL; }

/* ---- transactions ---- */

static aiodb_tx *tx_new(aiodb_db *db, aiodb_tx *parent, aiodb_conn *conn,
                        const char *function, const void *site) {
  aiodb_tx *tx = aiodb__calloc(1, sizeof *tx);
  aiodb_future *f;
  if (tx == NULL) return NULL;
  tx->db = db;
  tx->parent = parent;
  tx->root = parent ? parent->root : tx;
  aiodb__q_init(&tx->own_pin.pending);
  aiodb__q_init(&tx->link);
  tx->refs = 1;
  if (parent) {
    tx->pin = parent->pin;
    tx->conn = parent->conn;
    tx->savepoint = 1;
  } else if (conn) {
    tx->conn = conn;
    tx->savepoint = db->force_rollback;
  } else {
    tx->pin = &tx->own_pin;
    tx->owns_pin = 1;
    tx->savepoint = db->force_rollback;
  }
  pthread_mutex_lock(&db->lock);
  tx->id = db->next_tx++;
  aiodb__q_push(&db->txs, &tx->link);
  if (parent) parent->refs++;
  pthread_mutex_unlock(&db->lock);

  /* BEGIN (or SAVEPOINT) goes first; its outcome is the tx's to report.
   * The end's job is made now: ending a tx must not fail for want of
   * memory, or its connection would stay pinned with the tx open. */
  f = new_job(on_tx(tx), AIODB__JOB_TX_BEGIN);
  if (f != NULL) tx->end = new_job(on_tx(tx), AIODB__JOB_TX_END);
  if (tx->end == NULL) {
    discard(f);
    pthread_mutex_lock(&db->lock);
    tx_unref_locked(tx);
    pthread_mutex_unlock(&db->lock);
    return NULL;
  }
  if (enqueue(db, tx->conn, f, function, site) != 0 && tx->owns_pin)
    pin_refused(db, &tx->own_pin, f);
  aiodb_future_free(f);
  return tx;
}

aiodb_tx *aiodb_begin(aiodb_db *db) {
  if (db == NULL) return NULL;
  return tx_new(db, NULL, NULL, "aiodb_begin", SITE);
}

aiodb_tx *aiodb_conn_begin(aiodb_conn *conn) {
  if (conn == NULL) return NULL;
  return tx_new(conn->db, NULL, conn, "aiodb_conn_begin", SITE);
}

aiodb_tx *aiodb_tx_begin(aiodb_tx *parent) {
  if (parent == NULL) return NULL;
  return tx_new(parent->db, parent, NULL, "aiodb_tx_begin", SITE);
}

static aiodb_future *tx_end(aiodb_tx *tx, int op, const char *function,
                            const void *site) {
  aiodb_db *db = tx->db;
  aiodb_future *f = tx->end;
  tx->end = NULL;
  f->end_op = op;
  submit(db, tx->conn, f, function, site);
  /* The caller's reference goes; the end job holds its own. */
  pthread_mutex_lock(&db->lock);
  tx_unref_locked(tx);
  pthread_mutex_unlock(&db->lock);
  return f;
}

aiodb_future *aiodb_commit(aiodb_tx *tx) {
  if (tx == NULL) return NULL;
  return tx_end(tx, AIODB__END_COMMIT, "aiodb_commit", SITE);
}

aiodb_future *aiodb_rollback(aiodb_tx *tx) {
  if (tx == NULL) return NULL;
  return tx_end(tx, AIODB__END_ROLLBACK, "aiodb_rollback", SITE);
}

void aiodb_tx_free(aiodb_tx *tx) {
  if (tx == NULL) return;
  aiodb_future_free(tx_end(tx, AIODB__END_ROLLBACK, "aiodb_tx_free", SITE));
}

/* ---- cursors ---- */

static aiodb_cursor *iterate(route rt, const char *sql, const aiodb_value *args,
                             size_t nargs, size_t batch, const char *function,
                             const void *site) {
  aiodb_db *db = rt.db;
  aiodb_cursor *c;
  aiodb_future *f;

  if (sql == NULL) return NULL;
  c = aiodb__calloc(1, sizeof *c);
  if (c == NULL) return NULL;
  c->db = db;
  c->batch = batch ? batch : DEFAULT_BATCH;
  c->refs = 1;
  aiodb__q_init(&c->own_pin.pending);
  aiodb__q_init(&c->link);
  if (rt.conn) {
    c->conn = rt.conn;
  } else {
    c->pin = &c->own_pin;
  }
  pthread_mutex_lock(&db->lock);
  aiodb__q_push(&db->cursors, &c->link);
  pthread_mutex_unlock(&db->lock);

  rt.pin = c->pin;
  rt.cur = c;
  /* The close's job too: a free must not fail for want of memory, or the
   * connection would stay pinned. */
  f = new_job(rt, AIODB__JOB_CUR_OPEN);
  if (f != NULL) c->close_job = new_job(rt, AIODB__JOB_CUR_CLOSE);
  if (c->close_job == NULL) {
    discard(f);
    pthread_mutex_lock(&db->lock);
    cursor_unref_locked(c);
    pthread_mutex_unlock(&db->lock);
    return NULL;
  }
  if (prepare_query(db, f, sql, args, nargs, 1) != 0) {
    /* Bad input: every batch reports it, and no connection is pinned. */
    c->bad = 1;
    c->bad_err = f->err;
    if (c->pin) pin_refused(db, c->pin, f);
    aiodb__future_complete(f);
  } else if (enqueue(db, rt.conn, f, function, site) != 0 && c->pin) {
    pin_refused(db, c->pin, f);
  }
  aiodb_future_free(f);
  return c;
}

aiodb_cursor *aiodb_iterate(aiodb_db *db, const char *sql,
                            const aiodb_value *args, size_t nargs,
                            size_t batch_rows) {
  if (db == NULL) return NULL;
  return iterate(on_db(db), sql, args, nargs, batch_rows, "aiodb_iterate",
                 SITE);
}

aiodb_cursor *aiodb_conn_iterate(aiodb_conn *conn, const char *sql,
                                 const aiodb_value *args, size_t nargs,
                                 size_t batch_rows) {
  if (conn == NULL) return NULL;
  return iterate(on_conn(conn), sql, args, nargs, batch_rows,
                 "aiodb_conn_iterate", SITE);
}

static route on_cursor(aiodb_cursor *c) {
  route r = {c->db, c->conn, c->pin, NULL, c};
  return r;
}

aiodb_future *aiodb_cursor_next(aiodb_cursor *cur) {
  aiodb_future *f;
  if (cur == NULL) return NULL;
  f = new_job(on_cursor(cur), AIODB__JOB_CUR_NEXT);
  if (f == NULL) return NULL;
  if (cur->bad) { /* bad input found at aiodb_iterate */
    f->err = cur->bad_err;
    aiodb__future_complete(f);
    return f;
  }
  return submit(cur->db, cur->conn, f, "aiodb_cursor_next", SITE);
}

void aiodb_cursor_free(aiodb_cursor *cur) {
  aiodb_db *db;
  aiodb_future *f;
  if (cur == NULL) return;
  db = cur->db;
  f = cur->close_job;
  cur->close_job = NULL;
  submit(db, cur->conn, f, "aiodb_cursor_free", SITE);
  aiodb_future_free(f);
  pthread_mutex_lock(&db->lock);
  cursor_unref_locked(cur);
  pthread_mutex_unlock(&db->lock);
}

/* ---- cancel and deadlines ---- */

/* An interrupt can stop nothing: it reached the server before the
 * statement did (between a prepare and its execution, or overtaking it on
 * a lossy link), or it cannot reach the server at all (a dead link, a hung
 * server). So a statement still running after its interrupt is interrupted
 * again every INTERRUPT_REPEAT_MS, and once INTERRUPT_GIVE_UP interrupts
 * went unanswered its connection is given up (as the close watch does):
 * the statement fails at once, and the connection is replaced. */
#define INTERRUPT_REPEAT_MS 1000
#define INTERRUPT_GIVE_UP 4

/* The jobs a caller may cancel or time out: never the ends of a tx or a
 * cursor (which give a connection back), nor the library's own. */
static int abortable(const aiodb_future *f) {
  return is_statement(f) || f->kind == AIODB__JOB_RUN ||
         f->kind == AIODB__JOB_ACQUIRE;
}

/* The close watch: close_timeout_ms after aiodb_close, and again every
 * close_timeout_ms, each connection that began no call since the last look
 * (stuck in connect, or in one statement on a server that stopped
 * answering) is abandoned: its socket is shut down, and its driver call
 * fails at once. Runs on the timer thread; never blocks. */
static void close_watch(aiodb_future *f) {
  aiodb_db *db = f->db;
  aiodb__qnode *n;
  int live = 0;
  pthread_mutex_lock(&db->lock);
  for (n = db->conns.next; n != &db->conns; n = n->next) {
    aiodb_conn *c = aiodb__q_data(n, aiodb_conn, link);
    if (c->quit) continue;
    if (c->calls == c->watch_calls) abandon_locked(c);
    c->watch_calls = c->calls;
    live++;
  }
  pthread_mutex_unlock(&db->lock);
  if (live && !aiodb_future_done(f)) aiodb__timer_add(f, db->close_timeout_ms);
}

int aiodb__job_abort(aiodb_future *f, int code) {
  aiodb_db *db = f->db;
  if (f->kind == AIODB__JOB_CLOSE && code == AIODB_ETIMEDOUT && db != NULL &&
      !aiodb_future_done(f)) {
    close_watch(f);
    return 0;
  }
  if (aiodb_future_done(f) || db == NULL || !abortable(f)) return AIODB_EBUSY;
  pthread_mutex_lock(&db->lock);
  switch (f->state) {
    case AIODB__JS_QUEUED:
      if (f->tx != NULL && (!f->tx->dropped || f->tx_seq < f->tx->drop_seq)) {
        f->tx->dropped = 1;
        f->tx->drop_seq = f->tx_seq;
        aiodb__err_set(&f->tx->drop_err, code,
                       "a statement of this transaction was %s before it ran",
                       code == AIODB_ETIMEDOUT ? "timed out" : "canceled");
      }
      aiodb__q_remove(&f->node);
      job_detach_locked(f);
      f->state = AIODB__JS_FINISHED;
      pthread_mutex_unlock(&db->lock);
      if (code == AIODB_ETIMEDOUT)
        aiodb__future_fail(f, code, "the deadline passed before it ran");
      else
        aiodb__future_fail(f, code, "canceled before it ran");
      return 0;
    case AIODB__JS_RUNNING: {
      aiodb_conn *c = f->running_on;
      /* Only a statement can be interrupted; a running aiodb_run function
       * is the caller's own code (and in a child, nothing runs). */
      if (!is_statement(f) || db->driver->interrupt == NULL || inherited(db)) {
        pthread_mutex_unlock(&db->lock);
        return AIODB_EBUSY;
      }
      /* The first abort names the outcome; the later ones (the repeats
       * below, a cancel after a deadline) only interrupt again. */
      if (!(atomic_load(&f->flags) & (AIODB__F_TIMEDOUT | AIODB__F_CANCEL)))
        atomic_fetch_or(&f->flags, code == AIODB_ETIMEDOUT ? AIODB__F_TIMEDOUT
                                                           : AIODB__F_CANCEL);
      if (++f->interrupts >= INTERRUPT_GIVE_UP && c->sock >= 0)
        abandon_locked(c);
      else
        db->driver->interrupt(c->native);
      pthread_mutex_unlock(&db->lock);
      /* Does nothing while a deadline of f's is pending: it repeats then. */
      aiodb__timer_add(f, INTERRUPT_REPEAT_MS);
      return 0;
    }
    default:
      pthread_mutex_unlock(&db->lock);
      return AIODB_EBUSY;
  }
}

int aiodb_future_cancel(aiodb_future *f) {
  if (f == NULL) return AIODB_EINVAL;
  return aiodb__job_abort(f, AIODB_ECANCELED);
}

/* ---- metadata ---- */

aiodb_future *aiodb_table_names(aiodb_db *db) {
  if (db == NULL) return NULL;
  return statement(on_db(db), AIODB__JOB_QUERY, db->driver->sql_table_names,
                   NULL, 0, 1, "aiodb_table_names", SITE);
}

aiodb_future *aiodb_has_table(aiodb_db *db, const char *name) {
  aiodb_value v = aiodb_text(name);
  aiodb_future *f;
  if (db == NULL) return NULL;
  if (name == NULL) {
    f = aiodb__future_new(db->cq, AIODB__JOB_NONE);
    if (f) aiodb__future_fail(f, AIODB_EINVAL, "aiodb_has_table: name is NULL");
    return f;
  }
  return statement(on_db(db), AIODB__JOB_QUERY, db->driver->sql_has_table, &v,
                   1, 1, "aiodb_has_table", SITE);
}

aiodb_future *aiodb_server_info(aiodb_db *db) {
  aiodb_value v[2];
  if (db == NULL) return NULL;
  v[0] = aiodb_text(db->driver->client_version());
  v[1] = aiodb_text(aiodb_version());
  return statement(on_db(db), AIODB__JOB_QUERY, db->driver->sql_server_info, v,
                   2, 1, "aiodb_server_info", SITE);
}

/* ---- open, close, free ---- */

static int core_options(aiodb__url *url, const aiodb_options *o,
                        const aiodb__driver *drv, aiodb_db *db,
                        aiodb_error *err) {
  unsigned long v;
  const char *s;
  int b;

  db->min_size = 1;
  db->max_size = drv->default_max_size ? drv->default_max_size : 1;
  db->stack_size = DEFAULT_STACK;
  db->statement_cache = DEFAULT_STATEMENT_CACHE;
  db->pipeline = DEFAULT_PIPELINE;
  db->close_timeout_ms = DEFAULT_CLOSE_TIMEOUT_MS;
  if ((s = aiodb__url_opt(url, "max_size")) != NULL) {
    if (aiodb__parse_uint("max_size", s, 1, MAX_POOL, &v, err)) return AIODB_EINVAL;
    db->max_size = (unsigned)v;
  }
  if ((s = aiodb__url_opt(url, "min_size")) != NULL) {
    if (aiodb__parse_uint("min_size", s, 0, MAX_POOL, &v, err)) return AIODB_EINVAL;
    db->min_size = (unsigned)v;
  }
  if ((s = aiodb__url_opt(url, "stack_size")) != NULL) {
    if (aiodb__parse_uint("stack_size", s, 16384, MAX_STACK, &v, err))
      return AIODB_EINVAL;
    db->stack_size = v;
  }
  if ((s = aiodb__url_opt(url, "timeout_ms")) != NULL) {
    if (aiodb__parse_uint("timeout_ms", s, 0, INT_MAX, &v, err)) return AIODB_EINVAL;
    db->timeout_ms = (int)v;
  }
  if ((s = aiodb__url_opt(url, "close_timeout_ms")) != NULL) {
    if (aiodb__parse_uint("close_timeout_ms", s, 0, INT_MAX, &v, err))
      return AIODB_EINVAL;
    db->close_timeout_ms = (int)v;
  }
  if ((s = aiodb__url_opt(url, "statement_cache")) != NULL) {
    if (aiodb__parse_uint("statement_cache", s, 0, 100000, &v, err))
      return AIODB_EINVAL;
    db->statement_cache = (unsigned)v;
  }
  if ((s = aiodb__url_opt(url, "spin_us")) != NULL) {
    if (aiodb__parse_uint("spin_us", s, 0, 1000, &v, err)) return AIODB_EINVAL;
    db->spin_us = (unsigned)v;
  }
  if ((s = aiodb__url_opt(url, "pipeline")) != NULL) {
    if (aiodb__parse_uint("pipeline", s, 0, MAX_PIPELINE, &v, err))
      return AIODB_EINVAL;
    db->pipeline = (unsigned)v;
  }
  if ((s = aiodb__url_opt(url, "worker_nice")) != NULL) {
    if (aiodb__parse_uint("worker_nice", s, 0, 19, &v, err)) return AIODB_EINVAL;
    db->worker_nice = (unsigned)v;
  }
  if ((s = aiodb__url_opt(url, "worker_slice_us")) != NULL) {
    if (aiodb__parse_uint("worker_slice_us", s, 0, 100000, &v, err))
      return AIODB_EINVAL;
    db->worker_slice_us = (unsigned)v;
  }
  if ((s = aiodb__url_opt(url, "force_rollback")) != NULL) {
    if (aiodb__parse_bool("force_rollback", s, &b, err)) return AIODB_EINVAL;
    db->force_rollback = b;
  }
  if (o) {
    if (o->max_size > MAX_POOL)
      return aiodb__error_set(err, AIODB_EINVAL,
                              "max_size must be at most %d", MAX_POOL);
    if (o->statement_cache > 100000)
      return aiodb__error_set(err, AIODB_EINVAL,
                              "statement_cache must be at most 100000");
    if (o->timeout_ms < 0)
      return aiodb__error_set(err, AIODB_EINVAL, "timeout_ms must not be negative");
    if (o->busy_timeout_ms < 0)
      return aiodb__error_set(err, AIODB_EINVAL,
                              "busy_timeout_ms must not be negative");
    if (o->stack_size > MAX_STACK)
      return aiodb__error_set(err, AIODB_EINVAL, "stack_size must be at most %lu",
                              (unsigned long)MAX_STACK);
    if (o->reserved[0] || o->reserved[1] || o->reserved[2])
      return aiodb__error_set(err, AIODB_EINVAL, "reserved fields must be zero");
    if (o->close_timeout_ms < 0)
      return aiodb__error_set(err, AIODB_EINVAL,
                              "close_timeout_ms must not be negative");
    if (o->close_timeout_ms) db->close_timeout_ms = o->close_timeout_ms;
    if (o->spin_us > 1000)
      return aiodb__error_set(err, AIODB_EINVAL, "spin_us must be at most 1000");
    if (o->pipeline > MAX_PIPELINE)
      return aiodb__error_set(err, AIODB_EINVAL, "pipeline must be at most %u",
                              MAX_PIPELINE);
    if (o->worker_nice > 19)
      return aiodb__error_set(err, AIODB_EINVAL, "worker_nice must be at most 19");
    if (o->worker_slice_us > 100000)
      return aiodb__error_set(err, AIODB_EINVAL,
                              "worker_slice_us must be at most 100000");
    if (o->worker_nice) db->worker_nice = o->worker_nice;
    if (o->worker_slice_us) db->worker_slice_us = o->worker_slice_us;
    if (o->spin_us) db->spin_us = o->spin_us;
    if (o->pipeline) db->pipeline = o->pipeline;
    if (o->max_size) db->max_size = o->max_size;
    if (o->min_size) db->min_size = o->min_size;
    if (o->stack_size) db->stack_size = o->stack_size;
    if (o->timeout_ms) db->timeout_ms = o->timeout_ms;
    if (o->statement_cache) db->statement_cache = o->statement_cache;
    if (o->force_rollback) db->force_rollback = 1;
  }
  if (db->min_size > db->max_size)
    return aiodb__error_set(err, AIODB_EINVAL,
                            "min_size (%u) is larger than max_size (%u)",
                            db->min_size, db->max_size);
  /* One transaction spans the whole db: it lives on one connection. */
  if (db->force_rollback) db->min_size = db->max_size = 1;
  if (db->stack_size < (size_t)PTHREAD_STACK_MIN)
    db->stack_size = (size_t)PTHREAD_STACK_MIN;
  return 0;
}

/* The core's options, then the driver's (db->driver_cfg), and no option
 * left that neither knows. On failure db->driver_cfg may be set. */
static int configure(aiodb__url *u, const aiodb_options *opts, aiodb_db *db,
                     aiodb_error *err) {
  const aiodb__kv *kv;
  int rc;

  if ((rc = core_options(u, opts, db->driver, db, err)) != 0 ||
      (rc = db->driver->configure(u, opts, &db->driver_cfg, err)) != 0)
    return rc;
  if ((kv = aiodb__url_unused(u)) != NULL)
    return aiodb__url_unknown_option(u, kv, db->driver->name, err);
  return 0;
}

int aiodb__open_check(const char *url, const aiodb_options *opts,
                      aiodb_error *err) {
  aiodb__url u;
  aiodb_db db;
  aiodb_error own;
  int rc;

  if (err == NULL) err = &own;
  aiodb__error_clear(err);
  if (url == NULL)
    return aiodb__error_set(err, AIODB_EINVAL, "aiodb_open: url is NULL");
  if ((rc = aiodb__url_parse(url, &u, err)) != 0) return rc;
  memset(&db, 0, sizeof db);
  if ((db.driver = aiodb__driver_find(u.scheme, err)) == NULL)
    rc = err->code;
  else
    rc = configure(&u, opts, &db, err);
  if (db.driver_cfg) db.driver->free_config(db.driver_cfg);
  aiodb__url_free(&u);
  return rc;
}

aiodb_db *aiodb_open(const char *url, const aiodb_options *opts,
                     aiodb_error *err) {
  aiodb__url u;
  aiodb_db *db;
  const aiodb__driver *drv;
  unsigned i;
  int rc;

  aiodb__error_clear(err);
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
  aiodb__q_init(&db->txs);
  aiodb__q_init(&db->cursors);
  if (configure(&u, opts, db, err) != 0) goto fail;
  aiodb__url_free(&u);

  if (opts && opts->cq) {
    db->cq = opts->cq;
    aiodb__cq_ref(db->cq);
  } else if ((db->cq = aiodb_cq_new()) != NULL) {
    db->own_cq = 1;
    aiodb_cq_set_spin(db->cq, db->spin_us);
  } else {
    /* aiodb_cq_new fails for want of memory or of a descriptor. */
    int e = errno;
    if (e == ENOMEM)
      aiodb__error_set(err, AIODB_ENOMEM,
                       "out of memory for a completion queue");
    else
      aiodb__error_set(err, AIODB_ESYS, "cannot create a completion queue: %s",
                       strerror(e));
    drv->free_config(db->driver_cfg);
    aiodb__free(db);
    return NULL;
  }
  db->close_spare = aiodb__future_new(db->cq, AIODB__JOB_CLOSE);
  if (db->close_spare == NULL) {
    aiodb__error_set(err, AIODB_ENOMEM, "out of memory");
    if (db->own_cq)
      aiodb_cq_free(db->cq);
    else
      aiodb__cq_unref(db->cq);
    drv->free_config(db->driver_cfg);
    aiodb__free(db);
    return NULL;
  }
  pthread_mutex_init(&db->lock, NULL);
  pthread_once(&atfork_once, atfork_install);
  pthread_mutex_lock(&registry_lock);
  db->fork_gen = atomic_load(&fork_gen);
  aiodb__q_push(&registry, &db->reg);
  pthread_mutex_unlock(&registry_lock);
  aiodb__timer_db_opened();
  pthread_mutex_lock(&db->lock);
  for (i = 0, rc = 0; i < db->min_size; i++) {
    if ((rc = spawn_locked(db)) != 0) break;
  }
  pthread_mutex_unlock(&db->lock);
  if (i < db->min_size) {
    if (rc == AIODB_ENOMEM)
      aiodb__error_set(err, AIODB_ENOMEM, "out of memory for a connection");
    else
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
  /* The first close takes the future made with the db: aiodb_db_free
   * always closes, memory or not. */
  pthread_mutex_lock(&db->lock);
  f = db->close_spare;
  db->close_spare = NULL;
  pthread_mutex_unlock(&db->lock);
  if (f == NULL) f = aiodb__future_new(db->cq, AIODB__JOB_CLOSE);
  if (f == NULL) return NULL;
  if (inherited(db)) {
    aiodb__future_fail(f, AIODB_EALREADYQUIT, INHERITED_MSG);
    return f;
  }
  pthread_mutex_lock(&db->lock);
  if (db->closing) {
    pthread_mutex_unlock(&db->lock);
    aiodb__future_complete(f);
    return f;
  }
  db->closing = 1;
  now = db->nlive == 0;
  if (!now) {
    f->db = db;
    db->close_future = f;
    for (n = db->conns.next; n != &db->conns; n = n->next) {
      aiodb_conn *c = aiodb__q_data(n, aiodb_conn, link);
      c->watch_calls = c->calls;
      wake_conn_locked(c);
    }
  }
  pthread_mutex_unlock(&db->lock);
  if (now)
    aiodb__future_complete(f);
  else if (db->close_timeout_ms > 0)
    aiodb__timer_add(f, db->close_timeout_ms); /* the close watch */
  return f;
}

/* Transactions and cursors the caller never ended die with the db, with
 * the jobs that would have ended them. */
static void free_handles(aiodb_db *db) {
  aiodb__qnode *n;
  while ((n = aiodb__q_pop(&db->txs)) != NULL) {
    aiodb_tx *tx = aiodb__q_data(n, aiodb_tx, link);
    discard(tx->end);
    aiodb__free(tx);
  }
  while ((n = aiodb__q_pop(&db->cursors)) != NULL) {
    aiodb_cursor *c = aiodb__q_data(n, aiodb_cursor, link);
    discard(c->close_job);
    aiodb__free(c);
  }
}


/* aiodb_db_free in a forked child: the workers and connections are the
 * parent's, so nothing joins or calls a driver (that would end the
 * parent's sessions). The child's copies of the jobs still queued or
 * running fail with AIODB_EALREADYQUIT, and the memory that is only the
 * child's goes; the drivers' own handles are left as they are. */
/* Moves f onto orphans with why; what it holds is freed wholesale. */
static void drop_inherited(aiodb_future *f, aiodb__qnode *orphans,
                           const aiodb__err *why) {
  f->counted = 0;
  f->state = AIODB__JS_FINISHED;
  f->err = *why;
  aiodb__q_push(orphans, &f->node);
}

static void drop_all_inherited(aiodb__qnode *q, aiodb__qnode *orphans,
                               const aiodb__err *why) {
  aiodb__qnode *n;
  while ((n = aiodb__q_pop(q)) != NULL)
    drop_inherited(aiodb__q_data(n, aiodb_future, node), orphans, why);
}

static void free_inherited(aiodb_db *db) {
  aiodb__qnode orphans, *n;
  aiodb__err why;
  aiodb__q_init(&orphans);
  aiodb__err_set(&why, AIODB_EALREADYQUIT, INHERITED_MSG);
  drop_all_inherited(&db->shared, &orphans, &why);
  for (n = db->conns.next; n != &db->conns; n = n->next) {
    aiodb_conn *c = aiodb__q_data(n, aiodb_conn, link);
    size_t i;
    drop_all_inherited(&c->own, &orphans, &why);
    if (c->running != NULL) drop_inherited(c->running, &orphans, &why);
    for (i = 0; c->batching && i < c->batch->n; i++)
      if (c->batch->f[i]->state == AIODB__JS_SENT)
        drop_inherited(c->batch->f[i], &orphans, &why);
  }
  for (n = db->txs.next; n != &db->txs; n = n->next)
    drop_all_inherited(&aiodb__q_data(n, aiodb_tx, link)->own_pin.pending,
                       &orphans, &why);
  for (n = db->cursors.next; n != &db->cursors; n = n->next)
    drop_all_inherited(&aiodb__q_data(n, aiodb_cursor, link)->own_pin.pending,
                       &orphans, &why);
  fail_all(&orphans);
  while ((n = aiodb__q_pop(&db->conns)) != NULL)
    conn_free(aiodb__q_data(n, aiodb_conn, link));
  free_handles(db);
  discard(db->close_spare);
  pthread_mutex_lock(&registry_lock);
  aiodb__q_remove(&db->reg);
  pthread_mutex_unlock(&registry_lock);
  aiodb__timer_db_closed();
  if (db->own_cq)
    aiodb_cq_free(db->cq);
  else
    aiodb__cq_unref(db->cq);
  aiodb__free(db);
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
  if (inherited(db)) {
    free_inherited(db);
    return;
  }
  f = aiodb_close(db);
  /* No worker is spawned once closing, so the list is stable now; it stays
   * whole while they are joined, for the close watch to look at, and is
   * freed once the watch is done with this db. */
  for (n = db->conns.next; n != &db->conns; n = n->next)
    pthread_join(aiodb__q_data(n, aiodb_conn, link)->thread, NULL);
  aiodb_future_free(f);
  aiodb__timer_quiesce(db);
  while ((n = aiodb__q_pop(&db->conns)) != NULL)
    conn_free(aiodb__q_data(n, aiodb_conn, link));
  pthread_mutex_lock(&registry_lock);
  aiodb__q_remove(&db->reg);
  pthread_mutex_unlock(&registry_lock);
  aiodb__timer_db_closed();
  free_handles(db);
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

void aiodb_db_stats(const aiodb_db *db, uint64_t *batches, uint64_t *batched) {
  if (batches) *batches = db ? atomic_load(&db->batches) : 0;
  if (batched) *batched = db ? atomic_load(&db->batched) : 0;
}

const char *aiodb_db_driver(const aiodb_db *db) {
  return db ? db->driver->name : NULL;
}

const char *aiodb_param_style(const aiodb_db *db) {
  return db ? db->driver->param_style : NULL;
}
