/* Failover: host lists in both URL forms, target_session_attrs, a first
 * host that is down or silent, on real clusters (tests/CMakeLists.txt,
 * "Throwaway clusters"): PostgreSQL's pg_cluster (primary and streaming
 * standby), MariaDB's mariadb_replica and galera; and a PostgreSQL
 * failover under load, on a cluster of its own (pg_failover), whose
 * primary is stopped (pg_ctl stop -m immediate) and whose standby is
 * promoted while queries run. A case whose cluster is not there is
 * skipped, but never under CI=true. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef AIODB_HAVE_POSTGRES
#include <libpq-fe.h>
#endif

#include "helpers.h"

#define PW "aiodb-test-pw"
#define BOUND_MS 30000 /* no future may take longer: nothing hangs */

/* File `name` of the cluster folder dir_env names, or NULL (the case is
 * then skipped, unless CI=true). */
static const char *cluster_file(const char *dir_env, const char *name) {
  const char *u, *ci = getenv("CI");
  if (getenv(dir_env) == NULL) {
    fprintf(stderr, "skipped: %s is not set\n", dir_env);
    return NULL;
  }
  u = aiodb_test_server_file(dir_env, name);
  if (u == NULL && ci != NULL && strcmp(ci, "true") == 0)
    ck_abort_msg("no cluster in %s under CI", dir_env);
  if (u == NULL) fprintf(stderr, "skipped: no %s in %s\n", name, dir_env);
  return u;
}

/* The port of a cluster URL (...@127.0.0.1:PORT/db). */
static unsigned port_of(const char *url) {
  const char *p = strstr(url, "@127.0.0.1:");
  ck_assert_msg(p != NULL, "no 127.0.0.1 port in %s", url);
  return (unsigned)atoi(p + 11);
}

/* Opens url, runs sql (two INT columns), fills a and b, frees the db. */
static void two_ints(const char *url, const char *sql, int64_t *a, int64_t *b) {
  aiodb_db *db = aiodb_test_open_with(url, NULL);
  aiodb_future *f = aiodb_query(db, sql, NULL, 0);
  aiodb_result *r;
  ck_assert_msg(aiodb_test_err(f) == 0, "%s: %s", url, aiodb_future_errmsg(f));
  r = aiodb_future_result(f);
  *a = aiodb_result_int(r, 0, 0);
  *b = aiodb_result_int(r, 0, 1);
  aiodb_future_free(f);
  aiodb_db_free(db);
}

/* The error of the first call on url (which must open), its message in msg. */
static int first_call_fails(const char *url, char *msg, size_t n) {
  aiodb_db *db = aiodb_test_open_with(url, NULL);
  aiodb_future *f = aiodb_query(db, "SELECT 1", NULL, 0);
  int rc = aiodb_test_err(f);
  snprintf(msg, n, "%s", aiodb_future_errmsg(f));
  ck_assert_ptr_null(strstr(msg, PW));
  aiodb_future_free(f);
  aiodb_db_free(db);
  return rc;
}

static void run_script(const char *script_env, const char *args, const char *dir_env) {
  const char *script = getenv(script_env), *dir = getenv(dir_env);
  char cmd[1200];
  ck_assert_msg(script != NULL && dir != NULL, "%s or %s is not set", script_env, dir_env);
  snprintf(cmd, sizeof cmd, "bash '%s' %s '%s' >/dev/null", script, args, dir);
  ck_assert_msg(system(cmd) == 0, "%s failed", cmd);
}

/* Waits for f, submitted at `submitted` (ms), failing the case unless it
 * completes within BOUND_MS; sets *now to when it did and returns its error. */
static int wait_bounded(aiodb_future *f, double submitted, double *now) {
  int rc = aiodb_future_wait(f, BOUND_MS);
  ck_assert_msg(rc == 0, "a future hung: %s after %.0f ms", aiodb_err_name(rc),
                aiodb_test_now_ms() - submitted);
  *now = aiodb_test_now_ms();
  return aiodb_future_error(f);
}

/* ---- input checked at aiodb_open, on every driver built ---- */

