/* Servers killed under load. 64 units of work stay in flight on a pool of
 * 8 connections (a transfer: a transaction that takes 1 from an account
 * and logs the transfer, in two statements; or a read), while the server's
 * backends are killed, or the whole server: every future's callback must
 * run exactly once and within 30 s, the pool must serve again once the
 * server is back, no transaction may be half applied (each account's
 * balance plus its logged transfers stays what it was), and every commit
 * that completed with 0 must still be there after the server's restart.
 *
 * The servers are throwaway ones of the pg_faults and mysql_faults
 * fixtures, which no suite but this one and netfault (they take turns)
 * uses: killing the shared ones would break the suites running beside. */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

#define PGF "AIODB_TEST_PG_FAULTS_DIR"
#define MYF "AIODB_TEST_MYSQL_FAULTS_DIR"

#define INFLIGHT 64
#define ACCOUNTS 16
#define START_BAL 1000000
#define BOUND_MS 30000.0   /* every future completes within this */
#define SERVED_AGAIN 50    /* units that prove the pool serves again */
#define PAUSE_AFTER_FAIL_MS 50.0

/* A server's socket URL, or NULL (then the case is skipped, but never
 * under CI, where every server must be there). */
static const char *server_url(const char *dir_env) {
  const char *u, *ci = getenv("CI");
  if (getenv(dir_env) == NULL) { /* not run by ctest */
    fprintf(stderr, "skipped: %s is not set\n", dir_env);
    return NULL;
  }
  u = aiodb_test_server_file(dir_env, "socket_url");
  if (u == NULL && ci != NULL && strcmp(ci, "true") == 0)
    ck_abort_msg("no test server in %s under CI", dir_env);
  if (u == NULL) fprintf(stderr, "skipped: no server in %s\n", dir_env);
  return u;
}

/* ---- the load ---- */

typedef struct unit unit;
typedef struct load load;

typedef struct fref {
  unit *u;
  int i;
} fref;

struct unit {
  load *l;
  long id; /* a transfer's id in crash_log */
  int slot, transfer, acct;
  int n, done;
  aiodb_future *f[4];
  fref refs[4];
  int calls[4];
  int err[4];
  double submitted, finished;
};

struct load {
  aiodb_db *db;
  int pg;
  unit **all; /* every unit submitted, kept to the end */
  size_t nall, cap;
  double resume[INFLIGHT]; /* a free slot's next submission; 0: busy */
  int inflight, submitting;
  long next_id;
  double t_back; /* the server serves again from here (0: not yet) */
  long ok_after;
  double first_ok_after, worst_ms;
  char odd[400]; /* the first error a dying server does not explain */
};

/* What a server that dies under a statement explains. */
static int expected(int code) {
  return code == 0 || code == AIODB_ECONNLOST || code == AIODB_ECONNECT ||
         code == AIODB_ETXABORTED || code == AIODB_EALREADYQUIT;
}

static void on_done(aiodb_future *f, void *ud);

static void watch(unit *u, int i, aiodb_future *f) {
  ck_assert_ptr_nonnull(f);
  u->f[i] = f;
  u->refs[i].u = u;
  u->refs[i].i = i;
  aiodb_future_on_done(f, on_done, &u->refs[i]);
}

