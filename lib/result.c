/* Results: a cell array and one byte arena for text, blobs and names.
 * Freed results of modest size are kept in a small pool with their buffers
 * and handed out again, so a steady stream of queries allocates nothing. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "driver.h"
#include "fork.h"

typedef struct aiodb__cell {
  aiodb_type type;
  size_t len;
  union {
    int64_t i;
    double f;
    size_t off; /* into the arena */
  } u;
} aiodb__cell;

struct aiodb_result {
  size_t ncols;
  size_t ncells, cells_cap;
  aiodb__cell *cells;
  size_t *names;      /* arena offsets, ncols entries */
  size_t names_cap;
  char *arena;
  size_t arena_len, arena_cap;
  int64_t affected, last_id;
  aiodb_result *pool_next;
};

#define POOL_MAX 256
/* A result whose buffers hold more than this goes back to the allocator. */
#define POOL_KEEP_BYTES (64 * 1024)

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;

void aiodb__result_fork_lock(void) { pthread_mutex_lock(&pool_lock); }
void aiodb__result_fork_unlock(void) { pthread_mutex_unlock(&pool_lock); }
static aiodb_result *pool;
static unsigned pool_len;

aiodb_result *aiodb__result_new(void) {
  aiodb_result *r;
  pthread_mutex_lock(&pool_lock);
  r = pool;
  if (r != NULL) {
    pool = r->pool_next;
    pool_len--;
  }
  pthread_mutex_unlock(&pool_lock);
  if (r == NULL) return aiodb__calloc(1, sizeof(aiodb_result));
  r->pool_next = NULL;
  aiodb__result_reset(r);
  return r;
}

static void result_destroy(aiodb_result *r) {
  aiodb__free(r->cells);
  aiodb__free(r->names);
  aiodb__free(r->arena);
  aiodb__free(r);
}

void aiodb_result_free(aiodb_result *r) {
  size_t bytes;
  if (r == NULL) return;
  bytes = r->cells_cap * sizeof *r->cells + r->names_cap * sizeof *r->names +
          r->arena_cap;
  if (bytes <= POOL_KEEP_BYTES) {
    pthread_mutex_lock(&pool_lock);
    if (pool_len < POOL_MAX) {
      r->pool_next = pool;
      pool = r;
      pool_len++;
      r = NULL;
    }
    pthread_mutex_unlock(&pool_lock);
  }
  if (r != NULL) result_destroy(r);
}

void aiodb__result_pool_trim(void) {
  aiodb_result *list, *r;
  pthread_mutex_lock(&pool_lock);
  list = pool;
  pool = NULL;
  pool_len = 0;
  pthread_mutex_unlock(&pool_lock);
  while ((r = list) != NULL) {
    list = r->pool_next;
    result_destroy(r);
  }
}

void aiodb__result_reset(aiodb_result *r) {
  r->ncols = 0;
  r->ncells = 0;
  r->arena_len = 0;
  r->affected = 0;
  r->last_id = 0;
}

/* Appends n bytes plus a NUL to the arena; *off receives their offset. */
static int arena_put(aiodb_result *r, const void *p, size_t n, size_t *off) {
  size_t need = r->arena_len + n + 1;
  if (need < n) return AIODB_ENOMEM;
  if (need > r->arena_cap) {
    size_t cap = r->arena_cap ? r->arena_cap : 256;
    char *a;
    while (cap < need) cap *= 2;
    a = aiodb__realloc(r->arena, cap);
    if (a == NULL) return AIODB_ENOMEM;
    r->arena = a;
    r->arena_cap = cap;
  }
  if (n) memcpy(r->arena + r->arena_len, p, n);
  r->arena[r->arena_len + n] = '\0';
  *off = r->arena_len;
  r->arena_len = need;
  return 0;
}

int aiodb__result_set_cols(aiodb_result *r, size_t ncols) {
  if (ncols > r->names_cap) {
    size_t *n = aiodb__realloc(r->names, ncols * sizeof *n);
    if (n == NULL) return AIODB_ENOMEM;
    r->names = n;
    r->names_cap = ncols;
  }
  r->ncols = ncols;
  r->ncells = 0;
  r->arena_len = 0;
  if (ncols) memset(r->names, 0xff, ncols * sizeof *r->names);
  return 0;
}

int aiodb__result_set_name(aiodb_result *r, size_t col, const char *name,
                           size_t len) {
  if (col >= r->ncols) return AIODB_EINVAL;
  return arena_put(r, name, len, &r->names[col]);
}

int aiodb__result_columns(aiodb_result *r, size_t ncols,
                          const char *(*name)(const void *src, size_t col,
                                              size_t *len),
                          const void *src, aiodb__err *e) {
  const char *s;
  size_t i, len;
  aiodb__result_reset(r);
  if (aiodb__result_set_cols(r, ncols) != 0)
    return aiodb__err_set(e, AIODB_ENOMEM, "out of memory");
  for (i = 0; i < ncols; i++) {
    if ((s = name(src, i, &len)) == NULL || aiodb__result_set_name(r, i, s, len) != 0)
      return aiodb__err_set(e, AIODB_ENOMEM, "out of memory");
  }
  return 0;
}

