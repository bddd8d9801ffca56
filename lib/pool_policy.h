/* The pool's policy (lib/pool_policy.c): what keeps a db's pool healthy
 * over a long life. Connections kept open to min_size and reopened with a
 * backoff; calls that wait for a connection too long (acquire_timeout_ms);
 * connections closed when idle above min_size (idle_timeout_ms), replaced
 * once old (max_lifetime_ms), checked before work after a long idle
 * (idle_check_ms) or when their socket stirs while idle; pins held too long
 * reported (leak_detection_ms); the counters of aiodb_db_pool_stats. Its
 * timed work runs on the process's deadline thread (lib/timer.c), through
 * one watch per db: a job of its own that never completes. */
#ifndef AIODB_POOL_POLICY_H
#define AIODB_POOL_POLICY_H

#include <stdint.h>

#include "aiodb.h"
#include "error.h"
#include "queue.h"
#include "url.h"

/* Why a connection leaves while the db stays open (conn->retire). */
enum { AIODB__RETIRE_IDLE = 1, AIODB__RETIRE_LIFETIME };

/* The policy's part of struct aiodb_db. Options are set at open and read
 * only afterwards; the rest is guarded by db->lock. */
typedef struct aiodb__pool_policy {
  int acquire_timeout_ms;   /* 0: a call waits for a connection forever */
  int idle_timeout_ms;      /* 0: idle connections stay */
  int max_lifetime_ms;      /* 0: connections are never replaced for age */
  int idle_check_ms;        /* 0: no check before work */
  int leak_detection_ms;    /* 0: pins are not watched */
  struct aiodb_future *watch; /* its timed work (NULL until aiodb__pool_start) */
  int64_t armed_ns;         /* the watch fires by then (0: not armed) */
  int64_t sweep_ns;         /* the next look at idle connections' sockets */
  int stopped;              /* aiodb_db_free: the watch is not armed again */
  int starved;              /* AIODB_DIAG_STARVED raised, state not cleared */
  unsigned fail_streak;     /* connects failed in a row */
  int64_t retry_ns;         /* during a streak: the next background connect */
  uint64_t created, closed, broken, connect_failures, idle_closed, expired,
      checks, check_failures, acquire_timeouts, leaks;
} aiodb__pool_policy;

/* The URL's and opts' pool options into db->pool (aiodb_open, from
 * lib/options.c): 0 or AIODB_EINVAL with err filled. */
int aiodb__pool_options(aiodb__url *url, const aiodb_options *o, aiodb_db *db,
                        aiodb_error *err);

/* ---- the db (lib/db.c) ---- */

/* At aiodb_open, before any worker: makes the watch. 0 or AIODB_ENOMEM. */
int aiodb__pool_start(aiodb_db *db);
/* At aiodb_db_free, every worker joined: the watch stops for good (it is
 * neither running nor armed when this returns). Unlocked. */
void aiodb__pool_stop(aiodb_db *db);
/* Opens connections nobody asked for: up to min_size, one at a time and
 * with a backoff after failed connects; none once the db closes. The one
 * place that does (a db that must never open another connection turns it
 * off here). 0, or why no worker could be started. Locked. */
int aiodb__pool_refill_locked(aiodb_db *db);

/* ---- submission (lib/submit.c) ---- */

/* f has just joined the pool's queue: stamps it, and returns in *arm_ns a
 * deadline for aiodb__pool_arm (or 0). Returns max_size when every
 * connection is pinned and the pool cannot grow, the first time since that
 * state last cleared (raise AIODB_DIAG_STARVED), else 0. Locked. */
unsigned aiodb__pool_queued_locked(aiodb_db *db, aiodb_future *f,
                                   int64_t *arm_ns);
/* The diagnostic aiodb__pool_queued_locked asked for. Unlocked. */
void aiodb__pool_starved_diag(const char *function, const void *site,
                              unsigned max_size);
/* Has the watch fire by at_ns (0: does nothing). Unlocked. */
void aiodb__pool_arm(aiodb_db *db, int64_t at_ns);

/* ---- the worker (lib/worker.c) and pins (lib/pool.c) ---- */

/* conn's connect ended with code: counts it, and on success marks conn
 * open and arms its lifetime. Takes and releases the lock. */
void aiodb__pool_opened(aiodb_conn *conn, int code);
/* conn is about to sleep: 0, or a deadline its worker must give
 * aiodb__pool_arm (unlocked) before it looks for work again. Locked. */
int64_t aiodb__pool_sleeping_locked(aiodb_conn *conn);
/* Just woken: is conn to be checked before it takes work? Locked. */
int aiodb__pool_check_due_locked(aiodb_conn *conn);
/* Checks conn (driver->ping), the lock released meanwhile; 1 if it is
 * broken. Locked. */
int aiodb__pool_check_locked(aiodb_conn *conn);
/* conn was just pinned by f: watched for a leak. Locked. */
void aiodb__pool_pinned_locked(aiodb_conn *conn, const aiodb_future *f);
/* conn's worker leaves (nlive already counts it out): counts it, and,
 * unless the db is closing, opens what the pool now lacks. Jobs that can
 * no longer run go onto orphans. Returns a deadline for aiodb__pool_arm,
 * or 0. Locked. */
int64_t aiodb__pool_left_locked(aiodb_conn *conn, const aiodb__err *cerr,
                                int broken, aiodb__qnode *orphans);

/* Internal knob for tests: the period of the look at idle connections'
 * sockets (default 1000 ms). Set it only while no db is open. */
extern int aiodb__pool_sweep_ms;

#endif
