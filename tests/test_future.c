/* Futures: wait, timeout, callbacks, cancel, free-before-completion, FIFO
 * order on a connection and parallelism across connections. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

START_TEST(future_wait_timeout_then_done) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  aiodb_test_gate g;
  aiodb_future *f;

  aiodb_test_gate_init(&g);
  f = aiodb_db_run(db, aiodb_test_gate_fn, &g);
  ck_assert_int_eq(aiodb_future_done(f), 0);
  ck_assert_int_eq(aiodb_future_wait(f, 0), AIODB_ETIMEDOUT);
  ck_assert_int_eq(aiodb_future_wait(f, 50), AIODB_ETIMEDOUT);
  ck_assert_int_eq(aiodb_future_error(f), 0);
  ck_assert_ptr_null(aiodb_future_result(f));
  aiodb_test_gate_open(&g);
  ck_assert_int_eq(aiodb_future_wait(f, -1), 0);
  ck_assert_int_eq(aiodb_future_done(f), 1);
  ck_assert_int_eq(aiodb_future_value(f), 7);
  ck_assert_int_eq(aiodb_future_wait(f, 0), 0);
  aiodb_future_free(f);
  aiodb_db_free(db);
  aiodb_test_gate_destroy(&g);
  aiodb_test_clean_shutdown();
}
END_TEST

static atomic_int slow_done;
static int slow_fn(void *native, void *ud) {
  (void)native;
  (void)ud;
  usleep(100 * 1000);
  atomic_store(&slow_done, 1);
  return 0;
}

START_TEST(future_free_before_completion) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  aiodb_future *f;
  int i, calls = 0;

  aiodb_test_exec(db, "CREATE TABLE t(x)");
  f = aiodb_db_run(db, slow_fn, NULL);
  aiodb_future_on_done(f, NULL, NULL); /* misuse: ignored */
  aiodb_future_free(f);                /* detached: the work still runs */
  for (i = 0; i < 100; i++) {
    aiodb_value v = aiodb_int(i);
    aiodb_future_free(aiodb_query(db, "INSERT INTO t VALUES (?)", &v, 1));
  }
  f = aiodb_test_ok(aiodb_query(db, "SELECT count(*) FROM t", NULL, 0));
  ck_assert_int_eq(atomic_load(&slow_done), 1);
  ck_assert_int_eq(aiodb_result_int(aiodb_future_result(f), 0, 0), 100);
  aiodb_future_free(f);
  /* A freed future's callback never runs. */
  f = aiodb_query(db, "SELECT 1", NULL, 0);
  aiodb_future_on_done(f, (aiodb_callback)abort, &calls);
  aiodb_future_free(f);
  aiodb_future_free(aiodb_test_ok(aiodb_query(db, "SELECT 2", NULL, 0)));
  aiodb_cq_dispatch(aiodb_db_cq(db), 0);
  aiodb_test_done(db);
}
END_TEST

START_TEST(future_cancel_queued) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  aiodb_test_gate g;
  aiodb_future *gate, *q, *r;

  aiodb_test_exec(db, "CREATE TABLE t(x)");
  gate = aiodb_test_gate_hold(db, &g);
  q = aiodb_query(db, "INSERT INTO t VALUES (1)", NULL, 0);
  ck_assert_int_eq(aiodb_future_cancel(q), 0);
  ck_assert_int_eq(aiodb_future_done(q), 1);
  ck_assert_int_eq(aiodb_future_error(q), AIODB_ECANCELED);
  ck_assert_int_eq(aiodb_future_cancel(q), AIODB_EBUSY);
  aiodb_test_gate_open(&g);
  aiodb_test_ok(gate);
  r = aiodb_test_ok(aiodb_query(db, "SELECT count(*) FROM t", NULL, 0));
  ck_assert_int_eq(aiodb_result_int(aiodb_future_result(r), 0, 0), 0);
  ck_assert_int_eq(aiodb_future_cancel(NULL), AIODB_EINVAL);
  aiodb_future_free(gate);
  /* a running aiodb_run function is never interrupted */
  aiodb_test_gate_destroy(&g);
  gate = aiodb_test_gate_hold(db, &g);
  ck_assert_int_eq(aiodb_future_cancel(gate), AIODB_EBUSY);
  aiodb_test_gate_open(&g);
  ck_assert_int_eq(aiodb_future_value(aiodb_test_ok(gate)), 7);
  aiodb_test_free_all(gate, q, r);
  aiodb_db_free(db);
  aiodb_test_gate_destroy(&g);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(future_cancel_running_query) {
  aiodb_db *db = aiodb_open(aiodb_test_sqlite_url(), NULL, NULL);
  aiodb_future *f, *next;
  double t0, elapsed;

  /* A recursive CTE that would run for minutes. */
  f = aiodb_query(db,
                  "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 "
                  "FROM c WHERE x < 10000000000) SELECT count(*) FROM c",
                  NULL, 0);
  usleep(100 * 1000);
  ck_assert_int_eq(aiodb_future_done(f), 0);
  t0 = aiodb_test_now_ms();
  ck_assert_int_eq(aiodb_future_cancel(f), 0);
  ck_assert_int_eq(aiodb_future_wait(f, 5000), 0);
  elapsed = aiodb_test_now_ms() - t0;
  ck_assert_int_eq(aiodb_future_error(f), AIODB_ECANCELED);
  ck_assert_msg(elapsed < 1000, "cancel took %.0f ms", elapsed);
  next = aiodb_test_ok(aiodb_query(db, "SELECT 42", NULL, 0));
  ck_assert_int_eq(aiodb_result_int(aiodb_future_result(next), 0, 0), 42);
  aiodb_future_free(f);
  aiodb_future_free(next);
  aiodb_test_done(db);
}
END_TEST

