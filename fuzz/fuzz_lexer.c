/* The placeholder lexer and rewriter (lib/params.c, aiodb__sql_rewrite):
 * the whole input is SQL text, rewritten for every dialect and every
 * placeholder style, checking the rewriter's own contract:
 *  - the writing call, with buffers of exactly the size the sizing call
 *    planned, gives the same plan again (and a failure fails the same way
 *    twice, with or without a message buffer);
 *  - the output is out_len bytes and NUL-terminated; every slot names an
 *    argument (< nargs), every argument has a slot, in order of first
 *    appearance; QNUM and DOLLAR bind argument i at slot i;
 *  - text with no '?' and no ':' comes out unchanged;
 *  - the three styles agree: the same outcome and argument count, one
 *    placeholder per QMARK slot, QNUM and DOLLAR outputs differing only
 *    in '?' against '$';
 *  - a buffer one byte (or one slot) short is refused, never overrun;
 *  - an error is AIODB_EINVAL or AIODB_ENOMEM with a message;
 *  - the statement splitter (aiodb__sql_stmt_end) agrees with the
 *    rewriter: the text cut at each ';' it ends a statement at, each piece
 *    rewritten alone, gives the whole's QMARK output. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "params.h"

typedef struct outcome {
  int rc;
  aiodb__sqlplan plan;
  char *out;
  uint32_t *slots;
} outcome;

static int plans_equal(const aiodb__sqlplan *a, const aiodb__sqlplan *b) {
  return a->out_len == b->out_len && a->nargs == b->nargs &&
         a->nslots == b->nslots;
}

/* Exactly n bytes (at least 1): a sanitizer sees any overrun. */
static void *exact(size_t n) {
  void *p = malloc(n ? n : 1);
  FUZZ_CHECK(p != NULL, "out of memory");
  return p;
}

/* A plan one short (short says what of): refused, with the buffers made to
 * its size not overrun. */
static void short_plan_refused(const char *sql, size_t len, aiodb__dialect d,
                               aiodb__pstyle style, aiodb__sqlplan small,
                               const char *short_of) {
  char err[256];
  char *buf = exact(small.out_len + 1);
  uint32_t *slots = exact(small.nslots * sizeof *slots);
  int rc = aiodb__sql_rewrite(sql, len, d, style, buf, slots, &small, err,
                              sizeof err);
  FUZZ_CHECK(rc == AIODB_EINVAL, "a short %s gave %d", short_of, rc);
  free(buf);
  free(slots);
}

static void rewrite(const char *sql, size_t len, aiodb__dialect d,
                    aiodb__pstyle style, outcome *o) {
  aiodb__sqlplan again, small;
  char err[256], err2[256];
  size_t i, next;
  int rc;

  memset(o, 0, sizeof *o);
  o->rc = aiodb__sql_rewrite(sql, len, d, style, NULL, NULL, &o->plan, err,
                             sizeof err);
  if (o->rc != 0) {
    FUZZ_CHECK(o->rc == AIODB_EINVAL || o->rc == AIODB_ENOMEM, "code %d", o->rc);
    FUZZ_CHECK(err[0] != '\0', "an error without a message");
    if (style != AIODB__PSTYLE_QNUM) return;
    /* The same again; with no message buffer, or a 1-byte one. */
    rc = aiodb__sql_rewrite(sql, len, d, style, NULL, NULL, &again, err2,
                            sizeof err2);
    FUZZ_CHECK(rc == o->rc && strcmp(err, err2) == 0, "%d '%s' then %d '%s'",
               o->rc, err, rc, err2);
    FUZZ_CHECK(aiodb__sql_rewrite(sql, len, d, style, NULL, NULL, &again, NULL,
                                  0) == o->rc, "rc without errbuf");
    FUZZ_CHECK(aiodb__sql_rewrite(sql, len, d, style, NULL, NULL, &again, err2,
                                  1) == o->rc && err2[0] == '\0',
               "rc with a 1-byte errbuf");
    return;
  }

  o->out = exact(o->plan.out_len + 1);
  o->slots = exact(o->plan.nslots * sizeof *o->slots);
  again = o->plan;
  rc = aiodb__sql_rewrite(sql, len, d, style, o->out, o->slots, &again, err,
                          sizeof err);
  FUZZ_CHECK(rc == 0, "the writing call failed: %s", err);
  /* the same plan twice */
  FUZZ_CHECK(plans_equal(&o->plan, &again), "the writing call's plan differs");
  FUZZ_CHECK(o->out[o->plan.out_len] == '\0', "output not NUL-terminated");

  FUZZ_CHECK(o->plan.nslots >= o->plan.nargs, "%zu slots for %zu arguments",
             o->plan.nslots, o->plan.nargs);
  for (i = 0, next = 0; i < o->plan.nslots; i++) {
    FUZZ_CHECK(o->slots[i] < o->plan.nargs, "slot %zu binds %u of %zu", i,
               (unsigned)o->slots[i], o->plan.nargs);
    if (style != AIODB__PSTYLE_QMARK)
      FUZZ_CHECK(o->slots[i] == i, "slot %zu binds %u", i, (unsigned)o->slots[i]);
    /* Arguments are numbered in order of first appearance. */
    FUZZ_CHECK(o->slots[i] <= next, "slot %zu skips to argument %u", i,
               (unsigned)o->slots[i]);
    if (o->slots[i] == next) next++;
  }
  FUZZ_CHECK(next == o->plan.nargs, "%zu of %zu arguments bound", next,
             o->plan.nargs);
  if (style != AIODB__PSTYLE_QMARK)
    FUZZ_CHECK(o->plan.nslots == o->plan.nargs, "%zu slots, %zu arguments",
               o->plan.nslots, o->plan.nargs);
  else
    FUZZ_CHECK(o->plan.out_len <= len, "QMARK output grew: %zu > %zu",
               o->plan.out_len, len);
  if ((len == 0 || (memchr(sql, '?', len) == NULL && memchr(sql, ':', len) == NULL)))
    FUZZ_CHECK(o->plan.nargs == 0 && o->plan.out_len == len &&
                   (len == 0 || memcmp(o->out, sql, len) == 0),
               "text without placeholders changed");

  /* One byte short, one slot short: refused, not overrun (the output's
   * check is the same code for every style, the slots' differs for QMARK). */
  if (o->plan.out_len > 0 && style == AIODB__PSTYLE_DOLLAR) {
    small = o->plan;
    small.out_len--;
    short_plan_refused(sql, len, d, style, small, "output buffer");
  }
  if (o->plan.nslots > 0 && style != AIODB__PSTYLE_QNUM) {
    small = o->plan;
    small.nslots--;
    short_plan_refused(sql, len, d, style, small, "slot array");
  }
}

