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
  char *sql;                /* its db traces: the caller's text, for each
                               batch's trace */
  /* worker-only */
  void *handle;             /* the driver's open statement */
  int failed;
  aiodb__err err;
};

/* A call on c goes to its pin, or to its connection. */
static inline aiodb__route aiodb__on_cursor(aiodb_cursor *c) {
  aiodb__route r = {c->db, c->conn, c->pin, NULL, c};
  return r;
}

/* Drops one reference; the last frees c. Locked. NULL is a harmless
 * no-op. */
void aiodb__cursor_unref_locked(aiodb_cursor *c);
/* Closes the cursors still open on conn, which is going away; their
 * handles then only answer with errors. On conn's worker, unlocked. */
void aiodb__cursor_close_all(aiodb_conn *conn);
/* Frees the cursors the caller never freed, with their close jobs: at
 * aiodb_db_free, every worker gone. */
void aiodb__cursor_free_all(aiodb_db *db);

#endif