static void plain_count(aiodb_future *f, void *ud) {
  (*(int *)ud)++;
  aiodb_future_free(f);
}

typedef struct chain {
  aiodb_db *db;
  int left;
  int calls;
} chain;

static void chain_cb(aiodb_future *f, void *ud) {
  chain *c = ud;
  c->calls++;
  ck_assert_int_eq(aiodb_future_error(f), 0);
  aiodb_future_free(f); /* free inside its own callback */
  if (--c->left > 0)    /* and submit new work from it */
    aiodb_future_on_done(aiodb_query(c->db, "SELECT 1", NULL, 0), chain_cb, c);
}

START_TEST(future_callbacks_chain) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  chain c = {db, 100, 0};
  aiodb_future *done;
  int calls = 0;

  aiodb_future_on_done(aiodb_query(db, "SELECT 1", NULL, 0), chain_cb, &c);
  while (c.left > 0) aiodb_cq_run_once(aiodb_db_cq(db), 1000);
  ck_assert_int_eq(c.calls, 100);
  /* on_done after completion still reports through the cq */
  done = aiodb_query(db, "SELECT 1", NULL, 0);
  aiodb_cq_dispatch(aiodb_db_cq(db), 0); /* avoid a BlockingWarning below */
  aiodb_set_diag_handler((aiodb_diag_fn)abort, NULL);
  while (!aiodb_future_done(done)) usleep(1000);
  aiodb_set_diag_handler(NULL, NULL);
  aiodb_future_on_done(done, plain_count, &calls);
  ck_assert_int_eq(aiodb_cq_dispatch(aiodb_db_cq(db), 0), 1);
  ck_assert_int_eq(calls, 1);
  aiodb_test_done(db);
}
END_TEST

START_TEST(future_fifo_per_connection) {
  aiodb_db *db = aiodb_open(aiodb_test_sqlite_url(), NULL, NULL);
  aiodb_future *fs[2000], *acq, *r;
  aiodb_conn *conn;
  int i;

  aiodb_test_exec(db, "CREATE TABLE t(seq INTEGER)");
  for (i = 0; i < 1000; i++) {
    aiodb_value v = aiodb_int(i);
    fs[i] = aiodb_query(db, "INSERT INTO t VALUES (?)", &v, 1);
  }
  acq = aiodb_test_ok(aiodb_acquire(db));
  conn = aiodb_future_conn(acq);
  ck_assert_ptr_nonnull(conn);
  for (i = 1000; i < 2000; i++) {
    aiodb_value v = aiodb_int(i);
    fs[i] = aiodb_conn_query(conn, "INSERT INTO t VALUES (?)", &v, 1);
  }
  for (i = 0; i < 2000; i++) {
    aiodb_test_ok(fs[i]);
    ck_assert_int_eq(aiodb_result_affected(aiodb_future_result(fs[i])), 1);
    ck_assert_int_eq(aiodb_result_last_id(aiodb_future_result(fs[i])), i + 1);
    aiodb_future_free(fs[i]);
  }
  r = aiodb_test_ok(aiodb_conn_query(
      conn, "SELECT count(*) FROM t WHERE seq <> rowid - 1", NULL, 0));
  ck_assert_int_eq(aiodb_result_int(aiodb_future_result(r), 0, 0), 0);
  aiodb_future_free(r);
  aiodb_release(conn);
  aiodb_future_free(acq);
  aiodb_test_done(db);
}
END_TEST

/* Both functions must be inside at the same time: serial runs would time
 * out waiting for each other. */
