/* A database: its driver, its options, and its pool of connections. */
#ifndef AIODB_DB_H
#define AIODB_DB_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "aiodb.h"
#include "driver.h"
#include "queue.h"

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

/* Checks url and opts as aiodb_open does (the URL, the core's and the
 * driver's options), and opens nothing: no thread, file or socket. 0 or
 * the code aiodb_open would fail with, err filled. For fuzz/fuzz_url.c. */
int aiodb__open_check(const char *url, const aiodb_options *opts,
                      aiodb_error *err);

#endif
