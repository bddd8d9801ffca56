/* The pool's policy (lib/pool_policy.c): min_size kept and refilled after
 * failures and a server restart, acquire_timeout_ms (first come, first
 * served), idle_timeout_ms, max_lifetime_ms, idle_check_ms and the look at
 * idle sockets, leak_detection_ms, the starved-pool diagnostic,
 * aiodb_db_pool_stats, the defaults, bad options; and a connection that
 * breaks in a batch. Each case runs on a SQLite file and, where it
 * concerns them, on the throwaway PostgreSQL and MariaDB servers of the pg
 * and mysql fixtures (it restarts them: RESOURCE_LOCK). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "helpers.h"

/* lib/pool_policy.c's look at idle sockets, every so many ms. */
extern int aiodb__pool_sweep_ms;

typedef struct engine {
  const char *name;       /* aiodb_db_driver's */
  const char *dir_env;    /* NULL: SQLite */
  const char *script_env;
  const char *who;        /* the connection's id on its server */
  const char *kill_fmt;   /* ends connection %lld, from another */
  const char *kill_own;   /* ends its own connection */
} engine;

static const engine engines[] = {
    {"sqlite", NULL, NULL, NULL, NULL, NULL},
    {"postgresql", "AIODB_TEST_PG_DIR", "AIODB_TEST_PG_SCRIPT", "SELECT pg_backend_pid()",
     "SELECT pg_terminate_backend(%lld)",
     "SELECT CASE WHEN ?::int8 = 1 THEN pg_terminate_backend(pg_backend_pid()) END"},
    {"mysql", "AIODB_TEST_MYSQL_DIR", "AIODB_TEST_MYSQL_SCRIPT", "SELECT CONNECTION_ID()",
     "KILL %lld", NULL},
};

/* Calls fn on a fresh SQLite file (unless servers_only) and on each server
 * there is. */
static void on_engines(int servers_only, void (*fn)(const char *base, const engine *e)) {
  size_t i;
  const char *u;
  if (!servers_only) fn(aiodb_test_sqlite_url(), &engines[0]);
  for (i = 1; i < sizeof engines / sizeof engines[0]; i++)
    if ((u = aiodb_test_server_url(engines[i].dir_env)) != NULL) fn(u, &engines[i]);
}

/* Polls db's pool stats into st every 10 ms until cond holds, or fails the
 * case after ms. */
#define WAIT_FOR(db, st, cond, ms)                                                       \
  do {                                                                                   \
    double t0_ = aiodb_test_now_ms();                                                    \
    for (;;) {                                                                           \
      ck_assert_int_eq(aiodb_db_pool_stats(db, &(st)), 0);                               \
      if (cond) break;                                                                   \
      ck_assert_msg(aiodb_test_now_ms() - t0_ < (ms),                                    \
                    "%s: not within %d ms: open %u idle %u busy %u pinned %u opening "   \
                    "%u waiting %u, created %llu closed %llu broken %llu failures %llu",  \
                    #cond, (int)(ms), (st).open, (st).idle, (st).busy, (st).pinned,      \
                    (st).opening, (st).waiting, (unsigned long long)(st).created,        \
                    (unsigned long long)(st).closed, (unsigned long long)(st).broken,    \
                    (unsigned long long)(st).connect_failures);                          \
      usleep(10000);                                                                     \
    }                                                                                    \
  } while (0)

static int tid_fn(void *native, void *ud) {
  (void)native;
  *(long *)ud = (long)syscall(SYS_gettid);
  return 0;
}

/* The thread of the worker that runs conn's calls: which connection. */
static long conn_tid(aiodb_conn *c) {
  long t = 0;
  aiodb_future_free(aiodb_test_ok(aiodb_run(c, tid_fn, &t)));
  return t;
}

/* Ends the server connection that serves conn, from another db. */
static void kill_conn(const char *base, const engine *e, aiodb_conn *conn) {
  aiodb_future *f = aiodb_test_ok(aiodb_conn_query(conn, e->who, NULL, 0));
  long long id = (long long)aiodb_result_int(aiodb_future_result(f), 0, 0);
  aiodb_db *admin = aiodb_test_open_with(base, "max_size=1");
  char sql[96];
  aiodb_future_free(f);
  snprintf(sql, sizeof sql, e->kill_fmt, id);
  aiodb_test_exec(admin, sql);
  aiodb_db_free(admin);
}

/* ---- diagnostics ---- */

typedef struct diag_log {
  pthread_mutex_t m;
  int kind, count;
  char function[64], message[512];
  const void *site;
} diag_log;

static diag_log dlog = {PTHREAD_MUTEX_INITIALIZER, 0, 0, "", "", NULL};

static void log_diag(const aiodb_diag *d, void *ud) {
  (void)ud;
  pthread_mutex_lock(&dlog.m);
  if ((int)d->kind == dlog.kind) {
    dlog.count++;
    snprintf(dlog.function, sizeof dlog.function, "%s", d->function);
    snprintf(dlog.message, sizeof dlog.message, "%s", d->message);
    dlog.site = d->call_site;
  }
  pthread_mutex_unlock(&dlog.m);
}

