/* The driver interface: what the core asks of a database client library.
 * A driver is a const table of functions. The core never includes a
 * client header.
 *
 * Threads and locks (the whole rule is in lib/db.h):
 *   - On the connection's own worker, with no lock of the core held, free
 *     to block on the network: connect, disconnect, handle, exec, many's
 *     calls, exec_batch, cursor_open, cursor_fetch, cursor_close,
 *     is_broken, tx_ended, ping, thread_start, thread_stop, attach,
 *     last_error, interrupt_open, interrupt_close (also on the
 *     interrupter's thread, see below).
 *   - On a caller's thread, with no lock held, never blocking: configure,
 *     adopt, free_config (or on the interrupter's thread, when
 *     aiodb_db_free left it a call in flight), client_version.
 *   - On the interrupter's thread (lib/interrupter.h), with no lock of the
 *     core held, free to block: interrupt_send.
 *   - Under the db's lock, from any thread: interrupt, and only it. It
 *     must not block nor take a lock: a library that stops a statement
 *     without a round trip (sqlite3_interrupt). A network driver leaves it
 *     NULL and gives interrupt_send instead. */
#ifndef AIODB_DRIVER_H
#define AIODB_DRIVER_H

#include "aiodb.h"
#include "error.h"
#include "params.h"
#include "url.h"

/* One statement to run, with placeholders already in the driver's style and
 * args in the driver's binding order. */
typedef struct aiodb__stmt {
  const char *sql;
  size_t sql_len;
  const aiodb_value *args;  /* nrows rows of nargs values (nrows 1 but for
                               query_many) */
  size_t nargs;
  size_t nrows;
  int own;  /* the library's own SQL (BEGIN, SAVEPOINT, COMMIT, ROLLBACK,
               RELEASE): no arguments, no result columns. It must not fail
               for want of aiodb's memory (a statement cache that cannot
               take it runs it as text), or a tx could not end. */
} aiodb__stmt;

typedef struct aiodb_result aiodb_result;
struct aiodb__many_ops; /* lib/many.h */

/* What interrupt_send needs to reach a connection's server, whichever the
 * driver keeps: a pointer (libpq's PGcancel) or a number (MySQL's thread
 * id). The core keeps it from connect to disconnect, and longer while a
 * call that uses it is in flight. */
typedef union aiodb__intr_token {
  void *ptr;
  uint64_t id;
} aiodb__intr_token;

