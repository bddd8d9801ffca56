/* Shared test helpers. */
#ifndef AIODB_TEST_HELPERS_H
#define AIODB_TEST_HELPERS_H

#include <check.h>
#include <pthread.h>
#include <stdint.h>

#include "aiodb.h"

/* Every case gets this timeout (seconds). */
#define AIODB_TEST_TIMEOUT 60

/* Adds to s a test case of the one test t, named after it, with a timeout
 * of seconds; returns s. */
Suite *aiodb_test_add_case(Suite *s, const TTest *t, int seconds);

/* Adds a test case named after fn with a timeout of its own (seconds). */
#define AIODB_TCASE_TIMEOUT(suite, fn, seconds) aiodb_test_add_case(suite, fn, seconds)

/* Adds a test case named after fn with the standard timeout. */
#define AIODB_TCASE(suite, fn) aiodb_test_add_case(suite, fn, AIODB_TEST_TIMEOUT)

/* A suite named name (static storage) of the tests given, a case each named
 * after its test, with the standard timeout; AIODB_TCASES adds more. */
#define AIODB_SUITE(name, ...) \
  aiodb_test_add_cases(suite_create(name), (const TTest *[]){__VA_ARGS__}, \
                       sizeof((const TTest *[]){__VA_ARGS__}) / sizeof(const TTest *))
#define AIODB_TCASES(suite, ...)                                     \
  aiodb_test_add_cases(suite, (const TTest *[]){__VA_ARGS__},         \
                       sizeof((const TTest *[]){__VA_ARGS__}) / sizeof(const TTest *))
Suite *aiodb_test_add_cases(Suite *s, const TTest *const *tests, size_t n);

/* Adds a test case named name (static storage) that runs the loop test fn
 * for row alone (_i == row): a case of its own for each row of a table. */
#define AIODB_TCASE_ROW(suite, name, fn, row, seconds) \
  do {                                                 \
    TCase *tc_ = tcase_create(name);                   \
    tcase_set_timeout(tc_, seconds);                   \
    tcase_add_loop_test(tc_, fn, row, (row) + 1);      \
    suite_add_tcase(suite, tc_);                       \
  } while (0)

/* A folder for this run's files ($AIODB_TEST_TMP or /tmp/aiodb-test),
 * created on first use. Static storage. */
const char *aiodb_test_tmpdir(void);

/* A fresh path in the tmp folder, unique to this process and call, with the
 * given suffix (e.g. ".db"). Static buffer rotating over 8 slots. */
const char *aiodb_test_path(const char *suffix);

/* "sqlite:////abs/path.db" for a fresh file; static buffer (8 slots). */
const char *aiodb_test_sqlite_url(void);

/* Waits (no limit) and asserts the future succeeded; returns it. */
aiodb_future *aiodb_test_ok(aiodb_future *f);

/* Frees each of the futures given (aiodb_future_free). */
#define aiodb_test_free_all(...)                         \
  aiodb_test_free_n((aiodb_future *[]){__VA_ARGS__},     \
                    sizeof((aiodb_future *[]){__VA_ARGS__}) / sizeof(aiodb_future *))
void aiodb_test_free_n(aiodb_future *const *fs, size_t n);

/* Waits and returns aiodb_future_error(f). */
int aiodb_test_err(aiodb_future *f);

/* Waits for f and asserts that it failed with code and, unless needle is
 * NULL, that its message contains needle; frees f. A failure names the
 * caller's line. */
#define aiodb_test_fails(f, code, needle) \
  aiodb_test_fails_at(__FILE__, __LINE__, f, code, needle, 0)
/* The same, with the whole message. */
#define aiodb_test_fails_with(f, code, message) \
  aiodb_test_fails_at(__FILE__, __LINE__, f, code, message, 1)
void aiodb_test_fails_at(const char *file, int line, aiodb_future *f, int code,
                         const char *text, int whole);
/* The same, with its SQLSTATE and, unless 0, its native code. */
#define aiodb_test_fails_as(f, code, sqlstate, native) \
  aiodb_test_fails_as_at(__FILE__, __LINE__, f, code, sqlstate, native)
void aiodb_test_fails_as_at(const char *file, int line, aiodb_future *f, int code,
                            const char *sqlstate, int native);

/* Fetches the next batch of c, asserting success; returns its row count and
 * hands the future over in *keep (or frees it when keep is NULL). */
size_t aiodb_test_next_rows(aiodb_cursor *c, aiodb_future **keep);

/* n bytes of binary data (NUL bytes among them) in *blob and a text of n
 * letters, a to z over again, in *text: large values for round trips. The
 * caller frees both. */
void aiodb_test_large_values(size_t n, unsigned char **blob, char **text);

/* Asserts that cell (row, col) of r holds the n bytes at want: a blob, or,
 * when text is set, a text (its terminating NUL compared too). */
void aiodb_test_cell_is(aiodb_result *r, size_t row, size_t col, const void *want, size_t n,
                        int text);

