/* Misuse: what every public call does with NULL arguments, out-of-range
 * values and calls after aiodb_close, row by row as docs/misuse.md lists
 * it. Each row of that table is one function here, run in the table's
 * order (row Mnn is iteration nn - 1 of the loop test "misuse_rows"), and
 * misuse_table_matches_doc checks that the two lists agree. SQLite only:
 * nothing here depends on the driver. */
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

/* ---- diagnostics raised during a row ---- */

static pthread_mutex_t diag_lock = PTHREAD_MUTEX_INITIALIZER;
static int diag_counts[8];

static void count_diag(const aiodb_diag *d, void *ud) {
  (void)ud;
  pthread_mutex_lock(&diag_lock);
  if ((int)d->kind >= 0 && (int)d->kind < 8) diag_counts[d->kind]++;
  pthread_mutex_unlock(&diag_lock);
}

static int diags(aiodb_diag_kind kind) {
  int n;
  pthread_mutex_lock(&diag_lock);
  n = diag_counts[kind];
  pthread_mutex_unlock(&diag_lock);
  return n;
}

/* ---- helpers ---- */

static aiodb_db *mem(void) {
  aiodb_error err;
  aiodb_db *db = aiodb_open("sqlite://", NULL, &err);
  ck_assert_msg(db != NULL, "aiodb_open: %s", err.message);
  return db;
}

/* f completed with code and a message holding words; frees f. */
static void expect(aiodb_future *f, int code, const char *words) {
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(aiodb_future_wait(f, -1), 0);
  ck_assert_msg(aiodb_future_error(f) == code, "%s (%s), expected %s",
                aiodb_err_name(aiodb_future_error(f)), aiodb_future_errmsg(f),
                aiodb_err_name(code));
  if (words != NULL)
    ck_assert_msg(strstr(aiodb_future_errmsg(f), words) != NULL, "expected \"%s\" in: %s",
                  words, aiodb_future_errmsg(f));
  aiodb_future_free(f);
}

/* f was already done when the call returned; then as expect(). */
static void expect_now(aiodb_future *f, int code, const char *words) {
  ck_assert_ptr_nonnull(f);
  ck_assert_msg(aiodb_future_done(f), "not done at once");
  expect(f, code, words);
}

/* aiodb_open fails with code and a message holding words. */
static void open_fails(const char *url, const aiodb_options *o, int code, const char *words) {
  aiodb_error err;
  aiodb_db *db = aiodb_open(url, o, &err);
  ck_assert_msg(db == NULL, "%s: opened", url ? url : "(null)");
  ck_assert_msg(err.code == code, "%s: %s (%s)", url ? url : "(null)", aiodb_err_name(err.code),
                err.message);
  ck_assert_msg(strstr(err.message, words) != NULL, "expected \"%s\" in: %s", words,
                err.message);
}

/* err holds code, words in its message, and no SQLSTATE or native code:
 * an error aiodb reports itself. */
static void err_is(const aiodb_error *err, int code, const char *words) {
  ck_assert_msg(err->code == code, "%s (%s), expected %s", aiodb_err_name(err->code),
                err->message, aiodb_err_name(code));
  ck_assert_msg(strstr(err->message, words) != NULL, "expected \"%s\" in: %s", words,
                err->message);
  ck_assert_str_eq(err->sqlstate, "");
  ck_assert_int_eq(err->native_code, 0);
}

/* Every _sync helper fails with code and words on sql: a NULL result, -1,
 * or the code, and nothing in the out parameters. */
static void sync_all_fail(aiodb_db *db, const char *sql, int code, const char *words) {
  aiodb_error err;
  int64_t n = 7, id = 7;
  double d = 7.0;
  char *s = (char *)"x";
  memset(&err, 0x5a, sizeof err);
  ck_assert_ptr_null(aiodb_query_sync(db, sql, NULL, 0, &err));
  err_is(&err, code, words);
  memset(&err, 0x5a, sizeof err);
  ck_assert(aiodb_exec_sync(db, sql, NULL, 0, &err) == -1);
  err_is(&err, code, words);
  memset(&err, 0x5a, sizeof err);
  ck_assert(aiodb_exec_sync_id(db, sql, NULL, 0, &id, &err) == -1);
  ck_assert(id == 0);
  err_is(&err, code, words);
  memset(&err, 0x5a, sizeof err);
  ck_assert_int_eq(aiodb_query_int_sync(db, sql, NULL, 0, NULL, &n, &err), code);
  ck_assert(n == 0);
  err_is(&err, code, words);
  memset(&err, 0x5a, sizeof err);
  ck_assert_int_eq(aiodb_query_float_sync(db, sql, NULL, 0, "a", &d, &err), code);
  ck_assert(d == 0.0);
  err_is(&err, code, words);
  memset(&err, 0x5a, sizeof err);
  ck_assert_int_eq(aiodb_query_text_sync(db, sql, NULL, 0, NULL, &s, &err), code);
  ck_assert_ptr_null(s);
  err_is(&err, code, words);
  /* err NULL: the same outcome, unreported */
  ck_assert_ptr_null(aiodb_query_sync(db, sql, NULL, 0, NULL));
  ck_assert(aiodb_exec_sync(db, sql, NULL, 0, NULL) == -1);
  ck_assert(aiodb_exec_sync_id(db, sql, NULL, 0, NULL, NULL) == -1);
  ck_assert_int_eq(aiodb_query_int_sync(db, sql, NULL, 0, NULL, NULL, NULL), code);
  ck_assert_int_eq(aiodb_query_float_sync(db, sql, NULL, 0, NULL, NULL, NULL), code);
  ck_assert_int_eq(aiodb_query_text_sync(db, sql, NULL, 0, NULL, NULL, NULL), code);
}

static int count_cb_calls;
static void count_cb(aiodb_future *f, void *ud) {
  (void)f;
  (void)ud;
  count_cb_calls++;
}

static int return_3(void *native, void *ud) {
  (void)native;
  (void)ud;
  return 3;
}

/* Opens g after 50 ms, from a thread of its own. */
static void *open_later(void *ud) {
  usleep(50 * 1000);
  aiodb_test_gate_open(ud);
  return NULL;
}

static aiodb_value bad_value(int type) {
  aiodb_value v = aiodb_null();
  v.type = (aiodb_type)type;
  return v;
}

/* ---- the rows, in docs/misuse.md's order ---- */

/* M01 */
static void row_strerror(void) {
  static const int codes[] = {12345, AIODB__STATUS_MAX, AIODB__STATUS_MAX - 1,
                              INT_MIN, INT_MAX, 1};
  size_t i;
  for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
    ck_assert_str_eq(aiodb_strerror(codes[i]), "unknown error");
    ck_assert_str_eq(aiodb_err_name(codes[i]), "AIODB_EUNKNOWN");
  }
  ck_assert_str_eq(aiodb_strerror(0), "success");
  ck_assert_str_eq(aiodb_err_name(0), "AIODB_OK");
}

/* M02 */
static void row_diag_handler_null(void) {
  int before = diags(AIODB_DIAG_MISUSE);
  aiodb_future_on_done(NULL, count_cb, NULL);
  ck_assert_int_eq(diags(AIODB_DIAG_MISUSE), before + 1);
  aiodb_set_diag_handler(NULL, NULL); /* the default: stderr, once per site */
  aiodb_future_on_done(NULL, count_cb, NULL);
  ck_assert_int_eq(diags(AIODB_DIAG_MISUSE), before + 1);
}

/* M03 */
static void row_allocator_null(void) {
  aiodb_db *db;
  aiodb_set_allocator(NULL, NULL, NULL);
  db = mem();
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 5"), 5);
  aiodb_db_free(db);
}

/* M04 */
static void row_cq_fd_null(void) { ck_assert_int_eq(aiodb_cq_fd(NULL), -1); }

/* M05 */
static void row_cq_set_spin(void) {
  aiodb_cq *cq = aiodb_cq_new();
  ck_assert_int_eq(aiodb_cq_set_spin(NULL, 1), AIODB_EINVAL);
  ck_assert_int_eq(aiodb_cq_set_spin(cq, 1001), AIODB_EINVAL);
  ck_assert_int_eq(aiodb_cq_set_spin(cq, UINT_MAX), AIODB_EINVAL);
  ck_assert_int_eq(aiodb_cq_set_spin(cq, 1000), 0);
  ck_assert_int_eq(aiodb_cq_set_spin(cq, 0), 0);
  aiodb_cq_free(cq);
}

/* M06 */
static void row_cq_dispatch(void) {
  aiodb_db *db = mem();
  aiodb_future *f[3];
  int i;
  ck_assert_int_eq(aiodb_cq_dispatch(NULL, 0), AIODB_EINVAL);
  for (i = 0; i < 3; i++) f[i] = aiodb_test_ok(aiodb_query(db, "SELECT 1", NULL, 0));
  /* set on done futures: queued at once */
  for (i = 0; i < 3; i++) aiodb_future_on_done(f[i], count_cb, NULL);
  count_cb_calls = 0;
  ck_assert_int_eq(aiodb_cq_dispatch(aiodb_db_cq(db), INT_MIN), 3);
  ck_assert_int_eq(count_cb_calls, 3);
  for (i = 0; i < 3; i++) aiodb_future_free(f[i]);
  aiodb_db_free(db);
}

/* M07 */
static void row_cq_run_once(void) {
  aiodb_db *db = mem();
  aiodb_test_gate g;
  aiodb_future *f;
  pthread_t t;
  ck_assert_int_eq(aiodb_cq_run_once(NULL, 0), AIODB_EINVAL);
  aiodb_test_gate_init(&g);
  f = aiodb_db_run(db, aiodb_test_gate_fn, &g);
  aiodb_future_on_done(f, count_cb, NULL);
  count_cb_calls = 0;
  ck_assert_int_eq(aiodb_cq_run_once(aiodb_db_cq(db), 0), 0); /* 0: a poll */
  pthread_create(&t, NULL, open_later, &g);
  /* any negative timeout: no limit */
  ck_assert_int_eq(aiodb_cq_run_once(aiodb_db_cq(db), INT_MIN), 1);
  ck_assert_int_eq(count_cb_calls, 1);
  pthread_join(t, NULL);
  aiodb_future_free(f);
  aiodb_db_free(db);
  aiodb_test_gate_destroy(&g);
}

