/* The completion queue: coalesced wake-ups, dispatch, the pipe fallback. */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__linux__)
#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#endif

#include "helpers.h"
#include "aspin.h"
#include "cq.h"

#define N 10000

typedef struct counter {
  int *hits;
  int calls;
  pthread_t thread;
  int wrong_thread;
} counter;

typedef struct slot {
  counter *c;
  int i;
} slot;

static void count_cb(aiodb_future *f, void *ud) {
  slot *s = ud;
  ck_assert_int_eq(aiodb_future_error(f), 0);
  ck_assert_int_eq(aiodb_result_int(aiodb_future_result(f), 0, 0), s->i);
  s->c->hits[s->i]++;
  s->c->calls++;
  if (!pthread_equal(pthread_self(), s->c->thread)) s->c->wrong_thread++;
  aiodb_future_free(f);
}

/* Submits N queries with callbacks. With `settle`, waits (without
 * dispatching) until all N have completed, as a busy loop would, before it
 * dispatches: then the whole burst costs one wake-up. Without, the loop
 * dispatches while the worker still completes: each dispatch round may cost
 * one wake-up, never more. */
static void coalesce(unsigned flags, int settle) {
  aiodb_cq *cq = aiodb_cq_new_ex(flags);
  aiodb_options o = {0};
  aiodb_db *db;
  aiodb_future *last = NULL;
  counter c = {0};
  slot *slots = calloc(N, sizeof *slots);
  uint64_t wakeups, dispatched;
  int i, rounds = 0;

  ck_assert_ptr_nonnull(cq);
  o.cq = cq;
  db = aiodb_open("sqlite://", &o, NULL);
  ck_assert_ptr_nonnull(db);
  ck_assert_ptr_eq(aiodb_db_cq(db), cq);
  c.hits = calloc(N, sizeof *c.hits);
  c.thread = pthread_self();
  for (i = 0; i < N; i++) {
    aiodb_value v = aiodb_int(i);
    aiodb_future *f = aiodb_query(db, "SELECT ?", &v, 1);
    slots[i].c = &c;
    slots[i].i = i;
    aiodb_future_on_done(f, count_cb, &slots[i]);
    last = f;
  }
  if (settle) /* one connection runs its jobs in order: last done = all done */
    while (!aiodb_future_done(last)) usleep(1000);
  /* Every dispatch clears the pending flag at most once, and only a clear
   * lets the next completion write the fd again: at most one wake-up per
   * dispatch call (some find their batch already taken and run nothing). */
  while (c.calls < N) {
    ck_assert_int_ge(aiodb_cq_run_once(cq, 5000), 0);
    ck_assert_int_lt(++rounds, 4 * N);
  }
  for (i = 0; i < N; i++) ck_assert_int_eq(c.hits[i], 1);
  ck_assert_int_eq(c.wrong_thread, 0);
  aiodb_cq_stats(cq, &wakeups, &dispatched);
  ck_assert_uint_eq(dispatched, N);
  ck_assert_msg(wakeups <= (uint64_t)rounds + 1,
                "%llu wake-ups for %d dispatch calls",
                (unsigned long long)wakeups, rounds);
  if (settle)
    ck_assert_msg(wakeups <= 2, "%llu wake-ups for one burst of %d",
                  (unsigned long long)wakeups, N);
  else /* batches form on their own once the worker runs ahead */
    ck_assert_msg(wakeups < N, "%llu wake-ups for %d completions",
                  (unsigned long long)wakeups, N);
  aiodb_db_free(db);
  ck_assert_int_eq(aiodb_cq_dispatch(cq, 0), 0);
  aiodb_cq_free(cq);
  free(c.hits);
  free(slots);
  aiodb_test_clean_shutdown();
}

START_TEST(cq_coalesces_eventfd) { coalesce(0, 1); }
END_TEST

START_TEST(cq_coalesces_pipe) { coalesce(AIODB_CQ_PIPE, 1); }
END_TEST

START_TEST(cq_coalesces_while_running) { coalesce(0, 0); }
END_TEST

static int readable(int fd) {
  struct pollfd p = {fd, POLLIN, 0};
  return poll(&p, 1, 0) == 1;
}

