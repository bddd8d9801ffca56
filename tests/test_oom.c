/* Allocation failures, swept, as SQLite's malloc tests do (test/malloc*.test
 * with sqlite3_test_control's fault injector): a scripted scenario that
 * makes every kind of public call is run once to count aiodb's
 * allocations, then again for each k with allocation k failing, once
 * ("fail once") and from k on ("fail persistently"), every run in a
 * process of its own (fork). Each run must not crash or hang, must give
 * every allocation back (the live count; LeakSanitizer in the sanitized
 * builds, at the child's exit), its first failing call must report
 * AIODB_ENOMEM, and once the allocator works again the step that failed
 * runs again, whole, on the same db (on a fresh one when the db itself
 * was lost). Only aiodb's allocations are swept: sqlite3, libpq and
 * libmariadb keep their own malloc. Allocations happen on the workers as
 * well, so the k-th is not the same one in every run; sweeping every k
 * covers them all. The scenario runs on SQLite and on the servers of the
 * pg and mysql fixtures, one case each. */
#include <errno.h>
#include <execinfo.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "db.h"
#include "future.h"

typedef struct engine {
  const char *name;    /* aiodb_db_driver() */
  const char *sweep;   /* the sweep's case (ctest's test) */
  const char *dir_env; /* the fixture's folder; NULL: SQLite in memory */
  const char *real, *text, *blob;
  const char *slow;    /* runs until interrupted */
  const char *endless; /* rows 1, 2, 3, ... (practically) without end */
  const char *fill;    /* puts BIG_ROWS rows (i from 1, s 'row') in oom_big */
} engine;

static const engine engines[] = {
    {"sqlite", "oom_sqlite", NULL, "DOUBLE PRECISION", "TEXT", "BLOB",
     "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
     "WHERE x < 10000000000) SELECT count(*) FROM c",
     "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT i FROM n",
     "INSERT INTO oom_big (i, s) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
     "SELECT i + 1 FROM n WHERE i < 2000) SELECT i, 'row' FROM n"},
    {"postgresql", "oom_postgresql", "AIODB_TEST_PG_DIR", "DOUBLE PRECISION", "TEXT", "BYTEA",
     "SELECT pg_sleep(30)", "SELECT generate_series(1, 1000000000)",
     "INSERT INTO oom_big (i, s) SELECT i, 'row' FROM generate_series(1, 2000) AS i"},
    {"mysql", "oom_mysql", "AIODB_TEST_MYSQL_DIR", "DOUBLE PRECISION", "LONGTEXT", "LONGBLOB",
     "SELECT SLEEP(30)", "SELECT seq FROM seq_1_to_1000000000",
     "INSERT INTO oom_big (i, s) SELECT seq, 'row' FROM seq_1_to_2000"},
};
#define N_ENGINES (sizeof engines / sizeof engines[0])

/* Calls fn with a db of one connection on SQLite in memory (unless
 * servers_only) and on each server of the fixtures that is there; frees
 * the db after. */
static void on_engines(int servers_only, void (*fn)(const engine *e, aiodb_db *db)) {
  size_t i;
  for (i = 0; i < N_ENGINES; i++) {
    const engine *e = &engines[i];
    const char *base = e->dir_env ? aiodb_test_server_url(e->dir_env) : "sqlite://";
    aiodb_db *db;
    if (base == NULL || (servers_only && e->dir_env == NULL)) continue;
    db = aiodb_test_open_with(base, "max_size=1");
    ck_assert_str_eq(aiodb_db_driver(db), e->name);
    fn(e, db);
    aiodb_db_free(db);
  }
}

#define BIG_ROWS 2000 /* in the engines' fill statements too */
#define MANY_ROWS 200
#define BLOB_BYTES (1u << 20)

/* ---- the allocator: counts, and fails allocation fail_at (once) or every
 * one from fail_at on (persistent) while armed ---- */

static atomic_long n_allocs, n_failed;
static atomic_int armed;
static long fail_at;
static int persistent;

static int trace; /* AIODB_TEST_OOM_TRACE=1: where each failure is made */

static int should_fail(void) {
  long i = atomic_fetch_add(&n_allocs, 1) + 1;
  if (!atomic_load(&armed) || (persistent ? i < fail_at : i != fail_at)) return 0;
  if (atomic_fetch_add(&n_failed, 1) == 0 && trace) {
    void *pcs[16];
    fprintf(stderr, "allocation %ld fails, in:\n", i);
    backtrace_symbols_fd(pcs, backtrace(pcs, 16), 2);
  }
  return 1;
}

static void *sweep_malloc(size_t n) { return should_fail() ? NULL : malloc(n); }

static void *sweep_realloc(void *p, size_t n) {
  return should_fail() ? NULL : realloc(p, n);
}

/* ---- one run, in a child process ---- */

static const engine *E;
static char url[800];
static const char *step = "";
static int failed;  /* a call failed: the allocator is disarmed */
static int strict;  /* the step again, after a failure: nothing may fail */
static unsigned char *blob;
static char first_failure[300]; /* which call failed first, and how */

#define REQUIRE(cond, ...)                                                  \
  do {                                                                      \
    if (!(cond)) {                                                          \
      fprintf(stderr, "oom %s, allocation %ld%s, step %s: ", E->name,       \
              fail_at, persistent ? " on" : "", step);                      \
      fprintf(stderr, __VA_ARGS__);                                         \
      if (first_failure[0])                                                 \
        fprintf(stderr, " [after: %s]", first_failure);                     \
      fputc('\n', stderr);                                                  \
      _exit(3);                                                             \
    }                                                                       \
  } while (0)

/* A call's outcome: 0 or an AIODB_E... code. The first failure must be
 * AIODB_ENOMEM, and disarms the allocator; after it, also may be what the
 * failure brings along by contract (AIODB_ETXABORTED in its tx). Returns
 * rc. */
static int check(int rc, const char *what, const char *msg, int also) {
  if (rc == 0) return 0;
  REQUIRE(!strict, "%s failed again with the allocator back: %s (%s)", what,
          aiodb_err_name(rc), msg);
  REQUIRE(atomic_load(&n_failed) > 0, "%s failed with no allocation failed: %s (%s)",
          what, aiodb_err_name(rc), msg);
  if (!failed) {
    REQUIRE(rc == AIODB_ENOMEM, "%s failed with %s, not AIODB_ENOMEM (%s)", what,
            aiodb_err_name(rc), msg);
    failed = 1;
    atomic_store(&armed, 0);
    snprintf(first_failure, sizeof first_failure, "%s in step %s: %s", what, step, msg);
  } else {
    REQUIRE(rc == AIODB_ENOMEM || (also != 0 && rc == also),
            "%s failed with %s after an allocation failure (%s)", what,
            aiodb_err_name(rc), msg);
  }
  return rc;
}

/* Waits for f (NULL: the call that should have made it ran out of memory)
 * and checks its outcome; returns the code. */
static int wait_rc(aiodb_future *f, const char *what, int also) {
  if (f == NULL) return check(AIODB_ENOMEM, what, "it returned NULL", also);
  REQUIRE(aiodb_future_wait(f, -1) == 0, "%s: wait failed", what);
  return check(aiodb_future_error(f), what, aiodb_future_errmsg(f), also);
}

