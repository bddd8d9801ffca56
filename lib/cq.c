/* The completion queue: completed futures wait here for the loop's thread.
 * Wake-ups coalesce (src/unix/async.c): only the 0->1 change of `pending`
 * writes the fd, and a busy worker holds it back for a run of answers
 * (lib/defer.c); dispatch drains the fd, clears the flag, then swaps the
 * list out under the lock and runs callbacks with no lock held. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/eventfd.h>
#endif

#include "alloc.h"
#include "cq.h"
#include "defer.h"
#include "fork.h"
#include "future.h"
#include "trace.h"

uint64_t aiodb__thread_id(void) {
  static atomic_uint_fast64_t next = 1;
  static _Thread_local uint64_t id;
  if (id == 0) id = atomic_fetch_add(&next, 1);
  return id;
}

static int set_flags(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return -1;
  fl = fcntl(fd, F_GETFD);
  if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0) return -1;
  return 0;
}

/* Every cq, for fork(): see aiodb__cq_fork_lock. */
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static aiodb__qnode reg = {&reg, &reg};

void aiodb__cq_fork_lock(void) {
  aiodb__qnode *n;
  pthread_mutex_lock(&reg_lock);
  for (n = reg.next; n != &reg; n = n->next)
    pthread_mutex_lock(&aiodb__q_data(n, aiodb_cq, reg)->lock);
}

void aiodb__cq_fork_unlock(void) {
  aiodb__qnode *n;
  for (n = reg.next; n != &reg; n = n->next)
    pthread_mutex_unlock(&aiodb__q_data(n, aiodb_cq, reg)->lock);
  pthread_mutex_unlock(&reg_lock);
}

aiodb_cq *aiodb_cq_new_ex(unsigned flags) {
  aiodb_cq *cq = aiodb__calloc(1, sizeof *cq);
  if (cq == NULL) {
    errno = ENOMEM; /* a custom allocator need not set it */
    return NULL;
  }
  cq->rfd = cq->wfd = -1;
#if defined(__linux__)
  if (!(flags & AIODB_CQ_PIPE)) {
    cq->rfd = cq->wfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  }
#endif
  if (cq->rfd < 0) {
    int p[2];
    if (pipe(p) != 0) goto fail;
    cq->rfd = p[0];
    cq->wfd = p[1];
    if (set_flags(p[0]) != 0 || set_flags(p[1]) != 0) goto fail;
  }
  if (pthread_mutex_init(&cq->lock, NULL) != 0) goto fail;
  atomic_init(&cq->refs, 1);
  cq->adaptive = !(flags & AIODB_CQ_NOSPIN);
  aiodb__aspin_init(&cq->aspin);
  pthread_mutex_lock(&reg_lock);
  aiodb__q_push(&reg, &cq->reg);
  pthread_mutex_unlock(&reg_lock);
  return cq;
fail:
  if (cq->rfd >= 0) close(cq->rfd);
  if (cq->wfd >= 0 && cq->wfd != cq->rfd) close(cq->wfd);
  aiodb__free(cq);
  return NULL;
}

aiodb_cq *aiodb_cq_new(void) { return aiodb_cq_new_ex(0); }

int aiodb_cq_fd(const aiodb_cq *cq) { return cq ? cq->rfd : -1; }

void aiodb__cq_ref(aiodb_cq *cq) {
  atomic_fetch_add_explicit(&cq->refs, 1, memory_order_relaxed);
}

void aiodb__cq_unref(aiodb_cq *cq) {
  if (atomic_fetch_sub_explicit(&cq->refs, 1, memory_order_acq_rel) != 1)
    return;
  pthread_mutex_lock(&reg_lock);
  aiodb__q_remove(&cq->reg);
  pthread_mutex_unlock(&reg_lock);
  close(cq->rfd);
  if (cq->wfd != cq->rfd) close(cq->wfd);
  pthread_mutex_destroy(&cq->lock);
  aiodb__free(cq);
}

void aiodb__cq_signal(aiodb_cq *cq) {
  ssize_t n;
  if (atomic_exchange(&cq->pending, 1) != 0) return;
  atomic_fetch_add_explicit(&cq->wakeups, 1, memory_order_relaxed);
  if (cq->rfd == cq->wfd) {
    uint64_t one = 1;
    do n = write(cq->wfd, &one, sizeof one);
    while (n < 0 && errno == EINTR);
  } else {
    do n = write(cq->wfd, "", 1);
    while (n < 0 && errno == EINTR);
  }
  /* EAGAIN means the fd is readable already: nothing is lost. */
}

static void cq_drain(aiodb_cq *cq) {
  char buf[64];
  ssize_t n;
  if (cq->rfd == cq->wfd) {
    uint64_t v;
    do n = read(cq->rfd, &v, sizeof v);
    while (n < 0 && errno == EINTR);
  } else {
    do n = read(cq->rfd, buf, sizeof buf);
    while (n > 0 || (n < 0 && errno == EINTR));
  }
}