static void plain_cb(aiodb_future *f, void *ud) {
  (*(int *)ud)++;
  aiodb_future_free(f);
}

START_TEST(cq_dispatch_max_keeps_fd_readable) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  aiodb_cq *cq = aiodb_db_cq(db);
  aiodb_future *fs[5];
  int i, calls = 0;

  for (i = 0; i < 5; i++) fs[i] = aiodb_query(db, "SELECT 1", NULL, 0);
  for (i = 0; i < 5; i++) aiodb_test_ok(fs[i]);
  ck_assert(!readable(aiodb_cq_fd(cq))); /* no callbacks asked for yet */
  for (i = 0; i < 5; i++) aiodb_future_on_done(fs[i], plain_cb, &calls);
  ck_assert(readable(aiodb_cq_fd(cq)));
  ck_assert_int_eq(aiodb_cq_dispatch(cq, 3), 3);
  ck_assert_int_eq(calls, 3);
  ck_assert(readable(aiodb_cq_fd(cq)));
  ck_assert_int_eq(aiodb_cq_dispatch(cq, 0), 2);
  ck_assert_int_eq(calls, 5);
  ck_assert(!readable(aiodb_cq_fd(cq)));
  ck_assert_int_eq(aiodb_cq_dispatch(cq, 0), 0);
  aiodb_test_done(db);
}
END_TEST

START_TEST(cq_free_drops_queued_callbacks) {
  aiodb_cq *cq = aiodb_cq_new();
  aiodb_options o = {0};
  aiodb_db *db;
  aiodb_future *f;
  int calls = 0;

  o.cq = cq;
  db = aiodb_open("sqlite://", &o, NULL);
  f = aiodb_test_ok(aiodb_query(db, "SELECT 1", NULL, 0));
  aiodb_future_on_done(f, plain_cb, &calls);
  aiodb_db_free(db);
  aiodb_cq_free(cq); /* drops the queued callback; f stays the caller's */
  ck_assert_int_eq(calls, 0);
  ck_assert_int_eq(aiodb_future_error(f), 0);
  aiodb_future_free(f);
  aiodb_test_clean_shutdown();
}
END_TEST

static void nested_cb(aiodb_future *f, void *ud) {
  /* dispatch is not re-entered from inside a callback */
  ck_assert_int_eq(aiodb_cq_dispatch(ud, 0), 0);
  aiodb_future_free(f);
}

START_TEST(cq_null_and_nesting) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  aiodb_future *a = aiodb_query(db, "SELECT 1", NULL, 0);
  aiodb_future *b = aiodb_query(db, "SELECT 2", NULL, 0);
  int calls = 0;

  ck_assert_int_eq(aiodb_cq_fd(NULL), -1);
  ck_assert_int_eq(aiodb_cq_dispatch(NULL, 0), AIODB_EINVAL);
  ck_assert_int_eq(aiodb_cq_run_once(NULL, 0), AIODB_EINVAL);
  aiodb_cq_free(NULL);
  aiodb_future_on_done(a, nested_cb, aiodb_db_cq(db));
  aiodb_future_on_done(b, plain_cb, &calls);
  while (calls == 0) aiodb_cq_run_once(aiodb_db_cq(db), 1000);
  aiodb_test_done(db);
}
END_TEST

static void misuse_count(const aiodb_diag *d, void *ud) {
  if (d->kind == AIODB_DIAG_MISUSE) (*(int *)ud)++;
}

/* aiodb_future_on_done_cq: the callback runs where the named cq is
 * dispatched, never through the db's own cq, whether the future was done
 * before the call or completes after it. */
