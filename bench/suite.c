/* The benchmark suite: each workload through aiodb and through the raw
 * synchronous driver, in one process and one run, repeated; the figure is
 * the median over the repeats of the ratio aiodb/raw within a repeat,
 * because the machines it runs on are shared and noisy.
 *
 *   W1  point select on SQLite (kv: 10,000 rows of 100 characters by
 *       default): raw loop; (a) 1 in flight; (b) 64 in flight over 1 and 2
 *       connections. The SQLite files are in WAL mode (--journal delete or
 *       both: the rollback journal), and the raw loops open them as aiodb's
 *       worker does, so that neither side pays for what the other skips
 *   W2  50,000 single-row inserts in one transaction on SQLite: raw loop;
 *       (a) one at a time; (b) pipelined; (c) aiodb_tx_query_many
 *   W3  the W1 point select on PostgreSQL and MySQL/MariaDB: raw driver on
 *       one connection (and libpq pipeline mode); (a) 1 in flight on 1
 *       connection; (b) 64 in flight over 8 connections (--pool N: N, or
 *       with 0 the engine's default pool), and on PostgreSQL over 2 too
 *       (fewer connections, deeper pipelines; "2c")
 *   W4  the bare hop: aiodb_run of a no-op, (a) sequential, (b) 64 in
 *       flight; raw: a pthread + eventfd round trip
 *   W5  a GLib main loop's longest stall while W1b and a 1-second query run
 *   W6  query_many of W2's rows into MariaDB, one transaction: raw
 *       libmariadb executing per row, in bulk (array binding, 1,000 rows
 *       an execute) and as INSERTs of 1,000 rows; (a) aiodb with bulk=0,
 *       row by row; (b) aiodb on INSERT ... SET, in bulk; (c) aiodb on
 *       INSERT ... VALUES, as INSERTs of many rows; W6b/W6a and W6c/W6a
 *       are their speed-ups
 *   trace  W1a without a trace, with a no-op trace on every statement, and
 *       with one that slow_query_ms keeps from being called; W1b x1
 *       without and with the no-op trace
 *
 * Every aiodb workload runs the way a loop program would: callbacks
 * dispatched from the cq, each one submitting the next call.
 *
 * Run as `aiodb bench` (tools/aiodb.c), aiodb-bench (bench/main.c) or
 * bench/run, which adds throwaway servers; docs/bench.md describes the
 * table. */
#include "suite.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
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
#ifdef AIODB_HAVE_GLIB
#include "aiodb/adapters/glib.h"
#endif
#include "raw.h"
#include "../tools/usage.h"

#define MAX_REPEATS 21
#define MAX_ROWS 64

/* ---- settings ---- */

typedef struct settings {
  double secs;            /* per timed workload */
  int repeats;
  int64_t kv_rows;        /* W1, W3, W5: kv's rows */
  int64_t inserts;        /* W2 */
  int64_t slow_rows;      /* W5: rows the 1-second query counts */
  const char *dir;        /* the SQLite files */
  const char *pg_url, *my_url;
  const char *only;       /* "W1,W4": workloads to run; NULL: all */
  int verbose;
  int pool;               /* W3b's connections; 0: the engine's default */
  int journals;           /* SQLite journal modes: 1 << J_WAL, 1 << J_DELETE */
} settings;

static settings cfg;

static void die(const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "aiodb bench: ");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit(1);
}

static double now_sec(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The next id to look up in kv: the same sequence for every workload. */
static int64_t kv_id(uint64_t *rng) {
  return (int64_t)(xorshift64(rng) % (uint64_t)cfg.kv_rows) + 1;
}

/* ---- a counting allocator: aiodb's allocations per query ---- */

static atomic_ulong n_allocs;

static void *count_malloc(size_t n) {
  atomic_fetch_add_explicit(&n_allocs, 1, memory_order_relaxed);
  return malloc(n);
}

static void *count_realloc(void *p, size_t n) {
  atomic_fetch_add_explicit(&n_allocs, 1, memory_order_relaxed);
  return realloc(p, n);
}

static unsigned long allocs_now(void) {
  return atomic_load_explicit(&n_allocs, memory_order_relaxed);
}

/* ---- peak RSS per workload: Linux resets VmHWM on "5" > clear_refs ---- */

static void rss_reset(void) {
  FILE *f = fopen("/proc/self/clear_refs", "w");
  if (f == NULL) return;
  fputs("5", f);
  fclose(f);
}

/* A "Key: N kB" line of /proc/self/status, or -1. */
static long status_kb(const char *key) {
  char line[256];
  size_t n = strlen(key);
  long kb = -1;
  FILE *f = fopen("/proc/self/status", "r");
  if (f == NULL) return -1;
  while (fgets(line, sizeof line, f) != NULL)
    if (strncmp(line, key, n) == 0 && line[n] == ':') {
      kb = strtol(line + n + 1, NULL, 10);
      break;
    }
  fclose(f);
  return kb;
}

static long rss_peak_kb(void) {
  long kb = status_kb("VmHWM");
  if (kb < 0) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    kb = ru.ru_maxrss;
  }
  return kb;
}

static long rss_now_kb(void) { return status_kb("VmRSS"); }

