/* Bad input: clear codes and messages, never a crash, never a password. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

static void open_fails(const char *url, int code, const char *needle) {
  aiodb_error err;
  memset(&err, 0x5a, sizeof err);
  ck_assert_msg(aiodb_open(url, NULL, &err) == NULL, "%s opened", url);
  ck_assert_msg(err.code == code, "%s: %s, expected %s (%s)", url,
                aiodb_err_name(err.code), aiodb_err_name(code), err.message);
  ck_assert_msg(memchr(err.message, '\0', sizeof err.message) != NULL,
                "unterminated message");
  ck_assert_msg(strlen(err.message) > 0, "%s: empty message", url);
  ck_assert_msg(strstr(err.message, "s3cret") == NULL,
                "%s: password in message: %s", url, err.message);
  if (needle)
    ck_assert_msg(strstr(err.message, needle) != NULL, "%s: '%s' lacks '%s'",
                  url, err.message, needle);
}

START_TEST(errors_bad_urls) {
  open_fails(NULL, AIODB_EINVAL, "NULL");
  open_fails("", AIODB_EINVAL, NULL);
  open_fails("not a url", AIODB_EINVAL, NULL);
  open_fails("oracle://u:s3cret@h/db", AIODB_EINVAL, "oracle");
#ifndef AIODB_HAVE_POSTGRES
  open_fails("postgresql://u:s3cret@localhost/db", AIODB_EUNSUPPORTED, "postgresql");
#endif
#ifndef AIODB_HAVE_MYSQL
  open_fails("mysql://u:s3cret@localhost/db", AIODB_EUNSUPPORTED, "mysql");
#endif
  open_fails("mysql://u:s3cret@h:99999/db", AIODB_EINVAL, "port");
  open_fails("postgresql://u:s3cret@h:70000/db", AIODB_EINVAL, NULL);
  open_fails("sqlite://u:s3cret@host/x.db", AIODB_EINVAL, NULL);
  open_fails("sqlite:///x.db?max_size=0", AIODB_EINVAL, "max_size");
  open_fails("sqlite:///x.db?max_size=abc", AIODB_EINVAL, "max_size");
  open_fails("sqlite:///x.db?min_size=3&max_size=2", AIODB_EINVAL, "min_size");
  open_fails("sqlite:///x.db?busy_timeout=-1", AIODB_EINVAL, "busy_timeout");
  open_fails("sqlite:///x.db?%zz=1", AIODB_EINVAL, NULL);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(errors_open_cleans_up) {
  /* a good open freed at once leaves nothing behind */
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  aiodb_options o;
  aiodb_error err;

  aiodb_db_free(db);
  aiodb_options_init(&o);
  o.min_size = 4;
  o.max_size = 2;
  ck_assert_ptr_null(aiodb_open("sqlite://", &o, &err));
  ck_assert_int_eq(err.code, AIODB_EINVAL);
  aiodb_options_init(&o);
  o.timeout_ms = -5;
  ck_assert_ptr_null(aiodb_open("sqlite://", &o, &err));
  ck_assert_int_eq(err.code, AIODB_EINVAL);
  ck_assert_ptr_nonnull(strstr(err.message, "timeout_ms"));
  ck_assert_ptr_null(aiodb_open("sqlite://", &o, NULL)); /* err may be NULL */
  ck_assert_ptr_null(aiodb_open("sqlite://?force_rollback=maybe", NULL, &err));
  ck_assert_int_eq(err.code, AIODB_EINVAL);
  ck_assert_ptr_null(aiodb_open("sqlite://?statement_cache=-1", NULL, &err));
  ck_assert_int_eq(err.code, AIODB_EINVAL);
  ck_assert_ptr_null(aiodb_open("sqlite://?timeout_ms=soon", NULL, &err));
  ck_assert_int_eq(err.code, AIODB_EINVAL);
  aiodb_test_clean_shutdown();
}
END_TEST

/* Allocation failures in aiodb_open (the db, its completion queue, a
 * connection) and in growing the pool answer AIODB_ENOMEM, never a system
 * error with a stale errno. */
