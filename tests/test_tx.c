/* Transactions on SQLite: failures, savepoints, pinned connections, close,
 * force_rollback. Commit and rollback, a savepoint rolled back and a tx
 * freed are the shared suite's (test_shared.c, on every driver). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

static void tx_exec(aiodb_tx *tx, const char *sql) {
  aiodb_future_free(aiodb_test_ok(aiodb_tx_query(tx, sql, NULL, 0)));
}

static aiodb_db *open_t(const char *opts) {
  char url[800];
  aiodb_db *db;
  snprintf(url, sizeof url, "%s%s", aiodb_test_sqlite_url(), opts ? opts : "");
  db = aiodb_open(url, NULL, NULL);
  ck_assert_ptr_nonnull(db);
  aiodb_test_exec(db, "CREATE TABLE t(x INTEGER UNIQUE)");
  return db;
}

/* Rows in t. */
static int64_t t_rows(aiodb_db *db) { return aiodb_test_scalar(db, "SELECT count(*) FROM t"); }

/* Holds tx's connection in gate g (aiodb_tx_run): what tx queues next
 * waits. Returns the run's future. */
static aiodb_future *hold_tx(aiodb_tx *tx, aiodb_test_gate *g) {
  aiodb_future *run;
  aiodb_test_gate_init(g);
  run = aiodb_tx_run(tx, aiodb_test_gate_fn, g);
  aiodb_test_gate_wait_entered(g);
  return run;
}

/* Drops the statement dropped, queued behind the gate, then opens it:
 * dropped fails with AIODB_ECANCELED, run succeeds. */
static void drop_then_open(aiodb_future *dropped, aiodb_test_gate *g, aiodb_future *run) {
  ck_assert_int_eq(aiodb_future_cancel(dropped), 0);
  aiodb_test_gate_open(g);
  aiodb_test_ok(run);
  ck_assert_int_eq(aiodb_test_err(dropped), AIODB_ECANCELED);
}

