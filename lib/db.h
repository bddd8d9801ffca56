/* A database: its driver, its options, and its pool of connections.
 *
 * Locking. One mutex per db, db->lock, guards the db's queues (the shared
 * one, each connection's own, each pin's pending one), every job's state
 * while it is queued or running, the pool, and the fields marked "locked"
 * in struct aiodb_db, aiodb_conn, aiodb_tx and aiodb_cursor. Each worker
 * sleeps on its own condition variable under it (libuv's threadpool.c:
 * one lock, shutdown as state the loop checks).
 *
 * The order, outermost first, and the only nestings there are:
 *   - db->lock, then the interrupter's lock: an interrupt is posted under
 *     db->lock (lib/cancel.c, aiodb__interrupt_locked) and takes the
 *     interrupter's lock (lib/interrupter.h) for the time of a queue
 *     update. Never the reverse: the interrupter's thread takes no db lock
 *     and makes its blocking call (PQcancel, KILL QUERY) holding no lock;
 *     drivers hold no lock of their own at all.
 *   - fork(): the handlers of lib/fork.c take every lock of the library,
 *     in the order written there.
 * Every other lock of the library is a leaf, taken with no other lock of
 * the library held, and taking none: a cq's lock and the cq registry
 * (lib/cq.c), the timer's lock (lib/timer.c), the future pool and the park
 * stripes (lib/future.c), the result pool (lib/result.c), the diagnostics
 * lock (lib/diag.c). So futures complete, callbacks are queued on a cq and
 * deadlines are set only with no db lock held, and the timer thread lets
 * go of its lock before it aborts a job.
 *
 * Nothing under db->lock may block: no network round trip, no driver call
 * but interrupt (sqlite3_interrupt, or a request posted to the
 * interrupter), no wait for a worker that
 * may itself wait for the lock. What runs under it is bounded: queue and
 * pin updates, waking a worker, starting one (pthread_create), joining one
 * that has quit (it takes the lock no more), shutdown(2) of a socket
 * given up on, poll(2) with a zero timeout of idle connections' sockets
 * (lib/pool_policy.c), and the allocator. */
#ifndef AIODB_DB_H
#define AIODB_DB_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "aiodb.h"
#include "driver.h"
#include "interrupter.h"
#include "pool_policy.h"
#include "queue.h"

struct aiodb_db {
  pthread_mutex_t lock;
  const aiodb__driver *driver;
  void *driver_cfg;
  aiodb__interrupter *intr; /* locked: made with the first worker, for a
                               driver with interrupt_send; frees driver_cfg */
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
  int (*on_connect)(void *native, void *ud); /* the program's setup of each
                               connection (lib/on_connect.c), or NULL */
  void *on_connect_ud;
  unsigned spin_us;         /* spin before sleeping (workers and waiters) */
  int adaptive_spin;        /* with spin_us 0: spin as lib/aspin.h says */
  unsigned pipeline;        /* most statements sent in one batch (< 2: off) */
  unsigned worker_nice;     /* added to each worker's nice value (Linux) */
  unsigned worker_slice_us; /* each worker's scheduler slice; 0: the default */
  struct aiodb__trace_cfg { /* aiodb_options.trace ... (lib/trace.c) */
    void (*fn)(const aiodb_trace *t, void *ud); /* NULL: no tracing */
    void *ud;
    int64_t slow_ns;
    int values;
  } trace;
  atomic_uint_fast64_t batches, batched;  /* aiodb_db_stats */
  aiodb__pool_policy pool;  /* lib/pool_policy.h */
  atomic_int submitted;     /* set by each submit: ends a worker's spin */
  int closing;
  int own_cq;
  aiodb_future *close_future;
  aiodb_future *close_spare; /* locked: made with the db, for the first
                               close, so that closing needs no memory */
  aiodb__qnode reg;         /* in the registry of open dbs (fork) */
  unsigned fork_gen;        /* the process generation it was opened in */
  /* aiodb_open_native (lib/native.c): the program's handle, until the
   * db's one worker takes it (locked); once taken, no other connection is
   * ever opened: the pool fails its jobs with AIODB_ECONNLOST. */
  int adopted;
  int adopt_close;          /* close_at_end */
  void *adopt_handle;
  aiodb_db *view;           /* its read-only view (aiodb_replica), or NULL */
  struct aiodb__replicas *replicas; /* a view's replicas and primary
                               (lib/replica.c); NULL for any other db once
                               open. A view has no driver_cfg nor intr of
                               its own: each replica has both. */
};

/* Shared by aiodb_open, aiodb_open_native and a replica view (lib/db.c).
 * aiodb__db_new: a db of driver drv, not configured yet; NULL with err
 * filled for want of memory. aiodb__db_discard frees one that
 * aiodb__db_start was not called on (and its driver_cfg, if set).
 * aiodb__db_start: the db's cq (opts->cq, referenced, or its own), lock
 * and first workers, once its options and driver_cfg are set; the db, or
 * NULL with err filled and db freed. */
aiodb_db *aiodb__db_new(const aiodb__driver *drv, aiodb_error *err);
void aiodb__db_discard(aiodb_db *db);
aiodb_db *aiodb__db_start(aiodb_db *db, const aiodb_options *opts, aiodb_error *err);
/* aiodb_db_free of any db, a view included. */
void aiodb__db_free(aiodb_db *db);

#endif
