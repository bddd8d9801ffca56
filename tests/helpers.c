#include "helpers.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

Suite *aiodb_test_add_case(Suite *s, const TTest *t, int seconds) {
  TCase *tc = tcase_create(t->name);
  tcase_set_timeout(tc, seconds);
  tcase_add_test(tc, t);
  suite_add_tcase(s, tc);
  return s;
}

Suite *aiodb_test_add_cases(Suite *s, const TTest *const *tests, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) aiodb_test_add_case(s, tests[i], AIODB_TEST_TIMEOUT);
  return s;
}

const char *aiodb_test_tmpdir(void) {
  static char dir[512];
  if (dir[0] == '\0') {
    const char *env = getenv("AIODB_TEST_TMP");
    snprintf(dir, sizeof dir, "%s", env && *env ? env : "/tmp/aiodb-test");
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
      ck_abort_msg("cannot create %s: %s", dir, strerror(errno));
  }
  return dir;
}

const char *aiodb_test_path(const char *suffix) {
  static char bufs[8][600];
  static unsigned counter, slot;
  char *b = bufs[slot++ % 8];
  snprintf(b, sizeof bufs[0], "%s/t%ld-%u%s", aiodb_test_tmpdir(), (long)getpid(),
           counter++, suffix ? suffix : "");
  unlink(b);
  return b;
}

const char *aiodb_test_sqlite_url(void) {
  static char bufs[8][700];
  static unsigned slot;
  char *b = bufs[slot++ % 8];
  const char *p = aiodb_test_path(".db");
  /* sqlite:/// + "/abs" gives the absolute form sqlite:////abs */
  snprintf(b, sizeof bufs[0], "sqlite:///%s", p);
  return b;
}

aiodb_future *aiodb_test_ok(aiodb_future *f) {
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(aiodb_future_wait(f, -1), 0);
  ck_assert_msg(aiodb_future_error(f) == 0, "future failed: %s (%s)",
                aiodb_future_errmsg(f), aiodb_err_name(aiodb_future_error(f)));
  return f;
}

void aiodb_test_free_n(aiodb_future *const *fs, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) aiodb_future_free(fs[i]);
}

int aiodb_test_err(aiodb_future *f) {
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(aiodb_future_wait(f, -1), 0);
  return aiodb_future_error(f);
}

void aiodb_test_fails_at(const char *file, int line, aiodb_future *f, int code,
                         const char *text, int whole) {
  const char *msg;
  int rc;
  ck_assert_msg(f != NULL, "%s:%d: the call returned NULL", file, line);
  ck_assert_int_eq(aiodb_future_wait(f, -1), 0);
  rc = aiodb_future_error(f);
  ck_assert_msg(rc == code, "%s:%d: %s, not %s: %s", file, line, aiodb_err_name(rc),
                aiodb_err_name(code), aiodb_future_errmsg(f));
  msg = aiodb_future_errmsg(f);
  if (whole)
    ck_assert_msg(strcmp(msg, text) == 0, "%s:%d: the message is '%s', not '%s'", file, line,
                  msg, text);
  else if (text != NULL)
    ck_assert_msg(strstr(msg, text) != NULL, "%s:%d: '%s' is not in the message: %s", file,
                  line, text, msg);
  aiodb_future_free(f);
}

void aiodb_test_fails_as_at(const char *file, int line, aiodb_future *f, int code,
                            const char *sqlstate, int native) {
  ck_assert_msg(f != NULL, "%s:%d: the call returned NULL", file, line);
  ck_assert_int_eq(aiodb_future_wait(f, -1), 0);
  ck_assert_msg(aiodb_future_error(f) == code && strcmp(aiodb_future_sqlstate(f), sqlstate) == 0 &&
                    (native == 0 || aiodb_future_native_code(f) == native),
                "%s:%d: %s (SQLSTATE %s, native %d), not %s (%s, %d): %s", file, line,
                aiodb_err_name(aiodb_future_error(f)), aiodb_future_sqlstate(f),
                aiodb_future_native_code(f), aiodb_err_name(code), sqlstate, native,
                aiodb_future_errmsg(f));
  aiodb_future_free(f);
}

size_t aiodb_test_next_rows(aiodb_cursor *c, aiodb_future **keep) {
  aiodb_future *f = aiodb_test_ok(aiodb_cursor_next(c));
  size_t n = aiodb_result_rows(aiodb_future_result(f));
  if (keep)
    *keep = f;
  else
    aiodb_future_free(f);
  return n;
}

