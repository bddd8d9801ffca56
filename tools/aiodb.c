/* aiodb: the command-line tool.
 *
 *   aiodb query URL SQL [ARG...]
 *   aiodb bench URL [--seconds S] [--rows N]
 *
 * It uses nothing but the public header, so it doubles as a check that the
 * API is enough for a real program. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "aiodb.h"
#include "kv.h"

#ifdef AIODB_HAVE_SQLITE
#include <sqlite3.h>
#endif
#ifdef AIODB_HAVE_POSTGRES
#include <libpq-fe.h>
#endif
#ifdef AIODB_HAVE_MYSQL
#include <mysql.h>
#endif
#include "raw.h"

#define EXIT_USAGE 2

static const char usage_text[] =
    "usage: aiodb query URL SQL [ARG...]\n"
    "       aiodb bench URL [--seconds S] [--rows N]\n"
    "       aiodb --version\n"
    "       aiodb help\n"
    "\n"
    "query   runs SQL once and prints its rows as a table. Each ARG binds\n"
    "        one '?' (or ':name') placeholder: an integer literal binds an\n"
    "        integer, a decimal literal a float, the word NULL a null, and\n"
    "        anything else text. A prefix forces the type: int:42,\n"
    "        float:1e3, text:007, blob:raw-bytes.\n"
    "bench   times point selects on a table kv (created with N rows,\n"
    "        default 10000) for S seconds per phase (default 2): aiodb with\n"
    "        1 and with 64 queries in flight, and the raw driver (sqlite3,\n"
    "        libpq or libmariadb) on one connection.\n"
    "\n"
    "URLs: sqlite:///relative.db  sqlite:////absolute.db  sqlite:// (memory)\n"
    "      postgresql://user:pw@host:port/db  mysql://user:pw@host:port/db\n";

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
_Noreturn static void usage(const char *fmt, ...) {
  va_list ap;
  if (fmt != NULL) {
    fputs("aiodb: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n\n", stderr);
  }
  fputs(usage_text, stderr);
  exit(EXIT_USAGE);
}

static void fail_code(int code, const char *msg) {
  fprintf(stderr, "aiodb: %s: %s\n", aiodb_err_name(code),
          msg && *msg ? msg : aiodb_strerror(code));
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (p == NULL) {
    fail_code(AIODB_ENOMEM, "out of memory");
    exit(1);
  }
  return p;
}

static double now_sec(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Waits for f; 0 if it succeeded, else prints its error and returns -1. */
static int wait_ok(aiodb_future *f) {
  int rc;
  if (f == NULL) {
    fail_code(AIODB_ENOMEM, "out of memory");
    return -1;
  }
  rc = aiodb_future_wait(f, -1);
  if (rc == 0) rc = aiodb_future_error(f);
  if (rc == 0) return 0;
  fail_code(rc, aiodb_future_errmsg(f));
  return -1;
}

static aiodb_db *open_db(const char *url) {
  aiodb_error err;
  aiodb_db *db = aiodb_open(url, NULL, &err);
  if (db == NULL) fail_code(err.code, err.message);
  return db;
}

