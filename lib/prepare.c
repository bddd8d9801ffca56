/* A statement prepared for its driver in its future: the placeholders
 * rewritten (lib/params.c) and the arguments copied, in one allocation. */
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "db.h"
#include "driver.h"
#include "future.h"
#include "job.h"
#include "params.h"

static int value_ok(const aiodb_value *v) {
  switch (v->type) {
    case AIODB_TYPE_NULL:
    case AIODB_TYPE_INT:
    case AIODB_TYPE_FLOAT: return 1;
    case AIODB_TYPE_TEXT: return v->u.s != NULL || v->len == 0;
    case AIODB_TYPE_BLOB: return v->u.p != NULL || v->len == 0;
    default: return 0;
  }
}

/* The last statement this thread rewrote, kept for the next call with the
 * same text for the same kind of driver (a loop submitting one statement
 * over and over skips the lexer's two passes). Fixed-size and thread-local:
 * nothing to allocate, lock or free. */
#define MEMO_SQL 256
#define MEMO_OUT 512
#define MEMO_SLOTS 32
typedef struct rewrite_memo {
  const aiodb__driver *drv; /* NULL: empty */
  size_t len;
  aiodb__sqlplan plan;
  char sql[MEMO_SQL];
  char out[MEMO_OUT];
  uint32_t slots[MEMO_SLOTS];
} rewrite_memo;
static _Thread_local rewrite_memo memo;

static int memo_hit(const aiodb__driver *drv, const char *sql, size_t len) {
  return memo.drv == drv && memo.len == len && memcmp(memo.sql, sql, len) == 0;
}

static void memo_keep(const aiodb__driver *drv, const char *sql, size_t len,
                      const aiodb__sqlplan *plan, const char *out,
                      const uint32_t *slots) {
  memo.drv = NULL;
  if (len > MEMO_SQL || plan->out_len > MEMO_OUT || plan->nslots > MEMO_SLOTS)
    return;
  memcpy(memo.sql, sql, len);
  memcpy(memo.out, out, plan->out_len);
  memcpy(memo.slots, slots, plan->nslots * sizeof *slots);
  memo.len = len;
  memo.plan = *plan;
  memo.drv = drv;
}

/* Rewrites sql for the driver and copies it and nrows rows of nargs
 * arguments into f->buf, one allocation reused across the future's lives:
 *   [bound values, nrows * nslots][argument copies, nargs][slots][sql\0][bytes]
 * Every argument is bound at least once, so nslots >= nargs; only the QMARK
 * style reorders or repeats arguments, through slots. */
int aiodb__prepare_query(aiodb_db *db, aiodb_future *f, const char *sql,
                         const aiodb_value *args, size_t nargs, size_t nrows) {
  const aiodb__driver *drv = db->driver;
  aiodb__sqlplan plan;
  char msg[200];
  size_t i, r, need, bytes = 0, total = nargs * nrows, len;
  size_t copies_off, slots_off, sql_off, data_off;
  aiodb_value *copies;
  uint32_t *slots;
  char *p;
  int rc, hit;

  if (sql == NULL)
    return aiodb__err_set(&f->err, AIODB_EINVAL, "sql is NULL");
  if (nrows && total / nrows != nargs)
    return aiodb__err_set(&f->err, AIODB_ERANGE, "too many arguments");
  len = strlen(sql);
  hit = memo_hit(drv, sql, len);
  if (hit) {
    plan = memo.plan;
  } else {
    rc = aiodb__sql_rewrite(sql, len, (aiodb__dialect)drv->dialect,
                            (aiodb__pstyle)drv->pstyle, NULL, NULL, &plan, msg,
                            sizeof msg);
    if (rc != 0) return aiodb__err_set(&f->err, rc, "%s", msg);
  }
  if (plan.nargs != nargs)
    return aiodb__err_set(&f->err, AIODB_EINVAL,
                          "the statement takes %zu argument%s but %zu %s given",
                          plan.nargs, plan.nargs == 1 ? "" : "s", nargs,
                          nargs == 1 ? "was" : "were");
  if (nrows && plan.nslots > SIZE_MAX / sizeof(aiodb_value) / 2 / nrows)
    return aiodb__err_set(&f->err, AIODB_ERANGE, "too many arguments");
  /* Only now, with the count known to match, is args read. */
  if (total > 0 && args == NULL)
    return aiodb__err_set(&f->err, AIODB_EINVAL,
                          "args is NULL but %zu values were promised", total);
  for (i = 0; i < total; i++) {
    if (!value_ok(&args[i]))
      return aiodb__err_set(&f->err, AIODB_EINVAL,
                            "argument %zu is not a valid aiodb_value", i + 1);
    if (args[i].type == AIODB_TYPE_TEXT || args[i].type == AIODB_TYPE_BLOB) {
      /* bytes stays at most SIZE_MAX / 4, so this never wraps */
      if (args[i].len >= SIZE_MAX / 4 - bytes)
        return aiodb__err_set(&f->err, AIODB_ERANGE, "arguments too large");
      bytes += args[i].len + 1;
    }
  }

  copies_off = nrows * plan.nslots * sizeof(aiodb_value);
  slots_off = copies_off + nargs * sizeof(aiodb_value);
  sql_off = slots_off + plan.nslots * sizeof(uint32_t);
  data_off = sql_off + plan.out_len + 1;
  need = data_off + bytes;
  if (need > f->bufcap) {
    char *b = aiodb__realloc(f->buf, need);
    if (b == NULL)
      return aiodb__err_set(&f->err, AIODB_ENOMEM, "out of memory");
    f->buf = b;
    f->bufcap = need;
  }
  f->args = (aiodb_value *)(void *)f->buf;
  copies = (aiodb_value *)(void *)(f->buf + copies_off);
  slots = (uint32_t *)(void *)(f->buf + slots_off);
  if (hit) {
    memcpy(f->buf + sql_off, memo.out, plan.out_len);
    f->buf[sql_off + plan.out_len] = '\0';
    memcpy(slots, memo.slots, plan.nslots * sizeof *slots);
  } else {
    rc = aiodb__sql_rewrite(sql, len, (aiodb__dialect)drv->dialect,
                            (aiodb__pstyle)drv->pstyle, f->buf + sql_off, slots,
                            &plan, msg, sizeof msg);
    if (rc != 0) return aiodb__err_set(&f->err, rc, "%s", msg);
    memo_keep(drv, sql, len, &plan, f->buf + sql_off, slots);
  }

  p = f->buf + data_off;
  /* Without arguments there is nothing to copy, however many rows. */
  for (r = 0; nargs > 0 && r < nrows; r++) {
    const aiodb_value *row = args + r * nargs;
    for (i = 0; i < nargs; i++) {
      copies[i] = row[i];
      if (row[i].type == AIODB_TYPE_TEXT || row[i].type == AIODB_TYPE_BLOB) {
        if (row[i].len) memcpy(p, row[i].u.p, row[i].len);
        p[row[i].len] = '\0';
        copies[i].u.p = p;
        p += row[i].len + 1;
      }
    }
    for (i = 0; i < plan.nslots; i++)
      f->args[r * plan.nslots + i] = copies[slots[i]];
  }
  f->nargs = plan.nslots;
  f->nrows = nrows;
  f->sql = f->buf + sql_off;
  f->sql_len = plan.out_len;
  return 0;
}
