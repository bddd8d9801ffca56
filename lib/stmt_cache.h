/* A connection's prepared statements, for drivers: at most cap of them,
 * found by a key (the SQL text, and whatever else tells two apart: the
 * PostgreSQL driver adds the argument types), the least recently used
 * finalized first when a new one needs room. One per connection, used on
 * its worker thread only: no lock. */
#ifndef AIODB_STMT_CACHE_H
#define AIODB_STMT_CACHE_H

#include <stddef.h>
#include <stdint.h>

typedef struct aiodb__stmt_slot {
  char *key;
  size_t len;
  uint64_t used; /* the cache's tick when last looked up */
  void *stmt;
} aiodb__stmt_slot;

typedef struct aiodb__stmt_cache {
  aiodb__stmt_slot *slots;
  unsigned cap, n;
  uint64_t tick;
  /* Ends a statement the cache lets go of (on eviction and at destroy):
   * the driver's finalize, which may talk to the server. */
  void (*finalize)(void *ud, void *stmt);
  void *ud;
} aiodb__stmt_cache;

/* Makes c empty, with room for cap statements (0: caching off; get finds
 * nothing and put must not be called). Returns 0 or AIODB_ENOMEM. */
int aiodb__stmt_cache_init(aiodb__stmt_cache *c, unsigned cap,
                           void (*finalize)(void *ud, void *stmt), void *ud);
/* Finalizes every statement still cached and frees c's memory. */
void aiodb__stmt_cache_destroy(aiodb__stmt_cache *c);

/* The statement cached under key[0..len), now the most recently used, or
 * NULL. */
void *aiodb__stmt_cache_get(aiodb__stmt_cache *c, const char *key, size_t len);

/* Caches stmt under key[0..len) (copied), which must not be cached yet;
 * c->cap must be above 0. When c is full, the least recently used
 * statement is finalized first. Returns 0, or AIODB_ENOMEM with nothing
 * changed: stmt is still the caller's. */
int aiodb__stmt_cache_put(aiodb__stmt_cache *c, const char *key, size_t len,
                          void *stmt);

/* Forgets stmt without finalizing it (the caller ends it: it failed to
 * prepare, or the server changed it under us). Returns 1, or 0 if stmt
 * was not cached. */
int aiodb__stmt_cache_forget(aiodb__stmt_cache *c, const void *stmt);

#endif
