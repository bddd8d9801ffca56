/* The lifecycle of dbs, connections and threads: what is pinned goes back,
 * nothing outlives the last db, a forked child never hangs, a shutdown
 * never waits forever on a call that does not return, and auto-pipelining
 * never holds back work an idle connection could run. Each case runs on
 * SQLite and, where it concerns them, on the throwaway PostgreSQL and
 * MariaDB servers of the pg and mysql fixtures. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

/* The servers of the fixtures, and their SQL for the cases. */
typedef struct server {
  const char *dir_env;
  const char *kill_own; /* ends its own connection */
  const char *sleep;    /* runs 60 s */
} server;

static const server servers[] = {
    {"AIODB_TEST_PG_DIR", "SELECT pg_terminate_backend(pg_backend_pid())", "SELECT pg_sleep(60)"},
    {"AIODB_TEST_MYSQL_DIR", "KILL CONNECTION_ID()", "SELECT SLEEP(60)"},
};

/* Calls fn on a fresh SQLite file (s NULL; unless servers_only) and on
 * each server there is. */
static void on_engines(int servers_only, void (*fn)(const char *base, const server *s)) {
  size_t i;
  const char *u;
  if (!servers_only) fn(aiodb_test_sqlite_url(), NULL);
  for (i = 0; i < sizeof servers / sizeof servers[0]; i++)
    if ((u = aiodb_test_server_url(servers[i].dir_env)) != NULL) fn(u, &servers[i]);
}