/* f once it succeeded; NULL (f freed) when it failed. */
static aiodb_future *ok(aiodb_future *f, const char *what, int also) {
  if (wait_rc(f, what, also) == 0) return f;
  aiodb_future_free(f);
  return NULL;
}

/* Runs sql with args on db; returns 0 or the failure. */
static int run(aiodb_db *db, const char *sql, const aiodb_value *args, size_t n) {
  aiodb_future *f = ok(aiodb_query(db, sql, args, n), sql, 0);
  aiodb_future_free(f);
  return f ? 0 : 1;
}

/* The tables, named for the sweep (its process id): runs of two sweeps at
 * once on one server (two builds) must not meet. */
static char t_name[32] = "oom_t", big_name[32] = "oom_big", mig_name[32] = "oom_mig";

/* sql with oom_t, oom_big and oom_mig renamed so. Static storage, 4 slots. */
static const char *T(const char *sql) {
  static char buf[4][600];
  static int slot;
  char *out = buf[slot++ % 4];
  size_t n = 0;
  while (*sql != '\0' && n + 40 < sizeof buf[0]) {
    const char *name = NULL;
    if (strncmp(sql, "oom_t", 5) == 0)
      name = t_name, sql += 5;
    else if (strncmp(sql, "oom_big", 7) == 0)
      name = big_name, sql += 7;
    else if (strncmp(sql, "oom_mig", 7) == 0)
      name = mig_name, sql += 7;
    if (name != NULL) {
      n += (size_t)snprintf(out + n, sizeof buf[0] - n, "%s", name);
      continue;
    }
    out[n++] = *sql++;
  }
  out[n] = '\0';
  return out;
}

static const char *sql_of(const char *fmt, const char *a, const char *b,
                          const char *c) {
  static char buf[2][400];
  static int slot;
  char *s = buf[slot++ % 2];
  snprintf(s, sizeof buf[0], fmt, a, b, c);
  return s;
}

/* ---- the steps: each is whole or checks its failure and gives back all
 * it took; each can run again (the recovery) ---- */

static int step_open(aiodb_db **db) {
  aiodb_error err;
  memset(&err, 0xff, sizeof err);
  *db = aiodb_open(url, NULL, &err);
  if (*db == NULL) return check(err.code ? err.code : -1000, "aiodb_open", err.message, 0);
  REQUIRE(err.code == 0 && err.message[0] == '\0', "aiodb_open: err not cleared");
  REQUIRE(strcmp(aiodb_db_driver(*db), E->name) == 0, "driver %s", aiodb_db_driver(*db));
  return 0;
}

/* The tables stay between runs on a server (each run is a process of its
 * own), so a run after the first finds them made and filled. */
static int step_create(aiodb_db **db) {
  aiodb_future *f;
  int64_t n;
  if (run(*db, T(sql_of("CREATE TABLE IF NOT EXISTS oom_t (n BIGINT, i BIGINT, f %s, "
                        "s %s, b %s)", E->real, E->text, E->blob)), NULL, 0) ||
      run(*db, T(sql_of("CREATE TABLE IF NOT EXISTS oom_big (i BIGINT, s %s)", E->text,
                        NULL, NULL)), NULL, 0))
    return 1;
  f = ok(aiodb_query(*db, T("SELECT count(*) FROM oom_big"), NULL, 0), "count", 0);
  if (f == NULL) return 1;
  n = aiodb_result_int(aiodb_future_result(f), 0, 0);
  aiodb_future_free(f);
  if (n == BIG_ROWS) return 0;
  return run(*db, T("DELETE FROM oom_big"), NULL, 0) || run(*db, T(E->fill), NULL, 0);
}

static void on_done(aiodb_future *f, void *ud) {
  (void)f;
  *(int *)ud = 1;
}

static int step_values(aiodb_db **db) {
  static const char bytes[] = {'a', 0, 'b', (char)0xff};
  aiodb_value pos[5], named[5], nulls[5], one = aiodb_int(5);
  aiodb_future *f;
  aiodb_result *r;
  aiodb_cq *cq;
  int called = 0, rc;

  pos[0] = aiodb_int(1);
  pos[1] = aiodb_int(-42);
  pos[2] = aiodb_float(2.5);
  pos[3] = aiodb_text("caf\xc3\xa9");
  pos[4] = aiodb_blob(bytes, sizeof bytes);
  nulls[0] = aiodb_int(2);
  nulls[1] = nulls[2] = nulls[3] = nulls[4] = aiodb_null();
  named[0] = aiodb_int(3); /* :n */
  named[1] = aiodb_blob("", 0); /* :b, first seen before :i */
  named[2] = aiodb_int(INT64_MAX); /* :i */
  named[3] = aiodb_float(-0.25); /* :f */
  named[4] = aiodb_textn("", 0); /* :s */
  if (run(*db, T("DELETE FROM oom_t WHERE n <= 3"), NULL, 0) ||
      run(*db, T("INSERT INTO oom_t (n, i, f, s, b) VALUES (?, ?, ?, ?, ?)"), pos, 5) ||
      run(*db, T("INSERT INTO oom_t (n, i, f, s, b) VALUES (?, ?, ?, ?, ?)"), nulls, 5) ||
      run(*db, T("INSERT INTO oom_t (n, b, i, f, s) VALUES (:n, :b, :i, :f, :s)"), named, 5))
    return 1;
  f = ok(aiodb_query(*db, T("SELECT n, i, f, s, b FROM oom_t WHERE n <= 3 ORDER BY n"),
                     NULL, 0), "select values", 0);
  if (f == NULL) return 1;
  r = aiodb_future_result(f);
  REQUIRE(aiodb_result_rows(r) == 3 && aiodb_result_cols(r) == 5, "%zu rows",
          aiodb_result_rows(r));
  REQUIRE(aiodb_result_int(r, 0, 1) == -42 && aiodb_result_float(r, 0, 2) == 2.5 &&
              strcmp(aiodb_result_text(r, 0, 3), "caf\xc3\xa9") == 0 &&
              aiodb_result_len(r, 0, 4) == sizeof bytes &&
              memcmp(aiodb_result_blob(r, 0, 4), bytes, sizeof bytes) == 0,
          "row 1 differs");
  REQUIRE(aiodb_result_isnull(r, 1, 1) && aiodb_result_isnull(r, 1, 2) &&
              aiodb_result_isnull(r, 1, 3) && aiodb_result_isnull(r, 1, 4),
          "row 2 is not NULLs");
  REQUIRE(aiodb_result_int(r, 2, 1) == INT64_MAX && aiodb_result_float(r, 2, 2) == -0.25 &&
              aiodb_result_len(r, 2, 3) == 0 && aiodb_result_len(r, 2, 4) == 0 &&
              !aiodb_result_isnull(r, 2, 4),
          "row 3 differs");
  aiodb_future_free(f);

  /* a callback, through a cq of the caller's */
  cq = aiodb_cq_new();
  if (cq == NULL) return check(errno == ENOMEM ? AIODB_ENOMEM : AIODB_ESYS, "aiodb_cq_new",
                               strerror(errno), 0);
  f = aiodb_query(*db, "SELECT ?", &one, 1);
  if (f == NULL) {
    aiodb_cq_free(cq);
    return check(AIODB_ENOMEM, "aiodb_query", "NULL", 0);
  }
  aiodb_future_on_done_cq(f, cq, on_done, &called);
  while (!called) REQUIRE(aiodb_cq_run_once(cq, -1) >= 0, "aiodb_cq_run_once");
  rc = check(aiodb_future_error(f), "callback query", aiodb_future_errmsg(f), 0);
  REQUIRE(rc != 0 || aiodb_result_int(aiodb_future_result(f), 0, 0) == 5, "callback value");
  aiodb_future_free(f);
  aiodb_cq_free(cq);
  return rc;
}

