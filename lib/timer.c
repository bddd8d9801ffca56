/* Deadlines: one timer thread for the process, started on first use and
 * stopped (joined) when the last db is freed, with a list sorted by
 * deadline. It holds a reference to every future it watches, dropped when
 * the future completes or its deadline fires. At a deadline it calls
 * aiodb__job_abort (lib/cancel.c), with its own lock released: timer_lock
 * is a leaf, never held with a db's lock (lib/db.h). */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include "defer.h"
#include "fork.h"
#include "future.h"
#include "job.h"
#include "queue.h"
#include "timer.h"

static pthread_mutex_t timer_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t timer_cv;
static pthread_once_t timer_cv_once = PTHREAD_ONCE_INIT;
static pthread_cond_t timer_idle = PTHREAD_COND_INITIALIZER;
static aiodb__qnode timer_list = {&timer_list, &timer_list};
static int timer_started;
static pthread_t timer_thread;
static unsigned timer_gen;   /* a thread of an older generation leaves */
static unsigned timer_dbs;   /* open dbs */
static const aiodb_db *timer_busy; /* the db of the abort in flight */

static int timer_cv_ready; /* timer_cv_init ran */

static void timer_cv_init(void) {
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&timer_cv, &attr);
  pthread_condattr_destroy(&attr);
  timer_cv_ready = 1;
}

static int64_t now_ns(void) { return aiodb__now_ns(); }

static void *timer_main(void *arg) {
  unsigned gen = (unsigned)(uintptr_t)arg;
  aiodb_future *f;
  struct timespec ts;
#if defined(__linux__)
  pthread_setname_np(pthread_self(), "aiodb-timer");
  /* It gives the wake-ups busy workers hold (lib/defer.c): late by at
   * most this, not the default 50 µs. */
  prctl(PR_SET_TIMERSLACK, (unsigned long)AIODB__DEFER_SLACK_NS);
#endif
  pthread_mutex_lock(&timer_lock);
  while (gen == timer_gen) {
    if (aiodb__q_empty(&timer_list)) {
      pthread_cond_wait(&timer_cv, &timer_lock);
      continue;
    }
    f = aiodb__q_data(timer_list.next, aiodb_future, tnode);
    if (f->deadline_ns > now_ns()) {
      ts.tv_sec = f->deadline_ns / 1000000000;
      ts.tv_nsec = f->deadline_ns % 1000000000;
      pthread_cond_timedwait(&timer_cv, &timer_lock, &ts);
      continue;
    }
    aiodb__q_remove(&f->tnode);
    f->timer_linked = 0;
    timer_busy = f->db;
    pthread_mutex_unlock(&timer_lock);
    aiodb__job_abort(f, AIODB_ETIMEDOUT);
    aiodb__future_unref(f);
    pthread_mutex_lock(&timer_lock);
    timer_busy = NULL;
    pthread_cond_broadcast(&timer_idle);
  }
  pthread_mutex_unlock(&timer_lock);
  return NULL;
}

static int timer_start_locked(void) {
  pthread_attr_t tattr;
  sigset_t all, old;
  int rc;

  pthread_once(&timer_cv_once, timer_cv_init);
  pthread_attr_init(&tattr);
  pthread_attr_setstacksize(&tattr, 64 * 1024);
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  rc = pthread_create(&timer_thread, &tattr, timer_main,
                      (void *)(uintptr_t)timer_gen);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&tattr);
  if (rc != 0) return AIODB_ESYS;
  timer_started = 1;
  return 0;
}

void aiodb__timer_db_opened(void) {
  pthread_mutex_lock(&timer_lock);
  timer_dbs++;
  pthread_mutex_unlock(&timer_lock);
}

