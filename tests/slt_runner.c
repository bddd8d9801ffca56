/*
 * aiodb_slt — a sqllogictest conformance runner that goes through aiodb.
 *
 *   aiodb_slt [options] URL FILE...
 *
 * Runs sqllogictest scripts (the SQLite authors' SQL correctness corpus)
 * through aiodb's public API only, so that each driver can be shown to give
 * exactly what its engine gives directly. The reference is sqllogictest's
 * own C runner (sqllogictest.c with slt_sqlite.c for SQLite and slt_odbc3.c
 * for every other engine); this program replicates its parsing, its value
 * formatting, its sorting and its hashing.
 *
 * URL    an aiodb URL (sqlite:///..., postgresql://..., mysql://...), or
 *        @PATH: the URL is the first line of the file PATH (the ctest
 *        fixtures write the PostgreSQL server's URL to such a file).
 *
 * Every FILE starts from an empty database, on a connection of its own
 * (a fresh aiodb_db with one connection):
 *  - SQLite: the database file named by the URL is DELETED (with its
 *    -journal, -wal and -shm files) before each FILE and after the run, like
 *    the reference runner's test.db: point the URL at a scratch file. With
 *    sqlite:// (memory) each FILE simply gets a new memory database. Like
 *    the reference, the runner sets PRAGMA synchronous=OFF.
 *  - PostgreSQL: every table, view, materialized view, foreign table and
 *    sequence of current_schema() is dropped (CASCADE), found through
 *    pg_catalog.
 *  - MySQL/MariaDB: every table and view of DATABASE() is dropped, found
 *    through information_schema, with FOREIGN_KEY_CHECKS off meanwhile.
 *
 * The engine name that skipif/onlyif match (case-insensitively) is the
 * driver's: "sqlite", "postgresql" or "mysql" (also for MariaDB), unless
 * --engine gives another.
 *
 * Records, as sqllogictest.c reads them: records are separated by blank
 * lines, lines starting with '#' are ignored wherever they are, a record may
 * start with any number of "skipif DB" / "onlyif DB" lines, then one of
 *   statement ok|error     SQL on the following lines
 *   query TYPES [SORT [LABEL]]  SQL, "----", expected values, one per line,
 *                          or "N values hashing to MD5"
 *   hash-threshold N       results of more than N values are compared by
 *                          hash (default 8; 0: never)
 *   halt                   stop reading this file
 * An unknown record type is a failure and ends the file, as in the
 * reference. A record's SQL may hold several statements separated by ';'
 * (trigger bodies, a few evidence records): it goes to aiodb as one string,
 * whose drivers run several statements in order (SQLite: statement after
 * statement; PostgreSQL: the simple query protocol when the text cannot be
 * prepared as one). Trailing ';' and whitespace are removed first, so a
 * single statement always reaches the driver as exactly one statement.
 * The SQL is passed with no arguments; aiodb still reads '?' and ':name' in
 * it as placeholders (the corpus has none outside literals).
 *
 * Values, as the reference formats them (NULL is "NULL" in every column):
 *   T  the value as text; "" becomes "(empty)", then every byte outside
 *      ' '..'~' becomes '@'. Integers print in decimal; a float prints as
 *      the engine prints it: SQLite "%!.15g" (1.0, 1.0e+20), PostgreSQL
 *      float8out (shortest round-trip: 1, 1e+20). Text (also DECIMAL and
 *      NUMERIC, which aiodb gives as text) prints as is.
 *   I  a 32-bit integer, "%d": sqlite3_column_int() for SQLite, SQL_C_SLONG
 *      for ODBC. INT as is, FLOAT truncated toward zero (saturating at the
 *      64-bit limits), TEXT by its leading decimal integer ("12.5" -> 12,
 *      "x" -> 0); the 64-bit value is then wrapped to 32 bits as both
 *      references do.
 *   R  "%.3f" of the value as a double (TEXT by its leading decimal number).
 *      SQLite's runner uses sqlite3_snprintf(), whose %f differs from C's
 *      (at most 16 significant digits, then zeros; "0.000" for -0.0; a
 *      3e-16 rounding nudge): its algorithm (SQLite 3.40's printf.c) is
 *      reproduced here for SQLite, except that beyond 16 digits it rounds
 *      instead of truncating, as the SQLite that made the corpus did
 *      (-9223372036854775808.0 is "-9223372036854776000.000" there; 3.40 on
 *      x86-64 would print ...775000.000). Other engines use C's "%.3f".
 * Query errors: the ODBC reference fails a query whose execution fails.
 * SQLite's reads rows while sqlite3_step() returns SQLITE_ROW, so only a
 * failed prepare fails the query; an error while stepping just ends the
 * rows (slt_lang_aggfunc expects no rows from a sum() that overflows).
 * aiodb fails the whole statement instead, so for SQLite a failed query is
 * checked with EXPLAIN (which prepares without running): when it prepares,
 * the rows before the error are read again one at a time through a cursor
 * (aiodb_iterate, batches of one row) and compared like any result.
 * rowsort sorts the rows and valuesort every value, by strcmp() of the
 * formatted values. Hashes are the MD5 of every value followed by "\n".
 * Queries with a label must hash alike wherever the label appears (skipped
 * records included, as in the reference's verify mode). Comparison is
 * strict: the number of values must match too (the reference stops quietly
 * at the shorter of the two lists).
 *
 * Output: for every FILE one line
 *   FILE: N records, P passed, F failed, S skipped
 * (N counts statement and query records; with -t the time follows), and
 * before it, for the first failures (10 by default), the line number, the
 * SQL and what was expected against what came back.
 *
 * Options:
 *   -x, --expect-failures N  succeed when exactly N records failed in all
 *                            (default 0), for files whose engine is known
 *                            to differ from SQLite's answers
 *   -m, --max-report N       failures shown per file (default 10)
 *   -e, --engine NAME        the name skipif/onlyif match
 *   -t, --time               print each file's wall-clock time
 *
 * Exit status: 0 when the number of failed records is the expected one
 * (0 unless -x), 1 otherwise, 2 for a usage error, and 77 (ctest: skipped)
 * when the database cannot be reached — no @PATH file, or the connection is
 * refused — unless the environment has CI=true, where that is a failure.
 *
 * C11 and the public API of aiodb.h only; MD5 is implemented below.
 */
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aiodb.h"

#define EXIT_SKIP 77
#define DEFAULT_HASH_THRESHOLD 8
#define SQL_SHOWN 160  /* bytes of SQL shown for a failure */

/* ------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------ */

static void die_oom(void) {
  fputs("aiodb_slt: out of memory\n", stderr);
  exit(1);
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (p == NULL) die_oom();
  return p;
}

static void *xrealloc(void *p, size_t n) {
  p = realloc(p, n ? n : 1);
  if (p == NULL) die_oom();
  return p;
}

