/* Jobs: a call's work as the queues and the workers see it. */
#ifndef AIODB_JOB_H
#define AIODB_JOB_H

#include "aiodb.h"
#include "error.h"
#include "future.h"
#include "queue.h"

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
  /* Locked, f on a pin not yet taken: does f take a connection from the
   * pool for its pin's jobs (the first job of a tx or cursor)? */
  int (*pins)(const aiodb_future *f);
  /* Locked, after f ran: does f give its connection back to the pool? */
  int (*unpins)(const aiodb_future *f);
  /* Locked: the pin that f's running would take, to fail along with f when
   * f can never run. */
  aiodb__pin *(*pin_of)(const aiodb_future *f);
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
} aiodb__job_ops;

/* Does f, queued, take a connection for its pin when a worker takes it? */
static inline int aiodb__job_pins(const aiodb_future *f) {
  return f->pin != NULL && f->pin->conn == NULL && f->ops->pins != NULL &&
         f->ops->pins(f);
}

/* Aborts a queued or running job with code (cancel, timeout): lib/db.c. */
int aiodb__job_abort(aiodb_future *f, int code);

#endif