static atomic_int inside;
static int rendezvous_fn(void *native, void *ud) {
  int i;
  (void)native;
  (void)ud;
  atomic_fetch_add(&inside, 1);
  for (i = 0; i < 5000 && atomic_load(&inside) < 2; i++) usleep(1000);
  return atomic_load(&inside) >= 2 ? 1 : 0;
}

START_TEST(future_parallel_connections) {
  aiodb_db *db = aiodb_open("sqlite://?max_size=2&min_size=2", NULL, NULL);
  aiodb_future *a = aiodb_db_run(db, rendezvous_fn, NULL);
  aiodb_future *b = aiodb_db_run(db, rendezvous_fn, NULL);
  aiodb_test_ok(a);
  aiodb_test_ok(b);
  ck_assert_int_eq(aiodb_future_value(a), 1);
  ck_assert_int_eq(aiodb_future_value(b), 1);
  aiodb_future_free(a);
  aiodb_future_free(b);
  aiodb_test_done(db);
}
END_TEST

static int fail_fn(void *native, void *ud) {
  (void)native;
  (void)ud;
  return AIODB_EIO;
}

START_TEST(future_run_error_code) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  aiodb_future *f = aiodb_db_run(db, fail_fn, NULL);
  ck_assert_int_eq(aiodb_test_err(f), AIODB_EIO);
  ck_assert_int_eq(aiodb_future_value(f), AIODB_EIO);
  ck_assert_ptr_nonnull(strstr(aiodb_future_errmsg(f), "AIODB_EIO"));
  aiodb_future_free(f);
  aiodb_test_fails(aiodb_db_run(db, NULL, NULL), AIODB_EINVAL, NULL);
  aiodb_test_done(db);
}
END_TEST

/* ---- steady state: a stream of queries allocates nothing ---- */

static atomic_long counted_allocs;

static void *counting_malloc(size_t n) {
  atomic_fetch_add(&counted_allocs, 1);
  return malloc(n);
}

static void *counting_realloc(void *p, size_t n) {
  atomic_fetch_add(&counted_allocs, 1);
  return realloc(p, n);
}

#define STREAM_TEXT "a text value of some length, copied into the result"

typedef struct stream {
  aiodb_db *db;
  int left, inflight, wrong;
} stream;

static void stream_next(aiodb_future *f, void *ud);

static void stream_submit(stream *s) {
  aiodb_value v[2];
  aiodb_future *f;
  v[0] = aiodb_int(s->left);
  v[1] = aiodb_text(STREAM_TEXT);
  f = aiodb_query(s->db, "SELECT ?, ?", v, 2);
  s->left--;
  s->inflight++;
  aiodb_future_on_done(f, stream_next, s);
}

static void stream_next(aiodb_future *f, void *ud) {
  stream *s = ud;
  aiodb_result *r = aiodb_future_result(f);
  s->inflight--;
  if (aiodb_future_error(f) != 0 || aiodb_result_rows(r) != 1 ||
      aiodb_result_len(r, 0, 1) != strlen(STREAM_TEXT))
    s->wrong++;
  aiodb_future_free(f);
  if (s->left > 0) stream_submit(s);
}

static void stream_run(stream *s, int n) {
  int i;
  s->left = n;
  for (i = 0; i < 64 && s->left > 0; i++) stream_submit(s);
  while (s->inflight > 0) aiodb_cq_run_once(aiodb_db_cq(s->db), 5000);
}

/* Futures, their argument copies and results are recycled: once warm, 64
 * queries kept in flight allocate nothing per query. */
START_TEST(future_steady_state_allocates_nothing) {
  stream s;
  long before;

  aiodb_set_allocator(counting_malloc, counting_realloc, free);
  memset(&s, 0, sizeof s);
  s.db = aiodb_open("sqlite://", NULL, NULL);
  stream_run(&s, 2000); /* warm-up: pools fill, buffers grow */
  before = atomic_load(&counted_allocs);
  stream_run(&s, 20000);
  ck_assert_int_eq(s.wrong, 0);
  /* Not per query (that was 4 a query, 80,000 here). Only when the number
   * of live futures and results reaches a new peak are more made, then
   * kept: at most 64 in flight plus 64 dispatched in one round not yet
   * released, each pair costing up to 7 allocations. A bound set by the
   * number in flight, not by the number of queries. */
  ck_assert_int_le(atomic_load(&counted_allocs) - before, 2 * 64 * 7);
  aiodb_db_free(s.db);
  aiodb_test_clean_shutdown();
}
END_TEST

Suite *aiodb_suite_future(void) {
  return AIODB_SUITE("future", future_wait_timeout_then_done, future_free_before_completion,
                     future_cancel_queued, future_cancel_running_query, future_callbacks_chain,
                     future_fifo_per_connection, future_parallel_connections, future_run_error_code,
                     future_steady_state_allocates_nothing);
}
