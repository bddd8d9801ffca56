/* aiodb-bench-replica: point selects per second through a replica view
 * (aiodb_replica) against the primary alone, with a number of calls in
 * flight, the way a loop program keeps them (each callback submits the
 * next one).
 *
 *   aiodb-bench-replica [-s SECS] [-d DEPTH] [-c CONNS] [-r ROWS]
 *                       PRIMARY_URL REPLICA_URL...
 *
 * It makes the table bench_replica (k, v) of ROWS rows (default 10000) on
 * the primary unless it has them, waits for every replica to have them,
 * then runs, each for SECS seconds (default 3) with DEPTH calls in flight
 * (default 64): (1) the primary alone, a pool of CONNS connections
 * (default 2); (2) the view over the replicas, a pool of as many. It prints
 * reads/s and, for the view, how many calls each server answered
 * (PostgreSQL: pg_is_in_recovery(); MySQL: @@server_id). The URLs go as
 * they are: no replica= escaping needed here. */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aiodb.h"

#define MAX_SERVERS 8

typedef struct run {
  aiodb_db *db;
  const char *sql;
  int64_t rows;
  double t0, secs;
  uint64_t seed, ops;
  int inflight, stop, failed;
  int64_t who[MAX_SERVERS]; /* each server's answer to "who", and */
  uint64_t count[MAX_SERVERS]; /* how many calls it answered */
  int nwho;
} run;

static double now_sec(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what, const char *msg) {
  fprintf(stderr, "aiodb-bench-replica: %s: %s\n", what, msg);
  exit(1);
}

static void done(aiodb_future *f, void *ud);

static void submit(run *r) {
  aiodb_value k;
  aiodb_future *f;
  r->seed = r->seed * 6364136223846793005ull + 1442695040888963407ull;
  k = aiodb_int((int64_t)((r->seed >> 33) % (uint64_t)r->rows) + 1);
  f = aiodb_query(r->db, r->sql, &k, 1);
  if (f == NULL) die("aiodb_query", "out of memory");
  r->inflight++;
  aiodb_future_on_done(f, done, r);
}

static void done(aiodb_future *f, void *ud) {
  run *r = ud;
  aiodb_result *res = aiodb_future_result(f);
  int64_t who;
  int i;
  r->inflight--;
  if (aiodb_future_error(f) != 0 || aiodb_result_rows(res) != 1) {
    if (!r->failed)
      fprintf(stderr, "aiodb-bench-replica: %s\n",
              aiodb_future_error(f) ? aiodb_future_errmsg(f) : "no row");
    r->failed = r->stop = 1;
  } else {
    r->ops++;
    who = aiodb_result_int(res, 0, 1);
    for (i = 0; i < r->nwho && r->who[i] != who; i++)
      ;
    if (i == r->nwho && r->nwho < MAX_SERVERS) r->who[r->nwho++] = who;
    if (i < MAX_SERVERS) r->count[i]++;
  }
  aiodb_future_free(f);
  if (!r->stop && now_sec() - r->t0 >= r->secs) r->stop = 1;
  if (!r->stop) submit(r);
}

/* Runs depth calls in flight on db for secs; reads/s. */
static double measure(run *r, aiodb_db *db, int depth) {
  int i;
  r->db = db;
  r->t0 = now_sec();
  for (i = 0; i < depth; i++) submit(r);
  while (r->inflight > 0)
    if (aiodb_cq_run_once(aiodb_db_cq(db), 1000) < 0) die("aiodb_cq_run_once", "failed");
  if (r->failed) exit(1);
  return (double)r->ops / (now_sec() - r->t0);
}

static aiodb_db *open_or_die(const char *url, const aiodb_options *o) {
  aiodb_error err;
  aiodb_db *db = aiodb_open(url, o, &err);
  if (db == NULL) die("aiodb_open", err.message);
  return db;
}

static int64_t scalar(aiodb_db *db, const char *sql, int *code) {
  aiodb_error err;
  int64_t v = 0;
  *code = aiodb_query_int_sync(db, sql, NULL, 0, NULL, &v, &err);
  return v;
}

