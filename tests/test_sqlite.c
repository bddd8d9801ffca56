/* The SQLite driver: URL forms and options, statements, aiodb_run with the
 * real sqlite3 handle, errors. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

START_TEST(sqlite_url_forms) {
  char abs_url[700], rel_url[700], dir[600];
  const char *path = aiodb_test_path(".db");
  aiodb_db *db;
  struct stat st;

  /* absolute: sqlite:////abs/path.db */
  snprintf(abs_url, sizeof abs_url, "sqlite:///%s", path);
  ck_assert(strncmp(abs_url, "sqlite:////", 11) == 0);
  db = aiodb_open(abs_url, NULL, NULL);
  aiodb_test_exec(db, "CREATE TABLE t(x)");
  aiodb_db_free(db);
  ck_assert_int_eq(stat(path, &st), 0);

  /* relative: sqlite:///name.db, against the working directory */
  snprintf(dir, sizeof dir, "%s", aiodb_test_tmpdir());
  ck_assert_int_eq(chdir(dir), 0);
  snprintf(rel_url, sizeof rel_url, "sqlite:///rel-%ld.db", (long)getpid());
  unlink(rel_url + 10);
  db = aiodb_open(rel_url, NULL, NULL);
  aiodb_test_exec(db, "CREATE TABLE r(x)");
  aiodb_db_free(db);
  ck_assert_int_eq(stat(rel_url + 10, &st), 0);
  unlink(rel_url + 10);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(sqlite_memory_shared_by_pool) {
  aiodb_db *db = aiodb_open("sqlite://?max_size=3", NULL, NULL);
  aiodb_db *other = aiodb_open("sqlite://", NULL, NULL);
  aiodb_future *a = aiodb_test_ok(aiodb_acquire(db));
  aiodb_future *b = aiodb_test_ok(aiodb_acquire(db));
  aiodb_conn *ca = aiodb_future_conn(a), *cb = aiodb_future_conn(b);
  aiodb_future *f;

  ck_assert_ptr_ne(ca, cb);
  aiodb_future_free(aiodb_test_ok(aiodb_conn_query(ca, "CREATE TABLE m(x)", NULL, 0)));
  aiodb_future_free(aiodb_test_ok(aiodb_conn_query(ca, "INSERT INTO m VALUES (5)", NULL, 0)));
  f = aiodb_test_ok(aiodb_conn_query(cb, "SELECT x FROM m", NULL, 0));
  ck_assert_int_eq(aiodb_result_int(aiodb_future_result(f), 0, 0), 5);
  aiodb_future_free(f);
  /* another db's memory database is a different one */
  aiodb_test_fails(aiodb_query(other, "SELECT x FROM m", NULL, 0), AIODB_ESQL, "no such table");
  aiodb_release(ca);
  aiodb_release(cb);
  aiodb_future_free(a);
  aiodb_future_free(b);
  aiodb_db_free(db);
  aiodb_db_free(other);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(sqlite_options) {
  const char *url = aiodb_test_sqlite_url();
  char u[800];
  aiodb_db *db = aiodb_open(url, NULL, NULL);
  aiodb_future *f;
  aiodb_error err;

  aiodb_test_exec(db, "CREATE TABLE t(x)");
  aiodb_db_free(db);

  snprintf(u, sizeof u, "%s?mode=ro", url);
  db = aiodb_open(u, NULL, NULL);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM t"), 0);
  aiodb_test_fails(aiodb_query(db, "INSERT INTO t VALUES (1)", NULL, 0), AIODB_EREADONLY, NULL);
  aiodb_db_free(db);

  snprintf(u, sizeof u, "%s?journal_mode=WAL&busy_timeout=1234&foreign_keys=on", url);
  db = aiodb_open(u, NULL, &err);
  ck_assert_msg(db != NULL, "%s", err.message);
  f = aiodb_test_ok(aiodb_query(db, "PRAGMA journal_mode", NULL, 0));
  ck_assert_str_eq(aiodb_result_text(aiodb_future_result(f), 0, 0), "wal");
  aiodb_future_free(f);
  ck_assert_int_eq(aiodb_test_scalar(db, "PRAGMA busy_timeout"), 1234);
  ck_assert_int_eq(aiodb_test_scalar(db, "PRAGMA foreign_keys"), 1);
  aiodb_db_free(db);

  /* rw without create: a missing file fails the first call, with ECONNECT */
  snprintf(u, sizeof u, "%s?mode=rw", aiodb_test_sqlite_url());
  db = aiodb_open(u, NULL, NULL);
  ck_assert_ptr_nonnull(db);
  aiodb_test_fails(aiodb_query(db, "SELECT 1", NULL, 0), AIODB_ECONNECT, "unable to open");
  aiodb_db_free(db);

  aiodb_test_open_fails("sqlite://?journal_mode=fast", NULL, AIODB_EINVAL, "journal_mode");
  aiodb_test_open_fails("sqlite://?mode=xx", NULL, AIODB_EINVAL, NULL);
  aiodb_test_open_fails("sqlite://?no_such_option=1", NULL, AIODB_EINVAL, "no_such_option");
  aiodb_test_open_fails("sqlite://host/x.db", NULL, AIODB_EINVAL, NULL);
  aiodb_test_clean_shutdown();
}
END_TEST

/* A bad option value is not quoted back: it may be a piece of a password
 * whose unescaped '&' made it an option (found by fuzz/fuzz_url.c). */
START_TEST(sqlite_bad_value_not_quoted) {
  static const char *const urls[] = {
      "sqlite:///x.db?password=a&mode=hunter2",
      "sqlite:///x.db?password=a&journal_mode=hunter2",
  };
  aiodb_error err;
  size_t i;

  for (i = 0; i < sizeof urls / sizeof urls[0]; i++) {
    ck_assert_ptr_null(aiodb_open(urls[i], NULL, &err));
    ck_assert_int_eq(err.code, AIODB_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "mode"));
    ck_assert_msg(strstr(err.message, "hunter") == NULL, "%s: '%s' quotes the value",
                  urls[i], err.message);
  }
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(sqlite_affected_and_last_id) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  aiodb_future *f;
  aiodb_result *r;

  aiodb_test_exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, x)");
  f = aiodb_test_ok(aiodb_query(db, "INSERT INTO t(x) VALUES (1), (2), (3)", NULL, 0));
  r = aiodb_future_result(f);
  ck_assert_int_eq(aiodb_result_affected(r), 3);
  ck_assert_int_eq(aiodb_result_last_id(r), 3);
  ck_assert_uint_eq(aiodb_result_cols(r), 0);
  ck_assert_uint_eq(aiodb_result_rows(r), 0);
  aiodb_future_free(f);
  f = aiodb_test_ok(aiodb_query(db, "UPDATE t SET x = x + 1 WHERE x >= 2", NULL, 0));
  ck_assert_int_eq(aiodb_result_affected(aiodb_future_result(f)), 2);
  aiodb_future_free(f);
  /* a SELECT after a write affects nothing */
  f = aiodb_test_ok(aiodb_query(db, "SELECT * FROM t", NULL, 0));
  ck_assert_int_eq(aiodb_result_affected(aiodb_future_result(f)), 0);
  ck_assert_uint_eq(aiodb_result_rows(aiodb_future_result(f)), 3);
  aiodb_future_free(f);
  f = aiodb_test_ok(aiodb_query(db, "DELETE FROM t", NULL, 0));
  ck_assert_int_eq(aiodb_result_affected(aiodb_future_result(f)), 3);
  aiodb_future_free(f);
  /* several statements: the result is the last one's */
  f = aiodb_test_ok(aiodb_query(
      db, "INSERT INTO t(x) VALUES (9); SELECT x FROM t; -- done\n", NULL, 0));
  ck_assert_int_eq(aiodb_result_int(aiodb_future_result(f), 0, 0), 9);
  aiodb_future_free(f);
  aiodb_test_done(db);
}
END_TEST

