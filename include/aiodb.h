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
  XX(ETXABORTED, -18, "the transaction was aborted by an earlier error")

typedef enum aiodb_status {
  AIODB_OK = 0,
#define AIODB__XX(name, val, msg) AIODB_##name = val,
  AIODB_ERRNO_MAP(AIODB__XX)
#undef AIODB__XX
  AIODB__STATUS_MAX = -19
} aiodb_status;

/* A short English description of a status code; static storage, never NULL. */
AIODB_EXTERN const char *aiodb_strerror(int code);
/* The code's name ("AIODB_ECANCELED"); static storage, never NULL. */
AIODB_EXTERN const char *aiodb_err_name(int code);

/* Errors of the calls that return a handle instead of a future. The
 * caller owns it; every such call accepts NULL for "don't tell me". */
typedef struct aiodb_error {
  int code;            /* 0 or AIODB_E... */
  char message[256];   /* NUL-terminated; never holds a password */
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
 * value is submitted, so they need only live until the call returns. */
typedef struct aiodb_value {
  aiodb_type type;
  size_t len;                /* TEXT and BLOB: bytes, without any NUL */
  union {
    int64_t i;
    double f;
    const char *s;
    const void *p;
  } u;
} aiodb_value;

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
/* n bytes of text (UTF-8; may hold NUL bytes). s == NULL gives NULL. */
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

/* ------------------------------------------------------------------------
 * Completion queue: one per thread that runs a loop.
 * ------------------------------------------------------------------------ */

/* Constructor. NULL when out of memory or out of file descriptors.
 * Free with aiodb_cq_free(). */
AIODB_EXTERN aiodb_cq *aiodb_cq_new(void);

#define AIODB_CQ_PIPE 1u  /* use a pipe even where eventfd exists */
/* Constructor with flags (AIODB_CQ_PIPE). NULL on failure. */
AIODB_EXTERN aiodb_cq *aiodb_cq_new_ex(unsigned flags);

/* The file descriptor to watch for reading: readable while completed
 * futures wait for aiodb_cq_dispatch(). Owned by the cq; never read or close
 * it. Written only when the queue goes from empty to non-empty, so a burst of
 * completions costs one wake-up. -1 if cq is NULL. */
AIODB_EXTERN int aiodb_cq_fd(const aiodb_cq *cq);

/* Before aiodb_cq_run_once() sleeps in poll(), spin up to us microseconds
 * (at most 1000; 0, the default, turns it off) for a completion: a wake-up
 * saved when answers come back within microseconds, at the cost of CPU.
 * A db's own cq takes the db's spin_us option. AIODB_EINVAL for NULL or
 * us > 1000. */
AIODB_EXTERN int aiodb_cq_set_spin(aiodb_cq *cq, unsigned us);

/* Runs up to max (<= 0: all that are ready now) callbacks of completed
 * futures on the calling thread, which becomes the cq's dispatching thread
 * (see BlockingWarning). Returns how many callbacks ran, or AIODB_EINVAL for
 * NULL. Callbacks may submit work, free their future and close or free a db;
 * a nested call from inside a callback runs nothing and returns 0. */
AIODB_EXTERN int aiodb_cq_dispatch(aiodb_cq *cq, int max);

/* Blocks until at least one completion is ready or timeout_ms passes
 * (timeout_ms < 0: no limit), then dispatches like aiodb_cq_dispatch(cq, 0).
 * For programs without a loop. Returns the count, 0 on timeout. */
AIODB_EXTERN int aiodb_cq_run_once(aiodb_cq *cq, int timeout_ms);

/* Counters for tests and tuning: how many times the fd was written and how
 * many callbacks have run. Either pointer may be NULL. */
AIODB_EXTERN void aiodb_cq_stats(const aiodb_cq *cq, uint64_t *wakeups,
                                 uint64_t *dispatched);

/* Destructor. Completions still queued are dropped without their callbacks
 * running. Free a cq after every db that reports to it. NULL is a no-op. */
AIODB_EXTERN void aiodb_cq_free(aiodb_cq *cq);

/* ------------------------------------------------------------------------
 * Databases
 * ------------------------------------------------------------------------ */

/* Options for aiodb_open(). Zero in any field means "the URL's value, or
 * the default"; a non-zero field wins over the URL. Initialise with
 * `aiodb_options o = {0};` or aiodb_options_init(). */
typedef struct aiodb_options {
  aiodb_cq *cq;             /* where futures report; NULL: the db's own cq */
  unsigned min_size;        /* connections opened at once (default 1) */
  unsigned max_size;        /* most connections (default 1) */
  size_t stack_size;        /* worker stack bytes (default 256 KiB) */
  int busy_timeout_ms;      /* SQLite busy timeout (default 5000) */
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
                               call in flight, for CPU (default 0: none) */
  unsigned pipeline;        /* PostgreSQL: most statements found queued
                               together that a worker sends in one round
                               trip (default 64, at most 1024; the URL's
                               pipeline=0 turns it off) */
  unsigned worker_nice;     /* Linux: added to each worker thread's nice
                               value (at most 19), so that a GUI or loop
                               thread wins the CPU from busy workers */
  unsigned worker_slice_us; /* Linux 6.12 on: each worker's scheduler slice,
                               µs (at most 100000); 0: the kernel's */
  unsigned reserved[4];     /* zero */
} aiodb_options;

AIODB_EXTERN void aiodb_options_init(aiodb_options *opts);

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
 * (docs/guide.md lists them all). Percent-escapes are decoded. PostgreSQL
 * and MySQL connections get network defaults unless the URL says otherwise:
 * connect_timeout=10 (seconds), TCP keepalives (keepalives_idle=60,
 * keepalives_interval=10, keepalives_count=6) and tcp_user_timeout=120000
 * (ms), so that a server that stops answering is given up on.
 *
 * Returns NULL and fills err on a malformed URL or option (AIODB_EINVAL), a
 * scheme whose driver is not built (AIODB_EUNSUPPORTED), or OOM. The caller
 * frees the db with aiodb_db_free(). */
AIODB_EXTERN aiodb_db *aiodb_open(const char *url, const aiodb_options *opts,
                                  aiodb_error *err);

/* Graceful close: work already queued finishes, then the workers quit. The
 * returned future completes (without error) once every worker has quit. The
 * db handle stays valid; every later call on it completes at once with
 * AIODB_EALREADYQUIT. A second close returns an already-completed future. */
AIODB_EXTERN aiodb_future *aiodb_close(aiodb_db *db);

/* Destructor: closes if still open, waits for queued work to finish and
 * joins every worker. Futures of this db stay valid and are still the
 * caller's to free. Must not be called from one of the db's own workers
 * (inside aiodb_run): that is refused with a diagnostic. NULL is a no-op. */
AIODB_EXTERN void aiodb_db_free(aiodb_db *db);

/* The cq this db's futures report to (opts->cq or its own); borrowed. */
AIODB_EXTERN aiodb_cq *aiodb_db_cq(aiodb_db *db);

/* Auto-pipelining counters, for tests and tuning: how many batches of
 * statements found queued together were sent, and how many statements they
 * held in all (batched / batches is the mean depth). Either pointer may be
 * NULL; both stay 0 on a driver that sends one statement at a time. */
AIODB_EXTERN void aiodb_db_stats(const aiodb_db *db, uint64_t *batches,
                                 uint64_t *batched);

/* The driver's name: "sqlite", "postgresql" or "mysql"; static storage. */
AIODB_EXTERN const char *aiodb_db_driver(const aiodb_db *db);

/* What "?" becomes in this driver's SQL: "?" or "$1" (asyncqlio's
 * emit_param). Static storage; NULL if db is NULL. */
AIODB_EXTERN const char *aiodb_param_style(const aiodb_db *db);

/* ------------------------------------------------------------------------
 * Statements
 *
 * SQL uses one placeholder style for every driver: "?" positional, or
 * ":name" named (each distinct name takes the next argument in order of
 * first appearance; a repeated name reuses its value). The two styles do
 * not mix in one statement. "??" is a literal "?". Placeholders inside
 * string literals, quoted identifiers, comments, "::" casts and
 * dollar-quoted bodies are left alone. A wrong argument count fails the
 * future with AIODB_EINVAL.
 *
 * On a db, each call runs on a pooled connection; on a conn (from
 * aiodb_acquire) calls run in order on that one connection.
 * ------------------------------------------------------------------------ */
AIODB_EXTERN aiodb_future *aiodb_query(aiodb_db *db, const char *sql,
                                       const aiodb_value *args, size_t nargs);
AIODB_EXTERN aiodb_future *aiodb_conn_query(aiodb_conn *conn, const char *sql,
                                            const aiodb_value *args,
                                            size_t nargs);

/* Submit and wait: for synchronous code. Returns a result the caller frees
 * with aiodb_result_free(), or NULL with err filled. Same blocking rules as
 * aiodb_future_wait() (BlockingWarning, AIODB_EDEADLK). */
AIODB_EXTERN aiodb_result *aiodb_query_sync(aiodb_db *db, const char *sql,
                                            const aiodb_value *args,
                                            size_t nargs, aiodb_error *err);

/* One statement run once per row of parameters, prepared once, in one job
 * on one connection: rows holds nrows * ncols values, row after row. The
 * batch is atomic: a failing row undoes the rows before it (a SAVEPOINT) and
 * fails the future. The result's affected count is the sum over all rows,
 * its last id the last row's, and rows a statement returns (RETURNING) are
 * collected in order. nrows == 0 is a successful no-op. */
AIODB_EXTERN aiodb_future *aiodb_query_many(aiodb_db *db, const char *sql,
                                            const aiodb_value *rows,
                                            size_t nrows, size_t ncols);
AIODB_EXTERN aiodb_future *aiodb_conn_query_many(aiodb_conn *conn,
                                                 const char *sql,
                                                 const aiodb_value *rows,
                                                 size_t nrows, size_t ncols);

/* Streams the rows of one statement in batches of at most batch_rows (0:
 * 1000). The cursor pins a pooled connection until it is freed; each batch
 * is fetched only when asked for (backpressure), so memory stays bounded by
 * the batch, not the result. Returns NULL only for a NULL db or sql, or
 * OOM; every other failure is the outcome of the first aiodb_cursor_next().
 * Free with aiodb_cursor_free(). */
AIODB_EXTERN aiodb_cursor *aiodb_iterate(aiodb_db *db, const char *sql,
                                         const aiodb_value *args, size_t nargs,
                                         size_t batch_rows);
/* The same on a pinned connection (which stays pinned after the cursor). */
AIODB_EXTERN aiodb_cursor *aiodb_conn_iterate(aiodb_conn *conn,
                                              const char *sql,
                                              const aiodb_value *args,
                                              size_t nargs, size_t batch_rows);
/* The next batch: a future whose result holds up to batch_rows rows, and no
 * rows (but its columns) once the statement is exhausted, then ever after.
 * Calls queue in order; the caller owns each future. */
AIODB_EXTERN aiodb_future *aiodb_cursor_next(aiodb_cursor *cur);
/* Destructor: stops the statement early if it still runs and gives the
 * connection back; futures from aiodb_cursor_next() stay the caller's.
 * NULL is a no-op. */
AIODB_EXTERN void aiodb_cursor_free(aiodb_cursor *cur);

/* ------------------------------------------------------------------------
 * Connections
 * ------------------------------------------------------------------------ */

/* Pins one pooled connection; the future's aiodb_future_conn() gives it.
 * Pinned connections serve only calls made on them until released. */
AIODB_EXTERN aiodb_future *aiodb_acquire(aiodb_db *db);

/* Gives a pinned connection back to the pool. Calls already queued on it
 * still run first. NULL is a no-op. */
AIODB_EXTERN void aiodb_release(aiodb_conn *conn);

/* The db a connection belongs to; borrowed. */
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
 * first error). A commit the database refuses is rolled back as well.
 * aiodb_commit(), aiodb_rollback() and aiodb_tx_free() end the tx: the
 * handle is the library's once one of them is called. End every tx before
 * aiodb_db_free(); a db closed with a tx still open rolls it back.
 * ------------------------------------------------------------------------ */