/* aiodb_has_table's answer (asserting success and one row): 1 or 0. */
int64_t aiodb_test_has_table(aiodb_db *db, const char *name);

/* Runs sql on db and returns the first cell as an integer. */
int64_t aiodb_test_scalar(aiodb_db *db, const char *sql);

/* Runs sql on db, asserts success, frees the future. */
void aiodb_test_exec(aiodb_db *db, const char *sql);

/* aiodb_test_exec of the SQL that fmt and what follows make (printf). */
void aiodb_test_execf(aiodb_db *db, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Asserts that every aiodb allocation has been given back: call at the end
 * of each case, after freeing everything (libuv's MAKE_VALGRIND_HAPPY).
 * Waits up to 20 s for it, for a driver thread that aiodb_db_free left to
 * finish a network call on its own. */
void aiodb_test_clean_shutdown(void);

/* Frees db, then aiodb_test_clean_shutdown: how most cases end. */
void aiodb_test_done(aiodb_db *db);

/* Asserts that aiodb_open(url, o) fails with code, with a message that is
 * terminated, not empty, holds needle (unless NULL) and no "s3cret" (the
 * password the tests put in URLs). */
void aiodb_test_open_fails(const char *url, const aiodb_options *o, int code,
                           const char *needle);

/* Opens base with extra URL options ("a=1&b=2", or NULL for none) added,
 * asserting success. */
aiodb_db *aiodb_test_open_with(const char *base, const char *opts);

/* Reads a cursor whose first column counts 1, 2, 3, ... to its end,
 * asserting every batch starts where the last ended; returns the rows. */
long aiodb_test_count_cursor(aiodb_cursor *c);

/* Internal counters (lib/alloc.c). */
long aiodb__alloc_live(void);
void aiodb__pools_trim(void);

/* Makes every aiodb allocation after the next n fail (malloc and realloc),
 * to test out-of-memory paths; aiodb_set_allocator(NULL, NULL, NULL)
 * restores the C library's. */
void aiodb_test_fail_allocs_after(long n);

/* This process's peak resident set (VmHWM), in KiB; -1 if unknown. */
long aiodb_test_peak_rss_kb(void);

/* Milliseconds on a monotonic clock. */
double aiodb_test_now_ms(void);

/* ---- test servers (helpers_server.c) ---- */

/* For the record (not asserted): runs sql once for each of rows[0..n),
 * one call each with that value, asserting success, and prints how long
 * that took beside many_ms, what one aiodb_query_many of them took; tagged
 * who. */
void aiodb_test_report_one_call_each(aiodb_db *db, const char *sql, const aiodb_value *rows,
                                     int n, double many_ms, const char *who);

/* The first line of file `name` in the folder the environment variable
 * dir_env names (a test server's "socket_url", "tcp_url", ...), or NULL when
 * there is no such file. Static storage, 4 slots. */
const char *aiodb_test_server_file(const char *dir_env, const char *name);

/* A test server's socket URL (dir_env names its folder), or NULL: the part
 * of a case on that server is then skipped, with a line on stderr, but
 * never under CI=true, where every server must be there (the case fails). */
const char *aiodb_test_server_url(const char *dir_env);

/* Opens base with extra URL options (or NULL), asserting success; its first
 * call must fail to connect (AIODB_ECONNECT), with needle (unless NULL) in
 * the message and secret (unless NULL) nowhere in it. Frees the db; returns
 * the call's native code. */
int aiodb_test_connect_fails(const char *base, const char *opts, const char *needle,
                             const char *secret);

/* A test server's tcp_url (whose password is aiodb-test-pw) with a wrong
 * password: aiodb_test_connect_fails, and the wrong password is not in the
 * message. Returns the native code. */
int aiodb_test_wrong_password_fails(const char *tcp_url, const char *needle);

/* A server suite's restart case, on a db of two connections to the
 * server's socket URL: slow runs until the server is restarted under it
 * and must fail with AIODB_ECONNLOST (one line of message), after which
 * fresh connections serve. */
void aiodb_test_restart_mid_query(const char *slow, const char *script_env, const char *dir_env);

/* Runs `bash $script_env restart $dir_env` (a test server's script), asserts
 * it succeeded. */
void aiodb_test_restart_server(const char *script_env, const char *dir_env);

/* After a server restart: runs sql until it succeeds, allowing the calls
 * that find a dead connection to fail with AIODB_ECONNLOST (at most 4);
 * returns the first cell. */
int64_t aiodb_test_scalar_after_restart(aiodb_db *db, const char *sql);

/* A server suite's memory case: sql (rows i = 1, 2, ... of some 110 bytes,
 * with one argument: how many) read in batches of 1000 must give every row
 * in order and, unless sanitized, grow peak RSS by less than 16 MiB. A
 * million rows, 100,000 under the sanitizers; prints the growth, tagged
 * who. */
void aiodb_test_big_cursor_is_bounded(aiodb_db *db, const char *sql, const char *who);

/* A server connection's network settings, as a suite's probe (an
 * aiodb_run_fn given one of these) reads them from the client library:
 * TCP's, and the connect timeout in seconds. */
typedef struct aiodb_test_net {
  int keepalive, idle, interval, count;
  unsigned user_timeout;
  char connect_timeout[16];
} aiodb_test_net;

/* For a probe: reads fd's keepalive settings and user timeout into n. */
void aiodb_test_net_read_tcp(int fd, aiodb_test_net *n);

/* A server suite's network case, on tcp_url read with probe: over TCP a
 * connection finds a dead peer in about two minutes, idle or not (keepalive
 * probes after 60 s idle, every 10 s, 6 of them; a user timeout of 120 s),
 * and a connect gives up after 10 s, unless the URL says otherwise; the
 * connection that probe used serves the next statement. */
void aiodb_test_network_defaults(const char *tcp_url, aiodb_run_fn probe);

/* A server that stopped answering (hung, or behind a partition): a thread
 * listens on 127.0.0.1 on a free port, accepts connections and never reads,
 * writes or closes them until stopped. */
typedef struct aiodb_test_silent {
  int fd, wake[2], conns[64], nconns;
  unsigned port;
  pthread_t thread;
} aiodb_test_silent;

void aiodb_test_silent_start(aiodb_test_silent *s);
void aiodb_test_silent_stop(aiodb_test_silent *s);

/* A TCP port on 127.0.0.1 where nothing listens (one just bound and
 * released): connections to it are refused. */
unsigned aiodb_test_closed_port(void);

/* ---- holds on a call (helpers_hold.c) ---- */

/* A hold on a call: while held, aiodb_test_hold_point waits until
 * released, or hold_ms at most (no limit when negative). In a client
 * library call a test shims (defines in its own binary, passing it on
 * through dlsym(RTLD_NEXT)), or in a worker (a gate, below). Each case
 * runs in a process of its own (CK_FORK), so a hold never reaches
 * another. */
typedef struct aiodb_test_hold {
  pthread_mutex_t m;
  pthread_cond_t c;
  int hold, entered; /* entered: calls held so far */
  long hold_ms;
  int calls;         /* calls that reached the point, held or not */
} aiodb_test_hold;
#define AIODB_TEST_HOLD_INIT {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0}

/* Holds every call that reaches the point from now on, ms at most each. */
void aiodb_test_hold_calls(aiodb_test_hold *h, long ms);
/* Lets the held calls, and those to come, go on. */
void aiodb_test_hold_release(aiodb_test_hold *h);
/* In the call: waits here while h holds calls. */
void aiodb_test_hold_point(aiodb_test_hold *h);
/* Waits (2 s at most) until n calls have been held; returns how many were. */
int aiodb_test_hold_wait_entered(aiodb_test_hold *h, int n);
/* The calls that reached the point so far, held or not. */
int aiodb_test_hold_count(aiodb_test_hold *h);

/* The interrupter's rules, the same on every server, with shim a hold in
 * the driver's interrupt call (test_postgres.c's PQcancel, test_mysql.c's
 * KILL QUERY). db has max_size=1.
 *
 * aiodb_test_interrupt_in_flight: slow runs 30 s and is canceled while its
 * interrupt call is held: the core's repeats (every second) send nothing
 * more while that call is in flight, none is sent after it either, and
 * the statement ends AIODB_ECANCELED once it lands.
 *
 * aiodb_test_cursor_close_held: a cursor over endless is freed early while
 * the interrupt call is held: the connection is given up after a bounded
 * wait (3 s), well before the call returns, and a fresh one serves. */
void aiodb_test_interrupt_in_flight(aiodb_db *db, const char *slow, aiodb_test_hold *shim);
/* aiodb_test_many_undo_after_interrupt: an endless aiodb_query_many is
 * canceled while its interrupt call is held; it stops between rows, and
 * its ROLLBACK waits until the call has returned (landing on the ROLLBACK,
 * the cancel would leave the transaction open and aborted for the next
 * call). */
void aiodb_test_many_undo_after_interrupt(aiodb_db *db, aiodb_test_hold *shim);
void aiodb_test_cursor_close_held(aiodb_db *db, const char *endless, aiodb_test_hold *shim);

/* A gate that holds a worker inside aiodb_run until opened: for queueing
 * work behind a busy connection deterministically. A hold without a time
 * limit, closed from the start. */
typedef aiodb_test_hold aiodb_test_gate;

void aiodb_test_gate_init(aiodb_test_gate *g);
/* An aiodb_run_fn: marks entered, waits until open; returns 7. */
int aiodb_test_gate_fn(void *native, void *ud);
/* Waits until a worker is inside the gate. */
void aiodb_test_gate_wait_entered(aiodb_test_gate *g);
/* Inits g and holds a worker of db in it (aiodb_db_run), once it is
 * inside: what db runs next waits. Returns the run's future. */
aiodb_future *aiodb_test_gate_hold(aiodb_db *db, aiodb_test_gate *g);
void aiodb_test_gate_open(aiodb_test_gate *g);
void aiodb_test_gate_destroy(aiodb_test_gate *g);

#endif
