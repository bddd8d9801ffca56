/* example_epoll: driving aiodb from your own epoll loop.
 *
 *   example_epoll [URL]        (default "sqlite://", an in-memory database)
 *
 * aiodb never runs your code on its own threads. Every connection has a
 * worker thread that makes the blocking driver calls; when a call finishes,
 * its future is queued on a completion queue (aiodb_cq) and the cq's file
 * descriptor becomes readable. Your loop watches that fd like any socket and
 * calls aiodb_cq_dispatch(), which runs the futures' callbacks right there,
 * on your thread. So callbacks need no locks, and they may submit more work
 * or free their own future.
 *
 * This program fills a table, fires 1,000 queries at once, each with a
 * callback that checks its answer, and runs a plain epoll loop until every
 * callback has run. It exits 0 only if each ran exactly once with the right
 * answer.
 *
 * Build: cc -std=c11 -D_GNU_SOURCE epoll.c -laiodb */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "aiodb.h"

#define NQUERIES 1000

/* One per query: what it asked, and what its callback saw. */
typedef struct query {
  int64_t n;
  int calls;  /* how many times the callback ran: must end up 1 */
  int right;  /* the answer was n * n */
} query;

static query queries[NQUERIES];
static int callbacks;  /* only touched on this thread: no atomics needed */
static int closed;

/* Runs inside aiodb_cq_dispatch(), on the loop's thread. */
static void on_square(aiodb_future *f, void *ud) {
  query *q = ud;
  aiodb_result *r;

  q->calls++;
  callbacks++;
  if (aiodb_future_error(f) != 0) {
    fprintf(stderr, "query %" PRId64 ": %s: %s\n", q->n,
            aiodb_err_name(aiodb_future_error(f)), aiodb_future_errmsg(f));
  } else {
    /* The result is borrowed from f: read it before freeing f. */
    r = aiodb_future_result(f);
    q->right = aiodb_result_rows(r) == 1 &&
               aiodb_result_int(r, 0, 0) == q->n * q->n;
  }
  /* The future is ours, and freeing it inside its own callback is fine. */
  aiodb_future_free(f);
}

static void on_closed(aiodb_future *f, void *ud) {
  int *flag = ud;
  *flag = 1;
  aiodb_future_free(f);
}

/* Runs one statement and waits for it: for setup, before the loop runs. */
static int exec_sync(aiodb_db *db, const char *sql) {
  aiodb_error err;
  aiodb_result *r = aiodb_query_sync(db, sql, NULL, 0, &err);
  if (r == NULL) {
    fprintf(stderr, "setup: %s: %s\n", aiodb_err_name(err.code), err.message);
    return -1;
  }
  aiodb_result_free(r);
  return 0;
}

/* Waits on epoll until *count reaches target. The cq's fd is the only one
 * watched here; a real program would have its sockets and timers in the
 * same epoll set. Returns 0, or -1 if the loop failed or stalled. */
static int run_loop(int ep, aiodb_cq *cq, const int *count, int target) {
  struct epoll_event events[16];
  int i, n;

  while (*count < target) {
    n = epoll_wait(ep, events, 16, 10000);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      perror("epoll_wait");
      return -1;
    }
    if (n == 0) {
      fprintf(stderr, "nothing completed in 10 s\n");
      return -1;
    }
    for (i = 0; i < n; i++) {
      /* Level-triggered is right here: dispatch drains the fd, and if more
       * completions arrive meanwhile it simply stays readable. One wake-up
       * can bring many completions: dispatch runs all that are ready. */
      if (events[i].data.ptr == cq && aiodb_cq_dispatch(cq, 0) < 0) {
        fprintf(stderr, "aiodb_cq_dispatch failed\n");
        return -1;
      }
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  const char *url = argc > 1 ? argv[1] : "sqlite://";
  struct epoll_event ev;
  aiodb_error err;
  aiodb_value arg;
  aiodb_future *f;
  aiodb_db *db;
  aiodb_cq *cq;
  uint64_t wakeups;
  int ep, i, ok;

  /* Opening never blocks: the worker connects in the background, and a
   * failure to connect would be the outcome of the first query. */
  db = aiodb_open(url, NULL, &err);
  if (db == NULL) {
    fprintf(stderr, "aiodb_open: %s: %s\n", aiodb_err_name(err.code),
            err.message);
    return 1;
  }

  /* Setup may block: no loop runs yet, so there is nothing to stall. Once
   * this thread dispatches the cq, blocking calls like these raise a
   * BlockingWarning, because they would freeze the loop. */
  if (exec_sync(db, "CREATE TABLE IF NOT EXISTS squares "
                    "(n INTEGER PRIMARY KEY, sq INTEGER NOT NULL)") != 0 ||
      exec_sync(db, "DELETE FROM squares") != 0 ||
      exec_sync(db, "INSERT INTO squares (n, sq) "
                    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL "
                    "SELECT x + 1 FROM c WHERE x < 1000) "
                    "SELECT x, x * x FROM c") != 0) {
    aiodb_db_free(db);
    return 1;
  }

  /* The db made its own cq (aiodb_options.cq can share one between dbs).
   * Its fd is owned by the cq: watch it, never read or close it. */
  cq = aiodb_db_cq(db);
  ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) {
    perror("epoll_create1");
    aiodb_db_free(db);
    return 1;
  }
  ev.events = EPOLLIN;
  ev.data.ptr = cq;
  if (epoll_ctl(ep, EPOLL_CTL_ADD, aiodb_cq_fd(cq), &ev) != 0) {
    perror("epoll_ctl");
    close(ep);
    aiodb_db_free(db);
    return 1;
  }

  /* Fire every query at once. Each call returns at once; the arguments are
   * copied, so arg may change right away. Callbacks cannot run before the
   * loop dispatches, so setting them after submitting is race-free. */
  for (i = 0; i < NQUERIES; i++) {
    queries[i].n = i + 1;
    arg = aiodb_int(queries[i].n);
    f = aiodb_query(db, "SELECT sq FROM squares WHERE n = ?", &arg, 1);
    if (f == NULL) {
      fprintf(stderr, "aiodb_query: out of memory\n");
      break;
    }
    aiodb_future_on_done(f, on_square, &queries[i]);
  }
  ok = i == NQUERIES && run_loop(ep, cq, &callbacks, NQUERIES) == 0;

  /* Graceful close, without blocking either: queued work finishes, the
   * workers quit, and then the close future completes through the cq like
   * any other. */
  f = aiodb_close(db);
  if (f == NULL) {
    ok = 0;
  } else {
    aiodb_future_on_done(f, on_closed, &closed);
    if (run_loop(ep, cq, &closed, 1) != 0) ok = 0;
  }

  /* Stop watching the fd before the cq that owns it goes away with the db.
   * aiodb_db_free() only joins the (already quit) workers now. */
  close(ep);
  aiodb_cq_stats(cq, &wakeups, NULL);
  aiodb_db_free(db);

  for (i = 0; i < NQUERIES; i++) {
    if (queries[i].calls != 1 || !queries[i].right) {
      fprintf(stderr, "query %" PRId64 ": %d callback%s, %s answer\n",
              queries[i].n, queries[i].calls,
              queries[i].calls == 1 ? "" : "s",
              queries[i].right ? "right" : "wrong");
      ok = 0;
    }
  }
  /* wakeups counts writes to the fd: completions that arrive while one is
   * already pending share it, so under load it stays below the number of
   * callbacks. */
  printf("%d queries, %d callbacks, %" PRIu64 " wakeups\n", NQUERIES,
         callbacks, wakeups);
  return ok ? 0 : 1;
}
