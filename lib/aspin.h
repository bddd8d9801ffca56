/* Adaptive spinning (lib/aspin.c): a thread about to sleep for work or an
 * answer first spins for it, but only while its recent waits were shorter
 * than a sleep and a wake-up cost, as glibc's adaptive mutexes spin only
 * as long as the lock was recently held. A spin that fails (the answer
 * did not come within the budget, or took longer than a wake-up: the
 * other thread was not running, the cores busy with other work) stops
 * spinning for the next waits, twice as many after each failure in a row.
 * An idle program's threads spin at most once, for a few microseconds,
 * after the last call: one long wait is enough to stop them. */
#ifndef AIODB_ASPIN_H
#define AIODB_ASPIN_H

#include <stdatomic.h>
#include <stdint.h>

/* A spin is worth it while the mean wait is below about a wake-up's cost
 * on a loaded machine; it never lasts longer than AIODB__ASPIN_MAX_NS. A
 * wait counts at most AIODB__ASPIN_CAP_NS in the mean, so the first short
 * waits after an idle spell bring spinning back within a dozen calls.
 * After AIODB__ASPIN_BACKOFF_MAX failures in a row... at most that many
 * waits sleep at once before the next try. */
#define AIODB__ASPIN_LIMIT_NS 20000
#define AIODB__ASPIN_MAX_NS 30000
#define AIODB__ASPIN_CAP_NS 400000
#define AIODB__ASPIN_BACKOFF_MAX 64

/* One waiter's history. Atomic (relaxed) for a cq dispatched from one
 * thread and then another. */
typedef struct aiodb__aspin {
  atomic_int_fast64_t avg_ns;   /* mean of recent waits */
  atomic_int skip;              /* waits left that sleep at once */
  atomic_int backoff;           /* skip's next length after a failure */
} aiodb__aspin;

/* Starts with no spinning until short waits are seen. */
void aiodb__aspin_init(aiodb__aspin *a);
/* How long to spin before this wait's sleep (ns); 0: sleep at once. */
int64_t aiodb__aspin_budget(aiodb__aspin *a);
/* Records a wait that took ns, spun or slept. */
void aiodb__aspin_note(aiodb__aspin *a, int64_t ns);
/* Spins until ready(arg), for up to budget ns (the clock is read every
 * 32 pauses): 1 if ready. *pauses (if not NULL): how many it made. The
 * loop of both spins, spin_us's fixed one and the adaptive one. */
int aiodb__spin_ns(int (*ready)(const void *), const void *arg, int64_t budget,
                   unsigned *pauses);
/* Spins up to budget ns until ready(arg). 1 if ready, 0 if not; either
 * way the spin's success or failure is recorded in a for the backoff (the
 * wait itself is for aiodb__aspin_note, once it ends). */
int aiodb__aspin_run(aiodb__aspin *a, int (*ready)(const void *),
                     const void *arg, int64_t budget);

#endif
