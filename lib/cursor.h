/* Cursors: rows streamed in batches from one statement left open. */
#ifndef AIODB_CURSOR_H
#define AIODB_CURSOR_H

#include <stddef.h>

#include "aiodb.h"
#include "error.h"
#include "job.h"
#include "queue.h"

struct aiodb_cursor {
  aiodb_db *db;
  aiodb__pin own_pin;
  aiodb__pin *pin;
  aiodb_conn *conn;
  aiodb__qnode link;        /* in db->cursors */
  int refs;                 /* locked */
  size_t batch;
  int bad;                  /* the caller's thread: bad input at iterate */
  aiodb__err bad_err;
  aiodb_future *close_job;  /* made with it: a free needs no memory */
  /* worker-only */
  void *handle;             /* the driver's open statement */
  int failed;
  aiodb__err err;
};

#endif
