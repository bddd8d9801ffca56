/* Core internals: futures, the completion queue, workers and the pool. */
#ifndef AIODB_INTERNAL_H
#define AIODB_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "aiodb.h"
#include "driver.h"
#include "url.h"

/* ---- intrusive doubly-linked queue (libuv's QUEUE, typed) ---- */
typedef struct aiodb__qnode {
  struct aiodb__qnode *next, *prev;
} aiodb__qnode;

static inline void aiodb__q_init(aiodb__qnode *q) { q->next = q->prev = q; }
static inline int aiodb__q_empty(const aiodb__qnode *q) { return q->next == q; }
static inline void aiodb__q_push(aiodb__qnode *q, aiodb__qnode *n) {
  n->next = q;
  n->prev = q->prev;
  q->prev->next = n;
  q->prev = n;
}
static inline void aiodb__q_remove(aiodb__qnode *n) {
  n->prev->next = n->next;
  n->next->prev = n->prev;
  n->next = n->prev = n;
}
static inline aiodb__qnode *aiodb__q_pop(aiodb__qnode *q) {
  aiodb__qnode *n;
  if (aiodb__q_empty(q)) return NULL;
  n = q->next;
  aiodb__q_remove(n);
  return n;
}
/* Moves every node of from to the tail of to. */
static inline void aiodb__q_move(aiodb__qnode *from, aiodb__qnode *to) {
  if (aiodb__q_empty(from)) return;
  from->next->prev = to->prev;
  to->prev->next = from->next;
  from->prev->next = to;
  to->prev = from->prev;
  aiodb__q_init(from);
}
#define aiodb__q_data(ptr, type, field) \
  ((type *)((char *)(ptr)-offsetof(type, field)))

/* ---- futures ---- */
enum {
  AIODB__F_DONE = 1u << 0,    /* outcome is in */
  AIODB__F_CB = 1u << 1,      /* on_done was called */
  AIODB__F_FREED = 1u << 2,   /* the caller freed it */
  AIODB__F_CANCEL = 1u << 3   /* cancel was asked while it ran */
};

typedef enum aiodb__job_kind {
  AIODB__JOB_NONE = 0,
  AIODB__JOB_QUERY,
  AIODB__JOB_RUN,
  AIODB__JOB_ACQUIRE,
  AIODB__JOB_CLOSE
} aiodb__job_kind;

typedef enum aiodb__job_state {
  AIODB__JS_NEW = 0,
  AIODB__JS_QUEUED,
  AIODB__JS_RUNNING,
  AIODB__JS_FINISHED
} aiodb__job_state;

struct aiodb_future {
  atomic_uint flags;
  atomic_int refs;        /* the caller's, the job's, the cq list's */
  atomic_int waiters;
  aiodb_cq *cq;           /* holds a reference */

  /* the job; guarded by its db's lock while queued or running */
  aiodb__qnode node;
  aiodb__job_kind kind;
  aiodb__job_state state;
  aiodb_db *db;           /* valid while the job is pending */
  aiodb_conn *target;     /* a pinned connection, or NULL for the pool */
  aiodb_conn *running_on;
  const char *sql;        /* in buf */
  size_t sql_len;
  aiodb_value *args;      /* in buf; driver binding order */
  size_t nargs;
  aiodb_run_fn fn;
  void *fn_ud;
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
};

/* A future with one caller reference, one job reference, reporting to cq. */
aiodb_future *aiodb__future_new(aiodb_cq *cq, aiodb__job_kind kind);
/* Marks f done, wakes waiters, queues its callback, drops the job's ref. */
void aiodb__future_complete(aiodb_future *f);
/* Sets the error then completes. */
void aiodb__future_fail(aiodb_future *f, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
void aiodb__future_unref(aiodb_future *f);
/* Blocks until done; call_site is the public caller's return address. */
int aiodb__future_wait(aiodb_future *f, int timeout_ms, const char *function,
                       const void *call_site);

/* ---- completion queue ---- */
struct aiodb_cq {
  pthread_mutex_t lock;
  aiodb_future *head, *tail;    /* completed, waiting for dispatch */
  atomic_int pending;           /* fd written and not yet drained */
  atomic_int refs;              /* the owner's + one per future */
  atomic_int closed;
  int rfd, wfd;                 /* eventfd: rfd == wfd */
  int in_dispatch;
  atomic_uint_fast64_t dispatcher;  /* thread id of the last dispatcher */
  atomic_uint_fast64_t wakeups, dispatched;
};

void aiodb__cq_ref(aiodb_cq *cq);
void aiodb__cq_unref(aiodb_cq *cq);
/* Queues a completed future (the caller hands over one reference). */
void aiodb__cq_push(aiodb_cq *cq, aiodb_future *f);

/* A small unique id for the calling thread (never 0). */
uint64_t aiodb__thread_id(void);

/* ---- diagnostics ---- */
void aiodb__diag(aiodb_diag_kind kind, const char *function,
                 const void *call_site, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* 0 warn, 1 error, 2 ignore: from AIODB_WARNINGS. */
int aiodb__warnings_mode(void);

/* ---- db, connections ---- */
struct aiodb_conn {
  aiodb_db *db;
  pthread_t thread;
  pthread_cond_t cv;
  aiodb__qnode own;         /* jobs for this connection only */
  aiodb__qnode link;        /* in db->conns */
  void *native;
  aiodb_future *running;
  unsigned id;
  int pinned;
  int sleeping;             /* waiting on cv and claimable */
  int connected;
  int quit;                 /* the worker has left its loop */
  int joined;
};

struct aiodb_db {
  pthread_mutex_t lock;
  const aiodb__driver *driver;
  void *driver_cfg;
  aiodb_cq *cq;
  aiodb__qnode shared;      /* jobs for any unpinned connection */
  aiodb__qnode conns;       /* every connection not yet joined */
  unsigned nlive;           /* workers started and not yet quit */
  unsigned nconnected;
  unsigned nsleeping;
  unsigned min_size, max_size;
  unsigned next_id;
  size_t stack_size;
  int closing;
  int own_cq;
  aiodb_future *close_future;
};

/* The worker's connection, on a worker thread; NULL elsewhere. */
aiodb_conn *aiodb__current_conn(void);

#endif
