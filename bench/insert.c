/* Insert workload: N single-row inserts in one transaction, through aiodb
 * (a) one at a time, (b) pipelined, (c) with query_many, and (d) through
 * raw sqlite3 in the same process, on the same file. Prints rows/s and the
 * ratio of each to raw.
 *
 *   bench_insert [FILE.db] [N]      (defaults: a temporary file, 50000) */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aiodb.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void check(aiodb_future *f, const char *what) {
  if (f == NULL || aiodb_future_wait(f, -1) != 0 || aiodb_future_error(f) != 0) {
    fprintf(stderr, "%s: %s\n", what, f ? aiodb_future_errmsg(f) : "NULL");
    exit(1);
  }
  aiodb_future_free(f);
}

static const char *text_of(long i, char *buf) {
  snprintf(buf, 32, "value-%08ld", i);
  return buf;
}

static double run_loop(aiodb_db *db, long n) {
  double t0 = now_s();
  aiodb_tx *tx = aiodb_begin(db);
  char buf[32];
  long i;
  for (i = 0; i < n; i++) {
    aiodb_value v[2] = {aiodb_int(i), aiodb_text(text_of(i, buf))};
    check(aiodb_tx_query(tx, "INSERT INTO ins VALUES (?, ?)", v, 2), "insert");
  }
  check(aiodb_commit(tx), "commit");
  return now_s() - t0;
}

static double run_pipelined(aiodb_db *db, long n) {
  aiodb_future **fs = malloc(sizeof *fs * (size_t)n);
  double t0 = now_s();
  aiodb_tx *tx = aiodb_begin(db);
  char buf[32];
  long i;
  for (i = 0; i < n; i++) {
    aiodb_value v[2] = {aiodb_int(i), aiodb_text(text_of(i, buf))};
    fs[i] = aiodb_tx_query(tx, "INSERT INTO ins VALUES (?, ?)", v, 2);
  }
  check(aiodb_commit(tx), "commit");
  for (i = 0; i < n; i++) check(fs[i], "insert");
  free(fs);
  return now_s() - t0;
}

static double run_many(aiodb_db *db, long n) {
  aiodb_value *rows = malloc(sizeof *rows * 2 * (size_t)n);
  char (*texts)[32] = malloc(32 * (size_t)n);
  double t0 = now_s();
  long i;
  for (i = 0; i < n; i++) {
    rows[2 * i] = aiodb_int(i);
    rows[2 * i + 1] = aiodb_text(text_of(i, texts[i]));
  }
  check(aiodb_query_many(db, "INSERT INTO ins VALUES (?, ?)", rows, (size_t)n, 2),
        "query_many");
  free(rows);
  free(texts);
  return now_s() - t0;
}

static double run_raw(const char *path, long n) {
  sqlite3 *db;
  sqlite3_stmt *st;
  char buf[32];
  double t0 = now_s();
  long i;
  if (sqlite3_open(path, &db) != SQLITE_OK) exit(1);
  sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
  sqlite3_prepare_v2(db, "INSERT INTO ins VALUES (?, ?)", -1, &st, NULL);
  for (i = 0; i < n; i++) {
    sqlite3_bind_int64(st, 1, i);
    sqlite3_bind_text(st, 2, text_of(i, buf), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) exit(1);
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
  sqlite3_close(db);
  return now_s() - t0;
}

int main(int argc, char **argv) {
  char path[512], url[600];
  long n = argc > 2 ? atol(argv[2]) : 50000;
  double t[4];
  const char *names[4] = {"aiodb, one at a time", "aiodb, pipelined",
                          "aiodb, query_many", "raw sqlite3"};
  aiodb_db *db;
  int i;

  if (argc > 1)
    snprintf(path, sizeof path, "%s", argv[1]);
  else
    snprintf(path, sizeof path, "/tmp/aiodb-bench-insert-%ld.db", (long)getpid());
  unlink(path);
  snprintf(url, sizeof url, "sqlite:///%s", path);
  db = aiodb_open(url, NULL, NULL);
  if (db == NULL || n <= 0) {
    fprintf(stderr, "usage: bench_insert [FILE.db] [N]\n");
    return 2;
  }
  check(aiodb_query(db, "CREATE TABLE ins(id INTEGER PRIMARY KEY, v TEXT)", NULL, 0),
        "create");
  for (i = 0; i < 4; i++) {
    check(aiodb_query(db, "DELETE FROM ins", NULL, 0), "delete");
    switch (i) {
      case 0: t[i] = run_loop(db, n); break;
      case 1: t[i] = run_pipelined(db, n); break;
      case 2: t[i] = run_many(db, n); break;
      default: t[i] = run_raw(path, n); break;
    }
  }
  printf("%ld single-row inserts in one transaction (SQLite %s)\n", n,
         sqlite3_libversion());
  printf("%-24s %12s %10s %8s\n", "workload", "rows/s", "us/row", "vs raw");
  for (i = 0; i < 4; i++)
    printf("%-24s %12.0f %10.2f %8.2f\n", names[i], (double)n / t[i],
           t[i] * 1e6 / (double)n, t[3] / t[i]);
  printf("query_many / one-at-a-time loop = %.1fx\n", t[0] / t[2]);
  aiodb_db_free(db);
  unlink(path);
  return 0;
}
