/* The GLib adapter on a real GMainLoop: 3,000 queries dispatched by the
 * loop's source, every callback on the loop's thread; the loop quits after
 * the source is detached, and the context is left with no source of ours. */
#include "aiodb/adapters/glib.h"

#include "adapter_common.h"

static GSource *source;
static GMainLoop *loop;

static void detach(void *ud) {
  (void)ud;
  aiodb_glib_detach(source);
  source = NULL;
  g_main_loop_quit(loop);
}

int main(void) {
  GMainContext *ctx = g_main_context_new();
  adapter_run run;
  int leftover;
  loop = g_main_loop_new(ctx, FALSE);
  adapter_start(&run, detach, NULL);
  source = aiodb_glib_attach(aiodb_db_cq(run.db), ctx);
  if (source == NULL) return 1;
  g_main_loop_run(loop);
  leftover = g_main_context_find_source_by_funcs_user_data(ctx, &aiodb_glib__funcs, NULL) != NULL;
  g_main_loop_unref(loop);
  g_main_context_unref(ctx);
  if (leftover) {
    fprintf(stderr, "the source is still attached\n");
    return 1;
  }
  return adapter_finish(&run, "glib");
}
