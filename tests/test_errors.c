/* Bad input: clear codes and messages, never a crash, never a password. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "helpers.h"

START_TEST(errors_bad_urls) {
  aiodb_test_open_fails(NULL, NULL, AIODB_EINVAL, "NULL");
  aiodb_test_open_fails("", NULL, AIODB_EINVAL, NULL);
  aiodb_test_open_fails("not a url", NULL, AIODB_EINVAL, NULL);
  aiodb_test_open_fails("oracle://u:s3cret@h/db", NULL, AIODB_EINVAL, "oracle");
#ifndef AIODB_HAVE_POSTGRES
  aiodb_test_open_fails("postgresql://u:s3cret@localhost/db", NULL, AIODB_EUNSUPPORTED,
                        "postgresql");
#endif
#ifndef AIODB_HAVE_MYSQL
  aiodb_test_open_fails("mysql://u:s3cret@localhost/db", NULL, AIODB_EUNSUPPORTED, "mysql");
#endif
  aiodb_test_open_fails("mysql://u:s3cret@h:99999/db", NULL, AIODB_EINVAL, "port");
  aiodb_test_open_fails("postgresql://u:s3cret@h:70000/db", NULL, AIODB_EINVAL, NULL);
  aiodb_test_open_fails("sqlite://u:s3cret@host/x.db", NULL, AIODB_EINVAL, NULL);
  aiodb_test_open_fails("sqlite:///x.db?max_size=0", NULL, AIODB_EINVAL, "max_size");
  aiodb_test_open_fails("sqlite:///x.db?max_size=abc", NULL, AIODB_EINVAL, "max_size");
  aiodb_test_open_fails("sqlite:///x.db?min_size=3&max_size=2", NULL, AIODB_EINVAL, "min_size");
  aiodb_test_open_fails("sqlite:///x.db?busy_timeout=-1", NULL, AIODB_EINVAL, "busy_timeout");
  aiodb_test_open_fails("sqlite:///x.db?%zz=1", NULL, AIODB_EINVAL, NULL);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(errors_open_cleans_up) {
  /* a good open freed at once leaves nothing behind */
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  aiodb_options o;

  aiodb_db_free(db);
  aiodb_options_init(&o);
  o.min_size = 4;
  o.max_size = 2;
  aiodb_test_open_fails("sqlite://", &o, AIODB_EINVAL, NULL);
  aiodb_options_init(&o);
  o.timeout_ms = -5;
  aiodb_test_open_fails("sqlite://", &o, AIODB_EINVAL, "timeout_ms");
  ck_assert_ptr_null(aiodb_open("sqlite://", &o, NULL)); /* err may be NULL */
  aiodb_test_open_fails("sqlite://?force_rollback=maybe", NULL, AIODB_EINVAL, NULL);
  aiodb_test_open_fails("sqlite://?statement_cache=-1", NULL, AIODB_EINVAL, NULL);
  aiodb_test_open_fails("sqlite://?timeout_ms=soon", NULL, AIODB_EINVAL, NULL);
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
      aiodb__pools_trim(); /* the close's future, made with the db, is pooled */
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

  aiodb_test_fails(aiodb_query(db, NULL, NULL, 0), AIODB_EINVAL, "sql is NULL");
  aiodb_test_fails(aiodb_query(db, "SELECT ?", NULL, 1), AIODB_EINVAL, NULL);
  memset(&bad, 0, sizeof bad);
  bad.type = (aiodb_type)99;
  aiodb_test_fails(aiodb_query(db, "SELECT ?", &bad, 1), AIODB_EINVAL, "argument 1");
  bad = aiodb_textn(NULL, 0);
  bad.type = AIODB_TYPE_TEXT;
  bad.len = 5;
  aiodb_test_fails(aiodb_query(db, "SELECT ?", &bad, 1), AIODB_EINVAL, NULL);
  aiodb_test_done(db);
}
END_TEST

/* The count is checked before any argument is read: a caller that claims
 * more values than its array holds gets the count error, and nothing past
 * the array is touched (ASan would see it). */
START_TEST(errors_count_before_values) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  aiodb_value *one = malloc(sizeof *one);

  ck_assert_ptr_nonnull(one);
  /* Garbage past one value: were it read, it would be judged first. */
  *one = aiodb_int(1);
  aiodb_test_fails_with(aiodb_query(db, "SELECT ?", one, 3), AIODB_EINVAL,
                        "the statement takes 1 argument but 3 were given");
  aiodb_test_fails_with(aiodb_query_many(db, "SELECT ?", one, 2, 2), AIODB_EINVAL,
                        "the statement takes 1 argument but 2 were given");
  free(one);
  aiodb_test_done(db);
}
END_TEST

