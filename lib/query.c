/* Statements and functions run for the caller: aiodb_query and
 * aiodb_query_many (on a db, a pinned connection or a tx), aiodb_run,
 * the metadata calls, and their job kinds; aiodb__query for the
 * synchronous helpers (lib/sync.c). */
#include <stddef.h>
#include <string.h>

#include "aiodb.h"
#include "conn.h"
#include "db.h"
#include "driver.h"
#include "future.h"
#include "job.h"
#include "many.h"
#include "tx.h"

static void run_statement(aiodb_conn *conn, aiodb_future *f, int many) {
  const aiodb__driver *drv = conn->db->driver;
  aiodb__stmt st;
  int rc;

  /* Canceled or timed out between being taken and reaching here: the
   * driver's interrupt may have found nothing running to stop. */
  if (atomic_load(&f->flags) & (AIODB__F_CANCEL | AIODB__F_TIMEDOUT)) {
    aiodb__err_set(&f->err, AIODB_ECANCELED, "canceled before it ran");
    return;
  }
  if (aiodb__job_result(f) != 0) return;
  aiodb__job_stmt(f, &st);
  if (many)
    rc = st.nrows == 0 ? 0 : aiodb__many_run(drv, conn->native, &st, f->result, &f->err);
  else
    rc = drv->exec(conn->native, &st, f->result, &f->err);
  if (rc != 0) {
    aiodb_result_free(f->result);
    f->result = NULL;
  }
}

static void run_fn(aiodb_conn *conn, aiodb_future *f) {
  f->value = f->fn(conn->db->driver->handle(conn->native), f->fn_ud);
  if (f->value < 0 && f->value > AIODB__STATUS_MAX)
    aiodb__err_set(&f->err, f->value, "aiodb_run: the function returned %s",
                   aiodb_err_name(f->value));
}

/* A call on a tx runs only while the tx is healthy, and its failure
 * aborts the tx. */
static void in_tx(aiodb_conn *conn, aiodb_future *f,
                  void (*body)(aiodb_conn *, aiodb_future *)) {
  if (f->tx != NULL && aiodb__tx_refuses(f) != 0) return;
  body(conn, f);
  if (f->tx != NULL && f->err.code != 0) aiodb__tx_failed(conn, f->tx, &f->err);
}

static void exec_one(aiodb_conn *conn, aiodb_future *f) {
  run_statement(conn, f, 0);
}

static void exec_rows(aiodb_conn *conn, aiodb_future *f) {
  run_statement(conn, f, 1);
}

static void query_run(aiodb_conn *conn, aiodb_future *f) {
  in_tx(conn, f, exec_one);
}

static void many_run(aiodb_conn *conn, aiodb_future *f) {
  in_tx(conn, f, exec_rows);
}

static void fn_run(aiodb_conn *conn, aiodb_future *f) {
  in_tx(conn, f, run_fn);
}

/* aiodb_query: the one kind that may join a batch. */
static const aiodb__job_ops query_ops = {
    .run = query_run,
    .abortable = 1,
    .interruptible = 1,
    .batchable = 1,
    .trace = AIODB_TRACE_QUERY,
};

static const aiodb__job_ops many_ops = {
    .run = many_run,
    .abortable = 1,
    .interruptible = 1,
    .trace = AIODB_TRACE_MANY,
};

static const aiodb__job_ops run_ops = {
    .run = fn_run,
    .abortable = 1,
    .trace = AIODB_TRACE_RUN,
};

static aiodb_future *statement(aiodb__route rt, const aiodb__job_ops *ops,
                               const char *sql, const aiodb_value *args,
                               size_t nargs, size_t nrows, const char *function,
                               const void *site) {
  aiodb_future *f = aiodb__job_new(rt, ops);
  int rc;
  if (f == NULL) return NULL;
  rc = aiodb__prepare_query(rt.db, f, sql, args, nargs, nrows);
  if (rc == 0 && ops == &many_ops && nrows > 0 && args == NULL)
    rc = aiodb__err_set(&f->err, AIODB_EINVAL, "%s: rows is NULL but nrows is %zu",
                        function, nrows);
  if (rc != 0) {
    if (f->err.code == AIODB_EINVAL && sql == NULL)
      aiodb__err_set(&f->err, AIODB_EINVAL, "%s: sql is NULL", function);
    /* traced with its text all the same (or none, out of memory) */
    if (aiodb__trace_armed(f) && sql != NULL) aiodb__trace_keep_sql(f, sql, strlen(sql));
    aiodb__tx_refused(rt.tx, &f->err);
    aiodb__future_complete(f);
    return f;
  }
  return aiodb__job_submit(rt.db, rt.conn, f, function, site);
}

aiodb_future *aiodb_query(aiodb_db *db, const char *sql,
                          const aiodb_value *args, size_t nargs) {
  if (db == NULL) return NULL;
  return statement(aiodb__on_db(db), &query_ops, sql, args, nargs, 1,
                   "aiodb_query", AIODB__SITE);
}

aiodb_future *aiodb_conn_query(aiodb_conn *conn, const char *sql,
                               const aiodb_value *args, size_t nargs) {
  if (conn == NULL) return NULL;
  return statement(aiodb__on_conn(conn), &query_ops, sql, args, nargs, 1,
                   "aiodb_conn_query", AIODB__SITE);
}

