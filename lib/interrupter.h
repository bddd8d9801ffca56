/* The interrupter: stops a running statement through its server, for a
 * driver whose stop is a blocking network call (PQcancel, a KILL QUERY
 * over a side connection). One per db, made with its first connection; a
 * thread of its own, started at the first interrupt, makes the calls, so
 * that posting one (aiodb_future_cancel, the deadline timer) never waits
 * on the network.
 *
 * Locking: the interrupter's lock guards its queue, the connection in
 * flight and its thread's state. The db lock may be held when the
 * interrupter's lock is taken (posting an interrupt), never the reverse;
 * nothing under either blocks on the network or joins a thread (the one
 * join under the db lock, the pool's reaping of a worker that has quit,
 * waits for no lock and no network). The driver's blocking call
 * (interrupt_send) runs on the interrupter's thread with no lock held, and
 * the thread is joined with none held. A forked child never uses an
 * inherited db's interrupter, so fork() need not take its lock. */
#ifndef AIODB_INTERRUPTER_H
#define AIODB_INTERRUPTER_H

#include <stdatomic.h>
#include <stdint.h>

#include "driver.h"

typedef struct aiodb__interrupter aiodb__interrupter;

/* A connection's side of its db's interrupter, kept in the connection: it
 * is also the connection's place in the queue, so posting never allocates.
 *
 * Statements are numbered: seq is odd while one runs (aiodb__stmt_begin
 * and _end, on the worker). A request names the statement it was posted
 * for, and the interrupter's thread skips it if that statement has ended.
 * It sets inflight before it reads seq, and the worker bumps seq before it
 * reads inflight at its next statement: either the thread sees the
 * statement has ended, or the worker sees the interrupt in flight and lets
 * it land before sending anything (it would stop that instead). */
typedef struct aiodb__intr_conn {
  aiodb__interrupter *intr;   /* NULL: not attached */
  aiodb__intr_token token;    /* the driver's, from interrupt_open */
  struct aiodb__intr_conn *next; /* in the queue (intr's lock) */
  int queued;                 /* intr's lock */
  uint64_t req;               /* queued: the statement it names (intr's lock) */
  _Atomic uint64_t seq;
  _Atomic uint64_t inflight;  /* the statement whose interrupt is being
                                 sent, or 0; set and cleared by the thread
                                 under intr's lock */
  uint64_t waited;            /* worker-only: the last in-flight one waited
                                 for, so that one the server never answers
                                 holds up one statement, not every one */
} aiodb__intr_conn;

/* For a driver with interrupt_send, on the calling thread; NULL for want of
 * memory. Starts no thread. */
aiodb__interrupter *aiodb__interrupter_new(const aiodb__driver *drv, void *cfg);

/* At aiodb_db_free, once every connection has been detached: stops the
 * thread and frees it with the driver's config (free_config). The thread is
 * joined when idle; one in a call that does not return within a bounded
 * wait is detached instead, and frees both itself once the call returns. */
void aiodb__interrupter_free(aiodb__interrupter *it);

/* On the connection's worker, just after connect: asks the driver for the
 * connection's token (interrupt_open). 0, or fills e. */
int aiodb__interrupter_attach(aiodb__interrupter *it, aiodb__intr_conn *ic,
                              void *native, aiodb__err *e);

/* On the worker, just before disconnect: its queued request goes; a call in
 * flight for it keeps the token, which the thread closes when the call
 * returns (it is never waited for). A harmless no-op when not attached. */
void aiodb__interrupter_detach(aiodb__intr_conn *ic);

/* Posts an interrupt of the statement ic runs now, if one does; from any
 * thread, under the db lock or none. Takes the interrupter's lock briefly;
 * never blocks, never allocates. Starts the thread at the first. Returns 0,
 * or -1 when no thread could be started (nothing is sent). */
int aiodb__interrupter_post(aiodb__intr_conn *ic);

/* The core's one way to stop a statement running on c, called by
 * aiodb__job_abort under the db lock: the driver's interrupt, or a post to
 * the db's interrupter. Never blocks, never allocates. */
struct aiodb_conn;
void aiodb__interrupt_locked(struct aiodb_conn *c);

#endif
