/* PostgreSQL through PgBouncer 1.18 in transaction mode (the pgbouncer
 * fixture, tests/pgbouncer.sh: default_pool_size = 2, so many clients share
 * 2 server connections, which change hands after every transaction). With
 * pgbouncer=1 statements go unnamed, each in one round trip with one Sync;
 * without it the statement cache's named statements clash between
 * clients. The admin console (admin_url) is read through aiodb too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

#define DIR_ENV "AIODB_TEST_PGBOUNCER_DIR"
#define NDBS 3
#define NCONNS 4 /* per db: 12 clients */

static const char *bouncer(const char *file) {
  const char *u = aiodb_test_server_file(DIR_ENV, file);
  ck_assert_msg(u != NULL, "no PgBouncer (%s in $%s)", file, DIR_ENV);
  return u;
}

/* ---- the admin console ---- */

static aiodb_future *admin(const char *command) {
  aiodb_db *db = aiodb_test_open_with(bouncer("admin_url"), "pgbouncer=1");
  aiodb_future *f = aiodb_test_ok(aiodb_query(db, command, NULL, 0));
  aiodb_db_free(db); /* f keeps its result */
  return f;
}

/* Rows of SHOW CLIENTS or SHOW SERVERS for the test database. */
static int admin_count(const char *command) {
  aiodb_future *f = admin(command);
  aiodb_result *r = aiodb_future_result(f);
  const char *name;
  size_t i;
  int n = 0;
  for (i = 0; i < aiodb_result_rows(r); i++) {
    ck_assert_int_eq(aiodb_result_get_text_by_name(r, i, "database", &name), 0);
    n += strcmp(name, "aiodb") == 0;
  }
  aiodb_future_free(f);
  return n;
}

/* Server connections closed once released: no statement a case
 * prepared on them is left for the next. */
static void admin_reconnect(void) {
  aiodb_future_free(admin("RECONNECT aiodb"));
}

/* Waits (30 s at most) until PgBouncer has n clients of the test database
 * logged in: connections open on their workers, after aiodb_open. */
static int wait_clients(int n) {
  double deadline = aiodb_test_now_ms() + 30000;
  int got;
  while ((got = admin_count("SHOW CLIENTS")) < n && aiodb_test_now_ms() < deadline)
    usleep(20000);
  return got;
}

/* ---- the load: NDBS dbs of NCONNS connections each, through PgBouncer,
 * every call submitted before any is waited for ---- */

typedef struct load {
  int queries, txs, many_rows;  /* per db */
  int calls;                    /* calls made */
  int failed;                   /* calls that failed */
  int wrong;                    /* calls that succeeded with a wrong answer */
  int bad;                      /* division by zero that did not say so */
  char first_error[300], first_wrong[300];
  int prepared_clash;           /* failures naming a prepared statement */
  long pids[16];                /* server backends seen */
  int npids;
  uint64_t batches, batched;
  double ms;
} load;

static void saw_pid(load *l, long pid) {
  int i;
  for (i = 0; i < l->npids; i++)
    if (l->pids[i] == pid) return;
  if (l->npids < 16) l->pids[l->npids++] = pid;
}

/* Waits for f: 0 if it succeeded, else notes the failure. */
static int settle(load *l, aiodb_future *f) {
  int rc = aiodb_test_err(f);
  l->calls++;
  if (rc != 0) {
    const char *state = aiodb_future_sqlstate(f);
    if (l->failed++ == 0)
      snprintf(l->first_error, sizeof l->first_error, "%s [%s]: %s", aiodb_err_name(rc),
               state, aiodb_future_errmsg(f));
    if (strcmp(state, "42P05") == 0 || strcmp(state, "26000") == 0) l->prepared_clash++;
  }
  return rc;
}

/* A call that succeeded with another answer than its own. */
static void wrong_answer(load *l, const char *what, long got, long want) {
  if (l->wrong++ == 0)
    snprintf(l->first_wrong, sizeof l->first_wrong, "%s: %ld, not %ld", what, got, want);
}

