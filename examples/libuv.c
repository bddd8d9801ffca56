/* example_libuv: aiodb inside a libuv loop.
 *
 *   example_libuv [URL]   (a SQLite URL; default "sqlite://", in memory)
 *
 * The adapter (aiodb/adapters/libuv.h) watches the cq's fd with a uv_poll_t;
 * uv_run() then runs aiodb's callbacks on the loop's thread, among the
 * loop's other handles. Here the database computes ten squares and one
 * slow sum (1 + 2 + ... + 3,000,000, counted row by row) while a repeating
 * uv_timer ticks every millisecond, to show that the loop never waits for
 * it. When the last answer is in, the program detaches (closing the
 * uv_poll_t) and stops the timer, so uv_run() returns by itself. Exits 0
 * when all eleven answers are right.
 *
 * Build: cc -std=c11 -D_GNU_SOURCE libuv.c -laiodb -luv */
#include <stdio.h>

#include "aiodb/adapters/libuv.h"

#define N 10
#define SUM_TO 3000000

static aiodb_uv watch;
static uv_timer_t ticker;
static int answered, right;
static unsigned long ticks;

static void on_tick(uv_timer_t *t) {
  (void)t;
  ticks++;
}

/* ud: the number squared, or 0 for the sum. */
static void on_answer(aiodb_future *f, void *ud) {
  long long n = (long long)(intptr_t)ud;
  long long got = (long long)aiodb_result_int(aiodb_future_result(f), 0, 0);
  if (aiodb_future_error(f) != 0) {
    fprintf(stderr, "query: %s\n", aiodb_future_errmsg(f));
  } else if (n > 0) {
    printf("%lld squared is %lld\n", n, got);
    right += got == n * n;
  } else {
    printf("1 + ... + %d is %lld (%lu ticks so far)\n", SUM_TO, got, ticks);
    right += got == (long long)SUM_TO * (SUM_TO + 1) / 2;
  }
  aiodb_future_free(f);
  if (++answered == N + 1) { /* the last one: let uv_run() end */
    aiodb_uv_detach(&watch, NULL);
    uv_timer_stop(&ticker);
    uv_close((uv_handle_t *)&ticker, NULL);
  }
}

int main(int argc, char **argv) {
  uv_loop_t *loop = uv_default_loop();
  aiodb_error err;
  aiodb_db *db = aiodb_open(argc > 1 ? argv[1] : "sqlite://", NULL, &err);
  aiodb_value to = aiodb_int(SUM_TO);
  aiodb_future *sum;
  long i;

  if (db == NULL) {
    fprintf(stderr, "aiodb_open: %s\n", err.message);
    return 1;
  }
  if (aiodb_uv_attach(&watch, loop, aiodb_db_cq(db)) != 0) return 1;
  uv_timer_init(loop, &ticker);
  uv_timer_start(&ticker, on_tick, 1, 1);
  sum = aiodb_query(db,
                    "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
                    "FROM c WHERE i < ?) SELECT sum(i) FROM c",
                    &to, 1);
  if (sum == NULL) return 1;
  aiodb_future_on_done(sum, on_answer, (void *)0);
  for (i = 1; i <= N; i++) {
    aiodb_value v[2] = {aiodb_int(i), aiodb_int(i)};
    aiodb_future *f = aiodb_query(db, "SELECT ? * ?", v, 2);
    if (f == NULL) return 1;
    aiodb_future_on_done(f, on_answer, (void *)(intptr_t)i);
  }
  uv_run(loop, UV_RUN_DEFAULT); /* returns once nothing is left to watch */
  printf("%d of %d right; the timer ticked %lu times meanwhile\n", right,
         N + 1, ticks);
  uv_loop_close(loop);
  aiodb_db_free(db);
  return right == N + 1 ? 0 : 1;
}