void aiodb__timer_db_closed(void) {
  pthread_t t;
  int stop;
  pthread_mutex_lock(&timer_lock);
  stop = --timer_dbs == 0 && timer_started;
  if (stop) {
    /* No db, so no future of one is pending: the list is empty. */
    timer_gen++;
    timer_started = 0;
    t = timer_thread;
    pthread_cond_broadcast(&timer_cv);
  }
  pthread_mutex_unlock(&timer_lock);
  if (stop) pthread_join(t, NULL);
}

void aiodb__timer_fork_lock(void) { pthread_mutex_lock(&timer_lock); }

void aiodb__timer_fork_unlock(int child) {
  /* The parent's timer thread may have been waiting on these: in the
   * child, a signal would wait for that waiter forever. Made afresh. */
  if (child && timer_cv_ready) {
    timer_cv_init();
    pthread_cond_init(&timer_idle, NULL);
  }
  if (child && timer_started) {
    /* The timer thread stayed in the parent, with the deadlines it
     * watched: the child's first deadline starts a thread of its own. */
    aiodb__qnode *n;
    while ((n = aiodb__q_pop(&timer_list)) != NULL)
      aiodb__q_data(n, aiodb_future, tnode)->timer_linked = 0;
    timer_started = 0;
    timer_gen++;
    timer_busy = NULL;
  }
  pthread_mutex_unlock(&timer_lock);
}

/* Links f at deadline, in order. Called with timer_lock held. */
static void link_locked(aiodb_future *f, int64_t deadline) {
  aiodb__qnode *n;
  f->deadline_ns = deadline;
  for (n = timer_list.prev; n != &timer_list; n = n->prev)
    if (aiodb__q_data(n, aiodb_future, tnode)->deadline_ns <= deadline) break;
  /* insert after n */
  f->tnode.prev = n;
  f->tnode.next = n->next;
  n->next->prev = &f->tnode;
  n->next = &f->tnode;
  f->timer_linked = 1;
  if (timer_list.next == &f->tnode) pthread_cond_signal(&timer_cv);
}

void aiodb__timer_add(aiodb_future *f, int timeout_ms) {
  int64_t deadline = now_ns() + (int64_t)timeout_ms * 1000000;

  atomic_fetch_or(&f->flags, AIODB__F_DEADLINE);
  pthread_mutex_lock(&timer_lock);
  if ((!timer_started && timer_start_locked() != 0) || f->timer_linked) {
    pthread_mutex_unlock(&timer_lock);
    return;
  }
  link_locked(f, deadline);
  atomic_fetch_add(&f->refs, 1);
  pthread_mutex_unlock(&timer_lock);
  /* It may have completed before it was linked: then nobody else will. */
  if (aiodb__future_is_done(f)) aiodb__timer_remove(f);
}

void aiodb__timer_add_at(aiodb_future *f, int64_t deadline_ns) {
  pthread_mutex_lock(&timer_lock);
  if (!timer_started && timer_start_locked() != 0) {
    pthread_mutex_unlock(&timer_lock);
    return;
  }
  if (f->timer_linked) {
    if (f->deadline_ns <= deadline_ns) {
      pthread_mutex_unlock(&timer_lock);
      return;
    }
    aiodb__q_remove(&f->tnode); /* moved earlier; keeps its reference */
  } else {
    atomic_fetch_add(&f->refs, 1);
  }
  link_locked(f, deadline_ns);
  pthread_mutex_unlock(&timer_lock);
}

void aiodb__timer_remove(aiodb_future *f) {
  int linked;
  pthread_mutex_lock(&timer_lock);
  linked = f->timer_linked;
  if (linked) {
    aiodb__q_remove(&f->tnode);
    f->timer_linked = 0;
  }
  pthread_mutex_unlock(&timer_lock);
  if (linked) aiodb__future_unref(f);
}

void aiodb__timer_quiesce(const aiodb_db *db) {
  pthread_mutex_lock(&timer_lock);
  while (timer_busy == db) pthread_cond_wait(&timer_idle, &timer_lock);
  pthread_mutex_unlock(&timer_lock);
}