static char *xstrndup(const char *s, size_t n) {
  char *p = xmalloc(n + 1);
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

static char *xstrdup(const char *s) { return xstrndup(s, strlen(s)); }

/* ASCII-only case-insensitive comparison (stricmp in the reference). */
static int ascii_casecmp(const char *a, const char *b) {
  for (;; a++, b++) {
    int ca = tolower((unsigned char)*a), cb = tolower((unsigned char)*b);
    if (ca != cb || ca == 0) return ca - cb;
  }
}

static int is_ci(void) {
  const char *ci = getenv("CI");
  return ci != NULL && (ascii_casecmp(ci, "true") == 0 ||
                        strcmp(ci, "1") == 0 || ascii_casecmp(ci, "yes") == 0);
}

static double now_seconds(void) {
  struct timespec ts;
  if (timespec_get(&ts, TIME_UTC) == 0) return 0.0;
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A growable byte string, always NUL-terminated once used. */
typedef struct sbuf {
  char *p;
  size_t n, cap;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n) {
  char *dst;
  if (b->p == NULL || b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 256;
    while (cap < b->n + n + 1) cap *= 2;
    b->p = xrealloc(b->p, cap);
    b->cap = cap;
  }
  dst = b->p + b->n;
  memcpy(dst, s, n);
  dst[n] = '\0';
  b->n += n;
}

static void sb_adds(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

static void sb_clear(sbuf *b) {
  b->n = 0;
  if (b->p) b->p[0] = '\0';
}

/* A list of formatted values, each malloc'd. */
typedef struct vlist {
  char **v;
  size_t n, cap;
} vlist;

static void vl_push(vlist *l, char *s) {
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 64;
    l->v = xrealloc(l->v, l->cap * sizeof *l->v);
  }
  l->v[l->n++] = s;
}

static void vl_clear(vlist *l) {
  size_t i;
  for (i = 0; i < l->n; i++) free(l->v[i]);
  l->n = 0;
}

static void vl_free(vlist *l) {
  vl_clear(l);
  free(l->v);
  l->v = NULL;
  l->cap = 0;
}

/* ------------------------------------------------------------------------
 * MD5 (RFC 1321), written from the specification.
 * ------------------------------------------------------------------------ */
typedef struct md5_ctx {
  uint32_t h[4];
  uint64_t len;           /* bytes so far */
  unsigned char buf[64];
  size_t nbuf;
} md5_ctx;

static const uint32_t md5_k[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a,
    0xa8304613, 0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be,
    0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340,
    0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8,
    0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
    0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
    0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92,
    0xffeff47d, 0x85845dd1, 0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
    0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};

static const unsigned char md5_r[64] = {
    7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
    5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
    4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
    6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};

static void md5_init(md5_ctx *c) {
  c->h[0] = 0x67452301;
  c->h[1] = 0xefcdab89;
  c->h[2] = 0x98badcfe;
  c->h[3] = 0x10325476;
  c->len = 0;
  c->nbuf = 0;
}

static void md5_block(md5_ctx *c, const unsigned char *p) {
  uint32_t m[16], a = c->h[0], b = c->h[1], cc = c->h[2], d = c->h[3];
  int i;
  for (i = 0; i < 16; i++)
    m[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
           (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
  for (i = 0; i < 64; i++) {
    uint32_t f, t;
    int g;
    if (i < 16) {
      f = (b & cc) | (~b & d);
      g = i;
    } else if (i < 32) {
      f = (d & b) | (~d & cc);
      g = (5 * i + 1) % 16;
    } else if (i < 48) {
      f = b ^ cc ^ d;
      g = (3 * i + 5) % 16;
    } else {
      f = cc ^ (b | ~d);
      g = (7 * i) % 16;
    }
    t = d;
    d = cc;
    cc = b;
    f = a + f + md5_k[i] + m[g];
    b = b + ((f << md5_r[i]) | (f >> (32 - md5_r[i])));
    a = t;
  }
  c->h[0] += a;
  c->h[1] += b;
  c->h[2] += cc;
  c->h[3] += d;
}

static void md5_update(md5_ctx *c, const void *data, size_t n) {
  const unsigned char *p = data;
  c->len += n;
  while (n > 0) {
    size_t k = 64 - c->nbuf;
    if (k > n) k = n;
    memcpy(c->buf + c->nbuf, p, k);
    c->nbuf += k;
    p += k;
    n -= k;
    if (c->nbuf == 64) {
      md5_block(c, c->buf);
      c->nbuf = 0;
    }
  }
}

/* out: 32 lowercase hex digits and a NUL. */
static void md5_final(md5_ctx *c, char out[33]) {
  static const char hex[] = "0123456789abcdef";
  unsigned char tail[8];
  uint64_t bits = c->len * 8;
  int i;
  unsigned char one = 0x80, zero = 0;
  md5_update(c, &one, 1);
  while (c->nbuf != 56) md5_update(c, &zero, 1);
  for (i = 0; i < 8; i++) tail[i] = (unsigned char)(bits >> (8 * i));
  md5_update(c, tail, 8);
  for (i = 0; i < 16; i++) {
    unsigned char byte = (unsigned char)(c->h[i / 4] >> (8 * (i % 4)));
    out[2 * i] = hex[byte >> 4];
    out[2 * i + 1] = hex[byte & 15];
  }
  out[32] = '\0';
}

/* The MD5 of values[0] "\n" values[1] "\n" ... (each followed by "\n"). */
static void hash_values(char *const *values, size_t n, char out[33]) {
  md5_ctx c;
  size_t i;
  md5_init(&c);
  for (i = 0; i < n; i++) {
    md5_update(&c, values[i], strlen(values[i]));
    md5_update(&c, "\n", 1);
  }
  md5_final(&c, out);
}

/* ------------------------------------------------------------------------
 * Numbers, the way each reference runner renders them
 * ------------------------------------------------------------------------ */

typedef enum engine_kind { ENG_SQLITE, ENG_POSTGRES, ENG_MYSQL } engine_kind;

/* sqlite3_snprintf()'s %f / %g (SQLite 3.40 printf.c: the value scaled in
 * a long double and its digits peeled off one at a time, at most 16 of them
 * significant, or 26 with the '!' flag). generic: %g instead of %f; altform2:
 * the '!' flag. */
static char sq_getdigit(long double *val, int *cnt) {
  int digit;
  long double d;
  if (*cnt <= 0) return '0';
  (*cnt)--;
  digit = (int)*val;
  d = digit;
  *val = (*val - d) * 10.0;
  return (char)(digit + '0');
}

static void sqlite_format_real(char *out, size_t cap, double value,
                               int precision, int generic, int altform2) {
  static const double round_table[] = {5.0e-01, 5.0e-02, 5.0e-03, 5.0e-04,
                                       5.0e-05, 5.0e-06, 5.0e-07, 5.0e-08,
                                       5.0e-09, 5.0e-10};
  long double real = value;
  char buf[400], *p = buf;
  char prefix = 0;
  double rounder;
  int idx, exp = 0, e2, nsd, flag_dp, flag_rtz, exp_form = 0;

  if (real < 0.0) {
    real = -real;
    prefix = '-';
  }
  if (generic && precision > 0) precision--;
  idx = precision & 0xfff;
  rounder = round_table[idx % 10];
  while (idx >= 10) {
    rounder *= 1.0e-10;
    idx -= 10;
  }
  if (!generic) {
    double rx = (double)real;
    uint64_t u;
    int ex;
    memcpy(&u, &rx, sizeof u);
    ex = -1023 + (int)((u >> 52) & 0x7ff);
    if (precision + (ex / 3) < 15) rounder += (double)(real * 3e-16);
    real += rounder;
  }
  if (real != real) {
    snprintf(out, cap, "NaN");
    return;
  }
  if (real > 0.0) {
    long double scale = 1.0;
    while (real >= 1e100 * scale && exp <= 350) {
      scale *= 1e100;
      exp += 100;
    }
    while (real >= 1e10 * scale && exp <= 350) {
      scale *= 1e10;
      exp += 10;
    }
    while (real >= 10.0 * scale && exp <= 350) {
      scale *= 10.0;
      exp++;
    }
    real /= scale;
    while (real < 1e-8) {
      real *= 1e8;
      exp -= 8;
    }
    while (real < 1.0) {
      real *= 10.0;
      exp--;
    }
    if (exp > 350) {
      snprintf(out, cap, "%sInf", prefix ? "-" : "");
      return;
    }
    /* More digits than the 16 SQLite shows: 3.40 on x86-64 truncates
     * there, but the corpus was made by a SQLite that rounds (as 3.43+
     * does, and builds without an extended long double did), so round. */
    if (!generic && !altform2 && exp + 1 + precision > 16) {
      real += 5e-16L;
      if (real >= 10.0) {
        real *= 0.1;
        exp++;
      }
    }
  }
  if (generic) {
    real += rounder;
    if (real >= 10.0) {
      real *= 0.1;
      exp++;
    }
    flag_rtz = 1; /* no '#' flag */
    if (exp < -4 || exp > precision) {
      exp_form = 1;
    } else {
      precision = precision - exp;
    }
  } else {
    flag_rtz = altform2;
  }
  e2 = exp_form ? 0 : exp; /* at most 350: buf has room */
  nsd = 16 + altform2 * 10;
  flag_dp = (precision > 0 ? 1 : 0) | altform2;
  if (prefix) *p++ = prefix;
  if (e2 < 0) {
    *p++ = '0';
  } else {
    for (; e2 >= 0; e2--) *p++ = sq_getdigit(&real, &nsd);
  }
  if (flag_dp) *p++ = '.';
  for (e2++; e2 < 0; precision--, e2++) *p++ = '0';
  while ((precision--) > 0) *p++ = sq_getdigit(&real, &nsd);
  if (flag_rtz && flag_dp) {
    while (p[-1] == '0') *(--p) = 0;
    if (p[-1] == '.') {
      if (altform2)
        *p++ = '0';
      else
        *(--p) = 0;
    }
  }
  if (exp_form) {
    *p++ = 'e';
    if (exp < 0) {
      *p++ = '-';
      exp = -exp;
    } else {
      *p++ = '+';
    }
    if (exp >= 100) {
      *p++ = (char)((exp / 100) + '0');
      exp %= 100;
    }
    *p++ = (char)(exp / 10 + '0');
    *p++ = (char)(exp % 10 + '0');
  }
  *p = '\0';
  snprintf(out, cap, "%s", buf);
}

/* A float8 as PostgreSQL prints it (float8out, extra_float_digits 1): the
 * shortest decimal that reads back as the same double, in fixed notation
 * for exponents -4..14 and as d.ddde+XX otherwise. */
static void pg_format_float8(char *out, size_t cap, double v) {
  char buf[64], digits[32];
  int prec, exp, nd = 0, neg, i;
  const char *p;

  if (v != v) {
    snprintf(out, cap, "NaN");
    return;
  }
  if (v > DBL_MAX || v < -DBL_MAX) {
    snprintf(out, cap, "%sInfinity", v < 0 ? "-" : "");
    return;
  }
  if (v == 0.0) {
    snprintf(out, cap, "%s", signbit(v) ? "-0" : "0");
    return;
  }
  for (prec = 1; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*e", prec - 1, v);
    if (strtod(buf, NULL) == v) break;
  }
  neg = buf[0] == '-';
  for (p = buf + neg; *p && *p != 'e'; p++)
    if (*p >= '0' && *p <= '9') digits[nd++] = *p;
  digits[nd] = '\0';
  exp = *p == 'e' ? atoi(p + 1) : 0;
  if (exp < -4 || exp >= 15) {
    snprintf(out, cap, "%s", buf);
    return;
  }
  {
    sbuf s = {0};
    if (neg) sb_adds(&s, "-");
    if (exp < 0) {
      sb_adds(&s, "0.");
      for (i = -1; i > exp; i--) sb_adds(&s, "0");
      sb_adds(&s, digits);
    } else {
      for (i = 0; i <= exp; i++) sb_add(&s, i < nd ? digits + i : "0", 1);
      if (nd > exp + 1) {
        sb_adds(&s, ".");
        sb_adds(&s, digits + exp + 1);
      }
    }
    snprintf(out, cap, "%s", s.p);
    free(s.p);
  }
}

/* A float as MySQL/MariaDB print a DOUBLE: the shortest round-trip
 * digits, exponent form as "1e20" / "1e-7" beyond 15 digits. */
static void mysql_format_double(char *out, size_t cap, double v) {
  char buf[64];
  char *e;
  pg_format_float8(buf, sizeof buf, v);
  e = strchr(buf, 'e');
  if (e != NULL && e[1] == '+') {
    memmove(e + 1, e + 2, strlen(e + 2) + 1);
  }
  if (e != NULL) {
    /* "1e-07" -> "1e-7" */
    char *d = e + 1 + (e[1] == '-');
    while (d[0] == '0' && d[1] != '\0') memmove(d, d + 1, strlen(d));
  }
  snprintf(out, cap, "%s", buf);
}

/* The leading decimal integer of s (sqlite3Atoi64 / strtol: spaces, sign,
 * digits), saturated at the int64 limits; 0 when there is none. */
static int64_t leading_int(const char *s) {
  uint64_t u = 0;
  int neg = 0, overflow = 0;
  while (*s == ' ' || (*s >= '\t' && *s <= '\r')) s++;
  if (*s == '-' || *s == '+') neg = *s++ == '-';
  for (; *s >= '0' && *s <= '9'; s++) {
    unsigned d = (unsigned)(*s - '0');
    if (u > (UINT64_MAX - d) / 10)
      overflow = 1;
    else
      u = u * 10 + d;
  }
  if (neg) {
    if (overflow || u > (uint64_t)INT64_MAX + 1) return INT64_MIN;
    return u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
  }
  if (overflow || u > (uint64_t)INT64_MAX) return INT64_MAX;
  return (int64_t)u;
}

/* The leading decimal number of s (sqlite3AtoF / atof without hex, inf
 * or nan): spaces, sign, digits, '.', digits, exponent. 0.0 when none. */
static double leading_real(const char *s) {
  const char *start, *p;
  char tmp[512];
  int digits = 0;
  size_t n;
  while (*s == ' ' || (*s >= '\t' && *s <= '\r')) s++;
  start = p = s;
  if (*p == '-' || *p == '+') p++;
  while (*p >= '0' && *p <= '9') p++, digits++;
  if (*p == '.') {
    p++;
    while (*p >= '0' && *p <= '9') p++, digits++;
  }
  if (digits == 0) return 0.0;
  if (*p == 'e' || *p == 'E') {
    const char *q = p + 1;
    if (*q == '-' || *q == '+') q++;
    if (*q >= '0' && *q <= '9') {
      while (*q >= '0' && *q <= '9') q++;
      p = q;
    }
  }
  n = (size_t)(p - start);
  if (n >= sizeof tmp) {
    char *big = xstrndup(start, n);
    double d = strtod(big, NULL);
    free(big);
    return d;
  }
  memcpy(tmp, start, n);
  tmp[n] = '\0';
  return strtod(tmp, NULL);
}

/* sqlite3's doubleToInt64(): truncation toward zero, saturating. */
static int64_t real_to_int(double r) {
  if (r != r) return 0;
  if (r <= -9223372036854775808.0) return INT64_MIN;
  if (r >= 9223372036854775808.0) return INT64_MAX;
  return (int64_t)r;
}

/* The low 32 bits as a signed int: (int)sqlite3_column_int64(), and what
 * SQL_C_SLONG's atoi() leaves of a 64-bit value. */
static long wrap32(int64_t v) {
  uint32_t u = (uint32_t)((uint64_t)v & 0xffffffffu);
  if (u <= 0x7fffffffu) return (long)u;
  return (long)((int64_t)u - INT64_C(4294967296));
}

/* ------------------------------------------------------------------------
 * Formatting one cell of a result for its column type character
 * ------------------------------------------------------------------------ */
static char *format_cell(const aiodb_result *r, size_t row, size_t col,
                         char type, engine_kind eng) {
  aiodb_type t = aiodb_result_type(r, row, col);
  char num[128];

  if (t == AIODB_TYPE_NULL) return xstrdup("NULL");
  if (type == 'I') {
    int64_t v;
    if (t == AIODB_TYPE_INT)
      v = aiodb_result_int(r, row, col);
    else if (t == AIODB_TYPE_FLOAT)
      v = real_to_int(aiodb_result_float(r, row, col));
    else
      v = leading_int(aiodb_result_text(r, row, col));
    snprintf(num, sizeof num, "%ld", wrap32(v));
    return xstrdup(num);
  }
  if (type == 'R') {
    double d;
    if (t == AIODB_TYPE_INT)
      d = (double)aiodb_result_int(r, row, col);
    else if (t == AIODB_TYPE_FLOAT)
      d = aiodb_result_float(r, row, col);
    else
      d = leading_real(aiodb_result_text(r, row, col));
    if (eng == ENG_SQLITE)
      sqlite_format_real(num, sizeof num, d, 3, 0, 0);
    else
      snprintf(num, sizeof num, "%.3f", d);
    return xstrdup(num);
  }
  /* 'T' */
  {
    char *s, *z;
    if (t == AIODB_TYPE_INT) {
      snprintf(num, sizeof num, "%lld",
               (long long)aiodb_result_int(r, row, col));
      s = xstrdup(num);
    } else if (t == AIODB_TYPE_FLOAT) {
      double d = aiodb_result_float(r, row, col);
      if (eng == ENG_SQLITE)
        sqlite_format_real(num, sizeof num, d, 15, 1, 1);
      else if (eng == ENG_POSTGRES)
        pg_format_float8(num, sizeof num, d);
      else
        mysql_format_double(num, sizeof num, d);
      s = xstrdup(num);
    } else if (t == AIODB_TYPE_BLOB && eng == ENG_POSTGRES) {
      /* bytea as PostgreSQL prints it (bytea_output = hex) */
      static const char hex[] = "0123456789abcdef";
      const unsigned char *b = aiodb_result_blob(r, row, col);
      size_t n = aiodb_result_len(r, row, col), i;
      s = xmalloc(2 * n + 3);
      s[0] = '\\';
      s[1] = 'x';
      for (i = 0; i < n; i++) {
        s[2 + 2 * i] = hex[b[i] >> 4];
        s[3 + 2 * i] = hex[b[i] & 15];
      }
      s[2 + 2 * n] = '\0';
    } else {
      /* text (or SQLite's blob, read as text): up to the first NUL */
      const char *v = t == AIODB_TYPE_BLOB ? aiodb_result_blob(r, row, col)
                                           : aiodb_result_text(r, row, col);
      s = xstrdup(v ? v : "");
    }
    if (s[0] == '\0') {
      free(s);
      return xstrdup("(empty)");
    }
    for (z = s; *z; z++)
      if ((unsigned char)*z < ' ' || (unsigned char)*z > '~') *z = '@';
    return s;
  }
}

/* ------------------------------------------------------------------------
 * Labels: every query with the same label must hash alike
 * ------------------------------------------------------------------------ */
#define LABEL_BUCKETS 4093

typedef struct label {
  char *name;
  char hash[33];
  struct label *next;
} label;

typedef struct labels {
  label *bucket[LABEL_BUCKETS];
} labels;

static unsigned label_slot(const char *s) {
  unsigned h = 2166136261u;
  while (*s) h = (h ^ (unsigned char)*s++) * 16777619u;
  return h % LABEL_BUCKETS;
}

/* 0 if name is new (then remembered with hash) or had this hash; 1 if it
 * had another, which *previous then points at. */
static int label_check(labels *ls, const char *name, const char *hash,
                       const char **previous) {
  unsigned slot = label_slot(name);
  label *l;
  for (l = ls->bucket[slot]; l != NULL; l = l->next) {
    if (strcmp(l->name, name) == 0) {
      *previous = l->hash;
      return strcmp(l->hash, hash) != 0;
    }
  }
  l = xmalloc(sizeof *l);
  l->name = xstrdup(name);
  snprintf(l->hash, sizeof l->hash, "%s", hash);
  l->next = ls->bucket[slot];
  ls->bucket[slot] = l;
  return 0;
}

static void labels_clear(labels *ls) {
  size_t i;
  for (i = 0; i < LABEL_BUCKETS; i++) {
    label *l = ls->bucket[i], *next;
    for (; l != NULL; l = next) {
      next = l->next;
      free(l->name);
      free(l);
    }
    ls->bucket[i] = NULL;
  }
}

/* ------------------------------------------------------------------------
 * Scripts: the file as lines, comment lines dropped
 * ------------------------------------------------------------------------ */
typedef struct line {
  const char *s; /* NUL-terminated inside the script's buffer; "" if blank */
  int no;        /* 1-based line number in the file */
} line;

typedef struct script {
  char *text;
  line *lines;
  size_t n;
} script;

static int script_load(script *sc, const char *path) {
  FILE *f = fopen(path, "rb");
  size_t cap = 0, len = 0, got, nlines = 0, i;
  char *p, *end;
  int no = 0;

  memset(sc, 0, sizeof *sc);
  if (f == NULL) return -1;
  sc->text = NULL;
  for (;;) {
    if (len + 65536 + 1 > cap) {
      cap = cap ? cap * 2 : 1 << 20;
      sc->text = xrealloc(sc->text, cap);
    }
    got = fread(sc->text + len, 1, cap - len - 1, f);
    len += got;
    if (got == 0) break;
  }
  if (ferror(f)) {
    fclose(f);
    free(sc->text);
    sc->text = NULL;
    return -1;
  }
  fclose(f);
  sc->text[len] = '\0';
  for (i = 0; i < len; i++)
    if (sc->text[i] == '\n') nlines++;
  sc->lines = xmalloc((nlines + 1) * sizeof *sc->lines);
  p = sc->text;
  end = sc->text + len;
  while (p < end) {
    char *nl = memchr(p, '\n', (size_t)(end - p)), *q;
    if (nl == NULL) nl = end;
    *nl = '\0';
    no++;
    if (nl > p && nl[-1] == '\r') nl[-1] = '\0';
    /* a line of nothing but spaces is a blank line */
    for (q = p; *q && isspace((unsigned char)*q); q++) {
    }
    if (*q == '\0') *p = '\0';
    if (p[0] != '#') {
      sc->lines[sc->n].s = p;
      sc->lines[sc->n].no = no;
      sc->n++;
    }
    p = nl + 1;
  }
  return 0;
}

static void script_free(script *sc) {
  free(sc->text);
  free(sc->lines);
  memset(sc, 0, sizeof *sc);
}

/* Splits a line into up to 4 whitespace-separated tokens (each cut at 199
 * bytes, as the reference does). */
static void tokenize(const char *s, char tok[4][200]) {
  int i;
  for (i = 0; i < 4; i++) tok[i][0] = '\0';
  for (i = 0; i < 4; i++) {
    size_t n = 0;
    while (isspace((unsigned char)*s)) s++;
    if (*s == '\0') break;
    while (*s && !isspace((unsigned char)*s)) {
      if (n < 199) tok[i][n++] = *s;
      s++;
    }
    tok[i][n] = '\0';
  }
}

/* ------------------------------------------------------------------------
 * Databases
 * ------------------------------------------------------------------------ */
typedef struct runner {
  const char *url;
  engine_kind eng;
  const char *engine_name;  /* for skipif/onlyif */
  char *sqlite_path;        /* file to delete before each script, or NULL */
  int max_report;
  int show_time;
  int connected_once;       /* a connection has worked at least once */
  aiodb_db *db;
  labels labels;
  /* totals */
  long files, records, passed, failed, skipped;
} runner;

static int hexdigit(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* The file a sqlite URL names, percent-decoded, or NULL for a memory
 * database or a "file:" URI (left alone). */
static char *sqlite_file_of(const char *url) {
  const char *p = strstr(url, "://"), *end;
  char *out, *o;
  if (p == NULL) return NULL;
  p += 3;
  if (*p != '/') return NULL; /* sqlite:// (memory) or a host */
  p++;
  end = p + strcspn(p, "?#");
  if (end == p) return NULL;
  out = o = xmalloc((size_t)(end - p) + 1);
  for (; p < end; p++) {
    if (*p == '%' && end - p >= 3 && hexdigit(p[1]) >= 0 &&
        hexdigit(p[2]) >= 0) {
      *o++ = (char)(hexdigit(p[1]) * 16 + hexdigit(p[2]));
      p += 2;
    } else {
      *o++ = *p;
    }
  }
  *o = '\0';
  if (strcmp(out, ":memory:") == 0 || strncmp(out, "file:", 5) == 0) {
    free(out);
    return NULL;
  }
  return out;
}

static void sqlite_remove_files(const char *path) {
  static const char *const suffix[] = {"", "-journal", "-wal", "-shm"};
  size_t i, n = strlen(path);
  char *name = xmalloc(n + 16);
  for (i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
    snprintf(name, n + 16, "%s%s", path, suffix[i]);
    remove(name);
  }
  free(name);
}

static int is_connect_error(int code) {
  return code == AIODB_ECONNECT || code == AIODB_ECONNLOST ||
         code == AIODB_EALREADYQUIT;
}

/* Runs sql; the result (or NULL with err set). */
static aiodb_result *run_sql(runner *rn, const char *sql, aiodb_error *err) {
  memset(err, 0, sizeof *err);
  return aiodb_query_sync(rn->db, sql, NULL, 0, err);
}

/* Appends name quoted as an identifier with quote character q. */
static void add_ident(sbuf *b, const char *name, char q) {
  sb_add(b, &q, 1);
  for (; *name; name++) {
    sb_add(b, name, 1);
    if (*name == q) sb_add(b, &q, 1);
  }
  sb_add(b, &q, 1);
}

/* Drops every table and view (PostgreSQL, MySQL). 0 or an aiodb code. */
static int drop_everything(runner *rn, aiodb_error *err) {
  const char *list_sql;
  aiodb_result *r;
  sbuf b = {0};
  size_t i;
  int rc = 0;
  char q;

  if (rn->eng == ENG_POSTGRES) {
    list_sql =
        "SELECT c.relname::text, c.relkind::text FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() "
        "AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') "
        "ORDER BY CASE c.relkind WHEN 'v' THEN 0 WHEN 'm' THEN 1 "
        "WHEN 'S' THEN 3 ELSE 2 END, 1";
    q = '"';
  } else {
    list_sql =
        "SELECT table_name, CASE WHEN table_type = 'VIEW' THEN 'v' ELSE 'r' "
        "END FROM information_schema.tables WHERE table_schema = DATABASE() "
        "ORDER BY 2 DESC, 1";
    q = '`';
  }
  r = run_sql(rn, list_sql, err);
  if (r == NULL) return err->code ? err->code : AIODB_ESQL;
  if (rn->eng == ENG_MYSQL) {
    aiodb_result *x = run_sql(rn, "SET FOREIGN_KEY_CHECKS = 0", err);
    if (x == NULL) rc = err->code;
    aiodb_result_free(x);
  }
  for (i = 0; rc == 0 && i < aiodb_result_rows(r); i++) {
    const char *name = aiodb_result_text(r, i, 0);
    const char *kind = aiodb_result_text(r, i, 1);
    const char *what = "TABLE";
    aiodb_result *x;
    if (name == NULL || kind == NULL) continue;
    switch (kind[0]) {
      case 'v': what = "VIEW"; break;
      case 'm': what = "MATERIALIZED VIEW"; break;
      case 'f': what = "FOREIGN TABLE"; break;
      case 'S': what = "SEQUENCE"; break;
      default: break;
    }
    sb_clear(&b);
    sb_adds(&b, "DROP ");
    sb_adds(&b, what);
    sb_adds(&b, " IF EXISTS ");
    add_ident(&b, name, q);
    if (rn->eng == ENG_POSTGRES) sb_adds(&b, " CASCADE");
    x = run_sql(rn, b.p, err);
    if (x == NULL) rc = err->code ? err->code : AIODB_ESQL;
    aiodb_result_free(x);
  }
  if (rn->eng == ENG_MYSQL) {
    aiodb_error e2;
    aiodb_result *x = run_sql(rn, "SET FOREIGN_KEY_CHECKS = 1", &e2);
    if (x == NULL && rc == 0) {
      rc = e2.code;
      *err = e2;
    }
    aiodb_result_free(x);
  }
  aiodb_result_free(r);
  free(b.p);
  return rc;
}

/* Opens a fresh, empty database for one script. 0, or an aiodb code with
 * err filled. */
static int db_begin(runner *rn, aiodb_error *err) {
  aiodb_result *r;
  int rc = 0;

  memset(err, 0, sizeof *err);
  if (rn->sqlite_path) sqlite_remove_files(rn->sqlite_path);
  rn->db = aiodb_open(rn->url, NULL, err);
  if (rn->db == NULL) return err->code ? err->code : AIODB_EINVAL;
  if (rn->eng == ENG_SQLITE) {
    /* as the reference runner does */
    r = run_sql(rn, "PRAGMA synchronous=OFF", err);
    if (r == NULL) rc = err->code ? err->code : AIODB_ESQL;
    aiodb_result_free(r);
  } else {
    rc = drop_everything(rn, err);
  }
  if (rc == 0) rn->connected_once = 1;
  return rc;
}

static void db_end(runner *rn) {
  aiodb_db_free(rn->db);
  rn->db = NULL;
  if (rn->sqlite_path) sqlite_remove_files(rn->sqlite_path);
}

/* ------------------------------------------------------------------------
 * Running one script
 * ------------------------------------------------------------------------ */
typedef struct file_stats {
  const char *path;
  long records, passed, failed, skipped;
  int reported;
} file_stats;

/* One line of text, at most max bytes: newlines and tabs as spaces. */
static void print_short(const char *prefix, const char *s, size_t max) {
  size_t n = strlen(s), i;
  fputs(prefix, stdout);
  for (i = 0; i < n && i < max; i++) {
    char c = s[i];
    putchar(c == '\n' || c == '\t' || c == '\r' ? ' ' : c);
  }
  if (n > max) fputs("...", stdout);
  putchar('\n');
}

/* Starts a failure report; 0 if this file has shown enough already. */
static int report(runner *rn, file_stats *fs, int lineno, const char *what,
                  const char *sql) {
  fs->failed++;
  if (fs->reported >= rn->max_report) return 0;
  fs->reported++;
  printf("  %s:%d: %s\n", fs->path, lineno, what);
  if (sql) print_short("    sql:      ", sql, SQL_SHOWN);
  return 1;
}

/* The record's SQL: lines [from, to) joined by "\n", without trailing ';'
 * and whitespace. Returns a malloc'd string. */
static char *join_sql(const script *sc, size_t from, size_t to) {
  sbuf b = {0};
  size_t i;
  for (i = from; i < to; i++) {
    if (i > from) sb_adds(&b, "\n");
    sb_adds(&b, sc->lines[i].s);
  }
  if (b.p == NULL) sb_adds(&b, "");
  while (b.n > 0 &&
         (b.p[b.n - 1] == ';' || isspace((unsigned char)b.p[b.n - 1])))
    b.p[--b.n] = '\0';
  return b.p;
}

/* Values of a list as one short line: "a | b | c ...". */
static void print_values(const char *prefix, char *const *v, size_t n,
                         size_t first) {
  sbuf b = {0};
  size_t i;
  char head[64];
  snprintf(head, sizeof head, "%zu value%s", n, n == 1 ? "" : "s");
  sb_adds(&b, head);
  if (n > 0) sb_adds(&b, first ? ", from #" : ": ");
  if (first) {
    snprintf(head, sizeof head, "%zu: ", first + 1);
    sb_adds(&b, head);
  }
  for (i = first; i < n && i < first + 8; i++) {
    if (i > first) sb_adds(&b, " | ");
    sb_adds(&b, v[i]);
  }
  if (i < n) sb_adds(&b, " | ...");
  print_short(prefix, b.p, 200);
  free(b.p);
}

static int row_columns; /* for the qsort comparator */

static int row_compare(const void *a, const void *b) {
  char *const *ra = a, *const *rb = b;
  int i, c = 0;
  for (i = 0; c == 0 && i < row_columns; i++) c = strcmp(ra[i], rb[i]);
  return c;
}

static int value_compare(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Parses "N values hashing to H"; 1 if it is one. */
static int parse_hash_line(const char *s, long *n, char hash[33]) {
  char h[64];
  int used = 0;
  if (sscanf(s, "%ld values hashing to %63s%n", n, h, &used) != 2) return 0;
  if (s[used] != '\0' || strlen(h) != 32) return 0;
  memcpy(hash, h, 33);
  return 1;
}

/* The hash of expected values as listed (for a skipped labeled query). */
static int expected_hash(const script *sc, size_t from, size_t to,
                         char hash[33]) {
  long n;
  md5_ctx c;
  size_t i;
  if (from >= to) return 0;
  if (parse_hash_line(sc->lines[from].s, &n, hash)) return 1;
  md5_init(&c);
  for (i = from; i < to; i++) {
    md5_update(&c, sc->lines[i].s, strlen(sc->lines[i].s));
    md5_update(&c, "\n", 1);
  }
  md5_final(&c, hash);
  return 1;
}

enum { OUTCOME_PASS, OUTCOME_FAIL, OUTCOME_FATAL };

/* 1 if SQLite can prepare sql (EXPLAIN prepares without running it). */
static int sqlite_prepares(runner *rn, const char *sql) {
  aiodb_error err;
  aiodb_result *r;
  char *x = xmalloc(strlen(sql) + 9);
  memcpy(x, "EXPLAIN ", 8);
  strcpy(x + 8, sql);
  r = run_sql(rn, x, &err);
  free(x);
  aiodb_result_free(r);
  return r != NULL;
}

/* The rows sql gives before it fails, one at a time through a cursor (the
 * reference's sqlite3_step() loop); their values are appended to got.
 * Returns the number of rows. */
static size_t sqlite_rows_until_error(runner *rn, const char *sql,
                                      const char *types, vlist *got) {
  aiodb_cursor *cur = aiodb_iterate(rn->db, sql, NULL, 0, 1);
  size_t rows = 0, ncols = strlen(types);
  if (cur == NULL) die_oom();
  for (;;) {
    aiodb_future *f = aiodb_cursor_next(cur);
    aiodb_result *r;
    size_t n, row, col;
    if (f == NULL) die_oom();
    aiodb_future_wait(f, -1);
    r = aiodb_future_error(f) ? NULL : aiodb_future_result(f);
    n = r ? aiodb_result_rows(r) : 0;
    if (r != NULL && n > 0 && aiodb_result_cols(r) == ncols) {
      for (row = 0; row < n; row++)
        for (col = 0; col < ncols; col++)
          vl_push(got, format_cell(r, row, col, types[col], rn->eng));
      rows += n;
    }
    aiodb_future_free(f);
    if (n == 0) break;
  }
  aiodb_cursor_free(cur);
  return rows;
}

static int run_statement(runner *rn, file_stats *fs, int lineno, int want_ok,
                         const char *sql) {
  aiodb_error err;
  aiodb_result *r = run_sql(rn, sql, &err);
  int ok = r != NULL;
  aiodb_result_free(r);
  if (!ok && (is_connect_error(err.code) || err.code == AIODB_EINVAL)) {
    /* not the engine's answer: the connection is gone, or aiodb refused
     * the text (e.g. a stray '?') */
    if (report(rn, fs, lineno, "statement not run by aiodb", sql))
      printf("    error:    %s: %s\n", aiodb_err_name(err.code), err.message);
    return is_connect_error(err.code) ? OUTCOME_FATAL : OUTCOME_FAIL;
  }
  if (ok == want_ok) return OUTCOME_PASS;
  if (report(rn, fs, lineno,
             want_ok ? "statement ok failed" : "statement error succeeded",
             sql) &&
      want_ok)
    printf("    error:    %s: %s\n", aiodb_err_name(err.code), err.message);
  return OUTCOME_FAIL;
}

static int run_query(runner *rn, file_stats *fs, const script *sc, int lineno,
                     char tok[4][200], const char *sql, size_t exp_from,
                     size_t exp_to, int hash_threshold) {
  const char *types = tok[1], *sort = tok[2], *lbl = tok[3];
  size_t ncols = strlen(types), rows, row, col, i, nexp = exp_to - exp_from;
  aiodb_error err;
  aiodb_result *r;
  vlist got = {0};
  char hash[33], exp_hash[33];
  long exp_n = 0;
  int outcome = OUTCOME_PASS, by_hash;
  aiodb_error step_error;

  memset(&step_error, 0, sizeof step_error);

  for (i = 0; i < ncols; i++) {
    if (types[i] != 'T' && types[i] != 'I' && types[i] != 'R') {
      report(rn, fs, lineno, "unknown type character in the type string", sql);
      return OUTCOME_FAIL;
    }
  }
  if (ncols == 0) {
    report(rn, fs, lineno, "missing type string", sql);
    return OUTCOME_FAIL;
  }
  if (sort[0] && strcmp(sort, "nosort") && strcmp(sort, "rowsort") &&
      strcmp(sort, "valuesort")) {
    report(rn, fs, lineno, "unknown sort mode", sql);
    return OUTCOME_FAIL;
  }

  r = run_sql(rn, sql, &err);
  if (r == NULL && rn->eng == ENG_SQLITE && !is_connect_error(err.code) &&
      err.code != AIODB_EINVAL && sqlite_prepares(rn, sql)) {
    /* The reference reads rows while sqlite3_step() gives SQLITE_ROW: an
     * error after a successful prepare just ends the rows. */
    step_error = err;
    rows = sqlite_rows_until_error(rn, sql, types, &got);
  } else if (r == NULL) {
    if (report(rn, fs, lineno, "query failed", sql))
      printf("    error:    %s: %s\n", aiodb_err_name(err.code), err.message);
    return is_connect_error(err.code) ? OUTCOME_FATAL : OUTCOME_FAIL;
  } else if (aiodb_result_cols(r) != ncols) {
    if (report(rn, fs, lineno, "wrong number of result columns", sql))
      printf("    expected: %zu, got %zu\n", ncols, aiodb_result_cols(r));
    aiodb_result_free(r);
    return OUTCOME_FAIL;
  } else {
    rows = aiodb_result_rows(r);
    for (row = 0; row < rows; row++)
      for (col = 0; col < ncols; col++)
        vl_push(&got, format_cell(r, row, col, types[col], rn->eng));
    aiodb_result_free(r);
  }

  if (strcmp(sort, "rowsort") == 0 && rows > 1) {
    row_columns = (int)ncols;
    qsort(got.v, rows, ncols * sizeof *got.v, row_compare);
  } else if (strcmp(sort, "valuesort") == 0 && got.n > 1) {
    qsort(got.v, got.n, sizeof *got.v, value_compare);
  }

  hash_values(got.v, got.n, hash);
  if (lbl[0]) {
    const char *prev = NULL;
    if (label_check(&rn->labels, lbl, hash, &prev)) {
      if (report(rn, fs, lineno, "labeled result does not agree with an "
                                 "earlier query of the same label", sql))
        printf("    label:    %s: earlier %s, now %s\n", lbl, prev, hash);
      outcome = OUTCOME_FAIL;
    }
  }

  /* Compare as the reference does: by hash when there are more values than
   * the threshold, else value by value. */
  by_hash = hash_threshold > 0 && got.n > (size_t)hash_threshold;
  if (by_hash) {
    int ok = nexp == 1 &&
             parse_hash_line(sc->lines[exp_from].s, &exp_n, exp_hash) &&
             (size_t)exp_n == got.n && strcmp(exp_hash, hash) == 0;
    if (!ok) {
      if (outcome == OUTCOME_PASS &&
          report(rn, fs, lineno, "wrong result hash", sql)) {
        printf("    expected: %s\n", sc->lines[exp_from].s);
        printf("    got:      %zu values hashing to %s\n", got.n, hash);
        print_values("    values:   ", got.v, got.n, 0);
        if (step_error.code)
          printf("    rows ended by: %s: %s\n", aiodb_err_name(step_error.code),
                 step_error.message);
      }
      outcome = OUTCOME_FAIL;
    }
  } else {
    size_t diff = 0;
    int same = nexp == got.n;
    for (i = 0; i < nexp && i < got.n; i++) {
      if (strcmp(sc->lines[exp_from + i].s, got.v[i]) != 0) {
        same = 0;
        break;
      }
    }
    diff = i;
    if (!same) {
      if (outcome == OUTCOME_PASS &&
          report(rn, fs, lineno, "wrong result", sql)) {
        char **ev = xmalloc((nexp ? nexp : 1) * sizeof *ev);
        size_t from = diff > 2 ? diff - 2 : 0;
        for (i = 0; i < nexp; i++) ev[i] = (char *)sc->lines[exp_from + i].s;
        printf("    first difference at value #%zu (line %d)\n", diff + 1,
               diff < nexp ? sc->lines[exp_from + diff].no
                           : (nexp ? sc->lines[exp_to - 1].no + 1 : lineno));
        print_values("    expected: ", ev, nexp, from);
        print_values("    got:      ", got.v, got.n, from);
        if (step_error.code)
          printf("    rows ended by: %s: %s\n", aiodb_err_name(step_error.code),
                 step_error.message);
        free(ev);
      }
      outcome = OUTCOME_FAIL;
    }
  }
  vl_free(&got);
  return outcome;
}

/* Runs one script file. Returns 0, or -1 when the database could not be
 * reached at all (for exit status 77). */
static int run_file(runner *rn, const char *path) {
  script sc;
  file_stats fs;
  aiodb_error err;
  size_t i = 0;
  int hash_threshold = DEFAULT_HASH_THRESHOLD, rc;
  double t0 = now_seconds();
  int halted_at = 0, aborted = 0;

  memset(&fs, 0, sizeof fs);
  fs.path = path;
  if (script_load(&sc, path) != 0) {
    printf("%s: cannot read: %s\n", path, strerror(errno));
    rn->files++;
    rn->failed++;
    return 0;
  }
  rc = db_begin(rn, &err);
  if (rc != 0) {
    if (rn->db) db_end(rn);
    script_free(&sc);
    if (!rn->connected_once && is_connect_error(rc)) {
      printf("%s: cannot connect: %s: %s\n", path, aiodb_err_name(rc),
             err.message);
      return -1;
    }
    printf("%s: cannot prepare an empty database: %s: %s\n", path,
           aiodb_err_name(rc), err.message);
    rn->files++;
    rn->failed++;
    return 0;
  }
  labels_clear(&rn->labels);

  while (i < sc.n) {
    char tok[4][200];
    size_t start, end, k;
    int skip = 0, lineno, outcome = OUTCOME_PASS;

    while (i < sc.n && sc.lines[i].s[0] == '\0') i++;
    if (i >= sc.n) break;
    start = i;
    for (end = start; end < sc.n && sc.lines[end].s[0] != '\0'; end++) {
    }
    i = end;

    tokenize(sc.lines[start].s, tok);
    k = start;
    while (strcmp(tok[0], "skipif") == 0 || strcmp(tok[0], "onlyif") == 0) {
      int match = ascii_casecmp(tok[1], rn->engine_name) == 0;
      if (tok[0][0] == 's' ? match : !match) skip = 1;
      k++;
      if (k >= end) {
        tok[0][0] = '\0';
        break;
      }
      tokenize(sc.lines[k].s, tok);
    }
    lineno = k < end ? sc.lines[k].no : sc.lines[start].no;

    if (strcmp(tok[0], "statement") == 0 || strcmp(tok[0], "query") == 0) {
      int is_query = tok[0][0] == 'q';
      size_t sql_end = k + 1;
      char *sql;
      fs.records++;
      if (is_query)
        while (sql_end < end && strcmp(sc.lines[sql_end].s, "----") != 0)
          sql_end++;
      else
        sql_end = end;
      if (skip) {
        char h[33];
        const char *prev;
        /* As in verify mode: a skipped labeled query's expected result
         * still fixes the label's hash. */
        if (is_query && tok[3][0] && sql_end < end &&
            expected_hash(&sc, sql_end + 1, end, h) &&
            label_check(&rn->labels, tok[3], h, &prev)) {
          report(rn, &fs, lineno, "labeled result (of a skipped query) does "
                                  "not agree with an earlier query", NULL);
        } else {
          fs.skipped++;
        }
        continue;
      }
      sql = join_sql(&sc, k + 1, sql_end);
      if (!is_query) {
        if (strcmp(tok[1], "ok") != 0 && strcmp(tok[1], "error") != 0) {
          report(rn, &fs, lineno,
                 "statement argument should be 'ok' or 'error'", sql);
          outcome = OUTCOME_FAIL;
        } else {
          outcome = run_statement(rn, &fs, lineno, tok[1][0] == 'o', sql);
        }
      } else {
        size_t exp_from = sql_end < end ? sql_end + 1 : end;
        outcome = run_query(rn, &fs, &sc, lineno, tok, sql, exp_from, end,
                            hash_threshold);
      }
      free(sql);
      if (outcome == OUTCOME_PASS) fs.passed++;
      if (outcome == OUTCOME_FATAL) {
        printf("  %s:%d: the connection is gone; the rest of the file is not "
               "run\n",
               path, lineno);
        aborted = 1;
        break;
      }
    } else if (skip) {
      continue; /* a skipped hash-threshold or halt */
    } else if (strcmp(tok[0], "hash-threshold") == 0) {
      hash_threshold = atoi(tok[1]);
    } else if (strcmp(tok[0], "halt") == 0) {
      halted_at = lineno;
      break;
    } else {
      char what[256];
      fs.records++;
      snprintf(what, sizeof what, "unknown record type: '%s'", tok[0]);
      report(rn, &fs, lineno, what, NULL);
      aborted = 1;
      break;
    }
  }
  db_end(rn);
  script_free(&sc);

  if (fs.failed > fs.reported)
    printf("  %s: ... and %ld more failure%s\n", path, fs.failed - fs.reported,
           fs.failed - fs.reported == 1 ? "" : "s");
  printf("%s: %ld records, %ld passed, %ld failed, %ld skipped", path,
         fs.records, fs.passed, fs.failed, fs.skipped);
  if (halted_at) printf(" (halt at line %d)", halted_at);
  if (aborted) printf(" (stopped early)");
  if (rn->show_time) printf(" in %.3f s", now_seconds() - t0);
  putchar('\n');
  fflush(stdout);
  rn->files++;
  rn->records += fs.records;
  rn->passed += fs.passed;
  rn->failed += fs.failed;
  rn->skipped += fs.skipped;
  return 0;
}

/* ------------------------------------------------------------------------
 * main
 * ------------------------------------------------------------------------ */
static void usage(void) {
  fputs("usage: aiodb_slt [-x N] [-m N] [-e ENGINE] [-t] URL|@URLFILE FILE...\n"
        "  -x, --expect-failures N  exit 0 when exactly N records fail\n"
        "  -m, --max-report N       failures shown per file (default 10)\n"
        "  -e, --engine NAME        name for skipif/onlyif (default: the "
        "driver's)\n"
        "  -t, --time               show each file's time\n",
        stderr);
}

/* Reads the URL from the first line of path; NULL if there is none. */
static char *read_url_file(const char *path) {
  FILE *f = fopen(path, "r");
  char buf[4096];
  size_t n;
  if (f == NULL) return NULL;
  if (fgets(buf, sizeof buf, f) == NULL) {
    fclose(f);
    return NULL;
  }
  fclose(f);
  n = strlen(buf);
  while (n > 0 && isspace((unsigned char)buf[n - 1])) buf[--n] = '\0';
  return n ? xstrdup(buf) : NULL;
}

static int parse_count(const char *s, long *out) {
  char *end;
  long v;
  errno = 0;
  v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < 0) return -1;
  *out = v;
  return 0;
}

int main(int argc, char **argv) {
  runner rn;
  long expect_failures = 0, max_report = 10;
  const char *engine_override = NULL, *driver;
  char *url_owned = NULL;
  aiodb_db *probe;
  aiodb_error err;
  int i, status;
  double t0;

  memset(&rn, 0, sizeof rn);
  for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    }
    if ((strcmp(a, "-x") == 0 || strcmp(a, "--expect-failures") == 0) &&
        i + 1 < argc) {
      if (parse_count(argv[++i], &expect_failures) != 0) {
        usage();
        return 2;
      }
    } else if ((strcmp(a, "-m") == 0 || strcmp(a, "--max-report") == 0) &&
               i + 1 < argc) {
      if (parse_count(argv[++i], &max_report) != 0) {
        usage();
        return 2;
      }
    } else if ((strcmp(a, "-e") == 0 || strcmp(a, "--engine") == 0) &&
               i + 1 < argc) {
      engine_override = argv[++i];
    } else if (strcmp(a, "-t") == 0 || strcmp(a, "--time") == 0) {
      rn.show_time = 1;
    } else {
      usage();
      return 2;
    }
  }
  if (argc - i < 2) {
    usage();
    return 2;
  }
  rn.max_report = max_report > INT_MAX ? INT_MAX : (int)max_report;

  rn.url = argv[i++];
  if (rn.url[0] == '@') {
    url_owned = read_url_file(rn.url + 1);
    if (url_owned == NULL) {
      fprintf(stderr, "aiodb_slt: no URL in %s (is the server running?)\n",
              rn.url + 1);
      if (is_ci()) return 1;
      fputs("aiodb_slt: skipped (set CI=true to make this a failure)\n",
            stderr);
      return EXIT_SKIP;
    }
    rn.url = url_owned;
  }

  /* Which driver: a first open checks the URL without connecting. */
  probe = aiodb_open(rn.url, NULL, &err);
  if (probe == NULL) {
    fprintf(stderr, "aiodb_slt: cannot open the URL: %s: %s\n",
            aiodb_err_name(err.code), err.message);
    free(url_owned);
    return err.code == AIODB_EUNSUPPORTED && !is_ci() ? EXIT_SKIP : 1;
  }
  driver = aiodb_db_driver(probe);
  if (strcmp(driver, "sqlite") == 0) {
    rn.eng = ENG_SQLITE;
    rn.engine_name = "sqlite";
  } else if (strcmp(driver, "postgresql") == 0) {
    rn.eng = ENG_POSTGRES;
    rn.engine_name = "postgresql";
  } else {
    rn.eng = ENG_MYSQL;
    rn.engine_name = "mysql";
  }
  aiodb_db_free(probe);
  if (engine_override) rn.engine_name = engine_override;
  if (rn.eng == ENG_SQLITE) rn.sqlite_path = sqlite_file_of(rn.url);

  t0 = now_seconds();
  status = 0;
  for (; i < argc; i++) {
    if (run_file(&rn, argv[i]) != 0) {
      status = is_ci() ? 1 : EXIT_SKIP;
      if (status == EXIT_SKIP)
        fputs("aiodb_slt: skipped (set CI=true to make this a failure)\n",
              stderr);
      break;
    }
  }
  labels_clear(&rn.labels);
  if (status == 0) {
    if (rn.files > 1) {
      printf("TOTAL (%s, %ld files): %ld records, %ld passed, %ld failed, "
             "%ld skipped",
             rn.engine_name, rn.files, rn.records, rn.passed, rn.failed,
             rn.skipped);
      if (rn.show_time) printf(" in %.3f s", now_seconds() - t0);
      putchar('\n');
    }
    if (rn.failed != expect_failures) {
      if (expect_failures)
        printf("expected %ld failure%s, got %ld\n", expect_failures,
               expect_failures == 1 ? "" : "s", rn.failed);
      status = 1;
    }
  }
  free(rn.sqlite_path);
  free(url_owned);
  return status;
}
