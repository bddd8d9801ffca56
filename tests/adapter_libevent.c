/* The libevent adapter on a real event_base: 3,000 queries through
 * event_base_dispatch, every callback on the loop's thread, and the
 * dispatch returns once the adapter is detached (its event was the only
 * one). */
#include "aiodb/adapters/libevent.h"

#include "adapter_common.h"

static aiodb_event adapter;

static void detach(void *ud) {
  (void)ud;
  aiodb_event_detach(&adapter);
}

int main(void) {
  struct event_base *base = event_base_new();
  adapter_run run;
  if (base == NULL) return 1;
  adapter_start(&run, detach, NULL);
  if (aiodb_event_attach(&adapter, base, aiodb_db_cq(run.db)) != 0) {
    fprintf(stderr, "aiodb_event_attach failed\n");
    return 1;
  }
  if (event_base_dispatch(base) != 1) { /* 1: no events were left */
    fprintf(stderr, "the loop did not end cleanly\n");
    return 1;
  }
  event_base_free(base);
  return adapter_finish(&run, "libevent");
}
