/* The pool: acquire/release, growth to max_size, graceful close, AlreadyQuit,
 * teardown with work in flight. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

START_TEST(pool_acquire_waits_for_release) {
  aiodb_db *db = aiodb_open("sqlite://?max_size=1", NULL, NULL);
  aiodb_future *a = aiodb_test_ok(aiodb_acquire(db));
  aiodb_future *b = aiodb_acquire(db);
  aiodb_future *q = aiodb_query(db, "SELECT 1", NULL, 0);
  aiodb_conn *c = aiodb_future_conn(a);

  /* the only connection is pinned: pool work waits, pinned work runs */
  aiodb_future_free(aiodb_test_ok(aiodb_conn_query(c, "SELECT 2", NULL, 0)));
  ck_assert_int_eq(aiodb_future_wait(b, 100), AIODB_ETIMEDOUT);
  ck_assert_int_eq(aiodb_future_done(q), 0);
  /* release hands the connection to the first waiter, in FIFO order: the
   * acquire, so the query still waits */
  aiodb_release(c);
  aiodb_test_ok(b);
  ck_assert_ptr_eq(aiodb_future_conn(b), c);
  ck_assert_int_eq(aiodb_future_wait(q, 50), AIODB_ETIMEDOUT);
  aiodb_release(aiodb_future_conn(b));
  aiodb_test_ok(q);
  aiodb_release(NULL);
  aiodb_test_free_all(a, b, q);
  aiodb_test_done(db);
}
END_TEST

START_TEST(pool_grows_to_max_size) {
  aiodb_db *db = aiodb_open("sqlite://?max_size=3&min_size=0", NULL, NULL);
  aiodb_test_gate g;
  aiodb_future *gates[3], *extra;
  int i;

  aiodb_test_gate_init(&g);
  for (i = 0; i < 3; i++) gates[i] = aiodb_db_run(db, aiodb_test_gate_fn, &g);
  /* three workers inside the gate at once; a fourth call must queue */
  for (i = 0; i < 200; i++) {
    pthread_mutex_lock(&g.m);
    if (g.entered == 3) i = 1000;
    pthread_mutex_unlock(&g.m);
    usleep(5000);
  }
  ck_assert_int_eq(g.entered, 3);
  extra = aiodb_query(db, "SELECT 1", NULL, 0);
  ck_assert_int_eq(aiodb_future_wait(extra, 100), AIODB_ETIMEDOUT);
  aiodb_test_gate_open(&g);
  aiodb_test_ok(extra);
  for (i = 0; i < 3; i++) {
    ck_assert_int_eq(aiodb_future_value(aiodb_test_ok(gates[i])), 7);
    aiodb_future_free(gates[i]);
  }
  aiodb_future_free(extra);
  aiodb_db_free(db);
  aiodb_test_gate_destroy(&g);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(pool_close_drains_queued_work) {
  aiodb_db *db = aiodb_open(aiodb_test_sqlite_url(), NULL, NULL);
  aiodb_future *fs[1000], *closing, *again;
  int i;

  aiodb_test_exec(db, "CREATE TABLE t(x)");
  for (i = 0; i < 1000; i++) {
    aiodb_value v = aiodb_int(i);
    fs[i] = aiodb_query(db, "INSERT INTO t VALUES (?)", &v, 1);
  }
  closing = aiodb_close(db);
  aiodb_test_ok(closing);
  for (i = 0; i < 1000; i++) {
    ck_assert_int_eq(aiodb_future_done(fs[i]), 1);
    ck_assert_int_eq(aiodb_future_error(fs[i]), 0);
    aiodb_future_free(fs[i]);
  }
  again = aiodb_test_ok(aiodb_close(db)); /* a second close: already done */
  aiodb_future_free(again);
  aiodb_future_free(closing);
  aiodb_test_done(db);
}
END_TEST

typedef struct quit_log {
  int count;
  char function[64];
} quit_log;

static void log_diag(const aiodb_diag *d, void *ud) {
  quit_log *l = ud;
  if (d->kind != AIODB_DIAG_ALREADY_QUIT) return;
  l->count++;
  strncpy(l->function, d->function, sizeof l->function - 1);
}

START_TEST(pool_already_quit_after_close) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  aiodb_future *acq = aiodb_test_ok(aiodb_acquire(db));
  aiodb_conn *c = aiodb_future_conn(acq);
  aiodb_future *f;
  quit_log log = {0, ""};
  double t0;

  aiodb_set_diag_handler(log_diag, &log);
  aiodb_future_free(aiodb_test_ok(aiodb_close(db)));
  t0 = aiodb_test_now_ms();
  f = aiodb_query(db, "SELECT 1", NULL, 0);
  ck_assert_int_eq(aiodb_future_done(f), 1); /* at once, never a hang */
  ck_assert_int_eq(aiodb_future_error(f), AIODB_EALREADYQUIT);
  ck_assert_int_eq(log.count, 1);
  ck_assert_str_eq(log.function, "aiodb_query");
  aiodb_future_free(f);
  f = aiodb_conn_query(c, "SELECT 1", NULL, 0);
  ck_assert_int_eq(aiodb_future_error(f), AIODB_EALREADYQUIT);
  aiodb_future_free(f);
  f = aiodb_run(c, (aiodb_run_fn)abort, NULL);
  ck_assert_int_eq(aiodb_future_error(f), AIODB_EALREADYQUIT);
  aiodb_future_free(f);
  f = aiodb_acquire(db);
  ck_assert_int_eq(aiodb_future_error(f), AIODB_EALREADYQUIT);
  aiodb_future_free(f);
  f = aiodb_db_run(db, (aiodb_run_fn)abort, NULL);
  ck_assert_int_eq(aiodb_future_error(f), AIODB_EALREADYQUIT);
  aiodb_future_free(f);
  ck_assert_int_eq(log.count, 5);
  ck_assert(aiodb_test_now_ms() - t0 < 1000);
  aiodb_set_diag_handler(NULL, NULL);
  aiodb_release(c);
  aiodb_future_free(acq);
  aiodb_test_done(db);
}
END_TEST

