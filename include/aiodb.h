/*
 * aiodb — non-blocking access to SQLite, PostgreSQL and MySQL/MariaDB.
 *
 * This header is the whole public API and its reference. Every connection
 * owns one worker thread that makes the blocking driver calls; each call here
 * returns at once with a future, whose outcome the caller polls, waits on, or
 * receives as a callback run by aiodb_cq_dispatch() on the caller's thread.
 *
 * Ownership, in one place:
 *  - every aiodb_future a call returns is the caller's; free it with
 *    aiodb_future_free(), also from inside its own callback;
 *  - results, messages and connections reached through a future are borrowed
 *    and live as long as that future;
 *  - arguments (SQL text, values) are copied before a call returns: the
 *    caller's buffers may die at once;
 *  - every destructor accepts NULL as a harmless no-op.
 *
 * Failures: a call that returns a future returns NULL only when its handle
 * argument is NULL or memory runs out; every other problem, bad arguments
 * included, is the future's outcome (such a future is done already when
 * the call returns, and its callback still runs from dispatch). Every
 * future completes exactly once. The error codes each call can complete
 * with are listed at the call; "the statement codes" are those listed
 * under Statements below. docs/misuse.md tabulates, call by call, what
 * bad input and calls after aiodb_close() do, and what is not defined.
 *
 * Blocking: only aiodb_future_wait(), the synchronous helpers
 * (aiodb_query_sync(), aiodb_exec_sync() and the other _sync calls),
 * aiodb_cq_run_once() and aiodb_db_free() wait; aiodb_cq_dispatch() runs
 * callbacks; every other call returns without waiting on a worker or the
 * network.
 *
 * Threads: every call may be made from any thread, and calls on one db,
 * connection, transaction or cursor from several threads at once are safe
 * (they queue in the order they reach the db's lock). The exceptions are
 * said at their calls: aiodb_set_allocator() comes before everything else,
 * a cq is dispatched by one thread at a time, a future's callback is set
 * once and its result taken once, and no call may use a handle during or
 * after its destructor (or, for a tx, after the call that ends it). Your
 * code runs on aiodb's threads only as aiodb_run functions and on_connect
 * (on a worker), the diagnostic handler and the allocator; callbacks run on
 * the thread that dispatches their cq, and a trace callback
 * (aiodb_options.trace) on the caller's side too, never on a worker.
 */
#ifndef AIODB_H
#define AIODB_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#  if defined(AIODB_BUILDING_SHARED)
#    define AIODB_EXTERN __declspec(dllexport)
#  else
#    define AIODB_EXTERN
#  endif
#elif defined(__GNUC__) || defined(__clang__)
#  define AIODB_EXTERN __attribute__((visibility("default")))
#else
#  define AIODB_EXTERN
#endif

/* AIODB_VERSION_MAJOR, _MINOR, _PATCH and AIODB_VERSION_STRING */
#include "aiodb/version.h"

/* The library's version as "MAJOR.MINOR.PATCH"; static storage. */
AIODB_EXTERN const char *aiodb_version(void);

/* ------------------------------------------------------------------------
 * Status codes. Zero is success; every error is negative.
 * ------------------------------------------------------------------------ */
#define AIODB_ERRNO_MAP(XX)                                                   \
  XX(EINVAL, -1, "invalid argument")                                          \
  XX(ENOMEM, -2, "out of memory")                                             \
  XX(EUNSUPPORTED, -3, "not supported by this build or driver")               \
  XX(EALREADYQUIT, -4, "the connection's worker has already quit")            \
  XX(EBLOCKING, -5, "blocking call on the thread that dispatches the cq")     \
  XX(EDEADLK, -6, "wait would deadlock the connection's own worker")          \
  XX(ETIMEDOUT, -7, "timed out")                                              \
  XX(ECANCELED, -8, "canceled")                                               \
  XX(ESQL, -9, "the database reported an error")                              \
  XX(ECONNECT, -10, "could not connect to the database")                      \
  XX(ECONNLOST, -11, "connection to the database lost")                       \
  XX(EREADONLY, -12, "write refused on a read-only database")                 \
  XX(EBUSY, -13, "the database is busy or locked")                            \
  XX(ECONSTRAINT, -14, "constraint violation")                                \
  XX(ERANGE, -15, "value out of range")                                       \
  XX(EIO, -16, "input/output error")                                          \
  XX(ESYS, -17, "system call failed")                                         \
  XX(ETXABORTED, -18, "the transaction was aborted by an earlier error")     \
  XX(ENULL, -19, "the value is NULL")                                         \
  XX(ENOROW, -20, "no such row")                                              \
  XX(ETYPE, -21, "the value cannot be read as the type asked for")

/* The codes as an enum: AIODB_OK, and AIODB_<name> = <value> for each
 * line of AIODB_ERRNO_MAP. */
typedef enum aiodb_status {
  AIODB_OK = 0,
#define AIODB__XX(name, val, msg) AIODB_##name = val,
  AIODB_ERRNO_MAP(AIODB__XX)
#undef AIODB__XX
  AIODB__STATUS_MAX = -22
} aiodb_status;

/* A short English description of a status code ("success" for 0, "unknown
 * error" for a code not in AIODB_ERRNO_MAP); static storage, never NULL. */
AIODB_EXTERN const char *aiodb_strerror(int code);
/* The code's name ("AIODB_ECANCELED"; "AIODB_OK" for 0, "AIODB_EUNKNOWN"
 * for a code not in AIODB_ERRNO_MAP); static storage, never NULL. */
AIODB_EXTERN const char *aiodb_err_name(int code);

/* Errors of the calls that return a handle or a value instead of a
 * future: aiodb_open() and the synchronous helpers (aiodb_query_sync(),
 * aiodb_exec_sync(), aiodb_query_int_sync() ...). The caller owns it; every
 * such call accepts NULL for "don't tell me", and fills every field, also
 * when it succeeds (code 0, empty message and SQLSTATE, native code 0). A
 * statement's failure brings the statement's SQLSTATE and native code, as
 * aiodb_future_sqlstate() and aiodb_future_native_code() give them; the
 * errors aiodb reports itself (bad arguments, the wait refused, no row)
 * have "" and 0. */
typedef struct aiodb_error {
  int code;            /* 0 or AIODB_E... */
  char message[256];   /* NUL-terminated; never holds a password */
  char sqlstate[6];    /* five characters and a NUL, or "" */
  int native_code;     /* the driver's own code, or 0 */
} aiodb_error;

/* ------------------------------------------------------------------------
 * Handles (opaque)
 * ------------------------------------------------------------------------ */
typedef struct aiodb_db aiodb_db;          /* a database: URL, pool of connections */
typedef struct aiodb_conn aiodb_conn;      /* one connection, owned by one worker thread */
typedef struct aiodb_tx aiodb_tx;          /* a transaction, or a savepoint inside one */
typedef struct aiodb_future aiodb_future;  /* the pending outcome of one call */
typedef struct aiodb_result aiodb_result;  /* rows, affected count, last insert id */
typedef struct aiodb_cursor aiodb_cursor;  /* rows streamed in batches */
typedef struct aiodb_cq aiodb_cq;          /* completion queue: brings futures home */

/* A future's callback, run by aiodb_cq_dispatch(): see aiodb_future_on_done(). */
typedef void (*aiodb_callback)(aiodb_future *f, void *ud);
/* Your blocking code, run on a connection's worker: see aiodb_run(). */
typedef int (*aiodb_run_fn)(void *native, void *ud);

/* ------------------------------------------------------------------------
 * Values: parameters and result cells
 * ------------------------------------------------------------------------ */
typedef enum aiodb_type {
  AIODB_TYPE_NULL = 0,
  AIODB_TYPE_INT,
  AIODB_TYPE_FLOAT,
  AIODB_TYPE_TEXT,
  AIODB_TYPE_BLOB
} aiodb_type;

/* A tagged union, built with the inline constructors below:
 *   aiodb_value args[] = { aiodb_int(7), aiodb_text("x") };
 * TEXT and BLOB point at the caller's bytes; aiodb copies them when the
 * value is submitted, so they need only live until the call returns. A
 * value with a type outside aiodb_type, or a TEXT or BLOB with a NULL
 * pointer and a non-zero len, fails the call it is given to with
 * AIODB_EINVAL. */
typedef struct aiodb_value {
  aiodb_type type;
  size_t len;                /* TEXT and BLOB: bytes, without any NUL */
  union {
    int64_t i;
    double f;
    const char *s;
    const void *p;
  } u;
  const char *name;          /* parameters only: see aiodb_named(); NULL
                                for a positional value */
} aiodb_value;

/* A NULL, an INT (int64_t) and a FLOAT (double) value. */
static inline aiodb_value aiodb_null(void) {
  aiodb_value v;
  memset(&v, 0, sizeof v);
  v.type = AIODB_TYPE_NULL;
  return v;
}
static inline aiodb_value aiodb_int(int64_t i) {
  aiodb_value v = aiodb_null();
  v.type = AIODB_TYPE_INT;
  v.u.i = i;
  return v;
}
static inline aiodb_value aiodb_float(double d) {
  aiodb_value v = aiodb_null();
  v.type = AIODB_TYPE_FLOAT;
  v.u.f = d;
  return v;
}
/* n bytes of text (UTF-8; may hold NUL bytes, but PostgreSQL's text
 * cannot: there such a value fails its statement with AIODB_EINVAL, and a
 * blob is the way to send those bytes). s == NULL gives NULL. */
static inline aiodb_value aiodb_textn(const char *s, size_t n) {
  aiodb_value v = aiodb_null();
  if (s == NULL) return v;
  v.type = AIODB_TYPE_TEXT;
  v.u.s = s;
  v.len = n;
  return v;
}
/* NUL-terminated text. s == NULL gives NULL. */
static inline aiodb_value aiodb_text(const char *s) {
  return aiodb_textn(s, s ? strlen(s) : 0);
}
/* n bytes of binary data. p may be NULL only when n == 0 (an empty blob). */
static inline aiodb_value aiodb_blob(const void *p, size_t n) {
  aiodb_value v = aiodb_null();
  v.type = AIODB_TYPE_BLOB;
  v.u.p = p;
  v.len = n;
  return v;
}
/* v bound to the placeholder ':name' (name given without the ':', matched
 * exactly, case-sensitive):
 *   aiodb_value args[] = { aiodb_named("item", aiodb_text("bolt")),
 *                          aiodb_named("qty", aiodb_int(3)) };
 *   ... "UPDATE stock SET n = n - :qty WHERE item = :item" ...
 * binds by name whatever the order of the array. The name is read when
 * the value is submitted and never kept: it need only live until the call
 * returns. The rules are in "Placeholders" below. name == NULL gives v
 * unnamed (which, among named values, fails the call with AIODB_EINVAL). */
static inline aiodb_value aiodb_named(const char *name, aiodb_value v) {
  v.name = name;
  return v;
}

/* ------------------------------------------------------------------------
 * Completion queue: one per thread that runs a loop.
 * ------------------------------------------------------------------------ */

/* Constructor: an empty queue woken through an eventfd (Linux) or a pipe.
 * NULL when out of memory or out of file descriptors. The caller frees it
 * with aiodb_cq_free(), after every db that reports to it. */
AIODB_EXTERN aiodb_cq *aiodb_cq_new(void);

#define AIODB_CQ_PIPE 1u  /* use a pipe even where eventfd exists */
#define AIODB_CQ_NOSPIN 2u /* aiodb_cq_run_once() never spins unasked (see
                              aiodb_cq_set_spin) */
/* Constructor with flags: 0, or AIODB_CQ_PIPE and AIODB_CQ_NOSPIN; other
 * bits are ignored. NULL on failure, as aiodb_cq_new(). */
AIODB_EXTERN aiodb_cq *aiodb_cq_new_ex(unsigned flags);

