/* Tracing (lib/trace.c): a db with aiodb_options.trace arms the futures of
 * its statements (aiodb__trace_arm, at aiodb__job_new); the worker only
 * stamps when one starts and ends; the trace itself runs on the caller's
 * side, where the completed future first arrives: dispatch (lib/cq.c), or
 * the first aiodb_future_done, aiodb_future_wait or aiodb_future_free that
 * sees it done (lib/future.c). Exactly once: the call that clears
 * AIODB__F_TRACE traces. */
#ifndef AIODB_TRACE_H
#define AIODB_TRACE_H

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "aiodb.h"
#include "clock.h"
#include "future.h"

struct aiodb_db;

/* Is f to be traced (and not traced yet)? Any thread. */
static inline int aiodb__trace_armed(const aiodb_future *f) {
  return (atomic_load_explicit(&f->flags, memory_order_relaxed) & AIODB__F_TRACE) != 0;
}

/* On the worker (or a batch's), as f starts on connection number id. */
static inline void aiodb__trace_start(aiodb_future *f, unsigned id, int64_t now) {
  f->tr.t_start = now;
  f->tr.conn_id = id + 1;
}

/* Arms f, just made for db (whose trace is set) and not yet submitted: its
 * kind's trace (f->ops->trace) will be given. A TX job gets room for the
 * SQL it will send, so that ending a tx needs no memory. 0 or
 * AIODB_ENOMEM. */
int aiodb__trace_arm(struct aiodb_db *db, aiodb_future *f);

/* Keeps len bytes of sql in f->buf as the trace's text (a cursor's batch,
 * a call that failed before its SQL was copied). Caller's side; f->buf
 * must hold nothing else still needed. 0 or AIODB_ENOMEM. */
int aiodb__trace_keep_sql(aiodb_future *f, const char *sql, size_t len);

/* On the worker: the library sent sql for the TX job f (appended, after
 * "; ", to what it sent before). No-op unless f is armed. */
void aiodb__trace_sent(aiodb_future *f, const char *sql);

/* Traces f, done, unless traced already. Caller's side. */
void aiodb__trace_emit(aiodb_future *f);

/* The caller collected f (aiodb_future_done, _wait, _free): traces it
 * unless a callback is set (dispatch will), after what waits on its cq
 * for a trace alone when no thread dispatches that cq. */
void aiodb__trace_collected(aiodb_future *f);

static inline void aiodb__trace_collect(aiodb_future *f) {
  if (aiodb__trace_armed(f)) aiodb__trace_collected(f);
}

#endif
