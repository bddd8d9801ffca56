/* Network faults between aiodb and a real server: a delayed link, a lossy
 * link, and a link that goes down mid-query. Run by tests/netfault.sh
 * inside a network namespace of its own, which reaches the throwaway
 * servers of the faults fixtures through a veth pair and a forwarder
 * (tests/netfwd.c); the suite changes the link through the script
 * ($AIODB_NETFAULT_CTL). Run any other way, it skips. Each case prints
 * what it measured ("netfault: ..."). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

/* Generous bounds: CI runs this under sanitizers on a loaded machine. */
#if defined(AIODB_TEST_SANITIZED)
#define SLACK_MS 6000.0
#else
#define SLACK_MS 3000.0
#endif

/* Keepalives and user timeout lowered so that a dead link is found in
 * seconds (the defaults take about two minutes: docs/guide.md). */
#define FAST_DEATH "keepalives_idle=1&keepalives_interval=1&keepalives_count=1&tcp_user_timeout=2000"
#define FAST_DEATH_MS 2000.0

typedef struct server {
  const char *name;  /* "pg" or "mysql" */
  const char *url;   /* through the forwarder as it is */
  const char *slow;  /* through the forwarder's delay line */
  const char *sleep; /* SQL that sleeps 30 s */
  const char *sleep_arg; /* SQL that sleeps ? s, prepared on the server */
} server;

static int get_server(const char *which, server *s) {
  const char *ctl = getenv("AIODB_NETFAULT_CTL");
  int pg = strcmp(which, "pg") == 0;
  s->name = which;
  s->url = getenv(pg ? "AIODB_NETFAULT_PG_URL" : "AIODB_NETFAULT_MY_URL");
  s->slow = getenv(pg ? "AIODB_NETFAULT_PG_SLOW_URL" : "AIODB_NETFAULT_MY_SLOW_URL");
  s->sleep = pg ? "SELECT pg_sleep(30)" : "SELECT SLEEP(30)";
  s->sleep_arg = pg ? "SELECT pg_sleep(?::float8)" : "SELECT SLEEP(?)";
  if (ctl == NULL) {
    fprintf(stderr, "skipped: not run by tests/netfault.sh\n");
    return 0;
  }
  if (s->url == NULL || s->slow == NULL) {
    const char *ci = getenv("CI");
    if (ci != NULL && strcmp(ci, "true") == 0)
      ck_abort_msg("no %s server behind the forwarder under CI", which);
    fprintf(stderr, "skipped: no %s server\n", which);
    return 0;
  }
  return 1;
}

/* Changes the link: "down", "up", "loss 10", "loss 0". */
static void ctl(const char *action) {
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "%s %s", getenv("AIODB_NETFAULT_CTL"), action);
  ck_assert_msg(system(cmd) == 0, "%s failed", cmd);
}

/* Every case starts and ends on a healthy link. */
static void link_healthy(void) {
  ctl("up");
  ctl("loss 0");
}

static int delay_ms(void) {
  const char *d = getenv("AIODB_NETFAULT_DELAY_MS");
  return d ? atoi(d) : 0;
}

/* Opens url with opts, and makes sure it serves. */
static aiodb_db *open_ready(const char *url, const char *opts) {
  aiodb_db *db = aiodb_test_open_with(url, opts);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 1"), 1);
  return db;
}

/* Waits for f (bounded: a hang fails the case) and returns its error. */
static int wait_err(aiodb_future *f, double bound_ms) {
  ck_assert_ptr_nonnull(f);
  ck_assert_msg(aiodb_future_wait(f, (int)bound_ms) == 0, "still not done after %.0f ms",
                bound_ms);
  return aiodb_future_error(f);
}

/* The end of a case whose interrupts went into a dead link: a PostgreSQL
 * cancel or a MySQL kill still on its way when the db was freed finishes
 * on its own, now that the link is back (docs/guide.md, Shutdown); then
 * nothing may be left. */
static void settle_allocs(void) {
  int i;
  aiodb__pools_trim();
  for (i = 0; i < 300 && aiodb__alloc_live() != 0; i++) usleep(100 * 1000);
  aiodb_test_clean_shutdown();
}

/* A statement's deadline over a link that delays every byte: a queued
 * statement is dropped when its deadline passes, a running one is stopped
 * by an interrupt that itself crosses the slow link, and the connection
 * serves on. */