static void submit(load *l, int slot) {
  unit *u = calloc(1, sizeof *u);
  ck_assert_ptr_nonnull(u);
  if (l->nall == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 1024;
    l->all = realloc(l->all, l->cap * sizeof *l->all);
    ck_assert_ptr_nonnull(l->all);
  }
  l->all[l->nall++] = u;
  u->l = l;
  u->slot = slot;
  u->id = l->next_id++;
  u->submitted = aiodb_test_now_ms();
  u->transfer = u->id % 2 == 0;
  u->acct = (int)(u->id / 2 % ACCOUNTS);
  l->resume[slot] = 0;
  l->inflight++;
  if (u->transfer) {
    aiodb_tx *tx = aiodb_begin(l->db);
    aiodb_value acct = aiodb_int(u->acct), log[2] = {aiodb_int(u->id), aiodb_int(u->acct)};
    ck_assert_ptr_nonnull(tx);
    /* a while between its two writes: the faults hit transactions half
     * done, which must then not be half applied */
    u->n = 4;
    watch(u, 0, aiodb_tx_query(tx, "UPDATE crash_acct SET bal = bal - 1 WHERE id = ?", &acct, 1));
    watch(u, 1, aiodb_tx_query(tx, l->pg ? "SELECT pg_sleep(0.005)" : "SELECT SLEEP(0.005)", NULL, 0));
    watch(u, 2, aiodb_tx_query(tx, "INSERT INTO crash_log (tx, acct) VALUES (?, ?)", log, 2));
    watch(u, 3, aiodb_commit(tx));
  } else {
    /* holds its connection a while: most of the 64 wait in the queue */
    u->n = 1;
    watch(u, 0, aiodb_query(l->db, l->pg ? "SELECT pg_sleep(0.01)" : "SELECT SLEEP(0.01)", NULL, 0));
  }
}

static void on_done(aiodb_future *f, void *ud) {
  fref *r = ud;
  unit *u = r->u;
  load *l = u->l;
  int i, ok = 1;
  if (++u->calls[r->i] != 1) return; /* found at the end */
  u->err[r->i] = aiodb_future_error(f);
  if (!expected(u->err[r->i]) && l->odd[0] == '\0')
    snprintf(l->odd, sizeof l->odd, "%s (SQLSTATE %s): %s", aiodb_err_name(u->err[r->i]),
             aiodb_future_sqlstate(f), aiodb_future_errmsg(f));
  /* the results are not needed: only the futures are kept */
  aiodb_result_free(aiodb_future_take_result(f));
  if (++u->done < u->n) return;
  u->finished = aiodb_test_now_ms();
  for (i = 0; i < u->n; i++) ok &= u->err[i] == 0;
  if (u->finished - u->submitted > l->worst_ms) l->worst_ms = u->finished - u->submitted;
  if (ok && l->t_back > 0 && u->submitted >= l->t_back && l->ok_after++ == 0)
    l->first_ok_after = u->finished;
  l->inflight--;
  /* a failing server fails fast: pause the slot, not to spin */
  l->resume[u->slot] = u->finished + (ok ? 0 : PAUSE_AFTER_FAIL_MS);
}

/* Runs the loop for up to ms, or until until(l) holds. */
static void pump(load *l, double ms, int (*until)(const load *)) {
  double end = aiodb_test_now_ms() + ms;
  while (aiodb_test_now_ms() < end && !(until && until(l))) {
    double now;
    int s;
    aiodb_cq_run_once(aiodb_db_cq(l->db), 10);
    now = aiodb_test_now_ms();
    for (s = 0; s < INFLIGHT && l->submitting; s++)
      if (l->resume[s] > 0 && l->resume[s] <= now) submit(l, s);
  }
}

/* ---- the faults, on a thread of their own while the load runs ---- */

typedef struct chaos chaos;
struct chaos {
  void (*fault)(chaos *);
  const char *url, *dir_env, *script_env;
  pthread_t thread;
  atomic_int done;
  double t_back;    /* the server serves again from here */
  int killed;       /* connections killed */
  char failed[1400]; /* why the fault could not be made, or "" */
};

static void *chaos_main(void *arg) {
  chaos *c = arg;
  c->fault(c);
  atomic_store(&c->done, 1);
  return NULL;
}

/* An admin connection of its own (socket URL, one connection). */
static aiodb_db *admin_open(const char *url) {
  aiodb_error err;
  char u[1024];
  aiodb_db *db;
  snprintf(u, sizeof u, "%s%smax_size=1", url, strchr(url, '?') ? "&" : "?");
  db = aiodb_open(u, NULL, &err);
  return db;
}

/* Runs sql until it succeeds (a server coming back), for 30 s at most;
 * returns its first cell, or -1. */
