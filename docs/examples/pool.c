/* pool: a pool a server can trust. min_size connections open in the
 * background and stay open; a call that waits too long for a connection
 * fails with AIODB_ETIMEDOUT (acquire_timeout_ms) instead of hanging; a
 * pool whose every connection is pinned says so (AIODB_DIAG_STARVED), and
 * so does a pin held too long (AIODB_DIAG_LEAK, leak_detection_ms);
 * aiodb_db_pool_stats() gives the numbers for metrics.
 *
 *   cc -std=c11 pool.c -laiodb -o pool
 *   ./pool                                 (SQLite in memory)
 *   ./pool postgresql://user:pw@host/db */
#define _POSIX_C_SOURCE 200809L
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "aiodb.h"

static atomic_int starved, leaks;

/* Runs on whichever thread raised it (the deadline thread for a leak). */
static void on_diag(const aiodb_diag *d, void *ud) {
  (void)ud;
  if (d->kind == AIODB_DIAG_STARVED) atomic_fetch_add(&starved, 1);
  if (d->kind == AIODB_DIAG_LEAK) atomic_fetch_add(&leaks, 1);
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void print_stats(const char *when, const aiodb_db *db) {
  aiodb_pool_stats st;
  if (aiodb_db_pool_stats(db, &st) != 0) return;
  printf("%s: %u open (%u idle, %u busy, %u pinned), %u waiting; "
         "%llu created, %llu acquire timeouts, %llu leaks\n",
         when, st.open, st.idle, st.busy, st.pinned, st.waiting,
         (unsigned long long)st.created, (unsigned long long)st.acquire_timeouts,
         (unsigned long long)st.leaks);
}

int main(int argc, char **argv) {
  const char *url = argc > 1 ? argv[1] : "sqlite://";
  aiodb_options o;
  aiodb_error err;
  aiodb_pool_stats st;
  aiodb_future *a, *b, *q;
  aiodb_db *db;
  int i, bad = 0;

  aiodb_set_diag_handler(on_diag, NULL);
  aiodb_options_init(&o);
  o.min_size = 2;
  o.max_size = 2;
  o.acquire_timeout_ms = 300;  /* a waiting call fails after 300 ms */
  o.leak_detection_ms = 200;   /* a pin held 200 ms is reported */
  db = aiodb_open(url, &o, &err);
  if (db == NULL) {
    fprintf(stderr, "open: %s: %s\n", aiodb_err_name(err.code), err.message);
    return 1;
  }
  /* min_size opens in the background: no call needed */
  for (i = 0; i < 1000; i++) {
    if (aiodb_db_pool_stats(db, &st) == 0 && st.open == 2) break;
    sleep_ms(10);
  }
  print_stats("opened", db);

  /* Pin both connections, then ask the pool for a third call. */
  a = aiodb_acquire(db);
  b = aiodb_acquire(db);
  aiodb_future_wait(a, -1);
  aiodb_future_wait(b, -1);
  q = aiodb_query(db, "SELECT 1", NULL, 0);
  aiodb_future_wait(q, -1);
  printf("a query while both are pinned: %s: %s\n",
         aiodb_err_name(aiodb_future_error(q)), aiodb_future_errmsg(q));
  bad |= aiodb_future_error(q) != AIODB_ETIMEDOUT;
  print_stats("meanwhile", db);
  aiodb_future_free(q);
  aiodb_release(aiodb_future_conn(a));
  aiodb_release(aiodb_future_conn(b));
  aiodb_future_free(a);
  aiodb_future_free(b);

  q = aiodb_query(db, "SELECT 1", NULL, 0);
  aiodb_future_wait(q, -1);
  printf("once released: %s\n", aiodb_err_name(aiodb_future_error(q)));
  bad |= aiodb_future_error(q) != 0;
  aiodb_future_free(q);
  printf("diagnostics: %d starved, %d leaks\n", atomic_load(&starved),
         atomic_load(&leaks));
  bad |= atomic_load(&starved) != 1 || atomic_load(&leaks) != 2;
  print_stats("at the end", db);
  aiodb_db_free(db);
  aiodb_set_diag_handler(NULL, NULL);
  return bad;
}
