/* Read replicas: aiodb_replica()'s read-only view. The suite "replica" on
 * SQLite (a file and replica= of the same file, or of other files), and
 * "replica_pg" and "replica_mysql" on the clusters the pg_cluster and
 * mariadb_replica fixtures start (a primary and its streaming standby or
 * replica, never promoted nor stopped here). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aiodb.h"
#include "helpers.h"

/* ---- helpers ---- */

/* url percent-escaped as a whole, for a replica= option; static buffer,
 * 4 slots. */
static const char *esc(const char *url) {
  static char bufs[4][2048];
  static unsigned slot;
  char *out = bufs[slot++ % 4];
  size_t n = 0;
  for (; *url && n + 4 < sizeof bufs[0]; url++) {
    unsigned char c = (unsigned char)*url;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
        c == '-' || c == '.' || c == '_' || c == '~')
      out[n++] = (char)c;
    else
      n += (size_t)snprintf(out + n, 4, "%%%02X", c);
  }
  out[n] = '\0';
  return out;
}

/* base with "replica=" + each url escaped, and extra options (or NULL). */
static aiodb_db *open_with_replicas(const char *base, const char *const *urls, size_t n,
                                    const char *extra) {
  char url[8192];
  size_t i, len = (size_t)snprintf(url, sizeof url, "%s", base);
  aiodb_error err;
  aiodb_db *db;
  for (i = 0; i < n; i++)
    len += (size_t)snprintf(url + len, sizeof url - len, "%sreplica=%s",
                            strchr(url, '?') ? "&" : "?", esc(urls[i]));
  if (extra) snprintf(url + len, sizeof url - len, "%s%s", strchr(url, '?') ? "&" : "?", extra);
  db = aiodb_open(url, NULL, &err);
  ck_assert_msg(db != NULL, "aiodb_open with %zu replicas: %s", n, err.message);
  ck_assert_ptr_nonnull(aiodb_replica(db));
  return db;
}

/* A SQLite file of its own, holding table who (name): one row, name. */
static const char *sqlite_file_named(const char *name) {
  const char *path = aiodb_test_path(".db");
  char url[600];
  aiodb_db *db;
  snprintf(url, sizeof url, "sqlite:///%s", path);
  db = aiodb_test_open_with(url, NULL);
  aiodb_test_exec(db, "CREATE TABLE who (name TEXT)");
  aiodb_test_execf(db, "INSERT INTO who VALUES ('%s')", name);
  aiodb_db_free(db);
  return path;
}

static const char *sqlite_url(const char *path) {
  static char bufs[4][600];
  static unsigned slot;
  char *u = bufs[slot++ % 4];
  snprintf(u, sizeof bufs[0], "sqlite:///%s", path);
  return u;
}

/* The text of cell (0, 0) of f's result, copied into out; f freed. */
static void text_of(aiodb_future *f, char *out, size_t cap) {
  aiodb_test_ok(f);
  snprintf(out, cap, "%s", aiodb_result_text(aiodb_future_result(f), 0, 0));
  aiodb_future_free(f);
}

/* Runs sql on db, n calls one after the other, then n in flight at once;
 * counts in seen[] how many answered each of the texts in names[] (an
 * answer of none fails the test). */
static void spread(aiodb_db *db, const char *sql, const char *const *names, size_t nnames,
                   int n, int *seen) {
  aiodb_future *fs[64];
  char got[64];
  int i, round;
  size_t k;
  ck_assert_int_le(n, 64);
  for (round = 0; round < 2; round++) {
    if (round == 1)
      for (i = 0; i < n; i++) fs[i] = aiodb_query(db, sql, NULL, 0);
    for (i = 0; i < n; i++) {
      text_of(round == 1 ? fs[i] : aiodb_query(db, sql, NULL, 0), got, sizeof got);
      for (k = 0; k < nnames && strcmp(got, names[k]) != 0; k++)
        ;
      ck_assert_msg(k < nnames, "'%s' answered, none of the replicas'", got);
      seen[k]++;
    }
  }
}

/* spread() over again until the first two of names[] have both answered
 * (10 s at most: on a busy machine a connection may open late). Returns
 * the rounds it took. */
