/* The pluggable allocator, with a live-allocation count for the tests. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aiodb.h"
#include "alloc.h"

/* Atomic, so that a test may swap the allocator while workers run. */
static void *(*_Atomic malloc_fn)(size_t) = malloc;
static void *(*_Atomic realloc_fn)(void *, size_t) = realloc;
static void (*_Atomic free_fn)(void *) = free;
static atomic_long live;

void aiodb_set_allocator(void *(*m)(size_t), void *(*r)(void *, size_t),
                         void (*f)(void *)) {
  atomic_store(&malloc_fn, m ? m : malloc);
  atomic_store(&realloc_fn, r ? r : realloc);
  atomic_store(&free_fn, f ? f : free);
}

void *aiodb__malloc(size_t n) {
  void *p = atomic_load_explicit(&malloc_fn, memory_order_relaxed)(n ? n : 1);
  if (p) atomic_fetch_add_explicit(&live, 1, memory_order_relaxed);
  return p;
}

void *aiodb__calloc(size_t n, size_t size) {
  void *p;
  if (size && n > SIZE_MAX / size) return NULL;
  p = aiodb__malloc(n * size);
  if (p) memset(p, 0, n * size);
  return p;
}

void *aiodb__realloc(void *p, size_t n) {
  if (p == NULL) return aiodb__malloc(n);
  return atomic_load_explicit(&realloc_fn, memory_order_relaxed)(p, n ? n : 1);
}

void aiodb__free(void *p) {
  if (p == NULL) return;
  atomic_fetch_sub_explicit(&live, 1, memory_order_relaxed);
  atomic_load_explicit(&free_fn, memory_order_relaxed)(p);
}

void aiodb_free(void *p) { aiodb__free(p); }

char *aiodb__strndup(const char *s, size_t n) {
  char *d = aiodb__malloc(n + 1);
  if (d == NULL) return NULL;
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

char *aiodb__strdup(const char *s) { return aiodb__strndup(s, strlen(s)); }

long aiodb__alloc_live(void) { return atomic_load(&live); }
