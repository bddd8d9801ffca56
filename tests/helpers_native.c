/* Raw handles for aiodb_open_native's tests: helpers_native.h. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "helpers_native.h"

#ifdef AIODB_HAVE_SQLITE
#include <sqlite3.h>
#endif
#ifdef AIODB_HAVE_POSTGRES
#include <libpq-fe.h>
#endif
#ifdef AIODB_HAVE_MYSQL
#include <mysql.h>
#endif

static int is(const char *driver, const char *name) { return strcmp(driver, name) == 0; }

int aiodb_test_raw_file_fds(const char *path) {
  char link[PATH_MAX + 32], target[PATH_MAX];
  struct dirent *d;
  DIR *dir = opendir("/proc/self/fd");
  int n = 0;
  ssize_t len;
  ck_assert_ptr_nonnull(dir);
  while ((d = readdir(dir)) != NULL) {
    snprintf(link, sizeof link, "/proc/self/fd/%s", d->d_name);
    len = readlink(link, target, sizeof target - 1);
    if (len <= 0) continue;
    target[len] = '\0';
    if (strcmp(target, path) == 0) n++;
  }
  closedir(dir);
  return n;
}

/* ---- SQLite ---- */
#ifdef AIODB_HAVE_SQLITE
static sqlite3_stmt *sq_running; /* the statement of busy state 1 */

static void *sq_open(const char *url) {
  sqlite3 *db = NULL;
  ck_assert(strncmp(url, "sqlite:///", 10) == 0);
  ck_assert_int_eq(sqlite3_open_v2(url + 10, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                   NULL),
                   SQLITE_OK);
  return db;
}

static long long sq_scalar(sqlite3 *db, const char *sql) {
  sqlite3_stmt *st;
  long long v;
  ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
                sqlite3_errmsg(db));
  ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
  v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}
#endif

/* ---- PostgreSQL ---- */
#ifdef AIODB_HAVE_POSTGRES
static void quiet(void *arg, const char *message) {
  (void)arg;
  (void)message;
}

static long long pg_scalar(PGconn *pg, const char *sql) {
  PGresult *r = PQexec(pg, sql);
  long long v;
  ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(pg));
  v = atoll(PQgetvalue(r, 0, 0));
  PQclear(r);
  return v;
}

static int pg_exec(PGconn *pg, const char *sql) {
  PGresult *r = PQexec(pg, sql);
  int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
  PQclear(r);
  return ok ? 0 : -1;
}
#endif

/* ---- MySQL ---- */
#ifdef AIODB_HAVE_MYSQL
/* mysql://user:pw@host[:port]/db[?unix_socket=path], as the test server
 * writes it (no escapes). */
static void *my_open(const char *url) {
  char buf[700], *user, *pw, *host, *port, *db, *q, *sock = NULL;
  MYSQL *m = mysql_init(NULL);
  ck_assert_ptr_nonnull(m);
  ck_assert(strncmp(url, "mysql://", 8) == 0);
  snprintf(buf, sizeof buf, "%s", url + 8);
  if ((q = strchr(buf, '?')) != NULL) {
    *q++ = '\0';
    if (strncmp(q, "unix_socket=", 12) == 0) sock = q + 12;
  }
  user = buf;
  host = strrchr(buf, '@');
  ck_assert_ptr_nonnull(host);
  *host++ = '\0';
  if ((pw = strchr(user, ':')) != NULL) *pw++ = '\0';
  if ((db = strchr(host, '/')) != NULL) *db++ = '\0';
  if ((port = strchr(host, ':')) != NULL) *port++ = '\0';
  ck_assert_msg(mysql_real_connect(m, host, user, pw, db, port ? (unsigned)atoi(port) : 0,
                                   sock, 0) != NULL,
                "mysql_real_connect: %s", mysql_error(m));
  return m;
}

static int my_exec(MYSQL *m, const char *sql) {
  int rc = mysql_query(m, sql) == 0 ? 0 : -1;
  do {
    MYSQL_RES *r = mysql_store_result(m);
    if (r) mysql_free_result(r);
  } while (rc == 0 && mysql_next_result(m) == 0);
  return rc;
}

static long long my_scalar(MYSQL *m, const char *sql) {
  MYSQL_RES *r;
  MYSQL_ROW row;
  long long v;
  ck_assert_msg(mysql_query(m, sql) == 0, "%s: %s", sql, mysql_error(m));
  r = mysql_store_result(m);
  ck_assert_ptr_nonnull(r);
  row = mysql_fetch_row(r);
  ck_assert_ptr_nonnull(row);
  v = atoll(row[mysql_num_fields(r) - 1]); /* SHOW ...: name, value */
  mysql_free_result(r);
  return v;
}

static MYSQL_RES *my_unread; /* the result of busy state 2 */