static int64_t admin_scalar(aiodb_db *db, const char *sql) {
  double end = aiodb_test_now_ms() + BOUND_MS;
  while (aiodb_test_now_ms() < end) {
    aiodb_future *f = aiodb_query(db, sql, NULL, 0);
    if (f != NULL && aiodb_future_wait(f, 30000) == 0 && aiodb_future_error(f) == 0) {
      int64_t v = aiodb_result_int(aiodb_future_result(f), 0, 0);
      aiodb_future_free(f);
      return v;
    }
    aiodb_future_free(f);
    usleep(50 * 1000);
  }
  return -1;
}

static void run_script(chaos *c, const char *action) {
  const char *script = getenv(c->script_env), *dir = getenv(c->dir_env);
  char cmd[1200];
  if (script == NULL || dir == NULL) {
    snprintf(c->failed, sizeof c->failed, "%s or %s is not set", c->script_env, c->dir_env);
    return;
  }
  snprintf(cmd, sizeof cmd, "bash '%s' %s '%s' >/dev/null", script, action, dir);
  if (system(cmd) != 0) snprintf(c->failed, sizeof c->failed, "%s %s failed", script, action);
}

/* The whole server, killed (PostgreSQL: every process quits at once;
 * MariaDB: SIGKILL), down for a second while the load goes on, then
 * started again on its data. */
static void fault_server(chaos *c) {
  run_script(c, "kill");
  usleep(1000 * 1000);
  if (c->failed[0] == '\0') run_script(c, "restart");
  c->t_back = aiodb_test_now_ms();
}

