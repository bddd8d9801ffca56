/* MySQL/MariaDB through MariaDB Connector/C, against the throwaway server
 * that the mysql_start fixture runs (tests/mariadb_server.sh): types on both
 * protocols, errors, the statement cache, cancel, lost connections, TLS,
 * passwords and bounded cursors. */
#include <dlfcn.h>
#include <float.h>
#include <mysql.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

/* A file the fixture wrote ("tcp_url", "socket_url", "tls_ca"), or NULL
 * when absent. */
static const char *my_file(const char *which) {
  return aiodb_test_server_file("AIODB_TEST_MYSQL_DIR", which);
}

static const char *my_url(const char *which) {
  const char *u = my_file(which);
  ck_assert_msg(u != NULL, "no MariaDB test server (%s)", which);
  return u;
}

static aiodb_db *my_open(const char *which, const char *opts) {
  return aiodb_test_open_with(my_url(which), opts);
}

static const char *cell_text(aiodb_future *f, size_t col) {
  return aiodb_result_text(aiodb_future_result(f), 0, col);
}

/* Every column type, read over the binary protocol (prepared) and over the
 * text protocol (several statements): the same cells. */
START_TEST(my_types_on_both_protocols) {
  aiodb_db *bin = my_open("socket_url", NULL);
  aiodb_db *txt = my_open("socket_url", "statement_cache=0");
  static const char blob[] = {0, 1, 2, (char)0xff, 0, 'z'};
  aiodb_value args[] = {aiodb_blob(blob, sizeof blob),
                        aiodb_text("h\xc3\xa9llo \xf0\x9f\x98\x80")};
  aiodb_future *fb, *ft;
  aiodb_result *rb, *rt;
  size_t i;

  aiodb_test_exec(bin, "DROP TABLE IF EXISTS my_types");
  aiodb_test_exec(bin,
                  "CREATE TABLE my_types(ti TINYINT, si SMALLINT UNSIGNED, mi MEDIUMINT, "
                  "i INT, bi BIGINT, ubi BIGINT UNSIGNED, small_ubi BIGINT UNSIGNED, "
                  "f FLOAT, d DOUBLE, dec1 DECIMAL(10,2), dt DATE, tm TIME(3), "
                  "dtm DATETIME(6), ts TIMESTAMP NULL, y YEAR, bits BIT(12), "
                  "vb VARBINARY(16), lb LONGBLOB, vc VARCHAR(40), lt LONGTEXT, "
                  "en ENUM('a','b'), js JSON, nul INT)");
  aiodb_future_free(aiodb_test_ok(aiodb_query(
      bin,
      "INSERT INTO my_types VALUES (-128, 65535, -8388608, 2147483647, "
      "-9223372036854775808, 18446744073709551615, 42, 1.1, 0.1, 1.50, "
      "'2024-02-29', '-12:34:56.5', '2024-01-02 03:04:05.000006', "
      "'2038-01-19 03:14:07', 2024, b'101000000001', x'00ff', ?, ?, 'x', 'b', "
      "'{\"k\": [1, 2]}', NULL)",
      args, 2)));
  fb = aiodb_test_ok(aiodb_query(bin, "SELECT * FROM my_types WHERE ti = ?",
                                 (aiodb_value[]){aiodb_int(-128)}, 1));
  ft = aiodb_test_ok(aiodb_query(txt, "DO 0; SELECT * FROM my_types", NULL, 0));
  rb = aiodb_future_result(fb);
  rt = aiodb_future_result(ft);

  ck_assert_uint_eq(aiodb_result_cols(rb), 23);
  ck_assert_int_eq(aiodb_result_int(rb, 0, 0), -128);
  ck_assert_int_eq(aiodb_result_int(rb, 0, 1), 65535);
  ck_assert_int_eq(aiodb_result_int(rb, 0, 2), -8388608);
  ck_assert_int_eq(aiodb_result_int(rb, 0, 3), 2147483647);
  ck_assert(aiodb_result_int(rb, 0, 4) == INT64_MIN);
  /* unsigned BIGINT beyond int64: the exact digits, as text */
  ck_assert_int_eq(aiodb_result_type(rb, 0, 5), AIODB_TYPE_TEXT);
  ck_assert_str_eq(aiodb_result_text(rb, 0, 5), "18446744073709551615");
  ck_assert_int_eq(aiodb_result_type(rb, 0, 6), AIODB_TYPE_INT);
  ck_assert_int_eq(aiodb_result_int(rb, 0, 6), 42);
  ck_assert_int_eq(aiodb_result_type(rb, 0, 7), AIODB_TYPE_FLOAT);
  ck_assert(aiodb_result_float(rb, 0, 7) == (double)1.1f); /* the stored float */
  ck_assert(aiodb_result_float(rb, 0, 8) == 0.1);
  ck_assert_int_eq(aiodb_result_type(rb, 0, 9), AIODB_TYPE_TEXT);
  ck_assert_str_eq(aiodb_result_text(rb, 0, 9), "1.50");
  ck_assert_str_eq(aiodb_result_text(rb, 0, 10), "2024-02-29");
  ck_assert_str_eq(aiodb_result_text(rb, 0, 11), "-12:34:56.500");
  ck_assert_str_eq(aiodb_result_text(rb, 0, 12), "2024-01-02 03:04:05.000006");
  ck_assert_str_eq(aiodb_result_text(rb, 0, 13), "2038-01-19 03:14:07");
  ck_assert_int_eq(aiodb_result_type(rb, 0, 14), AIODB_TYPE_INT);
  ck_assert_int_eq(aiodb_result_int(rb, 0, 14), 2024);
  ck_assert_int_eq(aiodb_result_int(rb, 0, 15), 0xa01);
  ck_assert_int_eq(aiodb_result_type(rb, 0, 16), AIODB_TYPE_BLOB);
  ck_assert_uint_eq(aiodb_result_len(rb, 0, 16), 2);
  ck_assert_int_eq(aiodb_result_type(rb, 0, 17), AIODB_TYPE_BLOB);
  ck_assert_uint_eq(aiodb_result_len(rb, 0, 17), sizeof blob);
  ck_assert_int_eq(memcmp(aiodb_result_blob(rb, 0, 17), blob, sizeof blob), 0);
  ck_assert_str_eq(aiodb_result_text(rb, 0, 18), "h\xc3\xa9llo \xf0\x9f\x98\x80");
  ck_assert_str_eq(aiodb_result_text(rb, 0, 19), "x");
  ck_assert_str_eq(aiodb_result_text(rb, 0, 20), "b");
  ck_assert_int_eq(aiodb_result_type(rb, 0, 21), AIODB_TYPE_TEXT);
  ck_assert(aiodb_result_isnull(rb, 0, 22));
  ck_assert_str_eq(aiodb_result_name(rb, 3), "i");

  /* the text protocol gives the very same cells */
  ck_assert_uint_eq(aiodb_result_cols(rt), aiodb_result_cols(rb));
  for (i = 0; i < aiodb_result_cols(rb); i++) {
    aiodb_type type = aiodb_result_type(rb, 0, i);
    ck_assert_msg(aiodb_result_type(rt, 0, i) == type, "column %zu: type %d, text protocol %d",
                  i, (int)type, (int)aiodb_result_type(rt, 0, i));
    ck_assert_str_eq(aiodb_result_name(rt, i), aiodb_result_name(rb, i));
    if (type == AIODB_TYPE_INT)
      ck_assert(aiodb_result_int(rt, 0, i) == aiodb_result_int(rb, 0, i));
    else if (type == AIODB_TYPE_FLOAT)
      ck_assert(aiodb_result_float(rt, 0, i) == aiodb_result_float(rb, 0, i));
    else if (type != AIODB_TYPE_NULL) {
      ck_assert_uint_eq(aiodb_result_len(rt, 0, i), aiodb_result_len(rb, 0, i));
      ck_assert_msg(memcmp(aiodb_result_blob(rt, 0, i), aiodb_result_blob(rb, 0, i),
                           aiodb_result_len(rb, 0, i)) == 0,
                    "column %zu differs", i);
    }
  }
  aiodb_future_free(fb);
  aiodb_future_free(ft);

  /* a literal's type follows the argument bound to it, call by call, on the
   * same cached statement */
  fb = aiodb_test_ok(aiodb_query(bin, "SELECT ? AS v", (aiodb_value[]){aiodb_int(7)}, 1));
  ck_assert_int_eq(aiodb_result_type(aiodb_future_result(fb), 0, 0), AIODB_TYPE_INT);
  aiodb_future_free(fb);
  fb = aiodb_test_ok(aiodb_query(bin, "SELECT ? AS v", (aiodb_value[]){aiodb_text("seven")}, 1));
  ck_assert_str_eq(cell_text(fb, 0), "seven");
  aiodb_future_free(fb);
  fb = aiodb_test_ok(aiodb_query(bin, "SELECT ? AS v", (aiodb_value[]){aiodb_float(2.5)}, 1));
  ck_assert(aiodb_result_float(aiodb_future_result(fb), 0, 0) == 2.5);
  aiodb_future_free(fb);
  ck_assert_str_eq(aiodb_param_style(bin), "?");
  ck_assert_str_eq(aiodb_db_driver(bin), "mysql");
  aiodb_test_exec(bin, "DROP TABLE my_types");
  aiodb_db_free(txt);
  aiodb_db_free(bin);
  aiodb_test_clean_shutdown();
}
END_TEST

static void expect_float(aiodb_result *r, size_t row, size_t col, double want) {
  double got = aiodb_result_float(r, row, col);
  ck_assert_int_eq(aiodb_result_type(r, row, col), AIODB_TYPE_FLOAT);
  ck_assert_msg(got == want, "row %zu column %zu: %.17g, expected %.17g", row, col, got,
                want);
}

/* The rows of my_floats as every single statement reads them, prepared
 * and cached or not, or through a cursor: a FLOAT is the stored float
 * widened to double. */