static void make_tables(void) {
  aiodb_db *db = aiodb_test_open_with(bouncer("url"), "pgbouncer=1");
  aiodb_test_exec(db, "DROP TABLE IF EXISTS pgb_kv, pgb_ledger, pgb_total, pgb_many");
  aiodb_test_exec(db, "CREATE TABLE pgb_kv AS SELECT g AS id, 'v' || g AS v "
                      "FROM generate_series(1, 1000) g");
  aiodb_test_exec(db, "CREATE TABLE pgb_ledger (db int, n int8)");
  aiodb_test_exec(db, "CREATE TABLE pgb_total (db int PRIMARY KEY, total int8)");
  aiodb_test_exec(db, "INSERT INTO pgb_total SELECT g, 0 FROM generate_series(0, 2) g");
  aiodb_test_exec(db, "CREATE TABLE pgb_many (db int, n int8, t text)");
  aiodb_test_done(db);
}

#define QUERY_SQL "SELECT k.v, ?::int8 * 2 AS twice, pg_backend_pid() AS pid FROM pgb_kv k " \
                  "WHERE k.id = ?"
#define TX_EVERY 50
#define BAD_EVERY 100

static void run_load(const char *opts, load *l) {
  aiodb_db *db[NDBS];
  aiodb_future **q[NDBS], **txf[NDBS], **bad[NDBS], *many[NDBS];
  aiodb_value *rows[NDBS];
  char url_opts[200];
  double t0;
  int d, i, k, ntx = l->queries / TX_EVERY;

  l->txs = ntx;
  snprintf(url_opts, sizeof url_opts, "%s%smin_size=%d&max_size=%d", opts, *opts ? "&" : "",
           NCONNS, NCONNS);
  for (d = 0; d < NDBS; d++) {
    db[d] = aiodb_test_open_with(bouncer("url"), url_opts);
    q[d] = calloc((size_t)l->queries, sizeof *q[d]);
    txf[d] = calloc((size_t)ntx * 5, sizeof *txf[d]);
    bad[d] = calloc((size_t)l->queries / BAD_EVERY + 1, sizeof *bad[d]);
    rows[d] = calloc((size_t)l->many_rows * 3, sizeof *rows[d]);
    ck_assert(q[d] != NULL && txf[d] != NULL && bad[d] != NULL && rows[d] != NULL);
    for (i = 0; i < l->many_rows; i++) {
      rows[d][3 * i] = aiodb_int(d);
      rows[d][3 * i + 1] = aiodb_int(i);
      rows[d][3 * i + 2] = aiodb_text("row");
    }
  }
  /* every client logged in before the load starts */
  ck_assert_int_ge(wait_clients(NDBS * NCONNS), NDBS * NCONNS);
  t0 = aiodb_test_now_ms();
  for (i = 0; i < l->queries; i++) {
    for (d = 0; d < NDBS; d++) {
      aiodb_value args[2] = {aiodb_int(i), aiodb_int(1 + (d * 7919 + i) % 1000)};
      q[d][i] = aiodb_query(db[d], QUERY_SQL, args, 2);
      if (i % BAD_EVERY == 0) { /* fails alone, among the others */
        aiodb_value same[2] = {aiodb_int(i), aiodb_int(i)};
        bad[d][i / BAD_EVERY] = aiodb_query(db[d], "SELECT 1 / (?::int8 - ?::int8)", same, 2);
      }
      if (i % TX_EVERY == 0) {
        /* a transaction of several statements, in flight with the rest */
        aiodb_tx *tx = aiodb_begin(db[d]);
        aiodb_value ins[2] = {aiodb_int(d), aiodb_int(i)};
        aiodb_value upd[2] = {aiodb_int(i), aiodb_int(d)};
        aiodb_future **t = &txf[d][(i / TX_EVERY) * 5];
        t[0] = aiodb_tx_query(tx, "SELECT pg_backend_pid() AS pid", NULL, 0);
        t[1] = aiodb_tx_query(tx, "INSERT INTO pgb_ledger VALUES (?, ?)", ins, 2);
        t[2] = aiodb_tx_query(tx, "UPDATE pgb_total SET total = total + ? WHERE db = ?", upd, 2);
        t[3] = aiodb_tx_query(tx, "SELECT pg_backend_pid() AS pid", NULL, 0);
        t[4] = aiodb_commit(tx);
      }
      if (i == l->queries / 2)
        many[d] = aiodb_query_many(db[d], "INSERT INTO pgb_many VALUES (?, ?, ?)", rows[d],
                                   (size_t)l->many_rows, 3);
    }
  }
  for (d = 0; d < NDBS; d++) {
    for (i = 0; i < l->queries; i++) {
      if (settle(l, q[d][i]) == 0) {
        aiodb_result *r = aiodb_future_result(q[d][i]);
        char want[16];
        snprintf(want, sizeof want, "v%d", 1 + (d * 7919 + i) % 1000);
        if (aiodb_result_rows(r) != 1 || aiodb_result_cols(r) != 3)
          wrong_answer(l, "a point select's rows", (long)aiodb_result_rows(r), 1);
        else if (strcmp(aiodb_result_text(r, 0, 0), want) != 0 ||
                 aiodb_result_int(r, 0, 1) != 2 * (int64_t)i)
          wrong_answer(l, "a point select's twice", (long)aiodb_result_int(r, 0, 1), 2L * i);
        else
          saw_pid(l, (long)aiodb_result_int(r, 0, 2));
      }
      aiodb_future_free(q[d][i]);
    }
    for (k = 0; k < ntx; k++) {
      aiodb_future **t = &txf[d][k * 5];
      int ok = 1;
      for (i = 0; i < 5; i++) ok &= settle(l, t[i]) == 0;
      /* the transaction kept its server connection */
      if (ok && aiodb_result_int(aiodb_future_result(t[0]), 0, 0) !=
                    aiodb_result_int(aiodb_future_result(t[3]), 0, 0))
        wrong_answer(l, "a transaction's second backend",
                     (long)aiodb_result_int(aiodb_future_result(t[3]), 0, 0),
                     (long)aiodb_result_int(aiodb_future_result(t[0]), 0, 0));
      for (i = 0; i < 5; i++) aiodb_future_free(t[i]);
    }
    for (i = 0; i < l->queries; i += BAD_EVERY) {
      aiodb_future *f = bad[d][i / BAD_EVERY];
      if (aiodb_test_err(f) != AIODB_ESQL || strcmp(aiodb_future_sqlstate(f), "22012") != 0) {
        settle(l, f);
        l->bad++;
      } else {
        l->calls++;
      }
      aiodb_future_free(f);
    }
    if (settle(l, many[d]) == 0 &&
        aiodb_result_affected(aiodb_future_result(many[d])) != l->many_rows)
      wrong_answer(l, "query_many's rows inserted",
                   (long)aiodb_result_affected(aiodb_future_result(many[d])), l->many_rows);
    aiodb_future_free(many[d]);
  }
  l->ms = aiodb_test_now_ms() - t0;
  for (d = 0; d < NDBS; d++) {
    uint64_t b, n;
    aiodb_db_stats(db[d], &b, &n);
    l->batches += b;
    l->batched += n;
  }
  if (l->failed == 0 && l->wrong == 0) {
    /* 12 clients, and no more than the pool's 2 server connections */
    int clients = admin_count("SHOW CLIENTS"), servers = admin_count("SHOW SERVERS");
    ck_assert_int_ge(clients, NDBS * NCONNS);
    ck_assert_int_le(servers, 2);
    ck_assert_int_le(l->npids, 2);
    printf("pgbouncer (%s): %d clients on %d server connections (SHOW SERVERS: %d): "
           "%d queries, %d transactions of 3 statements, %d query_many of %d rows in "
           "%.0f ms: %.0f queries/s; %llu batches of %.1f statements\n",
           opts, clients, l->npids, servers, NDBS * l->queries, NDBS * ntx, NDBS,
           l->many_rows, l->ms, NDBS * l->queries * 1000.0 / l->ms,
           (unsigned long long)l->batches,
           l->batches ? (double)l->batched / (double)l->batches : 0.0);
  }
  for (d = 0; d < NDBS; d++) {
    aiodb_db_free(db[d]);
    free(q[d]);
    free(txf[d]);
    free(bad[d]);
    free(rows[d]);
  }
  aiodb_test_clean_shutdown();
}

