/* aiodb: the command-line tool.
 *
 *   aiodb query [--trace] URL SQL [ARG...]
 *   aiodb query --describe TABLE URL
 *   aiodb bench [URL...] [options]
 *
 * query uses nothing but the public header, so it doubles as a check that
 * the API is enough for a real program. bench is the benchmark suite of
 * bench/suite.c, the same code as aiodb-bench. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aiodb.h"
#include "suite.h"
#include "usage.h"

#define EXIT_USAGE 2

static const char usage_text[] =
    "usage: aiodb query [--trace] URL SQL [ARG...]\n"
    "       aiodb query --describe TABLE URL\n"
    "       aiodb bench [URL...] [options]\n"
    "       aiodb migrate [--dry-run] [--to VERSION] URL DIR\n"
    "       aiodb migrate status URL DIR\n"
    "       aiodb --version\n"
    "       aiodb help       (or --help, -h; also after a command)\n"
    "\n"
    "query   runs SQL once and prints its rows as a table. Each ARG binds\n"
    "        one '?' (or ':name') placeholder: an integer literal binds an\n"
    "        integer, a decimal literal a float, the word NULL a null, and\n"
    "        anything else text. A prefix forces the type: int:42,\n"
    "        float:1e3, text:007, blob:raw-bytes.\n"
        "        --trace prints a line on stderr for the statement: its\n"
        "        kind and connection, the ms it waited and ran, its rows\n"
        "        and affected rows, its error code and SQLSTATE, and its\n"
        "        SQL (blanks squeezed, cut at 120 characters). With\n"
        "        slow_query_ms=N in the URL, only when it took N ms or more.\n"
        "        --describe TABLE prints the columns of a table or view\n"
        "        (aiodb_columns) and its indexes (aiodb_indexes); TABLE may\n"
        "        be schema.table on PostgreSQL.\n"
    "bench   the benchmark suite (the same as aiodb-bench): each workload\n"
    "        through aiodb and through the raw driver (sqlite3, libpq,\n"
    "        libmariadb) in one process, repeated, with a table of medians\n"
    "        and of aiodb's ratio to the raw driver. A sqlite URL runs the\n"
    "        SQLite workloads with their files in that file's folder (the\n"
    "        file itself is not touched); a postgresql://, mysql:// or\n"
    "        mariadb:// URL runs the point selects on that server alone\n"
    "        (W3; it drops and refills a table kv there); no URL, the\n"
    "        SQLite workloads in a temporary folder.\n"
    "        Options: --seconds S (per workload, default 2), --repeats N\n"
    "        (default 5), --rows N (the point selects' table, default\n"
    "        10000), --short (0.3 s, 1 repeat), --only W1,W3, and more:\n"
    "        `aiodb bench --help` lists them all.\n"
    "migrate applies the SQL files of DIR (0001_create_notes.sql, ...) in\n"
    "        version order, each in its own transaction, recording each in\n"
    "        the table aiodb_migrations; it refuses to go on when an\n"
    "        applied file has changed. --dry-run lists what would run and\n"
    "        changes nothing; --to VERSION stops after that version.\n"
    "        `migrate status` lists every file: applied, pending, changed,\n"
    "        or missing. MariaDB/MySQL commit DDL themselves: there a file\n"
    "        that fails may leave part of its work.\n"
    "\n"
    "URLs: sqlite:///relative.db  sqlite:////absolute.db  sqlite:// (memory)\n"
    "      postgresql://user:pw@host:port/db  mysql://user:pw@host:port/db\n";

#define usage(...) usage_exit("aiodb", usage_text, __VA_ARGS__)

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

#define TRACE_SQL_MAX 120

/* --trace: one line per statement on stderr. */
static void print_trace(const aiodb_trace *t, void *ud) {
  static const char *const kinds[] = {"?", "query", "many", "cursor", "fetch", "tx", "run"};
  char sql[TRACE_SQL_MAX + 4];
  size_t i, n = 0;
  (void)ud;
  /* blanks squeezed to one space; cut on a character's first byte */
  for (i = 0; i < t->sql_len && n < TRACE_SQL_MAX; i++) {
    unsigned char c = (unsigned char)t->sql[i];
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      if (n > 0 && sql[n - 1] != ' ') sql[n++] = ' ';
    } else {
      sql[n++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
  }
  if (i < t->sql_len) {
    n = TRACE_SQL_MAX - 3;
    while (n > 0 && ((unsigned char)sql[n] & 0xc0) == 0x80) n--;
    memcpy(sql + n, "...", 3);
    n += 3;
  }
  while (n > 0 && sql[n - 1] == ' ') n--;
  sql[n] = '\0';
  fprintf(stderr,
          "aiodb: trace: %s conn %u: queued %.3f ms, run %.3f ms, %zu row%s, %" PRId64
          " affected",
          kinds[t->kind > 0 && t->kind <= 6 ? t->kind : 0], t->conn_id, t->queued_ns / 1e6,
          t->run_ns / 1e6, t->rows, t->rows == 1 ? "" : "s", t->affected);
  if (t->slow) fputs(", slow", stderr);
  if (t->code != 0)
    fprintf(stderr, ", %s%s%s%s", aiodb_err_name(t->code), t->sqlstate[0] ? " (SQLSTATE " : "",
            t->sqlstate, t->sqlstate[0] ? ")" : "");
  fprintf(stderr, ": %s\n", sql);
}

static aiodb_db *open_db(const char *url, int trace) {
  aiodb_options o;
  aiodb_error err;
  aiodb_db *db;
  aiodb_options_init(&o);
  if (trace) o.trace = print_trace;
  db = aiodb_open(url, &o, &err);
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

static int is_help(const char *arg) {
  return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

static int help(void) {
  fputs(usage_text, stdout);
  return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}

/* aiodb query --describe TABLE URL: the columns, then the indexes. */
static int describe(const char *table, const char *url) {
  aiodb_db *db = open_db(url, 0);
  aiodb_future *f;
  int status = 1;

  if (db == NULL) return 1;
  f = aiodb_columns(db, table);
  if (wait_ok(f) == 0) {
    if (aiodb_result_rows(aiodb_future_result(f)) == 0) {
      fprintf(stderr, "aiodb: no table or view named %s\n", table);
    } else {
      print_table(aiodb_future_result(f));
      status = 0;
    }
  }
  aiodb_future_free(f);
  if (status == 0) {
    f = aiodb_indexes(db, table);
    if (wait_ok(f) != 0) {
      status = 1;
    } else if (aiodb_result_rows(aiodb_future_result(f)) > 0) {
      printf("\nindexes:\n");
      print_table(aiodb_future_result(f));
    }
    aiodb_future_free(f);
  }
  aiodb_db_free(db);
  return status;
}

static int cmd_query(int argc, char **argv) {
  aiodb_value *args;
  aiodb_future *f;
  aiodb_result *r;
  aiodb_db *db;
  size_t nargs, i;
  int status = 1, trace = 0;

  if (argc > 0 && strcmp(argv[0], "--describe") == 0) {
    if (argc > 1 && is_help(argv[1])) return help();
    if (argc != 3) usage("query --describe needs a TABLE and a URL");
    status = describe(argv[1], argv[2]);
    if (fflush(stdout) != 0 || ferror(stdout)) status = 1;
    return status;
  }
  for (; argc > 0 && strcmp(argv[0], "--trace") == 0; argc--, argv++) trace = 1;
  /* Where the URL or the SQL goes; after them "-h" is an argument to bind. */
  for (i = 0; i < 2 && (int)i < argc; i++)
    if (is_help(argv[i])) return help();
  if (argc < 2) usage("query needs a URL and an SQL statement");
  nargs = (size_t)(argc - 2);
  args = xmalloc(nargs * sizeof *args);
  for (i = 0; i < nargs; i++) args[i] = parse_arg(argv[2 + i], (int)i + 1);

  db = open_db(argv[0], trace);
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

/* aiodb migrate [status] [--dry-run] [--to VERSION] URL DIR */
static int cmd_migrate(int argc, char **argv) {
  aiodb_migrate_options o;
  aiodb_future *f;
  aiodb_db *db;
  int status = 1;

  memset(&o, 0, sizeof o);
  if (argc > 0 && strcmp(argv[0], "status") == 0) o.status = 1, argc--, argv++;
  while (argc > 0 && argv[0][0] == '-') {
    if (is_help(argv[0])) return help();
    if (strcmp(argv[0], "--dry-run") == 0 && !o.status) {
      o.dry_run = 1, argc--, argv++;
    } else if (strcmp(argv[0], "--to") == 0 && !o.status) {
      if (argc < 2 || parse_int(argv[1], &o.to_version) != 0 || o.to_version < 1)
        usage("--to needs a version, a number from 1");
      argc -= 2, argv += 2;
    } else {
      usage("migrate: unknown option '%s'", argv[0]);
    }
  }
  if (argc != 2) usage("migrate needs a URL and a directory");
  db = open_db(argv[0], 0);
  if (db == NULL) return 1;
  if (!o.status && !o.dry_run && strcmp(aiodb_db_driver(db), "mysql") == 0)
    fprintf(stderr, "aiodb: note: MariaDB/MySQL commit DDL statements themselves: a file "
                    "that fails may leave part of its work applied\n");
  f = aiodb_migrate(db, argv[1], &o);
  if (wait_ok(f) == 0) {
    aiodb_result *r = aiodb_future_result(f);
    size_t n = aiodb_result_rows(r);
    if (n > 0) print_table(r);
    if (o.status)
      printf("%zu file%s\n", n, n == 1 ? "" : "s");
    else
      printf("%zu file%s %s\n", n, n == 1 ? "" : "s",
             o.dry_run ? (n == 1 ? "would be applied" : "would be applied") : "applied");
    status = 0;
  }
  aiodb_future_free(f);
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
    if (argc > 2 && is_help(argv[2])) return help();
    printf("aiodb %s\n", aiodb_version());
    return 0;
  }
  if (strcmp(cmd, "help") == 0 || is_help(cmd)) return help();
  if (strcmp(cmd, "query") == 0) return cmd_query(argc - 2, argv + 2);
  if (strcmp(cmd, "migrate") == 0) return cmd_migrate(argc - 2, argv + 2);
  if (strcmp(cmd, "bench") == 0) return aiodb_bench_main(argc - 2, argv + 2);
  usage("unknown command '%s'", cmd);
  return EXIT_USAGE;
}
