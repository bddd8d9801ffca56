/* sync_helpers: synchronous code in one call per statement. aiodb_exec_sync
 * runs a statement for its effect and answers the rows it changed (and
 * the new row's id); every synchronous helper fills an aiodb_error that
 * carries the database's SQLSTATE and native code.
 *
 *   cc -std=c11 sync_helpers.c -laiodb -o sync_helpers
 *   ./sync_helpers                      (SQLite in memory)
 *   ./sync_helpers mysql://user:pw@host/db */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "aiodb.h"

int main(int argc, char **argv) {
  const char *url = argc > 1 ? argv[1] : "sqlite://";
  aiodb_value v[2];
  aiodb_error err;
  aiodb_db *db;
  int64_t n, id;

  db = aiodb_open(url, NULL, &err);
  if (db == NULL) {
    fprintf(stderr, "open: %s: %s\n", aiodb_err_name(err.code), err.message);
    return 1;
  }
  /* DDL: nothing to free, 0 rows changed. */
  if (aiodb_exec_sync(db, "DROP TABLE IF EXISTS sync_user", NULL, 0, &err) < 0 ||
      aiodb_exec_sync(db, "CREATE TABLE sync_user(name VARCHAR(40) UNIQUE, "
                          "visits INTEGER)", NULL, 0, &err) < 0)
    goto fail;

  /* An insert, and the id the database gave its row (SQLite's rowid,
   * MySQL's AUTO_INCREMENT; PostgreSQL has none: use RETURNING there). */
  v[0] = aiodb_text("ada");
  v[1] = aiodb_int(1);
  if (aiodb_exec_sync_id(db, "INSERT INTO sync_user VALUES (?, ?)", v, 2, &id,
                         &err) < 0)
    goto fail;
  printf("inserted ada, id %" PRId64 "\n", id);
  v[0] = aiodb_text("grace");
  if (aiodb_exec_sync(db, "INSERT INTO sync_user VALUES (?, ?)", v, 2, &err) < 0)
    goto fail;

  /* Affected rows. */
  n = aiodb_exec_sync(db, "UPDATE sync_user SET visits = visits + 1", NULL, 0, &err);
  if (n < 0) goto fail;
  printf("updated %" PRId64 " rows\n", n);

  /* A failure: the code, the message, the SQLSTATE and the native code. */
  v[0] = aiodb_text("ada");
  if (aiodb_exec_sync(db, "INSERT INTO sync_user VALUES (?, ?)", v, 2, &err) >= 0) {
    fprintf(stderr, "a second ada was accepted\n");
    goto fail;
  }
  printf("duplicate: %s, SQLSTATE %s, native code %d\n  %s\n",
         aiodb_err_name(err.code), err.sqlstate[0] ? err.sqlstate : "(none)",
         err.native_code, err.message);
  if (err.code != AIODB_ECONSTRAINT) goto fail;

  /* And a value back, in one call. */
  if (aiodb_query_int_sync(db, "SELECT sum(visits) AS total FROM sync_user", NULL,
                           0, "total", &n, &err) != 0)
    goto fail;
  printf("%" PRId64 " visits in all\n", n);

  aiodb_exec_sync(db, "DROP TABLE sync_user", NULL, 0, NULL);
  aiodb_db_free(db);
  return 0;
fail:
  fprintf(stderr, "%s: %s (SQLSTATE %s)\n", aiodb_err_name(err.code), err.message,
          err.sqlstate);
  aiodb_db_free(db);
  return 1;
}