static void expect_stored_floats(aiodb_result *r) {
  ck_assert_uint_eq(aiodb_result_rows(r), 3);
  expect_float(r, 0, 0, 16777216.0); /* 16777217 does not fit a float */
  expect_float(r, 1, 0, (double)0.3333333333f);
  expect_float(r, 2, 0, (double)FLT_MAX);
  expect_float(r, 0, 1, (double)1.2346f); /* FLOAT(7,4) stores 1.23456 rounded */
  expect_float(r, 0, 2, 0.30000000000000004);
  expect_float(r, 1, 2, 4.9406564584124654e-324);
}

#define SELECT_FLOATS "SELECT f, f74, d FROM my_floats ORDER BY id"

START_TEST(my_float_is_the_stored_float) {
  aiodb_db *db = my_open("socket_url", NULL);
  aiodb_db *nocache = my_open("socket_url", "statement_cache=0");
  aiodb_value zero = aiodb_int(0), one = aiodb_float(0.1);
  aiodb_cursor *c;
  aiodb_future *f;
  aiodb_result *r;

  aiodb_test_exec(db, "DROP TABLE IF EXISTS my_floats");
  aiodb_test_exec(db, "CREATE TABLE my_floats(id INT, f FLOAT, f74 FLOAT(7,4), d DOUBLE)");
  aiodb_test_exec(db, "INSERT INTO my_floats VALUES (1, 16777217, 1.23456, 0.1e0 + 0.2e0), "
                      "(2, 0.3333333333, 0, 5e-324), (3, 3.4028234663852886e38, 0, 0)");
  f = aiodb_test_ok(aiodb_query(db, SELECT_FLOATS, NULL, 0));
  expect_stored_floats(aiodb_future_result(f));
  aiodb_future_free(f);
  f = aiodb_test_ok(aiodb_query(db, "SELECT f, f74, d FROM my_floats WHERE id > ? ORDER BY id",
                                &zero, 1));
  expect_stored_floats(aiodb_future_result(f));
  aiodb_future_free(f);
  f = aiodb_test_ok(aiodb_query(nocache, SELECT_FLOATS, NULL, 0));
  expect_stored_floats(aiodb_future_result(f));
  aiodb_future_free(f);
  c = aiodb_iterate(nocache, SELECT_FLOATS, NULL, 0, 10);
  f = aiodb_test_ok(aiodb_cursor_next(c));
  expect_stored_floats(aiodb_future_result(f));
  aiodb_future_free(f);
  aiodb_cursor_free(c);
  /* a bound double stored as FLOAT */
  f = aiodb_test_ok(aiodb_query(nocache, "SELECT CAST(? AS FLOAT) AS v", &one, 1));
  expect_float(aiodb_future_result(f), 0, 0, (double)0.1f);
  aiodb_future_free(f);

  /* Several statements go over the text protocol, where the server prints
   * a FLOAT with 6 significant digits: the cell is the float nearest those
   * digits. A DOUBLE is printed exactly, and so is a FLOAT cast to one. */
  f = aiodb_test_ok(aiodb_query(db, "DO 0; " SELECT_FLOATS, NULL, 0));
  r = aiodb_future_result(f);
  expect_float(r, 0, 0, (double)16777200.0f);
  expect_float(r, 1, 0, (double)0.333333f);
  expect_float(r, 0, 1, (double)1.2346f);
  expect_float(r, 0, 2, 0.30000000000000004);
  expect_float(r, 1, 2, 4.9406564584124654e-324);
  aiodb_future_free(f);
  f = aiodb_test_ok(aiodb_query(
      db, "DO 0; SELECT CAST(f AS DOUBLE) AS f FROM my_floats ORDER BY id", NULL, 0));
  expect_float(aiodb_future_result(f), 0, 0, 16777216.0);
  expect_float(aiodb_future_result(f), 1, 0, (double)0.3333333333f);
  aiodb_future_free(f);
  aiodb_test_exec(db, "DROP TABLE my_floats");
  aiodb_db_free(nocache);
  aiodb_test_done(db);
}
END_TEST

/* BIT(64) is unsigned: above INT64_MAX it comes back as TEXT holding the
 * exact digits, as BIGINT UNSIGNED does, on both protocols. */
START_TEST(my_bit64_above_int64_max) {
  aiodb_db *db = my_open("socket_url", NULL);
  static const char *const sql[] = {"SELECT b FROM my_bits ORDER BY id",
                                    "DO 0; SELECT b FROM my_bits ORDER BY id"};
  aiodb_future *f;
  aiodb_result *r;
  size_t k;

  aiodb_test_exec(db, "DROP TABLE IF EXISTS my_bits");
  aiodb_test_exec(db, "CREATE TABLE my_bits(id INT, b BIT(64))");
  aiodb_test_exec(db, "INSERT INTO my_bits VALUES (1, 0x7fffffffffffffff), "
                      "(2, 0x8000000000000000), (3, 0xffffffffffffffff)");
  for (k = 0; k < 2; k++) {
    f = aiodb_test_ok(aiodb_query(db, sql[k], NULL, 0));
    r = aiodb_future_result(f);
    ck_assert_int_eq(aiodb_result_type(r, 0, 0), AIODB_TYPE_INT);
    ck_assert(aiodb_result_int(r, 0, 0) == INT64_MAX);
    ck_assert_int_eq(aiodb_result_type(r, 1, 0), AIODB_TYPE_TEXT);
    ck_assert_str_eq(aiodb_result_text(r, 1, 0), "9223372036854775808");
    ck_assert_int_eq(aiodb_result_type(r, 2, 0), AIODB_TYPE_TEXT);
    ck_assert_str_eq(aiodb_result_text(r, 2, 0), "18446744073709551615");
    aiodb_future_free(f);
  }
  aiodb_test_exec(db, "DROP TABLE my_bits");
  aiodb_test_done(db);
}
END_TEST

START_TEST(my_statements_and_errors) {
  aiodb_db *db = my_open("socket_url", NULL);
  aiodb_value two[] = {aiodb_int(1), aiodb_text("a")};
  aiodb_future *f;
  aiodb_result *r;

  aiodb_test_exec(db, "DROP TABLE IF EXISTS my_s");
  aiodb_test_exec(db, "CREATE TABLE my_s(id INT AUTO_INCREMENT PRIMARY KEY, "
                      "n INT UNIQUE, s VARCHAR(10))");
  f = aiodb_test_ok(aiodb_query(db, "INSERT INTO my_s(n, s) VALUES (?, ?)", two, 2));
  ck_assert_int_eq(aiodb_result_affected(aiodb_future_result(f)), 1);
  ck_assert_int_eq(aiodb_result_last_id(aiodb_future_result(f)), 1);
  aiodb_future_free(f);
  f = aiodb_test_ok(aiodb_query(db, "INSERT INTO my_s(n) VALUES (2), (3)", NULL, 0));
  ck_assert_int_eq(aiodb_result_affected(aiodb_future_result(f)), 2);
  ck_assert_int_eq(aiodb_result_last_id(aiodb_future_result(f)), 2); /* the first */
  aiodb_future_free(f);
  /* rows matched, not only changed (CLIENT_FOUND_ROWS): as SQLite and
   * PostgreSQL count them */
  f = aiodb_test_ok(aiodb_query(db, "UPDATE my_s SET s = 'a' WHERE n <= 2", NULL, 0));
  ck_assert_int_eq(aiodb_result_affected(aiodb_future_result(f)), 2);
  aiodb_future_free(f);

  /* ER_DUP_ENTRY */
  aiodb_test_fails_as(aiodb_query(db, "INSERT INTO my_s(n) VALUES (?)", two, 1),
                      AIODB_ECONSTRAINT, "23000", 1062);
  aiodb_test_fails_as(aiodb_query(db, "SELEC 1", NULL, 0), AIODB_ESQL, "42000", 1064);
  aiodb_test_fails_as(aiodb_query(db, "SELECT * FROM my_nope WHERE x = ?", two, 1),
                      AIODB_ESQL, "42S02", 1146);
  /* strict mode: 22001 */
  aiodb_test_fails_as(
      aiodb_query(db, "INSERT INTO my_s(n, s) VALUES (9, 'far too long a value')", NULL, 0),
      AIODB_ESQL, "22001", 0);

  /* several statements without arguments run over the text protocol; the
   * result is the last one's */
  f = aiodb_test_ok(aiodb_query(db, "SET @a = 20; SELECT @a + 1 AS v; SELECT @a + 2 AS w", NULL, 0));
  r = aiodb_future_result(f);
  ck_assert_str_eq(aiodb_result_name(r, 0), "w");
  ck_assert_int_eq(aiodb_result_int(r, 0, 0), 22);
  aiodb_future_free(f);
  /* an error in the second statement is reported */
  f = aiodb_query(db, "SELECT 1; SELECT * FROM my_nope", NULL, 0);
  ck_assert_int_eq(aiodb_test_err(f), AIODB_ESQL);
  ck_assert_int_eq(aiodb_future_native_code(f), 1146);
  aiodb_future_free(f);
  /* the connection is in order afterwards */
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM my_s"), 3);
  /* RETURNING rows count as affected */
  f = aiodb_test_ok(aiodb_query(db, "DELETE FROM my_s WHERE n >= ? RETURNING n",
                                (aiodb_value[]){aiodb_int(2)}, 1));
  ck_assert_uint_eq(aiodb_result_rows(aiodb_future_result(f)), 2);
  ck_assert_int_eq(aiodb_result_affected(aiodb_future_result(f)), 2);
  aiodb_future_free(f);
  aiodb_test_exec(db, "DROP TABLE my_s");
  aiodb_test_done(db);
}
END_TEST

static int64_t session_status(aiodb_db *db, const char *name) {
  char sql[200];
  snprintf(sql, sizeof sql,
           "SELECT CAST(variable_value AS SIGNED) FROM information_schema.session_status "
           "WHERE variable_name = '%s'",
           name);
  return aiodb_test_scalar(db, sql);
}