/* Constructors: NULL only for a NULL argument or OOM. */
AIODB_EXTERN aiodb_tx *aiodb_begin(aiodb_db *db);
/* A tx on a connection the caller pinned; it stays pinned after the tx. */
AIODB_EXTERN aiodb_tx *aiodb_conn_begin(aiodb_conn *conn);
/* A SAVEPOINT inside parent, on the parent's connection. */
AIODB_EXTERN aiodb_tx *aiodb_tx_begin(aiodb_tx *parent);

AIODB_EXTERN aiodb_future *aiodb_tx_query(aiodb_tx *tx, const char *sql,
                                          const aiodb_value *args,
                                          size_t nargs);
AIODB_EXTERN aiodb_future *aiodb_tx_query_many(aiodb_tx *tx, const char *sql,
                                               const aiodb_value *rows,
                                               size_t nrows, size_t ncols);
AIODB_EXTERN aiodb_future *aiodb_tx_run(aiodb_tx *tx, aiodb_run_fn fn,
                                        void *ud);

/* End the tx. The future completes once the COMMIT (RELEASE) or ROLLBACK
 * (ROLLBACK TO) ran; NULL only for a NULL tx or OOM. */
AIODB_EXTERN aiodb_future *aiodb_commit(aiodb_tx *tx);
AIODB_EXTERN aiodb_future *aiodb_rollback(aiodb_tx *tx);
/* Ends a tx that was neither committed nor rolled back: rolls it back and
 * gives its connection back, without a future. NULL is a no-op. */
