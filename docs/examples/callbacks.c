/* callbacks: a chain of steps, each started from the callback of the one
 * before, with no waiting anywhere. Callbacks may submit new work, free
 * their future, close a db, and even aiodb_db_free() the db whose
 * completion queue is dispatching them: the cq stays alive until
 * aiodb_cq_dispatch() returns, and callbacks still queued on it are
 * dropped.
 *
 *   cc -std=c11 callbacks.c -laiodb -o callbacks && ./callbacks */
#include <inttypes.h>
#include <stdio.h>

#include "aiodb.h"

typedef struct app {
  aiodb_db *db;
  aiodb_future *late; /* its callback is dropped with the db */
  int late_calls;
  int done, failed;
} app;

static int ok(aiodb_future *f, app *a, const char *what) {
  if (aiodb_future_error(f) == 0) return 1;
  fprintf(stderr, "%s: %s\n", what, aiodb_future_errmsg(f));
  a->failed = 1;
  return 0;
}

/* Starts the next step: a query with a callback. */
static void then(app *a, const char *sql, aiodb_callback cb) {
  aiodb_future *f = aiodb_query(a->db, sql, NULL, 0);
  if (f == NULL) {
    a->failed = a->done = 1;
    return;
  }
  aiodb_future_on_done(f, cb, a);
}

static void on_late(aiodb_future *f, void *ud) {
  app *a = ud;
  (void)f;
  a->late_calls++; /* never happens */
}

static void on_counted(aiodb_future *f, void *ud) {
  app *a = ud;
  if (ok(f, a, "count"))
    printf("3. %" PRId64 " rows\n",
           aiodb_result_int(aiodb_future_result(f), 0, 0));
  aiodb_future_free(f);

  /* 4. One more query, then the db goes, from inside this callback. The
   *    query runs (aiodb_db_free lets queued work finish) but its callback
   *    is dropped with the db's cq; the future stays ours to free. */
  a->late = aiodb_query(a->db, "SELECT 'late'", NULL, 0);
  aiodb_future_on_done(a->late, on_late, a);
  aiodb_db_free(a->db); /* the cq dispatching us lives until dispatch returns */
  a->db = NULL;
  printf("4. db freed from a callback\n");
  a->done = 1;
}

static void on_inserted(aiodb_future *f, void *ud) {
  app *a = ud;
  if (ok(f, a, "insert"))
    printf("2. inserted %" PRId64 " rows\n",
           aiodb_result_affected(aiodb_future_result(f)));
  aiodb_future_free(f); /* our own future, freed in its own callback */
  then(a, "SELECT count(*) FROM t", on_counted);
}

static void on_created(aiodb_future *f, void *ud) {
  app *a = ud;
  aiodb_value rows[3];
  aiodb_future *next;

  if (ok(f, a, "create")) printf("1. table created\n");
  aiodb_future_free(f);
  /* New work, submitted from a callback. */
  rows[0] = aiodb_int(1);
  rows[1] = aiodb_int(2);
  rows[2] = aiodb_int(3);
  next = aiodb_query_many(a->db, "INSERT INTO t VALUES (?)", rows, 3, 1);
  if (next == NULL) {
    a->failed = a->done = 1;
    return;
  }
  aiodb_future_on_done(next, on_inserted, a);
}

int main(void) {
  app a = {NULL, NULL, 0, 0, 0};
  aiodb_error err;
  aiodb_cq *cq;

  a.db = aiodb_open("sqlite://", NULL, &err);
  if (a.db == NULL) {
    fprintf(stderr, "open: %s\n", err.message);
    return 1;
  }
  cq = aiodb_db_cq(a.db); /* the db's own cq: it goes with the db */
  then(&a, "CREATE TABLE t(x)", on_created);

  /* The loop. Once a callback has freed the db, its cq is gone too: stop
   * before touching it again. */
  while (!a.done) aiodb_cq_run_once(cq, -1);

  if (a.db != NULL) aiodb_db_free(a.db); /* only if a step failed early */
  if (a.late == NULL || !aiodb_future_done(a.late) ||
      aiodb_future_error(a.late) != 0 || a.late_calls != 0)
    a.failed = 1;
  aiodb_future_free(a.late);
  return a.failed;
}