/* A stats getter, fn(object, &a, &b): for NULL it gives zeros, and NULL
 * out-pointers are ignored. */
#define STATS_TAKE_NULLS(fn, object) \
  do {                               \
    uint64_t a_ = 7, b_ = 7;         \
    fn(NULL, &a_, &b_);              \
    ck_assert(a_ == 0 && b_ == 0);   \
    fn(NULL, NULL, NULL);            \
    fn(object, NULL, NULL);          \
  } while (0)

/* M08 */
static void row_cq_stats_null(void) {
  aiodb_cq *cq = aiodb_cq_new();
  STATS_TAKE_NULLS(aiodb_cq_stats, cq);
  aiodb_cq_free(cq);
}

/* M09 */
static void row_cq_new_ex_flags(void) {
  aiodb_cq *cq = aiodb_cq_new_ex(0xf0u);
  ck_assert_ptr_nonnull(cq);
  ck_assert_int_ge(aiodb_cq_fd(cq), 0);
  ck_assert_int_eq(aiodb_cq_dispatch(cq, 0), 0);
  aiodb_cq_free(cq);
}

/* M10 */
static void row_cq_free_before_db(void) {
  aiodb_cq *cq = aiodb_cq_new();
  aiodb_options o;
  aiodb_db *db;
  aiodb_future *f;
  aiodb_options_init(&o);
  o.cq = cq;
  db = aiodb_open("sqlite://", &o, NULL);
  ck_assert_ptr_nonnull(db);
  f = aiodb_query(db, "SELECT 1", NULL, 0);
  count_cb_calls = 0;
  aiodb_future_on_done(f, count_cb, NULL);
  aiodb_cq_free(cq);
  aiodb_future_free(aiodb_test_ok(f));
  aiodb_future_free(aiodb_test_ok(aiodb_query(db, "SELECT 2", NULL, 0)));
  ck_assert_int_eq(count_cb_calls, 0);
  aiodb_db_free(db);
}

static int nested_rc = -100;
static void nested_cb(aiodb_future *f, void *ud) {
  nested_rc = aiodb_cq_dispatch(ud, 0);
  (void)f;
}

/* M11 */
static void row_cq_dispatch_nested(void) {
  aiodb_db *db = mem();
  aiodb_cq *cq = aiodb_db_cq(db);
  aiodb_future *a = aiodb_test_ok(aiodb_query(db, "SELECT 1", NULL, 0));
  aiodb_future *b = aiodb_test_ok(aiodb_query(db, "SELECT 2", NULL, 0));
  aiodb_future_on_done(a, nested_cb, cq);
  aiodb_future_on_done(b, count_cb, NULL);
  count_cb_calls = 0;
  ck_assert_int_eq(aiodb_cq_dispatch(cq, 0), 2);
  ck_assert_int_eq(nested_rc, 0); /* ran nothing: b ran once, in the outer call */
  ck_assert_int_eq(count_cb_calls, 1);
  aiodb_future_free(a);
  aiodb_future_free(b);
  aiodb_db_free(db);
}

/* M12 */
static void row_options_init_null(void) {
  aiodb_options o;
  memset(&o, 0xff, sizeof o);
  aiodb_options_init(NULL);
  aiodb_options_init(&o);
  ck_assert(o.cq == NULL && o.max_size == 0 && o.reserved[2] == 0);
}

/* M13 */
static void row_open_null_url(void) {
  open_fails(NULL, NULL, AIODB_EINVAL, "url is NULL");
  ck_assert_ptr_null(aiodb_open(NULL, NULL, NULL));
}

/* M14 */
static void row_open_bad_url(void) {
  open_fails("", NULL, AIODB_EINVAL, "empty");
  open_fails("no scheme here", NULL, AIODB_EINVAL, "");
  open_fails("nosuchdriver://h/db", NULL, AIODB_EINVAL, "nosuchdriver");
  open_fails("sqlite://?max_size=0", NULL, AIODB_EINVAL, "max_size");
  open_fails("sqlite://?timeout_ms=-1", NULL, AIODB_EINVAL, "timeout_ms");
  open_fails("sqlite://?nosuch=1", NULL, AIODB_EINVAL, "nosuch");
  ck_assert_ptr_null(aiodb_open("sqlite://?max_size=0", NULL, NULL)); /* err NULL */
}

/* M15 */
static void row_open_opts_out_of_range(void) {
  static const char *const names[] = {
      "timeout_ms",  "close_timeout_ms", "max_size",    "min_size (2000)", "statement_cache",
      "spin_us",     "pipeline",         "worker_nice", "worker_slice_us", "slow_query_ms"};
  size_t i;
  for (i = 0; i < sizeof names / sizeof names[0]; i++) {
    aiodb_options o;
    aiodb_options_init(&o);
    switch (i) {
      case 0: o.timeout_ms = -1; break;
      case 1: o.close_timeout_ms = INT_MIN; break;
      case 2: o.max_size = 1025; break;
      case 3: o.min_size = 2000; o.max_size = 1024; break;
      case 4: o.statement_cache = 100001; break;
      case 5: o.spin_us = 1001; break;
      case 6: o.pipeline = UINT_MAX; break;
      case 7: o.worker_nice = 20; break;
      case 8: o.worker_slice_us = 100001; break;
      default: o.slow_query_ms = 2147483648u; break;
    }
    open_fails("sqlite://", &o, AIODB_EINVAL, names[i]);
  }
}

/* M16 */
static void row_open_busy_timeout_negative(void) {
  aiodb_options o;
  aiodb_options_init(&o);
  o.busy_timeout_ms = -1;
  open_fails("sqlite://", &o, AIODB_EINVAL, "busy_timeout_ms");
  o.busy_timeout_ms = INT_MIN;
  open_fails("sqlite://", &o, AIODB_EINVAL, "busy_timeout_ms");
}

/* M17 */
static void row_open_reserved(void) {
  size_t i;
  for (i = 0; i < sizeof ((aiodb_options *)0)->reserved / sizeof(unsigned); i++) {
    aiodb_options o;
    aiodb_options_init(&o);
    o.reserved[i] = 1;
    open_fails("sqlite://", &o, AIODB_EINVAL, "reserved");
  }
}

/* M18 */
static void row_open_stack_size(void) {
  aiodb_options o;
  aiodb_db *db;
  aiodb_options_init(&o);
  o.stack_size = SIZE_MAX;
  open_fails("sqlite://", &o, AIODB_EINVAL, "stack_size");
  o.stack_size = ((size_t)1 << 30) + 1;
  open_fails("sqlite://", &o, AIODB_EINVAL, "stack_size");
  o.stack_size = 1; /* raised to the system's least */
  db = aiodb_open("sqlite://", &o, NULL);
  ck_assert_ptr_nonnull(db);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 1"), 1);
  aiodb_db_free(db);
}

/* M19 */
static void row_null_handles(void) {
  aiodb_value v = aiodb_int(1);
  aiodb_error err;
  ck_assert_ptr_null(aiodb_close(NULL));
  ck_assert_ptr_null(aiodb_query(NULL, "SELECT 1", NULL, 0));
  ck_assert_ptr_null(aiodb_conn_query(NULL, "SELECT 1", NULL, 0));
  ck_assert_ptr_null(aiodb_tx_query(NULL, "SELECT 1", NULL, 0));
  ck_assert_ptr_null(aiodb_query_many(NULL, "SELECT ?", &v, 1, 1));
  ck_assert_ptr_null(aiodb_conn_query_many(NULL, "SELECT ?", &v, 1, 1));
  ck_assert_ptr_null(aiodb_tx_query_many(NULL, "SELECT ?", &v, 1, 1));
  ck_assert_ptr_null(aiodb_iterate(NULL, "SELECT 1", NULL, 0, 0));
  ck_assert_ptr_null(aiodb_conn_iterate(NULL, "SELECT 1", NULL, 0, 0));
  ck_assert_ptr_null(aiodb_cursor_next(NULL));
  ck_assert_ptr_null(aiodb_acquire(NULL));
  ck_assert_ptr_null(aiodb_begin(NULL));
  ck_assert_ptr_null(aiodb_conn_begin(NULL));
  ck_assert_ptr_null(aiodb_tx_begin(NULL));
  ck_assert_ptr_null(aiodb_commit(NULL));
  ck_assert_ptr_null(aiodb_rollback(NULL));
  ck_assert_ptr_null(aiodb_run(NULL, return_3, NULL));
  ck_assert_ptr_null(aiodb_db_run(NULL, return_3, NULL));
  ck_assert_ptr_null(aiodb_tx_run(NULL, return_3, NULL));
  ck_assert_ptr_null(aiodb_table_names(NULL));
  ck_assert_ptr_null(aiodb_has_table(NULL, "t"));
  ck_assert_ptr_null(aiodb_server_info(NULL));
  ck_assert_ptr_null(aiodb_columns(NULL, "t"));
  ck_assert_ptr_null(aiodb_indexes(NULL, "t"));
  ck_assert_ptr_null(aiodb_view_names(NULL));
  sync_all_fail(NULL, "SELECT 1 AS a", AIODB_EINVAL, "db is NULL");
  ck_assert_ptr_null(aiodb_query_sync(NULL, "SELECT 1", NULL, 0, &err));
  err_is(&err, AIODB_EINVAL, "aiodb_query_sync: db is NULL");
  ck_assert(aiodb_exec_sync(NULL, "SELECT 1", NULL, 0, &err) == -1);
  err_is(&err, AIODB_EINVAL, "aiodb_exec_sync: db is NULL");
  /* destructors: no-ops */
  aiodb_db_free(NULL);
  aiodb_cursor_free(NULL);
  aiodb_release(NULL);
  aiodb_tx_free(NULL);
  aiodb_future_free(NULL);
  aiodb_result_free(NULL);
  aiodb_cq_free(NULL);
  aiodb_free(NULL);
}

/* M20 */
static void row_db_getters_null(void) {
  aiodb_db *db = mem();
  ck_assert_ptr_null(aiodb_db_cq(NULL));
  ck_assert_ptr_null(aiodb_db_driver(NULL));
  ck_assert_ptr_null(aiodb_param_style(NULL));
  ck_assert_ptr_null(aiodb_conn_db(NULL));
  ck_assert_ptr_null(aiodb_replica(NULL));
  ck_assert_ptr_null(aiodb_replica(db)); /* no replica= */
  STATS_TAKE_NULLS(aiodb_db_stats, db);
  aiodb_db_free(db);
}

