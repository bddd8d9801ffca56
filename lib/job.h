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

/* Aborts a queued or running job with code (cancel, timeout): lib/db.c. */
int aiodb__job_abort(aiodb_future *f, int code);

#endif
