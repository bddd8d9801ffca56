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
  AIODB__F_DONE = 1u << 0,     /* outcome is in */
  AIODB__F_CB = 1u << 1,       /* on_done was called */
  AIODB__F_FREED = 1u << 2,    /* the caller freed it */
  AIODB__F_CANCEL = 1u << 3,   /* cancel was asked while it ran */
  AIODB__F_TIMEDOUT = 1u << 4, /* its deadline passed while it ran */
  AIODB__F_DEADLINE = 1u << 5, /* it was given a deadline */
  AIODB__F_HANDED = 1u << 6    /* aiodb_future_conn gave its connection out */
};

typedef enum aiodb__job_kind {
  AIODB__JOB_NONE = 0,
  AIODB__JOB_QUERY,
  AIODB__JOB_MANY,
  AIODB__JOB_RUN,
  AIODB__JOB_ACQUIRE,
  AIODB__JOB_TX_BEGIN,
  AIODB__JOB_TX_END,
  AIODB__JOB_CUR_OPEN,
  AIODB__JOB_CUR_NEXT,
  AIODB__JOB_CUR_CLOSE,
  AIODB__JOB_CLOSE
} aiodb__job_kind;

/* How a tx ends. */
enum { AIODB__END_COMMIT = 1, AIODB__END_ROLLBACK };

/* A group of jobs that must run on one connection taken from the pool (a tx
 * or a cursor): jobs submitted before a worker takes the pinning job wait
 * here, then move to that connection's own queue in order. */
typedef struct aiodb__pin {
  struct aiodb_conn *conn;  /* once pinned */
  aiodb__qnode pending;
  int failed;               /* the pinning job failed: err says why */
  aiodb__err err;
} aiodb__pin;

