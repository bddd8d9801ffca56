/* PostgreSQL through libpq, against the throwaway server that the pg_start
 * fixture runs (tests/pg_server.sh): types, SQLSTATE, statements,
 * transactions, cursors, cancel, passwords, TLS. */
#include <dlfcn.h>
#include <float.h>
#include <libpq-fe.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decode.h"
#include "helpers.h"

/* The server's URL: "tcp_url" (password over loopback) or "socket_url". */
static const char *pg_url(const char *which) {
  const char *u = aiodb_test_server_file("AIODB_TEST_PG_DIR", which);
  ck_assert_msg(u != NULL, "no PostgreSQL test server (%s)", which);
  return u;
}

static aiodb_db *pg_open(const char *which, const char *opts) {
  return aiodb_test_open_with(pg_url(which), opts);
}

START_TEST(pg_types_round_trip) {
  aiodb_db *db = pg_open("socket_url", NULL);
  static const char blob[] = {0, 1, 2, (char)0xff, 0, 'z'};
  aiodb_value args[] = {aiodb_int(INT64_MIN), aiodb_float(-2.5), aiodb_text("h\xc3\xa9"),
                        aiodb_blob(blob, sizeof blob), aiodb_null(), aiodb_text("")};
  aiodb_future *f = aiodb_test_ok(aiodb_query(
      db, "SELECT ?::int8 AS i, ?::float8 AS f, ?::text AS t, ?::bytea AS b, "
          "?::text AS n, ?::text AS e, 7::int2 AS s, 8::int4 AS i4, true AS yes, "
          "1.50::numeric AS num, 'x'::varchar AS vc, 1.5::float4 AS f4",
      args, 6));
  aiodb_result *r = aiodb_future_result(f);

  ck_assert_int_eq(aiodb_result_type(r, 0, 0), AIODB_TYPE_INT);
  ck_assert(aiodb_result_int(r, 0, 0) == INT64_MIN);
  ck_assert(aiodb_result_float(r, 0, 1) == -2.5);
  ck_assert_str_eq(aiodb_result_text(r, 0, 2), "h\xc3\xa9");
  ck_assert_int_eq(aiodb_result_type(r, 0, 3), AIODB_TYPE_BLOB);
  ck_assert_uint_eq(aiodb_result_len(r, 0, 3), sizeof blob);
  ck_assert_int_eq(memcmp(aiodb_result_blob(r, 0, 3), blob, sizeof blob), 0);
  ck_assert(aiodb_result_isnull(r, 0, 4));
  ck_assert_str_eq(aiodb_result_text(r, 0, 5), "");
  ck_assert_int_eq(aiodb_result_int(r, 0, 6), 7);
  ck_assert_int_eq(aiodb_result_int(r, 0, 7), 8);
  ck_assert_int_eq(aiodb_result_type(r, 0, 8), AIODB_TYPE_INT);
  ck_assert_int_eq(aiodb_result_int(r, 0, 8), 1);
  ck_assert_int_eq(aiodb_result_type(r, 0, 9), AIODB_TYPE_TEXT); /* numeric: text */
  ck_assert_str_eq(aiodb_result_text(r, 0, 9), "1.50");
  ck_assert_str_eq(aiodb_result_text(r, 0, 10), "x");
  ck_assert(aiodb_result_float(r, 0, 11) == 1.5);
  ck_assert_str_eq(aiodb_result_name(r, 9), "num");
  aiodb_future_free(f);
  ck_assert_str_eq(aiodb_param_style(db), "$1");
  ck_assert_str_eq(aiodb_db_driver(db), "postgresql");
  aiodb_test_done(db);
}
END_TEST

static void expect_float(aiodb_result *r, size_t col, double want) {
  double got = aiodb_result_float(r, 0, col);
  ck_assert_int_eq(aiodb_result_type(r, 0, col), AIODB_TYPE_FLOAT);
  ck_assert_msg(got == want || (isnan(got) && isnan(want)),
                "column %zu: %.17g, expected %.17g", col, got, want);
}

#define FLOAT4_ROW                                                          \
  "SELECT 0.1::float4 AS a, '1e-45'::float4 AS b, 16777217::float4 AS c, " \
  "0.3333333333::float4 AS d, '3.4028235e38'::float4 AS e, "              \
  "'Infinity'::float4 AS f, '-Infinity'::float4 AS g, 'NaN'::float4 AS h"

static void expect_float4_row(aiodb_result *r) {
  ck_assert_uint_eq(aiodb_result_rows(r), 1);
  ck_assert_uint_eq(aiodb_result_cols(r), 8);
  expect_float(r, 0, (double)0.1f); /* 0.10000000149011612, not 0.1 */
  expect_float(r, 1, 1.4012984643248171e-45);
  expect_float(r, 2, 16777216.0);
  expect_float(r, 3, (double)0.3333333333f);
  expect_float(r, 4, (double)FLT_MAX);
  expect_float(r, 5, INFINITY);
  expect_float(r, 6, -INFINITY);
  expect_float(r, 7, NAN);
}

/* A float4 cell is the stored float widened to double, not the double
 * nearest the digits the server prints, on every path: prepared, text
 * (no cache, or several statements), cursor. */
START_TEST(pg_float4_is_the_stored_float) {
  aiodb_db *db = pg_open("socket_url", NULL);
  aiodb_db *nocache = pg_open("socket_url", "statement_cache=0");
  aiodb_value one = aiodb_float(0.1);
  aiodb_cursor *c;
  aiodb_future *f;

  f = aiodb_test_ok(aiodb_query(db, FLOAT4_ROW, NULL, 0));
  expect_float4_row(aiodb_future_result(f));
  aiodb_future_free(f);
  f = aiodb_test_ok(aiodb_query(nocache, FLOAT4_ROW, NULL, 0));
  expect_float4_row(aiodb_future_result(f));
  aiodb_future_free(f);
  f = aiodb_test_ok(aiodb_query(db, "SELECT 1; " FLOAT4_ROW, NULL, 0));
  expect_float4_row(aiodb_future_result(f));
  aiodb_future_free(f);
  c = aiodb_iterate(db, FLOAT4_ROW, NULL, 0, 10);
  f = aiodb_test_ok(aiodb_cursor_next(c));
  expect_float4_row(aiodb_future_result(f));
  aiodb_future_free(f);
  aiodb_cursor_free(c);
  /* a bound double stored as float4 */
  f = aiodb_test_ok(aiodb_query(db, "SELECT ?::float4 AS v", &one, 1));
  expect_float(aiodb_future_result(f), 0, (double)0.1f);
  aiodb_future_free(f);
  aiodb_db_free(nocache);
  aiodb_test_done(db);
}
END_TEST

/* Floats read exactly on db, whatever extra_float_digits its session was
 * given: the server's sum, a bound double read back, a float4. */
static void expect_exact_floats(aiodb_db *db) {
  aiodb_value v = aiodb_float(0.30000000000000004);
  aiodb_future *f;
  f = aiodb_test_ok(aiodb_query(
      db, "SELECT 0.1::float8 + 0.2::float8 AS s, 0.3333333333::float4 AS q", NULL, 0));
  expect_float(aiodb_future_result(f), 0, 0.30000000000000004);
  expect_float(aiodb_future_result(f), 1, (double)0.3333333333f);
  aiodb_future_free(f);
  f = aiodb_test_ok(aiodb_query(db, "SELECT ? AS b", &v, 1));
  expect_float(aiodb_future_result(f), 0, 0.30000000000000004);
  aiodb_future_free(f);
  f = aiodb_test_ok(aiodb_query(db, "SELECT 1.0000000000000002::float8 AS t", NULL, 0));
  expect_float(aiodb_future_result(f), 0, 1.0000000000000002);
  aiodb_future_free(f);
}

START_TEST(pg_floats_exact_whatever_the_session) {
  aiodb_db *admin = pg_open("socket_url", NULL), *db;

  /* a URL option, on the prepared and the text path */
  db = pg_open("socket_url", "options=-c+extra_float_digits%3D0");
  expect_exact_floats(db);
  aiodb_db_free(db);
  db = pg_open("socket_url", "options=-c+extra_float_digits%3D0&statement_cache=0");
  expect_exact_floats(db);
  aiodb_db_free(db);
  /* the environment (connected before it is unset) */
  ck_assert_int_eq(setenv("PGOPTIONS", "-c extra_float_digits=-4", 1), 0);
  db = pg_open("socket_url", NULL);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 1"), 1);
  ck_assert_int_eq(unsetenv("PGOPTIONS"), 0);
  expect_exact_floats(db);
  aiodb_db_free(db);
  /* a role's setting */
  aiodb_test_exec(admin, "DROP ROLE IF EXISTS aiodb_rounding");
  aiodb_test_exec(admin, "CREATE ROLE aiodb_rounding LOGIN");
  aiodb_test_exec(admin, "ALTER ROLE aiodb_rounding SET extra_float_digits = -15");
  db = pg_open("socket_url", "user=aiodb_rounding");
  expect_exact_floats(db);
  aiodb_db_free(db);
  aiodb_test_exec(admin, "DROP ROLE aiodb_rounding");
  aiodb_db_free(admin);
  aiodb_test_clean_shutdown();
}
END_TEST

