/* Deadlines (lib/timer.c): one thread for the process aborts overdue jobs
 * (aiodb__job_abort, with AIODB_ETIMEDOUT). Its lock is a leaf: call
 * these with no db lock held. */
#ifndef AIODB_TIMER_H
#define AIODB_TIMER_H

#include <stdint.h>

#include "aiodb.h"
#include "clock.h"

/* Watches f until it completes: timeout_ms from now, its job is aborted
 * (or its kind's timed_out runs). Sets AIODB__F_DEADLINE; does nothing if
 * f is watched already. */
void aiodb__timer_add(aiodb_future *f, int timeout_ms);
/* Watches f (a job that never completes, whose kind has timed_out: a
 * watch of the library's own) until deadline_ns on aiodb__now_ns's clock,
 * or the earlier deadline it is watched for already: a later call never
 * delays it. */
void aiodb__timer_add_at(aiodb_future *f, int64_t deadline_ns);

/* Stops watching f (its completion does). */
void aiodb__timer_remove(aiodb_future *f);
/* Waits until the timer is not aborting a job of db: before db is freed. */
void aiodb__timer_quiesce(const aiodb_db *db);
/* The timer counts the open dbs; the last one's free stops its thread. */
void aiodb__timer_db_opened(void);
void aiodb__timer_db_closed(void);

#endif
