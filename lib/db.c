/* A database: aiodb_open (options, completion queue, the first
 * connections), aiodb_close, aiodb_db_free, and its accessors. Its pool,
 * workers and jobs live in their own files; the locking rule is in
 * lib/db.h. */
#include <errno.h>
#include <string.h>

#include "alloc.h"
#include "conn.h"
#include "cq.h"
#include "cursor.h"
#include "db.h"
#include "diag.h"
#include "driver.h"
#include "fork.h"
#include "future.h"
#include "interrupter.h"
#include "job.h"
#include "options.h"
#include "pool.h"
#include "replica.h"
#include "pool_policy.h"
#include "timer.h"
#include "tx.h"
#include "url.h"

/* aiodb_close's job is never queued: it completes once the last worker
 * has quit, and its deadline runs the close watch. */
static const aiodb__job_ops close_ops = {
    .timed_out = aiodb__close_watch,
};

aiodb_db *aiodb__db_new(const aiodb__driver *drv, aiodb_error *err) {
  aiodb_db *db = aiodb__calloc(1, sizeof *db);
  if (db == NULL) {
    aiodb__error_set(err, AIODB_ENOMEM, "out of memory");
    return NULL;
  }
  db->driver = drv;
  aiodb__q_init(&db->shared);
  aiodb__q_init(&db->conns);
  aiodb__q_init(&db->txs);
  aiodb__q_init(&db->cursors);
  return db;
}

void aiodb__db_discard(aiodb_db *db) {
  if (db->driver_cfg) db->driver->free_config(db->driver_cfg);
  aiodb__free(db);
}

aiodb_db *aiodb__db_start(aiodb_db *db, const aiodb_options *opts,
                          aiodb_error *err) {
  int rc;

  if (opts && opts->cq) {
    db->cq = opts->cq;
    aiodb__cq_ref(db->cq);
  } else if ((db->cq = aiodb_cq_new_ex(db->adaptive_spin ? 0 : AIODB_CQ_NOSPIN)) != NULL) {
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
    aiodb__db_discard(db);
    return NULL;
  }
  db->close_spare = aiodb__future_new(db->cq, &close_ops);
  if (db->close_spare == NULL) {
    aiodb__error_set(err, AIODB_ENOMEM, "out of memory");
    if (db->own_cq)
      aiodb_cq_free(db->cq);
    else
      aiodb__cq_unref(db->cq);
    aiodb__db_discard(db);
    return NULL;
  }
  if (aiodb__pool_start(db) != 0) {
    aiodb__error_set(err, AIODB_ENOMEM, "out of memory");
    aiodb__job_discard(db->close_spare);
    if (db->own_cq)
      aiodb_cq_free(db->cq);
    else
      aiodb__cq_unref(db->cq);
    aiodb__db_discard(db);
    return NULL;
  }
  pthread_mutex_init(&db->lock, NULL);
  aiodb__fork_register(db);
  aiodb__timer_db_opened();
  pthread_mutex_lock(&db->lock);
  rc = aiodb__pool_refill_locked(db); /* min_size, in the background */
  pthread_mutex_unlock(&db->lock);
  if (rc != 0) {
    if (rc == AIODB_ENOMEM)
      aiodb__error_set(err, AIODB_ENOMEM, "out of memory for a connection");
    else
      aiodb__error_set(err, AIODB_ESYS, "cannot start a worker thread");
    aiodb__db_free(db);
    return NULL;
  }
  return db;
}

aiodb_db *aiodb_open(const char *url, const aiodb_options *opts,
                     aiodb_error *err) {
  aiodb__url u;
  aiodb_db *db;
  const aiodb__driver *drv;
  aiodb__replicas *rs;

  aiodb__error_clear(err);
  if (url == NULL) {
    aiodb__error_set(err, AIODB_EINVAL, "aiodb_open: url is NULL");
    return NULL;
  }
  if (aiodb__url_parse(url, &u, err) != 0) return NULL;
  drv = aiodb__driver_find(u.scheme, err);
  db = drv ? aiodb__db_new(drv, err) : NULL;
  if (db != NULL && aiodb__db_configure(&u, opts, db, err) != 0) {
    aiodb__replicas_free(db->replicas);
    aiodb__db_discard(db);
    db = NULL;
  }
  aiodb__url_free(&u);
  if (db == NULL) return NULL;
  /* The view's, once the db is open; no worker of the db may see them. */
  rs = db->replicas;
  db->replicas = NULL;
  if ((db = aiodb__db_start(db, opts, err)) == NULL) {
    aiodb__replicas_free(rs);
    return NULL;
  }
  if (rs != NULL && (db->view = aiodb__replica_open(db, rs, err)) == NULL) {
    aiodb__db_free(db);
    return NULL;
  }
  return db;
}