START_TEST(my_statement_cache) {
  aiodb_db *db = my_open("socket_url", "max_size=1");
  aiodb_db *small = my_open("socket_url", "max_size=1&statement_cache=2");
  aiodb_value one = aiodb_int(1);
  int64_t before, after;
  char sql[64];
  int i;

  /* prepared once, executed many times */
  session_status(db, "COM_STMT_PREPARE");
  before = session_status(db, "COM_STMT_PREPARE");
  for (i = 0; i < 100; i++)
    aiodb_future_free(aiodb_test_ok(aiodb_query(db, "SELECT ? + 1", &one, 1)));
  after = session_status(db, "COM_STMT_PREPARE");
  ck_assert_int_eq(after - before, 1);

  /* a cached SELECT * follows an ALTER TABLE */
  aiodb_test_exec(db, "DROP TABLE IF EXISTS my_c");
  aiodb_test_exec(db, "CREATE TABLE my_c(a INT)");
  aiodb_test_exec(db, "INSERT INTO my_c VALUES (1)");
  {
    aiodb_future *f = aiodb_test_ok(aiodb_query(db, "SELECT * FROM my_c WHERE a = ?", &one, 1));
    ck_assert_uint_eq(aiodb_result_cols(aiodb_future_result(f)), 1);
    aiodb_future_free(f);
    aiodb_test_exec(db, "ALTER TABLE my_c ADD COLUMN b VARCHAR(5) DEFAULT 'bee'");
    f = aiodb_test_ok(aiodb_query(db, "SELECT * FROM my_c WHERE a = ?", &one, 1));
    ck_assert_uint_eq(aiodb_result_cols(aiodb_future_result(f)), 2);
    ck_assert_str_eq(aiodb_result_name(aiodb_future_result(f), 1), "b");
    ck_assert_str_eq(cell_text(f, 1), "bee");
    aiodb_future_free(f);
  }
  aiodb_test_exec(db, "DROP TABLE my_c");

  /* an LRU of 2: the server never holds more of this connection's
   * statements (the status query is one of them) */
  for (i = 0; i < 20; i++) {
    snprintf(sql, sizeof sql, "SELECT ? + %d", i);
    aiodb_future_free(aiodb_test_ok(aiodb_query(small, sql, &one, 1)));
  }
  {
    aiodb_value none = aiodb_int(0);
    aiodb_future *f = aiodb_test_ok(aiodb_query(
        small,
        "SELECT CAST(variable_value AS SIGNED) + ? FROM information_schema.global_status "
        "WHERE variable_name = 'PREPARED_STMT_COUNT'",
        &none, 1));
    int64_t live = aiodb_result_int(aiodb_future_result(f), 0, 0);
    aiodb_future_free(f);
    /* the other db holds its own few (at most its cache's 64) */
    ck_assert_msg(live <= 2 + 64, "%lld statements prepared", (long long)live);
  }
  aiodb_db_free(small);
  aiodb_test_done(db);
}
END_TEST

static int conn_id(void *native, void *ud) {
  (void)ud;
  return (int)mysql_thread_id(native);
}

START_TEST(my_cancel_timeout_and_stray_kill) {
  aiodb_db *db = my_open("socket_url", "max_size=1");
  aiodb_db *admin = my_open("socket_url", NULL);
  aiodb_future *f;
  int id;
  double t0;

  f = aiodb_test_ok(aiodb_db_run(db, conn_id, NULL));
  id = aiodb_future_value(f);
  aiodb_future_free(f);
  ck_assert_int_gt(id, 0);

  f = aiodb_query(db, "SELECT SLEEP(30)", NULL, 0);
  ck_assert_int_eq(aiodb_future_wait(f, 200), AIODB_ETIMEDOUT);
  t0 = aiodb_test_now_ms();
  ck_assert_int_eq(aiodb_future_cancel(f), 0); /* posts the kill, returns */
  ck_assert_int_eq(aiodb_test_err(f), AIODB_ECANCELED);
  ck_assert_str_eq(aiodb_future_sqlstate(f), "70100");
  ck_assert_int_eq(aiodb_future_native_code(f), 1317); /* ER_QUERY_INTERRUPTED */
  ck_assert(aiodb_test_now_ms() - t0 < 2000);
  aiodb_future_free(f);

  /* a deadline on a statement with arguments (prepared) */
  f = aiodb_query(db, "SELECT SLEEP(?)", (aiodb_value[]){aiodb_int(30)}, 1);
  aiodb_future_set_timeout(f, 200);
  aiodb_test_fails(f, AIODB_ETIMEDOUT, NULL);

  /* the same connection serves on */
  f = aiodb_test_ok(aiodb_db_run(db, conn_id, NULL));
  ck_assert_int_eq(aiodb_future_value(f), id);
  aiodb_future_free(f);
  /* a KILL QUERY that finds the connection idle does not stop its next
   * statement: what makes the worker-side kill safe */
  aiodb_test_execf(admin, "KILL QUERY %d", id);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 7"), 7);
  aiodb_db_free(admin);
  aiodb_test_done(db);
}
END_TEST

/* ---- a KILL QUERY held on its way: this binary's own mysql_real_query,
 * which the driver (linked in statically) calls instead of the client
 * library's. It passes every call on, but holds a "KILL QUERY" while a test
 * asks (10 s at most). Each case runs in a process of its own (CK_FORK). */

static aiodb_test_hold kill_shim = AIODB_TEST_HOLD_INIT;

int STDCALL mysql_real_query(MYSQL *mysql, const char *q, unsigned long length) {
  static int (*_Atomic next)(MYSQL *, const char *, unsigned long);
  int (*real)(MYSQL *, const char *, unsigned long) = atomic_load(&next);
  if (length > 10 && strncmp(q, "KILL QUERY", 10) == 0) aiodb_test_hold_point(&kill_shim);
  if (real == NULL) {
    *(void **)&real = dlsym(RTLD_NEXT, "mysql_real_query");
    atomic_store(&next, real);
  }
  return real(mysql, q, length);
}

/* The interrupter's rules (tests/helpers_hold.c), as on PostgreSQL. */
START_TEST(my_kill_in_flight_is_not_repeated) {
  aiodb_db *db = my_open("socket_url", "max_size=1");
  aiodb_test_interrupt_in_flight(db, "SELECT SLEEP(30)", &kill_shim);
  aiodb_test_done(db);
}
END_TEST

START_TEST(my_many_undo_waits_for_its_kill) {
  aiodb_db *db = my_open("socket_url", "max_size=1");
  aiodb_test_many_undo_after_interrupt(db, &kill_shim);
  aiodb_test_done(db);
}
END_TEST

START_TEST(my_cursor_close_with_a_held_kill) {
  aiodb_db *db = my_open("socket_url", "max_size=1");
  aiodb_test_cursor_close_held(db, "SELECT seq FROM seq_1_to_1000000000", &kill_shim);
  aiodb_test_done(db);
}
END_TEST

/* A cancel whose KILL QUERY is still on its way when its statement ends on
 * its own must not stop the connection's next statement: that one waits
 * until the KILL has landed (on an idle connection, where it does
 * nothing). */
START_TEST(my_late_kill_spares_the_next_statement) {
  aiodb_db *db = my_open("socket_url", "max_size=1");
  aiodb_future *f, *next;

  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 1"), 1);
  aiodb_test_hold_calls(&kill_shim, 10000);
  f = aiodb_query(db, "SELECT SLEEP(0.5)", NULL, 0);
  ck_assert_int_eq(aiodb_future_wait(f, 200), AIODB_ETIMEDOUT); /* running */
  ck_assert_int_eq(aiodb_future_cancel(f), 0);
  ck_assert_int_eq(aiodb_test_hold_wait_entered(&kill_shim, 1), 1);
  /* the KILL never got there: it finished first, with its own outcome */
  ck_assert_int_eq(aiodb_test_err(f), 0);
  next = aiodb_query(db, "SELECT SLEEP(0.5) + 7", NULL, 0);
  usleep(200000);
  aiodb_test_hold_release(&kill_shim); /* the KILL goes now */
  ck_assert_msg(aiodb_test_err(next) == 0, "the next statement: %s",
                aiodb_future_errmsg(next));
  ck_assert_int_eq(aiodb_result_int(aiodb_future_result(next), 0, 0), 7);
  aiodb_future_free(f);
  aiodb_future_free(next);
  aiodb_test_done(db);
}
END_TEST

/* InnoDB rolls back the whole transaction of a deadlock's loser, savepoint
 * and all: its tx is aborted at every level, so what follows the savepoint
 * does not run outside any transaction (where it would be kept). */