/* M21 */
static void row_sql_null(void) {
  aiodb_db *db = mem();
  aiodb_future *a = aiodb_test_ok(aiodb_acquire(db));
  aiodb_conn *c = aiodb_future_conn(a);
  aiodb_tx *tx;
  aiodb_value v = aiodb_int(1);
  aiodb_error err;
  expect_now(aiodb_query(db, NULL, NULL, 0), AIODB_EINVAL, "sql is NULL");
  expect_now(aiodb_conn_query(c, NULL, NULL, 0), AIODB_EINVAL, "sql is NULL");
  expect_now(aiodb_query_many(db, NULL, &v, 1, 1), AIODB_EINVAL, "sql is NULL");
  expect_now(aiodb_conn_query_many(c, NULL, &v, 1, 1), AIODB_EINVAL, "sql is NULL");
  ck_assert_ptr_null(aiodb_iterate(db, NULL, NULL, 0, 0));
  ck_assert_ptr_null(aiodb_conn_iterate(c, NULL, NULL, 0, 0));
  ck_assert_ptr_null(aiodb_query_sync(db, NULL, NULL, 0, &err));
  ck_assert_int_eq(err.code, AIODB_EINVAL);
  ck_assert_ptr_nonnull(strstr(err.message, "sql is NULL"));
  sync_all_fail(db, NULL, AIODB_EINVAL, "sql is NULL");
  tx = aiodb_conn_begin(c);
  expect_now(aiodb_tx_query(tx, NULL, NULL, 0), AIODB_EINVAL, "sql is NULL");
  expect_now(aiodb_tx_query_many(tx, NULL, &v, 1, 1), AIODB_EINVAL, "sql is NULL");
  /* like any failed statement of a tx, it aborts the tx */
  expect(aiodb_tx_query(tx, "SELECT 1", NULL, 0), AIODB_ETXABORTED, "sql is NULL");
  expect(aiodb_commit(tx), AIODB_ETXABORTED, "sql is NULL");
  aiodb_release(c);
  aiodb_future_free(a);
  aiodb_db_free(db);
}

/* M22 */
static void row_args_null(void) {
  aiodb_db *db = mem();
  aiodb_cursor *cur;
  expect_now(aiodb_query(db, "SELECT ?, ?", NULL, 2), AIODB_EINVAL,
             "args is NULL but 2 values were promised");
  expect_now(aiodb_query_many(db, "SELECT ?", NULL, 3, 1), AIODB_EINVAL,
             "args is NULL but 3 values were promised");
  cur = aiodb_iterate(db, "SELECT ?", NULL, 1, 0);
  expect_now(aiodb_cursor_next(cur), AIODB_EINVAL, "args is NULL");
  aiodb_cursor_free(cur);
  /* args is not read when nargs is 0 */
  aiodb_future_free(aiodb_test_ok(aiodb_query(db, "SELECT 1", NULL, 0)));
  aiodb_db_free(db);
}

/* M23 */
static void row_wrong_count(void) {
  aiodb_db *db = mem();
  aiodb_value v[2] = {aiodb_int(1), aiodb_int(2)};
  expect_now(aiodb_query(db, "SELECT ?", v, 2), AIODB_EINVAL,
             "the statement takes 1 argument but 2 were given");
  expect_now(aiodb_query(db, "SELECT ?", NULL, SIZE_MAX), AIODB_EINVAL,
             "the statement takes 1 argument but");
  expect_now(aiodb_query(db, "SELECT ?, ?", v, 1), AIODB_EINVAL,
             "the statement takes 2 arguments but 1 was given");
  expect_now(aiodb_query_many(db, "SELECT ?", v, 1, 2), AIODB_EINVAL, "takes 1 argument");
  aiodb_db_free(db);
}

/* M24 */
static void row_bad_value_type(void) {
  static const int types[] = {AIODB_TYPE_BLOB + 1, 99, -1, INT_MIN};
  aiodb_db *db = mem();
  aiodb_cursor *cur;
  size_t i;
  for (i = 0; i < sizeof types / sizeof types[0]; i++) {
    aiodb_value v[2] = {aiodb_int(1), bad_value(types[i])};
    expect_now(aiodb_query(db, "SELECT ?, ?", v, 2), AIODB_EINVAL,
               "argument 2 is not a valid aiodb_value");
    expect_now(aiodb_query_many(db, "SELECT ?", v, 2, 1), AIODB_EINVAL,
               "argument 2 is not a valid aiodb_value");
    cur = aiodb_iterate(db, "SELECT ?, ?", v, 2, 0);
    expect_now(aiodb_cursor_next(cur), AIODB_EINVAL, "not a valid aiodb_value");
    expect_now(aiodb_cursor_next(cur), AIODB_EINVAL, "not a valid aiodb_value");
    aiodb_cursor_free(cur);
  }
  aiodb_db_free(db);
}

/* M25 */
static void row_null_pointer_value(void) {
  aiodb_db *db = mem();
  aiodb_value v[2];
  aiodb_future *f;
  aiodb_result *r;
  v[0] = aiodb_textn(NULL, 0);  /* the constructor gives NULL */
  ck_assert_int_eq(v[0].type, AIODB_TYPE_NULL);
  v[0] = aiodb_null();
  v[0].type = AIODB_TYPE_TEXT;
  v[0].len = 3;
  v[1] = aiodb_blob(NULL, 4);
  expect_now(aiodb_query(db, "SELECT ?, ?", v, 2), AIODB_EINVAL,
             "argument 1 is not a valid aiodb_value");
  v[0].len = 0;
  expect_now(aiodb_query(db, "SELECT ?, ?", v, 2), AIODB_EINVAL,
             "argument 2 is not a valid aiodb_value");
  v[1] = aiodb_blob(NULL, 0);
  f = aiodb_test_ok(aiodb_query(db, "SELECT ?, ?", v, 2));
  r = aiodb_future_result(f);
  ck_assert_int_eq(aiodb_result_type(r, 0, 0), AIODB_TYPE_TEXT);
  ck_assert_str_eq(aiodb_result_text(r, 0, 0), "");
  ck_assert_int_eq(aiodb_result_type(r, 0, 1), AIODB_TYPE_BLOB);
  ck_assert_uint_eq(aiodb_result_len(r, 0, 1), 0);
  aiodb_future_free(f);
  aiodb_db_free(db);
}

/* M26 */
static void row_huge_value(void) {
  aiodb_db *db = mem();
  static const char byte = 'x';
  aiodb_value v[2] = {aiodb_textn(&byte, SIZE_MAX), aiodb_blob(&byte, SIZE_MAX / 2)};
  expect_now(aiodb_query(db, "SELECT ?", v, 1), AIODB_ERANGE, "arguments too large");
  expect_now(aiodb_query(db, "SELECT ?", v + 1, 1), AIODB_ERANGE, "arguments too large");
  /* so large that their sum would wrap around to a few bytes */
  v[0] = aiodb_textn(&byte, SIZE_MAX / 4);
  v[1] = aiodb_blob(&byte, SIZE_MAX - SIZE_MAX / 4 + 8);
  expect_now(aiodb_query(db, "SELECT ?, ?", v, 2), AIODB_ERANGE, "arguments too large");
  /* together too large, though each alone would pass */
  v[0] = aiodb_textn(&byte, SIZE_MAX / 8);
  v[1] = aiodb_blob(&byte, SIZE_MAX / 8);
  expect_now(aiodb_query(db, "SELECT ?, ?", v, 2), AIODB_ERANGE, "arguments too large");
  aiodb_db_free(db);
}

/* M27 */
static void row_many_rows_null(void) {
  aiodb_db *db = mem();
  aiodb_future *f;
  aiodb_test_exec(db, "CREATE TABLE t(x)");
  expect_now(aiodb_query_many(db, "INSERT INTO t DEFAULT VALUES", NULL, 3, 0), AIODB_EINVAL,
             "rows is NULL");
  expect_now(aiodb_query_many(db, "INSERT INTO t VALUES (?)", NULL, 3, 1), AIODB_EINVAL,
             "args is NULL");
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM t"), 0);
  /* no rows: a no-op, NULL allowed */
  f = aiodb_test_ok(aiodb_query_many(db, "INSERT INTO t VALUES (?)", NULL, 0, 1));
  ck_assert_int_eq(aiodb_result_affected(aiodb_future_result(f)), 0);
  aiodb_future_free(f);
  aiodb_db_free(db);
}

/* M28 */
static void row_many_overflow(void) {
  aiodb_db *db = mem();
  aiodb_value v = aiodb_int(1);
  expect_now(aiodb_query_many(db, "SELECT ?", &v, SIZE_MAX, 1), AIODB_ERANGE,
             "too many arguments");
  expect_now(aiodb_query_many(db, "SELECT ?, ?", &v, SIZE_MAX / 2 + 1, 2), AIODB_ERANGE,
             "too many arguments");
  expect_now(aiodb_query_many(db, "SELECT ?, ?", &v, SIZE_MAX / 64, 2), AIODB_ERANGE,
             "too many arguments");
  aiodb_db_free(db);
}

/* M29 */
static void row_many_no_columns_huge(void) {
  aiodb_db *db = mem();
  aiodb_value unused = aiodb_int(0);
  aiodb_future *f;
  double t0 = aiodb_test_now_ms();
  aiodb_test_exec(db, "CREATE TABLE t(x)");
  /* as many runs as asked: the call returns at once, cancel stops them */
  f = aiodb_query_many(db, "INSERT INTO t DEFAULT VALUES", &unused, SIZE_MAX, 0);
  ck_assert_msg(aiodb_test_now_ms() - t0 < 1000, "aiodb_query_many took %.0f ms",
                aiodb_test_now_ms() - t0);
  usleep(20 * 1000);
  ck_assert_int_eq(aiodb_future_cancel(f), 0);
  ck_assert_msg(aiodb_future_wait(f, 20000) == 0, "not stopped by the cancel");
  expect(f, AIODB_ECANCELED, NULL);
  /* a deadline too */
  f = aiodb_query_many(db, "INSERT INTO t DEFAULT VALUES", &unused, SIZE_MAX, 0);
  ck_assert_int_eq(aiodb_future_set_timeout(f, 20), 0);
  ck_assert_msg(aiodb_future_wait(f, 20000) == 0, "not stopped by its deadline");
  expect(f, AIODB_ETIMEDOUT, NULL);
  /* undone, and the connection goes on */
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM t"), 0);
  aiodb_db_free(db);
}