START_TEST(errors_argument_count) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  aiodb_value args[] = {aiodb_int(1), aiodb_int(2), aiodb_int(3)};

  aiodb_test_fails_with(aiodb_query(db, "SELECT ?, ?", args, 3), AIODB_EINVAL,
                        "the statement takes 2 arguments but 3 were given");
  aiodb_test_fails_with(aiodb_query(db, "SELECT :a, :b, :a", args, 1), AIODB_EINVAL,
                        "the statement takes 2 arguments but 1 was given");
  aiodb_test_fails(aiodb_query(db, "SELECT 1", args, 1), AIODB_EINVAL, NULL);
  aiodb_test_done(db);
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
  aiodb_test_done(db);
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

/* aiodb_open fails with code, and the message holds needle (if given) but
 * none of the hidden text: the password, or pieces of it a URL with an
 * unescaped '/', '?', '&' or '@' in it left where options or the host go. */
static void open_hides(const char *url, int code, const char *needle,
                       const char *const *hidden) {
  aiodb_error err;
  size_t i;
  memset(&err, 0x5a, sizeof err);
  ck_assert_msg(aiodb_open(url, NULL, &err) == NULL, "%s opened", url);
  ck_assert_msg(err.code == code, "%s: %s, expected %s (%s)", url,
                aiodb_err_name(err.code), aiodb_err_name(code), err.message);
  ck_assert_msg(memchr(err.message, '\0', sizeof err.message) != NULL,
                "unterminated message");
  if (needle)
    ck_assert_msg(strstr(err.message, needle) != NULL, "%s: '%s' lacks '%s'",
                  url, err.message, needle);
  for (i = 0; hidden[i] != NULL; i++)
    ck_assert_msg(strstr(err.message, hidden[i]) == NULL,
                  "%s: '%s' shows '%s'", url, err.message, hidden[i]);
}

START_TEST(errors_url_password_pieces) {
  static const char *const pw[] = {"Pw0rd", "a@b", "127.0.0.1", NULL};
  static const char *const frag[] = {"Pw0rd", "tail", NULL};
  static const char *const none[] = {NULL};
  /* an unescaped '@' then '?' or '/' in the password: the rest of it would
   * be read as an option, or the path, and the piece before as the host */
  open_hides("postgresql://aiodb:a@b?Pw0rd@127.0.0.1:5432/aiodb", AIODB_EINVAL,
             "percent-encode", pw);
  open_hides("mysql://aiodb:a@b?Pw0rd@127.0.0.1:3306/aiodb", AIODB_EINVAL,
             "percent-encode", pw);
  open_hides("postgresql://aiodb:a@b/Pw0rd@127.0.0.1:5432/aiodb", AIODB_EINVAL,
             "percent-encode", pw);
  open_hides("sqlite://u:a@b/x.db?Pw0rd@h/x.db", AIODB_EINVAL,
             "percent-encode", pw);
  /* the rest after an '=': an option's value, not quoted, and the option's
   * name is not quoted either */
  open_hides("sqlite://u:a@b?max_size=Pw0rd@h/x.db", AIODB_EINVAL,
             "'max_size'", pw);
#ifdef AIODB_HAVE_MYSQL
  open_hides("mariadb://aiodb:a@b?x=Pw0rd@127.0.0.1/aiodb", AIODB_EINVAL,
             "unknown option", pw);
#endif
#ifdef AIODB_HAVE_POSTGRES
  open_hides("postgresql://aiodb:a@b?x=Pw0rd@127.0.0.1/aiodb", AIODB_EINVAL,
             "unknown option", pw);
#endif
  /* no password to the URL, but an '@' after the host: option names are
   * not quoted (the '/' here cut "12/Pw0rd?tail" short) */
  open_hides("sqlite:///x.db?Pw0rd@h", AIODB_EINVAL, "unknown option", frag);
  open_hides("sqlite:///x.db?Pw0rd=1&k=a@h", AIODB_EINVAL, "unknown option",
             frag);
  /* option values are not quoted */
  open_hides("sqlite:///x.db?max_size=Pw0rd", AIODB_EINVAL, "'max_size'", frag);
  open_hides("sqlite:///x.db?force_rollback=Pw0rd", AIODB_EINVAL,
             "'force_rollback'", frag);
  /* an option name that cannot be one is not quoted */
  open_hides("sqlite:///x.db?Pw0rd%3Atail=1", AIODB_EINVAL, "unknown option",
             frag);
  /* and an ordinary unknown option still is */
  open_hides("sqlite:///x.db?bogus=1", AIODB_EINVAL,
             "unknown option 'bogus' for sqlite", none);
#ifdef AIODB_HAVE_POSTGRES
  open_hides("postgresql://u:12/Pw0rd?tail=1&x@h/db", AIODB_EINVAL,
             "unknown option", frag);
  /* a password option with an unescaped '&': what follows is not quoted */
  open_hides("postgresql://u@h/db?password=s3cret&Pw0rd&tail=1", AIODB_EINVAL,
             "unknown option", frag);
  open_hides("postgresql://u@h/db?no_such_libpq_option=1", AIODB_EINVAL,
             "unknown option 'no_such_libpq_option' for postgresql", none);
#endif
#ifdef AIODB_HAVE_MYSQL
  open_hides("mysql://u:12/Pw0rd?tail=1&x@h/db", AIODB_EINVAL,
             "unknown option", frag);
  open_hides("mysql://u@h/db?password=s3cret&Pw0rd&tail=1", AIODB_EINVAL,
             "unknown option", frag);
  open_hides("mysql://u@h/db?password=s3cret&port=Pw0rd", AIODB_EINVAL,
             "'port'", frag);
  open_hides("mysql://u@h/db?ssl=Pw0rd", AIODB_EINVAL, "'ssl'", frag);
  open_hides("mysql://u@h/db?no_such_option=1", AIODB_EINVAL,
             "unknown option 'no_such_option' for mysql", none);
#endif
  aiodb_test_clean_shutdown();
}
END_TEST

