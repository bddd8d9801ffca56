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
 * nothing to allocate, lock or free. Only a call with named values asks
 * the lexer for the names, so an entry holds them only when such a call
 * made it (with_names); a named call takes no entry without them. */
#define MEMO_SQL 256
#define MEMO_OUT 512
#define MEMO_SLOTS 32
typedef struct rewrite_memo {
  const aiodb__driver *drv; /* NULL: empty */
  size_t len;
  int with_names;
  aiodb__sqlplan plan;
  char sql[MEMO_SQL];
  char out[MEMO_OUT];
  uint32_t slots[MEMO_SLOTS];
  aiodb__sqlname names[MEMO_SLOTS];
} rewrite_memo;
static _Thread_local rewrite_memo memo;

static int memo_hit(const aiodb__driver *drv, const char *sql, size_t len,
                    int named) {
  return memo.drv == drv && memo.len == len && (!named || memo.with_names) &&
         memcmp(memo.sql, sql, len) == 0;
}

static void memo_keep(const aiodb__driver *drv, const char *sql, size_t len,
                      const aiodb__sqlplan *plan, const char *out,
                      const uint32_t *slots, const aiodb__sqlname *names) {
  memo.drv = NULL;
  if (len > MEMO_SQL || plan->out_len > MEMO_OUT || plan->nslots > MEMO_SLOTS)
    return;
  memcpy(memo.sql, sql, len);
  memcpy(memo.out, out, plan->out_len);
  memcpy(memo.slots, slots, plan->nslots * sizeof *slots);
  /* nargs <= nslots: every argument is bound at least once */
  memo.with_names = names != NULL;
  if (names != NULL && plan->named)
    memcpy(memo.names, names, plan->nargs * sizeof *names);
  memo.len = len;
  memo.plan = *plan;
  memo.drv = drv;
}

/* perm[k]: the index in args of the value named as the statement's k-th
 * distinct name. Every value must name one, and every name have one. */
static int bind_names(aiodb_future *f, const char *sql,
                      const aiodb__sqlname *names, size_t nnames,
                      const aiodb_value *args, size_t nargs, uint32_t *perm) {
  size_t i, k, n;

  for (k = 0; k < nnames; k++) perm[k] = UINT32_MAX;
  for (i = 0; i < nargs; i++) {
    n = strlen(args[i].name);
    /* an array in the statement's order finds each name at once */
    k = i < nnames && names[i].len == n &&
                memcmp(sql + names[i].off, args[i].name, n) == 0
            ? i
            : nnames;
    if (k == nnames)
      for (k = 0; k < nnames; k++)
        if (names[k].len == n && memcmp(sql + names[k].off, args[i].name, n) == 0)
          break;
    if (k == nnames)
      return aiodb__err_set(&f->err, AIODB_EINVAL,
                            "unknown name '%s': the statement has no ':%s'",
                            args[i].name, args[i].name);
    if (perm[k] != UINT32_MAX)
      return aiodb__err_set(&f->err, AIODB_EINVAL,
                            "two values are named '%s' (arguments %lu and %zu)",
                            args[i].name, (unsigned long)perm[k] + 1, i + 1);
    perm[k] = (uint32_t)i;
  }
  for (k = 0; k < nnames; k++)
    if (perm[k] == UINT32_MAX)
      return aiodb__err_set(&f->err, AIODB_EINVAL,
                            "missing name '%.*s': no value is named for ':%.*s'",
                            (int)names[k].len, sql + names[k].off,
                            (int)names[k].len, sql + names[k].off);
  return 0;
}

/* Rewrites sql for the driver and copies it and nrows rows of nargs
 * arguments into f->buf, one allocation reused across the future's lives:
 *   [bound values, nrows * nslots][argument copies, nargs]
 *   [traced values: trace_values only, nrows * nargs]
 *   [names, perm: named values only][slots][sql\0][bytes]
 *   [the caller's sql\0: traced only]
 * Every argument is bound at least once, so nslots >= nargs; only the QMARK
 * style reorders or repeats arguments, through slots. Named values are
 * first put in the statement's order, through perm. */
