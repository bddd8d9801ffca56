/* example_glib: aiodb inside a GLib main loop, as in a GTK program.
 *
 *   example_glib [URL]   (a SQLite URL; default "sqlite://", in memory)
 *
 * The adapter (aiodb/adapters/glib.h) is a GSource watching the cq's fd;
 * attached to the default GMainContext, it runs aiodb's callbacks on the
 * thread running the main loop, which in a GTK program is the GUI thread, so
 * callbacks may touch widgets. Here the database is asked for the first
 * twenty Fibonacci numbers, each computed in a slow way (the whole sequence
 * is walked a hundred thousand times over), while a GLib timeout counts how often
 * the loop came round; the callback detaches the source and quits the
 * loop. examples/gtk/ is the same with a window. Exits 0 when the
 * answer is right.
 *
 * Build: cc -std=c11 glib.c -laiodb $(pkg-config --cflags --libs glib-2.0) */
#include <stdio.h>

#include "aiodb/adapters/glib.h"

static GMainLoop *loop;
static GSource *watch;
static unsigned long rounds;
static int ok;

static gboolean count_round(gpointer ud) {
  (void)ud;
  rounds++;
  return G_SOURCE_CONTINUE;
}

static void on_fibonacci(aiodb_future *f, void *ud) {
  aiodb_result *r = aiodb_future_result(f);
  size_t i;
  (void)ud;
  if (aiodb_future_error(f) != 0) {
    fprintf(stderr, "query: %s\n", aiodb_future_errmsg(f));
  } else {
    for (i = 0; i < aiodb_result_rows(r); i++)
      printf("%s%lld", i ? " " : "", (long long)aiodb_result_int(r, i, 1));
    printf("\n");
    ok = aiodb_result_rows(r) == 20 && aiodb_result_int(r, 19, 1) == 6765;
  }
  aiodb_future_free(f);
  aiodb_glib_detach(watch); /* no more callbacks from this loop */
  g_main_loop_quit(loop);
}

int main(int argc, char **argv) {
  aiodb_error err;
  aiodb_db *db = aiodb_open(argc > 1 ? argv[1] : "sqlite://", NULL, &err);
  aiodb_future *f;
  guint counter;

  if (db == NULL) {
    fprintf(stderr, "aiodb_open: %s\n", err.message);
    return 1;
  }
  loop = g_main_loop_new(NULL, FALSE);
  watch = aiodb_glib_attach(aiodb_db_cq(db), NULL); /* the default context */
  counter = g_timeout_add(1, count_round, NULL);
  f = aiodb_query(db,
                  "WITH RECURSIVE fib(n, a, b) AS (SELECT 1, 1, 1 UNION ALL "
                  "SELECT n % 20 + 1, CASE n WHEN 20 THEN 1 ELSE b END, "
                  "CASE n WHEN 20 THEN 1 ELSE a + b END FROM fib "
                  "LIMIT 2000000) "
                  "SELECT DISTINCT n, a FROM fib ORDER BY n",
                  NULL, 0);
  if (watch == NULL || f == NULL) return 1;
  aiodb_future_on_done(f, on_fibonacci, NULL);
  g_main_loop_run(loop);
  g_source_remove(counter);
  printf("the main loop came round %lu times while it waited\n", rounds);
  g_main_loop_unref(loop);
  aiodb_db_free(db);
  return ok ? 0 : 1;
}