static double cpu_sec(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- latency: a log histogram, 1% wide buckets from 10 ns ---- */

#define HIST_BUCKETS 2400

typedef struct hist {
  uint32_t b[HIST_BUCKETS];
  uint64_t n;
} hist;

static void hist_add(hist *h, double secs) {
  double ns = secs * 1e9;
  int i = ns <= 10 ? 0 : (int)(log(ns / 10) / log(1.01));
  if (i >= HIST_BUCKETS) i = HIST_BUCKETS - 1;
  h->b[i]++;
  h->n++;
}

static double hist_pct_us(const hist *h, double pct) {
  uint64_t want = (uint64_t)ceil((double)h->n * pct / 100.0), seen = 0;
  int i;
  if (h->n == 0) return 0;
  for (i = 0; i < HIST_BUCKETS; i++) {
    seen += h->b[i];
    if (seen >= want) return 10 * pow(1.01, i + 0.5) / 1e3;
  }
  return 0;
}

/* ---- results: one row per workload variant, a sample per repeat ---- */

typedef struct sample {
  double ops_s;
  double p50_us, p99_us;
  long rss_kb;
  double allocs_op; /* < 0: not counted */
  double cpu;       /* process CPU seconds per wall second, all threads */
  double extra;     /* W5: the stall in ms */
} sample;

typedef struct row {
  const char *id;   /* "W1b x2" */
  const char *what; /* a short description */
  int base;         /* index of the row this one is compared with, -1: none */
  const char *journal; /* the SQLite file's journal mode; NULL: no file */
  sample s[MAX_REPEATS];
  int n;
} row;

static row rows[MAX_ROWS];
static int n_rows;

/* The row named id (made on first use). */
static int row_of(const char *id, const char *what, int base) {
  int i;
  for (i = 0; i < n_rows; i++)
    if (strcmp(rows[i].id, id) == 0) return i;
  if (n_rows == MAX_ROWS) die("too many rows");
  rows[n_rows].id = strdup(id);
  if (rows[n_rows].id == NULL) die("out of memory");
  rows[n_rows].what = what;
  rows[n_rows].base = base;
  return n_rows++;
}

/* One repeat of row r: ops calls in secs of wall time, which took cpu0 ..
 * cpu_sec() of the process's CPU time (the end read here). */
static void record(int r, uint64_t ops, double secs, const hist *h, long rss,
                   double allocs_op, double cpu0) {
  sample *s = &rows[r].s[rows[r].n++];
  double cpu = cpu_sec() - cpu0;
  s->ops_s = secs > 0 ? (double)ops / secs : 0;
  s->cpu = secs > 0 ? cpu / secs : 0;
  s->p50_us = h ? hist_pct_us(h, 50) : 0;
  s->p99_us = h ? hist_pct_us(h, 99) : 0;
  s->rss_kb = rss;
  s->allocs_op = allocs_op;
  s->extra = 0;
  if (cfg.verbose)
    fprintf(stderr,
            "  %-16s %12.0f ops/s  CPU %5.2f s/s  p50 %8.1f us  p99 %8.1f us\n",
            rows[r].id, s->ops_s, s->cpu, s->p50_us, s->p99_us);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
  if (n == 0) return 0;
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double median_field(const row *r, size_t offset) {
  double v[MAX_REPEATS];
  int i;
  for (i = 0; i < r->n; i++)
    v[i] = *(const double *)((const char *)&r->s[i] + offset);
  return median(v, r->n);
}

/* The median over repeats of this row's ops/s divided by its base's in the
 * same repeat. */
static double median_ratio(const row *r) {
  double v[MAX_REPEATS];
  const row *b;
  int i, n = 0;
  if (r->base < 0) return 0;
  b = &rows[r->base];
  for (i = 0; i < r->n && i < b->n; i++)
    if (b->s[i].ops_s > 0) v[n++] = r->s[i].ops_s / b->s[i].ops_s;
  return median(v, n);
}

/* 1 when some row is compared with row i. */
static int is_base(int i) {
  int j;
  for (j = 0; j < n_rows; j++)
    if (rows[j].base == i) return 1;
  return 0;
}

static void print_table(void) {
  int i;
  printf("\n%-16s %-40s %-7s %11s %7s %9s %9s %9s %8s %9s %8s\n", "workload",
         "what", "journal", "ops/s", "CPU s/s", "us/op", "p50 us", "p99 us",
         "RSS MiB", "allocs/op", "ratio");
  for (i = 0; i < n_rows; i++) {
    const row *r = &rows[i];
    double ops = median_field(r, offsetof(sample, ops_s));
    double allocs = median_field(r, offsetof(sample, allocs_op));
    double rss[MAX_REPEATS];
    char ratio[32] = "", al[32] = "-";
    int k;
    if (r->n == 0) continue;
    for (k = 0; k < r->n; k++) rss[k] = (double)r->s[k].rss_kb;
    if (r->base >= 0)
      snprintf(ratio, sizeof ratio, "%.2fx", median_ratio(r));
    else
      snprintf(ratio, sizeof ratio, "%s", is_base(i) ? "base" : "-");
    if (allocs >= 0) snprintf(al, sizeof al, "%.2f", allocs);
    printf("%-16s %-40s %-7s %11.0f %7.2f %9.2f %9.1f %9.1f %8.1f %9s %8s\n",
           r->id, r->what, r->journal ? r->journal : "-", ops,
           median_field(r, offsetof(sample, cpu)), ops > 0 ? 1e6 / ops : 0,
           median_field(r, offsetof(sample, p50_us)),
           median_field(r, offsetof(sample, p99_us)),
           median(rss, r->n) / 1024.0, al, ratio);
    if (strncmp(r->id, "W5", 2) == 0)
      printf("%-16s   longest main-loop stall %.1f ms\n", "",
             median_field(r, offsetof(sample, extra)));
  }
  for (i = 0; i < n_rows; i++)
    if (rows[i].base >= 0 && rows[i].n > 0)
      printf("ratio %-16s = %.3f (vs %s; %d repeat%s)\n", rows[i].id,
             median_ratio(&rows[i]), rows[rows[i].base].id, rows[i].n,
             rows[i].n == 1 ? "" : "s");
}

static int wanted(const char *w) {
  const char *p;
  size_t n = strlen(w);
  if (cfg.only == NULL) return 1;
  for (p = cfg.only; (p = strstr(p, w)) != NULL; p += n)
    if ((p == cfg.only || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
      return 1;
  return 0;
}

/* ---- the in-flight runner: keeps depth calls outstanding on a cq ---- */

typedef struct flight flight;
typedef struct slot {
  flight *fl;
  int64_t id;
  double t;
} slot;

/* Submits one call for s (setting s->id if it wants checking); NULL: OOM. */
typedef aiodb_future *(*submit_fn)(flight *fl, slot *s);
/* 0 when f's outcome is right for s. */
typedef int (*check_fn)(aiodb_future *f, const slot *s);

struct flight {
  aiodb_cq *cq;
  submit_fn submit;
  check_fn check;
  void *ctx;
  uint64_t rng;
  int depth;
  double secs;    /* stop submitting after this long (0: use limit) */
  uint64_t limit; /* or after this many calls */
  uint64_t submitted, ops;
  int inflight, stop, failed;
  double t0, t_end;
  hist h;
  /* steady state: counted from the warm-up mark to the end */
  uint64_t warm_ops;
  unsigned long warm_allocs, end_allocs;
  slot *slots;
};

static void flight_done(aiodb_future *f, void *ud);

static void flight_submit(flight *fl, slot *s) {
  aiodb_future *f;
  s->t = now_sec();
  f = fl->submit(fl, s);
  if (f == NULL) {
    fl->failed = fl->stop = 1;
    return;
  }
  fl->submitted++;
  fl->inflight++;
  aiodb_future_on_done(f, flight_done, s);
}

static void flight_done(aiodb_future *f, void *ud) {
  slot *s = ud;
  flight *fl = s->fl;
  double t = now_sec();
  fl->inflight--;
  if (aiodb_future_error(f) != 0 || (fl->check && fl->check(f, s) != 0)) {
    if (!fl->failed)
      fprintf(stderr, "aiodb bench: %s\n",
              aiodb_future_error(f) ? aiodb_future_errmsg(f) : "wrong answer");
    fl->failed = fl->stop = 1;
  }
  aiodb_future_free(f);
  if (fl->failed) return;
  fl->ops++;
  hist_add(&fl->h, t - s->t);
  if (fl->warm_ops == 0 && fl->secs > 0 && fl->ops >= 2000) {
    fl->warm_ops = fl->ops;
    fl->warm_allocs = allocs_now();
  }
  if (!fl->stop) {
    if (fl->secs > 0 ? t - fl->t0 >= fl->secs : fl->submitted >= fl->limit) {
      fl->stop = 1;
    } else {
      flight_submit(fl, s);
      return;
    }
  }
  if (fl->inflight == 0) {
    fl->t_end = t;
    fl->end_allocs = allocs_now();
  }
}

/* Runs fl to the end on this thread; 0 or -1. */
static int flight_run(flight *fl) {
  int i, rc;
  fl->slots = calloc((size_t)fl->depth, sizeof *fl->slots);
  if (fl->slots == NULL) die("out of memory");
  if (fl->rng == 0) fl->rng = SEED;
  fl->t0 = now_sec();
  for (i = 0; i < fl->depth && !fl->stop; i++) {
    fl->slots[i].fl = fl;
    flight_submit(fl, &fl->slots[i]);
  }
  if (fl->secs <= 0 && fl->submitted >= fl->limit) fl->stop = 1;
  while (fl->inflight > 0) {
    rc = aiodb_cq_run_once(fl->cq, 1000);
    if (rc < 0) {
      fl->failed = 1;
      break;
    }
  }
  free(fl->slots);
  fl->slots = NULL;
  return fl->failed ? -1 : 0;
}

static double flight_allocs_per_op(const flight *fl) {
  if (fl->warm_ops == 0 || fl->ops <= fl->warm_ops) return -1;
  return (double)(fl->end_allocs - fl->warm_allocs) /
         (double)(fl->ops - fl->warm_ops);
}

static void flight_record(int r, flight *fl, long rss, double cpu0) {
  record(r, fl->ops, fl->t_end - fl->t0, &fl->h, rss,
         flight_allocs_per_op(fl), cpu0);
}

/* ---- point selects (W1, W3) ---- */

typedef struct kv_ctx {
  aiodb_db *db;
} kv_ctx;

static aiodb_future *submit_select(flight *fl, slot *s) {
  kv_ctx *k = fl->ctx;
  aiodb_value arg;
  s->id = kv_id(&fl->rng);
  arg = aiodb_int(s->id);
  return aiodb_query(k->db, SELECT_SQL, &arg, 1);
}

static int check_select(aiodb_future *f, const slot *s) {
  aiodb_result *r = aiodb_future_result(f);
  return aiodb_result_rows(r) == 1 &&
                 value_ok(aiodb_result_text(r, 0, 0), aiodb_result_len(r, 0, 0),
                          s->id)
             ? 0
             : -1;
}

static aiodb_db *open_or_die(const char *url, unsigned min, unsigned max) {
  aiodb_options o;
  aiodb_error err;
  aiodb_db *db;
  aiodb_options_init(&o);
  o.min_size = min;
  o.max_size = max;
  db = aiodb_open(url, &o, &err);
  if (db == NULL) die("%s", err.message);
  return db;
}

/* One aiodb workload on db: a warm-up (every connection open, statements
 * prepared) of warm_depth in flight for warm_limit calls, then depth in
 * flight for cfg.secs, recorded into row r with the CPU it took. */
static void measure(aiodb_db *db, submit_fn submit, check_fn check, void *ctx,
                    int warm_depth, uint64_t warm_limit, int depth, int r) {
  flight fl;
  double c0;
  int warm;
  for (warm = 1; warm >= 0; warm--) {
    memset(&fl, 0, sizeof fl);
    fl.cq = aiodb_db_cq(db);
    fl.submit = submit;
    fl.check = check;
    fl.ctx = ctx;
    fl.depth = warm ? warm_depth : depth;
    fl.secs = warm ? 0 : cfg.secs;
    fl.limit = warm ? warm_limit : (uint64_t)-1;
    if (!warm) rss_reset();
    c0 = cpu_sec();
    if (flight_run(&fl) != 0)
      die("%s%s failed", rows[r].id, warm ? ": warm-up" : "");
  }
  flight_record(r, &fl, rss_peak_kb(), c0);
}

/* The pool's state after a workload, on stderr (--verbose). */
static void print_pool(const char *id, const aiodb_db *db) {
  aiodb_pool_stats st;
  if (aiodb_db_pool_stats(db, &st) != 0) return;
  fprintf(stderr,
          "  %s: pool %u-%u: %u open (%u idle, %u busy, %u pinned), %u opening, "
          "%u waiting; %" PRIu64 " created, %" PRIu64 " closed (%" PRIu64
          " broken), %" PRIu64 " checks, %" PRIu64 " acquire timeouts",
          id, st.min_size, st.max_size, st.open, st.idle, st.busy, st.pinned,
          st.opening, st.waiting, st.created, st.closed, st.broken, st.checks,
          st.acquire_timeouts);
  if (st.batches > 0)
    fprintf(stderr, "; %" PRIu64 " statements pipelined, %.1f a batch", st.batched,
            (double)st.batched / (double)st.batches);
  fputc('\n', stderr);
}

/* Point selects through aiodb with depth in flight over conns connections
 * (0: the engine's default pool); records into row r. */
static void run_selects(const char *url, unsigned conns, int depth, int r) {
  aiodb_db *db = open_or_die(url, conns, conns);
  kv_ctx k = {db};
  aiodb_pool_stats st;
  if (conns == 0 && aiodb_db_pool_stats(db, &st) == 0) conns = st.max_size;
  measure(db, submit_select, check_select, &k, (int)conns * 4, conns * 200,
          depth, r);
  if (cfg.verbose) print_pool(rows[r].id, db);
  aiodb_db_free(db);
}

static void set_flag(aiodb_future *f, void *ud) {
  (void)f;
  *(int *)ud = 1;
}

/* Waits for f the way a loop would, through a callback (a future without
 * one never wakes the cq); dies unless it succeeded. f stays the caller's. */
static void loop_until(aiodb_db *db, aiodb_future *f, const char *what) {
  int done = 0;
  if (f == NULL) die("%s: out of memory", what);
  aiodb_future_on_done(f, set_flag, &done);
  while (!done) aiodb_cq_run_once(aiodb_db_cq(db), 1000);
  if (aiodb_future_error(f) != 0) die("%s: %s", what, aiodb_future_errmsg(f));
}

#ifdef AIODB_HAVE_SQLITE
/* The journal modes the suite's SQLite files are made in: WAL, the
 * default, and the rollback journal (--journal delete or both). The mode
 * is set once, as the file is made (PRAGMA journal_mode, which a WAL file
 * keeps), so neither aiodb nor the raw loops set anything at open. */
enum { J_WAL, J_DELETE, N_JOURNALS };
static const char *const journal_name[N_JOURNALS] = {"WAL", "delete"};
static const char *const journal_pragma[N_JOURNALS] = {"wal", "delete"};
/* after the rows' names and the files' names on a rollback journal */
static const char *const journal_suffix[N_JOURNALS] = {"", " rj"};
static const char *const journal_file[N_JOURNALS] = {"", "-rj"};

/* The suite's own files in cfg.dir, per journal mode (made afresh,
 * removed at the end), and aiodb's URLs for them. */
typedef struct sqlite_file {
  char path[1024];
  char url[3200];
} sqlite_file;
static sqlite_file kv_file[N_JOURNALS], ins_file[N_JOURNALS];

/* The journal mode of the workloads that run on one of them only (trace,
 * W5): WAL unless --journal delete. */
static int main_journal(void) {
  return cfg.journals & (1 << J_WAL) ? J_WAL : J_DELETE;
}

/* Row id (with journal j's suffix) on a file in journal mode j. */
static int sqlite_row(const char *id, const char *what, int base, int j) {
  char name[64];
  int r;
  snprintf(name, sizeof name, "%s%s", id, journal_suffix[j]);
  r = row_of(name, what, base);
  rows[r].journal = journal_name[j];
  return r;
}

static void sqlite_check(int rc, sqlite3 *db, const char *what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
    die("%s: %s", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

/* A connection for the raw loops (and for making the files), opened as
 * aiodb's worker opens a plain path (workers/sqlite.c, sq_connect):
 * read-write, SQLITE_OPEN_NOMUTEX (one thread uses it), extended result
 * codes, a 5 s busy timeout, no pragma. The raw loops then prepare their
 * statement as aiodb's statement cache does (SQLITE_PREPARE_PERSISTENT):
 * the strongest baseline that is the same work. */
static sqlite3 *sqlite_open_raw(const char *path) {
  sqlite3 *db = NULL;
  int rc = sqlite3_open_v2(path, &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                               SQLITE_OPEN_NOMUTEX,
                           NULL);
  if (rc != SQLITE_OK) die("%s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, 5000);
  return db;
}

static sqlite3_stmt *sqlite_prepare(sqlite3 *db, const char *sql) {
  sqlite3_stmt *st = NULL;
  sqlite_check(sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
                                  NULL),
               db, "prepare");
  return st;
}

static void remove_db(const char *path);

/* Makes the file at path afresh in journal mode j; returns it open. */
static sqlite3 *sqlite_make_file(const char *path, int j) {
  sqlite3 *db;
  sqlite3_stmt *st;
  char sql[64];
  const unsigned char *mode;
  remove_db(path);
  db = sqlite_open_raw(path);
  snprintf(sql, sizeof sql, "PRAGMA journal_mode=%s", journal_pragma[j]);
  st = sqlite_prepare(db, sql);
  sqlite_check(sqlite3_step(st), db, sql);
  mode = sqlite3_column_text(st, 0);
  if (mode == NULL || strcasecmp((const char *)mode, journal_pragma[j]) != 0)
    die("%s: %s gave journal mode '%s' (the file system may not support it:"
        " --dir DIR elsewhere, or --journal delete)",
        path, sql, mode ? (const char *)mode : "");
  sqlite3_finalize(st);
  return db;
}

/* Rows 1..n (id, its value) through sql ("INSERT ... VALUES (?, ?)"),
 * prepared once, on db with sqlite3 directly; each insert's time, from
 * *prev on, goes into h. */
static void sqlite_insert_rows(sqlite3 *db, const char *sql, int64_t n, hist *h,
                               double *prev) {
  sqlite3_stmt *st = sqlite_prepare(db, sql);
  char v[VALUE_LEN];
  double t;
  int64_t id;
  for (id = 1; id <= n; id++) {
    make_value(v, id);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, v, VALUE_LEN, SQLITE_STATIC);
    sqlite_check(sqlite3_step(st), db, "insert");
    sqlite3_reset(st);
    t = now_sec();
    hist_add(h, t - *prev);
    *prev = t;
  }
  sqlite3_finalize(st);
}

/* kv with cfg.kv_rows rows in journal mode j, made with sqlite3 directly
 * (not timed). */
static void sqlite_make_kv(int j) {
  sqlite3 *db = sqlite_make_file(kv_file[j].path, j);
  hist unused;
  double prev = now_sec();
  memset(&unused, 0, sizeof unused);
  sqlite_check(sqlite3_exec(db,
                            "CREATE TABLE kv (id INTEGER PRIMARY KEY, v TEXT);"
                            "BEGIN",
                            NULL, NULL, NULL),
               db, "create kv");
  sqlite_insert_rows(db, "INSERT INTO kv VALUES (?, ?)", cfg.kv_rows, &unused, &prev);
  sqlite_check(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), db, "commit");
  sqlite3_close(db);
}

/* W1 raw: the same select through sqlite3, prepared once, on this thread. */
static void sqlite_raw_selects(int r, int j) {
  sqlite3 *db = sqlite_open_raw(kv_file[j].path);
  sqlite3_stmt *st = sqlite_prepare(db, SELECT_SQL);
  uint64_t rng = SEED, ops = 0;
  double t0, t, prev, c0;
  hist h;
  int64_t id;
  memset(&h, 0, sizeof h);
  rss_reset();
  c0 = cpu_sec();
  t0 = prev = now_sec();
  do {
    id = kv_id(&rng);
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_ROW ||
        !value_ok(sqlite3_column_text(st, 0),
                  (size_t)sqlite3_column_bytes(st, 0), id))
      die("raw sqlite3: wrong answer for id %" PRId64, id);
    sqlite3_reset(st);
    ops++;
    t = now_sec();
    hist_add(&h, t - prev);
    prev = t;
  } while (t - t0 < cfg.secs);
  record(r, ops, t - t0, &h, rss_peak_kb(), -1, c0);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

static void w1(int j) {
  int raw = sqlite_row("W1 raw", "sqlite3 loop, 1 thread", -1, j);
  int a = sqlite_row("W1a", "aiodb, 1 in flight, 1 conn", raw, j);
  int b1 = sqlite_row("W1b x1", "aiodb, 64 in flight, 1 conn", raw, j);
  int b2 = sqlite_row("W1b x2", "aiodb, 64 in flight, 2 conns", raw, j);
  int spin = sqlite_row("W1a spin", "W1a with spin_us=50", raw, j);
  int bspin = sqlite_row("W1b x1 spin", "W1b x1 with spin_us=50", raw, j);
  const char *url = kv_file[j].url;
  char spin_url[sizeof kv_file[j].url + 16];
  snprintf(spin_url, sizeof spin_url, "%s?spin_us=50", url);
  sqlite_raw_selects(raw, j);
  run_selects(url, 1, 1, a);
  run_selects(spin_url, 1, 1, spin);
  run_selects(url, 1, 64, b1);
  run_selects(url, 2, 64, b2);
  run_selects(spin_url, 1, 64, bspin);
}

/* ---- W2: inserts in one transaction ---- */

static void fresh_ins_table(int j) {
  sqlite3 *db = sqlite_open_raw(ins_file[j].path);
  sqlite_check(sqlite3_exec(db,
                            "DROP TABLE IF EXISTS ins;"
                            "CREATE TABLE ins (id INTEGER PRIMARY KEY, v TEXT)",
                            NULL, NULL, NULL),
               db, "create ins");
  sqlite3_close(db);
}

static void sqlite_raw_inserts(int r, int j) {
  sqlite3 *db;
  double t0, t, prev, c0;
  hist h;
  memset(&h, 0, sizeof h);
  fresh_ins_table(j);
  db = sqlite_open_raw(ins_file[j].path);
  rss_reset();
  c0 = cpu_sec();
  t0 = prev = now_sec();
  sqlite_check(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), db, "begin");
  sqlite_insert_rows(db, "INSERT INTO ins VALUES (?, ?)", cfg.inserts, &h, &prev);
  sqlite_check(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), db, "commit");
  t = now_sec();
  record(r, (uint64_t)cfg.inserts, t - t0, &h, rss_peak_kb(), -1, c0);
  sqlite3_close(db);
}

typedef struct ins_ctx {
  aiodb_tx *tx;
  int64_t next;
} ins_ctx;

static aiodb_future *submit_insert(flight *fl, slot *s) {
  ins_ctx *c = fl->ctx;
  char v[VALUE_LEN];
  aiodb_value args[2];
  s->id = ++c->next;
  make_value(v, s->id);
  args[0] = aiodb_int(s->id);
  args[1] = aiodb_textn(v, VALUE_LEN);
  return aiodb_tx_query(c->tx, "INSERT INTO ins VALUES (?, ?)", args, 2);
}

static int check_insert(aiodb_future *f, const slot *s) {
  (void)s;
  return aiodb_result_affected(aiodb_future_result(f)) == 1 ? 0 : -1;
}

/* W2 through aiodb: depth 1 (a), or everything submitted at once (b), or
 * one aiodb_tx_query_many (c, many = 1). */
static void aiodb_inserts(int r, int j, int depth, int many) {
  aiodb_db *db;
  aiodb_tx *tx;
  aiodb_future *f;
  flight fl;
  ins_ctx c;
  double t0, t1, c0;
  unsigned long a0;
  fresh_ins_table(j);
  db = open_or_die(ins_file[j].url, 1, 1);
  f = aiodb_query(db, "SELECT 1", NULL, 0); /* connection open */
  loop_until(db, f, "warm-up");
  aiodb_future_free(f);
  rss_reset();
  a0 = allocs_now();
  c0 = cpu_sec();
  t0 = now_sec();
  tx = aiodb_begin(db);
  if (tx == NULL) die("out of memory");
  memset(&fl, 0, sizeof fl);
  if (many) {
    aiodb_value *args = malloc(sizeof *args * 2 * (size_t)cfg.inserts);
    char *vals = malloc((size_t)VALUE_LEN * (size_t)cfg.inserts);
    int64_t i;
    if (args == NULL || vals == NULL) die("out of memory");
    for (i = 0; i < cfg.inserts; i++) {
      make_value(vals + i * VALUE_LEN, i + 1);
      args[2 * i] = aiodb_int(i + 1);
      args[2 * i + 1] = aiodb_textn(vals + i * VALUE_LEN, VALUE_LEN);
    }
    f = aiodb_tx_query_many(tx, "INSERT INTO ins VALUES (?, ?)", args,
                            (size_t)cfg.inserts, 2);
    loop_until(db, f, "query_many");
    if (aiodb_result_affected(aiodb_future_result(f)) != cfg.inserts)
      die("query_many: wrong count");
    aiodb_future_free(f);
    free(args);
    free(vals);
    fl.ops = (uint64_t)cfg.inserts;
  } else {
    c.tx = tx;
    c.next = 0;
    fl.cq = aiodb_db_cq(db);
    fl.submit = submit_insert;
    fl.check = check_insert;
    fl.ctx = &c;
    fl.depth = depth;
    fl.limit = (uint64_t)cfg.inserts;
    if (flight_run(&fl) != 0) die("%s failed", rows[r].id);
  }
  f = aiodb_commit(tx);
  loop_until(db, f, "commit");
  aiodb_future_free(f);
  t1 = now_sec();
  record(r, (uint64_t)cfg.inserts, t1 - t0, many ? NULL : &fl.h, rss_peak_kb(),
         (double)(allocs_now() - a0) / (double)cfg.inserts, c0);
  aiodb_db_free(db);
}

/* ---- trace: the cost of tracing on the hop-bound W1a ---- */

static volatile int64_t trace_sink;

static void noop_trace(const aiodb_trace *t, void *ud) {
  (void)ud;
  trace_sink += t->run_ns;
}

/* W1a (depth 1) or W1b x1 (64) on a db tracing not at all (mode 0),
 * every statement (1), or with slow_query_ms keeping every call away (2). */
static void traced_selects(int mode, int depth, int r) {
  aiodb_options o;
  aiodb_error err;
  aiodb_db *db;
  kv_ctx k;
  aiodb_options_init(&o);
  o.min_size = o.max_size = 1;
  if (mode > 0) o.trace = noop_trace;
  if (mode > 1) o.slow_query_ms = 1000;
  db = aiodb_open(kv_file[main_journal()].url, &o, &err);
  if (db == NULL) die("%s", err.message);
  k.db = db;
  measure(db, submit_select, check_select, &k, 4, 200, depth, r);
  aiodb_db_free(db);
}

static void w_trace(void) {
  static const int mode[5] = {0, 1, 2, 0, 1}, depth[5] = {1, 1, 1, 64, 64};
  static int round;
  int r[5], i, j = main_journal();
  r[0] = sqlite_row("trace off", "W1a, no trace", -1, j);
  r[1] = sqlite_row("trace on", "W1a, a no-op trace on every statement", r[0], j);
  r[2] = sqlite_row("trace slow", "W1a, traced with slow_query_ms=1000", r[0], j);
  r[3] = sqlite_row("trace off x64", "W1b x1 (64 in flight), no trace", -1, j);
  r[4] = sqlite_row("trace on x64", "W1b x1, a no-op trace on every statement",
                    r[3], j);
  /* every other repeat in the other order: no side gains from going first */
  for (i = 0; i < 5; i++) {
    int k = round % 2 ? 4 - i : i;
    traced_selects(mode[k], depth[k], r[k]);
  }
  round++;
}

static void w2(int j) {
  int raw = sqlite_row("W2 raw", "sqlite3 loop, 1 tx", -1, j);
  int a = sqlite_row("W2a", "aiodb, one at a time, 1 tx", raw, j);
  int b = sqlite_row("W2b", "aiodb, all submitted at once, 1 tx", raw, j);
  int c = sqlite_row("W2c", "aiodb_tx_query_many, 1 tx", raw, j);
  sqlite_raw_inserts(raw, j);
  aiodb_inserts(a, j, 1, 0);
  aiodb_inserts(b, j, (int)cfg.inserts, 0);
  aiodb_inserts(c, j, 0, 1);
}
#endif /* AIODB_HAVE_SQLITE */

/* ---- W3: the point select on a server ---- */

/* Helpers of both servers' W3: none in a build with neither (SQLite only). */
#if defined(AIODB_HAVE_POSTGRES) || defined(AIODB_HAVE_MYSQL)
/* kv on a server, through aiodb (not timed): DROP, CREATE, one query_many. */
static void server_make_kv(const char *url, const char *create) {
  aiodb_db *db = open_or_die(url, 1, 1);
  size_t n = (size_t)cfg.kv_rows;
  aiodb_value *args = malloc(sizeof *args * 2 * n);
  char *vals = malloc((size_t)VALUE_LEN * n);
  aiodb_future *f;
  int64_t i;
  if (args == NULL || vals == NULL) die("out of memory");
  f = aiodb_query(db, "DROP TABLE IF EXISTS kv", NULL, 0);
  loop_until(db, f, "drop kv");
  aiodb_future_free(f);
  f = aiodb_query(db, create, NULL, 0);
  loop_until(db, f, "create kv");
  aiodb_future_free(f);
  for (i = 0; i < cfg.kv_rows; i++) {
    make_value(vals + i * VALUE_LEN, i + 1);
    args[2 * i] = aiodb_int(i + 1);
    args[2 * i + 1] = aiodb_textn(vals + i * VALUE_LEN, VALUE_LEN);
  }
  f = aiodb_query_many(db, "INSERT INTO kv VALUES (?, ?)", args, n, 2);
  loop_until(db, f, "fill kv");
  aiodb_future_free(f);
  free(args);
  free(vals);
  aiodb_db_free(db);
}

/* A raw loop run on a worker's own native handle with aiodb_db_run: one hop
 * for the whole loop, none per query. */
typedef struct raw_run {
  double secs;
  uint64_t ops;
  double elapsed;
  hist h;
  int sync_each;  /* pg_raw_pipeline: a sync after every query */
  char error[256];
} raw_run;

static void raw_on_worker(const char *url, aiodb_run_fn fn, int sync_each,
                          int r) {
  aiodb_db *db = open_or_die(url, 1, 1);
  raw_run *rr = calloc(1, sizeof *rr);
  aiodb_future *f;
  double c0;
  if (rr == NULL) die("out of memory");
  rr->secs = cfg.secs;
  rr->sync_each = sync_each;
  f = aiodb_query(db, "SELECT 1", NULL, 0);
  loop_until(db, f, "connect");
  aiodb_future_free(f);
  rss_reset();
  c0 = cpu_sec();
  f = aiodb_db_run(db, fn, rr);
  loop_until(db, f, rows[r].id);
  if (aiodb_future_value(f) != 0) die("%s: %s", rows[r].id, rr->error);
  aiodb_future_free(f);
  record(r, rr->ops, rr->elapsed, &rr->h, rss_peak_kb(), -1, c0);
  free(rr);
  aiodb_db_free(db);
}
#endif

#ifdef AIODB_HAVE_POSTGRES
static int pg_raw_seq(void *native, void *ud) {
  PGconn *pg = native;
  raw_run *rr = ud;
  uint64_t rng = SEED;
  double t0, t, prev;
  int ok = raw_pg_prepare(pg, "bench_raw", rr->error, sizeof rr->error);
  t0 = prev = t = now_sec();
  while (ok && t - t0 < rr->secs) {
    int64_t id = kv_id(&rng);
    ok = raw_pg_select(pg, "bench_raw", id, rr->error, sizeof rr->error);
    rr->ops++;
    t = now_sec();
    hist_add(&rr->h, t - prev);
    prev = t;
  }
  rr->elapsed = t - t0;
  PQclear(PQexec(pg, "DEALLOCATE bench_raw"));
  return ok ? 0 : -1;
}

/* libpq pipeline mode on one connection: 64 queries sent ahead, a sync
 * after each batch (the 64 share one implicit transaction) or, with
 * sync_each, after each query (each its own transaction, as aiodb sends
 * them). Latency here is a batch's, per query. */
static int pg_raw_pipeline(void *native, void *ud) {
  PGconn *pg = native;
  raw_run *rr = ud;
  uint64_t rng = SEED;
  double t0, t, prev;
  char idbuf[64][24];
  int64_t ids[64];
  PGresult *res = PQprepare(pg, "bench_pipe", "SELECT v FROM kv WHERE id = $1",
                            1, NULL);
  int ok = PQresultStatus(res) == PGRES_COMMAND_OK, i;
  PQclear(res);
  if (!ok || PQenterPipelineMode(pg) != 1) {
    snprintf(rr->error, sizeof rr->error, "pipeline mode: %s",
             PQerrorMessage(pg));
    return -1;
  }
  t0 = prev = t = now_sec();
  while (ok && t - t0 < rr->secs) {
    for (i = 0; i < 64 && ok; i++) {
      const char *params[1] = {idbuf[i]};
      ids[i] = kv_id(&rng);
      snprintf(idbuf[i], sizeof idbuf[i], "%" PRId64, ids[i]);
      ok = PQsendQueryPrepared(pg, "bench_pipe", 1, params, NULL, NULL, 0) == 1;
      if (rr->sync_each) ok = ok && PQpipelineSync(pg) == 1;
    }
    if (!rr->sync_each) ok = ok && PQpipelineSync(pg) == 1;
    for (i = 0; i < 64 && ok; i++) {
      res = PQgetResult(pg);
      ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
           value_ok(PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0),
                    ids[i]);
      PQclear(res);
      res = PQgetResult(pg); /* the NULL after each query's result */
      PQclear(res);
      if (rr->sync_each || i == 63) {
        res = PQgetResult(pg); /* PGRES_PIPELINE_SYNC */
        ok = ok && PQresultStatus(res) == PGRES_PIPELINE_SYNC;
        PQclear(res);
      }
    }
    rr->ops += 64;
    t = now_sec();
    for (i = 0; i < 64; i++) hist_add(&rr->h, (t - prev) / 64);
    prev = t;
  }
  if (!ok) snprintf(rr->error, sizeof rr->error, "%s", PQerrorMessage(pg));
  PQexitPipelineMode(pg);
  PQclear(PQexec(pg, "DEALLOCATE bench_pipe"));
  rr->elapsed = t - t0;
  return ok ? 0 : -1;
}
#endif

#ifdef AIODB_HAVE_MYSQL
static int my_raw_seq(void *native, void *ud) {
  raw_run *rr = ud;
  uint64_t rng = SEED;
  double t0, t, prev;
  raw_my q;
  int ok = raw_my_open(&q, native);
  t0 = prev = t = now_sec();
  while (ok && t - t0 < rr->secs) {
    ok = raw_my_select(&q, (long long)kv_id(&rng));
    rr->ops++;
    t = now_sec();
    hist_add(&rr->h, t - prev);
    prev = t;
  }
  raw_my_close(&q, !ok, rr->error, sizeof rr->error);
  rr->elapsed = t - t0;
  return ok ? 0 : -1;
}
#endif

/* A row holding row b's samples, compared with base instead. */
static void alias_row(int b, const char *id, const char *what, int base) {
  int alias = row_of(id, what, base);
  memcpy(rows[alias].s, rows[b].s, sizeof rows[b].s);
  rows[alias].n = rows[b].n;
}

static void w3_server(const char *url, const char *name) {
  static char what[48]; /* the rows keep it */
  char id[5][32];
  const char *driver;
  aiodb_db *probe = open_or_die(url, 0, 1);
  int raw, pipe = -1, pipe1 = -1, a, b;
  driver = aiodb_db_driver(probe);
  aiodb_db_free(probe);
  snprintf(id[0], sizeof id[0], "W3 %s raw", name);
  snprintf(id[1], sizeof id[1], "W3 %s pipe", name);
  snprintf(id[2], sizeof id[2], "W3a %s", name);
  snprintf(id[3], sizeof id[3], "W3b %s", name);
  snprintf(id[4], sizeof id[4], "W3 %s pipe1", name);
  raw = row_of(id[0], "raw driver, 1 conn, sequential", -1);
  if (strcmp(driver, "postgresql") == 0) {
#ifdef AIODB_HAVE_POSTGRES
    pipe = row_of(id[1], "raw libpq pipeline, 1 conn, 64 ahead", -1);
    pipe1 = row_of(id[4], "the same, a sync after each query", -1);
    raw_on_worker(url, pg_raw_seq, 0, raw);
    raw_on_worker(url, pg_raw_pipeline, 0, pipe);
    raw_on_worker(url, pg_raw_pipeline, 1, pipe1);
#endif
  } else {
#ifdef AIODB_HAVE_MYSQL
    raw_on_worker(url, my_raw_seq, 0, raw);
#endif
  }
  a = row_of(id[2], "aiodb, 1 in flight, 1 conn", raw);
  if (cfg.pool > 0)
    snprintf(what, sizeof what, "aiodb, 64 in flight, %d conn%s", cfg.pool,
             cfg.pool == 1 ? "" : "s");
  else
    snprintf(what, sizeof what, "aiodb, 64 in flight, default pool");
  b = row_of(id[3], what, raw);
  run_selects(url, 1, 1, a);
  run_selects(url, (unsigned)cfg.pool, 64, b);
  if (pipe >= 0) {
    char pid[40];
    snprintf(pid, sizeof pid, "W3b %s/pipe", name);
    alias_row(b, pid, "W3b against libpq pipeline", pipe);
    snprintf(pid, sizeof pid, "W3b %s/pipe1", name);
    alias_row(b, pid, "W3b against pipeline, sync each", pipe1);
    /* The server shares the machine's cores: fewer connections, each
     * sending a deeper pipeline, may do more. */
    if (cfg.pool != 2) {
      int b2;
      snprintf(pid, sizeof pid, "W3b %s 2c", name);
      b2 = row_of(pid, "aiodb, 64 in flight, 2 conns", raw);
      run_selects(url, 2, 64, b2);
      snprintf(pid, sizeof pid, "W3b %s 2c/pipe", name);
      alias_row(b2, pid, "W3b 2c against libpq pipeline", pipe);
      snprintf(pid, sizeof pid, "W3b %s 2c/pipe1", name);
      alias_row(b2, pid, "W3b 2c against pipeline, sync each", pipe1);
    }
  }
}

/* ---- W6: query_many on MariaDB, in bulk and row by row ---- */

#ifdef AIODB_HAVE_MYSQL
/* cfg.inserts rows (id, 100 characters) as aiodb values, kept for the run. */
typedef struct many_rows {
  aiodb_value *args;
  char *vals;
} many_rows;

static void many_rows_make(many_rows *m) {
  int64_t i;
  m->args = malloc(sizeof *m->args * 2 * (size_t)cfg.inserts);
  m->vals = malloc((size_t)VALUE_LEN * (size_t)cfg.inserts);
  if (m->args == NULL || m->vals == NULL) die("out of memory");
  for (i = 0; i < cfg.inserts; i++) {
    make_value(m->vals + i * VALUE_LEN, i + 1);
    m->args[2 * i] = aiodb_int(i + 1);
    m->args[2 * i + 1] = aiodb_textn(m->vals + i * VALUE_LEN, VALUE_LEN);
  }
}

static void many_table(aiodb_db *db) {
  aiodb_future *f = aiodb_query(db, "DROP TABLE IF EXISTS many_ins", NULL, 0);
  loop_until(db, f, "drop many_ins");
  aiodb_future_free(f);
  f = aiodb_query(db, "CREATE TABLE many_ins (id bigint PRIMARY KEY, v varchar(200)) "
                      "ENGINE=InnoDB", NULL, 0);
  loop_until(db, f, "create many_ins");
  aiodb_future_free(f);
}

/* The raw loops, on the worker's MYSQL* (aiodb_db_run): one transaction,
 * one prepared INSERT executed per row (bulk 0), per 1,000 rows with
 * Connector/C's array binding (bulk 1), or per 1,000 rows (fewer if there
 * are fewer) as one INSERT of that many rows, VALUES (?, ?),(?, ?),...
 * (bulk 2; the rest, if any, one by one). */
typedef struct many_raw {
  const many_rows *rows;
  int bulk;
  double elapsed;
  char error[256];
} many_raw;

static int my_raw_many(void *native, void *ud) {
  enum { CHUNK = 1000 };
  static const char sql[] = "INSERT INTO many_ins VALUES (?, ?)";
  MYSQL *my = native;
  many_raw *mr = ud;
  MYSQL_STMT *st = mysql_stmt_init(my);
  MYSQL_STMT *ws = NULL;
  MYSQL_BIND b[2];
  long long ids[CHUNK];
  char *vals[CHUNK];
  unsigned long lens[CHUNK];
  int64_t i, n = cfg.inserts;
  double t0 = now_sec();
  int ok = st != NULL && mysql_query(my, "BEGIN") == 0 &&
           mysql_stmt_prepare(st, sql, sizeof sql - 1) == 0;
  if (ok && mr->bulk == 2) {
    static MYSQL_BIND wb[2 * CHUNK];
    static const char head[] = "INSERT INTO many_ins VALUES ";
    char *text = malloc(sizeof head + 7 * CHUNK), *p = text;
    int64_t k, wide = n < CHUNK ? n : CHUNK;
    if (text == NULL) die("out of memory");
    p += sprintf(p, "%s", head);
    for (k = 0; k < wide; k++) p += sprintf(p, "%s(?, ?)", k ? "," : "");
    ok = (ws = mysql_stmt_init(my)) != NULL &&
         mysql_stmt_prepare(ws, text, (unsigned long)(p - text)) == 0;
    free(text);
    memset(wb, 0, sizeof wb);
    for (i = 0; ok && i + wide <= n; i += wide) {
      for (k = 0; k < wide; k++) {
        const aiodb_value *v = &mr->rows->args[2 * (i + k)];
        wb[2 * k].buffer_type = MYSQL_TYPE_LONGLONG;
        wb[2 * k].buffer = (void *)&v[0].u.i;
        wb[2 * k + 1].buffer_type = MYSQL_TYPE_STRING;
        wb[2 * k + 1].buffer = (void *)v[1].u.s;
        wb[2 * k + 1].buffer_length = (unsigned long)v[1].len;
      }
      ok = mysql_stmt_bind_param(ws, wb) == 0 && mysql_stmt_execute(ws) == 0 &&
           mysql_stmt_affected_rows(ws) == (my_ulonglong)wide;
    }
    if (!ok && ws != NULL && mysql_stmt_errno(ws))
      snprintf(mr->error, sizeof mr->error, "%s", mysql_stmt_error(ws));
    if (ws != NULL) mysql_stmt_close(ws);
  } else {
    i = 0;
  }
  memset(b, 0, sizeof b);
  b[0].buffer_type = MYSQL_TYPE_LONGLONG;
  b[1].buffer_type = MYSQL_TYPE_STRING;
  while (ok && i < n) {
    int64_t k, run = mr->bulk == 1 ? (n - i < CHUNK ? n - i : CHUNK) : 1;
    unsigned size = (unsigned)run;
    for (k = 0; k < run; k++) {
      ids[k] = (long long)mr->rows->args[2 * (i + k)].u.i;
      vals[k] = (char *)mr->rows->args[2 * (i + k) + 1].u.s;
      lens[k] = VALUE_LEN;
    }
    b[0].buffer = ids;
    b[1].buffer = mr->bulk == 1 ? (void *)vals : (void *)vals[0];
    b[1].buffer_length = VALUE_LEN;
    b[1].length = lens;
    if (mr->bulk == 1) ok = mysql_stmt_attr_set(st, STMT_ATTR_ARRAY_SIZE, &size) == 0;
    ok = ok && mysql_stmt_bind_param(st, b) == 0 && mysql_stmt_execute(st) == 0 &&
         mysql_stmt_affected_rows(st) == (my_ulonglong)run;
    i += run;
  }
  if (ok) ok = mysql_query(my, "COMMIT") == 0;
  mr->elapsed = now_sec() - t0;
  if (!ok && mr->error[0] == '\0')
    snprintf(mr->error, sizeof mr->error, "%s",
             st != NULL && mysql_stmt_errno(st) ? mysql_stmt_error(st) : mysql_error(my));
  if (st != NULL) mysql_stmt_close(st);
  return ok ? 0 : -1;
}

/* Waits (up to 5 s) for InnoDB to have written out the pages a variant
 * before left dirty, so that each starts on a settled server; no wait
 * where the server does not say (MySQL keeps its status elsewhere). */
static void many_settle(aiodb_db *db) {
  double t0 = now_sec();
  for (;;) {
    int done = 0;
    int64_t dirty = 0;
    aiodb_future *f = aiodb_query(db, "SELECT CAST(VARIABLE_VALUE AS SIGNED) FROM "
                                      "information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = "
                                      "'INNODB_BUFFER_POOL_PAGES_DIRTY'", NULL, 0);
    if (f == NULL) die("settle: out of memory");
    aiodb_future_on_done(f, set_flag, &done);
    while (!done) aiodb_cq_run_once(aiodb_db_cq(db), 1000);
    if (aiodb_future_error(f) != 0 ||
        aiodb_result_get_int(aiodb_future_result(f), 0, 0, &dirty) != 0)
      dirty = 0;
    aiodb_future_free(f);
    if (dirty == 0 || now_sec() - t0 > 5) return;
    usleep(100 * 1000);
  }
}

/* url with one more query option. */
static char *url_with(const char *url, const char *opt) {
  size_t n = strlen(url) + strlen(opt) + 2;
  char *u = malloc(n);
  if (u == NULL) die("out of memory");
  snprintf(u, n, "%s%c%s", url, strchr(url, '?') ? '&' : '?', opt);
  return u;
}

/* One variant into row r: raw (bulk 0, 1 or 2, as my_raw_many) or
 * aiodb_query_many on a db of url (bulk 0: with bulk=0 in it): the
 * INSERT ... VALUES that goes as a statement of many rows, or (bulk 1)
 * INSERT ... SET, which takes array binding only; rows/s and CPU s per s. */
static void many_run(const char *url, const many_rows *data, int raw, int bulk, int r) {
  char *u = bulk ? NULL : url_with(url, "bulk=0");
  aiodb_db *db = open_or_die(raw || bulk ? url : u, 1, 1);
  aiodb_future *f;
  double t0, c0, secs;
  unsigned long a0;
  many_table(db); /* and the connection is open */
  many_settle(db);
  rss_reset();
  a0 = allocs_now();
  c0 = cpu_sec();
  t0 = now_sec();
  if (raw) {
    many_raw mr;
    memset(&mr, 0, sizeof mr);
    mr.rows = data;
    mr.bulk = bulk;
    f = aiodb_db_run(db, my_raw_many, &mr);
    loop_until(db, f, rows[r].id);
    if (aiodb_future_value(f) != 0) die("%s: %s", rows[r].id, mr.error);
    aiodb_future_free(f);
    secs = mr.elapsed;
  } else {
    f = aiodb_query_many(db, bulk == 1 ? "INSERT INTO many_ins SET id = ?, v = ?"
                                       : "INSERT INTO many_ins VALUES (?, ?)",
                         data->args, (size_t)cfg.inserts, 2);
    loop_until(db, f, rows[r].id);
    if (aiodb_result_affected(aiodb_future_result(f)) != cfg.inserts)
      die("%s: wrong count", rows[r].id);
    aiodb_future_free(f);
    secs = now_sec() - t0;
  }
  record(r, (uint64_t)cfg.inserts, secs, NULL, rss_peak_kb(),
         raw ? -1 : (double)(allocs_now() - a0) / (double)cfg.inserts, c0);
  f = aiodb_query(db, "DROP TABLE many_ins", NULL, 0);
  loop_until(db, f, "drop many_ins");
  aiodb_future_free(f);
  aiodb_db_free(db);
  free(u);
}

static void w6(const char *url) {
  int raw1 = row_of("W6 raw 1", "libmariadb, 1 execute per row, 1 tx", -1);
  int rawb = row_of("W6 raw bulk", "libmariadb array binding, 1000 rows/execute", -1);
  int rawm = row_of("W6 raw multi", "libmariadb 1000-row INSERT, 1 execute each", -1);
  int one = row_of("W6a", "aiodb_query_many, bulk=0 (row by row)", raw1);
  int bulk = row_of("W6b", "aiodb_query_many, INSERT ... SET (array binding)", rawb);
  int multi = row_of("W6c", "aiodb_query_many, VALUES (one INSERT of many rows)", rawm);
  const int raw[6] = {1, 1, 1, 0, 0, 0}, how[6] = {0, 1, 2, 0, 1, 2};
  const int row[6] = {raw1, rawb, rawm, one, bulk, multi};
  static int round;
  many_rows data;
  int i;
  many_rows_make(&data);
  /* every other repeat in the other order: the server's flushing of one
   * variant's pages must not weigh on the same variant every time */
  for (i = 0; i < 6; i++) {
    int k = round % 2 ? 5 - i : i;
    many_run(url, &data, raw[k], how[k], row[k]);
  }
  round++;
  alias_row(bulk, "W6b/W6a", "W6b against W6a: array binding's speed-up", one);
  alias_row(multi, "W6c/W6a", "W6c against W6a: many-row INSERT's speed-up", one);
  free(data.args);
  free(data.vals);
}
#endif

/* ---- W4: the bare hop ---- */

static int noop(void *native, void *ud) {
  (void)native;
  (void)ud;
  return 0;
}

static aiodb_future *submit_noop(flight *fl, slot *s) {
  (void)s;
  return aiodb_db_run(fl->ctx, noop, NULL);
}

/* The baseline: a thread that answers each eventfd ping with a pong. */
typedef struct pingpong {
  int ping, pong;
  atomic_int stop;
} pingpong;

static void *pong_main(void *arg) {
  pingpong *p = arg;
  uint64_t v;
  for (;;) {
    if (read(p->ping, &v, sizeof v) != sizeof v) break;
    if (atomic_load(&p->stop)) break;
    v = 1;
    if (write(p->pong, &v, sizeof v) != sizeof v) break;
  }
  return NULL;
}

static void raw_round_trips(int r) {
  pingpong p;
  pthread_t t;
  uint64_t v = 1, ops = 0;
  double t0, now, prev, c0;
  struct pollfd pfd;
  hist h;
  memset(&h, 0, sizeof h);
  p.ping = eventfd(0, EFD_CLOEXEC);
  p.pong = eventfd(0, EFD_CLOEXEC);
  atomic_init(&p.stop, 0);
  if (p.ping < 0 || p.pong < 0 || pthread_create(&t, NULL, pong_main, &p) != 0)
    die("eventfd/pthread: %s", strerror(errno));
  pfd.fd = p.pong;
  pfd.events = POLLIN;
  rss_reset();
  c0 = cpu_sec();
  t0 = prev = now_sec();
  do {
    if (write(p.ping, &v, sizeof v) != sizeof v) die("write");
    /* as a loop would: poll for the answer, then read it */
    while (poll(&pfd, 1, -1) < 0 && errno == EINTR) {
    }
    if (read(p.pong, &v, sizeof v) != sizeof v) die("read");
    ops++;
    now = now_sec();
    hist_add(&h, now - prev);
    prev = now;
  } while (now - t0 < cfg.secs);
  record(r, ops, now - t0, &h, rss_peak_kb(), -1, c0);
  atomic_store(&p.stop, 1);
  v = 1;
  if (write(p.ping, &v, sizeof v) != sizeof v) die("write");
  pthread_join(t, NULL);
  close(p.ping);
  close(p.pong);
}

static void w4(void) {
  int raw = row_of("W4 raw", "pthread + eventfd round trip", -1);
  int a = row_of("W4a", "aiodb_db_run no-op, sequential", raw);
  int b = row_of("W4b", "aiodb_db_run no-op, 64 in flight", raw);
  int spin = row_of("W4a spin", "W4a with spin_us=50", raw);
  int k;
  raw_round_trips(raw);
  for (k = 0; k < 3; k++) {
    aiodb_db *db = open_or_die(k == 2 ? "sqlite://?spin_us=50" : "sqlite://", 1, 1);
    int depth = k == 1 ? 64 : 1;
    measure(db, submit_noop, NULL, db, depth, 1000, depth,
            k == 0 ? a : k == 1 ? b : spin);
    aiodb_db_free(db);
  }
}

/* ---- idle connections: memory per connection ---- */

static void idle_memory(void) {
  enum { N = 32 };
  aiodb_db *db;
  aiodb_future *f;
  long before, after;
  int i;
  before = rss_now_kb();
  db = open_or_die("sqlite://", N, N);
  /* every worker has opened its connection once N calls ran concurrently */
  for (i = 0; i < N; i++) {
    f = aiodb_query(db, "SELECT 1", NULL, 0);
    loop_until(db, f, "idle");
    aiodb_future_free(f);
  }
  usleep(100 * 1000);
  after = rss_now_kb();
  printf("idle connections: %d SQLite in-memory connections add %.0f KiB of "
         "RSS, %.1f KiB each (worker stack reserved: 256 KiB each, touched "
         "only as used)\n",
         N, (double)(after - before), (double)(after - before) / N);
  aiodb_db_free(db);
}

/* The CPU an idle program pays: after 20,000 calls one at a time (so a
 * spinning wait has learnt that answers come fast), a second in
 * aiodb_cq_run_once with nothing to answer (after 10 ms of it), then a
 * call every 50 ms for a second; with adaptive spinning (the default) and
 * without. */
static void idle_cpu(void) {
  static const char *const urls[2] = {"sqlite://", "sqlite://?adaptive_spin=0"};
  double busy[2], idle[2], sparse[2], c0;
  aiodb_db *db;
  aiodb_future *f;
  int i, k;
  for (k = 0; k < 2; k++) {
    db = open_or_die(urls[k], 1, 1);
    c0 = cpu_sec();
    for (i = 0; i < 20000; i++) {
      f = aiodb_query(db, "SELECT 1", NULL, 0);
      loop_until(db, f, "idle");
      aiodb_future_free(f);
    }
    busy[k] = (cpu_sec() - c0) / 20000 * 1e6;
    /* A thread's CPU time is brought up to date when it sleeps or at the
     * scheduler's tick: a worker that never slept while busy (its spin
     * won every time) would bring up to a tick of busy time into the idle
     * second. The first 10 ms of idleness are not measured. */
    aiodb_cq_run_once(aiodb_db_cq(db), 10);
    c0 = cpu_sec();
    aiodb_cq_run_once(aiodb_db_cq(db), 1000);
    idle[k] = (cpu_sec() - c0) * 1e3;
    c0 = cpu_sec();
    for (i = 0; i < 20; i++) {
      usleep(50 * 1000);
      f = aiodb_query(db, "SELECT 1", NULL, 0);
      loop_until(db, f, "idle");
      aiodb_future_free(f);
    }
    sparse[k] = (cpu_sec() - c0) * 1e3;
    aiodb_db_free(db);
  }
  printf("idle CPU: 1 s with nothing to answer, 10 ms after 20,000 calls one at a time "
         "(%.1f us of CPU each): %.2f ms; a call every 50 ms for 1 s: %.2f ms "
         "(adaptive_spin=0: %.1f us a call, %.2f ms, %.2f ms)\n",
         busy[0], idle[0], sparse[0], busy[1], idle[1], sparse[1]);
}

/* ---- W5: a GLib loop's longest stall ---- */

#if defined(AIODB_HAVE_GLIB) && defined(AIODB_HAVE_SQLITE)
typedef struct stall {
  double last, worst;
  int slow_done;
  GMainLoop *loop;
  flight *fl;
} stall;

static gboolean stall_tick(gpointer ud) {
  stall *s = ud;
  double t = now_sec();
  if (s->last > 0 && t - s->last > s->worst) s->worst = t - s->last;
  s->last = t;
  return G_SOURCE_CONTINUE;
}

static void slow_done(aiodb_future *f, void *ud) {
  stall *s = ud;
  if (aiodb_future_error(f) != 0)
    die("W5 slow query: %s", aiodb_future_errmsg(f));
  aiodb_future_free(f);
  s->slow_done = 1;
  s->fl->stop = 1;
}

static gboolean stall_check(gpointer ud) {
  stall *s = ud;
  if (s->slow_done && s->fl->inflight == 0) {
    g_main_loop_quit(s->loop);
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

/* nice: the workers run with worker_nice=19 and a 100 µs slice. */
static void w5(int nice) {
  int r = nice ? sqlite_row("W5 nice", "W5, workers niced (worker_nice=19)", -1,
                            main_journal())
               : sqlite_row("W5", "GLib loop: W1b + a 1 s query; stall ms", -1,
                            main_journal());
  aiodb_db *db, *slow;
  aiodb_cq *cq = aiodb_cq_new();
  GMainContext *ctx = g_main_context_new();
  GSource *src;
  kv_ctx k;
  flight fl;
  stall s;
  aiodb_value n = aiodb_int(cfg.slow_rows);
  aiodb_future *f;
  aiodb_options o;
  aiodb_error err;
  guint tick, check;
  double c0;
  int i;

  aiodb_options_init(&o);
  o.cq = cq;
  if (nice) {
    o.worker_nice = 19;
    o.worker_slice_us = 100;
  }
  db = aiodb_open(kv_file[main_journal()].url, &o, &err);
  slow = aiodb_open(kv_file[main_journal()].url, &o, &err);
  if (db == NULL || slow == NULL) die("%s", err.message);
  g_main_context_push_thread_default(ctx);
  src = aiodb_glib_attach(cq, ctx);
  memset(&s, 0, sizeof s);
  memset(&fl, 0, sizeof fl);
  s.loop = g_main_loop_new(ctx, FALSE);
  s.fl = &fl;
  k.db = db;
  fl.cq = cq;
  fl.submit = submit_select;
  fl.check = check_select;
  fl.ctx = &k;
  fl.depth = 64;
  fl.secs = 1e9; /* until the slow query ends */
  fl.limit = (uint64_t)-1;
  fl.slots = calloc(64, sizeof *fl.slots);
  fl.rng = SEED;
  {
    GSource *t = g_timeout_source_new(1);
    g_source_set_callback(t, stall_tick, &s, NULL);
    tick = g_source_attach(t, ctx);
    g_source_unref(t);
    t = g_timeout_source_new(10);
    g_source_set_callback(t, stall_check, &s, NULL);
    check = g_source_attach(t, ctx);
    g_source_unref(t);
  }
  (void)tick;
  (void)check;
  rss_reset();
  c0 = cpu_sec();
  f = aiodb_query(slow,
                  "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
                  "FROM c WHERE i < ?) SELECT count(*) FROM c",
                  &n, 1);
  aiodb_future_on_done(f, slow_done, &s);
  fl.t0 = now_sec();
  for (i = 0; i < 64; i++) {
    fl.slots[i].fl = &fl;
    flight_submit(&fl, &fl.slots[i]);
  }
  g_main_loop_run(s.loop);
  record(r, fl.ops, fl.t_end - fl.t0, &fl.h, rss_peak_kb(), -1, c0);
  rows[r].s[rows[r].n - 1].extra = s.worst * 1e3;
  free(fl.slots);
  aiodb_glib_detach(src);
  {
    GSource *gs;
    while ((gs = g_main_context_find_source_by_user_data(ctx, &s)) != NULL)
      g_source_destroy(gs);
  }
  g_main_loop_unref(s.loop);
  g_main_context_pop_thread_default(ctx);
  g_main_context_unref(ctx);
  aiodb_db_free(db);
  aiodb_db_free(slow);
  aiodb_cq_free(cq);
}
#endif

/* ---- the SQLite files: the suite's own, in cfg.dir ---- */

static char made_dir[64]; /* the temporary folder made for them, if any */

#ifdef AIODB_HAVE_SQLITE
/* A sqlite URL for path, with the characters aiodb_open would read
 * otherwise ('%' and '?') percent-encoded. */
static void sqlite_url(char *buf, size_t len, const char *path) {
  size_t n = (size_t)snprintf(buf, len, "sqlite:///");
  for (; *path != '\0' && n + 4 < len; path++) {
    if (*path == '%' || *path == '?')
      n += (size_t)snprintf(buf + n, len - n, "%%%02X", (unsigned char)*path);
    else
      buf[n++] = *path;
  }
  buf[n] = '\0';
}

static void set_path(char *path, size_t len, const char *name) {
  if ((size_t)snprintf(path, len, "%s/%s", cfg.dir, name) >= len)
    die("--dir '%s' is too long", cfg.dir);
}

static void remove_db(const char *path) {
  static const char *const suffix[] = {"", "-journal", "-wal", "-shm"};
  char p[1100];
  size_t i;
  if (path[0] == '\0') return;
  for (i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
    snprintf(p, sizeof p, "%s%s", path, suffix[i]);
    unlink(p);
  }
}
#endif

/* At exit, also after die(): the files go, and the folder if made here. */
static void remove_files(void) {
#ifdef AIODB_HAVE_SQLITE
  int j;
  for (j = 0; j < N_JOURNALS; j++) {
    remove_db(kv_file[j].path);
    remove_db(ins_file[j].path);
  }
#endif
  if (made_dir[0] != '\0') rmdir(made_dir);
}

static void setup_files(void) {
  if (cfg.dir == NULL) {
    snprintf(made_dir, sizeof made_dir, "%s", "/tmp/aiodb-bench-XXXXXX");
    if (mkdtemp(made_dir) == NULL) die("mkdtemp: %s", strerror(errno));
    cfg.dir = made_dir;
  }
#ifdef AIODB_HAVE_SQLITE
  {
    char name[64];
    int j;
    for (j = 0; j < N_JOURNALS; j++) {
      if (!(cfg.journals & (1 << j))) continue;
      snprintf(name, sizeof name, "aiodb-bench-kv%s.db", journal_file[j]);
      set_path(kv_file[j].path, sizeof kv_file[j].path, name);
      sqlite_url(kv_file[j].url, sizeof kv_file[j].url, kv_file[j].path);
      snprintf(name, sizeof name, "aiodb-bench-ins%s.db", journal_file[j]);
      set_path(ins_file[j].path, sizeof ins_file[j].path, name);
      sqlite_url(ins_file[j].url, sizeof ins_file[j].url, ins_file[j].path);
    }
  }
#endif
  atexit(remove_files);
}

/* ---- URLs: `aiodb bench URL` names the database to measure ---- */

static const char usage_text[] =
    "usage: aiodb bench [URL...] [options]\n"
    "       aiodb-bench [URL...] [options]\n"
    "Runs each workload through aiodb and through the raw driver (sqlite3,\n"
    "libpq, libmariadb) in one process, repeated, and prints the medians and\n"
    "the median ratio of aiodb to the raw driver:\n"
    "  W1  point selects on SQLite        W2    inserts in one transaction\n"
    "  W3  point selects on a server      W4    the bare hop to a worker\n"
    "  W5  a GLib loop's longest stall    idle  memory per idle connection,\n"
    "                                           CPU of an idle program\n"
    "  W6  query_many on MariaDB: row by row, bulk and many-row INSERTs\n"
    "  trace  W1a with and without a no-op trace (tracing's cost)\n"
    "A URL names the database to measure:\n"
    "  sqlite:///DIR/FILE.db   W1 W2 W4 W5 trace idle, the suite's own files\n"
    "                          (aiodb-bench-*.db, removed at the end) in DIR;\n"
    "                          FILE.db itself is not touched\n"
    "  postgresql://...        W3 on that server alone (as --pg URL)\n"
    "  mysql:// or mariadb://  W3 and W6 on that server alone (as --mysql URL)\n"
    "                          (W3 drops and refills a table kv there, W6\n"
    "                          makes and drops a table many_ins)\n"
    "Without one: all but W3 (unless --pg or --mysql), in a temporary folder.\n"
    "Options (a later one overrides an earlier one):\n"
    "  --seconds S      length of each timed workload (default 2)\n"
    "  --repeats N      repeats; the median is reported (default 5)\n"
    "  --rows N         kv's rows for the point selects (default 10000)\n"
    "  --inserts N      W2 and W6 rows (default 50000)\n"
    "  --short          a quick run: 0.3 s, 1 repeat, 5000 inserts\n"
    "  --pg URL         run W3 on this PostgreSQL server\n"
    "  --mysql URL      run W3 and W6 on this MySQL/MariaDB server\n"
    "  --only W1,W4     only these workloads (W1 W2 W3 W4 W5 W6 trace idle)\n"
    "  --pool N         W3b's connections (default 8; 0: the engine's default\n"
    "                   pool, as aiodb_open gives it)\n"
    "  --dir DIR        where the SQLite files go (default: as above)\n"
    "  --journal MODE   the SQLite files' journal: wal (the default), delete\n"
    "                   (the rollback journal; rows named ... rj), or both\n"
    "  --verbose        each repeat's figures, and each pool's state after its\n"
    "                   workload (aiodb_db_pool_stats), on stderr\n";

#define usage_error(...) usage_exit("aiodb bench", usage_text, __VA_ARGS__)

static int scheme_is(const char *url, const char *scheme) {
  size_t n = strlen(scheme);
  return strncasecmp(url, scheme, n) == 0 && strncmp(url + n, "://", 3) == 0;
}

static int hex_digit(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* The folder of the file a sqlite URL names, read as aiodb_open reads it
 * (sqlite:///rel.db is "rel.db", sqlite:////abs.db "/abs.db", the path
 * percent-decoded): 1, or 0 for the in-memory forms, which have none. */
static int sqlite_url_dir(const char *url, char *dir, size_t len) {
  const char *p = strstr(url, "://") + 3, *slash;
  size_t n, i, j;
  p += strcspn(p, "/?");
  if (*p != '/') return 0;
  p++;
  n = strcspn(p, "?");
  if (n >= len) usage_error("the path in '%s' is too long", url);
  for (i = 0, j = 0; i < n; i++) {
    if (p[i] == '%' && i + 2 < n && hex_digit((unsigned char)p[i + 1]) >= 0 &&
        hex_digit((unsigned char)p[i + 2]) >= 0) {
      dir[j++] = (char)(hex_digit((unsigned char)p[i + 1]) * 16 +
                        hex_digit((unsigned char)p[i + 2]));
      i += 2;
    } else {
      dir[j++] = p[i];
    }
  }
  dir[j] = '\0';
  if (dir[0] == '\0' || strcmp(dir, ":memory:") == 0) return 0;
  if (strncmp(dir, "file:", 5) == 0) memmove(dir, dir + 5, j - 4);
  slash = strrchr(dir, '/');
  if (slash == NULL)
    snprintf(dir, len, ".");
  else if (slash == dir)
    dir[1] = '\0';
  else
    dir[slash - dir] = '\0';
  return 1;
}

typedef struct urls {
  const char *sqlite, *pg, *my;
} urls;

static void add_url(urls *u, const char *url) {
  const char **slot;
  const char *kind;
  if (scheme_is(url, "sqlite")) {
    slot = &u->sqlite;
    kind = "SQLite";
  } else if (scheme_is(url, "postgresql") || scheme_is(url, "postgres")) {
    slot = &u->pg;
    kind = "PostgreSQL";
  } else if (scheme_is(url, "mysql") || scheme_is(url, "mariadb")) {
    slot = &u->my;
    kind = "MySQL/MariaDB";
  } else {
    usage_error("'%.*s': not a sqlite, postgresql, mysql or mariadb URL",
                (int)strcspn(url, ":"), url);
  }
  if (*slot != NULL) usage_error("one %s URL at most", kind);
  *slot = url;
}

/* Turns the URLs into settings; an option given as well is refused. */
static void apply_urls(const urls *u) {
  static char dir[1024];
  if (u->pg != NULL) {
    if (cfg.pg_url != NULL) usage_error("a PostgreSQL URL and --pg: give one");
    cfg.pg_url = u->pg;
  }
  if (u->my != NULL) {
    if (cfg.my_url != NULL) usage_error("a MySQL URL and --mysql: give one");
    cfg.my_url = u->my;
  }
  if (u->sqlite != NULL) {
#ifndef AIODB_HAVE_SQLITE
    die("built without SQLite");
#endif
    if (cfg.dir == NULL && sqlite_url_dir(u->sqlite, dir, sizeof dir))
      cfg.dir = dir;
  } else if ((u->pg != NULL || u->my != NULL) && cfg.only == NULL) {
    cfg.only = "W3,W6"; /* only servers named: measure those */
  }
}

/* ---- main ---- */

static int arg_value(int argc, char **argv, int *i, const char *name,
                     const char **out) {
  size_t n = strlen(name);
  if (strncmp(argv[*i], name, n) != 0) return 0;
  if (argv[*i][n] == '=') {
    *out = argv[*i] + n + 1;
    return 1;
  }
  if (argv[*i][n] != '\0') return 0;
  if (*i + 1 >= argc) usage_error("%s needs a value", name);
  *out = argv[++*i];
  return 1;
}

/* --only's list: names of workloads, separated by commas. */
static void check_only(const char *list) {
  static const char *const names[] = {"W1", "W2", "W3", "W4", "W5", "W6", "trace", "idle"};
  const char *p = list;
  size_t n, i;
  for (;;) {
    n = strcspn(p, ",");
    for (i = 0; i < sizeof names / sizeof names[0]; i++)
      if (strlen(names[i]) == n && strncmp(p, names[i], n) == 0) break;
    if (i == sizeof names / sizeof names[0])
      usage_error("--only: unknown workload '%.*s'", (int)n, p);
    if (p[n] == '\0') return;
    p += n + 1;
  }
}

int aiodb_bench_main(int argc, char **argv) {
  urls u = {NULL, NULL, NULL};
  const char *v;
  int i, rep;

  aiodb_set_allocator(count_malloc, count_realloc, free);
  cfg.secs = 2;
  cfg.repeats = 5;
  cfg.kv_rows = 10000;
  cfg.inserts = 50000;
  cfg.slow_rows = 4000000;
  cfg.pool = 8;
  cfg.journals = 1; /* 1 << J_WAL */
  for (i = 0; i < argc; i++) {
    if (arg_value(argc, argv, &i, "--seconds", &v)) {
      cfg.secs = strtod(v, NULL);
      if (!(cfg.secs > 0 && cfg.secs <= 3600))
        usage_error("--seconds wants 0 to 3600, got '%s'", v);
    } else if (arg_value(argc, argv, &i, "--repeats", &v)) {
      cfg.repeats = atoi(v);
      if (cfg.repeats < 1 || cfg.repeats > MAX_REPEATS)
        usage_error("--repeats wants 1 to %d, got '%s'", MAX_REPEATS, v);
    } else if (arg_value(argc, argv, &i, "--rows", &v)) {
      cfg.kv_rows = strtoll(v, NULL, 10);
      if (cfg.kv_rows < 1 || cfg.kv_rows > 10000000)
        usage_error("--rows wants 1 to 10000000, got '%s'", v);
    } else if (arg_value(argc, argv, &i, "--inserts", &v)) {
      cfg.inserts = strtoll(v, NULL, 10);
      if (cfg.inserts < 1 || cfg.inserts > 10000000)
        usage_error("--inserts wants 1 to 10000000, got '%s'", v);
    } else if (strcmp(argv[i], "--short") == 0) {
      cfg.secs = 0.3;
      cfg.repeats = 1;
      cfg.inserts = 5000;
      cfg.slow_rows = 1000000;
    } else if (arg_value(argc, argv, &i, "--pg", &v)) {
      cfg.pg_url = v;
    } else if (arg_value(argc, argv, &i, "--mysql", &v)) {
      cfg.my_url = v;
    } else if (arg_value(argc, argv, &i, "--only", &v)) {
      check_only(v);
      cfg.only = v;
    } else if (arg_value(argc, argv, &i, "--pool", &v)) {
      cfg.pool = atoi(v);
      if (cfg.pool < 0 || cfg.pool > 64 || (cfg.pool == 0 && strcmp(v, "0") != 0))
        usage_error("--pool wants 0 to 64, got '%s'", v);
    } else if (arg_value(argc, argv, &i, "--dir", &v)) {
      cfg.dir = v;
    } else if (arg_value(argc, argv, &i, "--journal", &v)) {
      if (strcmp(v, "wal") == 0)
        cfg.journals = 1;
      else if (strcmp(v, "delete") == 0)
        cfg.journals = 2;
      else if (strcmp(v, "both") == 0)
        cfg.journals = 3;
      else
        usage_error("--journal wants wal, delete or both, got '%s'", v);
    } else if (strcmp(argv[i], "--verbose") == 0) {
      cfg.verbose = 1;
    } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      fputs(usage_text, stdout);
      return 0;
    } else if (argv[i][0] != '-' && strstr(argv[i], "://") != NULL) {
      add_url(&u, argv[i]);
    } else {
      usage_error("unknown %s '%s'", argv[i][0] == '-' ? "option" : "argument",
                  argv[i]);
    }
  }
  apply_urls(&u);
  setup_files();
  printf("aiodb %s bench: %g s per workload, %d repeat%s, median reported\n",
         aiodb_version(), cfg.secs, cfg.repeats, cfg.repeats == 1 ? "" : "s");
  if (wanted("W1") || wanted("W2") || wanted("W5") || wanted("trace"))
    printf("SQLite files in %s\nSQLite journal mode: %s\n", cfg.dir,
           cfg.journals == 3   ? "WAL; W1 and W2 also on the rollback journal "
                                 "(delete; rows marked rj)"
           : cfg.journals == 2 ? "delete (the rollback journal; rows marked rj)"
                               : "WAL");
  if (wanted("W3") && cfg.pg_url == NULL && cfg.my_url == NULL)
    printf("W3 skipped: no server given (--pg URL, --mysql URL)\n");
  fflush(stdout);

#ifdef AIODB_HAVE_SQLITE
  for (i = 0; i < N_JOURNALS; i++) {
    /* W1 and W2 on each journal asked for; trace and W5 on the first */
    int first = i == main_journal();
    if (!(cfg.journals & (1 << i))) continue;
    if (wanted("W1") || (first && (wanted("W5") || wanted("trace"))))
      sqlite_make_kv(i);
    if (wanted("W2")) sqlite3_close(sqlite_make_file(ins_file[i].path, i));
  }
#endif
#ifdef AIODB_HAVE_POSTGRES
  if (cfg.pg_url && wanted("W3"))
    server_make_kv(cfg.pg_url, "CREATE TABLE kv (id bigint PRIMARY KEY, v text)");
#endif
#ifdef AIODB_HAVE_MYSQL
  if (cfg.my_url && wanted("W3"))
    server_make_kv(cfg.my_url,
                   "CREATE TABLE kv (id bigint PRIMARY KEY, v varchar(200))");
#endif
  for (rep = 0; rep < cfg.repeats; rep++) {
    if (cfg.verbose) fprintf(stderr, "repeat %d\n", rep + 1);
#ifdef AIODB_HAVE_SQLITE
    for (i = 0; i < N_JOURNALS; i++)
      if ((cfg.journals & (1 << i)) && wanted("W1")) w1(i);
    for (i = 0; i < N_JOURNALS; i++)
      if ((cfg.journals & (1 << i)) && wanted("W2")) w2(i);
    if (wanted("trace")) w_trace();
#endif
    if (cfg.pg_url && wanted("W3")) w3_server(cfg.pg_url, "pg");
    if (cfg.my_url && wanted("W3")) w3_server(cfg.my_url, "my");
#ifdef AIODB_HAVE_MYSQL
    if (cfg.my_url && wanted("W6")) w6(cfg.my_url);
#endif
    if (wanted("W4")) w4();
#if defined(AIODB_HAVE_GLIB) && defined(AIODB_HAVE_SQLITE)
    if (wanted("W5")) {
      w5(0);
      w5(1);
    }
#endif
  }
  print_table();
  if (wanted("idle")) {
    idle_memory();
    idle_cpu();
  }
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "aiodb bench: cannot write the output: %s\n",
            strerror(errno));
    return 1;
  }
  return 0;
}
