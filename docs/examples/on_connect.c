/* on_connect: set up every connection a db opens, on its worker and with
 * the driver's own handle, before any call runs on it: a SQLite function,
 * PostgreSQL's search_path, MySQL's time zone. Then a setup that fails,
 * and the error the call that needed the connection gets.
 *
 *   cc -std=c11 on_connect.c -laiodb -lsqlite3 -o on_connect
 *   ./on_connect                          (SQLite in memory)
 *   add -DWITH_POSTGRES ... -lpq, or -DWITH_MYSQL ... -lmariadb, for:
 *   ./on_connect postgresql://user:pw@host/db
 *   ./on_connect mysql://user:pw@host/db */
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#ifdef WITH_POSTGRES
#include <libpq-fe.h>
#endif
#ifdef WITH_MYSQL
#include <mysql.h>
#endif

#include "aiodb.h"

/* on_connect runs on the workers, several at once for a pool: what it
 * touches must be thread-safe. */
static atomic_int setups;

/* SQLite: double_it(x) is 2 * x. */
static void double_it(sqlite3_context *cx, int argc, sqlite3_value **argv) {
  (void)argc;
  switch (sqlite3_value_type(argv[0])) {
    case SQLITE_NULL: sqlite3_result_null(cx); break;
    case SQLITE_INTEGER: sqlite3_result_int64(cx, 2 * sqlite3_value_int64(argv[0])); break;
    default: sqlite3_result_double(cx, 2 * sqlite3_value_double(argv[0])); break;
  }
}

/* A function exists on the connection that registered it only: each
 * connection of the pool registers its own. */
static int setup_sqlite(void *native, void *ud) {
  sqlite3 *db = native;
  (void)ud;
  atomic_fetch_add(&setups, 1);
  if (sqlite3_create_function_v2(db, "double_it", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                 NULL, double_it, NULL, NULL, NULL) != SQLITE_OK)
    return 1; /* AIODB_ECONNECT, "on_connect failed (returned 1): " + sqlite3_errmsg */
  return 0;
}

#ifdef WITH_POSTGRES
/* SET lasts for the session, and this one runs before any transaction. */
static int setup_postgres(void *native, void *ud) {
  PGresult *r = PQexec(native, "SET search_path = app, public");
  int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  (void)ud;
  PQclear(r);
  atomic_fetch_add(&setups, 1);
  return ok ? 0 : 1; /* the message then ends with PQerrorMessage's */
}
#endif

#ifdef WITH_MYSQL
static int setup_mysql(void *native, void *ud) {
  (void)ud;
  atomic_fetch_add(&setups, 1);
  return mysql_query(native, "SET time_zone = '+00:00'") == 0 ? 0 : 1;
}
#endif

/* A setup that refuses, saying why (ud: the words). */
static int setup_refused(void *native, void *ud) {
  (void)native;
  aiodb_on_connect_error(ud);
  return 1;
}

/* Prints the first cell of sql's answer on conn. */
static int show(aiodb_conn *conn, const char *sql, int n) {
  aiodb_future *f = aiodb_conn_query(conn, sql, NULL, 0);
  aiodb_result *r;
  int rc = aiodb_future_wait(f, -1) == 0 ? aiodb_future_error(f) : AIODB_EINVAL;
  if (rc != 0) {
    fprintf(stderr, "%s: %s\n", sql, aiodb_future_errmsg(f));
  } else {
    r = aiodb_future_result(f);
    if (aiodb_result_type(r, 0, 0) == AIODB_TYPE_INT)
      printf("connection %d: %s -> %lld\n", n, sql, (long long)aiodb_result_int(r, 0, 0));
    else
      printf("connection %d: %s -> %s\n", n, sql, aiodb_result_text(r, 0, 0));
  }
  aiodb_future_free(f);
  return rc;
}

int main(int argc, char **argv) {
  const char *url = argc > 1 ? argv[1] : "sqlite://";
  const char *check = "SELECT double_it(21)";
  aiodb_future *a, *b;
  aiodb_options o;
  aiodb_error err;
  aiodb_db *db;
  int rc;

  aiodb_options_init(&o);
  o.max_size = 2;
  o.on_connect = setup_sqlite;
  if (strncmp(url, "postgres", 8) == 0) {
#ifdef WITH_POSTGRES
    o.on_connect = setup_postgres;
    check = "SELECT current_setting('search_path')";
#else
    fprintf(stderr, "built without WITH_POSTGRES\n");
    return 2;
#endif
  } else if (strncmp(url, "mysql", 5) == 0 || strncmp(url, "mariadb", 7) == 0) {
#ifdef WITH_MYSQL
    o.on_connect = setup_mysql;
    check = "SELECT @@session.time_zone";
#else
    fprintf(stderr, "built without WITH_MYSQL\n");
    return 2;
#endif
  }
  db = aiodb_open(url, &o, &err);
  if (db == NULL) {
    fprintf(stderr, "open: %s: %s\n", aiodb_err_name(err.code), err.message);
    return 1;
  }
  /* Two connections pinned at once: each was set up when it opened. */
  a = aiodb_acquire(db);
  b = aiodb_acquire(db);
  aiodb_future_wait(a, -1);
  aiodb_future_wait(b, -1);
  rc = aiodb_future_error(a) != 0 || aiodb_future_error(b) != 0;
  if (rc) fprintf(stderr, "acquire: %s%s\n", aiodb_future_errmsg(a), aiodb_future_errmsg(b));
  if (!rc) rc = show(aiodb_future_conn(a), check, 1) != 0 || show(aiodb_future_conn(b), check, 2) != 0;
  if (aiodb_future_error(a) == 0) aiodb_release(aiodb_future_conn(a));
  if (aiodb_future_error(b) == 0) aiodb_release(aiodb_future_conn(b));
  aiodb_future_free(a);
  aiodb_future_free(b);
  aiodb_db_free(db);
  printf("on_connect ran %d times\n", atomic_load(&setups));
  if (rc) return 1;

  /* A setup that fails fails the call that needed the connection, with its
   * words; a later call would try to connect again. */
  o.on_connect = setup_refused;
  o.on_connect_ud = "the schema 'app' is missing";
  db = aiodb_open(url, &o, &err);
  if (db == NULL) return 1;
  if (aiodb_exec_sync(db, "SELECT 1", NULL, 0, &err) >= 0) {
    aiodb_db_free(db);
    return 1;
  }
  printf("refused: %s: %s\n", aiodb_err_name(err.code), err.message);
  aiodb_db_free(db);
  return err.code == AIODB_ECONNECT ? 0 : 1;
}