typedef struct aiodb__driver {
  const char *name;          /* "sqlite" */
  const char *param_style;   /* what '?' becomes: "?" or "$1" */
  int dialect;               /* aiodb__dialect, for the placeholder lexer */
  int pstyle;                /* aiodb__pstyle */
  unsigned default_max_size; /* pool size when neither URL nor opts say */

  /* At aiodb_open, on the caller's thread, never blocking: checks the URL
   * and the options the core did not consume (url->query entries still
   * unclaimed) and builds the driver's own config. */
  int (*configure)(const aiodb__url *url, const aiodb_options *opts,
                   void **cfg, aiodb_error *err);
  /* On the caller's thread: at aiodb_db_free once every worker has been
   * joined, or when aiodb_open fails after configure. */
  void (*free_config)(void *cfg);

  /* Opens one connection keeping up to statement_cache prepared
   * statements. On failure fills e and returns its code. */
  int (*connect)(void *cfg, unsigned statement_cache, void **native,
                 aiodb__err *e);
  void (*disconnect)(void *native);
  /* What aiodb_run hands the caller: sqlite3*, PGconn*, MYSQL*. */
  void *(*handle)(void *native);

  /* Runs one statement, filling res (rows, affected, last id). Returns 0 or
   * fills e and returns its code. */
  int (*exec)(void *native, const aiodb__stmt *st, aiodb_result *res,
              aiodb__err *e);

  /* query_many: what lib/many.c needs of the driver (lib/many.h); not
   * NULL. */
  const struct aiodb__many_ops *many;

  /* Cursors: open prepares and binds; fetch appends up to max_rows rows to
   * res (with the columns even when none are left); close finalizes. */
  int (*cursor_open)(void *native, const aiodb__stmt *st, void **cur,
                     aiodb__err *e);
  int (*cursor_fetch)(void *native, void *cur, size_t max_rows,
                      aiodb_result *res, aiodb__err *e);
  void (*cursor_close)(void *native, void *cur);

  /* Metadata, as SQL in the portable placeholder style. */
  const char *sql_table_names;  /* one column "name" */
  const char *sql_has_table;    /* one argument; one column "present" */
  const char *sql_server_info;  /* two arguments: client and aiodb versions */
  /* One argument, the table's name (aiodb_columns, aiodb_indexes); none
   * (aiodb_view_names): the columns include/aiodb.h gives. */
  const char *sql_columns;
  const char *sql_indexes;
  const char *sql_view_names;
  /* On the thread that calls aiodb_server_info (not a worker): the client
   * library's version, in static or thread-local storage. */
  const char *(*client_version)(void);

  /* Optional (NULL: see interrupt_send below): stops at once the statement
   * that exec, many or cursor_fetch is running on native, for a client
   * library that can without a round trip (sqlite3_interrupt). Called by
   * the core under the db's lock, from any thread (a caller's
   * aiodb_future_cancel, the process-wide deadline timer), so it must never
   * block: no network round trip, no wait for the worker. */
  void (*interrupt)(void *native);

  /* 1 if the connection is unusable and must be replaced after error e. */
  int (*is_broken)(void *native, const aiodb__err *e);

  /* Optional (NULL): called by each worker thread when it starts and just
   * before it ends, for client libraries with per-thread state
   * (mysql_thread_init / mysql_thread_end). */
  void (*thread_start)(void);
  void (*thread_stop)(void);

  /* Optional (NULL: the core runs queued statements one at a time): runs
   * st[0..n) in order, in as few round trips as the client allows, each
   * exactly as exec would, with its own res[i] and e[i] (code 0: success);
   * one's failure touches no other. Calls done(ud, i) once for each i, in
   * order, as soon as statement i is finished. The core never interrupts a
   * batch: the server may already be running a later statement of it. */
  void (*exec_batch)(void *native, const aiodb__stmt *st,
                     aiodb_result *const *res, aiodb__err *const *e, size_t n,
                     void (*done)(void *ud, size_t i), void *ud);

  /* Optional (NULL: never): after a call inside a transaction failed with
   * e, 1 if the database ended the whole transaction on its own (SQLite
   * rolls it back when a write is interrupted, or on a full disk), savepoints
   * and all. */
  int (*tx_ended)(void *native, const aiodb__err *e);

  /* Optional (NULL: interrupt above, or nothing can be stopped): stopping a
   * statement through its server, by a blocking call (PQcancel, KILL QUERY
   * over a side connection). The core's interrupter (lib/interrupter.h)
   * makes the call from a thread of its own, for the statement it was
   * asked for only, and never for one that has ended; the driver marks its
   * statements with aiodb__stmt_begin and aiodb__stmt_end (below).
   *
   * interrupt_open: on the worker, no lock held, just after connect: fills
   * *token with what interrupt_send needs to reach native's server. 0, or
   * fills e (AIODB_ENOMEM) and the connection fails.
   * interrupt_send: on the interrupter's thread, no lock of the core held:
   * asks the server to stop what token's connection runs, and returns once
   * it has answered. It may block, for as long as the driver's network
   * timeouts allow; meanwhile no other interrupt of the db is sent. It
   * must not touch native, which may be gone by then. aiodb_db_free waits
   * for it a little, then leaves the thread to end the call and to run
   * free_config itself.
   * interrupt_close: optional (NULL: nothing to free): frees a token, on
   * the worker at disconnect, or on the interrupter's thread once a call
   * in flight at that disconnect returns. No lock of the core held. */
  int (*interrupt_open)(void *native, aiodb__intr_token *token, aiodb__err *e);
  void (*interrupt_send)(void *cfg, aiodb__intr_token token);
  void (*interrupt_close)(aiodb__intr_token token);

  /* Optional (NULL: none known): on the worker, no lock held: the error
   * the client library last recorded on native (SQLite's sqlite3_errmsg
   * unless sqlite3_errcode is SQLITE_OK, ROW or DONE; libpq's
   * PQerrorMessage; mysql_error), for a failure of the program's own code
   * on the handle (aiodb_options.on_connect). Fills e's message (password
   * blotted out), native code and SQLSTATE where the library keeps them,
   * and returns 1; 0 with e untouched when there is none. */
  int (*last_error)(void *native, aiodb__err *e);
  /* A handle the program opened (aiodb_open_native, lib/native.c).
   *
   * adopt: on the caller's thread, never blocking: checks by local calls
   * only (no round trip) that handle (sqlite3*, PGconn*, MYSQL*) is in a
   * state aiodb can use, and builds the config (free_config frees it)
   * with what interrupt_send needs to reach its server. It changes
   * nothing in handle. 0, or fills err (AIODB_EINVAL naming what is
   * wrong, AIODB_ENOMEM).
   *
   * attach: on the worker, in place of connect: wraps handle as connect
   * wraps a connection it opens, and sets what the driver's calls need
   * (undone by disconnect). With close_at_end 0, disconnect gives the
   * handle back open and as it was: its transaction rolled back, every
   * statement aiodb prepared on it ended, every setting attach changed
   * restored. On failure it fills e, and handle is closed (close_at_end)
   * or left as it was. */
  int (*adopt)(void *handle, const aiodb_options *opts, void **cfg, aiodb_error *err);
  int (*attach)(void *cfg, void *handle, int close_at_end, unsigned statement_cache,
                void **native, aiodb__err *e);
  /* The pool (lib/pool_policy.c). default_max_lifetime_ms: max_lifetime_ms
   * when neither URL nor opts say (0: never). ping: optional (NULL: the
   * connection has nothing to check): is native still alive? One round
   * trip the server answers at once (an empty query, mysql_ping), waiting
   * timeout_ms at most for it; 0, or fills e (AIODB_ECONNLOST) and the
   * core replaces the connection. On the worker, no lock held, between
   * calls: never inside one. */
  unsigned default_max_lifetime_ms;
  int (*ping)(void *native, int timeout_ms, aiodb__err *e);

  /* Optional (NULL: nothing to do): aiodb_replica's read-only sessions
   * (lib/replica.c), which the server enforces. read_only: on the caller's
   * thread at aiodb_open, after configure: makes cfg's connections open
   * read-only (SQLite's SQLITE_OPEN_READONLY); 0, or fills err
   * (AIODB_EINVAL when cfg cannot be read-only). sql_read_only: the
   * library's own SQL that makes a session read-only, run on each of those
   * connections just after connect (SET SESSION ... READ ONLY). */
  int (*read_only)(void *cfg, aiodb_error *err);
  const char *sql_read_only;
} aiodb__driver;

