/* Auto-pipelining (lib/pipeline.c): statements found queued together go
 * to a driver that can send them in one round trip. */
#ifndef AIODB_PIPELINE_H
#define AIODB_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "aiodb.h"
#include "driver.h"

/* A connection's batch, made once when its worker starts (off the stack:
 * 1024 statements would not fit a small worker stack). */
typedef struct aiodb__batch {
  aiodb_conn *conn;
  size_t n, cap;
  int broken;
  int64_t t_prev;           /* tracing: when the last answer came */
  aiodb__stmt *st;
  aiodb_future **f;
  aiodb_result **res;
  aiodb__err **err;
} aiodb__batch;

/* A batch of up to cap statements for conn; NULL when out of memory (the
 * connection then sends one at a time). Freed with aiodb__free. */
aiodb__batch *aiodb__batch_new(aiodb_conn *conn, size_t cap);
/* Does f, just taken by conn (which has a batch), lead a batch with what
 * is queued behind it? Locked. */
int aiodb__batch_starts(aiodb_conn *conn, aiodb_future *f);
/* Runs first and the batchable jobs queued behind it as one batch. Called
 * locked and returns locked; returns 1 if the connection broke. */
int aiodb__batch_run(aiodb_conn *conn, aiodb_future *first);

#endif