static void deadline_on_slow_link(const server *s) {
  aiodb_db *db;
  aiodb_future *run, *queued;
  double t0, late_q, late_r;
  db = open_ready(s->slow, "max_size=1");
  t0 = aiodb_test_now_ms();
  run = aiodb_query(db, s->sleep, NULL, 0);
  ck_assert_int_eq(aiodb_future_set_timeout(run, 500), 0);
  queued = aiodb_query(db, "SELECT 2", NULL, 0);
  ck_assert_int_eq(aiodb_future_set_timeout(queued, 200), 0);
  ck_assert_int_eq(wait_err(queued, 10000), AIODB_ETIMEDOUT);
  late_q = aiodb_test_now_ms() - t0 - 200;
  ck_assert_int_eq(wait_err(run, 30000), AIODB_ETIMEDOUT);
  late_r = aiodb_test_now_ms() - t0 - 500;
  fprintf(stderr,
          "netfault: %s: deadlines over a link of %d ms each way: a queued statement "
          "completed %.0f ms after its deadline, a running one %.0f ms after\n",
          s->name, delay_ms(), late_q, late_r);
  ck_assert_double_lt(late_q, SLACK_MS);
  ck_assert_double_lt(late_r, 10.0 * delay_ms() + SLACK_MS);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 3"), 3);
  aiodb_future_free(run);
  aiodb_future_free(queued);

  /* A deadline shorter than a round trip, on a statement the server has
   * not prepared yet: the interrupt reaches the server while it waits
   * between the prepare and the execution, and stops nothing. It must be
   * sent again, so that the statement still ends near its deadline. */
  {
    aiodb_value v = aiodb_int(30);
    double late;
    t0 = aiodb_test_now_ms();
    run = aiodb_query(db, s->sleep_arg, &v, 1);
    ck_assert_int_eq(aiodb_future_set_timeout(run, delay_ms()), 0);
    ck_assert_int_eq(wait_err(run, 20000), AIODB_ETIMEDOUT);
    late = aiodb_test_now_ms() - t0 - delay_ms();
    fprintf(stderr,
            "netfault: %s: a deadline of %d ms, which the interrupt reached before the "
            "statement did: completed %.0f ms after it\n",
            s->name, delay_ms(), late);
    ck_assert_double_lt(late, 1000.0 + 10.0 * delay_ms() + SLACK_MS);
    aiodb_future_free(run);
    ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 4"), 4);
  }
  aiodb_test_done(db);
}

/* 10 % of the packets each way lost: every statement still gets its
 * right answer (TCP retransmits), and a deadline still stops one. */
static void lossy_link(const server *s) {
  aiodb_db *db;
  aiodb_future *run, *f[40];
  double t0, took, late;
  int i;
  db = open_ready(s->url, "max_size=2");
  ctl("loss 10");
  t0 = aiodb_test_now_ms();
  for (i = 0; i < 40; i++) {
    aiodb_value v = aiodb_int(i);
    f[i] = aiodb_query(db, "SELECT ? + 1", &v, 1);
  }
  for (i = 0; i < 40; i++) {
    ck_assert_msg(wait_err(f[i], 60000) == 0, "%s", aiodb_future_errmsg(f[i]));
    ck_assert_int_eq(aiodb_result_int(aiodb_future_result(f[i]), 0, 0), i + 1);
    aiodb_future_free(f[i]);
  }
  took = aiodb_test_now_ms() - t0;
  t0 = aiodb_test_now_ms();
  run = aiodb_query(db, s->sleep, NULL, 0);
  ck_assert_int_eq(aiodb_future_set_timeout(run, 500), 0);
  ck_assert_int_eq(wait_err(run, 60000), AIODB_ETIMEDOUT);
  late = aiodb_test_now_ms() - t0 - 500;
  fprintf(stderr,
          "netfault: %s: 10%% loss each way: 40 statements answered right in %.0f ms; "
          "a running statement completed %.0f ms after its deadline\n",
          s->name, took, late);
  /* a lost SYN of the interrupt's connection costs 1 s, then 2 s more */
  ck_assert_double_lt(late, 7000.0 + SLACK_MS);
  ctl("loss 0");
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 4"), 4);
  aiodb_future_free(run);
  aiodb_test_done(db);
}

