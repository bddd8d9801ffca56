/* legacy_sqlite: blocking code written against a sqlite3*, moved onto
 * aiodb's worker without rewriting it (docs/legacy.md walks through it).
 *
 *   legacy_sqlite [FILE]     (default legacy.db in the working directory)
 *
 * notes_add() and notes_count() are the legacy module, unchanged: they take
 * a sqlite3* and block. The glue below wraps them as aiodb_run functions;
 * legacy_steps.h then uses them from a waiting thread, in a transaction on
 * a pinned connection, and from a loop callback, the same for every driver.
 * Exits 0 when every count is what it should be.
 *
 *   cc -std=c11 legacy_sqlite.c -laiodb -lsqlite3 -o legacy_sqlite */
#include <sqlite3.h>
#include <stdio.h>

#include "aiodb.h"

/* ---- the legacy module: blocking, knows nothing of aiodb ---- */

/* Adds a note; returns its id, or -1. */
static int notes_add(sqlite3 *db, const char *text) {
  sqlite3_stmt *st;
  int id = -1;
  if (sqlite3_prepare_v2(db, "INSERT INTO notes(text) VALUES (?)", -1, &st,
                         NULL) != SQLITE_OK)
    return -1;
  sqlite3_bind_text(st, 1, text, -1, SQLITE_TRANSIENT);
  if (sqlite3_step(st) == SQLITE_DONE) id = (int)sqlite3_last_insert_rowid(db);
  sqlite3_finalize(st);
  return id;
}

/* Returns how many notes there are, or -1. */
static int notes_count(sqlite3 *db) {
  sqlite3_stmt *st;
  int n = -1;
  if (sqlite3_prepare_v2(db, "SELECT count(*) FROM notes", -1, &st, NULL) !=
      SQLITE_OK)
    return -1;
  if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return n;
}

/* Runs one statement without a result; 0 or -1. */
static int notes_exec(sqlite3 *db, const char *sql) {
  return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

#include "legacy_steps.h"

int main(int argc, char **argv) {
  static const char *const setup[] = {
      "CREATE TABLE IF NOT EXISTS notes(id INTEGER PRIMARY KEY, text TEXT)",
      "DELETE FROM notes", NULL};
  char url[1024];

  snprintf(url, sizeof url, "sqlite:///%s", argc > 1 ? argv[1] : "legacy.db");
  return legacy_steps(url, setup, "BEGIN");
}
