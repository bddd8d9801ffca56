/* Cancel and deadlines: aiodb_future_cancel, and what the timer thread
 * (lib/timer.c) does when a job's deadline passes; both come down to
 * aiodb__job_abort. A queued job leaves its queue and fails at once. A
 * running one is only interrupted: its driver stops the statement, and the
 * worker names the error (aiodb__job_settle) and completes the job, once,
 * as it would any other.
 *
 * Locking, where it is at risk. aiodb__job_abort is called with no lock of
 * the library held, from any thread (a caller's, the timer's, a worker's
 * inside an aiodb_run function). It holds the db lock from the moment it
 * sees the job running to the return of aiodb__interrupt_locked(c): the
 * worker cannot finish the job and close its connection (freeing native)
 * in between. So the interrupt is made under the db lock, and must not
 * block: no network round trip, no join, no wait for the worker, which may
 * itself be waiting for the db lock. It either calls the driver's
 * interrupt (sqlite3_interrupt, which takes no lock) or posts a request to
 * the interrupter (lib/interrupter.h), taking the interrupter's lock
 * briefly: db lock, then interrupter lock, never the reverse; the
 * interrupter's thread makes the blocking call (PQcancel, KILL QUERY) with
 * no lock held. The timer thread lets go of its own
 * lock before it calls aiodb__job_abort, and aiodb__timer_add is called
 * here only once the db lock is released: the timer's lock and a db lock
 * are never held together. Futures complete only with no lock held. */
#include <stdint.h>
#if defined(__linux__)
#include <sys/socket.h>
#include <unistd.h>
#endif

#include "conn.h"
#include "db.h"
#include "driver.h"
#include "fork.h"
#include "future.h"
#include "interrupter.h"
#include "job.h"
#include "timer.h"
#include "tx.h"

/* An interrupt can stop nothing: it reached the server before the
 * statement did (between a prepare and its execution, or overtaking it on
 * a lossy link), or it cannot reach the server at all (a dead link, a hung
 * server). So a statement still running after its interrupt is interrupted
 * again every INTERRUPT_REPEAT_MS, and once INTERRUPT_GIVE_UP interrupts
 * went unanswered its connection is given up (as the close watch does):
 * the statement fails at once, and the connection is replaced. */
#define INTERRUPT_REPEAT_MS 1000
#define INTERRUPT_GIVE_UP 4

/* Makes whatever c's worker is blocked on in its driver fail at once: its
 * socket is shut down (never closed: the driver owns it) and its abandon fd
 * fires. Never blocks. Called locked. */
static void abandon_locked(aiodb_conn *c) {
  if (c->abandoned) return;
  c->abandoned = 1;
  if (c->sock >= 0) shutdown(c->sock, SHUT_RDWR);
#if defined(__linux__)
  if (c->abandon_fd >= 0) {
    uint64_t one = 1;
    ssize_t w = write(c->abandon_fd, &one, sizeof one);
    (void)w;
  }
#endif
}

/* close_timeout_ms after aiodb_close, and again every close_timeout_ms,
 * each connection that began no call since the last look (stuck in
 * connect, or in one statement on a server that stopped answering) is
 * abandoned: its socket is shut down, and its driver call fails at once. */
void aiodb__close_watch(aiodb_future *f) {
  aiodb_db *db = f->db;
  aiodb__qnode *n;
  int live = 0;
  pthread_mutex_lock(&db->lock);
  for (n = db->conns.next; n != &db->conns; n = n->next) {
    aiodb_conn *c = aiodb__q_data(n, aiodb_conn, link);
    if (c->quit) continue;
    if (c->calls == c->watch_calls) abandon_locked(c);
    c->watch_calls = c->calls;
    live++;
  }
  pthread_mutex_unlock(&db->lock);
  if (live && !aiodb__future_is_done(f)) aiodb__timer_add(f, db->close_timeout_ms);
}

int aiodb__job_abort(aiodb_future *f, int code) {
  aiodb_db *db = f->db;
  if (code == AIODB_ETIMEDOUT && f->ops->timed_out != NULL && db != NULL &&
      !aiodb__future_is_done(f)) {
    f->ops->timed_out(f);
    return 0;
  }
  if (aiodb__future_is_done(f) || db == NULL || !f->ops->abortable)
    return AIODB_EBUSY;
  pthread_mutex_lock(&db->lock);
  switch (f->state) {
    case AIODB__JS_QUEUED:
      if (f->tx != NULL) aiodb__tx_job_dropped_locked(f, code);
      aiodb__q_remove(&f->node);
      aiodb__job_detach_locked(f);
      f->state = AIODB__JS_FINISHED;
      pthread_mutex_unlock(&db->lock);
      if (code == AIODB_ETIMEDOUT)
        aiodb__future_fail(f, code, "the deadline passed before it ran");
      else
        aiodb__future_fail(f, code, "canceled before it ran");
      return 0;
    case AIODB__JS_RUNNING: {
      aiodb_conn *c = f->running_on;
      /* Only a statement can be interrupted; a running aiodb_run function
       * is the caller's own code (and in a child, nothing runs). */
      if (!f->ops->interruptible || aiodb__inherited(db) ||
          (db->driver->interrupt == NULL && db->driver->interrupt_send == NULL)) {
        pthread_mutex_unlock(&db->lock);
        return AIODB_EBUSY;
      }
      /* The first abort names the outcome; the later ones (the repeats
       * below, a cancel after a deadline) only interrupt again. */
      if (!(atomic_load(&f->flags) & (AIODB__F_TIMEDOUT | AIODB__F_CANCEL)))
        atomic_fetch_or(&f->flags, code == AIODB_ETIMEDOUT ? AIODB__F_TIMEDOUT
                                                           : AIODB__F_CANCEL);
      if (++f->interrupts >= INTERRUPT_GIVE_UP && c->sock >= 0)
        abandon_locked(c);
      else
        aiodb__interrupt_locked(c);
      pthread_mutex_unlock(&db->lock);
      /* Does nothing while a deadline of f's is pending: it repeats then. */
      aiodb__timer_add(f, INTERRUPT_REPEAT_MS);
      return 0;
    }
    default:
      pthread_mutex_unlock(&db->lock);
      return AIODB_EBUSY;
  }
}

int aiodb_future_cancel(aiodb_future *f) {
  if (f == NULL) return AIODB_EINVAL;
  return aiodb__job_abort(f, AIODB_ECANCELED);
}