/* Appends f to the list head..tail of cq; 0, or -1 (f dropped) once cq
 * is closed. */
static int push_to(aiodb_cq *cq, aiodb_future **head, aiodb_future **tail,
                            aiodb_future *f) {
  f->cq_next = NULL;
  pthread_mutex_lock(&cq->lock);
  if (atomic_load_explicit(&cq->closed, memory_order_relaxed)) {
    pthread_mutex_unlock(&cq->lock);
    aiodb__future_unref(f);
    return -1;
  }
  if (*tail)
    (*tail)->cq_next = f;
  else
    *head = f;
  *tail = f;
  if (head == &cq->head) atomic_store(&cq->listed, 1); /* before a holder reads its cq */
  pthread_mutex_unlock(&cq->lock);
  return 0;
}

void aiodb__cq_signal_held(aiodb_cq *cq) {
  /* The holder's push came before (it is this thread's, or ordered by the
   * exchange that handed the wake-up over): seen here unless dispatched. */
  if (atomic_load(&cq->listed)) aiodb__cq_signal(cq);
}

void aiodb__cq_push(aiodb_cq *cq, aiodb_future *f) {
  if (push_to(cq, &cq->head, &cq->tail, f) != 0) return;
  /* A thread spinning in aiodb_cq_run_once sees `listed`: no fd write, no
   * wake-up. The spinner clears its count, then looks at `listed` again,
   * and this looks at the count after setting `listed` (both seq_cst):
   * one of the two sees the other. */
  if (atomic_load(&cq->spinners) > 0) return;
  /* A worker with more jobs queued may hold the wake-up (lib/defer.c). */
  if (!aiodb__defer_take(cq)) aiodb__cq_signal(cq);
}

void aiodb__cq_push_trace(aiodb_cq *cq, aiodb_future *f) {
  if (push_to(cq, &cq->trace_head, &cq->trace_tail, f) != 0) return;
  /* A loop traces it at its next dispatch; a cq nobody dispatches, when
   * one of its futures is next collected (lib/trace.c). */
  if (atomic_load_explicit(&cq->dispatcher, memory_order_relaxed) != 0) aiodb__cq_signal(cq);
}

/* Traces and drops the futures of list. */
static void trace_all(aiodb_future *list) {
  aiodb_future *f;
  while ((f = list) != NULL) {
    list = f->cq_next;
    f->cq_next = NULL;
    aiodb__trace_emit(f);
    aiodb__future_unref(f);
  }
}

void aiodb__cq_drain_traces(aiodb_cq *cq) {
  aiodb_future *list;
  pthread_mutex_lock(&cq->lock);
  list = cq->trace_head;
  cq->trace_head = cq->trace_tail = NULL;
  pthread_mutex_unlock(&cq->lock);
  trace_all(list);
}

int aiodb_cq_dispatch(aiodb_cq *cq, int max) {
  aiodb_future *list, *traces, *f, *rest = NULL, *rest_tail = NULL;
  int count = 0;

  if (cq == NULL) return AIODB_EINVAL;
  atomic_store_explicit(&cq->dispatcher, aiodb__thread_id(),
                        memory_order_relaxed);
  if (cq->in_dispatch) return 0;
  if (atomic_load(&cq->pending)) {
    cq_drain(cq);
    atomic_store(&cq->pending, 0);
  }
  pthread_mutex_lock(&cq->lock);
  list = cq->head;
  cq->head = cq->tail = NULL;
  atomic_store_explicit(&cq->listed, 0, memory_order_relaxed);
  traces = cq->trace_head;
  cq->trace_head = cq->trace_tail = NULL;
  pthread_mutex_unlock(&cq->lock);
  if (list == NULL && traces == NULL) return 0;

  /* A callback may free the db that owns this cq: keep it alive. */
  aiodb__cq_ref(cq);
  cq->in_dispatch = 1;
  /* Detached futures completed before those now called back. */
  trace_all(traces);
  while (list != NULL) {
    if (max > 0 && count >= max) {
      rest = list;
      for (rest_tail = rest; rest_tail->cq_next; rest_tail = rest_tail->cq_next)
        ;
      break;
    }
    f = list;
    list = f->cq_next;
    f->cq_next = NULL;
    /* A freed future's callback never runs, nor any after the cq is freed;
     * its trace runs all the same, but not after the cq is freed. */
    if (!atomic_load_explicit(&cq->closed, memory_order_relaxed)) {
      if (aiodb__trace_armed(f)) aiodb__trace_emit(f);
      if (!(atomic_load(&f->flags) & AIODB__F_FREED)) {
        f->cb(f, f->cb_ud);
        count++;
      }
    }
    aiodb__future_unref(f);
  }
  cq->in_dispatch = 0;
  atomic_fetch_add_explicit(&cq->dispatched, (uint64_t)count,
                            memory_order_relaxed);

  if (rest != NULL && atomic_load(&cq->closed)) {
    /* A callback freed the cq: the rest are dropped, as cq_free does. */
    while ((f = rest) != NULL) {
      rest = f->cq_next;
      aiodb__future_unref(f);
    }
  } else if (rest != NULL) {
    /* Put the unrun callbacks back in front and keep the fd readable. */
    pthread_mutex_lock(&cq->lock);
    rest_tail->cq_next = cq->head;
    cq->head = rest;
    if (cq->tail == NULL) cq->tail = rest_tail;
    atomic_store_explicit(&cq->listed, 1, memory_order_relaxed);
    pthread_mutex_unlock(&cq->lock);
    aiodb__cq_signal(cq);
  }
  aiodb__cq_unref(cq);
  return count;
}

