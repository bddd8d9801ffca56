/* Soak and stress, two suites:
 *
 *  soak          a million futures (100,000 under the sanitizers) through
 *                one SQLite worker from one thread, with random waits,
 *                callbacks that submit more, cancels, deadlines and frees
 *                before completion; peak RSS must stay flat after warm-up;
 *  soak_threads  eight threads sharing one db of the engine that
 *                AIODB_TEST_DRIVER names (sqlite, postgresql, mysql), each
 *                with a cq of its own, running the same mix plus
 *                transactions with savepoints, cursors freed early and
 *                aiodb_db_run, while the db is closed under half of them.
 *
 * Every future's outcome is checked against the codes include/aiodb.h
 * promises for its call (the allowed sets are written at soak_check and
 * th_check): a valid statement succeeds unless it was canceled, given a
 * deadline, or submitted once the db was closing. Every future is
 * accounted for: seen through its callback (exactly once), seen by a wait
 * or a poll, or freed while pending (its callback then never runs). The
 * side effects are counted too: UPDATEs and aiodb_db_run functions run
 * exactly once unless dropped, committed rows are there and rolled back
 * ones are not.
 *
 * Random but reproducible: the seed is printed at the start and
 * AIODB_TEST_SEED=<n> replays it (the threads' interleaving still varies).
 * AIODB_TEST_SOAK_FUTURES=<n> sets the soak's count and
 * AIODB_TEST_SOAK_ROUNDS=<n> the rounds of each thread. */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

#if defined(AIODB_TEST_SANITIZED)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

/* Check's ck_assert records its place on every call (a write to a pipe):
 * too slow for a million futures. This one costs nothing until it fails. */
#define CHECK(cond, ...)                   \
  do {                                     \
    if (!(cond)) ck_abort_msg(__VA_ARGS__); \
  } while (0)

/* ---- what both suites share ---- */

static uint64_t seed_of(const char *who) {
  const char *env = getenv("AIODB_TEST_SEED");
  uint64_t seed = env && *env ? strtoull(env, NULL, 0) : 20240611u;
  fprintf(stderr, "%s: seed %" PRIu64 " (AIODB_TEST_SEED=%" PRIu64 " replays it)\n",
          who, seed, seed);
  return seed;
}

static long env_long(const char *name, long dflt) {
  const char *env = getenv(name);
  return env && *env ? strtol(env, NULL, 0) : dflt;
}

/* splitmix64 to spread a seed, then xorshift64*. */
static uint64_t rng_init(uint64_t seed) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return z ? z : 1;
}

static uint64_t rnd(uint64_t *s) {
  uint64_t x = *s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *s = x;
  return x * 0x2545F4914F6CDD1Dull;
}

static unsigned below(uint64_t *s, unsigned n) {
  return (unsigned)((rnd(s) >> 32) % n);
}

/* Makes n bytes at p resident (calloc maps fresh pages lazily): so that
 * they count in the RSS before the warm-up ends, not as growth after. */
static void touch(void *p, size_t n) {
  volatile char *c = p;
  size_t i;
  for (i = 0; i < n; i += 1024) c[i] = 0;
}

static atomic_long diags[5]; /* by aiodb_diag_kind */

static void count_diag(const aiodb_diag *d, void *ud) {
  (void)ud;
  if (d->kind >= 1 && d->kind <= 4) atomic_fetch_add(&diags[d->kind], 1);
}

static void diags_reset(void) {
  int i;
  for (i = 0; i < 5; i++) atomic_store(&diags[i], 0);
  aiodb_set_diag_handler(count_diag, NULL);
}

/* Nothing the suites do is a misuse, a deadlock or a blocking wait on a
 * dispatching thread. */
static void diags_clean(void) {
  CHECK(atomic_load(&diags[AIODB_DIAG_MISUSE]) == 0, "%ld misuse diagnostics",
        atomic_load(&diags[AIODB_DIAG_MISUSE]));
  CHECK(atomic_load(&diags[AIODB_DIAG_DEADLOCK]) == 0, "%ld deadlock diagnostics",
        atomic_load(&diags[AIODB_DIAG_DEADLOCK]));
  CHECK(atomic_load(&diags[AIODB_DIAG_BLOCKING]) == 0, "%ld blocking diagnostics",
        atomic_load(&diags[AIODB_DIAG_BLOCKING]));
  aiodb_set_diag_handler(NULL, NULL);
}

/* ------------------------------------------------------------------------
 * soak: one thread, one worker, a million futures
 * ------------------------------------------------------------------------ */

enum {
  SK_SELECT, /* SELECT ? + 1 */
  SK_RUN,    /* aiodb_db_run */
  SK_UPDATE, /* UPDATE soak SET n = n + 1 WHERE k = 1 */
  SK_SLOW,   /* a recursive count: long enough to be interrupted */
  SK_BAD,    /* a missing table */
  SK_ARGS,   /* a wrong argument count */
  SK_TXQ,    /* UPDATE ... WHERE k = 2 inside a tx */
  SK_COMMIT  /* that tx's commit */
};
static const char *const sk_name[] = {"select", "run",    "update", "slow",
                                      "bad",    "args",   "tx statement",
                                      "commit"};

enum { LIVE = 1, SEEN, FREED }; /* a future's state, as the test knows it */

typedef struct soak_slot {
  uint8_t kind;
  uint8_t cb;       /* has a callback */
  uint8_t state;
  uint8_t cbs;      /* callbacks run */
  uint8_t canceled; /* aiodb_future_cancel returned 0 */
  uint8_t deadline; /* aiodb_future_set_timeout returned 0 */
  int8_t err;       /* the outcome, once seen */
  uint8_t pad;
  uint32_t pos;     /* its place in the live list */
  uint32_t link;    /* SK_COMMIT: its tx's statement */
} soak_slot;

typedef struct soak_live {
  uint32_t id;
  aiodb_future *f;
} soak_live;

#define SOAK_WINDOW 256
#define SOAK_SLOW_N 300

static struct soak {
  aiodb_db *db;
  aiodb_cq *cq;
  uint64_t seed, rng;
  long n, submitted;
  long cbs_run, seen, freed_pending, canceled, deadlines;
  long upd_ok, upd_freed, upd_freed_aborted, commits_ok, commits_freed;
  soak_slot *slot;
  atomic_uchar *ran;
  soak_live *live;
  size_t nlive;
} S;

static int soak_fn(void *native, void *ud) {
  atomic_uchar *r = ud;
  (void)native;
  atomic_fetch_add(r, 1);
  return (int)((r - S.ran) % 30000);
}

static void live_add(uint32_t id, aiodb_future *f) {
  CHECK(S.nlive < 4 * SOAK_WINDOW + 64, "live list overflow");
  S.slot[id].pos = (uint32_t)S.nlive;
  S.live[S.nlive].id = id;
  S.live[S.nlive].f = f;
  S.nlive++;
}

static void live_remove(uint32_t id) {
  size_t i = S.slot[id].pos;
  CHECK(i < S.nlive && S.live[i].id == id, "future %u not live", id);
  S.live[i] = S.live[--S.nlive];
  S.slot[S.live[i].id].pos = (uint32_t)i;
}

/* The codes include/aiodb.h promises each call of the soak:
 *  - aiodb_query (SELECT, UPDATE, slow): 0 with the right answer, or
 *    AIODB_ECANCELED if canceled, AIODB_ETIMEDOUT if given a deadline
 *    (a statement that finished first keeps its own outcome);
 *  - the missing table: AIODB_ESQL, or the same two when dropped;
 *  - a wrong argument count: AIODB_EINVAL, done at once;
 *  - aiodb_db_run: 0 with the function's value; a cancel that returned 0
 *    dropped it (a running function is never interrupted): AIODB_ECANCELED;
 *    AIODB_ETIMEDOUT if given a deadline;
 *  - a tx statement: as aiodb_query (it is the tx's first);
 *  - aiodb_commit: 0, or AIODB_ETXABORTED when its statement was canceled
 *    or given a deadline; never canceled or timed out itself. */
