/* Every value type round-trips through a real SQLite database; arguments
 * are copied at submission; result accessors are safe out of range. */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

static aiodb_db *open_table(void) {
  aiodb_db *db = aiodb_open(aiodb_test_sqlite_url(), NULL, NULL);
  ck_assert_ptr_nonnull(db);
  aiodb_test_exec(db, "CREATE TABLE v(id INTEGER PRIMARY KEY, x)");
  return db;
}

/* Inserts v, reads it back with typeof(), returns the select's future. */
static aiodb_future *roundtrip(aiodb_db *db, aiodb_value v, const char *type) {
  aiodb_future *ins = aiodb_test_ok(aiodb_query(db, "INSERT INTO v(x) VALUES (?)", &v, 1));
  aiodb_value id = aiodb_int(aiodb_result_last_id(aiodb_future_result(ins)));
  aiodb_future *sel = aiodb_test_ok(
      aiodb_query(db, "SELECT x, typeof(x) FROM v WHERE id = ?", &id, 1));
  aiodb_result *r = aiodb_future_result(sel);
  ck_assert_uint_eq(aiodb_result_rows(r), 1);
  ck_assert_str_eq(aiodb_result_text(r, 0, 1), type);
  aiodb_future_free(ins);
  return sel;
}

START_TEST(values_every_type) {
  aiodb_db *db = open_table();
  aiodb_future *f;
  aiodb_result *r;
  static const char utf8[] = "h\xc3\xa9llo w\xc3\xb6rld \xe2\x82\xac \xf0\x9f\x98\x80";
  static const char nul_blob[] = {'a', 0, 'b', 0, 0, 'c'};

  f = roundtrip(db, aiodb_null(), "null");
  r = aiodb_future_result(f);
  ck_assert_int_eq(aiodb_result_type(r, 0, 0), AIODB_TYPE_NULL);
  ck_assert(aiodb_result_isnull(r, 0, 0));
  ck_assert_ptr_null(aiodb_result_text(r, 0, 0));
  aiodb_future_free(f);

  f = roundtrip(db, aiodb_int(INT64_MAX), "integer");
  ck_assert(aiodb_result_int(aiodb_future_result(f), 0, 0) == INT64_MAX);
  aiodb_future_free(f);
  f = roundtrip(db, aiodb_int(INT64_MIN), "integer");
  ck_assert(aiodb_result_int(aiodb_future_result(f), 0, 0) == INT64_MIN);
  aiodb_future_free(f);

  f = roundtrip(db, aiodb_float(-1.5e300), "real");
  r = aiodb_future_result(f);
  ck_assert_int_eq(aiodb_result_type(r, 0, 0), AIODB_TYPE_FLOAT);
  ck_assert(aiodb_result_float(r, 0, 0) == -1.5e300);
  aiodb_future_free(f);
  f = roundtrip(db, aiodb_float(DBL_MIN), "real");
  ck_assert(aiodb_result_float(aiodb_future_result(f), 0, 0) == DBL_MIN);
  aiodb_future_free(f);

  f = roundtrip(db, aiodb_text(""), "text");
  r = aiodb_future_result(f);
  ck_assert_int_eq(aiodb_result_type(r, 0, 0), AIODB_TYPE_TEXT);
  ck_assert_str_eq(aiodb_result_text(r, 0, 0), "");
  ck_assert_uint_eq(aiodb_result_len(r, 0, 0), 0);
  ck_assert(!aiodb_result_isnull(r, 0, 0));
  aiodb_future_free(f);

  f = roundtrip(db, aiodb_text(utf8), "text");
  r = aiodb_future_result(f);
  ck_assert_str_eq(aiodb_result_text(r, 0, 0), utf8);
  ck_assert_uint_eq(aiodb_result_len(r, 0, 0), strlen(utf8));
  aiodb_future_free(f);

  f = roundtrip(db, aiodb_blob(nul_blob, sizeof nul_blob), "blob");
  r = aiodb_future_result(f);
  ck_assert_int_eq(aiodb_result_type(r, 0, 0), AIODB_TYPE_BLOB);
  ck_assert_uint_eq(aiodb_result_len(r, 0, 0), sizeof nul_blob);
  ck_assert_int_eq(memcmp(aiodb_result_blob(r, 0, 0), nul_blob, sizeof nul_blob), 0);
  aiodb_future_free(f);

  f = roundtrip(db, aiodb_blob(NULL, 0), "blob");
  ck_assert_uint_eq(aiodb_result_len(aiodb_future_result(f), 0, 0), 0);
  aiodb_future_free(f);

  f = roundtrip(db, aiodb_text(NULL), "null");
  aiodb_future_free(f);
  aiodb_test_done(db);
}
END_TEST

START_TEST(values_large_blob_and_text) {
  aiodb_db *db = open_table();
  size_t n = 1u << 20;
  unsigned char *big;
  char *text;
  aiodb_future *f;

  aiodb_test_large_values(n, &big, &text);
  f = roundtrip(db, aiodb_blob(big, n), "blob");
  aiodb_test_cell_is(aiodb_future_result(f), 0, 0, big, n, 0);
  aiodb_future_free(f);
  f = roundtrip(db, aiodb_textn(text, n), "text");
  aiodb_test_cell_is(aiodb_future_result(f), 0, 0, text, n, 1);
  aiodb_future_free(f);
  free(big);
  free(text);
  aiodb_test_done(db);
}
END_TEST