static int spread_until_both(aiodb_db *db, const char *sql, const char *const *names,
                             size_t nnames, int n, int *seen) {
  double t0 = aiodb_test_now_ms();
  int rounds = 0;
  while (seen[0] == 0 || seen[1] == 0) {
    ck_assert_msg(aiodb_test_now_ms() - t0 < 10000, "after 10 s: %s %d, %s %d", names[0],
                  seen[0], names[1], seen[1]);
    spread(db, sql, names, nnames, n, seen);
    rounds++;
  }
  return rounds;
}

/* url with its port replaced by port (url is scheme://user:pw@host:port/...). */
static const char *with_port(const char *url, unsigned port) {
  static char buf[1024];
  const char *at = strrchr(url, '@'), *colon = strchr(at, ':'), *slash = strchr(at, '/');
  ck_assert_ptr_nonnull(colon);
  snprintf(buf, sizeof buf, "%.*s:%u%s", (int)(colon - url), url, port, slash);
  return buf;
}

static int misuse_count;
static char misuse_fn[64];
static void count_misuse(const aiodb_diag *d, void *ud) {
  (void)ud;
  if (d->kind != AIODB_DIAG_MISUSE) return;
  misuse_count++;
  snprintf(misuse_fn, sizeof misuse_fn, "%s", d->function);
}

/* ---- SQLite ---- */

/* A file and replica= of the same file: the view reads; every write
 * through it, in a transaction, query_many, a pinned connection or DDL,
 * fails with AIODB_EREADONLY; the db writes meanwhile and the view sees it. */
START_TEST(replica_sqlite_reads_and_refuses_writes) {
  const char *path = aiodb_test_path(".db");
  const char *u = sqlite_url(path);
  aiodb_db *db = open_with_replicas(u, &u, 1, NULL);
  aiodb_db *view = aiodb_replica(db);
  aiodb_value rows[2] = {aiodb_int(5), aiodb_int(6)};
  aiodb_future *f;
  aiodb_tx *tx;
  aiodb_cursor *cur;
  aiodb_conn *conn;

  ck_assert_ptr_null(aiodb_replica(view));
  ck_assert_ptr_null(aiodb_replica(NULL));
  ck_assert_ptr_eq(aiodb_db_cq(view), aiodb_db_cq(db));
  ck_assert_str_eq(aiodb_db_driver(view), "sqlite");
  aiodb_test_exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
  aiodb_test_exec(db, "INSERT INTO t VALUES (1, 'a')");
  ck_assert_int_eq(aiodb_test_scalar(view, "SELECT count(*) FROM t"), 1);

  aiodb_test_fails(aiodb_query(view, "INSERT INTO t VALUES (2, 'b')", NULL, 0),
                   AIODB_EREADONLY, "readonly");
  aiodb_test_fails(aiodb_query(view, "CREATE TABLE u (x)", NULL, 0), AIODB_EREADONLY, NULL);
  aiodb_test_fails(aiodb_query_many(view, "INSERT INTO t (id) VALUES (?)", rows, 2, 1),
                   AIODB_EREADONLY, NULL);
  tx = aiodb_begin(view);
  ck_assert_int_eq(aiodb_result_int(aiodb_future_result(f = aiodb_test_ok(aiodb_tx_query(
                                        tx, "SELECT count(*) FROM t", NULL, 0))),
                                    0, 0),
                   1);
  aiodb_future_free(f);
  aiodb_test_fails(aiodb_tx_query(tx, "UPDATE t SET v = 'x'", NULL, 0), AIODB_EREADONLY, NULL);
  aiodb_future_free(aiodb_test_ok(aiodb_rollback(tx)));

  f = aiodb_test_ok(aiodb_acquire(view));
  conn = aiodb_future_conn(f);
  ck_assert_ptr_eq(aiodb_conn_db(conn), view);
  aiodb_test_fails(aiodb_conn_query(conn, "DELETE FROM t", NULL, 0), AIODB_EREADONLY, NULL);
  aiodb_release(conn);
  aiodb_future_free(f);

  /* The db writes while the view is in use, and the view sees it. */
  aiodb_test_exec(db, "INSERT INTO t VALUES (2, 'b'), (3, 'c')");
  ck_assert_int_eq(aiodb_test_scalar(view, "SELECT count(*) FROM t"), 3);
  cur = aiodb_iterate(view, "SELECT id FROM t ORDER BY id", NULL, 0, 2);
  ck_assert_int_eq(aiodb_test_count_cursor(cur), 3);
  aiodb_cursor_free(cur);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM t"), 3);
  aiodb_test_done(db);
}
END_TEST