static void soak_check(uint32_t id, aiodb_future *f) {
  soak_slot *s = &S.slot[id];
  aiodb_result *r = aiodb_future_result(f);
  int e = aiodb_future_error(f);
  int dropped = (e == AIODB_ECANCELED && s->canceled) ||
                (e == AIODB_ETIMEDOUT && s->deadline);
  int ok = 0;

  switch (s->kind) {
    case SK_SELECT:
      ok = e == 0 ? aiodb_result_int(r, 0, 0) == (int64_t)id + 1 : dropped;
      break;
    case SK_RUN:
      ok = e == 0 ? aiodb_future_value(f) == (int)(id % 30000) : dropped;
      if (s->canceled && !(e == AIODB_ETIMEDOUT && s->deadline))
        ok = ok && e == AIODB_ECANCELED;
      break;
    case SK_UPDATE:
    case SK_TXQ:
      ok = e == 0 ? aiodb_result_affected(r) == 1 : dropped;
      break;
    case SK_SLOW:
      ok = e == 0 ? aiodb_result_int(r, 0, 0) == SOAK_SLOW_N : dropped;
      break;
    case SK_BAD: ok = e == AIODB_ESQL || dropped; break;
    case SK_ARGS: ok = e == AIODB_EINVAL; break;
    case SK_COMMIT:
      ok = e == 0 || (e == AIODB_ETXABORTED &&
                      (S.slot[s->link].canceled || S.slot[s->link].deadline));
      break;
  }
  CHECK(ok, "seed %" PRIu64 ": future %u (%s, canceled %d, deadline %d) "
        "completed with %s: %s", S.seed, id, sk_name[s->kind], s->canceled,
        s->deadline, aiodb_err_name(e), aiodb_future_errmsg(f));
  s->err = (int8_t)e;
  if (s->kind == SK_UPDATE && e == 0) S.upd_ok++;
  if (s->kind == SK_COMMIT && e == 0) S.commits_ok++;
}

/* f is done and seen here, not through its callback. */
static void soak_seen(uint32_t id, aiodb_future *f) {
  soak_check(id, f);
  S.slot[id].state = SEEN;
  S.seen++;
  live_remove(id);
  aiodb_future_free(f);
}

/* Frees f now, done or not; its callback must never run. */
static void soak_free(uint32_t id, aiodb_future *f, int live) {
  soak_slot *s = &S.slot[id];
  if (aiodb_future_done(f)) {
    soak_check(id, f);
    s->state = SEEN;
    S.seen++;
  } else {
    s->state = FREED;
    S.freed_pending++;
    if (s->kind == SK_UPDATE && !s->canceled && !s->deadline) S.upd_freed++;
    if (s->kind == SK_UPDATE && (s->canceled || s->deadline)) S.upd_freed_aborted++;
    if (s->kind == SK_COMMIT) S.commits_freed++;
  }
  if (live) live_remove(id);
  aiodb_future_free(f);
}

static void soak_submit(void);

static void soak_cb(aiodb_future *f, void *ud) {
  soak_slot *s = ud;
  uint32_t id = (uint32_t)(s - S.slot);
  CHECK(s->state == LIVE && s->cb && s->cbs == 0,
        "seed %" PRIu64 ": callback of future %u (%s) in state %d after %d "
        "callbacks (freed or seen already)", S.seed, id, sk_name[s->kind],
        s->state, s->cbs);
  CHECK(S.live[s->pos].f == f, "callback of future %u with another future", id);
  s->cbs++;
  soak_check(id, f);
  s->state = SEEN;
  S.cbs_run++;
  live_remove(id);
  aiodb_future_free(f);
  /* callbacks submit more */
  if (S.submitted < S.n && S.nlive < 2 * SOAK_WINDOW && below(&S.rng, 4) == 0)
    soak_submit();
}

/* A new future: maybe a deadline, then a callback, a waiter, or a free. */
static void soak_track(uint32_t id, int kind, aiodb_future *f) {
  soak_slot *s = &S.slot[id];
  CHECK(f != NULL, "submission %u (%s) returned NULL", id, sk_name[kind]);
  s->kind = (uint8_t)kind;
  s->state = LIVE;
  S.submitted++;
  if (below(&S.rng, 10) == 0) {
    int rc = aiodb_future_set_timeout(f, (int)below(&S.rng, 3));
    CHECK(rc == 0 || (rc == AIODB_EBUSY && aiodb_future_done(f)),
          "set_timeout: %s", aiodb_err_name(rc));
    /* a commit's deadline never fires: it stays unmarked */
    if (rc == 0 && kind != SK_COMMIT) {
      s->deadline = 1;
      S.deadlines++;
    }
  }
  switch (below(&S.rng, 20)) {
    case 0: soak_free(id, f, 0); break;
    case 1:
    case 2:
    case 3:
    case 4: live_add(id, f); break; /* waited for */
    default:
      s->cb = 1;
      live_add(id, f);
      aiodb_future_on_done_cq(f, S.cq, soak_cb, s);
      break;
  }
}

static void soak_submit(void) {
  uint32_t id = (uint32_t)S.submitted;
  unsigned r = below(&S.rng, 100);
  aiodb_value v = aiodb_int(id);

  if (r < 52) {
    soak_track(id, SK_SELECT, aiodb_query(S.db, "SELECT ? + 1", &v, 1));
  } else if (r < 64) {
    soak_track(id, SK_RUN, aiodb_db_run(S.db, soak_fn, &S.ran[id]));
  } else if (r < 74) {
    soak_track(id, SK_UPDATE,
               aiodb_query(S.db, "UPDATE soak SET n = n + 1 WHERE k = 1", NULL, 0));
  } else if (r < 78) {
    soak_track(id, SK_SLOW,
               aiodb_query(S.db,
                           "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 "
                           "FROM c WHERE x < 300) SELECT count(*) FROM c",
                           NULL, 0));
  } else if (r < 82) {
    soak_track(id, SK_BAD, aiodb_query(S.db, "SELECT x FROM soak_missing", NULL, 0));
  } else if (r < 84) {
    soak_track(id, SK_ARGS, aiodb_query(S.db, "SELECT ?", NULL, 0));
  } else {
    aiodb_tx *tx = aiodb_begin(S.db);
    aiodb_future *q, *c;
    CHECK(tx != NULL, "aiodb_begin returned NULL");
    q = aiodb_tx_query(tx, "UPDATE soak SET n = n + 1 WHERE k = 2", NULL, 0);
    c = aiodb_commit(tx);
    S.slot[id + 1].link = id;
    soak_track(id, SK_TXQ, q);
    soak_track(id + 1, SK_COMMIT, c);
  }
}

/* One random thing the loop does between submissions. */
static void soak_act(void) {
  unsigned r = below(&S.rng, 100);
  size_t i;
  uint32_t id;
  aiodb_future *f;
  soak_slot *s;
  int rc;

  if (r < 40) {
    rc = aiodb_cq_dispatch(S.cq, below(&S.rng, 2) ? 0 : 1 + (int)below(&S.rng, 16));
    CHECK(rc >= 0, "dispatch: %s", aiodb_err_name(rc));
    return;
  }
  if (r < 55) { /* a random wait on the cq */
    rc = aiodb_cq_run_once(S.cq, (int)below(&S.rng, 2));
    CHECK(rc >= 0, "run_once: %s", aiodb_err_name(rc));
    return;
  }
  if (S.nlive == 0) return;
  i = below(&S.rng, (unsigned)S.nlive);
  id = S.live[i].id;
  f = S.live[i].f;
  s = &S.slot[id];
  if (r < 78) { /* a random wait on one future */
    int t = below(&S.rng, 8) == 0 ? -1 : (int)below(&S.rng, 3);
    if (s->cb) return; /* its callback tells */
    rc = aiodb_future_wait(f, t);
    CHECK(rc == 0 || (rc == AIODB_ETIMEDOUT && t >= 0), "wait(%d): %s", t,
          aiodb_err_name(rc));
    if (rc == 0) soak_seen(id, f);
  } else if (r < 90) {
    rc = aiodb_future_cancel(f);
    CHECK(rc == 0 || rc == AIODB_EBUSY, "cancel: %s", aiodb_err_name(rc));
    CHECK(!(rc == 0 && s->kind == SK_COMMIT), "a commit was canceled");
    if (rc == 0 && !s->canceled) {
      s->canceled = 1;
      S.canceled++;
    }
  } else if (r < 95) {
    soak_free(id, f, 1);
  } else { /* every waited future that is done */
    for (i = 0; i < S.nlive;) {
      id = S.live[i].id;
      if (!S.slot[id].cb && aiodb_future_done(S.live[i].f))
        soak_seen(id, S.live[i].f); /* moves another into i */
      else
        i++;
    }
  }
}

