/* statement_cache: each connection keeps its most recently used prepared
 * statements (64 by default), so a statement sent again is not parsed
 * again. Times the same point query with the cache on and off, and shows
 * that a cached statement follows a schema change.
 *
 *   cc -std=c11 statement_cache.c -laiodb -o statement_cache
 *   ./statement_cache */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "aiodb.h"

#define NROWS 1000
#define NQUERIES 5000

static double now_ms(void) {
  struct timespec ts;
  timespec_get(&ts, TIME_UTC);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Waits for f and frees it; returns its error code. */
static int finish(aiodb_future *f, const char *what) {
  int code = AIODB_ENOMEM;
  if (f != NULL) {
    aiodb_future_wait(f, -1);
    code = aiodb_future_error(f);
    if (code != 0) fprintf(stderr, "%s: %s\n", what, aiodb_future_errmsg(f));
  }
  aiodb_future_free(f);
  return code;
}

/* Opens url, fills a table; runs NQUERIES point queries, all in flight at
 * once; returns the milliseconds they took, or -1. */
static double point_queries(const char *url) {
  static aiodb_future *fs[NQUERIES];
  static aiodb_value ids[NROWS];
  aiodb_db *db = aiodb_open(url, NULL, NULL);
  aiodb_value id;
  double t0, ms = -1;
  int i, bad = 0;

  if (db == NULL) return -1;
  for (i = 0; i < NROWS; i++) ids[i] = aiodb_int(i + 1);
  if (finish(aiodb_query(db,
                         "CREATE TABLE item(id INTEGER PRIMARY KEY, "
                         "name TEXT DEFAULT 'x')",
                         NULL, 0),
             "create") != 0 ||
      finish(aiodb_query_many(db, "INSERT INTO item(id) VALUES (?)", ids,
                              NROWS, 1),
             "insert") != 0) {
    aiodb_db_free(db);
    return -1;
  }
  t0 = now_ms();
  for (i = 0; i < NQUERIES; i++) {
    id = aiodb_int(i % NROWS + 1);
    /* The same text every time, values bound: one cache entry. */
    fs[i] = aiodb_query(db, "SELECT id, name FROM item WHERE id = ?", &id, 1);
  }
  for (i = 0; i < NQUERIES; i++) {
    if (fs[i] == NULL || aiodb_future_wait(fs[i], -1) != 0 ||
        aiodb_future_error(fs[i]) != 0 ||
        aiodb_result_rows(aiodb_future_result(fs[i])) != 1)
      bad = 1;
    aiodb_future_free(fs[i]);
  }
  if (!bad) ms = now_ms() - t0;
  aiodb_db_free(db);
  return ms;
}

int main(void) {
  aiodb_db *db;
  aiodb_future *f;
  double on, off;
  int failed = 0;

  /* 1. The cache on (the default) and off (?statement_cache=0). */
  on = point_queries("sqlite://");
  off = point_queries("sqlite://?statement_cache=0");
  if (on < 0 || off < 0) return 1;
  printf("%d point queries: cache on %.1f ms, cache off %.1f ms\n", NQUERIES,
         on, off);

  /* 2. A schema change: SQLite prepares a cached statement again by
   *    itself, so "SELECT *" sees the new column. */
  db = aiodb_open("sqlite://?statement_cache=16", NULL, NULL);
  if (db == NULL) return 1;
  if (finish(aiodb_query(db, "CREATE TABLE t(a); INSERT INTO t VALUES (1)",
                         NULL, 0),
             "create") != 0)
    failed = 1;
  f = aiodb_query(db, "SELECT * FROM t", NULL, 0); /* cached */
  aiodb_future_wait(f, -1);
  printf("before ALTER TABLE: %zu column(s)\n",
         aiodb_result_cols(aiodb_future_result(f)));
  aiodb_future_free(f);
  if (finish(aiodb_query(db, "ALTER TABLE t ADD COLUMN b DEFAULT 2", NULL, 0),
             "alter") != 0)
    failed = 1;
  f = aiodb_query(db, "SELECT * FROM t", NULL, 0); /* the same text */
  aiodb_future_wait(f, -1);
  printf("after ALTER TABLE:  %zu column(s), b = %" PRId64 "\n",
         aiodb_result_cols(aiodb_future_result(f)),
         aiodb_result_int(aiodb_future_result(f), 0, 1));
  if (aiodb_future_error(f) != 0 ||
      aiodb_result_cols(aiodb_future_result(f)) != 2)
    failed = 1;
  aiodb_future_free(f);
  aiodb_db_free(db);
  return failed;
}