/* The file descriptor to watch for reading: readable while completed
 * futures wait for aiodb_cq_dispatch(). Owned by the cq (non-blocking,
 * close-on-exec, valid until the cq is freed); never read, write or close
 * it. Written only when the queue goes from empty to non-empty, so a burst of
 * completions costs one wake-up; a worker with more calls queued holds the
 * write back while it runs them, at most about 50 µs after the first
 * answer it holds (then a timer writes it, even while a long call runs;
 * not on a db with spin_us). Nor is it written for an answer that comes
 * while aiodb_cq_run_once() spins for answers: that call takes it.
 * -1 if cq is NULL. */
AIODB_EXTERN int aiodb_cq_fd(const aiodb_cq *cq);

/* Before aiodb_cq_run_once() sleeps in poll(), spin up to us microseconds
 * (at most 1000) for a completion: a wake-up saved when answers come back
 * within microseconds, at the cost of CPU. A db's own cq takes the db's
 * spin_us option. AIODB_EINVAL for NULL or us > 1000.
 *
 * With 0, the default, the spin is adaptive, unless the cq was made with
 * AIODB_CQ_NOSPIN (a db's own cq: with the URL's adaptive_spin=0): the
 * call spins only while this cq's recent answers came sooner than a
 * sleep and a wake-up take (about 20 µs), for about twice as long as
 * they took (at most 30 µs). A spin that fails, or wins only slowly (the
 * cores busy with other work), makes the next waits sleep at once, twice
 * as many after each failure in a row, up to 64; one long wait, as when
 * the program goes idle, stops the spinning. An idle program spins at
 * most once, for microseconds. The db's workers and aiodb_future_wait()
 * spin for work and answers by the same rule. */
AIODB_EXTERN int aiodb_cq_set_spin(aiodb_cq *cq, unsigned us);

/* Runs up to max (<= 0: all that are ready now) callbacks of completed
 * futures on the calling thread, which becomes the cq's dispatching thread
 * (see BlockingWarning). With a limit, the rest stay queued and the fd stays
 * readable. Returns how many callbacks ran (0 when none was ready), or
 * AIODB_EINVAL for NULL. Callbacks may submit work, free their future, close
 * or free a db (even the one that owns this cq) and free this cq (the
 * callbacks still queued are then dropped); a nested call from inside a
 * callback runs nothing and returns 0. One thread at a time may dispatch a
 * given cq. With tracing (aiodb_options.trace), each future's trace runs
 * just before its callback (also for a future freed since it completed,
 * whose callback does not run), after the traces of futures that
 * completed detached (aiodb_future_free() while pending, a tx's BEGIN, a
 * cursor's open), which a cq dispatched once keeps for its dispatch. */
AIODB_EXTERN int aiodb_cq_dispatch(aiodb_cq *cq, int max);

/* Blocks until at least one completion is ready or timeout_ms passes
 * (timeout_ms < 0: no limit), then dispatches like aiodb_cq_dispatch(cq, 0),
 * under the same thread rule. For programs without a loop. Returns the
 * count, 0 on timeout, AIODB_EINVAL for NULL, or AIODB_ESYS if poll()
 * fails. */
AIODB_EXTERN int aiodb_cq_run_once(aiodb_cq *cq, int timeout_ms);

/* Counters for tests and tuning: how many times the fd was written and how
 * many callbacks have run. Either pointer may be NULL; a NULL cq gives 0. */
AIODB_EXTERN void aiodb_cq_stats(const aiodb_cq *cq, uint64_t *wakeups,
                                 uint64_t *dispatched);

/* Destructor. Completions still queued are dropped without their callbacks
 * or traces running (their futures stay the caller's), and no callback runs through
 * this cq afterwards. Free a cq after every db that reports to it; its fd
 * stays open until the last db and future referring to it are gone. NULL
 * is a no-op. */
AIODB_EXTERN void aiodb_cq_free(aiodb_cq *cq);

/* ------------------------------------------------------------------------
 * Databases
 * ------------------------------------------------------------------------ */

/* Tracing (aiodb_options.trace): what one statement did, given to the
 * trace callback once it completed. Every pointer is borrowed and valid
 * during the callback only. */
typedef struct aiodb_trace {
  const char *sql;          /* the SQL as the caller gave it (before "?"
                               became "$1"), never NULL; for AIODB_TRACE_TX
                               the SQL aiodb sent ("BEGIN", "SAVEPOINT
                               aiodb_sp1", "COMMIT", "ROLLBACK", two joined
                               by "; " when it sent two); "" for
                               AIODB_TRACE_RUN */
  size_t sql_len;           /* its bytes, without the NUL */
  const aiodb_value *args;  /* only with trace_values: the values bound,
                               copies whose names are NULL, in the order
                               the statement's placeholders first take
                               them (positional ones: as given); for
                               aiodb_query_many every row, one after the
                               other. NULL otherwise, and for kinds
                               without values (FETCH, TX, RUN) */
  size_t nargs;             /* values at args (0 when NULL) */
  int64_t queued_ns;        /* from submission to a worker starting it (to
                               its end if it never started), ns */
  int64_t run_ns;           /* in the driver (0 if it never ran), ns */
  size_t rows;              /* rows of its result; for AIODB_TRACE_MANY
                               the argument rows; 0 on failure */
  int64_t affected;         /* aiodb_result_affected() of its result */
  int code;                 /* 0, or the call's AIODB_E... code */
  const char *message;      /* "" on success, else aiodb_future_errmsg() */
  const char *sqlstate;     /* "" or the SQLSTATE, as aiodb_future_sqlstate() */
  unsigned conn_id;         /* the db's connection that ran it, numbered
                               from 1 in the order they opened (its
                               worker thread is named aiodb-w<conn_id - 1>);
                               0 when it never ran */
  int kind;                 /* AIODB_TRACE_QUERY ... below */
  int slow;                 /* 1 when slow_query_ms is set (then only
                               statements that reach it are traced) */
} aiodb_trace;

/* aiodb_trace.kind: which call the statement came from. */
#define AIODB_TRACE_QUERY 1  /* aiodb_query, _conn_, _tx_, the _sync helpers,
                                the metadata calls */
#define AIODB_TRACE_MANY 2   /* one aiodb_query_many call, all its rows
                                (its own BEGIN/SAVEPOINT and end included) */
#define AIODB_TRACE_CURSOR 3 /* a cursor's statement opened (aiodb_iterate) */
#define AIODB_TRACE_FETCH 4  /* one batch of a cursor (aiodb_cursor_next);
                                sql is the cursor's */
#define AIODB_TRACE_TX 5     /* a transaction's BEGIN or SAVEPOINT, or its
                                end (COMMIT, ROLLBACK, RELEASE SAVEPOINT):
                                traced only when aiodb sent one */
#define AIODB_TRACE_RUN 6    /* an aiodb_run function (aiodb_db_run,
                                aiodb_tx_run): your code, timed */

/* Options for aiodb_open(). Zero in any field means "the URL's value, or
 * the default"; a non-zero field wins over the URL. Initialise with
 * `aiodb_options o = {0};` or aiodb_options_init(). */
typedef struct aiodb_options {
  aiodb_cq *cq;             /* where futures report; NULL: the db's own cq */
  unsigned min_size;        /* connections opened at once, in the
                               background, and kept open (default 1) */
  unsigned max_size;        /* most connections (default 10 for PostgreSQL
                               and MySQL, 1 for SQLite) */
  size_t stack_size;        /* worker stack bytes (default 256 KiB, at
                               most 1 GiB; raised to PTHREAD_STACK_MIN) */
  int busy_timeout_ms;      /* SQLite busy timeout (default 5000; not
                               negative); the other drivers ignore it */
  int timeout_ms;           /* per-statement timeout, ms (default 0: none) */
  unsigned statement_cache; /* prepared statements kept per connection
                               (default 64; the URL's statement_cache=0
                               turns the cache off) */
  int force_rollback;       /* 1: the whole db runs inside one transaction
                               rolled back at close (test isolation); one
                               connection; aiodb_begin() makes SAVEPOINTs */
  unsigned spin_us;          /* before a worker or a waiter sleeps, spin
                               this long (µs, at most 1000) looking for
                               work or an answer: lower latency with one
                               call in flight, for CPU (default 0: the
                               adaptive spin of aiodb_cq_set_spin, which
                               the URL's adaptive_spin=0 turns off) */
  unsigned pipeline;        /* PostgreSQL: most statements found queued
                               together that a worker sends in one round
                               trip (default 64, at most 1024; the URL's
                               pipeline=0 turns it off) */
  unsigned worker_nice;     /* Linux: added to each worker thread's nice
                               value (at most 19), so that a GUI or loop
                               thread wins the CPU from busy workers */
  unsigned worker_slice_us; /* Linux 6.12 on: each worker's scheduler slice,
                               µs (at most 100000); 0: the kernel's */
  int close_timeout_ms;     /* once the db is closing (aiodb_close,
                               aiodb_db_free), a connection whose driver
                               call has not returned for this long, ms, is
                               abandoned: see aiodb_close (default 10000;
                               the URL's close_timeout_ms=0: never) */
  int (*on_connect)(void *native, void *ud); /* run on every connection
                               just opened, before any call: see "Connection
                               setup" below; NULL: none (no URL form) */
  void *on_connect_ud;      /* its ud, not copied; ignored without it */
  /* Tracing and slow queries (sqlite3_trace_v2's idea): trace(t,
   * trace_ud) runs once for each statement (AIODB_TRACE_* above say which
   * calls count) once it completed, whatever its outcome (one refused
   * before it ran has run_ns 0 and conn_id 0), on the caller's side and
   * never on a worker:
   *  - a future with a callback: on the thread dispatching its cq, just
   *    before the callback;
   *  - one without: in the first aiodb_future_done() that answers 1 or
   *    aiodb_future_wait() that returns 0 (the _sync helpers' own wait
   *    too), else in aiodb_future_free();
   *  - one freed while pending, and those aiodb runs on futures of its own
   *    (a tx's BEGIN, a cursor's open, aiodb_tx_free()'s ROLLBACK): at the
   *    next dispatch of the cq, or, for a cq never dispatched, before the
   *    trace of the next future of that cq collected as above, or at
   *    aiodb_db_free() (a db's own cq).
   * Futures dropped by aiodb_cq_free() are not traced. The worker only
   * reads the clock as a statement starts and ends (and submission once):
   * without trace that costs one test per statement. trace must not
   * block; it may make aiodb calls. */
  void (*trace)(const aiodb_trace *t, void *ud);
  void *trace_ud;
  unsigned slow_query_ms;   /* 0: every statement is traced; else only those
                               whose queued_ns + run_ns reaches it, ms (at
                               most 2147483647; also the URL's
                               slow_query_ms=, which this field overrides) */
  int trace_values;         /* 1: aiodb_trace.args holds the values bound
                               (off by default: values may be secrets; no
                               URL option, for URLs live in config files) */
  /* The pool (docs/guide.md, chapter 21). min_size connections are kept
   * open: one that breaks, idles out or ages out is replaced, and a failed
   * connect is retried in the background after 100 ms, then twice as long
   * each time up to 5 s, until the db closes. Each field below is also a
   * URL option of its name, where 0 turns it off; none may be negative
   * (AIODB_EINVAL). */
  int acquire_timeout_ms;   /* a call that waits this long for a connection
                               fails with AIODB_ETIMEDOUT (default 30000) */
  int idle_timeout_ms;      /* connections above min_size idle this long
                               close (default 600000) */
  int max_lifetime_ms;      /* a connection this old is replaced once idle
                               and unpinned (default 1800000 for PostgreSQL
                               and MySQL; SQLite: 0, never) */
  int idle_check_ms;        /* a connection idle this long is pinged before
                               it takes work; one that fails is replaced
                               and the work goes to another (default 30000;
                               SQLite has nothing to ping) */
  int leak_detection_ms;    /* a connection pinned (aiodb_acquire, a tx, a
                               cursor) this long raises AIODB_DIAG_LEAK
                               once (default 0: off) */
  const char *const *replicas; /* read replicas: nreplicas URLs of the db's
                               engine (not escaped; at most 16), read
                               during aiodb_open only; given, they replace
                               the URL's replica= options: see
                               aiodb_replica() */
  size_t nreplicas;         /* 0: the URL's replica= options, if any */
  unsigned reserved[3];     /* zero (AIODB_EINVAL otherwise) */
} aiodb_options;