static void compare_styles(const char *sql, size_t len, aiodb__dialect d,
                           const outcome *o) {
  const outcome *qnum = &o[AIODB__PSTYLE_QNUM];
  const outcome *dollar = &o[AIODB__PSTYLE_DOLLAR];
  const outcome *qmark = &o[AIODB__PSTYLE_QMARK];
  size_t i, n = 0;

  (void)sql;
  (void)len;
  FUZZ_CHECK(qnum->rc == dollar->rc && qnum->rc == qmark->rc,
             "dialect %d: outcomes %d %d %d", d, qnum->rc, dollar->rc, qmark->rc);
  if (qnum->rc != 0) return;
  FUZZ_CHECK(qnum->plan.nargs == dollar->plan.nargs &&
                 qnum->plan.nargs == qmark->plan.nargs,
             "dialect %d: argument counts differ", d);
  FUZZ_CHECK(qnum->plan.out_len == dollar->plan.out_len,
             "dialect %d: QNUM and DOLLAR lengths differ", d);
  for (i = 0; i < qnum->plan.out_len; i++) {
    if (qnum->out[i] == dollar->out[i]) continue;
    FUZZ_CHECK(qnum->out[i] == '?' && dollar->out[i] == '$',
               "dialect %d: QNUM and DOLLAR differ at %zu", d, i);
    n++;
  }
  FUZZ_CHECK(n == qmark->plan.nslots, "dialect %d: %zu placeholders, %zu QMARK slots",
             d, n, qmark->plan.nslots);
}

/* A ';' that ends a statement is one the rewriter passes at top level:
 * the pieces' outputs, joined by their ';', are the whole's. */
static void split_agrees(const char *sql, size_t len, aiodb__dialect d,
                         const outcome *whole) {
  size_t at = 0, n = 0, end;
  aiodb__sqlplan plan;
  char err[256], *out;
  uint32_t *slots;

  if (whole->rc != 0) return;
  for (;;) {
    end = at + aiodb__sql_stmt_end(sql + at, len - at, d);
    FUZZ_CHECK(end <= len && (end == len || sql[end] == ';'),
               "dialect %d: a statement ends at %zu of %zu", d, end, len);
    memset(&plan, 0, sizeof plan);
    FUZZ_CHECK(aiodb__sql_rewrite(sql + at, end - at, d, AIODB__PSTYLE_QMARK, NULL,
                                  NULL, &plan, err, sizeof err) == 0,
               "dialect %d: the piece at %zu fails: %s", d, at, err);
    out = exact(plan.out_len + 1);
    slots = exact(plan.nslots * sizeof *slots);
    FUZZ_CHECK(aiodb__sql_rewrite(sql + at, end - at, d, AIODB__PSTYLE_QMARK, out,
                                  slots, &plan, err, sizeof err) == 0,
               "dialect %d: the piece at %zu fails: %s", d, at, err);
    FUZZ_CHECK(n + plan.out_len <= whole->plan.out_len &&
                   memcmp(whole->out + n, out, plan.out_len) == 0,
               "dialect %d: the piece at %zu comes out otherwise alone", d, at);
    n += plan.out_len;
    free(out);
    free(slots);
    if (end == len) break;
    FUZZ_CHECK(n < whole->plan.out_len && whole->out[n] == ';',
               "dialect %d: the ';' at %zu is not the whole's", d, end);
    n++;
    at = end + 1;
  }
  FUZZ_CHECK(n == whole->plan.out_len, "dialect %d: the pieces make %zu bytes of %zu", d,
             n, whole->plan.out_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *sql = (const char *)data;
  outcome o[3];
  int d, s;

  for (d = AIODB__DIALECT_SQLITE; d <= AIODB__DIALECT_MYSQL; d++) {
    for (s = AIODB__PSTYLE_QNUM; s <= AIODB__PSTYLE_QMARK; s++)
      rewrite(sql, size, (aiodb__dialect)d, (aiodb__pstyle)s, &o[s]);
    compare_styles(sql, size, (aiodb__dialect)d, o);
    split_agrees(sql, size, (aiodb__dialect)d, &o[AIODB__PSTYLE_QMARK]);
    for (s = 0; s < 3; s++) {
      free(o[s].out);
      free(o[s].slots);
    }
  }
  return 0;
}