/* A db without replicas has no view. */
START_TEST(replica_none_without_option) {
  aiodb_db *db = aiodb_test_open_with(aiodb_test_sqlite_url(), NULL);
  ck_assert_ptr_null(aiodb_replica(db));
  aiodb_test_done(db);
}
END_TEST

/* aiodb_db_free and aiodb_close on the view are refused with a diagnostic;
 * the db's close closes both, and its future completes once the view's
 * call queued before it has run. */
START_TEST(replica_view_is_borrowed) {
  const char *u = sqlite_url(sqlite_file_named("a")); /* a replica opens no new file */
  aiodb_db *db = open_with_replicas(u, &u, 1, NULL);
  aiodb_db *view = aiodb_replica(db);
  aiodb_future *slow, *closed;

  aiodb_set_diag_handler(count_misuse, NULL);
  aiodb_db_free(view);
  ck_assert_int_eq(misuse_count, 1);
  ck_assert_str_eq(misuse_fn, "aiodb_db_free");
  aiodb_test_fails(aiodb_close(view), AIODB_EINVAL, "close its db");
  ck_assert_int_eq(misuse_count, 2);
  ck_assert_str_eq(misuse_fn, "aiodb_close");
  ck_assert_int_eq(aiodb_test_scalar(view, "SELECT 7"), 7);

  /* some 300 ms of work on the view */
  slow = aiodb_query(view,
                     "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                     "WHERE x < 3000000) SELECT count(*) FROM c",
                     NULL, 0);
  closed = aiodb_close(db);
  ck_assert_int_eq(aiodb_future_wait(closed, -1), 0);
  ck_assert_int_eq(aiodb_future_error(closed), 0);
  ck_assert_msg(aiodb_future_done(slow), "the close completed before the view's call ran");
  aiodb_test_ok(slow);
  aiodb_test_fails(aiodb_query(view, "SELECT 1", NULL, 0), AIODB_EALREADYQUIT, NULL);
  aiodb_test_fails(aiodb_query(db, "SELECT 1", NULL, 0), AIODB_EALREADYQUIT, NULL);
  aiodb_test_free_all(slow, closed);
  aiodb_set_diag_handler(NULL, NULL);
  aiodb_test_done(db);
}
END_TEST

/* Two replicas (two files): calls land on both, in flight at once and one
 * at a time. aiodb_options.replicas replaces the URL's. */
START_TEST(replica_sqlite_round_robin) {
  const char *a = sqlite_url(sqlite_file_named("a"));
  const char *b = sqlite_url(sqlite_file_named("b"));
  const char *c = sqlite_url(sqlite_file_named("c"));
  const char *urls[2] = {a, b}, *names[3] = {"a", "b", "c"}, *names_ac[3] = {"a", "c", "b"};
  const char *const from_opts[2] = {a, c};
  aiodb_options o;
  aiodb_error err;
  aiodb_db *db = open_with_replicas(aiodb_test_sqlite_url(), urls, 2, NULL);
  int seen[3] = {0, 0, 0};
  char url[4096];

  spread_until_both(aiodb_replica(db), "SELECT name FROM who", names, 3, 32, seen);
  ck_assert_int_eq(seen[2], 0);
  aiodb_db_free(db);

  aiodb_options_init(&o);
  o.replicas = from_opts;
  o.nreplicas = 2;
  snprintf(url, sizeof url, "%s?replica=%s", aiodb_test_sqlite_url(), esc(b));
  db = aiodb_open(url, &o, &err);
  ck_assert_msg(db != NULL, "%s", err.message);
  memset(seen, 0, sizeof seen);
  spread_until_both(aiodb_replica(db), "SELECT name FROM who", names_ac, 3, 32, seen);
  ck_assert_msg(seen[2] == 0, "b (the URL's, replaced) answered %d calls", seen[2]);
  aiodb_test_done(db);
}
END_TEST

/* A replica that cannot be opened (its file is missing) is skipped and
 * the other serves every call; once the file is there, it gets calls
 * again. With no replica to open, a call fails with the connect error. */