static int step_tx(aiodb_db **db) {
  aiodb_value v100 = aiodb_int(100), v101 = aiodb_int(101);
  aiodb_value two[2] = {aiodb_int(150), aiodb_int(151)};
  aiodb_future *q1, *qm, *q2 = NULL, *r2 = NULL, *q3, *c, *f;
  aiodb_tx *tx, *sp;
  int bad = 0;

  if (run(*db, T("DELETE FROM oom_t WHERE n >= 100 AND n < 200"), NULL, 0)) return 1;
  tx = aiodb_begin(*db);
  if (tx == NULL) return check(AIODB_ENOMEM, "aiodb_begin", "NULL", 0);
  q1 = aiodb_tx_query(tx, T("INSERT INTO oom_t (n) VALUES (?)"), &v100, 1);
  qm = aiodb_tx_query_many(tx, T("INSERT INTO oom_t (n) VALUES (?)"), two, 2, 1);
  sp = aiodb_tx_begin(tx);
  if (sp != NULL) {
    q2 = aiodb_tx_query(sp, T("INSERT INTO oom_t (n) VALUES (?)"), &v101, 1);
    r2 = aiodb_rollback(sp);
  }
  q3 = aiodb_tx_query(tx, T("SELECT count(*) FROM oom_t WHERE n >= 100 AND n < 200"), NULL, 0);
  c = aiodb_commit(tx);

  bad |= wait_rc(q1, "aiodb_tx_query", AIODB_ETXABORTED) != 0;
  bad |= wait_rc(qm, "aiodb_tx_query_many", AIODB_ETXABORTED) != 0;
  if (sp == NULL) bad |= check(AIODB_ENOMEM, "aiodb_tx_begin", "NULL", 0) != 0;
  if (sp != NULL) {
    bad |= wait_rc(q2, "aiodb_tx_query (savepoint)", AIODB_ETXABORTED) != 0;
    bad |= wait_rc(r2, "aiodb_rollback (savepoint)", AIODB_ETXABORTED) != 0;
  }
  bad |= wait_rc(q3, "aiodb_tx_query (count)", AIODB_ETXABORTED) != 0;
  bad |= wait_rc(c, "aiodb_commit", AIODB_ETXABORTED) != 0;
  if (!bad)
    REQUIRE(aiodb_result_int(aiodb_future_result(q3), 0, 0) == 3,
            "the savepoint's row was not rolled back");
  aiodb_test_free_all(q1, qm, q2, r2, q3, c);
  if (bad) return 1;
  f = ok(aiodb_query(*db, T("SELECT count(*) FROM oom_t WHERE n >= 100 AND n < 200"), NULL, 0),
         "count after commit", 0);
  if (f == NULL) return 1;
  REQUIRE(aiodb_result_int(aiodb_future_result(f), 0, 0) == 3, "commit lost");
  aiodb_future_free(f);
  return 0;
}

static int step_many(aiodb_db **db) {
  static aiodb_value rows[MANY_ROWS * 2];
  aiodb_future *f;
  int i;
  for (i = 0; i < MANY_ROWS; i++) {
    rows[2 * i] = aiodb_int(1000 + i);
    rows[2 * i + 1] = aiodb_text("many");
  }
  if (run(*db, T("DELETE FROM oom_t WHERE n >= 1000 AND n < 2000"), NULL, 0)) return 1;
  f = ok(aiodb_query_many(*db, T("INSERT INTO oom_t (n, s) VALUES (?, ?)"), rows, MANY_ROWS, 2),
         "aiodb_query_many", 0);
  if (f == NULL) return 1;
  REQUIRE(aiodb_result_affected(aiodb_future_result(f)) == MANY_ROWS, "affected %lld",
          (long long)aiodb_result_affected(aiodb_future_result(f)));
  aiodb_future_free(f);
  return 0;
}

static int step_large(aiodb_db **db) {
  aiodb_value v = aiodb_blob(blob, BLOB_BYTES);
  aiodb_future *f;
  aiodb_result *r;
  size_t i;

  f = ok(aiodb_query(*db, T("SELECT i, s FROM oom_big ORDER BY i"), NULL, 0),
         "select 2000 rows", 0);
  if (f == NULL) return 1;
  r = aiodb_future_result(f);
  REQUIRE(aiodb_result_rows(r) == BIG_ROWS, "%zu rows", aiodb_result_rows(r));
  for (i = 0; i < BIG_ROWS; i++)
    REQUIRE(aiodb_result_int(r, i, 0) == (int64_t)i + 1 &&
                strcmp(aiodb_result_text(r, i, 1), "row") == 0,
            "row %zu differs", i);
  aiodb_future_free(f);

  if (run(*db, T("DELETE FROM oom_t WHERE n = 5"), NULL, 0) ||
      run(*db, T("INSERT INTO oom_t (n, b) VALUES (5, ?)"), &v, 1))
    return 1;
  f = ok(aiodb_query(*db, T("SELECT b FROM oom_t WHERE n = 5"), NULL, 0), "select 1 MiB", 0);
  if (f == NULL) return 1;
  r = aiodb_future_result(f);
  REQUIRE(aiodb_result_rows(r) == 1 && aiodb_result_len(r, 0, 0) == BLOB_BYTES &&
              memcmp(aiodb_result_blob(r, 0, 0), blob, BLOB_BYTES) == 0,
          "the 1 MiB blob differs");
  aiodb_future_free(f);
  return 0;
}

static int step_cursor(aiodb_db **db) {
  aiodb_value from = aiodb_int(100);
  aiodb_cursor *c;
  aiodb_future *f;
  long total = 0, n;

  c = aiodb_iterate(*db, T("SELECT i FROM oom_big ORDER BY i"), NULL, 0, 700);
  if (c == NULL) return check(AIODB_ENOMEM, "aiodb_iterate", "NULL", 0);
  do {
    f = ok(aiodb_cursor_next(c), "aiodb_cursor_next", 0);
    if (f == NULL) {
      aiodb_cursor_free(c);
      return 1;
    }
    n = (long)aiodb_result_rows(aiodb_future_result(f));
    REQUIRE(n == 0 || aiodb_result_int(aiodb_future_result(f), 0, 0) == total + 1,
            "batch starts at %lld", (long long)aiodb_result_int(aiodb_future_result(f), 0, 0));
    total += n;
    aiodb_future_free(f);
  } while (n > 0);
  REQUIRE(total == BIG_ROWS, "%ld rows", total);
  aiodb_cursor_free(c);

  /* one freed before its end */
  c = aiodb_iterate(*db, T("SELECT i FROM oom_big WHERE i > ? ORDER BY i"), &from, 1, 10);
  if (c == NULL) return check(AIODB_ENOMEM, "aiodb_iterate", "NULL", 0);
  f = ok(aiodb_cursor_next(c), "aiodb_cursor_next", 0);
  aiodb_cursor_free(c);
  if (f == NULL) return 1;
  REQUIRE(aiodb_result_rows(aiodb_future_result(f)) == 10 &&
              aiodb_result_int(aiodb_future_result(f), 0, 0) == 101,
          "the early cursor's batch differs");
  aiodb_future_free(f);
  return 0;
}

