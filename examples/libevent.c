/* example_libevent: aiodb inside a libevent loop.
 *
 *   example_libevent [URL]   (a SQLite URL; default "sqlite://", in memory)
 *
 * The adapter (aiodb/adapters/libevent.h) adds a persistent read event on
 * the cq's fd; event_base_dispatch() then runs aiodb's callbacks on the
 * base's thread. This program creates a table, fills it and reads it back,
 * each step started from the previous one's callback: that is how a chain
 * of dependent queries looks without blocking. After the last step it
 * detaches, so event_base_dispatch() returns for lack of events. Exits 0
 * when the count read back is right.
 *
 * Build: cc -std=c11 libevent.c -laiodb -levent_core */
#include <stdio.h>

#include "aiodb/adapters/libevent.h"

#define ROWS 100

static aiodb_event watch;
static aiodb_db *db;
static int step, count = -1;

static void next(aiodb_future *f, void *ud);

/* Starts the step after the one that just finished. */
static void submit(const char *sql, const aiodb_value *args, size_t n) {
  aiodb_future *f = aiodb_query(db, sql, args, n);
  if (f == NULL) {
    aiodb_event_detach(&watch);
    return;
  }
  aiodb_future_on_done(f, next, NULL);
}

static void next(aiodb_future *f, void *ud) {
  (void)ud;
  if (aiodb_future_error(f) != 0) {
    fprintf(stderr, "step %d: %s\n", step, aiodb_future_errmsg(f));
    aiodb_future_free(f);
    aiodb_event_detach(&watch);
    return;
  }
  switch (step++) {
  case 0: { /* the table exists: fill it in one statement */
    aiodb_value v = aiodb_int(ROWS);
    submit("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
           "WHERE i < ?) INSERT INTO t SELECT i, 'row ' || i FROM n",
           &v, 1);
    break;
  }
  case 1:
    printf("inserted %lld rows\n",
           (long long)aiodb_result_affected(aiodb_future_result(f)));
    submit("SELECT count(*), max(name) FROM t", NULL, 0);
    break;
  default:
    count = (int)aiodb_result_int(aiodb_future_result(f), 0, 0);
    printf("read back %d rows, the last name in order is '%s'\n", count,
           aiodb_result_text(aiodb_future_result(f), 0, 1));
    aiodb_event_detach(&watch); /* the base has nothing left: it returns */
  }
  aiodb_future_free(f);
}

int main(int argc, char **argv) {
  struct event_base *base = event_base_new();
  aiodb_error err;

  db = aiodb_open(argc > 1 ? argv[1] : "sqlite://", NULL, &err);
  if (db == NULL) {
    fprintf(stderr, "aiodb_open: %s\n", err.message);
    return 1;
  }
  if (base == NULL || aiodb_event_attach(&watch, base, aiodb_db_cq(db)) != 0)
    return 1;
  submit("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)", NULL, 0);
  event_base_dispatch(base);
  event_base_free(base);
  aiodb_db_free(db);
  return count == ROWS ? 0 : 1;
}