START_TEST(replica_sqlite_down_skipped_then_back) {
  const char *a = sqlite_url(sqlite_file_named("a"));
  const char *later = aiodb_test_path(".db");
  const char *m = sqlite_url(later);
  const char *urls[2] = {m, a}, *names[2] = {"m", "a"};
  aiodb_db *db = open_with_replicas(aiodb_test_sqlite_url(), urls, 2, NULL);
  aiodb_db *view = aiodb_replica(db), *made;
  int seen[2] = {0, 0}, round;
  aiodb_future *f;
  double t0;

  spread(view, "SELECT name FROM who", names, 2, 16, seen);
  ck_assert_int_eq(seen[0], 0);
  ck_assert_int_eq(seen[1], 32);

  made = aiodb_test_open_with(m, NULL);
  aiodb_test_exec(made, "CREATE TABLE who (name TEXT)");
  aiodb_test_exec(made, "INSERT INTO who VALUES ('m')");
  aiodb_db_free(made);
  t0 = aiodb_test_now_ms();
  for (round = 0; seen[0] == 0; round++) {
    ck_assert_msg(aiodb_test_now_ms() - t0 < 15000, "the replica back is not used after 15 s");
    spread(view, "SELECT name FROM who", names, 2, 8, seen);
    usleep(50000);
  }
  printf("replica_sqlite_down_skipped_then_back: used again after %.0f ms (%d rounds)\n",
         aiodb_test_now_ms() - t0, round);
  aiodb_db_free(db);

  urls[0] = sqlite_url(aiodb_test_path(".db"));
  urls[1] = sqlite_url(aiodb_test_path(".db"));
  db = open_with_replicas(aiodb_test_sqlite_url(), urls, 2, NULL);
  f = aiodb_query(aiodb_replica(db), "SELECT 1", NULL, 0);
  ck_assert_int_eq(aiodb_test_err(f), AIODB_ECONNECT);
  ck_assert_msg(strstr(aiodb_future_errmsg(f), "no replica could be connected; replica ") != NULL,
                "%s", aiodb_future_errmsg(f));
  aiodb_future_free(f);
  aiodb_test_done(db);
}
END_TEST

START_TEST(replica_bad_input) {
  const char *base = aiodb_test_sqlite_url();
  const char *file = sqlite_url(aiodb_test_path(".db"));
  const char *nulls[1] = {NULL};
  aiodb_options o;
  char url[8192];
  size_t len;
  int i;

  snprintf(url, sizeof url, "%s?replica=%s", base,
           esc("postgresql://app:s3cret@127.0.0.1:5432/app"));
  aiodb_test_open_fails(url, NULL, AIODB_EINVAL,
                        "replica 1 is a postgresql URL, but the db is sqlite");
  snprintf(url, sizeof url, "%s?replica=%s&replica=%s", base, esc(file),
           esc("mysql://app:s3cret@h/app"));
  aiodb_test_open_fails(url, NULL, AIODB_EINVAL, "replica 2 is a mysql URL");
  snprintf(url, sizeof url, "%s?replica=nonsense", base);
  aiodb_test_open_fails(url, NULL, AIODB_EINVAL, "replica 1: malformed URL");
  snprintf(url, sizeof url, "%s?replica=", base);
  aiodb_test_open_fails(url, NULL, AIODB_EINVAL, "replica 1: malformed URL: empty string");
  snprintf(url, sizeof url, "%s?replica=%s", base, esc("sqlite:///x%zz.db"));
  aiodb_test_open_fails(url, NULL, AIODB_EINVAL, "replica 1: malformed URL: bad percent-escape");
  snprintf(url, sizeof url, "%s?replica=%s", base, esc("bogus://h/x"));
  aiodb_test_open_fails(url, NULL, AIODB_EINVAL, "replica 1 is a bogus URL");
  snprintf(url, sizeof url, "%s?replica=%s&force_rollback=1", base, esc(file));
  aiodb_test_open_fails(url, NULL, AIODB_EINVAL, "force_rollback");
  snprintf(url, sizeof url, "%s?replica=sqlite%%3A%%2F%%2F", base);
  aiodb_test_open_fails(url, NULL, AIODB_EINVAL, "replica 1: a sqlite replica must be a database file");
  snprintf(url, sizeof url, "%s?replica=%s", base, esc("sqlite:///x.db?journal_mode=wal"));
  aiodb_test_open_fails(url, NULL, AIODB_EINVAL, "replica 1: a sqlite replica is opened read-only");
  snprintf(url, sizeof url, "%s?replica=%s", base, esc("sqlite:///x.db?max_size=4"));
  aiodb_test_open_fails(url, NULL, AIODB_EINVAL,
                        "replica 1: unknown option 'max_size' for sqlite (a replica URL takes");
  snprintf(url, sizeof url, "%s?replica=%s", base, esc("sqlite:///x.db?busy_timeout=abc"));
  aiodb_test_open_fails(url, NULL, AIODB_EINVAL, "replica 1: option 'busy_timeout'");
  len = (size_t)snprintf(url, sizeof url, "%s?", base);
  for (i = 0; i < 17; i++)
    len += (size_t)snprintf(url + len, sizeof url - len, "replica=%s&", esc(file));
  aiodb_test_open_fails(url, NULL, AIODB_EINVAL, "too many replicas: 17 (at most 16)");

  aiodb_options_init(&o);
  o.nreplicas = 1;
  aiodb_test_open_fails(base, &o, AIODB_EINVAL, "replicas is NULL but nreplicas is 1");
  o.replicas = nulls;
  aiodb_test_open_fails(base, &o, AIODB_EINVAL, "replicas[0] is NULL");
  o.force_rollback = 1;
  o.replicas = &file;
  aiodb_test_open_fails(base, &o, AIODB_EINVAL, "force_rollback");
  aiodb_test_clean_shutdown();
}
END_TEST