START_TEST(tx_begin_returns_at_once) {
  aiodb_db *db = open_t(NULL); /* one connection */
  aiodb_test_gate g;
  aiodb_future *gate, *ins, *commit;
  aiodb_tx *tx;
  double t0;

  gate = aiodb_test_gate_hold(db, &g);
  t0 = aiodb_test_now_ms();
  tx = aiodb_begin(db); /* the only connection is busy: still at once */
  ins = aiodb_tx_query(tx, "INSERT INTO t VALUES (7)", NULL, 0);
  commit = aiodb_commit(tx);
  ck_assert(aiodb_test_now_ms() - t0 < 500);
  ck_assert_int_eq(aiodb_future_done(ins), 0);
  aiodb_test_gate_open(&g);
  aiodb_test_ok(ins);
  aiodb_test_ok(commit);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT x FROM t"), 7);
  aiodb_test_free_all(gate, ins, commit);
  aiodb_db_free(db);
  aiodb_test_gate_destroy(&g);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(tx_failed_statement_stops_the_rest) {
  aiodb_db *db = open_t(NULL);
  aiodb_tx *tx = aiodb_begin(db);
  aiodb_future *a = aiodb_tx_query(tx, "INSERT INTO t VALUES (1)", NULL, 0);
  aiodb_future *dup = aiodb_tx_query(tx, "INSERT INTO t VALUES (1)", NULL, 0);
  aiodb_future *after = aiodb_tx_query(tx, "INSERT INTO t VALUES (2)", NULL, 0);
  aiodb_future *commit = aiodb_commit(tx);

  aiodb_test_ok(a);
  ck_assert_int_eq(aiodb_test_err(dup), AIODB_ECONSTRAINT);
  ck_assert_int_eq(aiodb_test_err(after), AIODB_ETXABORTED);
  ck_assert_ptr_nonnull(strstr(aiodb_future_errmsg(after), "UNIQUE"));
  /* the commit reports the failure, and nothing was kept */
  ck_assert_int_eq(aiodb_test_err(commit), AIODB_ETXABORTED);
  ck_assert_ptr_nonnull(strstr(aiodb_future_errmsg(commit), "UNIQUE"));
  ck_assert_str_eq(aiodb_future_sqlstate(commit), "23505");
  /* and the connection went back to the pool (max_size is 1) */
  ck_assert_int_eq(t_rows(db), 0);
  aiodb_test_free_all(a, dup, after, commit);
  aiodb_test_done(db);
}
END_TEST

START_TEST(tx_failed_savepoint_spares_the_parent) {
  aiodb_db *db = open_t(NULL);
  aiodb_tx *outer = aiodb_begin(db), *inner;
  aiodb_future *f;

  tx_exec(outer, "INSERT INTO t VALUES (1)");
  inner = aiodb_tx_begin(outer);
  aiodb_test_fails(aiodb_tx_query(inner, "INSERT INTO t VALUES (1)", NULL, 0),
                   AIODB_ECONSTRAINT, NULL);
  f = aiodb_commit(inner); /* rolled back to the savepoint instead */
  aiodb_test_fails(f, AIODB_ETXABORTED, NULL);
  tx_exec(outer, "INSERT INTO t VALUES (2)");
  aiodb_future_free(aiodb_test_ok(aiodb_commit(outer)));
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT sum(x) FROM t"), 3);
  aiodb_test_done(db);
}
END_TEST

START_TEST(tx_refused_commit_gives_connection_back) {
  aiodb_db *db = aiodb_open("sqlite://?foreign_keys=1", NULL, NULL);
  aiodb_tx *tx;

  aiodb_test_exec(db, "CREATE TABLE p(id INTEGER PRIMARY KEY)");
  aiodb_test_exec(db, "CREATE TABLE c(p INTEGER REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED)");
  tx = aiodb_begin(db);
  tx_exec(tx, "INSERT INTO c VALUES (42)"); /* checked only at COMMIT */
  aiodb_test_fails(aiodb_commit(tx), AIODB_ECONSTRAINT, "FOREIGN KEY");
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM c"), 0);
  /* no transaction is left open on the connection */
  tx = aiodb_begin(db);
  tx_exec(tx, "INSERT INTO p VALUES (1)");
  aiodb_future_free(aiodb_test_ok(aiodb_commit(tx)));
  aiodb_test_done(db);
}
END_TEST

START_TEST(tx_ten_thousand_in_order) {
  aiodb_db *db = open_t(NULL);
  aiodb_tx *tx = aiodb_begin(db);
  static aiodb_future *fs[10000];
  aiodb_future *commit;
  int i;

  for (i = 0; i < 10000; i++) {
    aiodb_value v = aiodb_int(i);
    fs[i] = aiodb_tx_query(tx, "INSERT INTO t VALUES (?)", &v, 1);
  }
  commit = aiodb_commit(tx);
  aiodb_test_ok(commit);
  for (i = 0; i < 10000; i++) {
    ck_assert_int_eq(aiodb_future_done(fs[i]), 1);
    ck_assert_int_eq(aiodb_future_error(fs[i]), 0);
    ck_assert_int_eq(aiodb_result_last_id(aiodb_future_result(fs[i])), i + 1);
    aiodb_future_free(fs[i]);
  }
  aiodb_future_free(commit);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM t WHERE x = rowid - 1"), 10000);
  aiodb_test_done(db);
}
END_TEST

START_TEST(tx_on_a_pinned_connection) {
  aiodb_db *db = open_t(NULL);
  aiodb_future *acq = aiodb_test_ok(aiodb_acquire(db));
  aiodb_conn *c = aiodb_future_conn(acq);
  aiodb_tx *tx = aiodb_conn_begin(c);
  aiodb_future *pool_q;

  tx_exec(tx, "INSERT INTO t VALUES (1)");
  aiodb_future_free(aiodb_test_ok(aiodb_commit(tx)));
  /* still pinned: pool work waits for the release */
  pool_q = aiodb_query(db, "SELECT count(*) FROM t", NULL, 0);
  ck_assert_int_eq(aiodb_future_wait(pool_q, 50), AIODB_ETIMEDOUT);
  aiodb_release(c);
  ck_assert_int_eq(aiodb_result_int(aiodb_future_result(aiodb_test_ok(pool_q)), 0, 0), 1);
  aiodb_future_free(pool_q);
  aiodb_future_free(acq);
  aiodb_test_done(db);
}
END_TEST

static int count_rows(void *native, void *ud) {
  (void)ud;
  return native != NULL ? 3 : -1;
}

START_TEST(tx_run_and_many_inside) {
  aiodb_db *db = open_t(NULL);
  aiodb_tx *tx = aiodb_begin(db);
  aiodb_value rows[] = {aiodb_int(1), aiodb_int(2), aiodb_int(3)};
  aiodb_future *f = aiodb_test_ok(aiodb_tx_query_many(tx, "INSERT INTO t VALUES (?)", rows, 3, 1));
  ck_assert_int_eq(aiodb_result_affected(aiodb_future_result(f)), 3);
  aiodb_future_free(f);
  f = aiodb_test_ok(aiodb_tx_run(tx, count_rows, NULL));
  ck_assert_int_eq(aiodb_future_value(f), 3);
  aiodb_future_free(f);
  aiodb_future_free(aiodb_test_ok(aiodb_rollback(tx)));
  ck_assert_int_eq(t_rows(db), 0);
  aiodb_test_done(db);
}
END_TEST

START_TEST(tx_after_close_and_teardown) {
  aiodb_db *db = open_t(NULL);
  aiodb_tx *open_tx, *late;

  open_tx = aiodb_begin(db);
  tx_exec(open_tx, "INSERT INTO t VALUES (1)");
  aiodb_future_free(aiodb_test_ok(aiodb_close(db))); /* rolls it back */
  late = aiodb_begin(db);
  ck_assert_ptr_nonnull(late);
  aiodb_test_fails(aiodb_tx_query(late, "SELECT 1", NULL, 0), AIODB_EALREADYQUIT, NULL);
  aiodb_test_fails(aiodb_commit(late), AIODB_EALREADYQUIT, NULL);
  aiodb_test_fails(aiodb_commit(open_tx), AIODB_EALREADYQUIT, NULL);
  aiodb_test_done(db);
}
END_TEST

/* Reads a whole file into a malloc'd buffer. */
static char *slurp(const char *path, size_t *len) {
  FILE *fp = fopen(path, "rb");
  char *buf;
  ck_assert_ptr_nonnull(fp);
  fseek(fp, 0, SEEK_END);
  *len = (size_t)ftell(fp);
  fseek(fp, 0, SEEK_SET);
  buf = malloc(*len + 1);
  ck_assert_uint_eq(fread(buf, 1, *len, fp), *len);
  fclose(fp);
  return buf;
}

START_TEST(tx_force_rollback_leaves_file_unchanged) {
  const char *path = aiodb_test_path(".db");
  char url[800], furl[840];
  aiodb_db *db;
  aiodb_tx *tx, *inner;
  aiodb_options o;
  char *before, *after;
  size_t blen, alen;
  int i;

  snprintf(url, sizeof url, "sqlite:///%s", path);
  db = aiodb_open(url, NULL, NULL);
  aiodb_test_exec(db, "CREATE TABLE t(x)");
  aiodb_test_exec(db, "INSERT INTO t VALUES (1)");
  aiodb_db_free(db);
  before = slurp(path, &blen);

  for (i = 0; i < 2; i++) { /* by URL, then by option */
    snprintf(furl, sizeof furl, "%s%s", url, i == 0 ? "?force_rollback=1" : "");
    aiodb_options_init(&o);
    o.force_rollback = i == 1;
    db = aiodb_open(furl, &o, NULL);
    aiodb_test_exec(db, "INSERT INTO t VALUES (2)");
    aiodb_test_exec(db, "CREATE TABLE other(y)");
    tx = aiodb_begin(db); /* a SAVEPOINT inside the db's transaction */
    tx_exec(tx, "INSERT INTO t VALUES (3)");
    inner = aiodb_tx_begin(tx);
    tx_exec(inner, "INSERT INTO t VALUES (4)");
    aiodb_future_free(aiodb_test_ok(aiodb_rollback(inner)));
    aiodb_future_free(aiodb_test_ok(aiodb_commit(tx)));
    ck_assert_int_eq(t_rows(db), 3);
    aiodb_db_free(db);
    after = slurp(path, &alen);
    ck_assert_uint_eq(alen, blen);
    ck_assert_int_eq(memcmp(before, after, blen), 0);
    free(after);
  }
  db = aiodb_open(url, NULL, NULL);
  ck_assert_int_eq(t_rows(db), 1);
  aiodb_db_free(db);
  free(before);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(tx_savepoint_outliving_its_parent) {
  aiodb_db *db = open_t(NULL);
  aiodb_tx *outer = aiodb_begin(db), *inner = aiodb_tx_begin(outer);
  aiodb_future *commit_outer = aiodb_commit(outer);
  aiodb_future *late = aiodb_tx_query(inner, "INSERT INTO t VALUES (1)", NULL, 0);
  aiodb_future *commit_inner = aiodb_commit(inner);

  aiodb_test_ok(commit_outer);
  ck_assert_int_eq(aiodb_test_err(late), AIODB_EALREADYQUIT);
  ck_assert_int_eq(aiodb_test_err(commit_inner), AIODB_EALREADYQUIT);
  ck_assert_int_eq(t_rows(db), 0);
  aiodb_test_free_all(commit_outer, late, commit_inner);
  aiodb_test_done(db);
}
END_TEST

/* A statement dropped while queued aborts the tx from its own place on:
 * what was queued before it still runs; what comes after it, the commit
 * included, fails with AIODB_ETXABORTED. */
START_TEST(tx_drop_aborts_from_its_place_on) {
  aiodb_db *db = open_t(NULL);
  aiodb_tx *tx = aiodb_begin(db);
  aiodb_test_gate gate;
  aiodb_future *run, *before, *dropped, *after, *c;

  run = hold_tx(tx, &gate);
  before = aiodb_tx_query(tx, "INSERT INTO t VALUES (1)", NULL, 0);
  dropped = aiodb_tx_query(tx, "INSERT INTO t VALUES (2)", NULL, 0);
  after = aiodb_tx_query(tx, "INSERT INTO t VALUES (3)", NULL, 0);
  c = aiodb_commit(tx);
  drop_then_open(dropped, &gate, run);
  ck_assert_msg(aiodb_test_err(before) == 0, "before: %s", aiodb_future_errmsg(before));
  ck_assert_int_eq(aiodb_test_err(after), AIODB_ETXABORTED);
  ck_assert_int_eq(aiodb_test_err(c), AIODB_ETXABORTED);
  ck_assert_int_eq(t_rows(db), 0);
  aiodb_test_free_all(run, before, dropped, after, c);
  aiodb_test_gate_destroy(&gate);
  aiodb_test_done(db);
}
END_TEST

/* A savepoint begun after its tx was aborted (a statement failed, or was
 * dropped before it ran) does not begin: its statements fail with
 * AIODB_ETXABORTED instead of running in a tx that is bound to roll back
 * (PostgreSQL's server refuses them the same way). */
START_TEST(tx_savepoint_after_an_abort_does_not_begin) {
  aiodb_db *db = open_t(NULL);
  aiodb_tx *outer = aiodb_begin(db), *inner;
  aiodb_test_gate gate;
  aiodb_future *a, *dup, *in, *end, *run, *dropped, *c;

  /* after a failed statement */
  a = aiodb_tx_query(outer, "INSERT INTO t VALUES (1)", NULL, 0);
  dup = aiodb_tx_query(outer, "INSERT INTO t VALUES (1)", NULL, 0);
  inner = aiodb_tx_begin(outer);
  in = aiodb_tx_query(inner, "INSERT INTO t VALUES (5)", NULL, 0);
  end = aiodb_commit(inner);
  c = aiodb_commit(outer);
  aiodb_test_ok(a);
  ck_assert_int_eq(aiodb_test_err(dup), AIODB_ECONSTRAINT);
  ck_assert_msg(aiodb_test_err(in) == AIODB_ETXABORTED, "in the savepoint: %s",
                aiodb_err_name(aiodb_future_error(in)));
  ck_assert_ptr_nonnull(strstr(aiodb_future_errmsg(in), "UNIQUE"));
  ck_assert_int_eq(aiodb_test_err(end), AIODB_ETXABORTED);
  ck_assert_int_eq(aiodb_test_err(c), AIODB_ETXABORTED);
  aiodb_test_free_all(a, dup, in, end, c);

  /* after a dropped one: the savepoint's statement would have found the
   * row the dropped one never inserted missing */
  outer = aiodb_begin(db);
  run = hold_tx(outer, &gate);
  dropped = aiodb_tx_query(outer, "INSERT INTO t VALUES (1)", NULL, 0);
  inner = aiodb_tx_begin(outer);
  in = aiodb_tx_query(inner, "INSERT INTO t VALUES (1)", NULL, 0);
  end = aiodb_rollback(inner);
  c = aiodb_commit(outer);
  drop_then_open(dropped, &gate, run);
  ck_assert_msg(aiodb_test_err(in) == AIODB_ETXABORTED, "in the savepoint: %s",
                aiodb_err_name(aiodb_future_error(in)));
  ck_assert_int_eq(aiodb_test_err(end), 0);
  ck_assert_int_eq(aiodb_test_err(c), AIODB_ETXABORTED);
  ck_assert_int_eq(t_rows(db), 0);
  aiodb_test_free_all(run, dropped, in, end, c);
  aiodb_test_gate_destroy(&gate);
  aiodb_test_done(db);
}
END_TEST

/* SQLite rolls the whole transaction back when a write is interrupted
 * (sqlite3_interrupt: a cancel or a deadline). The tx, savepoints
 * included, is then aborted: nothing after it runs (it would run outside
 * any transaction and be kept), a commit fails with AIODB_ETXABORTED and a
 * rollback succeeds. */
#define ENDLESS_INSERT                                                      \
  "INSERT INTO t WITH RECURSIVE c(x) AS (SELECT 100 UNION ALL SELECT x + 1 " \
  "FROM c WHERE x < 1000000000) SELECT x FROM c"

static aiodb_future *interrupted(aiodb_tx *tx) {
  aiodb_future *f = aiodb_tx_query(tx, ENDLESS_INSERT, NULL, 0);
  ck_assert_int_eq(aiodb_future_wait(f, 100), AIODB_ETIMEDOUT); /* it runs */
  ck_assert_int_eq(aiodb_future_cancel(f), 0);
  ck_assert_int_eq(aiodb_test_err(f), AIODB_ECANCELED);
  return f;
}

START_TEST(tx_interrupted_write_aborts_every_level) {
  aiodb_db *db = open_t(NULL);
  aiodb_tx *outer = aiodb_begin(db), *inner, *late;
  aiodb_future *slow, *after, *in, *end, *c;

  /* in a savepoint: the outer tx is gone too */
  tx_exec(outer, "INSERT INTO t VALUES (1)");
  inner = aiodb_tx_begin(outer);
  slow = interrupted(inner);
  aiodb_test_fails(aiodb_commit(inner), AIODB_ETXABORTED, NULL);
  after = aiodb_tx_query(outer, "INSERT INTO t VALUES (2)", NULL, 0);
  c = aiodb_commit(outer);
  ck_assert_msg(aiodb_test_err(after) == AIODB_ETXABORTED, "after: %s",
                aiodb_future_errmsg(after));
  ck_assert_msg(aiodb_test_err(c) == AIODB_ETXABORTED, "commit: %s",
                aiodb_future_errmsg(c));
  ck_assert_int_eq(t_rows(db), 0);
  aiodb_test_free_all(slow, after, c);

  /* rollbacks of both levels succeed */
  outer = aiodb_begin(db);
  inner = aiodb_tx_begin(outer);
  slow = interrupted(inner);
  end = aiodb_rollback(inner);
  c = aiodb_rollback(outer);
  ck_assert_msg(aiodb_test_err(end) == 0, "savepoint rollback: %s", aiodb_future_errmsg(end));
  ck_assert_msg(aiodb_test_err(c) == 0, "rollback: %s", aiodb_future_errmsg(c));
  aiodb_test_free_all(slow, end, c);

  /* in the outer tx: a savepoint begun afterwards does not begin (it
   * would have opened a transaction of its own and kept its work) */
  outer = aiodb_begin(db);
  slow = interrupted(outer);
  late = aiodb_tx_begin(outer);
  in = aiodb_tx_query(late, "INSERT INTO t VALUES (3)", NULL, 0);
  end = aiodb_commit(late);
  c = aiodb_rollback(outer);
  ck_assert_int_eq(aiodb_test_err(in), AIODB_ETXABORTED);
  ck_assert_int_eq(aiodb_test_err(end), AIODB_ETXABORTED);
  ck_assert_msg(aiodb_test_err(c) == 0, "rollback: %s", aiodb_future_errmsg(c));
  ck_assert_int_eq(t_rows(db), 0);
  aiodb_test_free_all(slow, in, end, c);
  aiodb_test_done(db);
}
END_TEST

Suite *aiodb_suite_tx(void) {
  return AIODB_SUITE("tx", tx_begin_returns_at_once, tx_failed_statement_stops_the_rest,
                     tx_failed_savepoint_spares_the_parent, tx_refused_commit_gives_connection_back,
                     tx_ten_thousand_in_order, tx_on_a_pinned_connection, tx_run_and_many_inside,
                     tx_after_close_and_teardown, tx_force_rollback_leaves_file_unchanged,
                     tx_savepoint_outliving_its_parent, tx_drop_aborts_from_its_place_on,
                     tx_savepoint_after_an_abort_does_not_begin,
                     tx_interrupted_write_aborts_every_level);
}