static int gate_entered(aiodb_test_gate *g) {
  int e;
  pthread_mutex_lock(&g->m);
  e = g->entered;
  pthread_mutex_unlock(&g->m);
  return e;
}

static int running(aiodb_future *f) {
  int r;
  pthread_mutex_lock(&f->db->lock);
  r = f->state == AIODB__JS_RUNNING;
  pthread_mutex_unlock(&f->db->lock);
  return r;
}

/* Cancels f, which is running or queued; returns its outcome. A cancel
 * that reports success must stop it: retried only when no allocation
 * failed during the cancel (a cancel can be lost to a statement that is
 * just starting, a race of its own). */
static int cancel_running(aiodb_future *f) {
  int tries, rc;
  for (tries = 0; tries < 20; tries++) {
    long before = atomic_load(&n_failed);
    rc = aiodb_future_cancel(f);
    if (rc == AIODB_EBUSY && aiodb_future_done(f)) break;
    if (rc != 0) {
      if (check(rc, "aiodb_future_cancel", aiodb_strerror(rc), 0) != 0) continue;
    }
    if (aiodb_future_wait(f, 3000) == 0) break;
    REQUIRE(atomic_load(&n_failed) == before,
            "aiodb_future_cancel returned 0 but the statement still runs 3 s later");
  }
  REQUIRE(aiodb_future_wait(f, -1) == 0, "wait");
  return aiodb_future_error(f);
}

static int step_cancel(aiodb_db **db) {
  aiodb_test_gate gate;
  aiodb_future *acq, *gf, *q, *slow;
  aiodb_conn *conn;
  int bad = 0, rc, i;

  /* queued behind a busy pinned connection: dropped */
  acq = ok(aiodb_acquire(*db), "aiodb_acquire", 0);
  if (acq == NULL) return 1;
  conn = aiodb_future_conn(acq);
  aiodb_test_gate_init(&gate);
  gf = aiodb_run(conn, aiodb_test_gate_fn, &gate);
  while (gf != NULL && !gate_entered(&gate) && !aiodb_future_done(gf)) usleep(500);
  if (gf == NULL || !gate_entered(&gate)) {
    bad = 1;
    wait_rc(gf, "aiodb_run", 0);
  } else {
    q = aiodb_conn_query(conn, "SELECT 1", NULL, 0);
    if (q == NULL || aiodb_future_done(q)) { /* failed before it was queued */
      bad = wait_rc(q, "aiodb_conn_query", 0) != 0;
    } else {
      rc = aiodb_future_cancel(q);
      REQUIRE(rc == 0, "cancel of a queued statement: %s", aiodb_err_name(rc));
    }
    aiodb_test_gate_open(&gate);
    if (q != NULL && !bad)
      REQUIRE(aiodb_future_wait(q, -1) == 0 &&
                  aiodb_future_error(q) == AIODB_ECANCELED,
              "queued cancel: %s", aiodb_err_name(aiodb_future_error(q)));
    aiodb_future_free(q);
    REQUIRE(aiodb_future_wait(gf, -1) == 0 && aiodb_future_value(gf) == 7, "gate");
  }
  aiodb_future_free(gf);
  aiodb_test_gate_destroy(&gate);
  aiodb_release(conn);
  aiodb_future_free(acq);
  if (bad) return 1;

  /* running: interrupted */
  slow = aiodb_query(*db, E->slow, NULL, 0);
  if (slow == NULL) return check(AIODB_ENOMEM, "aiodb_query", "NULL", 0);
  for (i = 0; i < 20000 && !aiodb_future_done(slow) && !running(slow); i++) usleep(500);
  usleep(10000); /* from taken to sent */
  rc = cancel_running(slow);
  if (rc != AIODB_ECANCELED) /* it may have failed before it ran */
    rc = check(rc, "the canceled statement", aiodb_future_errmsg(slow), 0);
  aiodb_future_free(slow);
  if (rc != AIODB_ECANCELED && rc != 0) return 1;
  /* the connection serves on */
  return run(*db, "SELECT 1", NULL, 0);
}

static int contains(aiodb_result *r, const char *name) {
  size_t i;
  for (i = 0; i < aiodb_result_rows(r); i++)
    if (strcmp(aiodb_result_text(r, i, 0), name) == 0) return 1;
  return 0;
}

static int step_meta(aiodb_db **db) {
  aiodb_future *f;
  aiodb_result *r;
  f = ok(aiodb_table_names(*db), "aiodb_table_names", 0);
  if (f == NULL) return 1;
  r = aiodb_future_result(f);
  REQUIRE(contains(r, t_name) && contains(r, big_name), "table names");
  aiodb_future_free(f);
  f = ok(aiodb_has_table(*db, t_name), "aiodb_has_table", 0);
  if (f == NULL) return 1;
  REQUIRE(aiodb_result_int(aiodb_future_result(f), 0, 0) == 1, "has_table");
  aiodb_future_free(f);
  f = ok(aiodb_columns(*db, t_name), "aiodb_columns", 0);
  if (f == NULL) return 1;
  REQUIRE(aiodb_result_rows(aiodb_future_result(f)) > 0, "columns");
  aiodb_future_free(f);
  f = ok(aiodb_indexes(*db, t_name), "aiodb_indexes", 0);
  if (f == NULL) return 1;
  aiodb_future_free(f);
  f = ok(aiodb_view_names(*db), "aiodb_view_names", 0);
  if (f == NULL) return 1;
  aiodb_future_free(f);
  f = ok(aiodb_server_info(*db), "aiodb_server_info", 0);
  if (f == NULL) return 1;
  r = aiodb_future_result(f);
  REQUIRE(strcmp(aiodb_result_text(r, 0, 0), E->name) == 0 &&
              strcmp(aiodb_result_text(r, 0, 3), aiodb_version()) == 0,
          "server_info");
  aiodb_future_free(f);
  return 0;
}

/* aiodb_migrate: a folder of three files (mig_files), written by the
 * sweep before its runs. */
static char mig_dir[600];

static const struct {
  const char *name, *sql;
} mig_files[] = {
    /* MariaDB commits a CREATE on its own: a file run twice must not fail */
    {"0001_create.sql", "CREATE TABLE IF NOT EXISTS oom_mig (id INTEGER PRIMARY KEY, "
                        "body VARCHAR(50))"},
    {"0002_rows.sql", "INSERT INTO oom_mig VALUES (1, 'a;b');\n-- one; more\n"
                      "INSERT INTO oom_mig VALUES (2, 'it''s');\n"},
    {"0003_more.sql", "UPDATE oom_mig SET body = 'c' WHERE id = 1; "
                      "INSERT INTO oom_mig VALUES (3, 'x')"},
};
#define MIG_FILES (sizeof mig_files / sizeof mig_files[0])

static int mig_fresh; /* this run dropped what an earlier one migrated */

/* Status, then the run that applies, then one that finds nothing to do.
 * The run again after a failure keeps what the failed one applied: it
 * must apply the rest, each file once. */