/* A connect into a link that is down: connect_timeout ends it with
 * AIODB_ECONNECT, and once the link is back the db connects. */
static void connect_timeout(const server *s) {
  aiodb_db *db;
  aiodb_future *f;
  double t0, took;
  ctl("down");
  db = aiodb_test_open_with(s->url, "connect_timeout=2");
  t0 = aiodb_test_now_ms();
  f = aiodb_query(db, "SELECT 1", NULL, 0);
  ck_assert_int_eq(wait_err(f, 30000), AIODB_ECONNECT);
  took = aiodb_test_now_ms() - t0;
  fprintf(stderr, "netfault: %s: connect_timeout=2 into a dead link: AIODB_ECONNECT after %.0f ms (%s)\n",
          s->name, took, aiodb_future_errmsg(f));
  ck_assert_double_ge(took, 1500.0);
  ck_assert_double_lt(took, 2000.0 + SLACK_MS);
  aiodb_future_free(f);
  ctl("up");
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT 5"), 5);
  aiodb_test_done(db);
}

/* The link goes down under a running statement (nothing in flight: the
 * keepalives find it) and under one just sent (unacknowledged data:
 * tcp_user_timeout finds it): each fails with AIODB_ECONNLOST within the
 * bound the URL sets, and once the link is back a fresh connection
 * serves. */
static void dead_link(const server *s) {
  aiodb_db *db;
  aiodb_future *f;
  double t0, idle_ms, sent_ms;
  db = open_ready(s->url, "max_size=1&" FAST_DEATH);

  f = aiodb_query(db, s->sleep, NULL, 0);
  ck_assert_int_eq(aiodb_future_wait(f, 300), AIODB_ETIMEDOUT); /* it runs */
  ctl("down");
  t0 = aiodb_test_now_ms();
  ck_assert_int_eq(wait_err(f, 30000), AIODB_ECONNLOST);
  idle_ms = aiodb_test_now_ms() - t0;
  aiodb_future_free(f);
  ctl("up");
  ck_assert_int_eq(aiodb_test_scalar_after_restart(db, "SELECT 6"), 6);

  ctl("down");
  t0 = aiodb_test_now_ms();
  f = aiodb_query(db, "SELECT 7", NULL, 0);
  ck_assert_int_eq(wait_err(f, 30000), AIODB_ECONNLOST);
  sent_ms = aiodb_test_now_ms() - t0;
  aiodb_future_free(f);
  ctl("up");
  ck_assert_int_eq(aiodb_test_scalar_after_restart(db, "SELECT 8"), 8);

  fprintf(stderr,
          "netfault: %s: link down (keepalives 1+1x1 s, tcp_user_timeout 2 s): a running "
          "statement failed after %.0f ms, one sent into the dead link after %.0f ms\n",
          s->name, idle_ms, sent_ms);
  ck_assert_double_lt(idle_ms, FAST_DEATH_MS + SLACK_MS);
  ck_assert_double_lt(sent_ms, FAST_DEATH_MS + SLACK_MS);
  aiodb_test_done(db);
}

/* A running statement whose deadline passes after the link went down:
 * the interrupt cannot reach the server. With the keepalives lowered
 * (fast), they end the connection first; with the defaults (minutes), the
 * connection is given up a few seconds after the deadline. Either way the
 * future completes with AIODB_ETIMEDOUT in a few seconds, and the dead
 * connection is replaced: once the link is back, the next statement runs
 * on a fresh one. */
static void deadline_on_dead_link(const server *s, int fast) {
  aiodb_db *db;
  aiodb_future *f;
  double t0, took;
  int code;
  db = open_ready(s->url, fast ? "max_size=1&" FAST_DEATH : "max_size=1");
  t0 = aiodb_test_now_ms();
  f = aiodb_query(db, s->sleep, NULL, 0);
  ck_assert_int_eq(aiodb_future_set_timeout(f, 1000), 0);
  ck_assert_int_eq(aiodb_future_wait(f, 300), AIODB_ETIMEDOUT);
  ctl("down");
  code = wait_err(f, 20000);
  took = aiodb_test_now_ms() - t0;
  fprintf(stderr,
          "netfault: %s: deadline of 1000 ms on a statement whose link died (%s keepalives): "
          "%s after %.0f ms (%s)\n",
          s->name, fast ? "fast" : "default", aiodb_err_name(code), took, aiodb_future_errmsg(f));
  ck_assert_int_eq(code, AIODB_ETIMEDOUT);
  ck_assert_double_lt(took, 1000.0 + 3000.0 + SLACK_MS);
  aiodb_future_free(f);
  ctl("up");
  /* the connection died under the deadline: it must not serve again */
  f = aiodb_query(db, "SELECT 9", NULL, 0);
  ck_assert_msg(wait_err(f, 30000) == 0, "%s: %s", aiodb_err_name(aiodb_future_error(f)),
                aiodb_future_errmsg(f));
  ck_assert_int_eq(aiodb_result_int(aiodb_future_result(f), 0, 0), 9);
  aiodb_future_free(f);
  aiodb_db_free(db);
  settle_allocs();
}