START_TEST(my_deadlock_in_a_savepoint_aborts_the_tx) {
  aiodb_db *db = my_open("socket_url", "max_size=2&min_size=2");
  aiodb_tx *tx[2], *sp[2];
  aiodb_future *f[2], *end[2], *mark[2], *c[2];
  aiodb_value v;
  int i, loser;

  aiodb_test_exec(db, "DROP TABLE IF EXISTS my_deadlock");
  aiodb_test_exec(db, "CREATE TABLE my_deadlock(k INT PRIMARY KEY, v INT)");
  aiodb_test_exec(db, "INSERT INTO my_deadlock VALUES (1, 0), (2, 0)");
  for (i = 0; i < 2; i++) {
    v = aiodb_int(i + 1);
    tx[i] = aiodb_begin(db);
    aiodb_future_free(aiodb_test_ok(
        aiodb_tx_query(tx[i], "UPDATE my_deadlock SET v = 1 WHERE k = ?", &v, 1)));
    sp[i] = aiodb_tx_begin(tx[i]);
  }
  /* each takes the row the other holds: the first waits, the second closes
   * the cycle */
  v = aiodb_int(2);
  f[0] = aiodb_tx_query(sp[0], "UPDATE my_deadlock SET v = 2 WHERE k = ?", &v, 1);
  ck_assert_int_eq(aiodb_future_wait(f[0], 300), AIODB_ETIMEDOUT);
  v = aiodb_int(1);
  f[1] = aiodb_tx_query(sp[1], "UPDATE my_deadlock SET v = 2 WHERE k = ?", &v, 1);
  for (i = 0; i < 2; i++) {
    v = aiodb_int(10 + i);
    end[i] = aiodb_rollback(sp[i]);
    mark[i] = aiodb_tx_query(tx[i], "INSERT INTO my_deadlock VALUES (?, 0)", &v, 1);
    c[i] = aiodb_commit(tx[i]);
  }
  loser = aiodb_test_err(f[0]) != 0 ? 0 : 1;
  ck_assert_int_eq(aiodb_test_err(f[loser]), AIODB_EBUSY);
  ck_assert_int_eq(aiodb_future_native_code(f[loser]), 1213);
  ck_assert_int_eq(aiodb_test_err(f[1 - loser]), 0);
  ck_assert_msg(aiodb_test_err(end[loser]) == 0, "the loser's savepoint rollback: %s",
                aiodb_future_errmsg(end[loser]));
  ck_assert_msg(aiodb_test_err(mark[loser]) == AIODB_ETXABORTED, "after it: %s",
                aiodb_err_name(aiodb_future_error(mark[loser])));
  ck_assert_int_eq(aiodb_test_err(c[loser]), AIODB_ETXABORTED);
  ck_assert_int_eq(aiodb_test_err(end[1 - loser]), 0);
  ck_assert_int_eq(aiodb_test_err(mark[1 - loser]), 0);
  ck_assert_int_eq(aiodb_test_err(c[1 - loser]), 0);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM my_deadlock WHERE k >= 10"), 1);
  for (i = 0; i < 2; i++) {
    aiodb_test_free_all(f[i], end[i], mark[i], c[i]);
  }
  aiodb_test_exec(db, "DROP TABLE my_deadlock");
  aiodb_test_done(db);
}
END_TEST

typedef struct run_probe {
  int ok;
  char version[64];
} run_probe;

static int probe(void *native, void *ud) {
  run_probe *p = ud;
  MYSQL_RES *r;
  MYSQL_ROW row;
  p->ok = mysql_query(native, "SELECT VERSION()") == 0 &&
          (r = mysql_store_result(native)) != NULL;
  if (p->ok) {
    row = mysql_fetch_row(r);
    snprintf(p->version, sizeof p->version, "%s", row[0]);
    mysql_free_result(r);
  }
  return (int)(mysql_get_server_version(native) / 10000);
}

START_TEST(my_run_meta_and_passwords) {
  aiodb_db *db = my_open("socket_url", NULL);
  run_probe p = {0, ""};
  aiodb_future *f = aiodb_test_ok(aiodb_db_run(db, probe, &p));
  char url[900];
  aiodb_error err;

  ck_assert_int_ge(aiodb_future_value(f), 10);
  ck_assert(p.ok);
  aiodb_future_free(f);
  f = aiodb_test_ok(aiodb_server_info(db));
  ck_assert_str_eq(cell_text(f, 0), "mysql");
  ck_assert_str_eq(cell_text(f, 1), p.version);
  ck_assert_str_eq(cell_text(f, 2), mysql_get_client_info());
  aiodb_future_free(f);
  aiodb_test_exec(db, "DROP TABLE IF EXISTS my_m");
  aiodb_test_exec(db, "CREATE TABLE my_m(x INT)");
  ck_assert_int_eq(aiodb_test_has_table(db, "my_m"), 1);
  ck_assert_int_eq(aiodb_test_has_table(db, "my_absent"), 0);
  aiodb_test_exec(db, "DROP TABLE my_m");
  /* utf8mb4 unless the URL says otherwise */
  f = aiodb_test_ok(aiodb_query(db, "SELECT @@character_set_client", NULL, 0));
  ck_assert_str_eq(cell_text(f, 0), "utf8mb4");
  aiodb_future_free(f);
  aiodb_db_free(db);
  db = my_open("socket_url", "charset=latin1&init_command=SET%20@aiodb_x%3D5");
  f = aiodb_test_ok(aiodb_query(db, "SELECT @@character_set_client, @aiodb_x", NULL, 0));
  ck_assert_str_eq(cell_text(f, 0), "latin1");
  ck_assert_int_eq(aiodb_result_int(aiodb_future_result(f), 0, 1), 5);
  aiodb_future_free(f);
  aiodb_db_free(db);

  /* a wrong password: refused, and the password is not repeated */
  ck_assert_int_eq(aiodb_test_wrong_password_fails(my_url("tcp_url"), "Access denied"), 1045);
  /* the mariadb:// scheme is the same driver */
  snprintf(url, sizeof url, "mariadb%s", strchr(my_url("tcp_url"), ':'));
  db = aiodb_open(url, NULL, &err);
  ck_assert_msg(db != NULL, "%s", err.message);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 3"), 3);
  aiodb_test_done(db);
}
END_TEST

