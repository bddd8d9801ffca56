/* query_many: one statement, many rows, prepared once, atomic. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

static aiodb_db *open_t(void) {
  aiodb_db *db = aiodb_open(aiodb_test_sqlite_url(), NULL, NULL);
  aiodb_test_exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, n INTEGER UNIQUE, s TEXT)");
  return db;
}

START_TEST(many_inserts_every_row) {
  aiodb_db *db = open_t();
  enum { N = 1000 };
  aiodb_value *rows = malloc(sizeof *rows * N * 2);
  char (*texts)[16] = malloc(N * 16);
  aiodb_future *f;
  int i;

  for (i = 0; i < N; i++) {
    snprintf(texts[i], 16, "row-%d", i);
    rows[2 * i] = aiodb_int(i * 3);
    rows[2 * i + 1] = aiodb_text(texts[i]);
  }
  f = aiodb_query_many(db, "INSERT INTO t(n, s) VALUES (?, ?)", rows, N, 2);
  memset(texts, 0, N * 16); /* copied at submission */
  aiodb_test_ok(f);
  ck_assert_int_eq(aiodb_result_affected(aiodb_future_result(f)), N);
  ck_assert_int_eq(aiodb_result_last_id(aiodb_future_result(f)), N);
  aiodb_future_free(f);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM t WHERE s = 'row-' || (n / 3)"), N);
  /* named placeholders, repeated, bind per row too */
  f = aiodb_test_ok(aiodb_query_many(db, "UPDATE t SET s = :v || :v WHERE n = :k",
                                     (aiodb_value[]){aiodb_text("a"), aiodb_int(0),
                                                     aiodb_text("b"), aiodb_int(3)},
                                     2, 2));
  ck_assert_int_eq(aiodb_result_affected(aiodb_future_result(f)), 2);
  aiodb_future_free(f);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM t WHERE s IN ('aa', 'bb')"), 2);
  free(rows);
  free(texts);
  aiodb_test_done(db);
}
END_TEST

START_TEST(many_is_atomic) {
  aiodb_db *db = open_t();
  aiodb_value rows[1000];
  aiodb_future *f;
  int i;

  for (i = 0; i < 1000; i++) rows[i] = aiodb_int(i == 499 ? 7 : i);
  f = aiodb_query_many(db, "INSERT INTO t(n) VALUES (?)", rows, 1000, 1);
  ck_assert_int_eq(aiodb_test_err(f), AIODB_ECONSTRAINT);
  ck_assert_msg(strncmp(aiodb_future_errmsg(f), "row 500: ", 9) == 0, "%s",
                aiodb_future_errmsg(f));
  aiodb_future_free(f);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM t"), 0);
  aiodb_test_done(db);
}
END_TEST

START_TEST(many_collects_returning_rows) {
  aiodb_db *db = open_t();
  aiodb_value rows[] = {aiodb_int(10), aiodb_int(20), aiodb_int(30)};
  aiodb_future *f = aiodb_test_ok(
      aiodb_query_many(db, "INSERT INTO t(n) VALUES (?) RETURNING id, n * 2 AS twice", rows, 3, 1));
  aiodb_result *r = aiodb_future_result(f);
  ck_assert_uint_eq(aiodb_result_rows(r), 3);
  ck_assert_str_eq(aiodb_result_name(r, 1), "twice");
  ck_assert_int_eq(aiodb_result_int(r, 2, 0), 3);
  ck_assert_int_eq(aiodb_result_int(r, 2, 1), 60);
  aiodb_future_free(f);
  aiodb_test_done(db);
}
END_TEST

START_TEST(many_bad_input) {
  aiodb_db *db = open_t();
  aiodb_value rows[] = {aiodb_int(1), aiodb_int(2)};
  aiodb_future *f;

  f = aiodb_test_ok(aiodb_query_many(db, "INSERT INTO t(n) VALUES (?)", NULL, 0, 1));
  ck_assert_int_eq(aiodb_result_affected(aiodb_future_result(f)), 0);
  aiodb_future_free(f);
  aiodb_test_fails(aiodb_query_many(db, "INSERT INTO t(n) VALUES (?)", rows, 1, 2),
                   AIODB_EINVAL, "takes 1 argument but 2");
  aiodb_test_fails(aiodb_query_many(db, "INSERT INTO t(n) VALUES (?); SELECT 1", rows, 2, 1),
                   AIODB_EINVAL, NULL);
  aiodb_test_fails(aiodb_query_many(db, "INSERT INTO t(n) VALUES (?)", NULL, 2, 1),
                   AIODB_EINVAL, NULL);
  aiodb_test_fails(aiodb_query_many(db, NULL, rows, 2, 1), AIODB_EINVAL, NULL);
  ck_assert_ptr_null(aiodb_query_many(NULL, "x", rows, 1, 1));
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM t"), 0);
  aiodb_test_done(db);
}
END_TEST

Suite *aiodb_suite_many(void) {
  return AIODB_SUITE("many", many_inserts_every_row, many_is_atomic, many_collects_returning_rows,
                     many_bad_input);
}