typedef struct run_probe {
  pthread_t caller;
  int same_thread;
  int rows;
  char filename[600];
} run_probe;

static int probe_fn(void *native, void *ud) {
  run_probe *p = ud;
  sqlite3 *db = native;
  sqlite3_stmt *st;
  const char *fn = sqlite3_db_filename(db, "main");
  p->same_thread = pthread_equal(pthread_self(), p->caller);
  snprintf(p->filename, sizeof p->filename, "%s", fn ? fn : "");
  /* legacy code using the raw handle, on the worker */
  if (sqlite3_exec(db, "INSERT INTO t VALUES (1), (2)", NULL, NULL, NULL) != SQLITE_OK)
    return AIODB_ESQL;
  if (sqlite3_prepare_v2(db, "SELECT count(*) FROM t", -1, &st, NULL) != SQLITE_OK)
    return AIODB_ESQL;
  sqlite3_step(st);
  p->rows = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return p->rows;
}

START_TEST(sqlite_run_gets_handle) {
  const char *url = aiodb_test_sqlite_url();
  aiodb_db *db = aiodb_open(url, NULL, NULL);
  aiodb_future *acq, *f;
  run_probe p;

  memset(&p, 0, sizeof p);
  p.caller = pthread_self();
  aiodb_test_exec(db, "CREATE TABLE t(x)");
  acq = aiodb_test_ok(aiodb_acquire(db));
  f = aiodb_test_ok(aiodb_run(aiodb_future_conn(acq), probe_fn, &p));
  ck_assert_int_eq(aiodb_future_value(f), 2);
  ck_assert_int_eq(p.same_thread, 0);
  ck_assert_str_eq(p.filename, url + strlen("sqlite:///"));
  ck_assert_ptr_eq(aiodb_conn_db(aiodb_future_conn(acq)), db);
  aiodb_release(aiodb_future_conn(acq));
  aiodb_future_free(acq);
  aiodb_future_free(f);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT sum(x) FROM t"), 3);
  ck_assert_ptr_null(aiodb_run(NULL, probe_fn, NULL));
  aiodb_test_done(db);
}
END_TEST

