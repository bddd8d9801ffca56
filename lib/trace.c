/* Tracing and slow queries: what a statement did, given to the db's trace
 * callback on the caller's side once its future is done. The worker's
 * part is two clock readings (lib/worker.c, lib/pipeline.c); submission
 * takes a third (lib/submit.c); everything else happens here, on the
 * thread that collects the future. */
#include <string.h>

#include "alloc.h"
#include "cq.h"
#include "db.h"
#include "future.h"
#include "job.h"
#include "trace.h"

/* "ROLLBACK TO SAVEPOINT aiodb_spN; RELEASE SAVEPOINT aiodb_spN" after a
 * failed "RELEASE SAVEPOINT aiodb_spN", with room to spare. */
#define TX_SQL_MAX 160

static int reserve(aiodb_future *f, size_t n) {
  if (f->bufcap < n) {
    char *b = aiodb__realloc(f->buf, n);
    if (b == NULL) return AIODB_ENOMEM;
    f->buf = b;
    f->bufcap = n;
  }
  return 0;
}

int aiodb__trace_arm(aiodb_db *db, aiodb_future *f) {
  aiodb__trace_rec *tr = &f->tr;
  memset(tr, 0, sizeof *tr);
  tr->fn = db->trace.fn;
  tr->ud = db->trace.ud;
  tr->slow_ns = db->trace.slow_ns;
  tr->values = db->trace.values;
  if (f->ops->trace == AIODB_TRACE_TX) {
    if (reserve(f, TX_SQL_MAX) != 0) return AIODB_ENOMEM;
    f->buf[0] = '\0';
    tr->sql = f->buf;
  }
  atomic_fetch_or(&f->flags, AIODB__F_TRACE);
  return 0;
}

int aiodb__trace_keep_sql(aiodb_future *f, const char *sql, size_t len) {
  if (reserve(f, len + 1) != 0) return AIODB_ENOMEM;
  memcpy(f->buf, sql, len);
  f->buf[len] = '\0';
  f->tr.sql = f->buf;
  f->tr.sql_len = len;
  f->tr.args = NULL;
  f->tr.nargs = 0;
  return 0;
}

void aiodb__trace_sent(aiodb_future *f, const char *sql) {
  aiodb__trace_rec *tr = &f->tr;
  size_t n = strlen(sql), at = tr->sql_len;
  if (!aiodb__trace_armed(f)) return;
  if (at > 0) {
    if (at + 2 + n + 1 > f->bufcap) return;
    memcpy(f->buf + at, "; ", 2);
    at += 2;
  } else if (n + 1 > f->bufcap) {
    return;
  }
  memcpy(f->buf + at, sql, n + 1);
  tr->sql_len = at + n;
}

void aiodb__trace_emit(aiodb_future *f) {
  const aiodb__trace_rec *tr = &f->tr;
  unsigned old = atomic_fetch_and(&f->flags, ~(unsigned)AIODB__F_TRACE);
  int64_t start;
  aiodb_trace t;

  if (!(old & AIODB__F_TRACE)) return;
  memset(&t, 0, sizeof t);
  t.kind = f->ops->trace;
  /* a tx end with nothing to send (its BEGIN failed) ran no statement */
  if (t.kind == AIODB_TRACE_TX && tr->sql_len == 0) return;
  start = tr->t_start != 0 ? tr->t_start : tr->t_end;
  if (tr->t_submit != 0 && start > tr->t_submit) t.queued_ns = start - tr->t_submit;
  if (tr->t_start != 0 && tr->t_end > tr->t_start) t.run_ns = tr->t_end - tr->t_start;
  if (tr->slow_ns > 0) {
    if (t.queued_ns + t.run_ns < tr->slow_ns) return;
    t.slow = 1;
  }
  t.sql = tr->sql != NULL ? tr->sql : "";
  t.sql_len = tr->sql != NULL ? tr->sql_len : 0;
  if (tr->values && tr->nargs > 0) {
    t.args = tr->args;
    t.nargs = tr->nargs;
  }
  t.code = f->err.code;
  if (t.code == 0)
    t.rows = t.kind == AIODB_TRACE_MANY ? f->nrows : aiodb_result_rows(f->result);
  t.affected = aiodb_result_affected(f->result);
  t.message = t.code != 0 ? aiodb_future_errmsg(f) : "";
  t.sqlstate = f->err.sqlstate;
  t.conn_id = tr->conn_id;
  tr->fn(&t, tr->ud);
}

void aiodb__trace_collected(aiodb_future *f) {
  aiodb_cq *cq = f->cq;
  if (atomic_load(&f->flags) & AIODB__F_CB) return;
  /* What completed detached (a tx's BEGIN ...) came before f: traced
   * first, here, when no loop dispatches the cq to trace it there. */
  if (atomic_load_explicit(&cq->dispatcher, memory_order_relaxed) == 0)
    aiodb__cq_drain_traces(cq);
  aiodb__trace_emit(f);
}