START_TEST(cq_on_done_cq_routes_per_call) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  aiodb_cq *mine = aiodb_cq_new();
  aiodb_test_gate g;
  aiodb_future *gate, *early, *late, *f, *spare;
  int mine_calls = 0, db_calls = 0, misuse = 0;

  /* Waited for before this thread dispatches anything (no BlockingWarning). */
  spare = aiodb_test_ok(aiodb_query(db, "SELECT 4", NULL, 0));
  early = aiodb_test_ok(aiodb_query(db, "SELECT 1", NULL, 0)); /* done */
  aiodb_future_on_done_cq(early, mine, plain_cb, &mine_calls);
  gate = aiodb_test_gate_hold(db, &g);
  late = aiodb_query(db, "SELECT 2", NULL, 0); /* pending behind the gate */
  aiodb_future_on_done_cq(late, mine, plain_cb, &mine_calls);
  f = aiodb_query(db, "SELECT 3", NULL, 0);
  aiodb_future_on_done(f, plain_cb, &db_calls); /* the db's cq, as before */
  aiodb_test_gate_open(&g);
  aiodb_test_ok(gate);
  aiodb_future_free(gate);
  aiodb_test_gate_destroy(&g);

  while (mine_calls < 2) ck_assert_int_ge(aiodb_cq_run_once(mine, 5000), 0);
  ck_assert_int_eq(db_calls, 0);
  while (db_calls < 1)
    ck_assert_int_ge(aiodb_cq_run_once(aiodb_db_cq(db), 5000), 0);
  ck_assert_int_eq(mine_calls, 2);
  ck_assert_int_eq(aiodb_cq_dispatch(mine, 0), 0);

  /* Misuse is refused with a diagnostic and leaves the future usable. */
  aiodb_set_diag_handler(misuse_count, &misuse);
  f = spare;
  aiodb_future_on_done_cq(f, NULL, plain_cb, &mine_calls);
  aiodb_future_on_done_cq(NULL, mine, plain_cb, &mine_calls);
  aiodb_future_on_done_cq(f, mine, NULL, NULL);
  aiodb_future_on_done_cq(f, mine, plain_cb, &mine_calls);
  aiodb_future_on_done_cq(f, aiodb_db_cq(db), plain_cb, &db_calls); /* twice */
  aiodb_set_diag_handler(NULL, NULL);
  ck_assert_int_eq(misuse, 4);
  ck_assert_int_eq(aiodb_cq_dispatch(mine, 0), 1);
  ck_assert_int_eq(mine_calls, 3);
  ck_assert_int_eq(aiodb_cq_dispatch(aiodb_db_cq(db), 0), 0);

  aiodb_db_free(db);
  aiodb_cq_free(mine);
  aiodb_test_clean_shutdown();
}
END_TEST

/* A cq freed while a future still names it: the completion is dropped
 * without a callback, and nothing leaks or is touched after the free. */
START_TEST(cq_on_done_cq_freed_first) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  aiodb_cq *mine = aiodb_cq_new();
  aiodb_test_gate g;
  aiodb_future *gate, *f;
  int calls = 0;

  gate = aiodb_test_gate_hold(db, &g);
  f = aiodb_query(db, "SELECT 1", NULL, 0);
  aiodb_future_on_done_cq(f, mine, plain_cb, &calls);
  aiodb_cq_free(mine);
  aiodb_test_gate_open(&g);
  aiodb_test_ok(gate);
  ck_assert_int_eq(aiodb_future_wait(f, 5000), 0);
  ck_assert_int_eq(aiodb_future_error(f), 0);
  ck_assert_int_eq(calls, 0);
  aiodb_future_free(f);
  aiodb_future_free(gate);
  aiodb_test_gate_destroy(&g);
  aiodb_test_done(db);
}
END_TEST

/* spin_us: workers and waiters spin before sleeping. Bad values are
 * refused; with it on, every answer still arrives, through callbacks, waits
 * and the cq's own spin. */
