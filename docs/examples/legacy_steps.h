/* legacy_steps.h: the glue and the aiodb side of the legacy examples, the
 * same for every driver (docs/legacy.md). The including file first defines
 * its driver's legacy module, three blocking functions taking the driver's
 * handle (sqlite3*, PGconn* or MYSQL*):
 *   int notes_add(HANDLE *db, const char *text);   the new id, or -1
 *   int notes_count(HANDLE *db);                   the count, or -1
 *   int notes_exec(HANDLE *db, const char *sql);   0, or -1
 * The glue below wraps each as an aiodb_run function: aiodb passes the
 * worker's own handle as `native`, a void * that C converts to the
 * function's handle type. legacy_steps(url, setup, begin_sql) then opens
 * url, runs the setup SQL and uses the glue three ways:
 *   1. from a plain thread, with aiodb_db_run() and aiodb_future_wait():
 *      the same blocking shape as before, but the handle now lives on its
 *      worker, so any number of threads may call in safely;
 *   3. several legacy calls inside one transaction on a pinned connection
 *      (aiodb_acquire, aiodb_run), rolled back as a whole;
 *   2. from a loop, with a callback instead of waiting (last, because a
 *      thread that dispatches should not wait any more).
 * It returns the exit status: 0 when every count is what it should be. */
#ifndef LEGACY_STEPS_H
#define LEGACY_STEPS_H

#include <stdio.h>

#include "aiodb.h"

/* ---- the glue: one small function per legacy call, run on a worker ---- */

static int add_on_worker(void *native, void *ud) {
  int id = notes_add(native, ud); /* native is the worker's handle */
  return id >= 0 ? id : AIODB_ESQL; /* a negative AIODB_E... fails the future */
}

static int count_on_worker(void *native, void *ud) {
  int n = notes_count(native);
  (void)ud;
  return n >= 0 ? n : AIODB_ESQL;
}

static int exec_on_worker(void *native, void *ud) {
  return notes_exec(native, ud) == 0 ? 0 : AIODB_ESQL;
}

/* Step 1: a thread without a loop keeps its blocking shape. Returns the
 * function's value, or -1 with the error printed. */
static int run_and_wait(aiodb_db *db, aiodb_run_fn fn, void *ud) {
  aiodb_future *f = aiodb_db_run(db, fn, ud);
  int v = -1;
  if (f == NULL) return -1;
  aiodb_future_wait(f, -1);
  if (aiodb_future_error(f) == 0)
    v = aiodb_future_value(f);
  else
    fprintf(stderr, "%s\n", aiodb_future_errmsg(f));
  aiodb_future_free(f);
  return v;
}

/* Step 2: the loop's way. */
static void on_counted(aiodb_future *f, void *ud) {
  *(int *)ud = aiodb_future_error(f) == 0 ? aiodb_future_value(f) : -1;
  aiodb_future_free(f);
}

/* Step 3: legacy calls in one transaction, on one pinned connection. Every
 * call queued on conn runs in order, so only the last needs waiting for. */
static int transaction_rolled_back(aiodb_db *db, const char *begin_sql) {
  aiodb_future *acq = aiodb_acquire(db), *fs[4];
  aiodb_conn *conn;
  int i, ok = 1, inside;
  if (acq == NULL || aiodb_future_wait(acq, -1) != 0 ||
      aiodb_future_error(acq) != 0) {
    aiodb_future_free(acq);
    return 0;
  }
  conn = aiodb_future_conn(acq);
  fs[0] = aiodb_run(conn, exec_on_worker, (void *)begin_sql);
  fs[1] = aiodb_run(conn, add_on_worker, "draft");
  fs[2] = aiodb_run(conn, count_on_worker, NULL);
  fs[3] = aiodb_run(conn, exec_on_worker, "ROLLBACK");
  aiodb_future_wait(fs[3], -1); /* FIFO: the others are done too */
  for (i = 0; i < 4; i++) {
    if (aiodb_future_error(fs[i]) != 0) ok = 0;
  }
  inside = aiodb_future_value(fs[2]);
  for (i = 0; i < 4; i++) aiodb_future_free(fs[i]);
  aiodb_release(conn);
  aiodb_future_free(acq);
  printf("inside the transaction: %d notes; rolled back\n", inside);
  return ok && inside == 3;
}

/* Opens url, runs setup (SQL statements, NULL-terminated: an empty notes
 * table), then the three steps, then frees the db. */
static int legacy_steps(const char *url, const char *const *setup,
                        const char *begin_sql) {
  aiodb_error err;
  aiodb_db *db = aiodb_open(url, NULL, &err);
  int after_adds, counted = -2, after_rollback, ok;

  if (db == NULL) {
    fprintf(stderr, "aiodb_open: %s\n", err.message);
    return 1;
  }

  /* 1. Blocking shape, worker-owned handle. */
  for (; *setup != NULL; setup++)
    if (run_and_wait(db, exec_on_worker, (void *)*setup) != 0) return 1;
  printf("added note %d\n", run_and_wait(db, add_on_worker, "buy milk"));
  printf("added note %d\n", run_and_wait(db, add_on_worker, "call Bob"));
  after_adds = run_and_wait(db, count_on_worker, NULL);

  /* 3. One transaction over several legacy calls. */
  ok = transaction_rolled_back(db, begin_sql);
  after_rollback = run_and_wait(db, count_on_worker, NULL);
  printf("after the rollback: %d notes\n", after_rollback);

  /* 2. From a loop: a callback, run where the cq is dispatched (here a tiny
   * loop; waiting on this thread from now on would stall it, and aiodb
   * would say so with a BlockingWarning). */
  aiodb_future_on_done(aiodb_db_run(db, count_on_worker, NULL), on_counted,
                       &counted);
  while (counted == -2) aiodb_cq_run_once(aiodb_db_cq(db), -1);
  printf("counted from a callback: %d notes\n", counted);

  aiodb_db_free(db);
  return ok && after_adds == 2 && counted == 2 && after_rollback == 2 ? 0 : 1;
}

#endif