/* Out of memory at each allocation of aiodb_open with two replicas and a
 * call through the view, from it on: aiodb_open fails with AIODB_ENOMEM,
 * or the call does, or both work; nothing is left allocated. */
START_TEST(replica_out_of_memory) {
  const char *a = sqlite_url(sqlite_file_named("a"));
  const char *urls[2] = {a, a};
  char url[4096];
  aiodb_error err;
  aiodb_db *db;
  aiodb_future *f;
  long n;
  int code = -1;

  snprintf(url, sizeof url, "%s?replica=%s&replica=%s", a, esc(urls[0]), esc(urls[1]));
  for (n = 0; code != 0; n++) {
    ck_assert_int_lt(n, 100000);
    aiodb_test_fail_allocs_after(n);
    db = aiodb_open(url, NULL, &err);
    if (db == NULL) {
      ck_assert_msg(err.code == AIODB_ENOMEM, "%ld: %s", n, err.message);
      code = err.code;
    } else {
      f = aiodb_query(aiodb_replica(db), "SELECT count(*) FROM who", NULL, 0);
      code = f ? aiodb_test_err(f) : AIODB_ENOMEM;
      ck_assert_msg(code == 0 || code == AIODB_ENOMEM || code == AIODB_EALREADYQUIT, "%ld: %s",
                    n, f ? aiodb_future_errmsg(f) : "NULL");
      aiodb_future_free(f);
      aiodb_db_free(db);
    }
    aiodb_set_allocator(NULL, NULL, NULL);
    aiodb_test_clean_shutdown();
  }
  printf("replica_out_of_memory: %ld allocations swept\n", n);
}
END_TEST

Suite *aiodb_suite_replica(void) {
  return AIODB_SUITE("replica", replica_sqlite_reads_and_refuses_writes,
                     replica_none_without_option, replica_view_is_borrowed,
                     replica_sqlite_round_robin, replica_sqlite_down_skipped_then_back,
                     replica_bad_input, replica_out_of_memory);
}

/* ---- the clusters ---- */

/* A cluster's file (primary_url, standby_url ...), or NULL: the case is
 * then skipped, but never under CI=true. */
static const char *cluster_file(const char *dir_env, const char *name) {
  const char *u = aiodb_test_server_file(dir_env, name);
  const char *ci = getenv("CI");
  if (u == NULL && ci != NULL && strcmp(ci, "true") == 0)
    ck_abort_msg("no cluster in %s under CI", dir_env);
  if (u == NULL) fprintf(stderr, "skipped: no %s in %s\n", name, dir_env);
  return u;
}

/* The engine's words for the cases below. */
typedef struct engine {
  const char *dir_env, *replica_file;
  const char *whoami;  /* a text telling the servers apart */
  const char *table, *upsert; /* the cases' table; writes (id, v) */
  const char *other_scheme;   /* a URL of another engine */
  int ro_native;              /* the native code of a write refused */
  const char *slow;           /* runs 30 s */
} engine;

static const engine pg = {
    "AIODB_TEST_PG_CLUSTER_DIR", "standby_url",
    "SELECT CASE WHEN pg_is_in_recovery() THEN 'standby' ELSE 'primary' END",
    "CREATE TABLE IF NOT EXISTS replica_t (id int PRIMARY KEY, v text)",
    "INSERT INTO replica_t VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET v = excluded.v",
    "mysql://app:s3cret@127.0.0.1/app", 0, "SELECT pg_sleep(30)"};

