/* fork(): every lock of the library is taken before fork and given back
 * after, in both processes, so that a child never finds one held by a
 * thread it does not have. Each file provides its part; lib/db.c installs
 * the handlers and takes them in the order db locks, cqs, timer, pools,
 * park, diag. */
#ifndef AIODB_FORK_H
#define AIODB_FORK_H

void aiodb__cq_fork_lock(void);
void aiodb__cq_fork_unlock(void);
void aiodb__future_fork_lock(void);
void aiodb__future_fork_unlock(int child);
void aiodb__result_fork_lock(void);
void aiodb__result_fork_unlock(void);
void aiodb__diag_fork_lock(void);
void aiodb__diag_fork_unlock(void);

#endif