int aiodb__prepare_query(aiodb_db *db, aiodb_future *f, const char *sql,
                         const aiodb_value *args, size_t nargs, size_t nrows) {
  const aiodb__driver *drv = db->driver;
  aiodb__sqlplan plan;
  char msg[200];
  size_t i, r, need, bytes = 0, total = nargs * nrows, len;
  size_t copies_off, names_off, perm_off, slots_off, sql_off, data_off;
  size_t tvals_off, orig_off;
  aiodb_value *copies, *tvals = NULL;
  aiodb__sqlname *names = NULL;
  uint32_t *slots, *perm = NULL;
  char *p;
  int rc, hit, named, traced = aiodb__trace_armed(f);

  if (sql == NULL)
    return aiodb__err_set(&f->err, AIODB_EINVAL, "sql is NULL");
  if (nrows && total / nrows != nargs)
    return aiodb__err_set(&f->err, AIODB_ERANGE, "too many arguments");
  /* nargs values are promised: the first may be read when there is one */
  named = total > 0 && args != NULL && args[0].name != NULL;
  len = strlen(sql);
  hit = memo_hit(drv, sql, len, named);
  if (hit) {
    plan = memo.plan;
  } else {
    rc = aiodb__sql_rewrite(sql, len, (aiodb__dialect)drv->dialect,
                            (aiodb__pstyle)drv->pstyle, NULL, NULL, &plan, msg,
                            sizeof msg);
    if (rc != 0) return aiodb__err_set(&f->err, rc, "%s", msg);
  }
  if (named) {
    /* the count is checked name by name once the names are known */
    if (!plan.named && plan.nargs > 0)
      return aiodb__err_set(&f->err, AIODB_EINVAL,
                            "named values (the first is '%s') need ':name' "
                            "placeholders, but the statement has '?'",
                            args[0].name);
  } else if (plan.nargs != nargs) {
    return aiodb__err_set(&f->err, AIODB_EINVAL,
                          "the statement takes %zu argument%s but %zu %s given",
                          plan.nargs, plan.nargs == 1 ? "" : "s", nargs,
                          nargs == 1 ? "was" : "were");
  }
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
    if (args[i].name != NULL || named) {
      /* Named: the first row names every value; a later row may repeat
       * the name at its position or leave it out. */
      const char *first = args[i % nargs].name;
      if (i < nargs ? args[i].name == NULL || !named
                    : args[i].name != NULL &&
                          (!named || strcmp(args[i].name, first) != 0))
        return i < nargs || !named
                   ? aiodb__err_set(&f->err, AIODB_EINVAL,
                                    "named and unnamed values cannot be mixed "
                                    "(argument %zu %s a name)",
                                    i + 1, named ? "lacks" : "has")
                   : aiodb__err_set(&f->err, AIODB_EINVAL,
                                    "row %zu names argument %zu '%s', but the "
                                    "first row names it '%s'",
                                    i / nargs + 1, i % nargs + 1, args[i].name,
                                    first);
    }
    if (args[i].type == AIODB_TYPE_TEXT || args[i].type == AIODB_TYPE_BLOB) {
      /* bytes stays at most SIZE_MAX / 4, so this never wraps */
      if (args[i].len >= SIZE_MAX / 4 - bytes)
        return aiodb__err_set(&f->err, AIODB_ERANGE, "arguments too large");
      bytes += args[i].len + 1;
    }
  }

  copies_off = nrows * plan.nslots * sizeof(aiodb_value);
  tvals_off = copies_off + (nargs > plan.nargs ? nargs : plan.nargs) *
                               sizeof(aiodb_value);
  /* nrows * plan.nargs <= nrows * plan.nslots: checked above */
  names_off = tvals_off + (traced && f->tr.values ? nrows * plan.nargs : 0) *
                              sizeof(aiodb_value);
  perm_off = names_off + (named ? plan.nargs * sizeof(aiodb__sqlname) : 0);
  slots_off = perm_off + (named ? plan.nargs * sizeof(uint32_t) : 0);
  sql_off = slots_off + plan.nslots * sizeof(uint32_t);
  data_off = sql_off + plan.out_len + 1;
  orig_off = data_off + bytes;
  need = orig_off + (traced ? len + 1 : 0);
  if (need > f->bufcap) {
    char *b = aiodb__realloc(f->buf, need);
    if (b == NULL)
      return aiodb__err_set(&f->err, AIODB_ENOMEM, "out of memory");
    f->buf = b;
    f->bufcap = need;
  }
  f->args = (aiodb_value *)(void *)f->buf;
  copies = (aiodb_value *)(void *)(f->buf + copies_off);
  if (names_off > tvals_off) tvals = (aiodb_value *)(void *)(f->buf + tvals_off);
  slots = (uint32_t *)(void *)(f->buf + slots_off);
  if (named) {
    names = (aiodb__sqlname *)(void *)(f->buf + names_off);
    perm = (uint32_t *)(void *)(f->buf + perm_off);
  }
  if (hit) {
    memcpy(f->buf + sql_off, memo.out, plan.out_len);
    f->buf[sql_off + plan.out_len] = '\0';
    memcpy(slots, memo.slots, plan.nslots * sizeof *slots);
    if (named && plan.named)
      memcpy(names, memo.names, plan.nargs * sizeof *names);
  } else {
    rc = aiodb__sql_rewrite_names(sql, len, (aiodb__dialect)drv->dialect,
                                  (aiodb__pstyle)drv->pstyle, f->buf + sql_off,
                                  slots, names, &plan, msg, sizeof msg);
    if (rc != 0) return aiodb__err_set(&f->err, rc, "%s", msg);
    memo_keep(drv, sql, len, &plan, f->buf + sql_off, slots, names);
  }
  if (named) {
    rc = bind_names(f, sql, names, plan.named ? plan.nargs : 0, args, nargs,
                    perm);
    if (rc != 0) return rc;
  }

  p = f->buf + data_off;
  /* Without arguments there is nothing to copy, however many rows. */
  for (r = 0; nargs > 0 && r < nrows; r++) {
    const aiodb_value *row = args + r * nargs;
    for (i = 0; i < plan.nargs; i++) {
      const aiodb_value *v = perm != NULL ? &row[perm[i]] : &row[i];
      copies[i] = *v;
      copies[i].name = NULL;
      if (v->type == AIODB_TYPE_TEXT || v->type == AIODB_TYPE_BLOB) {
        if (v->len) memcpy(p, v->u.p, v->len);
        p[v->len] = '\0';
        copies[i].u.p = p;
        p += v->len + 1;
      }
    }
    for (i = 0; i < plan.nslots; i++)
      f->args[r * plan.nslots + i] = copies[slots[i]];
    if (tvals != NULL) memcpy(tvals + r * plan.nargs, copies, plan.nargs * sizeof *tvals);
  }
  if (traced) {
    memcpy(f->buf + orig_off, sql, len);
    f->buf[orig_off + len] = '\0';
    f->tr.sql = f->buf + orig_off;
    f->tr.sql_len = len;
    f->tr.args = tvals;
    f->tr.nargs = tvals != NULL && nargs > 0 ? nrows * plan.nargs : 0;
  }
  f->nargs = plan.nslots;
  f->nrows = nrows;
  f->sql = f->buf + sql_off;
  f->sql_len = plan.out_len;
  return 0;
}