static const engine my = {
    "AIODB_TEST_MARIADB_REPLICA_DIR", "replica_url",
    "SELECT CASE WHEN @@server_id = 1 THEN 'primary' ELSE 'standby' END",
    "CREATE TABLE IF NOT EXISTS replica_t (id int PRIMARY KEY, v text)",
    "INSERT INTO replica_t VALUES (?, ?) ON DUPLICATE KEY UPDATE v = VALUES(v)",
    "postgresql://app:s3cret@127.0.0.1/app", 1792, "SELECT SLEEP(30)"};

static const char *const roles[2] = {"standby", "primary"};

/* Runs sql through view until it succeeds (10 s at most): the standby
 * has replayed what the primary did. */
static void until_replayed(aiodb_db *view, const char *sql) {
  double t0 = aiodb_test_now_ms();
  aiodb_future *f;
  for (;;) {
    f = aiodb_query(view, sql, NULL, 0);
    if (aiodb_test_err(f) == 0) break;
    ck_assert_msg(aiodb_test_now_ms() - t0 < 10000, "not replayed after 10 s: %s",
                  aiodb_future_errmsg(f));
    aiodb_future_free(f);
    usleep(20000);
  }
  aiodb_future_free(f);
}

/* Reads through the view come from the standby; writes through it fail
 * with AIODB_EREADONLY (alone, in a transaction, in query_many); the
 * primary writes meanwhile and the view sees it soon. So does a write on
 * the standby opened as a db of its own. */
static void reads_from_standby(const engine *e) {
  const char *primary = cluster_file(e->dir_env, "primary_url");
  const char *standby = cluster_file(e->dir_env, e->replica_file);
  aiodb_db *db, *view, *direct;
  aiodb_value args[2], rows[2] = {aiodb_int(-1), aiodb_int(-2)};
  char token[64], got[64];
  aiodb_tx *tx;
  aiodb_future *f;
  double t0;
  if (primary == NULL || standby == NULL) return;

  db = open_with_replicas(primary, &standby, 1, NULL);
  view = aiodb_replica(db);
  aiodb_test_exec(db, e->table);
  until_replayed(view, "SELECT count(*) FROM replica_t");
  text_of(aiodb_query(view, e->whoami, NULL, 0), got, sizeof got);
  ck_assert_str_eq(got, "standby");
  text_of(aiodb_query(db, e->whoami, NULL, 0), got, sizeof got);
  ck_assert_str_eq(got, "primary");

  /* Ids below 0 are never the primary's: nothing to replicate over. */
  aiodb_test_fails_as(aiodb_query(view, "INSERT INTO replica_t VALUES (-1, 'view')", NULL, 0),
                      AIODB_EREADONLY, "25006", e->ro_native);
  tx = aiodb_begin(view);
  aiodb_future_free(aiodb_test_ok(aiodb_tx_query(tx, "SELECT count(*) FROM replica_t", NULL, 0)));
  aiodb_test_fails(aiodb_tx_query(tx, "UPDATE replica_t SET v = 'view' WHERE id < 0", NULL, 0),
                   AIODB_EREADONLY, NULL);
  aiodb_future_free(aiodb_rollback(tx));
  aiodb_test_fails(aiodb_query_many(view, "INSERT INTO replica_t (id) VALUES (?)", rows, 2, 1),
                   AIODB_EREADONLY, NULL);

  snprintf(token, sizeof token, "token-%d-%.0f", (int)getpid(), aiodb_test_now_ms());
  args[0] = aiodb_int(1);
  args[1] = aiodb_text(token);
  aiodb_future_free(aiodb_test_ok(aiodb_query(db, e->upsert, args, 2)));
  t0 = aiodb_test_now_ms();
  for (;;) {
    f = aiodb_test_ok(aiodb_query(view, "SELECT v FROM replica_t WHERE id = 1", NULL, 0));
    if (aiodb_result_rows(aiodb_future_result(f)) == 1 &&
        strcmp(aiodb_result_text(aiodb_future_result(f), 0, 0), token) == 0) {
      aiodb_future_free(f);
      break;
    }
    aiodb_future_free(f);
    ck_assert_msg(aiodb_test_now_ms() - t0 < 10000, "the primary's write not seen in 10 s");
    usleep(20000);
  }
  printf("%s: the primary's write seen through the view after %.0f ms\n", e->dir_env,
         aiodb_test_now_ms() - t0);
  aiodb_db_free(db);

  /* A hot standby refuses writes itself (the MariaDB replica does not:
   * read_only is off there, and the user could write anyway). */
  if (e == &pg) {
    direct = aiodb_test_open_with(standby, NULL);
    aiodb_test_fails_as(aiodb_query(direct, "INSERT INTO replica_t VALUES (-3, 'x')", NULL, 0),
                        AIODB_EREADONLY, "25006", 0);
    aiodb_db_free(direct);
  }
}