static void diag_watch(int kind) {
  pthread_mutex_lock(&dlog.m);
  dlog.kind = kind;
  dlog.count = 0;
  dlog.function[0] = dlog.message[0] = '\0';
  dlog.site = NULL;
  pthread_mutex_unlock(&dlog.m);
  aiodb_set_diag_handler(log_diag, NULL);
}

static int diag_count(void) {
  int n;
  pthread_mutex_lock(&dlog.m);
  n = dlog.count;
  pthread_mutex_unlock(&dlog.m);
  return n;
}

/* ---- defaults and options ---- */

static void defaults_on(const char *base, const engine *e) {
  aiodb_db *db = aiodb_test_open_with(base, NULL);
  aiodb_pool_stats st;
  /* min_size 1 opens in the background, with no call made */
  WAIT_FOR(db, st, st.open == 1 && st.created == 1, 10000);
  ck_assert_uint_eq(st.min_size, 1);
  ck_assert_uint_eq(st.max_size, e->dir_env ? 10 : 1);
  ck_assert_uint_eq(st.idle, 1);
  ck_assert_uint_eq(st.waiting, 0);
  aiodb_db_free(db);
}

START_TEST(pool_policy_defaults) {
  on_engines(0, defaults_on);
  ck_assert_int_eq(aiodb_db_pool_stats(NULL, NULL), AIODB_EINVAL);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(pool_policy_bad_options) {
  static const char *const names[] = {"acquire_timeout_ms", "idle_timeout_ms",
                                      "max_lifetime_ms", "idle_check_ms",
                                      "leak_detection_ms"};
  char url[200];
  aiodb_options o;
  aiodb_db *db;
  size_t i;

  for (i = 0; i < 5; i++) {
    snprintf(url, sizeof url, "sqlite://?%s=-1", names[i]);
    aiodb_test_open_fails(url, NULL, AIODB_EINVAL, names[i]);
    snprintf(url, sizeof url, "postgresql://h/db?%s=2147483648", names[i]);
    aiodb_test_open_fails(url, NULL, AIODB_EINVAL, names[i]);
    snprintf(url, sizeof url, "mysql://h/db?%s=soon", names[i]);
    aiodb_test_open_fails(url, NULL, AIODB_EINVAL, names[i]);
  }
  aiodb_options_init(&o);
  o.acquire_timeout_ms = -5;
  aiodb_test_open_fails("sqlite://", &o, AIODB_EINVAL, "acquire_timeout_ms must not be negative");
  aiodb_options_init(&o);
  o.idle_timeout_ms = -1;
  aiodb_test_open_fails("sqlite://", &o, AIODB_EINVAL, "idle_timeout_ms must not be negative");
  aiodb_options_init(&o);
  o.max_lifetime_ms = -1;
  aiodb_test_open_fails("sqlite://", &o, AIODB_EINVAL, "max_lifetime_ms must not be negative");
  aiodb_options_init(&o);
  o.idle_check_ms = -1;
  aiodb_test_open_fails("sqlite://", &o, AIODB_EINVAL, "idle_check_ms must not be negative");
  aiodb_options_init(&o);
  o.leak_detection_ms = -1;
  aiodb_test_open_fails("sqlite://", &o, AIODB_EINVAL, "leak_detection_ms must not be negative");
  /* zero everywhere is fine: the URL's 0 turns each off */
  db = aiodb_open("sqlite://?acquire_timeout_ms=0&idle_timeout_ms=0&max_lifetime_ms=0&"
                  "idle_check_ms=0&leak_detection_ms=0",
                  NULL, NULL);
  ck_assert_ptr_nonnull(db);
  aiodb_test_done(db);
}
END_TEST

/* ---- min_size kept ---- */

/* A connection ended from outside while idle: the pool notices (its socket
 * closes) and replaces it, with no call made. */
static void refill_on(const char *base, const engine *e) {
  aiodb_db *db = aiodb_test_open_with(base, "min_size=3&max_size=4&idle_check_ms=0");
  aiodb_pool_stats st;
  aiodb_future *acq;
  WAIT_FOR(db, st, st.open == 3, 10000);
  ck_assert_uint_eq(st.created, 3);
  if (e->dir_env == NULL) {
    aiodb_db_free(db);
    return;
  }
  acq = aiodb_test_ok(aiodb_acquire(db));
  kill_conn(base, e, aiodb_future_conn(acq));
  aiodb_release(aiodb_future_conn(acq));
  aiodb_future_free(acq);
  WAIT_FOR(db, st, st.created == 4 && st.open == 3, 10000);
  ck_assert_uint_eq(st.broken, 1);
  ck_assert_uint_ge(st.check_failures, 1);
  /* every connection serves: none of the next calls finds a dead one */
  {
    aiodb_future *f[8];
    int i;
    for (i = 0; i < 8; i++) f[i] = aiodb_query(db, "SELECT 1", NULL, 0);
    for (i = 0; i < 8; i++) aiodb_future_free(aiodb_test_ok(f[i]));
  }
  aiodb_db_free(db);
}

START_TEST(pool_policy_min_size_kept) {
  on_engines(0, refill_on);
  aiodb_test_clean_shutdown();
}
END_TEST

/* Connects that fail are retried in the background, 100 ms after the
 * first failure and twice as long after each next one; the pool fills
 * once they succeed, with no call made. */
START_TEST(pool_policy_refill_backs_off) {
  char dir[512], url[800];
  aiodb_pool_stats st;
  aiodb_db *db;
  double t0;

  snprintf(dir, sizeof dir, "%s", aiodb_test_path(".d"));
  snprintf(url, sizeof url, "sqlite:///%s/x.db?min_size=2&max_size=2", dir);
  t0 = aiodb_test_now_ms();
  db = aiodb_open(url, NULL, NULL);
  ck_assert_ptr_nonnull(db);
  ck_assert(aiodb_test_now_ms() - t0 < 100); /* nothing waits for a connect */
  /* failures at about 0 (two), 100, 300, 700 and 1500 ms */
  usleep(1200 * 1000);
  ck_assert_int_eq(aiodb_db_pool_stats(db, &st), 0);
  ck_assert_msg(st.connect_failures >= 4 && st.connect_failures <= 6,
                "%llu connects failed in 1.2 s", (unsigned long long)st.connect_failures);
  ck_assert_uint_eq(st.open, 0);
  ck_assert_int_eq(mkdir(dir, 0700), 0);
  /* the next try (at about 1.5 s, or 3.1 s) opens one, then the other */
  WAIT_FOR(db, st, st.open == 2, 6000);
  ck_assert_uint_eq(st.created, 2);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 5"), 5);
  aiodb_test_done(db);
}
END_TEST

static void restart_on(const char *base, const engine *e) {
  aiodb_db *db = aiodb_test_open_with(base, "min_size=2&max_size=3&idle_check_ms=0");
  aiodb_pool_stats st;
  uint64_t created;
  WAIT_FOR(db, st, st.open == 2, 10000);
  created = st.created;
  aiodb_test_restart_server(e->script_env, e->dir_env);
  /* both found dead and replaced, with no call made */
  WAIT_FOR(db, st, st.created >= created + 2 && st.open == 2 && st.broken == 2, 30000);
  fprintf(stderr, "%s: refilled after a restart: %llu connects failed meanwhile\n", e->name,
          (unsigned long long)st.connect_failures);
  /* the first calls after it succeed */
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 3"), 3);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 4"), 4);
  aiodb_db_free(db);
}

