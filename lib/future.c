/* Futures: recycled, reference-counted, completed exactly once. Waiters
 * park on a small striped table of mutex+condvar pairs, so a future carries
 * no lock of its own and completion costs a syscall only when someone
 * actually waits. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "aspin.h"
#include "clock.h"
#include "conn.h"
#include "cq.h"
#include "db.h"
#include "diag.h"
#include "fork.h"
#include "future.h"
#include "job.h"
#include "timer.h"
#include "trace.h"

#define PARK_STRIPES 64
#define POOL_MAX 1024

static struct {
  pthread_mutex_t m;
  pthread_cond_t c;
} park[PARK_STRIPES];
static pthread_once_t park_once = PTHREAD_ONCE_INIT;
static int park_ready; /* park_init ran */

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static aiodb_future *pool;
static unsigned pool_len;

static void park_init(void) {
  pthread_condattr_t attr;
  int i;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  for (i = 0; i < PARK_STRIPES; i++) {
    pthread_mutex_init(&park[i].m, NULL);
    pthread_cond_init(&park[i].c, &attr);
  }
  pthread_condattr_destroy(&attr);
  park_ready = 1;
}

static unsigned stripe_of(const aiodb_future *f) {
  uintptr_t p = (uintptr_t)f;
  return (unsigned)((p >> 6) ^ (p >> 12)) % PARK_STRIPES;
}

aiodb_future *aiodb__future_new(aiodb_cq *cq, const aiodb__job_ops *ops) {
  aiodb_future *f;
  char *buf = NULL;
  size_t bufcap = 0;

  pthread_mutex_lock(&pool_lock);
  f = pool;
  if (f) {
    pool = f->pool_next;
    pool_len--;
  }
  pthread_mutex_unlock(&pool_lock);
  if (f) {
    buf = f->buf;
    bufcap = f->bufcap;
  } else {
    f = aiodb__malloc(sizeof *f);
    if (f == NULL) return NULL;
  }
  /* f->tr is filled only for a future to trace (aiodb__trace_arm) */
  memset(f, 0, offsetof(aiodb_future, tr));
  f->buf = buf;
  f->bufcap = bufcap;
  atomic_init(&f->flags, 0);
  atomic_init(&f->refs, 2);
  atomic_init(&f->waiters, 0);
  aiodb__q_init(&f->node);
  f->ops = ops;
  f->cq = cq;
  aiodb__cq_ref(cq);
  return f;
}

static void future_release(aiodb_future *f) {
  aiodb_cq *cq = f->cq;
  aiodb_result_free(f->result);
  f->result = NULL;
  pthread_mutex_lock(&pool_lock);
  if (pool_len < POOL_MAX) {
    f->pool_next = pool;
    pool = f;
    pool_len++;
    f = NULL;
  }
  pthread_mutex_unlock(&pool_lock);
  if (f) {
    aiodb__free(f->buf);
    aiodb__free(f);
  }
  aiodb__cq_unref(cq);
}

void aiodb__pools_trim(void) {
  aiodb_future *list, *f;
  aiodb__result_pool_trim();
  pthread_mutex_lock(&pool_lock);
  list = pool;
  pool = NULL;
  pool_len = 0;
  pthread_mutex_unlock(&pool_lock);
  while ((f = list) != NULL) {
    list = f->pool_next;
    aiodb__free(f->buf);
    aiodb__free(f);
  }
}

void aiodb__future_unref(aiodb_future *f) {
  if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) == 1)
    future_release(f);
}

void aiodb__future_complete(aiodb_future *f) {
  unsigned old;
  /* ended without a worker's stamp: refused, dropped or orphaned */
  if (aiodb__trace_armed(f) && f->tr.t_end == 0) f->tr.t_end = aiodb__now_ns();
  old = atomic_fetch_or(&f->flags, AIODB__F_DONE);
  if (old & AIODB__F_DEADLINE) aiodb__timer_remove(f);
  if (atomic_load(&f->waiters) > 0) {
    unsigned s = stripe_of(f);
    pthread_mutex_lock(&park[s].m);
    pthread_cond_broadcast(&park[s].c);
    pthread_mutex_unlock(&park[s].m);
  }
  if ((old & AIODB__F_CB) && !(old & AIODB__F_FREED)) {
    atomic_fetch_add(&f->refs, 1);
    aiodb__cq_push(f->cq, f);
  } else if ((old & (AIODB__F_FREED | AIODB__F_TRACE)) ==
             (AIODB__F_FREED | AIODB__F_TRACE)) {
    /* Detached: nobody will collect it, so its cq traces it. */
    atomic_fetch_add(&f->refs, 1);
    aiodb__cq_push_trace(f->cq, f);
  }
  aiodb__future_unref(f);
}