/* Sets every field of *opts to zero ("not set"). NULL is a no-op. */
AIODB_EXTERN void aiodb_options_init(aiodb_options *opts);

/* Connection setup: opts->on_connect(native, opts->on_connect_ud) runs on
 * each connection's worker right after it connects, with the driver's
 * handle (sqlite3*, PGconn* or MYSQL*, as aiodb_run gives it), before any
 * call runs on it and before force_rollback's BEGIN: for what each session
 * needs (sqlite3_create_function, a collation, a PRAGMA, SET search_path,
 * SET time_zone). It runs for every connection the db ever opens: each of
 * a pool's, and each one that replaces a connection that broke.
 *
 * Return 0 for success. Anything else fails that connection's open as a
 * failed connect does: the handle is closed, the calls waiting for that
 * connection fail with the callback's error, and a later call connects
 * (and runs on_connect) again. The code is the return value when it is one
 * of the AIODB_E... codes (-1 to -21; mind that -1 is AIODB_EINVAL), else
 * AIODB_ECONNECT. The message is the one given to aiodb_on_connect_error(),
 * or else "on_connect failed (returned N)", followed by ": " and the client
 * library's last error on the handle when there is one (sqlite3_errmsg,
 * PQerrorMessage's first line, mysql_error), whose native code and SQLSTATE
 * then come with it.
 *
 * Rules, as for an aiodb_run function: it runs on a worker thread with no
 * lock of aiodb held, and a pool opens connections in parallel, so it may
 * run on several workers at once: it must be thread-safe, and so must what
 * ud points to (not copied: keep it alive until aiodb_db_free returns). It
 * must not close the handle, keep it, or leave a transaction or a result
 * open on it; nor wait on a call of its own db: aiodb_future_wait and the
 * _sync helpers fail there with AIODB_EDEADLK (the call they submitted
 * stays queued for the pool), and aiodb_db_free is refused. Leave alone
 * what aiodb sets up at connect: PostgreSQL's extra_float_digits, MySQL's
 * character set, the URL's PRAGMAs. It is never interrupted; a close that gives up on a stuck
 * connection (close_timeout_ms) shuts its socket down under it. */

/* Inside on_connect: message (copied, as one line; NULL or "" says
 * nothing) becomes the error of the failing connect, if on_connect then
 * returns non-zero. Thread-local: it reaches only the on_connect running on
 * the calling thread; a later call replaces the message. Called anywhere
 * else it is ignored and raises AIODB_DIAG_MISUSE. */
AIODB_EXTERN void aiodb_on_connect_error(const char *message);

/* Constructor. Never blocks: the URL is checked here, connections open on
 * their workers and a failure to connect is the outcome of the first call
 * that needs the connection. opts and err may be NULL.
 *
 * URL forms (SQLAlchemy's):
 *   sqlite:///relative.db   sqlite:////abs/path.db
 *   sqlite://               (memory; one database shared by every pooled
 *                            connection of this db)
 *   postgresql://user:pw@host:port/db   mysql://user:pw@host:port/db
 * with query options, e.g. ?max_size=4&busy_timeout=2000&journal_mode=wal
 * (docs/guide.md lists them all).
 * Failover (PostgreSQL and MySQL): several hosts, tried in order, each for
 * connect_timeout, the first that answers and fits target_session_attrs
 * kept: postgresql://u:pw@h1:5432,h2:5432/db or ?host=h1,h2&port=p1,p2
 * (one port for all, or one each), with target_session_attrs=any,
 * read-write, read-only, primary, standby or prefer-standby (AIODB_EINVAL
 * for another value or for lists of different lengths). MySQL reads
 * primary/standby as read-write/read-only (@@read_only or
 * @@innodb_read_only). load_balance_hosts=random needs libpq 16 or later
 * at run time (AIODB_EUNSUPPORTED before). Calls running on a server that
 * goes away fail with AIODB_ECONNLOST; the next call connects anew, to
 * whichever host fits then; nothing is retried (docs/guide.md,
 * "Failover"). Percent-escapes are decoded. A password
 * must percent-encode '/', '?', '@' and '&' (%2F, %3F, %40, %26): messages
 * quote no option value, and no option name that may be a piece of a
 * password cut there, and a URL with a password and an '@' in its path or
 * in an option name is refused (AIODB_EINVAL). PostgreSQL and MySQL
 * connections get network defaults unless the URL says otherwise:
 * connect_timeout=10 (seconds), TCP keepalives (keepalives_idle=60,
 * keepalives_interval=10, keepalives_count=6) and tcp_user_timeout=120000
 * (ms), so that a server that stops answering is given up on.
 * TLS: PostgreSQL takes libpq's own options (sslmode=verify-full&
 * sslrootcert=/path/ca.pem, ...), MySQL ssl_mode= and ssl_ca=; a server
 * or certificate they refuse fails the first call that needs the
 * connection with AIODB_ECONNECT and the client library's reason
 * (docs/guide.md, "TLS to PostgreSQL" and "MySQL and MariaDB").
 * PostgreSQL behind a pooler in transaction mode (PgBouncer's
 * pool_mode=transaction) needs pgbouncer=1 (a boolean): statements go
 * unnamed, each in one round trip with one Sync, the statement cache is
 * off whatever statement_cache says, and no session SET runs after
 * connecting (docs/guide.md, "Behind PgBouncer"). Session mode needs
 * nothing. MySQL's bulk=0 (a boolean, default 1) runs aiodb_query_many
 * one execute per row even where its rows could go several to an execute
 * (INSERTs of many rows, MariaDB's bulk).
 *
 * Returns NULL and fills err on a malformed URL or option (AIODB_EINVAL), a
 * scheme whose driver is not built (AIODB_EUNSUPPORTED), or OOM; and with
 * AIODB_ESYS when no completion queue or worker thread can be made. url
 * and opts are read during the call only; opts->cq must outlive the db.
 * The caller frees the db with aiodb_db_free(). */
AIODB_EXTERN aiodb_db *aiodb_open(const char *url, const aiodb_options *opts,
                                  aiodb_error *err);

/* Constructor: a handle the program already opened, as a db of exactly one
 * connection. driver is "sqlite", "postgresql" or "mysql" (and the aliases
 * aiodb_open takes as schemes: "sqlite3", "postgres", "mariadb"); native is
 * that driver's sqlite3*, PGconn* or MYSQL*, connected and idle. opts (may
 * be NULL) as for aiodb_open, but min_size and max_size must be 0 or 1;
 * err may be NULL. Never blocks: the checks below are local calls, no
 * round trip.
 *
 * Ownership. On success the db owns the handle (close_at_end 1) or borrows
 * it (close_at_end 0), from this call until aiodb_db_free() returns; the
 * program must not touch it meanwhile, from any thread: it reaches it only
 * inside aiodb_run functions, which get this same pointer. Then, with
 * close_at_end 1 it is closed (sqlite3_close_v2, PQfinish, mysql_close);
 * with 0 it is the program's again, open, and as aiodb found it: a
 * transaction aiodb left open is rolled back, every statement aiodb
 * prepared on it is finalized, deallocated or closed, and every setting
 * aiodb changed is restored (PostgreSQL's extra_float_digits; MySQL's
 * auto-reconnect and multi-statements). On failure (NULL) nothing was done
 * to the handle, whatever close_at_end says: it is still the program's.
 *
 * Refused with AIODB_EINVAL, naming the problem: driver or native NULL, an
 * unknown driver, a bad option (AIODB_EUNSUPPORTED: a driver not built
 * into this aiodb), and a handle aiodb cannot use as it is:
 *   SQLite: inside a transaction (sqlite3_get_autocommit() is 0), a
 *     statement stepped and not reset, or a library built single-threaded
 *     (sqlite3_threadsafe() is 0: the handle cannot move to a worker).
 *   PostgreSQL: PQstatus() not CONNECTION_OK; inside a transaction block,
 *     a failed one, or a command whose results were not all read
 *     (PQtransactionStatus() not PQTRANS_IDLE); pipeline mode; PQisBusy();
 *     nonblocking mode (PQsetnonblocking).
 *   MySQL/MariaDB: not connected; a result not read to its end or more
 *     results pending (mysql_more_results); inside a transaction; autocommit
 *     off (mysql_autocommit(m, 0)).
 *
 * What aiodb leaves as the program set it: SQLite's busy timeout (unless
 * opts->busy_timeout_ms sets one, which stays), PostgreSQL's notice
 * processor (then called on the worker thread), MySQL's character set
 * and CLIENT_FOUND_ROWS (without it, affected counts are rows changed, not
 * rows matched). Cancel and deadlines work as for aiodb_open:
 * sqlite3_interrupt, PQcancel, and KILL QUERY over a side connection made
 * with the MYSQL handle's host, port or socket, user and password.
 *
 * The one connection is never replaced. Once it has broken (the server
 * gone, the session killed), every call fails with AIODB_ECONNLOST ("the
 * adopted connection broke, and a db made by aiodb_open_native cannot
 * reconnect ..."); free the db, and give the program a new handle. The
 * caller frees the db with aiodb_db_free(). */
AIODB_EXTERN aiodb_db *aiodb_open_native(const char *driver, void *native,
                                         int close_at_end,
                                         const aiodb_options *opts,
                                         aiodb_error *err);

/* Graceful close: work already queued finishes, then the workers quit. The
 * returned future completes (without error) once every worker has quit. The
 * db handle stays valid; every later call on it completes at once with
 * AIODB_EALREADYQUIT. A second close returns an already-completed future.
 * The first close needs no memory (its future is made by aiodb_open), so
 * it returns NULL only for a NULL db; a later one also when out of memory.
 *
 * Bounded: a close never waits forever on a server that stopped answering.
 * close_timeout_ms (option and URL option; default 10000, 0: no bound)
 * after the close began, and again every close_timeout_ms, a connection
 * that has begun no new call since the last look (stuck in its connect, or
 * in one call) is abandoned: its socket is shut down, the call fails at
 * once (AIODB_ECONNLOST, or AIODB_ECONNECT for a connect) and the
 * connection's queued calls fail with AIODB_EALREADYQUIT. A connection that
 * keeps finishing calls is never abandoned, so queued work still drains.
 * Only network calls can be abandoned: a SQLite statement, or an aiodb_run
 * function that does not use the connection's socket, runs to its end. */
AIODB_EXTERN aiodb_future *aiodb_close(aiodb_db *db);

/* Destructor: closes if still open, waits for queued work to finish and
 * joins every worker, so it is bounded as aiodb_close is (close_timeout_ms
 * for a call that does not return). When the last db is freed no aiodb
 * thread is left (the deadline timer is joined too). Futures of this db
 * stay valid and are still the caller's to free. Needs no memory. Must
 * not be called from one of the db's own workers (inside aiodb_run): that
 * is refused with a diagnostic. NULL is a no-op.
 *
 * fork(): the workers and connections of a db stay in the process that
 * opened it. In a child, every call on an inherited db completes at once
 * with AIODB_EALREADYQUIT ("... opened before fork() ..."), calls still
 * pending at the fork included once the child frees the db. A child may
 * only free an inherited db (which neither joins nor touches the parent's
 * connections, whose handles it leaves as they are) and open dbs of its
 * own; it should not dispatch an inherited cq, whose descriptor it shares
 * with the parent. */
AIODB_EXTERN void aiodb_db_free(aiodb_db *db);

