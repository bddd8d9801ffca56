/* Jobs: a call's work as the queues and the workers see it. A job lives
 * in its future (lib/future.h); its kind says what running it means (the
 * ops below); lib/submit.c queues it, lib/worker.c runs it, lib/cancel.c
 * aborts it. */
#ifndef AIODB_JOB_H
#define AIODB_JOB_H

#include <stddef.h>

#include "aiodb.h"
#include "db.h"
#include "driver.h"
#include "error.h"
#include "future.h"
#include "queue.h"
#include "trace.h"

/* The public caller's return address, for diagnostics: use it in the
 * public function itself. */
#define AIODB__SITE __builtin_return_address(0)

/* A group of jobs that must run on one connection taken from the pool (a tx
 * or a cursor): jobs submitted before a worker takes the pinning job wait
 * here, then move to that connection's own queue in order. */
typedef struct aiodb__pin {
  aiodb_conn *conn;         /* once pinned */
  aiodb__qnode pending;
  int failed;               /* the pinning job failed: err says why */
  aiodb__err err;
} aiodb__pin;

/* A kind of job: what a worker does with it. The worker loop and the pool
 * know no kind (libuv's uv__work_submit(loop, w, kind, work, done) keeps
 * threadpool.c ignorant of fs.c): each kind is a const record of these,
 * defined in the file that owns the kind and set on the future by its
 * constructor. Members are optional (NULL, 0) but where they say not. */
typedef struct aiodb__job_ops {
  /* Required unless take_locked is set. On the worker, unlocked: the work.
   * Its outcome goes into f (err, result, value). */
  void (*run)(aiodb_conn *conn, aiodb_future *f);
  /* On the worker, unlocked, after run, once the error is named for a
   * cancel or a deadline: what the kind keeps of the outcome. */
  void (*settle)(aiodb_future *f);
  /* Instead of run: the whole job, done under the db lock by the worker
   * that takes it, calling no driver (an acquire pins the connection). The
   * worker then completes it. */
  void (*take_locked)(aiodb_conn *conn, aiodb_future *f);
  /* Set for the first job of a tx or cursor, which opens f->pin. Locked,
   * that pin not yet taken: does f take a connection from the pool for the
   * pin's jobs? (When f can never run, the pin fails with it, and so do
   * the jobs waiting on it.) */
  int (*pins)(const aiodb_future *f);
  /* Locked, after f ran: does f give its connection back to the pool? */
  int (*unpins)(const aiodb_future *f);
  /* On the timer thread, when a deadline of f passes, instead of aborting
   * f (aiodb_close's watch). */
  void (*timed_out)(aiodb_future *f);
  /* At aiodb_future_free, on the caller's thread. */
  void (*freed)(aiodb_future *f, const void *call_site);
  /* A caller may cancel it, and its deadline aborts it. */
  int abortable;
  /* It runs one statement in the driver, which interrupt stops; the db's
   * default deadline (timeout_ms) applies to it. */
  int interruptible;
  /* It may be sent ahead with others in one batch (auto-pipelining). */
  int batchable;
  /* The trace it gives (AIODB_TRACE_QUERY ...) when its db traces; 0:
   * none. */
  int trace;
} aiodb__job_ops;

/* Does f, queued, take a connection for its pin when a worker takes it? */
static inline int aiodb__job_pins(const aiodb_future *f) {
  return f->pin != NULL && f->pin->conn == NULL && f->ops->pins != NULL &&
         f->ops->pins(f);
}

/* aiodb_query() on a non-NULL db, for the synchronous helpers
 * (lib/sync.c, lib/query.c): diagnostics name function and its caller's
 * call_site. */
aiodb_future *aiodb__query(aiodb_db *db, const char *sql,
                           const aiodb_value *args, size_t nargs,
                           const char *function, const void *call_site);

/* ---- submission (lib/submit.c) ---- */

/* Where a call goes: a db's pool, a pinned conn, a tx, or a cursor. */
typedef struct aiodb__route {
  aiodb_db *db;
  aiodb_conn *conn;
  aiodb__pin *pin;
  aiodb_tx *tx;
  aiodb_cursor *cur;
} aiodb__route;

/* A call on db goes to its pool; aiodb__on_conn (conn.h), aiodb__on_tx
 * (tx.h) and aiodb__on_cursor (cursor.h) route the others. */
