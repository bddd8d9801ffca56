/* Auto-pipelining: statements found queued together go to a driver that
 * can send them in one round trip (PostgreSQL's pipeline mode). Only plain
 * statements outside a tx or cursor, without a deadline: once sent ahead a
 * statement cannot be interrupted on its own (the server would stop
 * whichever statement it is running), so one with a deadline goes alone. */
#include "alloc.h"
#include "conn.h"
#include "db.h"
#include "driver.h"
#include "future.h"
#include "job.h"
#include "pipeline.h"
#include "pool.h"
#include "trace.h"

aiodb__batch *aiodb__batch_new(aiodb_conn *conn, size_t cap) {
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
  return f->ops->batchable && f->tx == NULL && f->cur == NULL &&
         !(atomic_load(&f->flags) & (AIODB__F_DEADLINE | AIODB__F_CANCEL));
}

/* The job next_job would take, if it may join a batch: one of conn's own,
 * or of the pool's when shared says the pool's may be batched. Locked. */
static aiodb_future *peek_batchable(aiodb_conn *conn, int shared) {
  aiodb__qnode *q = &conn->own;
  aiodb_future *f;
  if (aiodb__q_empty(q)) {
    if (conn->pinned || conn->retire || !shared) return NULL;
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
  if (aiodb__trace_armed(f)) {
    /* Its own time: from the answer before it (the server then turned to
     * it), or from sending the batch, to its answer. */
    aiodb__trace_start(f, b->conn->id, b->t_prev);
    f->tr.t_end = b->t_prev = aiodb__now_ns();
  }
  if (aiodb__job_settle(b->conn, f)) b->broken = 1;
  if (f->err.code != 0) {
    aiodb_result_free(f->result);
    f->result = NULL;
  }
  pthread_mutex_lock(&db->lock);
  f->state = AIODB__JS_FINISHED;
  aiodb__job_detach_locked(f);
  pthread_mutex_unlock(&db->lock);
  aiodb__future_complete(f);
}

int aiodb__batch_run(aiodb_conn *conn, aiodb_future *first) {
  aiodb_db *db = conn->db;
  aiodb__batch *b = conn->batch;
  aiodb_future *f = first;
  size_t i, n = 0;
  int shared = !aiodb__others_could_take(conn);

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
    if (aiodb__job_result(f) != 0) { /* it fails alone; the others go on */
      pthread_mutex_lock(&db->lock);
      f->state = AIODB__JS_FINISHED;
      aiodb__job_detach_locked(f);
      pthread_mutex_unlock(&db->lock);
      aiodb__future_complete(f);
      continue;
    }
    b->f[b->n] = f;
    aiodb__job_stmt(f, &b->st[b->n]);
    b->res[b->n] = f->result;
    b->err[b->n] = &f->err;
    b->n++;
  }
  if (b->n > 0) {
    if (aiodb__trace_armed(b->f[0])) b->t_prev = aiodb__now_ns();
    atomic_fetch_add_explicit(&db->batches, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&db->batched, b->n, memory_order_relaxed);
    db->driver->exec_batch(conn->native, b->st, b->res, b->err, b->n,
                           batch_done, b);
  }
  pthread_mutex_lock(&db->lock);
  conn->batching = 0;
  return b->broken;
}

int aiodb__batch_starts(aiodb_conn *conn, aiodb_future *f) {
  return batchable(f) &&
         (peek_batchable(conn, 0) != NULL ||
          (peek_batchable(conn, 1) != NULL && !aiodb__others_could_take(conn)));
}