START_TEST(pool_free_with_work_in_flight) {
  aiodb_db *db = aiodb_open("sqlite://?max_size=2", NULL, NULL);
  aiodb_future *fs[500];
  int i;

  for (i = 0; i < 500; i++) fs[i] = aiodb_query(db, "SELECT 1", NULL, 0);
  aiodb_db_free(db); /* drains, joins; futures stay the caller's */
  for (i = 0; i < 500; i++) {
    ck_assert_int_eq(aiodb_future_done(fs[i]), 1);
    ck_assert_int_eq(aiodb_future_error(fs[i]), 0);
    aiodb_future_free(fs[i]);
  }
  aiodb_db_free(NULL);
  aiodb_test_clean_shutdown();
}
END_TEST

typedef struct closer {
  aiodb_db *db;
  aiodb_future *close;
  int calls;
} closer;

static void close_in_cb(aiodb_future *f, void *ud) {
  closer *c = ud;
  c->calls++;
  aiodb_future_free(f);
  if (c->close == NULL) c->close = aiodb_close(c->db);
}

START_TEST(pool_close_from_callback) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  closer c = {db, NULL, 0};
  int i;

  for (i = 0; i < 10; i++)
    aiodb_future_on_done(aiodb_query(db, "SELECT 1", NULL, 0), close_in_cb, &c);
  while (c.calls < 10) aiodb_cq_run_once(aiodb_db_cq(db), 1000);
  ck_assert_ptr_nonnull(c.close);
  while (!aiodb_future_done(c.close)) aiodb_cq_run_once(aiodb_db_cq(db), 10);
  ck_assert_int_eq(aiodb_future_error(c.close), 0);
  aiodb_future_free(c.close);
  aiodb_test_done(db);
}
END_TEST

typedef struct freer {
  aiodb_db *db;
  int calls;
} freer;

static void free_db_in_cb(aiodb_future *f, void *ud) {
  freer *fr = ud;
  fr->calls++;
  aiodb_future_free(f);
  aiodb_db_free(fr->db); /* its own cq is the one dispatching right now */
}

START_TEST(pool_free_db_from_callback) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  aiodb_cq *cq = aiodb_db_cq(db);
  freer fr = {db, 0};
  aiodb_future *first = aiodb_test_ok(aiodb_query(db, "SELECT 1", NULL, 0));
  aiodb_future *second = aiodb_test_ok(aiodb_query(db, "SELECT 2", NULL, 0));

  aiodb_future_on_done(first, free_db_in_cb, &fr);
  aiodb_future_on_done(second, free_db_in_cb, &fr); /* dropped: cq freed */
  ck_assert_int_eq(aiodb_cq_dispatch(cq, 0), 1);
  ck_assert_int_eq(fr.calls, 1);
  ck_assert_int_eq(aiodb_future_error(second), 0); /* still ours to free */
  aiodb_future_free(second);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(pool_pinned_connection_quits_at_close) {
  aiodb_db *db = aiodb_open("sqlite://?max_size=2", NULL, NULL);
  aiodb_future *acq = aiodb_test_ok(aiodb_acquire(db));
  aiodb_conn *c = aiodb_future_conn(acq);
  aiodb_future *queued[100], *closing;
  int i;

  for (i = 0; i < 100; i++) queued[i] = aiodb_conn_query(c, "SELECT 1", NULL, 0);
  closing = aiodb_close(db);
  aiodb_test_ok(closing); /* even with a connection still pinned */
  for (i = 0; i < 100; i++) {
    ck_assert_int_eq(aiodb_future_error(queued[i]), 0);
    aiodb_future_free(queued[i]);
  }
  aiodb_release(c);
  aiodb_future_free(acq);
  aiodb_future_free(closing);
  aiodb_test_done(db);
}
END_TEST

