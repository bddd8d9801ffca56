/* Submission: a call becomes a job on a queue (a pin's, a connection's
 * or the pool's), with the references it holds; and a job that can no
 * longer run is orphaned and failed. */
#include "conn.h"
#include "cursor.h"
#include "db.h"
#include "diag.h"
#include "fork.h"
#include "future.h"
#include "job.h"
#include "native.h"
#include "pool.h"
#include "pool_policy.h"
#include "replica.h"
#include "timer.h"
#include "tx.h"

void aiodb__job_discard(aiodb_future *f) {
  if (f == NULL) return;
  aiodb__future_unref(f);
  aiodb__future_unref(f);
}

static void already_quit(aiodb_future *f, const char *function,
                         const void *site, const char *why) {
  aiodb__diag(AIODB_DIAG_ALREADY_QUIT, function, site, "%s: %s", function,
              why);
  aiodb__future_fail(f, AIODB_EALREADYQUIT, "%s", why);
}

int aiodb__job_enqueue(aiodb_db *db, aiodb_conn *conn, aiodb_future *f,
                       const char *function, const void *site) {
  aiodb__pin *pin = f->pin;
  aiodb_conn *wake = NULL;
  int64_t arm = 0;
  unsigned starved = 0;
  int timeout;

  if (aiodb__trace_armed(f)) f->tr.t_submit = aiodb__now_ns();
  f->db = db;
  f->function = function;
  f->site = site;
  if (aiodb__inherited(db)) {
    already_quit(f, function, site, AIODB__INHERITED_MSG);
    return AIODB_EALREADYQUIT;
  }
  pthread_mutex_lock(&db->lock);
  if (db->closing || (conn && conn->quit) ||
      (pin && pin->conn && pin->conn->quit)) {
    pthread_mutex_unlock(&db->lock);
    if (!db->closing && db->adopted) {
      aiodb__future_fail(f, AIODB_ECONNLOST, "%s", AIODB__ADOPTED_LOST);
      return AIODB_ECONNLOST;
    }
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
  if (f->ops->interruptible && db->timeout_ms > 0)
    atomic_fetch_or(&f->flags, AIODB__F_DEADLINE);
  if (f->tx) aiodb__tx_job_queued_locked(f);
  if (f->cur) f->cur->refs++;
  if (pin && pin->conn == NULL && !aiodb__job_pins(f)) {
    aiodb__q_push(&pin->pending, &f->node);
  } else if ((pin && pin->conn) || conn) {
    aiodb_conn *c = pin && pin->conn ? pin->conn : conn;
    f->target = c;
    aiodb__q_push(&c->own, &f->node);
    wake = aiodb__claim_sleeper_locked(c);
  } else if (db->replicas != NULL && aiodb__replica_assign_locked(db, f)) {
    /* a view's call: to its idle connections in turn (lib/replica.c) */
  } else {
    int rc;
    aiodb__q_push(&db->shared, &f->node);
    rc = aiodb__claim_pool_locked(db, &wake);
    /* Nothing could be started to run it, and nothing running may take it
     * (the live connections, if any, are all pinned). */
    if (rc != 0 && !aiodb__pool_serves_locked(db)) {
      aiodb__q_remove(&f->node);
      aiodb__job_detach_locked(f);
      f->state = AIODB__JS_FINISHED;
      pthread_mutex_unlock(&db->lock);
      if (rc == AIODB_ENOMEM) {
        aiodb__future_fail(f, rc, "out of memory for a connection");
        return rc;
      }
      if (rc == AIODB_ECONNLOST) {
        aiodb__future_fail(f, rc, "%s", AIODB__ADOPTED_LOST);
        return rc;
      }
      aiodb__future_fail(f, AIODB_ESYS, "could not start a worker thread");
      return AIODB_ESYS;
    }
    starved = aiodb__pool_queued_locked(db, f, &arm);
  }
  timeout = f->ops->interruptible ? db->timeout_ms : 0;
  /* ends a worker's spin (fixed or adaptive) */
  atomic_store_explicit(&db->submitted, 1, memory_order_release);
  pthread_mutex_unlock(&db->lock);
  if (wake != NULL) pthread_cond_signal(&wake->cv);
  aiodb__pool_arm(db, arm);
  if (starved) aiodb__pool_starved_diag(function, site, starved);
  if (timeout > 0) aiodb__timer_add(f, timeout);
  return 0;
}

void aiodb__pin_refused(aiodb_db *db, aiodb__pin *pin, const aiodb_future *f) {
  pthread_mutex_lock(&db->lock);
  if (!pin->failed) {
    pin->failed = 1;
    pin->err = f->err;
  }
  pthread_mutex_unlock(&db->lock);
}

void aiodb__job_detach_locked(aiodb_future *f) {
  if (!f->counted) return;
  f->counted = 0;
  if (f->tx != NULL) aiodb__tx_unref_locked(f->tx);
  if (f->cur != NULL) aiodb__cursor_unref_locked(f->cur);
}

void aiodb__job_orphan_all_locked(aiodb__qnode *q, aiodb__qnode *orphans,
                                  const aiodb__err *why, int broken) {
  aiodb__qnode *n;
  while ((n = aiodb__q_pop(q)) != NULL) {
    aiodb_future *f = aiodb__q_data(n, aiodb_future, node);
    if (broken && f->tx != NULL)
      aiodb__tx_broken_err(f->tx, why, &f->err);
    else
      f->err = *why;
    if (f->ops->pins != NULL) {
      aiodb__pin *pin = f->pin;
      if (pin && pin->conn == NULL && !pin->failed) {
        pin->failed = 1;
        pin->err = *why;
        aiodb__q_move(&pin->pending, q);
      }
    }
    aiodb__job_detach_locked(f);
    f->state = AIODB__JS_FINISHED;
    aiodb__q_push(orphans, &f->node);
  }
}

void aiodb__job_fail_all(aiodb__qnode *q) {
  aiodb__qnode *n;
  while ((n = aiodb__q_pop(q)) != NULL)
    aiodb__future_complete(aiodb__q_data(n, aiodb_future, node));
}