START_TEST(pool_policy_refills_after_server_restart) {
  on_engines(1, restart_on);
  aiodb_test_clean_shutdown();
}
END_TEST

/* ---- acquire_timeout_ms ---- */

static void expect_timeout(aiodb_future *f, const char *what) {
  const char *msg;
  ck_assert_msg(aiodb_test_err(f) == AIODB_ETIMEDOUT, "%s: %s (%s)", what,
                aiodb_err_name(aiodb_future_error(f)), aiodb_future_errmsg(f));
  msg = aiodb_future_errmsg(f);
  ck_assert_msg(strstr(msg, "no connection within 200 ms: the pool's 2 connections are busy") !=
                        NULL &&
                    (strstr(msg, "calls wait") != NULL || strstr(msg, "1 call waits") != NULL),
                "%s: %s", what, msg);
  aiodb_future_free(f);
}

static void acquire_timeout_on(const char *base, const engine *e) {
  aiodb_db *db = aiodb_test_open_with(base, "max_size=2&acquire_timeout_ms=200");
  aiodb_test_gate g1, g2;
  aiodb_future *r1, *r2, *q, *many, *acq, *run, *commit, *txq, *next;
  aiodb_value rows[2] = {aiodb_int(1), aiodb_int(2)};
  aiodb_pool_stats st;
  aiodb_cursor *cur;
  aiodb_tx *tx;
  double t0;

  (void)e;
  r1 = aiodb_test_gate_hold(db, &g1);
  r2 = aiodb_test_gate_hold(db, &g2);
  t0 = aiodb_test_now_ms();
  q = aiodb_query(db, "SELECT 1", NULL, 0);
  many = aiodb_query_many(db, "SELECT ?", rows, 2, 1);
  acq = aiodb_acquire(db);
  tx = aiodb_begin(db);
  txq = aiodb_tx_query(tx, "SELECT 2", NULL, 0);
  commit = aiodb_commit(tx);
  cur = aiodb_iterate(db, "SELECT 3", NULL, 0, 10);
  next = aiodb_cursor_next(cur);
  run = aiodb_db_run(db, aiodb_test_gate_fn, &g1);
  ck_assert_int_eq(aiodb_db_pool_stats(db, &st), 0);
  ck_assert_uint_eq(st.waiting, 6);
  expect_timeout(q, "query");
  ck_assert_msg(aiodb_test_now_ms() - t0 >= 190, "failed after %.0f ms",
                aiodb_test_now_ms() - t0);
  expect_timeout(many, "query_many");
  expect_timeout(acq, "acquire");
  expect_timeout(txq, "a tx's statement");
  expect_timeout(commit, "commit");
  expect_timeout(next, "cursor_next");
  aiodb_cursor_free(cur);
  expect_timeout(run, "db_run");
  ck_assert(aiodb_test_now_ms() - t0 < 5000);
  ck_assert_int_eq(aiodb_db_pool_stats(db, &st), 0);
  ck_assert_uint_eq(st.acquire_timeouts, 6);
  ck_assert_uint_eq(st.waiting, 0);
  /* the calls running all along were not touched */
  ck_assert_int_eq(aiodb_future_done(r1), 0);
  aiodb_test_gate_open(&g1);
  aiodb_test_gate_open(&g2);
  ck_assert_int_eq(aiodb_future_value(aiodb_test_ok(r1)), 7);
  ck_assert_int_eq(aiodb_future_value(aiodb_test_ok(r2)), 7);
  aiodb_test_free_all(r1, r2);
  aiodb_test_gate_destroy(&g1);
  aiodb_test_gate_destroy(&g2);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 6"), 6);
  aiodb_db_free(db);

  /* acquire_timeout_ms=0: a call waits as long as it takes */
  db = aiodb_test_open_with(base, "max_size=1&acquire_timeout_ms=0");
  r1 = aiodb_test_gate_hold(db, &g1);
  q = aiodb_query(db, "SELECT 1", NULL, 0);
  ck_assert_int_eq(aiodb_future_wait(q, 400), AIODB_ETIMEDOUT);
  aiodb_test_gate_open(&g1);
  aiodb_test_ok(q);
  aiodb_test_ok(r1);
  aiodb_test_free_all(q, r1);
  aiodb_test_gate_destroy(&g1);
  aiodb_db_free(db);
}