/* A URL aiodb_open refuses (AIODB_EINVAL) and what its message says. */
typedef struct bad_url {
  const char *url, *needle;
} bad_url;

#ifdef AIODB_HAVE_POSTGRES
static const bad_url pg_bad[] = {
    {"postgresql://u:s3cret@/db?host=a,b,c&port=1,2", "option 'port' lists 2 ports for 3 hosts"},
    {"postgresql://u:s3cret@/db?host=a,b&hostaddr=10.0.0.1",
     "options 'host' and 'hostaddr' list 2 and 1 entries"},
    {"postgresql://u:s3cret@h1,,h3/db", "entry 2 of the host list"},
    {"postgresql://u:s3cret@h1,h2:99999/db", "invalid port"},
    {"postgresql://u:s3cret@h1,h%2C2/db", "would read as two hosts"},
};
#endif

#ifdef AIODB_HAVE_MYSQL
static const bad_url my_bad[] = {
    {"mysql://u:s3cret@h1:3306,h2:3307/db?target_session_attrs=master",
     "option 'target_session_attrs' must be any"},
    {"mysql://u:s3cret@h1:3306,h2:3307/db?port=1,2,3", "option 'port' lists 3 ports for 2 hosts"},
    {"mysql://u:s3cret@/db?host=a,b&port=1,x",
     "option 'port' must be an integer between 1 and 65535"},
    {"mysql://u:s3cret@/db?host=a,,b", "entry 2 of the host list names no host"},
    {"mysql://u:s3cret@h1,:3306/db", "entry 2 of the host list"},
    {"mysql://u:s3cret@h/db?port=", "option 'port' must be an integer"},
};
#endif

#if defined(AIODB_HAVE_POSTGRES) || defined(AIODB_HAVE_MYSQL)
static void open_fails_each(const bad_url *b, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) aiodb_test_open_fails(b[i].url, NULL, AIODB_EINVAL, b[i].needle);
}
#endif

START_TEST(bad_host_lists) {
#ifdef AIODB_HAVE_POSTGRES
  const char *pg = "postgresql://u:s3cret@h1:5432,h2:5433/db";
  char url[256];
  aiodb_db *db;
  snprintf(url, sizeof url, "%s?target_session_attrs=read_write", pg);
  aiodb_test_open_fails(url, NULL, AIODB_EINVAL,
                        "option 'target_session_attrs' must be any, read-write, read-only, "
                        "primary, standby or prefer-standby");
  snprintf(url, sizeof url, "%s?target_session_attrs=", pg);
  aiodb_test_open_fails(url, NULL, AIODB_EINVAL, "target_session_attrs");
  snprintf(url, sizeof url, "%s?port=1,2,3", pg);
  aiodb_test_open_fails(url, NULL, AIODB_EINVAL, "option 'port' lists 3 ports for 2 hosts");
  open_fails_each(pg_bad, sizeof pg_bad / sizeof pg_bad[0]);
  snprintf(url, sizeof url, "%s?load_balance_hosts=sometimes", pg);
  aiodb_test_open_fails(url, NULL, AIODB_EINVAL,
                        "option 'load_balance_hosts' must be disable or random");
  /* load_balance_hosts is libpq 16's: by the library the program runs */
  snprintf(url, sizeof url, "%s?load_balance_hosts=random", pg);
  if (PQlibVersion() < 160000) {
    aiodb_test_open_fails(url, NULL, AIODB_EUNSUPPORTED,
                          "option 'load_balance_hosts' needs libpq 16 or later; this "
                          "program runs libpq ");
  } else {
    db = aiodb_test_open_with(url, NULL);
    aiodb_db_free(db);
  }
  snprintf(url, sizeof url, "%s?load_balance_hosts=disable&target_session_attrs=prefer-standby",
           pg);
  db = aiodb_test_open_with(url, NULL); /* the default: fine with any libpq */
  aiodb_db_free(db);
#endif
#ifdef AIODB_HAVE_MYSQL
  open_fails_each(my_bad, sizeof my_bad / sizeof my_bad[0]);
  {
    char many[1024] = "mysql://u:s3cret@h0";
    int i;
    for (i = 1; i <= 64; i++)
      snprintf(many + strlen(many), sizeof many - strlen(many), ",h%d", i);
    aiodb_test_open_fails(many, NULL, AIODB_EINVAL, "lists 65 hosts; at most 64");
  }
#endif
  aiodb_test_clean_shutdown();
}
END_TEST

