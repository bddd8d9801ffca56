/* The poll helpers in a hand-written poll(2) loop: 3,000 queries, every
 * callback on the loop's thread; the loop ends when the test stops watching
 * the cq. */
#include "aiodb/adapters/poll.h"

#include "adapter_common.h"

static int watching = 1;

static void detach(void *ud) {
  (void)ud;
  watching = 0;
}

int main(void) {
  adapter_run run;
  struct pollfd p;
  adapter_start(&run, detach, NULL);
  while (watching) {
    aiodb_poll_fill(&p, aiodb_db_cq(run.db));
    if (poll(&p, 1, 10000) <= 0) {
      fprintf(stderr, "poll: nothing for 10 s\n");
      return 1;
    }
    if (aiodb_poll_ready(&p, aiodb_db_cq(run.db)) < 0) return 1;
  }
  return adapter_finish(&run, "poll");
}