START_TEST(pool_policy_acquire_timeout) {
  on_engines(0, acquire_timeout_on);
  aiodb_test_clean_shutdown();
}
END_TEST

/* ---- first come, first served ---- */

typedef struct order_log {
  pthread_mutex_t m;
  int seen[64], n;
} order_log;

typedef struct order_item {
  order_log *log;
  int index;
} order_item;

static void order_note(order_log *l, int i) {
  pthread_mutex_lock(&l->m);
  l->seen[l->n++] = i;
  pthread_mutex_unlock(&l->m);
}

static int order_count(order_log *l) {
  int n;
  pthread_mutex_lock(&l->m);
  n = l->n;
  pthread_mutex_unlock(&l->m);
  return n;
}

static int order_fn(void *native, void *ud) {
  order_item *it = ud;
  (void)native;
  order_note(it->log, it->index);
  return 0;
}

/* An acquire records its turn and gives the connection back at once. */
static void order_acquired(aiodb_future *f, void *ud) {
  order_item *it = ud;
  order_note(it->log, it->index);
  aiodb_release(aiodb_future_conn(f));
}

START_TEST(pool_policy_first_come_first_served) {
  aiodb_db *db = aiodb_open("sqlite://?max_size=2&acquire_timeout_ms=60000", NULL, NULL);
  order_log log = {PTHREAD_MUTEX_INITIALIZER, {0}, 0};
  order_item items[40];
  aiodb_future *f[40], *r1, *r2, *late1, *late2;
  aiodb_test_gate g1, g2;
  int i;

  /* both connections held: 40 calls of three kinds queue in order */
  r1 = aiodb_test_gate_hold(db, &g1);
  r2 = aiodb_test_gate_hold(db, &g2);
  for (i = 0; i < 40; i++) {
    items[i].log = &log;
    items[i].index = i;
    if (i % 3 == 1) {
      f[i] = aiodb_acquire(db);
      aiodb_future_on_done(f[i], order_acquired, &items[i]);
    } else {
      f[i] = aiodb_db_run(db, order_fn, &items[i]);
    }
  }
  aiodb_test_gate_open(&g2); /* one connection serves them, in turn */
  while (order_count(&log) < 40) aiodb_cq_run_once(aiodb_db_cq(db), 100);
  for (i = 0; i < 40; i++) {
    ck_assert_int_eq(log.seen[i], i);
    aiodb_future_free(aiodb_test_ok(f[i]));
  }
  aiodb_test_ok(r2);

  aiodb_test_gate_open(&g1);
  aiodb_test_ok(r1);
  aiodb_db_free(db);
  aiodb_test_free_all(r1, r2);
  aiodb_test_gate_destroy(&g1);
  aiodb_test_gate_destroy(&g2);

  /* the waiters that time out go in the order they came, too */
  db = aiodb_open("sqlite://?max_size=1&acquire_timeout_ms=300", NULL, NULL);
  r1 = aiodb_test_gate_hold(db, &g1);
  late1 = aiodb_query(db, "SELECT 1", NULL, 0);
  usleep(100 * 1000);
  late2 = aiodb_query(db, "SELECT 2", NULL, 0);
  ck_assert_int_eq(aiodb_future_wait(late1, 5000), 0);
  ck_assert_int_eq(aiodb_future_done(late2), 0);
  ck_assert_int_eq(aiodb_future_error(late1), AIODB_ETIMEDOUT);
  ck_assert_int_eq(aiodb_test_err(late2), AIODB_ETIMEDOUT);
  aiodb_test_gate_open(&g1);
  aiodb_test_ok(r1);
  aiodb_test_free_all(r1, late1, late2);
  aiodb_test_gate_destroy(&g1);
  aiodb_test_done(db);
}
END_TEST