static void soak_stuck(long progress, double since) {
  size_t i;
  fprintf(stderr, "soak: no future completed for %.0f ms (%ld so far); live:\n",
          aiodb_test_now_ms() - since, progress);
  for (i = 0; i < S.nlive && i < 20; i++)
    fprintf(stderr, "  future %u: %s, callback %d, done %d\n", S.live[i].id,
            sk_name[S.slot[S.live[i].id].kind], S.slot[S.live[i].id].cb,
            aiodb_future_done(S.live[i].f));
  ck_abort_msg("seed %" PRIu64 ": the soak stopped making progress", S.seed);
}

START_TEST(soak_million_futures) {
  aiodb_future *f;
  aiodb_result *r;
  long rss_warm = -1, rss_end, progress = -1, loops = 0, i;
  long runs_ran = 0, cbs = 0;
  double t0, t_warm = 0, since, took;

  memset(&S, 0, sizeof S);
  S.seed = seed_of("soak");
  S.rng = rng_init(S.seed);
  S.n = env_long("AIODB_TEST_SOAK_FUTURES", SANITIZED ? 100000 : 1000000);
  /* all the bookkeeping is made and touched before the warm-up ends */
  S.slot = calloc((size_t)S.n + 2, sizeof *S.slot);
  S.ran = calloc((size_t)S.n + 2, sizeof *S.ran);
  S.live = calloc(4 * SOAK_WINDOW + 64, sizeof *S.live);
  ck_assert(S.slot && S.ran && S.live);
  touch(S.slot, ((size_t)S.n + 2) * sizeof *S.slot);
  touch(S.ran, (size_t)S.n + 2);
  diags_reset();
  S.cq = aiodb_cq_new();
  ck_assert_ptr_nonnull(S.cq);
  S.db = aiodb_test_open_with("sqlite://", NULL); /* memory: no fsync per commit */
  aiodb_test_exec(S.db, "CREATE TABLE soak(k INTEGER PRIMARY KEY, n INTEGER NOT NULL)");
  aiodb_test_exec(S.db, "INSERT INTO soak VALUES (1, 0), (2, 0)");

  t0 = since = aiodb_test_now_ms();
  while (S.submitted < S.n || S.nlive > 0) {
    while (S.submitted < S.n && S.nlive < SOAK_WINDOW) soak_submit();
    soak_act();
    if (rss_warm < 0 && S.submitted >= S.n / 10) {
      rss_warm = aiodb_test_peak_rss_kb();
      t_warm = aiodb_test_now_ms();
    }
    if (++loops % 1024 == 0) {
      long p = S.cbs_run + S.seen + S.freed_pending;
      if (p != progress) {
        progress = p;
        since = aiodb_test_now_ms();
      } else if (aiodb_test_now_ms() - since > 20000) {
        soak_stuck(p, since);
      }
    }
  }
  took = aiodb_test_now_ms() - t0;
  rss_end = aiodb_test_peak_rss_kb();

  /* every future is accounted for, and every callback ran once */
  CHECK(S.submitted == S.cbs_run + S.seen + S.freed_pending,
        "submitted %ld != %ld callbacks + %ld seen + %ld freed pending",
        S.submitted, S.cbs_run, S.seen, S.freed_pending);
  for (i = 0; i < S.submitted; i++) {
    soak_slot *s = &S.slot[i];
    CHECK(s->state == SEEN || s->state == FREED, "future %ld: state %d", i, s->state);
    CHECK(s->cbs == 0 || (s->cbs == 1 && s->state == SEEN), "future %ld: %d callbacks",
          i, s->cbs);
    cbs += s->cbs;
  }
  CHECK(cbs == S.cbs_run, "%ld callbacks counted, %ld ran", cbs, S.cbs_run);
  /* freed work still ran: one worker takes the pool in order, so this
   * query runs after everything submitted before it */
  f = aiodb_test_ok(aiodb_query(S.db, "SELECT n FROM soak ORDER BY k", NULL, 0));
  r = aiodb_future_result(f);
  fprintf(stderr, "soak: updates %" PRId64 " (%ld seen, %ld freed, %ld freed and "
          "dropped maybe); tx updates %" PRId64 " (%ld commits seen, %ld freed)\n",
          aiodb_result_int(r, 0, 0), S.upd_ok, S.upd_freed, S.upd_freed_aborted,
          aiodb_result_int(r, 1, 0), S.commits_ok, S.commits_freed);
  CHECK(aiodb_result_int(r, 0, 0) >= S.upd_ok + S.upd_freed &&
            aiodb_result_int(r, 0, 0) <= S.upd_ok + S.upd_freed + S.upd_freed_aborted,
        "the counter of plain updates is off");
  CHECK(aiodb_result_int(r, 1, 0) >= S.commits_ok &&
            aiodb_result_int(r, 1, 0) <= S.commits_ok + S.commits_freed,
        "the counter of committed updates is off");
  aiodb_future_free(f);
  aiodb_db_free(S.db);
  aiodb_cq_free(S.cq);

  /* each aiodb_db_run function ran once, unless it was dropped */
  for (i = 0; i < S.submitted; i++) {
    soak_slot *s = &S.slot[i];
    int ran = atomic_load(&S.ran[i]);
    if (s->kind != SK_RUN) continue;
    runs_ran += ran;
    if (s->state == SEEN)
      CHECK(ran == (s->err == 0), "run %ld: ran %d times, outcome %s", i, ran,
            aiodb_err_name(s->err));
    else if (!s->canceled && !s->deadline)
      CHECK(ran == 1, "run %ld, freed while pending: ran %d times", i, ran);
    else
      CHECK(ran <= 1, "run %ld: ran %d times", i, ran);
  }

  fprintf(stderr,
          "soak: %ld futures in %.1f s (%.0f futures/s): %ld callbacks, %ld seen "
          "by waits and polls, %ld freed pending; %ld canceled, %ld deadlines, "
          "%ld functions ran\n",
          S.submitted, took / 1000, S.submitted / (took / 1000), S.cbs_run, S.seen,
          S.freed_pending, S.canceled, S.deadlines, runs_ran);
  fprintf(stderr, "soak: peak RSS %ld KiB after warm-up (%.1f s), %ld KiB at the end\n",
          rss_warm, (t_warm - t0) / 1000, rss_end);
  CHECK(S.cbs_run > 0 && S.seen > 0 && S.freed_pending > 0 && S.canceled > 0 &&
            S.deadlines > 0,
        "the mix missed a path");
#if !SANITIZED
  CHECK(rss_end - rss_warm < 16 * 1024, "peak RSS grew %ld KiB after warm-up",
        rss_end - rss_warm);
#endif
  diags_clean();
  free(S.slot);
  free(S.ran);
  free(S.live);
  aiodb_test_clean_shutdown();
}
END_TEST

Suite *aiodb_suite_soak(void) {
  return aiodb_test_add_case(suite_create("soak"), soak_million_futures, 240);
}

/* ------------------------------------------------------------------------
 * soak_threads: eight threads, one db, closed under half of them
 * ------------------------------------------------------------------------ */

#define THREADS 8
#define TH_WINDOW 48       /* futures a thread keeps live */
#define CUR_BATCH 50
#define CUR_ROWS 500
#define POST_CLOSE_ROUNDS 40
#define OPS_CHUNK 4096