typedef enum aiodb__job_state {
  AIODB__JS_NEW = 0,
  AIODB__JS_QUEUED,
  AIODB__JS_RUNNING,
  AIODB__JS_SENT,       /* sent ahead in a pipeline: past canceling */
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
  size_t nrows;           /* MANY: rows of nargs values each */
  aiodb_run_fn fn;
  void *fn_ud;
  aiodb__pin *pin;        /* a tx's or cursor's pin, or NULL */
  struct aiodb_tx *tx;    /* holds a reference while queued or running */
  struct aiodb_cursor *cur;
  int end_op;             /* TX_END: AIODB__END_... */
  int counted;            /* holds job references (tx, cursor) */
  atomic_int held;        /* ACQUIRE: its connection is pinned for it */
  unsigned tx_seq;        /* its place among its tx's jobs, from 1 */
  unsigned interrupts;    /* RUNNING: interrupts sent (db lock) */

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
/* Aborts a queued or running job with code (cancel, timeout): lib/db.c. */
int aiodb__job_abort(aiodb_future *f, int code);
/* aiodb_future_free of an acquire (lib/db.c): a connection it pinned and
 * nobody released goes back to the pool. */
void aiodb__acquire_freed(aiodb_future *f, const void *call_site);
/* Deadlines (lib/future.c): a timer thread aborts overdue jobs. */
void aiodb__timer_add(aiodb_future *f, int timeout_ms);
/* Waits until the timer is not aborting a job of db: before db is freed. */
void aiodb__timer_quiesce(const aiodb_db *db);

/* aiodb_query() on a non-NULL db, for the synchronous helpers
 * (lib/sync.c): diagnostics name function and its caller's call_site. */
aiodb_future *aiodb__query(aiodb_db *db, const char *sql,
                           const aiodb_value *args, size_t nargs,
                           const char *function, const void *call_site);

/* Blocks until done; call_site is the public caller's return address. */
int aiodb__future_wait(aiodb_future *f, int timeout_ms, const char *function,
                       const void *call_site);

/* ---- completion queue ---- */
struct aiodb_cq {
  pthread_mutex_t lock;
  aiodb__qnode reg;             /* in the registry of every cq (fork) */
  aiodb_future *head, *tail;    /* completed, waiting for dispatch */
  atomic_int pending;           /* fd written and not yet drained */
  atomic_int refs;              /* the owner's + one per future */
  atomic_int closed;
  int rfd, wfd;                 /* eventfd: rfd == wfd */
  int in_dispatch;
  atomic_uint_fast64_t dispatcher;  /* thread id of the last dispatcher */
  atomic_uint_fast64_t wakeups, dispatched;
  atomic_uint spin_us;          /* aiodb_cq_set_spin */
};

/* Spins up to us microseconds until ready(arg); returns its last answer. */
int aiodb__spin(int (*ready)(const void *), const void *arg, unsigned us);
/* ready() for aiodb__spin: is the atomic_int at flag non-zero? */
int aiodb__flag_set(const void *flag);

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
struct aiodb_tx {
  aiodb_db *db;
  struct aiodb_tx *parent, *root;
  aiodb__pin own_pin;       /* a root over the pool pins through this */
  aiodb__pin *pin;          /* where its jobs go (NULL: straight to conn) */
  struct aiodb_conn *conn;  /* aiodb_conn_begin's connection */
  aiodb__qnode link;        /* in db->txs */
  unsigned id;
  int refs;                 /* the caller's, children's, queued jobs': locked */
  int dropped;              /* locked: a statement was dropped before it ran */
  unsigned seq;             /* locked: jobs queued on it so far */
  unsigned drop_seq;        /* locked: the first dropped job's seq */
  aiodb__err drop_err;
  unsigned parent_seq;      /* locked: the parent's jobs queued before its
                               SAVEPOINT */
  aiodb_future *end;        /* its end's job, made with it: an end never
                               fails for want of memory */
  /* worker-only, on the pinned connection */
  int open;                 /* BEGIN / SAVEPOINT ran */
  int finished;             /* its end ran */
  int failed;
  aiodb__err fail_err;
  int savepoint;
  int owns_pin;
  int gone;                 /* the database ended the whole transaction */
};

struct aiodb_cursor {
  aiodb_db *db;
  aiodb__pin own_pin;
  aiodb__pin *pin;
  struct aiodb_conn *conn;
  aiodb__qnode link;        /* in db->cursors */
  int refs;                 /* locked */
  size_t batch;
  int bad;                  /* the caller's thread: bad input at iterate */
  aiodb__err bad_err;
  aiodb_future *close_job;  /* made with it: a free needs no memory */
  /* worker-only */
  void *handle;             /* the driver's open statement */
  int failed;
  aiodb__err err;
};

typedef struct aiodb__batch aiodb__batch;

struct aiodb_conn {
  aiodb_db *db;
  pthread_t thread;
  pthread_cond_t cv;
  aiodb__qnode own;         /* jobs for this connection only */
  aiodb__qnode link;        /* in db->conns */
  void *native;
  aiodb_result *scratch;    /* for the library's own statements */
  struct aiodb__batch *batch; /* auto-pipelining; NULL: one at a time */
  aiodb_future *running;
  aiodb_future *holder;     /* locked: the acquire that pinned it */
  unsigned id;
  int pinned;
  int sleeping;             /* waiting on cv and claimable */
  int batching;             /* running a batch (auto-pipelining) */
  int unsure;               /* worker-only: a tx end failed; replace it */
  int quit;                 /* the worker has left its loop */
  int sock;                 /* locked: the driver's socket, or -1 */
  int abandon_fd;           /* readable once abandoned (eventfd), or -1 */
  int abandoned;            /* locked: aiodb_db_free gave up on it */
  unsigned calls;           /* locked: calls begun, connect included */
  unsigned watch_calls;     /* locked: calls when the close watch looked */
};

struct aiodb_db {
  pthread_mutex_t lock;
  const aiodb__driver *driver;
  void *driver_cfg;
  aiodb_cq *cq;
  aiodb__qnode shared;      /* jobs for any unpinned connection */
  aiodb__qnode conns;       /* every connection not yet joined */
  unsigned nlive;           /* workers started and not yet quit */
  unsigned min_size, max_size;
  unsigned next_id;
  size_t stack_size;
  aiodb__qnode txs;         /* live transactions, for teardown */
  aiodb__qnode cursors;
  unsigned next_tx;
  int timeout_ms;
  int close_timeout_ms;     /* a call stuck this long at close is abandoned */
  unsigned statement_cache;
  int force_rollback;
  unsigned spin_us;         /* spin before sleeping (workers and waiters) */
  unsigned pipeline;        /* most statements sent in one batch (< 2: off) */
  unsigned worker_nice;     /* added to each worker's nice value (Linux) */
  unsigned worker_slice_us; /* each worker's scheduler slice; 0: the default */
  atomic_uint_fast64_t batches, batched;  /* aiodb_db_stats */
  atomic_int submitted;     /* set by each submit: ends a worker's spin */
  int closing;
  int own_cq;
  aiodb_future *close_future;
  aiodb_future *close_spare; /* locked: made with the db, for the first
                               close, so that closing needs no memory */
  aiodb__qnode reg;         /* in the registry of open dbs (fork) */
  unsigned fork_gen;        /* the process generation it was opened in */
};

/* ---- fork() (lib/db.c installs the handlers): every lock of the library
 * is taken before fork and given back after, in both processes, so that a
 * child never finds one held by a thread it does not have. Each file
 * provides its part; the order is db locks, cqs, timer, pools, park, diag. */
void aiodb__cq_fork_lock(void);
void aiodb__cq_fork_unlock(void);
void aiodb__future_fork_lock(void);
void aiodb__future_fork_unlock(int child);
void aiodb__result_fork_lock(void);
void aiodb__result_fork_unlock(void);
void aiodb__diag_fork_lock(void);
void aiodb__diag_fork_unlock(void);
/* The timer counts the open dbs; the last one's free stops its thread. */
void aiodb__timer_db_opened(void);
void aiodb__timer_db_closed(void);

/* Checks url and opts as aiodb_open does (the URL, the core's and the
 * driver's options), and opens nothing: no thread, file or socket. 0 or
 * the code aiodb_open would fail with, err filled. For fuzz/fuzz_url.c. */
int aiodb__open_check(const char *url, const aiodb_options *opts,
                      aiodb_error *err);

/* The worker's connection, on a worker thread; NULL elsewhere. */
aiodb_conn *aiodb__current_conn(void);

#endif