/* What the tables hold after a load that had no failure. */
static void check_tables(const load *l) {
  aiodb_db *db = aiodb_test_open_with(bouncer("url"), "pgbouncer=1");
  int64_t per_db = 0;
  int k, d;
  for (k = 0; k < l->txs; k++) per_db += (int64_t)k * TX_EVERY;
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM pgb_ledger"), NDBS * l->txs);
  for (d = 0; d < NDBS; d++) {
    char sql[80];
    snprintf(sql, sizeof sql, "SELECT total FROM pgb_total WHERE db = %d", d);
    ck_assert_int_eq(aiodb_test_scalar(db, sql), per_db);
  }
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM pgb_many"),
                   NDBS * l->many_rows);
  aiodb_test_done(db);
}

/* The load, with and without the option. */
static const struct {
  const char *opts;
  int queries, many_rows;
  int clash; /* 1: must fail with clashing prepared statements */
} loads[] = {
    {"pgbouncer=1", 2000, 500, 0},
    /* the option turns the statement cache off, whatever it says */
    {"pgbouncer=1&statement_cache=64", 400, 100, 0},
    /* the cache off alone sends unnamed statements in one round trip too */
    {"statement_cache=0", 400, 100, 0},
    /* neither: aiodb's named statements meet on shared server connections */
    {"", 400, 100, 1},
};