/* Read replicas (aio-databases' replicas=, docs/guide.md "Read
 * replicas"): a db opened with replica URLs (the URL option replica=URL,
 * repeatable, the replica's URL percent-escaped as a whole; or
 * aiodb_options.replicas) has a read-only view, which this returns:
 * borrowed, valid until aiodb_db_free(db), which frees it; NULL when db
 * has no replica (a view has none either), or db is NULL. Common use:
 *     aiodb_db *reader = aiodb_replica(db) ? aiodb_replica(db) : db;
 *
 * The view is an aiodb_db like any other: every call that takes a db
 * works on it (queries, aiodb_iterate, aiodb_begin, aiodb_acquire,
 * aiodb_run ...), its futures report to db's cq, and db stays fully
 * usable. Its pool, its own: the primary's min_size and max_size, each
 * raised to the number of replicas (min_size unless 0), and the primary's
 * other core options (timeout_ms, statement_cache, pipeline, on_connect
 * ...). Each connection opens on one replica: the one with the fewest of
 * the view's connections among those up, in turn; a call goes to the
 * view's idle connections in turn (to the first connection free when none
 * is idle), so that calls spread round robin over the replicas even one at
 * a time. A replica whose connect fails, or on which a connection broke,
 * is down: skipped while any other answers, and tried again after a
 * backoff (0.5 s, doubling up to 30 s); once it is due, a connection of
 * the busiest replica leaves between two calls and a new one opens on it.
 * The connect error is a call's only when no replica can be connected
 * ("replica N of M: ..."). A SQLite replica file must exist: a read-only
 * open creates nothing.
 *
 * Every connection of the view is read-only, as the server enforces it:
 * PostgreSQL and MySQL/MariaDB sessions are SET ... TRANSACTION READ ONLY
 * at connect (before on_connect runs), and a SQLite replica, a database
 * file (the db's own or a copy), is opened SQLITE_OPEN_READONLY. A write
 * through the view, in a transaction or not, fails with AIODB_EREADONLY,
 * as does one that a read-only server refuses (a hot standby, MySQL's
 * read_only) on any db. (A statement that asks for a read-write
 * transaction itself, START TRANSACTION READ WRITE, overrides the
 * session's default on a server that takes writes.) A replica lags its
 * primary: a row just written may not be there yet.
 *
 * aiodb_open refuses (AIODB_EINVAL, naming the replica by its place and
 * never quoting a password): a replica URL that is malformed, of another
 * engine, or has an option its driver does not know (core options such as
 * max_size come from the db's URL only); more than 16 replicas; a SQLite
 * replica in memory or with journal_mode=; replicas with force_rollback
 * (its writes are never committed, so no replica would see them).
 *
 * aiodb_close(db) closes the view too, and its future completes once both
 * have closed. aiodb_close and aiodb_db_free on the view itself are
 * refused with an AIODB_DIAG_MISUSE diagnostic: the close's future fails
 * with AIODB_EINVAL, the free does nothing. */
AIODB_EXTERN aiodb_db *aiodb_replica(aiodb_db *db);

/* The cq this db's futures report to (opts->cq or its own); borrowed: the
 * db's own cq lives until aiodb_db_free(). NULL if db is NULL. */
AIODB_EXTERN aiodb_cq *aiodb_db_cq(aiodb_db *db);

/* Auto-pipelining counters, for tests and tuning: how many batches of
 * statements found queued together were sent, and how many statements they
 * held in all (batched / batches is the mean depth). Either pointer may be
 * NULL; both stay 0 on a driver that sends one statement at a time (SQLite,
 * MySQL) and for a NULL db. */
AIODB_EXTERN void aiodb_db_stats(const aiodb_db *db, uint64_t *batches,
                                 uint64_t *batched);

/* The state of a db's pool, for metrics: a snapshot taken under the db's
 * lock, so its numbers agree with each other. The connections counted in
 * open are each in exactly one of idle, busy and pinned. */
typedef struct aiodb_pool_stats {
  unsigned open;       /* connections open (connected, not closed) */
  unsigned idle;       /* open, unpinned, running nothing */
  unsigned busy;       /* open, unpinned, running a call (or a check) */
  unsigned pinned;     /* open and pinned by aiodb_acquire, a tx or a cursor */
  unsigned opening;    /* connecting */
  unsigned waiting;    /* calls queued for any connection of the pool */
  unsigned min_size, max_size;
  uint64_t created;    /* connects that succeeded */
  uint64_t closed;     /* connections closed, whatever the reason */
  uint64_t broken;     /* of those: found broken (and replaced) */
  uint64_t idle_closed;       /* of those: idle_timeout_ms */
  uint64_t expired;           /* of those: max_lifetime_ms */
  uint64_t connect_failures;  /* connects that failed */
  uint64_t checks;            /* pings of idle connections */
  uint64_t check_failures;    /* of those: failed (the connection replaced) */
  uint64_t acquire_timeouts;  /* calls failed by acquire_timeout_ms */
  uint64_t leaks;             /* AIODB_DIAG_LEAK raised */
  uint64_t batches, batched;  /* as aiodb_db_stats() */
  uint64_t reserved[6];       /* zero */
} aiodb_pool_stats;

/* Fills *out with db's pool state. 0, or AIODB_EINVAL for a NULL db or
 * out. Never blocks on the network; takes the db's lock for a walk of its
 * connections and waiting calls. Works on a closed db too (the counters
 * stay). */
AIODB_EXTERN int aiodb_db_pool_stats(const aiodb_db *db, aiodb_pool_stats *out);

/* The driver's name: "sqlite", "postgresql" (also for postgres://) or
 * "mysql" (also for mariadb://); static storage. NULL if db is NULL. */
AIODB_EXTERN const char *aiodb_db_driver(const aiodb_db *db);

/* What "?" becomes in this driver's SQL: "?" (SQLite, MySQL) or "$1"
 * (PostgreSQL), as asyncqlio's emit_param. Static storage; NULL if db is
 * NULL. */
AIODB_EXTERN const char *aiodb_param_style(const aiodb_db *db);

/* ------------------------------------------------------------------------
 * Statements
 *
 * SQL uses one placeholder style for every driver: "?" positional, or
 * ":name" named. The two styles do not mix in one statement. "??" is a
 * literal "?". Placeholders inside string literals, quoted identifiers,
 * comments, "::" casts and dollar-quoted bodies are left alone. A wrong
 * argument count fails the future with AIODB_EINVAL.
 *
 * ":name" placeholders take one argument per distinct name (a repeated
 * name reuses its value), bound in one of two ways:
 *  - values without names (aiodb_int(), ...): in order of first
 *    appearance, ":b, :a, :b" taking { b, a };
 *  - values named with aiodb_named(): each by its name, whatever the order
 *    of the array. Names are matched exactly (case-sensitive, without the
 *    ':'). AIODB_EINVAL, with a message that names it, when a ":name" has
 *    no value of that name, when a value's name is not in the statement,
 *    or when two values have one name.
 * Named and unnamed values do not mix in one call, and named values are
 * refused for "?" placeholders: both AIODB_EINVAL. For aiodb_query_many
 * the first row's names name the columns; the later rows may repeat them
 * (the same name at the same position) or leave their values unnamed.
 *
 * Text that holds no statement (empty, blanks, comments only, ";") runs on
 * every driver as a statement that does nothing: a result of no columns
 * and no rows, affected 0. Cursors and aiodb_query_many (with rows to
 * run), which take exactly one statement, fail it with AIODB_EINVAL.
 *
 * Statements are prepared once per connection and kept (statement_cache).
 * When a table changes shape under a cached statement (ALTER TABLE), the
 * statement is prepared again and answers with the new columns. Where it
 * cannot safely run again (on MySQL a write that has run; on PostgreSQL a
 * transaction block, which the failure aborted, with SQLSTATE 0A000), it
 * fails once instead and the next call prepares it afresh; the guide's
 * statement cache chapter has the rules for each driver.
 *
 * On a db, each call runs on a pooled connection; on a conn (from
 * aiodb_acquire) calls run in order on that one connection.
 *
 * The statement codes: a statement's future (these calls, the tx and
 * metadata calls, aiodb_cursor_next) completes with 0 or one of
 *  - AIODB_EINVAL: sql is NULL, args is NULL with values promised, a value
 *    is not valid, the argument count is wrong, "?" and ":name" are mixed,
 *    a name is missing, unknown or repeated, or named values are mixed
 *    with unnamed ones or given for "?",
 *    or the driver refuses the statement's shape (arguments bound to
 *    several statements, several statements where one is required);
 *  - AIODB_ERANGE: arguments too many or too large, or a value out of the
 *    database's range;
 *  - AIODB_ENOMEM: out of memory;
 *  - AIODB_ECANCELED: aiodb_future_cancel() dropped or interrupted it;
 *  - AIODB_ETIMEDOUT: its deadline (aiodb_future_set_timeout(), the db's
 *    timeout_ms) passed, or MariaDB's max_statement_time stopped it; or,
 *    for a call on the db, no connection of the pool took it within
 *    acquire_timeout_ms ("no connection within 200 ms: the pool's 4
 *    connections are busy ... and 12 calls wait");
 *  - the database's refusal: AIODB_ESQL, AIODB_ECONSTRAINT, AIODB_EBUSY,
 *    AIODB_EREADONLY, AIODB_EIO, AIODB_ECONNECT (SQLite: the file can no
 *    longer be opened), and on PostgreSQL AIODB_ETXABORTED when the
 *    session is in a failed transaction of its own (SQLSTATE 25P02);
 *  - AIODB_ECONNLOST: the server closed or lost the connection while it
 *    ran (PostgreSQL, MySQL), which is then replaced; whether the statement
 *    took effect is unknown;
 *  - the error of opening a connection (usually AIODB_ECONNECT) when no
 *    connection of the db could be opened to run it;
 *  - AIODB_EALREADYQUIT: the db was closed before the call, or the
 *    connection it was queued on quit before it ran;
 *  - AIODB_ESYS: no worker thread could be started to run it.
 * docs/guide.md (chapters 2 and 19) gives each driver's mapping.
 * ------------------------------------------------------------------------ */

/* Runs sql with args on a pooled connection of db: the first connection
 * free takes it, in submission order with the db's other pool calls
 * (several connections run in parallel, so calls may start and finish in
 * any order: calls on a db are ordered with each other only with
 * max_size=1; to order them, make them on one pinned connection or tx).
 * The future's result holds every row. NULL only for a NULL db or OOM;
 * sql and args are copied before the call returns. Completes with 0 or a
 * statement code. The db's timeout_ms gives it a deadline. */
AIODB_EXTERN aiodb_future *aiodb_query(aiodb_db *db, const char *sql,
                                       const aiodb_value *args, size_t nargs);
/* The same on a connection pinned with aiodb_acquire(): calls made on conn
 * run one at a time, in submission order, on it alone. A tx begun on conn
 * with aiodb_conn_begin() is open meanwhile: the statement runs inside it
 * but is not one of its statements, so its failure does not abort the tx;
 * on PostgreSQL the server aborts the transaction all the same, and the
 * commit then fails with AIODB_ETXABORTED (SQLSTATE 25P02): the server
 * rolled everything back. (Any COMMIT that PostgreSQL answers with
 * ROLLBACK fails that way.)
 * NULL only for a NULL conn or OOM. conn must still be pinned (make no call
 * on it after aiodb_release()). Completes as aiodb_query(); with
 * AIODB_EALREADYQUIT once conn's worker has quit (the db was closed, or the
 * connection broke). */
AIODB_EXTERN aiodb_future *aiodb_conn_query(aiodb_conn *conn, const char *sql,
                                            const aiodb_value *args,
                                            size_t nargs);

