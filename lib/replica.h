/* Read replicas (lib/replica.c): the read-only view aiodb_replica() gives,
 * a db of its own whose connections each open on one of the replicas. */
#ifndef AIODB_REPLICA_H
#define AIODB_REPLICA_H

#include "aiodb.h"
#include "error.h"
#include "url.h"

typedef struct aiodb__replicas aiodb__replicas;

/* ---- at aiodb_open, on the caller's thread ---- */

/* From aiodb__db_configure, once the core's options are in db, before the
 * driver's: the replicas, opts->replicas or else u's replica= options (each
 * consumed), each parsed and configured by db's driver, read-only, into
 * db->replicas (left NULL when there is none). 0, or AIODB_EINVAL /
 * AIODB_ENOMEM with err filled (the replica named by its place, no
 * password). */
int aiodb__replicas_configure(aiodb__url *u, const aiodb_options *opts,
                              aiodb_db *db, aiodb_error *err);
/* Frees replicas no view took. NULL is a no-op. */
void aiodb__replicas_free(aiodb__replicas *rs);
/* The view of primary (open, its first connections starting) over rs,
 * which it takes, also on failure: NULL with err filled. */
aiodb_db *aiodb__replica_open(aiodb_db *primary, aiodb__replicas *rs,
                              aiodb_error *err);

/* ---- closing and freeing ---- */

/* aiodb_close and aiodb_db_free called on a view: a misuse, refused (the
 * close's future fails with AIODB_EINVAL; NULL out of memory). */
aiodb_future *aiodb__replica_refuse(aiodb_db *view, const char *function,
                                    const void *call_site);
/* The primary's first close, under its lock: its future f completes once
 * the primary and its view have both closed (aiodb__close_done). */
void aiodb__replica_closing_locked(aiodb_db *primary, aiodb_future *f);
/* A db's close is done (its last worker has quit): completes f, or, for a
 * primary with a view or for that view, counts the part done and
 * completes the primary's close future after the last. Unlocked. */
void aiodb__close_done(aiodb_db *db, aiodb_future *f);
/* aiodb_db_free of the primary, after its close: joins the view's workers
 * and frees the view with its replicas. */
void aiodb__replica_free(aiodb_db *view);
/* The same in a forked child (lib/fork.h): frees only the child's memory. */
void aiodb__replica_free_inherited(aiodb_db *view);

/* A call f for view's pool (lib/submit.c): queued on the first of its
 * idle connections, which then goes last, so that calls go to the
 * replicas in turn even one at a time (from the pool's queue, the worker
 * just done would take the next before an idle one woke). 0 when none is
 * idle: f goes to the pool's queue. Locked. */
int aiodb__replica_assign_locked(aiodb_db *view, aiodb_future *f);

/* ---- on a view's workers (lib/worker.c) ---- */

struct aiodb_conn;
/* Opens conn's connection on a replica (tried in turn, the healthy ones
 * first, each once), attached to that replica's interrupter, a read-only
 * session. Unlocked. 0, or fills e ("replica N of M: ...") with the last
 * replica's error. */
int aiodb__replica_connect(struct aiodb_conn *conn, aiodb__err *e);
/* Before conn takes a job: 1 if it leaves the pool instead, for a replica
 * that is due again (one of the busiest replica's connections, unpinned,
 * with nothing queued on it; its replacement is started now). Locked. */
int aiodb__replica_leaves_locked(struct aiodb_conn *conn);
/* conn broke: its replica is down for a while. Locked. */
void aiodb__replica_broken_locked(struct aiodb_conn *conn);

#endif
