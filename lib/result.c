/* Results: a cell array and one byte arena for text, blobs and names.
 * Freed results of modest size are kept in a small pool with their buffers
 * and handed out again, so a steady stream of queries allocates nothing. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
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

/* ---- columns by name, and checked getters ---- */
int aiodb_result_col(const aiodb_result *r, const char *name) {
  size_t i;
  if (r == NULL || name == NULL) return -1;
  for (i = 0; i < r->ncols && i < INT_MAX; i++)
    if (r->names[i] != (size_t)-1 && strcmp(r->arena + r->names[i], name) == 0)
      return (int)i;
  return -1;
}

/* The cell a checked getter reads, or the status that says why there is
 * none: a column that is not there is the caller's mistake, and is said
 * first, even when there are no rows. */
static int checked_cell(const aiodb_result *r, size_t row, size_t col,
                        const aiodb__cell **c) {
  *c = NULL;
  if (r == NULL || col >= r->ncols) return AIODB_EINVAL;
  if (row >= r->ncells / r->ncols) return AIODB_ENOROW;
  *c = &r->cells[row * r->ncols + col];
  return (*c)->type == AIODB_TYPE_NULL ? AIODB_ENULL : 0;
}

/* A decimal integer, signed or not, with nothing after it but a fraction
 * of zeros ("12.00", as sums over DECIMAL or numeric come back). */
static int text_int(const char *s, int64_t *out) {
  const char *p = s;
  uint64_t v = 0, limit;
  int neg = 0;
  if (*p == '+' || *p == '-') neg = *p++ == '-';
  if (*p < '0' || *p > '9') return AIODB_ETYPE;
  limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  for (; *p >= '0' && *p <= '9'; p++) {
    unsigned d = (unsigned)(*p - '0');
    if (v > (limit - d) / 10) {
      while (*++p >= '0' && *p <= '9') continue;
      if (*p == '.') while (*++p == '0') continue;
      return *p == '\0' ? AIODB_ERANGE : AIODB_ETYPE;
    }
    v = v * 10 + d;
  }
  if (*p == '.') while (*++p == '0') continue;
  if (*p != '\0') return AIODB_ETYPE;
  if (!neg)
    *out = (int64_t)v;
  else
    *out = v > (uint64_t)INT64_MAX ? INT64_MIN : -(int64_t)v;
  return 0;
}

/* Numbers in the C locale's spelling whatever the program's locale, as
 * the drivers write them. */
static pthread_once_t c_numbers_once = PTHREAD_ONCE_INIT;
static locale_t c_numbers; /* (locale_t)0 if it could not be made */

static void c_numbers_init(void) {
  c_numbers = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

static int text_float(const char *s, double *out) {
  locale_t old;
  char *end;
  double d;
  int overflow;
  if (*s == '\0' || isspace((unsigned char)*s)) return AIODB_ETYPE;
  pthread_once(&c_numbers_once, c_numbers_init);
  old = uselocale(c_numbers); /* (locale_t)0 only asks */
  errno = 0;
  d = strtod(s, &end);
  /* ERANGE with HUGE_VAL is an overflow; "inf" itself sets no errno. */
  overflow = errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL);
  if (old != (locale_t)0) uselocale(old);
  if (*end != '\0') return AIODB_ETYPE;
  if (overflow) return AIODB_ERANGE;
  *out = d;
  return 0;
}

int aiodb_result_get_int(const aiodb_result *r, size_t row, size_t col,
                         int64_t *out) {
  const aiodb__cell *c;
  int64_t v = 0;
  int rc = checked_cell(r, row, col, &c);
  if (rc == 0) {
    switch (c->type) {
      case AIODB_TYPE_INT: v = c->u.i; break;
      case AIODB_TYPE_FLOAT:
        /* -2^63 is exact in a double; 2^63 is one past INT64_MAX. Every
         * double that large is whole. */
        if (c->u.f != c->u.f)
          rc = AIODB_ETYPE;
        else if (c->u.f < -9223372036854775808.0 ||
                 c->u.f >= 9223372036854775808.0)
          rc = AIODB_ERANGE;
        else if ((double)(v = (int64_t)c->u.f) != c->u.f)
          rc = AIODB_ETYPE;
        break;
      case AIODB_TYPE_TEXT: rc = text_int(r->arena + c->u.off, &v); break;
      default: rc = AIODB_ETYPE; break;
    }
  }
  if (out) *out = rc == 0 ? v : 0;
  return rc;
}

int aiodb_result_get_float(const aiodb_result *r, size_t row, size_t col,
                           double *out) {
  const aiodb__cell *c;
  double v = 0.0;
  int rc = checked_cell(r, row, col, &c);
  if (rc == 0) {
    switch (c->type) {
      case AIODB_TYPE_FLOAT: v = c->u.f; break;
      case AIODB_TYPE_INT: v = (double)c->u.i; break;
      case AIODB_TYPE_TEXT: rc = text_float(r->arena + c->u.off, &v); break;
      default: rc = AIODB_ETYPE; break;
    }
  }
  if (out) *out = rc == 0 ? v : 0.0;
  return rc;
}

int aiodb_result_get_text(const aiodb_result *r, size_t row, size_t col,
                          const char **out) {
  const aiodb__cell *c;
  int rc = checked_cell(r, row, col, &c);
  if (rc == 0 && c->type != AIODB_TYPE_TEXT) rc = AIODB_ETYPE;
  if (out) *out = rc == 0 ? r->arena + c->u.off : NULL;
  return rc;
}

/* A name that is not a column reads as a column past the last. */
static size_t col_of(const aiodb_result *r, const char *name) {
  int i = aiodb_result_col(r, name);
  return i < 0 ? SIZE_MAX : (size_t)i;
}

int aiodb_result_get_int_by_name(const aiodb_result *r, size_t row,
                                 const char *name, int64_t *out) {
  return aiodb_result_get_int(r, row, col_of(r, name), out);
}

int aiodb_result_get_float_by_name(const aiodb_result *r, size_t row,
                                   const char *name, double *out) {
  return aiodb_result_get_float(r, row, col_of(r, name), out);
}

int aiodb_result_get_text_by_name(const aiodb_result *r, size_t row,
                                  const char *name, const char **out) {
  return aiodb_result_get_text(r, row, col_of(r, name), out);
}