/* One statement run once per row of parameters, prepared once, in one job
 * on one connection: rows holds nrows * ncols values, row after row. The
 * batch is atomic: a failing row undoes the rows before it (a transaction
 * of its own, or a SAVEPOINT inside an open one) and fails the future.
 * The result's affected count is the sum over all rows, its last id the
 * last row's (MySQL and MariaDB: see below), and rows a statement returns
 * (RETURNING) are collected in order. nrows == 0 is a successful no-op
 * (nothing is sent; the argument count is still checked).
 *
 * ncols must be the statement's argument count and sql exactly one
 * statement (AIODB_EINVAL otherwise, as for rows == NULL with nrows > 0,
 * even with ncols 0).
 * A failing row fails the future with that row's code and SQLSTATE, and a
 * message that starts "row N: " (N from 1); a statement that fails as a
 * whole (it does not prepare) has no row number. NULL only for a NULL db or
 * OOM; every value is copied before the call returns. Completes as
 * aiodb_query() otherwise; for deadlines and cancel the batch is one
 * statement, and interrupting it undoes all its rows. On MySQL and
 * MariaDB a single-row INSERT/REPLACE ... VALUES (tuple) into a
 * transactional table goes as INSERTs of up to 1,000 rows, VALUES
 * (tuple),(tuple),...; on MariaDB other INSERT/REPLACE/UPDATE/DELETE
 * without RETURNING send their rows in bulk (the URL's bulk=0: one by one
 * for both); a table that cannot roll back (MyISAM) may then name the
 * failing run's rows ("rows N to M: ") instead of the row. Either way the
 * last id is the server's for the last run (for generated ids, that run's
 * first) (docs/guide.md, chapter 11). */
AIODB_EXTERN aiodb_future *aiodb_query_many(aiodb_db *db, const char *sql,
                                            const aiodb_value *rows,
                                            size_t nrows, size_t ncols);
/* The same on a pinned connection, in order with its other calls, as
 * aiodb_conn_query(). */
AIODB_EXTERN aiodb_future *aiodb_conn_query_many(aiodb_conn *conn,
                                                 const char *sql,
                                                 const aiodb_value *rows,
                                                 size_t nrows, size_t ncols);

/* Streams the rows of one statement in batches of at most batch_rows (0:
 * 1000). The cursor pins a pooled connection until it is freed; each batch
 * is fetched only when asked for (backpressure), so memory stays bounded by
 * the batch, not the result. Returns NULL only for a NULL db or sql, or
 * OOM; every other failure is the outcome of the first aiodb_cursor_next().
 * sql and args are copied before the call returns. The statement does not
 * use the statement cache. Free with aiodb_cursor_free(). */
AIODB_EXTERN aiodb_cursor *aiodb_iterate(aiodb_db *db, const char *sql,
                                         const aiodb_value *args, size_t nargs,
                                         size_t batch_rows);
/* The same on a pinned connection (which stays pinned after the cursor),
 * in order with its other calls. NULL only for a NULL conn or sql, or OOM. */
AIODB_EXTERN aiodb_cursor *aiodb_conn_iterate(aiodb_conn *conn,
                                              const char *sql,
                                              const aiodb_value *args,
                                              size_t nargs, size_t batch_rows);
/* The next batch: a future whose result holds up to batch_rows rows, and no
 * rows (but its columns) once the statement is exhausted, then ever after.
 * Calls queue in order; the caller owns each future. NULL only for a NULL
 * cur or OOM. Completes with 0 or a statement code; once the cursor's
 * statement could not be opened, or a batch failed, every later batch
 * fails with the same error (free the cursor then). The db's timeout_ms
 * gives each batch its own deadline; canceling a running batch interrupts
 * it. */
AIODB_EXTERN aiodb_future *aiodb_cursor_next(aiodb_cursor *cur);
/* Destructor: stops the statement early if it still runs and gives the
 * connection back, after the batches already asked for; futures from
 * aiodb_cursor_next() stay the caller's. Needs no memory (its job is made
 * by aiodb_iterate). Make no call with cur afterwards. NULL is a no-op. */
AIODB_EXTERN void aiodb_cursor_free(aiodb_cursor *cur);

/* ------------------------------------------------------------------------
 * Synchronous helpers: for setup before a loop runs, command-line tools
 * and threads of your own. Each submits its statement as aiodb_query()
 * does (a pooled connection, the db's timeout_ms) and waits for it, under
 * aiodb_future_wait()'s rules (see BlockingWarning). sql and args are
 * copied as for aiodb_query(). Each fills err, when not NULL, on success
 * too (see aiodb_error), and fails with
 *  - AIODB_EINVAL for a NULL db ("<call>: db is NULL");
 *  - AIODB_ENOMEM;
 *  - a statement code, err holding the statement's message, SQLSTATE and
 *    native code (a UNIQUE violation: AIODB_ECONSTRAINT with "23505" and
 *    7 on PostgreSQL, "23000" and 1062 on MySQL, "23505" and 2067 on
 *    SQLite);
 *  - the wait's refusal: AIODB_EBLOCKING (under AIODB_WARNINGS=error, on
 *    the thread that dispatches the db's cq) or AIODB_EDEADLK (inside one
 *    of the db's workers). The statement was submitted all the same and
 *    still runs, and nothing of its outcome is reported.
 * ------------------------------------------------------------------------ */

/* Every row: returns a result the caller frees with aiodb_result_free() (a
 * result with no rows for a statement without any), or NULL with err
 * filled. */
AIODB_EXTERN aiodb_result *aiodb_query_sync(aiodb_db *db, const char *sql,
                                            const aiodb_value *args,
                                            size_t nargs, aiodb_error *err);

/* A statement run for its effect (DDL, INSERT, UPDATE, DELETE ...), with
 * nothing to free: returns the rows it changed, as aiodb_result_affected()
 * counts them (0 for DDL), or -1 with err filled. Rows the statement
 * returns (a SELECT, RETURNING) are dropped. */
AIODB_EXTERN int64_t aiodb_exec_sync(aiodb_db *db, const char *sql,
                                     const aiodb_value *args, size_t nargs,
                                     aiodb_error *err);
/* aiodb_exec_sync(), and *last_id receives the statement's
 * aiodb_result_last_id(): SQLite's rowid of the last row inserted, MySQL's
 * LAST_INSERT_ID() (for several rows, the first's); 0 on PostgreSQL,
 * which has none, and 0 on failure. last_id may be NULL. Where an id must
 * come back on every engine, aiodb_query_int_sync() with INSERT ...
 * RETURNING id gives it (SQLite from 3.35, MariaDB from 10.5). */
AIODB_EXTERN int64_t aiodb_exec_sync_id(aiodb_db *db, const char *sql,
                                        const aiodb_value *args, size_t nargs,
                                        int64_t *last_id, aiodb_error *err);

/* One value (encode/databases' fetch_val): the first row's column col, a
 * column name as aiodb_result_col() finds it, or NULL for the first
 * column, read as aiodb_result_get_int() reads a cell; later rows are
 * ignored. Returns 0 with *out set, or the code (err filled, *out 0):
 * the codes above, AIODB_ENOROW when the statement returned no row,
 * AIODB_ENULL when the value is NULL, AIODB_EINVAL when no column is named
 * col (or the statement returns no columns), AIODB_ETYPE or AIODB_ERANGE
 * when the value is not an integer or is beyond int64_t. out may be
 * NULL. */
AIODB_EXTERN int aiodb_query_int_sync(aiodb_db *db, const char *sql,
                                      const aiodb_value *args, size_t nargs,
                                      const char *col, int64_t *out,
                                      aiodb_error *err);
/* The same, read as aiodb_result_get_float() reads a cell (*out 0.0 on
 * failure). */
AIODB_EXTERN int aiodb_query_float_sync(aiodb_db *db, const char *sql,
                                        const aiodb_value *args, size_t nargs,
                                        const char *col, double *out,
                                        aiodb_error *err);
/* The same, read as aiodb_result_get_text() reads a cell: *out receives a
 * NUL-terminated copy of the text, which the caller frees with
 * aiodb_free(), or NULL on failure. Text that holds NUL bytes reads up to
 * the first (aiodb_query_sync() has them all). */
AIODB_EXTERN int aiodb_query_text_sync(aiodb_db *db, const char *sql,
                                       const aiodb_value *args, size_t nargs,
                                       const char *col, char **out,
                                       aiodb_error *err);

/* ------------------------------------------------------------------------
 * Connections
 * ------------------------------------------------------------------------ */

/* Pins one pooled connection: the future completes once a connection is
 * free (first come, first served with the db's pool calls), and its
 * aiodb_future_conn() gives it, borrowed from the future: call
 * aiodb_release(), then free the future. Pinned connections serve only
 * calls made on them until released. Freeing the future first gives the
 * connection back all the same (and raises AIODB_DIAG_MISUSE if
 * aiodb_future_conn() had handed it out); a future freed before it
 * completed pins nothing. NULL only for a NULL db or OOM. Completes with
 * 0; AIODB_ECANCELED or AIODB_ETIMEDOUT when dropped while queued by
 * aiodb_future_cancel() or aiodb_future_set_timeout() (the db's timeout_ms
 * does not apply), or AIODB_ETIMEDOUT when no connection was free within
 * the db's acquire_timeout_ms; AIODB_EALREADYQUIT when the db was closed;
 * the error of
 * opening a connection (usually AIODB_ECONNECT) when none could be opened;
 * AIODB_ENOMEM, or AIODB_ESYS, when no worker thread could be started. */
AIODB_EXTERN aiodb_future *aiodb_acquire(aiodb_db *db);

/* Gives a pinned connection back to the pool, once (a connection whose
 * worker has quit may be released too). Calls already queued on it still
 * run first; make no call on conn afterwards. NULL is a no-op. */
AIODB_EXTERN void aiodb_release(aiodb_conn *conn);

/* The db a connection belongs to; borrowed. NULL if conn is NULL. */
AIODB_EXTERN aiodb_db *aiodb_conn_db(aiodb_conn *conn);

/* ------------------------------------------------------------------------
 * Transactions
 *
 * aiodb_begin() returns at once; the statements queued on the tx run in
 * order on the one connection it pins, which goes back to the pool when the
 * tx ends. A nested tx (aiodb_tx_begin) is a SAVEPOINT that can be rolled
 * back alone. When a statement inside a tx fails, the statements queued on
 * that tx after it fail with AIODB_ETXABORTED instead of running, and a
 * commit rolls back and fails with AIODB_ETXABORTED (its message quotes the
 * first error). A commit the database refuses is rolled back as well. A
 * connection that breaks under a tx aborts it the same way: the statement
 * that found it broken fails (AIODB_ECONNLOST), and the statements queued
 * after it and the commit fail with AIODB_ETXABORTED ("... the
 * transaction's connection broke ..."). A commit that fails for an
 * earlier statement carries that statement's SQLSTATE and native code.
 * aiodb_commit(), aiodb_rollback() and aiodb_tx_free() end the tx: the
 * handle is the library's once one of them is called. End every tx before
 * aiodb_db_free(); a db closed with a tx still open rolls it back.
 *
 * A statement of the tx that is canceled or runs past its deadline aborts
 * the tx too, whether it was interrupted while running or dropped while
 * still queued; after a drop, every statement of the tx that has not
 * started yet fails with AIODB_ETXABORTED, wherever it was queued. The ends
 * of a tx cannot be canceled: aiodb_future_cancel() on a commit or rollback
 * answers AIODB_EBUSY and a deadline set on one never fires, so each end
 * always runs and gives the connection back. On SQLite an interrupted write
 * (canceled, or past its deadline, while it ran) makes SQLite roll the whole
 * transaction back, savepoints included (MySQL's InnoDB does the same to the
 * loser of a deadlock): every level of the tx is then aborted, its
 * statements not yet run fail with AIODB_ETXABORTED, a commit fails with
 * AIODB_ETXABORTED and a rollback succeeds. If the BEGIN (SAVEPOINT)
 * itself fails, the tx's statements fail with AIODB_ETXABORTED, its commit
 * with AIODB_ETXABORTED ("the transaction could not begin: ..."), and its
 * rollback succeeds. Under force_rollback, aiodb_begin() and
 * aiodb_conn_begin() make SAVEPOINTs.
 * ------------------------------------------------------------------------ */