static aiodb_future *db_close(aiodb_db *db) {
  aiodb_future *f;
  aiodb__qnode *n;
  int now;

  /* The first close takes the future made with the db: aiodb_db_free
   * always closes, memory or not. */
  pthread_mutex_lock(&db->lock);
  f = db->close_spare;
  db->close_spare = NULL;
  pthread_mutex_unlock(&db->lock);
  if (f == NULL) f = aiodb__future_new(db->cq, &close_ops);
  if (f == NULL) return NULL;
  if (aiodb__inherited(db)) {
    aiodb__future_fail(f, AIODB_EALREADYQUIT, AIODB__INHERITED_MSG);
    return f;
  }
  pthread_mutex_lock(&db->lock);
  if (db->closing) {
    pthread_mutex_unlock(&db->lock);
    aiodb__future_complete(f);
    return f;
  }
  db->closing = 1;
  if (db->view != NULL) aiodb__replica_closing_locked(db, f);
  now = db->nlive == 0;
  if (!now) {
    f->db = db;
    db->close_future = f;
    for (n = db->conns.next; n != &db->conns; n = n->next) {
      aiodb_conn *c = aiodb__q_data(n, aiodb_conn, link);
      c->watch_calls = c->calls;
      aiodb__wake_conn_locked(c);
    }
  }
  pthread_mutex_unlock(&db->lock);
  if (now)
    aiodb__close_done(db, f);
  else if (db->close_timeout_ms > 0)
    aiodb__timer_add(f, db->close_timeout_ms); /* the close watch */
  return f;
}

aiodb_future *aiodb_close(aiodb_db *db) {
  aiodb_future *f;
  if (db == NULL) return NULL;
  if (db->replicas != NULL)
    return aiodb__replica_refuse(db, "aiodb_close", __builtin_return_address(0));
  f = db_close(db);
  /* Its view closes with it; f completes once both have. */
  if (db->view != NULL) aiodb_future_free(db_close(db->view));
  return f;
}

static void db_free(aiodb_db *db, const void *call_site) {
  aiodb__qnode *n;
  aiodb_conn *self = aiodb__current_conn();
  aiodb_future *f;

  if (self != NULL && (self->db == db || (db->view && self->db == db->view))) {
    aiodb__diag(AIODB_DIAG_MISUSE, "aiodb_db_free", call_site,
                "aiodb_db_free called from one of the db's own workers; "
                "refused (it would join itself)");
    return;
  }
  if (aiodb__inherited(db)) {
    if (db->view != NULL) aiodb__replica_free_inherited(db->view);
    aiodb__free_inherited(db);
    return;
  }
  f = db->replicas != NULL ? db_close(db) : aiodb_close(db);
  /* No worker is spawned once closing, so the list is stable now; it stays
   * whole while they are joined, for the close watch to look at, and is
   * freed once the watch is done with this db. */
  for (n = db->conns.next; n != &db->conns; n = n->next)
    pthread_join(aiodb__q_data(n, aiodb_conn, link)->thread, NULL);
  /* Once none of db's workers, done closing, may look at it. */
  if (db->view != NULL) aiodb__replica_free(db->view);
  db->view = NULL;
  aiodb_future_free(f);
  aiodb__timer_quiesce(db);
  aiodb__pool_stop(db);
  while ((n = aiodb__q_pop(&db->conns)) != NULL)
    aiodb__conn_free(aiodb__q_data(n, aiodb_conn, link));
  aiodb__fork_unregister(db);
  aiodb__timer_db_closed();
  /* Transactions and cursors the caller never ended die with the db, with
   * the jobs that would have ended them. */
  aiodb__tx_free_all(db);
  aiodb__cursor_free_all(db);
  if (db->intr != NULL)
    aiodb__interrupter_free(db->intr); /* and driver_cfg, now or later */
  else
    db->driver->free_config(db->driver_cfg);
  /* Our own cq goes with us, once what it holds for a trace is traced; a
   * caller's loses our reference only. */
  if (db->own_cq) {
    aiodb__cq_drain_traces(db->cq);
    aiodb_cq_free(db->cq);
  } else {
    aiodb__cq_unref(db->cq);
  }
  pthread_mutex_destroy(&db->lock);
  aiodb__free(db);
}

void aiodb_db_free(aiodb_db *db) {
  if (db == NULL) return;
  if (db->replicas != NULL) {
    aiodb__replica_refuse(db, "aiodb_db_free", __builtin_return_address(0));
    return;
  }
  db_free(db, __builtin_return_address(0));
}

void aiodb__db_free(aiodb_db *db) { db_free(db, NULL); }

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

aiodb_db *aiodb_conn_db(aiodb_conn *conn) { return conn ? conn->db : NULL; }