/* M30 */
static void row_iterate_batch_rows(void) {
  aiodb_db *db = mem();
  const char *sql =
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500) "
      "SELECT i FROM n";
  aiodb_cursor *cur = aiodb_iterate(db, sql, NULL, 0, 0);
  ck_assert_uint_eq(aiodb_test_next_rows(cur, NULL), 1000); /* 0: 1000 */
  ck_assert_uint_eq(aiodb_test_next_rows(cur, NULL), 1000);
  ck_assert_uint_eq(aiodb_test_next_rows(cur, NULL), 500);
  ck_assert_uint_eq(aiodb_test_next_rows(cur, NULL), 0);
  aiodb_cursor_free(cur);
  cur = aiodb_iterate(db, sql, NULL, 0, SIZE_MAX);
  ck_assert_uint_eq(aiodb_test_next_rows(cur, NULL), 2500);
  ck_assert_uint_eq(aiodb_test_next_rows(cur, NULL), 0);
  aiodb_cursor_free(cur);
  aiodb_db_free(db);
}

/* M31 */
static void row_cursor_past_end(void) {
  aiodb_db *db = mem();
  aiodb_cursor *cur = aiodb_iterate(db, "SELECT 1 AS one", NULL, 0, 10);
  aiodb_future *f;
  int i;
  ck_assert_uint_eq(aiodb_test_next_rows(cur, NULL), 1);
  for (i = 0; i < 3; i++) {
    f = aiodb_test_ok(aiodb_cursor_next(cur));
    ck_assert_uint_eq(aiodb_result_rows(aiodb_future_result(f)), 0);
    ck_assert_str_eq(aiodb_result_name(aiodb_future_result(f), 0), "one");
    aiodb_future_free(f);
  }
  aiodb_cursor_free(cur);
  cur = aiodb_iterate(db, "SELECT * FROM no_such_table", NULL, 0, 10);
  for (i = 0; i < 3; i++) expect(aiodb_cursor_next(cur), AIODB_ESQL, "no_such_table");
  aiodb_cursor_free(cur);
  aiodb_db_free(db);
}

/* M32 */
static void row_has_table_null(void) {
  aiodb_db *db = mem();
  expect_now(aiodb_has_table(db, NULL), AIODB_EINVAL, "name is NULL");
  expect_now(aiodb_columns(db, NULL), AIODB_EINVAL, "aiodb_columns: table is NULL");
  expect_now(aiodb_indexes(db, NULL), AIODB_EINVAL, "aiodb_indexes: table is NULL");
  aiodb_db_free(db);
}

/* M33 */
static void row_run_null_fn(void) {
  aiodb_db *db = mem();
  aiodb_future *a = aiodb_test_ok(aiodb_acquire(db));
  aiodb_conn *c = aiodb_future_conn(a);
  aiodb_tx *tx = aiodb_conn_begin(c);
  expect_now(aiodb_db_run(db, NULL, NULL), AIODB_EINVAL, "fn is NULL");
  expect_now(aiodb_run(c, NULL, NULL), AIODB_EINVAL, "fn is NULL");
  expect_now(aiodb_tx_run(tx, NULL, NULL), AIODB_EINVAL, "fn is NULL");
  expect(aiodb_rollback(tx), 0, NULL);
  aiodb_release(c);
  aiodb_future_free(a);
  aiodb_db_free(db);
}

/* M34 */
static void row_close_twice(void) {
  aiodb_db *db = mem();
  aiodb_future *a = aiodb_close(db), *b;
  expect(a, 0, NULL);
  b = aiodb_close(db);
  expect_now(b, 0, NULL);
  aiodb_db_free(db);
}

static int free_own_db(void *native, void *ud) {
  (void)native;
  aiodb_db_free(ud); /* refused: it would join this very thread */
  return 1;
}

/* M35 */
static void row_db_free_on_own_worker(void) {
  aiodb_db *db = mem();
  aiodb_future *f = aiodb_test_ok(aiodb_db_run(db, free_own_db, db));
  ck_assert_int_eq(aiodb_future_value(f), 1);
  ck_assert_int_eq(diags(AIODB_DIAG_MISUSE), 1);
  aiodb_future_free(f);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 2"), 2);
  aiodb_db_free(db);
}

/* M36 */
static void row_after_close(void) {
  aiodb_db *db = mem();
  aiodb_value v = aiodb_int(1);
  aiodb_cursor *cur;
  aiodb_tx *tx;
  aiodb_error err;
  uint64_t a, b;
  int quit;
  expect(aiodb_close(db), 0, NULL);
  quit = diags(AIODB_DIAG_ALREADY_QUIT);
  expect_now(aiodb_query(db, "SELECT 1", NULL, 0), AIODB_EALREADYQUIT, "closed");
  expect_now(aiodb_query_many(db, "SELECT ?", &v, 1, 1), AIODB_EALREADYQUIT, "closed");
  expect_now(aiodb_acquire(db), AIODB_EALREADYQUIT, "closed");
  expect_now(aiodb_db_run(db, return_3, NULL), AIODB_EALREADYQUIT, "closed");
  expect_now(aiodb_table_names(db), AIODB_EALREADYQUIT, "closed");
  expect_now(aiodb_has_table(db, "t"), AIODB_EALREADYQUIT, "closed");
  expect_now(aiodb_server_info(db), AIODB_EALREADYQUIT, "closed");
  expect_now(aiodb_columns(db, "t"), AIODB_EALREADYQUIT, "closed");
  expect_now(aiodb_view_names(db), AIODB_EALREADYQUIT, "closed");
  cur = aiodb_iterate(db, "SELECT 1", NULL, 0, 0);
  ck_assert_ptr_nonnull(cur);
  expect_now(aiodb_cursor_next(cur), AIODB_EALREADYQUIT, "closed");
  aiodb_cursor_free(cur);
  tx = aiodb_begin(db);
  ck_assert_ptr_nonnull(tx);
  expect_now(aiodb_tx_query(tx, "SELECT 1", NULL, 0), AIODB_EALREADYQUIT, "closed");
  expect_now(aiodb_commit(tx), AIODB_EALREADYQUIT, "closed");
  ck_assert_ptr_null(aiodb_query_sync(db, "SELECT 1", NULL, 0, &err));
  ck_assert_int_eq(err.code, AIODB_EALREADYQUIT);
  sync_all_fail(db, "SELECT 1 AS a", AIODB_EALREADYQUIT, "closed");
  ck_assert_int_gt(diags(AIODB_DIAG_ALREADY_QUIT), quit);
  /* what the db is still answers */
  ck_assert_ptr_nonnull(aiodb_db_cq(db));
  ck_assert_str_eq(aiodb_db_driver(db), "sqlite");
  ck_assert_str_eq(aiodb_param_style(db), "?");
  aiodb_db_stats(db, &a, &b);
  aiodb_db_free(db);
}

/* M37 */
static void row_pinned_after_close(void) {
  aiodb_db *db = mem();
  aiodb_future *a = aiodb_test_ok(aiodb_acquire(db));
  aiodb_conn *c = aiodb_future_conn(a);
  aiodb_value v = aiodb_int(1);
  aiodb_cursor *cur;
  aiodb_tx *tx;
  expect(aiodb_close(db), 0, NULL);
  expect_now(aiodb_conn_query(c, "SELECT 1", NULL, 0), AIODB_EALREADYQUIT, NULL);
  expect_now(aiodb_conn_query_many(c, "SELECT ?", &v, 1, 1), AIODB_EALREADYQUIT, NULL);
  expect_now(aiodb_run(c, return_3, NULL), AIODB_EALREADYQUIT, NULL);
  cur = aiodb_conn_iterate(c, "SELECT 1", NULL, 0, 0);
  expect_now(aiodb_cursor_next(cur), AIODB_EALREADYQUIT, NULL);
  aiodb_cursor_free(cur);
  tx = aiodb_conn_begin(c);
  expect_now(aiodb_tx_query(tx, "SELECT 1", NULL, 0), AIODB_EALREADYQUIT, NULL);
  expect_now(aiodb_rollback(tx), AIODB_EALREADYQUIT, NULL);
  ck_assert_ptr_eq(aiodb_conn_db(c), db);
  aiodb_release(c); /* still allowed */
  aiodb_future_free(a);
  aiodb_db_free(db);
}

/* M38 */
static void row_tx_open_at_close(void) {
  const char *url = aiodb_test_sqlite_url();
  aiodb_db *db = aiodb_test_open_with(url, NULL);
  aiodb_tx *tx, *sp;
  aiodb_test_exec(db, "CREATE TABLE t(x)");
  tx = aiodb_begin(db);
  aiodb_future_free(aiodb_test_ok(aiodb_tx_query(tx, "INSERT INTO t VALUES (1)", NULL, 0)));
  sp = aiodb_tx_begin(tx);
  expect(aiodb_close(db), 0, NULL);
  expect_now(aiodb_tx_query(sp, "SELECT 1", NULL, 0), AIODB_EALREADYQUIT, NULL);
  expect_now(aiodb_commit(sp), AIODB_EALREADYQUIT, NULL);
  expect_now(aiodb_tx_query(tx, "INSERT INTO t VALUES (2)", NULL, 0), AIODB_EALREADYQUIT, NULL);
  expect_now(aiodb_commit(tx), AIODB_EALREADYQUIT, NULL);
  aiodb_db_free(db);
  /* rolled back */
  db = aiodb_test_open_with(url, NULL);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM t"), 0);
  aiodb_db_free(db);
}

/* M39 */
static void row_savepoint_after_parent(void) {
  aiodb_db *db = mem();
  aiodb_tx *tx = aiodb_begin(db), *sp = aiodb_tx_begin(tx);
  expect(aiodb_tx_query(sp, "SELECT 1", NULL, 0), 0, NULL);
  expect(aiodb_commit(tx), 0, NULL); /* parent first: the savepoint's calls fail */
  expect(aiodb_tx_query(sp, "SELECT 1", NULL, 0), AIODB_EALREADYQUIT, NULL);
  expect(aiodb_commit(sp), AIODB_EALREADYQUIT, NULL);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 3"), 3);
  aiodb_db_free(db);
}

