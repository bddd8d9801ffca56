/* Read replicas: the read-only view that aiodb_replica() gives. The view
 * is a db of its own (pool, queues, lock), reporting to its primary's cq,
 * whose connections each open on one replica: the one with the fewest of
 * the view's connections among those up, in turn (lib/worker.c calls
 * aiodb__replica_connect instead of the driver's connect), so that the
 * calls spread over the replicas; and a call goes to the view's idle
 * connections in turn (aiodb__replica_assign_locked, from lib/submit.c),
 * or to the pool's queue when none is idle.
 *
 * A replica whose connect fails, or on which a connection broke, is down
 * for a backoff (BACKOFF_FIRST_MS, doubling up to BACKOFF_MAX_MS): a
 * connect tries the others first, and it only when they all fail. Once it
 * is due, one connection of a busier replica leaves the pool between two
 * jobs (its replacement started at once) and the new one opens on it: a
 * replica that comes back gets work again. One such move at a time.
 *
 * Read-only is the server's to enforce: the driver opens a SQLite file
 * read-only (read_only) and makes a server's session read-only at connect
 * (sql_read_only); a write then fails with the server's own error, which
 * every driver maps to AIODB_EREADONLY.
 *
 * Locking (lib/db.h): the replicas' state and each connection's replica
 * are guarded by the view's lock, taken with no other lock held; nothing
 * here blocks under it. A close of the primary is done once the primary's
 * workers and the view's have all quit: close_parts counts the two. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "conn.h"
#include "db.h"
#include "diag.h"
#include "driver.h"
#include "fork.h"
#include "future.h"
#include "interrupter.h"
#include "job.h"
#include "pool.h"
#include "replica.h"

#define MAX_REPLICAS 16
#define BACKOFF_FIRST_MS 500
#define BACKOFF_MAX_MS 30000
#define LOOK_EVERY_MS 100 /* at most this often a view looks for a move */

typedef struct replica {
  void *cfg;                /* its driver config, until intr takes it */
  aiodb__interrupter *intr; /* for a driver with interrupt_send */
  int down;                 /* locked: its connect failed or a conn broke */
  unsigned fails;           /* locked: downs in a row */
  int64_t retry_ns;         /* locked: when down, tried again from then */
} replica;

struct aiodb__replicas {
  const aiodb__driver *drv;
  aiodb_db *primary;
  unsigned n;
  unsigned turn;            /* locked: where the next pick starts */
  int moving;               /* locked: a connection left for a replica
                               due again, its replacement not connected */
  int64_t next_look_ns;     /* locked: the next look for a move */
  atomic_int close_parts;   /* the primary's close: parts not yet done */
  aiodb_future *close_f;    /* its future, completed by the last part */
  replica r[MAX_REPLICAS];
};