START_TEST(pgb_load) {
  load l;
  memset(&l, 0, sizeof l);
  l.queries = loads[_i].queries;
  l.many_rows = loads[_i].many_rows;
  make_tables();
  run_load(loads[_i].opts, &l);
  if (loads[_i].clash) {
    ck_assert_msg(l.prepared_clash > 0, "no prepared statement clashed (%d failures: %s)",
                  l.failed, l.first_error);
    ck_assert_msg(strstr(l.first_error, "prepared statement") != NULL, "%s", l.first_error);
    printf("pgbouncer (statement cache on): %d of %d calls failed, first: %s; "
           "%d answered another client's statement%s%s\n",
           l.failed, l.calls, l.first_error,
           l.wrong, l.wrong ? ", first: " : "", l.first_wrong);
    admin_reconnect(); /* leave no aiodb_N on the server connections */
  } else {
    ck_assert_msg(l.failed == 0, "%d calls failed, first: %s", l.failed, l.first_error);
    ck_assert_msg(l.wrong == 0, "%d wrong answers, first: %s", l.wrong, l.first_wrong);
    ck_assert_int_eq(l.bad, 0);
    /* several Syncs in flight on one client connection */
    ck_assert_uint_gt(l.batches, 0);
    check_tables(&l);
  }
  aiodb_test_clean_shutdown();
}
END_TEST

/* A transaction keeps its server connection while other clients run:
 * none of their statements lands there until it ends; SET LOCAL holds
 * within it; a rollback and a savepoint undo what they should. */