/* PostgreSQL text cannot hold a NUL byte: an argument with one is refused
 * before anything is sent; bytea holds them. */
START_TEST(pg_text_cannot_hold_nul) {
  aiodb_db *db = pg_open("socket_url", NULL);
  aiodb_value t = aiodb_textn("a\0b", 3), b = aiodb_blob("a\0b", 3);
  aiodb_future *f;

  aiodb_test_fails(aiodb_query(db, "SELECT ?::text AS v", &t, 1), AIODB_EINVAL, "NUL");
  /* nor can the server make one */
  aiodb_test_fails_as(aiodb_query(db, "SELECT chr(0) AS v", NULL, 0), AIODB_ESQL, "54000", 0);
  f = aiodb_test_ok(aiodb_query(db, "SELECT ? AS v", &b, 1));
  ck_assert_int_eq(aiodb_result_type(aiodb_future_result(f), 0, 0), AIODB_TYPE_BLOB);
  ck_assert_uint_eq(aiodb_result_len(aiodb_future_result(f), 0, 0), 3);
  ck_assert_int_eq(memcmp(aiodb_result_blob(aiodb_future_result(f), 0, 0), "a\0b", 3), 0);
  aiodb_future_free(f);
  aiodb_test_done(db);
}
END_TEST

START_TEST(pg_statements_and_errors) {
  aiodb_db *db = pg_open("tcp_url", NULL);
  aiodb_value v[] = {aiodb_text("a"), aiodb_text("b")};
  aiodb_future *f;

  aiodb_test_exec(db, "DROP TABLE IF EXISTS pg_s; CREATE TABLE pg_s(id serial PRIMARY KEY, v text UNIQUE)");
  f = aiodb_test_ok(aiodb_query(db, "INSERT INTO pg_s(v) VALUES (?), (?) RETURNING id", v, 2));
  ck_assert_uint_eq(aiodb_result_rows(aiodb_future_result(f)), 2);
  ck_assert_int_eq(aiodb_result_affected(aiodb_future_result(f)), 2);
  aiodb_future_free(f);
  f = aiodb_query(db, "INSERT INTO pg_s(v) VALUES (?)", v, 1);
  ck_assert_int_eq(aiodb_test_err(f), AIODB_ECONSTRAINT);
  ck_assert_str_eq(aiodb_future_sqlstate(f), "23505");
  ck_assert_ptr_nonnull(strstr(aiodb_future_errmsg(f), "duplicate key"));
  aiodb_future_free(f);
  aiodb_test_fails_as(aiodb_query(db, "SELEC 1", NULL, 0), AIODB_ESQL, "42601", 0);
  aiodb_test_fails_as(aiodb_query(db, "SELECT 1/0", NULL, 0), AIODB_ESQL, "22012", 0);
  /* :: casts and dollar quotes are not placeholders */
  f = aiodb_test_ok(aiodb_query(db, "SELECT '5'::int + ? AS s, $$what?$$ AS q", (aiodb_value[]){aiodb_int(1)}, 1));
  ck_assert_int_eq(aiodb_result_int(aiodb_future_result(f), 0, 0), 6);
  ck_assert_str_eq(aiodb_result_text(aiodb_future_result(f), 0, 1), "what?");
  aiodb_future_free(f);
  f = aiodb_test_ok(aiodb_query(db, "UPDATE pg_s SET v = v || :s WHERE id > :n", (aiodb_value[]){aiodb_text("!"), aiodb_int(0)}, 2));
  ck_assert_int_eq(aiodb_result_affected(aiodb_future_result(f)), 2);
  aiodb_future_free(f);
  aiodb_test_exec(db, "DROP TABLE pg_s");
  aiodb_test_done(db);
}
END_TEST

START_TEST(pg_transactions_many_cursor) {
  aiodb_db *db = pg_open("socket_url", "max_size=2");
  aiodb_value rows[300];
  aiodb_future *f;
  aiodb_tx *tx, *sp;
  aiodb_cursor *c;
  int i;
  long total = 0, n;

  aiodb_test_exec(db, "DROP TABLE IF EXISTS pg_t; CREATE TABLE pg_t(x int UNIQUE)");
  for (i = 0; i < 300; i++) rows[i] = aiodb_int(i);
  f = aiodb_test_ok(aiodb_query_many(db, "INSERT INTO pg_t VALUES (?)", rows, 300, 1));
  ck_assert_int_eq(aiodb_result_affected(aiodb_future_result(f)), 300);
  aiodb_future_free(f);
  rows[150] = aiodb_int(5); /* a duplicate: nothing of the batch stays */
  f = aiodb_query_many(db, "INSERT INTO pg_t VALUES (? + 1000)", rows, 300, 1);
  ck_assert_int_eq(aiodb_test_err(f), AIODB_ECONSTRAINT);
  ck_assert_msg(strncmp(aiodb_future_errmsg(f), "row 151: ", 9) == 0, "%s", aiodb_future_errmsg(f));
  aiodb_future_free(f);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM pg_t"), 300);

  tx = aiodb_begin(db);
  aiodb_future_free(aiodb_test_ok(aiodb_tx_query(tx, "DELETE FROM pg_t WHERE x < 100", NULL, 0)));
  sp = aiodb_tx_begin(tx);
  aiodb_future_free(aiodb_test_ok(aiodb_tx_query(sp, "DELETE FROM pg_t", NULL, 0)));
  aiodb_future_free(aiodb_test_ok(aiodb_rollback(sp)));
  aiodb_test_fails(aiodb_tx_query(tx, "INSERT INTO pg_t VALUES (200)", NULL, 0),
                   AIODB_ECONSTRAINT, NULL);
  aiodb_test_fails_as(aiodb_commit(tx), AIODB_ETXABORTED, "23505", 0);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM pg_t"), 300);

  c = aiodb_iterate(db, "SELECT x FROM pg_t ORDER BY x", NULL, 0, 64);
  do {
    f = aiodb_test_ok(aiodb_cursor_next(c));
    n = (long)aiodb_result_rows(aiodb_future_result(f));
    if (n) ck_assert_int_eq(aiodb_result_int(aiodb_future_result(f), 0, 0) >= 0, 1);
    total += n;
    aiodb_future_free(f);
  } while (n > 0);
  ck_assert_int_eq(total, 300);
  aiodb_cursor_free(c);
  c = aiodb_iterate(db, "SELECT generate_series(1, 100000000)", NULL, 0, 10);
  f = aiodb_test_ok(aiodb_cursor_next(c));
  ck_assert_uint_eq(aiodb_result_rows(aiodb_future_result(f)), 10);
  aiodb_future_free(f);
  aiodb_cursor_free(c); /* stops the endless statement early */
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 41 + 1"), 42);
  aiodb_test_exec(db, "DROP TABLE pg_t");
  aiodb_test_done(db);
}
END_TEST

START_TEST(pg_cancel_and_timeout) {
  aiodb_db *db = pg_open("socket_url", NULL);
  aiodb_future *f = aiodb_query(db, "SELECT pg_sleep(30)", NULL, 0);
  double t0;

  aiodb_future_wait(f, 200);
  t0 = aiodb_test_now_ms();
  ck_assert_int_eq(aiodb_future_cancel(f), 0);
  ck_assert_int_eq(aiodb_test_err(f), AIODB_ECANCELED);
  ck_assert_str_eq(aiodb_future_sqlstate(f), "57014");
  ck_assert(aiodb_test_now_ms() - t0 < 2000);
  aiodb_future_free(f);
  f = aiodb_query(db, "SELECT pg_sleep(30)", NULL, 0);
  aiodb_future_set_timeout(f, 200);
  aiodb_test_fails(f, AIODB_ETIMEDOUT, NULL);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 7"), 7);
  aiodb_test_done(db);
}
END_TEST

typedef struct run_probe {
  int ok;
  char version[32];
} run_probe;

static int probe(void *native, void *ud) {
  run_probe *p = ud;
  PGresult *r = PQexec(native, "SHOW server_version");
  p->ok = PQresultStatus(r) == PGRES_TUPLES_OK;
  if (p->ok) snprintf(p->version, sizeof p->version, "%s", PQgetvalue(r, 0, 0));
  PQclear(r);
  return PQserverVersion(native) / 10000;
}