START_TEST(sqlite_query_sync) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  aiodb_value v = aiodb_text("sync");
  aiodb_error err;
  aiodb_result *r = aiodb_query_sync(db, "SELECT ? || '!'", &v, 1, &err);

  ck_assert_ptr_nonnull(r);
  ck_assert_int_eq(err.code, 0);
  ck_assert_str_eq(aiodb_result_text(r, 0, 0), "sync!");
  aiodb_result_free(r);
  r = aiodb_query_sync(db, "SELEC 1", NULL, 0, &err);
  ck_assert_ptr_null(r);
  ck_assert_int_eq(err.code, AIODB_ESQL);
  ck_assert_ptr_nonnull(strstr(err.message, "syntax error"));
  ck_assert_ptr_null(aiodb_query_sync(NULL, "SELECT 1", NULL, 0, &err));
  ck_assert_int_eq(err.code, AIODB_EINVAL);
  ck_assert_ptr_null(aiodb_query_sync(db, "SELECT ?", NULL, 0, NULL));
  aiodb_test_done(db);
}
END_TEST

START_TEST(sqlite_errors) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  aiodb_future *f;
  aiodb_value two[] = {aiodb_int(1), aiodb_int(2)};

  aiodb_test_exec(db, "CREATE TABLE u(id INTEGER PRIMARY KEY, x NOT NULL UNIQUE)");
  aiodb_test_exec(db, "INSERT INTO u(x) VALUES (1)");
  f = aiodb_query(db, "INSERT INTO u(x) VALUES (1)", NULL, 0);
  ck_assert_int_eq(aiodb_test_err(f), AIODB_ECONSTRAINT);
  ck_assert_str_eq(aiodb_future_sqlstate(f), "23505");
  ck_assert_int_eq(aiodb_future_native_code(f), SQLITE_CONSTRAINT_UNIQUE);
  ck_assert_ptr_nonnull(strstr(aiodb_future_errmsg(f), "UNIQUE"));
  aiodb_future_free(f);
  aiodb_test_fails_as(aiodb_query(db, "INSERT INTO u(x) VALUES (NULL)", NULL, 0),
                      AIODB_ECONSTRAINT, "23502", 0);
  aiodb_test_fails(aiodb_query(db, "SELECT * FROM nowhere", NULL, 0),
                   AIODB_ESQL, "no such table: nowhere");
  /* arguments with several statements are refused, not half-run */
  aiodb_test_fails(
      aiodb_query(db, "INSERT INTO u(x) VALUES (?); INSERT INTO u(x) VALUES (?)", two, 2),
      AIODB_EINVAL, NULL);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM u"), 1);
  /* a SQLite-only placeholder the portable lexer leaves alone */
  aiodb_test_fails(aiodb_query(db, "SELECT $x", NULL, 0), AIODB_EINVAL, "parameter");
  /* the connection still works */
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 7"), 7);
  aiodb_test_done(db);
}
END_TEST

START_TEST(sqlite_metadata_names) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  ck_assert_str_eq(aiodb_db_driver(db), "sqlite");
  ck_assert_str_eq(aiodb_param_style(db), "?");
  ck_assert_ptr_null(aiodb_param_style(NULL));
  {
    /* '?' reaches SQLite as '?': the column is named as SQLite names it */
    aiodb_value v = aiodb_int(5);
    aiodb_future *f = aiodb_test_ok(aiodb_query(db, "SELECT ?", &v, 1));
    ck_assert_str_eq(aiodb_result_name(aiodb_future_result(f), 0), "?");
    aiodb_future_free(f);
  }
  ck_assert_ptr_null(aiodb_db_driver(NULL));
  aiodb_test_done(db);
}
END_TEST

Suite *aiodb_suite_sqlite(void) {
  return AIODB_SUITE("sqlite", sqlite_url_forms, sqlite_memory_shared_by_pool, sqlite_options,
                     sqlite_bad_value_not_quoted, sqlite_affected_and_last_id,
                     sqlite_run_gets_handle, sqlite_query_sync, sqlite_errors,
                     sqlite_metadata_names);
}