/* The primary itself as a replica: the view's session is read-only all
 * the same, on a server that takes writes. */
static void read_only_session(const engine *e) {
  const char *primary = cluster_file(e->dir_env, "primary_url");
  aiodb_db *db;
  aiodb_tx *tx;
  if (primary == NULL) return;
  db = open_with_replicas(primary, &primary, 1, NULL);
  aiodb_test_exec(db, e->table);
  aiodb_test_fails_as(aiodb_query(aiodb_replica(db), "INSERT INTO replica_t VALUES (-4, 'x')",
                                  NULL, 0),
                      AIODB_EREADONLY, "25006", e->ro_native);
  tx = aiodb_begin(aiodb_replica(db));
  aiodb_test_fails(aiodb_tx_query(tx, "DELETE FROM replica_t WHERE id < 0", NULL, 0),
                   AIODB_EREADONLY, NULL);
  aiodb_future_free(aiodb_rollback(tx));
  aiodb_test_exec(db, "DELETE FROM replica_t WHERE id < 0"); /* the primary writes */
  aiodb_test_done(db);
}

/* The standby and the primary as two replicas: calls land on both. */
static void round_robin(const engine *e) {
  const char *primary = cluster_file(e->dir_env, "primary_url");
  const char *standby = cluster_file(e->dir_env, e->replica_file);
  const char *urls[2];
  int seen[2] = {0, 0}, rounds;
  aiodb_db *db;
  if (primary == NULL || standby == NULL) return;
  urls[0] = standby;
  urls[1] = primary;
  db = open_with_replicas(primary, urls, 2, NULL);
  rounds = spread_until_both(aiodb_replica(db), e->whoami, roles, 2, 64, seen);
  printf("%s: standby %d, primary %d of %d calls\n", e->dir_env, seen[0], seen[1],
         128 * rounds);
  aiodb_test_done(db);
}

/* A deadline stops a statement on whichever replica runs it: each
 * replica's connections are interrupted through that replica (a KILL
 * QUERY sent to another server would stop nothing, or another session's). */
static void deadline_on_each(const engine *e) {
  const char *primary = cluster_file(e->dir_env, "primary_url");
  const char *standby = cluster_file(e->dir_env, e->replica_file);
  const char *urls[2];
  int seen[2] = {0, 0}, i;
  aiodb_future *fs[2];
  aiodb_db *db;
  double t0;
  if (primary == NULL || standby == NULL) return;
  urls[0] = standby;
  urls[1] = primary;
  db = open_with_replicas(primary, urls, 2, "timeout_ms=300");
  spread_until_both(aiodb_replica(db), e->whoami, roles, 2, 4, seen);
  t0 = aiodb_test_now_ms();
  for (i = 0; i < 2; i++) fs[i] = aiodb_query(aiodb_replica(db), e->slow, NULL, 0);
  /* not given up on (after 4 interrupts, 1 s apart) but stopped at once */
  for (i = 0; i < 2; i++) aiodb_test_fails(fs[i], AIODB_ETIMEDOUT, "and was stopped");
  ck_assert_msg(aiodb_test_now_ms() - t0 < 2500, "stopped after %.0f ms",
                aiodb_test_now_ms() - t0);
  memset(seen, 0, sizeof seen);
  spread_until_both(aiodb_replica(db), e->whoami, roles, 2, 4, seen);
  aiodb_test_done(db);
}

/* A replica down (nothing listens on its port) is skipped: the standby
 * answers every call. With it alone, calls fail to connect, password-free. */