int main(int argc, char **argv) {
  double secs = 3, rps_primary, rps_view;
  int depth = 64, conns = 2, opt, code, i;
  int64_t rows = 10000;
  const char *driver, *sql, *fill;
  aiodb_options o;
  aiodb_db *db, *view;
  run r;

  while ((opt = getopt(argc, argv, "s:d:c:r:")) != -1) {
    switch (opt) {
      case 's': secs = atof(optarg); break;
      case 'd': depth = atoi(optarg); break;
      case 'c': conns = atoi(optarg); break;
      case 'r': rows = atoll(optarg); break;
      default: goto usage;
    }
  }
  if (argc - optind < 2 || secs <= 0 || depth < 1 || conns < 1 || rows < 1) goto usage;

  aiodb_options_init(&o);
  o.max_size = o.min_size = (unsigned)conns;
  o.replicas = (const char *const *)argv + optind + 1;
  o.nreplicas = (size_t)(argc - optind - 1);
  db = open_or_die(argv[optind], &o);
  view = aiodb_replica(db);
  driver = aiodb_db_driver(db);
  if (strcmp(driver, "postgresql") == 0) {
    sql = "SELECT v, pg_is_in_recovery()::int FROM bench_replica WHERE k = ?";
    fill = "INSERT INTO bench_replica SELECT g, md5(g::text) FROM generate_series(1, ?) g";
  } else if (strcmp(driver, "mysql") == 0) {
    sql = "SELECT v, @@server_id FROM bench_replica WHERE k = ?";
    fill = NULL; /* seq_1_to_N takes no parameter: below */
  } else {
    sql = "SELECT v, 0 FROM bench_replica WHERE k = ?";
    fill = "WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < ?) "
           "INSERT INTO bench_replica SELECT x, hex(randomblob(16)) FROM g";
  }

  /* the table, once, on the primary; every replica must have it */
  if (scalar(db, "SELECT count(*) FROM bench_replica", &code) != rows || code != 0) {
    /* a failed count (no table yet) is the reason for this */
    aiodb_value n = aiodb_int(rows);
    aiodb_error err;
    char f[200];
    aiodb_exec_sync(db, "DROP TABLE IF EXISTS bench_replica", NULL, 0, &err);
    if (aiodb_exec_sync(db, "CREATE TABLE bench_replica (k INTEGER PRIMARY KEY, v TEXT)", NULL,
                        0, &err) < 0)
      die("CREATE TABLE", err.message);
    if (fill == NULL) {
      snprintf(f, sizeof f, "INSERT INTO bench_replica SELECT seq, md5(seq) FROM seq_1_to_%" PRId64,
               rows);
      if (aiodb_exec_sync(db, f, NULL, 0, &err) < 0) die("INSERT", err.message);
    } else if (aiodb_exec_sync(db, fill, &n, 1, &err) < 0) {
      die("INSERT", err.message);
    }
  }
  for (i = 0; i < 1000; i++) {
    /* a view's call goes to an idle connection in turn: every one asked */
    int j, all = 1;
    for (j = 0; j < 2 * conns; j++)
      if (scalar(view, "SELECT count(*) FROM bench_replica", &code) != rows || code != 0) all = 0;
    if (all) break;
    nanosleep(&(struct timespec){0, 10000000}, NULL);
  }
  if (i == 1000) die("replicas", "the table did not reach every replica in 10 s");

  printf("driver %s, %d in flight, %d connections, %.1f s each, %" PRId64 " rows\n", driver,
         depth, conns, secs, rows);
  memset(&r, 0, sizeof r);
  r.sql = sql;
  r.rows = rows;
  r.secs = secs;
  r.seed = 42;
  rps_primary = measure(&r, db, depth);
  printf("primary alone:          %10.0f reads/s\n", rps_primary);
  memset(&r, 0, sizeof r);
  r.sql = sql;
  r.rows = rows;
  r.secs = secs;
  r.seed = 42;
  rps_view = measure(&r, view, depth);
  printf("view over %zu replica(s): %10.0f reads/s (%.2fx)", o.nreplicas, rps_view,
         rps_view / rps_primary);
  for (i = 0; i < r.nwho; i++)
    printf("%s server %" PRId64 ": %.0f%%", i ? "," : ";", r.who[i],
           100.0 * (double)r.count[i] / (double)r.ops);
  printf("\n");
  aiodb_db_free(db);
  return 0;
usage:
  fprintf(stderr,
          "usage: aiodb-bench-replica [-s SECS] [-d DEPTH] [-c CONNS] [-r ROWS] PRIMARY_URL "
          "REPLICA_URL...\n");
  return 2;
}