int aiodb__spin(int (*ready)(const void *), const void *arg, unsigned us) {
  if (us == 0) return ready(arg);
  return aiodb__spin_ns(ready, arg, (int64_t)us * 1000, NULL);
}

int aiodb__flag_set(const void *flag) {
  return atomic_load_explicit((const atomic_int *)flag, memory_order_acquire);
}

int aiodb_cq_set_spin(aiodb_cq *cq, unsigned us) {
  if (cq == NULL || us > 1000) return AIODB_EINVAL;
  atomic_store(&cq->spin_us, us);
  return 0;
}

static int has_answers(const void *arg) {
  aiodb_cq *cq = (aiodb_cq *)arg;
  return atomic_load(&cq->listed) || atomic_load(&cq->pending);
}

/* The adaptive spin before poll(): 1 if answers came meanwhile. */
static int spin_for_answers(aiodb_cq *cq, int64_t t0) {
  int64_t budget = aiodb__aspin_budget(&cq->aspin);
  int ok;
  if (budget == 0) return 0;
  atomic_fetch_add(&cq->spinners, 1);
  ok = aiodb__aspin_run(&cq->aspin, has_answers, cq, budget);
  atomic_fetch_sub(&cq->spinners, 1);
  /* A push that saw the count before it dropped wrote no fd. */
  if (!ok) ok = has_answers(cq);
  if (ok) aiodb__aspin_note(&cq->aspin, aiodb__now_ns() - t0);
  return ok;
}

int aiodb_cq_run_once(aiodb_cq *cq, int timeout_ms) {
  struct pollfd p;
  unsigned spin;
  int rc, adapt;
  int64_t t0 = 0;
  if (cq == NULL) return AIODB_EINVAL;
  spin = atomic_load_explicit(&cq->spin_us, memory_order_relaxed);
  if (spin > 0 && timeout_ms != 0 && aiodb__spin(aiodb__flag_set, &cq->pending, spin))
    return aiodb_cq_dispatch(cq, 0);
  /* Adaptive: only for a wait of this thread's (not from a callback, which
   * dispatches nothing), with nothing ready yet. */
  adapt = spin == 0 && cq->adaptive && timeout_ms != 0 && !cq->in_dispatch &&
          !has_answers(cq);
  if (adapt) {
    t0 = aiodb__now_ns();
    if (spin_for_answers(cq, t0)) return aiodb_cq_dispatch(cq, 0);
  }
  p.fd = cq->rfd;
  p.events = POLLIN;
  p.revents = 0;
  do rc = poll(&p, 1, timeout_ms < 0 ? -1 : timeout_ms);
  while (rc < 0 && errno == EINTR);
  if (rc < 0) return AIODB_ESYS;
  /* How long this wait took, sleep and wake-up included: a timeout too. */
  if (adapt) aiodb__aspin_note(&cq->aspin, aiodb__now_ns() - t0);
  return aiodb_cq_dispatch(cq, 0);
}

void aiodb_cq_stats(const aiodb_cq *cq, uint64_t *wakeups,
                    uint64_t *dispatched) {
  if (wakeups) *wakeups = cq ? atomic_load(&cq->wakeups) : 0;
  if (dispatched) *dispatched = cq ? atomic_load(&cq->dispatched) : 0;
}

void aiodb_cq_free(aiodb_cq *cq) {
  aiodb_future *list, *traces, *f;
  if (cq == NULL) return;
  pthread_mutex_lock(&cq->lock);
  atomic_store(&cq->closed, 1);
  list = cq->head;
  cq->head = cq->tail = NULL;
  traces = cq->trace_head;
  cq->trace_head = cq->trace_tail = NULL;
  pthread_mutex_unlock(&cq->lock);
  while (list != NULL) {
    f = list;
    list = f->cq_next;
    aiodb__future_unref(f);
  }
  while ((f = traces) != NULL) {
    traces = f->cq_next;
    aiodb__future_unref(f);
  }
  /* The fds close with the last reference: a worker may still be writing. */
  aiodb__cq_unref(cq);
}
