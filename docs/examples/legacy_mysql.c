/* legacy_mysql: blocking code written against a MYSQL*, moved onto
 * aiodb's worker without rewriting it (docs/legacy.md walks through it).
 *
 *   legacy_mysql URL      (a mysql:// URL; uses table legacy_notes)
 *
 * notes_add() and notes_count() are the legacy module, unchanged: they take
 * a MYSQL* and block. The glue below wraps them as aiodb_run functions;
 * legacy_steps.h then uses them from a waiting thread, in a transaction on
 * a pinned connection, and from a loop callback, the same for every driver.
 * Exits 0 when every count is what it should be.
 *
 *   cc -std=c11 legacy_mysql.c -laiodb $(pkg-config --cflags --libs libmariadb)
 *      -o legacy_mysql */
#include <mysql.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "aiodb.h"

/* ---- the legacy module: blocking, knows nothing of aiodb ---- */

/* Adds a note; returns its id, or -1. */
static int notes_add(MYSQL *db, const char *text) {
  char sql[512], escaped[2 * 200 + 1];
  size_t len = strlen(text);
  if (len > 200) return -1;
  mysql_real_escape_string(db, escaped, text, (unsigned long)len);
  snprintf(sql, sizeof sql, "INSERT INTO legacy_notes(text) VALUES ('%s')",
           escaped);
  if (mysql_query(db, sql) != 0) return -1;
  return (int)mysql_insert_id(db);
}

/* Returns how many notes there are, or -1. */
static int notes_count(MYSQL *db) {
  MYSQL_RES *res;
  MYSQL_ROW row;
  int n = -1;
  if (mysql_query(db, "SELECT count(*) FROM legacy_notes") != 0) return -1;
  if ((res = mysql_store_result(db)) == NULL) return -1;
  if ((row = mysql_fetch_row(res)) != NULL && row[0] != NULL) n = atoi(row[0]);
  mysql_free_result(res); /* leave no result pending on the connection */
  return n;
}

/* Runs one statement without a result; 0 or -1. */
static int notes_exec(MYSQL *db, const char *sql) {
  return mysql_query(db, sql) == 0 ? 0 : -1;
}

#include "legacy_steps.h"

int main(int argc, char **argv) {
  static const char *const setup[] = {
      "CREATE TABLE IF NOT EXISTS legacy_notes(id int AUTO_INCREMENT PRIMARY KEY, text text)",
      "TRUNCATE legacy_notes", NULL};

  if (argc < 2) {
    fprintf(stderr, "usage: legacy_mysql URL\n");
    return 2;
  }
  return legacy_steps(argv[1], setup, "START TRANSACTION");
}