typedef struct th_engine {
  const char *env;     /* AIODB_TEST_DRIVER */
  const char *dir_env; /* where its test server's URL is; NULL: SQLite */
  const char *opts;    /* URL options of the shared db */
  const char *slow;    /* a statement of a few ms that answers 7 */
  int interrupt_ends_tx; /* an interrupted write rolls the whole tx back */
} th_engine;

static const th_engine engines[] = {
    {"sqlite", NULL, "max_size=4&min_size=4&journal_mode=wal&busy_timeout=30000",
     "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000) "
     "SELECT count(*) / 3000 + 6 FROM c", 1},
    /* pipeline: the default (64) */
    {"postgresql", "AIODB_TEST_PG_DIR", "max_size=4&min_size=4",
     "SELECT 7 FROM pg_sleep(0.002)", 0},
    /* SLEEP() answers 1 when KILL QUERY stops it: 8 then */
    {"mysql", "AIODB_TEST_MYSQL_DIR", "max_size=4&min_size=4", "SELECT SLEEP(0.002) + 7",
     0},
};

enum {
  TK_Q,     /* SELECT ? + 1 on the pool */
  TK_SLOW,  /* the engine's slow statement */
  TK_BAD,   /* a missing table */
  TK_UPD,   /* UPDATE the thread's counter */
  TK_ARGS,  /* a wrong argument count */
  TK_RUN,   /* aiodb_db_run */
  TK_CUR,   /* aiodb_cursor_next */
  TK_TXQ,   /* a statement of a tx */
  TK_SPQ,   /* a statement of the tx's savepoint */
  TK_SPDUP, /* the savepoint's statement that repeats a key */
  TK_SPEND, /* the savepoint's end */
  TK_TXEND  /* the tx's end */
};
static const char *const tk_name[] = {
    "select", "slow", "bad", "update", "args", "run", "cursor batch",
    "tx statement", "savepoint statement", "duplicate key in savepoint",
    "savepoint end", "tx end"};

/* A tx with its savepoint, or a cursor. Places count from 1 in the root
 * tx, in the savepoint, and in the cursor's batches; 0 is "none". */
typedef struct th_group {
  struct th_group *next;
  int64_t base;        /* tx: the ids of its rows are base + 0, 1, 2 */
  unsigned root_risk;  /* the first root statement (or cursor batch)
                          canceled or given a deadline */
  unsigned sp_risk;    /* the same in the savepoint */
  unsigned dup;        /* the savepoint's duplicate key */
  int sp_commit, root_commit; /* the ends asked for */
  int sp_err, root_err;       /* their outcomes */
  int cursor;
} th_group;

#define SP_AFTER 2 /* the savepoint begins after the root's second statement */

struct th_thread;

typedef struct th_op {
  aiodb_future *f;
  struct th_thread *t;
  th_group *g;
  int64_t lo, hi;    /* the first cell's range */
  unsigned seq;
  uint32_t pos;
  uint8_t kind, cb, state, cbs, canceled, deadline, affected, commit;
  uint8_t before, after; /* the close's phase before and after the call */
  int8_t err;            /* the outcome, once seen */
  atomic_uchar ran;
} th_op;

typedef struct th_chunk {
  struct th_chunk *next;
  size_t used;
  th_op ops[OPS_CHUNK];
} th_chunk;

typedef struct th_thread {
  int idx;
  pthread_t id;
  aiodb_cq *cq;
  uint64_t rng;
  th_chunk *chunks;
  th_group *groups;
  th_op **live;
  size_t nlive;
  int submitting;
  unsigned ntx;
  long submitted, cbs_run, seen, freed_pending, canceled, deadlines, refused;
  long upd_ok, upd_freed, upd_freed_aborted;
  atomic_long rounds, pending;
  atomic_int finished;
} th_thread;

static struct th_shared {
  const th_engine *eng;
  aiodb_db *db;
  uint64_t seed;
  long rounds;
  atomic_int phase; /* 0 open, 1 aiodb_close running, 2 it returned */
  char t_cnt[32], t_tx[32], t_seq[32];
  char sql_upd[128], sql_ins[128], sql_one[128], sql_range[128], sql_cur[128];
  th_thread th[THREADS];
  pthread_mutex_t wd_lock;
  pthread_cond_t wd_cv;
  int wd_done;
  double wd_limit_ms;
} T;

static int is_end(const th_op *o) { return o->kind == TK_SPEND || o->kind == TK_TXEND; }

static th_op *th_op_new(th_thread *t, th_group *g, int kind, unsigned seq) {
  th_op *o;
  if (t->chunks == NULL || t->chunks->used == OPS_CHUNK) {
    th_chunk *c = calloc(1, sizeof *c);
    CHECK(c != NULL, "out of memory");
    c->next = t->chunks;
    t->chunks = c;
  }
  o = &t->chunks->ops[t->chunks->used++];
  o->t = t;
  o->g = g;
  o->kind = (uint8_t)kind;
  o->seq = seq;
  o->before = (uint8_t)atomic_load(&T.phase);
  return o;
}

static th_group *th_group_new(th_thread *t) {
  th_group *g = calloc(1, sizeof *g);
  CHECK(g != NULL, "out of memory");
  g->next = t->groups;
  t->groups = g;
  g->sp_err = g->root_err = 1; /* not seen */
  return g;
}

static void th_live_add(th_thread *t, th_op *o) {
  CHECK(t->nlive < 8 * TH_WINDOW, "thread %d: live list overflow", t->idx);
  o->pos = (uint32_t)t->nlive;
  t->live[t->nlive++] = o;
}

static void th_live_remove(th_thread *t, th_op *o) {
  size_t i = o->pos;
  CHECK(i < t->nlive && t->live[i] == o, "thread %d: op not live", t->idx);
  t->live[i] = t->live[--t->nlive];
  t->live[i]->pos = (uint32_t)i;
}

/* o was canceled or given a deadline: what follows it may be aborted. */
static void th_risk(th_op *o) {
  th_group *g = o->g;
  unsigned *at;
  if (g == NULL) return;
  at = o->kind == TK_SPQ || o->kind == TK_SPDUP ? &g->sp_risk : &g->root_risk;
  if (*at == 0 || o->seq < *at) *at = o->seq;
}

static int th_value_ok(const th_op *o, aiodb_result *r) {
  int64_t v;
  if (o->affected) return aiodb_result_affected(r) == 1;
  v = aiodb_result_int(r, 0, 0);
  if (o->kind == TK_SLOW && (o->canceled || o->deadline)) return v == 7 || v == 8;
  return aiodb_result_rows(r) == 1 && v >= o->lo && v <= o->hi;
}

/* A batch continues where the last ended; after a dropped batch it need
 * only count on. */
static int th_rows_ok(const th_op *o, aiodb_result *r) {
  size_t n = aiodb_result_rows(r), i;
  int64_t first = aiodb_result_int(r, 0, 0);
  for (i = 1; i < n; i++)
    if (aiodb_result_int(r, i, 0) != first + (int64_t)i) return 0;
  if (o->g->root_risk) return n <= CUR_BATCH;
  return n == CUR_BATCH && first == (int64_t)(o->seq - 1) * CUR_BATCH + 1;
}