AIODB_EXTERN void aiodb_tx_free(aiodb_tx *tx);

/* ------------------------------------------------------------------------
 * Metadata: futures whose results read like any query's.
 * ------------------------------------------------------------------------ */
/* One TEXT column "name", a row per user table, sorted by name. */
AIODB_EXTERN aiodb_future *aiodb_table_names(aiodb_db *db);
/* One row, one INT column "present": 1 if the table exists, else 0. */
AIODB_EXTERN aiodb_future *aiodb_has_table(aiodb_db *db, const char *name);
/* One row: TEXT columns "driver" ("sqlite"), "server_version" (the
 * database's own, e.g. "3.40.1"), "client_version" (the client library's)
 * and "aiodb_version". */
AIODB_EXTERN aiodb_future *aiodb_server_info(aiodb_db *db);

/* ------------------------------------------------------------------------
 * The escape hatch: run your own blocking code on a connection's worker.
 * native is the driver's handle: sqlite3*, PGconn* or MYSQL*. fn's return
 * value becomes the future's aiodb_future_value(); a negative AIODB_E...
 * code also fails the future with it. fn must not close the handle.
 * ------------------------------------------------------------------------ */
AIODB_EXTERN aiodb_future *aiodb_run(aiodb_conn *conn, aiodb_run_fn fn,
                                     void *ud);