/* M40 */
static void row_left_open_at_free(void) {
  const char *url = aiodb_test_sqlite_url();
  aiodb_db *db = aiodb_test_open_with(url, "max_size=3");
  aiodb_future *f;
  aiodb_cursor *cur;
  aiodb_tx *tx;
  aiodb_test_exec(db, "CREATE TABLE t(x)");
  tx = aiodb_begin(db);
  aiodb_future_free(aiodb_test_ok(aiodb_tx_query(tx, "INSERT INTO t VALUES (1)", NULL, 0)));
  cur = aiodb_iterate(db, "SELECT 1 UNION ALL SELECT 2", NULL, 0, 1);
  ck_assert_uint_eq(aiodb_test_next_rows(cur, NULL), 1);
  f = aiodb_test_ok(aiodb_acquire(db)); /* pinned, never released */
  aiodb_db_free(db);                    /* all of it goes */
  aiodb_future_free(f);
  db = aiodb_test_open_with(url, NULL);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM t"), 0);
  aiodb_db_free(db);
}

/* M41 */
static void row_future_null(void) {
  ck_assert_int_eq(aiodb_future_done(NULL), 0);
  ck_assert_int_eq(aiodb_future_wait(NULL, 0), AIODB_EINVAL);
  ck_assert_int_eq(aiodb_future_wait(NULL, -1), AIODB_EINVAL);
  ck_assert_int_eq(aiodb_future_cancel(NULL), AIODB_EINVAL);
  ck_assert_int_eq(aiodb_future_set_timeout(NULL, 10), AIODB_EINVAL);
  ck_assert_int_eq(aiodb_future_error(NULL), AIODB_EINVAL);
  ck_assert_str_eq(aiodb_future_errmsg(NULL), "NULL future");
  ck_assert_str_eq(aiodb_future_sqlstate(NULL), "");
  ck_assert_int_eq(aiodb_future_native_code(NULL), 0);
  ck_assert_ptr_null(aiodb_future_result(NULL));
  ck_assert_ptr_null(aiodb_future_take_result(NULL));
  ck_assert_ptr_null(aiodb_future_conn(NULL));
  ck_assert_int_eq(aiodb_future_value(NULL), 0);
}

/* M42 */
static void row_future_wait_timeouts(void) {
  aiodb_db *db = mem();
  aiodb_test_gate g;
  aiodb_future *f;
  pthread_t t;
  aiodb_test_gate_init(&g);
  f = aiodb_db_run(db, aiodb_test_gate_fn, &g);
  ck_assert_int_eq(aiodb_future_wait(f, 0), AIODB_ETIMEDOUT); /* 0: a poll */
  pthread_create(&t, NULL, open_later, &g);
  ck_assert_int_eq(aiodb_future_wait(f, INT_MIN), 0); /* any negative: no limit */
  ck_assert_int_eq(aiodb_future_value(f), 7);
  pthread_join(t, NULL);
  aiodb_future_free(f);
  aiodb_db_free(db);
  aiodb_test_gate_destroy(&g);
}

static int wait_on_self(void *native, void *ud) {
  aiodb_db *db = ud;
  aiodb_future *f = aiodb_query(db, "SELECT 1", NULL, 0);
  aiodb_error err;
  int rc = aiodb_future_wait(f, -1);
  aiodb_result *r = aiodb_query_sync(db, "SELECT 1", NULL, 0, &err);
  (void)native;
  aiodb_future_free(f);
  if (r != NULL || err.code != AIODB_EDEADLK) rc = 1000;
  return rc;
}

/* M43 */
static void row_future_wait_deadlock(void) {
  aiodb_db *db = mem();
  aiodb_future *f = aiodb_db_run(db, wait_on_self, db);
  expect(f, AIODB_EDEADLK, NULL); /* fn returned AIODB_EDEADLK */
  ck_assert_int_ge(diags(AIODB_DIAG_DEADLOCK), 2);
  aiodb_db_free(db);
}

/* M44 */
static void row_on_done_misuse(void) {
  aiodb_db *db = mem();
  aiodb_cq *other = aiodb_cq_new();
  aiodb_future *f = aiodb_query(db, "SELECT 1", NULL, 0);
  count_cb_calls = 0;
  aiodb_future_on_done(NULL, count_cb, NULL);
  aiodb_future_on_done(f, NULL, NULL);
  aiodb_future_on_done_cq(f, NULL, count_cb, NULL);
  aiodb_future_on_done_cq(NULL, other, count_cb, NULL);
  aiodb_future_on_done(f, count_cb, NULL);
  aiodb_future_on_done(f, count_cb, NULL);           /* a second: ignored */
  aiodb_future_on_done_cq(f, other, count_cb, NULL); /* so is this */
  ck_assert_int_eq(diags(AIODB_DIAG_MISUSE), 6);
  aiodb_test_ok(f);
  while (count_cb_calls == 0) ck_assert_int_ge(aiodb_cq_run_once(aiodb_db_cq(db), 5000), 0);
  ck_assert_int_eq(aiodb_cq_dispatch(other, 0), 0);
  ck_assert_int_eq(count_cb_calls, 1);
  aiodb_future_free(f);
  aiodb_db_free(db);
  aiodb_cq_free(other);
}

/* M45 */
static void row_cancel_nothing_to_cancel(void) {
  aiodb_db *db = mem();
  aiodb_test_gate g;
  aiodb_future *f, *closing;
  aiodb_tx *tx;
  aiodb_test_gate_init(&g);
  f = aiodb_test_ok(aiodb_query(db, "SELECT 1", NULL, 0));
  ck_assert_int_eq(aiodb_future_cancel(f), AIODB_EBUSY); /* done */
  ck_assert_int_eq(aiodb_future_error(f), 0);
  aiodb_future_free(f);
  f = aiodb_db_run(db, aiodb_test_gate_fn, &g);
  aiodb_test_gate_wait_entered(&g);
  ck_assert_int_eq(aiodb_future_cancel(f), AIODB_EBUSY); /* your running code */
  tx = aiodb_begin(db);
  closing = aiodb_commit(tx);
  ck_assert_int_eq(aiodb_future_cancel(closing), AIODB_EBUSY); /* a tx's end */
  aiodb_test_gate_open(&g);
  expect(f, 0, NULL);
  expect(closing, 0, NULL);
  closing = aiodb_close(db);
  ck_assert_int_eq(aiodb_future_cancel(closing), AIODB_EBUSY);
  expect(closing, 0, NULL);
  aiodb_db_free(db);
  aiodb_test_gate_destroy(&g);
}

/* M46 */
static void row_set_timeout(void) {
  aiodb_db *db = mem();
  aiodb_test_gate g;
  aiodb_future *f, *q;
  f = aiodb_test_gate_hold(db, &g);
  q = aiodb_query(db, "SELECT 1", NULL, 0);
  ck_assert_int_eq(aiodb_future_set_timeout(q, -1), AIODB_EINVAL);
  ck_assert_int_eq(aiodb_future_set_timeout(q, INT_MIN), AIODB_EINVAL);
  ck_assert_int_eq(aiodb_future_set_timeout(q, INT_MAX), 0);
  aiodb_test_gate_open(&g);
  expect(f, 0, NULL);
  aiodb_test_ok(q);
  ck_assert_int_eq(aiodb_future_set_timeout(q, 10), AIODB_EBUSY); /* done */
  aiodb_future_free(q);
  aiodb_db_free(db);
  aiodb_test_gate_destroy(&g);
}

/* M47 */
static void row_outcome_before_done(void) {
  aiodb_db *db = mem();
  aiodb_test_gate g;
  aiodb_future *f, *a;
  aiodb_test_gate_init(&g);
  f = aiodb_db_run(db, aiodb_test_gate_fn, &g);
  a = aiodb_acquire(db);
  ck_assert_int_eq(aiodb_future_done(f), 0);
  ck_assert_int_eq(aiodb_future_error(f), 0);
  ck_assert_str_eq(aiodb_future_errmsg(f), "");
  ck_assert_str_eq(aiodb_future_sqlstate(f), "");
  ck_assert_int_eq(aiodb_future_native_code(f), 0);
  ck_assert_ptr_null(aiodb_future_result(f));
  ck_assert_ptr_null(aiodb_future_take_result(f));
  ck_assert_int_eq(aiodb_future_value(f), 0);
  ck_assert_ptr_null(aiodb_future_conn(a));
  aiodb_test_gate_open(&g);
  expect(f, 0, NULL);
  aiodb_release(aiodb_future_conn(aiodb_test_ok(a)));
  aiodb_future_free(a);
  aiodb_db_free(db);
  aiodb_test_gate_destroy(&g);
}

/* M48 */
static void row_take_result_twice(void) {
  aiodb_db *db = mem();
  aiodb_future *f = aiodb_test_ok(aiodb_query(db, "SELECT 1", NULL, 0));
  aiodb_result *r = aiodb_future_take_result(f);
  ck_assert_ptr_nonnull(r);
  ck_assert_ptr_null(aiodb_future_take_result(f));
  ck_assert_ptr_null(aiodb_future_result(f));
  aiodb_future_free(f);
  ck_assert_int_eq(aiodb_result_int(r, 0, 0), 1); /* outlives its future */
  aiodb_result_free(r);
  /* futures without rows have no result to take */
  f = aiodb_test_ok(aiodb_db_run(db, return_3, NULL));
  ck_assert_ptr_null(aiodb_future_take_result(f));
  aiodb_future_free(f);
  aiodb_db_free(db);
}

/* M49 */
static void row_free_pending(void) {
  aiodb_db *db = mem();
  aiodb_test_gate g;
  aiodb_future *f;
  aiodb_test_gate_init(&g);
  f = aiodb_db_run(db, aiodb_test_gate_fn, &g);
  aiodb_future_on_done(f, count_cb, NULL);
  count_cb_calls = 0;
  aiodb_test_gate_wait_entered(&g);
  aiodb_future_free(f); /* detached: it still runs */
  aiodb_test_gate_open(&g);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 4"), 4);
  aiodb_cq_dispatch(aiodb_db_cq(db), 0);
  ck_assert_int_eq(count_cb_calls, 0);
  aiodb_db_free(db);
  aiodb_test_gate_destroy(&g);
}

