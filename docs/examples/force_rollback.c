/* force_rollback: test isolation. With ?force_rollback=1 (or
 * aiodb_options.force_rollback = 1) everything the db does, schema changes
 * included, runs inside one transaction that is rolled back when the db
 * closes; aiodb_begin() makes SAVEPOINTs inside it. The file is left exactly
 * as it was.
 *
 *   cc -std=c11 force_rollback.c -laiodb -o force_rollback
 *   ./force_rollback */
#include <inttypes.h>
#include <stdio.h>

#include "aiodb.h"

#define FILE_NAME "force_rollback_example.db"

/* Runs sql and waits; returns its first cell as an integer, or -1. */
static int64_t scalar(aiodb_db *db, const char *sql) {
  aiodb_future *f = aiodb_query(db, sql, NULL, 0);
  int64_t v = -1;
  if (f == NULL) return -1;
  aiodb_future_wait(f, -1);
  if (aiodb_future_error(f) == 0)
    v = aiodb_result_int(aiodb_future_result(f), 0, 0);
  else
    fprintf(stderr, "%s: %s\n", sql, aiodb_future_errmsg(f));
  aiodb_future_free(f);
  return v;
}

/* Waits for f and frees it; returns its error code. */
static int finish(aiodb_future *f) {
  int code = AIODB_ENOMEM;
  if (f != NULL) {
    aiodb_future_wait(f, -1);
    code = aiodb_future_error(f);
    if (code != 0) fprintf(stderr, "%s\n", aiodb_future_errmsg(f));
  }
  aiodb_future_free(f);
  return code;
}

int main(void) {
  aiodb_options opts;
  aiodb_error err;
  aiodb_db *db;
  aiodb_tx *tx;
  int failed = 0;

  /* The fixture: a file with one row, made the ordinary way. */
  remove(FILE_NAME);
  db = aiodb_open("sqlite:///" FILE_NAME, NULL, &err);
  if (db == NULL) {
    fprintf(stderr, "open: %s\n", err.message);
    return 1;
  }
  if (scalar(db, "CREATE TABLE item(n INTEGER); INSERT INTO item VALUES (1);"
                 "SELECT count(*) FROM item") != 1)
    failed = 1;
  aiodb_db_free(db);

  /* A "test": the same file, with everything rolled back at the end. The
   * options struct says the same as ?force_rollback=1 in the URL. */
  aiodb_options_init(&opts);
  opts.force_rollback = 1;
  db = aiodb_open("sqlite:///" FILE_NAME, &opts, &err);
  if (db == NULL) {
    fprintf(stderr, "open: %s\n", err.message);
    return 1;
  }
  if (finish(aiodb_query(db, "INSERT INTO item VALUES (2), (3)", NULL, 0)) ||
      finish(aiodb_query(db, "CREATE TABLE scratch(x)", NULL, 0)))
    failed = 1;
  /* The code under test may use transactions as usual: here they become
   * SAVEPOINTs. While this tx holds the only connection, pool calls wait. */
  tx = aiodb_begin(db);
  finish(aiodb_tx_query(tx, "INSERT INTO item VALUES (4)", NULL, 0));
  if (finish(aiodb_commit(tx)) != 0) failed = 1;
  printf("inside the test: %" PRId64 " rows, %" PRId64 " tables\n",
         scalar(db, "SELECT count(*) FROM item"),
         scalar(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"));
  if (scalar(db, "SELECT count(*) FROM item") != 4) failed = 1;
  aiodb_db_free(db); /* rolls everything back */

  /* Afterwards: the fixture as it was. */
  db = aiodb_open("sqlite:///" FILE_NAME, NULL, &err);
  if (db == NULL) {
    fprintf(stderr, "open: %s\n", err.message);
    return 1;
  }
  printf("after the test:  %" PRId64 " rows, %" PRId64 " tables\n",
         scalar(db, "SELECT count(*) FROM item"),
         scalar(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"));
  if (scalar(db, "SELECT count(*) FROM item") != 1 ||
      scalar(db, "SELECT count(*) FROM sqlite_master "
                 "WHERE name = 'scratch'") != 0)
    failed = 1;
  aiodb_db_free(db);
  remove(FILE_NAME);
  return failed;
}
