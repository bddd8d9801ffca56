/* legacy_mysql: blocking code written against a MYSQL*, moved onto
 * aiodb's worker without rewriting it (docs/legacy.md walks through it).
 *
 *   legacy_mysql URL      (a mysql:// URL; uses table legacy_notes)
 *
 * notes_add() and notes_count() are the legacy module, unchanged: they take
 * a MYSQL* and block. The program then uses them three ways:
 *   1. from a plain thread, with aiodb_db_run() and aiodb_future_wait():
 *      the same blocking shape as before, but the handle now lives on its
 *      worker, so any number of threads may call in safely;
 *   3. several legacy calls inside one transaction on a pinned connection
 *      (aiodb_acquire, aiodb_run), rolled back as a whole;
 *   2. from a loop, with a callback instead of waiting (last, because a
 *      thread that dispatches should not wait any more).
 * Exits 0 when every count is what it should be.
 *
 *   cc -std=c11 legacy_mysql.c -laiodb $(pkg-config --cflags --libs libmariadb)
 *      -o legacy_mysql */
#include <mysql.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "aiodb.h"

/* ---- the legacy module: blocking, knows nothing of aiodb ---- */

/* Adds a note; returns its id, or -1. */
static int notes_add(MYSQL *db, const char *text) {
  char sql[512], escaped[2 * 200 + 1];
  size_t len = strlen(text);
  if (len > 200) return -1;
  mysql_real_escape_string(db, escaped, text, (unsigned long)len);
  snprintf(sql, sizeof sql, "INSERT INTO legacy_notes(text) VALUES ('%s')",
           escaped);
  if (mysql_query(db, sql) != 0) return -1;
  return (int)mysql_insert_id(db);
}

/* Returns how many notes there are, or -1. */
static int notes_count(MYSQL *db) {
  MYSQL_RES *res;
  MYSQL_ROW row;
  int n = -1;
  if (mysql_query(db, "SELECT count(*) FROM legacy_notes") != 0) return -1;
  if ((res = mysql_store_result(db)) == NULL) return -1;
  if ((row = mysql_fetch_row(res)) != NULL && row[0] != NULL) n = atoi(row[0]);
  mysql_free_result(res); /* leave no result pending on the connection */
  return n;
}

/* Runs one statement without a result; 0 or -1. */
static int notes_exec(MYSQL *db, const char *sql) {
  return mysql_query(db, sql) == 0 ? 0 : -1;
}

/* ---- the glue: one small function per legacy call, run on a worker ---- */

static int setup_on_worker(void *native, void *ud) {
  (void)ud;
  if (notes_exec(native, "CREATE TABLE IF NOT EXISTS legacy_notes(id int "
                         "AUTO_INCREMENT PRIMARY KEY, text text)") != 0)
    return AIODB_ESQL; /* a negative AIODB_E... fails the future */
  return notes_exec(native, "TRUNCATE legacy_notes") == 0
             ? 0
             : AIODB_ESQL;
}

static int add_on_worker(void *native, void *ud) {
  int id = notes_add(native, ud); /* native is the worker's MYSQL* */
  return id >= 0 ? id : AIODB_ESQL;
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
static int transaction_rolled_back(aiodb_db *db) {
  aiodb_future *acq = aiodb_acquire(db), *fs[4];
  aiodb_conn *conn;
  int i, ok = 1, inside;
  if (acq == NULL || aiodb_future_wait(acq, -1) != 0 ||
      aiodb_future_error(acq) != 0) {
    aiodb_future_free(acq);
    return 0;
  }
  conn = aiodb_future_conn(acq);
  fs[0] = aiodb_run(conn, exec_on_worker, "START TRANSACTION");
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

int main(int argc, char **argv) {
  aiodb_error err;
  aiodb_db *db;
  int after_adds, counted = -2, after_rollback, ok;

  if (argc < 2) {
    fprintf(stderr, "usage: legacy_mysql URL\n");
    return 2;
  }
  db = aiodb_open(argv[1], NULL, &err);
  if (db == NULL) {
    fprintf(stderr, "aiodb_open: %s\n", err.message);
    return 1;
  }
  /* 1. Blocking shape, worker-owned handle. */
  run_and_wait(db, setup_on_worker, NULL);
  printf("added note %d\n", run_and_wait(db, add_on_worker, "buy milk"));
  printf("added note %d\n", run_and_wait(db, add_on_worker, "call Bob"));
  after_adds = run_and_wait(db, count_on_worker, NULL);

  /* 3. One transaction over several legacy calls. */
  ok = transaction_rolled_back(db);
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
