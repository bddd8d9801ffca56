/* Holds on a call: a shimmed client library call, or a worker in a gate. */
#include "helpers.h"

#include <errno.h>
#include <time.h>
#include <unistd.h>

void aiodb_test_hold_calls(aiodb_test_hold *h, long ms) {
  pthread_mutex_lock(&h->m);
  h->hold = 1;
  h->hold_ms = ms;
  pthread_mutex_unlock(&h->m);
}

void aiodb_test_hold_release(aiodb_test_hold *h) {
  pthread_mutex_lock(&h->m);
  h->hold = 0;
  pthread_cond_broadcast(&h->c);
  pthread_mutex_unlock(&h->m);
}

void aiodb_test_hold_point(aiodb_test_hold *h) {
  struct timespec until;
  int rc = 0;
  pthread_mutex_lock(&h->m);
  if (h->hold) {
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += h->hold_ms / 1000;
    until.tv_nsec += (h->hold_ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000;
    }
    h->entered++;
    pthread_cond_broadcast(&h->c);
  }
  while (h->hold && rc != ETIMEDOUT)
    rc = h->hold_ms < 0 ? pthread_cond_wait(&h->c, &h->m)
                        : pthread_cond_timedwait(&h->c, &h->m, &until);
  pthread_mutex_unlock(&h->m);
}

int aiodb_test_hold_wait_entered(aiodb_test_hold *h, int n) {
  double until = aiodb_test_now_ms() + 2000;
  int got;
  pthread_mutex_lock(&h->m);
  while (h->entered < n && aiodb_test_now_ms() < until) {
    pthread_mutex_unlock(&h->m);
    usleep(1000);
    pthread_mutex_lock(&h->m);
  }
  got = h->entered;
  pthread_mutex_unlock(&h->m);
  return got;
}

void aiodb_test_gate_init(aiodb_test_gate *g) {
  pthread_mutex_init(&g->m, NULL);
  pthread_cond_init(&g->c, NULL);
  g->hold = 1;
  g->hold_ms = -1;
  g->entered = 0;
}

int aiodb_test_gate_fn(void *native, void *ud) {
  (void)native;
  aiodb_test_hold_point(ud);
  return 7;
}

void aiodb_test_gate_wait_entered(aiodb_test_gate *g) {
  pthread_mutex_lock(&g->m);
  while (!g->entered) pthread_cond_wait(&g->c, &g->m);
  pthread_mutex_unlock(&g->m);
}

aiodb_future *aiodb_test_gate_hold(aiodb_db *db, aiodb_test_gate *g) {
  aiodb_future *run;
  aiodb_test_gate_init(g);
  run = aiodb_db_run(db, aiodb_test_gate_fn, g);
  aiodb_test_gate_wait_entered(g);
  return run;
}

void aiodb_test_gate_open(aiodb_test_gate *g) { aiodb_test_hold_release(g); }

void aiodb_test_gate_destroy(aiodb_test_gate *g) {
  pthread_mutex_destroy(&g->m);
  pthread_cond_destroy(&g->c);
}