/* Constructor: queues BEGIN in the db's pool FIFO; the connection that
 * takes it is pinned to the tx until the tx ends. Returns at once; NULL
 * only for a NULL db or OOM. Every other failure (a closed db, no
 * connection) is the outcome of the tx's statements and of its end. End it
 * with aiodb_commit(), aiodb_rollback() or aiodb_tx_free(). */
AIODB_EXTERN aiodb_tx *aiodb_begin(aiodb_db *db);
/* A tx on a connection the caller pinned (aiodb_acquire), in order with its
 * other calls; the connection stays pinned after the tx. NULL only for a
 * NULL conn or OOM. */
AIODB_EXTERN aiodb_tx *aiodb_conn_begin(aiodb_conn *conn);
/* A SAVEPOINT inside parent, on the parent's connection, in order with the
 * parent's calls; parent must not have been ended. While it is open, queue
 * work on it rather than on parent, and end it before parent: once parent
 * has ended, its calls fail with AIODB_EALREADYQUIT. A failure inside it
 * aborts the savepoint alone. A savepoint asked for after a statement of an
 * enclosing tx failed or was dropped does not begin (on every driver, as
 * PostgreSQL's server would refuse it): its statements and its commit fail
 * with AIODB_ETXABORTED, its rollback succeeds. NULL only for a NULL parent
 * or OOM. */
AIODB_EXTERN aiodb_tx *aiodb_tx_begin(aiodb_tx *parent);

/* Queues a statement on tx: it runs on the tx's connection once the BEGIN
 * has, in order with the tx's other calls. NULL only for a NULL tx or OOM;
 * sql and args are copied before the call returns. Completes with 0, a
 * statement code, AIODB_ETXABORTED (not run: an earlier statement of the
 * tx failed or was dropped, or the tx could not begin; the message quotes
 * the first error) or AIODB_EALREADYQUIT (the tx or an enclosing one has
 * ended, or the db was closed). Its own failure (bad arguments included),
 * cancel or deadline aborts the tx. The db's timeout_ms gives it a
 * deadline. */
AIODB_EXTERN aiodb_future *aiodb_tx_query(aiodb_tx *tx, const char *sql,
                                          const aiodb_value *args,
                                          size_t nargs);
/* aiodb_query_many() on tx: the batch runs in a SAVEPOINT of its own
 * inside the tx, and a failing batch aborts the tx. Completes as
 * aiodb_tx_query(). */
AIODB_EXTERN aiodb_future *aiodb_tx_query_many(aiodb_tx *tx, const char *sql,
                                               const aiodb_value *rows,
                                               size_t nrows, size_t ncols);
/* aiodb_run() on the tx's connection, in order with the tx's calls. A
 * return value that fails the future (see aiodb_run), or a NULL fn, aborts
 * the tx. Not run,
 * with AIODB_ETXABORTED or AIODB_EALREADYQUIT, as aiodb_tx_query(). */
AIODB_EXTERN aiodb_future *aiodb_tx_run(aiodb_tx *tx, aiodb_run_fn fn,
                                        void *ud);

/* Ends the tx with COMMIT (RELEASE SAVEPOINT for a savepoint). The future
 * completes once it ran, with 0; with AIODB_ETXABORTED when the tx was
 * aborted (it was rolled back; the message quotes the first error, and the
 * SQLSTATE and native code are those of the statement that failed first)
 * or could not begin; with the database's error when it refused the
 * COMMIT (e.g. AIODB_ECONSTRAINT for a deferred foreign key), after which
 * the tx was rolled back; or with AIODB_EALREADYQUIT (an enclosing tx had
 * ended, the db was closed, the connection quit) or the error that kept
 * the tx from getting a connection. Cannot be canceled (AIODB_EBUSY). NULL
 * only for a NULL tx: the end of a tx needs no memory (its future is made
 * with the tx), nor do the BEGIN, SAVEPOINT, COMMIT and ROLLBACK the
 * library sends, so a tx never fails to begin or end for want of it. tx
 * is the library's from this call on. */
AIODB_EXTERN aiodb_future *aiodb_commit(aiodb_tx *tx);
/* Ends the tx with ROLLBACK (ROLLBACK TO and RELEASE SAVEPOINT for a
 * savepoint). Completes with 0 (also for a tx that was aborted or could
 * not begin), the database's error, AIODB_EALREADYQUIT or the error that
 * kept the tx from getting a connection, as aiodb_commit(). Cannot be
 * canceled (AIODB_EBUSY). NULL only for a NULL tx (it needs no memory, as
 * aiodb_commit()); tx is the library's from this call on. */
AIODB_EXTERN aiodb_future *aiodb_rollback(aiodb_tx *tx);
/* Ends a tx that was neither committed nor rolled back: rolls it back and
 * gives its connection back, without a future; needs no memory. NULL is a
 * no-op. */
AIODB_EXTERN void aiodb_tx_free(aiodb_tx *tx);

/* ------------------------------------------------------------------------
 * Metadata: futures whose results read like any query's.
 * ------------------------------------------------------------------------ */
/* Each runs as a pool statement, like aiodb_query(): NULL only for a NULL
 * db or OOM, completes with 0 or a statement code, gets the db's
 * timeout_ms. "User tables" are the base tables of the connection's
 * current database or schema (SQLite: the main database; PostgreSQL:
 * current_schema(); MySQL: DATABASE()): no views, no temporary tables. */

/* One TEXT column "name", a row per user table, sorted by name. */
AIODB_EXTERN aiodb_future *aiodb_table_names(aiodb_db *db);
/* One row, one INT column "present": 1 if name is a user table, else 0.
 * name is bound, never pasted into SQL; it is compared as the database
 * compares table names (SQLite ignores ASCII case; MySQL follows
 * lower_case_table_names; PostgreSQL matches exactly). A NULL name fails
 * the future with AIODB_EINVAL. */
AIODB_EXTERN aiodb_future *aiodb_has_table(aiodb_db *db, const char *name);
/* One row of TEXT columns: "driver" ("sqlite", "postgresql" or "mysql"),
 * "server_version" (the database's own: SQLite's sqlite_version(), e.g.
 * "3.40.1"; PostgreSQL's server_version setting, e.g. "15.18 (Debian
 * 15.18-0+deb12u1)"; MySQL's VERSION(), e.g. "10.11.19-MariaDB"),
 * "client_version" (the client library's: sqlite3_libversion(), libpq's
 * PQlibVersion() as "MAJOR.MINOR", mysql_get_client_info()) and
 * "aiodb_version". */
AIODB_EXTERN aiodb_future *aiodb_server_info(aiodb_db *db);
/* Reflection. table is bound, never pasted into SQL; a table (or view)
 * that does not exist gives an empty result, not an error; a NULL table
 * fails the future with AIODB_EINVAL. PostgreSQL takes "schema.table" or
 * a name in current_schema(); SQLite resolves it as an unqualified name (temp,
 * main, then attached databases); MySQL in DATABASE(). Names match as
 * aiodb_has_table's do.
 *
 * aiodb_columns: a row per column, in the table's order: "name" (TEXT),
 * "type" (TEXT, as declared: SQLite's declared type, possibly ""; the
 * PostgreSQL format_type(), e.g. "character varying(20)"; MySQL's
 * COLUMN_TYPE, e.g. "int(11)"), "nullable" (INT 0 or 1), "default" (TEXT,
 * the default's expression as the engine shows it, e.g. 'x' quoted or
 * nextval('t_id_seq'::regclass); NULL when there is none), "pk" (INT: its
 * position in the primary key from 1, or 0), "generated" (INT 1 for a
 * generated column, whose "default" is NULL) and "autoincrement" (INT 1
 * for SQLite's INTEGER PRIMARY KEY, a PostgreSQL identity or serial
 * column, MySQL's AUTO_INCREMENT). */
AIODB_EXTERN aiodb_future *aiodb_columns(aiodb_db *db, const char *table);
/* aiodb_indexes: a row per column of each index of table, sorted by index
 * name and position: "name" (TEXT, the index's; SQLite's own for UNIQUE
 * and PRIMARY KEY constraints are sqlite_autoindex_..., MySQL's primary
 * key is PRIMARY), "unique" (INT 0 or 1), "position" (INT, from 1) and
 * "column" (TEXT; NULL for an expression). PostgreSQL's INCLUDE columns
 * are left out; SQLite lists no index for an INTEGER PRIMARY KEY (the
 * rowid). */
AIODB_EXTERN aiodb_future *aiodb_indexes(aiodb_db *db, const char *table);
/* One TEXT column "name", a row per view of the current database or
 * schema (as for aiodb_table_names), sorted by name. */
AIODB_EXTERN aiodb_future *aiodb_view_names(aiodb_db *db);

/* ------------------------------------------------------------------------
 * The escape hatch: run your own blocking code on a connection's worker.
 * native is the driver's handle: sqlite3*, PGconn* or MYSQL*. fn's return
 * value becomes the future's aiodb_future_value(); a negative AIODB_E...
 * code also fails the future with it. fn must not close the handle.
 * PostgreSQL's COPY FROM STDIN and COPY TO STDOUT need it (PQputCopyData,
 * PQgetCopyData): a query, cursor or query_many fails them with
 * AIODB_EUNSUPPORTED, and the connection goes on.
 * ------------------------------------------------------------------------ */

/* Runs fn(native, ud) on conn's worker, in order with conn's other calls;
 * conn must be pinned (aiodb_acquire). fn may use native only while it
 * runs: it must not close or keep it, nor wait on a call that its own
 * worker would have to run (AIODB_EDEADLK); it may submit calls. ud is not
 * copied: keep it alive until the future is done. A return value from -1
 * to -21, one of the AIODB_E... codes (mind that -1 is AIODB_EINVAL),
 * fails the future with that code; any other value is success. NULL only
 * for a NULL conn or OOM. Completes with fn's outcome; AIODB_EINVAL for a
 * NULL fn; AIODB_ECANCELED or AIODB_ETIMEDOUT when dropped while queued
 * (a running fn is never interrupted, and the db's timeout_ms does not
 * apply); AIODB_EALREADYQUIT once conn's worker has quit. */
AIODB_EXTERN aiodb_future *aiodb_run(aiodb_conn *conn, aiodb_run_fn fn,
                                     void *ud);
/* The same on any pooled connection of db, in the db's pool FIFO; it can
 * also complete with the error of opening a connection and AIODB_ESYS, as
 * aiodb_query(). */
AIODB_EXTERN aiodb_future *aiodb_db_run(aiodb_db *db, aiodb_run_fn fn,
                                        void *ud);

/* ------------------------------------------------------------------------
 * Futures
 * ------------------------------------------------------------------------ */

/* 1 once the outcome is in, else 0 (also for NULL). An atomic load: no
 * lock, no syscall; once it returns 1, the outcome may be read on this
 * thread. With tracing (aiodb_options.trace), the first call that returns
 * 1 for a future without a callback runs its trace first, here. */
AIODB_EXTERN int aiodb_future_done(const aiodb_future *f);

/* Blocks until f is done or timeout_ms passes (timeout_ms < 0: no limit).
 * Returns 0 once done (the outcome is aiodb_future_error()'s),
 * AIODB_ETIMEDOUT if not done in time, AIODB_EINVAL for NULL, and refuses
 * with AIODB_EBLOCKING (under AIODB_WARNINGS=error, on the thread that
 * dispatches the cq: see BlockingWarning) or AIODB_EDEADLK (from inside the
 * worker that would have to run f). With tracing, the first return of 0
 * for a future without a callback runs its trace first, here. */
AIODB_EXTERN int aiodb_future_wait(aiodb_future *f, int timeout_ms);

