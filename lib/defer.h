/* Deferred wake-ups (lib/defer.c): a worker that has more jobs queued
 * holds back its cq's wake-up while it runs them, so that the loop wakes
 * once for a run of answers instead of once for each; never longer than
 * AIODB__DEFER_NS after the first answer it holds, because the timer
 * thread gives the wake-up itself when a long job would hold it longer. */
#ifndef AIODB_DEFER_H
#define AIODB_DEFER_H

#include <stdatomic.h>
#include <stdint.h>

#include "aiodb.h"

/* The bound: an answer waits at most this long for its wake-up, plus the
 * timer thread's lateness (its timer slack is set to AIODB__DEFER_SLACK_NS
 * in lib/timer.c, and the scheduler's delay in waking it). */
#define AIODB__DEFER_NS 50000
#define AIODB__DEFER_SLACK_NS 10000

typedef struct aiodb__defer {
  _Atomic(aiodb_cq *) cq;   /* owed a wake-up, holding a reference; NULL:
                               nothing held */
  _Atomic int64_t since;    /* the first answer held was queued then */
  atomic_int armed;         /* its watch is linked, or firing */
  atomic_int stopped;
  int hold;                 /* worker-only: hold the wake-ups of pushes */
  int64_t now;              /* worker-only: the clock at the last job's end */
  int64_t avg_ns;           /* worker-only: its jobs' mean run time (moving) */
  aiodb_future *watch;      /* on the timer: gives an overdue wake-up */
} aiodb__defer;

/* On the worker, before its first job: d is this thread's (NULL when the
 * watch could not be made: then nothing is ever held). */
void aiodb__defer_start(aiodb__defer *d, aiodb_db *db);
/* On the worker as it leaves: gives what it holds, stops the watch. */
void aiodb__defer_stop(aiodb__defer *d);
/* On the worker, as a job starts: the clock, for aiodb__defer_hold (0
 * when nothing is ever held). */
int64_t aiodb__defer_clock(void);
/* On the worker, once the job started at t0 ran: hold (more) or not (0)
 * the wake-ups of the completions that follow; with 0, gives the one held
 * at once. Only short jobs hold: where a job takes a sizeable part of the
 * bound (a network round trip), holding would delay each answer and save
 * nothing. */
void aiodb__defer_hold(int more, int64_t t0);
/* On the worker between two jobs: gives the wake-up held if it is due. */
void aiodb__defer_check(void);
/* For aiodb__cq_push: 1 if this thread holds cq's wake-up now (it took a
 * run of completions in hand), 0 if the pusher must signal. */
int aiodb__defer_take(aiodb_cq *cq);

#endif