START_TEST(my_escaped_password) {
  aiodb_db *admin = my_open("socket_url", NULL), *db;
  char user[64], url[900];
  const char *tcp = my_url("tcp_url"), *at;
  aiodb_future *f;

  snprintf(user, sizeof user, "esc_%ld", (long)getpid());
  aiodb_test_execf(admin, "DROP USER IF EXISTS '%s'@'127.0.0.1'", user);
  aiodb_test_execf(admin, "CREATE USER '%s'@'127.0.0.1' IDENTIFIED BY 'p@ss:w/rd%%?&'", user);
  /* mysql://aiodb:aiodb-test-pw@127.0.0.1:PORT/aiodb -> the new user */
  at = strchr(tcp, '@');
  ck_assert_ptr_nonnull(at);
  snprintf(url, sizeof url, "mysql://%s:p%%40ss%%3Aw%%2Frd%%25%%3F%%26%.*s", user,
           (int)(strrchr(at, '/') - at), at); /* no database: it has no rights */
  db = aiodb_open(url, NULL, NULL);
  f = aiodb_test_ok(aiodb_query(db, "SELECT SUBSTRING_INDEX(CURRENT_USER(), '@', 1)", NULL, 0));
  ck_assert_str_eq(cell_text(f, 0), user);
  aiodb_future_free(f);
  aiodb_db_free(db);
  aiodb_test_execf(admin, "DROP USER '%s'@'127.0.0.1'", user);
  aiodb_db_free(admin);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(my_bad_urls_and_unreachable_servers) {
  char url[900];

  aiodb_test_open_fails("mysql://u:s3cret@h/db?no_such_option=1", NULL, AIODB_EINVAL,
                        "no_such_option");
  aiodb_test_open_fails("mysql://u@h/db?ssl_mode=sometimes", NULL, AIODB_EINVAL, NULL);
  /* no CA to verify with */
  aiodb_test_open_fails("mysql://u@h/db?ssl_mode=VERIFY_CA", NULL, AIODB_EINVAL, NULL);
  aiodb_test_open_fails("mysql://u@h/db?connect_timeout=soon", NULL, AIODB_EINVAL, NULL);

  /* nothing listens: ECONNECT, with no password in the message */
  aiodb_test_connect_fails("mysql://u:s3cret@127.0.0.1:1/db?connect_timeout=5", NULL, NULL,
                           "s3cret");
  snprintf(url, sizeof url, "mysql://u:s3cret@localhost/db?unix_socket=%s/no.sock",
           aiodb_test_tmpdir());
  aiodb_test_connect_fails(url, NULL, NULL, "s3cret");
  aiodb_test_clean_shutdown();
}
END_TEST

static const char *ssl_cipher(aiodb_db *db, char *buf, size_t n) {
  aiodb_future *f = aiodb_test_ok(aiodb_query(db, "SHOW STATUS LIKE 'Ssl_cipher'", NULL, 0));
  snprintf(buf, n, "%s", cell_text(f, 1));
  aiodb_future_free(f);
  return buf;
}

START_TEST(my_tls) {
  const char *ca = my_file("tls_ca");
  char opts[700], cipher[128];
  aiodb_db *db;

  if (ca == NULL) {
    /* the fixture makes certificates whenever openssl is there */
    ck_assert_msg(getenv("CI") == NULL, "no TLS on the test server");
    return;
  }
  db = my_open("tcp_url", "ssl_mode=REQUIRED");
  ck_assert_msg(ssl_cipher(db, cipher, sizeof cipher)[0] != '\0', "not encrypted");
  aiodb_db_free(db);
  snprintf(opts, sizeof opts, "ssl_mode=VERIFY_IDENTITY&ssl_ca=%s", ca);
  db = my_open("tcp_url", opts);
  ck_assert(ssl_cipher(db, cipher, sizeof cipher)[0] != '\0');
  aiodb_db_free(db);
  db = my_open("tcp_url", "ssl_mode=DISABLED");
  ck_assert_str_eq(ssl_cipher(db, cipher, sizeof cipher), "");
  aiodb_db_free(db);
  /* a CA that did not sign the server's certificate: refused */
  snprintf(opts, sizeof opts, "ssl_mode=VERIFY_CA&ssl_ca=%s/no-such-ca.pem", aiodb_test_tmpdir());
  aiodb_test_connect_fails(my_url("tcp_url"), opts, NULL, NULL);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(my_lost_connection_is_replaced) {
  aiodb_db *db = my_open("socket_url", "max_size=1");
  aiodb_db *admin = my_open("socket_url", NULL);
  aiodb_future *slow, *next;
  int before;

  next = aiodb_test_ok(aiodb_db_run(db, conn_id, NULL));
  before = aiodb_future_value(next);
  aiodb_future_free(next);
  slow = aiodb_query(db, "SELECT SLEEP(30)", NULL, 0);
  aiodb_future_wait(slow, 200);
  aiodb_test_execf(admin, "KILL CONNECTION %d", before);
  ck_assert_int_eq(aiodb_test_err(slow), AIODB_ECONNLOST);
  ck_assert_ptr_null(strchr(aiodb_future_errmsg(slow), '\n'));
  aiodb_future_free(slow);
  /* the broken connection is never handed out again: a new one serves */
  next = aiodb_test_ok(aiodb_db_run(db, conn_id, NULL));
  ck_assert_int_ne(aiodb_future_value(next), before);
  aiodb_future_free(next);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 5"), 5);
  aiodb_db_free(admin);
  aiodb_test_done(db);
}
END_TEST

START_TEST(my_query_many_and_transactions) {
  aiodb_db *db = my_open("socket_url", NULL);
  enum { N = 1000 };
  static aiodb_value rows[N];
  aiodb_tx *tx;
  double t0, many_ms;
  int i;

  /* (row-numbered errors, atomicity and RETURNING rows: the shared suite) */
  aiodb_test_exec(db, "DROP TABLE IF EXISTS my_q");
  aiodb_test_exec(db, "CREATE TABLE my_q(x INT UNIQUE) ENGINE=InnoDB");

  /* inside a transaction query_many runs in a savepoint of its own; a
   * failure fails the transaction like any failed statement, and the
   * commit rolls it all back */
  tx = aiodb_begin(db);
  aiodb_future_free(aiodb_test_ok(aiodb_tx_query(tx, "INSERT INTO my_q VALUES (-1)", NULL, 0)));
  {
    aiodb_future *f = aiodb_tx_query_many(tx, "INSERT INTO my_q VALUES (?)",
                                          (aiodb_value[]){aiodb_int(5), aiodb_int(-1)}, 2, 1);
    aiodb_test_fails(f, AIODB_ECONSTRAINT, NULL);
    f = aiodb_commit(tx); /* rolls back: a statement of the tx failed */
    aiodb_test_fails(f, AIODB_ETXABORTED, NULL);
  }
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM my_q"), 0);
  tx = aiodb_begin(db);
  aiodb_future_free(aiodb_test_ok(aiodb_tx_query(tx, "INSERT INTO my_q VALUES (-1)", NULL, 0)));
  aiodb_future_free(aiodb_test_ok(aiodb_tx_query_many(
      tx, "INSERT INTO my_q VALUES (?)", (aiodb_value[]){aiodb_int(5), aiodb_int(6)}, 2, 1)));
  aiodb_future_free(aiodb_test_ok(aiodb_commit(tx)));
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM my_q"), 3);

  /* 1,000 rows in one call and one call each, for the record (not
   * asserted) */
  aiodb_test_exec(db, "DELETE FROM my_q");
  for (i = 0; i < N; i++) rows[i] = aiodb_int(i);
  t0 = aiodb_test_now_ms();
  aiodb_future_free(aiodb_test_ok(aiodb_query_many(db, "INSERT INTO my_q VALUES (?)", rows, N, 1)));
  many_ms = aiodb_test_now_ms() - t0;
  aiodb_test_exec(db, "DELETE FROM my_q");
  aiodb_test_report_one_call_each(db, "INSERT INTO my_q VALUES (?)", rows, N, many_ms, "mysql");
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM my_q"), N);
  aiodb_test_exec(db, "DROP TABLE my_q");
  aiodb_test_done(db);
}
END_TEST

/* ---- query_many in bulk (COM_STMT_BULK_EXECUTE) and row by row ---- */

/* The executes the server has counted on the pool's one connection. */
static int64_t stmt_executes(aiodb_db *db) {
  return aiodb_test_scalar(db, "SELECT CAST(VARIABLE_VALUE AS SIGNED) FROM "
                               "information_schema.SESSION_STATUS WHERE "
                               "VARIABLE_NAME = 'COM_STMT_EXECUTE'");
}

enum { BULK_N = 10000 };

/* Row i of the mixed batch: ints, floats, text and blobs (with NUL bytes),
 * each NULL now and then. */
static void bulk_row_values(aiodb_value *row, int i, char *text, unsigned char *blob) {
  int k;
  snprintf(text, 24, "t-%d", i);
  for (k = 0; k < i % 50; k++) blob[k] = (unsigned char)(i + k);
  row[0] = aiodb_int(i + 1);
  row[1] = i % 13 == 0 ? aiodb_null() : aiodb_int((int64_t)i * 7 - 5000);
  row[2] = i % 11 == 0 ? aiodb_null() : aiodb_float(i * 0.5);
  row[3] = i % 17 == 0 ? aiodb_null() : aiodb_text(text);
  row[4] = i % 19 == 0 ? aiodb_null() : aiodb_blob(blob, (size_t)(i % 50));
  row[5] = aiodb_int(i);
}

/* n rows, with room after them for their texts and blobs: one free. */
static aiodb_value *bulk_rows_new(int n) {
  aiodb_value *rows = malloc((sizeof *rows * 6 + 24 + 50) * (size_t)n);
  char *texts = (char *)(rows + 6 * n);
  unsigned char *blobs = (unsigned char *)(texts + 24 * n);
  int i;
  ck_assert_ptr_nonnull(rows);
  for (i = 0; i < n; i++) bulk_row_values(rows + 6 * i, i, texts + 24 * i, blobs + 50 * i);
  return rows;
}

static void bulk_table(aiodb_db *db, const char *engine) {
  aiodb_test_exec(db, "DROP TABLE IF EXISTS my_bulk");
  aiodb_test_execf(db, "CREATE TABLE my_bulk(id INT PRIMARY KEY, i BIGINT, f DOUBLE, t TEXT, "
                       "b LONGBLOB, n INT UNIQUE) ENGINE=%s", engine);
}

#define BULK_INSERT "INSERT INTO my_bulk VALUES (?, ?, ?, ?, ?, ?)"

/* 10,000 rows of every type, NULLs and blobs: the same data and counts
 * whether they go in bulk (a few executes) or one by one (bulk=0). */
static void many_mixed_rows(const char *opts, int bulk) {
  aiodb_db *db = my_open("socket_url", opts);
  aiodb_value *rows = bulk_rows_new(BULK_N);
  aiodb_value upd[2 * 3];
  int64_t before, executes;
  aiodb_future *f;
  aiodb_result *r;
  int i;

  bulk_table(db, "InnoDB");
  before = stmt_executes(db);
  f = aiodb_test_ok(aiodb_query_many(db, BULK_INSERT, rows, BULK_N, 6));
  executes = stmt_executes(db) - before - 1;
  ck_assert_int_eq(aiodb_result_affected(aiodb_future_result(f)), BULK_N);
  aiodb_future_free(f);
  if (bulk)
    ck_assert_msg(executes <= 20, "%lld executes for %d rows", (long long)executes, BULK_N);
  else
    ck_assert_int_eq(executes, BULK_N);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM my_bulk"), BULK_N);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM my_bulk WHERE i IS NULL"),
                   (BULK_N + 12) / 13);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM my_bulk WHERE f IS NULL"),
                   (BULK_N + 10) / 11);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM my_bulk WHERE t IS NULL"),
                   (BULK_N + 16) / 17);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM my_bulk WHERE b IS NULL"),
                   (BULK_N + 18) / 19);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM my_bulk WHERE n = id - 1 AND "
                                         "(i IS NULL OR i = n * 7 - 5000) AND "
                                         "(f IS NULL OR f = n * 0.5) AND "
                                         "(t IS NULL OR t = CONCAT('t-', n)) AND "
                                         "(b IS NULL OR LENGTH(b) = n % 50)"),
                   BULK_N);
  /* every byte of the blobs, NULs too */
  f = aiodb_test_ok(aiodb_query(db, "SELECT b, t, f FROM my_bulk WHERE b IS NOT NULL ORDER BY id",
                                NULL, 0));
  r = aiodb_future_result(f);
  {
    size_t row = 0;
    for (i = 0; i < BULK_N; i++) {
      const aiodb_value *v = &rows[6 * i + 4];
      size_t len;
      const void *p;
      if (v->type == AIODB_TYPE_NULL) continue;
      p = aiodb_result_blob(r, row, 0);
      len = aiodb_result_len(r, row, 0);
      ck_assert_uint_eq(len, v->len);
      ck_assert(len == 0 || memcmp(p, v->u.p, len) == 0);
      row++;
    }
    ck_assert_uint_eq(row, aiodb_result_rows(r));
  }
  aiodb_future_free(f);

  /* an UPDATE counts the rows it matched; a column's type may change from
   * one row to the next (a run of its own) */
  upd[0] = aiodb_int(1), upd[1] = aiodb_int(1);
  upd[2] = aiodb_text("2"), upd[3] = aiodb_int(2);
  upd[4] = aiodb_float(3.0), upd[5] = aiodb_int(BULK_N + 5); /* matches nothing */
  f = aiodb_test_ok(aiodb_query_many(db, "UPDATE my_bulk SET t = ? WHERE id = ?", upd, 3, 2));
  ck_assert_int_eq(aiodb_result_affected(aiodb_future_result(f)), 2);
  aiodb_future_free(f);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM my_bulk WHERE t = id AND id < 3"), 2);
  {
    aiodb_value *u = malloc(sizeof *u * 2 * BULK_N);
    ck_assert_ptr_nonnull(u);
    for (i = 0; i < BULK_N; i++) u[2 * i] = aiodb_float(i % 2 ? -1.0 : -2.0), u[2 * i + 1] = aiodb_int(i + 1);
    f = aiodb_test_ok(aiodb_query_many(db, "UPDATE my_bulk SET f = ? WHERE id = ?", u, BULK_N, 2));
    ck_assert_int_eq(aiodb_result_affected(aiodb_future_result(f)), BULK_N);
    aiodb_future_free(f);
    free(u);
  }
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM my_bulk WHERE f < 0"), BULK_N);
  /* INSERT ... SELECT, which the server will not take in bulk: row by row */
  upd[0] = aiodb_int(-10), upd[1] = aiodb_int(-10);
  upd[2] = aiodb_int(-11), upd[3] = aiodb_int(-11);
  f = aiodb_test_ok(aiodb_query_many(db, "INSERT INTO my_bulk(id, n) SELECT ?, ? FROM DUAL",
                                     upd, 2, 2));
  ck_assert_int_eq(aiodb_result_affected(aiodb_future_result(f)), 2);
  aiodb_future_free(f);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM my_bulk WHERE id < -9"), 2);
  free(rows);
  aiodb_test_exec(db, "DROP TABLE my_bulk");
  aiodb_test_done(db);
}