static aiodb__cell *cell_add(aiodb_result *r) {
  if (r->ncols == 0) return NULL;
  if (r->ncells == r->cells_cap) {
    size_t cap = r->cells_cap ? r->cells_cap * 2 : 16;
    aiodb__cell *c = aiodb__realloc(r->cells, cap * sizeof *c);
    if (c == NULL) return NULL;
    r->cells = c;
    r->cells_cap = cap;
  }
  return &r->cells[r->ncells++];
}

int aiodb__result_add_null(aiodb_result *r) {
  aiodb__cell *c = cell_add(r);
  if (c == NULL) return AIODB_ENOMEM;
  c->type = AIODB_TYPE_NULL;
  c->len = 0;
  return 0;
}

int aiodb__result_add_int(aiodb_result *r, int64_t v) {
  aiodb__cell *c = cell_add(r);
  if (c == NULL) return AIODB_ENOMEM;
  c->type = AIODB_TYPE_INT;
  c->len = 0;
  c->u.i = v;
  return 0;
}

int aiodb__result_add_float(aiodb_result *r, double v) {
  aiodb__cell *c = cell_add(r);
  if (c == NULL) return AIODB_ENOMEM;
  c->type = AIODB_TYPE_FLOAT;
  c->len = 0;
  c->u.f = v;
  return 0;
}

static int add_bytes(aiodb_result *r, aiodb_type t, const void *p, size_t n) {
  size_t off;
  aiodb__cell *c;
  if (arena_put(r, p, n, &off) != 0) return AIODB_ENOMEM;
  c = cell_add(r);
  if (c == NULL) return AIODB_ENOMEM;
  c->type = t;
  c->len = n;
  c->u.off = off;
  return 0;
}

int aiodb__result_add_text(aiodb_result *r, const char *s, size_t len) {
  return add_bytes(r, AIODB_TYPE_TEXT, s, len);
}

int aiodb__result_add_blob(aiodb_result *r, const void *p, size_t len) {
  return add_bytes(r, AIODB_TYPE_BLOB, p, len);
}

void aiodb__result_set_affected(aiodb_result *r, int64_t n) { r->affected = n; }
void aiodb__result_set_last_id(aiodb_result *r, int64_t id) { r->last_id = id; }

/* ---- public accessors ---- */
size_t aiodb_result_rows(const aiodb_result *r) {
  return r && r->ncols ? r->ncells / r->ncols : 0;
}

size_t aiodb_result_cols(const aiodb_result *r) { return r ? r->ncols : 0; }

const char *aiodb_result_name(const aiodb_result *r, size_t col) {
  if (r == NULL || col >= r->ncols || r->names[col] == (size_t)-1) return NULL;
  return r->arena + r->names[col];
}

static const aiodb__cell *cell_at(const aiodb_result *r, size_t row,
                                  size_t col) {
  if (r == NULL || col >= r->ncols || row >= r->ncells / r->ncols) return NULL;
  return &r->cells[row * r->ncols + col];
}

aiodb_type aiodb_result_type(const aiodb_result *r, size_t row, size_t col) {
  const aiodb__cell *c = cell_at(r, row, col);
  return c ? c->type : AIODB_TYPE_NULL;
}

int aiodb_result_isnull(const aiodb_result *r, size_t row, size_t col) {
  return aiodb_result_type(r, row, col) == AIODB_TYPE_NULL;
}

int64_t aiodb_result_int(const aiodb_result *r, size_t row, size_t col) {
  const aiodb__cell *c = cell_at(r, row, col);
  if (c == NULL) return 0;
  switch (c->type) {
    case AIODB_TYPE_INT: return c->u.i;
    case AIODB_TYPE_FLOAT:
      if (c->u.f >= 9223372036854775807.0) return INT64_MAX;
      if (c->u.f <= -9223372036854775808.0) return INT64_MIN;
      if (c->u.f != c->u.f) return 0;
      return (int64_t)c->u.f;
    case AIODB_TYPE_TEXT: return strtoll(r->arena + c->u.off, NULL, 10);
    default: return 0;
  }
}

double aiodb_result_float(const aiodb_result *r, size_t row, size_t col) {
  const aiodb__cell *c = cell_at(r, row, col);
  if (c == NULL) return 0.0;
  switch (c->type) {
    case AIODB_TYPE_FLOAT: return c->u.f;
    case AIODB_TYPE_INT: return (double)c->u.i;
    case AIODB_TYPE_TEXT: return strtod(r->arena + c->u.off, NULL);
    default: return 0.0;
  }
}

const char *aiodb_result_text(const aiodb_result *r, size_t row, size_t col) {
  const aiodb__cell *c = cell_at(r, row, col);
  if (c == NULL || (c->type != AIODB_TYPE_TEXT && c->type != AIODB_TYPE_BLOB))
    return NULL;
  return r->arena + c->u.off;
}

const void *aiodb_result_blob(const aiodb_result *r, size_t row, size_t col) {
  return aiodb_result_text(r, row, col);
}

size_t aiodb_result_len(const aiodb_result *r, size_t row, size_t col) {
  const aiodb__cell *c = cell_at(r, row, col);
  return c ? c->len : 0;
}

int64_t aiodb_result_affected(const aiodb_result *r) { return r ? r->affected : 0; }
int64_t aiodb_result_last_id(const aiodb_result *r) { return r ? r->last_id : 0; }