/* Threads of this process whose name starts with prefix. */
static int threads_named(const char *prefix) {
  DIR *d = opendir("/proc/self/task");
  struct dirent *e;
  int n = 0;
  ck_assert_ptr_nonnull(d);
  while ((e = readdir(d)) != NULL) {
    char path[300], comm[32] = "";
    FILE *fp;
    if (e->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
    fp = fopen(path, "r");
    if (fp == NULL) continue;
    if (fgets(comm, sizeof comm, fp) && strncmp(comm, prefix, strlen(prefix)) == 0) n++;
    fclose(fp);
  }
  closedir(d);
  return n;
}

/* Threads named "aiodb-..." (workers, the timer, the interrupter). */
static int aiodb_threads(void) { return threads_named("aiodb-"); }

/* aiodb_threads() once it is n (a thread names itself once it runs), or
 * after 5 s whatever it is then. */
static int threads_become(int n) {
  int i;
  for (i = 0; i < 500 && aiodb_threads() != n; i++) usleep(10000);
  return aiodb_threads();
}

typedef struct misuse_log {
  int count;
  char message[512];
} misuse_log;

static void log_misuse(const aiodb_diag *d, void *ud) {
  misuse_log *log = ud;
  if (d->kind != AIODB_DIAG_MISUSE) return;
  log->count++;
  snprintf(log->message, sizeof log->message, "%s", d->message);
}

/* ---- a freed acquire gives its connection back ---- */

static void acquire_freed_on(const char *base, const server *s) {
  aiodb_db *db = aiodb_test_open_with(base, "max_size=1");
  aiodb_test_gate gate;
  aiodb_future *acq, *run, *q;
  misuse_log log = {0, ""};

  (void)s;
  aiodb_set_diag_handler(log_misuse, &log);
  /* handed out, never released: given back, with a diagnostic */
  acq = aiodb_test_ok(aiodb_acquire(db));
  ck_assert_ptr_nonnull(aiodb_future_conn(acq));
  aiodb_future_free(acq);
  ck_assert_int_eq(log.count, 1);
  ck_assert_ptr_nonnull(strstr(log.message, "never released"));
  q = aiodb_query(db, "SELECT 1", NULL, 0);
  ck_assert_int_eq(aiodb_future_wait(q, 10000), 0);
  ck_assert_int_eq(aiodb_future_error(q), 0);
  aiodb_future_free(q);

  /* done but never looked at: given back silently */
  acq = aiodb_test_ok(aiodb_acquire(db));
  aiodb_future_free(acq);
  q = aiodb_query(db, "SELECT 2", NULL, 0);
  ck_assert_int_eq(aiodb_future_wait(q, 10000), 0);
  ck_assert_int_eq(aiodb_future_error(q), 0);
  aiodb_future_free(q);

  /* freed while still queued behind a busy connection: pins nothing */
  run = aiodb_test_gate_hold(db, &gate);
  acq = aiodb_acquire(db);
  ck_assert_int_eq(aiodb_future_done(acq), 0);
  aiodb_future_free(acq);
  q = aiodb_query(db, "SELECT 3", NULL, 0);
  aiodb_test_gate_open(&gate);
  aiodb_test_ok(run);
  ck_assert_int_eq(aiodb_future_wait(q, 10000), 0);
  ck_assert_int_eq(aiodb_future_error(q), 0);
  aiodb_future_free(q);
  aiodb_future_free(run);
  aiodb_test_gate_destroy(&gate);

  /* released, then freed: no diagnostic, and a later holder keeps it */
  acq = aiodb_test_ok(aiodb_acquire(db));
  aiodb_release(aiodb_future_conn(acq));
  q = aiodb_test_ok(aiodb_acquire(db));
  aiodb_future_free(acq);
  ck_assert_int_eq(log.count, 1);
  run = aiodb_query(db, "SELECT 4", NULL, 0);
  ck_assert_int_eq(aiodb_future_wait(run, 200), AIODB_ETIMEDOUT); /* still pinned */
  aiodb_release(aiodb_future_conn(q));
  aiodb_test_ok(run);
  aiodb_future_free(run);
  aiodb_future_free(q);

  /* pinned when the db is freed: the future, freed after, is harmless */
  acq = aiodb_test_ok(aiodb_acquire(db));
  ck_assert_ptr_nonnull(aiodb_future_conn(acq));
  aiodb_set_diag_handler(NULL, NULL);
  aiodb_db_free(db);
  aiodb_future_free(acq);
  ck_assert_int_eq(log.count, 1);
}

START_TEST(lifecycle_freed_acquire_gives_back) {
  on_engines(0, acquire_freed_on);
  aiodb_test_clean_shutdown();
}
END_TEST

/* ---- no aiodb thread outlives the last db ---- */

START_TEST(lifecycle_no_thread_after_last_free) {
  /* timeout_ms: every statement has a deadline, so the timer thread runs */
  aiodb_db *a = aiodb_test_open_with(aiodb_test_sqlite_url(), "timeout_ms=60000");
  aiodb_db *b = aiodb_open("sqlite://?max_size=2&min_size=2&timeout_ms=60000",
                           NULL, NULL);

  ck_assert_int_eq(aiodb_test_scalar(a, "SELECT 1"), 1);
  ck_assert_int_eq(aiodb_test_scalar(b, "SELECT 1"), 1);
  ck_assert_int_eq(threads_become(4), 4); /* 1 + 2 workers and the timer */
  aiodb_db_free(a);
  ck_assert_int_eq(aiodb_threads(), 3);
  aiodb_db_free(b);
  ck_assert_int_eq(aiodb_threads(), 0);

  /* and it all starts again */
  a = aiodb_open("sqlite://?timeout_ms=60000", NULL, NULL);
  ck_assert_int_eq(aiodb_test_scalar(a, "SELECT 7"), 7);
  ck_assert_int_eq(threads_become(2), 2);
  aiodb_db_free(a);
  ck_assert_int_eq(aiodb_threads(), 0);
  aiodb_test_clean_shutdown();
}
END_TEST

/* ---- fork ---- */

#if defined(__SANITIZE_THREAD__)
#define TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TSAN 1
#endif
#endif

/* In the child: every call on the inherited db completes at once. Returns
 * the number of failed checks. */
static int child_checks(aiodb_db *db, aiodb_future *pending) {
  int bad = 0;
  aiodb_future *f = aiodb_query(db, "SELECT 1", NULL, 0);
  aiodb_tx *tx;
  if (!aiodb_future_done(f) || aiodb_future_error(f) != AIODB_EALREADYQUIT ||
      strstr(aiodb_future_errmsg(f), "fork") == NULL)
    bad++;
  aiodb_future_free(f);
  f = aiodb_acquire(db);
  if (!aiodb_future_done(f) || aiodb_future_error(f) != AIODB_EALREADYQUIT) bad++;
  aiodb_future_free(f);
  tx = aiodb_begin(db);
  f = aiodb_commit(tx);
  if (!aiodb_future_done(f) || aiodb_future_error(f) != AIODB_EALREADYQUIT) bad++;
  aiodb_future_free(f);
  f = aiodb_close(db);
  if (!aiodb_future_done(f) || aiodb_future_error(f) != AIODB_EALREADYQUIT) bad++;
  aiodb_future_free(f);
  /* what was pending at fork completes when the child frees the db */
  if (aiodb_future_done(pending)) bad++;
  aiodb_db_free(db);
  if (!aiodb_future_done(pending) ||
      aiodb_future_error(pending) != AIODB_EALREADYQUIT)
    bad++;
  aiodb_future_free(pending);
#ifndef TSAN /* TSan does not let a forked child start threads */
  db = aiodb_open("sqlite://", NULL, NULL);
  f = aiodb_query(db, "SELECT 41 + 1", NULL, 0);
  if (aiodb_future_wait(f, 10000) != 0 || aiodb_future_error(f) != 0 ||
      aiodb_result_int(aiodb_future_result(f), 0, 0) != 42)
    bad++;
  aiodb_future_free(f);
  aiodb_db_free(db);
#endif
  return bad;
}

static void fork_on(const char *base, const server *s) {
  /* one connection: the query queues behind the held one */
  aiodb_db *db = aiodb_test_open_with(base, "max_size=1");
  aiodb_test_gate gate;
  aiodb_future *run, *queued;
  pid_t pid;
  int status = -1, i;

  (void)s;
  aiodb_future_free(aiodb_test_ok(aiodb_query(db, "SELECT 1", NULL, 0)));
  run = aiodb_test_gate_hold(db, &gate);
  queued = aiodb_query(db, "SELECT 2", NULL, 0);
  pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    int bad = child_checks(db, queued);
    _exit(bad == 0 ? 0 : 10 + bad);
  }
  /* the child never hangs: 20 s at most */
  for (i = 0; i < 2000; i++) {
    if (waitpid(pid, &status, WNOHANG) == pid) break;
    usleep(10000);
  }
  if (i == 2000) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    ck_abort_msg("the forked child hung");
  }
  ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                "child failed: status %d", status);
  /* the parent's db is untouched */
  aiodb_test_gate_open(&gate);
  aiodb_test_ok(run);
  aiodb_test_ok(queued);
  aiodb_future_free(run);
  aiodb_future_free(queued);
  aiodb_test_gate_destroy(&gate);
  aiodb_future_free(aiodb_test_ok(aiodb_query(db, "SELECT 3", NULL, 0)));
  aiodb_db_free(db);
}