START_TEST(values_arguments_copied_at_submission) {
  aiodb_db *db = open_table();
  aiodb_test_gate g;
  aiodb_future *gate, *ins, *sel;
  char *text = strdup("original");
  unsigned char *blob = malloc(4);
  aiodb_value args[2];
  aiodb_result *r;

  memcpy(blob, "\x01\x02\x03\x04", 4);
  gate = aiodb_test_gate_hold(db, &g);
  args[0] = aiodb_text(text);
  args[1] = aiodb_blob(blob, 4);
  ins = aiodb_query(db, "INSERT INTO v(x) VALUES (?), (?)", args, 2);
  /* The caller's buffers die before the statement runs. */
  memset(text, 'X', strlen(text));
  free(text);
  memset(blob, 0xee, 4);
  free(blob);
  memset(args, 0, sizeof args);
  aiodb_test_gate_open(&g);
  aiodb_test_ok(ins);
  sel = aiodb_test_ok(aiodb_query(db, "SELECT x FROM v ORDER BY id", NULL, 0));
  r = aiodb_future_result(sel);
  ck_assert_str_eq(aiodb_result_text(r, 0, 0), "original");
  ck_assert_int_eq(memcmp(aiodb_result_blob(r, 1, 0), "\x01\x02\x03\x04", 4), 0);
  aiodb_test_free_all(gate, ins, sel);
  aiodb_db_free(db);
  aiodb_test_gate_destroy(&g);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(values_named_and_repeated) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  aiodb_value args[] = {aiodb_int(2), aiodb_text("b")};
  aiodb_future *f = aiodb_query(
      db, "SELECT :n * :n AS sq, :s || ':n' || :s AS s, '?' AS q, ? IS NULL",
      args, 2);
  aiodb_result *r;
  /* mixing styles is refused */
  aiodb_test_fails(f, AIODB_EINVAL, "mix");
  f = aiodb_test_ok(aiodb_query(
      db, "SELECT :n * :n AS sq, :s || ':n' || :s AS s, '?' AS q", args, 2));
  r = aiodb_future_result(f);
  ck_assert_int_eq(aiodb_result_int(r, 0, 0), 4);
  ck_assert_str_eq(aiodb_result_text(r, 0, 1), "b:nb");
  ck_assert_str_eq(aiodb_result_text(r, 0, 2), "?");
  ck_assert_str_eq(aiodb_result_name(r, 0), "sq");
  ck_assert_str_eq(aiodb_result_name(r, 2), "q");
  aiodb_future_free(f);
  aiodb_test_done(db);
}
END_TEST

START_TEST(values_accessors_convert_and_bound) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  aiodb_future *f = aiodb_test_ok(
      aiodb_query(db, "SELECT 42, 2.75, '17', NULL", NULL, 0));
  aiodb_result *r = aiodb_future_result(f), *taken;

  ck_assert_uint_eq(aiodb_result_rows(r), 1);
  ck_assert_uint_eq(aiodb_result_cols(r), 4);
  ck_assert(aiodb_result_float(r, 0, 0) == 42.0);
  ck_assert_int_eq(aiodb_result_int(r, 0, 1), 2);
  ck_assert_int_eq(aiodb_result_int(r, 0, 2), 17);
  ck_assert(aiodb_result_float(r, 0, 2) == 17.0);
  ck_assert_ptr_null(aiodb_result_text(r, 0, 0));
  ck_assert_int_eq(aiodb_result_int(r, 0, 3), 0);
  /* out of range: NULL, 0, never a crash */
  ck_assert_int_eq(aiodb_result_type(r, 1, 0), AIODB_TYPE_NULL);
  ck_assert_int_eq(aiodb_result_type(r, 0, 4), AIODB_TYPE_NULL);
  ck_assert_ptr_null(aiodb_result_text(r, 5, 5));
  ck_assert_ptr_null(aiodb_result_name(r, 4));
  ck_assert_uint_eq(aiodb_result_len(r, 9, 9), 0);
  ck_assert_uint_eq(aiodb_result_rows(NULL), 0);
  ck_assert_int_eq(aiodb_result_int(NULL, 0, 0), 0);
  ck_assert_int_eq(aiodb_result_affected(NULL), 0);
  /* take the result out: the caller frees it after the future */
  taken = aiodb_future_take_result(f);
  ck_assert_ptr_eq(taken, r);
  ck_assert_ptr_null(aiodb_future_result(f));
  aiodb_future_free(f);
  ck_assert_int_eq(aiodb_result_int(taken, 0, 0), 42);
  aiodb_result_free(taken);
  aiodb_result_free(NULL);
  aiodb_test_done(db);
}
END_TEST

Suite *aiodb_suite_values(void) {
  return AIODB_SUITE("values", values_every_type, values_large_blob_and_text,
                     values_arguments_copied_at_submission, values_named_and_repeated,
                     values_accessors_convert_and_bound);
}