/* ---- a growable string ---- */
typedef struct sbuf {
  char *p;
  size_t len, cap;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 32;
    char *p;
    while (cap < b->len + n + 1) cap *= 2;
    p = realloc(b->p, cap);
    if (p == NULL) {
      fail_code(AIODB_ENOMEM, "out of memory");
      exit(1);
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

static void sb_printf(sbuf *b, const char *fmt, ...) {
  char tmp[64];
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n > 0) sb_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* ---- query ---- */

/* [+-]digits, optionally with a fraction and an exponent. Sets *is_float
 * when it has either. Rejects what strtod would also take ("inf", "0x1p3",
 * leading blanks): those are more likely meant as text. */
static int is_number(const char *s, int *is_float) {
  int digits = 0;
  *is_float = 0;
  if (*s == '+' || *s == '-') s++;
  for (; *s >= '0' && *s <= '9'; s++) digits++;
  if (*s == '.') {
    *is_float = 1;
    for (s++; *s >= '0' && *s <= '9'; s++) digits++;
  }
  if (digits == 0) return 0;
  if (*s == 'e' || *s == 'E') {
    *is_float = 1;
    s++;
    if (*s == '+' || *s == '-') s++;
    if (!(*s >= '0' && *s <= '9')) return 0;
    while (*s >= '0' && *s <= '9') s++;
  }
  return *s == '\0';
}

static int parse_int(const char *s, int64_t *out) {
  char *end;
  long long v;
  int f;
  if (!is_number(s, &f) || f) return -1;
  errno = 0;
  v = strtoll(s, &end, 10);
  if (errno != 0 || *end != '\0') return -1;
  *out = v;
  return 0;
}

static int parse_float(const char *s, double *out) {
  char *end;
  if (*s == '\0' || *s == ' ' || *s == '\t') return -1;
  errno = 0;
  *out = strtod(s, &end);
  if (*end != '\0' || (errno == ERANGE && fabs(*out) > 1.0)) return -1;
  return 0;
}

/* Turns one command-line argument into a value; it borrows from arg. */
static aiodb_value parse_arg(const char *arg, int index) {
  int64_t i;
  double d;
  int f;

  if (strncmp(arg, "text:", 5) == 0) return aiodb_text(arg + 5);
  if (strncmp(arg, "blob:", 5) == 0) return aiodb_blob(arg + 5, strlen(arg + 5));
  if (strncmp(arg, "int:", 4) == 0) {
    if (parse_int(arg + 4, &i) != 0)
      usage("argument %d: '%s' is not a 64-bit integer", index, arg + 4);
    return aiodb_int(i);
  }
  if (strncmp(arg, "float:", 6) == 0) {
    if (parse_float(arg + 6, &d) != 0)
      usage("argument %d: '%s' is not a number", index, arg + 6);
    return aiodb_float(d);
  }
  if (strcasecmp(arg, "NULL") == 0) return aiodb_null();
  if (is_number(arg, &f)) {
    /* Too big for an integer: a float, as SQLite reads such a literal. */
    if (!f && parse_int(arg, &i) == 0) return aiodb_int(i);
    if (parse_float(arg, &d) == 0) return aiodb_float(d);
  }
  return aiodb_text(arg);
}

static void fmt_float(sbuf *b, double d) {
  char tmp[40];
  size_t i;
  snprintf(tmp, sizeof tmp, "%.15g", d);
  if (strtod(tmp, NULL) != d) snprintf(tmp, sizeof tmp, "%.17g", d);
  /* 2.0 stays visibly a float. */
  for (i = 0; tmp[i] != '\0'; i++)
    if (tmp[i] != '-' && (tmp[i] < '0' || tmp[i] > '9')) break;
  if (tmp[i] == '\0') strcat(tmp, ".0");
  sb_put(b, tmp, strlen(tmp));
}

static void fmt_text(sbuf *b, const unsigned char *s, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    switch (s[i]) {
      case '\n': sb_put(b, "\\n", 2); break;
      case '\r': sb_put(b, "\\r", 2); break;
      case '\t': sb_put(b, "\\t", 2); break;
      case '\\': sb_put(b, "\\\\", 2); break;
      default:
        if (s[i] < 0x20 || s[i] == 0x7f)
          sb_printf(b, "\\x%02x", s[i]);
        else
          sb_put(b, (const char *)&s[i], 1);
    }
  }
}

#define BLOB_SHOWN 16

static void fmt_blob(sbuf *b, const unsigned char *p, size_t n) {
  size_t i;
  sb_put(b, "x'", 2);
  for (i = 0; i < n && i < BLOB_SHOWN; i++) sb_printf(b, "%02x", p[i]);
  sb_put(b, "'", 1);
  if (n > BLOB_SHOWN) sb_printf(b, "... (%zu bytes)", n);
}

/* Formats one cell into a fresh string; *right is set for numbers. */
static char *fmt_cell(const aiodb_result *r, size_t row, size_t col,
                      int *right) {
  sbuf b = {NULL, 0, 0};
  *right = 0;
  switch (aiodb_result_type(r, row, col)) {
    case AIODB_TYPE_NULL: sb_put(&b, "NULL", 4); break;
    case AIODB_TYPE_INT:
      *right = 1;
      sb_printf(&b, "%" PRId64, aiodb_result_int(r, row, col));
      break;
    case AIODB_TYPE_FLOAT:
      *right = 1;
      fmt_float(&b, aiodb_result_float(r, row, col));
      break;
    case AIODB_TYPE_TEXT:
      fmt_text(&b, (const unsigned char *)aiodb_result_text(r, row, col),
               aiodb_result_len(r, row, col));
      break;
    case AIODB_TYPE_BLOB:
      fmt_blob(&b, aiodb_result_blob(r, row, col),
               aiodb_result_len(r, row, col));
      break;
  }
  if (b.p == NULL) sb_put(&b, "", 0);
  return b.p;
}

/* Columns on a terminal: UTF-8 code points, not bytes. */
static size_t width_of(const char *s) {
  size_t w = 0;
  for (; *s; s++)
    if (((unsigned char)*s & 0xc0) != 0x80) w++;
  return w;
}

static void put_padded(const char *s, size_t width, int right, int last) {
  size_t pad = width - width_of(s);
  if (right) printf("%*s", (int)pad, "");
  fputs(s, stdout);
  if (!right && !last) printf("%*s", (int)pad, "");
}

static void print_table(const aiodb_result *r) {
  size_t rows = aiodb_result_rows(r), cols = aiodb_result_cols(r);
  char **cells = xmalloc(rows * cols * sizeof *cells);
  int *right = xmalloc(rows * cols * sizeof *right);
  size_t *width = xmalloc(cols * sizeof *width);
  size_t i, j;

  for (j = 0; j < cols; j++) {
    const char *name = aiodb_result_name(r, j);
    width[j] = width_of(name ? name : "");
  }
  for (i = 0; i < rows; i++) {
    for (j = 0; j < cols; j++) {
      size_t k = i * cols + j, w;
      cells[k] = fmt_cell(r, i, j, &right[k]);
      w = width_of(cells[k]);
      if (w > width[j]) width[j] = w;
    }
  }

  for (j = 0; j < cols; j++) {
    const char *name = aiodb_result_name(r, j);
    fputs(j ? " | " : " ", stdout);
    put_padded(name ? name : "", width[j], 0, j + 1 == cols);
  }
  putchar('\n');
  for (j = 0; j < cols; j++) {
    size_t k;
    if (j) putchar('+');
    for (k = 0; k < width[j] + 2; k++) putchar('-');
  }
  putchar('\n');
  for (i = 0; i < rows; i++) {
    for (j = 0; j < cols; j++) {
      size_t k = i * cols + j;
      fputs(j ? " | " : " ", stdout);
      put_padded(cells[k], width[j], right[k], j + 1 == cols);
      free(cells[k]);
    }
    putchar('\n');
  }
  printf("(%zu row%s)\n", rows, rows == 1 ? "" : "s");
  free(cells);
  free(right);
  free(width);
}

static int cmd_query(int argc, char **argv) {
  aiodb_value *args;
  aiodb_future *f;
  aiodb_result *r;
  aiodb_db *db;
  size_t nargs, i;
  int status = 1;

  if (argc < 2) usage("query needs a URL and an SQL statement");
  nargs = (size_t)(argc - 2);
  args = xmalloc(nargs * sizeof *args);
  for (i = 0; i < nargs; i++) args[i] = parse_arg(argv[2 + i], (int)i + 1);

  db = open_db(argv[0]);
  if (db == NULL) goto out;
  f = aiodb_query(db, argv[1], args, nargs);
  if (wait_ok(f) == 0) {
    r = aiodb_future_result(f);
    if (aiodb_result_cols(r) > 0) {
      print_table(r);
    } else {
      int64_t n = aiodb_result_affected(r);
      printf("OK, %" PRId64 " row%s affected, last id %" PRId64 "\n", n,
             n == 1 ? "" : "s", aiodb_result_last_id(r));
    }
    status = 0;
  }
  aiodb_future_free(f);
  aiodb_db_free(db);
out:
  free(args);
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "aiodb: cannot write the output: %s\n", strerror(errno));
    status = 1;
  }
  return status;
}