static unsigned my_status(MYSQL *m) {
  unsigned s = 0;
  ck_assert_int_eq(mariadb_get_infov(m, MARIADB_CONNECTION_SERVER_STATUS, &s), 0);
  return s;
}
#endif

void *aiodb_test_raw_open(const char *driver, const char *url) {
#ifdef AIODB_HAVE_SQLITE
  if (is(driver, "sqlite")) return sq_open(url);
#endif
#ifdef AIODB_HAVE_POSTGRES
  if (is(driver, "postgresql")) {
    PGconn *pg = PQconnectdb(url);
    ck_assert_msg(PQstatus(pg) == CONNECTION_OK, "PQconnectdb: %s", PQerrorMessage(pg));
    PQsetNoticeProcessor(pg, quiet, NULL);
    return pg;
  }
#endif
#ifdef AIODB_HAVE_MYSQL
  if (is(driver, "mysql")) return my_open(url);
#endif
  (void)url;
  ck_abort_msg("no raw driver %s", driver);
  return NULL;
}

void aiodb_test_raw_close(const char *driver, void *h) {
#ifdef AIODB_HAVE_SQLITE
  if (is(driver, "sqlite")) ck_assert_int_eq(sqlite3_close(h), SQLITE_OK);
#endif
#ifdef AIODB_HAVE_POSTGRES
  if (is(driver, "postgresql")) PQfinish(h);
#endif
#ifdef AIODB_HAVE_MYSQL
  if (is(driver, "mysql")) mysql_close(h);
#endif
  (void)driver;
  (void)h;
}

