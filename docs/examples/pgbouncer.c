/* pgbouncer: aiodb behind PgBouncer in transaction mode (docs/guide.md,
 * "Behind PgBouncer").
 *
 *   pgbouncer URL    (PgBouncer's postgresql:// URL; pool_mode=transaction)
 *
 * pgbouncer=1 goes on the URL: statements then travel unnamed, each in one
 * round trip, and nothing is left on a server connection that another
 * client gets next. Two dbs of 4 connections each (8 PgBouncer clients)
 * run 1000 queries with arguments at once, and a transaction whose
 * statements all reach one server connection. Prints how many server
 * connections answered; exits 0 when every answer is right.
 *
 *   cc -std=c11 pgbouncer.c -laiodb -o pgbouncer */
#include <stdio.h>
#include <string.h>

#include "aiodb.h"

#define N 500

static aiodb_db *open_behind_pgbouncer(const char *url) {
  char full[1024];
  aiodb_error err;
  aiodb_db *db;
  snprintf(full, sizeof full, "%s%cpgbouncer=1&max_size=4", url,
           strchr(url, '?') ? '&' : '?');
  db = aiodb_open(full, NULL, &err);
  if (db == NULL) fprintf(stderr, "aiodb_open: %s\n", err.message);
  return db;
}

/* The backend pid of a one-row result's column col, or -1 on failure. */
static long pid_of(aiodb_future *f, size_t col) {
  long pid = -1;
  if (aiodb_future_wait(f, -1) == 0 && aiodb_future_error(f) == 0)
    pid = (long)aiodb_result_int(aiodb_future_result(f), 0, col);
  else
    fprintf(stderr, "%s\n", aiodb_future_errmsg(f));
  aiodb_future_free(f);
  return pid;
}

int main(int argc, char **argv) {
  aiodb_db *db[2];
  aiodb_future *f[2][N];
  long pids[8], first, last;
  int npids = 0, bad = 0, d, i, k;
  aiodb_tx *tx;

  if (argc != 2) {
    fprintf(stderr, "usage: %s POSTGRESQL_URL_OF_PGBOUNCER\n", argv[0]);
    return 2;
  }
  if ((db[0] = open_behind_pgbouncer(argv[1])) == NULL) return 1;
  if ((db[1] = open_behind_pgbouncer(argv[1])) == NULL) return 1;

  /* all in flight at once, on 8 clients sharing PgBouncer's pool */
  for (i = 0; i < N; i++)
    for (d = 0; d < 2; d++) {
      aiodb_value arg = aiodb_int(i);
      f[d][i] = aiodb_query(db[d], "SELECT ?::int8 * 2, pg_backend_pid()", &arg, 1);
    }
  for (d = 0; d < 2; d++)
    for (i = 0; i < N; i++) {
      aiodb_future *q = f[d][i];
      long pid;
      if (aiodb_future_wait(q, -1) != 0 || aiodb_future_error(q) != 0 ||
          aiodb_result_int(aiodb_future_result(q), 0, 0) != 2 * i) {
        bad++;
        aiodb_future_free(q);
        continue;
      }
      pid = pid_of(q, 1);
      for (k = 0; k < npids && pids[k] != pid; k++) {}
      if (k == npids && npids < 8) pids[npids++] = pid;
    }
  printf("%d queries, %d wrong or failed, answered by %d server connection(s)\n", 2 * N,
         bad, npids);

  /* a transaction holds its server connection from BEGIN to COMMIT */
  tx = aiodb_begin(db[0]);
  first = pid_of(aiodb_tx_query(tx, "SELECT pg_backend_pid()", NULL, 0), 0);
  aiodb_future_free(aiodb_tx_query(tx, "SET LOCAL statement_timeout = '5s'", NULL, 0));
  last = pid_of(aiodb_tx_query(tx, "SELECT pg_backend_pid()", NULL, 0), 0);
  f[0][0] = aiodb_commit(tx);
  if (aiodb_future_wait(f[0][0], -1) != 0 || aiodb_future_error(f[0][0]) != 0) bad++;
  aiodb_future_free(f[0][0]);
  printf("transaction: server connection %ld, then %ld\n", first, last);

  aiodb_db_free(db[0]);
  aiodb_db_free(db[1]);
  return bad == 0 && npids > 0 && first > 0 && first == last ? 0 : 1;
}