/* M50 */
static void row_acquire_freed_unreleased(void) {
  aiodb_db *db = mem();
  aiodb_future *a = aiodb_test_ok(aiodb_acquire(db)), *b;
  ck_assert_ptr_nonnull(aiodb_future_conn(a));
  aiodb_future_free(a); /* no aiodb_release: the connection goes back */
  ck_assert_int_eq(diags(AIODB_DIAG_MISUSE), 1);
  b = aiodb_test_ok(aiodb_acquire(db)); /* max_size 1: it was given back */
  aiodb_release(aiodb_future_conn(b));
  aiodb_future_free(b);
  aiodb_db_free(db);
}

/* M51 */
static void row_result_null(void) {
  ck_assert_uint_eq(aiodb_result_rows(NULL), 0);
  ck_assert_uint_eq(aiodb_result_cols(NULL), 0);
  ck_assert_ptr_null(aiodb_result_name(NULL, 0));
  ck_assert_int_eq(aiodb_result_type(NULL, 0, 0), AIODB_TYPE_NULL);
  ck_assert_int_eq(aiodb_result_isnull(NULL, 0, 0), 1);
  ck_assert(aiodb_result_int(NULL, 0, 0) == 0);
  ck_assert(aiodb_result_float(NULL, 0, 0) == 0.0);
  ck_assert_ptr_null(aiodb_result_text(NULL, 0, 0));
  ck_assert_ptr_null(aiodb_result_blob(NULL, 0, 0));
  ck_assert_uint_eq(aiodb_result_len(NULL, 0, 0), 0);
  ck_assert(aiodb_result_affected(NULL) == 0);
  ck_assert(aiodb_result_last_id(NULL) == 0);
}

/* M52 */
static void row_result_out_of_range(void) {
  aiodb_db *db = mem();
  aiodb_future *f = aiodb_test_ok(aiodb_query(db, "SELECT 1 AS a, 'x' AS b", NULL, 0));
  aiodb_result *r = aiodb_future_result(f);
  static const size_t row[] = {1, 100, SIZE_MAX}, col[] = {2, 100, SIZE_MAX};
  size_t i;
  for (i = 0; i < 3; i++) {
    ck_assert_ptr_null(aiodb_result_name(r, col[i]));
    ck_assert_int_eq(aiodb_result_type(r, row[i], 0), AIODB_TYPE_NULL);
    ck_assert_int_eq(aiodb_result_type(r, 0, col[i]), AIODB_TYPE_NULL);
    ck_assert_int_eq(aiodb_result_isnull(r, row[i], col[i]), 1);
    ck_assert(aiodb_result_int(r, row[i], 0) == 0);
    ck_assert(aiodb_result_float(r, 0, col[i]) == 0.0);
    ck_assert_ptr_null(aiodb_result_text(r, row[i], 1));
    ck_assert_ptr_null(aiodb_result_blob(r, 0, col[i]));
    ck_assert_uint_eq(aiodb_result_len(r, row[i], 1), 0);
  }
  ck_assert_str_eq(aiodb_result_name(r, 1), "b"); /* in range: as usual */
  aiodb_future_free(f);
  aiodb_db_free(db);
}

/* M53 */
static void row_result_wrong_type(void) {
  aiodb_db *db = mem();
  aiodb_future *f = aiodb_test_ok(
      aiodb_query(db, "SELECT 7, x'00ff', NULL, '12abc', 2.5", NULL, 0));
  aiodb_result *r = aiodb_future_result(f);
  ck_assert_ptr_null(aiodb_result_text(r, 0, 0)); /* INT */
  ck_assert_uint_eq(aiodb_result_len(r, 0, 0), 0);
  ck_assert(aiodb_result_int(r, 0, 1) == 0); /* BLOB */
  ck_assert(aiodb_result_float(r, 0, 1) == 0.0);
  ck_assert(aiodb_result_int(r, 0, 2) == 0); /* NULL */
  ck_assert_ptr_null(aiodb_result_text(r, 0, 2));
  ck_assert(aiodb_result_int(r, 0, 3) == 12); /* TEXT: its leading digits */
  ck_assert(aiodb_result_int(r, 0, 4) == 2);  /* FLOAT: truncated */
  ck_assert_ptr_null(aiodb_result_blob(r, 0, 4));
  aiodb_future_free(f);
  aiodb_db_free(db);
}

/* M54 */
static void row_result_col(void) {
  aiodb_db *db = mem();
  aiodb_future *f = aiodb_test_ok(
      aiodb_query(db, "SELECT 1 AS id, 2 AS name, 3 AS id, 4 AS \"\"", NULL, 0));
  aiodb_result *r = aiodb_future_result(f);
  ck_assert_int_eq(aiodb_result_col(NULL, "id"), -1);
  ck_assert_int_eq(aiodb_result_col(r, NULL), -1);
  ck_assert_int_eq(aiodb_result_col(r, "missing"), -1);
  ck_assert_int_eq(aiodb_result_col(r, "ID"), -1); /* exact: case counts */
  ck_assert_int_eq(aiodb_result_col(r, "na"), -1); /* whole names only */
  ck_assert_int_eq(aiodb_result_col(r, "id"), 0);  /* the first of two */
  ck_assert_int_eq(aiodb_result_col(r, "name"), 1);
  ck_assert_int_eq(aiodb_result_col(r, ""), 3);
  aiodb_future_free(f);
  aiodb_db_free(db);
}

/* M55 */
static void row_checked_getters_out_of_range(void) {
  aiodb_db *db = mem();
  aiodb_future *f = aiodb_test_ok(aiodb_query(db, "SELECT 1 AS a, 'x' AS b", NULL, 0));
  aiodb_future *none = aiodb_test_ok(aiodb_query(db, "SELECT 1 AS a WHERE 0", NULL, 0));
  aiodb_result *r = aiodb_future_result(f), *empty = aiodb_future_result(none);
  static const size_t far[] = {1, 100, SIZE_MAX}, farc[] = {2, 100, SIZE_MAX};
  int64_t n = 7;
  double d = 7.0;
  const char *s = "x";
  size_t i;

  /* a NULL r has no columns */
  ck_assert_int_eq(aiodb_result_get_int(NULL, 0, 0, &n), AIODB_EINVAL);
  ck_assert_int_eq(aiodb_result_get_float(NULL, 0, 0, &d), AIODB_EINVAL);
  ck_assert_int_eq(aiodb_result_get_text(NULL, 0, 0, &s), AIODB_EINVAL);
  ck_assert_int_eq(aiodb_result_get_int_by_name(NULL, 0, "a", &n), AIODB_EINVAL);
  ck_assert_int_eq(aiodb_result_get_float_by_name(NULL, 0, "a", &d), AIODB_EINVAL);
  ck_assert_int_eq(aiodb_result_get_text_by_name(NULL, 0, "b", &s), AIODB_EINVAL);
  ck_assert(n == 0 && d == 0.0 && s == NULL);
  for (i = 0; i < 3; i++) {
    n = 7, d = 7.0, s = "x";
    ck_assert_int_eq(aiodb_result_get_int(r, 0, farc[i], &n), AIODB_EINVAL);
    ck_assert_int_eq(aiodb_result_get_float(r, 0, farc[i], &d), AIODB_EINVAL);
    ck_assert_int_eq(aiodb_result_get_text(r, 0, farc[i], &s), AIODB_EINVAL);
    ck_assert(n == 0 && d == 0.0 && s == NULL);
    n = 7, d = 7.0, s = "x";
    ck_assert_int_eq(aiodb_result_get_int(r, far[i], 0, &n), AIODB_ENOROW);
    ck_assert_int_eq(aiodb_result_get_float(r, far[i], 0, &d), AIODB_ENOROW);
    ck_assert_int_eq(aiodb_result_get_text(r, far[i], 1, &s), AIODB_ENOROW);
    ck_assert_int_eq(aiodb_result_get_int_by_name(r, far[i], "a", &n), AIODB_ENOROW);
    ck_assert(n == 0 && d == 0.0 && s == NULL);
  }
  /* a name that is not a column (NULL too), even with no rows: EINVAL */
  ck_assert_int_eq(aiodb_result_get_int_by_name(r, 0, "A", &n), AIODB_EINVAL);
  ck_assert_int_eq(aiodb_result_get_float_by_name(r, 0, NULL, &d), AIODB_EINVAL);
  ck_assert_int_eq(aiodb_result_get_text_by_name(r, 0, "c", &s), AIODB_EINVAL);
  ck_assert_int_eq(aiodb_result_get_int_by_name(empty, 0, "c", &n), AIODB_EINVAL);
  ck_assert_int_eq(aiodb_result_get_int(empty, 0, 1, &n), AIODB_EINVAL);
  ck_assert_int_eq(aiodb_result_get_int_by_name(empty, 0, "a", &n), AIODB_ENOROW);
  ck_assert_int_eq(aiodb_result_get_int(empty, 0, 0, &n), AIODB_ENOROW);
  /* out NULL: the status alone */
  ck_assert_int_eq(aiodb_result_get_int(r, 0, 0, NULL), 0);
  ck_assert_int_eq(aiodb_result_get_float(r, 0, 0, NULL), 0);
  ck_assert_int_eq(aiodb_result_get_text(r, 0, 1, NULL), 0);
  ck_assert_int_eq(aiodb_result_get_text_by_name(r, 1, "b", NULL), AIODB_ENOROW);
  aiodb_future_free(f);
  aiodb_future_free(none);
  aiodb_db_free(db);
}

