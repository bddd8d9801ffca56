/* The driver interface: what the core asks of a database client library.
 * A driver is a const table of functions. The core never includes a
 * client header.
 *
 * Threads and locks (the whole rule is in lib/db.h):
 *   - On the connection's own worker, with no lock of the core held, free
 *     to block on the network: connect, disconnect, handle, exec,
 *     exec_many, exec_batch, cursor_open, cursor_fetch, cursor_close,
 *     is_broken, tx_ended, thread_start, thread_stop.
 *   - On a caller's thread, with no lock held, never blocking: configure,
 *     free_config, client_version.
 *   - Under the db's lock, from any thread: interrupt, and only it. It
 *     must not block. It may take a lock of the driver's own, which is then
 *     always taken after a db's lock: so the driver never holds that lock
 *     while it calls into the core (aiodb__conn_socket takes the db's
 *     lock), and its own threads never take a db's lock. */
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

  /* Runs one statement once per row (st->nrows), prepared once, atomically. */
  int (*exec_many)(void *native, const aiodb__stmt *st, aiodb_result *res,
                   aiodb__err *e);

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
  /* On the thread that calls aiodb_server_info (not a worker): the client
   * library's version, in static or thread-local storage. */
  const char *(*client_version)(void);

  /* Stops the statement that exec, exec_many or cursor_fetch is running on
   * native. Called by the core under the db's lock, from any thread (a
   * caller's aiodb_future_cancel, the process-wide deadline timer), so it
   * must never block: no network round trip (PQcancel, a KILL QUERY), no
   * wait for the worker. Post the request to a thread of the driver's own
   * and return; that thread must not stop a later statement instead. */
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
} aiodb__driver;

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
