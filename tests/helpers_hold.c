/* Holds on a call: a shimmed client library call, or a worker in a gate. */
#include "helpers.h"

#include <stdio.h>
#include <errno.h>
#include <stdint.h>
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
  h->calls++;
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

int aiodb_test_hold_count(aiodb_test_hold *h) {
  int n;
  pthread_mutex_lock(&h->m);
  n = h->calls;
  pthread_mutex_unlock(&h->m);
  return n;
}

void aiodb_test_interrupt_in_flight(aiodb_db *db, const char *slow,
                                    aiodb_test_hold *shim) {
  aiodb_future *f;
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 1"), 1);
  aiodb_test_hold_calls(shim, 30000);
  f = aiodb_query(db, slow, NULL, 0);
  ck_assert_int_eq(aiodb_future_wait(f, 300), AIODB_ETIMEDOUT); /* running */
  ck_assert_int_eq(aiodb_future_cancel(f), 0);
  /* the core interrupts again at 1 s and 2 s (and gives the connection up
   * at 3 s) */
  usleep(2200 * 1000);
  ck_assert_int_eq(aiodb_test_hold_count(shim), 1);
  aiodb_test_hold_release(shim);
  ck_assert_int_eq(aiodb_test_err(f), AIODB_ECANCELED);
  aiodb_future_free(f);
  usleep(200 * 1000);
  ck_assert_int_eq(aiodb_test_hold_count(shim), 1); /* none was queued behind it */
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 7"), 7);
}
void aiodb_test_many_undo_after_interrupt(aiodb_db *db, aiodb_test_hold *shim) {
  aiodb_value unused = aiodb_int(0);
  aiodb_future *f;
  int tries, sent = 0;
  double t0;

  aiodb_test_exec(db, "CREATE TEMPORARY TABLE aiodb_undo (n INT)");
  /* The batch may see its cancel between rows and end before the
   * interrupt call is made (then none is): tried until one is. */
  for (tries = 0; tries < 10 && !sent; tries++) {
    aiodb_test_hold_calls(shim, 30000);
    f = aiodb_query_many(db, "UPDATE aiodb_undo SET n = n + 1 WHERE n < 0", &unused,
                         SIZE_MAX, 0);
    ck_assert_int_eq(aiodb_future_wait(f, 100), AIODB_ETIMEDOUT); /* running */
    ck_assert_int_eq(aiodb_future_cancel(f), 0);
    t0 = aiodb_test_now_ms();
    while (aiodb_test_hold_count(shim) == 0 && !aiodb_future_done(f) &&
           aiodb_test_now_ms() - t0 < 2000)
      usleep(1000);
    sent = aiodb_test_hold_count(shim) > 0;
    if (sent) {
      usleep(500 * 1000);
      ck_assert_msg(!aiodb_future_done(f), "the batch was undone with its cancel on the way");
    }
    aiodb_test_hold_release(shim);
    ck_assert_int_eq(aiodb_test_err(f), AIODB_ECANCELED);
    aiodb_future_free(f);
  }
  ck_assert_msg(sent, "no interrupt call was made in %d tries", tries);
  /* not left in a transaction: rows a batch adds are there after it */
  f = aiodb_test_ok(aiodb_query_many(db, "INSERT INTO aiodb_undo (n) VALUES (?)", &unused, 1, 1));
  aiodb_future_free(f);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT count(*) FROM aiodb_undo"), 1);
  aiodb_test_exec(db, "DROP TABLE aiodb_undo");
}

void aiodb_test_cursor_close_held(aiodb_db *db, const char *endless,
                                  aiodb_test_hold *shim) {
  aiodb_cursor *c;
  aiodb_future *f;
  double t0, ms;
  int rc, tries = 0;
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 1"), 1);
  c = aiodb_iterate(db, endless, NULL, 0, 10);
  ck_assert_uint_eq(aiodb_test_next_rows(c, NULL), 10);
  aiodb_test_hold_calls(shim, 30000);
  t0 = aiodb_test_now_ms();
  aiodb_cursor_free(c);
  /* the connection was given up: at most one call finds it broken */
  do {
    f = aiodb_query(db, "SELECT 7", NULL, 0);
    rc = aiodb_test_err(f);
    ck_assert_msg(rc == 0 || rc == AIODB_ECONNLOST, "%s: %s", aiodb_err_name(rc),
                  aiodb_future_errmsg(f));
    if (rc == 0) ck_assert_int_eq(aiodb_result_int(aiodb_future_result(f), 0, 0), 7);
    aiodb_future_free(f);
  } while (rc != 0 && ++tries < 2);
  ck_assert_int_eq(rc, 0);
  ms = aiodb_test_now_ms() - t0;
  fprintf(stderr, "%s: closing a cursor, its interrupt held, took %.0f ms\n",
          aiodb_db_driver(db), ms);
  ck_assert_msg(ms < 8000, "the connection was back after %.0f ms", ms);
  ck_assert_int_eq(aiodb_test_hold_count(shim), 1);
  aiodb_test_hold_release(shim);
}
