/* The interrupter (lib/interrupter.h): a queue of requests, at most one
 * per connection, and a thread that makes the driver's blocking call for
 * each, one at a time. The locking rule is in interrupter.h: the db lock
 * may be held when this lock is taken, never the reverse, and nothing
 * under either blocks on the network or joins this thread. */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "interrupter.h"
#include "alloc.h"
#include "conn.h"
#include "db.h"

/* A worker waits at most this long for an interrupt in flight: before its
 * next statement (which the interrupt could stop instead), and in
 * aiodb__stmt_interrupt_wait. */
#define CANCEL_WAIT_MS 3000
/* aiodb__interrupter_free waits at most this long for the thread to leave
 * a call in flight, then leaves it to free everything when the call
 * returns. */
#define STOP_WAIT_MS 500

struct aiodb__interrupter {
  pthread_mutex_t lock;
  pthread_cond_t cv;  /* on CLOCK_MONOTONIC: a request, the end of a call,
                         the thread's exit */
  const aiodb__driver *drv;
  void *cfg;
  aiodb__intr_conn *head, *tail;  /* the queue, oldest first */
  aiodb__intr_conn *busy;  /* whose call is in flight; NULL once that
                              connection went (the thread then closes the
                              token when the call returns) */
  pthread_t thread;
  int started, stopping, exited;
  int detached;  /* aiodb__interrupter_free gave up waiting: the thread
                    frees this and the config */
};

static void deadline_in(struct timespec *ts, int ms) {
  clock_gettime(CLOCK_MONOTONIC, ts);
  ts->tv_sec += ms / 1000;
  ts->tv_nsec += (long)(ms % 1000) * 1000000;
  if (ts->tv_nsec >= 1000000000) {
    ts->tv_sec++;
    ts->tv_nsec -= 1000000000;
  }
}

aiodb__interrupter *aiodb__interrupter_new(const aiodb__driver *drv, void *cfg) {
  pthread_condattr_t attr;
  aiodb__interrupter *it = aiodb__calloc(1, sizeof *it);
  if (it == NULL) return NULL;
  it->drv = drv;
  it->cfg = cfg;
  pthread_mutex_init(&it->lock, NULL);
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&it->cv, &attr);
  pthread_condattr_destroy(&attr);
  return it;
}

static void destroy(aiodb__interrupter *it) {
  it->drv->free_config(it->cfg);
  pthread_mutex_destroy(&it->lock);
  pthread_cond_destroy(&it->cv);
  aiodb__free(it);
}

/* ---- the queue: called locked ---- */

static void enqueue_locked(aiodb__interrupter *it, aiodb__intr_conn *ic) {
  ic->next = NULL;
  ic->queued = 1;
  if (it->tail) it->tail->next = ic;
  else it->head = ic;
  it->tail = ic;
}

static aiodb__intr_conn *dequeue_locked(aiodb__interrupter *it) {
  aiodb__intr_conn *ic = it->head;
  if (ic == NULL) return NULL;
  it->head = ic->next;
  if (it->head == NULL) it->tail = NULL;
  ic->queued = 0;
  return ic;
}

static void unqueue_locked(aiodb__interrupter *it, aiodb__intr_conn *ic) {
  aiodb__intr_conn **p, *prev = NULL;
  for (p = &it->head; *p != ic; p = &(*p)->next) prev = *p;
  *p = ic->next;
  if (it->tail == ic) it->tail = prev;
  ic->queued = 0;
}

/* Is an interrupt of ic's statement seq queued or in flight? */
static int pending_locked(const aiodb__interrupter *it, const aiodb__intr_conn *ic,
                          uint64_t seq) {
  return (it->busy == ic && atomic_load(&ic->inflight) == seq) ||
         (ic->queued && ic->req == seq);
}

/* ---- the thread ---- */

static void *interrupter_main(void *arg) {
  aiodb__interrupter *it = arg;
  const aiodb__driver *drv = it->drv;
  int own;
  if (drv->thread_start) drv->thread_start();
#if defined(__linux__)
  pthread_setname_np(pthread_self(), "aiodb-interrupt");
#endif
  pthread_mutex_lock(&it->lock);
  while (!it->stopping) {
    aiodb__intr_conn *ic = dequeue_locked(it);
    uint64_t seq;
    aiodb__intr_token token;
    if (ic == NULL) {
      pthread_cond_wait(&it->cv, &it->lock);
      continue;
    }
    /* Still that statement? (A detach takes its request out first, under
     * this lock, so ic is attached here.) */
    seq = ic->req;
    atomic_store(&ic->inflight, seq);
    if (atomic_load(&ic->seq) != seq) {
      atomic_store(&ic->inflight, 0);
      pthread_cond_broadcast(&it->cv);
      continue;
    }
    it->busy = ic;
    token = ic->token;
    pthread_mutex_unlock(&it->lock);
    drv->interrupt_send(it->cfg, token);
    pthread_mutex_lock(&it->lock);
    if (it->busy == ic) {
      atomic_store(&ic->inflight, 0);
      it->busy = NULL;
    } else if (drv->interrupt_close) { /* detached meanwhile: the token is ours */
      pthread_mutex_unlock(&it->lock);
      drv->interrupt_close(token);
      pthread_mutex_lock(&it->lock);
    }
    pthread_cond_broadcast(&it->cv);
  }
  it->exited = 1;
  pthread_cond_broadcast(&it->cv);
  own = it->detached;
  pthread_mutex_unlock(&it->lock);
  if (own) destroy(it);
  if (drv->thread_stop) drv->thread_stop();
  return NULL;
}