static int step_migrate(aiodb_db **db) {
  aiodb_migrate_options o;
  aiodb_future *f;
  aiodb_result *r;
  size_t i;

  if (!mig_fresh) {
    if (run(*db, "DROP TABLE IF EXISTS aiodb_migrations", NULL, 0) ||
        run(*db, T("DROP TABLE IF EXISTS oom_mig"), NULL, 0))
      return 1;
    mig_fresh = 1;
  }
  memset(&o, 0, sizeof o);
  o.status = 1;
  f = ok(aiodb_migrate(*db, mig_dir, &o), "aiodb_migrate (status)", 0);
  if (f == NULL) return 1;
  REQUIRE(aiodb_result_rows(aiodb_future_result(f)) == MIG_FILES, "status: %zu rows",
          aiodb_result_rows(aiodb_future_result(f)));
  aiodb_future_free(f);
  f = ok(aiodb_migrate(*db, mig_dir, NULL), "aiodb_migrate", 0);
  if (f == NULL) return 1;
  r = aiodb_future_result(f);
  for (i = 0; i < aiodb_result_rows(r); i++)
    REQUIRE(strcmp(aiodb_result_text(r, i, 2), "applied") == 0, "row %zu: %s", i,
            aiodb_result_text(r, i, 2));
  REQUIRE(strict || aiodb_result_rows(r) == MIG_FILES, "%zu files applied",
          aiodb_result_rows(r));
  aiodb_future_free(f);
  f = ok(aiodb_query(*db, T("SELECT (SELECT count(*) FROM aiodb_migrations), "
                            "(SELECT count(*) FROM oom_mig), "
                            "(SELECT count(*) FROM oom_mig WHERE body = 'c')"), NULL, 0),
         "the migrated rows", 0);
  if (f == NULL) return 1;
  r = aiodb_future_result(f);
  REQUIRE(aiodb_result_int(r, 0, 0) == (int64_t)MIG_FILES && aiodb_result_int(r, 0, 1) == 3 &&
              aiodb_result_int(r, 0, 2) == 1,
          "%lld versions, %lld rows, %lld updated: a file applied twice, or not at all",
          (long long)aiodb_result_int(r, 0, 0), (long long)aiodb_result_int(r, 0, 1),
          (long long)aiodb_result_int(r, 0, 2));
  aiodb_future_free(f);
  f = ok(aiodb_migrate(*db, mig_dir, NULL), "aiodb_migrate (again)", 0);
  if (f == NULL) return 1;
  REQUIRE(aiodb_result_rows(aiodb_future_result(f)) == 0, "again: %zu files applied",
          aiodb_result_rows(aiodb_future_result(f)));
  aiodb_future_free(f);
  return 0;
}

static void mig_write(void) {
  size_t i;
  snprintf(mig_dir, sizeof mig_dir, "%s", aiodb_test_path(".mig"));
  ck_assert_int_eq(mkdir(mig_dir, 0700), 0);
  for (i = 0; i < MIG_FILES; i++) {
    char path[700];
    FILE *fp;
    snprintf(path, sizeof path, "%s/%s", mig_dir, mig_files[i].name);
    fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    fputs(T(mig_files[i].sql), fp);
    ck_assert_int_eq(fclose(fp), 0);
  }
}

static void mig_remove(void) {
  size_t i;
  for (i = 0; i < MIG_FILES; i++) {
    char path[700];
    snprintf(path, sizeof path, "%s/%s", mig_dir, mig_files[i].name);
    unlink(path);
  }
  rmdir(mig_dir);
}

static int three(void *native, void *ud) {
  (void)native;
  (void)ud;
  return 3;
}

static int step_pinned(aiodb_db **db) {
  aiodb_value seven = aiodb_int(7), rows[3] = {aiodb_int(200), aiodb_int(201), aiodb_int(202)};
  aiodb_future *acq, *q, *m, *tq, *c, *fn, *p;
  aiodb_conn *conn;
  aiodb_tx *tx;
  int bad = 0;

  if (run(*db, T("DELETE FROM oom_t WHERE n >= 200 AND n < 300"), NULL, 0)) return 1;
  acq = ok(aiodb_acquire(*db), "aiodb_acquire", 0);
  if (acq == NULL) return 1;
  conn = aiodb_future_conn(acq);
  q = aiodb_conn_query(conn, "SELECT ?", &seven, 1);
  m = aiodb_conn_query_many(conn, T("INSERT INTO oom_t (n) VALUES (?)"), rows, 3, 1);
  p = aiodb_query(*db, "SELECT 8", NULL, 0); /* the pool, meanwhile */
  tx = aiodb_conn_begin(conn);
  tq = tx ? aiodb_tx_query(tx, T("SELECT count(*) FROM oom_t WHERE n >= 200 AND n < 300"), NULL, 0) : NULL;
  c = tx ? aiodb_commit(tx) : NULL;
  fn = aiodb_run(conn, three, NULL);
  bad |= wait_rc(q, "aiodb_conn_query", 0) != 0;
  bad |= wait_rc(m, "aiodb_conn_query_many", 0) != 0;
  bad |= wait_rc(p, "aiodb_query (while pinned)", 0) != 0;
  if (tx == NULL) bad |= check(AIODB_ENOMEM, "aiodb_conn_begin", "NULL", 0) != 0;
  if (tx != NULL) {
    bad |= wait_rc(tq, "aiodb_tx_query", AIODB_ETXABORTED) != 0;
    bad |= wait_rc(c, "aiodb_commit", AIODB_ETXABORTED) != 0;
  }
  bad |= wait_rc(fn, "aiodb_run", 0) != 0;
  if (!bad) {
    REQUIRE(aiodb_result_int(aiodb_future_result(q), 0, 0) == 7, "conn_query value");
    REQUIRE(aiodb_result_affected(aiodb_future_result(m)) == 3, "conn_query_many");
    REQUIRE(aiodb_result_int(aiodb_future_result(p), 0, 0) == 8, "pool value");
    REQUIRE(aiodb_result_int(aiodb_future_result(tq), 0, 0) == 3, "conn tx count");
    REQUIRE(aiodb_future_value(fn) == 3, "aiodb_run value");
  }
  aiodb_test_free_all(q, m, p, tq, c, fn);
  aiodb_release(conn);
  aiodb_future_free(acq);
  return bad;
}

static int step_sync(aiodb_db **db) {
  aiodb_value v = aiodb_text("sync");
  aiodb_error err;
  aiodb_future *f;
  aiodb_result *r;
  int64_t n = 0;
  char *t = NULL;
  int rc;
  memset(&err, 0xff, sizeof err);
  r = aiodb_query_sync(*db, "SELECT ?", &v, 1, &err);
  if (r == NULL) return check(err.code ? err.code : -1000, "aiodb_query_sync", err.message, 0);
  REQUIRE(err.code == 0 && err.message[0] == '\0', "aiodb_query_sync: err not cleared");
  REQUIRE(strcmp(aiodb_result_text(r, 0, 0), "sync") == 0, "sync value");
  aiodb_result_free(r);
  /* the other synchronous helpers: a statement, a number, a copied text */
  if (aiodb_exec_sync(*db, "SELECT ?", &v, 1, &err) != 0)
    return check(err.code ? err.code : -1000, "aiodb_exec_sync", err.message, 0);
  REQUIRE(err.code == 0 && err.sqlstate[0] == '\0' && err.native_code == 0,
          "aiodb_exec_sync: err not cleared");
  if ((rc = aiodb_query_int_sync(*db, "SELECT 3 AS n", NULL, 0, "n", &n, &err)) != 0)
    return check(rc, "aiodb_query_int_sync", err.message, 0);
  REQUIRE(n == 3, "aiodb_query_int_sync value");
  if ((rc = aiodb_query_text_sync(*db, "SELECT ?", &v, 1, NULL, &t, &err)) != 0)
    return check(rc, "aiodb_query_text_sync", err.message, 0);
  REQUIRE(strcmp(t, "sync") == 0, "aiodb_query_text_sync value");
  aiodb_free(t);
  /* and the escape hatch on the pool */
  f = ok(aiodb_db_run(*db, three, NULL), "aiodb_db_run", 0);
  if (f == NULL) return 1;
  REQUIRE(aiodb_future_value(f) == 3, "aiodb_db_run value");
  aiodb_future_free(f);
  return 0;
}

