/* A cq per thread: two threads, each running its own loop with its own cq,
 * share one db (a SQLite file, two pooled connections). Each thread submits
 * 3,000 queries tagged with its number, at most 64 in flight, and names its
 * own cq with aiodb_future_on_done_cq(). Checked: every answer, that each
 * callback ran on the thread that submitted it (and never for the other
 * thread's query), that the db's own cq never fired, and that nothing is
 * left after both loops ended and the db is freed.
 *
 * Built twice: with ADAPTER_THREADS_GLIB each thread runs a GMainLoop on its
 * own GMainContext through the GLib adapter (a GTK main thread beside a
 * background thread with its own context); without, each runs a poll(2)
 * loop through the poll helpers. */
#include <string.h>

#ifdef ADAPTER_THREADS_GLIB
#include "aiodb/adapters/glib.h"
#define LOOP_NAME "threads_glib"
#else
#include "aiodb/adapters/poll.h"
#define LOOP_NAME "threads_poll"
#endif

#include "adapter_common.h"

typedef struct loop_thread {
  int tag;
  aiodb_db *db;
  aiodb_cq *cq;
  pthread_t id, self; /* id: main's handle to join; self: set by the thread */
  int submitted, done, right, off_thread, foreign;
#ifdef ADAPTER_THREADS_GLIB
  GMainLoop *loop;
#endif
} loop_thread;

static void submit(loop_thread *t);

static void on_result(aiodb_future *f, void *ud) {
  loop_thread *t = ud;
  aiodb_result *res = aiodb_future_result(f);
  if (!pthread_equal(pthread_self(), t->self)) t->off_thread++;
  if (aiodb_future_error(f) == 0 && aiodb_result_rows(res) == 1) {
    if (aiodb_result_int(res, 0, 0) != t->tag)
      t->foreign++;
    else if (aiodb_result_int(res, 0, 1) == aiodb_result_int(res, 0, 2) * 2)
      t->right++;
  }
  aiodb_future_free(f);
  t->done++;
  if (t->submitted < ADAPTER_TOTAL) submit(t);
#ifdef ADAPTER_THREADS_GLIB
  if (t->done == ADAPTER_TOTAL) g_main_loop_quit(t->loop);
#endif
}

static void submit(loop_thread *t) {
  aiodb_value v[3];
  aiodb_future *f;
  v[0] = aiodb_int(t->tag);
  v[1] = v[2] = aiodb_int(t->submitted++);
  f = aiodb_query(t->db, "SELECT ?, ? * 2, ?", v, 3);
  if (f == NULL) {
    fprintf(stderr, "adapter test: out of memory\n");
    exit(1);
  }
  aiodb_future_on_done_cq(f, t->cq, on_result, t);
}

static void *thread_main(void *arg) {
  loop_thread *t = arg;
  int i;
  t->self = pthread_self();
  t->cq = aiodb_cq_new();
  if (t->cq == NULL) return NULL;
#ifdef ADAPTER_THREADS_GLIB
  {
    GMainContext *ctx = g_main_context_new();
    GSource *src;
    g_main_context_push_thread_default(ctx);
    t->loop = g_main_loop_new(ctx, FALSE);
    src = aiodb_glib_attach(t->cq, ctx);
    for (i = 0; i < ADAPTER_IN_FLIGHT; i++) submit(t);
    g_main_loop_run(t->loop);
    aiodb_glib_detach(src);
    g_main_loop_unref(t->loop);
    g_main_context_pop_thread_default(ctx);
    g_main_context_unref(ctx);
  }
#else
  for (i = 0; i < ADAPTER_IN_FLIGHT; i++) submit(t);
  while (t->done < ADAPTER_TOTAL) {
    struct pollfd p;
    aiodb_poll_fill(&p, t->cq);
    if (poll(&p, 1, 10000) <= 0) {
      fprintf(stderr, "poll: nothing for 10 s\n");
      break;
    }
    if (aiodb_poll_ready(&p, t->cq) < 0) break;
  }
#endif
  aiodb_cq_free(t->cq);
  return NULL;
}

int main(int argc, char **argv) {
  char url[512];
  const char *dir = argc > 1 ? argv[1] : ".";
  loop_thread t[2];
  aiodb_error err;
  aiodb_db *db;
  long live;
  int i, ok = 1;

  snprintf(url, sizeof url, "sqlite:///%s/" LOOP_NAME ".db?max_size=2", dir);
  db = aiodb_open(url, NULL, &err);
  if (db == NULL) {
    fprintf(stderr, "%s: %s\n", url, err.message);
    return 1;
  }
  memset(t, 0, sizeof t);
  for (i = 0; i < 2; i++) {
    t[i].tag = i + 1;
    t[i].db = db;
    if (pthread_create(&t[i].id, NULL, thread_main, &t[i]) != 0) return 1;
  }
  for (i = 0; i < 2; i++) pthread_join(t[i].id, NULL);
  /* Nothing may have gone through the db's own cq. */
  if (aiodb_cq_dispatch(aiodb_db_cq(db), 0) != 0) ok = 0;
  aiodb_db_free(db);
  aiodb__pools_trim();
  live = aiodb__alloc_live();
  for (i = 0; i < 2; i++) {
    printf("%s: thread %d: %d queries, %d right, %d answers of the other "
           "thread, %d callbacks off its thread\n",
           LOOP_NAME, t[i].tag, t[i].done, t[i].right, t[i].foreign,
           t[i].off_thread);
    if (t[i].done != ADAPTER_TOTAL || t[i].right != ADAPTER_TOTAL ||
        t[i].foreign != 0 || t[i].off_thread != 0)
      ok = 0;
  }
  printf("%s: %ld allocations left\n", LOOP_NAME, live);
  return ok && live == 0 ? 0 : 1;
}