/* ---- idle_timeout_ms ---- */

static void idle_timeout_on(const char *base, const engine *e) {
  aiodb_db *db = aiodb_test_open_with(base, "min_size=1&max_size=3&idle_timeout_ms=200");
  aiodb_test_gate g[3];
  aiodb_future *r[3];
  aiodb_pool_stats st;
  int i;

  (void)e;
  WAIT_FOR(db, st, st.open == 1, 10000);
  for (i = 0; i < 3; i++) r[i] = aiodb_test_gate_hold(db, &g[i]);
  WAIT_FOR(db, st, st.open == 3 && st.busy == 3, 10000);
  for (i = 0; i < 3; i++) {
    aiodb_test_gate_open(&g[i]);
    aiodb_future_free(aiodb_test_ok(r[i]));
    aiodb_test_gate_destroy(&g[i]);
  }
  /* the two above min_size close once idle 200 ms; min_size stays */
  WAIT_FOR(db, st, st.open == 1 && st.idle_closed == 2, 5000);
  usleep(500 * 1000);
  ck_assert_int_eq(aiodb_db_pool_stats(db, &st), 0);
  ck_assert_uint_eq(st.open, 1);
  ck_assert_uint_eq(st.closed, 2);
  ck_assert_uint_eq(st.created, 3);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 2"), 2);
  aiodb_db_free(db);
}

START_TEST(pool_policy_idle_timeout) {
  aiodb_db *db;
  aiodb_pool_stats st;
  on_engines(0, idle_timeout_on);
  /* a memory database outlives its last pooled connection */
  db = aiodb_open("sqlite://?min_size=0&max_size=2&idle_timeout_ms=100", NULL, NULL);
  aiodb_test_exec(db, "CREATE TABLE t(x)");
  aiodb_test_exec(db, "INSERT INTO t VALUES (42)");
  WAIT_FOR(db, st, st.open == 0 && st.idle_closed == st.created, 5000);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT x FROM t"), 42);
  aiodb_test_done(db);
}
END_TEST

/* ---- max_lifetime_ms ---- */

static void lifetime_on(const char *base, const engine *e) {
  aiodb_db *db = aiodb_test_open_with(base, "min_size=2&max_size=2&max_lifetime_ms=300");
  aiodb_test_gate g;
  aiodb_future *acq, *run;
  aiodb_pool_stats st;
  aiodb_conn *c;
  long tid;

  (void)e;
  /* idle connections are replaced as they age, min_size kept */
  WAIT_FOR(db, st, st.expired >= 2 && st.created >= 4 && st.open == 2, 5000);

  /* never while pinned, nor in the middle of a call */
  acq = aiodb_test_ok(aiodb_acquire(db));
  c = aiodb_future_conn(acq);
  tid = conn_tid(c);
  run = aiodb_test_gate_hold(db, &g);
  usleep(700 * 1000);
  ck_assert_int_eq(conn_tid(c), tid);
  ck_assert_int_eq(aiodb_future_done(run), 0);
  aiodb_test_gate_open(&g);
  ck_assert_int_eq(aiodb_future_value(aiodb_test_ok(run)), 7);
  aiodb_future_free(run);
  aiodb_test_gate_destroy(&g);
  ck_assert_int_eq(aiodb_db_pool_stats(db, &st), 0);
  ck_assert_uint_eq(st.pinned, 1);
  /* released, it goes at once: a call then finds another worker */
  aiodb_release(c);
  aiodb_future_free(acq);
  WAIT_FOR(db, st, st.pinned == 0 && st.open == 2, 5000);
  acq = aiodb_test_ok(aiodb_acquire(db));
  ck_assert_int_ne(conn_tid(aiodb_future_conn(acq)), tid);
  aiodb_release(aiodb_future_conn(acq));
  aiodb_future_free(acq);
  ck_assert_int_eq(aiodb_db_pool_stats(db, &st), 0);
  ck_assert_uint_eq(st.broken, 0);
  aiodb_db_free(db);
}

START_TEST(pool_policy_max_lifetime) {
  on_engines(0, lifetime_on);
  aiodb_test_clean_shutdown();
}
END_TEST

/* ---- idle_check_ms ---- */