START_TEST(pg_run_meta_and_passwords) {
  aiodb_db *db = pg_open("socket_url", "application_name=aiodb-test");
  run_probe p = {0, ""};
  aiodb_future *f = aiodb_test_ok(aiodb_db_run(db, probe, &p));

  ck_assert_int_eq(aiodb_future_value(f), 15);
  ck_assert(p.ok);
  aiodb_future_free(f);
  f = aiodb_test_ok(aiodb_server_info(db));
  ck_assert_str_eq(aiodb_result_text(aiodb_future_result(f), 0, 0), "postgresql");
  ck_assert_str_eq(aiodb_result_text(aiodb_future_result(f), 0, 1), p.version);
  aiodb_future_free(f);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'aiodb-test'") >= 1, 1);
  aiodb_test_exec(db, "DROP TABLE IF EXISTS pg_m; CREATE TABLE pg_m(x int)");
  ck_assert_int_eq(aiodb_test_has_table(db, "pg_m"), 1);
  aiodb_test_exec(db, "DROP TABLE pg_m");
  aiodb_db_free(db);

  /* a wrong password: refused, and the password is not repeated */
  aiodb_test_wrong_password_fails(pg_url("tcp_url"), "password authentication failed");
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(pg_lost_connection_is_replaced) {
  aiodb_db *db = pg_open("socket_url", "max_size=1"); /* one connection */
  aiodb_db *admin = pg_open("socket_url", NULL);
  aiodb_value pid;
  aiodb_future *slow, *kill, *next;
  int64_t before, after;

  before = aiodb_test_scalar(db, "SELECT pg_backend_pid()");
  slow = aiodb_query(db, "SELECT pg_sleep(30)", NULL, 0);
  aiodb_future_wait(slow, 200);
  pid = aiodb_int(before);
  kill = aiodb_test_ok(aiodb_query(admin, "SELECT pg_terminate_backend(?::int)", &pid, 1));
  aiodb_future_free(kill);
  ck_assert_int_eq(aiodb_test_err(slow), AIODB_ECONNLOST);
  /* the server's 57P01, or libpq's connection class 08 */
  ck_assert_msg(strcmp(aiodb_future_sqlstate(slow), "57P01") == 0 ||
                    strncmp(aiodb_future_sqlstate(slow), "08", 2) == 0,
                "%s", aiodb_future_sqlstate(slow));
  aiodb_future_free(slow);
  /* the broken connection is never handed out again: a new one serves */
  next = aiodb_test_ok(aiodb_query(db, "SELECT pg_backend_pid()", NULL, 0));
  after = aiodb_result_int(aiodb_future_result(next), 0, 0);
  ck_assert_int_ne(after, before);
  aiodb_future_free(next);
  aiodb_db_free(admin);
  aiodb_test_done(db);
}
END_TEST

START_TEST(pg_query_many_pipelines_in_chunks) {
  aiodb_db *db = pg_open("socket_url", NULL);
  enum { N = 1000 };
  static aiodb_value rows[N];
  aiodb_future *f;
  aiodb_result *r;
  double t0, many_ms;
  int i;

  aiodb_test_exec(db, "DROP TABLE IF EXISTS pg_c; CREATE TABLE pg_c(x int UNIQUE)");
  for (i = 0; i < N; i++) rows[i] = aiodb_int(i == 699 ? 3 : i);
  f = aiodb_query_many(db, "INSERT INTO pg_c VALUES (?)", rows, N, 1);
  ck_assert_int_eq(aiodb_test_err(f), AIODB_ECONSTRAINT);
  ck_assert_msg(strncmp(aiodb_future_errmsg(f), "row 700: ", 9) == 0, "%s",
                aiodb_future_errmsg(f));
  aiodb_future_free(f);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM pg_c"), 0);

  rows[699] = aiodb_int(699);
  t0 = aiodb_test_now_ms();
  f = aiodb_test_ok(aiodb_query_many(db, "INSERT INTO pg_c VALUES (?) RETURNING x * 2 AS twice",
                                     rows, N, 1));
  many_ms = aiodb_test_now_ms() - t0;
  r = aiodb_future_result(f);
  ck_assert_int_eq(aiodb_result_affected(r), N);
  ck_assert_uint_eq(aiodb_result_rows(r), N);
  for (i = 0; i < N; i++) ck_assert_int_eq(aiodb_result_int(r, (size_t)i, 0), 2 * i);
  aiodb_future_free(f);

  /* the same rows one call each, for the record */
  aiodb_test_exec(db, "DELETE FROM pg_c");
  aiodb_test_report_one_call_each(db, "INSERT INTO pg_c VALUES (?)", rows, N, many_ms,
                                  "postgres");
  aiodb_test_exec(db, "DROP TABLE pg_c");
  aiodb_test_done(db);
}
END_TEST

START_TEST(pg_server_restart_mid_query) {
  aiodb_test_restart_mid_query("SELECT pg_sleep(30)", "AIODB_TEST_PG_SCRIPT", "AIODB_TEST_PG_DIR");
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(pg_escaped_password) {
  aiodb_db *admin = pg_open("socket_url", NULL), *db;
  char role[64], url[800], *at;
  const char *tcp = pg_url("tcp_url");
  aiodb_future *f;

  snprintf(role, sizeof role, "esc_%ld", (long)getpid());
  aiodb_test_execf(admin,
                   "DROP ROLE IF EXISTS %s; CREATE ROLE %s LOGIN PASSWORD 'p@ss:w/rd%%?&'", role,
                   role);
  /* postgresql://aiodb:aiodb-test-pw@127.0.0.1:PORT/aiodb -> the new role */
  at = strchr(tcp, '@');
  ck_assert_ptr_nonnull(at);
  snprintf(url, sizeof url, "postgresql://%s:p%%40ss%%3Aw%%2Frd%%25%%3F%%26%s", role, at);
  db = aiodb_open(url, NULL, NULL);
  f = aiodb_test_ok(aiodb_query(db, "SELECT current_user::text", NULL, 0));
  ck_assert_str_eq(aiodb_result_text(aiodb_future_result(f), 0, 0), role);
  aiodb_future_free(f);
  aiodb_db_free(db);
  aiodb_test_execf(admin, "DROP ROLE %s", role);
  aiodb_db_free(admin);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(pg_cursor_memory_is_bounded) {
  aiodb_db *db = pg_open("socket_url", NULL);
  aiodb_test_big_cursor_is_bounded(
      db, "SELECT i, lpad(i::text, 100, '0') AS pad FROM generate_series(1, ?::int) AS i",
      "postgres");
  aiodb_test_done(db);
}
END_TEST

/* One thread's rewritten statement is remembered for the next call with
 * the same text: never across drivers of another placeholder style, and a
 * repeated name still binds every occurrence. */
START_TEST(pg_rewrite_memo_follows_the_driver) {
  static const char sum[] = "SELECT CAST(? AS INTEGER) + CAST(? AS INTEGER) AS s";
  static const char named[] =
      "SELECT CAST(:a AS INTEGER) * 100 + CAST(:b AS INTEGER) * 10 + CAST(:a AS INTEGER) AS s";
  aiodb_db *pg = pg_open("socket_url", NULL);
  aiodb_db *lite = aiodb_test_open_with("sqlite://", NULL);
  aiodb_db *order[4] = {pg, lite, lite, pg}, *order2[4] = {lite, pg, pg, lite};
  int i, k;

  /* each text runs on one driver then on the other, and twice in a row on
   * each: every call after the first in a row can be remembered. (SQLite
   * also takes PostgreSQL's $1, so PostgreSQL is the one that must never
   * get SQLite's '?' from the memo.) */
  for (i = 0; i < 3; i++) {
    for (k = 0; k < 4; k++) {
      aiodb_value v[2] = {aiodb_int(i), aiodb_int(k)};
      aiodb_future *f = aiodb_test_ok(aiodb_query(order[k], sum, v, 2));
      ck_assert_int_eq(aiodb_result_int(aiodb_future_result(f), 0, 0), i + k);
      aiodb_future_free(f);
    }
    for (k = 0; k < 4; k++) {
      aiodb_value v[2] = {aiodb_int(i), aiodb_int(k)};
      aiodb_future *f = aiodb_test_ok(aiodb_query(order2[k], named, v, 2));
      ck_assert_int_eq(aiodb_result_int(aiodb_future_result(f), 0, 0),
                       i * 100 + k * 10 + i);
      aiodb_future_free(f);
    }
  }
  aiodb_db_free(lite);
  aiodb_db_free(pg);
  aiodb_test_clean_shutdown();
}
END_TEST

/* ---- auto-pipelining: statements found queued together on a connection
 * go out as one libpq pipeline, each as if sent alone ---- */

#define AP_N 300

/* Holds db's one connection for 0.2 s, so that what is submitted next
 * queues up. Its deadline keeps it out of any batch. */
static aiodb_future *held(aiodb_db *db) {
  aiodb_future *f = aiodb_query(db, "SELECT pg_sleep(0.2)", NULL, 0);
  ck_assert_int_eq(aiodb_future_set_timeout(f, 30000), 0);
  return f;
}

/* Runs `SELECT ? * 2` AP_N times, all submitted while the one connection
 * is held by a short sleep so that they queue up; checks every answer and
 * returns the db's batch count. */
static uint64_t queued_doubles(aiodb_db *db) {
  static aiodb_future *f[AP_N];
  aiodb_value v = aiodb_int(0);
  aiodb_future *hold;
  uint64_t batches, batched;
  int i;

  aiodb_future_free(aiodb_test_ok(aiodb_query(db, "SELECT ?::int8 * 2 AS v", &v, 1)));
  hold = held(db);
  for (i = 0; i < AP_N; i++) {
    v = aiodb_int(i);
    f[i] = aiodb_query(db, "SELECT ?::int8 * 2 AS v", &v, 1);
  }
  aiodb_future_free(aiodb_test_ok(hold));
  for (i = 0; i < AP_N; i++) {
    aiodb_test_ok(f[i]);
    ck_assert_int_eq(aiodb_result_int(aiodb_future_result(f[i]), 0, 0), 2 * i);
    aiodb_future_free(f[i]);
  }
  aiodb_db_stats(db, &batches, &batched);
  ck_assert_uint_le(batched, AP_N);
  ck_assert(batches == 0 || batched / batches >= 2);
  return batches;
}

START_TEST(pg_autopipeline_sends_queued_statements_together) {
  /* one connection: a pool with room to grow runs queued statements on
   * new connections rather than in a batch */
  aiodb_db *db = pg_open("socket_url", "max_size=1");
  aiodb_db *off = pg_open("socket_url", "pipeline=0&max_size=1");
  aiodb_options o;
  aiodb_error err;
  uint64_t batches, batched;

  /* at most 64 a batch by default: at least 5 batches for 300 */
  batches = queued_doubles(db);
  ck_assert_uint_ge(batches, AP_N / 64);
  aiodb_db_stats(db, NULL, &batched);
  ck_assert_uint_ge(batched, AP_N - 64);
  ck_assert_uint_eq(queued_doubles(off), 0);
  aiodb_db_free(off);
  aiodb_db_free(db);

  /* a small worker stack holds a batch of the deepest kind */
  db = pg_open("socket_url", "stack_size=32768&pipeline=1024&max_size=1");
  ck_assert_uint_ge(queued_doubles(db), 1);
  aiodb_db_free(db);

  /* the depth follows the option */
  db = pg_open("socket_url", "pipeline=8&max_size=1");
  ck_assert_uint_ge(queued_doubles(db), AP_N / 8);
  aiodb_db_free(db);
  aiodb_options_init(&o);
  o.pipeline = 4;
  o.max_size = 1;
  db = aiodb_open(pg_url("socket_url"), &o, &err);
  ck_assert_ptr_nonnull(db);
  ck_assert_uint_ge(queued_doubles(db), AP_N / 4);
  aiodb_db_free(db);

  aiodb_test_open_fails("postgresql://h/db?pipeline=1025", NULL, AIODB_EINVAL, "pipeline");
  o.pipeline = 5000;
  aiodb_test_open_fails("postgresql://h/db", &o, AIODB_EINVAL, "pipeline");
  aiodb_test_clean_shutdown();
}
END_TEST

/* Inserts in one batch, some failing, with a statement not yet prepared in
 * the middle: each fails alone and the order holds. */
START_TEST(pg_autopipeline_keeps_order_and_isolates_errors) {
  aiodb_db *db = pg_open("socket_url", "max_size=1");
  aiodb_future *f[41], *hold, *agg;
  aiodb_value v = aiodb_int(-1);
  char want[256] = "-1";
  uint64_t batched;
  int i;

  aiodb_test_exec(db, "DROP TABLE IF EXISTS pg_ap; "
                      "CREATE TABLE pg_ap(seq serial PRIMARY KEY, k int UNIQUE)");
  aiodb_future_free(aiodb_test_ok(aiodb_query(db, "INSERT INTO pg_ap(k) VALUES (?)", &v, 1)));
  hold = held(db);
  for (i = 0; i < 41; i++) {
    if (i == 10) {
      v = aiodb_int(0);
      f[i] = aiodb_query(db, "SELECT count(*) FROM pg_ap WHERE k >= ?", &v, 1);
      continue;
    }
    v = aiodb_int((i - (i > 10)) % 20); /* rows 21..40 repeat 0..19 */
    f[i] = aiodb_query(db, "INSERT INTO pg_ap(k) VALUES (?)", &v, 1);
  }
  aiodb_future_free(aiodb_test_ok(hold));
  for (i = 0; i < 41; i++) {
    if (i == 10) {
      aiodb_test_ok(f[i]);
      ck_assert_int_eq(aiodb_result_int(aiodb_future_result(f[i]), 0, 0), 10);
    } else if (i < 21) {
      aiodb_test_ok(f[i]);
      ck_assert_int_eq(aiodb_result_affected(aiodb_future_result(f[i])), 1);
    } else {
      ck_assert_int_eq(aiodb_test_err(f[i]), AIODB_ECONSTRAINT);
      ck_assert_str_eq(aiodb_future_sqlstate(f[i]), "23505");
    }
    aiodb_future_free(f[i]);
  }
  for (i = 0; i < 20; i++) snprintf(want + strlen(want), 8, ",%d", i);
  agg = aiodb_test_ok(aiodb_query(db, "SELECT string_agg(k::text, ',' ORDER BY seq) FROM pg_ap",
                                  NULL, 0));
  ck_assert_str_eq(aiodb_result_text(aiodb_future_result(agg), 0, 0), want);
  aiodb_future_free(agg);
  aiodb_db_stats(db, NULL, &batched);
  ck_assert_uint_ge(batched, 30);
  aiodb_test_exec(db, "DROP TABLE pg_ap");
  aiodb_test_done(db);
}
END_TEST

/* A statement with a deadline is never sent ahead: its deadline holds. */
START_TEST(pg_autopipeline_leaves_deadlines_alone) {
  aiodb_db *db = pg_open("socket_url", "max_size=1");
  aiodb_future *f[11], *hold;
  aiodb_value v = aiodb_float(0);
  uint64_t batches, batched;
  double t0;
  int i;

  aiodb_future_free(aiodb_test_ok(aiodb_query(db, "SELECT pg_sleep(?::float8)", &v, 1)));
  hold = held(db);
  for (i = 0; i < 11; i++) {
    v = aiodb_float(i == 5 ? 30 : 0);
    f[i] = aiodb_query(db, "SELECT pg_sleep(?::float8)", &v, 1);
    if (i == 5) ck_assert_int_eq(aiodb_future_set_timeout(f[i], 300), 0);
  }
  t0 = aiodb_test_now_ms();
  aiodb_future_free(aiodb_test_ok(hold));
  for (i = 0; i < 11; i++) {
    if (i == 5)
      ck_assert_int_eq(aiodb_test_err(f[i]), AIODB_ETIMEDOUT);
    else
      aiodb_test_ok(f[i]);
    aiodb_future_free(f[i]);
  }
  ck_assert(aiodb_test_now_ms() - t0 < 5000);
  /* the five before it and the five after it, in two batches */
  aiodb_db_stats(db, &batches, &batched);
  ck_assert_uint_eq(batches, 2);
  ck_assert_uint_eq(batched, 10);
  aiodb_db_free(db);

  /* timeout_ms gives every statement a deadline: none is sent ahead */
  db = pg_open("socket_url", "timeout_ms=5000&max_size=1");
  ck_assert_uint_eq(queued_doubles(db), 0);
  aiodb_test_done(db);
}
END_TEST

/* The connection dies in the middle of a batch: that statement and those
 * sent after it fail with AIODB_ECONNLOST, each once, and so may some sent
 * before it whose answers were not read yet; a new connection serves what
 * follows. */
START_TEST(pg_autopipeline_connection_lost_mid_batch) {
  static const char kill[] =
      "SELECT CASE WHEN ?::int8 = 1 THEN pg_terminate_backend(pg_backend_pid()) END";
  aiodb_db *db = pg_open("socket_url", "max_size=1");
  aiodb_future *f[11], *hold;
  aiodb_value v = aiodb_int(0);
  uint64_t batches;
  int i, lost = -1;

  aiodb_future_free(aiodb_test_ok(aiodb_query(db, kill, &v, 1)));
  aiodb_future_free(aiodb_test_ok(aiodb_query(db, "SELECT ?::int8", &v, 1)));
  hold = held(db);
  for (i = 0; i < 11; i++) {
    v = aiodb_int(i == 5);
    f[i] = aiodb_query(db, i == 5 ? kill : "SELECT ?::int8", &v, 1);
  }
  aiodb_future_free(aiodb_test_ok(hold));
  /* Answers already sent may be lost with the connection (libpq drops
   * what it had not parsed): from the first failure on, every statement
   * fails with AIODB_ECONNLOST, and the kill's at the latest. */
  for (i = 0; i < 11; i++) {
    int rc = aiodb_test_err(f[i]);
    if (rc != 0 && lost < 0) lost = i;
    ck_assert_msg(rc == (lost >= 0 ? AIODB_ECONNLOST : 0), "statement %d: %s (%s)", i,
                  aiodb_err_name(rc), aiodb_future_errmsg(f[i]));
    aiodb_future_free(f[i]);
  }
  ck_assert_int_ge(lost, 0);
  ck_assert_int_le(lost, 5);
  aiodb_db_stats(db, &batches, NULL);
  ck_assert_uint_ge(batches, 1);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 7"), 7);
  aiodb_test_done(db);
}
END_TEST

/* A cursor leaves libpq's single-row mode set on the connection, and
 * pipeline mode does not reset it: the first statement of the next batch
 * must still answer in full. Read batches of 10 of 5,000 rows, stop early,
 * then 16 cached point selects at once; also after a batch canceled
 * mid-stream. */
START_TEST(pg_autopipeline_after_cursor) {
  static const char point[] = "SELECT x FROM pg_apc WHERE x = ?";
  aiodb_db *db = pg_open("socket_url", "max_size=1");
  aiodb_future *f[16], *batch;
  aiodb_cursor *c;
  aiodb_value v = aiodb_int(1);
  uint64_t before, after;
  int round, i;

  aiodb_test_exec(db, "DROP TABLE IF EXISTS pg_apc; CREATE TABLE pg_apc(x int PRIMARY KEY); "
                      "INSERT INTO pg_apc SELECT generate_series(1, 5000)");
  aiodb_future_free(aiodb_test_ok(aiodb_query(db, point, &v, 1))); /* cached */
  aiodb_db_stats(db, &before, NULL);
  for (round = 0; round < 40; round++) {
    if (round % 10 == 9) {
      /* a batch canceled while its rows stream in */
      c = aiodb_iterate(db, "SELECT x, pg_sleep(0.01) FROM generate_series(1, 1000) x", NULL, 0,
                        1000);
      batch = aiodb_cursor_next(c);
      ck_assert_int_eq(aiodb_future_wait(batch, 100), AIODB_ETIMEDOUT);
      ck_assert_int_eq(aiodb_future_cancel(batch), 0);
      aiodb_test_fails(batch, AIODB_ECANCELED, NULL);
    } else {
      c = aiodb_iterate(db, "SELECT x FROM pg_apc ORDER BY x", NULL, 0, 10);
      ck_assert_uint_eq(aiodb_test_next_rows(c, NULL), 10);
    }
    aiodb_cursor_free(c);
    for (i = 0; i < 16; i++) {
      v = aiodb_int(round * 16 + i + 1);
      f[i] = aiodb_query(db, point, &v, 1);
    }
    for (i = 0; i < 16; i++) {
      ck_assert_msg(aiodb_test_err(f[i]) == 0, "round %d, select %d: %s (%s, native %d)", round, i,
                    aiodb_future_errmsg(f[i]), aiodb_err_name(aiodb_future_error(f[i])),
                    aiodb_future_native_code(f[i]));
      ck_assert_uint_eq(aiodb_result_rows(aiodb_future_result(f[i])), 1);
      ck_assert_int_eq(aiodb_result_int(aiodb_future_result(f[i]), 0, 0), round * 16 + i + 1);
      aiodb_future_free(f[i]);
    }
  }
  aiodb_db_stats(db, &after, NULL);
  ck_assert_uint_ge(after - before, 20); /* most rounds went out as a batch */
  aiodb_test_exec(db, "DROP TABLE pg_apc");
  aiodb_test_done(db);
}
END_TEST

/* The table a cached statement reads changes shape: outside a transaction
 * the statement is prepared again and run again; a write runs once. */
START_TEST(pg_stale_statement_runs_once) {
  static const char ins[] = "INSERT INTO pg_st(a) VALUES (?) RETURNING *";
  aiodb_db *db = pg_open("socket_url", "max_size=1");
  aiodb_value v = aiodb_int(1);
  aiodb_future *f;
  int i;

  aiodb_test_exec(db, "DROP TABLE IF EXISTS pg_st; CREATE TABLE pg_st(a int)");
  for (i = 0; i < 3; i++) aiodb_future_free(aiodb_test_ok(aiodb_query(db, ins, &v, 1)));
  aiodb_test_exec(db, "ALTER TABLE pg_st ADD COLUMN b int DEFAULT 7");
  v = aiodb_int(2);
  f = aiodb_test_ok(aiodb_query(db, ins, &v, 1));
  ck_assert_uint_eq(aiodb_result_cols(aiodb_future_result(f)), 2);
  ck_assert_int_eq(aiodb_result_int(aiodb_future_result(f), 0, 1), 7);
  ck_assert_int_eq(aiodb_result_affected(aiodb_future_result(f)), 1);
  aiodb_future_free(f);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM pg_st WHERE a = 2"), 1);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM pg_st"), 4);

  /* query_many: rolled back to its savepoint and run again, once */
  v = aiodb_int(3);
  aiodb_future_free(aiodb_test_ok(aiodb_query_many(db, ins, &v, 1, 1)));
  aiodb_test_exec(db, "ALTER TABLE pg_st ADD COLUMN c int DEFAULT 8");
  v = aiodb_int(4);
  f = aiodb_test_ok(aiodb_query_many(db, ins, &v, 1, 1));
  ck_assert_uint_eq(aiodb_result_cols(aiodb_future_result(f)), 3);
  ck_assert_int_eq(aiodb_result_affected(aiodb_future_result(f)), 1);
  aiodb_future_free(f);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM pg_st WHERE a = 4"), 1);
  aiodb_test_exec(db, "DROP TABLE pg_st");
  aiodb_test_done(db);
}
END_TEST

/* Inside a transaction the stale statement is not run again (the failure
 * aborted the transaction): the error is reported, and after the rollback
 * the statement is prepared afresh. */
START_TEST(pg_stale_statement_in_transaction) {
  static const char sel[] = "SELECT * FROM pg_stx";
  aiodb_db *db = pg_open("socket_url", "max_size=1");
  aiodb_future *f;
  aiodb_tx *tx;
  int i;

  aiodb_test_exec(db, "DROP TABLE IF EXISTS pg_stx; CREATE TABLE pg_stx(a int); "
                      "INSERT INTO pg_stx VALUES (1)");
  for (i = 0; i < 3; i++) aiodb_test_exec(db, sel);
  aiodb_test_exec(db, "ALTER TABLE pg_stx ADD COLUMN b int");
  tx = aiodb_begin(db);
  aiodb_test_fails_as(aiodb_tx_query(tx, sel, NULL, 0), AIODB_ESQL, "0A000", 0);
  f = aiodb_rollback(tx);
  aiodb_future_free(aiodb_test_ok(f));
  for (i = 0; i < 2; i++) {
    f = aiodb_query(db, sel, NULL, 0);
    ck_assert_msg(aiodb_test_err(f) == 0, "run %d after the rollback: %s", i,
                  aiodb_future_errmsg(f));
    ck_assert_uint_eq(aiodb_result_cols(aiodb_future_result(f)), 2);
    aiodb_future_free(f);
  }
  /* a tx that starts after the change prepares afresh too */
  aiodb_test_exec(db, "ALTER TABLE pg_stx ADD COLUMN c int");
  tx = aiodb_begin(db);
  aiodb_test_fails(aiodb_tx_query(tx, sel, NULL, 0), AIODB_ESQL, NULL);
  aiodb_tx_free(tx);
  tx = aiodb_begin(db);
  f = aiodb_test_ok(aiodb_tx_query(tx, sel, NULL, 0));
  ck_assert_uint_eq(aiodb_result_cols(aiodb_future_result(f)), 3);
  aiodb_future_free(f);
  aiodb_future_free(aiodb_test_ok(aiodb_commit(tx)));
  aiodb_test_exec(db, "DROP TABLE pg_stx");
  aiodb_test_done(db);
}
END_TEST

/* Statements pipelined behind a change of shape: those whose answers came
 * after the change are run again in order; a stale one followed in the same
 * batch by one that ran fails once (running it later would reorder it). */
START_TEST(pg_stale_statement_in_a_batch) {
  static const char sel[] = "SELECT * FROM pg_stb WHERE a >= ?";
  aiodb_db *db = pg_open("socket_url", "max_size=1");
  aiodb_value v = aiodb_int(0);
  aiodb_future *f[12], *hold;
  int i;

  aiodb_test_exec(db, "DROP TABLE IF EXISTS pg_stb; CREATE TABLE pg_stb(a int); "
                      "INSERT INTO pg_stb VALUES (1)");
  aiodb_future_free(aiodb_test_ok(aiodb_query(db, sel, &v, 1)));
  aiodb_future_free(aiodb_test_ok(aiodb_query(db, "SELECT ?::int8", &v, 1)));
  aiodb_test_exec(db, "ALTER TABLE pg_stb ADD COLUMN b int");
  hold = held(db);
  for (i = 0; i < 12; i++) f[i] = aiodb_query(db, sel, &v, 1);
  aiodb_future_free(aiodb_test_ok(hold));
  for (i = 0; i < 12; i++) {
    ck_assert_msg(aiodb_test_err(f[i]) == 0, "select %d: %s", i, aiodb_future_errmsg(f[i]));
    ck_assert_uint_eq(aiodb_result_cols(aiodb_future_result(f[i])), 2);
    aiodb_future_free(f[i]);
  }

  aiodb_test_exec(db, "ALTER TABLE pg_stb ADD COLUMN c int");
  hold = held(db);
  for (i = 0; i < 12; i++) f[i] = aiodb_query(db, i == 6 ? "SELECT ?::int8" : sel, &v, 1);
  aiodb_future_free(aiodb_test_ok(hold));
  for (i = 0; i < 12; i++) {
    if (i < 6) {
      ck_assert_int_eq(aiodb_test_err(f[i]), AIODB_ESQL);
      ck_assert_str_eq(aiodb_future_sqlstate(f[i]), "0A000");
    } else {
      ck_assert_msg(aiodb_test_err(f[i]) == 0, "statement %d: %s", i, aiodb_future_errmsg(f[i]));
      if (i > 6) ck_assert_uint_eq(aiodb_result_cols(aiodb_future_result(f[i])), 3);
    }
    aiodb_future_free(f[i]);
  }
  aiodb_test_exec(db, "DROP TABLE pg_stb");
  aiodb_test_done(db);
}
END_TEST

/* COPY FROM STDIN and TO STDOUT need the PGconn*: refused with a message
 * that says so, and the connection goes on. */
static void copy_refused(aiodb_future *f, const char *what) {
  ck_assert_int_eq(aiodb_test_err(f), AIODB_EUNSUPPORTED);
  ck_assert_msg(strstr(aiodb_future_errmsg(f), what) != NULL &&
                    strstr(aiodb_future_errmsg(f), "aiodb_run") != NULL,
                "%s", aiodb_future_errmsg(f));
  aiodb_future_free(f);
}

/* The guide's COPY FROM STDIN through aiodb_run (chapter 16). */
static int copy_in(void *native, void *ud) {
  PGconn *pg = native;
  const char *data = ud;
  PGresult *r = PQexec(pg, "COPY pg_cp(a) FROM STDIN");
  int ok = PQresultStatus(r) == PGRES_COPY_IN, n = AIODB_ESQL;
  PQclear(r);
  if (!ok) return AIODB_ESQL;
  ok = PQputCopyData(pg, data, (int)strlen(data)) == 1;
  PQputCopyEnd(pg, ok ? NULL : "aborted");
  while ((r = PQgetResult(pg)) != NULL) {
    if (PQresultStatus(r) == PGRES_COMMAND_OK) n = atoi(PQcmdTuples(r));
    PQclear(r);
  }
  return n;
}

START_TEST(pg_copy_is_refused_and_the_connection_goes_on) {
  static const char *const opts[] = {"max_size=1", "max_size=1&statement_cache=0"};
  static char data[] = "20001\n20002\n";
  aiodb_value none = aiodb_null();
  aiodb_future *f[8], *hold;
  aiodb_cursor *c;
  aiodb_db *db;
  size_t k;
  int i;

  for (k = 0; k < 2; k++) {
    db = pg_open("socket_url", opts[k]);
    aiodb_test_exec(db, "DROP TABLE IF EXISTS pg_cp; CREATE TABLE pg_cp(a int); "
                        "INSERT INTO pg_cp SELECT generate_series(1, 20000)");
    for (i = 0; i < 2; i++) { /* prepared, then from the cache */
      copy_refused(aiodb_query(db, "COPY pg_cp FROM STDIN", NULL, 0), "COPY FROM STDIN");
      ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM pg_cp"), 20000);
      copy_refused(aiodb_query(db, "COPY pg_cp TO STDOUT", NULL, 0), "COPY TO STDOUT");
      ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 7"), 7);
    }
    /* queued together with other statements: never sent ahead */
    hold = held(db);
    for (i = 0; i < 8; i++)
      f[i] = aiodb_query(db, i % 2 ? "SELECT count(*) FROM pg_cp" : "COPY pg_cp TO STDOUT", NULL, 0);
    aiodb_future_free(aiodb_test_ok(hold));
    for (i = 0; i < 8; i++) {
      if (i % 2 == 0) {
        copy_refused(f[i], "COPY TO STDOUT");
        continue;
      }
      ck_assert_int_eq(aiodb_result_int(aiodb_future_result(aiodb_test_ok(f[i])), 0, 0), 20000);
      aiodb_future_free(f[i]);
    }
    /* a cursor, and query_many (whose rows are pipelined) */
    c = aiodb_iterate(db, "COPY pg_cp TO STDOUT", NULL, 0, 10);
    copy_refused(aiodb_cursor_next(c), "COPY TO STDOUT");
    aiodb_cursor_free(c);
    c = aiodb_iterate(db, "COPY pg_cp FROM STDIN", NULL, 0, 10);
    copy_refused(aiodb_cursor_next(c), "COPY FROM STDIN");
    aiodb_cursor_free(c);
    copy_refused(aiodb_query_many(db, "COPY pg_cp FROM STDIN", &none, 3, 0), "COPY");
    ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM pg_cp"), 20000);
    /* what the message points to */
    f[0] = aiodb_test_ok(aiodb_db_run(db, copy_in, data));
    ck_assert_int_eq(aiodb_future_value(f[0]), 2);
    aiodb_future_free(f[0]);
    ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM pg_cp"), 20002);
    aiodb_test_exec(db, "DROP TABLE pg_cp");
    aiodb_db_free(db);
  }
  aiodb_test_clean_shutdown();
}
END_TEST

/* A COMMIT that PostgreSQL answers with ROLLBACK (its transaction was
 * aborted by a statement the tx did not see) committed nothing, and says
 * so. */
START_TEST(pg_commit_of_an_aborted_transaction_fails) {
  aiodb_db *db = pg_open("socket_url", NULL);
  aiodb_future *acq, *ins, *bad, *c;
  aiodb_conn *conn;
  aiodb_tx *tx;
  char table[64], sql[200];

  snprintf(table, sizeof table, "pg_aborted_%d", (int)getpid());
  aiodb_test_execf(db, "DROP TABLE IF EXISTS %s", table);
  aiodb_test_execf(db, "CREATE TABLE %s (x int)", table);
  acq = aiodb_test_ok(aiodb_acquire(db));
  conn = aiodb_future_conn(acq);
  tx = aiodb_conn_begin(conn);
  snprintf(sql, sizeof sql, "INSERT INTO %s VALUES (1)", table);
  ins = aiodb_tx_query(tx, sql, NULL, 0);
  bad = aiodb_conn_query(conn, "SELECT 1/0", NULL, 0);
  c = aiodb_commit(tx);
  aiodb_test_ok(ins);
  ck_assert_int_eq(aiodb_test_err(bad), AIODB_ESQL);
  ck_assert_int_eq(aiodb_test_err(c), AIODB_ETXABORTED);
  ck_assert_str_eq(aiodb_future_sqlstate(c), "25P02");
  aiodb_test_free_all(ins, bad, c);
  /* the same for a COMMIT of one's own */
  aiodb_future_free(aiodb_test_ok(aiodb_conn_query(conn, "BEGIN", NULL, 0)));
  bad = aiodb_conn_query(conn, "SELECT 1/0", NULL, 0);
  c = aiodb_conn_query(conn, "COMMIT", NULL, 0);
  ck_assert_int_eq(aiodb_test_err(bad), AIODB_ESQL);
  ck_assert_int_eq(aiodb_test_err(c), AIODB_ETXABORTED);
  aiodb_future_free(bad);
  aiodb_future_free(c);
  /* a ROLLBACK is still a ROLLBACK */
  aiodb_future_free(aiodb_test_ok(aiodb_conn_query(conn, "BEGIN", NULL, 0)));
  aiodb_future_free(aiodb_conn_query(conn, "SELECT 1/0", NULL, 0));
  aiodb_future_free(aiodb_test_ok(aiodb_conn_query(conn, "ROLLBACK", NULL, 0)));
  aiodb_release(conn);
  aiodb_future_free(acq);
  snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
  ck_assert_int_eq(aiodb_test_scalar(db, sql), 0);
  aiodb_test_execf(db, "DROP TABLE %s", table);
  aiodb_test_done(db);
}
END_TEST

/* ---- a cancel request the server never answers: this binary's own
 * PQcancel, which the driver (linked in statically) calls instead of
 * libpq's. It passes every call on to libpq's unless a test holds them;
 * held, a call waits until released, or hold_ms at the most, before
 * going on. Each test case runs in a process of its own (CK_FORK), so a
 * hold never reaches another. ---- */

static aiodb_test_hold shim = AIODB_TEST_HOLD_INIT;

int PQcancel(PGcancel *cancel, char *errbuf, int errbufsize) {
  static int (*_Atomic next)(PGcancel *, char *, int);
  int (*real)(PGcancel *, char *, int) = atomic_load(&next);
  aiodb_test_hold_point(&shim);
  if (real == NULL) {
    *(void **)&real = dlsym(RTLD_NEXT, "PQcancel");
    atomic_store(&next, real);
  }
  return real(cancel, errbuf, errbufsize);
}


/* aiodb_future_cancel and the deadline timer only post the cancel: a
 * cancel request the server does not answer holds neither the caller nor
 * any deadline, of this db or another. */
START_TEST(pg_cancel_never_blocks_the_caller) {
  aiodb_db *db = pg_open("socket_url", NULL);
  aiodb_db *timed = pg_open("socket_url", NULL);
  aiodb_db *other = pg_open("socket_url", "timeout_ms=500&max_size=1");
  aiodb_test_gate gate;
  aiodb_future *f, *t, *g, *run;
  double t0, cancel_ms, late_ms;

  /* connected, each, before the clock starts */
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 1"), 1);
  ck_assert_int_eq(aiodb_test_scalar(timed, "SELECT 1"), 1);
  ck_assert_int_eq(aiodb_test_scalar(other, "SELECT 1"), 1);
  aiodb_test_hold_calls(&shim, 8000);

  /* an explicit cancel whose request is never answered */
  f = aiodb_query(db, "SELECT pg_sleep(30)", NULL, 0);
  ck_assert_int_eq(aiodb_future_wait(f, 300), AIODB_ETIMEDOUT); /* running */
  t0 = aiodb_test_now_ms();
  ck_assert_int_eq(aiodb_future_cancel(f), 0);
  cancel_ms = aiodb_test_now_ms() - t0;
  fprintf(stderr, "postgres: aiodb_future_cancel returned in %.0f us, its cancel request unanswered\n",
          cancel_ms * 1000);
  ck_assert_msg(cancel_ms < 50, "aiodb_future_cancel took %.1f ms", cancel_ms);
  ck_assert_int_eq(aiodb_test_hold_wait_entered(&shim, 1), 1);

  /* a deadline whose cancel is never answered either, sent by the timer */
  t = aiodb_query(timed, "SELECT pg_sleep(30)", NULL, 0);
  ck_assert_int_eq(aiodb_future_wait(t, 300), AIODB_ETIMEDOUT);
  ck_assert_int_eq(aiodb_future_set_timeout(t, 1), 0);
  ck_assert_int_eq(aiodb_test_hold_wait_entered(&shim, 2), 2);

  /* meanwhile another db's deadline fires on time: a statement queued
   * behind its busy connection is dropped at 500 ms */
  run = aiodb_test_gate_hold(other, &gate);
  t0 = aiodb_test_now_ms();
  g = aiodb_query(other, "SELECT 1", NULL, 0);
  ck_assert_int_eq(aiodb_test_err(g), AIODB_ETIMEDOUT);
  late_ms = aiodb_test_now_ms() - t0 - 500;
  fprintf(stderr, "postgres: a 500 ms deadline fired %.0f ms late, two cancels unanswered\n",
          late_ms);
  ck_assert_msg(late_ms < 2500, "the deadline fired %.0f ms late", late_ms);
  aiodb_future_free(g);
  aiodb_test_gate_open(&gate);
  aiodb_future_free(aiodb_test_ok(run));
  aiodb_test_gate_destroy(&gate);

  /* the statements run on until their cancels get through */
  ck_assert(!aiodb_future_done(f));
  aiodb_test_hold_release(&shim);
  ck_assert_int_eq(aiodb_test_err(f), AIODB_ECANCELED);
  ck_assert_int_eq(aiodb_test_err(t), AIODB_ETIMEDOUT);
  aiodb_future_free(f);
  aiodb_future_free(t);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 7"), 7);
  ck_assert_int_eq(aiodb_test_scalar(timed, "SELECT 8"), 8);
  aiodb_db_free(other);
  aiodb_db_free(timed);
  aiodb_test_done(db);
}
END_TEST

/* Closing a cursor whose query is still sending rows cancels the query;
 * when that cancel goes unanswered the worker gives the connection up
 * after a bounded wait instead of hanging, and a fresh one serves. */
START_TEST(pg_cursor_close_with_unanswered_cancel) {
  aiodb_db *db = pg_open("socket_url", "max_size=1");
  aiodb_test_cursor_close_held(db, "SELECT generate_series(1, 1000000000)", &shim);
  aiodb_test_done(db);
}
END_TEST

/* aiodb_db_free does not wait for a cancel the server never answers: the
 * canceller is left to finish it on its own (and to free what it uses). */
START_TEST(pg_free_does_not_wait_for_an_unanswered_cancel) {
  aiodb_db *db = pg_open("socket_url", NULL);
  aiodb_future *f;
  double t0, ms;
  int i;

  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 1"), 1);
  aiodb_test_hold_calls(&shim, 4000);
  f = aiodb_query(db, "SELECT pg_sleep(0.5)", NULL, 0);
  ck_assert_int_eq(aiodb_future_wait(f, 200), AIODB_ETIMEDOUT);
  ck_assert_int_eq(aiodb_future_cancel(f), 0);
  ck_assert_int_eq(aiodb_test_hold_wait_entered(&shim, 1), 1);
  aiodb_test_ok(f); /* it ends on its own */
  aiodb_future_free(f);
  t0 = aiodb_test_now_ms();
  aiodb_db_free(db);
  ms = aiodb_test_now_ms() - t0;
  fprintf(stderr, "postgres: aiodb_db_free with a cancel unanswered took %.0f ms\n", ms);
  ck_assert_msg(ms < 2000, "aiodb_db_free took %.0f ms", ms);
  /* once the cancel returns, the canceller frees the config and ends */
  aiodb_test_hold_release(&shim);
  for (i = 0; i < 500 && aiodb__alloc_live() != 0; i++) usleep(10000);
  aiodb_test_clean_shutdown();
}
END_TEST

/* The interrupter's rules (tests/helpers_hold.c), as on MySQL. */
START_TEST(pg_cancel_in_flight_is_not_repeated) {
  aiodb_db *db = pg_open("socket_url", "max_size=1");
  aiodb_test_interrupt_in_flight(db, "SELECT pg_sleep(30)", &shim);
  aiodb_test_done(db);
}
END_TEST

START_TEST(pg_many_undo_waits_for_its_cancel) {
  aiodb_db *db = pg_open("socket_url", "max_size=1");
  aiodb_test_many_undo_after_interrupt(db, &shim);
  aiodb_test_done(db);
}
END_TEST

static int net_settings(void *native, void *ud) {
  aiodb_test_net *p = ud;
  PQconninfoOption *o, *all = PQconninfo(native);
  aiodb_test_net_read_tcp(PQsocket(native), p);
  for (o = all; o && o->keyword; o++)
    if (strcmp(o->keyword, "connect_timeout") == 0 && o->val)
      snprintf(p->connect_timeout, sizeof p->connect_timeout, "%s", o->val);
  PQconninfoFree(all);
  return 0;
}

START_TEST(pg_network_defaults) {
  aiodb_test_network_defaults(pg_url("tcp_url"), net_settings);
  aiodb_test_open_fails("postgresql://h/db?connect_timeout=soon", NULL, AIODB_EINVAL,
                        "connect_timeout");
  aiodb_test_clean_shutdown();
}
END_TEST

/* ---- TLS (the test server has ssl = on and a throwaway CA) ---- */

/* The CA that signed the test server's certificate, or NULL when the
 * fixture had no openssl (a failure under CI, where it must be there). */
static const char *pg_tls_ca(void) {
  const char *ca = aiodb_test_server_file("AIODB_TEST_PG_DIR", "tls_ca");
  if (ca == NULL)
    ck_assert_msg(getenv("CI") == NULL, "no TLS on the PostgreSQL test server");
  return ca;
}

static int ssl_in_use(void *native, void *ud) {
  (void)ud;
  return PQsslInUse(native);
}

/* Whether db's connection (max_size 1) is encrypted, asserting that libpq
 * and the server agree. */
static int encrypted(aiodb_db *db) {
  aiodb_future *f = aiodb_test_ok(aiodb_db_run(db, ssl_in_use, NULL));
  int client = aiodb_future_value(f);
  int64_t server =
      aiodb_test_scalar(db, "SELECT ssl::int FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
  aiodb_future_free(f);
  ck_assert_int_eq(client, (int)server);
  return client;
}

/* sslmode and sslrootcert pass through to libpq: require, verify-ca and
 * verify-full (by address and by name) encrypt over TCP; disable does not,
 * nor does anything over the unix socket, where libpq ignores sslmode. */
START_TEST(pg_tls_modes) {
  const char *ca = pg_tls_ca();
  char opts[1200];
  aiodb_db *db;

  if (ca == NULL) return;
  db = pg_open("tcp_url", "sslmode=require");
  ck_assert_msg(encrypted(db), "sslmode=require: not encrypted");
  aiodb_db_free(db);
  snprintf(opts, sizeof opts, "sslmode=verify-ca&sslrootcert=%s", ca);
  db = pg_open("tcp_url", opts);
  ck_assert_msg(encrypted(db), "sslmode=verify-ca: not encrypted");
  aiodb_db_free(db);
  /* 127.0.0.1 is one of the certificate's names (an IP subjectAltName) */
  snprintf(opts, sizeof opts, "sslmode=verify-full&sslrootcert=%s", ca);
  db = pg_open("tcp_url", opts);
  ck_assert_msg(encrypted(db), "sslmode=verify-full: not encrypted");
  aiodb_db_free(db);
  /* and localhost the other: the name is checked, the address used */
  snprintf(opts, sizeof opts, "sslmode=verify-full&sslrootcert=%s&host=localhost&hostaddr=127.0.0.1",
           ca);
  db = pg_open("tcp_url", opts);
  ck_assert_msg(encrypted(db), "sslmode=verify-full, host=localhost: not encrypted");
  aiodb_db_free(db);
  db = pg_open("tcp_url", "sslmode=disable");
  ck_assert_msg(!encrypted(db), "sslmode=disable: encrypted");
  aiodb_db_free(db);
  snprintf(opts, sizeof opts, "sslmode=verify-full&sslrootcert=%s", ca);
  db = pg_open("socket_url", opts);
  ck_assert_msg(!encrypted(db), "a unix socket: encrypted");
  aiodb_test_done(db);
}
END_TEST

/* The first call on a TCP db opened with opts fails to connect: ECONNECT,
 * SQLSTATE 08001, a message holding words and not the password. */
static void expect_tls_refused(const char *opts, const char *words) {
  aiodb_db *db = pg_open("tcp_url", opts);
  aiodb_future *f = aiodb_query(db, "SELECT 1", NULL, 0);
  const char *msg;

  ck_assert_int_eq(aiodb_test_err(f), AIODB_ECONNECT);
  msg = aiodb_future_errmsg(f);
  ck_assert_msg(strstr(msg, words) != NULL, "%s: expected \"%s\" in: %s", opts, words, msg);
  ck_assert_msg(strstr(msg, "aiodb-test-pw") == NULL, "%s: the password in: %s", opts, msg);
  ck_assert_str_eq(aiodb_future_sqlstate(f), "08001");
  aiodb_future_free(f);
  aiodb_db_free(db);
}

/* The server's ssl setting as a fresh connection over the socket sees it:
 * once it shows, the postmaster has reloaded its configuration. */
static int ssl_setting_is(const char *want) {
  aiodb_db *db = pg_open("socket_url", NULL);
  aiodb_future *f = aiodb_test_ok(aiodb_query(db, "SHOW ssl", NULL, 0));
  int same = strcmp(aiodb_result_text(aiodb_future_result(f), 0, 0), want) == 0;
  aiodb_future_free(f);
  aiodb_db_free(db);
  return same;
}

/* Sets the server's ssl (a configuration reload: no restart), waiting up
 * to 20 s for it to apply; returns whether it did. */
static int set_server_ssl(const char *value) {
  aiodb_db *db = pg_open("socket_url", NULL);
  char sql[64];
  int i;
  if (strcmp(value, "on") == 0)
    snprintf(sql, sizeof sql, "ALTER SYSTEM RESET ssl");
  else
    snprintf(sql, sizeof sql, "ALTER SYSTEM SET ssl = %s", value);
  aiodb_test_exec(db, sql);
  aiodb_test_exec(db, "SELECT pg_reload_conf()");
  aiodb_db_free(db);
  for (i = 0; i < 400; i++) {
    if (ssl_setting_is(value)) return 1;
    usleep(50 * 1000);
  }
  return 0;
}

/* Each refusal is ECONNECT with libpq's reason: a certificate for other
 * names, a CA file that is missing or did not sign the certificate, and a
 * server without TLS when TLS is required (ssl turned off for the moment:
 * the postgres suite holds the pg_server lock). */
START_TEST(pg_tls_refusals) {
  const char *ca = pg_tls_ca();
  char opts[1200], dir[1024], *slash;
  aiodb_future *f;
  aiodb_db *db;
  int off, back, code = 0, prefer_tls = -1;
  char msg[256] = "";

  if (ca == NULL) return;
  snprintf(opts, sizeof opts,
           "sslmode=verify-full&sslrootcert=%s&host=aiodb-wrong-name.invalid&hostaddr=127.0.0.1",
           ca);
  expect_tls_refused(opts, "does not match host name \"aiodb-wrong-name.invalid\"");
  snprintf(opts, sizeof opts, "sslmode=verify-ca&sslrootcert=%s/no-such-ca.pem",
           aiodb_test_tmpdir());
  expect_tls_refused(opts, "root certificate file");
  expect_tls_refused(opts, "does not exist");
  /* the server's own certificate is not the CA that signed it */
  snprintf(dir, sizeof dir, "%s", ca);
  slash = strrchr(dir, '/');
  ck_assert_ptr_nonnull(slash);
  *slash = '\0';
  snprintf(opts, sizeof opts, "sslmode=verify-ca&sslrootcert=%s/server-cert.pem", dir);
  expect_tls_refused(opts, "certificate verify failed");
  expect_tls_refused("sslmode=sometimes", "invalid sslmode value");

  /* A server without TLS: sslmode=require refuses it, prefer (libpq's
   * default) goes on in clear text. Asserted once ssl is back on, so that a
   * failure leaves the server as it was. */
  off = set_server_ssl("off");
  if (off) {
    db = pg_open("tcp_url", "sslmode=require");
    f = aiodb_query(db, "SELECT 1", NULL, 0);
    code = aiodb_test_err(f);
    snprintf(msg, sizeof msg, "%s", aiodb_future_errmsg(f));
    aiodb_future_free(f);
    aiodb_db_free(db);
    db = pg_open("tcp_url", "sslmode=prefer");
    f = aiodb_db_run(db, ssl_in_use, NULL);
    prefer_tls = aiodb_test_err(f) == 0 ? aiodb_future_value(f) : -1;
    aiodb_future_free(f);
    aiodb_db_free(db);
  }
  back = set_server_ssl("on");
  ck_assert_msg(off, "the server's ssl did not turn off");
  ck_assert_msg(back, "the server's ssl did not turn back on");
  ck_assert_int_eq(code, AIODB_ECONNECT);
  ck_assert_msg(strstr(msg, "server does not support SSL, but SSL was required") != NULL, "%s",
                msg);
  ck_assert_ptr_null(strstr(msg, "aiodb-test-pw"));
  ck_assert_int_eq(prefer_tls, 0);
  db = pg_open("tcp_url", "sslmode=require");
  ck_assert(encrypted(db));
  aiodb_test_done(db);
}
END_TEST

/* Bytea in hex that no server writes (a digit that is not hex) decodes as
 * libpq's PQunescapeBytea decodes it: found by fuzz/fuzz_decode.c, where
 * such a digit was shifted as -1 (undefined behaviour) into a wrong byte.
 * The decoding alone, no server needed. */
START_TEST(pg_malformed_bytea_decodes_as_libpq_does) {
  static const char *const in[] = {"\\xzz", "\\xdeadbee\\xdf", "\\x de ad",
                                   "\\x414", "\\xZ1", "\\x00ff", "\\x"};
  size_t i, n;

  for (i = 0; i < sizeof in / sizeof in[0]; i++) {
    aiodb_result *r = aiodb__result_new();
    unsigned char *want = PQunescapeBytea((const unsigned char *)in[i], &n);
    ck_assert_ptr_nonnull(r);
    ck_assert_ptr_nonnull(want);
    ck_assert_int_eq(aiodb__result_set_cols(r, 1), 0);
    ck_assert_int_eq(aiodb__pg_decode(r, 17 /* bytea */, in[i], strlen(in[i])), 0);
    ck_assert_int_eq(aiodb_result_type(r, 0, 0), AIODB_TYPE_BLOB);
    ck_assert_msg(aiodb_result_len(r, 0, 0) == n &&
                      memcmp(aiodb_result_blob(r, 0, 0), want, n) == 0,
                  "'%s': %zu bytes, libpq gives %zu", in[i], aiodb_result_len(r, 0, 0), n);
    PQfreemem(want);
    aiodb_result_free(r);
  }
  aiodb_test_clean_shutdown();
}
END_TEST

Suite *aiodb_suite_postgres(void) {
  Suite *s = AIODB_SUITE("postgres", pg_types_round_trip, pg_malformed_bytea_decodes_as_libpq_does,
                         pg_float4_is_the_stored_float, pg_floats_exact_whatever_the_session,
                         pg_text_cannot_hold_nul, pg_statements_and_errors,
                         pg_transactions_many_cursor, pg_cancel_and_timeout,
                         pg_run_meta_and_passwords, pg_lost_connection_is_replaced,
                         pg_query_many_pipelines_in_chunks, pg_escaped_password,
                         pg_server_restart_mid_query, pg_rewrite_memo_follows_the_driver,
                         pg_autopipeline_sends_queued_statements_together,
                         pg_autopipeline_keeps_order_and_isolates_errors,
                         pg_autopipeline_leaves_deadlines_alone,
                         pg_autopipeline_connection_lost_mid_batch, pg_autopipeline_after_cursor,
                         pg_stale_statement_runs_once, pg_stale_statement_in_transaction,
                         pg_stale_statement_in_a_batch,
                         pg_copy_is_refused_and_the_connection_goes_on);
  AIODB_TCASE_TIMEOUT(s, pg_cursor_memory_is_bounded, 300);
  AIODB_TCASES(s, pg_commit_of_an_aborted_transaction_fails, pg_cancel_never_blocks_the_caller,
               pg_cursor_close_with_unanswered_cancel,
               pg_free_does_not_wait_for_an_unanswered_cancel, pg_cancel_in_flight_is_not_repeated,
               pg_many_undo_waits_for_its_cancel,
               pg_network_defaults, pg_tls_modes,
               pg_tls_refusals);
  return s;
}