/* Asks for cb(f, ud) to run on the cq's dispatching thread once f is done
 * (at the next aiodb_cq_dispatch() if it is done already). Set it once per
 * future: a second call, or a NULL f or cb, is ignored and raises
 * AIODB_DIAG_MISUSE. A future freed before its callback ran never calls it.
 * cb runs at most once, with f and ud (not copied: keep it alive until
 * then). */
AIODB_EXTERN void aiodb_future_on_done(aiodb_future *f, aiodb_callback cb,
                                       void *ud);

/* The same, with cb run by cq instead of the db's cq: the way one db serves
 * several threads, each running its own loop with its own cq. Each thread
 * submits its calls and names its own cq here; its callbacks then run only
 * where that cq is dispatched. f then belongs to cq in every respect (its
 * BlockingWarning looks at cq's dispatching thread). cq must outlive f's
 * callback; aiodb keeps it alive until then even if aiodb_cq_free() comes
 * first, though freeing drops callbacks not yet run. A NULL cq is ignored
 * and raises AIODB_DIAG_MISUSE, like a NULL f or cb. */
AIODB_EXTERN void aiodb_future_on_done_cq(aiodb_future *f, aiodb_cq *cq,
                                          aiodb_callback cb, void *ud);

/* Cancels: a queued call is dropped and completes at once with
 * AIODB_ECANCELED; a running statement is interrupted and completes with
 * AIODB_ECANCELED (or with its own outcome if it finished first). Needs no
 * memory (a PostgreSQL or MySQL connection keeps room for its interrupt
 * from its connect). Returns 0 when the cancel was made, AIODB_EINVAL for NULL, AIODB_EBUSY when there is
 * nothing to cancel: f is done, is a running aiodb_run function (your code is
 * never interrupted), or comes from aiodb_close(), aiodb_commit() or
 * aiodb_rollback() (the end of a tx always runs: it gives a connection
 * back). A statement of a tx dropped before it ran aborts that tx, as a
 * failed one does: the statements queued after it fail with
 * AIODB_ETXABORTED, those queued before it still run. Either way f completes exactly once and reports through
 * the cq. Never blocks: the interrupt of a PostgreSQL or MySQL statement is
 * sent by a thread of the db's own, so a server slow to answer it holds
 * neither the caller nor any deadline. A running statement that has not
 * stopped is interrupted again every second (an interrupt that reached the
 * server before the statement stops nothing), and one still running 3 s
 * after its first interrupt (a dead link, a hung server) has its
 * connection given up: it completes at once, and the connection is
 * replaced. */
AIODB_EXTERN int aiodb_future_cancel(aiodb_future *f);

/* Gives f a deadline timeout_ms from now: if it is still queued then, it is
 * dropped, and if it is running a statement, the statement is interrupted;
 * either way it completes with AIODB_ETIMEDOUT and the connection stays
 * usable. An interrupt is repeated, and the connection given up 3 s after
 * the deadline, as for aiodb_future_cancel(): a running statement
 * completes within about 3 s of its deadline whatever the network does
 * (still AIODB_ETIMEDOUT; its connection is then replaced). A db's
 * timeout_ms option sets this on every statement. The same
 * futures as aiodb_future_cancel() are exempt (their deadline never fires).
 * Returns 0, AIODB_EINVAL for NULL or timeout_ms < 0, or AIODB_EBUSY if f is
 * done. */
AIODB_EXTERN int aiodb_future_set_timeout(aiodb_future *f, int timeout_ms);

/* The outcome. Valid once done (seen through aiodb_future_done(),
 * aiodb_future_wait() or the callback), from any thread; before that error
 * is 0 and the rest empty. Strings are borrowed and live as long as f. */

/* 0 or an AIODB_E... code; AIODB_EINVAL for a NULL f. */
AIODB_EXTERN int aiodb_future_error(const aiodb_future *f);
/* The message, one line, never holding a password: the database's words or
 * aiodb's; "" on success, aiodb_strerror()'s text for an error without
 * words of its own, "NULL future" for a NULL f. */
AIODB_EXTERN const char *aiodb_future_errmsg(const aiodb_future *f);
/* The five-character SQLSTATE, "" if none. PostgreSQL and MySQL give the
 * server's for every error it reports (MySQL's catch-all "HY000" gives "");
 * on both, a connection that could not be opened has "08001", and a lost
 * one "08006" (PostgreSQL) or "08S01" (MySQL) when the server gave none.
 * SQLite has none of its own: aiodb gives its constraint failures
 * "23505" (unique or primary key), "23502" (not null), "23503" (foreign
 * key), "23514" (check) or "23000" (other). An interrupted statement
 * (canceled, or past its deadline) has "57014" (MySQL: "70100"). "" for
 * the errors aiodb itself reports (bad arguments, dropped before it ran,
 * AIODB_EALREADYQUIT ...) and for a NULL f. */
AIODB_EXTERN const char *aiodb_future_sqlstate(const aiodb_future *f);
/* The driver's own code for the error, 0 if none:
 *  - SQLite: the extended result code, e.g. 2067 (SQLITE_CONSTRAINT_UNIQUE),
 *    1555 (SQLITE_CONSTRAINT_PRIMARYKEY), 1 (SQLITE_ERROR: a syntax error,
 *    no such table);
 *  - PostgreSQL: libpq's status of the failed result (PQresultStatus), not
 *    an error number: 7 (PGRES_FATAL_ERROR) for every error the server
 *    reports, 0 when libpq gave no result (a connection that could not be
 *    opened). Tell errors apart by their SQLSTATE;
 *  - MySQL: the server's or the client library's error number
 *    (mysql_errno), e.g. 1062 (duplicate key), 1146 (no such table), 1045
 *    (access denied), 2013 (connection lost).
 * 0 for the errors aiodb itself reports (bad arguments, dropped before it
 * ran, AIODB_EALREADYQUIT ...) and for a NULL f. A commit that fails with
 * AIODB_ETXABORTED carries the SQLSTATE and native code of the statement
 * that failed first (none when that was a dropped statement or an
 * aiodb_tx_run function). */
AIODB_EXTERN int aiodb_future_native_code(const aiodb_future *f);
/* The result of a statement that succeeded; borrowed: lives as long as f,
 * or until taken. NULL before done, on failure, after
 * aiodb_future_take_result(), for a NULL f, and for futures that carry no
 * rows (aiodb_run, aiodb_acquire, aiodb_close, aiodb_commit,
 * aiodb_rollback). */
AIODB_EXTERN aiodb_result *aiodb_future_result(aiodb_future *f);
/* The connection aiodb_acquire() pinned; borrowed: valid until
 * aiodb_release(). NULL for other futures, before done, on failure and for
 * a NULL f. */
AIODB_EXTERN aiodb_conn *aiodb_future_conn(aiodb_future *f);
/* What an aiodb_run (aiodb_db_run, aiodb_tx_run) function returned, also
 * when that failed the future; 0 for other futures, before done, for a
 * function that never ran, and for a NULL f. */
AIODB_EXTERN int aiodb_future_value(const aiodb_future *f);

/* Takes the result out of f: the caller then frees it with
 * aiodb_result_free(); f's own aiodb_future_result() becomes NULL. NULL
 * when aiodb_future_result() would be. One thread at a time. */
AIODB_EXTERN aiodb_result *aiodb_future_take_result(aiodb_future *f);

/* Destructor. A pending future is detached: its work still runs, its
 * callback never does, nothing leaks. Safe inside the future's own callback.
 * Once per future; make no call with f afterwards. NULL is a no-op. With
 * tracing, a done future without a callback that nothing traced yet is
 * traced here; a detached one, once it completes, by its cq (see
 * aiodb_options.trace). */
AIODB_EXTERN void aiodb_future_free(aiodb_future *f);

/* ------------------------------------------------------------------------
 * Results. Rows and columns count from 0; out-of-range cells read as NULL
 * (the checked getters, aiodb_result_get_int() and the others, say
 * instead which of row and column is out of range). Text is always
 * NUL-terminated; blob and text lengths come from aiodb_result_len().
 *
 * A result never changes once its future is done: any number of threads
 * may read it at once. Every accessor takes a NULL r as an empty result.
 * How each driver types its cells: docs/guide.md, chapter 8.
 *
 * A FLOAT cell is the value stored, widened to double: a 4-byte column
 * (PostgreSQL float4, MySQL FLOAT) gives its float exactly, so
 * 0.1::float4 reads as 0.10000000149011612, (double)0.1f; never the double
 * nearest the digits a server prints (docs/guide.md, "Floats", has the
 * exceptions: a PostgreSQL session whose extra_float_digits your SQL sets
 * to 0 or less, a MySQL FLOAT in SQL of several statements).
 * ------------------------------------------------------------------------ */
/* Rows held; 0 for a statement without result columns. */
AIODB_EXTERN size_t aiodb_result_rows(const aiodb_result *r);
/* Columns; 0 for a statement without result columns (an INSERT without
 * RETURNING). A batch of a cursor has its columns even with no rows. */
AIODB_EXTERN size_t aiodb_result_cols(const aiodb_result *r);
/* Column col's name, NUL-terminated; borrowed: lives as long as the result.
 * NULL when col is out of range. */
AIODB_EXTERN const char *aiodb_result_name(const aiodb_result *r, size_t col);
/* The index of the column named name, or -1 when no column is, for a NULL
 * r and for a NULL name. Names match exactly, byte for byte, as the
 * database gave them: "ID" does not find "id", and PostgreSQL folds an
 * unquoted name to lower case; name an expression with AS (its own name
 * differs between drivers: "count(*)", "count"). When several columns
 * share a name (a join's "id" and "id"), the first wins: alias them apart.
 * Looks through the names each time: in a loop over rows, look the index
 * up once. */
AIODB_EXTERN int aiodb_result_col(const aiodb_result *r, const char *name);
/* The cell's type; AIODB_TYPE_NULL for a NULL cell and out of range. */
AIODB_EXTERN aiodb_type aiodb_result_type(const aiodb_result *r, size_t row,
                                          size_t col);
/* 1 for a NULL cell and out of range, else 0. */
AIODB_EXTERN int aiodb_result_isnull(const aiodb_result *r, size_t row,
                                     size_t col);
/* INT as is; FLOAT truncated toward zero (saturating at INT64_MIN and
 * INT64_MAX; NaN gives 0); TEXT parsed as a decimal integer (its leading
 * digits, as strtoll: "12abc" gives 12); NULL, BLOB and out of range give 0. */
AIODB_EXTERN int64_t aiodb_result_int(const aiodb_result *r, size_t row,
                                      size_t col);
/* FLOAT as is; INT converted; TEXT parsed (as strtod); NULL, BLOB and out of
 * range give 0.0. */
AIODB_EXTERN double aiodb_result_float(const aiodb_result *r, size_t row,
                                       size_t col);
/* TEXT or BLOB bytes (NUL-terminated, and non-NULL even when empty); NULL
 * for NULL, INT and FLOAT cells and out of range. Borrowed: lives as long as
 * the result. */
AIODB_EXTERN const char *aiodb_result_text(const aiodb_result *r, size_t row,
                                           size_t col);
/* The same bytes as aiodb_result_text(), for BLOB cells. */
AIODB_EXTERN const void *aiodb_result_blob(const aiodb_result *r, size_t row,
                                           size_t col);
/* Bytes of a TEXT or BLOB cell, 0 for the others. */
AIODB_EXTERN size_t aiodb_result_len(const aiodb_result *r, size_t row,
                                     size_t col);

/* Checked getters: the cell's value in *out, and a status that tells a
 * NULL apart from 0 and "" without a second call (libpq needs
 * PQgetisnull, SQLite sqlite3_column_type) and says why a value could not
 * be read, where the getters above answer 0 or NULL. Each returns
 *  - 0: *out holds the value;
 *  - AIODB_ENULL: the cell is NULL;
 *  - AIODB_EINVAL: col is not below aiodb_result_cols() (for the _by_name
 *    forms: no column is named name, as aiodb_result_col() looks, or name
 *    is NULL); also for a NULL r, which has no columns;
 *  - AIODB_ENOROW: row is not below aiodb_result_rows();
 *  - AIODB_ETYPE: the cell cannot be read as the type asked for (below);
 *  - AIODB_ERANGE: a number beyond the type's range;
 * checked in that order, so a column that is not there is reported even
 * when there are no rows. On every status but 0, *out is 0, 0.0 or NULL.
 * out may be NULL: then only the status. */

