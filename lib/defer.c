/* Deferred wake-ups. A worker that finds more jobs queued behind the one
 * it completes pushes the answer onto its cq without writing the cq's fd
 * (lib/cq.c), as long as its jobs are short (a mean run time under a
 * quarter of AIODB__DEFER_NS): it holds the wake-up, and gives it when
 * its queue runs dry, when it leaves, or between two jobs once the first
 * answer held has waited AIODB__DEFER_NS. Meanwhile its watch, a job of its own on the
 * timer thread that is never queued nor completed (the close watch's
 * trick), fires AIODB__DEFER_NS after the first answer held and gives the
 * wake-up in its place: so a long job never holds back the answers before
 * it, and under steady load the write and the wake it costs are the timer
 * thread's, not the busy worker's. While answers keep coming the watch
 * re-arms itself from the timer thread; once nothing is held it stays
 * unlinked until the next run.
 *
 * Who gives a wake-up takes the cq out of d->cq with one exchange, so it
 * is given once, by the worker or by the watch. The reference the holder
 * keeps on the cq goes with it. */
#include "defer.h"

#include "clock.h"
#include "cq.h"
#include "db.h"
#include "future.h"
#include "job.h"
#include "timer.h"

static _Thread_local aiodb__defer *self;

static void give(aiodb__defer *d) {
  aiodb_cq *cq = atomic_exchange(&d->cq, NULL);
  if (cq == NULL) return;
  aiodb__cq_signal_held(cq);
  aiodb__cq_unref(cq);
}

static void watch_fired(aiodb_future *w) {
  aiodb__defer *d = w->fn_ud;
  int64_t due;
  atomic_store(&d->armed, 0);
  if (atomic_load(&d->stopped) || atomic_load(&d->cq) == NULL) return;
  due = atomic_load(&d->since) + AIODB__DEFER_NS;
  if (due <= aiodb__now_ns()) {
    give(d);
    return;
  }
  /* A run the worker began after it gave the last one. */
  atomic_store(&d->armed, 1);
  aiodb__timer_add_at(w, due);
}

static const aiodb__job_ops watch_ops = {
    .timed_out = watch_fired,
};

void aiodb__defer_start(aiodb__defer *d, aiodb_db *db) {
  atomic_init(&d->cq, NULL);
  atomic_init(&d->since, 0);
  atomic_init(&d->armed, 0);
  atomic_init(&d->stopped, 0);
  d->hold = 0;
  d->now = d->avg_ns = 0;
  d->watch = NULL;
  /* spin_us buys latency with CPU: its loop spins for the fd's flag, which
   * holding would keep down. */
  if (db->spin_us > 0) return;
  d->watch = aiodb__future_new(aiodb_db_cq(db), &watch_ops);
  if (d->watch == NULL) return; /* out of memory: nothing is held */
  d->watch->db = db;
  d->watch->fn_ud = d;
  self = d;
}

void aiodb__defer_stop(aiodb__defer *d) {
  aiodb_future *w = d->watch;
  self = NULL;
  if (w == NULL) return;
  give(d);
  /* A fire in flight may re-arm it once: wait for it, unlink, wait for a
   * fire that began in between (it sees stopped and does nothing). */
  atomic_store(&d->stopped, 1);
  aiodb__timer_quiesce(w->db);
  aiodb__timer_remove(w);
  aiodb__timer_quiesce(w->db);
  d->watch = NULL;
  aiodb__job_discard(w);
}

int64_t aiodb__defer_clock(void) { return self != NULL ? aiodb__now_ns() : 0; }

void aiodb__defer_hold(int more, int64_t t0) {
  aiodb__defer *d = self;
  if (d == NULL) return;
  if (more && t0 != 0) {
    /* One long job counts as the bound: the mean recovers in a few. */
    int64_t ran;
    d->now = aiodb__now_ns();
    ran = d->now - t0 < AIODB__DEFER_NS ? d->now - t0 : AIODB__DEFER_NS;
    d->avg_ns += (ran - d->avg_ns) / 8;
    d->hold = d->avg_ns < AIODB__DEFER_NS / 4;
  } else {
    d->hold = 0;
  }
  if (!d->hold) give(d);
}

void aiodb__defer_check(void) {
  aiodb__defer *d = self;
  if (d != NULL && atomic_load_explicit(&d->cq, memory_order_relaxed) != NULL &&
      d->now - atomic_load_explicit(&d->since, memory_order_relaxed) >=
          AIODB__DEFER_NS)
    give(d);
}

int aiodb__defer_take(aiodb_cq *cq) {
  aiodb__defer *d = self;
  aiodb_cq *held;
  if (d == NULL || !d->hold) return 0;
  held = atomic_load_explicit(&d->cq, memory_order_relaxed);
  if (held == cq) return 1;
  if (held != NULL) return 0; /* another cq's: this one is signalled now */
  aiodb__cq_ref(cq);
  atomic_store_explicit(&d->since, d->now, memory_order_relaxed);
  atomic_store(&d->cq, cq);
  /* Seen by a fire in flight, or armed here (Dekker with watch_fired). */
  if (!atomic_exchange(&d->armed, 1))
    aiodb__timer_add_at(d->watch, atomic_load(&d->since) + AIODB__DEFER_NS);
  return 1;
}