/* A failing row in the middle of a run is named, and nothing of the batch
 * stays, outside a transaction and in one. */
static void many_failing_row(const char *opts) {
  aiodb_db *db = my_open("socket_url", opts);
  aiodb_value *rows = bulk_rows_new(BULK_N);
  aiodb_future *f;
  aiodb_tx *tx;

  bulk_table(db, "InnoDB");
  aiodb_test_exec(db, "INSERT INTO my_bulk(id, n) VALUES (-1, -1)");
  rows[6 * 3455 + 5] = aiodb_int(9); /* row 3456 repeats row 10's n */
  f = aiodb_query_many(db, BULK_INSERT, rows, BULK_N, 6);
  ck_assert_int_eq(aiodb_test_err(f), AIODB_ECONSTRAINT);
  ck_assert_msg(strncmp(aiodb_future_errmsg(f), "row 3456: ", 10) == 0, "%s",
                aiodb_future_errmsg(f));
  ck_assert_str_eq(aiodb_future_sqlstate(f), "23000");
  aiodb_future_free(f);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM my_bulk"), 1);

  tx = aiodb_begin(db);
  aiodb_future_free(aiodb_test_ok(aiodb_tx_query(tx, "INSERT INTO my_bulk(id, n) VALUES (-2, -2)",
                                                 NULL, 0)));
  rows[6 * 3455 + 5] = aiodb_int(3455);
  rows[6 * 9998 + 5] = aiodb_int(-2); /* the last run's second-last row */
  f = aiodb_tx_query_many(tx, BULK_INSERT, rows, BULK_N, 6);
  ck_assert_int_eq(aiodb_test_err(f), AIODB_ECONSTRAINT);
  ck_assert_msg(strncmp(aiodb_future_errmsg(f), "row 9999: ", 10) == 0, "%s",
                aiodb_future_errmsg(f));
  aiodb_future_free(f);
  f = aiodb_tx_query(tx, "SELECT count(*) FROM my_bulk", NULL, 0); /* the tx has failed */
  aiodb_test_fails(f, AIODB_ETXABORTED, NULL);
  aiodb_future_free(aiodb_test_ok(aiodb_rollback(tx)));
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM my_bulk"), 1);

  /* the batch after a failed one goes through whole */
  rows[6 * 9998 + 5] = aiodb_int(9998);
  f = aiodb_test_ok(aiodb_query_many(db, BULK_INSERT, rows, BULK_N, 6));
  ck_assert_int_eq(aiodb_result_affected(aiodb_future_result(f)), BULK_N);
  aiodb_future_free(f);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM my_bulk"), BULK_N + 1);
  free(rows);
  aiodb_test_exec(db, "DROP TABLE my_bulk");
  aiodb_test_done(db);
}

START_TEST(my_many_in_bulk) {
  many_mixed_rows("max_size=1", 1);
  many_failing_row("max_size=1");
}
END_TEST

/* bulk=0: row by row, as on MySQL, which has no bulk: the same outcomes. */
START_TEST(my_many_row_by_row) {
  many_mixed_rows("max_size=1&bulk=0", 0);
  many_failing_row("max_size=1&bulk=0");
  aiodb_test_open_fails("mysql://h/db?bulk=maybe", NULL, AIODB_EINVAL, "bulk");
  aiodb_test_clean_shutdown();
}
END_TEST

/* A table that cannot roll back keeps the rows before the failing one; in
 * bulk the message then names the run's rows, row by row the row. Such a
 * table's rows never go as INSERTs of many rows; in bulk they take an
 * out-of-range value as the server takes it in a statement of many rows. */
START_TEST(my_many_on_myisam) {
  aiodb_db *bulk = my_open("socket_url", NULL);
  aiodb_db *one = my_open("socket_url", "bulk=0");
  aiodb_value *rows = bulk_rows_new(100);
  aiodb_future *f;

  bulk_table(bulk, "MyISAM");
  rows[6 * 49 + 5] = aiodb_int(3); /* row 50 repeats row 4's n */
  f = aiodb_query_many(bulk, BULK_INSERT, rows, 100, 6);
  ck_assert_int_eq(aiodb_test_err(f), AIODB_ECONSTRAINT);
  ck_assert_msg(strncmp(aiodb_future_errmsg(f), "rows 1 to 100: ", 15) == 0, "%s",
                aiodb_future_errmsg(f));
  aiodb_future_free(f);
  ck_assert_int_eq(aiodb_test_scalar(bulk, "SELECT count(*) FROM my_bulk"), 49);
  aiodb_test_exec(bulk, "DELETE FROM my_bulk");
  f = aiodb_query_many(one, BULK_INSERT, rows, 100, 6);
  ck_assert_int_eq(aiodb_test_err(f), AIODB_ECONSTRAINT);
  ck_assert_msg(strncmp(aiodb_future_errmsg(f), "row 50: ", 8) == 0, "%s", aiodb_future_errmsg(f));
  aiodb_future_free(f);
  ck_assert_int_eq(aiodb_test_scalar(bulk, "SELECT count(*) FROM my_bulk"), 49);
  free(rows);
  aiodb_test_exec(bulk, "DROP TABLE my_bulk");
  /* STRICT_TRANS_TABLES: on such a table a bad value after a statement's
   * first row is stored adjusted, with a warning; a bulk run is one
   * statement to the server, row by row each row is one */
  aiodb_test_exec(bulk, "DROP TABLE IF EXISTS my_tiny");
  aiodb_test_exec(bulk, "CREATE TABLE my_tiny(n TINYINT) ENGINE=MyISAM");
  {
    aiodb_value tiny[] = {aiodb_int(1), aiodb_int(2), aiodb_int(300), aiodb_int(4)};
    f = aiodb_query_many(one, "INSERT INTO my_tiny VALUES (?)", tiny, 4, 1);
    ck_assert_int_eq(aiodb_test_err(f), AIODB_ERANGE);
    ck_assert_msg(strncmp(aiodb_future_errmsg(f), "row 3: ", 7) == 0, "%s",
                  aiodb_future_errmsg(f));
    aiodb_future_free(f);
    ck_assert_int_eq(aiodb_test_scalar(bulk, "SELECT count(*) FROM my_tiny"), 2);
    aiodb_test_exec(bulk, "DELETE FROM my_tiny");
    f = aiodb_test_ok(aiodb_query_many(bulk, "INSERT INTO my_tiny VALUES (?)", tiny, 4, 1));
    aiodb_future_free(f);
    ck_assert_int_eq(aiodb_test_scalar(bulk, "SELECT sum(n) FROM my_tiny"), 1 + 2 + 127 + 4);
  }
  aiodb_test_exec(bulk, "DROP TABLE my_tiny");
  aiodb_db_free(one);
  aiodb_test_done(bulk);
}
END_TEST

/* ---- query_many as INSERTs of many rows ---- */

/* A counter of the server's for the pool's one connection. */
static int64_t session_count(aiodb_db *db, const char *name) {
  char sql[200];
  snprintf(sql, sizeof sql, "SELECT CAST(VARIABLE_VALUE AS SIGNED) FROM "
                            "information_schema.SESSION_STATUS WHERE VARIABLE_NAME = '%s'", name);
  return aiodb_test_scalar(db, sql);
}

/* Row i of values that must come back exactly as row by row: int64's
 * bounds, doubles, NULLs, empty and 100 KB texts, blobs with NUL bytes,
 * and a column (v) whose type changes from row to row. */
static void odd_values(aiodb_value *row, int i, char *text, unsigned char *blob,
                       const char *big) {
  static const int64_t ints[] = {INT64_MIN, INT64_MAX, 0, -1, 1000003};
  static const double floats[] = {1e308, -2.5e-300, 0.1, -0.0, 4503599627370497.0};
  int k;
  snprintf(text, 24, "t-%d-\xc3\xa9", i);
  for (k = 0; k < i % 40; k++) blob[k] = (unsigned char)(i * 31 + k);
  row[0] = i % 7 == 6 ? aiodb_null() : aiodb_int(ints[i % 5] + (i % 5 > 1 ? i : 0));
  row[1] = i % 9 == 8 ? aiodb_null() : aiodb_float(floats[i % 5] + (i % 5 == 2 ? i : 0));
  row[2] = i % 500 == 3 ? aiodb_textn(big, 100000)
           : i % 11 == 0 ? aiodb_null() : i % 13 == 0 ? aiodb_textn("", 0) : aiodb_text(text);
  row[3] = i % 17 == 0 ? aiodb_null() : aiodb_blob(blob, (size_t)(i % 40));
  switch (i % 5) {
    case 0: row[4] = aiodb_int(i); break;
    case 1: row[4] = aiodb_text(text); break;
    case 2: row[4] = aiodb_float(i + 0.25); break;
    case 3: row[4] = aiodb_null(); break;
    default: row[4] = aiodb_blob(text, 3); break;
  }
}

#define ODD_N 2500
#define ODD_INSERT "INSERT INTO %s(i, f, t, b, v) VALUES (?, ?, ?, ?, ?)"

