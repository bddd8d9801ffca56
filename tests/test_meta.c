/* Metadata: table names, has_table, server info, param style. */
#include <sqlite3.h>
#include <string.h>

#include "helpers.h"

START_TEST(meta_tables_and_info) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  aiodb_future *f;
  aiodb_result *r;

  f = aiodb_test_ok(aiodb_table_names(db));
  ck_assert_uint_eq(aiodb_result_rows(aiodb_future_result(f)), 0);
  ck_assert_str_eq(aiodb_result_name(aiodb_future_result(f), 0), "name");
  aiodb_future_free(f);
  aiodb_test_exec(db, "CREATE TABLE zeta(x); CREATE TABLE alpha(y); CREATE VIEW v AS SELECT 1");
  aiodb_test_exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT)"); /* makes sqlite_sequence */
  f = aiodb_test_ok(aiodb_table_names(db));
  r = aiodb_future_result(f);
  ck_assert_uint_eq(aiodb_result_rows(r), 3);
  ck_assert_str_eq(aiodb_result_text(r, 0, 0), "alpha");
  ck_assert_str_eq(aiodb_result_text(r, 1, 0), "t");
  ck_assert_str_eq(aiodb_result_text(r, 2, 0), "zeta");
  aiodb_future_free(f);

  f = aiodb_test_ok(aiodb_has_table(db, "alpha"));
  ck_assert_str_eq(aiodb_result_name(aiodb_future_result(f), 0), "present");
  ck_assert_int_eq(aiodb_result_int(aiodb_future_result(f), 0, 0), 1);
  aiodb_future_free(f);
  ck_assert_int_eq(aiodb_test_has_table(db, "ALPHA"), 1);
  ck_assert_int_eq(aiodb_test_has_table(db, "nope'; DROP TABLE alpha; --"), 0);
  aiodb_test_fails(aiodb_has_table(db, NULL), AIODB_EINVAL, NULL);

  f = aiodb_test_ok(aiodb_server_info(db));
  r = aiodb_future_result(f);
  ck_assert_uint_eq(aiodb_result_rows(r), 1);
  ck_assert_str_eq(aiodb_result_name(r, 0), "driver");
  ck_assert_str_eq(aiodb_result_text(r, 0, 0), "sqlite");
  ck_assert_str_eq(aiodb_result_name(r, 1), "server_version");
  ck_assert_str_eq(aiodb_result_text(r, 0, 1), sqlite3_libversion());
  ck_assert_str_eq(aiodb_result_text(r, 0, 2), sqlite3_libversion());
  ck_assert_str_eq(aiodb_result_text(r, 0, 3), aiodb_version());
  aiodb_future_free(f);
  ck_assert_str_eq(aiodb_param_style(db), "?");
  ck_assert_ptr_null(aiodb_table_names(NULL));
  ck_assert_ptr_null(aiodb_has_table(NULL, "x"));
  ck_assert_ptr_null(aiodb_server_info(NULL));
  aiodb_test_done(db);
}
END_TEST

Suite *aiodb_suite_meta(void) {
  return AIODB_SUITE("meta", meta_tables_and_info);
}