static void idle_check_on(const char *base, const engine *e) {
  aiodb_db *db = aiodb_test_open_with(base, "min_size=1&max_size=1&idle_check_ms=100");
  aiodb_pool_stats st;
  aiodb_future *acq, *f;
  long tid;
  int i;

  /* no look at idle sockets: the check before work alone */
  aiodb__pool_sweep_ms = 1000000;
  acq = aiodb_test_ok(aiodb_acquire(db));
  tid = conn_tid(aiodb_future_conn(acq));
  kill_conn(base, e, aiodb_future_conn(acq));
  aiodb_release(aiodb_future_conn(acq));
  aiodb_future_free(acq);
  usleep(300 * 1000);
  /* the dead connection is checked, replaced, and the call runs on the
   * new one: it does not fail */
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 8"), 8);
  ck_assert_int_eq(aiodb_db_pool_stats(db, &st), 0);
  ck_assert_uint_eq(st.check_failures, 1);
  ck_assert_uint_eq(st.broken, 1);
  ck_assert_uint_eq(st.created, 2);
  acq = aiodb_test_ok(aiodb_acquire(db));
  ck_assert_int_ne(conn_tid(aiodb_future_conn(acq)), tid);
  aiodb_release(aiodb_future_conn(acq));
  aiodb_future_free(acq);
  /* never on every call: back-to-back calls are not checked */
  ck_assert_int_eq(aiodb_db_pool_stats(db, &st), 0);
  for (i = 0; i < 50; i++) ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 1"), 1);
  {
    aiodb_pool_stats after;
    ck_assert_int_eq(aiodb_db_pool_stats(db, &after), 0);
    ck_assert_uint_eq(after.checks, st.checks);
  }
  aiodb_db_free(db);

  /* without the check, the same call finds the dead connection */
  db = aiodb_test_open_with(base, "min_size=1&max_size=1&idle_check_ms=0");
  acq = aiodb_test_ok(aiodb_acquire(db));
  kill_conn(base, e, aiodb_future_conn(acq));
  aiodb_release(aiodb_future_conn(acq));
  aiodb_future_free(acq);
  usleep(300 * 1000);
  f = aiodb_query(db, "SELECT 8", NULL, 0);
  ck_assert_int_eq(aiodb_test_err(f), AIODB_ECONNLOST);
  aiodb_future_free(f);
  aiodb_db_free(db);
  aiodb__pool_sweep_ms = 1000;
}

START_TEST(pool_policy_idle_check) {
  on_engines(1, idle_check_on);
  aiodb_test_clean_shutdown();
}
END_TEST

/* ---- a connection that breaks in a batch ---- */

/* PostgreSQL's auto-pipelining sends the three statements in one batch;
 * the second ends the connection. What was queued behind the batch on the
 * pinned connection fails as after any break: "the connection broke", and
 * a tx's calls AIODB_ETXABORTED. */
START_TEST(pool_policy_broken_in_a_batch) {
  const char *u = aiodb_test_server_url("AIODB_TEST_PG_DIR");
  aiodb_db *db;
  aiodb_future *acq, *run, *f[3], *begin_q, *commit, *after;
  aiodb_value v;
  aiodb_test_gate g;
  uint64_t batches;
  aiodb_conn *c;
  aiodb_tx *tx;
  int i;

  if (u == NULL) return;
  db = aiodb_test_open_with(u, "max_size=1");
  acq = aiodb_test_ok(aiodb_acquire(db));
  c = aiodb_future_conn(acq);
  aiodb_test_gate_init(&g);
  run = aiodb_run(c, aiodb_test_gate_fn, &g);
  aiodb_test_gate_wait_entered(&g);
  for (i = 0; i < 3; i++) {
    v = aiodb_int(i == 1);
    f[i] = aiodb_conn_query(c, engines[1].kill_own, &v, 1);
  }
  tx = aiodb_conn_begin(c);
  begin_q = aiodb_tx_query(tx, "SELECT 1", NULL, 0);
  commit = aiodb_commit(tx);
  after = aiodb_conn_query(c, "SELECT 2", NULL, 0);
  aiodb_test_gate_open(&g);
  aiodb_future_free(aiodb_test_ok(run));
  ck_assert_int_eq(aiodb_test_err(f[1]), AIODB_ECONNLOST);
  ck_assert_int_eq(aiodb_test_err(f[2]), AIODB_ECONNLOST);
  aiodb_db_stats(db, &batches, NULL);
  ck_assert_uint_eq(batches, 1);
  ck_assert_int_eq(aiodb_test_err(begin_q), AIODB_ETXABORTED);
  ck_assert_msg(strstr(aiodb_future_errmsg(begin_q), "broke") != NULL, "%s",
                aiodb_future_errmsg(begin_q));
  ck_assert_int_eq(aiodb_test_err(commit), AIODB_ETXABORTED);
  ck_assert_int_eq(aiodb_test_err(after), AIODB_EALREADYQUIT);
  ck_assert_msg(strstr(aiodb_future_errmsg(after), "the connection broke") != NULL, "%s",
                aiodb_future_errmsg(after));
  aiodb_test_free_all(f[0], f[1], f[2], begin_q, commit, after);
  aiodb_release(c);
  aiodb_future_free(acq);
  aiodb_test_gate_destroy(&g);
  /* never handed out again: a new connection serves */
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 9"), 9);
  {
    aiodb_pool_stats st;
    ck_assert_int_eq(aiodb_db_pool_stats(db, &st), 0);
    ck_assert_uint_eq(st.broken, 1);
  }
  aiodb_test_done(db);
}
END_TEST