/* The db goes; nothing to see but that it neither hangs nor leaks. */
static int step_free(aiodb_db **db) {
  aiodb_db_free(*db);
  *db = NULL;
  return 0;
}

/* Open, use and close, then free a closed db. */
static int step_close(aiodb_db **db) {
  aiodb_future *f;
  int rc, bad;
  if (step_open(db) != 0) return 1;
  bad = run(*db, "SELECT 1", NULL, 0);
  if (!bad) {
    f = ok(aiodb_close(*db), "aiodb_close", 0);
    bad = f == NULL;
    if (f != NULL) {
      aiodb_future_free(f);
      f = aiodb_query(*db, "SELECT 1", NULL, 0);
      rc = f ? aiodb_test_err(f) : AIODB_ENOMEM;
      if (rc != AIODB_EALREADYQUIT) bad = check(rc, "a query after close", "", 0) != 0;
      aiodb_future_free(f);
    }
  }
  aiodb_db_free(*db);
  *db = NULL;
  return bad;
}

static const struct {
  const char *name;
  int (*fn)(aiodb_db **db);
} steps[] = {
    {"open", step_open},     {"create", step_create}, {"values", step_values},
    {"tx", step_tx},         {"many", step_many},     {"large", step_large},
    {"cursor", step_cursor}, {"cancel", step_cancel}, {"meta", step_meta},
    {"migrate", step_migrate}, {"pinned", step_pinned}, {"sync", step_sync},
    {"free", step_free},     {"close", step_close},
};

/* The scenario; on a failure, that step again with the allocator back,
 * then the end. Returns the allocations made. */
static long scenario(void) {
  aiodb_db *db = NULL;
  long made;
  size_t i;
  for (i = 0; i < sizeof steps / sizeof steps[0]; i++) {
    step = steps[i].name;
    /* futures and results come from pools: emptied, each step's calls
     * allocate theirs, and those allocations are swept too */
    aiodb__pools_trim();
    if (steps[i].fn(&db) == 0 && !failed) continue;
    REQUIRE(failed, "the step failed, yet no call did");
    strict = 1;
    step = "the failed step, again";
    if (db == NULL && steps[i].fn != step_open && steps[i].fn != step_close)
      step_open(&db);
    REQUIRE(steps[i].fn(&db) == 0, "the step failed again");
    break;
  }
  made = atomic_load(&n_allocs);
  atomic_store(&armed, 0);
  strict = 1;
  step = "the end";
  if (db == NULL) step_open(&db);
  run(db, "SELECT 1", NULL, 0);
  aiodb_db_free(db);
  aiodb__pools_trim();
  REQUIRE(aiodb__alloc_live() == 0, "%ld allocations still live", aiodb__alloc_live());
  return made;
}

/* A run that hangs says where, then fails. */
static void on_alarm(int sig) {
  char msg[600];
  int n = snprintf(msg, sizeof msg, "oom %s, allocation %ld%s: hung in step %s [after: %s]\n",
                   E->name, fail_at, persistent ? " on" : "", step, first_failure);
  (void)sig;
  if (n > 0 && write(2, msg, (size_t)n) < 0) n = 0;
  _exit(5);
}

static void quiet(const aiodb_diag *d, void *ud) {
  (void)d;
  (void)ud;
}

/* Runs the scenario in a child; k == 0 counts. Returns the wait status,
 * and the allocations counted through *made when it exits 0. */
static int run_child(long k, int persist, long *made) {
  int p[2], status;
  pid_t pid;
  ck_assert_int_eq(pipe(p), 0);
  fflush(NULL);
  pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    long n;
    close(p[0]);
    /* A hang fails the run: SIGALRM ends this process alone (not through
     * the handler Check's runner installed, which kills the whole case). */
    signal(SIGALRM, on_alarm);
    alarm(60);
    fail_at = k;
    persistent = persist;
    atomic_store(&armed, k > 0);
    aiodb_set_allocator(sweep_malloc, sweep_realloc, NULL);
    aiodb_set_diag_handler(quiet, NULL);
    n = scenario();
    if (write(p[1], &n, sizeof n) != (ssize_t)sizeof n) _exit(4);
    close(p[1]);
    exit(0); /* LeakSanitizer looks at exit */
  }
  close(p[1]);
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  if (made != NULL && read(p[0], made, sizeof *made) != (ssize_t)sizeof *made) *made = -1;
  close(p[0]);
  return status;
}

static int status_ok(int status) { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

/* The server keeps the sweep's tables: dropped at its end, by a process
 * of its own (this one makes no thread). */
static void drop_tables(void) {
  pid_t pid;
  int status;
  fflush(NULL);
  pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    aiodb_db *db = aiodb_open(url, NULL, NULL);
    int bad = db == NULL || run(db, T("DROP TABLE oom_t"), NULL, 0) ||
              run(db, T("DROP TABLE oom_big"), NULL, 0) ||
              run(db, T("DROP TABLE IF EXISTS oom_mig"), NULL, 0) ||
              run(db, "DROP TABLE IF EXISTS aiodb_migrations", NULL, 0);
    aiodb_db_free(db);
    _exit(bad);
  }
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert_msg(status_ok(status), "oom %s: the tables could not be dropped", E->name);
}


static void describe(char *buf, size_t cap, int status) {
  if (WIFSIGNALED(status))
    snprintf(buf, cap, "%s", strsignal(WTERMSIG(status)));
  else if (WEXITSTATUS(status) == 5)
    snprintf(buf, cap, "hung (60 s)");
  else
    snprintf(buf, cap, "exit %d", WEXITSTATUS(status)); /* a sanitizer's report is above */
}

#if defined(__SANITIZE_THREAD__)
#define OOM_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define OOM_TSAN 1
#endif
#endif

/* Every k, but where a run costs most: under the sanitizers on a server,
 * and under ThreadSanitizer on SQLite too, the first 50 and every 7th
 * (AIODB_TEST_OOM_FULL=1: every k). */
static int picked(const engine *e, long k) {
  const char *full = getenv("AIODB_TEST_OOM_FULL");
  int stride = 0;
  if (full != NULL && strcmp(full, "1") == 0) return 1;
#if defined(AIODB_TEST_SANITIZED)
  stride = e->dir_env != NULL;
#endif
#if defined(OOM_TSAN)
  stride = 1;
#endif
  (void)e;
  return !stride || k <= 50 || k % 7 == 0;
}

