/* Adaptive spinning; see lib/aspin.h. The budget is twice the mean wait
 * (plus 2 µs), so a spin lasts about as long as the waits it stands for.
 * The spin never yields the CPU: when whoever answers needs this core, a
 * spin cannot win, so it fails, and the backoff stops the next ones. */
#include "aspin.h"

#include "clock.h"

#define RELAXED memory_order_relaxed

void aiodb__aspin_init(aiodb__aspin *a) {
  atomic_init(&a->avg_ns, AIODB__ASPIN_CAP_NS);
  atomic_init(&a->skip, 0);
  atomic_init(&a->backoff, 1);
}

int64_t aiodb__aspin_budget(aiodb__aspin *a) {
  int64_t avg = atomic_load_explicit(&a->avg_ns, RELAXED), b;
  int skip = atomic_load_explicit(&a->skip, RELAXED);
  if (avg >= AIODB__ASPIN_LIMIT_NS) return 0;
  if (skip > 0) {
    atomic_store_explicit(&a->skip, skip - 1, RELAXED);
    return 0;
  }
  b = 2 * avg + 2000;
  return b < AIODB__ASPIN_MAX_NS ? b : AIODB__ASPIN_MAX_NS;
}

void aiodb__aspin_note(aiodb__aspin *a, int64_t ns) {
  int64_t avg = atomic_load_explicit(&a->avg_ns, RELAXED);
  if (ns > AIODB__ASPIN_CAP_NS) ns = AIODB__ASPIN_CAP_NS;
  if (ns < 0) ns = 0;
  atomic_store_explicit(&a->avg_ns, avg + (ns - avg) / 4, RELAXED);
}

static void outcome(aiodb__aspin *a, int won) {
  int b = atomic_load_explicit(&a->backoff, RELAXED);
  if (won) {
    if (b != 1) atomic_store_explicit(&a->backoff, 1, RELAXED);
    return;
  }
  atomic_store_explicit(&a->skip, b, RELAXED);
  atomic_store_explicit(&a->backoff, b < AIODB__ASPIN_BACKOFF_MAX ? 2 * b : b,
                        RELAXED);
}

int aiodb__spin_ns(int (*ready)(const void *), const void *arg, int64_t budget,
                   unsigned *pauses) {
  int64_t t0 = aiodb__now_ns();
  unsigned i = 0;
  int won;
  for (;;) {
    if (ready(arg)) {
      won = 1;
      break;
    }
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
    if (++i % 32 == 0 && aiodb__now_ns() - t0 >= budget) {
      won = ready(arg);
      break;
    }
  }
  if (pauses != NULL) *pauses = i;
  return won;
}

int aiodb__aspin_run(aiodb__aspin *a, int (*ready)(const void *),
                     const void *arg, int64_t budget) {
  int64_t t0 = aiodb__now_ns();
  unsigned pauses;
  int won = aiodb__spin_ns(ready, arg, budget, &pauses);
  /* Longer than a wake-up: it saved nothing. */
  outcome(a, won && (pauses < 32 || aiodb__now_ns() - t0 < AIODB__ASPIN_LIMIT_NS));
  return won;
}