const char *aiodb_test_server_file(const char *dir_env, const char *name) {
  static char bufs[4][512];
  static unsigned slot;
  char *buf = bufs[slot++ % 4];
  const char *dir = getenv(dir_env);
  char path[600];
  FILE *fp;
  size_t n;

  ck_assert_msg(dir != NULL, "%s is not set", dir_env);
  snprintf(path, sizeof path, "%s/%s", dir, name);
  fp = fopen(path, "r");
  if (fp == NULL) return NULL;
  n = fread(buf, 1, sizeof bufs[0] - 1, fp);
  fclose(fp);
  buf[n] = '\0';
  buf[strcspn(buf, "\n")] = '\0';
  n = strlen(buf);
  while (n > 0 && buf[n - 1] == ' ') buf[--n] = '\0';
  return buf;
}

const char *aiodb_test_server_url(const char *dir_env) {
  const char *u = aiodb_test_server_file(dir_env, "socket_url");
  const char *ci = getenv("CI");
  if (u == NULL && ci != NULL && strcmp(ci, "true") == 0)
    ck_abort_msg("no test server in %s under CI", dir_env);
  if (u == NULL) fprintf(stderr, "skipped: no server in %s\n", dir_env);
  return u;
}

void aiodb_test_open_fails(const char *url, const aiodb_options *o, int code,
                           const char *needle) {
  aiodb_error err;
  memset(&err, 0x5a, sizeof err);
  ck_assert_msg(aiodb_open(url, o, &err) == NULL, "%s opened", url);
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

aiodb_db *aiodb_test_open_with(const char *base, const char *opts) {
  char url[1024];
  aiodb_error err;
  aiodb_db *db;
  snprintf(url, sizeof url, "%s%s%s", base,
           opts ? (strchr(base, '?') ? "&" : "?") : "", opts ? opts : "");
  db = aiodb_open(url, NULL, &err);
  ck_assert_msg(db != NULL, "aiodb_open: %s", err.message);
  return db;
}

int aiodb_test_connect_fails(const char *base, const char *opts, const char *needle,
                             const char *secret) {
  aiodb_db *db = aiodb_test_open_with(base, opts);
  aiodb_future *f = aiodb_query(db, "SELECT 1", NULL, 0);
  const char *msg;
  int native;
  ck_assert_int_eq(aiodb_test_err(f), AIODB_ECONNECT);
  msg = aiodb_future_errmsg(f);
  if (needle != NULL) ck_assert_msg(strstr(msg, needle) != NULL, "'%s' lacks '%s'", msg, needle);
  if (secret != NULL) ck_assert_msg(strstr(msg, secret) == NULL, "'%s' tells '%s'", msg, secret);
  native = aiodb_future_native_code(f);
  aiodb_future_free(f);
  aiodb_db_free(db);
  return native;
}

int aiodb_test_wrong_password_fails(const char *tcp_url, const char *needle) {
  char url[1024], *at;
  snprintf(url, sizeof url, "%s", tcp_url);
  at = strstr(url, "aiodb-test-pw");
  ck_assert_ptr_nonnull(at);
  memcpy(at, "zzzzz-wrong-", 12);
  return aiodb_test_connect_fails(url, NULL, needle, "zzzzz-wrong-");
}

long aiodb_test_count_cursor(aiodb_cursor *c) {
  long total = 0, n;
  do {
    aiodb_future *f = aiodb_test_ok(aiodb_cursor_next(c));
    n = (long)aiodb_result_rows(aiodb_future_result(f));
    if (n > 0) ck_assert_int_eq(aiodb_result_int(aiodb_future_result(f), 0, 0), total + 1);
    total += n;
    aiodb_future_free(f);
  } while (n > 0);
  return total;
}

void aiodb_test_restart_server(const char *script_env, const char *dir_env) {
  const char *script = getenv(script_env), *dir = getenv(dir_env);
  char cmd[1200];
  ck_assert_msg(script != NULL && dir != NULL, "%s or %s is not set", script_env, dir_env);
  snprintf(cmd, sizeof cmd, "bash '%s' restart '%s' >/dev/null", script, dir);
  ck_assert_int_eq(system(cmd), 0);
}

void aiodb_test_big_cursor_is_bounded(aiodb_db *db, const char *sql, const char *who) {
#if defined(AIODB_TEST_SANITIZED)
  const long rows = 100000;
#else
  const long rows = 1000000;
#endif
  aiodb_value lim = aiodb_int(rows);
  aiodb_cursor *c = aiodb_iterate(db, sql, &lim, 1, 1000);
  long before = aiodb_test_peak_rss_kb(), total, growth;
  ck_assert_ptr_nonnull(c);
  total = aiodb_test_count_cursor(c);
  aiodb_cursor_free(c);
  growth = aiodb_test_peak_rss_kb() - before;
  ck_assert_int_eq(total, rows);
  fprintf(stderr, "%s cursor: %ld rows of ~110 bytes in batches of 1000: peak RSS grew %ld KiB\n",
          who, total, growth);
#if !defined(AIODB_TEST_SANITIZED)
  ck_assert_msg(growth < 16 * 1024, "peak RSS grew %ld KiB", growth);
#endif
}

void aiodb_test_restart_mid_query(const char *slow_sql, const char *script_env,
                                  const char *dir_env) {
  const char *url = aiodb_test_server_file(dir_env, "socket_url");
  aiodb_db *db;
  aiodb_future *slow;
  ck_assert_msg(url != NULL, "no test server in %s", dir_env);
  db = aiodb_test_open_with(url, "max_size=2&min_size=2");
  aiodb_future_free(aiodb_test_ok(aiodb_query(db, "SELECT 1", NULL, 0)));
  slow = aiodb_query(db, slow_sql, NULL, 0);
  aiodb_future_wait(slow, 300);
  aiodb_test_restart_server(script_env, dir_env);
  ck_assert_int_eq(aiodb_test_err(slow), AIODB_ECONNLOST);
  ck_assert_ptr_null(strchr(aiodb_future_errmsg(slow), '\n'));
  aiodb_future_free(slow);
  /* both connections died with the server: calls fail on the idle one,
   * then fresh connections serve; within a few calls all succeed */
  ck_assert_int_eq(aiodb_test_scalar_after_restart(db, "SELECT 42"), 42);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 7"), 7);
  aiodb_db_free(db);
}

int64_t aiodb_test_scalar_after_restart(aiodb_db *db, const char *sql) {
  int i;
  for (i = 0;; i++) {
    aiodb_future *f = aiodb_query(db, sql, NULL, 0);
    if (aiodb_test_err(f) == 0) {
      int64_t v = aiodb_result_int(aiodb_future_result(f), 0, 0);
      aiodb_future_free(f);
      return v;
    }
    ck_assert_int_eq(aiodb_future_error(f), AIODB_ECONNLOST);
    aiodb_future_free(f);
    ck_assert_int_lt(i, 4);
  }
}

void aiodb_test_large_values(size_t n, unsigned char **blob, char **text) {
  size_t i;
  *blob = malloc(n);
  *text = malloc(n + 1);
  ck_assert_ptr_nonnull(*blob);
  ck_assert_ptr_nonnull(*text);
  for (i = 0; i < n; i++) {
    (*blob)[i] = (unsigned char)(i * 7919u >> 3);
    (*text)[i] = (char)('a' + i % 26);
  }
  (*text)[n] = '\0';
}

void aiodb_test_cell_is(aiodb_result *r, size_t row, size_t col, const void *want, size_t n,
                        int text) {
  ck_assert_uint_eq(aiodb_result_len(r, row, col), n);
  if (text)
    ck_assert_int_eq(memcmp(aiodb_result_text(r, row, col), want, n + 1), 0);
  else
    ck_assert_int_eq(memcmp(aiodb_result_blob(r, row, col), want, n), 0);
}

int64_t aiodb_test_has_table(aiodb_db *db, const char *name) {
  aiodb_future *f = aiodb_test_ok(aiodb_has_table(db, name));
  int64_t v = aiodb_result_int(aiodb_future_result(f), 0, 0);
  ck_assert_uint_eq(aiodb_result_rows(aiodb_future_result(f)), 1);
  aiodb_future_free(f);
  return v;
}

int64_t aiodb_test_scalar(aiodb_db *db, const char *sql) {
  aiodb_future *f = aiodb_test_ok(aiodb_query(db, sql, NULL, 0));
  int64_t v = aiodb_result_int(aiodb_future_result(f), 0, 0);
  aiodb_future_free(f);
  return v;
}

void aiodb_test_exec(aiodb_db *db, const char *sql) {
  aiodb_future_free(aiodb_test_ok(aiodb_query(db, sql, NULL, 0)));
}

void aiodb_test_execf(aiodb_db *db, const char *fmt, ...) {
  char sql[2048];
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(sql, sizeof sql, fmt, ap);
  va_end(ap);
  ck_assert_msg(n >= 0 && (size_t)n < sizeof sql, "SQL too long: %s", fmt);
  aiodb_test_exec(db, sql);
}

void aiodb_test_report_one_call_each(aiodb_db *db, const char *sql, const aiodb_value *rows,
                                     int n, double many_ms, const char *who) {
  double t0 = aiodb_test_now_ms();
  int i;
  for (i = 0; i < n; i++) aiodb_future_free(aiodb_test_ok(aiodb_query(db, sql, &rows[i], 1)));
  fprintf(stderr, "%s: %d inserts: query_many %.1f ms, one at a time %.1f ms\n", who, n,
          many_ms, aiodb_test_now_ms() - t0);
}

void aiodb_test_clean_shutdown(void) {
  int i;
  /* A cancel or KILL thread stuck on a server that stopped answering is
   * left by aiodb_db_free to end on its own and free its state (a
   * documented bound, at most its network timeouts): wait for it. */
  for (i = 0; i < 2000; i++) {
    aiodb__pools_trim();
    if (aiodb__alloc_live() == 0) return;
    usleep(10000);
  }
  ck_assert_msg(aiodb__alloc_live() == 0, "%ld aiodb allocations still live",
                aiodb__alloc_live());
}

void aiodb_test_hold_calls(aiodb_test_hold *h, long ms) {
  pthread_mutex_lock(&h->m);
  h->hold = 1;
  h->hold_ms = ms;
  pthread_mutex_unlock(&h->m);
}

void aiodb_test_hold_release(aiodb_test_hold *h) {
  pthread_mutex_lock(&h->m);
  h->hold = 0;
  pthread_cond_broadcast(&h->c);
  pthread_mutex_unlock(&h->m);
}

void aiodb_test_hold_point(aiodb_test_hold *h) {
  struct timespec until;
  int rc = 0;
  pthread_mutex_lock(&h->m);
  if (h->hold) {
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += h->hold_ms / 1000;
    until.tv_nsec += (h->hold_ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000;
    }
    h->entered++;
    pthread_cond_broadcast(&h->c);
  }
  while (h->hold && rc != ETIMEDOUT)
    rc = h->hold_ms < 0 ? pthread_cond_wait(&h->c, &h->m)
                        : pthread_cond_timedwait(&h->c, &h->m, &until);
  pthread_mutex_unlock(&h->m);
}

int aiodb_test_hold_wait_entered(aiodb_test_hold *h, int n) {
  double until = aiodb_test_now_ms() + 2000;
  int got;
  pthread_mutex_lock(&h->m);
  while (h->entered < n && aiodb_test_now_ms() < until) {
    pthread_mutex_unlock(&h->m);
    usleep(1000);
    pthread_mutex_lock(&h->m);
  }
  got = h->entered;
  pthread_mutex_unlock(&h->m);
  return got;
}

void aiodb_test_done(aiodb_db *db) {
  aiodb_db_free(db);
  aiodb_test_clean_shutdown();
}

void aiodb_test_gate_init(aiodb_test_gate *g) {
  pthread_mutex_init(&g->m, NULL);
  pthread_cond_init(&g->c, NULL);
  g->hold = 1;
  g->hold_ms = -1;
  g->entered = 0;
}

int aiodb_test_gate_fn(void *native, void *ud) {
  (void)native;
  aiodb_test_hold_point(ud);
  return 7;
}

void aiodb_test_gate_wait_entered(aiodb_test_gate *g) {
  pthread_mutex_lock(&g->m);
  while (!g->entered) pthread_cond_wait(&g->c, &g->m);
  pthread_mutex_unlock(&g->m);
}

aiodb_future *aiodb_test_gate_hold(aiodb_db *db, aiodb_test_gate *g) {
  aiodb_future *run;
  aiodb_test_gate_init(g);
  run = aiodb_db_run(db, aiodb_test_gate_fn, g);
  aiodb_test_gate_wait_entered(g);
  return run;
}

void aiodb_test_gate_open(aiodb_test_gate *g) { aiodb_test_hold_release(g); }

void aiodb_test_gate_destroy(aiodb_test_gate *g) {
  pthread_mutex_destroy(&g->m);
  pthread_cond_destroy(&g->c);
}

double aiodb_test_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static atomic_long alloc_budget;

static void *failing_malloc(size_t n) {
  if (atomic_fetch_sub(&alloc_budget, 1) <= 0) return NULL;
  return malloc(n);
}

static void *failing_realloc(void *p, size_t n) {
  if (atomic_fetch_sub(&alloc_budget, 1) <= 0) return NULL;
  return realloc(p, n);
}

void aiodb_test_fail_allocs_after(long n) {
  atomic_store(&alloc_budget, n);
  aiodb_set_allocator(failing_malloc, failing_realloc, NULL);
}

long aiodb_test_peak_rss_kb(void) {
  FILE *fp = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  while (fp && fgets(line, sizeof line, fp))
    if (strncmp(line, "VmHWM:", 6) == 0) kb = atol(line + 6);
  if (fp) fclose(fp);
  return kb;
}

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

static int tcp_int(int fd, int level, int name) {
  int v = -1;
  socklen_t len = sizeof v;
  ck_assert_int_eq(getsockopt(fd, level, name, &v, &len), 0);
  return v;
}

void aiodb_test_net_read_tcp(int fd, aiodb_test_net *n) {
  n->keepalive = tcp_int(fd, SOL_SOCKET, SO_KEEPALIVE);
  n->idle = tcp_int(fd, IPPROTO_TCP, TCP_KEEPIDLE);
  n->interval = tcp_int(fd, IPPROTO_TCP, TCP_KEEPINTVL);
  n->count = tcp_int(fd, IPPROTO_TCP, TCP_KEEPCNT);
  n->user_timeout = (unsigned)tcp_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT);
}

