/* cursor: stream a big result in batches. Each batch is fetched only when
 * asked for, so memory is bounded by the batch, not the result. The next
 * batch is asked for from the callback of the one before: the consumer sets
 * the pace (backpressure). Also shows an early stop and an error.
 *
 *   cc -std=c11 cursor.c -laiodb -o cursor && ./cursor */
#include <inttypes.h>
#include <stdio.h>

#include "aiodb.h"

#define NROWS 100000
#define BATCH 1000

typedef struct stream {
  aiodb_cursor *cur;
  int64_t rows, sum, batches;
  int done, failed;
} stream;

static void on_batch(aiodb_future *f, void *ud) {
  stream *s = ud;
  aiodb_result *r = aiodb_future_result(f);
  aiodb_future *next;
  size_t i, n;

  if (aiodb_future_error(f) != 0) {
    fprintf(stderr, "batch: %s\n", aiodb_future_errmsg(f));
    s->failed = s->done = 1;
  } else if ((n = aiodb_result_rows(r)) == 0) {
    /* The end: no rows, but the columns are there. */
    printf("end of result: %zu columns, first \"%s\"\n", aiodb_result_cols(r),
           aiodb_result_name(r, 0));
    s->done = 1;
  } else {
    for (i = 0; i < n; i++) s->sum += aiodb_result_int(r, i, 0);
    s->rows += (int64_t)n;
    s->batches++;
    /* Done with this batch: ask for the next one. */
    next = aiodb_cursor_next(s->cur);
    if (next == NULL) /* out of memory */
      s->failed = s->done = 1;
    else
      aiodb_future_on_done(next, on_batch, s);
  }
  aiodb_future_free(f); /* frees the batch's rows */
}

/* One batch, then stop: reports the outcome and ends the loop. */
static void on_one(aiodb_future *f, void *ud) {
  stream *s = ud;
  s->failed = aiodb_future_error(f);
  if (s->failed == 0)
    printf("first batch: %zu rows\n",
           aiodb_result_rows(aiodb_future_result(f)));
  else
    printf("first batch: %s: %s\n", aiodb_err_name(s->failed),
           aiodb_future_errmsg(f));
  s->done = 1;
  aiodb_future_free(f);
}

/* Asks for one batch of cur with cb and runs the loop until cb is done. */
static void one_batch(aiodb_db *db, stream *s, aiodb_callback cb) {
  aiodb_future *f = aiodb_cursor_next(s->cur); /* NULL if cur is NULL (OOM) */
  if (f == NULL) {
    s->failed = AIODB_ENOMEM;
    return;
  }
  s->done = 0;
  aiodb_future_on_done(f, cb, s);
  while (!s->done) aiodb_cq_run_once(aiodb_db_cq(db), -1);
}

int main(void) {
  aiodb_error err;
  aiodb_value limit = aiodb_int(NROWS);
  aiodb_db *db;
  stream s = {NULL, 0, 0, 0, 0, 0};
  int failed = 0;

  db = aiodb_open("sqlite://", NULL, &err);
  if (db == NULL) {
    fprintf(stderr, "open: %s\n", err.message);
    return 1;
  }

  /* 1. 100,000 generated rows, 1,000 at a time. The cursor pins a
   *    connection until it is freed. */
  s.cur = aiodb_iterate(db,
                        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
                        "SELECT i + 1 FROM n WHERE i < ?) "
                        "SELECT i, printf('%08d', i) AS label FROM n",
                        &limit, 1, BATCH);
  one_batch(db, &s, on_batch); /* each batch asks for the next */
  aiodb_cursor_free(s.cur);    /* gives the connection back */
  printf("%" PRId64 " rows in %" PRId64 " batches, sum %" PRId64 "\n", s.rows,
         s.batches, s.sum);
  if (s.failed || s.rows != NROWS || s.sum != (int64_t)NROWS * (NROWS + 1) / 2)
    failed = 1;

  /* 2. An early stop: take one batch of an endless result, then free the
   *    cursor, which stops the statement. */
  s.cur = aiodb_iterate(db,
                        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
                        "SELECT i + 1 FROM n) SELECT i FROM n",
                        NULL, 0, 0); /* 0: batches of 1000 */
  one_batch(db, &s, on_one);
  if (s.failed != 0) failed = 1;
  aiodb_cursor_free(s.cur);

  /* 3. Errors are the outcome of the first batch (and of every later one). */
  s.cur = aiodb_iterate(db, "SELECT * FROM no_such_table", NULL, 0, 10);
  one_batch(db, &s, on_one);
  if (s.failed != AIODB_ESQL) failed = 1;
  aiodb_cursor_free(s.cur);

  aiodb_db_free(db);
  return failed;
}