static int64_t now_ns(void) {
  struct timespec t;
#if defined(CLOCK_MONOTONIC_COARSE)
  clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
#else
  clock_gettime(CLOCK_MONOTONIC, &t);
#endif
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* ---- configuring ---- */

/* msg (cap bytes, a string) becomes head + msg + tail, cut to fit. */
static void wrap(char *msg, size_t cap, const char *head, const char *tail) {
  size_t hl = strlen(head), ml = strnlen(msg, cap - 1), tl = strlen(tail);
  if (hl > cap - 1) hl = cap - 1;
  if (hl + ml > cap - 1) ml = cap - 1 - hl;
  if (hl + ml + tl > cap - 1) tl = cap - 1 - hl - ml;
  memmove(msg + hl, msg, ml);
  memcpy(msg, head, hl);
  memcpy(msg + hl + ml, tail, tl);
  msg[hl + ml + tl] = '\0';
}

/* err, filled by a call about replica i, gets "replica i: " before its
 * message (and hint after). Returns the code. */
static int name_replica(aiodb_error *err, size_t i, const char *hint) {
  char head[32];
  snprintf(head, sizeof head, "replica %zu: ", i + 1);
  wrap(err->message, sizeof err->message, head, hint);
  return err->code;
}

static int configure_one(const aiodb_db *db, const char *url, size_t i,
                         const aiodb_options *opts, replica *r,
                         aiodb_error *err) {
  const aiodb__driver *drv = db->driver, *found;
  const aiodb__kv *kv;
  aiodb__url u;
  size_t n;
  int rc = 0;

  if (url == NULL)
    return aiodb__error_set(err, AIODB_EINVAL, "replicas[%zu] is NULL", i);
  if (aiodb__url_parse(url, &u, err) != 0) return name_replica(err, i, "");
  n = strcspn(u.scheme, "+");
  found = aiodb__driver_find(u.scheme, NULL);
  if (found != drv) {
    /* the scheme is letters and the like, never a piece of a password */
    rc = aiodb__error_set(err, AIODB_EINVAL,
                          "replica %zu is a %.*s URL, but the db is %s: "
                          "every replica must be of the db's engine",
                          i + 1, (int)(n > 40 ? 40 : n), u.scheme, drv->name);
  } else if (drv->configure(&u, opts, &r->cfg, err) != 0) {
    rc = name_replica(err, i, "");
  } else if ((kv = aiodb__url_unused(&u)) != NULL) {
    aiodb__url_unknown_option(&u, kv, drv->name, err);
    rc = name_replica(err, i,
                      " (a replica URL takes its driver's options; the "
                      "pool's come from the db's URL)");
  } else if (drv->read_only != NULL && drv->read_only(r->cfg, err) != 0) {
    rc = name_replica(err, i, "");
  }
  aiodb__url_free(&u);
  return rc;
}

int aiodb__replicas_configure(aiodb__url *u, const aiodb_options *opts,
                              aiodb_db *db, aiodb_error *err) {
  const char *from_url[MAX_REPLICAS + 1];
  const char *const *urls = from_url;
  aiodb__replicas *rs;
  size_t i, n = 0;

  for (i = 0; i < u->nquery; i++) {
    if (strcmp(u->query[i].key, "replica") != 0) continue;
    u->query[i].used = 1;
    if (n <= MAX_REPLICAS) from_url[n] = u->query[i].value;
    n++;
  }
  if (opts != NULL && opts->nreplicas > 0) {
    if (opts->replicas == NULL)
      return aiodb__error_set(err, AIODB_EINVAL,
                              "replicas is NULL but nreplicas is %zu",
                              opts->nreplicas);
    urls = opts->replicas;
    n = opts->nreplicas;
  }
  if (n == 0) return 0;
  if (n > MAX_REPLICAS)
    return aiodb__error_set(err, AIODB_EINVAL,
                            "too many replicas: %zu (at most %d)", n,
                            MAX_REPLICAS);
  if (db->force_rollback)
    return aiodb__error_set(err, AIODB_EINVAL,
                            "replicas and force_rollback do not mix: the "
                            "db's writes are never committed, so no replica "
                            "would see them");
  rs = aiodb__calloc(1, sizeof *rs);
  if (rs == NULL) return aiodb__error_set(err, AIODB_ENOMEM, "out of memory");
  rs->drv = db->driver;
  rs->n = (unsigned)n;
  atomic_init(&rs->close_parts, 0);
  for (i = 0; i < n; i++) {
    if (configure_one(db, urls[i], i, opts, &rs->r[i], err) != 0) {
      aiodb__replicas_free(rs);
      return err->code;
    }
  }
  db->replicas = rs;
  return 0;
}

void aiodb__replicas_free(aiodb__replicas *rs) {
  unsigned i;
  if (rs == NULL) return;
  for (i = 0; i < rs->n; i++) {
    if (rs->r[i].intr != NULL)
      aiodb__interrupter_free(rs->r[i].intr); /* and its cfg */
    else
      rs->drv->free_config(rs->r[i].cfg);
  }
  aiodb__free(rs);
}

/* ---- opening ---- */

aiodb_db *aiodb__replica_open(aiodb_db *p, aiodb__replicas *rs,
                              aiodb_error *err) {
  aiodb_options o;
  aiodb_db *v;
  unsigned i;

  rs->primary = p;
  for (i = 0; i < rs->n; i++) {
    if (p->driver->interrupt_send != NULL &&
        (rs->r[i].intr = aiodb__interrupter_new(p->driver, rs->r[i].cfg)) == NULL)
      goto oom;
  }
  v = aiodb__db_new(p->driver, err);
  if (v == NULL) {
    aiodb__replicas_free(rs);
    return NULL;
  }
  v->replicas = rs;
  /* A connection for each replica, at least: they share the work. */
  v->max_size = p->max_size > rs->n ? p->max_size : rs->n;
  v->min_size = p->min_size == 0 ? 0 : p->min_size > rs->n ? p->min_size : rs->n;
  if (v->min_size > v->max_size) v->min_size = v->max_size;
  v->stack_size = p->stack_size;
  v->timeout_ms = p->timeout_ms;
  v->close_timeout_ms = p->close_timeout_ms;
  v->statement_cache = p->statement_cache;
  v->on_connect = p->on_connect;
  v->on_connect_ud = p->on_connect_ud;
  v->spin_us = p->spin_us;
  v->adaptive_spin = p->adaptive_spin;
  v->pipeline = p->pipeline;
  v->worker_nice = p->worker_nice;
  v->worker_slice_us = p->worker_slice_us;
  v->trace = p->trace;
  /* the pool's options; its state and counters are the view's own */
  v->pool.acquire_timeout_ms = p->pool.acquire_timeout_ms;
  v->pool.idle_timeout_ms = p->pool.idle_timeout_ms;
  v->pool.max_lifetime_ms = p->pool.max_lifetime_ms;
  v->pool.idle_check_ms = p->pool.idle_check_ms;
  v->pool.leak_detection_ms = p->pool.leak_detection_ms;
  memset(&o, 0, sizeof o);
  o.cq = p->cq;
  if (aiodb__db_start(v, &o, err) == NULL) {
    aiodb__replicas_free(rs);
    return NULL;
  }
  return v;
oom:
  aiodb__replicas_free(rs);
  aiodb__error_set(err, AIODB_ENOMEM, "out of memory");
  return NULL;
}

aiodb_db *aiodb_replica(aiodb_db *db) { return db ? db->view : NULL; }

/* ---- closing and freeing ---- */

static const aiodb__job_ops refused_ops = {0};

aiodb_future *aiodb__replica_refuse(aiodb_db *view, const char *function,
                                    const void *call_site) {
  aiodb_future *f = NULL;
  aiodb__diag(AIODB_DIAG_MISUSE, function, call_site,
              "%s on the view that aiodb_replica() returned; refused: the "
              "view is its db's, which closes and frees it",
              function);
  if (strcmp(function, "aiodb_close") == 0 &&
      (f = aiodb__future_new(view->cq, &refused_ops)) != NULL)
    aiodb__future_fail(f, AIODB_EINVAL,
                       "aiodb_close on a replica view: close its db instead");
  return f;
}

void aiodb__replica_closing_locked(aiodb_db *primary, aiodb_future *f) {
  aiodb__replicas *rs = primary->view->replicas;
  rs->close_f = f;
  atomic_store(&rs->close_parts, 2);
}

void aiodb__close_done(aiodb_db *db, aiodb_future *f) {
  aiodb__replicas *rs = db->replicas;
  if (rs == NULL && db->view != NULL) rs = db->view->replicas;
  /* The view's own close future is never the caller's. */
  if (rs == NULL || db->replicas != NULL) aiodb__future_complete(f);
  /* close_f was set before the view began to close (under both locks in
   * turn); none when the view closes alone, at a failed open. */
  if (rs != NULL && rs->close_f != NULL &&
      atomic_fetch_sub(&rs->close_parts, 1) == 1)
    aiodb__future_complete(rs->close_f);
}

void aiodb__replica_free(aiodb_db *view) {
  aiodb__replicas *rs = view->replicas;
  aiodb__db_free(view);
  aiodb__replicas_free(rs);
}

void aiodb__replica_free_inherited(aiodb_db *view) {
  aiodb__replicas *rs = view->replicas;
  aiodb__free_inherited(view);
  aiodb__free(rs); /* the drivers' own memory is left, as for any db */
}

/* ---- connections ---- */

static int usable(const replica *r, int64_t now) {
  return !r->down || now >= r->retry_ns;
}

static void mark_down_locked(replica *r, int64_t now) {
  int64_t ms = (int64_t)BACKOFF_FIRST_MS << (r->fails < 6 ? r->fails : 6);
  if (ms > BACKOFF_MAX_MS) ms = BACKOFF_MAX_MS;
  r->down = 1;
  r->fails++;
  r->retry_ns = now + ms * 1000000;
}

/* The view's connections on each replica, leaving ones not counted. */
static void count_locked(aiodb_db *db, unsigned *cnt) {
  aiodb__qnode *q;
  memset(cnt, 0, MAX_REPLICAS * sizeof *cnt);
  for (q = db->conns.next; q != &db->conns; q = q->next) {
    aiodb_conn *c = aiodb__q_data(q, aiodb_conn, link);
    if (!c->quit && c->replica != 0) cnt[c->replica - 1]++;
  }
}

/* The replica to try next, none of tried: the usable ones first, the
 * least loaded of them; else the soonest due. Ties go in turn. */
static unsigned pick_locked(aiodb_db *db, unsigned tried, int64_t now) {
  aiodb__replicas *rs = db->replicas;
  unsigned cnt[MAX_REPLICAS], k, i, b = rs->n;
  int ui, ub;
  count_locked(db, cnt);
  for (k = 0; k < rs->n; k++) {
    i = (rs->turn + k) % rs->n;
    if (tried & (1u << i)) continue;
    if (b == rs->n) {
      b = i;
      continue;
    }
    ui = usable(&rs->r[i], now);
    ub = usable(&rs->r[b], now);
    if (ui != ub ? ui
                 : ui ? cnt[i] < cnt[b] : rs->r[i].retry_ns < rs->r[b].retry_ns)
      b = i;
  }
  rs->turn = (b + 1) % rs->n;
  return b;
}

static int connect_one(aiodb_conn *conn, replica *r, aiodb__err *e) {
  aiodb_db *db = conn->db;
  const aiodb__driver *drv = db->driver;
  if (drv->connect(r->cfg, db->statement_cache, &conn->native, e) != 0)
    return e->code;
  if (aiodb__interrupter_attach(r->intr, &conn->intr, conn->native, e) == 0 &&
      (drv->sql_read_only == NULL ||
       aiodb__conn_exec_own(conn, drv->sql_read_only, e) == 0))
    return 0;
  aiodb__interrupter_detach(&conn->intr);
  drv->disconnect(conn->native);
  conn->native = NULL;
  return e->code;
}

int aiodb__replica_connect(aiodb_conn *conn, aiodb__err *e) {
  aiodb_db *db = conn->db;
  aiodb__replicas *rs = db->replicas;
  unsigned tried = 0, k, i = 0;
  int stop = 0, ok = 0;
  char head[80];

  for (k = 0; k < rs->n && !stop && !ok; k++) {
    pthread_mutex_lock(&db->lock);
    i = pick_locked(db, tried, now_ns());
    conn->replica = i + 1;
    pthread_mutex_unlock(&db->lock);
    tried |= 1u << i;
    ok = connect_one(conn, &rs->r[i], e) == 0;
    pthread_mutex_lock(&db->lock);
    if (ok) {
      rs->r[i].down = 0;
      rs->r[i].fails = 0;
    } else {
      conn->replica = 0;
      /* want of memory says nothing of the replica */
      if (e->code != AIODB_ENOMEM) mark_down_locked(&rs->r[i], now_ns());
      /* a close gave up on this connection: no other replica either */
      stop = e->code == AIODB_ENOMEM || db->closing || conn->abandoned;
    }
    pthread_mutex_unlock(&db->lock);
  }
  pthread_mutex_lock(&db->lock);
  rs->moving = 0;
  pthread_mutex_unlock(&db->lock);
  if (ok) {
    memset(e, 0, sizeof *e); /* a replica tried before may have failed */
    return 0;
  }
  snprintf(head, sizeof head, "%sreplica %u of %u: ",
           k > 1 ? "no replica could be connected; " : "", i + 1, rs->n);
  wrap(e->message, sizeof e->message, head, "");
  return e->code;
}

int aiodb__replica_assign_locked(aiodb_db *db, aiodb_future *f) {
  aiodb__qnode *q;
  for (q = db->conns.next; q != &db->conns; q = q->next) {
    aiodb_conn *c = aiodb__q_data(q, aiodb_conn, link);
    if (!c->sleeping || c->pinned || c->quit) continue;
    f->target = c;
    aiodb__q_push(&c->own, &f->node);
    aiodb__wake_conn_locked(c);
    aiodb__q_remove(&c->link);
    aiodb__q_push(&db->conns, &c->link);
    return 1;
  }
  return 0;
}

int aiodb__replica_leaves_locked(aiodb_conn *conn) {
  aiodb_db *db = conn->db;
  aiodb__replicas *rs = db->replicas;
  unsigned cnt[MAX_REPLICAS], i, mine;
  int64_t now;

  if (conn->retiring) return 1;
  if (conn->replica == 0 || conn->pinned || db->closing || rs->moving ||
      rs->n < 2 || !aiodb__q_empty(&conn->own))
    return 0;
  now = now_ns();
  if (now < rs->next_look_ns) return 0;
  rs->next_look_ns = now + (int64_t)LOOK_EVERY_MS * 1000000;
  count_locked(db, cnt);
  mine = conn->replica - 1;
  for (i = 0; i < rs->n; i++)
    if (i != mine && usable(&rs->r[i], now) && cnt[i] + 1 < cnt[mine]) break;
  if (i == rs->n) return 0;
  conn->retiring = 1;
  conn->replica = 0;
  rs->moving = 1;
  /* the replacement; without it, the pool would wait for load to grow */
  if (aiodb__spawn_locked(db) != 0) rs->moving = 0;
  return 1;
}

void aiodb__replica_broken_locked(aiodb_conn *conn) {
  aiodb__replicas *rs = conn->db->replicas;
  if (conn->replica != 0) mark_down_locked(&rs->r[conn->replica - 1], now_ns());
  conn->replica = 0;
}