void aiodb__future_fail(aiodb_future *f, int code, const char *fmt, ...) {
  va_list ap;
  f->err.code = code;
  va_start(ap, fmt);
  vsnprintf(f->err.message, sizeof f->err.message, fmt, ap);
  va_end(ap);
  aiodb__future_complete(f);
}

void aiodb__future_fork_lock(void) {
  pthread_mutex_lock(&pool_lock);
  aiodb__result_fork_lock();
}

void aiodb__future_fork_unlock(int child) {
  /* The park guards no data, only sleeps: the child, alone now, starts
   * it afresh instead of it being held across fork. */
  if (child && park_ready) park_init();
  aiodb__result_fork_unlock();
  pthread_mutex_unlock(&pool_lock);
}

int aiodb_future_set_timeout(aiodb_future *f, int timeout_ms) {
  if (f == NULL || timeout_ms < 0) return AIODB_EINVAL;
  if (aiodb__future_is_done(f)) return AIODB_EBUSY;
  aiodb__timer_remove(f);
  aiodb__timer_add(f, timeout_ms);
  return 0;
}

int aiodb_future_done(const aiodb_future *f) {
  if (!aiodb__future_is_done(f)) return 0;
  /* Polling is collecting: the trace may write to f (not const itself). */
  aiodb__trace_collect((aiodb_future *)(uintptr_t)f);
  return 1;
}

static int would_deadlock(const aiodb_future *f) {
  aiodb_conn *self = aiodb__current_conn();
  if (self == NULL || f->db != self->db) return 0;
  return f->target == NULL || f->target == self;
}

static int is_done(const void *f) { return aiodb__future_is_done(f); }

static int future_wait(aiodb_future *f, int timeout_ms, const char *function,
                       const void *call_site) {
  struct timespec deadline;
  aiodb__aspin *spun = NULL;
  int64_t t0 = 0;
  unsigned s;
  int rc = 0;

  if (f == NULL) return AIODB_EINVAL;
  if (aiodb__future_is_done(f)) return 0;
  if (would_deadlock(f)) {
    aiodb__diag(AIODB_DIAG_DEADLOCK, function, call_site,
                "%s from inside the connection's own worker would deadlock",
                function);
    return AIODB_EDEADLK;
  }
  if (atomic_load_explicit(&f->cq->dispatcher, memory_order_relaxed) ==
      aiodb__thread_id()) {
    int mode = aiodb__warnings_mode();
    if (mode == 1) return AIODB_EBLOCKING;
    if (mode == 0)
      aiodb__diag(AIODB_DIAG_BLOCKING, function, call_site,
                  "BlockingWarning: %s blocks the thread that dispatches the "
                  "completion queue, stalling its loop; use a callback "
                  "(aiodb_future_on_done) instead",
                  function);
  }
  if (timeout_ms == 0) return AIODB_ETIMEDOUT;
  /* f->db is alive: a db is freed only once all its futures are done. */
  if (f->db != NULL && f->db->spin_us > 0 && aiodb__spin(is_done, f, f->db->spin_us))
    return 0;
  if (f->db != NULL && f->db->spin_us == 0 && f->db->adaptive_spin) {
    /* this thread's waits decide (lib/aspin.h) */
    static _Thread_local aiodb__aspin waits;
    static _Thread_local int waits_init;
    int64_t budget;
    if (!waits_init) {
      aiodb__aspin_init(&waits);
      waits_init = 1;
    }
    t0 = aiodb__now_ns();
    budget = aiodb__aspin_budget(&waits);
    if (budget > 0 && aiodb__aspin_run(&waits, is_done, f, budget)) {
      aiodb__aspin_note(&waits, aiodb__now_ns() - t0);
      return 0;
    }
    spun = &waits;
  }

  pthread_once(&park_once, park_init);
  if (timeout_ms > 0) {
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
      deadline.tv_sec++;
      deadline.tv_nsec -= 1000000000L;
    }
  }
  s = stripe_of(f);
  atomic_fetch_add(&f->waiters, 1);
  pthread_mutex_lock(&park[s].m);
  while (!aiodb__future_is_done(f)) {
    if (timeout_ms < 0) {
      pthread_cond_wait(&park[s].c, &park[s].m);
    } else if (pthread_cond_timedwait(&park[s].c, &park[s].m, &deadline) ==
               ETIMEDOUT) {
      if (!aiodb__future_is_done(f)) rc = AIODB_ETIMEDOUT;
      break;
    }
  }
  pthread_mutex_unlock(&park[s].m);
  atomic_fetch_sub(&f->waiters, 1);
  if (spun != NULL) aiodb__aspin_note(spun, aiodb__now_ns() - t0);
  return rc;
}

int aiodb__future_wait(aiodb_future *f, int timeout_ms, const char *function,
                       const void *call_site) {
  int rc = future_wait(f, timeout_ms, function, call_site);
  if (rc == 0) aiodb__trace_collect(f);
  return rc;
}