/* INT as is; a FLOAT that holds a whole number within int64_t (2.0); TEXT
 * that spells a decimal integer: an optional sign, digits, and nothing
 * after them but a fraction of zeros ("42", "-7", "12.00", as a sum over
 * DECIMAL or numeric comes back). Anything else is AIODB_ETYPE (BLOB,
 * 2.5, NaN, "12abc", " 1", ""), and a whole number beyond int64_t
 * AIODB_ERANGE. */
AIODB_EXTERN int aiodb_result_get_int(const aiodb_result *r, size_t row,
                                      size_t col, int64_t *out);
/* FLOAT as is; INT converted (to the nearest double beyond 2^53); TEXT
 * that strtod() reads whole in the C locale, whatever the program's
 * ("1.5", "-2e3", "inf"; a decimal point, never a comma). Anything else is
 * AIODB_ETYPE (BLOB, "1.5x", " 1", ""), and text beyond double's range
 * ("1e999") AIODB_ERANGE. */
AIODB_EXTERN int aiodb_result_get_float(const aiodb_result *r, size_t row,
                                        size_t col, double *out);
/* A TEXT cell's bytes, NUL-terminated ("" for empty text, never NULL),
 * borrowed as aiodb_result_text()'s; their length, NUL bytes included, is
 * aiodb_result_len(). INT, FLOAT and, unlike aiodb_result_text(), BLOB
 * cells are AIODB_ETYPE: read a BLOB with aiodb_result_blob(). */
AIODB_EXTERN int aiodb_result_get_text(const aiodb_result *r, size_t row,
                                       size_t col, const char **out);
/* The same three with the column named: aiodb_result_col(r, name) for
 * col. */
AIODB_EXTERN int aiodb_result_get_int_by_name(const aiodb_result *r,
                                              size_t row, const char *name,
                                              int64_t *out);
AIODB_EXTERN int aiodb_result_get_float_by_name(const aiodb_result *r,
                                                size_t row, const char *name,
                                                double *out);
AIODB_EXTERN int aiodb_result_get_text_by_name(const aiodb_result *r,
                                               size_t row, const char *name,
                                               const char **out);
/* Rows changed by INSERT/UPDATE/DELETE (an UPDATE counts the rows it
 * matched, on every driver); 0 for other statements; for query_many, the
 * sum over its rows. */
AIODB_EXTERN int64_t aiodb_result_affected(const aiodb_result *r);
/* The rowid/serial of the last insert on this connection, 0 if none:
 * SQLite's sqlite3_last_insert_rowid() after the statement; MySQL's
 * LAST_INSERT_ID() of the statement (for several rows, the first's);
 * always 0 on PostgreSQL (use RETURNING). */
AIODB_EXTERN int64_t aiodb_result_last_id(const aiodb_result *r);
/* Destructor for results from aiodb_query_sync() or
 * aiodb_future_take_result(). NULL is a no-op. */
AIODB_EXTERN void aiodb_result_free(aiodb_result *r);

/* ------------------------------------------------------------------------
 * Diagnostics
 *
 * AlreadyQuit: a call on a db or connection whose worker has quit completes
 * at once with AIODB_EALREADYQUIT and raises AIODB_DIAG_ALREADY_QUIT.
 *
 * BlockingWarning: a blocking call (aiodb_future_wait, the _sync helpers) on
 * the thread that last dispatched the future's cq stalls that loop. It raises
 * AIODB_DIAG_BLOCKING; the default handler prints it to stderr once per call
 * site. The environment variable AIODB_WARNINGS=error makes such calls fail
 * with AIODB_EBLOCKING instead; AIODB_WARNINGS=ignore silences them.
 * Waiting from inside the connection's own worker is always AIODB_EDEADLK.
 * ------------------------------------------------------------------------ */
typedef enum aiodb_diag_kind {
  AIODB_DIAG_BLOCKING = 1,
  AIODB_DIAG_ALREADY_QUIT = 2,
  AIODB_DIAG_DEADLOCK = 3,
  AIODB_DIAG_MISUSE = 4,
  /* A connection stayed pinned longer than leak_detection_ms: raised once
   * per pin, from the deadline thread, with function and call_site those
   * of the call that pinned it (aiodb_acquire, aiodb_begin, aiodb_iterate,
   * ...). */
  AIODB_DIAG_LEAK = 5,
  /* A call joined the pool's queue while the pool is at max_size and every
   * connection is pinned: it runs only once one is released (or fails at
   * acquire_timeout_ms), and waiting for it on the thread that holds the
   * pins would hang. Raised once per db until a call finds a connection it
   * may use again; function and call_site are the waiting call's. A pin
   * already let go of (a commit, rollback or freed cursor's close queued
   * or running) does not count. */
  AIODB_DIAG_STARVED = 6
} aiodb_diag_kind;

/* One diagnostic, given to the handler: see aiodb_set_diag_handler(). */
typedef struct aiodb_diag {
  aiodb_diag_kind kind;
  const char *message;   /* borrowed for the handler's call */
  const char *function;  /* the API call that raised it, e.g. "aiodb_future_wait" */
  const void *call_site; /* the caller's return address, or NULL */
} aiodb_diag;

/* The handler aiodb_set_diag_handler() installs. */
typedef void (*aiodb_diag_fn)(const aiodb_diag *d, void *ud);

/* Installs a process-wide handler (NULL: back to the default), from any
 * thread; diagnostics raised after the call go to it. It runs on the
 * thread that raised the diagnostic, possibly a worker or several threads
 * at once, so it must be thread-safe; ud is not copied. It receives every
 * occurrence; the default prints each kind once per call site to stderr. */
AIODB_EXTERN void aiodb_set_diag_handler(aiodb_diag_fn fn, void *ud);

/* ------------------------------------------------------------------------
 * Memory: a pluggable allocator (c-ares's ares_library_init_mem). Call
 * before any other aiodb call; NULL functions restore the C library's.
 * ------------------------------------------------------------------------ */
/* Sets the functions aiodb allocates its own memory with; each NULL
 * argument restores the C library's function alone. Not thread-safe: call
 * it before any other aiodb call, while no other thread uses aiodb. The
 * functions are called from any thread, workers included, and must be
 * thread-safe; free_fn receives only what malloc_fn or realloc_fn
 * returned. The client libraries (sqlite3, libpq, libmariadb) keep their
 * own allocators.
 *
 * When one of these allocations fails, the call that needed it fails with
 * AIODB_ENOMEM: it returns NULL (a constructor, a call that returns a
 * future; aiodb_open() and the _sync helpers fill their aiodb_error), or
 * its future completes with AIODB_ENOMEM (an allocation on the worker:
 * the result, the driver's statement or buffers). Nothing leaks, no
 * connection is lost or left pinned, and the next call works (the same
 * one again, once memory is back). A statement of a tx that fails so
 * aborts the tx as any failure does. Freeing and ending need no memory:
 * aiodb_future_free(), aiodb_result_free(), aiodb_commit(),
 * aiodb_rollback(), aiodb_tx_free(), aiodb_cursor_free(), aiodb_release(),
 * the first aiodb_close(), aiodb_db_free(), aiodb_cq_free(), and
 * aiodb_future_cancel(). tests/test_oom.c checks this at every allocation
 * of a scenario that makes each kind of call, on every driver. */
AIODB_EXTERN void aiodb_set_allocator(void *(*malloc_fn)(size_t),
                                      void *(*realloc_fn)(void *, size_t),
                                      void (*free_fn)(void *));

/* Destructor for memory aiodb allocated for the caller: the text of
 * aiodb_query_text_sync(). It goes back through the allocator that
 * aiodb_set_allocator() installed (never call free() on it: SQLite's
 * sqlite3_free and libpq's PQfreemem exist for the same reason). NULL is
 * a no-op. */
AIODB_EXTERN void aiodb_free(void *p);

/* ------------------------------------------------------------------------
 * Schema migrations
 * ------------------------------------------------------------------------ */

/* What aiodb_migrate() does. Zero it (or pass NULL) for the default: apply
 * every pending file. */
typedef struct aiodb_migrate_options {
  int64_t to_version; /* > 0: stop after this version; 0: no limit */
  int dry_run;        /* 1: change nothing; the result lists what would run */
  int status;         /* 1: change nothing; the result lists every file, and
                         each version applied whose file is gone */
} aiodb_migrate_options;

/* Applies the SQL files of the directory dir in version order, on one
 * pooled connection, off the caller's thread (the worker reads the files).
 * A file is named VERSION_NAME.sql: VERSION one or more digits, a number
 * from 1 (0001_create_notes.sql); files not ending in ".sql" are skipped.
 * A malformed name, or two files of one version, fail the call before
 * anything runs (AIODB_EINVAL, naming the files); an unreadable directory
 * or file is AIODB_EIO.
 *
 * Each applied file is recorded in the table "aiodb_migrations" (version
 * BIGINT, name, checksum: the SHA-256 of its bytes in hex, applied_at: UTC
 * "YYYY-MM-DD HH:MM:SS"), made on first use. A file already applied whose
 * name or bytes changed stops the call before anything runs (AIODB_EINVAL
 * naming the file). A file's statements are split on ';' outside quotes,
 * comments and PostgreSQL's dollar-quoted bodies, by the engine's rules
 * (those of the placeholder rewriter: PostgreSQL's E'...' takes backslash
 * escapes, its plain '...' none; MariaDB's '...' and "..." take them, and
 * '#' starts a comment there; a ';' inside parentheses or inside the
 * BEGIN ... END body of a trigger, function, procedure or event ends
 * nothing, as psql reads a script), and run one by one with
 * the file's row in the version table, as one transaction on PostgreSQL,
 * as a savepoint of the lock's transaction on SQLite: a failure rolls the
 * file back whole, the version table is unchanged, and the error (the
 * server's code and SQLSTATE) names the file, the statement's number and
 * its start, then the server's message. The files before it stay applied.
 * MariaDB/MySQL commit each DDL statement (CREATE, ALTER, DROP) on their
 * own: there a failed file may leave the work of its earlier statements,
 * though not its row in the version table.
 *
 * Two calls at once on one database (two programs, two threads) never
 * apply a file twice: the call holds a lock across reading the version
 * table and applying (PostgreSQL pg_advisory_lock, MariaDB GET_LOCK: each
 * waits up to 60 s for another run's lock, on the worker, then the call
 * fails with AIODB_EBUSY and nothing applied; on PostgreSQL the wait is a
 * lock_timeout set for the lock's own transaction alone, so a shorter
 * statement_timeout ends it first; SQLite a BEGIN IMMEDIATE transaction,
 * waiting as busy_timeout says, in
 * which each file is a savepoint, all committed at the end of the call),
 * and the second finds the files applied. dry_run and status take no
 * lock and create nothing.
 *
 * The result has a row per file: version (INT), name (TEXT), status (TEXT),
 * checksum (TEXT). status is "applied" for each file this call applied,
 * "pending" for each a dry run would apply; with opts->status, "applied",
 * "pending", "changed" for each file, after a row "missing" for each
 * version applied whose file is gone. The
 * caller owns the future (NULL when db is NULL or out of memory); dir NULL
 * or empty, or to_version negative: AIODB_EINVAL. It cannot be canceled
 * once submitted (aiodb_future_cancel refuses it). */
AIODB_EXTERN aiodb_future *aiodb_migrate(aiodb_db *db, const char *dir,
                                         const aiodb_migrate_options *opts);

#ifdef __cplusplus
}
#endif
#endif /* AIODB_H */