/* ---- statement boundaries, for a driver with interrupt_send ----
 * Called by the driver on the connection's worker thread, no lock held.
 *
 * aiodb__stmt_begin: before the first byte of a statement the core may
 * interrupt (exec, many, cursor_fetch) is sent. It first lets an
 * interrupt of an earlier statement still in flight land, since it would
 * stop this one instead: it waits for it, 3 s at most, and once (an
 * interrupt the server never answers must not hold every later statement
 * up). aiodb__stmt_end: once the statement's result has been read.
 *
 * aiodb__stmt_settle: only that wait, before sending what the core never
 * interrupts (a batch, a cursor's query).
 *
 * aiodb__stmt_interrupt_wait: between aiodb__stmt_begin and _end: has the
 * interrupter stop this statement now and waits (3 s at most) until the
 * interrupt has landed. 0, or -1 when it could not be posted or has not
 * landed: the driver should give the connection up rather than wait for
 * the statement's end. */
void aiodb__stmt_begin(void);
void aiodb__stmt_end(void);
void aiodb__stmt_settle(void);
int aiodb__stmt_interrupt_wait(void);

/* ---- a connection's socket, for a shutdown that cannot wait forever ----
 * Both are called by a driver on the connection's worker thread;
 * aiodb__conn_socket takes the db's lock, so the driver holds none of its
 * own locks when it calls it.
 *
 * aiodb__conn_socket tells the core which socket the worker's blocking
 * calls wait on (during connect and after), and -1 before that socket is
 * closed. When aiodb_db_free gives up on a call that has not returned in
 * time (a server that stopped answering), the core shuts that socket down
 * from its own thread (shutdown(2), never close(2)): the blocked call then
 * fails at once and the connection is broken.
 *
 * aiodb__conn_abandon_fd is a descriptor that becomes readable at that
 * same moment: a driver waiting in a poll loop of its own (a non-blocking
 * connect, whose socket may not be connected yet) waits on it as well and
 * fails with AIODB_ECONNLOST once it fires. -1 off a worker thread. */