aiodb_future *aiodb_tx_query(aiodb_tx *tx, const char *sql,
                             const aiodb_value *args, size_t nargs) {
  if (tx == NULL) return NULL;
  return statement(aiodb__on_tx(tx), &query_ops, sql, args, nargs, 1,
                   "aiodb_tx_query", AIODB__SITE);
}

aiodb_future *aiodb_query_many(aiodb_db *db, const char *sql,
                               const aiodb_value *rows, size_t nrows,
                               size_t ncols) {
  if (db == NULL) return NULL;
  return statement(aiodb__on_db(db), &many_ops, sql, rows, ncols, nrows,
                   "aiodb_query_many", AIODB__SITE);
}

aiodb_future *aiodb_conn_query_many(aiodb_conn *conn, const char *sql,
                                    const aiodb_value *rows, size_t nrows,
                                    size_t ncols) {
  if (conn == NULL) return NULL;
  return statement(aiodb__on_conn(conn), &many_ops, sql, rows, ncols, nrows,
                   "aiodb_conn_query_many", AIODB__SITE);
}

aiodb_future *aiodb_tx_query_many(aiodb_tx *tx, const char *sql,
                                  const aiodb_value *rows, size_t nrows,
                                  size_t ncols) {
  if (tx == NULL) return NULL;
  return statement(aiodb__on_tx(tx), &many_ops, sql, rows, ncols, nrows,
                   "aiodb_tx_query_many", AIODB__SITE);
}

aiodb_future *aiodb__query(aiodb_db *db, const char *sql,
                           const aiodb_value *args, size_t nargs,
                           const char *function, const void *call_site) {
  return statement(aiodb__on_db(db), &query_ops, sql, args, nargs, 1, function,
                   call_site);
}

static aiodb_future *run_on(aiodb__route rt, aiodb_run_fn fn, void *ud,
                            const char *function, const void *site) {
  aiodb_future *f = aiodb__job_new(rt, &run_ops);
  if (f == NULL) return NULL;
  if (fn == NULL) {
    aiodb__err_set(&f->err, AIODB_EINVAL, "%s: fn is NULL", function);
    aiodb__tx_refused(rt.tx, &f->err);
    aiodb__future_complete(f);
    return f;
  }
  f->fn = fn;
  f->fn_ud = ud;
  return aiodb__job_submit(rt.db, rt.conn, f, function, site);
}

aiodb_future *aiodb_run(aiodb_conn *conn, aiodb_run_fn fn, void *ud) {
  if (conn == NULL) return NULL;
  return run_on(aiodb__on_conn(conn), fn, ud, "aiodb_run", AIODB__SITE);
}

aiodb_future *aiodb_db_run(aiodb_db *db, aiodb_run_fn fn, void *ud) {
  if (db == NULL) return NULL;
  return run_on(aiodb__on_db(db), fn, ud, "aiodb_db_run", AIODB__SITE);
}

aiodb_future *aiodb_tx_run(aiodb_tx *tx, aiodb_run_fn fn, void *ud) {
  if (tx == NULL) return NULL;
  return run_on(aiodb__on_tx(tx), fn, ud, "aiodb_tx_run", AIODB__SITE);
}

/* ---- metadata ---- */

aiodb_future *aiodb_table_names(aiodb_db *db) {
  if (db == NULL) return NULL;
  return statement(aiodb__on_db(db), &query_ops, db->driver->sql_table_names,
                   NULL, 0, 1, "aiodb_table_names", AIODB__SITE);
}

/* A metadata call on one table: the name bound, never pasted; a NULL
 * name (called what in the message) fails the future. */
static aiodb_future *of_table(aiodb_db *db, const char *sql, const char *name,
                              const char *what, const char *function,
                              const void *site) {
  aiodb_value v = aiodb_text(name);
  aiodb_future *f;
  if (name == NULL) {
    f = aiodb__future_new(db->cq, &query_ops);
    if (f) aiodb__future_fail(f, AIODB_EINVAL, "%s: %s is NULL", function, what);
    return f;
  }
  return statement(aiodb__on_db(db), &query_ops, sql, &v, 1, 1, function, site);
}

aiodb_future *aiodb_has_table(aiodb_db *db, const char *name) {
  if (db == NULL) return NULL;
  return of_table(db, db->driver->sql_has_table, name, "name", "aiodb_has_table",
                  AIODB__SITE);
}

aiodb_future *aiodb_columns(aiodb_db *db, const char *table) {
  if (db == NULL) return NULL;
  return of_table(db, db->driver->sql_columns, table, "table", "aiodb_columns", AIODB__SITE);
}

aiodb_future *aiodb_indexes(aiodb_db *db, const char *table) {
  if (db == NULL) return NULL;
  return of_table(db, db->driver->sql_indexes, table, "table", "aiodb_indexes", AIODB__SITE);
}

aiodb_future *aiodb_view_names(aiodb_db *db) {
  if (db == NULL) return NULL;
  return statement(aiodb__on_db(db), &query_ops, db->driver->sql_view_names, NULL, 0, 1,
                   "aiodb_view_names", AIODB__SITE);
}

aiodb_future *aiodb_server_info(aiodb_db *db) {
  aiodb_value v[2];
  if (db == NULL) return NULL;
  v[0] = aiodb_text(db->driver->client_version());
  v[1] = aiodb_text(aiodb_version());
  return statement(aiodb__on_db(db), &query_ops, db->driver->sql_server_info, v,
                   2, 1, "aiodb_server_info", AIODB__SITE);
}
