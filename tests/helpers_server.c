/* Test helpers for the suites on a server: its URLs, cases every server
 * suite runs (restart, network settings, a big cursor), and a server that
 * never answers. */
#include "helpers.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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

void aiodb_test_report_one_call_each(aiodb_db *db, const char *sql, const aiodb_value *rows,
                                     int n, double many_ms, const char *who) {
  double t0 = aiodb_test_now_ms();
  int i;
  for (i = 0; i < n; i++) aiodb_future_free(aiodb_test_ok(aiodb_query(db, sql, &rows[i], 1)));
  fprintf(stderr, "%s: %d inserts: query_many %.1f ms, one at a time %.1f ms\n", who, n,
          many_ms, aiodb_test_now_ms() - t0);
}

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

/* Binds socket fd to a free port on 127.0.0.1; returns the port. */
static unsigned bind_loopback(int fd) {
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  ck_assert_int_ge(fd, 0);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
  return ntohs(a.sin_port);
}

unsigned aiodb_test_closed_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  unsigned port = bind_loopback(fd);
  close(fd);
  return port;
}

void aiodb_test_silent_start(aiodb_test_silent *s) {
  memset(s, 0, sizeof *s);
  s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  s->port = bind_loopback(s->fd);
  ck_assert_int_eq(listen(s->fd, 16), 0);
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