int aiodb_test_raw_exec(const char *driver, void *h, const char *sql) {
#ifdef AIODB_HAVE_SQLITE
  if (is(driver, "sqlite")) return sqlite3_exec(h, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
#endif
#ifdef AIODB_HAVE_POSTGRES
  if (is(driver, "postgresql")) return pg_exec(h, sql);
#endif
#ifdef AIODB_HAVE_MYSQL
  if (is(driver, "mysql")) return my_exec(h, sql);
#endif
  (void)h;
  (void)sql;
  ck_abort_msg("no raw driver %s", driver);
  return -1;
}

long long aiodb_test_raw_scalar(const char *driver, void *h, const char *sql) {
#ifdef AIODB_HAVE_SQLITE
  if (is(driver, "sqlite")) return sq_scalar(h, sql);
#endif
#ifdef AIODB_HAVE_POSTGRES
  if (is(driver, "postgresql")) return pg_scalar(h, sql);
#endif
#ifdef AIODB_HAVE_MYSQL
  if (is(driver, "mysql")) return my_scalar(h, sql);
#endif
  (void)h;
  (void)sql;
  ck_abort_msg("no raw driver %s", driver);
  return -1;
}

long long aiodb_test_raw_session(const char *driver, void *h) {
#ifdef AIODB_HAVE_POSTGRES
  if (is(driver, "postgresql")) return PQbackendPID(h);
#endif
#ifdef AIODB_HAVE_MYSQL
  if (is(driver, "mysql")) return (long long)mysql_thread_id(h);
#endif
  (void)driver;
  (void)h;
  return 0;
}

long long aiodb_test_raw_statements(const char *driver, void *h) {
#ifdef AIODB_HAVE_SQLITE
  if (is(driver, "sqlite")) {
    long long n = 0;
    sqlite3_stmt *st = NULL;
    while ((st = sqlite3_next_stmt(h, st)) != NULL) n++;
    return n;
  }
#endif
#ifdef AIODB_HAVE_POSTGRES
  if (is(driver, "postgresql"))
    return pg_scalar(h, "SELECT count(*) FROM pg_prepared_statements");
#endif
#ifdef AIODB_HAVE_MYSQL
  if (is(driver, "mysql")) {
    long long n = my_scalar(h, "SHOW GLOBAL STATUS LIKE 'Prepared_stmt_count'");
    LIST *l;
    for (l = ((MYSQL *)h)->stmts; l != NULL; l = l->next) n++;
    return n;
  }
#endif
  (void)h;
  ck_abort_msg("no raw driver %s", driver);
  return -1;
}

void aiodb_test_raw_own_settings(const char *driver, void *h) {
#ifdef AIODB_HAVE_SQLITE
  if (is(driver, "sqlite")) sqlite3_busy_timeout(h, 1234);
#endif
#ifdef AIODB_HAVE_POSTGRES
  if (is(driver, "postgresql")) ck_assert_int_eq(pg_exec(h, "SET extra_float_digits = 0"), 0);
#endif
#ifdef AIODB_HAVE_MYSQL
  if (is(driver, "mysql")) {
    my_bool on = 1;
    ck_assert_int_eq(mysql_optionsv(h, MYSQL_OPT_RECONNECT, &on), 0);
  }
#endif
  (void)driver;
  (void)h;
}

void aiodb_test_raw_own_settings_kept(const char *driver, void *h) {
#ifdef AIODB_HAVE_SQLITE
  if (is(driver, "sqlite")) ck_assert_int_eq(sq_scalar(h, "PRAGMA busy_timeout"), 1234);
#endif
#ifdef AIODB_HAVE_POSTGRES
  if (is(driver, "postgresql"))
    ck_assert_int_eq(pg_scalar(h, "SELECT current_setting('extra_float_digits')::int"), 0);
#endif
#ifdef AIODB_HAVE_MYSQL
  if (is(driver, "mysql")) {
    my_bool on = 0;
    ck_assert_int_eq(mysql_get_optionv(h, MYSQL_OPT_RECONNECT, &on), 0);
    ck_assert_int_eq(on, 1);
    ck_assert_int_eq(my_exec(h, "SELECT 1; SELECT 2"), -1); /* no multi-statements */
  }
#endif
  (void)driver;
  (void)h;
}

int aiodb_test_raw_is_closed(const char *driver, const char *url, long long session) {
  void *other;
  char sql[128];
  int i;
  if (is(driver, "sqlite")) return aiodb_test_raw_file_fds(url + 10) == 0;
  other = aiodb_test_raw_open(driver, url);
  snprintf(sql, sizeof sql,
           is(driver, "postgresql") ? "SELECT count(*) FROM pg_stat_activity WHERE pid = %lld"
                                    : "SELECT count(*) FROM information_schema.PROCESSLIST "
                                      "WHERE ID = %lld",
           session);
  for (i = 0; i < 100 && aiodb_test_raw_scalar(driver, other, sql) != 0; i++) usleep(50000);
  aiodb_test_raw_close(driver, other);
  return i < 100;
}

void aiodb_test_raw_kill(const char *driver, const char *url, long long session) {
  void *other = aiodb_test_raw_open(driver, url);
  char sql[96];
  snprintf(sql, sizeof sql,
           is(driver, "postgresql") ? "SELECT pg_terminate_backend(%lld)" : "KILL %lld",
           session);
  ck_assert_int_eq(aiodb_test_raw_exec(driver, other, sql), 0);
  aiodb_test_raw_close(driver, other);
  ck_assert(aiodb_test_raw_is_closed(driver, url, session));
}

/* ---- states aiodb_open_native refuses ---- */

int aiodb_test_raw_busy_states(const char *driver) {
  return is(driver, "sqlite") ? 2 : is(driver, "postgresql") ? 6 : 5;
}

void *aiodb_test_raw_busy(const char *driver, void *h, int i, const char **needle) {
#ifdef AIODB_HAVE_SQLITE
  if (is(driver, "sqlite")) {
    if (i == 0) {
      ck_assert_int_eq(aiodb_test_raw_exec(driver, h, "BEGIN"), 0);
      *needle = "inside a transaction";
    } else {
      ck_assert_int_eq(sqlite3_prepare_v2(h, "SELECT 1 UNION ALL SELECT 2", -1, &sq_running,
                                          NULL),
                       SQLITE_OK);
      ck_assert_int_eq(sqlite3_step(sq_running), SQLITE_ROW);
      *needle = "is still running";
    }
    return h;
  }
#endif
#ifdef AIODB_HAVE_POSTGRES
  if (is(driver, "postgresql")) {
    static const char *const needles[] = {"inside a transaction block",
                                          "inside a failed transaction block",
                                          "results not yet read", "pipeline mode",
                                          "nonblocking mode", "is not connected"};
    *needle = needles[i];
    switch (i) {
      case 0: ck_assert_int_eq(pg_exec(h, "BEGIN"), 0); break;
      case 1:
        ck_assert_int_eq(pg_exec(h, "BEGIN"), 0);
        ck_assert_int_eq(pg_exec(h, "SELECT 1/0"), -1);
        break;
      case 2: ck_assert_int_eq(PQsendQuery(h, "SELECT 42"), 1); break;
      case 3: ck_assert_int_eq(PQenterPipelineMode(h), 1); break;
      case 4: ck_assert_int_eq(PQsetnonblocking(h, 1), 0); break;
      default:
        ck_assert_int_eq(pg_exec(h, "SELECT pg_terminate_backend(pg_backend_pid())"), -1);
        ck_assert_int_eq(PQstatus(h), CONNECTION_BAD);
        break;
    }
    return h;
  }
#endif
#ifdef AIODB_HAVE_MYSQL
  if (is(driver, "mysql")) {
    static const char *const needles[] = {"inside a transaction", "autocommit off",
                                          "not yet read to its end", "more results pending",
                                          "is not connected"};
    MYSQL_RES *r;
    *needle = needles[i];
    switch (i) {
      case 0: ck_assert_int_eq(my_exec(h, "BEGIN"), 0); break;
      case 1: ck_assert_int_eq(mysql_autocommit(h, 0), 0); break;
      case 2:
        ck_assert_int_eq(mysql_query(h, "SELECT 1 UNION ALL SELECT 2"), 0);
        my_unread = mysql_use_result(h); /* read and freed at unbusy */
        ck_assert_ptr_nonnull(my_unread);
        break;
      case 3:
        ck_assert_int_eq(mysql_set_server_option(h, MYSQL_OPTION_MULTI_STATEMENTS_ON), 0);
        ck_assert_int_eq(mysql_query(h, "SELECT 1; SELECT 2"), 0);
        r = mysql_store_result(h);
        ck_assert_ptr_nonnull(r);
        mysql_free_result(r);
        break;
      default: {
        MYSQL *fresh = mysql_init(NULL); /* never connected */
        ck_assert_ptr_nonnull(fresh);
        return fresh;
      }
    }
    return h;
  }
#endif
  (void)h;
  (void)i;
  (void)needle;
  ck_abort_msg("no raw driver %s", driver);
  return NULL;
}

void aiodb_test_raw_unbusy(const char *driver, void *h, int i, void *offered) {
#ifdef AIODB_HAVE_SQLITE
  if (is(driver, "sqlite")) {
    if (i == 0) {
      ck_assert_int_eq(sqlite3_get_autocommit(h), 0);
      ck_assert_int_eq(aiodb_test_raw_exec(driver, h, "ROLLBACK"), 0);
    } else {
      /* where it was: the second row comes next */
      ck_assert_int_eq(sqlite3_step(sq_running), SQLITE_ROW);
      ck_assert_int_eq(sqlite3_column_int(sq_running, 0), 2);
      sqlite3_finalize(sq_running);
    }
  }
#endif
#ifdef AIODB_HAVE_POSTGRES
  if (is(driver, "postgresql")) {
    PGresult *r;
    switch (i) {
      case 0:
        ck_assert_int_eq(PQtransactionStatus(h), PQTRANS_INTRANS);
        ck_assert_int_eq(pg_exec(h, "ROLLBACK"), 0);
        break;
      case 1:
        ck_assert_int_eq(PQtransactionStatus(h), PQTRANS_INERROR);
        ck_assert_int_eq(pg_exec(h, "ROLLBACK"), 0);
        break;
      case 2:
        r = PQgetResult(h);
        ck_assert_int_eq(PQresultStatus(r), PGRES_TUPLES_OK);
        ck_assert_str_eq(PQgetvalue(r, 0, 0), "42");
        PQclear(r);
        ck_assert_ptr_null(PQgetResult(h));
        break;
      case 3: ck_assert_int_eq(PQexitPipelineMode(h), 1); break;
      case 4:
        ck_assert_int_eq(PQisnonblocking(h), 1);
        ck_assert_int_eq(PQsetnonblocking(h, 0), 0);
        break;
      default:
        PQreset(h);
        ck_assert_int_eq(PQstatus(h), CONNECTION_OK);
        break;
    }
  }
#endif
#ifdef AIODB_HAVE_MYSQL
  if (is(driver, "mysql")) {
    MYSQL_RES *r;
    MYSQL_ROW row;
    switch (i) {
      case 0:
        ck_assert(my_status(h) & SERVER_STATUS_IN_TRANS);
        ck_assert_int_eq(my_exec(h, "ROLLBACK"), 0);
        break;
      case 1:
        ck_assert(!(my_status(h) & SERVER_STATUS_AUTOCOMMIT));
        ck_assert_int_eq(mysql_autocommit(h, 1), 0);
        break;
      case 2: /* every row still to read */
        row = mysql_fetch_row(my_unread);
        ck_assert_ptr_nonnull(row);
        ck_assert_str_eq(row[0], "1");
        row = mysql_fetch_row(my_unread);
        ck_assert_ptr_nonnull(row);
        ck_assert_str_eq(row[0], "2");
        ck_assert_ptr_null(mysql_fetch_row(my_unread));
        mysql_free_result(my_unread);
        break;
      case 3:
        ck_assert_int_eq(mysql_more_results(h), 1);
        ck_assert_int_eq(mysql_next_result(h), 0);
        r = mysql_store_result(h);
        ck_assert_ptr_nonnull(r);
        row = mysql_fetch_row(r);
        ck_assert_str_eq(row[0], "2");
        mysql_free_result(r);
        ck_assert_int_eq(mysql_set_server_option(h, MYSQL_OPTION_MULTI_STATEMENTS_OFF), 0);
        break;
      default: mysql_close(offered); break;
    }
  }
#endif
  (void)driver;
  (void)h;
  (void)i;
  (void)offered;
}