/* PostgreSQL: pg_terminate_backend of every backend of the pool, twice. */
static void fault_pg_terminate(chaos *c) {
  aiodb_db *admin = admin_open(c->url);
  int round;
  for (round = 0; round < 2 && admin != NULL; round++) {
    int64_t n = admin_scalar(admin,
                             "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                             "WHERE application_name = 'aiodb_crash_load'");
    if (n > 0) c->killed += (int)n;
    usleep(500 * 1000);
  }
  c->t_back = aiodb_test_now_ms();
  if (c->killed == 0) snprintf(c->failed, sizeof c->failed, "no backend was terminated");
  aiodb_db_free(admin);
}

/* Waits until a killed backend is gone and the postmaster has begun to
 * recover (ending every other backend), so that a server that answers
 * afterwards has recovered. */
static void backend_gone(int64_t pid) {
  int i;
  for (i = 0; i < 300 && kill((pid_t)pid, 0) == 0; i++) usleep(10 * 1000);
  usleep(300 * 1000);
}

/* PostgreSQL: SIGKILL of one backend of the pool. The postmaster then
 * ends every other backend and recovers, as after a crash. */
static void fault_pg_sigkill(chaos *c) {
  aiodb_db *admin = admin_open(c->url);
  int64_t pid = admin ? admin_scalar(admin,
                                     "SELECT pid FROM pg_stat_activity WHERE "
                                     "application_name = 'aiodb_crash_load' LIMIT 1")
                      : -1;
  if (pid <= 0 || kill((pid_t)pid, SIGKILL) != 0) {
    snprintf(c->failed, sizeof c->failed, "no backend to kill (%lld)", (long long)pid);
  } else {
    c->killed = 1;
    backend_gone(pid);
    /* back once it answers again (the admin's own connection died too) */
    if (admin_scalar(admin, "SELECT 1") != 1)
      snprintf(c->failed, sizeof c->failed, "the server did not come back");
  }
  c->t_back = aiodb_test_now_ms();
  aiodb_db_free(admin);
}

/* MariaDB: KILL CONNECTION of every connection of the pool, twice. */
static void fault_my_kill(chaos *c) {
  aiodb_db *admin = admin_open(c->url);
  int round;
  size_t i;
  for (round = 0; round < 2 && admin != NULL; round++) {
    aiodb_future *f = aiodb_query(admin,
                                  "SELECT id FROM information_schema.processlist WHERE "
                                  "user = 'aiodb' AND id <> CONNECTION_ID() AND command <> 'Daemon'",
                                  NULL, 0);
    aiodb_result *r;
    if (aiodb_future_wait(f, 30000) != 0 || aiodb_future_error(f) != 0) {
      aiodb_future_free(f);
      continue;
    }
    r = aiodb_future_result(f);
    for (i = 0; i < aiodb_result_rows(r); i++) {
      char sql[64];
      aiodb_future *k;
      snprintf(sql, sizeof sql, "KILL CONNECTION %lld", (long long)aiodb_result_int(r, i, 0));
      k = aiodb_query(admin, sql, NULL, 0);
      if (aiodb_future_wait(k, 30000) == 0 && aiodb_future_error(k) == 0) c->killed++;
      aiodb_future_free(k);
    }
    aiodb_future_free(f);
    usleep(500 * 1000);
  }
  c->t_back = aiodb_test_now_ms();
  if (c->killed == 0) snprintf(c->failed, sizeof c->failed, "no connection was killed");
  aiodb_db_free(admin);
}

/* ---- the case ---- */

static int served_again(const load *l) { return l->ok_after >= SERVED_AGAIN; }
static int drained(const load *l) { return l->inflight == 0; }

static const char *code_name(int code) { return code ? aiodb_err_name(code) : "ok"; }

static void crash_case(const char *dir_env, const char *script_env, int pg, const char *what,
                       void (*fault)(chaos *)) {
  const char *url = server_url(dir_env);
  aiodb_db *admin;
  load l;
  chaos c;
  char opts[256], *logged;
  aiodb_future *f;
  aiodb_result *r;
  size_t i;
  int k, codes[20] = {0};
  char killed[32] = "";
  long transfers = 0, committed = 0, unknown = 0, unknown_in = 0, futures = 0;
  if (url == NULL) return;

  /* the accounts and the log, afresh, on a server that is up (a case
   * that died before its server was back must not fail the next) */
  admin = aiodb_test_open_with(url, "max_size=1");
  f = aiodb_query(admin, "SELECT 1", NULL, 0);
  if (aiodb_future_wait(f, 30000) == 0 && aiodb_future_error(f) == AIODB_ECONNECT) {
    memset(&c, 0, sizeof c);
    c.dir_env = dir_env;
    c.script_env = script_env;
    run_script(&c, "restart");
    ck_assert_msg(c.failed[0] == '\0', "%s", c.failed);
  }
  aiodb_future_free(f);
  aiodb_test_exec(admin, "DROP TABLE IF EXISTS crash_log");
  aiodb_test_exec(admin, "DROP TABLE IF EXISTS crash_acct");
  aiodb_test_exec(admin, "CREATE TABLE crash_acct (id INT PRIMARY KEY, bal BIGINT NOT NULL)");
  aiodb_test_exec(admin, "CREATE TABLE crash_log (tx BIGINT PRIMARY KEY, acct INT NOT NULL)");
  for (k = 0; k < ACCOUNTS; k++) {
    aiodb_value v[2] = {aiodb_int(k), aiodb_int(START_BAL)};
    aiodb_future_free(aiodb_test_ok(aiodb_query(admin, "INSERT INTO crash_acct VALUES (?, ?)", v, 2)));
  }
  aiodb_db_free(admin);

  memset(&l, 0, sizeof l);
  l.pg = pg;
  /* PostgreSQL: a commit is acknowledged once its WAL is written
   * (synchronous_commit; the server itself runs with it off). MariaDB's
   * test server writes its log at each commit
   * (innodb_flush_log_at_trx_commit=2): both survive the server process's
   * death, which is what is killed here, not the machine. */
  snprintf(opts, sizeof opts, "max_size=8&min_size=8%s",
           pg ? "&application_name=aiodb_crash_load&options=-c%20synchronous_commit%3Don" : "");
  l.db = aiodb_test_open_with(url, opts);
  if (pg) {
    f = aiodb_test_ok(aiodb_query(l.db, "SHOW synchronous_commit", NULL, 0));
    ck_assert_str_eq(aiodb_result_text(aiodb_future_result(f), 0, 0), "on");
    aiodb_future_free(f);
  } else {
    int64_t flush = aiodb_test_scalar(l.db, "SELECT @@innodb_flush_log_at_trx_commit");
    ck_assert(flush == 1 || flush == 2);
  }

  l.submitting = 1;
  for (k = 0; k < INFLIGHT; k++) submit(&l, k);
  pump(&l, 1000, NULL);
  ck_assert_int_gt(l.nall, INFLIGHT);

  memset(&c, 0, sizeof c);
  c.fault = fault;
  c.url = url;
  c.dir_env = dir_env;
  c.script_env = script_env;
  ck_assert_int_eq(pthread_create(&c.thread, NULL, chaos_main, &c), 0);
  while (!atomic_load(&c.done)) pump(&l, 10, NULL);
  pthread_join(c.thread, NULL);
  ck_assert_msg(c.failed[0] == '\0', "%s", c.failed);
  l.t_back = c.t_back;
  pump(&l, BOUND_MS, served_again);
  l.submitting = 0;
  pump(&l, BOUND_MS, drained);

  if (c.killed > 0) snprintf(killed, sizeof killed, " (%d killed)", c.killed);

  /* every future's callback ran, once, in time */
  ck_assert_int_eq(l.inflight, 0);
  for (i = 0; i < l.nall; i++) {
    unit *u = l.all[i];
    for (k = 0; k < u->n; k++) {
      ck_assert_msg(u->calls[k] == 1, "unit %ld future %d: %d callbacks", u->id, k, u->calls[k]);
      ck_assert_int_eq(aiodb_future_done(u->f[k]), 1);
      codes[-u->err[k] < 20 ? -u->err[k] : 0]++;
      futures++;
    }
    ck_assert_msg(u->finished - u->submitted < BOUND_MS, "unit %ld took %.0f ms", u->id,
                  u->finished - u->submitted);
  }
  ck_assert_int_ge(l.ok_after, SERVED_AGAIN);

  /* the invariants, on the server as it came back */
  admin = aiodb_test_open_with(url, "max_size=1");
  ck_assert_int_eq(aiodb_test_scalar_after_restart(admin, "SELECT count(*) FROM crash_acct"), ACCOUNTS);
  ck_assert_int_eq(aiodb_test_scalar(admin,
                                     "SELECT count(*) FROM crash_acct a WHERE a.bal + (SELECT "
                                     "count(*) FROM crash_log g WHERE g.acct = a.id) <> 1000000"),
                   0);
  logged = calloc((size_t)l.next_id + 1, 1);
  ck_assert_ptr_nonnull(logged);
  f = aiodb_test_ok(aiodb_query(admin, "SELECT tx FROM crash_log", NULL, 0));
  r = aiodb_future_result(f);
  for (i = 0; i < aiodb_result_rows(r); i++) {
    int64_t tx = aiodb_result_int(r, i, 0);
    ck_assert(tx >= 0 && tx < l.next_id);
    logged[tx] = 1;
  }
  aiodb_future_free(f);
  aiodb_db_free(admin);
  for (i = 0; i < l.nall; i++) {
    unit *u = l.all[i];
    int commit;
    if (!u->transfer) continue;
    transfers++;
    commit = u->err[3];
    if (commit == 0) {
      committed++;
      ck_assert_msg(logged[u->id], "transfer %ld: its commit completed with 0, but it is gone",
                    u->id);
    } else if (commit == AIODB_ECONNLOST) {
      /* the connection died under the COMMIT: either way */
      unknown++;
      unknown_in += logged[u->id];
    } else {
      ck_assert_msg(!logged[u->id], "transfer %ld: its commit failed (%s), but it is there",
                    u->id, aiodb_err_name(commit));
    }
  }
  free(logged);

  fprintf(stderr,
          "crash: %s: %s%s: %zu units (%ld transfers), %ld futures, each called back "
          "once; slowest unit %.0f ms; first success %.0f ms after the server was back; "
          "%ld commits acknowledged, all there after; %ld lost with their connection (%ld "
          "of them applied); outcomes:",
          pg ? "pg" : "mysql", what, killed, l.nall, transfers, futures, l.worst_ms,
          l.first_ok_after - l.t_back, committed, unknown, unknown_in);
  for (k = 0; k < 20; k++)
    if (codes[k]) fprintf(stderr, " %s %d", code_name(-k), codes[k]);
  fprintf(stderr, "\n");
  /* only what a dying server explains */
  for (k = 0; k < 20; k++)
    ck_assert_msg(codes[k] == 0 || expected(-k), "%d futures failed with %s; the first: %s",
                  codes[k], aiodb_err_name(-k), l.odd);

  for (i = 0; i < l.nall; i++) {
    unit *u = l.all[i];
    for (k = 0; k < u->n; k++) aiodb_future_free(u->f[k]);
    free(u);
  }
  free(l.all);
  aiodb_db_free(l.db);
  aiodb_test_clean_shutdown();
}

/* ---- a connect to a server that is not there closes its socket once ----
 *
 * MariaDB Connector/C's non-blocking connect (3.3.20) closes a unix socket
 * twice when the connect fails (no socket file: the server is stopped; or
 * a refused one: it was killed). The second close() can hit a descriptor
 * that another thread has just opened: while a pool reconnects to a server
 * that is down, another connection's socket or eventfd. A shim around
 * close() counts the closes of a descriptor that was not open. */

static atomic_long bad_closes;

/* lib/pool_policy.c's look at idle sockets, every so many ms. */
extern int aiodb__pool_sweep_ms;

__attribute__((visibility("default"))) int close(int fd) {
  static int (*_Atomic next)(int);
  int (*real)(int) = atomic_load(&next);
  int rc, saved;
  if (real == NULL) {
    *(void **)&real = dlsym(RTLD_NEXT, "close");
    atomic_store(&next, real);
  }
  rc = real(fd);
  saved = errno;
  if (rc != 0 && saved == EBADF) atomic_fetch_add(&bad_closes, 1);
  errno = saved;
  return rc;
}

static void connect_fails_once(const char *sock_path, int *code) {
  char url[700];
  aiodb_db *db;
  aiodb_future *f;
  snprintf(url, sizeof url, "mysql://aiodb:pw@localhost/aiodb?unix_socket=%s&connect_timeout=5",
           sock_path);
  db = aiodb_test_open_with(url, NULL);
  f = aiodb_query(db, "SELECT 1", NULL, 0);
  ck_assert_int_eq(aiodb_future_wait(f, 30000), 0);
  *code = aiodb_future_error(f);
  aiodb_future_free(f);
  aiodb_db_free(db);
}

START_TEST(crash_my_connect_to_no_server) {
#if defined(AIODB_HAVE_MYSQL)
  const char *missing = aiodb_test_path(".sock"), *stale = aiodb_test_path(".sock");
  struct sockaddr_un a;
  long before;
  int fd, code, i;

  /* a socket file nobody listens on any more: a killed server's */
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  ck_assert_uint_lt(strlen(stale), sizeof a.sun_path);
  strcpy(a.sun_path, stale);
  fd = socket(AF_UNIX, SOCK_STREAM, 0);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  ck_assert_int_eq(close(fd), 0);

  before = atomic_load(&bad_closes);
  for (i = 0; i < 3; i++) {
    connect_fails_once(missing, &code);
    ck_assert_int_eq(code, AIODB_ECONNECT);
    connect_fails_once(stale, &code);
    ck_assert_int_eq(code, AIODB_ECONNECT);
  }
  ck_assert_msg(atomic_load(&bad_closes) == before,
                "%ld close() calls of a descriptor that was not open",
                atomic_load(&bad_closes) - before);
  unlink(stale);
  aiodb_test_clean_shutdown();
#endif
}
END_TEST

/* PostgreSQL: a backend that quits (SIGQUIT: it sends a warning, then
 * closes; the server then recovers, as after a crash) while its connection
 * is idle over a unix socket. The next statement, one not prepared yet,
 * finds the connection closed: libpq fails the PQprepare without marking
 * the connection bad. It must fail as a lost connection, and the
 * connection must be replaced: the statement after it runs. */
START_TEST(crash_pg_backend_quits_before_prepare) {
  const char *url = server_url(PGF);
  aiodb_db *db, *admin;
  aiodb_future *f;
  int64_t pid;
  int round;
  char sql[64];
  if (url == NULL) return;
  /* The pool would find the closed socket first and replace the
   * connection before the statement (lib/pool_policy.c): off, so that the
   * statement meets it. */
  aiodb__pool_sweep_ms = 1000000;
  db = aiodb_test_open_with(url, "max_size=1&idle_check_ms=0");
  /* a few rounds: whether the warning is read first is up to timing */
  for (round = 0; round < 3; round++) {
    pid = aiodb_test_scalar(db, "SELECT pg_backend_pid()");
    ck_assert_int_eq(kill((pid_t)pid, SIGQUIT), 0);
    backend_gone(pid);
    /* back once it answers again */
    admin = aiodb_test_open_with(url, "max_size=1");
    ck_assert_int_eq(admin_scalar(admin, "SELECT 1"), 1);
    aiodb_db_free(admin);

    snprintf(sql, sizeof sql, "SELECT %d + 1", round); /* never prepared */
    f = aiodb_query(db, sql, NULL, 0);
    ck_assert_int_eq(aiodb_future_wait(f, 30000), 0);
    ck_assert_msg(aiodb_future_error(f) == AIODB_ECONNLOST, "%s (SQLSTATE %s): %s",
                  aiodb_err_name(aiodb_future_error(f)), aiodb_future_sqlstate(f),
                  aiodb_future_errmsg(f));
    ck_assert_str_eq(aiodb_future_sqlstate(f), "08006");
    aiodb_future_free(f);
    ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 43"), 43);
  }
  aiodb_test_done(db);
}
END_TEST

/* The faults, each a case of its own (named by tcase). */
static const struct crash_fault {
  const char *tcase;
  const char *dir_env, *script_env;
  int pg;
  const char *what;
  void (*fault)(chaos *);
} crash_faults[] = {
    {"crash_pg_terminate_backends", PGF, "AIODB_TEST_PG_SCRIPT", 1,
     "pg_terminate_backend of the pool's backends", fault_pg_terminate},
    {"crash_pg_sigkill_backend", PGF, "AIODB_TEST_PG_SCRIPT", 1,
     "SIGKILL of a backend (the server recovers)", fault_pg_sigkill},
    {"crash_pg_server", PGF, "AIODB_TEST_PG_SCRIPT", 1, "the server killed, restarted 1 s later",
     fault_server},
    {"crash_my_kill_connections", MYF, "AIODB_TEST_MYSQL_SCRIPT", 0,
     "KILL CONNECTION of the pool's connections", fault_my_kill},
    {"crash_my_server", MYF, "AIODB_TEST_MYSQL_SCRIPT", 0, "the server killed, restarted 1 s later",
     fault_server},
};

START_TEST(crash_under_load) {
  const struct crash_fault *c = &crash_faults[_i];
  crash_case(c->dir_env, c->script_env, c->pg, c->what, c->fault);
}
END_TEST

Suite *aiodb_suite_crash(void) {
  Suite *s = suite_create("crash");
  int i;
  AIODB_TCASE(s, crash_my_connect_to_no_server);
  AIODB_TCASE(s, crash_pg_backend_quits_before_prepare);
  for (i = 0; i < (int)(sizeof crash_faults / sizeof crash_faults[0]); i++)
    AIODB_TCASE_ROW(s, crash_faults[i].tcase, crash_under_load, i, AIODB_TEST_TIMEOUT);
  return s;
}