/* ---- bench ---- */

#define IN_FLIGHT 64
#define SETUP_WINDOW 1024

/* The progress bar: only on a terminal, redrawn in place, wiped at the end. */
typedef struct progress {
  int on;
  const char *label;
  int drawn;  /* the percentage on screen, -1 for none */
} progress;

#define BAR_WIDTH 30

static void progress_start(progress *p, const char *label) {
  p->on = isatty(STDOUT_FILENO);
  p->label = label;
  p->drawn = -1;
}

static void progress_draw(progress *p, double frac) {
  char bar[BAR_WIDTH + 1];
  int pct, fill;
  if (!p->on) return;
  if (frac < 0) frac = 0;
  if (frac > 1) frac = 1;
  pct = (int)(frac * 100);
  if (pct == p->drawn) return;
  p->drawn = pct;
  fill = (int)(frac * BAR_WIDTH);
  memset(bar, '#', (size_t)fill);
  memset(bar + fill, '.', (size_t)(BAR_WIDTH - fill));
  bar[BAR_WIDTH] = '\0';
  printf("\r%-22s [%s] %3d%%", p->label, bar, pct);
  fflush(stdout);
}

static void progress_end(progress *p) {
  if (!p->on || p->drawn < 0) return;
  printf("\r%*s\r", 22 + BAR_WIDTH + 8, "");
  fflush(stdout);
}