START_TEST(errors_open_out_of_memory) {
  aiodb_db *db = NULL;
  aiodb_error err;
  aiodb_future *f;
  long n;
  int rc;

  for (n = 0; n < 400 && db == NULL; n++) {
    aiodb_test_fail_allocs_after(n);
    memset(&err, 0, sizeof err);
    db = aiodb_open("sqlite://", NULL, &err);
    aiodb_set_allocator(NULL, NULL, NULL);
    if (db == NULL) {
      ck_assert_msg(err.code == AIODB_ENOMEM, "after %ld allocations: %s (%d)",
                    n, err.message, err.code);
      ck_assert_int_eq(aiodb__alloc_live(), 0);
    }
  }
  ck_assert_ptr_nonnull(db);
  ck_assert_int_gt(n, 3);
  aiodb_db_free(db);

  /* min_size=0: the first call starts the first connection. */
  for (n = 0; n < 400; n++) {
    db = aiodb_open("sqlite://?min_size=0", NULL, &err);
    ck_assert_ptr_nonnull(db);
    aiodb_test_fail_allocs_after(n);
    f = aiodb_query(db, "SELECT 1", NULL, 0);
    aiodb_set_allocator(NULL, NULL, NULL);
    rc = f ? aiodb_test_err(f) : AIODB_ENOMEM;
    ck_assert_msg(rc == 0 || rc == AIODB_ENOMEM, "after %ld allocations: %s",
                  n, f ? aiodb_future_errmsg(f) : "no future");
    aiodb_future_free(f);
    aiodb_db_free(db);
    if (rc == 0) break;
  }
  ck_assert_int_lt(n, 400);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(errors_null_arguments) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  aiodb_future *f;
  aiodb_value bad;

  ck_assert_ptr_null(aiodb_query(NULL, "SELECT 1", NULL, 0));
  ck_assert_ptr_null(aiodb_conn_query(NULL, "SELECT 1", NULL, 0));
  ck_assert_ptr_null(aiodb_acquire(NULL));
  ck_assert_ptr_null(aiodb_db_run(NULL, NULL, NULL));
  ck_assert_ptr_null(aiodb_close(NULL));
  ck_assert_ptr_null(aiodb_db_cq(NULL));
  ck_assert_ptr_null(aiodb_conn_db(NULL));
  ck_assert_int_eq(aiodb_future_done(NULL), 0);
  ck_assert_int_eq(aiodb_future_wait(NULL, 0), AIODB_EINVAL);
  ck_assert_int_eq(aiodb_future_error(NULL), AIODB_EINVAL);
  ck_assert_str_eq(aiodb_future_sqlstate(NULL), "");
  ck_assert_ptr_nonnull(aiodb_future_errmsg(NULL));
  ck_assert_ptr_null(aiodb_future_result(NULL));
  ck_assert_ptr_null(aiodb_future_conn(NULL));
  aiodb_future_free(NULL);

  f = aiodb_query(db, NULL, NULL, 0);
  ck_assert_int_eq(aiodb_test_err(f), AIODB_EINVAL);
  ck_assert_ptr_nonnull(strstr(aiodb_future_errmsg(f), "sql is NULL"));
  aiodb_future_free(f);
  f = aiodb_query(db, "SELECT ?", NULL, 1);
  ck_assert_int_eq(aiodb_test_err(f), AIODB_EINVAL);
  aiodb_future_free(f);
  memset(&bad, 0, sizeof bad);
  bad.type = (aiodb_type)99;
  f = aiodb_query(db, "SELECT ?", &bad, 1);
  ck_assert_int_eq(aiodb_test_err(f), AIODB_EINVAL);
  ck_assert_ptr_nonnull(strstr(aiodb_future_errmsg(f), "argument 1"));
  aiodb_future_free(f);
  bad = aiodb_textn(NULL, 0);
  bad.type = AIODB_TYPE_TEXT;
  bad.len = 5;
  f = aiodb_query(db, "SELECT ?", &bad, 1);
  ck_assert_int_eq(aiodb_test_err(f), AIODB_EINVAL);
  aiodb_future_free(f);
  aiodb_db_free(db);
  aiodb_test_clean_shutdown();
}
END_TEST

/* The count is checked before any argument is read: a caller that claims
 * more values than its array holds gets the count error, and nothing past
 * the array is touched (ASan would see it). */