/* aiodb_db_free with statements stuck on a dead link, one of them past
 * its deadline (its interrupt stuck too), with the default keepalives
 * (minutes): close_timeout_ms bounds it, and every future completes. */
static void free_on_dead_link(const server *s) {
  aiodb_db *db;
  aiodb_future *a, *b;
  double t0, took;
  db = open_ready(s->url, "max_size=2&min_size=2&close_timeout_ms=1000");
  a = aiodb_query(db, s->sleep, NULL, 0);
  b = aiodb_query(db, s->sleep, NULL, 0);
  ck_assert_int_eq(aiodb_future_wait(b, 300), AIODB_ETIMEDOUT);
  ctl("down");
  ck_assert_int_eq(aiodb_future_set_timeout(b, 100), 0);
  usleep(500 * 1000); /* the interrupt is on its way, into the dead link */
  t0 = aiodb_test_now_ms();
  aiodb_db_free(db);
  took = aiodb_test_now_ms() - t0;
  ck_assert_int_eq(aiodb_future_done(a), 1);
  ck_assert_int_eq(aiodb_future_done(b), 1);
  fprintf(stderr,
          "netfault: %s: aiodb_db_free with close_timeout_ms=1000 and two statements on a "
          "dead link returned after %.0f ms (%s, %s)\n",
          s->name, took, aiodb_err_name(aiodb_future_error(a)), aiodb_err_name(aiodb_future_error(b)));
  ck_assert_int_eq(aiodb_future_error(a), AIODB_ECONNLOST);
  ck_assert_int_ne(aiodb_future_error(b), 0);
  ck_assert_double_lt(took, 2 * 1000.0 + SLACK_MS);
  aiodb_future_free(a);
  aiodb_future_free(b);
  ctl("up");
  settle_allocs();
}

/* ---- a pool under load while the link goes down and comes back ---- */

#define POOL_INFLIGHT 32

typedef struct load load;
typedef struct slot {
  load *l;
  aiodb_future *f;
  double submitted;
  int calls; /* callbacks seen for the current future */
} slot;

struct load {
  aiodb_db *db;
  slot slots[POOL_INFLIGHT];
  int running, submitting;
  long done, ok, failed, twice;
  double t_up, first_ok_after_up, worst_ms;
  long ok_after_up;
};

static void on_done(aiodb_future *f, void *ud);

static void submit(slot *s) {
  s->f = aiodb_query(s->l->db, "SELECT 1", NULL, 0);
  ck_assert_ptr_nonnull(s->f);
  s->submitted = aiodb_test_now_ms();
  s->calls = 0;
  s->l->running++;
  aiodb_future_on_done(s->f, on_done, s);
}

static void on_done(aiodb_future *f, void *ud) {
  slot *s = ud;
  load *l = s->l;
  double now = aiodb_test_now_ms();
  if (++s->calls != 1 || f != s->f) l->twice++;
  l->running--;
  l->done++;
  if (now - s->submitted > l->worst_ms) l->worst_ms = now - s->submitted;
  if (aiodb_future_error(f) == 0) {
    l->ok++;
    if (l->t_up > 0 && s->submitted >= l->t_up) {
      if (l->ok_after_up++ == 0) l->first_ok_after_up = now;
    }
  } else {
    l->failed++;
  }
  aiodb_future_free(f);
  s->f = NULL;
  if (l->submitting) submit(s);
}

