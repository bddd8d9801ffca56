/* Deadlines: per call and per db, on running and on queued statements. */
#include <string.h>
#include <unistd.h>

#include "helpers.h"

#define ENDLESS                                                          \
  "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE " \
  "x < 10000000000) SELECT count(*) FROM c"

START_TEST(timeout_per_call_stops_a_running_statement) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  aiodb_future *f = aiodb_query(db, ENDLESS, NULL, 0), *next;
  double t0 = aiodb_test_now_ms(), ms;

  ck_assert_int_eq(aiodb_future_set_timeout(f, 150), 0);
  ck_assert_int_eq(aiodb_future_wait(f, 10000), 0);
  ms = aiodb_test_now_ms() - t0;
  ck_assert_int_eq(aiodb_future_error(f), AIODB_ETIMEDOUT);
  ck_assert_msg(ms >= 140 && ms < 1000, "took %.0f ms", ms);
  ck_assert_int_eq(aiodb_future_set_timeout(f, 10), AIODB_EBUSY);
  ck_assert_int_eq(aiodb_future_set_timeout(NULL, 10), AIODB_EINVAL);
  next = aiodb_test_ok(aiodb_query(db, "SELECT 3", NULL, 0));
  ck_assert_int_eq(aiodb_result_int(aiodb_future_result(next), 0, 0), 3);
  ck_assert_int_eq(aiodb_future_set_timeout(next, -1), AIODB_EINVAL);
  aiodb_future_free(f);
  aiodb_future_free(next);
  aiodb_test_done(db);
}
END_TEST

START_TEST(timeout_per_db) {
  aiodb_db *db = aiodb_open("sqlite://?timeout_ms=150", NULL, NULL);
  aiodb_future *f = aiodb_query(db, ENDLESS, NULL, 0), *quick;
  ck_assert_int_eq(aiodb_test_err(f), AIODB_ETIMEDOUT);
  ck_assert_ptr_nonnull(strstr(aiodb_future_errmsg(f), "deadline"));
  quick = aiodb_test_ok(aiodb_query(db, "SELECT 1", NULL, 0));
  aiodb_future_free(f);
  aiodb_future_free(quick);
  aiodb_test_done(db);
}
END_TEST

START_TEST(timeout_while_queued) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  aiodb_test_gate g;
  aiodb_future *gate, *q;

  gate = aiodb_test_gate_hold(db, &g);
  q = aiodb_query(db, "SELECT 1", NULL, 0);
  aiodb_future_set_timeout(q, 50);
  /* completes while the worker is still held: it never ran */
  ck_assert_int_eq(aiodb_future_wait(q, 5000), 0);
  ck_assert_int_eq(aiodb_future_error(q), AIODB_ETIMEDOUT);
  ck_assert_ptr_nonnull(strstr(aiodb_future_errmsg(q), "before it ran"));
  ck_assert_int_eq(aiodb_future_done(gate), 0);
  aiodb_test_gate_open(&g);
  aiodb_test_ok(gate);
  aiodb_future_free(gate);
  aiodb_future_free(q);
  aiodb_db_free(db);
  aiodb_test_gate_destroy(&g);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(timeout_does_not_keep_futures) {
  /* 5,000 quick statements under a one-minute deadline: once freed,
   * nothing is left with the timer */
  aiodb_db *db = aiodb_open("sqlite://?timeout_ms=60000", NULL, NULL);
  static aiodb_future *fs[5000];
  int i;
  for (i = 0; i < 5000; i++) fs[i] = aiodb_query(db, "SELECT 1", NULL, 0);
  for (i = 0; i < 5000; i++) {
    aiodb_test_ok(fs[i]);
    aiodb_future_free(fs[i]);
  }
  aiodb_test_done(db);
}
END_TEST