/* ---- leak_detection_ms ---- */

static void leak_on(const char *base, const engine *e) {
  aiodb_db *db = aiodb_test_open_with(base, "max_size=2&leak_detection_ms=100");
  aiodb_future *acq, *f;
  aiodb_pool_stats st;
  aiodb_cursor *cur;
  aiodb_tx *tx;

  (void)e;
  diag_watch(AIODB_DIAG_LEAK);
  /* released in time: nothing */
  acq = aiodb_test_ok(aiodb_acquire(db));
  aiodb_release(aiodb_future_conn(acq));
  aiodb_future_free(acq);
  usleep(250 * 1000);
  ck_assert_int_eq(diag_count(), 0);

  /* held: one report, naming the call that pinned it */
  acq = aiodb_test_ok(aiodb_acquire(db));
  usleep(400 * 1000);
  ck_assert_int_eq(diag_count(), 1);
  ck_assert_str_eq(dlog.function, "aiodb_acquire");
  ck_assert_ptr_nonnull(dlog.site);
  ck_assert_msg(strstr(dlog.message, "aiodb_acquire: the connection this call pinned") != NULL,
                "%s", dlog.message);
  aiodb_release(aiodb_future_conn(acq));
  aiodb_future_free(acq);

  tx = aiodb_begin(db);
  aiodb_future_free(aiodb_test_ok(aiodb_tx_query(tx, "SELECT 1", NULL, 0)));
  usleep(400 * 1000);
  ck_assert_int_eq(diag_count(), 2);
  ck_assert_str_eq(dlog.function, "aiodb_begin");
  aiodb_future_free(aiodb_test_ok(aiodb_commit(tx)));

  cur = aiodb_iterate(db, "SELECT 1", NULL, 0, 10);
  f = aiodb_cursor_next(cur);
  aiodb_future_free(aiodb_test_ok(f));
  usleep(400 * 1000);
  ck_assert_int_eq(diag_count(), 3);
  ck_assert_str_eq(dlog.function, "aiodb_iterate");
  aiodb_cursor_free(cur);
  usleep(250 * 1000);
  ck_assert_int_eq(diag_count(), 3);
  ck_assert_int_eq(aiodb_db_pool_stats(db, &st), 0);
  ck_assert_uint_eq(st.leaks, 3);
  aiodb_set_diag_handler(NULL, NULL);
  aiodb_db_free(db);
}

START_TEST(pool_policy_leak_detection) {
  on_engines(0, leak_on);
  aiodb_test_clean_shutdown();
}
END_TEST

/* ---- every connection pinned ---- */

/* A first row SQLite takes seconds to make (canceled once it served). */
#define SLOW_ROWS                                                              \
  "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "            \
  "WHERE x < 20000000) SELECT count(*) FROM c"

static void starved_on(const char *base, const engine *e) {
  aiodb_db *db = aiodb_test_open_with(base, "max_size=1");
  aiodb_future *acq, *q1, *q2, *end;
  aiodb_test_gate g;
  aiodb_cursor *cur;
  aiodb_tx *tx;

  diag_watch(AIODB_DIAG_STARVED);
  acq = aiodb_test_ok(aiodb_acquire(db));
  q1 = aiodb_query(db, "SELECT 1", NULL, 0);
  ck_assert_int_eq(diag_count(), 1);
  ck_assert_str_eq(dlog.function, "aiodb_query");
  ck_assert_ptr_nonnull(dlog.site);
  ck_assert_msg(strstr(dlog.message, "every connection is pinned") != NULL, "%s", dlog.message);
  q2 = aiodb_query(db, "SELECT 2", NULL, 0);
  ck_assert_int_eq(diag_count(), 1); /* once, until it clears */
  aiodb_release(aiodb_future_conn(acq));
  aiodb_future_free(acq);
  aiodb_test_ok(q1);
  aiodb_test_ok(q2);
  aiodb_test_free_all(q1, q2);
  /* cleared by a call that found a connection; then again */
  aiodb_future_free(aiodb_test_ok(aiodb_query(db, "SELECT 3", NULL, 0)));
  acq = aiodb_test_ok(aiodb_acquire(db));
  q1 = aiodb_query(db, "SELECT 4", NULL, 0);
  ck_assert_int_eq(diag_count(), 2);
  aiodb_release(aiodb_future_conn(acq));
  aiodb_future_free(acq);
  aiodb_future_free(aiodb_test_ok(q1));
  aiodb_db_free(db);

  /* a pin already let go of (a commit queued, a freed cursor's close
   * queued) comes back with no call of the program's: no word */
  db = aiodb_test_open_with(base, "max_size=1");
  tx = aiodb_begin(db);
  aiodb_test_gate_init(&g);
  q1 = aiodb_tx_run(tx, aiodb_test_gate_fn, &g);
  aiodb_test_gate_wait_entered(&g);
  end = aiodb_commit(tx);
  q2 = aiodb_query(db, "SELECT 6", NULL, 0);
  ck_assert_int_eq(diag_count(), 2);
  aiodb_test_gate_open(&g);
  aiodb_test_free_all(aiodb_test_ok(q1), aiodb_test_ok(end));
  aiodb_future_free(aiodb_test_ok(q2));
  aiodb_test_gate_destroy(&g);
  if (e->dir_env == NULL) {
    cur = aiodb_iterate(db, SLOW_ROWS, NULL, 0, 1);
    q1 = aiodb_cursor_next(cur);
    aiodb_cursor_free(cur);
    q2 = aiodb_query(db, "SELECT 7", NULL, 0);
    ck_assert_msg(!aiodb_future_done(q1), "the batch ended before the query was made");
    ck_assert_int_eq(diag_count(), 2);
    ck_assert_int_eq(aiodb_future_cancel(q1), 0); /* no need to wait it out */
    aiodb_test_fails(q1, AIODB_ECANCELED, NULL);
    aiodb_future_free(aiodb_test_ok(q2));
  }
  aiodb_db_free(db);

  /* room to grow: no word */
  db = aiodb_test_open_with(base, "max_size=2");
  acq = aiodb_test_ok(aiodb_acquire(db));
  aiodb_future_free(aiodb_test_ok(aiodb_query(db, "SELECT 5", NULL, 0)));
  ck_assert_int_eq(diag_count(), 2);
  aiodb_release(aiodb_future_conn(acq));
  aiodb_future_free(acq);
  aiodb_set_diag_handler(NULL, NULL);
  aiodb_db_free(db);
}