/* M56 */
static void row_checked_getters_wrong_type(void) {
  aiodb_db *db = mem();
  aiodb_future *f = aiodb_test_ok(aiodb_query(
      db,
      "SELECT 7, x'00ff', NULL, '12abc', 2.5, '', ' 1', '12.00', '-0012', "
      "'99999999999999999999', 1e19, -9223372036854775808, '-9223372036854775808', "
      "'9223372036854775808', '1.5', '1e999', 'inf', '1,5', 2.0, '12.', '.5', "
      "'-', '+3'",
      NULL, 0));
  aiodb_result *r = aiodb_future_result(f);
  int64_t n = 7;
  double d = 7.0;
  const char *s = "x";
#define INT_IS(col, code, want)                                   \
  do {                                                            \
    n = 7;                                                        \
    ck_assert_int_eq(aiodb_result_get_int(r, 0, col, &n), code);  \
    ck_assert_msg(n == (want), "column %d: %lld", col, (long long)n); \
  } while (0)
#define FLOAT_IS(col, code, want)                                  \
  do {                                                             \
    d = 7.0;                                                       \
    ck_assert_int_eq(aiodb_result_get_float(r, 0, col, &d), code); \
    ck_assert_msg(d == (want), "column %d: %g", col, d);           \
  } while (0)
  INT_IS(0, 0, 7);
  INT_IS(1, AIODB_ETYPE, 0);  /* BLOB */
  INT_IS(2, AIODB_ENULL, 0);  /* NULL */
  INT_IS(3, AIODB_ETYPE, 0);  /* "12abc" */
  INT_IS(4, AIODB_ETYPE, 0);  /* 2.5 */
  INT_IS(5, AIODB_ETYPE, 0);  /* "" */
  INT_IS(6, AIODB_ETYPE, 0);  /* " 1" */
  INT_IS(7, 0, 12);           /* "12.00" */
  INT_IS(8, 0, -12);          /* "-0012" */
  INT_IS(9, AIODB_ERANGE, 0); /* beyond int64_t */
  INT_IS(10, AIODB_ERANGE, 0);
  INT_IS(11, 0, INT64_MIN);
  INT_IS(12, 0, INT64_MIN);
  INT_IS(13, AIODB_ERANGE, 0);
  INT_IS(14, AIODB_ETYPE, 0); /* "1.5" */
  INT_IS(18, 0, 2);           /* 2.0 */
  INT_IS(19, 0, 12);          /* "12." */
  INT_IS(20, AIODB_ETYPE, 0); /* ".5" */
  INT_IS(21, AIODB_ETYPE, 0); /* "-" */
  INT_IS(22, 0, 3);           /* "+3" */
  FLOAT_IS(0, 0, 7.0);
  FLOAT_IS(1, AIODB_ETYPE, 0.0);
  FLOAT_IS(2, AIODB_ENULL, 0.0);
  FLOAT_IS(3, AIODB_ETYPE, 0.0);
  FLOAT_IS(4, 0, 2.5);
  FLOAT_IS(5, AIODB_ETYPE, 0.0);
  FLOAT_IS(6, AIODB_ETYPE, 0.0);
  FLOAT_IS(7, 0, 12.0);
  FLOAT_IS(14, 0, 1.5);
  FLOAT_IS(15, AIODB_ERANGE, 0.0); /* "1e999" */
  FLOAT_IS(16, 0, INFINITY);      /* "inf" */
  FLOAT_IS(17, AIODB_ETYPE, 0.0);  /* "1,5" */
  FLOAT_IS(20, 0, 0.5);
#undef INT_IS
#undef FLOAT_IS
  ck_assert_int_eq(aiodb_result_get_text(r, 0, 0, &s), AIODB_ETYPE); /* INT */
  ck_assert_ptr_null(s);
  s = "x";
  ck_assert_int_eq(aiodb_result_get_text(r, 0, 1, &s), AIODB_ETYPE); /* BLOB */
  ck_assert_ptr_null(s);
  s = "x";
  ck_assert_int_eq(aiodb_result_get_text(r, 0, 2, &s), AIODB_ENULL);
  ck_assert_ptr_null(s);
  ck_assert_int_eq(aiodb_result_get_text(r, 0, 4, &s), AIODB_ETYPE); /* FLOAT */
  ck_assert_int_eq(aiodb_result_get_text(r, 0, 5, &s), 0);
  ck_assert_str_eq(s, "");
  ck_assert_int_eq(aiodb_result_get_text(r, 0, 3, &s), 0);
  ck_assert_str_eq(s, "12abc");
  aiodb_future_free(f);
  aiodb_db_free(db);
}

/* M57 */
static void row_sync_out_null(void) {
  aiodb_db *db = mem();
  aiodb_error err;
  int64_t n = 0, id = 0;
  char *s = NULL;
  /* err, out and last_id NULL: the statement runs all the same */
  ck_assert(aiodb_exec_sync(db, "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT)", NULL, 0,
                            NULL) == 0);
  ck_assert(aiodb_exec_sync_id(db, "INSERT INTO t(b) VALUES ('x')", NULL, 0, NULL, NULL) == 1);
  ck_assert_int_eq(aiodb_query_int_sync(db, "INSERT INTO t(b) VALUES ('y') RETURNING a",
                                        NULL, 0, NULL, NULL, NULL), 0);
  ck_assert_int_eq(aiodb_query_float_sync(db, "SELECT 1.5", NULL, 0, NULL, NULL, NULL), 0);
  ck_assert_int_eq(aiodb_query_text_sync(db, "SELECT 'z'", NULL, 0, NULL, NULL, NULL), 0);
  ck_assert_int_eq(aiodb_query_int_sync(db, "SELECT count(*) FROM t", NULL, 0, NULL, &n, &err), 0);
  ck_assert(n == 2);
  err_is(&err, 0, "");
  ck_assert(aiodb_exec_sync_id(db, "INSERT INTO t(b) VALUES ('w')", NULL, 0, &id, &err) == 1);
  ck_assert(id == 3);
  /* col: NULL is the first column; a name picks one; a name no column has */
  ck_assert_int_eq(aiodb_query_text_sync(db, "SELECT 'p' AS x, 'q' AS y", NULL, 0, NULL, &s,
                                         &err), 0);
  ck_assert_str_eq(s, "p");
  aiodb_free(s);
  ck_assert_int_eq(aiodb_query_text_sync(db, "SELECT 'p' AS x, 'q' AS y", NULL, 0, "y", &s,
                                         &err), 0);
  ck_assert_str_eq(s, "q");
  aiodb_free(s);
  ck_assert_int_eq(aiodb_query_text_sync(db, "SELECT 'p' AS x", NULL, 0, "X", &s, &err),
                   AIODB_EINVAL);
  ck_assert_ptr_null(s);
  err_is(&err, AIODB_EINVAL, "aiodb_query_text_sync: no column is named \"X\"");
  aiodb_db_free(db);
}

/* M58 */
static void row_sync_no_value(void) {
  aiodb_db *db = mem();
  aiodb_error err;
  int64_t n = 7;
  double d = 7.0;
  char *s = (char *)"x";
  aiodb_exec_sync(db, "CREATE TABLE t(a INTEGER)", NULL, 0, NULL);
  ck_assert_int_eq(aiodb_query_int_sync(db, "SELECT a FROM t", NULL, 0, NULL, &n, &err),
                   AIODB_ENOROW);
  ck_assert(n == 0);
  err_is(&err, AIODB_ENOROW, "aiodb_query_int_sync: the statement returned no row");
  ck_assert_int_eq(aiodb_query_float_sync(db, "SELECT max(a) AS m FROM t", NULL, 0, "m", &d,
                                          &err), AIODB_ENULL);
  ck_assert(d == 0.0);
  err_is(&err, AIODB_ENULL, "aiodb_query_float_sync: column \"m\" is NULL");
  ck_assert_int_eq(aiodb_query_text_sync(db, "INSERT INTO t VALUES (1)", NULL, 0, NULL, &s,
                                         &err), AIODB_EINVAL);
  ck_assert_ptr_null(s);
  err_is(&err, AIODB_EINVAL, "the statement returned no columns");
  ck_assert_int_eq(aiodb_query_int_sync(db, "SELECT count(*) FROM t", NULL, 0, NULL, &n, &err),
                   0);
  ck_assert(n == 1); /* it ran */
  ck_assert_int_eq(aiodb_query_int_sync(db, "SELECT 'x' AS v", NULL, 0, "v", &n, &err),
                   AIODB_ETYPE);
  err_is(&err, AIODB_ETYPE, "column \"v\" holds TEXT, not an integer");
  ck_assert_int_eq(aiodb_query_int_sync(db, "SELECT 1e19 AS v", NULL, 0, NULL, &n, &err),
                   AIODB_ERANGE);
  err_is(&err, AIODB_ERANGE, "column \"v\" holds FLOAT, out of range for an integer");
  ck_assert_int_eq(aiodb_query_text_sync(db, "SELECT 1", NULL, 0, NULL, &s, &err), AIODB_ETYPE);
  err_is(&err, AIODB_ETYPE, "holds INT, not text");
  aiodb_db_free(db);
}

/* M64 */
static void row_migrate_bad(void) {
  aiodb_db *db = mem();
  aiodb_migrate_options o;
  memset(&o, 0, sizeof o);
  ck_assert_ptr_null(aiodb_migrate(NULL, "migrations", NULL));
  expect_now(aiodb_migrate(db, NULL, NULL), AIODB_EINVAL, "aiodb_migrate: dir is NULL");
  expect_now(aiodb_migrate(db, "", NULL), AIODB_EINVAL, "aiodb_migrate: dir is empty");
  o.to_version = -1;
  expect_now(aiodb_migrate(db, "migrations", &o), AIODB_EINVAL, "to_version -1 is negative");
  aiodb_db_free(db);
}

/* M63 */
static void row_pool_stats(void) {
  aiodb_db *db = mem();
  aiodb_pool_stats st;
  ck_assert_int_eq(aiodb_db_pool_stats(NULL, &st), AIODB_EINVAL);
  ck_assert_int_eq(aiodb_db_pool_stats(db, NULL), AIODB_EINVAL);
  aiodb_future_free(aiodb_test_ok(aiodb_query(db, "SELECT 1", NULL, 0)));
  aiodb_future_free(aiodb_test_ok(aiodb_close(db)));
  ck_assert_int_eq(aiodb_db_pool_stats(db, &st), 0);
  ck_assert_uint_eq(st.open, 0);
  ck_assert_uint_eq(st.created, 1);
  ck_assert_uint_eq(st.closed, 1);
  aiodb_db_free(db);
}

/* M59 */
static void row_named_null(void) {
  aiodb_db *db = mem();
  aiodb_value v[2];
  aiodb_future *f;
  aiodb_exec_sync(db, "CREATE TABLE t(a INTEGER, b INTEGER)", NULL, 0, NULL);
  /* name NULL: the value is unnamed, so it binds in order of appearance */
  v[0] = aiodb_named(NULL, aiodb_int(1));
  v[1] = aiodb_named(NULL, aiodb_int(2));
  ck_assert_ptr_null(v[0].name);
  f = aiodb_test_ok(aiodb_query(db, "INSERT INTO t(b, a) VALUES (:b, :a)", v, 2));
  aiodb_future_free(f);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT b FROM t"), 1);
  /* among named values it is refused */
  v[0] = aiodb_named("b", aiodb_int(1));
  aiodb_test_fails(aiodb_query(db, "INSERT INTO t(b, a) VALUES (:b, :a)", v, 2), AIODB_EINVAL,
                   "named and unnamed values cannot be mixed (argument 2 lacks a name)");
  /* "" names no placeholder */
  v[1] = aiodb_named("", aiodb_int(2));
  aiodb_test_fails(aiodb_query(db, "INSERT INTO t(b, a) VALUES (:b, :a)", v, 2), AIODB_EINVAL,
                   "unknown name ''");
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM t"), 1);
  aiodb_db_free(db);
}