START_TEST(lifecycle_forked_child_never_hangs) {
  on_engines(0, fork_on);
  aiodb_test_clean_shutdown();
}
END_TEST

/* ---- a tx whose connection broke ---- */

static void tx_broken_on(const char *base, const server *s) {
  aiodb_db *db = aiodb_test_open_with(base, "max_size=1");
  aiodb_tx *tx = aiodb_begin(db);
  aiodb_future *k = aiodb_tx_query(tx, s->kill_own, NULL, 0);
  aiodb_future *q = aiodb_tx_query(tx, "SELECT 1", NULL, 0);
  aiodb_future *c = aiodb_commit(tx);
  int e = aiodb_test_err(k);

  ck_assert_msg(e == AIODB_ECONNLOST || e == AIODB_ESQL, "kill: %s",
                aiodb_future_errmsg(k));
  ck_assert_int_eq(aiodb_test_err(q), AIODB_ETXABORTED);
  ck_assert_ptr_nonnull(strstr(aiodb_future_errmsg(q), "broke"));
  ck_assert_int_eq(aiodb_test_err(c), AIODB_ETXABORTED);
  aiodb_test_free_all(k, q, c);
  /* a fresh connection serves */
  aiodb_future_free(aiodb_test_ok(aiodb_query(db, "SELECT 1", NULL, 0)));
  aiodb_db_free(db);
}