/* The codes include/aiodb.h promises each call, given what the test did to
 * it (canceled: aiodb_future_cancel returned 0; deadline:
 * aiodb_future_set_timeout returned 0) and when it was made:
 *  - made after aiodb_close returned: done at once, AIODB_EALREADYQUIT
 *    (AIODB_EINVAL for a wrong argument count, found before the db is
 *    looked at); made while aiodb_close ran: AIODB_EALREADYQUIT allowed
 *    too; made before: it was queued, so it runs ("work already queued
 *    finishes");
 *  - a statement (aiodb_query, aiodb_tx_query, aiodb_cursor_next):
 *    0 with its answer; AIODB_ECANCELED if canceled, AIODB_ETIMEDOUT if
 *    given a deadline (or its own outcome if it finished first); the
 *    missing table AIODB_ESQL, the repeated key AIODB_ECONSTRAINT;
 *  - aiodb_db_run: 0 with its function's value; a cancel that returned 0
 *    dropped it: AIODB_ECANCELED;
 *  - a statement of a tx after one of the same tx that was canceled or
 *    given a deadline, or after its savepoint's failed statement:
 *    AIODB_ETXABORTED; so is a savepoint's after such a statement of the
 *    tx before the savepoint began, and, on SQLite (where an interrupted
 *    write rolls back the whole transaction), a tx's after its savepoint's
 *    canceled or timed-out statement; a cursor's batch after a dropped or
 *    interrupted one: that one's error;
 *  - aiodb_commit: 0, or AIODB_ETXABORTED once a statement of the tx
 *    failed or was dropped (a savepoint with the repeated key: always);
 *    aiodb_rollback: 0. An end is never canceled nor timed out;
 *  - a wrong argument count: AIODB_EINVAL, done at once. */
static void th_check(th_thread *t, th_op *o) {
  aiodb_future *f = o->f;
  aiodb_result *r = aiodb_future_result(f);
  th_group *g = o->g;
  int e = aiodb_future_error(f);
  int own = (e == AIODB_ECANCELED && o->canceled) || (e == AIODB_ETIMEDOUT && o->deadline);
  int quit = e == AIODB_EALREADYQUIT && o->after != 0;
  int root_before_sp = g && g->root_risk && g->root_risk <= SP_AFTER;
  /* SQLite: a savepoint's interrupted write ends the whole tx */
  int sp_ends_tx = g && g->sp_risk && T.eng->interrupt_ends_tx;
  int ok = 0;

  if (o->before == 2) {
    ok = e == (o->kind == TK_ARGS ? AIODB_EINVAL : AIODB_EALREADYQUIT);
  } else {
    switch (o->kind) {
      case TK_Q:
      case TK_SLOW: ok = e == 0 ? th_value_ok(o, r) : own || quit; break;
      case TK_BAD: ok = e == AIODB_ESQL || own || quit; break;
      case TK_UPD: ok = e == 0 ? aiodb_result_affected(r) == 1 : own || quit; break;
      case TK_ARGS: ok = e == AIODB_EINVAL; break;
      case TK_RUN:
        ok = e == 0 ? aiodb_future_value(f) == (int)o->lo : own || quit;
        if (o->canceled) ok = e == AIODB_ECANCELED;
        break;
      case TK_CUR:
        ok = e == 0 ? th_rows_ok(o, r)
                    : own || quit ||
                          ((e == AIODB_ECANCELED || e == AIODB_ETIMEDOUT) &&
                           g->root_risk && g->root_risk < o->seq);
        break;
      case TK_TXQ:
        ok = e == 0 ? th_value_ok(o, r)
                    : own || quit ||
                          (e == AIODB_ETXABORTED &&
                           ((g->root_risk && g->root_risk < o->seq) ||
                            (sp_ends_tx && o->seq > SP_AFTER)));
        break;
      case TK_SPQ:
        if (g->dup && g->dup < o->seq)
          ok = e == AIODB_ETXABORTED || own || quit;
        else
          ok = e == 0 ? th_value_ok(o, r)
                      : own || quit ||
                            (e == AIODB_ETXABORTED &&
                             (root_before_sp || (g->sp_risk && g->sp_risk < o->seq)));
        break;
      case TK_SPDUP:
        ok = e == AIODB_ECONSTRAINT || own || quit ||
             (e == AIODB_ETXABORTED &&
              (root_before_sp || (g->sp_risk && g->sp_risk < o->seq)));
        break;
      case TK_SPEND:
        if (!o->commit)
          ok = e == 0 || quit;
        else if (g->dup)
          ok = e == AIODB_ETXABORTED || quit;
        else
          ok = e == 0 || quit ||
               (e == AIODB_ETXABORTED && (root_before_sp || g->sp_risk));
        break;
      case TK_TXEND:
        ok = e == 0 || quit ||
             (o->commit && e == AIODB_ETXABORTED && (g->root_risk || sp_ends_tx));
        break;
    }
  }
  if (o->kind == TK_SPEND) g->sp_err = e;
  if (o->kind == TK_TXEND) g->root_err = e;
  CHECK(ok,
        "%s, seed %" PRIu64 ", thread %d: %s #%u (canceled %d, deadline %d, close "
        "phase %d..%d; group: root risk %u, savepoint risk %u, duplicate %u) "
        "completed with %s: %s",
        T.eng->env, T.seed, t->idx, tk_name[o->kind], o->seq, o->canceled,
        o->deadline, o->before, o->after, g ? g->root_risk : 0, g ? g->sp_risk : 0,
        g ? g->dup : 0, aiodb_err_name(e), aiodb_future_errmsg(f));
  o->err = (int8_t)e;
  if (o->kind == TK_UPD && e == 0) t->upd_ok++;
}

static void th_seen(th_thread *t, th_op *o) {
  th_check(t, o);
  o->state = SEEN;
  t->seen++;
  th_live_remove(t, o);
  aiodb_future_free(o->f);
}

static void th_free(th_thread *t, th_op *o, int live) {
  if (aiodb_future_done(o->f)) {
    th_check(t, o);
    o->state = SEEN;
    t->seen++;
  } else {
    o->state = FREED;
    t->freed_pending++;
    if (o->kind == TK_UPD && !o->canceled && !o->deadline) t->upd_freed++;
    if (o->kind == TK_UPD && (o->canceled || o->deadline)) t->upd_freed_aborted++;
  }
  if (live) th_live_remove(t, o);
  aiodb_future_free(o->f);
}

static void th_single(th_thread *t);

static void th_cb(aiodb_future *f, void *ud) {
  th_op *o = ud;
  th_thread *t = o->t;
  CHECK(o->f == f && o->state == LIVE && o->cb && o->cbs == 0,
        "%s, seed %" PRIu64 ", thread %d: callback of a %s in state %d after %d "
        "callbacks (freed or seen already)",
        T.eng->env, T.seed, t->idx, tk_name[o->kind], o->state, o->cbs);
  o->cbs++;
  th_check(t, o);
  o->state = SEEN;
  t->cbs_run++;
  th_live_remove(t, o);
  aiodb_future_free(f);
  if (t->submitting && t->nlive < 2 * TH_WINDOW && below(&t->rng, 4) == 0) th_single(t);
}

static void th_deadline(th_thread *t, th_op *o) {
  int rc = aiodb_future_set_timeout(o->f, (int)below(&t->rng, 4));
  CHECK(rc == 0 || (rc == AIODB_EBUSY && aiodb_future_done(o->f)), "set_timeout: %s",
        aiodb_err_name(rc));
  if (rc != 0 || is_end(o) || o->deadline) return; /* an end's never fires */
  o->deadline = 1;
  t->deadlines++;
  th_risk(o);
}

static void th_track(th_thread *t, th_op *o, aiodb_future *f) {
  o->after = (uint8_t)atomic_load(&T.phase);
  CHECK(f != NULL, "thread %d: a %s call returned NULL", t->idx, tk_name[o->kind]);
  o->f = f;
  o->state = LIVE;
  t->submitted++;
  if (o->before == 2) {
    CHECK(aiodb_future_done(f), "%s, thread %d: a %s made after aiodb_close is not done",
          T.eng->env, t->idx, tk_name[o->kind]);
    t->refused++;
  }
  if (below(&t->rng, 12) == 0) th_deadline(t, o);
  switch (below(&t->rng, 20)) {
    case 0:
      if (!is_end(o)) { /* an end is kept: it tells the tx's fate */
        th_free(t, o, 0);
        break;
      }
      /* fall through */
    case 1:
    case 2:
    case 3:
    case 4: th_live_add(t, o); break;
    default:
      o->cb = 1;
      th_live_add(t, o);
      aiodb_future_on_done_cq(f, t->cq, th_cb, o);
      break;
  }
}

