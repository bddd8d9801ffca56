/* The completion queue (lib/cq.c): completed futures wait on it for the
 * loop's thread, which dispatches their callbacks. cq->lock is a leaf: it
 * guards the list alone, and callbacks run with no lock held. */
#ifndef AIODB_CQ_H
#define AIODB_CQ_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "aiodb.h"
#include "aspin.h"
#include "queue.h"

struct aiodb_cq {
  pthread_mutex_t lock;
  aiodb__qnode reg;             /* in the registry of every cq (fork) */
  aiodb_future *head, *tail;    /* completed, waiting for dispatch */
  aiodb_future *trace_head, *trace_tail; /* detached, waiting for a trace
                                           alone (lib/trace.h) */
  atomic_int pending;           /* fd written and not yet drained */
  atomic_int listed;            /* head != NULL (read without the lock) */
  atomic_int refs;              /* the owner's + one per future */
  atomic_int closed;
  int rfd, wfd;                 /* eventfd: rfd == wfd */
  int in_dispatch;
  atomic_uint_fast64_t dispatcher;  /* thread id of the last dispatcher */
  atomic_uint_fast64_t wakeups, dispatched;
  atomic_uint spin_us;          /* aiodb_cq_set_spin */
  atomic_int spinners;          /* threads spinning for this cq's answers:
                                   a push then writes no fd */
  int adaptive;                 /* spin as aspin says (no AIODB_CQ_NOSPIN) */
  aiodb__aspin aspin;           /* aiodb_cq_run_once's waits */
};

void aiodb__cq_ref(aiodb_cq *cq);
void aiodb__cq_unref(aiodb_cq *cq);
/* Queues a completed future (the caller hands over one reference). */
void aiodb__cq_push(aiodb_cq *cq, aiodb_future *f);
/* Makes cq's fd readable unless it is already (the 0->1 change). */
void aiodb__cq_signal(aiodb_cq *cq);
/* aiodb__cq_signal for a wake-up held (lib/defer.c): none if a dispatch
 * took every completion queued meanwhile. */
void aiodb__cq_signal_held(aiodb_cq *cq);

/* Queues a completed future that was freed before it completed, for its
 * trace alone (the caller hands over one reference). */
void aiodb__cq_push_trace(aiodb_cq *cq, aiodb_future *f);
/* Traces, on this thread, the futures queued so. */
void aiodb__cq_drain_traces(aiodb_cq *cq);

/* Spins up to us microseconds until ready(arg); returns its last answer. */
int aiodb__spin(int (*ready)(const void *), const void *arg, unsigned us);
/* ready() for aiodb__spin: is the atomic_int at flag non-zero? */
int aiodb__flag_set(const void *flag);

/* A small unique id for the calling thread (never 0). */
uint64_t aiodb__thread_id(void);

#endif