START_TEST(lifecycle_tx_on_broken_connection_is_aborted) {
  on_engines(1, tx_broken_on);
  aiodb_test_clean_shutdown();
}
END_TEST

/* ---- a commit failing for an earlier statement keeps its codes ---- */

START_TEST(lifecycle_failed_commit_keeps_native_code) {
  aiodb_db *db = aiodb_open(aiodb_test_sqlite_url(), NULL, NULL);
  aiodb_tx *tx;
  aiodb_future *bad, *c;

  aiodb_test_exec(db, "CREATE TABLE u(x INTEGER UNIQUE)");
  aiodb_test_exec(db, "INSERT INTO u VALUES (1)");
  tx = aiodb_begin(db);
  bad = aiodb_tx_query(tx, "INSERT INTO u VALUES (1)", NULL, 0);
  c = aiodb_commit(tx);
  ck_assert_int_eq(aiodb_test_err(bad), AIODB_ECONSTRAINT);
  ck_assert_int_eq(aiodb_test_err(c), AIODB_ETXABORTED);
  ck_assert_int_ne(aiodb_future_native_code(bad), 0);
  ck_assert_int_eq(aiodb_future_native_code(c), aiodb_future_native_code(bad));
  ck_assert_str_eq(aiodb_future_sqlstate(c), aiodb_future_sqlstate(bad));
  aiodb_future_free(bad);
  aiodb_future_free(c);
  aiodb_test_done(db);
}
END_TEST

/* ---- shutdown gives up on a call that does not return ---- */

static void close_bounded_on(const char *base, const server *srv) {
  aiodb_db *db = aiodb_test_open_with(base, "close_timeout_ms=300");
  aiodb_future *s, *closing;
  double t0;

  aiodb_future_free(aiodb_test_ok(aiodb_query(db, "SELECT 1", NULL, 0)));
  s = aiodb_query(db, srv->sleep, NULL, 0);
  usleep(100000); /* it is running */
  t0 = aiodb_test_now_ms();
  closing = aiodb_close(db);
  ck_assert_int_eq(aiodb_future_wait(closing, 10000), 0);
  ck_assert_int_eq(aiodb_future_error(closing), 0);
  ck_assert_msg(aiodb_test_now_ms() - t0 < 5000, "close took %.0f ms",
                aiodb_test_now_ms() - t0);
  ck_assert_int_ne(aiodb_test_err(s), 0); /* abandoned, not finished */
  fprintf(stderr, "close of a stuck call: %.0f ms; the call: %s\n",
          aiodb_test_now_ms() - t0, aiodb_future_errmsg(s));
  aiodb_future_free(s);
  aiodb_future_free(closing);
  t0 = aiodb_test_now_ms();
  aiodb_db_free(db);
  ck_assert(aiodb_test_now_ms() - t0 < 2000);
}

START_TEST(lifecycle_close_abandons_a_stuck_call) {
  on_engines(1, close_bounded_on);
  aiodb_test_clean_shutdown();
}
END_TEST

/* ---- a server that accepts connections and never answers ---- */

static void silent_url(char *buf, size_t n, const char *scheme, const aiodb_test_silent *srv,
                       const char *opts) {
  snprintf(buf, n, "%s://aiodb:pw@127.0.0.1:%u/aiodb?%s", scheme, srv->port, opts);
}

/* connect_timeout bounds the connect: a deadline fails its statement on
 * time, the next one fails with the connect's timeout (its message
 * without the password), and aiodb_close and aiodb_db_free return. */