typedef struct phase {
  const char *name;
  int ran;
  uint64_t ops;
  double secs;
} phase;

/* Fills kv with rows 1..rows in one transaction on one pinned connection,
 * keeping up to SETUP_WINDOW inserts queued at a time. */
static int bench_setup(aiodb_db *db, int64_t rows) {
  static const char *create =
      "CREATE TABLE IF NOT EXISTS kv (id INTEGER PRIMARY KEY, v TEXT)";
  aiodb_future *ring[SETUP_WINDOW] = {NULL};
  aiodb_future *acq = NULL, *f;
  aiodb_value args[2];
  aiodb_conn *conn = NULL;
  char value[VALUE_LEN];
  progress bar;
  int64_t have, id;
  int rc = -1, failed = 0;
  size_t k;

  f = aiodb_query(db, create, NULL, 0);
  if (wait_ok(f) != 0) goto done;
  aiodb_future_free(f);
  args[0] = aiodb_int(rows);
  f = aiodb_query(db,
                  "SELECT count(*) FROM kv WHERE id BETWEEN 1 AND ? "
                  "AND length(v) = 100",
                  args, 1);
  if (wait_ok(f) != 0) goto done;
  have = aiodb_result_int(aiodb_future_result(f), 0, 0);
  aiodb_future_free(f);
  f = NULL;
  if (have == rows) return 0;

  acq = aiodb_acquire(db);
  if (wait_ok(acq) != 0) goto done;
  conn = aiodb_future_conn(acq);
  f = aiodb_conn_query(conn, "BEGIN", NULL, 0);
  if (wait_ok(f) != 0) goto release;
  aiodb_future_free(f);
  f = aiodb_conn_query(conn, "DELETE FROM kv", NULL, 0);
  if (wait_ok(f) != 0) failed = 1;
  aiodb_future_free(f);
  f = NULL;

  progress_start(&bar, "creating kv");
  for (id = 1; id <= rows && !failed; id++) {
    k = (size_t)id % SETUP_WINDOW;
    if (ring[k] != NULL) {
      failed = wait_ok(ring[k]) != 0;
      aiodb_future_free(ring[k]);
      ring[k] = NULL;
      progress_draw(&bar, (double)id / (double)rows);
    }
    make_value(value, id);
    args[0] = aiodb_int(id);
    args[1] = aiodb_textn(value, VALUE_LEN);
    ring[k] = aiodb_conn_query(conn, "INSERT INTO kv (id, v) VALUES (?, ?)",
                               args, 2);
    if (ring[k] == NULL) {
      fail_code(AIODB_ENOMEM, "out of memory");
      failed = 1;
    }
  }
  for (k = 0; k < SETUP_WINDOW; k++) {
    if (ring[k] == NULL) continue;
    if (!failed) failed = wait_ok(ring[k]) != 0;
    else aiodb_future_wait(ring[k], -1);
    aiodb_future_free(ring[k]);
  }
  progress_end(&bar);

  f = aiodb_conn_query(conn, failed ? "ROLLBACK" : "COMMIT", NULL, 0);
  if (wait_ok(f) == 0 && !failed) rc = 0;
release:
  aiodb_release(conn);
done:
  aiodb_future_free(f);
  aiodb_future_free(acq);
  return rc;
}