START_TEST(errors_count_before_values) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  aiodb_value *one = malloc(sizeof *one);
  aiodb_future *f;

  ck_assert_ptr_nonnull(one);
  /* Garbage past one value: were it read, it would be judged first. */
  *one = aiodb_int(1);
  f = aiodb_query(db, "SELECT ?", one, 3);
  ck_assert_int_eq(aiodb_test_err(f), AIODB_EINVAL);
  ck_assert_str_eq(aiodb_future_errmsg(f),
                   "the statement takes 1 argument but 3 were given");
  aiodb_future_free(f);
  f = aiodb_query_many(db, "SELECT ?", one, 2, 2);
  ck_assert_int_eq(aiodb_test_err(f), AIODB_EINVAL);
  ck_assert_str_eq(aiodb_future_errmsg(f),
                   "the statement takes 1 argument but 2 were given");
  aiodb_future_free(f);
  free(one);
  aiodb_db_free(db);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(errors_argument_count) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  aiodb_value args[] = {aiodb_int(1), aiodb_int(2), aiodb_int(3)};
  aiodb_future *f = aiodb_query(db, "SELECT ?, ?", args, 3);

  ck_assert_int_eq(aiodb_test_err(f), AIODB_EINVAL);
  ck_assert_str_eq(aiodb_future_errmsg(f),
                   "the statement takes 2 arguments but 3 were given");
  aiodb_future_free(f);
  f = aiodb_query(db, "SELECT :a, :b, :a", args, 1);
  ck_assert_int_eq(aiodb_test_err(f), AIODB_EINVAL);
  ck_assert_str_eq(aiodb_future_errmsg(f),
                   "the statement takes 2 arguments but 1 was given");
  aiodb_future_free(f);
  f = aiodb_query(db, "SELECT 1", args, 1);
  ck_assert_int_eq(aiodb_test_err(f), AIODB_EINVAL);
  aiodb_future_free(f);
  aiodb_db_free(db);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(errors_invalid_sql) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  const char *bad[] = {"SELEC 1", "SELECT * FROM", "'unterminated", "", "   ",
                       "SELECT 1 /* open comment", "\xff\xfe"};
  size_t i;
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    aiodb_future *f = aiodb_query(db, bad[i], NULL, 0);
    int code = aiodb_test_err(f);
    ck_assert_msg(code == AIODB_ESQL || code == 0, "%s: %s", bad[i],
                  aiodb_err_name(code));
    if (code) ck_assert(strlen(aiodb_future_errmsg(f)) > 0);
    aiodb_future_free(f);
  }
  aiodb_db_free(db);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(errors_every_code_has_words) {
  int c;
  for (c = 0; c > AIODB__STATUS_MAX; c--) {
    ck_assert(strlen(aiodb_strerror(c)) > 0);
    ck_assert(strncmp(aiodb_err_name(c), "AIODB_", 6) == 0);
    ck_assert_str_ne(aiodb_err_name(c), "AIODB_EUNKNOWN");
  }
  ck_assert_str_eq(aiodb_err_name(12345), "AIODB_EUNKNOWN");
  ck_assert_str_eq(aiodb_strerror(AIODB_ECANCELED), "canceled");
  {
    char v[32];
    snprintf(v, sizeof v, "%d.%d.%d", AIODB_VERSION_MAJOR, AIODB_VERSION_MINOR,
             AIODB_VERSION_PATCH);
    ck_assert_str_eq(aiodb_version(), v);
    ck_assert_str_eq(aiodb_version(), AIODB_VERSION_STRING);
  }
}
END_TEST

#ifdef AIODB_HAVE_POSTGRES
START_TEST(errors_unreachable_server) {
  /* Nothing listens on port 1: the first call fails, password-free. */
  aiodb_db *db = aiodb_open("postgresql://u:s3cret@127.0.0.1:1/db?connect_timeout=5",
                            NULL, NULL);
  aiodb_future *f;
  ck_assert_ptr_nonnull(db);
  f = aiodb_query(db, "SELECT 1", NULL, 0);
  ck_assert_int_eq(aiodb_test_err(f), AIODB_ECONNECT);
  ck_assert_ptr_nonnull(strstr(aiodb_future_errmsg(f), "127.0.0.1"));
  ck_assert_ptr_null(strstr(aiodb_future_errmsg(f), "s3cret"));
  aiodb_future_free(f);
  aiodb_db_free(db);
  open_fails("postgresql://u:s3cret@h/db?no_such_libpq_option=1", AIODB_EINVAL,
             "no_such_libpq_option");
  aiodb_test_clean_shutdown();
}
END_TEST
#endif

Suite *aiodb_suite_errors(void) {
  Suite *s = suite_create("errors");
  AIODB_TCASE(s, errors_bad_urls);
  AIODB_TCASE(s, errors_open_cleans_up);
  AIODB_TCASE(s, errors_open_out_of_memory);
  AIODB_TCASE(s, errors_null_arguments);
  AIODB_TCASE(s, errors_argument_count);
  AIODB_TCASE(s, errors_count_before_values);
  AIODB_TCASE(s, errors_invalid_sql);
  AIODB_TCASE(s, errors_every_code_has_words);
#ifdef AIODB_HAVE_POSTGRES
  AIODB_TCASE(s, errors_unreachable_server);
#endif
  return s;
}
