/* transactions: aiodb_begin() returns at once; statements queued on the tx
 * run in order on the one connection it pins, which goes back to the pool
 * when the tx ends. Shows a commit, a failed tx (the rest is skipped and the
 * commit rolls back) and a savepoint rolled back alone.
 *
 *   cc -std=c11 transactions.c -laiodb -o transactions && ./transactions */
#include <inttypes.h>
#include <stdio.h>

#include "aiodb.h"

static int failed;

/* Waits for f, prints its outcome, frees it; returns its error code. */
static int report(aiodb_future *f, const char *what) {
  int code;
  if (f == NULL) {
    fprintf(stderr, "%s: out of memory\n", what);
    failed = 1;
    return AIODB_ENOMEM;
  }
  aiodb_future_wait(f, -1);
  code = aiodb_future_error(f);
  if (code == 0)
    printf("  %-10s ok\n", what);
  else
    printf("  %-10s %s [%s] %s\n", what, aiodb_err_name(code),
           aiodb_future_sqlstate(f), aiodb_future_errmsg(f));
  aiodb_future_free(f);
  return code;
}

/* A transfer: two UPDATEs and a COMMIT, submitted at once. Returns the
 * commit's outcome. */
static int transfer(aiodb_db *db, const char *from, const char *to,
                    int64_t amount) {
  aiodb_value a[2];
  aiodb_future *debit, *credit, *commit;
  aiodb_tx *tx = aiodb_begin(db); /* never blocks, even if the pool is busy */

  if (tx == NULL) return AIODB_ENOMEM;
  a[0] = aiodb_int(amount);
  a[1] = aiodb_text(from);
  debit = aiodb_tx_query(
      tx, "UPDATE account SET balance = balance - ? WHERE name = ?", a, 2);
  a[1] = aiodb_text(to);
  credit = aiodb_tx_query(
      tx, "UPDATE account SET balance = balance + ? WHERE name = ?", a, 2);
  commit = aiodb_commit(tx); /* tx is the library's from here on */

  printf("transfer %" PRId64 " from %s to %s\n", amount, from, to);
  report(debit, "debit");
  report(credit, "credit");
  return report(commit, "commit");
}

static void balances(aiodb_db *db) {
  aiodb_future *f = aiodb_query(
      db, "SELECT name, balance FROM account ORDER BY name", NULL, 0);
  aiodb_result *r;
  size_t i;

  aiodb_future_wait(f, -1);
  if (aiodb_future_error(f) != 0) {
    fprintf(stderr, "select: %s\n", aiodb_future_errmsg(f));
    failed = 1;
  } else {
    r = aiodb_future_result(f);
    printf("  balances:");
    for (i = 0; i < aiodb_result_rows(r); i++)
      printf(" %s=%" PRId64, aiodb_result_text(r, i, 0),
             aiodb_result_int(r, i, 1));
    printf("\n");
  }
  aiodb_future_free(f);
}

int main(void) {
  aiodb_error err;
  aiodb_db *db;
  aiodb_tx *outer, *inner;

  db = aiodb_open("sqlite://", NULL, &err); /* one connection */
  if (db == NULL) {
    fprintf(stderr, "open: %s\n", err.message);
    return 1;
  }
  if (report(aiodb_query(db,
                         "CREATE TABLE account(name TEXT PRIMARY KEY, "
                         "balance INTEGER NOT NULL CHECK (balance >= 0));"
                         "INSERT INTO account VALUES ('ann', 100), ('bob', 0)",
                         NULL, 0),
             "setup") != 0) {
    aiodb_db_free(db);
    return 1;
  }

  /* 1. Everything succeeds: both updates are kept. */
  if (transfer(db, "ann", "bob", 30) != 0) failed = 1;
  balances(db);

  /* 2. The debit breaks the CHECK constraint: the credit is not run
   *    (AIODB_ETXABORTED) and the commit rolls back, quoting the first
   *    error and its SQLSTATE (23514). Nothing changes. */
  if (transfer(db, "ann", "bob", 500) != AIODB_ETXABORTED) failed = 1;
  balances(db);

  /* 3. A savepoint fails and is rolled back alone; the outer tx goes on. */
  printf("savepoint\n");
  outer = aiodb_begin(db);
  report(aiodb_tx_query(outer, "INSERT INTO account VALUES ('cy', 5)", NULL, 0),
         "insert cy");
  inner = aiodb_tx_begin(outer); /* SAVEPOINT, on the outer tx's connection */
  /* UNIQUE: fails the savepoint only */
  report(aiodb_tx_query(inner, "INSERT INTO account VALUES ('ann', 1)", NULL,
                        0),
         "dup ann");
  if (report(aiodb_commit(inner), "inner") != AIODB_ETXABORTED) failed = 1;
  report(aiodb_tx_query(outer,
                        "UPDATE account SET balance = 6 WHERE name = 'cy'",
                        NULL, 0),
         "update cy");
  if (report(aiodb_commit(outer), "outer") != 0) failed = 1;
  balances(db); /* the connection is back in the pool */

  aiodb_db_free(db); /* every tx has ended */
  return failed;
}
