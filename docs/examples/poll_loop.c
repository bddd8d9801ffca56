/* poll_loop: a hand-written poll() loop serving two databases through one
 * shared completion queue, with a cancel and a graceful, non-blocking
 * shutdown. The same pattern fits any loop that can watch a file descriptor
 * (epoll, libuv, libevent, GLib's g_unix_fd_add, Qt's QSocketNotifier).
 *
 *   cc -std=c11 poll_loop.c -laiodb -o poll_loop && ./poll_loop */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>

#include "aiodb.h"

static int pending; /* callbacks still to come; touched on this thread only */
static int failed;

static void on_answer(aiodb_future *f, void *ud) {
  const char *what = ud;
  int code = aiodb_future_error(f);

  if (code == 0)
    printf("%-6s -> %" PRId64 "\n", what,
           aiodb_result_int(aiodb_future_result(f), 0, 0));
  else if (code == AIODB_ECANCELED)
    printf("%-6s -> canceled (sqlstate %s)\n", what, aiodb_future_sqlstate(f));
  else {
    printf("%-6s -> %s: %s\n", what, aiodb_err_name(code),
           aiodb_future_errmsg(f));
    failed = 1;
  }
  aiodb_future_free(f);
  pending--;
}

static void on_closed(aiodb_future *f, void *ud) {
  printf("%s closed\n", (const char *)ud);
  aiodb_future_free(f);
  pending--;
}

static void submit(aiodb_db *db, const char *sql, const char *what) {
  aiodb_future *f = aiodb_query(db, sql, NULL, 0);
  if (f == NULL) {
    failed = 1;
    return;
  }
  aiodb_future_on_done(f, on_answer, (void *)what);
  pending++;
}

/* The loop: watch the cq's fd; when it is readable, dispatch. */
static int run(aiodb_cq *cq, aiodb_future *to_cancel) {
  struct pollfd p;
  int n, canceled = 0;

  p.fd = aiodb_cq_fd(cq);
  p.events = POLLIN;
  while (pending > 0) {
    n = poll(&p, 1, 100);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0 && to_cancel != NULL && !canceled) {
      /* Nothing for 100 ms: interrupt the long query. Its callback still
       * runs, once, with AIODB_ECANCELED. */
      aiodb_future_cancel(to_cancel);
      canceled = 1;
    }
    if (n > 0 && aiodb_cq_dispatch(cq, 0) < 0) return -1;
  }
  return 0;
}

int main(void) {
  aiodb_options opts;
  aiodb_error err;
  aiodb_db *a, *b;
  aiodb_cq *cq;
  aiodb_future *slow, *f;

  /* One cq for this thread; both databases report to it. */
  cq = aiodb_cq_new();
  if (cq == NULL) return 1;
  aiodb_options_init(&opts);
  opts.cq = cq;
  a = aiodb_open("sqlite://", &opts, &err);
  b = aiodb_open("sqlite://?max_size=2", &opts, &err);
  if (a == NULL || b == NULL) {
    fprintf(stderr, "open: %s\n", err.message);
    aiodb_db_free(a);
    aiodb_cq_free(cq);
    return 1;
  }

  submit(a, "SELECT 6 * 7", "a");
  submit(b, "SELECT 1 + 1", "b");
  /* Runs until canceled: a recursive CTE without an end. */
  slow = aiodb_query(b,
                     "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL "
                     "SELECT x + 1 FROM c) SELECT count(*) FROM c",
                     NULL, 0);
  if (slow != NULL) {
    aiodb_future_on_done(slow, on_answer, "slow");
    pending++;
  }
  if (run(cq, slow) != 0) failed = 1;

  /* Close both without blocking; their close futures report like any. */
  f = aiodb_close(a);
  aiodb_future_on_done(f, on_closed, "a");
  f = aiodb_close(b);
  aiodb_future_on_done(f, on_closed, "b");
  pending += 2;
  if (run(cq, NULL) != 0) failed = 1;

  /* Every worker has quit: freeing only joins them. The dbs go first, the
   * cq they report to last. */
  aiodb_db_free(a);
  aiodb_db_free(b);
  aiodb_cq_free(cq);
  return failed;
}