void aiodb__interrupter_free(aiodb__interrupter *it) {
  struct timespec ts;
  int rc = 0;
  pthread_mutex_lock(&it->lock);
  if (!it->started) {
    pthread_mutex_unlock(&it->lock);
    destroy(it);
    return;
  }
  it->stopping = 1;
  pthread_cond_broadcast(&it->cv);
  deadline_in(&ts, STOP_WAIT_MS);
  while (!it->exited && rc != ETIMEDOUT) rc = pthread_cond_timedwait(&it->cv, &it->lock, &ts);
  if (!it->exited) {
    /* it is the thread's from the unlock on: it may free it at once */
    pthread_t t = it->thread;
    it->detached = 1;
    pthread_mutex_unlock(&it->lock);
    pthread_detach(t);
    return;
  }
  pthread_mutex_unlock(&it->lock);
  pthread_join(it->thread, NULL);
  destroy(it);
}

/* ---- connections ---- */

int aiodb__interrupter_attach(aiodb__interrupter *it, aiodb__intr_conn *ic,
                              void *native, aiodb__err *e) {
  if (it == NULL) return 0;
  if (it->drv->interrupt_open(native, &ic->token, e) != 0) return e->code;
  ic->intr = it;
  return 0;
}

void aiodb__interrupter_detach(aiodb__intr_conn *ic) {
  aiodb__interrupter *it = ic->intr;
  int orphaned = 0;
  if (it == NULL) return;
  pthread_mutex_lock(&it->lock);
  if (ic->queued) unqueue_locked(it, ic);
  if (it->busy == ic) {
    it->busy = NULL;
    orphaned = 1;
  }
  pthread_mutex_unlock(&it->lock);
  if (!orphaned && it->drv->interrupt_close) it->drv->interrupt_close(ic->token);
  ic->intr = NULL;
}

static int post(aiodb__intr_conn *ic, uint64_t seq) {
  aiodb__interrupter *it = ic->intr;
  pthread_mutex_lock(&it->lock);
  if (pending_locked(it, ic, seq)) {
    pthread_mutex_unlock(&it->lock);
    return 0;
  }
  if (!it->started) {
    if (pthread_create(&it->thread, NULL, interrupter_main, it) != 0) {
      pthread_mutex_unlock(&it->lock);
      return -1;
    }
    it->started = 1;
  }
  /* One request per connection: one still queued is an earlier
   * statement's, which has ended (the thread would skip it). */
  if (!ic->queued) enqueue_locked(it, ic);
  ic->req = seq;
  pthread_cond_broadcast(&it->cv);
  pthread_mutex_unlock(&it->lock);
  return 0;
}

int aiodb__interrupter_post(aiodb__intr_conn *ic) {
  uint64_t seq = atomic_load(&ic->seq);
  if ((seq & 1) == 0 || ic->intr == NULL) return 0; /* nothing runs to stop */
  return post(ic, seq);
}

void aiodb__interrupt_locked(aiodb_conn *c) {
  const aiodb__driver *drv = c->db->driver;
  if (drv->interrupt != NULL)
    drv->interrupt(c->native);
  else
    aiodb__interrupter_post(&c->intr);
}

/* ---- statement boundaries (driver.h), on the worker ---- */

static aiodb__intr_conn *current(void) {
  aiodb_conn *c = aiodb__current_conn();
  return c ? &c->intr : NULL;
}

/* Waits at most ms until no interrupt of ic's statement seq is queued or
 * in flight. Returns 0, or -1 if one still is. */
static int wait_landed(aiodb__intr_conn *ic, uint64_t seq, int ms) {
  aiodb__interrupter *it = ic->intr;
  struct timespec ts;
  int rc = 0, pending;
  deadline_in(&ts, ms);
  pthread_mutex_lock(&it->lock);
  while ((pending = pending_locked(it, ic, seq)) && rc != ETIMEDOUT)
    rc = pthread_cond_timedwait(&it->cv, &it->lock, &ts);
  pthread_mutex_unlock(&it->lock);
  ic->waited = seq;
  return pending ? -1 : 0;
}

static void settle(aiodb__intr_conn *ic) {
  uint64_t inflight = atomic_load(&ic->inflight);
  if (inflight != 0 && inflight != ic->waited) wait_landed(ic, inflight, CANCEL_WAIT_MS);
}

void aiodb__stmt_settle(void) {
  aiodb__intr_conn *ic = current();
  if (ic != NULL) settle(ic);
}

void aiodb__stmt_begin(void) {
  aiodb__intr_conn *ic = current();
  if (ic == NULL) return;
  settle(ic);
  atomic_fetch_add(&ic->seq, 1);
}

void aiodb__stmt_end(void) {
  aiodb__intr_conn *ic = current();
  if (ic != NULL) atomic_fetch_add(&ic->seq, 1);
}

int aiodb__stmt_interrupt_wait(void) {
  aiodb__intr_conn *ic = current();
  uint64_t seq;
  if (ic == NULL || ic->intr == NULL) return -1;
  seq = atomic_load(&ic->seq);
  if (post(ic, seq) != 0) return -1;
  return wait_landed(ic, seq, CANCEL_WAIT_MS);
}
