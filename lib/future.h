/* Futures (lib/future.c): recycled, reference-counted, completed exactly
 * once; a future also carries its job while the job is queued or running,
 * and its deadline, which the timer watches (lib/timer.h). */
#ifndef AIODB_FUTURE_H
#define AIODB_FUTURE_H

#include <stdatomic.h>
#include <stdint.h>

#include "aiodb.h"
#include "error.h"
#include "queue.h"

enum {
  AIODB__F_DONE = 1u << 0,     /* outcome is in */
  AIODB__F_CB = 1u << 1,       /* on_done was called */
  AIODB__F_FREED = 1u << 2,    /* the caller freed it */
  AIODB__F_CANCEL = 1u << 3,   /* cancel was asked while it ran */
  AIODB__F_TIMEDOUT = 1u << 4, /* its deadline passed while it ran */
  AIODB__F_DEADLINE = 1u << 5, /* it was given a deadline */
  AIODB__F_HANDED = 1u << 6,   /* aiodb_future_conn gave its connection out */
  AIODB__F_TRACE = 1u << 7     /* to be traced (lib/trace.h); cleared by the
                                  one call that traces it */
};

typedef enum aiodb__job_state {
  AIODB__JS_NEW = 0,
  AIODB__JS_QUEUED,
  AIODB__JS_RUNNING,
  AIODB__JS_SENT,       /* sent ahead in a pipeline: past canceling */
  AIODB__JS_FINISHED
} aiodb__job_state;

struct aiodb__job_ops;
struct aiodb__pin;

/* What tracing keeps in a future (lib/trace.h): valid only once
 * aiodb__trace_arm filled it and set AIODB__F_TRACE. */
typedef struct aiodb__trace_rec {
  void (*fn)(const aiodb_trace *t, void *ud);
  void *ud;
  int64_t slow_ns;          /* 0: trace everything */
  int values;               /* trace_values */
  unsigned conn_id;         /* conn->id + 1 once a worker took it */
  int64_t t_submit, t_start, t_end; /* CLOCK_MONOTONIC ns; 0: not yet */
  const char *sql;          /* the caller's text, in buf, or NULL */
  size_t sql_len;
  const aiodb_value *args;  /* values: copies in buf */
  size_t nargs;
} aiodb__trace_rec;

struct aiodb_future {
  atomic_uint flags;
  atomic_int refs;        /* the caller's, the job's, the cq list's */
  atomic_int waiters;
  aiodb_cq *cq;           /* holds a reference */

  /* the job; guarded by its db's lock while queued or running */
  aiodb__qnode node;
  const struct aiodb__job_ops *ops; /* its kind: lib/job.h */
  aiodb__job_state state;
  aiodb_db *db;           /* valid while the job is pending */
  aiodb_conn *target;     /* a pinned connection, or NULL for the pool */
  aiodb_conn *running_on;
  const char *sql;        /* in buf */
  size_t sql_len;
  aiodb_value *args;      /* in buf; driver binding order */
  size_t nargs;
  size_t nrows;           /* rows of nargs values each (1 but for
                             query_many) */
  aiodb_run_fn fn;
  void *fn_ud;
  struct aiodb__pin *pin; /* a tx's or cursor's pin, or NULL */
  aiodb_tx *tx;           /* holds a reference while queued or running */
  aiodb_cursor *cur;
  int end_op;             /* a tx end: AIODB__END_... (lib/tx.h) */
  int counted;            /* holds job references (tx, cursor) */
  atomic_int held;        /* an acquire: its connection is pinned for it */
  unsigned tx_seq;        /* its place among its tx's jobs, from 1 */
  unsigned interrupts;    /* RUNNING: interrupts sent (db lock) */
  int64_t queued_ns;      /* joined the pool's queue then (lib/pool_policy.c) */
  const char *function;   /* the public call that submitted it, and its */
  const void *site;       /* caller: for diagnostics */

  /* deadline: guarded by the timer's lock */
  aiodb__qnode tnode;
  int64_t deadline_ns;
  int timer_linked;
  char *buf;              /* one allocation for sql and argument copies */
  size_t bufcap;

  /* completion delivery */
  struct aiodb_future *cq_next;
  aiodb_callback cb;
  void *cb_ud;

  /* the outcome */
  aiodb__err err;
  aiodb_result *result;
  aiodb_conn *conn;
  int value;

  struct aiodb_future *pool_next;

  /* Last, and not cleared by aiodb__future_new: see aiodb__trace_rec. */
  aiodb__trace_rec tr;
};

/* The outcome is in (for aiodb's own use: aiodb_future_done may trace). */
static inline int aiodb__future_is_done(const aiodb_future *f) {
  return f && (atomic_load_explicit(&f->flags, memory_order_acquire) &
               AIODB__F_DONE) != 0;
}

/* A future with one caller reference, one job reference, reporting to cq,
 * for a job of the kind ops (never NULL). */
aiodb_future *aiodb__future_new(aiodb_cq *cq, const struct aiodb__job_ops *ops);
/* Marks f done, wakes waiters, queues its callback, drops the job's ref.
 * Called with no lock held. */
void aiodb__future_complete(aiodb_future *f);
/* Sets the error then completes. */
void aiodb__future_fail(aiodb_future *f, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
void aiodb__future_unref(aiodb_future *f);
/* aiodb_future_free for a future of aiodb's own making that the caller
 * never sees (a tx's BEGIN, a cursor's open): its trace, if any, is its
 * cq's to give (lib/trace.h), even when it is done already. */
void aiodb__future_detach(aiodb_future *f);
/* Blocks until done; call_site is the public caller's return address. */
int aiodb__future_wait(aiodb_future *f, int timeout_ms, const char *function,
                       const void *call_site);
/* Frees the futures and results kept for reuse (tests that count
 * allocations). */
void aiodb__pools_trim(void);

#endif