/* The driver's message as it lands in a future: one line, the password
 * blotted out before the message is cut to its buffer, a short password
 * only where it stands alone. */
START_TEST(errors_message_masking) {
  static const struct {
    const char *msg, *password, *want;
  } cases[] = {
      {"line one\nline\ttwo \n  ", "hunter2", "line one line two"},
      {NULL, NULL, ""},
      {"say hunter2, hunter2!", "hunter2", "say *******, *******!"},
      {"no password here", "", "no password here"},
      /* a one-letter password leaves the rest of the message readable, and
       * is blotted out where it stands alone, as a client library quotes it */
      {"password \"a\" rejected: a table named data", "a",
       "password \"*\" rejected: * table named data"},
      {"user 'ab' failed (ab.c:1) tab abc_ab", "ab", "user '**' failed (**.c:1) tab abc_ab"},
      {"pwd", "pwd", "***"},
      /* from 4 bytes on, wherever it appears */
      {"abcdxabcd", "abcd", "****x****"},
      /* a password of stars, which masking writes: no endless loop */
      {"a **** b *****", "****", "a **** b *****"},
      {"a * b", "*", "a * b"},
  };
  aiodb__err e;
  char msg[600];
  size_t i;

  memset(&e, 0, sizeof e);
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    aiodb__err_message(&e, cases[i].msg, cases[i].password);
    ck_assert_str_eq(e.message, cases[i].want);
  }

  /* a password across the end of the buffer: its first part is not shown */
  for (i = 0; i < sizeof e.message - 4; i++) msg[i] = 'x';
  snprintf(msg + i, sizeof msg - i, "hunter2 and more");
  aiodb__err_message(&e, msg, "hunter2");
  ck_assert_uint_eq(strlen(e.message), sizeof e.message - 1);
  ck_assert_ptr_null(strstr(e.message, "h"));
  ck_assert_str_eq(e.message + i, "***");
  aiodb_test_clean_shutdown();
}
END_TEST

#ifdef AIODB_HAVE_POSTGRES
START_TEST(errors_unreachable_server) {
  /* Nothing listens on port 1: the first call fails, password-free. */
  aiodb_test_connect_fails("postgresql://u:s3cret@127.0.0.1:1/db?connect_timeout=5", NULL,
                           "127.0.0.1", "s3cret");
  aiodb_test_open_fails("postgresql://u:s3cret@h/db?no_such_libpq_option=1", NULL, AIODB_EINVAL,
                        "no_such_libpq_option");
  aiodb_test_clean_shutdown();
}
END_TEST
#endif

Suite *aiodb_suite_errors(void) {
  Suite *s = AIODB_SUITE("errors", errors_bad_urls, errors_open_cleans_up,
                         errors_open_out_of_memory, errors_null_arguments, errors_argument_count,
                         errors_count_before_values, errors_invalid_sql,
                         errors_every_code_has_words, errors_url_password_pieces,
                         errors_message_masking);
#ifdef AIODB_HAVE_POSTGRES
  AIODB_TCASE(s, errors_unreachable_server);
#endif
  return s;
}