static int th_fn(void *native, void *ud) {
  th_op *o = ud;
  (void)native;
  atomic_fetch_add(&o->ran, 1);
  return (int)o->lo;
}

static void th_query(th_thread *t, int kind, const char *sql) {
  th_op *o = th_op_new(t, NULL, kind, 0);
  o->lo = o->hi = 7;
  th_track(t, o, aiodb_query(T.db, sql, NULL, 0));
}

static void th_select(th_thread *t) {
  th_op *o = th_op_new(t, NULL, TK_Q, 0);
  aiodb_value v = aiodb_int(((int64_t)t->idx << 24) + t->submitted);
  o->lo = o->hi = v.u.i + 1;
  th_track(t, o, aiodb_query(T.db, "SELECT ? + 1", &v, 1));
}

static void th_single(th_thread *t) {
  unsigned r = below(&t->rng, 100);
  th_op *o;
  aiodb_value v;
  if (r < 40) {
    th_select(t);
  } else if (r < 48) {
    th_query(t, TK_SLOW, T.eng->slow);
  } else if (r < 56) {
    th_query(t, TK_BAD, "SELECT x FROM soak_missing_table");
  } else if (r < 80) {
    o = th_op_new(t, NULL, TK_UPD, 0);
    v = aiodb_int(t->idx);
    th_track(t, o, aiodb_query(T.db, T.sql_upd, &v, 1));
  } else if (r < 84) {
    o = th_op_new(t, NULL, TK_ARGS, 0);
    th_track(t, o, aiodb_query(T.db, "SELECT ? + ?", NULL, 0));
  } else {
    o = th_op_new(t, NULL, TK_RUN, 0);
    o->lo = (int64_t)(t->submitted % 10000);
    th_track(t, o, aiodb_db_run(T.db, th_fn, o));
  }
}

/* A tx statement: affected == 1, or a first cell in [lo, hi]. */
static void th_txq(th_thread *t, th_group *g, aiodb_tx *tx, int kind, unsigned seq,
                   const char *sql, int64_t a0, int64_t a1, int nargs, int64_t lo,
                   int64_t hi) {
  th_op *o = th_op_new(t, g, kind, seq);
  aiodb_value v[2];
  v[0] = aiodb_int(a0);
  v[1] = aiodb_int(a1);
  o->affected = lo < 0;
  o->lo = lo;
  o->hi = hi;
  th_track(t, o, aiodb_tx_query(tx, sql, v, (size_t)nargs));
}

static void th_end(th_thread *t, th_group *g, int kind, aiodb_tx *tx, int commit) {
  th_op *o = th_op_new(t, g, kind, 0);
  o->commit = (uint8_t)commit;
  th_track(t, o, commit ? aiodb_commit(tx) : aiodb_rollback(tx));
}

/* BEGIN; insert; read it back; SAVEPOINT; insert; maybe repeat a key;
 * read both; RELEASE or ROLLBACK TO; insert; count; COMMIT or ROLLBACK.
 * All queued at once, the outcomes seen later. */
static void th_tx(th_thread *t) {
  th_group *g = th_group_new(t);
  aiodb_tx *tx, *sp;
  int64_t b;
  unsigned ss = 0;

  g->base = b = ((int64_t)(t->idx + 1) << 32) | ((int64_t)t->ntx++ << 2);
  tx = aiodb_begin(T.db);
  CHECK(tx != NULL, "aiodb_begin returned NULL");
  th_txq(t, g, tx, TK_TXQ, 1, T.sql_ins, b, t->idx, 2, -1, -1);
  th_txq(t, g, tx, TK_TXQ, SP_AFTER, T.sql_one, b, 0, 1, 1, 1);
  sp = aiodb_tx_begin(tx);
  CHECK(sp != NULL, "aiodb_tx_begin returned NULL");
  th_txq(t, g, sp, TK_SPQ, ++ss, T.sql_ins, b + 1, t->idx, 2, -1, -1);
  if (below(&t->rng, 5) == 0) {
    g->dup = ++ss;
    th_txq(t, g, sp, TK_SPDUP, ss, T.sql_ins, b, t->idx, 2, -1, -1);
  }
  th_txq(t, g, sp, TK_SPQ, ++ss, T.sql_range, b, b + 2, 2, 2, 2);
  g->sp_commit = below(&t->rng, 4) != 0;
  th_end(t, g, TK_SPEND, sp, g->sp_commit);
  th_txq(t, g, tx, TK_TXQ, SP_AFTER + 1, T.sql_ins, b + 2, t->idx, 2, -1, -1);
  th_txq(t, g, tx, TK_TXQ, SP_AFTER + 2, T.sql_range, b, b + 4, 2, 2, 3);
  g->root_commit = below(&t->rng, 5) != 0;
  th_end(t, g, TK_TXEND, tx, g->root_commit);
}

/* A cursor read a batch or three of its 500 rows and freed at once, its
 * batches often still queued; then plain statements right behind it, for
 * the connection it gives back (PostgreSQL: in pipelines). */
static void th_cursor(th_thread *t) {
  th_group *g = th_group_new(t);
  aiodb_cursor *c;
  unsigned k, n = 1 + below(&t->rng, 3), burst = 4 + below(&t->rng, 6);
  g->cursor = 1;
  c = aiodb_iterate(T.db, T.sql_cur, NULL, 0, CUR_BATCH);
  CHECK(c != NULL, "aiodb_iterate returned NULL");
  for (k = 1; k <= n; k++) {
    th_op *o = th_op_new(t, g, TK_CUR, k);
    th_track(t, o, aiodb_cursor_next(c));
  }
  aiodb_cursor_free(c);
  for (k = 0; k < burst; k++) th_select(t);
}

static void th_round(th_thread *t) {
  unsigned r = below(&t->rng, 100), i;
  if (r < 45) {
    th_single(t);
  } else if (r < 70) {
    th_tx(t);
  } else if (r < 85) {
    th_cursor(t);
  } else {
    for (i = 0; i < 6; i++) th_single(t);
  }
}

static void th_sweep(th_thread *t) {
  size_t i;
  for (i = 0; i < t->nlive;) {
    th_op *o = t->live[i];
    if (!o->cb && aiodb_future_done(o->f))
      th_seen(t, o); /* moves another into i */
    else
      i++;
  }
}

static void th_act(th_thread *t) {
  unsigned r = below(&t->rng, 100);
  th_op *o;
  int rc;

  if (r < 35) {
    rc = aiodb_cq_dispatch(t->cq, below(&t->rng, 2) ? 0 : 1 + (int)below(&t->rng, 8));
    CHECK(rc >= 0, "dispatch: %s", aiodb_err_name(rc));
  } else if (r < 50) {
    rc = aiodb_cq_run_once(t->cq, (int)below(&t->rng, 3));
    CHECK(rc >= 0, "run_once: %s", aiodb_err_name(rc));
  } else if (t->nlive > 0) {
    o = t->live[below(&t->rng, (unsigned)t->nlive)];
    if (r < 72) {
      int ms = below(&t->rng, 10) == 0 ? 50 : (int)below(&t->rng, 3);
      if (o->cb) return; /* its callback tells */
      rc = aiodb_future_wait(o->f, ms);
      CHECK(rc == 0 || rc == AIODB_ETIMEDOUT, "wait: %s", aiodb_err_name(rc));
      if (rc == 0) th_seen(t, o);
    } else if (r < 84) {
      rc = aiodb_future_cancel(o->f);
      CHECK(rc == 0 || rc == AIODB_EBUSY, "cancel: %s", aiodb_err_name(rc));
      CHECK(!(rc == 0 && is_end(o)), "a %s was canceled", tk_name[o->kind]);
      if (rc == 0 && !o->canceled) {
        o->canceled = 1;
        t->canceled++;
        th_risk(o);
      }
    } else if (r < 90) {
      if (!is_end(o)) th_free(t, o, 1);
    } else if (r < 94) {
      th_deadline(t, o);
    } else {
      th_sweep(t);
    }
  }
  atomic_store_explicit(&t->pending, (long)t->nlive, memory_order_relaxed);
}

