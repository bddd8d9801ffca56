/* The prepared-statement cache: prepared once, reused, LRU-bounded. */
#include <sqlite3.h>
#include <string.h>

#include "helpers.h"

typedef struct stmt_probe {
  const char *sql;
  int open;  /* statements prepared on the connection */
  int runs;  /* times the one with sql ran */
  int found;
} stmt_probe;

static int probe(void *native, void *ud) {
  stmt_probe *p = ud;
  sqlite3_stmt *st = NULL;
  p->open = p->runs = p->found = 0;
  while ((st = sqlite3_next_stmt(native, st)) != NULL) {
    p->open++;
    if (p->sql && strcmp(sqlite3_sql(st), p->sql) == 0) {
      p->found++;
      p->runs = sqlite3_stmt_status(st, SQLITE_STMTSTATUS_RUN, 0);
    }
  }
  return 0;
}

static void run_probe(aiodb_db *db, stmt_probe *p) {
  aiodb_future_free(aiodb_test_ok(aiodb_db_run(db, probe, p)));
}

START_TEST(cache_prepares_once) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  stmt_probe p = {"SELECT ? + 1", 0, 0, 0};
  int i;

  for (i = 0; i < 100; i++) {
    aiodb_value v = aiodb_int(i);
    aiodb_future *f = aiodb_test_ok(aiodb_query(db, "SELECT ? + 1", &v, 1));
    ck_assert_int_eq(aiodb_result_int(aiodb_future_result(f), 0, 0), i + 1);
    aiodb_future_free(f);
  }
  run_probe(db, &p);
  ck_assert_int_eq(p.found, 1);   /* one statement ... */
  ck_assert_int_eq(p.runs, 100);  /* ... run 100 times */
  aiodb_test_done(db);
}
END_TEST

START_TEST(cache_is_bounded_lru) {
  aiodb_db *db = aiodb_open("sqlite://?statement_cache=2", NULL, NULL);
  stmt_probe p = {"SELECT 1", 0, 0, 0};

  aiodb_test_exec(db, "SELECT 1");
  aiodb_test_exec(db, "SELECT 2");
  aiodb_test_exec(db, "SELECT 1"); /* 1 is now the most recent */
  aiodb_test_exec(db, "SELECT 3"); /* evicts 2 */
  run_probe(db, &p);
  ck_assert_int_eq(p.open, 2);
  ck_assert_int_eq(p.found, 1);
  ck_assert_int_eq(p.runs, 2);
  p.sql = "SELECT 2";
  run_probe(db, &p);
  ck_assert_int_eq(p.found, 0);
  aiodb_test_done(db);
}
END_TEST

START_TEST(cache_off_and_multi_statement) {
  aiodb_db *db = aiodb_open("sqlite://?statement_cache=0", NULL, NULL);
  aiodb_options o;
  stmt_probe p = {NULL, 0, 0, 0};

  aiodb_test_exec(db, "SELECT 1");
  aiodb_test_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1)");
  run_probe(db, &p);
  ck_assert_int_eq(p.open, 0);
  aiodb_db_free(db);

  aiodb_options_init(&o);
  o.statement_cache = 8;
  db = aiodb_open("sqlite://", &o, NULL);
  /* of several statements only a single trailing one can be cached */
  aiodb_test_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1)");
  p.sql = " INSERT INTO t VALUES (1)"; /* the text after the ";" */
  run_probe(db, &p);
  ck_assert_int_eq(p.open, 1);
  ck_assert_int_eq(p.found, 1);
  aiodb_test_done(db);
}
END_TEST

START_TEST(cache_survives_schema_change) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  aiodb_future *f;

  aiodb_test_exec(db, "CREATE TABLE t(a)");
  aiodb_test_exec(db, "INSERT INTO t VALUES (1)");
  f = aiodb_test_ok(aiodb_query(db, "SELECT * FROM t", NULL, 0));
  ck_assert_uint_eq(aiodb_result_cols(aiodb_future_result(f)), 1);
  aiodb_future_free(f);
  aiodb_test_exec(db, "ALTER TABLE t ADD COLUMN b DEFAULT 2");
  f = aiodb_test_ok(aiodb_query(db, "SELECT * FROM t", NULL, 0));
  ck_assert_uint_eq(aiodb_result_cols(aiodb_future_result(f)), 2);
  ck_assert_int_eq(aiodb_result_int(aiodb_future_result(f), 0, 1), 2);
  aiodb_future_free(f);
  aiodb_test_done(db);
}
END_TEST

Suite *aiodb_suite_cache(void) {
  return AIODB_SUITE("cache", cache_prepares_once, cache_is_bounded_lru,
                     cache_off_and_multi_statement, cache_survives_schema_change);
}
