/* The libuv adapter on a real uv loop: 3,000 queries through uv_run, every
 * callback on the loop's thread, and uv_run returns once the adapter is
 * detached (its handle was the loop's only one). */
#include "aiodb/adapters/libuv.h"

#include "adapter_common.h"

static aiodb_uv adapter;
static int closed;

static void on_closed(uv_handle_t *h) {
  (void)h;
  closed = 1;
}

static void detach(void *ud) {
  (void)ud;
  aiodb_uv_detach(&adapter, on_closed);
}

int main(void) {
  uv_loop_t loop;
  adapter_run run;
  int rc;
  uv_loop_init(&loop);
  adapter_start(&run, detach, NULL);
  rc = aiodb_uv_attach(&adapter, &loop, aiodb_db_cq(run.db));
  if (rc != 0) {
    fprintf(stderr, "aiodb_uv_attach: %s\n", uv_strerror(rc));
    return 1;
  }
  uv_run(&loop, UV_RUN_DEFAULT); /* returns when no handle is left */
  if (!closed || uv_loop_close(&loop) != 0) {
    fprintf(stderr, "the loop did not end cleanly\n");
    return 1;
  }
  return adapter_finish(&run, "libuv");
}