/* Everything the thread submitted comes home, in bounded time. */
static void th_drain(th_thread *t) {
  double t0 = aiodb_test_now_ms();
  while (t->nlive > 0) {
    int rc = aiodb_cq_run_once(t->cq, 5);
    CHECK(rc >= 0, "run_once: %s", aiodb_err_name(rc));
    th_sweep(t);
    atomic_store_explicit(&t->pending, (long)t->nlive, memory_order_relaxed);
    CHECK(aiodb_test_now_ms() - t0 < 60000,
          "%s, seed %" PRIu64 ", thread %d: %zu futures still pending 60 s after "
          "it stopped submitting (the first: a %s, done %d)",
          T.eng->env, T.seed, t->idx, t->nlive, tk_name[t->live[0]->kind],
          aiodb_future_done(t->live[0]->f));
  }
}

/* Threads 0-3 run their rounds and stop; 4-7 go on until the db has been
 * closed under them, and for POST_CLOSE_ROUNDS rounds after. */
static void *th_main(void *arg) {
  th_thread *t = arg;
  int survivor = t->idx >= THREADS / 2;
  long r = 0, after = 0;
  t->submitting = 1;
  for (;;) {
    int phase = atomic_load(&T.phase);
    if (!survivor && r >= T.rounds) break;
    if (survivor && phase == 2 && after++ >= POST_CLOSE_ROUNDS) break;
    if (survivor && phase != 2 && r >= 4 * T.rounds) {
      th_act(t); /* waits for the close without submitting */
      usleep(1000);
      continue;
    }
    th_round(t);
    atomic_store(&t->rounds, ++r);
    do th_act(t);
    while (t->nlive > TH_WINDOW || below(&t->rng, 3) == 0);
  }
  t->submitting = 0;
  th_drain(t);
  atomic_store(&t->finished, 1);
  return NULL;
}

/* Nothing hangs: past its limit the watchdog says where each thread was,
 * then aborts (before the case's own timeout, which says less). */
static void *watchdog_main(void *arg) {
  struct timespec ts;
  int i, timed_out = 0;
  (void)arg;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += (time_t)(T.wd_limit_ms / 1000);
  pthread_mutex_lock(&T.wd_lock);
  while (!T.wd_done && !timed_out)
    timed_out = pthread_cond_timedwait(&T.wd_cv, &T.wd_lock, &ts) != 0;
  pthread_mutex_unlock(&T.wd_lock);
  if (!timed_out) return NULL;
  fprintf(stderr, "%s, seed %" PRIu64 ": watchdog: not done after %.0f s; close phase %d\n",
          T.eng->env, T.seed, T.wd_limit_ms / 1000, atomic_load(&T.phase));
  for (i = 0; i < THREADS; i++)
    fprintf(stderr, "  thread %d: %ld rounds, %ld pending, finished %d\n", i,
            atomic_load(&T.th[i].rounds), atomic_load(&T.th[i].pending),
            atomic_load(&T.th[i].finished));
  abort();
  return NULL;
}

static const th_engine *engine_of_env(void) {
  const char *want = getenv("AIODB_TEST_DRIVER");
  size_t i;
  if (want == NULL || *want == '\0') want = "sqlite";
  for (i = 0; i < sizeof engines / sizeof engines[0]; i++)
    if (strcmp(engines[i].env, want) == 0) return &engines[i];
  ck_abort_msg("AIODB_TEST_DRIVER=%s: no such driver", want);
  return NULL;
}