static void silent_connect_timeout(const char *scheme) {
  aiodb_test_silent srv;
  aiodb_error err;
  aiodb_db *db;
  aiodb_future *f, *g, *closing;
  char url[256];
  double t0, ms;

  aiodb_test_silent_start(&srv);
  silent_url(url, sizeof url, scheme, &srv, "connect_timeout=2");
  t0 = aiodb_test_now_ms();
  db = aiodb_open(url, NULL, &err);
  ck_assert_msg(db != NULL, "%s", err.message);
  f = aiodb_query(db, "SELECT 1", NULL, 0);
  ck_assert_int_eq(aiodb_future_set_timeout(f, 500), 0);
  g = aiodb_query(db, "SELECT 2", NULL, 0);
  ck_assert_int_eq(aiodb_test_err(f), AIODB_ETIMEDOUT);
  ms = aiodb_test_now_ms() - t0;
  ck_assert_msg(ms < 1500, "%s: the deadline fired at %.0f ms", scheme, ms);
  ck_assert_int_eq(aiodb_test_err(g), AIODB_ECONNECT);
  ck_assert_msg(strstr(aiodb_future_errmsg(g), "timeout expired") != NULL, "%s: %s", scheme,
                aiodb_future_errmsg(g));
  ck_assert_ptr_null(strstr(aiodb_future_errmsg(g), ":pw@"));
  ms = aiodb_test_now_ms() - t0;
  fprintf(stderr, "%s: a silent server's connect gave up at %.0f ms: %s\n", scheme, ms,
          aiodb_future_errmsg(g));
  ck_assert_msg(ms >= 1500 && ms < 8000, "%s: the connect gave up at %.0f ms", scheme, ms);
  closing = aiodb_close(db);
  ck_assert_int_eq(aiodb_future_wait(closing, 5000), 0);
  t0 = aiodb_test_now_ms();
  aiodb_db_free(db);
  ck_assert(aiodb_test_now_ms() - t0 < 1000);
  aiodb_test_free_all(closing, f, g);
  aiodb_test_silent_stop(&srv);
}

/* The connect is stuck (with the default connect_timeout of 10 s still
 * running), a statement's deadline fails it on time, and aiodb_db_free
 * abandons the connect after close_timeout_ms instead of waiting for the
 * timeout. */
static void free_abandons_silent_connect(const char *scheme) {
  aiodb_test_silent srv;
  aiodb_error err;
  aiodb_db *db;
  aiodb_future *f;
  char url[256];
  double t0, ms;

  aiodb_test_silent_start(&srv);
  silent_url(url, sizeof url, scheme, &srv, "close_timeout_ms=300");
  db = aiodb_open(url, NULL, &err);
  ck_assert_msg(db != NULL, "%s", err.message);
  f = aiodb_query(db, "SELECT 1", NULL, 0);
  ck_assert_int_eq(aiodb_future_set_timeout(f, 300), 0);
  ck_assert_int_eq(aiodb_test_err(f), AIODB_ETIMEDOUT);
  t0 = aiodb_test_now_ms();
  aiodb_db_free(db);
  ms = aiodb_test_now_ms() - t0;
  fprintf(stderr, "%s: aiodb_db_free abandoned a silent connect in %.0f ms\n",
          scheme, ms);
  ck_assert_msg(ms < 5000, "%s: aiodb_db_free took %.0f ms", scheme, ms);
  aiodb_future_free(f);
  aiodb_test_silent_stop(&srv);
}

/* Runs fn with each server scheme built in. */
static void on_server_schemes(void (*fn)(const char *scheme)) {
#ifdef AIODB_HAVE_POSTGRES
  fn("postgresql");
#endif
#ifdef AIODB_HAVE_MYSQL
  fn("mysql");
#endif
  (void)fn;
}

