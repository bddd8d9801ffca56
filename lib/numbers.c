/* The C locale's numbers, per thread (uselocale), for drivers. */
#include <pthread.h>

#include "numbers.h"

static pthread_once_t c_numbers_once = PTHREAD_ONCE_INIT;
static locale_t c_numbers; /* (locale_t)0 if it could not be made */

static void c_numbers_init(void) {
  c_numbers = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

locale_t aiodb__numbers_c(void) {
  pthread_once(&c_numbers_once, c_numbers_init);
  return uselocale(c_numbers); /* (locale_t)0 only asks */
}

void aiodb__numbers_restore(locale_t old) {
  if (old != (locale_t)0) uselocale(old);
}