static void down_skipped(const engine *e) {
  const char *primary = cluster_file(e->dir_env, "primary_url");
  const char *standby = cluster_file(e->dir_env, e->replica_file);
  const char *urls[2];
  int seen[2] = {0, 0};
  aiodb_db *db;
  aiodb_future *f;
  if (primary == NULL || standby == NULL) return;
  urls[0] = with_port(standby, aiodb_test_closed_port());
  urls[1] = standby;
  db = open_with_replicas(primary, urls, 2, NULL);
  spread(aiodb_replica(db), e->whoami, roles, 2, 16, seen);
  ck_assert_int_eq(seen[0], 32);
  aiodb_db_free(db);

  db = open_with_replicas(primary, urls, 1, NULL);
  f = aiodb_query(aiodb_replica(db), "SELECT 1", NULL, 0);
  ck_assert_int_eq(aiodb_test_err(f), AIODB_ECONNECT);
  ck_assert_msg(strstr(aiodb_future_errmsg(f), "replica 1 of 1: ") == aiodb_future_errmsg(f),
                "%s", aiodb_future_errmsg(f));
  ck_assert_msg(strstr(aiodb_future_errmsg(f), "aiodb-test-pw") == NULL, "%s",
                aiodb_future_errmsg(f));
  aiodb_future_free(f);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 1"), 1); /* the primary serves */
  aiodb_test_done(db);
}

static void bad_input(const engine *e) {
  const char *primary = cluster_file(e->dir_env, "primary_url");
  char url[4096];
  if (primary == NULL) return;
  snprintf(url, sizeof url, "%s?replica=%s", primary, esc(e->other_scheme));
  aiodb_test_open_fails(url, NULL, AIODB_EINVAL, "every replica must be of the db's engine");
  snprintf(url, sizeof url, "%s?replica=%s", primary,
           esc(e == &pg ? "postgresql://app:s3cret@127.0.0.1/app?bogus=1"
                        : "mysql://app:s3cret@127.0.0.1/app?bogus=1"));
  aiodb_test_open_fails(url, NULL, AIODB_EINVAL, "replica 1: unknown option 'bogus'");
  snprintf(url, sizeof url, "%s?replica=%s", primary,
           esc(e == &pg ? "postgresql://app:s3cret@127.0.0.1:99999/app"
                        : "mysql://app:s3cret@127.0.0.1:99999/app"));
  aiodb_test_open_fails(url, NULL, AIODB_EINVAL, "replica 1: invalid port");
  aiodb_test_clean_shutdown();
}

#ifdef AIODB_HAVE_POSTGRES
START_TEST(replica_pg_reads_from_standby) { reads_from_standby(&pg); aiodb_test_clean_shutdown(); }
END_TEST
START_TEST(replica_pg_read_only_session) { read_only_session(&pg); aiodb_test_clean_shutdown(); }
END_TEST
START_TEST(replica_pg_round_robin) { round_robin(&pg); aiodb_test_clean_shutdown(); }
END_TEST
START_TEST(replica_pg_down_skipped) { down_skipped(&pg); aiodb_test_clean_shutdown(); }
END_TEST
START_TEST(replica_pg_bad_input) { bad_input(&pg); }
END_TEST
START_TEST(replica_pg_deadline_on_each) { deadline_on_each(&pg); aiodb_test_clean_shutdown(); }
END_TEST

Suite *aiodb_suite_replica_pg(void) {
  return AIODB_SUITE("replica_pg", replica_pg_reads_from_standby, replica_pg_read_only_session,
                     replica_pg_round_robin, replica_pg_down_skipped, replica_pg_bad_input,
                     replica_pg_deadline_on_each);
}
#endif

#ifdef AIODB_HAVE_MYSQL
START_TEST(replica_mysql_reads_from_replica) {
  reads_from_standby(&my);
  aiodb_test_clean_shutdown();
}
END_TEST
START_TEST(replica_mysql_read_only_session) { read_only_session(&my); aiodb_test_clean_shutdown(); }
END_TEST
START_TEST(replica_mysql_round_robin) { round_robin(&my); aiodb_test_clean_shutdown(); }
END_TEST
START_TEST(replica_mysql_down_skipped) { down_skipped(&my); aiodb_test_clean_shutdown(); }
END_TEST
START_TEST(replica_mysql_bad_input) { bad_input(&my); }
END_TEST
START_TEST(replica_mysql_deadline_on_each) {
  deadline_on_each(&my);
  aiodb_test_clean_shutdown();
}
END_TEST

Suite *aiodb_suite_replica_mysql(void) {
  return AIODB_SUITE("replica_mysql", replica_mysql_reads_from_replica,
                     replica_mysql_read_only_session, replica_mysql_round_robin,
                     replica_mysql_down_skipped, replica_mysql_bad_input,
                     replica_mysql_deadline_on_each);
}
#endif