START_TEST(pgb_transactions) {
  aiodb_db *a = aiodb_test_open_with(bouncer("url"), "pgbouncer=1");
  aiodb_db *b = aiodb_test_open_with(bouncer("url"), "pgbouncer=1&min_size=4&max_size=4");
  aiodb_future *f[200], *g;
  aiodb_tx *tx, *sp;
  int64_t pid;
  int i;

  aiodb_test_exec(a, "DROP TABLE IF EXISTS pgb_t");
  aiodb_test_exec(a, "CREATE TABLE pgb_t (n int)");
  tx = aiodb_begin(a);
  g = aiodb_test_ok(aiodb_tx_query(tx, "SELECT pg_backend_pid()", NULL, 0));
  pid = aiodb_result_int(aiodb_future_result(g), 0, 0);
  aiodb_future_free(g);
  aiodb_future_free(aiodb_test_ok(
      aiodb_tx_query(tx, "SET LOCAL application_name = 'pgb-tx'", NULL, 0)));
  for (i = 0; i < 200; i++) {
    aiodb_value arg = aiodb_int(i);
    f[i] = aiodb_query(b, "SELECT pg_backend_pid(), ?::int8", &arg, 1);
  }
  for (i = 0; i < 200; i++) {
    aiodb_test_ok(f[i]);
    ck_assert_int_ne(aiodb_result_int(aiodb_future_result(f[i]), 0, 0), pid);
    ck_assert_int_eq(aiodb_result_int(aiodb_future_result(f[i]), 0, 1), i);
    aiodb_future_free(f[i]);
  }
  {
    aiodb_value arg = aiodb_int(1);
    aiodb_future_free(aiodb_test_ok(aiodb_tx_query(tx, "INSERT INTO pgb_t VALUES (?)", &arg, 1)));
  }
  g = aiodb_test_ok(aiodb_tx_query(
      tx, "SELECT pg_backend_pid(), current_setting('application_name')", NULL, 0));
  ck_assert_int_eq(aiodb_result_int(aiodb_future_result(g), 0, 0), pid);
  ck_assert_str_eq(aiodb_result_text(aiodb_future_result(g), 0, 1), "pgb-tx");
  aiodb_future_free(g);
  /* a savepoint rolled back, the rest committed */
  sp = aiodb_tx_begin(tx);
  aiodb_future_free(aiodb_test_ok(aiodb_tx_query(sp, "INSERT INTO pgb_t VALUES (2)", NULL, 0)));
  aiodb_future_free(aiodb_test_ok(aiodb_rollback(sp)));
  aiodb_future_free(aiodb_test_ok(aiodb_commit(tx)));
  ck_assert_int_eq(aiodb_test_scalar(a, "SELECT sum(n) FROM pgb_t"), 1);
  /* a rolled-back transaction leaves nothing */
  tx = aiodb_begin(a);
  aiodb_future_free(aiodb_test_ok(aiodb_tx_query(tx, "INSERT INTO pgb_t VALUES (5)", NULL, 0)));
  aiodb_future_free(aiodb_test_ok(aiodb_rollback(tx)));
  ck_assert_int_eq(aiodb_test_scalar(a, "SELECT count(*) FROM pgb_t"), 1);
  aiodb_test_exec(a, "DROP TABLE pgb_t");
  aiodb_db_free(b);
  aiodb_test_done(a);
}
END_TEST

/* A cursor is one statement with one Sync: its server connection stays
 * with it until its last row, while others run on the other one. Freed
 * early, it is stopped by a cancel request through PgBouncer and its
 * connection serves again. */
