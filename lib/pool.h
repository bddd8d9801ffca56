/* The pool (lib/pool.c): the connections of a db, started on demand up to
 * max_size, woken when work comes, and joined once their workers quit. All
 * called with the db's lock held. */
#ifndef AIODB_POOL_H
#define AIODB_POOL_H

#include "aiodb.h"

/* Starts one more connection and its worker. 0, AIODB_ENOMEM or
 * AIODB_ESYS; AIODB_ECONNLOST for a db of aiodb_open_native whose one
 * connection has been started already. */
int aiodb__spawn_locked(aiodb_db *db);
/* Wakes c's worker if it sleeps. */
void aiodb__wake_conn_locked(aiodb_conn *c);
/* Wakes a sleeping unpinned connection, or grows the pool. Returns 0, or
 * why the pool could not grow. */
int aiodb__wake_pool_locked(aiodb_db *db);
/* The two above for a caller that signals once it has let the db's lock
 * go (the submit path): a worker woken while the lock is still held would
 * wake only to block on it, a second sleep and wake. Each marks the
 * worker it picks as no longer sleeping and returns it (*later), for
 * pthread_cond_signal(&conn->cv) after the unlock: a worker woken early
 * meanwhile takes the late signal as a spurious wake-up. A worker that is
 * awake and bound to look at its queues again (conn->looking: between
 * two jobs, or spinning for work) is claimed as a sleeper would be, with
 * no signal (*later NULL): one more job for it, not a new connection. A
 * conn lives as long as its db. */
aiodb_conn *aiodb__claim_sleeper_locked(aiodb_conn *c);
int aiodb__claim_pool_locked(aiodb_db *db, aiodb_conn **later);
/* Is there a connection, its worker not quit, that no caller, tx or
 * cursor has pinned? Only such a one takes jobs of the pool's queue: when
 * there is none and the pool cannot grow, those jobs would wait for a
 * release that the caller may be waiting on them to make. */
int aiodb__pool_serves_locked(const aiodb_db *db);
/* Could a connection other than me take a job of the pool's queue soon?
 * (auto-pipelining leaves those jobs to it) */
int aiodb__others_could_take(const aiodb_conn *me);
/* Frees c, whose worker has been joined (or lives in the parent of a
 * fork). Unlocked, or locked: it takes no lock. */
void aiodb__conn_free(aiodb_conn *c);

#endif
