/* The drivers' LRU cache of prepared statements. A linear scan: the cache
 * is small (64 by default), and a memcmp of each key that has the length
 * sought costs less than hashing the SQL text would. */
#include <string.h>

#include "aiodb.h"
#include "stmt_cache.h"
#include "alloc.h"

int aiodb__stmt_cache_init(aiodb__stmt_cache *c, unsigned cap,
                           void (*finalize)(void *ud, void *stmt), void *ud) {
  memset(c, 0, sizeof *c);
  c->finalize = finalize;
  c->ud = ud;
  if (cap == 0) return 0;
  c->slots = aiodb__calloc(cap, sizeof *c->slots);
  if (c->slots == NULL) return AIODB_ENOMEM;
  c->cap = cap;
  return 0;
}

void aiodb__stmt_cache_destroy(aiodb__stmt_cache *c) {
  unsigned i;
  for (i = 0; i < c->n; i++) {
    c->finalize(c->ud, c->slots[i].stmt);
    aiodb__free(c->slots[i].key);
  }
  aiodb__free(c->slots);
  memset(c, 0, sizeof *c);
}

void *aiodb__stmt_cache_get(aiodb__stmt_cache *c, const char *key, size_t len) {
  unsigned i;
  for (i = 0; i < c->n; i++) {
    aiodb__stmt_slot *s = &c->slots[i];
    if (s->len == len && memcmp(s->key, key, len) == 0) {
      s->used = ++c->tick;
      return s->stmt;
    }
  }
  return NULL;
}

int aiodb__stmt_cache_put(aiodb__stmt_cache *c, const char *key, size_t len,
                          void *stmt) {
  char *copy = aiodb__malloc(len + 1);
  unsigned i, slot = 0;
  if (copy == NULL) return AIODB_ENOMEM;
  memcpy(copy, key, len);
  copy[len] = '\0';
  if (c->n == c->cap) {
    for (i = 1; i < c->n; i++)
      if (c->slots[i].used < c->slots[slot].used) slot = i;
    c->finalize(c->ud, c->slots[slot].stmt);
    aiodb__free(c->slots[slot].key);
  } else {
    slot = c->n++;
  }
  c->slots[slot].key = copy;
  c->slots[slot].len = len;
  c->slots[slot].stmt = stmt;
  c->slots[slot].used = ++c->tick;
  return 0;
}

int aiodb__stmt_cache_forget(aiodb__stmt_cache *c, const void *stmt) {
  unsigned i;
  for (i = 0; i < c->n; i++) {
    if (c->slots[i].stmt == stmt) {
      aiodb__free(c->slots[i].key);
      c->slots[i] = c->slots[--c->n];
      return 1;
    }
  }
  return 0;
}