START_TEST(cq_spin_option) {
  aiodb_options o;
  aiodb_error err;
  aiodb_db *db;
  aiodb_future *f;
  int i, calls = 0;

  aiodb_test_open_fails("sqlite://?spin_us=1001", NULL, AIODB_EINVAL, "spin_us");
  aiodb_test_open_fails("sqlite://?spin_us=-1", NULL, AIODB_EINVAL, NULL);
  aiodb_options_init(&o);
  o.spin_us = 5000;
  aiodb_test_open_fails("sqlite://", &o, AIODB_EINVAL, NULL);
  ck_assert_int_eq(aiodb_cq_set_spin(NULL, 10), AIODB_EINVAL);

  /* Waits first (this thread dispatches nothing yet), then callbacks. */
  db = aiodb_open("sqlite://?spin_us=200", NULL, &err);
  ck_assert_ptr_nonnull(db);
  ck_assert_int_eq(aiodb_cq_set_spin(aiodb_db_cq(db), 1001), AIODB_EINVAL);
  for (i = 0; i < 200; i++) {
    aiodb_value v = aiodb_int(i);
    f = aiodb_test_ok(aiodb_query(db, "SELECT ? + 1", &v, 1));
    ck_assert_int_eq(aiodb_result_int(aiodb_future_result(f), 0, 0), i + 1);
    aiodb_future_free(f);
  }
  for (i = 0; i < 200; i++) {
    int before = calls;
    aiodb_future_on_done(aiodb_query(db, "SELECT 1", NULL, 0), plain_cb, &calls);
    while (calls == before) ck_assert_int_ge(aiodb_cq_run_once(aiodb_db_cq(db), 5000), 0);
  }
  ck_assert_int_eq(calls, 200);
  /* A cq's run_once with nothing coming: returns after its timeout. */
  ck_assert_int_eq(aiodb_cq_run_once(aiodb_db_cq(db), 10), 0);
  aiodb_test_done(db);
}
END_TEST

/* The rules of adaptive spinning (lib/aspin.h), on its own: no spin until
 * short waits are seen; a budget from their mean, bounded; a failed spin
 * sleeps at once for the next wait, then 2, then 4; a win resets that;
 * one long wait (an idle spell) stops spinning. */
static int never(const void *arg) {
  (void)arg;
  return 0;
}

static int always(const void *arg) {
  (void)arg;
  return 1;
}

START_TEST(cq_aspin_rules) {
  aiodb__aspin a;
  int i;

  aiodb__aspin_init(&a);
  ck_assert_int_eq(aiodb__aspin_budget(&a), 0);
  for (i = 0; i < 30; i++) aiodb__aspin_note(&a, 5000);
  ck_assert_int_gt(aiodb__aspin_budget(&a), 5000);
  ck_assert_int_le(aiodb__aspin_budget(&a), AIODB__ASPIN_MAX_NS);
  for (i = 0; i < 30; i++) aiodb__aspin_note(&a, 15000);
  ck_assert_int_eq(aiodb__aspin_budget(&a), AIODB__ASPIN_MAX_NS);

  /* failures in a row: 1, 2, then 4 waits without a spin */
  ck_assert_int_eq(aiodb__aspin_run(&a, never, NULL, 2000), 0);
  ck_assert_int_eq(aiodb__aspin_budget(&a), 0);
  ck_assert_int_gt(aiodb__aspin_budget(&a), 0);
  ck_assert_int_eq(aiodb__aspin_run(&a, never, NULL, 2000), 0);
  for (i = 0; i < 2; i++) ck_assert_int_eq(aiodb__aspin_budget(&a), 0);
  ck_assert_int_gt(aiodb__aspin_budget(&a), 0);
  ck_assert_int_eq(aiodb__aspin_run(&a, never, NULL, 2000), 0);
  for (i = 0; i < 4; i++) ck_assert_int_eq(aiodb__aspin_budget(&a), 0);
  /* a win resets the backoff */
  ck_assert_int_eq(aiodb__aspin_run(&a, always, NULL, 2000), 1);
  ck_assert_int_eq(aiodb__aspin_run(&a, never, NULL, 2000), 0);
  ck_assert_int_eq(aiodb__aspin_budget(&a), 0);
  ck_assert_int_gt(aiodb__aspin_budget(&a), 0);

  /* idle: one long wait and it sleeps at once */
  aiodb__aspin_note(&a, 1000000000);
  ck_assert_int_eq(aiodb__aspin_budget(&a), 0);
}
END_TEST

/* One call at a time, each submitted by the last one's callback; the
 * wake-ups (fd writes) the loop got for them. */