static inline aiodb__route aiodb__on_db(aiodb_db *db) {
  aiodb__route r = {db, NULL, NULL, NULL, NULL};
  return r;
}

/* A job of kind ops for rt (not yet queued), or NULL out of memory. */
static inline aiodb_future *aiodb__job_new(aiodb__route rt,
                                           const aiodb__job_ops *ops) {
  aiodb_future *f = aiodb__future_new(rt.db->cq, ops);
  if (f == NULL) return NULL;
  if (rt.db->trace.fn != NULL && ops->trace != 0 && aiodb__trace_arm(rt.db, f) != 0) {
    aiodb__future_unref(f);
    aiodb__future_unref(f);
    return NULL;
  }
  f->pin = rt.pin;
  f->tx = rt.tx;
  f->cur = rt.cur;
  return f;
}
/* Queues f: on f->pin (a tx's or cursor's), on conn (pinned), or on the
 * pool; a job that pins a connection always goes to the pool. Returns 0
 * once queued, or the code f already completed with when refused. Takes
 * the job's references to its tx and cursor. Called unlocked. */
int aiodb__job_enqueue(aiodb_db *db, aiodb_conn *conn, aiodb_future *f,
                       const char *function, const void *site);
/* aiodb__job_enqueue, returning f. */
static inline aiodb_future *aiodb__job_submit(aiodb_db *db, aiodb_conn *conn,
                                              aiodb_future *f,
                                              const char *function,
                                              const void *site) {
  aiodb__job_enqueue(db, conn, f, function, site);
  return f;
}
/* A pin whose pinning job f was refused can never be taken: what is
 * submitted through it fails at once with the same error. */
void aiodb__pin_refused(aiodb_db *db, aiodb__pin *pin, const aiodb_future *f);
/* Drops a future never submitted nor handed out (both its references).
 * NULL is a harmless no-op. */
void aiodb__job_discard(aiodb_future *f);
/* A job leaves the queues for good: gives back what it held. Locked. */
void aiodb__job_detach_locked(aiodb_future *f);
/* Moves every job of q onto orphans, detached, each with its error: why,
 * or for a job of a tx on a connection that broke, AIODB_ETXABORTED. A
 * pinning job takes the jobs waiting on its pin along, since they can
 * never run now. Locked. */
void aiodb__job_orphan_all_locked(aiodb__qnode *q, aiodb__qnode *orphans,
                                  const aiodb__err *why, int broken);
/* Completes every job of q, orphaned with its error. Unlocked. */
void aiodb__job_fail_all(aiodb__qnode *q);

/* Rewrites sql for the driver and copies it and nrows rows of nargs
 * arguments into f (lib/prepare.c). 0, or the code with f->err filled. */
int aiodb__prepare_query(aiodb_db *db, aiodb_future *f, const char *sql,
                         const aiodb_value *args, size_t nargs, size_t nrows);

/* ---- what a kind's run may use (lib/worker.c) ---- */

/* The statement f carries, for the driver. */
static inline void aiodb__job_stmt(const aiodb_future *f, aiodb__stmt *st) {
  st->sql = f->sql;
  st->sql_len = f->sql_len;
  st->args = f->args;
  st->nargs = f->nargs;
  st->nrows = f->nrows;
  st->own = 0;
}

/* Gives f an empty result; 0 or AIODB_ENOMEM with f->err filled. */
static inline int aiodb__job_result(aiodb_future *f) {
  f->result = aiodb__result_new();
  if (f->result == NULL)
    return aiodb__err_set(&f->err, AIODB_ENOMEM, "out of memory for the result");
  return 0;
}
/* After f ran on conn: names its error for a cancel or a deadline, lets
 * its kind settle, and tells whether the connection is broken. */
int aiodb__job_settle(aiodb_conn *conn, aiodb_future *f);

/* ---- cancel and deadlines (lib/cancel.c) ---- */

/* Aborts a queued or running job with code (cancel, timeout). Called
 * unlocked, from any thread; never blocks. */
int aiodb__job_abort(aiodb_future *f, int code);
/* aiodb_close's watch, at each of its deadlines: abandons the connections
 * stuck in one call. On the timer thread; never blocks. */
void aiodb__close_watch(aiodb_future *f);

#endif
