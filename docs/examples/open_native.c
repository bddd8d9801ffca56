/* open_native: a program that opened its database itself hands the handle
 * to aiodb (aiodb_open_native), uses it without blocking, and takes it
 * back when the db is freed (docs/legacy.md, "Keep your own handle").
 *
 *   open_native            a SQLite file, open_native.db, in this folder
 *   open_native URL        a postgresql:// URL (built with -DWITH_LIBPQ)
 *
 *   cc -std=c11 open_native.c -laiodb -lsqlite3 -o open_native
 *   (PostgreSQL too: add -DWITH_LIBPQ -lpq, and -I$(pg_config --includedir))
 *
 * Exits 0 when every count is what it should be. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef WITH_LIBPQ
#include <libpq-fe.h>
#endif

#include "aiodb.h"

/* ---- the program's own code: blocking, on its own handle ---- */

static int sqlite_count(void *handle) {
  sqlite3_stmt *st;
  int n = -1;
  if (sqlite3_prepare_v2(handle, "SELECT count(*) FROM native_notes", -1, &st, NULL) != SQLITE_OK)
    return -1;
  if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return n;
}

#ifdef WITH_LIBPQ
static int pg_count(void *handle) {
  PGresult *r = PQexec(handle, "SELECT count(*) FROM native_notes");
  int n = PQresultStatus(r) == PGRES_TUPLES_OK ? atoi(PQgetvalue(r, 0, 0)) : -1;
  PQclear(r);
  return n;
}
#endif

/* The handle, its driver's name for aiodb_open_native, and the program's
 * own count of notes: what a program has before it meets aiodb. */
typedef struct program {
  const char *driver;
  void *handle;
  int (*count)(void *handle);
} program;

static int open_program(program *p, const char *url) {
  if (url == NULL) {
    sqlite3 *db;
    if (sqlite3_open("open_native.db", &db) != SQLITE_OK ||
        sqlite3_exec(db,
                     "DROP TABLE IF EXISTS native_notes;"
                     "CREATE TABLE native_notes(id INTEGER PRIMARY KEY, text TEXT);"
                     "INSERT INTO native_notes(text) VALUES ('from the program')",
                     NULL, NULL, NULL) != SQLITE_OK) {
      fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(db));
      sqlite3_close(db);
      return -1;
    }
    p->driver = "sqlite";
    p->handle = db;
    p->count = sqlite_count;
    return 0;
  }
#ifdef WITH_LIBPQ
  if (strncmp(url, "postgresql://", 13) == 0) {
    PGconn *pg = PQconnectdb(url);
    PGresult *r = PQexec(pg,
                         "DROP TABLE IF EXISTS native_notes;"
                         "CREATE TABLE native_notes(id serial PRIMARY KEY, text text);"
                         "INSERT INTO native_notes(text) VALUES ('from the program')");
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) {
      fprintf(stderr, "postgresql: %s", PQerrorMessage(pg));
      PQfinish(pg);
      return -1;
    }
    p->driver = "postgresql";
    p->handle = pg;
    p->count = pg_count;
    return 0;
  }
#endif
  fprintf(stderr, "usage: open_native [postgresql://URL]\n");
  return -1;
}

static void close_program(program *p) {
#ifdef WITH_LIBPQ
  if (strcmp(p->driver, "postgresql") == 0) {
    PQclear(PQexec(p->handle, "DROP TABLE native_notes"));
    PQfinish(p->handle);
    return;
  }
#endif
  sqlite3_close(p->handle);
}

/* ---- aiodb's side: the same handle, never blocking the caller ---- */

/* An aiodb_run function: native is the program's own handle. */
static int count_on_worker(void *native, void *ud) {
  const program *p = ud;
  return p->count(native);
}

/* Waits for f (a thread without a loop may), reports a failure, frees f.
 * Returns the function's value for an aiodb_run, 0 otherwise; -1 on
 * failure. */
static int finish(aiodb_future *f, const char *what) {
  int v = -1;
  if (f != NULL && aiodb_future_wait(f, -1) == 0 && aiodb_future_error(f) == 0)
    v = aiodb_future_value(f);
  else
    fprintf(stderr, "%s: %s\n", what, f ? aiodb_future_errmsg(f) : "out of memory");
  aiodb_future_free(f);
  return v;
}

int main(int argc, char **argv) {
  program p;
  aiodb_error err;
  aiodb_db *db;
  aiodb_value text = aiodb_text("from aiodb");
  int through_run, after;

  if (open_program(&p, argc > 1 ? argv[1] : NULL) != 0) return 1;

  /* close_at_end 0: lent, not given. From here until aiodb_db_free returns
   * the program leaves the handle alone; aiodb's worker is its only user. */
  db = aiodb_open_native(p.driver, p.handle, 0, NULL, &err);
  if (db == NULL) {
    /* refused (a transaction open, a result unread, ...): the handle is
     * untouched and still the program's */
    fprintf(stderr, "aiodb_open_native: %s: %s\n", aiodb_err_name(err.code), err.message);
    close_program(&p);
    return 1;
  }
  if (finish(aiodb_query(db, "INSERT INTO native_notes(text) VALUES (?)", &text, 1),
             "insert") < 0) {
    aiodb_db_free(db);
    close_program(&p);
    return 1;
  }
  /* the program's own function, run on the worker with the same handle */
  through_run = finish(aiodb_db_run(db, count_on_worker, &p), "count");
  printf("through aiodb_run: %d notes\n", through_run);

  aiodb_db_free(db); /* the handle is the program's again, still open */
  after = p.count(p.handle);
  printf("back in the program: %d notes\n", after);
  close_program(&p);
  return through_run == 2 && after == 2 ? 0 : 1;
}
