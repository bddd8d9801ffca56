/* A connection and the worker thread that owns it. */
#ifndef AIODB_CONN_H
#define AIODB_CONN_H

#include <pthread.h>
#include <stdint.h>

#include "aiodb.h"
#include "aspin.h"
#include "defer.h"
#include "error.h"
#include "interrupter.h"
#include "job.h"
#include "queue.h"

struct aiodb__batch;

struct aiodb_conn {
  aiodb_db *db;
  pthread_t thread;
  pthread_cond_t cv;
  aiodb__qnode own;         /* jobs for this connection only */
  aiodb__qnode link;        /* in db->conns */
  void *native;
  void *adopt;              /* the program's handle, which the worker
                               attaches instead of connecting
                               (aiodb_open_native) */
  aiodb_result *scratch;    /* for the library's own statements */
  struct aiodb__batch *batch; /* auto-pipelining; NULL: one at a time */
  aiodb_future *running;
  aiodb_future *holder;     /* locked: the acquire that pinned it */
  unsigned id;
  int pinned;
  int sleeping;             /* waiting on cv and claimable */
  int looking;              /* locked: awake, unpinned or not, and bound to
                               look at its queues again before it sleeps
                               (between jobs, or spinning for work):
                               claimable as a sleeper is, with no signal */
  int batching;             /* running a batch (auto-pipelining) */
  int unsure;               /* worker-only: a tx end failed; replace it */
  int quit;                 /* the worker has left its loop */
  int sock;                 /* locked: the driver's socket, or -1 */
  int abandon_fd;           /* readable once abandoned (eventfd), or -1 */
  int abandoned;            /* locked: aiodb_db_free gave up on it */
  unsigned calls;           /* locked: calls begun, connect included */
  aiodb__aspin aspin;       /* worker-only: its waits for work */
  int64_t idle_since;       /* worker-only: found no work then (ns), or 0 */
  unsigned watch_calls;     /* locked: calls when the close watch looked */
  aiodb__intr_conn intr;    /* its side of db->intr */
  /* the pool's policy (lib/pool_policy.c); locked */
  int64_t born_ns;          /* its connect succeeded then */
  int64_t expire_ns;        /* max_lifetime: replaced once idle (0: never) */
  int64_t idle_ns;          /* it last went to sleep then */
  int64_t pinned_ns;        /* pinned then, by pin_function called from
                               pin_site (leak_detection_ms) */
  const char *pin_function;
  const void *pin_site;
  int connected;            /* open: its connect succeeded */
  int retire;               /* AIODB__RETIRE_...: it leaves once unpinned,
                               taking no more work of the pool's */
  int check_asked;          /* its socket stirred while idle: check it */
  int checking;             /* a check (driver->ping) runs */
  int leak_reported;
  unsigned replica;         /* locked, written by its worker only: on a
                               view, 1 + the replica it is on, or 0 */
  int retiring;             /* locked: leaving for another replica */
  aiodb__defer defer;       /* worker-only: its held wake-up (lib/defer.h) */
};

/* A call on a pinned connection goes to its own queue. */
static inline aiodb__route aiodb__on_conn(aiodb_conn *conn) {
  aiodb__route r = {conn->db, conn, NULL, NULL, NULL};
  return r;
}

/* ---- the worker (lib/worker.c) ---- */

/* The thread of a connection: pthread_create's start routine, arg the
 * connection (made by aiodb__spawn_locked). */
void *aiodb__worker_main(void *arg);
/* The worker's connection, on a worker thread; NULL elsewhere. */
aiodb_conn *aiodb__current_conn(void);
/* Opens conn's connection on its worker: the driver connects, or attaches
 * the program's handle (lib/native.c). 0, or the code with e filled. */
int aiodb__conn_connect(aiodb_conn *conn, aiodb__err *e);
/* Runs SQL of the library's own (BEGIN, SAVEPOINT ...) on conn, on its
 * worker. 0, or the code with e filled. */
int aiodb__conn_exec_own(aiodb_conn *conn, const char *sql, aiodb__err *e);

#endif