static void net_expect(const char *tcp_url, const char *opts, aiodb_run_fn probe, int idle,
                       int count, unsigned user_timeout, const char *connect_timeout) {
  aiodb_db *db = aiodb_test_open_with(tcp_url, opts);
  aiodb_test_net n;
  memset(&n, 0, sizeof n);
  aiodb_future_free(aiodb_test_ok(aiodb_db_run(db, probe, &n)));
  ck_assert_msg(n.keepalive == 1 && n.idle == idle && n.interval == 10 && n.count == count &&
                    n.user_timeout == user_timeout &&
                    strcmp(n.connect_timeout, connect_timeout) == 0,
                "%s: keepalive %d, idle %d s, interval %d s, count %d, user timeout %u ms, "
                "connect timeout '%s' s; expected 1, %d, 10, %d, %u, '%s'",
                opts ? opts : "no options", n.keepalive, n.idle, n.interval, n.count,
                n.user_timeout, n.connect_timeout, idle, count, user_timeout, connect_timeout);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 6 * 7"), 42);
  aiodb_db_free(db);
}

void aiodb_test_network_defaults(const char *tcp_url, aiodb_run_fn probe) {
  net_expect(tcp_url, NULL, probe, 60, 6, 120000, "10");
  net_expect(tcp_url, "keepalives_idle=30&keepalives_count=3&tcp_user_timeout=0&connect_timeout=4",
             probe, 30, 3, 0, "4");
}

