/* The library's one clock: CLOCK_MONOTONIC in nanoseconds, for deadlines
 * (lib/timer.c), the pool's timings and the trace's. */
#ifndef AIODB_CLOCK_H
#define AIODB_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t aiodb__now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#endif