static uint64_t one_at_a_time(aiodb_db *db, int n) {
  aiodb_cq *cq = aiodb_db_cq(db);
  uint64_t w0, w1;
  int i, calls = 0;
  aiodb_cq_stats(cq, &w0, NULL);
  for (i = 0; i < n; i++) {
    int before = calls;
    aiodb_value v = aiodb_int(i);
    aiodb_future_on_done(aiodb_query(db, "SELECT ?", &v, 1), plain_cb, &calls);
    while (calls == before) ck_assert_int_ge(aiodb_cq_run_once(cq, 5000), 0);
  }
  aiodb_cq_stats(cq, &w1, NULL);
  return w1 - w0;
}

static double cpu_ms(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
         (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

/* A loop spinning in aiodb_cq_run_once for its answers (lib/aspin.h) is
 * not woken for them: while one spins, a completion is listed without a
 * write to the fd, and the spinner takes it from the list. Whether a
 * spin wins depends on the machine's load, so the spinner is posed here
 * (cq->spinners); the bench's W1a and W4a rows show the real thing. Idle
 * after a run of calls that made both sides spin, the program burns no
 * CPU: a spin ends in microseconds, and the next wait, long, stops it.
 * With adaptive_spin=0 (or a cq made with AIODB_CQ_NOSPIN) every answer
 * is a wake-up. */
START_TEST(cq_adaptive_spin) {
  aiodb_db *db;
  aiodb_cq *cq;
  aiodb_options o;
  uint64_t w0, w;
  struct pollfd p;
  double c0, t0;
  int calls = 0;

  aiodb_test_open_fails("sqlite://?adaptive_spin=maybe", NULL, AIODB_EINVAL,
                        "adaptive_spin");
  db = aiodb_open("sqlite://?adaptive_spin=0", NULL, NULL);
  ck_assert_ptr_nonnull(db);
  w = one_at_a_time(db, 300);
  ck_assert_msg(w == 300, "%llu wake-ups for 300 answers without spinning",
                (unsigned long long)w);
  aiodb_test_done(db);

  cq = aiodb_cq_new_ex(AIODB_CQ_NOSPIN);
  ck_assert_ptr_nonnull(cq);
  aiodb_options_init(&o);
  o.cq = cq;
  db = aiodb_open("sqlite://", &o, NULL);
  ck_assert_ptr_nonnull(db);
  w = one_at_a_time(db, 300);
  ck_assert_msg(w == 300, "%llu wake-ups for 300 answers on a NOSPIN cq",
                (unsigned long long)w);
  aiodb_db_free(db);
  aiodb_cq_free(cq);
  aiodb_test_clean_shutdown();

  db = aiodb_open("sqlite://", NULL, NULL);
  ck_assert_ptr_nonnull(db);
  cq = aiodb_db_cq(db);
  one_at_a_time(db, 2000);
  /* a spinner: the answer is listed, the fd stays unwritten */
  aiodb_cq_stats(cq, &w0, NULL);
  atomic_fetch_add(&cq->spinners, 1);
  aiodb_future_on_done(aiodb_query(db, "SELECT 1", NULL, 0), plain_cb, &calls);
  t0 = aiodb_test_now_ms();
  while (!atomic_load(&cq->listed) && aiodb_test_now_ms() - t0 < 5000) usleep(100);
  ck_assert_int_eq(atomic_load(&cq->listed), 1);
  p.fd = aiodb_cq_fd(cq);
  p.events = POLLIN;
  ck_assert_int_eq(poll(&p, 1, 0), 0);
  aiodb_cq_stats(cq, &w, NULL);
  ck_assert_uint_eq(w, w0);
  atomic_fetch_sub(&cq->spinners, 1);
  ck_assert_int_eq(aiodb_cq_run_once(cq, 0), 1);
  ck_assert_int_eq(calls, 1);
  /* no spinner: the fd is written */
  aiodb_future_on_done(aiodb_query(db, "SELECT 1", NULL, 0), plain_cb, &calls);
  ck_assert_int_eq(poll(&p, 1, 5000), 1);
  ck_assert_int_eq(aiodb_cq_run_once(cq, 0), 1);
  ck_assert_int_eq(calls, 2);

  c0 = cpu_ms();
  usleep(300 * 1000);
  ck_assert_msg(cpu_ms() - c0 < 30, "%.1f ms of CPU in 300 ms idle", cpu_ms() - c0);
  aiodb_test_done(db);
}
END_TEST

/* On a worker: busy for about 5 µs, a call the loop answers faster than
 * the worker makes it. */
static int busy_5us(void *native, void *ud) {
  double t0 = aiodb_test_now_ms();
  (void)native;
  (void)ud;
  while (aiodb_test_now_ms() - t0 < 0.005) {
  }
  return 0;
}

/* A worker with more jobs queued holds the loop's wake-up while it runs
 * them (lib/defer.c): a loop that answers faster than the worker works is
 * woken for runs of answers, not once per answer. */
START_TEST(cq_holds_wakeups_for_runs) {
  enum { CALLS = 4000 };
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  aiodb_cq *cq;
  uint64_t w0, d0, wakeups, dispatched;
  int i, calls = 0;

  ck_assert_ptr_nonnull(db);
  cq = aiodb_db_cq(db);
  aiodb_future_free(aiodb_test_ok(aiodb_query(db, "SELECT 1", NULL, 0)));
  aiodb_cq_stats(cq, &w0, &d0);
  for (i = 0; i < CALLS; i++)
    aiodb_future_on_done(aiodb_db_run(db, busy_5us, NULL), plain_cb, &calls);
  while (calls < CALLS) ck_assert_int_ge(aiodb_cq_run_once(cq, 5000), 0);
  aiodb_cq_stats(cq, &wakeups, &dispatched);
  ck_assert_uint_eq(dispatched - d0, CALLS);
  ck_assert_msg((wakeups - w0) * 5 <= CALLS, "%llu wake-ups for %d answers",
                (unsigned long long)(wakeups - w0), CALLS);
  aiodb_test_done(db);
}
END_TEST

typedef struct held {
  double submitted, called;
  aiodb_future *slow;
  int slow_done_then;
} held;

static void held_cb(aiodb_future *f, void *ud) {
  held *h = ud;
  ck_assert_int_eq(aiodb_future_error(f), 0);
  h->called = aiodb_test_now_ms();
  h->slow_done_then = aiodb_future_done(h->slow);
  aiodb_future_free(f);
}

static int sleep_1s(void *native, void *ud) {
  (void)native;
  (void)ud;
  usleep(1000 * 1000);
  return 0;
}

static int sleep_50ms(void *native, void *ud) {
  (void)native;
  (void)ud;
  usleep(50 * 1000);
  return 0;
}

/* A held wake-up is given within its bound even while a long job runs
 * behind the answers (the worker's watch on the timer thread): behind a
 * call of 50 ms, fast queries, then a call of a second on the same
 * connection; every fast answer's callback runs long before the slow call
 * ends. */
START_TEST(cq_held_wakeup_bounded) {
  enum { FAST = 4 };
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  aiodb_future *slow;
  held h[FAST];
  int i, slow_calls = 0;

  ck_assert_ptr_nonnull(db);
  {
    aiodb_value v = aiodb_int(0); /* prepared: each answer then takes µs */
    aiodb_future_free(aiodb_test_ok(aiodb_query(db, "SELECT ?", &v, 1)));
  }
  memset(h, 0, sizeof h);
  /* Busy first, so that the answers and the slow call queue behind it. */
  aiodb_future_on_done(aiodb_db_run(db, sleep_50ms, NULL), plain_cb, &slow_calls);
  for (i = 0; i < FAST; i++) {
    aiodb_value v = aiodb_int(i);
    aiodb_future *f = aiodb_query(db, "SELECT ?", &v, 1);
    h[i].submitted = aiodb_test_now_ms();
    aiodb_future_on_done(f, held_cb, &h[i]);
  }
  slow = aiodb_db_run(db, sleep_1s, NULL);
  ck_assert_ptr_nonnull(slow);
  for (i = 0; i < FAST; i++) h[i].slow = slow;
  aiodb_future_on_done(slow, plain_cb, &slow_calls);
  while (slow_calls < 2) ck_assert_int_ge(aiodb_cq_run_once(aiodb_db_cq(db), 5000), 0);
  for (i = 0; i < FAST; i++) {
    ck_assert_msg(h[i].called > 0, "answer %d: no callback", i);
    ck_assert_msg(!h[i].slow_done_then, "answer %d came with the slow one", i);
    ck_assert_msg(h[i].called - h[i].submitted < 300, "answer %d took %.1f ms", i,
                  h[i].called - h[i].submitted);
  }
  aiodb_test_done(db);
}
END_TEST

#if defined(__linux__)
typedef struct sched_seen {
  int nice;
  uint64_t slice_ns;
} sched_seen;

/* On a worker: its nice value and its scheduler slice. */
static int read_sched(void *native, void *ud) {
  sched_seen *seen = ud;
  pid_t tid = (pid_t)syscall(SYS_gettid);
  struct {
    uint32_t size, policy;
    uint64_t flags;
    int32_t nice;
    uint32_t priority;
    uint64_t runtime, deadline, period;
  } attr;
  (void)native;
  seen->nice = getpriority(PRIO_PROCESS, (id_t)tid);
  memset(&attr, 0, sizeof attr);
  if (syscall(SYS_sched_getattr, tid, &attr, (unsigned)sizeof attr, 0u) == 0)
    seen->slice_ns = attr.runtime;
  return 0;
}

/* The kernel keeps a thread's own slice from 6.12 on. */
static int kernel_keeps_slice(void) {
  struct utsname u;
  int major = 0, minor = 0;
  if (uname(&u) != 0 || sscanf(u.release, "%d.%d", &major, &minor) != 2) return 0;
  return major > 6 || (major == 6 && minor >= 12);
}
#endif

/* worker_nice and worker_slice_us reach each worker thread; bad values are
 * refused. */
START_TEST(cq_worker_sched_options) {
  aiodb_options o;
  aiodb_error err;
  aiodb_db *db;

  aiodb_test_open_fails("sqlite://?worker_nice=20", NULL, AIODB_EINVAL, "worker_nice");
  aiodb_test_open_fails("sqlite://?worker_slice_us=100001", NULL, AIODB_EINVAL, "worker_slice_us");
  aiodb_options_init(&o);
  o.worker_nice = 20;
  aiodb_test_open_fails("sqlite://", &o, AIODB_EINVAL, NULL);
#if defined(__linux__)
  {
    sched_seen plain = {0, 0}, seen = {0, 0};
    aiodb_future *f;
    int base = getpriority(PRIO_PROCESS, 0);
    db = aiodb_open("sqlite://?max_size=2&min_size=2", NULL, &err);
    ck_assert_ptr_nonnull(db);
    f = aiodb_test_ok(aiodb_db_run(db, read_sched, &plain));
    aiodb_future_free(f);
    aiodb_db_free(db);
    ck_assert_int_eq(plain.nice, base);

    aiodb_options_init(&o);
    o.worker_slice_us = 300;
    db = aiodb_open("sqlite://?worker_nice=5", &o, &err);
    ck_assert_ptr_nonnull(db);
    f = aiodb_test_ok(aiodb_db_run(db, read_sched, &seen));
    aiodb_future_free(f);
    /* still usable */
    ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 3"), 3);
    aiodb_db_free(db);
    ck_assert_int_eq(seen.nice, base + 5 > 19 ? 19 : base + 5);
    if (kernel_keeps_slice()) ck_assert_uint_eq(seen.slice_ns, 300000);
  }
#endif
  aiodb_test_clean_shutdown();
}
END_TEST

Suite *aiodb_suite_cq(void) {
  return AIODB_SUITE("cq", cq_coalesces_eventfd, cq_coalesces_pipe, cq_coalesces_while_running,
                     cq_dispatch_max_keeps_fd_readable, cq_free_drops_queued_callbacks,
                     cq_null_and_nesting, cq_on_done_cq_routes_per_call, cq_on_done_cq_freed_first,
                     cq_spin_option, cq_worker_sched_options, cq_holds_wakeups_for_runs,
                     cq_held_wakeup_bounded, cq_aspin_rules, cq_adaptive_spin);
}
