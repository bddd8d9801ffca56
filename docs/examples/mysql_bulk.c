/* mysql_bulk: aiodb_query_many on MariaDB sends its rows several to an
 * execute, here as INSERTs of up to 1,000 rows (docs/guide.md, chapter 11).
 *
 *   mysql_bulk URL    (a mysql:// URL of a MariaDB server; uses table
 *                      bulk_demo)
 *
 * Inserts 20,000 rows of an id, a text or NULL, and a blob, once as the
 * URL gives it (many rows to an INSERT) and once with bulk=0 (one execute
 * per row), and prints the rows per second of each. Then a batch whose row
 * 15,000 repeats an id fails, names that row and leaves nothing behind.
 * Exits 0 when every count is right.
 *
 *   cc -std=c11 mysql_bulk.c -laiodb -o mysql_bulk */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aiodb.h"

#define NROWS 20000

static double now_sec(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs sql with no arguments; 0 or the error code (printed). */
static int run(aiodb_db *db, const char *sql, int64_t *scalar) {
  aiodb_future *f = aiodb_query(db, sql, NULL, 0);
  int rc = f == NULL ? AIODB_ENOMEM : (aiodb_future_wait(f, -1), aiodb_future_error(f));
  if (rc != 0) fprintf(stderr, "%s: %s\n", sql, f ? aiodb_future_errmsg(f) : "out of memory");
  if (rc == 0 && scalar != NULL) *scalar = aiodb_result_int(aiodb_future_result(f), 0, 0);
  aiodb_future_free(f);
  return rc;
}

/* Opens url with one more option (NULL: none). */
static aiodb_db *open_with(const char *url, const char *opt) {
  char full[1024];
  aiodb_error err;
  aiodb_db *db;
  snprintf(full, sizeof full, "%s%s%s", url, opt ? (strchr(url, '?') ? "&" : "?") : "",
           opt ? opt : "");
  db = aiodb_open(full, NULL, &err);
  if (db == NULL) fprintf(stderr, "aiodb_open: %s\n", err.message);
  return db;
}

/* Inserts the rows on a db of url (+ opt); the future is the caller's. */
static aiodb_future *insert_all(aiodb_db *db, const aiodb_value *rows, size_t n) {
  return aiodb_query_many(db, "INSERT INTO bulk_demo VALUES (?, ?, ?)", rows, n, 3);
}

int main(int argc, char **argv) {
  static aiodb_value rows[NROWS * 3];
  static char names[NROWS][16];
  static unsigned char bytes[256];
  const char *how[2] = {NULL, "bulk=0"};
  int64_t count = -1;
  aiodb_future *f;
  aiodb_db *db;
  int i, k, ok = 1;

  if (argc != 2) {
    fprintf(stderr, "usage: mysql_bulk mysql://USER:PASSWORD@HOST/DB\n");
    return 2;
  }
  for (i = 0; i < 256; i++) bytes[i] = (unsigned char)i;
  for (i = 0; i < NROWS; i++) {
    snprintf(names[i], sizeof names[i], "item-%d", i);
    rows[3 * i] = aiodb_int(i + 1);
    rows[3 * i + 1] = i % 10 == 0 ? aiodb_null() : aiodb_text(names[i]);
    rows[3 * i + 2] = aiodb_blob(bytes, (size_t)(i % 256));
  }
  for (k = 0; k < 2 && ok; k++) {
    double t0, secs;
    if ((db = open_with(argv[1], how[k])) == NULL) return 1;
    ok = run(db, "DROP TABLE IF EXISTS bulk_demo", NULL) == 0 &&
         run(db, "CREATE TABLE bulk_demo (id INT PRIMARY KEY, name VARCHAR(20), "
                 "data BLOB) ENGINE=InnoDB", NULL) == 0;
    t0 = now_sec();
    f = insert_all(db, rows, NROWS);
    aiodb_future_wait(f, -1);
    secs = now_sec() - t0;
    if (aiodb_future_error(f) != 0 || aiodb_result_affected(aiodb_future_result(f)) != NROWS) {
      fprintf(stderr, "query_many: %s\n", aiodb_future_errmsg(f));
      ok = 0;
    }
    aiodb_future_free(f);
    ok = ok && run(db, "SELECT count(*) FROM bulk_demo WHERE (name IS NULL) = (id % 10 = 1) "
                       "AND LENGTH(data) = (id - 1) % 256", &count) == 0 && count == NROWS;
    printf("%-8s %d rows in %.0f ms: %.0f rows/s\n", how[k] ? how[k] : "many-row", NROWS,
           secs * 1e3, NROWS / secs);
    aiodb_db_free(db);
  }

  /* a failing row: named, and the batch leaves nothing */
  if (ok && (db = open_with(argv[1], NULL)) != NULL) {
    rows[3 * 14999] = aiodb_int(7); /* row 15,000 repeats row 7's id */
    ok = run(db, "DELETE FROM bulk_demo", NULL) == 0;
    f = insert_all(db, rows, NROWS);
    aiodb_future_wait(f, -1);
    printf("failing batch: %s: %s\n", aiodb_err_name(aiodb_future_error(f)),
           aiodb_future_errmsg(f));
    ok = ok && aiodb_future_error(f) == AIODB_ECONSTRAINT &&
         strncmp(aiodb_future_errmsg(f), "row 15000: ", 11) == 0;
    aiodb_future_free(f);
    ok = ok && run(db, "SELECT count(*) FROM bulk_demo", &count) == 0 && count == 0;
    ok = ok && run(db, "DROP TABLE bulk_demo", NULL) == 0;
    aiodb_db_free(db);
  }
  printf("%s\n", ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
