/* What the fuzz targets share: the entry point and an invariant check that
 * aborts (libFuzzer then saves the input; the replay runner names it). */
#ifndef AIODB_FUZZ_H
#define AIODB_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* lib/alloc.c and lib/future.c: aiodb's live allocations, and the pools of
 * freed futures and results given back (so that the count reaches 0). */
long aiodb__alloc_live(void);
void aiodb__pools_trim(void);

#define FUZZ_CHECK(cond, ...)                                          \
  do {                                                                 \
    if (!(cond)) {                                                     \
      fprintf(stderr, "%s:%d: invariant broken: %s\n  ", __FILE__,    \
              __LINE__, #cond);                                        \
      fprintf(stderr, __VA_ARGS__);                                    \
      fprintf(stderr, "\n");                                           \
      abort();                                                         \
    }                                                                  \
  } while (0)

#endif
