/* query_many's wrapper: the SAVEPOINT or transaction around the rows,
 * the checks between them, and the row numbers in messages. */
#include <string.h>

#include "many.h"
#include "error.h"
#include "params.h"

/* Undoes the SAVEPOINT or transaction run_rows opened (unless the
 * connection is gone, and the transaction with it). */
static void undo(const aiodb__driver *drv, void *native, int in_tx,
                 const aiodb__err *why) {
  aiodb__err ignored;
  if (drv->is_broken != NULL && drv->is_broken(native, why)) return;
  drv->many->exec_own(native, in_tx ? "ROLLBACK TO SAVEPOINT aiodb_many" : "ROLLBACK",
                      &ignored);
  if (in_tx) drv->many->exec_own(native, "RELEASE SAVEPOINT aiodb_many", &ignored);
}

/* One try: opens the SAVEPOINT or transaction (*opened) and runs every
 * row in it, up to the first failure, which m places; the caller ends or
 * undoes what was opened. */
static int run_rows(const aiodb__driver *drv, void *native,
                    const aiodb__stmt *st, aiodb_result *res, int in_tx,
                    aiodb__many *m, int *opened, aiodb__err *e) {
  const aiodb__many_ops *ops = drv->many;
  size_t r, n;
  int rc;

  memset(m, 0, sizeof *m);
  m->chunk = 1;
  m->whole = 1;
  *opened = 0;
  aiodb__result_reset(res);
  rc = ops->exec_own(native, in_tx ? "SAVEPOINT aiodb_many" : "BEGIN", e);
  if (rc != 0) return rc;
  *opened = 1;
  rc = ops->prepare(native, st, m, e);
  if (rc == 0) {
    m->whole = 0;
    for (r = 0; rc == 0 && r < st->nrows; r += n) {
      /* between rows the database runs nothing an interrupt could stop */
      if (aiodb__job_stopping()) {
        m->row = r;
        rc = aiodb__err_set(e, AIODB_ECANCELED, "interrupted");
        break;
      }
      n = st->nrows - r < m->chunk ? st->nrows - r : m->chunk;
      rc = ops->rows(native, st, r, n, res, m, e);
    }
  }
  ops->close(native, m);
  return rc;
}

int aiodb__many_run(const aiodb__driver *drv, void *native,
                    const aiodb__stmt *st, aiodb_result *res, aiodb__err *e) {
  const aiodb__many_ops *ops = drv->many;
  aiodb__many m;
  int rc, rows_rc, in_tx, opened, tries = 0;

  if (aiodb__sql_is_blank(st->sql, st->sql_len, (aiodb__dialect)drv->dialect))
    return aiodb__err_set(e, AIODB_EINVAL, "query_many takes exactly one statement");
  if (ops->check != NULL && (rc = ops->check(native, st, e)) != 0) return rc;
  in_tx = ops->in_tx(native);
  for (;;) {
    aiodb__stmt_begin(); /* the interrupter's statement boundary */
    rows_rc = rc = run_rows(drv, native, st, res, in_tx, &m, &opened, e);
    if (rc == 0)
      rc = ops->exec_own(native, in_tx ? "RELEASE SAVEPOINT aiodb_many" : "COMMIT", e);
    /* The undo is no longer the statement a cancel or a deadline stops:
     * one still on its way lands first. On the undo, it would leave the
     * transaction open, and aborted, for the next call. */
    aiodb__stmt_end();
    aiodb__stmt_settle();
    if (rc == 0) break;
    /* SQLite keeps the transaction open when its COMMIT fails (busy) */
    if (opened) undo(drv, native, in_tx, e);
    if (rows_rc == 0) break; /* the COMMIT failed: no row to name */
    if (m.again && tries++ == 0) {
      memset(e, 0, sizeof *e);
      continue;
    }
    if (!m.whole) aiodb__err_prefix_row(e, m.row + 1);
    break;
  }
  if (rc == 0) aiodb__result_set_affected(res, m.affected);
  return rc;
}
