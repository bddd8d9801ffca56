/* timeouts: deadlines and cancel. A statement past its deadline is
 * interrupted (or dropped, if still queued) and completes with
 * AIODB_ETIMEDOUT; the connection stays usable. A db's timeout_ms option
 * puts a deadline on every statement. aiodb_future_cancel() drops queued
 * work and interrupts running statements, but never your own aiodb_run
 * code. A statement that times out inside a tx aborts the tx.
 *
 *   cc -std=c11 timeouts.c -laiodb -o timeouts && ./timeouts */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "aiodb.h"

/* Counts without end: runs until something stops it. */
#define ENDLESS                                                        \
  "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) " \
  "SELECT count(*) FROM c"

static int failed;

/* Waits for f, prints its outcome, frees it. Returns the error code and
 * checks it against the one expected. */
static int expect(aiodb_future *f, const char *what, int want) {
  int code = AIODB_ENOMEM;
  if (f != NULL) {
    aiodb_future_wait(f, -1);
    code = aiodb_future_error(f);
    printf("%-22s %s%s%s\n", what, aiodb_err_name(code), code ? ": " : "",
           aiodb_future_errmsg(f));
  }
  if (code != want) failed = 1;
  aiodb_future_free(f);
  return code;
}

static void sleep_ms(long ms) {
  struct timespec ts;
  ts.tv_sec = ms / 1000;
  ts.tv_nsec = (ms % 1000) * 1000000L;
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static atomic_int entered;

/* Your own blocking code, run on the worker: never interrupted. */
static int slow_job(void *native, void *ud) {
  (void)native;
  (void)ud;
  atomic_store(&entered, 1);
  sleep_ms(500);
  return 42;
}

int main(void) {
  aiodb_error err;
  aiodb_future *f, *run, *queued, *after, *commit;
  aiodb_db *db;
  aiodb_tx *tx;

  db = aiodb_open("sqlite://", NULL, &err);
  if (db == NULL) {
    fprintf(stderr, "open: %s\n", err.message);
    return 1;
  }

  /* 1. A deadline on one call: interrupted after 100 ms. */
  f = aiodb_query(db, ENDLESS, NULL, 0);
  aiodb_future_set_timeout(f, 100);
  expect(f, "deadline, running", AIODB_ETIMEDOUT);
  expect(aiodb_query(db, "SELECT 1", NULL, 0), "same connection", 0);

  /* 2. Cancel. The aiodb_run function is running: it cannot be stopped
   *    (AIODB_EBUSY) and finishes normally. The query queued behind it is
   *    dropped at once. */
  run = aiodb_db_run(db, slow_job, NULL);
  queued = aiodb_query(db, "SELECT 2", NULL, 0);
  while (!atomic_load(&entered)) sleep_ms(1);
  if (aiodb_future_cancel(run) != AIODB_EBUSY) failed = 1;
  if (aiodb_future_cancel(queued) != 0) failed = 1;
  expect(queued, "cancel, queued", AIODB_ECANCELED);
  expect(run, "cancel, aiodb_run", 0);

  /* 3. Cancel a running statement. */
  f = aiodb_query(db, ENDLESS, NULL, 0);
  sleep_ms(50);
  aiodb_future_cancel(f);
  expect(f, "cancel, running", AIODB_ECANCELED);

  /* 4. A statement that times out in a tx aborts it: what follows is not
   *    run and the commit rolls back. */
  expect(aiodb_query(db, "CREATE TABLE t(x)", NULL, 0), "create", 0);
  tx = aiodb_begin(db);
  expect(aiodb_tx_query(tx, "INSERT INTO t VALUES (1)", NULL, 0), "tx insert",
         0);
  f = aiodb_tx_query(tx, ENDLESS, NULL, 0);
  aiodb_future_set_timeout(f, 100);
  after = aiodb_tx_query(tx, "INSERT INTO t VALUES (2)", NULL, 0);
  commit = aiodb_commit(tx);
  expect(f, "tx deadline", AIODB_ETIMEDOUT);
  expect(after, "tx after it", AIODB_ETXABORTED);
  expect(commit, "tx commit", AIODB_ETXABORTED);
  aiodb_db_free(db);

  /* 5. A deadline for every statement of a db: ?timeout_ms=150 (or
   *    aiodb_options.timeout_ms). */
  db = aiodb_open("sqlite://?timeout_ms=150", NULL, &err);
  if (db == NULL) {
    fprintf(stderr, "open: %s\n", err.message);
    return 1;
  }
  expect(aiodb_query(db, ENDLESS, NULL, 0), "timeout_ms option",
         AIODB_ETIMEDOUT);
  expect(aiodb_query(db, "SELECT 3", NULL, 0), "next statement", 0);
  aiodb_db_free(db);
  return failed;
}