START_TEST(pool_policy_starved_pool_is_reported) {
  on_engines(0, starved_on);
  aiodb_test_clean_shutdown();
}
END_TEST

/* ---- aiodb_db_pool_stats ---- */

START_TEST(pool_policy_stats) {
  aiodb_db *db = aiodb_test_open_with(aiodb_test_sqlite_url(), "min_size=3&max_size=3");
  aiodb_test_gate g1, g2;
  aiodb_future *r1, *r2, *acq, *q[5];
  aiodb_pool_stats st;
  int i;

  WAIT_FOR(db, st, st.open == 3, 10000);
  ck_assert_uint_eq(st.idle, 3);
  r1 = aiodb_test_gate_hold(db, &g1);
  acq = aiodb_test_ok(aiodb_acquire(db));
  ck_assert_int_eq(aiodb_db_pool_stats(db, &st), 0);
  ck_assert_uint_eq(st.open, 3);
  ck_assert_uint_eq(st.busy, 1);
  ck_assert_uint_eq(st.pinned, 1);
  ck_assert_uint_eq(st.idle, 1);
  ck_assert_uint_eq(st.opening, 0);
  ck_assert_uint_eq(st.waiting, 0);
  r2 = aiodb_test_gate_hold(db, &g2);
  for (i = 0; i < 5; i++) q[i] = aiodb_query(db, "SELECT 1", NULL, 0);
  ck_assert_int_eq(aiodb_db_pool_stats(db, &st), 0);
  ck_assert_uint_eq(st.busy, 2);
  ck_assert_uint_eq(st.idle, 0);
  ck_assert_uint_eq(st.waiting, 5);
  ck_assert_uint_eq(st.min_size, 3);
  ck_assert_uint_eq(st.max_size, 3);
  ck_assert_uint_eq(st.created, 3);
  aiodb_test_gate_open(&g1);
  aiodb_test_gate_open(&g2);
  for (i = 0; i < 5; i++) aiodb_future_free(aiodb_test_ok(q[i]));
  aiodb_test_free_all(aiodb_test_ok(r1), aiodb_test_ok(r2));
  aiodb_test_gate_destroy(&g1);
  aiodb_test_gate_destroy(&g2);
  aiodb_release(aiodb_future_conn(acq));
  aiodb_future_free(acq);
  /* a closed db still answers, with its counters */
  aiodb_future_free(aiodb_test_ok(aiodb_close(db)));
  ck_assert_int_eq(aiodb_db_pool_stats(db, &st), 0);
  ck_assert_uint_eq(st.open, 0);
  ck_assert_uint_eq(st.closed, 3);
  ck_assert_int_eq(aiodb_db_pool_stats(db, NULL), AIODB_EINVAL);
  aiodb_test_done(db);
}
END_TEST

Suite *aiodb_suite_pool_policy(void) {
  Suite *s = AIODB_SUITE("pool_policy", pool_policy_defaults, pool_policy_bad_options,
                         pool_policy_min_size_kept, pool_policy_refill_backs_off,
                         pool_policy_acquire_timeout, pool_policy_first_come_first_served,
                         pool_policy_idle_timeout, pool_policy_max_lifetime,
                         pool_policy_idle_check, pool_policy_broken_in_a_batch,
                         pool_policy_leak_detection, pool_policy_starved_pool_is_reported,
                         pool_policy_stats);
  return AIODB_TCASE_TIMEOUT(s, pool_policy_refills_after_server_restart, 240);
}
