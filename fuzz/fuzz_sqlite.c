/* Statements on an in-memory SQLite database (sqlite://) through the whole
 * public API: queries, query_many, cursors, transactions and savepoints,
 * pinned connections, aiodb_run, cancel and deadlines, close. The input is
 * a script, one operation a line:
 *
 *   OP[ARGS] SQL
 *
 * OP is one letter (below), ARGS the values to bind, one letter each, up
 * to the first space, and SQL the rest of the line. A first line "?N"
 * (N a digit) picks URL options. Values:
 *   n NULL  0-9 that integer  I INT64_MAX  J INT64_MIN  f 0.5  g -1e308
 *   h NaN  k infinity  e -0.0  t "text"  T text with a NUL  u bad UTF-8
 *   E ""  b a 3-byte blob  B an empty blob  L 100 KiB of text
 *   s the SQL as text  S the SQL as a blob
 *   x a value of no type  y text with a NULL pointer (both AIODB_EINVAL)
 * Operations:
 *   Q aiodb_query  S aiodb_query_sync  M aiodb_query_many (ARGS split in
 *   rows by ',')  I a cursor read to its end (or 20 batches; a first digit
 *   of ARGS is the batch size)  i a cursor freed after one batch asked
 *   for  B aiodb_begin, or a savepoint inside the open tx  T aiodb_tx_query
 *   N aiodb_tx_query_many  C commit  R rollback  F aiodb_tx_free
 *   K a query canceled at once  X cancel the last future  D a query with a
 *   deadline of ARGS[0] ms  W wait for every future  A a query on a pinned
 *   connection (aiodb_acquire, aiodb_conn_query, aiodb_release)
 *   U aiodb_db_run running SQL with sqlite3_exec  u aiodb_tx_run the same
 *   P metadata calls  Z aiodb_close
 *
 * Checked: every future completes (within a minute), its callback runs
 * exactly once, its code is one a statement may end with and comes with a
 * message, and results read back whole; nothing aiodb allocated is left
 * once the db is freed.
 *
 * Nothing leaves memory: the process works in a scratch folder of its own
 * (SQLITE_TMPDIR too), every connection has ATTACH refused (authorizer and
 * SQLITE_LIMIT_ATTACHED 0, which also stops VACUUM INTO), and lines whose
 * SQL mentions ATTACH, VACUUM, a directory pragma or load_extension are
 * skipped. Every statement stops after about 200,000 virtual-machine
 * steps, values are limited to 1 MiB, and aiodb's allocations to 128 MiB:
 * beyond them the statement fails (AIODB_ECANCELED, AIODB_ERANGE,
 * AIODB_ENOMEM), as it may. Run it with absolute corpus paths: it changes
 * its working folder. AIODB_FUZZ_VERBOSE=1 prints every future's outcome. */
#include <ftw.h>
#include <math.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "aiodb.h"
#include "fuzz.h"

#define MAX_FUTURES 256
#define MAX_LINES 48
#define MAX_ARGS 32
#define MAX_DEPTH 6
#define MAX_BATCHES 20
#define STEP_LIMIT 2000 /* progress calls of 100 instructions */
#define MEMORY_LIMIT (128u << 20)
#define WAIT_LIMIT_MS 60000

enum { F_STATEMENT, F_RUN, F_OTHER };

typedef struct slot {
  aiodb_future *f;
  int kind;
  atomic_int calls;
} slot;

static struct {
  aiodb_db *db;
  aiodb_cq *cq;
  slot fut[MAX_FUTURES];
  size_t nfut;
  aiodb_tx *tx[MAX_DEPTH];
  size_t depth;
  char *keep[MAX_LINES]; /* SQL that aiodb_run functions read */
  size_t nkeep;
} S;

static char scratch[64];
static int verbose; /* AIODB_FUZZ_VERBOSE set: print each outcome */
static char big[100 * 1024];

/* ---- limits: memory, statements, files ---- */

static atomic_size_t live_bytes;