static void odd_table(aiodb_db *db, const char *name) {
  aiodb_test_execf(db, "DROP TABLE IF EXISTS %s", name);
  aiodb_test_execf(db, "CREATE TABLE %s(k INT AUTO_INCREMENT PRIMARY KEY, i BIGINT, f DOUBLE, "
                       "t LONGTEXT, b LONGBLOB, v VARCHAR(60)) ENGINE=InnoDB", name);
}

/* Every cell of two results the same, type and bytes. */
static void same_cells(aiodb_result *a, aiodb_result *b) {
  size_t row, col;
  ck_assert_uint_eq(aiodb_result_rows(a), aiodb_result_rows(b));
  ck_assert_uint_eq(aiodb_result_cols(a), aiodb_result_cols(b));
  for (row = 0; row < aiodb_result_rows(a); row++)
    for (col = 0; col < aiodb_result_cols(a); col++) {
      aiodb_type t = aiodb_result_type(a, row, col);
      ck_assert_msg(t == aiodb_result_type(b, row, col), "row %zu col %zu: type", row, col);
      if (t == AIODB_TYPE_INT) {
        ck_assert_int_eq(aiodb_result_int(a, row, col), aiodb_result_int(b, row, col));
      } else if (t == AIODB_TYPE_FLOAT) {
        double x = aiodb_result_float(a, row, col), y = aiodb_result_float(b, row, col);
        ck_assert_msg(memcmp(&x, &y, sizeof x) == 0, "row %zu col %zu: %g %g", row, col, x, y);
      } else if (t != AIODB_TYPE_NULL) {
        size_t n = aiodb_result_len(a, row, col);
        ck_assert_uint_eq(n, aiodb_result_len(b, row, col));
        ck_assert_msg(n == 0 || memcmp(aiodb_result_blob(a, row, col),
                                       aiodb_result_blob(b, row, col), n) == 0,
                      "row %zu col %zu: bytes", row, col);
      }
    }
}

/* The same rows as INSERTs of many rows (default) and row by row (bulk=0):
 * the same table contents and affected count; the many-row statements
 * prepared once (the full 1,000-row run and the 500 left), three
 * executes. */
START_TEST(my_many_in_one_insert) {
  aiodb_db *db = my_open("socket_url", "max_size=1");
  aiodb_db *one = my_open("socket_url", "max_size=1&bulk=0");
  aiodb_value *rows = malloc(sizeof *rows * 5 * ODD_N);
  char(*texts)[24] = malloc(24 * (size_t)ODD_N);
  unsigned char(*blobs)[40] = malloc(40 * (size_t)ODD_N);
  unsigned char *bigb;
  char *big, sql[120];
  int64_t prepares, executes;
  aiodb_future *f, *g;
  int i, pass;

  aiodb_test_large_values(100000, &bigb, &big);
  for (i = 0; i < ODD_N; i++) odd_values(rows + 5 * i, i, texts[i], blobs[i], big);
  odd_table(db, "my_multi");
  odd_table(db, "my_multi_1");
  session_count(db, "COM_STMT_EXECUTE"); /* its own statement prepared */
  for (pass = 0; pass < 2; pass++) { /* the second time from the cache */
    prepares = session_count(db, "COM_STMT_PREPARE");
    executes = session_count(db, "COM_STMT_EXECUTE");
    snprintf(sql, sizeof sql, ODD_INSERT, "my_multi");
    f = aiodb_test_ok(aiodb_query_many(db, sql, rows, ODD_N, 5));
    executes = session_count(db, "COM_STMT_EXECUTE") - executes - 1;
    prepares = session_count(db, "COM_STMT_PREPARE") - prepares;
    ck_assert_int_eq(aiodb_result_affected(aiodb_future_result(f)), ODD_N);
    /* the server's id for the last statement: its first row's */
    ck_assert_int_eq(aiodb_result_last_id(aiodb_future_result(f)), pass * ODD_N + 2001);
    aiodb_future_free(f);
    ck_assert_int_eq(executes, 3);
    ck_assert_int_eq(prepares, pass == 0 ? 3 : 0);
    snprintf(sql, sizeof sql, ODD_INSERT, "my_multi_1");
    f = aiodb_test_ok(aiodb_query_many(one, sql, rows, ODD_N, 5));
    ck_assert_int_eq(aiodb_result_affected(aiodb_future_result(f)), ODD_N);
    ck_assert_int_eq(aiodb_result_last_id(aiodb_future_result(f)), (pass + 1) * ODD_N);
    aiodb_future_free(f);
  }
  f = aiodb_test_ok(aiodb_query(db, "SELECT * FROM my_multi ORDER BY k", NULL, 0));
  g = aiodb_test_ok(aiodb_query(db, "SELECT * FROM my_multi_1 ORDER BY k", NULL, 0));
  ck_assert_uint_eq(aiodb_result_rows(aiodb_future_result(f)), 2 * ODD_N);
  same_cells(aiodb_future_result(f), aiodb_future_result(g));
  /* and as given: the bounds, the big text */
  ck_assert_int_eq(aiodb_result_int(aiodb_future_result(f), 0, 1), INT64_MIN);
  ck_assert_int_eq(aiodb_result_int(aiodb_future_result(f), 1, 1), INT64_MAX);
  aiodb_test_cell_is(aiodb_future_result(f), 3, 3, big, 100000, 1);
  aiodb_future_free(f);
  aiodb_future_free(g);
  aiodb_test_exec(db, "DROP TABLE my_multi, my_multi_1");
  free(rows);
  free(texts);
  free(blobs);
  free(big);
  free(bigb);
  aiodb_db_free(one);
  aiodb_test_done(db);
}
END_TEST

/* A failing row in the middle of a many-row statement is named and nothing
 * of the batch stays; the rows then go in again whole. */
START_TEST(my_many_in_one_insert_fails_a_row) {
  aiodb_db *db = my_open("socket_url", "max_size=1");
  aiodb_value *rows = bulk_rows_new(2500);
  int64_t prepares;
  aiodb_future *f;

  bulk_table(db, "InnoDB");
  rows[6 * 1699 + 5] = aiodb_int(10); /* row 1700 repeats row 11's n */
  prepares = session_count(db, "COM_STMT_PREPARE");
  f = aiodb_query_many(db, BULK_INSERT, rows, 2500, 6);
  ck_assert_int_eq(aiodb_test_err(f), AIODB_ECONSTRAINT);
  ck_assert_msg(strncmp(aiodb_future_errmsg(f), "row 1700: ", 10) == 0, "%s",
                aiodb_future_errmsg(f));
  aiodb_future_free(f);
  ck_assert_int_eq(session_count(db, "COM_STMT_PREPARE") - prepares, 2); /* 1 row, 1,000 */
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM my_bulk"), 0);
  rows[6 * 1699 + 5] = aiodb_int(1699);
  f = aiodb_test_ok(aiodb_query_many(db, BULK_INSERT, rows, 2500, 6));
  ck_assert_int_eq(aiodb_result_affected(aiodb_future_result(f)), 2500);
  aiodb_future_free(f);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM my_bulk WHERE n = id - 1"), 2500);
  free(rows);
  aiodb_test_exec(db, "DROP TABLE my_bulk");
  aiodb_test_done(db);
}
END_TEST

/* sql's rows into my_odku; how many statements it prepared. */
static int64_t odku_many(aiodb_db *db, const char *sql, const aiodb_value *rows, size_t n,
                         size_t ncols, int64_t affected) {
  int64_t prepares = session_count(db, "COM_STMT_PREPARE");
  aiodb_future *f = aiodb_test_ok(aiodb_query_many(db, sql, rows, n, ncols));
  ck_assert_int_eq(aiodb_result_affected(aiodb_future_result(f)), affected);
  aiodb_future_free(f);
  return session_count(db, "COM_STMT_PREPARE") - prepares;
}

/* What is not a single-row INSERT ... VALUES into a transactional table
 * runs as before, and ON DUPLICATE KEY UPDATE without placeholders goes
 * in one statement with the same outcome as row by row. */
static void odku_cases(const char *opts, int rewrites) {
  aiodb_db *db = my_open("socket_url", opts);
  aiodb_value r3[] = {aiodb_int(1), aiodb_int(10), aiodb_int(100), aiodb_int(2), aiodb_int(20),
                      aiodb_int(200), aiodb_int(1), aiodb_int(5), aiodb_int(1000)};
  aiodb_value r2[] = {aiodb_int(1), aiodb_int(1), aiodb_int(3), aiodb_int(30), aiodb_int(3),
                      aiodb_int(3)};
  aiodb_value sel[] = {aiodb_int(7), aiodb_int(70), aiodb_int(8), aiodb_int(80)};
  aiodb_future *f;

  aiodb_test_exec(db, "DROP TABLE IF EXISTS my_odku");
  aiodb_test_exec(db, "CREATE TABLE my_odku(id INT PRIMARY KEY, n INT) ENGINE=InnoDB");
  /* a placeholder after the tuple: row by row (or in bulk) */
  ck_assert_int_eq(odku_many(db, "INSERT INTO my_odku VALUES (?, ?) "
                                 "ON DUPLICATE KEY UPDATE n = n + ?", r3, 3, 3, 4), 1);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT n FROM my_odku WHERE id = 1"), 1010);
  /* none after it: one statement of 3 rows; VALUES(n) is each row's */
  ck_assert_int_eq(odku_many(db, "INSERT INTO my_odku VALUES (?, ?) "
                                 "ON DUPLICATE KEY UPDATE n = n + VALUES(n)", r2, 3, 2, 5),
                   rewrites ? 2 : 1);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT n FROM my_odku WHERE id = 1"), 1011);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT n FROM my_odku WHERE id = 3"), 33);
  /* INSERT ... SELECT, with VALUES in a comment */
  ck_assert_int_eq(odku_many(db, "INSERT INTO my_odku(id, n) /* VALUES (?, ?) */ "
                                 "SELECT ?, ? FROM DUAL", sel, 2, 2, 2), 1);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT n FROM my_odku WHERE id = 8"), 80);
  /* several statements: refused, nothing done */
  f = aiodb_query_many(db, "INSERT INTO my_odku VALUES (?, ?); INSERT INTO my_odku VALUES (9, 9)",
                       sel, 2, 2);
  ck_assert_int_ne(aiodb_test_err(f), 0);
  aiodb_future_free(f);
  /* a temporary table, which the server does not list: as before */
  aiodb_test_exec(db, "CREATE TEMPORARY TABLE my_tmp(id INT PRIMARY KEY, n INT) ENGINE=InnoDB");
  ck_assert_int_eq(odku_many(db, "INSERT INTO my_tmp VALUES (?, ?)", r2, 2, 2, 2), 1);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM my_odku"), 5);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT sum(n) FROM my_odku"), 1011 + 20 + 33 + 70 + 80);
  aiodb_test_exec(db, "DROP TABLE my_odku");
  aiodb_test_done(db);
}