static void *silent_main(void *arg) {
  aiodb_test_silent *s = arg;
  struct pollfd p[2] = {{s->fd, POLLIN, 0}, {s->wake[0], POLLIN, 0}};
  for (;;) {
    if (poll(p, 2, -1) < 0 && errno != EINTR) break;
    if (p[1].revents) break;
    if (p[0].revents) {
      int c = accept(s->fd, NULL, NULL);
      if (c >= 0 && s->nconns < (int)(sizeof s->conns / sizeof s->conns[0]))
        s->conns[s->nconns++] = c;
      else if (c >= 0)
        close(c);
    }
  }
  return NULL;
}

void aiodb_test_silent_start(aiodb_test_silent *s) {
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  memset(s, 0, sizeof *s);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ck_assert_int_ge(s->fd, 0);
  ck_assert_int_eq(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
  ck_assert_int_eq(listen(s->fd, 16), 0);
  ck_assert_int_eq(getsockname(s->fd, (struct sockaddr *)&a, &len), 0);
  s->port = ntohs(a.sin_port);
  ck_assert_int_eq(pipe(s->wake), 0);
  ck_assert_int_eq(pthread_create(&s->thread, NULL, silent_main, s), 0);
}

void aiodb_test_silent_stop(aiodb_test_silent *s) {
  int i;
  ck_assert_int_eq(write(s->wake[1], "x", 1), 1);
  pthread_join(s->thread, NULL);
  for (i = 0; i < s->nconns; i++) close(s->conns[i]);
  close(s->fd);
  close(s->wake[0]);
  close(s->wake[1]);
}
