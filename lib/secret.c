/* Wiping secrets before they are freed. */
#include "secret.h"
#include "alloc.h"

void aiodb__free_secret(char *s) {
  /* volatile, so that the stores are not dropped as dead before a free */
  volatile char *v = s;
  if (s == NULL) return;
  while (*v) *v++ = '\0';
  aiodb__free(s);
}