int aiodb_future_wait(aiodb_future *f, int timeout_ms) {
  return aiodb__future_wait(f, timeout_ms, "aiodb_future_wait",
                            __builtin_return_address(0));
}

static void future_on_done(aiodb_future *f, aiodb_cq *cq, aiodb_callback cb,
                           void *ud, const char *function,
                           const void *call_site) {
  unsigned old;
  if (f == NULL || cb == NULL) {
    aiodb__diag(AIODB_DIAG_MISUSE, function, call_site, "NULL %s",
                f == NULL ? "future" : "callback");
    return;
  }
  if (atomic_load(&f->flags) & AIODB__F_CB) {
    aiodb__diag(AIODB_DIAG_MISUSE, function, call_site,
                "a callback is already set on this future; ignored");
    return;
  }
  /* Until F_CB is set nobody but the caller reads f->cq: completion looks
   * at it only when it sees the flag, and the fetch_or below publishes the
   * new cq along with it. */
  if (cq != NULL && cq != f->cq) {
    aiodb_cq *was = f->cq;
    aiodb__cq_ref(cq);
    f->cq = cq;
    aiodb__cq_unref(was);
  }
  f->cb = cb;
  f->cb_ud = ud;
  old = atomic_fetch_or(&f->flags, AIODB__F_CB);
  if (old & AIODB__F_DONE) {
    atomic_fetch_add(&f->refs, 1);
    aiodb__cq_push(f->cq, f);
  }
}

void aiodb_future_on_done(aiodb_future *f, aiodb_callback cb, void *ud) {
  future_on_done(f, NULL, cb, ud, "aiodb_future_on_done",
                 __builtin_return_address(0));
}

void aiodb_future_on_done_cq(aiodb_future *f, aiodb_cq *cq, aiodb_callback cb,
                             void *ud) {
  if (cq == NULL && f != NULL) {
    aiodb__diag(AIODB_DIAG_MISUSE, "aiodb_future_on_done_cq",
                __builtin_return_address(0), "NULL cq");
    return;
  }
  future_on_done(f, cq, cb, ud, "aiodb_future_on_done_cq",
                 __builtin_return_address(0));
}

void aiodb_future_free(aiodb_future *f) {
  unsigned old;
  if (f == NULL) return;
  old = atomic_fetch_or(&f->flags, AIODB__F_FREED);
  /* done, never collected: now is the last chance (pending, its
   * completion sees F_FREED and hands it to the cq to trace) */
  if ((old & (AIODB__F_DONE | AIODB__F_TRACE)) == (AIODB__F_DONE | AIODB__F_TRACE))
    aiodb__trace_collected(f);
  if (f->ops->freed != NULL) f->ops->freed(f, __builtin_return_address(0));
  aiodb__future_unref(f);
}

void aiodb__future_detach(aiodb_future *f) {
  unsigned old = atomic_fetch_or(&f->flags, AIODB__F_FREED);
  if ((old & (AIODB__F_DONE | AIODB__F_TRACE)) == (AIODB__F_DONE | AIODB__F_TRACE)) {
    atomic_fetch_add(&f->refs, 1);
    aiodb__cq_push_trace(f->cq, f);
  }
  aiodb__future_unref(f);
}

/* The outcome: meaningful once done. */
#define DONE_OR(f, dflt) \
  if (!aiodb__future_is_done(f)) return dflt

int aiodb_future_error(const aiodb_future *f) {
  if (f == NULL) return AIODB_EINVAL;
  DONE_OR(f, 0);
  return f->err.code;
}

const char *aiodb_future_errmsg(const aiodb_future *f) {
  if (f == NULL) return "NULL future";
  DONE_OR(f, "");
  if (f->err.code != 0 && f->err.message[0] == '\0')
    return aiodb_strerror(f->err.code);
  return f->err.message;
}

const char *aiodb_future_sqlstate(const aiodb_future *f) {
  if (f == NULL) return "";
  DONE_OR(f, "");
  return f->err.sqlstate;
}

int aiodb_future_native_code(const aiodb_future *f) {
  if (f == NULL) return 0;
  DONE_OR(f, 0);
  return f->err.native_code;
}

aiodb_result *aiodb_future_result(aiodb_future *f) {
  if (f == NULL) return NULL;
  DONE_OR(f, NULL);
  return f->result;
}

aiodb_result *aiodb_future_take_result(aiodb_future *f) {
  aiodb_result *r;
  if (f == NULL) return NULL;
  DONE_OR(f, NULL);
  r = f->result;
  f->result = NULL;
  return r;
}

aiodb_conn *aiodb_future_conn(aiodb_future *f) {
  if (f == NULL) return NULL;
  DONE_OR(f, NULL);
  if (f->conn != NULL) atomic_fetch_or(&f->flags, AIODB__F_HANDED);
  return f->conn;
}

int aiodb_future_value(const aiodb_future *f) {
  if (f == NULL) return 0;
  DONE_OR(f, 0);
  return f->value;
}
