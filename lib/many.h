/* query_many: one statement run once per row, prepared once, every row or
 * none. The core (lib/many.c) opens a SAVEPOINT inside a transaction or a
 * transaction of its own outside one, runs the rows through the driver,
 * checks between them for a cancel or a deadline, ends or undoes what it
 * opened, and numbers the row that failed in the message ("row N: ", N
 * from 1). A failure of the statement as a whole (it holds no statement or
 * several, or does not prepare) has no row number. The driver brings what
 * talks to its client library: the ops below. */
#ifndef AIODB_MANY_H
#define AIODB_MANY_H

#include <stddef.h>
#include <stdint.h>

#include "driver.h"

/* One run of a batch, shared by the core and the driver's ops. */
typedef struct aiodb__many {
  void *stmt;       /* the driver's: its prepared statement */
  int cached;       /* the driver's: whether stmt is its cache's */
  size_t chunk;     /* rows per call of rows; prepare may raise it (1) */
  int64_t affected; /* rows changed, added up by rows */
  /* On a failure: */
  size_t row;       /* the row that failed (from 0) */
  int whole;        /* the statement failed, not a row: no row number */
  int again;        /* a cached plan had gone stale, so nothing ran: the
                       core undoes the batch and runs it once more */
} aiodb__many;

/* All run on the connection's worker. Each that can fail returns 0 or
 * fills e and returns its code. */
typedef struct aiodb__many_ops {
  /* 1 if a transaction is open on native. */
  int (*in_tx)(void *native);
  /* Runs one of the library's own statements (BEGIN, SAVEPOINT, RELEASE
   * SAVEPOINT, ROLLBACK TO SAVEPOINT, COMMIT, ROLLBACK) the plainest way
   * the client has, as text: no arguments, no result, no statement cache,
   * none of aiodb's memory. */
  int (*exec_own)(void *native, const char *sql, aiodb__err *e);
  /* Optional: refuses a statement the driver cannot batch, before
   * anything is sent. */
  int (*check)(void *native, const aiodb__stmt *st, aiodb__err *e);
  /* Inside the SAVEPOINT or transaction: prepares st once, into m->stmt.
   * A failure is the statement's unless it clears m->whole (and sets
   * m->row). */
  int (*prepare)(void *native, const aiodb__stmt *st, aiodb__many *m,
                 aiodb__err *e);
  /* Runs rows first..first+n-1 of st (n is at most m->chunk), appending
   * their result rows to res, which row 0 starts afresh with the columns.
   * On a failure sets m->row, or m->whole, and m->again. */
  int (*rows)(void *native, const aiodb__stmt *st, size_t first, size_t n,
              aiodb_result *res, aiodb__many *m, aiodb__err *e);
  /* Done with m->stmt (also after a failed prepare), before the
   * transaction or SAVEPOINT ends. */
  void (*close)(void *native, aiodb__many *m);
} aiodb__many_ops;

/* Runs st (st->nrows > 0) as query_many with drv's ops, into res. */
int aiodb__many_run(const aiodb__driver *drv, void *native,
                    const aiodb__stmt *st, aiodb_result *res, aiodb__err *e);

#endif