START_TEST(my_many_in_one_insert_or_not) {
  odku_cases("max_size=1", 1);
  odku_cases("max_size=1&bulk=0", 0);
}
END_TEST

/* Runs short enough for the server's max_allowed_packet (256 KiB here:
 * each of 200 rows holds 20,000 bytes, 4 MB in all), as many-row INSERTs
 * and in bulk, and few enough placeholders for its limit (200 columns:
 * 327 rows a statement). */
START_TEST(my_many_in_one_insert_within_limits) {
  aiodb_db *admin = my_open("socket_url", NULL);
  int64_t was = aiodb_test_scalar(admin, "SELECT @@GLOBAL.max_allowed_packet");
  aiodb_value *rows = malloc(sizeof *rows * 2 * 1000 * 100);
  unsigned char *blob;
  char *text, cols[200 * 16], *p = cols;
  aiodb_db *db;
  int64_t executes;
  aiodb_future *f;
  int i, rc;

  aiodb_test_exec(admin, "SET GLOBAL max_allowed_packet = 262144");
  db = my_open("socket_url", "max_size=1");
  rc = (int)aiodb_test_scalar(db, "SELECT @@max_allowed_packet"); /* connected with it */
  aiodb_test_execf(admin, "SET GLOBAL max_allowed_packet = %lld", (long long)was);
  ck_assert_int_eq(rc, 262144);
  aiodb_test_large_values(20000 + 200, &blob, &text);
  aiodb_test_exec(db, "DROP TABLE IF EXISTS my_big");
  aiodb_test_exec(db, "CREATE TABLE my_big(id INT PRIMARY KEY, b LONGBLOB) ENGINE=InnoDB");
  for (i = 0; i < 200; i++) {
    rows[2 * i] = aiodb_int(i);
    rows[2 * i + 1] = aiodb_blob(blob + i, 20000);
  }
  executes = session_count(db, "COM_STMT_EXECUTE");
  f = aiodb_test_ok(aiodb_query_many(db, "INSERT INTO my_big VALUES (?, ?)", rows, 200, 2));
  executes = session_count(db, "COM_STMT_EXECUTE") - executes - 1;
  ck_assert_int_eq(aiodb_result_affected(aiodb_future_result(f)), 200);
  aiodb_future_free(f);
  ck_assert_msg(executes >= 16 && executes <= 20, "%lld executes", (long long)executes);
  f = aiodb_test_ok(aiodb_query(db, "SELECT b FROM my_big ORDER BY id", NULL, 0));
  for (i = 0; i < 200; i++) aiodb_test_cell_is(aiodb_future_result(f), (size_t)i, 0, blob + i, 20000, 0);
  aiodb_future_free(f);
  /* and in bulk (an UPDATE), as short */
  for (i = 0; i < 200; i++) {
    rows[2 * i] = aiodb_blob(blob + 200 - i, 20000);
    rows[2 * i + 1] = aiodb_int(i);
  }
  executes = session_count(db, "COM_SAVEPOINT"); /* one a run (the server counts
                                                    each row of a bulk UPDATE) */
  f = aiodb_test_ok(aiodb_query_many(db, "UPDATE my_big SET b = ? WHERE id = ?", rows, 200, 2));
  executes = session_count(db, "COM_SAVEPOINT") - executes;
  ck_assert_int_eq(aiodb_result_affected(aiodb_future_result(f)), 200);
  aiodb_future_free(f);
  ck_assert_msg(executes >= 16 && executes <= 20, "%lld runs", (long long)executes);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM my_big WHERE LENGTH(b) = 20000"), 200);
  aiodb_test_exec(db, "DROP TABLE my_big");
  aiodb_db_free(db);

  db = my_open("socket_url", "max_size=1");
  for (i = 0; i < 200; i++) p += sprintf(p, "%sc%d INT", i ? ", " : "", i);
  aiodb_test_exec(db, "DROP TABLE IF EXISTS my_cols");
  aiodb_test_execf(db, "CREATE TABLE my_cols(%s) ENGINE=InnoDB", cols);
  for (i = 0; i < 1000 * 200; i++) rows[i] = aiodb_int(i % 200 == 0 ? i / 200 : 1);
  p = cols;
  p += sprintf(p, "INSERT INTO my_cols VALUES (");
  for (i = 0; i < 200; i++) p += sprintf(p, "%s?", i ? "," : "");
  sprintf(p, ")");
  executes = session_count(db, "COM_STMT_EXECUTE");
  f = aiodb_test_ok(aiodb_query_many(db, cols, rows, 1000, 200));
  executes = session_count(db, "COM_STMT_EXECUTE") - executes - 1;
  ck_assert_int_eq(aiodb_result_affected(aiodb_future_result(f)), 1000);
  aiodb_future_free(f);
  ck_assert_int_eq(executes, 4); /* 327, 327, 327, 19 */
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT sum(c0) + sum(c199) FROM my_cols"),
                   999 * 1000 / 2 + 1000);
  aiodb_test_exec(db, "DROP TABLE my_cols");
  free(rows);
  free(blob);
  free(text);
  aiodb_db_free(admin);
  aiodb_test_done(db);
}
END_TEST

START_TEST(my_server_restart_mid_query) {
  aiodb_test_restart_mid_query("SELECT SLEEP(30)", "AIODB_TEST_MYSQL_SCRIPT", "AIODB_TEST_MYSQL_DIR");
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(my_cursor_memory_is_bounded) {
  aiodb_db *db = my_open("socket_url", "max_size=1");
  aiodb_cursor *c;
  double t0;

  aiodb_test_big_cursor_is_bounded(
      db, "SELECT seq AS i, LPAD(seq, 100, '0') AS pad FROM seq_1_to_10000000 WHERE seq <= ?",
      "mysql");

  /* a cursor dropped after its first batch of (practically) endless rows:
   * the query is stopped, not read to the end, and the one connection
   * serves the next call */
  c = aiodb_iterate(db, "SELECT seq FROM seq_1_to_1000000000", NULL, 0, 100);
  {
    aiodb_future *f = aiodb_test_ok(aiodb_cursor_next(c));
    ck_assert_uint_eq(aiodb_result_rows(aiodb_future_result(f)), 100);
    aiodb_future_free(f);
  }
  t0 = aiodb_test_now_ms();
  aiodb_cursor_free(c);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 11"), 11);
  ck_assert_msg(aiodb_test_now_ms() - t0 < 5000, "took %.0f ms", aiodb_test_now_ms() - t0);
  aiodb_test_done(db);
}
END_TEST

static int net_settings(void *native, void *ud) {
  aiodb_test_net *p = ud;
  unsigned connect_timeout = 0;
  aiodb_test_net_read_tcp((int)mysql_get_socket(native), p);
  mysql_get_optionv(native, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  snprintf(p->connect_timeout, sizeof p->connect_timeout, "%u", connect_timeout);
  return 0;
}

/* The defaults and what the URL changes (the probe's blocking calls run on
 * a connection made with the non-blocking API), and keepalives=off. */
START_TEST(my_network_defaults) {
  aiodb_db *db;
  aiodb_test_net p;

  aiodb_test_network_defaults(my_url("tcp_url"), net_settings);
  db = my_open("tcp_url", "keepalives=off");
  aiodb_future_free(aiodb_test_ok(aiodb_db_run(db, net_settings, &p)));
  ck_assert_int_eq(p.keepalive, 0);
  aiodb_db_free(db);

  aiodb_test_open_fails("mysql://h/db?keepalives_count=1000", NULL, AIODB_EINVAL,
                        "keepalives_count");
  aiodb_test_open_fails("mysql://h/db?keepalives=maybe", NULL, AIODB_EINVAL, NULL);
  aiodb_test_clean_shutdown();
}
END_TEST

Suite *aiodb_suite_mysql(void) {
  Suite *s = AIODB_SUITE("mysql", my_types_on_both_protocols, my_float_is_the_stored_float,
                         my_bit64_above_int64_max, my_statements_and_errors, my_statement_cache,
                         my_cancel_timeout_and_stray_kill, my_late_kill_spares_the_next_statement,
                         my_kill_in_flight_is_not_repeated,
                         my_many_undo_waits_for_its_kill, my_cursor_close_with_a_held_kill,
                         my_deadlock_in_a_savepoint_aborts_the_tx, my_run_meta_and_passwords,
                         my_escaped_password, my_bad_urls_and_unreachable_servers, my_tls,
                         my_lost_connection_is_replaced, my_query_many_and_transactions,
                         my_server_restart_mid_query, my_network_defaults, my_many_in_bulk,
                         my_many_row_by_row, my_many_on_myisam, my_many_in_one_insert,
                         my_many_in_one_insert_fails_a_row, my_many_in_one_insert_or_not,
                         my_many_in_one_insert_within_limits);
  AIODB_TCASE_TIMEOUT(s, my_cursor_memory_is_bounded, 300);
  return s;
}
