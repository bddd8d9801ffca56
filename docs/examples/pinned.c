/* pinned: a transaction on one pinned connection. Calls on a connection run
 * strictly in submission order, so BEGIN, every INSERT and COMMIT can all be
 * submitted at once; only the last one needs waiting for.
 *
 *   cc -std=c11 pinned.c -laiodb -o pinned && ./pinned */
#include <inttypes.h>
#include <stdio.h>

#include "aiodb.h"

#define NROWS 1000

int main(void) {
  static aiodb_future *ins[NROWS];
  aiodb_error err;
  aiodb_future *acq, *create, *begin, *commit, *count;
  aiodb_value arg;
  aiodb_conn *conn;
  aiodb_db *db;
  int i, failed = 0;

  db = aiodb_open("sqlite://?max_size=2", NULL, &err);
  if (db == NULL) {
    fprintf(stderr, "open: %s\n", err.message);
    return 1;
  }

  /* Pin a connection: until released it serves only calls made on it. */
  acq = aiodb_acquire(db);
  if (aiodb_future_wait(acq, -1) != 0 || aiodb_future_error(acq) != 0) {
    fprintf(stderr, "acquire: %s\n", aiodb_future_errmsg(acq));
    aiodb_future_free(acq);
    aiodb_db_free(db);
    return 1;
  }
  conn = aiodb_future_conn(acq); /* borrowed from acq */

  create = aiodb_conn_query(conn, "CREATE TABLE t(n INTEGER)", NULL, 0);
  begin = aiodb_conn_query(conn, "BEGIN", NULL, 0);
  for (i = 0; i < NROWS; i++) {
    arg = aiodb_int(i);
    ins[i] = aiodb_conn_query(conn, "INSERT INTO t VALUES (?)", &arg, 1);
  }
  commit = aiodb_conn_query(conn, "COMMIT", NULL, 0);

  /* FIFO: once COMMIT is done, everything before it is done too. */
  aiodb_future_wait(commit, -1);
  if (aiodb_future_error(create) != 0 || aiodb_future_error(begin) != 0 ||
      aiodb_future_error(commit) != 0)
    failed = 1;
  for (i = 0; i < NROWS; i++) {
    if (!aiodb_future_done(ins[i]) || aiodb_future_error(ins[i]) != 0)
      failed = 1;
    aiodb_future_free(ins[i]);
  }
  aiodb_future_free(create);
  aiodb_future_free(begin);
  aiodb_future_free(commit);

  /* Give the connection back before dropping the future it came from. */
  aiodb_release(conn);
  aiodb_future_free(acq);

  /* A pool call: runs on whichever pooled connection is free. */
  count = aiodb_query(db, "SELECT count(*), sum(n) FROM t", NULL, 0);
  aiodb_future_wait(count, -1);
  if (aiodb_future_error(count) != 0) {
    fprintf(stderr, "count: %s\n", aiodb_future_errmsg(count));
    failed = 1;
  } else {
    printf("%" PRId64 " rows, sum %" PRId64 "\n",
           aiodb_result_int(aiodb_future_result(count), 0, 0),
           aiodb_result_int(aiodb_future_result(count), 0, 1));
  }
  aiodb_future_free(count);
  aiodb_db_free(db);
  return failed;
}