static void *limited_malloc(size_t n) {
  size_t *p;
  if (n > MEMORY_LIMIT || atomic_fetch_add(&live_bytes, n) + n > MEMORY_LIMIT) {
    if (n <= MEMORY_LIMIT) atomic_fetch_sub(&live_bytes, n);
    return NULL;
  }
  p = malloc(n + sizeof(max_align_t));
  if (p == NULL) {
    atomic_fetch_sub(&live_bytes, n);
    return NULL;
  }
  *p = n;
  return (char *)p + sizeof(max_align_t);
}

static void limited_free(void *q) {
  size_t *p;
  if (q == NULL) return;
  p = (size_t *)((char *)q - sizeof(max_align_t));
  atomic_fetch_sub(&live_bytes, *p);
  free(p);
}

static void *limited_realloc(void *q, size_t n) {
  void *r;
  size_t old;
  if (q == NULL) return limited_malloc(n);
  old = *(size_t *)((char *)q - sizeof(max_align_t));
  if ((r = limited_malloc(n)) == NULL) return NULL;
  memcpy(r, q, old < n ? old : n);
  limited_free(q);
  return r;
}

static _Thread_local unsigned steps;

static int progress(void *ud) {
  (void)ud;
  return ++steps > STEP_LIMIT;
}

static int trace(unsigned type, void *ud, void *p, void *x) {
  (void)type;
  (void)ud;
  (void)p;
  (void)x;
  steps = 0; /* a statement begins: each connection has its own thread */
  return 0;
}

static int authorize(void *ud, int action, const char *a, const char *b,
                     const char *c, const char *d) {
  (void)ud;
  (void)a;
  (void)b;
  (void)c;
  (void)d;
  return action == SQLITE_ATTACH || action == SQLITE_DETACH ? SQLITE_DENY : SQLITE_OK;
}

/* Every connection the process opens (sqlite3_auto_extension). */
static int conn_init(sqlite3 *db, char **err, const sqlite3_api_routines *api) {
  (void)err;
  (void)api;
  sqlite3_set_authorizer(db, authorize, NULL);
  sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
  sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 1 << 20);
  sqlite3_progress_handler(db, 100, progress, NULL);
  sqlite3_trace_v2(db, SQLITE_TRACE_STMT, trace, NULL);
  return SQLITE_OK;
}

static int unsafe(const char *sql) {
  static const char *const words[] = {"attach", "vacuum", "directory",
                                      "load_extension"};
  size_t i;
  for (i = 0; i < sizeof words / sizeof words[0]; i++)
    if (strcasestr(sql, words[i]) != NULL) return 1;
  return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag,
                      struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  remove(path);
  return 0;
}

