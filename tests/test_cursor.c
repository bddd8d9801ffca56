/* Cursors: batches on demand, early stop, bounded memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

START_TEST(cursor_batches_until_the_end) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  aiodb_value lim = aiodb_int(2500);
  aiodb_cursor *c = aiodb_iterate(
      db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) SELECT i, 'v' || i AS v FROM n",
      &lim, 1, 1000);
  aiodb_future *f;
  aiodb_result *r;

  ck_assert_uint_eq(aiodb_test_next_rows(c, &f), 1000);
  r = aiodb_future_result(f);
  ck_assert_int_eq(aiodb_result_int(r, 0, 0), 1);
  ck_assert_int_eq(aiodb_result_int(r, 999, 0), 1000);
  ck_assert_str_eq(aiodb_result_name(r, 1), "v");
  aiodb_future_free(f);
  ck_assert_uint_eq(aiodb_test_next_rows(c, &f), 1000);
  ck_assert_int_eq(aiodb_result_int(aiodb_future_result(f), 0, 0), 1001);
  aiodb_future_free(f);
  ck_assert_uint_eq(aiodb_test_next_rows(c, NULL), 500);
  ck_assert_uint_eq(aiodb_test_next_rows(c, &f), 0); /* the end: no rows, the columns */
  ck_assert_uint_eq(aiodb_result_cols(aiodb_future_result(f)), 2);
  aiodb_future_free(f);
  ck_assert_uint_eq(aiodb_test_next_rows(c, NULL), 0); /* and ever after */
  aiodb_cursor_free(c);
  aiodb_cursor_free(NULL);
  aiodb_test_done(db);
}
END_TEST

START_TEST(cursor_abandoned_frees_its_connection) {
  aiodb_db *db = aiodb_open("sqlite://?max_size=1", NULL, NULL);
  aiodb_cursor *c = aiodb_iterate(
      db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT i FROM n",
      NULL, 0, 100);
  aiodb_future *q;

  ck_assert_uint_eq(aiodb_test_next_rows(c, NULL), 100); /* an endless result */
  q = aiodb_query(db, "SELECT 5", NULL, 0);   /* waits: the cursor pins it */
  ck_assert_int_eq(aiodb_future_wait(q, 50), AIODB_ETIMEDOUT);
  aiodb_cursor_free(c);
  ck_assert_int_eq(aiodb_result_int(aiodb_future_result(aiodb_test_ok(q)), 0, 0), 5);
  aiodb_future_free(q);
  aiodb_test_done(db);
}
END_TEST

START_TEST(cursor_memory_is_bounded_by_the_batch) {
#if defined(AIODB_TEST_SANITIZED)
  const long rows = 200000; /* sanitizers: mechanics only, RSS means little */
#else
  const long rows = 1000000;
#endif
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  aiodb_value lim = aiodb_int(rows);
  aiodb_cursor *c = aiodb_iterate(
      db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
          "SELECT i, printf('%0100d', i) AS pad FROM n",
      &lim, 1, 1000);
  long before = aiodb_test_peak_rss_kb(), total = 0, n, growth;
  int64_t expect = 1;

  do {
    aiodb_future *f = aiodb_test_ok(aiodb_cursor_next(c));
    aiodb_result *r = aiodb_future_result(f);
    n = (long)aiodb_result_rows(r);
    if (n > 0) {
      ck_assert_int_eq(aiodb_result_int(r, 0, 0), expect);
      ck_assert_uint_eq(aiodb_result_len(r, 0, 1), 100);
    }
    expect += n;
    total += n;
    aiodb_future_free(f);
  } while (n > 0);
  growth = aiodb_test_peak_rss_kb() - before;
  ck_assert_int_eq(total, rows);
  fprintf(stderr, "cursor: %ld rows of ~110 bytes in batches of 1000: peak RSS grew %ld KiB\n",
          total, growth);
#if !defined(AIODB_TEST_SANITIZED)
  /* the whole result would be over 100 MiB; a batch is about 150 KiB */
  ck_assert_msg(growth < 16 * 1024, "peak RSS grew %ld KiB", growth);
#endif
  aiodb_cursor_free(c);
  aiodb_test_done(db);
}
END_TEST

START_TEST(cursor_errors_and_pinned_connection) {
  aiodb_db *db = aiodb_open("sqlite://?max_size=2", NULL, NULL);
  aiodb_cursor *c = aiodb_iterate(db, "SELECT * FROM nowhere", NULL, 0, 10);
  aiodb_future *f, *acq;
  aiodb_conn *conn;

  aiodb_test_fails(aiodb_cursor_next(c), AIODB_ESQL, "no such table");
  f = aiodb_cursor_next(c); /* every batch after says so too */
  aiodb_test_fails(f, AIODB_ESQL, NULL);
  aiodb_cursor_free(c);

  c = aiodb_iterate(db, "SELECT ?", NULL, 0, 10); /* bad input */
  aiodb_test_fails(aiodb_cursor_next(c), AIODB_EINVAL, NULL);
  aiodb_cursor_free(c);
  ck_assert_ptr_null(aiodb_iterate(db, NULL, NULL, 0, 10));
  ck_assert_ptr_null(aiodb_iterate(NULL, "SELECT 1", NULL, 0, 10));
  ck_assert_ptr_null(aiodb_cursor_next(NULL));

  /* on a pinned connection, which stays pinned after */
  acq = aiodb_test_ok(aiodb_acquire(db));
  conn = aiodb_future_conn(acq);
  c = aiodb_conn_iterate(conn, "SELECT 1 UNION ALL SELECT 2", NULL, 0, 0);
  ck_assert_uint_eq(aiodb_test_next_rows(c, NULL), 2);
  aiodb_cursor_free(c);
  f = aiodb_test_ok(aiodb_conn_query(conn, "SELECT 3", NULL, 0));
  aiodb_future_free(f);
  aiodb_release(conn);
  aiodb_future_free(acq);

  /* after close */
  c = aiodb_iterate(db, "SELECT 1", NULL, 0, 10);
  aiodb_future_free(aiodb_test_ok(aiodb_close(db)));
  aiodb_test_fails(aiodb_cursor_next(c), AIODB_EALREADYQUIT, NULL);
  aiodb_cursor_free(c);
  aiodb_test_done(db);
}
END_TEST

Suite *aiodb_suite_cursor(void) {
  Suite *s = AIODB_SUITE("cursor", cursor_batches_until_the_end,
                         cursor_abandoned_frees_its_connection);
  AIODB_TCASE_TIMEOUT(s, cursor_memory_is_bounded_by_the_batch, 300);
  AIODB_TCASE(s, cursor_errors_and_pinned_connection);
  return s;
}