START_TEST(pgb_cursors) {
  aiodb_db *a = aiodb_test_open_with(bouncer("url"), "pgbouncer=1");
  aiodb_db *b = aiodb_test_open_with(bouncer("url"), "pgbouncer=1&min_size=4&max_size=4");
  /* 2000 rows, more than the server buffers before it sends, then a
   * pause on the last: the statement still runs after the first batch */
  aiodb_value n = aiodb_int(2001);
  aiodb_cursor *c;
  aiodb_future *f[200], *g;
  int64_t pid;
  long rows;
  double t0;
  int i;

  ck_assert_int_eq(aiodb_test_scalar(b, "SELECT 1"), 1);
  c = aiodb_iterate(a, "SELECT g, pg_backend_pid() FROM generate_series(1, ?::int8) g, "
                       "LATERAL pg_sleep(CASE WHEN g = 2001 THEN 3 ELSE 0 END)",
                    &n, 1, 1000);
  g = aiodb_test_ok(aiodb_cursor_next(c));
  t0 = aiodb_test_now_ms();
  ck_assert_uint_eq(aiodb_result_rows(aiodb_future_result(g)), 1000);
  pid = aiodb_result_int(aiodb_future_result(g), 0, 1);
  aiodb_future_free(g);
  for (i = 0; i < 200; i++) {
    aiodb_value arg = aiodb_int(i);
    f[i] = aiodb_query(b, "SELECT pg_backend_pid(), ?::int8", &arg, 1);
  }
  for (i = 0; i < 200; i++) aiodb_test_ok(f[i]);
  /* none reached the cursor's server connection while its statement ran
   * (a machine too slow to be done within the pause proves nothing) */
  if (aiodb_test_now_ms() - t0 < 2500)
    for (i = 0; i < 200; i++)
      ck_assert_int_ne(aiodb_result_int(aiodb_future_result(f[i]), 0, 0), pid);
  else
    fprintf(stderr, "pgb_cursors: too slow to check the cursor's server connection\n");
  for (i = 0; i < 200; i++) aiodb_future_free(f[i]);
  rows = 1000;
  for (;;) {
    size_t got;
    g = aiodb_test_ok(aiodb_cursor_next(c));
    got = aiodb_result_rows(aiodb_future_result(g));
    if (got > 0) {
      ck_assert_int_eq(aiodb_result_int(aiodb_future_result(g), 0, 0), rows + 1);
      ck_assert_int_eq(aiodb_result_int(aiodb_future_result(g), 0, 1), pid);
    }
    aiodb_future_free(g);
    if (got == 0) break;
    rows += (long)got;
  }
  ck_assert_int_eq(rows, 2001);
  aiodb_cursor_free(c);

  /* freed early: the server stops it on PgBouncer's word */
  n = aiodb_int(100000000);
  c = aiodb_iterate(a, "SELECT generate_series(1, ?::int8)", &n, 1, 100);
  aiodb_future_free(aiodb_test_ok(aiodb_cursor_next(c)));
  t0 = aiodb_test_now_ms();
  aiodb_cursor_free(c);
  ck_assert_int_eq(aiodb_test_scalar(a, "SELECT 7"), 7);
  printf("pgbouncer: a cursor freed early gave its connection back in %.0f ms\n",
         aiodb_test_now_ms() - t0);
  ck_assert_int_eq(aiodb_test_scalar(b, "SELECT 8"), 8);
  aiodb_db_free(b);
  aiodb_test_done(a);
}
END_TEST

/* A deadline's cancel request reaches the statement through PgBouncer. */
START_TEST(pgb_deadline) {
  aiodb_db *db = aiodb_test_open_with(bouncer("url"), "pgbouncer=1");
  aiodb_value s = aiodb_float(30);
  aiodb_future *f = aiodb_query(db, "SELECT pg_sleep(?)", &s, 1);
  double t0 = aiodb_test_now_ms();
  ck_assert_int_eq(aiodb_future_set_timeout(f, 300), 0);
  ck_assert_int_eq(aiodb_test_err(f), AIODB_ETIMEDOUT);
  ck_assert_double_lt(aiodb_test_now_ms() - t0, 10000);
  aiodb_future_free(f);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 9"), 9);
  aiodb_test_done(db);
}
END_TEST

/* The option is a boolean, and the PostgreSQL driver's only. */
START_TEST(pgb_option_values) {
  aiodb_db *db;
  char url[600];
  snprintf(url, sizeof url, "%s?pgbouncer=maybe", bouncer("url"));
  aiodb_test_open_fails(url, NULL, AIODB_EINVAL, "option 'pgbouncer' must be a boolean");
  snprintf(url, sizeof url, "%s?pgbouncer=", bouncer("url"));
  aiodb_test_open_fails(url, NULL, AIODB_EINVAL, "pgbouncer");
  aiodb_test_open_fails("sqlite://?pgbouncer=1", NULL, AIODB_EINVAL,
                        "unknown option 'pgbouncer'");
  db = aiodb_test_open_with(bouncer("url"), "pgbouncer=off");
  aiodb_test_done(db);
}
END_TEST

Suite *aiodb_suite_pgbouncer(void) {
  Suite *s = AIODB_SUITE("pgbouncer", pgb_transactions, pgb_cursors, pgb_deadline,
                         pgb_option_values);
  AIODB_TCASE_ROW(s, "pgb_load_pgbouncer", pgb_load, 0, 240);
  AIODB_TCASE_ROW(s, "pgb_load_pgbouncer_overrides_cache", pgb_load, 1, 120);
  AIODB_TCASE_ROW(s, "pgb_load_statement_cache_0", pgb_load, 2, 120);
  AIODB_TCASE_ROW(s, "pgb_load_without_the_option_clashes", pgb_load, 3, 120);
  return s;
}