static void sweep(const engine *e) {
  long count = 0, k, runs[2] = {0, 0}, only;
  int status, mode, nbad = 0;
  char why[64], first[200] = "";
  double t0 = aiodb_test_now_ms();

  E = e;
  blob = malloc(BLOB_BYTES);
  ck_assert_ptr_nonnull(blob);
  for (k = 0; k < (long)BLOB_BYTES; k++) blob[k] = (unsigned char)(k * 7 + k / 251);
  if (e->dir_env == NULL) {
    snprintf(url, sizeof url, "sqlite://?max_size=2");
  } else {
    const char *base = aiodb_test_server_file(e->dir_env, "socket_url");
    const char *ci = getenv("CI");
    if (base == NULL) {
      ck_assert_msg(ci == NULL || strcmp(ci, "true") != 0, "no test server in %s under CI",
                    e->dir_env);
      fprintf(stderr, "oom %s: skipped, no server in %s\n", e->name, e->dir_env);
      free(blob);
      return;
    }
    snprintf(url, sizeof url, "%s%smax_size=2", base, strchr(base, '?') ? "&" : "?");
  }
  snprintf(t_name, sizeof t_name, "oom_t_%ld", (long)getpid());
  snprintf(big_name, sizeof big_name, "oom_big_%ld", (long)getpid());
  snprintf(mig_name, sizeof mig_name, "oom_mig_%ld", (long)getpid());
  mig_write();

  status = run_child(0, 0, &count);
  describe(why, sizeof why, status);
  ck_assert_msg(status_ok(status), "oom %s: the scenario fails without a failure: %s",
                e->name, why);
  /* more than counted: the workers' share varies from run to run.
   * AIODB_TEST_OOM_K=k runs that k alone (and AIODB_TEST_OOM_TRACE=1
   * prints where its failure is made). */
  only = getenv("AIODB_TEST_OOM_K") ? atol(getenv("AIODB_TEST_OOM_K")) : 0;
  trace = getenv("AIODB_TEST_OOM_TRACE") != NULL;
  for (mode = 0; mode < 2 && nbad < 5; mode++)
    for (k = 1; k <= count + count / 5 && nbad < 5; k++) {
      if (only > 0 ? k != only : !picked(e, k)) continue;
      runs[mode]++;
      status = run_child(k, mode, NULL);
      if (status_ok(status)) continue;
      describe(why, sizeof why, status);
      fprintf(stderr, "oom %s: failing allocation %ld%s: %s\n", e->name, k,
              mode ? " and on" : " once", why);
      if (nbad++ == 0)
        snprintf(first, sizeof first, "allocation %ld%s: %s", k, mode ? " and on" : " once", why);
    }
  if (e->dir_env != NULL) drop_tables();
  mig_remove();
  fprintf(stderr,
          "oom %s: %ld allocations in the scenario; %ld runs failing one, %ld failing "
          "all from k on; %.1f s\n",
          e->name, count, runs[0], runs[1], (aiodb_test_now_ms() - t0) / 1000);
  free(blob);
  ck_assert_msg(nbad == 0, "oom %s: %d runs failed, the first: %s", e->name, nbad, first);
}

/* Run in a case per engine (engines[_i].sweep). */
START_TEST(oom_sweep) { sweep(&engines[_i]); }
END_TEST

/* ---- what ends a handle needs no memory: a tx's end, a cursor's free and
 * a db's close are made with the handle, so that running out of memory
 * never leaves a connection pinned, a transaction open or a free hanging.
 * ---- */

/* From here every aiodb allocation fails, with nothing recycled in the
 * pools to fall back on, until memory_back(). */
static void no_memory(void) {
  aiodb__pools_trim();
  aiodb_test_fail_allocs_after(0);
}

static void memory_back(void) { aiodb_set_allocator(NULL, NULL, NULL); }

/* sql's first cell, which must come within 5 s: the connection it needs
 * was given back. */
static int64_t scalar_soon(aiodb_db *db, const char *sql) {
  aiodb_future *f = aiodb_query(db, sql, NULL, 0);
  int64_t v;
  ck_assert_msg(aiodb_future_wait(f, 5000) == 0, "%s: no answer within 5 s", sql);
  v = aiodb_result_int(aiodb_future_result(aiodb_test_ok(f)), 0, 0);
  aiodb_future_free(f);
  return v;
}

START_TEST(oom_tx_ends_need_no_memory) {
  aiodb_db *db = aiodb_open("sqlite://?max_size=1", NULL, NULL);
  aiodb_future *c, *r;
  aiodb_tx *tx, *sp;

  aiodb_test_exec(db, "CREATE TABLE t (n INTEGER)");
  tx = aiodb_begin(db);
  aiodb_future_free(aiodb_test_ok(aiodb_tx_query(tx, "INSERT INTO t VALUES (1)", NULL, 0)));
  no_memory();
  c = aiodb_commit(tx);
  memory_back();
  ck_assert_ptr_nonnull(c);
  aiodb_future_free(aiodb_test_ok(c));
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM t"), 1);

  /* a savepoint rolled back, its parent committed */
  tx = aiodb_begin(db);
  sp = aiodb_tx_begin(tx);
  aiodb_future_free(aiodb_test_ok(aiodb_tx_query(sp, "INSERT INTO t VALUES (2)", NULL, 0)));
  no_memory();
  r = aiodb_rollback(sp);
  c = aiodb_commit(tx);
  memory_back();
  ck_assert_ptr_nonnull(r);
  ck_assert_ptr_nonnull(c);
  aiodb_future_free(aiodb_test_ok(r));
  aiodb_future_free(aiodb_test_ok(c));
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM t"), 1);

  /* a tx freed: rolled back, and its connection (the only one) back */
  tx = aiodb_begin(db);
  aiodb_future_free(aiodb_test_ok(aiodb_tx_query(tx, "INSERT INTO t VALUES (3)", NULL, 0)));
  no_memory();
  aiodb_tx_free(tx);
  memory_back();
  ck_assert_int_eq(scalar_soon(db, "SELECT count(*) FROM t"), 1);
  aiodb_test_done(db);
}
END_TEST

START_TEST(oom_cursor_free_needs_no_memory) {
  aiodb_db *db = aiodb_open("sqlite://?max_size=1", NULL, NULL);
  aiodb_cursor *c = aiodb_iterate(db, engines[0].endless, NULL, 0, 10);

  ck_assert_uint_eq(aiodb_test_next_rows(c, NULL), 10);
  no_memory();
  aiodb_cursor_free(c); /* stops the endless statement, gives the connection back */
  memory_back();
  ck_assert_int_eq(scalar_soon(db, "SELECT 5"), 5);
  aiodb_test_done(db);
}
END_TEST

static void *free_db(void *db) {
  aiodb_db_free(db);
  return NULL;
}

START_TEST(oom_db_close_and_free_need_no_memory) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  aiodb_future *f;
  pthread_t t;
  struct timespec ts;

  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 1"), 1);
  no_memory();
  f = aiodb_close(db);
  memory_back();
  ck_assert_ptr_nonnull(f);
  aiodb_future_free(aiodb_test_ok(f));
  aiodb_db_free(db);

  /* a free that closes */
  db = aiodb_open("sqlite://", NULL, NULL);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 1"), 1);
  no_memory();
  ck_assert_int_eq(pthread_create(&t, NULL, free_db, db), 0);
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += 10;
  ck_assert_msg(pthread_timedjoin_np(t, NULL, &ts) == 0, "aiodb_db_free hangs");
  memory_back();
  aiodb_test_clean_shutdown();
}
END_TEST