/* The same on any pooled connection of db. */
AIODB_EXTERN aiodb_future *aiodb_db_run(aiodb_db *db, aiodb_run_fn fn,
                                        void *ud);

/* ------------------------------------------------------------------------
 * Futures
 * ------------------------------------------------------------------------ */

/* 1 once the outcome is in, else 0. An atomic load: no lock, no syscall. */
AIODB_EXTERN int aiodb_future_done(const aiodb_future *f);

/* Blocks until f is done or timeout_ms passes (timeout_ms < 0: no limit).
 * Returns 0 once done (the outcome is aiodb_future_error()'s),
 * AIODB_ETIMEDOUT if not done in time, AIODB_EINVAL for NULL, and refuses
 * with AIODB_EBLOCKING (under AIODB_WARNINGS=error, on the thread that
 * dispatches the cq: see BlockingWarning) or AIODB_EDEADLK (from inside the
 * worker that would have to run f). */
AIODB_EXTERN int aiodb_future_wait(aiodb_future *f, int timeout_ms);

/* Asks for cb(f, ud) to run on the cq's dispatching thread once f is done
 * (at the next aiodb_cq_dispatch() if it is done already). Set it once per
 * future: a second call, or a NULL f or cb, is ignored and raises
 * AIODB_DIAG_MISUSE. A future freed before its callback ran never calls it. */
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
 * AIODB_ECANCELED (or with its own outcome if it finished first). Returns 0
 * when the cancel was made, AIODB_EINVAL for NULL, AIODB_EBUSY when there is
 * nothing to cancel: f is done, is a running aiodb_run function (your code is
 * never interrupted), or comes from aiodb_close(), aiodb_commit() or
 * aiodb_rollback() (the end of a tx always runs: it gives a connection
 * back). A statement of a tx dropped before it ran aborts that tx, as a
 * failed one does. Either way f completes exactly once and reports through
 * the cq. Never blocks: the interrupt of a PostgreSQL or MySQL statement is
 * sent by a thread of the db's own, so a server slow to answer it holds
 * neither the caller nor any deadline. */
AIODB_EXTERN int aiodb_future_cancel(aiodb_future *f);

/* Gives f a deadline timeout_ms from now: if it is still queued then, it is
 * dropped, and if it is running a statement, the statement is interrupted;
 * either way it completes with AIODB_ETIMEDOUT and the connection stays
 * usable. A db's timeout_ms option sets this on every statement. The same
 * futures as aiodb_future_cancel() are exempt (their deadline never fires).
 * Returns 0, AIODB_EINVAL for NULL or timeout_ms < 0, or AIODB_EBUSY if f is
 * done. */
AIODB_EXTERN int aiodb_future_set_timeout(aiodb_future *f, int timeout_ms);

