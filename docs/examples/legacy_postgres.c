/* legacy_postgres: blocking code written against a PGconn*, moved onto
 * aiodb's worker without rewriting it (docs/legacy.md walks through it).
 *
 *   legacy_postgres URL      (a postgresql:// URL; uses table legacy_notes)
 *
 * notes_add() and notes_count() are the legacy module, unchanged: they take
 * a PGconn* and block. The glue below wraps them as aiodb_run functions;
 * legacy_steps.h then uses them from a waiting thread, in a transaction on
 * a pinned connection, and from a loop callback, the same for every driver.
 * Exits 0 when every count is what it should be.
 *
 *   cc -std=c11 legacy_postgres.c -laiodb -lpq -o legacy_postgres
 *   (with -I$(pg_config --includedir)) */
#include <libpq-fe.h>
#include <stdlib.h>
#include <stdio.h>

#include "aiodb.h"

/* ---- the legacy module: blocking, knows nothing of aiodb ---- */

/* Adds a note; returns its id, or -1. */
static int notes_add(PGconn *db, const char *text) {
  PGresult *res = PQexecParams(
      db, "INSERT INTO legacy_notes(text) VALUES ($1) RETURNING id", 1, NULL,
      &text, NULL, NULL, 0);
  int id = PQresultStatus(res) == PGRES_TUPLES_OK ? atoi(PQgetvalue(res, 0, 0))
                                                  : -1;
  PQclear(res); /* leave no result behind on the connection */
  return id;
}

/* Returns how many notes there are, or -1. */
static int notes_count(PGconn *db) {
  PGresult *res = PQexec(db, "SELECT count(*) FROM legacy_notes");
  int n = PQresultStatus(res) == PGRES_TUPLES_OK ? atoi(PQgetvalue(res, 0, 0))
                                                 : -1;
  PQclear(res);
  return n;
}

/* Runs one command; 0 or -1. */
static int notes_exec(PGconn *db, const char *sql) {
  PGresult *res = PQexec(db, sql);
  int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;
  PQclear(res);
  return rc;
}

#include "legacy_steps.h"

int main(int argc, char **argv) {
  static const char *const setup[] = {
      "CREATE TABLE IF NOT EXISTS legacy_notes(id serial PRIMARY KEY, text text)",
      "TRUNCATE legacy_notes RESTART IDENTITY", NULL};

  if (argc < 2) {
    fprintf(stderr, "usage: legacy_postgres URL\n");
    return 2;
  }
  return legacy_steps(argv[1], setup, "BEGIN");
}