START_TEST(lifecycle_silent_server_connect_timeout) {
  on_server_schemes(silent_connect_timeout);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(lifecycle_free_abandons_a_silent_connect) {
  on_server_schemes(free_abandons_silent_connect);
  aiodb_test_clean_shutdown();
}
END_TEST

/* ---- auto-pipelining never serializes what idle connections can run ---- */

START_TEST(lifecycle_pipelining_leaves_work_to_idle_connections) {
  enum { N = 4 };
  const char *u = aiodb_test_server_url("AIODB_TEST_PG_DIR");
  aiodb_db *db;
  aiodb_future *f[N];
  double t0, took;
  uint64_t batches = 0;
  int i;

  if (u == NULL) return;
  db = aiodb_test_open_with(u, "max_size=4&min_size=1&pipeline=64");
  /* the statement is prepared and cached on the first connection */
  aiodb_future_free(aiodb_test_ok(aiodb_query(db, "SELECT pg_sleep(0.01)", NULL, 0)));
  aiodb_future_free(aiodb_test_ok(aiodb_query(db, "SELECT pg_sleep(0.01)", NULL, 0)));
  t0 = aiodb_test_now_ms();
  for (i = 0; i < N; i++) f[i] = aiodb_query(db, "SELECT pg_sleep(1)", NULL, 0);
  for (i = 0; i < N; i++) aiodb_test_ok(f[i]);
  took = aiodb_test_now_ms() - t0;
  aiodb_db_stats(db, &batches, NULL);
  fprintf(stderr, "%d x pg_sleep(1) on %d connections: %.0f ms, %llu batches\n",
          N, N, took, (unsigned long long)batches);
  /* one after another would be 4 s; in parallel about 1 s */
  ck_assert_msg(took < 2500, "took %.0f ms", took);
  ck_assert_int_eq(batches, 0);
  for (i = 0; i < N; i++) aiodb_future_free(f[i]);
  aiodb_test_done(db);
}
END_TEST

/* A connection that fails to open fails the pool's calls no other
 * connection may take, every other one being pinned: they would otherwise
 * wait for a release that their caller may be waiting on them to make.
 * (The second connection's file is in a folder removed after the first
 * opened.) */
START_TEST(lifecycle_failed_connect_fails_what_only_a_pinned_pool_could_run) {
  char dir[512], file[600], url[700];
  aiodb_future *acq, *f;
  aiodb_conn *conn;
  aiodb_db *db;
  snprintf(dir, sizeof dir, "%s", aiodb_test_path(".d"));
  ck_assert_int_eq(mkdir(dir, 0700), 0);
  snprintf(file, sizeof file, "%s/x.db", dir);
  snprintf(url, sizeof url, "sqlite:///%s?max_size=2", file);
  db = aiodb_open(url, NULL, NULL);
  ck_assert_ptr_nonnull(db);
  /* the first connection open and asleep, so that the acquire wakes it
   * rather than starting a second */
  usleep(300 * 1000);
  acq = aiodb_test_ok(aiodb_acquire(db));
  conn = aiodb_future_conn(acq);
  ck_assert_int_eq(threads_named("aiodb-w"), 1);
  ck_assert_int_eq(unlink(file), 0);
  ck_assert_int_eq(rmdir(dir), 0);
  f = aiodb_query(db, "SELECT 1", NULL, 0);
  ck_assert_msg(aiodb_future_wait(f, 5000) == 0,
                "the call still waits for the pinned connection");
  ck_assert_int_eq(aiodb_future_error(f), AIODB_ECONNECT);
  aiodb_future_free(f);
  /* the pinned connection still serves, and the pool once released */
  f = aiodb_test_ok(aiodb_conn_query(conn, "SELECT 7", NULL, 0));
  ck_assert_int_eq(aiodb_result_int(aiodb_future_result(f), 0, 0), 7);
  aiodb_future_free(f);
  aiodb_release(conn);
  aiodb_future_free(acq);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 8"), 8);
  aiodb_test_done(db);
}
END_TEST

Suite *aiodb_suite_lifecycle(void) {
  return AIODB_SUITE("lifecycle", lifecycle_freed_acquire_gives_back,
                     lifecycle_no_thread_after_last_free, lifecycle_forked_child_never_hangs,
                     lifecycle_tx_on_broken_connection_is_aborted,
                     lifecycle_failed_commit_keeps_native_code,
                     lifecycle_close_abandons_a_stuck_call, lifecycle_silent_server_connect_timeout,
                     lifecycle_free_abandons_a_silent_connect,
                     lifecycle_pipelining_leaves_work_to_idle_connections,
                     lifecycle_failed_connect_fails_what_only_a_pinned_pool_could_run);
}