static int check_row(aiodb_future *f, int64_t id) {
  aiodb_result *r;
  if (aiodb_future_error(f) != 0) {
    fail_code(aiodb_future_error(f), aiodb_future_errmsg(f));
    return -1;
  }
  r = aiodb_future_result(f);
  if (aiodb_result_rows(r) != 1 ||
      !value_ok(aiodb_result_text(r, 0, 0), aiodb_result_len(r, 0, 0), id)) {
    fprintf(stderr, "aiodb: wrong answer for id %" PRId64
            " (kv has rows the bench did not write?)\n", id);
    return -1;
  }
  return 0;
}

/* (a) One query at a time: submit, wait, check. Must run before anything
 * dispatches the cq on this thread, or every wait is a BlockingWarning. */
static int bench_serial(aiodb_db *db, int64_t rows, double secs, phase *ph) {
  uint64_t rng = SEED;
  double start = now_sec(), now = start;
  aiodb_value arg;
  aiodb_future *f;
  progress bar;
  int64_t id;
  int rc;

  progress_start(&bar, ph->name);
  for (ph->ops = 0; now - start < secs; ph->ops++) {
    id = (int64_t)(xorshift64(&rng) % (uint64_t)rows) + 1;
    arg = aiodb_int(id);
    f = aiodb_query(db, SELECT_SQL, &arg, 1);
    rc = f == NULL ? -1 : aiodb_future_wait(f, -1);
    if (rc != 0) {
      fail_code(f == NULL ? AIODB_ENOMEM : rc, NULL);
      aiodb_future_free(f);
      progress_end(&bar);
      return -1;
    }
    rc = check_row(f, id);
    aiodb_future_free(f);
    if (rc != 0) {
      progress_end(&bar);
      return -1;
    }
    now = now_sec();
    progress_draw(&bar, (now - start) / secs);
  }
  progress_end(&bar);
  ph->secs = now - start;
  ph->ran = 1;
  return 0;
}

/* (b) IN_FLIGHT queries outstanding. Each callback checks its answer, frees
 * its future and submits the next query from the same slot. */
typedef struct pipeline pipeline;

typedef struct pipe_slot {
  pipeline *p;
  int64_t id;
} pipe_slot;

struct pipeline {
  aiodb_db *db;
  int64_t rows;
  uint64_t rng;
  uint64_t ops;
  int inflight;
  int stop;
  int failed;
  pipe_slot slots[IN_FLIGHT];
};

static void pipeline_done(aiodb_future *f, void *ud);

static void pipeline_submit(pipe_slot *s) {
  pipeline *p = s->p;
  aiodb_value arg;
  aiodb_future *f;

  s->id = (int64_t)(xorshift64(&p->rng) % (uint64_t)p->rows) + 1;
  arg = aiodb_int(s->id);
  f = aiodb_query(p->db, SELECT_SQL, &arg, 1);
  if (f == NULL) {
    fail_code(AIODB_ENOMEM, "out of memory");
    p->failed = p->stop = 1;
    return;
  }
  p->inflight++;
  aiodb_future_on_done(f, pipeline_done, s);
}

static void pipeline_done(aiodb_future *f, void *ud) {
  pipe_slot *s = ud;
  pipeline *p = s->p;

  p->inflight--;
  if (check_row(f, s->id) != 0)
    p->failed = p->stop = 1;
  else if (!p->stop)
    p->ops++;
  aiodb_future_free(f);
  if (!p->stop) pipeline_submit(s);
}