/* Runs the loop for ms. */
static void pump(load *l, double ms) {
  double end = aiodb_test_now_ms() + ms;
  while (aiodb_test_now_ms() < end) aiodb_cq_run_once(aiodb_db_cq(l->db), 50);
}

static void pool_through_outage(const server *s) {
  load l;
  double t_down, bound;
  int i;
  memset(&l, 0, sizeof l);
  l.db = open_ready(s->url, "max_size=4&connect_timeout=2&" FAST_DEATH);
  l.submitting = 1;
  for (i = 0; i < POOL_INFLIGHT; i++) {
    l.slots[i].l = &l;
    submit(&l.slots[i]);
  }
  pump(&l, 1000);
  ck_assert_int_gt(l.ok, 0);
  ctl("down");
  t_down = aiodb_test_now_ms();
  pump(&l, 3000);
  ctl("up");
  l.t_up = aiodb_test_now_ms();
  /* until 100 statements submitted after the link came back succeeded */
  while (l.ok_after_up < 100 && aiodb_test_now_ms() - l.t_up < 30000) pump(&l, 50);
  l.submitting = 0;
  bound = aiodb_test_now_ms() + 30000;
  while (l.running > 0 && aiodb_test_now_ms() < bound) aiodb_cq_run_once(aiodb_db_cq(l.db), 50);
  fprintf(stderr,
          "netfault: %s: %d statements in flight on a pool of 4, link down for 3 s: %ld "
          "completed (%ld failed), slowest %.0f ms; first success %.0f ms after the link "
          "came back (%.0f ms after it went down)\n",
          s->name, POOL_INFLIGHT, l.done, l.failed, l.worst_ms, l.first_ok_after_up - l.t_up,
          l.t_up - t_down);
  ck_assert_int_eq(l.running, 0);
  ck_assert_int_eq(l.twice, 0);
  ck_assert_int_ge(l.ok_after_up, 100);
  ck_assert_int_gt(l.failed, 0);
  ck_assert_double_lt(l.worst_ms, 3000.0 + FAST_DEATH_MS + 2 * SLACK_MS);
  aiodb_db_free(l.db);
  aiodb_test_clean_shutdown();
}

static void deadline_on_dead_link_default(const server *s) { deadline_on_dead_link(s, 0); }
static void deadline_on_dead_link_fast(const server *s) { deadline_on_dead_link(s, 1); }

/* Every case, on each server: a case of its own (named by tcase), which
 * starts on a healthy link. */
static const struct nf_case {
  const char *tcase;
  const char *which; /* "pg" or "mysql" */
  void (*run)(const server *s);
} nf_cases[] = {
    {"nf_pg_deadline_slow_link", "pg", deadline_on_slow_link},
    {"nf_my_deadline_slow_link", "mysql", deadline_on_slow_link},
    {"nf_pg_lossy_link", "pg", lossy_link},
    {"nf_my_lossy_link", "mysql", lossy_link},
    {"nf_pg_connect_timeout", "pg", connect_timeout},
    {"nf_my_connect_timeout", "mysql", connect_timeout},
    {"nf_pg_dead_link", "pg", dead_link},
    {"nf_my_dead_link", "mysql", dead_link},
    {"nf_pg_deadline_dead_link", "pg", deadline_on_dead_link_default},
    {"nf_my_deadline_dead_link", "mysql", deadline_on_dead_link_default},
    {"nf_pg_deadline_keepalive", "pg", deadline_on_dead_link_fast},
    {"nf_my_deadline_keepalive", "mysql", deadline_on_dead_link_fast},
    {"nf_pg_free_dead_link", "pg", free_on_dead_link},
    {"nf_my_free_dead_link", "mysql", free_on_dead_link},
    {"nf_pg_pool_outage", "pg", pool_through_outage},
    {"nf_my_pool_outage", "mysql", pool_through_outage},
};

START_TEST(nf_case) {
  server s;
  if (!get_server(nf_cases[_i].which, &s)) return;
  link_healthy();
  nf_cases[_i].run(&s);
}
END_TEST

Suite *aiodb_suite_netfault(void) {
  Suite *s = suite_create("netfault");
  int i;
  for (i = 0; i < (int)(sizeof nf_cases / sizeof nf_cases[0]); i++)
    AIODB_TCASE_ROW(s, nf_cases[i].tcase, nf_case, i, AIODB_TEST_TIMEOUT);
  return s;
}
