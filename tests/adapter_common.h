/* What every adapter test shares: 3,000 queries through one loop, at most
 * 64 in flight, each callback checking its answer and that it runs on the
 * loop's thread, then the caller's detach, then a clean shutdown. The
 * adapter test supplies the loop; these are plain programs (exit 0 or 1). */
#ifndef AIODB_TEST_ADAPTER_COMMON_H
#define AIODB_TEST_ADAPTER_COMMON_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "aiodb.h"

#define ADAPTER_TOTAL 3000
#define ADAPTER_IN_FLIGHT 64

long aiodb__alloc_live(void);
void aiodb__pools_trim(void);

typedef struct adapter_run {
  aiodb_db *db;
  pthread_t loop_thread;
  int submitted, done, right, off_thread;
  void (*all_done)(void *ud); /* the test's detach */
  void *ud;
} adapter_run;

static inline void adapter_submit(adapter_run *r);

static inline void adapter_on_result(aiodb_future *f, void *ud) {
  adapter_run *r = (adapter_run *)ud;
  aiodb_result *res = aiodb_future_result(f);
  if (!pthread_equal(pthread_self(), r->loop_thread)) r->off_thread++;
  if (aiodb_future_error(f) == 0 && aiodb_result_rows(res) == 1 &&
      aiodb_result_int(res, 0, 0) == aiodb_result_int(res, 0, 1) * 2 &&
      aiodb_result_int(res, 0, 1) < ADAPTER_TOTAL)
    r->right++;
  aiodb_future_free(f);
  r->done++;
  if (r->submitted < ADAPTER_TOTAL) adapter_submit(r); /* from the callback */
  if (r->done == ADAPTER_TOTAL) r->all_done(r->ud);
}

static inline void adapter_submit(adapter_run *r) {
  aiodb_value v[2];
  aiodb_future *f;
  v[0] = v[1] = aiodb_int(r->submitted++);
  f = aiodb_query(r->db, "SELECT ? * 2, ?", v, 2);
  if (f == NULL) {
    fprintf(stderr, "adapter test: out of memory\n");
    exit(1);
  }
  aiodb_future_on_done(f, adapter_on_result, r);
}

/* Opens an in-memory database and submits the first queries; the rest are
 * submitted from callbacks. Call on the loop's thread. */
static inline void adapter_start(adapter_run *r, void (*all_done)(void *), void *ud) {
  aiodb_error err;
  int i;
  r->db = aiodb_open("sqlite://?max_size=2", NULL, &err);
  if (r->db == NULL) {
    fprintf(stderr, "adapter test: %s\n", err.message);
    exit(1);
  }
  r->loop_thread = pthread_self();
  r->submitted = r->done = r->right = r->off_thread = 0;
  r->all_done = all_done;
  r->ud = ud;
  for (i = 0; i < ADAPTER_IN_FLIGHT; i++) adapter_submit(r);
}

/* After the loop returned: checks every count and that nothing is left.
 * Returns the exit status. */
static inline int adapter_finish(adapter_run *r, const char *name) {
  int ok = r->done == ADAPTER_TOTAL && r->right == ADAPTER_TOTAL && r->off_thread == 0;
  long live;
  aiodb_db_free(r->db);
  aiodb__pools_trim();
  live = aiodb__alloc_live();
  printf("%s: %d queries, %d right, %d callbacks off the loop's thread, %ld "
         "allocations left\n",
         name, r->done, r->right, r->off_thread, live);
  return ok && live == 0 ? 0 : 1;
}

#endif