/* The library's own statements (BEGIN, SAVEPOINT, their ends) need no
 * memory of aiodb's: a tx never fails to begin or end for want of it. */
static void own_statements_on(const engine *e, aiodb_db *db) {
  aiodb_future *acq, *gf, *r, *c;
  aiodb_test_gate gate;
  aiodb_conn *conn;
  aiodb_tx *tx;

  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 1"), 1);
  acq = aiodb_test_ok(aiodb_acquire(db));
  conn = aiodb_future_conn(acq);
  aiodb_test_gate_init(&gate);
  gf = aiodb_run(conn, aiodb_test_gate_fn, &gate);
  aiodb_test_gate_wait_entered(&gate); /* what follows waits behind it */
  tx = aiodb_conn_begin(conn);
  r = aiodb_rollback(aiodb_tx_begin(tx));
  c = aiodb_commit(tx);
  no_memory();
  aiodb_test_gate_open(&gate);
  ck_assert_int_eq(aiodb_future_wait(c, 10000), 0);
  memory_back();
  ck_assert_msg(aiodb_future_error(r) == 0, "%s: savepoint: %s", e->name,
                aiodb_future_errmsg(r));
  ck_assert_msg(aiodb_future_error(c) == 0, "%s: tx: %s", e->name, aiodb_future_errmsg(c));
  aiodb_future_free(r);
  aiodb_future_free(c);
  aiodb_future_free(aiodb_test_ok(gf));
  aiodb_test_gate_destroy(&gate);
  aiodb_release(conn);
  aiodb_future_free(acq);
}

START_TEST(oom_own_statements_need_no_memory) {
  on_engines(0, own_statements_on);
  aiodb_test_clean_shutdown();
}
END_TEST

/* A cancel (the interrupt a PostgreSQL or MySQL driver posts to its
 * canceller) needs no memory: one that reports success stops the
 * statement. */
static void cancel_on(const engine *e, aiodb_db *db) {
  aiodb_future *f;
  int rc;

  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 1"), 1);
  f = aiodb_query(db, e->slow, NULL, 0);
  ck_assert_int_eq(aiodb_future_wait(f, 200), AIODB_ETIMEDOUT); /* running */
  no_memory();
  rc = aiodb_future_cancel(f);
  memory_back();
  ck_assert_int_eq(rc, 0);
  ck_assert_msg(aiodb_future_wait(f, 5000) == 0, "%s: the cancel was lost", e->name);
  ck_assert_int_eq(aiodb_future_error(f), AIODB_ECANCELED);
  aiodb_future_free(f);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 7"), 7);
}

START_TEST(oom_cancel_needs_no_memory) {
  on_engines(1, cancel_on);
  aiodb_test_clean_shutdown();
}
END_TEST

/* A cursor freed before its end stops its statement without memory, and
 * its connection serves on (it was given up when the cancel could not be
 * posted). */
static void early_cursor_on(const engine *e, aiodb_db *db) {
  aiodb_cursor *c = aiodb_iterate(db, e->endless, NULL, 0, 10);
  aiodb_future *f;

  ck_assert_uint_eq(aiodb_test_next_rows(c, NULL), 10);
  no_memory();
  aiodb_cursor_free(c);
  f = aiodb_query(db, "SELECT 5", NULL, 0); /* made before the free ran */
  memory_back();
  aiodb_future_free(f);
  f = aiodb_query(db, "SELECT 5", NULL, 0);
  ck_assert_msg(aiodb_test_err(f) == 0, "%s: %s", e->name, aiodb_future_errmsg(f));
  ck_assert_int_eq(aiodb_result_int(aiodb_future_result(f), 0, 0), 5);
  aiodb_future_free(f);
}

START_TEST(oom_early_cursor_free_keeps_the_connection) {
  on_engines(1, early_cursor_on);
  aiodb_test_clean_shutdown();
}
END_TEST

/* A statement whose run failed for want of memory (at any of its
 * allocations: its future, its arguments, the driver's statement and
 * buffers, the result) runs right the next time, from the statement
 * cache. */
static void statement_after_failure_on(const engine *e, aiodb_db *db) {
  aiodb_result *r;
  aiodb_value args[3] = {aiodb_text("some text"), aiodb_blob("\0\1", 2), aiodb_int(7)};
  aiodb_future *f;
  char sql[96];
  int n, rc = AIODB_ENOMEM;

  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 1"), 1);
  for (n = 0; n < 50 && rc == AIODB_ENOMEM; n++) {
    /* new text each time: prepared afresh */
    snprintf(sql, sizeof sql, "SELECT ? AS s%d, ? AS b, ? AS i", n);
    aiodb__pools_trim();
    aiodb_test_fail_allocs_after(n);
    f = aiodb_query(db, sql, args, 3);
    rc = f ? aiodb_test_err(f) : AIODB_ENOMEM;
    memory_back();
    ck_assert_msg(rc == 0 || rc == AIODB_ENOMEM, "%s: after %d allocations: %s", e->name, n,
                  aiodb_future_errmsg(f));
    aiodb_future_free(f);
    f = aiodb_test_ok(aiodb_query(db, sql, args, 3));
    r = aiodb_future_result(f);
    ck_assert_msg(strcmp(aiodb_result_text(r, 0, 0), "some text") == 0 &&
                      aiodb_result_len(r, 0, 1) == 2 &&
                      memcmp(aiodb_result_blob(r, 0, 1), "\0\1", 2) == 0 &&
                      aiodb_result_int(r, 0, 2) == 7,
                  "%s: the run after a failure at allocation %d reads '%s', %zu bytes, %lld",
                  e->name, n + 1, aiodb_result_text(r, 0, 0), aiodb_result_len(r, 0, 1),
                  (long long)aiodb_result_int(r, 0, 2));
    aiodb_future_free(f);
  }
  ck_assert_int_eq(rc, 0);
}

START_TEST(oom_statement_runs_after_failing) {
  on_engines(0, statement_after_failure_on);
  aiodb_test_clean_shutdown();
}
END_TEST

/* ctest runs each case as a test of its own (CK_RUN_CASE). */
Suite *aiodb_suite_oom(void) {
  Suite *s = suite_create("oom");
  TCase *tc;
  int i;
  for (i = 0; i < (int)N_ENGINES; i++) AIODB_TCASE_ROW(s, engines[i].sweep, oom_sweep, i, 900);
  tc = tcase_create("oom_cases");
  tcase_set_timeout(tc, AIODB_TEST_TIMEOUT);
  tcase_add_test(tc, oom_tx_ends_need_no_memory);
  tcase_add_test(tc, oom_cursor_free_needs_no_memory);
  tcase_add_test(tc, oom_db_close_and_free_need_no_memory);
  tcase_add_test(tc, oom_own_statements_need_no_memory);
  tcase_add_test(tc, oom_cancel_needs_no_memory);
  tcase_add_test(tc, oom_early_cursor_free_keeps_the_connection);
  tcase_add_test(tc, oom_statement_runs_after_failing);
  suite_add_tcase(s, tc);
  return s;
}