static int bench_pipeline(aiodb_db *db, int64_t rows, double secs,
                          phase *ph) {
  aiodb_cq *cq = aiodb_db_cq(db);
  pipeline p;
  progress bar;
  double start, now;
  int i, rc;

  memset(&p, 0, sizeof p);
  p.db = db;
  p.rows = rows;
  p.rng = SEED;
  progress_start(&bar, ph->name);
  start = now_sec();
  for (i = 0; i < IN_FLIGHT && !p.stop; i++) {
    p.slots[i].p = &p;
    pipeline_submit(&p.slots[i]);
  }
  /* The timeout only bounds how late the clock is read; completions wake
   * the poll long before it expires. */
  while (p.inflight > 0) {
    rc = aiodb_cq_run_once(cq, 50);
    if (rc < 0) {
      fail_code(rc, NULL);
      p.failed = 1;
      break;
    }
    if (p.stop) continue;
    now = now_sec();
    if (now - start >= secs) {
      p.stop = 1;
      ph->ops = p.ops;
      ph->secs = now - start;
    } else {
      progress_draw(&bar, (now - start) / secs);
    }
  }
  progress_end(&bar);
  if (p.failed) return -1;
  ph->ran = 1;
  return 0;
}

#ifdef AIODB_HAVE_SQLITE
static int hex_digit(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* The file a sqlite URL names, percent-decoded, as aiodb_open reads it:
 * sqlite:///rel.db -> "rel.db", sqlite:////abs.db -> "/abs.db". NULL for
 * the in-memory forms, which no other connection can reach. The caller
 * frees the string. */
static char *sqlite_path(const char *url) {
  const char *p = strstr(url, "://");
  size_t n, i, j;
  char *path;

  if (p == NULL) return NULL;
  p += 3;
  p += strcspn(p, "/?");
  if (*p != '/') return NULL;
  p++;
  n = strcspn(p, "?");
  path = xmalloc(n + 1);
  for (i = 0, j = 0; i < n; i++) {
    if (p[i] == '%' && i + 2 < n &&
        hex_digit((unsigned char)p[i + 1]) >= 0 &&
        hex_digit((unsigned char)p[i + 2]) >= 0) {
      path[j++] = (char)(hex_digit((unsigned char)p[i + 1]) * 16 +
                         hex_digit((unsigned char)p[i + 2]));
      i += 2;
    } else {
      path[j++] = p[i];
    }
  }
  path[j] = '\0';
  if (path[0] == '\0' || strcmp(path, ":memory:") == 0) {
    free(path);
    return NULL;
  }
  return path;
}

/* (c) The baseline: the same statement through sqlite3 directly, prepared
 * once, on this thread. */
static int bench_raw(const char *path, int64_t rows, double secs, phase *ph) {
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  uint64_t rng = SEED;
  double start, now;
  progress bar;
  int64_t id;
  int flags = SQLITE_OPEN_READWRITE, rc, status = -1;

  if (strncmp(path, "file:", 5) == 0) flags |= SQLITE_OPEN_URI;
  rc = sqlite3_open_v2(path, &db, flags, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_busy_timeout(db, 5000);
    rc = sqlite3_prepare_v2(db, SELECT_SQL, -1, &st, NULL);
  }
  if (rc != SQLITE_OK) {
    fprintf(stderr, "aiodb: raw sqlite3: %s\n",
            db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    goto out;
  }

  progress_start(&bar, ph->name);
  start = now = now_sec();
  for (ph->ops = 0;; ph->ops++) {
    /* The clock is read every 16 rows: a raw row costs about as much. */
    if ((ph->ops & 15) == 0) {
      now = now_sec();
      if (now - start >= secs) break;
      progress_draw(&bar, (now - start) / secs);
    }
    id = (int64_t)(xorshift64(&rng) % (uint64_t)rows) + 1;
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW ||
        !value_ok(sqlite3_column_text(st, 0),
                  (size_t)sqlite3_column_bytes(st, 0), id)) {
      progress_end(&bar);
      if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        fprintf(stderr, "aiodb: raw sqlite3: wrong answer for id %" PRId64
                "\n", id);
      else
        fprintf(stderr, "aiodb: raw sqlite3: %s\n", sqlite3_errmsg(db));
      goto out;
    }
    sqlite3_reset(st);
  }
  progress_end(&bar);
  ph->secs = now - start;
  ph->ran = 1;
  status = 0;
out:
  sqlite3_finalize(st);
  sqlite3_close(db);
  return status;
}
#endif

#if defined(AIODB_HAVE_POSTGRES) || defined(AIODB_HAVE_MYSQL)
/* A raw-driver loop's arguments, run on a worker with aiodb_db_run. */
typedef struct raw_loop {
  int64_t rows;
  double secs;
  phase *ph;
  char error[256];
} raw_loop;

/* (c) for the network drivers: fn runs the whole raw loop on the worker's
 * own native handle (one hop for the loop, none per query). */
static int bench_raw_on_worker(aiodb_db *db, aiodb_run_fn fn, const char *name,
                               int64_t rows, double secs, phase *ph) {
  raw_loop r;
  aiodb_future *f;
  int rc;
  memset(&r, 0, sizeof r);
  r.rows = rows;
  r.secs = secs;
  r.ph = ph;
  ph->name = name;
  f = aiodb_db_run(db, fn, &r);
  if (f == NULL) return AIODB_ENOMEM;
  /* This thread dispatched the cq in the phase before: poll, don't wait. */
  while (!aiodb_future_done(f)) aiodb_cq_run_once(aiodb_db_cq(db), 100);
  rc = aiodb_future_error(f);
  if (aiodb_future_value(f) != 0) {
    fprintf(stderr, "aiodb: %s: %s\n", name, r.error);
    rc = -1;
  }
  aiodb_future_free(f);
  return rc;
}
#endif

#ifdef AIODB_HAVE_POSTGRES
/* (c) for PostgreSQL: the same statement through libpq directly, prepared
 * once, in a loop run on the worker's own PGconn* (one hop for the whole
 * loop, none per query). */
static int pg_raw_loop(void *native, void *ud) {
  PGconn *pg = native;
  raw_loop *r = ud;
  uint64_t rng = SEED;
  double start, now;
  int ok = raw_pg_prepare(pg, "aiodb_bench_raw", r->error, sizeof r->error);

  if (!ok) return -1;
  start = now = now_sec();
  for (r->ph->ops = 0; ok; r->ph->ops++) {
    int64_t id;
    if ((r->ph->ops & 15) == 0 && (now = now_sec()) - start >= r->secs) break;
    id = (int64_t)(xorshift64(&rng) % (uint64_t)r->rows) + 1;
    ok = raw_pg_select(pg, "aiodb_bench_raw", id, r->error, sizeof r->error);
  }
  PQclear(PQexec(pg, "DEALLOCATE aiodb_bench_raw"));
  r->ph->secs = now - start;
  r->ph->ran = ok;
  return ok ? 0 : -1;
}

#endif

#ifdef AIODB_HAVE_MYSQL
/* (c) for MySQL/MariaDB: the same statement through libmariadb directly,
 * prepared once (mysql_stmt_*), in a loop run on the worker's own MYSQL*. */
static int my_raw_loop(void *native, void *ud) {
  raw_loop *r = ud;
  uint64_t rng = SEED;
  double start, now;
  long long id = 0;
  raw_my q;
  int ok = raw_my_open(&q, native);

  start = now = now_sec();
  for (r->ph->ops = 0; ok; r->ph->ops++) {
    if ((r->ph->ops & 15) == 0 && (now = now_sec()) - start >= r->secs) break;
    id = (long long)(xorshift64(&rng) % (uint64_t)r->rows) + 1;
    ok = raw_my_select(&q, id);
  }
  raw_my_close(&q, !ok, r->error, sizeof r->error);
  r->ph->secs = now - start;
  r->ph->ran = ok;
  return ok ? 0 : -1;
}

#endif

static double ops_per_sec(const phase *ph) {
  return ph->secs > 0 ? (double)ph->ops / ph->secs : 0;
}

static void print_phase(const phase *ph) {
  double rate = ops_per_sec(ph);
  printf("%-22s %12.0f %10.2f %12" PRIu64 "\n", ph->name, rate,
         rate > 0 ? 1e6 / rate : 0.0, ph->ops);
}

static void bench_option(char **argv, int argc, int *i, const char *name,
                         const char **value) {
  size_t n = strlen(name);
  if (argv[*i][n] == '=') {
    *value = argv[*i] + n + 1;
  } else {
    if (*i + 1 >= argc) usage("%s needs a value", name);
    *value = argv[++*i];
  }
}

static int cmd_bench(int argc, char **argv) {
  phase ph[3] = {{"aiodb, 1 in flight", 0, 0, 0},
                 {"aiodb, 64 in flight", 0, 0, 0},
                 {"raw sqlite3", 0, 0, 0}};
  const char *url = NULL, *v, *note = NULL;
  double secs = 2;
  int64_t rows = 10000;
  aiodb_db *db;
  int i, status = 1;

  for (i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (strncmp(a, "--seconds", 9) == 0 && (a[9] == '\0' || a[9] == '=')) {
      bench_option(argv, argc, &i, "--seconds", &v);
      if (parse_float(v, &secs) != 0 || !(secs > 0 && secs <= 86400))
        usage("--seconds wants a number of seconds above 0, got '%s'", v);
    } else if (strncmp(a, "--rows", 6) == 0 && (a[6] == '\0' || a[6] == '=')) {
      bench_option(argv, argc, &i, "--rows", &v);
      if (parse_int(v, &rows) != 0 || rows < 1 || rows > 1000000000)
        usage("--rows wants a count from 1 to 1000000000, got '%s'", v);
    } else if (a[0] == '-' && a[1] != '\0') {
      usage("unknown bench option '%s'", a);
    } else if (url == NULL) {
      url = a;
    } else {
      usage("bench takes one URL");
    }
  }
  if (url == NULL) usage("bench needs a URL");

  db = open_db(url);
  if (db == NULL) return 1;
  printf("aiodb %s bench: %s, %" PRId64 " rows, %g s per phase\n",
         aiodb_version(), aiodb_db_driver(db), rows, secs);
  fflush(stdout);
  if (bench_setup(db, rows) != 0) goto out;
  if (bench_serial(db, rows, secs, &ph[0]) != 0) goto out;
  if (bench_pipeline(db, rows, secs, &ph[1]) != 0) goto out;

  if (strcmp(aiodb_db_driver(db), "postgresql") == 0) {
#ifdef AIODB_HAVE_POSTGRES
    if (bench_raw_on_worker(db, pg_raw_loop, "raw libpq", rows, secs, &ph[2]) != 0)
      goto out;
#endif
  } else if (strcmp(aiodb_db_driver(db), "mysql") == 0) {
#ifdef AIODB_HAVE_MYSQL
    if (bench_raw_on_worker(db, my_raw_loop, "raw libmariadb", rows, secs, &ph[2]) != 0)
      goto out;
#endif
  } else if (strcmp(aiodb_db_driver(db), "sqlite") != 0) {
    note = "raw comparison not available for this driver";
  } else {
#ifdef AIODB_HAVE_SQLITE
    char *path = sqlite_path(url);
    if (path == NULL) {
      note = "raw comparison skipped: an in-memory database is private to "
             "aiodb";
    } else {
      int rc = bench_raw(path, rows, secs, &ph[2]);
      free(path);
      if (rc != 0) goto out;
    }
#else
    note = "raw comparison not available: built without SQLite";
#endif
  }

  printf("%-22s %12s %10s %12s\n", "phase", "ops/s", "us/op", "ops");
  for (i = 0; i < 3; i++)
    if (ph[i].ran) print_phase(&ph[i]);
  if (ph[2].ran && ops_per_sec(&ph[2]) > 0) {
    printf("aiodb-1/raw  = %.3f\n", ops_per_sec(&ph[0]) / ops_per_sec(&ph[2]));
    printf("aiodb-64/raw = %.3f\n", ops_per_sec(&ph[1]) / ops_per_sec(&ph[2]));
  }
  if (note != NULL) printf("%s\n", note);
  status = 0;
out:
  aiodb_db_free(db);
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "aiodb: cannot write the output: %s\n", strerror(errno));
    status = 1;
  }
  return status;
}

int main(int argc, char **argv) {
  const char *cmd;

  if (argc < 2) usage(NULL);
  cmd = argv[1];
  if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
    printf("aiodb %s\n", aiodb_version());
    return 0;
  }
  if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 ||
      strcmp(cmd, "-h") == 0) {
    fputs(usage_text, stdout);
    return 0;
  }
  if (strcmp(cmd, "query") == 0) return cmd_query(argc - 2, argv + 2);
  if (strcmp(cmd, "bench") == 0) return cmd_bench(argc - 2, argv + 2);
  usage("unknown command '%s'", cmd);
  return EXIT_USAGE;
}