static void remove_scratch(void) {
  if (scratch[0]) nftw(scratch, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

static void diag(const aiodb_diag *d, void *ud) {
  (void)ud;
  /* Blocking (aiodb_query_sync on the dispatching thread) and calls after
   * a close are expected; misuse or a deadlock would be the harness's or
   * the library's fault. */
  FUZZ_CHECK(d->kind == AIODB_DIAG_BLOCKING || d->kind == AIODB_DIAG_ALREADY_QUIT,
             "diagnostic %d from %s: %s", (int)d->kind, d->function, d->message);
}

static void init_once(void) {
  static int done;
  if (done) return;
  done = 1;
  aiodb_set_allocator(limited_malloc, limited_realloc, limited_free);
  aiodb_set_diag_handler(diag, NULL);
  snprintf(scratch, sizeof scratch, "/tmp/aiodb-fuzz-XXXXXX");
  FUZZ_CHECK(mkdtemp(scratch) != NULL, "no scratch folder");
  FUZZ_CHECK(chdir(scratch) == 0, "cannot enter %s", scratch);
  setenv("SQLITE_TMPDIR", scratch, 1);
  atexit(remove_scratch);
  sqlite3_hard_heap_limit64(256 << 20);
  sqlite3_auto_extension((void (*)(void))conn_init);
  memset(big, 'x', sizeof big);
  verbose = getenv("AIODB_FUZZ_VERBOSE") != NULL;
}

/* ---- futures ---- */

static void count_call(aiodb_future *f, void *ud) {
  (void)f;
  atomic_fetch_add((atomic_int *)ud, 1);
}

static void add(aiodb_future *f, int kind) {
  slot *s;
  FUZZ_CHECK(f != NULL, "a call returned no future");
  if (S.nfut == MAX_FUTURES) { /* cannot happen: lines are limited */
    aiodb_future_free(f);
    return;
  }
  s = &S.fut[S.nfut++];
  s->f = f;
  s->kind = kind;
  atomic_init(&s->calls, 0);
  aiodb_future_on_done(f, count_call, &s->calls);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Waits for f (whose callback is set) the way a loop does: dispatching
 * the cq, which its completion wakes. */
static void wait_done(aiodb_future *f) {
  double end = now_ms() + WAIT_LIMIT_MS;
  while (!aiodb_future_done(f)) {
    FUZZ_CHECK(now_ms() < end, "a future never completed");
    aiodb_cq_run_once(S.cq, 50);
  }
}

static void wait_all(void) {
  size_t i;
  for (i = 0; i < S.nfut; i++) wait_done(S.fut[i].f);
}

/* Dispatches until every callback has run, then once more. */
static void callbacks_all(void) {
  double end = now_ms() + WAIT_LIMIT_MS;
  size_t i = 0;
  while (i < S.nfut) {
    if (atomic_load(&S.fut[i].calls) > 0) {
      i++;
      continue;
    }
    FUZZ_CHECK(now_ms() < end, "a callback never ran");
    aiodb_cq_run_once(S.cq, 50);
  }
  aiodb_cq_dispatch(S.cq, 0);
}

static void check_result(aiodb_result *r) {
  size_t rows = aiodb_result_rows(r), cols = aiodb_result_cols(r), i, j;
  const char *t;

  FUZZ_CHECK(cols > 0 || rows == 0, "%zu rows without columns", rows);
  for (j = 0; j < cols; j++)
    FUZZ_CHECK(aiodb_result_name(r, j) != NULL, "column %zu has no name", j);
  FUZZ_CHECK(aiodb_result_name(r, cols) == NULL, "a name past the columns");
  for (i = 0; i < rows && i < 2000; i++) {
    for (j = 0; j < cols; j++) {
      aiodb_type type = aiodb_result_type(r, i, j);
      t = aiodb_result_text(r, i, j);
      FUZZ_CHECK(type >= AIODB_TYPE_NULL && type <= AIODB_TYPE_BLOB, "type %d", (int)type);
      if (type == AIODB_TYPE_TEXT || type == AIODB_TYPE_BLOB)
        FUZZ_CHECK(t != NULL && t[aiodb_result_len(r, i, j)] == '\0',
                   "cell (%zu, %zu) not terminated", i, j);
      else
        FUZZ_CHECK(t == NULL, "text of a non-text cell");
      (void)aiodb_result_int(r, i, j);
      (void)aiodb_result_float(r, i, j);
    }
  }
  FUZZ_CHECK(aiodb_result_type(r, rows, 0) == AIODB_TYPE_NULL, "a row past the end");
}

static void check_outcome(const slot *s) {
  aiodb_future *f = s->f;
  int e = aiodb_future_error(f);
  const char *msg = aiodb_future_errmsg(f);
  const char *state = aiodb_future_sqlstate(f);

  FUZZ_CHECK(atomic_load(&s->calls) == 1, "a callback ran %d times",
             atomic_load(&s->calls));
  FUZZ_CHECK(msg != NULL && state != NULL, "no message or SQLSTATE");
  FUZZ_CHECK(strlen(state) == 0 || strlen(state) == 5, "SQLSTATE '%s'", state);
  if (e == 0) {
    FUZZ_CHECK(msg[0] == '\0', "a message on success: %s", msg);
  } else {
    FUZZ_CHECK(msg[0] != '\0', "error %d without a message", e);
    FUZZ_CHECK(strchr(msg, '\n') == NULL, "a message of several lines");
  }
  if (s->kind == F_RUN) {
    FUZZ_CHECK(e <= 0 && e > AIODB__STATUS_MAX, "code %d", e);
    return;
  }
  switch (e) {
    case 0:
    case AIODB_EINVAL:
    case AIODB_ENOMEM:
    case AIODB_EUNSUPPORTED:
    case AIODB_EALREADYQUIT:
    case AIODB_ETIMEDOUT:
    case AIODB_ECANCELED:
    case AIODB_ESQL:
    case AIODB_ECONNECT:
    case AIODB_EREADONLY:
    case AIODB_EBUSY:
    case AIODB_ECONSTRAINT:
    case AIODB_ERANGE:
    case AIODB_EIO:
    case AIODB_ETXABORTED:
      break;
    default:
      FUZZ_CHECK(0, "code %d (%s): %s", e, aiodb_err_name(e), msg);
  }
  if (e == 0 && s->kind == F_STATEMENT) {
    FUZZ_CHECK(aiodb_future_result(f) != NULL, "success without a result");
    check_result(aiodb_future_result(f));
  }
}

/* ---- a line ---- */

typedef struct args {
  aiodb_value v[MAX_ARGS];
  size_t n;
} args;

static aiodb_value value_of(char c, const char *sql, size_t sql_len) {
  static const char blob[3] = {0, 1, (char)0xff};
  aiodb_value v = aiodb_null();
  if (c >= '0' && c <= '9') return aiodb_int(c - '0');
  switch (c) {
    case 'I': return aiodb_int(INT64_MAX);
    case 'J': return aiodb_int(INT64_MIN);
    case 'f': return aiodb_float(0.5);
    case 'g': return aiodb_float(-1e308);
    case 'h': return aiodb_float(NAN);
    case 'k': return aiodb_float(INFINITY);
    case 'e': return aiodb_float(-0.0);
    case 't': return aiodb_text("text");
    case 'T': return aiodb_textn("a\0b", 3);
    case 'u': return aiodb_textn("\xff\xfe\xc3", 3);
    case 'E': return aiodb_textn("", 0);
    case 'b': return aiodb_blob(blob, sizeof blob);
    case 'B': return aiodb_blob(NULL, 0);
    case 'L': return aiodb_textn(big, sizeof big);
    case 's': return aiodb_textn(sql, sql_len);
    case 'S': return aiodb_blob(sql, sql_len);
    case 'x': v.type = (aiodb_type)77; return v;
    case 'y': v.type = AIODB_TYPE_TEXT; v.len = 5; v.u.s = NULL; return v;
    default: return v;
  }
}

static void args_of(const char *spec, size_t n, const char *sql, args *a) {
  size_t i;
  a->n = 0;
  for (i = 0; i < n && a->n < MAX_ARGS; i++)
    a->v[a->n++] = value_of(spec[i], sql, strlen(sql));
}

/* query_many's rows: ARGS split at ','; the first row's length is ncols. */
static size_t rows_of(const char *spec, size_t n, const char *sql,
                      aiodb_value *v, size_t cap, size_t *ncols) {
  const char *comma = memchr(spec, ',', n);
  size_t rows = 0, i = 0, col, end, sql_len = strlen(sql);

  *ncols = comma ? (size_t)(comma - spec) : n;
  if (n == 0) return 0;
  while (i <= n && (rows + 1) * *ncols <= cap) {
    comma = memchr(spec + i, ',', n - i);
    end = comma ? (size_t)(comma - spec) : n;
    for (col = 0; col < *ncols; col++)
      v[rows * *ncols + col] =
          i + col < end ? value_of(spec[i + col], sql, sql_len) : aiodb_null();
    rows++;
    i = end + 1;
  }
  return rows;
}

static int run_sql(void *native, void *ud) {
  int rc = sqlite3_exec(native, ud, NULL, NULL, NULL);
  return rc == SQLITE_OK ? 0 : rc == SQLITE_INTERRUPT ? AIODB_ECANCELED : AIODB_ESQL;
}

static aiodb_future *submit_query(const char *sql, const args *a) {
  return aiodb_query(S.db, sql, a->v, a->n);
}

static void read_cursor(aiodb_cursor *c, int to_end) {
  aiodb_future *f;
  int i;
  if (c == NULL) return;
  for (i = 0; i < MAX_BATCHES; i++) {
    f = aiodb_cursor_next(c);
    add(f, F_STATEMENT);
    if (!to_end) break; /* freed with a batch still to come */
    wait_done(f);
    if (aiodb_future_error(f) != 0 || aiodb_result_rows(aiodb_future_result(f)) == 0)
      break;
  }
  aiodb_cursor_free(c);
}

static void run_line(const char *line, size_t len) {
  char op, *sql;
  const char *space = len > 1 ? memchr(line + 1, ' ', len - 1) : NULL;
  size_t spec_len = space ? (size_t)(space - line - 1) : len > 0 ? len - 1 : 0;
  const char *spec = line + 1;
  aiodb_value rows[MAX_ARGS];
  size_t nrows, ncols;
  aiodb_future *f;
  aiodb_tx *top = S.depth ? S.tx[S.depth - 1] : NULL;
  int digit = 0;
  args a;

  if (len == 0) return;
  op = line[0];
  sql = strndup(space ? space + 1 : "", space ? len - (size_t)(space + 1 - line) : 0);
  FUZZ_CHECK(sql != NULL, "out of memory");
  if (unsafe(sql)) {
    free(sql);
    return;
  }
  /* I, i and D take a digit first: a batch size, a deadline */
  if (strchr("IiD", op) != NULL && spec_len > 0 && spec[0] >= '0' && spec[0] <= '9') {
    digit = spec[0] - '0';
    spec++;
    spec_len--;
  }
  args_of(spec, spec_len, sql, &a);

  switch (op) {
    case 'Q': add(submit_query(sql, &a), F_STATEMENT); break;
    case 'S': {
      aiodb_error err;
      aiodb_result *r = aiodb_query_sync(S.db, sql, a.v, a.n, &err);
      if (r != NULL) {
        FUZZ_CHECK(err.code == 0, "a result and code %d", err.code);
        check_result(r);
        aiodb_result_free(r);
      } else {
        FUZZ_CHECK(err.code < 0 && err.message[0] != '\0', "query_sync: %d", err.code);
      }
      break;
    }
    case 'M':
    case 'N':
      nrows = rows_of(spec, spec_len, sql, rows, MAX_ARGS, &ncols);
      f = op == 'M' || top == NULL ? aiodb_query_many(S.db, sql, rows, nrows, ncols)
                                   : aiodb_tx_query_many(top, sql, rows, nrows, ncols);
      add(f, F_STATEMENT);
      break;
    case 'I':
    case 'i':
      read_cursor(aiodb_iterate(S.db, sql, a.v, a.n, (size_t)digit), op == 'I');
      break;
    case 'B':
      if (S.depth == MAX_DEPTH) break;
      S.tx[S.depth] = top ? aiodb_tx_begin(top) : aiodb_begin(S.db);
      FUZZ_CHECK(S.tx[S.depth] != NULL, "no tx");
      S.depth++;
      break;
    case 'T':
      add(top ? aiodb_tx_query(top, sql, a.v, a.n) : submit_query(sql, &a), F_STATEMENT);
      break;
    case 'C':
    case 'R':
    case 'F':
      if (top == NULL) break;
      S.depth--;
      if (op == 'F')
        aiodb_tx_free(top);
      else
        add(op == 'C' ? aiodb_commit(top) : aiodb_rollback(top), F_OTHER);
      break;
    case 'K':
      f = submit_query(sql, &a);
      add(f, F_STATEMENT);
      aiodb_future_cancel(f);
      break;
    case 'X':
      if (S.nfut > 0) aiodb_future_cancel(S.fut[S.nfut - 1].f);
      break;
    case 'D':
      f = submit_query(sql, &a);
      add(f, F_STATEMENT);
      aiodb_future_set_timeout(f, digit);
      break;
    case 'W': wait_all(); break;
    case 'A': {
      aiodb_future *acq = aiodb_acquire(S.db);
      aiodb_conn *conn;
      FUZZ_CHECK(acq != NULL, "no acquire future");
      /* no callback: waited for, not dispatched */
      FUZZ_CHECK(aiodb_future_wait(acq, WAIT_LIMIT_MS) == 0, "an acquire never completed");
      conn = aiodb_future_conn(acq);
      FUZZ_CHECK((conn != NULL) == (aiodb_future_error(acq) == 0), "acquire");
      if (conn != NULL) {
        add(aiodb_conn_query(conn, sql, a.v, a.n), F_STATEMENT);
        aiodb_release(conn);
      }
      aiodb_future_free(acq);
      break;
    }
    case 'U':
    case 'u':
      if (S.nkeep == MAX_LINES) break;
      S.keep[S.nkeep++] = sql; /* read by the worker: freed at the end */
      add(op == 'u' && top ? aiodb_tx_run(top, run_sql, sql) : aiodb_db_run(S.db, run_sql, sql),
          F_RUN);
      sql = NULL;
      break;
    case 'P':
      add(aiodb_table_names(S.db), F_STATEMENT);
      add(aiodb_has_table(S.db, sql), F_STATEMENT);
      add(aiodb_server_info(S.db), F_STATEMENT);
      break;
    case 'Z': add(aiodb_close(S.db), F_OTHER); break;
    default: break;
  }
  free(sql);
}

static const char *const urls[] = {
    "sqlite://?max_size=2&busy_timeout=0",
    "sqlite://?max_size=2&busy_timeout=0&statement_cache=0",
    "sqlite://?max_size=2&busy_timeout=0&statement_cache=1&timeout_ms=50",
    "sqlite://?max_size=2&min_size=2&busy_timeout=0&spin_us=20",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *p = (const char *)data, *end = p + size, *nl;
  const char *url = urls[0];
  aiodb_error err;
  size_t i, lines = 0;

  init_once();
  if (size >= 2 && p[0] == '?') {
    url = urls[(unsigned char)p[1] % (sizeof urls / sizeof urls[0])];
    nl = memchr(p, '\n', size);
    p = nl ? nl + 1 : end;
  }
  memset(&S, 0, sizeof S);
  S.db = aiodb_open(url, NULL, &err);
  FUZZ_CHECK(S.db != NULL, "aiodb_open: %s", err.message);
  S.cq = aiodb_db_cq(S.db);

  /* At most 4 futures a line: MAX_LINES lines fit in MAX_FUTURES. */
  while (p < end && lines < MAX_LINES && S.nfut + 4 + MAX_BATCHES <= MAX_FUTURES) {
    nl = memchr(p, '\n', (size_t)(end - p));
    run_line(p, nl ? (size_t)(nl - p) : (size_t)(end - p));
    p = nl ? nl + 1 : end;
    lines++;
  }
  while (S.depth > 0) add(aiodb_rollback(S.tx[--S.depth]), F_OTHER);
  wait_all();
  /* A future is done a moment before its callback is queued: the cq's fd
   * then wakes the loop again. */
  callbacks_all();
  for (i = 0; i < S.nfut; i++) {
    if (verbose)
      fprintf(stderr, "  future %zu: %s %s\n", i, aiodb_err_name(aiodb_future_error(S.fut[i].f)),
              aiodb_future_errmsg(S.fut[i].f));
    check_outcome(&S.fut[i]);
    aiodb_future_free(S.fut[i].f);
  }
  aiodb_db_free(S.db);
  for (i = 0; i < S.nkeep; i++) free(S.keep[i]);
  aiodb__pools_trim();
  FUZZ_CHECK(aiodb__alloc_live() == 0, "%ld aiodb allocations live",
             aiodb__alloc_live());
  return 0;
}
