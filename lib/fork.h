/* fork(): every lock of the library is taken before fork and given back
 * after, in both processes, so that a child never finds one held by a
 * thread it does not have. Each file provides its part; lib/fork.c
 * installs the handlers and takes the parts in its order. */
#ifndef AIODB_FORK_H
#define AIODB_FORK_H

#include "aiodb.h"

/* lib/fork.c: a db is registered from its open to its free. */
void aiodb__fork_register(aiodb_db *db);
void aiodb__fork_unregister(aiodb_db *db);
/* Was db opened before a fork() that made this process? */
int aiodb__inherited(const aiodb_db *db);
#define AIODB__INHERITED_MSG                                                 \
  "this db was opened before fork(): its connections belong to the parent " \
  "process; open a new db in the child"
/* aiodb_db_free in a forked child: the workers and connections are the
 * parent's, so nothing joins or calls a driver (that would end the
 * parent's sessions). The child's copies of the jobs still queued or
 * running fail with AIODB_EALREADYQUIT, and the memory that is only the
 * child's goes (db too); the drivers' own handles are left as they are. */
void aiodb__free_inherited(aiodb_db *db);

/* Each file's locks, taken before fork and given back after it. */

void aiodb__cq_fork_lock(void);
void aiodb__cq_fork_unlock(void);
void aiodb__timer_fork_lock(void);
void aiodb__timer_fork_unlock(int child);
void aiodb__future_fork_lock(void);
void aiodb__future_fork_unlock(int child);
void aiodb__result_fork_lock(void);
void aiodb__result_fork_unlock(void);
void aiodb__diag_fork_lock(void);
void aiodb__diag_fork_unlock(void);

#endif