static int say_from_run(void *native, void *ud) {
  (void)native;
  (void)ud;
  aiodb_on_connect_error("not from here"); /* an aiodb_run function, not on_connect */
  return 1;
}

/* M60 */
static void row_on_connect_error_elsewhere(void) {
  aiodb_db *db = mem();
  aiodb_future *f;
  aiodb_on_connect_error("nobody listens");
  aiodb_on_connect_error(NULL);
  ck_assert_int_eq(diags(AIODB_DIAG_MISUSE), 2);
  f = aiodb_test_ok(aiodb_db_run(db, say_from_run, NULL));
  ck_assert_int_eq(aiodb_future_value(f), 1);
  ck_assert_int_eq(diags(AIODB_DIAG_MISUSE), 3);
  aiodb_future_free(f);
  aiodb_db_free(db);
}

/* M61 */
static void row_on_connect_ud_alone(void) {
  aiodb_options o;
  aiodb_error err;
  aiodb_db *db;
  aiodb_options_init(&o);
  o.on_connect_ud = &o;
  db = aiodb_open("sqlite://", &o, &err);
  ck_assert_msg(db != NULL, "aiodb_open: %s", err.message);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 5"), 5);
  ck_assert_int_eq(diags(AIODB_DIAG_MISUSE), 0);
  aiodb_db_free(db);
}

/* M62 */
static void row_open_native_bad(void) {
  static const char *const names[] = {"oracle", "", "postgresql+psycopg2",
                                      "mysql://u:s3cret@h/db"};
  int dummy = 0;
  aiodb_error err;
  size_t i;
  ck_assert_ptr_null(aiodb_open_native(NULL, &dummy, 0, NULL, &err));
  err_is(&err, AIODB_EINVAL, "aiodb_open_native: driver is NULL");
  ck_assert_ptr_null(aiodb_open_native("sqlite", NULL, 1, NULL, &err));
  err_is(&err, AIODB_EINVAL, "aiodb_open_native: native is NULL");
  for (i = 0; i < sizeof names / sizeof names[0]; i++) {
    ck_assert_ptr_null(aiodb_open_native(names[i], &dummy, 1, NULL, &err));
    err_is(&err, AIODB_EINVAL, "unknown driver");
    ck_assert(strstr(err.message, "s3cret") == NULL);
  }
  err_is(&err, AIODB_EINVAL, "(expected \"sqlite\", \"postgresql\" or \"mysql\")");
  ck_assert_ptr_null(aiodb_open_native("oracle", &dummy, 0, NULL, NULL)); /* err NULL */
  ck_assert_ptr_null(aiodb_open_native(NULL, NULL, 0, NULL, NULL));
  ck_assert_int_eq(dummy, 0);
}

typedef struct misuse_row {
  const char *id;
  const char *call; /* as docs/misuse.md's second column, without backquotes */
  void (*fn)(void);
} misuse_row;

static const misuse_row rows[] = {
    {"M01", "aiodb_strerror, aiodb_err_name", row_strerror},
    {"M02", "aiodb_set_diag_handler", row_diag_handler_null},
    {"M03", "aiodb_set_allocator", row_allocator_null},
    {"M04", "aiodb_cq_fd", row_cq_fd_null},
    {"M05", "aiodb_cq_set_spin", row_cq_set_spin},
    {"M06", "aiodb_cq_dispatch", row_cq_dispatch},
    {"M07", "aiodb_cq_run_once", row_cq_run_once},
    {"M08", "aiodb_cq_stats", row_cq_stats_null},
    {"M09", "aiodb_cq_new_ex", row_cq_new_ex_flags},
    {"M10", "aiodb_cq_free", row_cq_free_before_db},
    {"M11", "aiodb_cq_dispatch", row_cq_dispatch_nested},
    {"M12", "aiodb_options_init", row_options_init_null},
    {"M13", "aiodb_open", row_open_null_url},
    {"M14", "aiodb_open", row_open_bad_url},
    {"M15", "aiodb_open", row_open_opts_out_of_range},
    {"M16", "aiodb_open", row_open_busy_timeout_negative},
    {"M17", "aiodb_open", row_open_reserved},
    {"M18", "aiodb_open", row_open_stack_size},
    {"M19", "every call taking a handle", row_null_handles},
    {"M20", "aiodb_db_cq, aiodb_db_driver, aiodb_param_style, aiodb_db_stats, aiodb_conn_db, aiodb_replica",
     row_db_getters_null},
    {"M21", "statements", row_sql_null},
    {"M22", "statements", row_args_null},
    {"M23", "statements", row_wrong_count},
    {"M24", "statements", row_bad_value_type},
    {"M25", "statements", row_null_pointer_value},
    {"M26", "statements", row_huge_value},
    {"M27", "aiodb_query_many", row_many_rows_null},
    {"M28", "aiodb_query_many", row_many_overflow},
    {"M29", "aiodb_query_many", row_many_no_columns_huge},
    {"M30", "aiodb_iterate", row_iterate_batch_rows},
    {"M31", "aiodb_cursor_next", row_cursor_past_end},
    {"M32", "aiodb_has_table, aiodb_columns, aiodb_indexes", row_has_table_null},
    {"M33", "aiodb_run, aiodb_db_run, aiodb_tx_run", row_run_null_fn},
    {"M34", "aiodb_close", row_close_twice},
    {"M35", "aiodb_db_free", row_db_free_on_own_worker},
    {"M36", "after aiodb_close", row_after_close},
    {"M37", "after aiodb_close", row_pinned_after_close},
    {"M38", "after aiodb_close", row_tx_open_at_close},
    {"M39", "aiodb_tx_begin", row_savepoint_after_parent},
    {"M40", "aiodb_db_free", row_left_open_at_free},
    {"M41", "futures", row_future_null},
    {"M42", "aiodb_future_wait", row_future_wait_timeouts},
    {"M43", "aiodb_future_wait, aiodb_query_sync", row_future_wait_deadlock},
    {"M44", "aiodb_future_on_done, aiodb_future_on_done_cq", row_on_done_misuse},
    {"M45", "aiodb_future_cancel", row_cancel_nothing_to_cancel},
    {"M46", "aiodb_future_set_timeout", row_set_timeout},
    {"M47", "futures", row_outcome_before_done},
    {"M48", "aiodb_future_take_result", row_take_result_twice},
    {"M49", "aiodb_future_free", row_free_pending},
    {"M50", "aiodb_future_free", row_acquire_freed_unreleased},
    {"M51", "results", row_result_null},
    {"M52", "results", row_result_out_of_range},
    {"M53", "results", row_result_wrong_type},
    {"M54", "aiodb_result_col", row_result_col},
    {"M55", "checked getters", row_checked_getters_out_of_range},
    {"M56", "checked getters", row_checked_getters_wrong_type},
    {"M57", "synchronous helpers", row_sync_out_null},
    {"M58", "synchronous helpers", row_sync_no_value},
    {"M59", "aiodb_named", row_named_null},
    {"M60", "aiodb_on_connect_error", row_on_connect_error_elsewhere},
    {"M61", "aiodb_open", row_on_connect_ud_alone},
    {"M62", "aiodb_open_native", row_open_native_bad},
    {"M63", "aiodb_db_pool_stats", row_pool_stats},
    {"M64", "aiodb_migrate", row_migrate_bad},
};

#define NROWS ((int)(sizeof rows / sizeof rows[0]))

START_TEST(misuse_rows) {
  const misuse_row *row = &rows[_i];
  memset(diag_counts, 0, sizeof diag_counts);
  aiodb_set_diag_handler(count_diag, NULL);
  printf("%s %s\n", row->id, row->call);
  fflush(stdout);
  row->fn();
  aiodb_set_diag_handler(NULL, NULL);
  aiodb_test_clean_shutdown();
}
END_TEST

/* Each "| Mnn | `call` |" row of docs/misuse.md, in order, is rows[]'s. */
START_TEST(misuse_table_matches_doc) {
  const char *path = getenv("AIODB_TEST_MISUSE_DOC");
  char line[2048], call[512];
  FILE *fp;
  int n = 0;

  if (path == NULL || *path == '\0') {
    printf("misuse_table_matches_doc: skipped, AIODB_TEST_MISUSE_DOC not set\n");
    return;
  }
  fp = fopen(path, "r");
  ck_assert_msg(fp != NULL, "cannot open %s", path);
  while (fgets(line, sizeof line, fp) != NULL) {
    const char *p, *end;
    size_t k = 0;
    if (strncmp(line, "| M", 3) != 0) continue;
    ck_assert_msg(n < NROWS, "docs/misuse.md has more rows than the test (%s)", line);
    ck_assert_msg(strncmp(line + 2, rows[n].id, 3) == 0 && line[5] == ' ',
                  "row %d of docs/misuse.md is %.4s, the test's is %s", n + 1, line + 2,
                  rows[n].id);
    p = line + 8; /* past "| Mnn | " */
    end = strchr(p, '|');
    ck_assert_ptr_nonnull(end);
    for (; p < end && k + 1 < sizeof call; p++)
      if (*p != '`') call[k++] = *p;
    while (k > 0 && call[k - 1] == ' ') k--;
    call[k] = '\0';
    ck_assert_msg(strcmp(call, rows[n].call) == 0, "%s: docs/misuse.md says \"%s\", the test \"%s\"",
                  rows[n].id, call, rows[n].call);
    n++;
  }
  fclose(fp);
  ck_assert_msg(n == NROWS, "docs/misuse.md has %d rows, the test %d", n, NROWS);
}
END_TEST

Suite *aiodb_suite_misuse(void) {
  Suite *s = suite_create("misuse");
  TCase *tc = tcase_create("misuse_rows");
  tcase_set_timeout(tc, AIODB_TEST_TIMEOUT);
  tcase_add_loop_test(tc, misuse_rows, 0, NROWS);
  suite_add_tcase(s, tc);
  AIODB_TCASE(s, misuse_table_matches_doc);
  return s;
}