static void th_schema(aiodb_db *db) {
  aiodb_value rows[CUR_ROWS];
  char sql[160];
  int i;
  aiodb_test_execf(db, "DROP TABLE IF EXISTS %s", T.t_cnt);
  aiodb_test_execf(db, "DROP TABLE IF EXISTS %s", T.t_tx);
  aiodb_test_execf(db, "DROP TABLE IF EXISTS %s", T.t_seq);
  aiodb_test_execf(db, "CREATE TABLE %s (th INTEGER PRIMARY KEY, n BIGINT NOT NULL)", T.t_cnt);
  aiodb_test_execf(db, "CREATE TABLE %s (id BIGINT PRIMARY KEY, th INTEGER NOT NULL)", T.t_tx);
  aiodb_test_execf(db, "CREATE TABLE %s (x INTEGER PRIMARY KEY)", T.t_seq);
  for (i = 0; i < CUR_ROWS; i++) rows[i] = aiodb_int(i + 1);
  snprintf(sql, sizeof sql, "INSERT INTO %s (x) VALUES (?)", T.t_seq);
  aiodb_future_free(aiodb_test_ok(aiodb_query_many(db, sql, rows, CUR_ROWS, 1)));
  for (i = 0; i < THREADS; i++) rows[i] = aiodb_int(i);
  snprintf(sql, sizeof sql, "INSERT INTO %s (th, n) VALUES (?, 0)", T.t_cnt);
  aiodb_future_free(aiodb_test_ok(aiodb_query_many(db, sql, rows, THREADS, 1)));
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* What reached the database: each counter counts its thread's UPDATEs
 * that ran (seen to succeed, or freed while pending: they still run), and
 * exactly the committed txs' rows are there. */
static void th_verify_data(aiodb_db *db) {
  char sql[160];
  aiodb_future *f;
  aiodb_result *r;
  int64_t *ids;
  size_t nids, i, expected = 0;
  int k;

  snprintf(sql, sizeof sql, "SELECT th, n FROM %s ORDER BY th", T.t_cnt);
  f = aiodb_test_ok(aiodb_query(db, sql, NULL, 0));
  r = aiodb_future_result(f);
  ck_assert_int_eq(aiodb_result_rows(r), THREADS);
  for (k = 0; k < THREADS; k++) {
    th_thread *t = &T.th[k];
    int64_t n = aiodb_result_int(r, (size_t)k, 1);
    CHECK(n >= t->upd_ok + t->upd_freed &&
              n <= t->upd_ok + t->upd_freed + t->upd_freed_aborted,
          "%s: thread %d's counter is %" PRId64 ": %ld updates seen, %ld freed, "
          "%ld freed after a cancel or deadline",
          T.eng->env, k, n, t->upd_ok, t->upd_freed, t->upd_freed_aborted);
  }
  aiodb_future_free(f);

  snprintf(sql, sizeof sql, "SELECT id FROM %s ORDER BY id", T.t_tx);
  f = aiodb_test_ok(aiodb_query(db, sql, NULL, 0));
  r = aiodb_future_result(f);
  nids = aiodb_result_rows(r);
  ids = malloc((nids + 1) * sizeof *ids);
  ck_assert_ptr_nonnull(ids);
  for (i = 0; i < nids; i++) ids[i] = aiodb_result_int(r, i, 0);
  aiodb_future_free(f);
  for (k = 0; k < THREADS; k++) {
    th_group *g;
    for (g = T.th[k].groups; g != NULL; g = g->next) {
      int part;
      if (g->cursor) continue;
      CHECK(g->root_err != 1, "thread %d: a tx end was never seen", k);
      for (part = 0; part < 3; part++) {
        int64_t id = g->base + part;
        int want = g->root_commit && g->root_err == 0 &&
                   (part != 1 || (g->sp_commit && g->sp_err == 0));
        int have = bsearch(&id, ids, nids, sizeof *ids, cmp_i64) != NULL;
        CHECK(want == have,
              "%s, seed %" PRIu64 ": thread %d, tx row %d: %s, but the tx %s "
              "(%s) and its savepoint %s (%s)",
              T.eng->env, T.seed, k, part, have ? "present" : "absent",
              g->root_commit ? "committed" : "rolled back", aiodb_err_name(g->root_err),
              g->sp_commit ? "released" : "rolled back", aiodb_err_name(g->sp_err));
        expected += (size_t)want;
      }
    }
  }
  CHECK(expected == nids, "%s: %zu tx rows, %zu expected", T.eng->env, nids, expected);
  free(ids);
}

static void th_run(const th_engine *eng, const char *base) {
  aiodb_db *setup;
  aiodb_future *closing;
  pthread_t wd;
  uint64_t batches = 0, batched = 0;
  double t0, t_close, t_closed, t_end;
  long total = 0, refused = 0, canceled = 0, deadlines = 0, cbs = 0, freed = 0;
  int i, all;

  /* the schema, by one connection (and SQLite's WAL set up before four
   * connections open at once) */
  setup = aiodb_test_open_with(base, strcmp(eng->env, "sqlite") == 0 ? "journal_mode=wal" : NULL);
  th_schema(setup);
  aiodb_db_free(setup);

  T.db = aiodb_test_open_with(base, eng->opts);
  pthread_mutex_init(&T.wd_lock, NULL);
  pthread_cond_init(&T.wd_cv, NULL);
  T.wd_limit_ms = SANITIZED ? 250000 : 150000;
  ck_assert_int_eq(pthread_create(&wd, NULL, watchdog_main, NULL), 0);

  t0 = aiodb_test_now_ms();
  for (i = 0; i < THREADS; i++) {
    th_thread *t = &T.th[i];
    t->idx = i;
    t->rng = rng_init(T.seed + (uint64_t)i);
    t->cq = aiodb_cq_new();
    t->live = calloc(8 * TH_WINDOW, sizeof *t->live);
    ck_assert(t->cq != NULL && t->live != NULL);
    ck_assert_int_eq(pthread_create(&t->id, NULL, th_main, t), 0);
  }
  /* the close comes once threads 0-3 are done, while 4-7 still submit */
  do {
    usleep(2000);
    all = 1;
    for (i = 0; i < THREADS; i++)
      if (i < THREADS / 2 ? !atomic_load(&T.th[i].finished)
                          : atomic_load(&T.th[i].rounds) < T.rounds / 2)
        all = 0;
  } while (!all);
  aiodb_db_stats(T.db, &batches, &batched);
  t_close = aiodb_test_now_ms();
  atomic_store(&T.phase, 1);
  closing = aiodb_close(T.db);
  atomic_store(&T.phase, 2);
  ck_assert_ptr_nonnull(closing);
  ck_assert_int_eq(aiodb_future_wait(closing, 60000), 0);
  ck_assert_int_eq(aiodb_future_error(closing), 0);
  t_closed = aiodb_test_now_ms();
  aiodb_future_free(closing);
  for (i = 0; i < THREADS; i++) pthread_join(T.th[i].id, NULL);
  t_end = aiodb_test_now_ms();
  pthread_mutex_lock(&T.wd_lock);
  T.wd_done = 1;
  pthread_cond_signal(&T.wd_cv);
  pthread_mutex_unlock(&T.wd_lock);
  pthread_join(wd, NULL);
  aiodb_db_free(T.db);

  /* every future accounted for, every callback run once, every function
   * run once unless dropped */
  for (i = 0; i < THREADS; i++) {
    th_thread *t = &T.th[i];
    th_chunk *c;
    long ncbs = 0;
    CHECK(t->submitted == t->cbs_run + t->seen + t->freed_pending,
          "thread %d: submitted %ld != %ld callbacks + %ld seen + %ld freed pending", i,
          t->submitted, t->cbs_run, t->seen, t->freed_pending);
    for (c = t->chunks; c != NULL; c = c->next) {
      size_t j;
      for (j = 0; j < c->used; j++) {
        th_op *o = &c->ops[j];
        int ran = atomic_load(&o->ran);
        CHECK(o->state == SEEN || o->state == FREED, "thread %d: a %s in state %d", i,
              tk_name[o->kind], o->state);
        CHECK(o->cbs == 0 || (o->cbs == 1 && o->state == SEEN), "%d callbacks", o->cbs);
        ncbs += o->cbs;
        if (o->kind != TK_RUN) continue;
        if (o->state == SEEN)
          CHECK(ran == (o->err == 0), "thread %d: a function ran %d times, its "
                "future: %s", i, ran, aiodb_err_name(o->err));
        else if (!o->canceled && !o->deadline)
          CHECK(ran == 1, "thread %d: a function freed while pending ran %d times",
                i, ran);
        else
          CHECK(ran <= 1, "thread %d: a function ran %d times", i, ran);
      }
    }
    CHECK(ncbs == t->cbs_run, "thread %d: %ld callbacks counted, %ld ran", i, ncbs,
          t->cbs_run);
    total += t->submitted;
    refused += t->refused;
    canceled += t->canceled;
    deadlines += t->deadlines;
    cbs += t->cbs_run;
    freed += t->freed_pending;
  }
  fprintf(stderr,
          "%s: %d threads, %ld futures (%ld callbacks, %ld freed pending, %ld canceled, "
          "%ld deadlines, %ld refused after the close); %.1f s to the close, close "
          "%.0f ms, %.1f s in all; %" PRIu64 " pipelines of %" PRIu64 " statements\n",
          eng->env, THREADS, total, cbs, freed, canceled, deadlines, refused,
          (t_close - t0) / 1000, t_closed - t_close, (t_end - t0) / 1000, batches,
          batched);
  CHECK(refused > 0 && canceled > 0 && deadlines > 0 && freed > 0, "the mix missed a path");
  if (strcmp(eng->env, "postgresql") == 0)
    CHECK(batched > 0, "no statement went out in a pipeline");

  setup = aiodb_test_open_with(base, NULL);
  th_verify_data(setup);
  aiodb_test_execf(setup, "DROP TABLE %s", T.t_cnt);
  aiodb_test_execf(setup, "DROP TABLE %s", T.t_tx);
  aiodb_test_execf(setup, "DROP TABLE %s", T.t_seq);
  aiodb_db_free(setup);

  for (i = 0; i < THREADS; i++) {
    th_thread *t = &T.th[i];
    aiodb_cq_free(t->cq);
    free(t->live);
    while (t->chunks) {
      th_chunk *c = t->chunks;
      t->chunks = c->next;
      free(c);
    }
    while (t->groups) {
      th_group *g = t->groups;
      t->groups = g->next;
      free(g);
    }
  }
  pthread_cond_destroy(&T.wd_cv);
  pthread_mutex_destroy(&T.wd_lock);
}

START_TEST(soak_threads_close_under_load) {
  const th_engine *eng = engine_of_env();
  const char *base;
  long pid = (long)getpid();

  memset(&T, 0, sizeof T);
  T.eng = eng;
  T.seed = seed_of(eng->env);
  T.rounds = env_long("AIODB_TEST_SOAK_ROUNDS", SANITIZED ? 400 : 1500);
  snprintf(T.t_cnt, sizeof T.t_cnt, "sk%ld_c", pid);
  snprintf(T.t_tx, sizeof T.t_tx, "sk%ld_t", pid);
  snprintf(T.t_seq, sizeof T.t_seq, "sk%ld_s", pid);
  snprintf(T.sql_upd, sizeof T.sql_upd, "UPDATE %s SET n = n + 1 WHERE th = ?", T.t_cnt);
  snprintf(T.sql_ins, sizeof T.sql_ins, "INSERT INTO %s (id, th) VALUES (?, ?)", T.t_tx);
  snprintf(T.sql_one, sizeof T.sql_one, "SELECT count(*) FROM %s WHERE id = ?", T.t_tx);
  snprintf(T.sql_range, sizeof T.sql_range,
           "SELECT count(*) FROM %s WHERE id >= ? AND id < ?", T.t_tx);
  snprintf(T.sql_cur, sizeof T.sql_cur, "SELECT x FROM %s ORDER BY x", T.t_seq);
  if (eng->dir_env == NULL) {
    base = aiodb_test_sqlite_url();
  } else if ((base = aiodb_test_server_url(eng->dir_env)) == NULL) {
    return;
  }
  diags_reset();
  th_run(eng, base);
  diags_clean();
  aiodb_test_clean_shutdown();
}
END_TEST

Suite *aiodb_suite_soak_threads(void) {
  return aiodb_test_add_case(suite_create("soak_threads"), soak_threads_close_under_load, 300);
}
