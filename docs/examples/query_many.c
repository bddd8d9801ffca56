/* query_many: one statement run once per row of parameters, prepared once,
 * in one job, all or nothing. Shows a bulk insert, RETURNING rows collected
 * from every row, and a failing batch that leaves no trace.
 *
 *   cc -std=c11 query_many.c -laiodb -o query_many && ./query_many */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "aiodb.h"

#define NROWS 1000

static int failed;

/* Waits for f; on failure reports it. Returns f's error code. */
static int outcome(aiodb_future *f, const char *what) {
  int code;
  if (f == NULL) {
    failed = 1;
    return AIODB_ENOMEM;
  }
  aiodb_future_wait(f, -1);
  code = aiodb_future_error(f);
  if (code != 0)
    printf("%s: %s: %s\n", what, aiodb_err_name(code), aiodb_future_errmsg(f));
  return code;
}

static int64_t count_rows(aiodb_db *db) {
  aiodb_future *f = aiodb_query(db, "SELECT count(*) FROM reading", NULL, 0);
  int64_t n = -1;
  if (outcome(f, "count") == 0)
    n = aiodb_result_int(aiodb_future_result(f), 0, 0);
  aiodb_future_free(f);
  return n;
}

int main(void) {
  static aiodb_value rows[NROWS * 2]; /* 2 values per row, row after row */
  static char labels[NROWS][16];
  aiodb_value three[3];
  aiodb_error err;
  aiodb_future *f;
  aiodb_result *r;
  aiodb_db *db;
  size_t i;

  db = aiodb_open("sqlite://", NULL, &err);
  if (db == NULL) {
    fprintf(stderr, "open: %s\n", err.message);
    return 1;
  }
  f = aiodb_query(db,
                  "CREATE TABLE reading(id INTEGER PRIMARY KEY, "
                  "sensor TEXT NOT NULL, value REAL)",
                  NULL, 0);
  if (outcome(f, "create") != 0) failed = 1;
  aiodb_future_free(f);

  /* 1. A bulk insert: 1,000 rows, one job, one statement prepared once. */
  for (i = 0; i < NROWS; i++) {
    snprintf(labels[i], sizeof labels[i], "s-%zu", i % 10);
    rows[2 * i] = aiodb_text(labels[i]);
    rows[2 * i + 1] = aiodb_float((double)i / 4);
  }
  f = aiodb_query_many(db, "INSERT INTO reading(sensor, value) VALUES (?, ?)",
                       rows, NROWS, 2);
  memset(labels, 0, sizeof labels); /* copied at submission: may change now */
  if (outcome(f, "insert") == 0) {
    r = aiodb_future_result(f);
    printf("inserted: affected %" PRId64 ", last id %" PRId64 "\n",
           aiodb_result_affected(r), aiodb_result_last_id(r));
    if (aiodb_result_affected(r) != NROWS) failed = 1;
  } else {
    failed = 1;
  }
  aiodb_future_free(f);

  /* 2. RETURNING: the rows of every parameter row, collected in order. */
  three[0] = aiodb_text("s-1");
  three[1] = aiodb_text("s-2");
  three[2] = aiodb_text("s-3");
  f = aiodb_query_many(db,
                       "DELETE FROM reading WHERE id = (SELECT min(id) FROM "
                       "reading WHERE sensor = ?) RETURNING id, sensor",
                       three, 3, 1);
  if (outcome(f, "delete") == 0) {
    r = aiodb_future_result(f);
    for (i = 0; i < aiodb_result_rows(r); i++)
      printf("deleted id %" PRId64 " (%s)\n", aiodb_result_int(r, i, 0),
             aiodb_result_text(r, i, 1));
    if (aiodb_result_rows(r) != 3 || aiodb_result_affected(r) != 3) failed = 1;
  } else {
    failed = 1;
  }
  aiodb_future_free(f);

  /* 3. All or nothing: row 3 breaks NOT NULL, so rows 1 and 2 are undone
   *    too; the message names the row (counting from 1). */
  rows[0] = aiodb_text("new-a");
  rows[1] = aiodb_float(1.0);
  rows[2] = aiodb_text("new-b");
  rows[3] = aiodb_float(2.0);
  rows[4] = aiodb_null();
  rows[5] = aiodb_float(3.0);
  f = aiodb_query_many(db, "INSERT INTO reading(sensor, value) VALUES (?, ?)",
                       rows, 3, 2);
  if (outcome(f, "batch") != AIODB_ECONSTRAINT ||
      strncmp(aiodb_future_errmsg(f), "row 3: ", 7) != 0)
    failed = 1;
  aiodb_future_free(f);
  printf("rows now: %" PRId64 "\n", count_rows(db));
  if (count_rows(db) != NROWS - 3) failed = 1;

  /* 4. No rows: a successful no-op. */
  f = aiodb_query_many(db, "INSERT INTO reading(sensor, value) VALUES (?, ?)",
                       NULL, 0, 2);
  if (outcome(f, "empty") != 0) failed = 1;
  aiodb_future_free(f);

  aiodb_db_free(db);
  return failed;
}