/* The outcome. Valid once done; before that error is 0 and the rest empty. */
AIODB_EXTERN int aiodb_future_error(const aiodb_future *f);        /* 0 or AIODB_E... */
AIODB_EXTERN const char *aiodb_future_errmsg(const aiodb_future *f); /* "" if none */
AIODB_EXTERN const char *aiodb_future_sqlstate(const aiodb_future *f);/* "" if none */
AIODB_EXTERN int aiodb_future_native_code(const aiodb_future *f);  /* driver's own */
AIODB_EXTERN aiodb_result *aiodb_future_result(aiodb_future *f);    /* borrowed */
AIODB_EXTERN aiodb_conn *aiodb_future_conn(aiodb_future *f);        /* aiodb_acquire */
AIODB_EXTERN int aiodb_future_value(const aiodb_future *f);         /* aiodb_run */

/* Takes the result out of f: the caller then frees it with
 * aiodb_result_free(); f's own aiodb_future_result() becomes NULL. */
AIODB_EXTERN aiodb_result *aiodb_future_take_result(aiodb_future *f);

/* Destructor. A pending future is detached: its work still runs, its
 * callback never does, nothing leaks. Safe inside the future's own callback.
 * NULL is a no-op. */
AIODB_EXTERN void aiodb_future_free(aiodb_future *f);

/* ------------------------------------------------------------------------
 * Results. Rows and columns count from 0; out-of-range cells read as NULL.
 * Text is always NUL-terminated; blob and text lengths come from
 * aiodb_result_len().
 * ------------------------------------------------------------------------ */
AIODB_EXTERN size_t aiodb_result_rows(const aiodb_result *r);
AIODB_EXTERN size_t aiodb_result_cols(const aiodb_result *r);
AIODB_EXTERN const char *aiodb_result_name(const aiodb_result *r, size_t col);
AIODB_EXTERN aiodb_type aiodb_result_type(const aiodb_result *r, size_t row,
                                          size_t col);
AIODB_EXTERN int aiodb_result_isnull(const aiodb_result *r, size_t row,
                                     size_t col);
/* INT as is; FLOAT truncated; TEXT parsed as a decimal integer; else 0. */
AIODB_EXTERN int64_t aiodb_result_int(const aiodb_result *r, size_t row,
                                      size_t col);
/* FLOAT as is; INT converted; TEXT parsed; else 0.0. */
AIODB_EXTERN double aiodb_result_float(const aiodb_result *r, size_t row,
                                       size_t col);
/* TEXT or BLOB bytes (NUL-terminated); NULL for NULL, INT and FLOAT cells.
 * Borrowed: lives as long as the result. */
AIODB_EXTERN const char *aiodb_result_text(const aiodb_result *r, size_t row,
                                           size_t col);
AIODB_EXTERN const void *aiodb_result_blob(const aiodb_result *r, size_t row,
                                           size_t col);
/* Bytes of a TEXT or BLOB cell, 0 for the others. */
AIODB_EXTERN size_t aiodb_result_len(const aiodb_result *r, size_t row,
                                     size_t col);
/* Rows changed by INSERT/UPDATE/DELETE; 0 for other statements. */
AIODB_EXTERN int64_t aiodb_result_affected(const aiodb_result *r);
/* The rowid/serial of the last insert on this connection, 0 if none. */
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
  AIODB_DIAG_MISUSE = 4
} aiodb_diag_kind;

typedef struct aiodb_diag {
  aiodb_diag_kind kind;
  const char *message;   /* borrowed for the handler's call */
  const char *function;  /* the API call that raised it, e.g. "aiodb_future_wait" */
  const void *call_site; /* the caller's return address, or NULL */
} aiodb_diag;

typedef void (*aiodb_diag_fn)(const aiodb_diag *d, void *ud);

/* Installs a process-wide handler (NULL: back to the default). It runs on
 * the thread that raised the diagnostic, possibly a worker. */
AIODB_EXTERN void aiodb_set_diag_handler(aiodb_diag_fn fn, void *ud);

/* ------------------------------------------------------------------------
 * Memory: a pluggable allocator (c-ares's ares_library_init_mem). Call
 * before any other aiodb call; NULL functions restore the C library's.
 * ------------------------------------------------------------------------ */
AIODB_EXTERN void aiodb_set_allocator(void *(*malloc_fn)(size_t),
                                      void *(*realloc_fn)(void *, size_t),
                                      void (*free_fn)(void *));

#ifdef __cplusplus
}
#endif
#endif /* AIODB_H */