START_TEST(timeout_in_a_tx_aborts_it) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  aiodb_tx *tx;
  aiodb_future *slow, *after, *commit;

  aiodb_test_exec(db, "CREATE TABLE t(x)");
  tx = aiodb_begin(db);
  aiodb_future_free(aiodb_test_ok(aiodb_tx_query(tx, "INSERT INTO t VALUES (1)", NULL, 0)));
  slow = aiodb_tx_query(tx, ENDLESS, NULL, 0);
  aiodb_future_set_timeout(slow, 100);
  after = aiodb_tx_query(tx, "INSERT INTO t VALUES (2)", NULL, 0);
  commit = aiodb_commit(tx);
  ck_assert_int_eq(aiodb_test_err(slow), AIODB_ETIMEDOUT);
  ck_assert_int_eq(aiodb_test_err(after), AIODB_ETXABORTED);
  ck_assert_int_eq(aiodb_test_err(commit), AIODB_ETXABORTED);
  aiodb_test_free_all(slow, after, commit);
  slow = aiodb_test_ok(aiodb_query(db, "SELECT count(*) FROM t", NULL, 0));
  ck_assert_int_eq(aiodb_result_int(aiodb_future_result(slow), 0, 0), 0);
  aiodb_future_free(slow);
  aiodb_test_done(db);
}
END_TEST

START_TEST(timeout_of_a_queued_tx_statement_aborts_the_tx) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  aiodb_test_gate g;
  aiodb_tx *tx;
  aiodb_future *gate, *dropped, *after, *commit, *f;

  aiodb_test_exec(db, "CREATE TABLE t(x)");
  aiodb_test_gate_init(&g);
  tx = aiodb_begin(db);
  gate = aiodb_tx_run(tx, aiodb_test_gate_fn, &g); /* holds the tx's worker */
  aiodb_test_gate_wait_entered(&g);
  dropped = aiodb_tx_query(tx, "INSERT INTO t VALUES (1)", NULL, 0);
  after = aiodb_tx_query(tx, "INSERT INTO t VALUES (2)", NULL, 0);
  commit = aiodb_commit(tx);
  ck_assert_int_eq(aiodb_future_set_timeout(dropped, 20), 0);
  ck_assert_int_eq(aiodb_test_err(dropped), AIODB_ETIMEDOUT);
  ck_assert_int_eq(aiodb_future_cancel(commit), AIODB_EBUSY); /* never */
  aiodb_test_gate_open(&g);
  ck_assert_int_eq(aiodb_test_err(after), AIODB_ETXABORTED);
  ck_assert_int_eq(aiodb_test_err(commit), AIODB_ETXABORTED);
  ck_assert_ptr_nonnull(strstr(aiodb_future_errmsg(commit), "timed out"));
  f = aiodb_test_ok(aiodb_query(db, "SELECT count(*) FROM t", NULL, 0));
  ck_assert_int_eq(aiodb_result_int(aiodb_future_result(f), 0, 0), 0);
  aiodb_test_free_all(f, gate, dropped, after, commit);
  aiodb_db_free(db);
  aiodb_test_gate_destroy(&g);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(timeout_of_a_cursor_batch_fails_the_cursor) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  aiodb_cursor *c = aiodb_iterate(
      db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
          "SELECT i FROM n WHERE i % 100000000 = 0",
      NULL, 0, 10);
  aiodb_future *f = aiodb_cursor_next(c);
  aiodb_future_set_timeout(f, 100);
  aiodb_test_fails(f, AIODB_ETIMEDOUT, NULL);
  /* the statement was reset: the next batch must not start over */
  aiodb_test_fails(aiodb_cursor_next(c), AIODB_ETIMEDOUT, NULL);
  aiodb_cursor_free(c);
  aiodb_test_done(db);
}
END_TEST

Suite *aiodb_suite_timeout(void) {
  return AIODB_SUITE("timeout", timeout_per_call_stops_a_running_statement, timeout_per_db,
                     timeout_while_queued, timeout_does_not_keep_futures, timeout_in_a_tx_aborts_it,
                     timeout_of_a_queued_tx_statement_aborts_the_tx,
                     timeout_of_a_cursor_batch_fails_the_cursor);
}