void aiodb__conn_socket(int fd);
int aiodb__conn_abandon_fd(void);

/* 1 once the call this worker runs has been canceled or has run past its
 * deadline (0 off a worker thread). A driver that runs one call as many
 * steps (a batch's rows) checks it between them: an interrupt that comes
 * between two steps finds nothing running to stop, and sqlite3_interrupt
 * is then forgotten by the next step. */
int aiodb__job_stopping(void);

/* The driver for a URL scheme (what precedes any '+', as in SQLAlchemy's
 * "postgresql+psycopg2"; the caller lower-cases it). NULL with err filled
 * when the scheme is known but its driver is not built (AIODB_EUNSUPPORTED)
 * or unknown (AIODB_EINVAL). */
const aiodb__driver *aiodb__driver_find(const char *scheme, aiodb_error *err);

#ifdef AIODB_HAVE_SQLITE
extern const aiodb__driver aiodb__driver_sqlite;
#endif
#ifdef AIODB_HAVE_POSTGRES
extern const aiodb__driver aiodb__driver_postgres;
#endif
#ifdef AIODB_HAVE_MYSQL
extern const aiodb__driver aiodb__driver_mysql;
#endif

/* Result building, for drivers: cells are appended in row-major order once
 * the column count is set. Each returns 0 or AIODB_ENOMEM. */
int aiodb__result_set_cols(aiodb_result *r, size_t ncols);
int aiodb__result_set_name(aiodb_result *r, size_t col, const char *name,
                           size_t len);
/* Starts r afresh (as aiodb__result_reset) with ncols columns, column i
 * named by name(src, i, &len): len bytes, NULL for want of memory. Returns
 * 0, or fills e with AIODB_ENOMEM and returns it. */
int aiodb__result_columns(aiodb_result *r, size_t ncols,
                          const char *(*name)(const void *src, size_t col,
                                              size_t *len),
                          const void *src, aiodb__err *e);
int aiodb__result_add_null(aiodb_result *r);
int aiodb__result_add_int(aiodb_result *r, int64_t v);
int aiodb__result_add_float(aiodb_result *r, double v);
int aiodb__result_add_text(aiodb_result *r, const char *s, size_t len);
int aiodb__result_add_blob(aiodb_result *r, const void *p, size_t len);
void aiodb__result_set_affected(aiodb_result *r, int64_t n);
void aiodb__result_set_last_id(aiodb_result *r, int64_t id);
/* Forget rows and columns, keep the memory: for the next statement. */
void aiodb__result_reset(aiodb_result *r);
aiodb_result *aiodb__result_new(void);
/* Frees the results kept for reuse (tests that count allocations). */
void aiodb__result_pool_trim(void);

#endif