#ifdef AIODB_HAVE_POSTGRES
#define PGC "AIODB_TEST_PG_CLUSTER_DIR"
#define PGF "AIODB_TEST_PG_FAILOVER_DIR"
#define ROLE_PG "SELECT pg_is_in_recovery()::int, inet_server_port()"

/* pg_is_in_recovery() and the port of the server that url reaches. */
static void pg_role(const char *url, int64_t want_recovery, unsigned want_port) {
  int64_t rec, port;
  two_ints(url, ROLE_PG, &rec, &port);
  ck_assert_msg(rec == want_recovery && port == want_port,
                "%s: recovery %lld on port %lld, expected %lld on %u", url, (long long)rec,
                (long long)port, (long long)want_recovery, want_port);
}

START_TEST(pg_host_list_roles) {
  const char *primary = cluster_file(PGC, "primary_url"), *multi;
  unsigned p, s;
  char url[512];
  if (primary == NULL) return;
  p = port_of(primary);
  s = port_of(cluster_file(PGC, "standby_url"));
  multi = cluster_file(PGC, "multi_url"); /* ?host=...,...&port=P,S */
  ck_assert_ptr_nonnull(multi);

  /* the hosts in the authority, the standby first */
#define PG_LIST(a, b, opts) \
  snprintf(url, sizeof url, "postgresql://aiodb:" PW "@127.0.0.1:%u,127.0.0.1:%u/aiodb%s", a, b, opts)
  PG_LIST(s, p, "");
  pg_role(url, 1, s); /* any: the first */
  PG_LIST(s, p, "?target_session_attrs=read-write");
  pg_role(url, 0, p);
  PG_LIST(s, p, "?target_session_attrs=primary");
  pg_role(url, 0, p);
  PG_LIST(p, s, "?target_session_attrs=prefer-standby");
  pg_role(url, 1, s);
  PG_LIST(p, s, "?target_session_attrs=read-only");
  pg_role(url, 1, s);
  PG_LIST(p, s, "?target_session_attrs=standby");
  pg_role(url, 1, s);
  PG_LIST(p, p, "?target_session_attrs=prefer-standby"); /* no standby: any */
  pg_role(url, 0, p);
  /* no server fits: every host's reason */
  PG_LIST(p, p, "?target_session_attrs=standby");
  ck_assert_int_eq(first_call_fails(url, url, sizeof url), AIODB_ECONNECT);
  ck_assert_msg(strstr(url, "server is not in hot standby mode") != NULL, "%s", url);

  /* the hosts in the query, primary first */
  snprintf(url, sizeof url, "%s&target_session_attrs=read-write", multi);
  pg_role(url, 0, p);
  snprintf(url, sizeof url, "%s&target_session_attrs=prefer-standby", multi);
  pg_role(url, 1, s);
  snprintf(url, sizeof url, "%s&target_session_attrs=standby&connect_timeout=2", multi);
  pg_role(url, 1, s);
#undef PG_LIST
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(pg_first_host_down) {
  const char *primary = cluster_file(PGC, "primary_url");
  aiodb_test_silent silent;
  unsigned p, c;
  char url[512], msg[300];
  double t0, ms;
  if (primary == NULL) return;
  p = port_of(primary);
  c = aiodb_test_closed_port();

  /* refused: the next host at once, in both forms */
  snprintf(url, sizeof url, "postgresql://aiodb:" PW "@127.0.0.1:%u,127.0.0.1:%u/aiodb", c, p);
  pg_role(url, 0, p);
  snprintf(url, sizeof url,
           "postgresql://aiodb:" PW "@/aiodb?host=127.0.0.1,127.0.0.1&port=%u,%u"
           "&target_session_attrs=read-write",
           c, p);
  pg_role(url, 0, p);

  /* a server that accepts the connection and never answers: connect_timeout
   * for it, then the next host (libpq's non-blocking connect alone would
   * give the whole list up there) */
  aiodb_test_silent_start(&silent);
  snprintf(url, sizeof url,
           "postgresql://aiodb:" PW "@127.0.0.1:%u,127.0.0.1:%u/aiodb?connect_timeout=2",
           silent.port, p);
  t0 = aiodb_test_now_ms();
  pg_role(url, 0, p);
  ms = aiodb_test_now_ms() - t0;
  ck_assert_msg(ms > 1500 && ms < 6000, "silent host, then the primary: %.0f ms", ms);
  snprintf(url, sizeof url,
           "postgresql://aiodb:" PW "@/aiodb?host=127.0.0.1,127.0.0.1,127.0.0.1"
           "&port=%u,%u,%u&connect_timeout=2&target_session_attrs=read-write",
           silent.port, silent.port, p);
  pg_role(url, 0, p);
  /* nothing answers: the timeout and the refusal are both told */
  snprintf(url, sizeof url,
           "postgresql://aiodb:" PW "@127.0.0.1:%u,127.0.0.1:%u/aiodb?connect_timeout=2",
           silent.port, c);
  ck_assert_int_eq(first_call_fails(url, msg, sizeof msg), AIODB_ECONNECT);
  snprintf(url, sizeof url, "port %u failed: timeout expired (connect_timeout=2)", silent.port);
  ck_assert_msg(strstr(msg, url) != NULL, "%s", msg);
  snprintf(url, sizeof url, "port %u failed: Connection refused", c);
  ck_assert_msg(strstr(msg, url) != NULL, "%s", msg);
  aiodb_test_silent_stop(&silent);
  aiodb_test_clean_shutdown();
}
END_TEST

/* ---- a failover under load ---- */

typedef struct promoter {
  pthread_t thread;
  char cmd[1200];
  atomic_int started, done, rc;
  double t_start, t_done;
} promoter;

static void *promote_main(void *arg) {
  promoter *pr = arg;
  pr->t_start = aiodb_test_now_ms();
  atomic_store(&pr->started, 1);
  atomic_store(&pr->rc, system(pr->cmd));
  pr->t_done = aiodb_test_now_ms();
  atomic_store(&pr->done, 1);
  return NULL;
}

#define SLOTS 8
#define FO_SQL                                                          \
  "INSERT INTO failover_log (n) SELECT ? FROM pg_sleep(0.01) RETURNING " \
  "pg_is_in_recovery()::int, inet_server_port()"

START_TEST(pg_failover_promote) {
  const char *primary = cluster_file(PGF, "primary_url"), *dir = getenv(PGF);
  const char *script = getenv("AIODB_TEST_PG_CLUSTER_SCRIPT");
  aiodb_future *f[SLOTS];
  double submitted[SLOTS], after_done[SLOTS], t0, first_new = 0, first_lost = 0, now;
  int lost = 0, refused = 0, ok_old = 0, ok_new = 0, fails_after = 0, n = 0, i, err;
  promoter pr;
  aiodb_db *db;
  unsigned p, s;
  char url[512], promoted[700];
  if (primary == NULL) return;
  ck_assert_ptr_nonnull(script);
  /* a cluster promoted by an earlier run: start it afresh */
  snprintf(promoted, sizeof promoted, "%s/promoted", dir);
  if (access(promoted, F_OK) == 0) run_script("AIODB_TEST_PG_CLUSTER_SCRIPT", "start", PGF);
  primary = cluster_file(PGF, "primary_url");
  p = port_of(primary);
  s = port_of(cluster_file(PGF, "standby_url"));

  snprintf(url, sizeof url,
           "postgresql://aiodb:" PW "@127.0.0.1:%u,127.0.0.1:%u/aiodb"
           "?target_session_attrs=read-write&connect_timeout=2&max_size=4",
           p, s);
  db = aiodb_test_open_with(url, NULL);
  aiodb_test_exec(db, "CREATE TABLE IF NOT EXISTS failover_log (id serial PRIMARY KEY, n int)");
  pg_role(url, 0, p);
  { /* the standby has the table before anything is promoted */
    aiodb_db *sb = aiodb_test_open_with(cluster_file(PGF, "standby_url"), NULL);
    t0 = aiodb_test_now_ms();
    while (aiodb_test_has_table(sb, "failover_log") != 1) {
      ck_assert_msg(aiodb_test_now_ms() - t0 < 20000, "the standby never replayed the table");
      usleep(20 * 1000);
    }
    aiodb_db_free(sb);
  }

  memset(&pr, 0, sizeof pr);
  snprintf(pr.cmd, sizeof pr.cmd, "bash '%s' promote '%s' immediate >/dev/null", script, dir);
  t0 = aiodb_test_now_ms();
  for (i = 0; i < SLOTS; i++) {
    aiodb_value v = aiodb_int(n++);
    f[i] = aiodb_query(db, FO_SQL, &v, 1);
    submitted[i] = aiodb_test_now_ms();
    after_done[i] = 0;
  }
  /* Round robin over the slots: each future must complete within BOUND_MS
   * of its submission, with an answer from a writable server, or with the
   * loss of its connection (AIODB_ECONNLOST) or, while no server takes
   * writes, a refused connect (AIODB_ECONNECT). */
  for (i = 0;; i = (i + 1) % SLOTS) {
    aiodb_value v = aiodb_int(n++);
    err = wait_bounded(f[i], submitted[i], &now);
    if (err == 0) {
      aiodb_result *r = aiodb_future_result(f[i]);
      unsigned port = (unsigned)aiodb_result_int(r, 0, 1);
      ck_assert_int_eq(aiodb_result_int(r, 0, 0), 0); /* never the standby */
      ck_assert_msg(port == p || port == s, "port %u", port);
      if (port == p) {
        ok_old++;
        ck_assert_msg(!atomic_load(&pr.done), "the old primary answered after the promote");
      } else {
        ok_new++;
        ck_assert_msg(atomic_load(&pr.started), "the standby took a write before the promote");
        if (first_new == 0) first_new = now;
      }
    } else if (err == AIODB_ECONNLOST) {
      lost++;
      if (first_lost == 0) first_lost = now;
    } else if (err == AIODB_ECONNECT) {
      refused++;
    } else {
      ck_abort_msg("unexpected failure: %s: %s", aiodb_err_name(err), aiodb_future_errmsg(f[i]));
    }
    if (err != 0) {
      ck_assert_msg(atomic_load(&pr.started), "%s before the primary stopped: %s",
                    aiodb_err_name(err), aiodb_future_errmsg(f[i]));
      ck_assert_ptr_null(strstr(aiodb_future_errmsg(f[i]), PW));
      if (after_done[i] > 0) fails_after++;
    }
    aiodb_future_free(f[i]);
    f[i] = NULL;
    if (ok_old >= 40 && !atomic_load(&pr.started)) {
      ck_assert_int_eq(pthread_create(&pr.thread, NULL, promote_main, &pr), 0);
      while (!atomic_load(&pr.started)) usleep(1000);
    }
    if (atomic_load(&pr.done) && ok_new >= 40) break;
    ck_assert_msg(now - t0 < 90000, "no end: %d old, %d new, %d lost, %d refused", ok_old,
                  ok_new, lost, refused);
    if (err != 0) usleep(20 * 1000);
    f[i] = aiodb_query(db, FO_SQL, &v, 1);
    submitted[i] = aiodb_test_now_ms();
    after_done[i] = atomic_load(&pr.done) ? submitted[i] : 0;
  }
  pthread_join(pr.thread, NULL);
  ck_assert_int_eq(atomic_load(&pr.rc), 0);
  for (i = 0; i < SLOTS; i++) {
    if (f[i] == NULL) continue;
    ck_assert_int_eq(aiodb_future_wait(f[i], BOUND_MS), 0);
    if (aiodb_future_error(f[i]) != 0 && after_done[i] > 0) fails_after++;
    aiodb_future_free(f[i]);
  }
  /* Once the standby was promoted, a call failed at most once for each
   * pooled connection (its one reconnect), and then only with the loss
   * of a connection that was still on the old primary. */
  ck_assert_msg(fails_after <= 4, "%d calls failed after the promote", fails_after);
  ck_assert_msg(lost >= 1, "no call in flight on the stopped primary failed");
  ck_assert_msg(first_new > 0, "the promoted standby never answered");
  fprintf(stderr,
          "failover: first answer from the promoted standby %.0f ms after the primary's "
          "stop began (pg_ctl stop -m immediate, then pg_ctl promote -w: the script took "
          "%.0f ms); first lost connection after %.0f ms; %d answers before, %d after, "
          "%d lost, %d refused connects, %d failed after the promote\n",
          first_new - pr.t_start, pr.t_done - pr.t_start, first_lost - pr.t_start, ok_old,
          ok_new, lost, refused, fails_after);
  ck_assert_msg(first_new - pr.t_start < 30000, "failover took %.0f ms", first_new - pr.t_start);
  aiodb_test_done(db);
}
END_TEST
#endif

#ifdef AIODB_HAVE_MYSQL
#define MYR "AIODB_TEST_MARIADB_REPLICA_DIR"
#define GAL "AIODB_TEST_GALERA_DIR"

static unsigned my_port(const char *url) {
  aiodb_db *db = aiodb_test_open_with(url, NULL);
  unsigned port = (unsigned)aiodb_test_scalar(db, "SELECT @@port");
  aiodb_db_free(db);
  return port;
}

static void my_exec_on(const char *url, const char *sql) {
  aiodb_db *db = aiodb_test_open_with(url, NULL);
  aiodb_test_exec(db, sql);
  aiodb_db_free(db);
}

START_TEST(mysql_host_list) {
  const char *primary = cluster_file(MYR, "primary_url"), *replica;
  unsigned p, r, c;
  char url[512], msg[300];
  aiodb_db *db;
  aiodb_future *f;
  double t0, ms;
  if (primary == NULL) return;
  replica = cluster_file(MYR, "replica_url");
  p = port_of(primary);
  r = port_of(replica);
  c = aiodb_test_closed_port();
#define MY_LIST(a, b, opts) \
  snprintf(url, sizeof url, "mysql://aiodb:" PW "@127.0.0.1:%u,127.0.0.1:%u/aiodb%s", a, b, opts)

  /* the first host down: the next, in both forms */
  MY_LIST(c, p, "");
  ck_assert_uint_eq(my_port(url), p);
  snprintf(url, sizeof url,
           "mysql://aiodb:" PW "@/aiodb?host=127.0.0.1,127.0.0.1&port=%u,%u", c, r);
  ck_assert_uint_eq(my_port(url), r);
  MY_LIST(r, p, "");
  ck_assert_uint_eq(my_port(url), r); /* any: the first that answers */
  /* host= without port=: the URL's port for each (127.0.0.2 refuses) */
  snprintf(url, sizeof url, "mysql://aiodb:" PW "@127.0.0.1:%u/aiodb?host=127.0.0.2,127.0.0.1",
           p);
  ck_assert_uint_eq(my_port(url), p);
  /* a unix socket in the list; an empty port item: the default */
  {
    const char *sock = strstr(cluster_file(MYR, "primary/socket_url"), "unix_socket=");
    ck_assert_ptr_nonnull(sock);
    snprintf(url, sizeof url, "mysql://aiodb:" PW "@/aiodb?host=127.0.0.1,%s&port=%u,",
             sock + 12, c);
    ck_assert_uint_eq(my_port(url), p);
  }

  /* the replica made read-only (the script leaves it writable) */
  my_exec_on(replica, "SET GLOBAL read_only = 1");
  MY_LIST(r, p, "?target_session_attrs=read-write");
  ck_assert_uint_eq(my_port(url), p);
  MY_LIST(r, p, "?target_session_attrs=primary");
  ck_assert_uint_eq(my_port(url), p);
  MY_LIST(p, r, "?target_session_attrs=read-only");
  ck_assert_uint_eq(my_port(url), r);
  MY_LIST(p, r, "?target_session_attrs=standby");
  ck_assert_uint_eq(my_port(url), r);
  MY_LIST(p, r, "?target_session_attrs=prefer-standby");
  ck_assert_uint_eq(my_port(url), r);
  MY_LIST(c, p, "?target_session_attrs=prefer-standby"); /* no standby: any */
  ck_assert_uint_eq(my_port(url), p);
  snprintf(url, sizeof url,
           "mysql://aiodb:" PW "@/aiodb?host=127.0.0.1,127.0.0.1,127.0.0.1&port=%u,%u,%u"
           "&target_session_attrs=read-write",
           c, r, p);
  ck_assert_uint_eq(my_port(url), p);
  /* none fits: every server's reason */
  MY_LIST(c, r, "?target_session_attrs=read-write");
  ck_assert_int_eq(first_call_fails(url, msg, sizeof msg), AIODB_ECONNECT);
  ck_assert_msg(strstr(msg, "no server of the host list fits target_session_attrs") != NULL &&
                    strstr(msg, "Can't connect") != NULL &&
                    strstr(msg, "the server is read-only") != NULL,
                "%s", msg);
  snprintf(url, sizeof url, "mysql://aiodb:" PW "@127.0.0.1:%u/aiodb?target_session_attrs=read-write", r);
  ck_assert_int_eq(first_call_fails(url, msg, sizeof msg), AIODB_ECONNECT);
  ck_assert_str_eq(msg, "the server is read-only (target_session_attrs=read-write)");

  /* KILL QUERY reaches the server the connection is on, the second of the
   * list: the statement stops at its deadline, and the connection serves */
  MY_LIST(p, r, "?target_session_attrs=read-only&timeout_ms=300");
  db = aiodb_test_open_with(url, NULL);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT @@port"), r);
  t0 = aiodb_test_now_ms();
  f = aiodb_query(db, "SELECT SLEEP(5)", NULL, 0);
  ck_assert_int_eq(aiodb_test_err(f), AIODB_ETIMEDOUT);
  ms = aiodb_test_now_ms() - t0;
  ck_assert_msg(ms < 2500, "the deadline's KILL QUERY took %.0f ms to land", ms);
  aiodb_future_free(f);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT @@port"), r);
  aiodb_db_free(db);

  my_exec_on(replica, "SET GLOBAL read_only = 0");
#undef MY_LIST
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(mysql_host_list_silent_first) {
  const char *primary = cluster_file(MYR, "primary_url");
  aiodb_test_silent silent;
  char url[512];
  double t0, ms;
  if (primary == NULL) return;
  aiodb_test_silent_start(&silent);
  snprintf(url, sizeof url,
           "mysql://aiodb:" PW "@127.0.0.1:%u,127.0.0.1:%u/aiodb?connect_timeout=2", silent.port,
           port_of(primary));
  t0 = aiodb_test_now_ms();
  ck_assert_uint_eq(my_port(url), port_of(primary));
  ms = aiodb_test_now_ms() - t0;
  ck_assert_msg(ms > 1500 && ms < 6000, "silent host, then the primary: %.0f ms", ms);
  aiodb_test_silent_stop(&silent);
  aiodb_test_clean_shutdown();
}
END_TEST

/* A pool over the three Galera nodes, on node 1 (the first); node 1 is
 * killed while calls run: each fails at most with the loss of its
 * connection, and the pool goes on on node 2. Node 1 is started again at
 * the end, for whoever uses the cluster next. */
START_TEST(galera_node_killed) {
  const char *n1 = cluster_file(GAL, "node1_url");
  unsigned port[3];
  aiodb_future *f[4];
  double submitted[4], t_kill = 0, t_killed = 0, first_new = 0, now, t0;
  int i, err, ok_before = 0, ok_after = 0, lost = 0, other = 0;
  aiodb_db *db;
  char url[512];
  if (n1 == NULL) return;
  /* node 1 left down by a run that failed before restarting it */
  snprintf(url, sizeof url, "bash '%s' status '%s' >/dev/null 2>&1",
           getenv("AIODB_TEST_GALERA_SCRIPT"), getenv(GAL));
  if (system(url) != 0) run_script("AIODB_TEST_GALERA_SCRIPT", "restart 1", GAL);
  port[0] = port_of(n1);
  port[1] = port_of(cluster_file(GAL, "node2_url"));
  port[2] = port_of(cluster_file(GAL, "node3_url"));
  snprintf(url, sizeof url,
           "mysql://aiodb:" PW "@127.0.0.1:%u,127.0.0.1:%u,127.0.0.1:%u/aiodb"
           "?max_size=2&connect_timeout=2",
           port[0], port[1], port[2]);
  db = aiodb_test_open_with(url, NULL);
  aiodb_test_exec(db, "CREATE TABLE IF NOT EXISTS failover_galera (id INT AUTO_INCREMENT "
                      "PRIMARY KEY, port INT) ENGINE=InnoDB");
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT @@port"), port[0]);
  t0 = aiodb_test_now_ms();
  for (i = 0; i < 4; i++) {
    f[i] = aiodb_query(db, "SELECT @@port, SLEEP(0.01)", NULL, 0);
    submitted[i] = aiodb_test_now_ms();
  }
  for (i = 0;; i = (i + 1) % 4) {
    err = wait_bounded(f[i], submitted[i], &now);
    if (err == 0) {
      unsigned on = (unsigned)aiodb_result_int(aiodb_future_result(f[i]), 0, 0);
      if (on == port[0]) {
        ck_assert_msg(t_kill == 0 || submitted[i] < t_killed,
                      "node 1 answered a call made after its kill");
        ok_before++;
      } else {
        ck_assert_msg(t_kill > 0, "an answer from port %u before the kill", on);
        ck_assert_msg(on == port[1] || on == port[2], "answer from port %u", on);
        ok_after++;
        if (first_new == 0) first_new = now;
      }
    } else if (err == AIODB_ECONNLOST) {
      ck_assert_msg(t_kill > 0, "lost before the kill: %s", aiodb_future_errmsg(f[i]));
      lost++;
    } else {
      /* a node may refuse statements for a moment while the cluster
       * reforms (WSREP not ready): counted, bounded below */
      ck_assert_msg(t_kill > 0, "%s before the kill: %s", aiodb_err_name(err),
                    aiodb_future_errmsg(f[i]));
      other++;
    }
    aiodb_future_free(f[i]);
    if (ok_before >= 20 && t_kill == 0) {
      t_kill = aiodb_test_now_ms();
      run_script("AIODB_TEST_GALERA_SCRIPT", "kill 1", GAL);
      t_killed = aiodb_test_now_ms();
    }
    if (ok_after >= 30) {
      f[i] = NULL;
      break;
    }
    ck_assert_msg(now - t0 < 60000, "no end: %d before, %d after, %d lost, %d other", ok_before,
                  ok_after, lost, other);
    if (err != 0) usleep(20 * 1000);
    f[i] = aiodb_query(db, "SELECT @@port, SLEEP(0.01)", NULL, 0);
    submitted[i] = aiodb_test_now_ms();
  }
  for (i = 0; i < 4; i++) {
    if (f[i] == NULL) continue;
    ck_assert_int_eq(aiodb_future_wait(f[i], BOUND_MS), 0);
    aiodb_future_free(f[i]);
  }
  ck_assert_msg(lost <= 2 && other <= 20, "%d lost, %d other failures", lost, other);
  aiodb_test_exec(db, "INSERT INTO failover_galera (port) VALUES (@@port)");
  fprintf(stderr,
          "galera: node 1 killed; first answer from another node after %.0f ms; %d lost, "
          "%d other failures\n",
          first_new - t_kill, lost, other);
  aiodb_db_free(db);
  run_script("AIODB_TEST_GALERA_SCRIPT", "restart 1", GAL);
  aiodb_test_clean_shutdown();
}
END_TEST
#endif

Suite *aiodb_suite_failover(void) {
  Suite *s = AIODB_SUITE("failover", bad_host_lists);
#ifdef AIODB_HAVE_POSTGRES
  AIODB_TCASES(s, pg_host_list_roles, pg_first_host_down);
  AIODB_TCASE_TIMEOUT(s, pg_failover_promote, 150);
#endif
#ifdef AIODB_HAVE_MYSQL
  AIODB_TCASES(s, mysql_host_list, mysql_host_list_silent_first);
  AIODB_TCASE_TIMEOUT(s, galera_node_killed, 150);
#endif
  return s;
}
