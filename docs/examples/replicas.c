/* Read replicas: a db opened with replica= URLs has a read-only view,
 * aiodb_replica(db), whose calls read from the replicas while the db
 * writes the primary. Here on SQLite: the primary is a file, and the
 * replica is the same file (replica=sqlite:///replicas_example.db,
 * percent-escaped), opened read-only. On PostgreSQL or MySQL the replica
 * URLs name standbys; nothing else changes.
 *
 *   cc -std=c11 replicas.c -laiodb -o replicas
 *   ./replicas */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "aiodb.h"

#define FILE_NAME "replicas_example.db"
/* sqlite:///replicas_example.db, escaped as one option value */
#define REPLICA "sqlite%3A%2F%2F%2F" FILE_NAME

/* Runs sql with args on db and waits; returns its error code, with the
 * first cell in *out when out is not NULL. */
static int run(aiodb_db *db, const char *sql, const aiodb_value *args, size_t nargs,
               int64_t *out) {
  aiodb_future *f = aiodb_query(db, sql, args, nargs);
  int code;
  if (f == NULL) return AIODB_ENOMEM;
  aiodb_future_wait(f, -1);
  code = aiodb_future_error(f);
  if (code == 0 && out != NULL) *out = aiodb_result_int(aiodb_future_result(f), 0, 0);
  if (code != 0) printf("  %s: %s\n", aiodb_err_name(code), aiodb_future_errmsg(f));
  aiodb_future_free(f);
  return code;
}

int main(void) {
  aiodb_value item[2] = {aiodb_int(1), aiodb_text("pen")};
  aiodb_error err;
  aiodb_db *db, *reader;
  aiodb_tx *tx;
  int64_t n = -1;
  int failed = 0, code;

  remove(FILE_NAME);
  /* WAL: readers go on while the db writes. A SQLite replica must exist
   * before its connections open (read-only creates nothing): the db makes
   * it here, then the view's first call connects. */
  db = aiodb_open("sqlite:///" FILE_NAME "?journal_mode=wal&replica=" REPLICA, NULL, &err);
  if (db == NULL) {
    fprintf(stderr, "open: %s\n", err.message);
    return 1;
  }
  reader = aiodb_replica(db) ? aiodb_replica(db) : db;

  /* writes go to the db */
  if (run(db, "CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT)", NULL, 0, NULL) ||
      run(db, "INSERT INTO item VALUES (?, ?)", item, 2, NULL))
    failed = 1;

  /* reads through the view */
  if (run(reader, "SELECT count(*) FROM item", NULL, 0, &n) != 0 || n != 1) failed = 1;
  printf("the view reads: %" PRId64 " item\n", n);

  /* a write through the view is refused by the engine: AIODB_EREADONLY */
  printf("a write through the view:\n");
  code = run(reader, "INSERT INTO item VALUES (2, 'ink')", NULL, 0, NULL);
  if (code != AIODB_EREADONLY) failed = 1;
  printf("a transaction that writes through the view:\n");
  tx = aiodb_begin(reader);
  {
    aiodb_future *f = aiodb_tx_query(tx, "UPDATE item SET name = 'pencil'", NULL, 0);
    aiodb_future_wait(f, -1);
    code = aiodb_future_error(f);
    printf("  %s: %s\n", aiodb_err_name(code), aiodb_future_errmsg(f));
    if (code != AIODB_EREADONLY) failed = 1;
    aiodb_future_free(f);
  }
  aiodb_future_free(aiodb_rollback(tx)); /* the tx is the library's again */

  /* the db keeps writing, and the view sees it */
  item[0] = aiodb_int(2);
  item[1] = aiodb_text("ink");
  if (run(db, "INSERT INTO item VALUES (?, ?)", item, 2, NULL) ||
      run(reader, "SELECT count(*) FROM item", NULL, 0, &n) || n != 2)
    failed = 1;
  printf("after the db's write the view reads: %" PRId64 " items\n", n);

  /* the view is borrowed: freeing the db frees it */
  aiodb_db_free(db);
  remove(FILE_NAME);
  remove(FILE_NAME "-wal");
  remove(FILE_NAME "-shm");
  printf(failed ? "FAILED\n" : "ok\n");
  return failed;
}