START_TEST(pool_failed_connect_is_retried) {
  char url[800];
  const char *path = aiodb_test_path(".db");
  aiodb_db *db, *maker;
  aiodb_future *f;

  snprintf(url, sizeof url, "sqlite:///%s?mode=rw", path);
  db = aiodb_open(url, NULL, NULL);
  aiodb_test_fails(aiodb_query(db, "SELECT 1", NULL, 0), AIODB_ECONNECT, NULL);
  /* the file appears; the next call opens a fresh connection */
  snprintf(url, sizeof url, "sqlite:///%s", path);
  maker = aiodb_open(url, NULL, NULL);
  aiodb_test_exec(maker, "CREATE TABLE t(x)");
  aiodb_db_free(maker);
  f = aiodb_test_ok(aiodb_query(db, "SELECT count(*) FROM t", NULL, 0));
  aiodb_future_free(f);
  aiodb_test_done(db);
}
END_TEST

typedef struct thread_facts {
  size_t stack;
  char name[16];
} thread_facts;

static int facts_fn(void *native, void *ud) {
  thread_facts *t = ud;
  pthread_attr_t attr;
  (void)native;
  pthread_getattr_np(pthread_self(), &attr);
  pthread_attr_getstacksize(&attr, &t->stack);
  pthread_attr_destroy(&attr);
  pthread_getname_np(pthread_self(), t->name, sizeof t->name);
  return 0;
}

START_TEST(pool_worker_stack_size_and_name) {
  aiodb_options o;
  aiodb_db *db;
  thread_facts t;

  db = aiodb_open("sqlite://", NULL, NULL);
  aiodb_future_free(aiodb_test_ok(aiodb_db_run(db, facts_fn, &t)));
  /* glibc may hand a thread a larger cached stack: at least what was asked */
  ck_assert_uint_ge(t.stack, 256 * 1024);
  ck_assert_uint_lt(t.stack, 1024 * 1024);
  ck_assert_str_eq(t.name, "aiodb-w0");
  aiodb_db_free(db);

  db = aiodb_open("sqlite://?stack_size=1048576", NULL, NULL);
  aiodb_future_free(aiodb_test_ok(aiodb_db_run(db, facts_fn, &t)));
  ck_assert_uint_ge(t.stack, 1024 * 1024);
  aiodb_db_free(db);

  aiodb_options_init(&o);
  o.stack_size = 2048 * 1024; /* options win over the URL */
  db = aiodb_open("sqlite://?stack_size=1048576", &o, NULL);
  aiodb_future_free(aiodb_test_ok(aiodb_db_run(db, facts_fn, &t)));
  ck_assert_uint_ge(t.stack, 2048 * 1024);
  aiodb_test_done(db);
}
END_TEST

static void count_cb(aiodb_future *f, void *ud) {
  ck_assert_int_eq(aiodb_future_error(f), 0);
  aiodb_future_free(f);
  ++*(int *)ud;
}

/* One call at a time never needs a second connection: a worker that is
 * spinning for work (spin_us, or the adaptive spin) or between two jobs
 * is about to look at the queue, and takes the call as a sleeping one
 * would, instead of the pool opening a connection more for it (which it
 * did: up to max_size with spin_us). */
START_TEST(pool_one_call_at_a_time_keeps_its_connections) {
  static const char *urls[] = {"sqlite://?max_size=4&spin_us=50",
                               "sqlite://?max_size=4",
                               "sqlite://?max_size=4&adaptive_spin=0"};
  size_t u;
  for (u = 0; u < sizeof urls / sizeof urls[0]; u++) {
    aiodb_db *db = aiodb_open(urls[u], NULL, NULL);
    aiodb_pool_stats before, after;
    int i, calls = 0;
    ck_assert_ptr_nonnull(db);
    /* the first call may race the first connect (and another connect
     * may still be under way): from then on, no more */
    aiodb_future_free(aiodb_test_ok(aiodb_query(db, "SELECT 1", NULL, 0)));
    for (i = 0; i < 500; i++) {
      ck_assert_int_eq(aiodb_db_pool_stats(db, &before), 0);
      if (before.opening == 0) break;
      usleep(10000);
    }
    for (i = 0; i < 3000; i++) {
      int was = calls;
      aiodb_future_on_done(aiodb_query(db, "SELECT 1", NULL, 0), count_cb, &calls);
      while (calls == was) ck_assert_int_ge(aiodb_cq_run_once(aiodb_db_cq(db), 5000), 0);
    }
    for (i = 0; i < 1000; i++)
      aiodb_future_free(aiodb_test_ok(aiodb_query(db, "SELECT 1", NULL, 0)));
    ck_assert_int_eq(aiodb_db_pool_stats(db, &after), 0);
    ck_assert_msg(after.created == before.created,
                  "%s: %llu connections opened for calls made one at a time "
                  "(%llu before)",
                  urls[u], (unsigned long long)after.created,
                  (unsigned long long)before.created);
    aiodb_test_done(db);
  }
}
END_TEST

Suite *aiodb_suite_pool(void) {
  return AIODB_SUITE("pool", pool_acquire_waits_for_release, pool_grows_to_max_size,
                     pool_close_drains_queued_work, pool_already_quit_after_close,
                     pool_free_with_work_in_flight, pool_close_from_callback,
                     pool_free_db_from_callback, pool_pinned_connection_quits_at_close,
                     pool_failed_connect_is_retried, pool_worker_stack_size_and_name,
                     pool_one_call_at_a_time_keeps_its_connections);
}
