/* Raw handles for aiodb_open_native's tests (helpers_native.c): opened,
 * used and closed with the client library itself, as the program that
 * hands them to aiodb would. driver is "sqlite", "postgresql" or "mysql";
 * url the test's URL of that driver (sqlite:////abs/path.db, or a test
 * server's socket_url). Each asserts what it needs. */
#ifndef AIODB_TEST_HELPERS_NATIVE_H
#define AIODB_TEST_HELPERS_NATIVE_H

/* A handle opened on url: sqlite3*, PGconn*, MYSQL* (without
 * CLIENT_MULTI_STATEMENTS). */
void *aiodb_test_raw_open(const char *driver, const char *url);
void aiodb_test_raw_close(const char *driver, void *h);
/* Runs sql (reading every result); 0, or -1 when it failed. */
int aiodb_test_raw_exec(const char *driver, void *h, const char *sql);
/* Runs sql, asserting success; its first cell as an integer. */
long long aiodb_test_raw_scalar(const char *driver, void *h, const char *sql);
/* The server's id of h's session (PostgreSQL's backend pid, MySQL's
 * thread id); 0 for SQLite. */
long long aiodb_test_raw_session(const char *driver, void *h);
/* Prepared statements left: SQLite's on h, PostgreSQL's in h's session,
 * MySQL's in the whole server (Prepared_stmt_count; the server is the
 * test's alone) plus those the client library still lists on h. */
long long aiodb_test_raw_statements(const char *driver, void *h);
/* The program's own settings, which aiodb must leave as they are: SQLite's
 * busy timeout (1234 ms), PostgreSQL's extra_float_digits (0: floats are
 * rounded), MySQL's auto-reconnect (on). _kept asserts them, and that
 * MySQL's handle still refuses several statements in one text. */
void aiodb_test_raw_own_settings(const char *driver, void *h);
void aiodb_test_raw_own_settings_kept(const char *driver, void *h);
/* Once the handle of url's session `session` (of aiodb_test_raw_session)
 * is closed: PostgreSQL and MySQL list that session no more (asked over a
 * connection of its own, 5 s at most), and SQLite's database file is open
 * in this process no more. 1 if so. */
int aiodb_test_raw_is_closed(const char *driver, const char *url, long long session);
/* Ends session `session` of url's server from a connection of its own. */
void aiodb_test_raw_kill(const char *driver, const char *url, long long session);
/* Descriptors of this process open on path. */
int aiodb_test_raw_file_fds(const char *path);

/* States of a handle that aiodb_open_native must refuse: how many the
 * driver has; state i entered on h (returning the handle to offer, h or
 * one of its own, and in *needle what the refusal must say); and left
 * again, asserting that the handle is as the state left it (its
 * transaction still open, its result still unread, ...). */
int aiodb_test_raw_busy_states(const char *driver);
void *aiodb_test_raw_busy(const char *driver, void *h, int i, const char **needle);
void aiodb_test_raw_unbusy(const char *driver, void *h, int i, void *offered);

#endif
