/* trace: every statement a db runs, timed, on the caller's thread; then
 * a slow-query log that only hears of statements over a threshold.
 *
 *   cc -std=c11 trace.c -laiodb -o trace
 *   ./trace                      (SQLite in memory)
 *   ./trace postgresql://user:pw@host/db */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "aiodb.h"

static const char *const kinds[] = {"?",     "query", "many", "cursor",
                                    "fetch", "tx",    "run"};

/* One line per statement. The SQL is the caller's own text; values are
 * absent unless trace_values is set (they may be secrets). */
static void print_trace(const aiodb_trace *t, void *ud) {
  int *count = ud;
  (*count)++;
  printf("%-6s %8.3f ms queued %8.3f ms run  rows %zu  affected %" PRId64
         "  conn %u%s  %.*s",
         kinds[t->kind], t->queued_ns / 1e6, t->run_ns / 1e6, t->rows,
         t->affected, t->conn_id, t->slow ? "  SLOW" : "", (int)t->sql_len, t->sql);
  if (t->nargs > 0) printf("  [%zu values]", t->nargs);
  if (t->code != 0)
    printf("  -> %s (SQLSTATE %s) %s", aiodb_err_name(t->code),
           t->sqlstate[0] ? t->sqlstate : "none", t->message);
  putchar('\n');
}

/* Waits for f and frees it; 1 if it succeeded. */
static int ok(aiodb_future *f) {
  int rc = aiodb_future_wait(f, -1) == 0 ? aiodb_future_error(f) : -1;
  if (rc != 0) fprintf(stderr, "failed: %s\n", aiodb_future_errmsg(f));
  aiodb_future_free(f);
  return rc == 0;
}

int main(int argc, char **argv) {
  const char *url = argc > 1 ? argv[1] : "sqlite://";
  aiodb_value rows[6] = {aiodb_int(1), aiodb_text("ada"), aiodb_int(2),
                         aiodb_text("grace"), aiodb_int(3), aiodb_text("edsger")};
  aiodb_value who = aiodb_text("ada");
  aiodb_options o;
  aiodb_error err;
  aiodb_cursor *c;
  aiodb_future *f;
  aiodb_tx *tx;
  aiodb_db *db;
  int traced = 0, slow = 0;

  aiodb_options_init(&o);
  o.trace = print_trace;
  o.trace_ud = &traced;
  o.trace_values = 1; /* this demo's values are no secret */
  db = aiodb_open(url, &o, &err);
  if (db == NULL) {
    fprintf(stderr, "open: %s\n", err.message);
    return 1;
  }
  if (!ok(aiodb_query(db, "DROP TABLE IF EXISTS trace_user", NULL, 0)) ||
      !ok(aiodb_query(db, "CREATE TABLE trace_user(id INTEGER, name TEXT)", NULL, 0)) ||
      !ok(aiodb_query_many(db, "INSERT INTO trace_user VALUES (?, ?)", rows, 3, 2)))
    return 1;
  /* BEGIN and COMMIT are statements too (kind "tx") */
  tx = aiodb_begin(db);
  if (!ok(aiodb_tx_query(tx, "UPDATE trace_user SET name = ? WHERE id = 1", &who, 1)) ||
      !ok(aiodb_commit(tx)))
    return 1;
  /* a cursor: its open, then each batch */
  c = aiodb_iterate(db, "SELECT id, name FROM trace_user ORDER BY id", NULL, 0, 2);
  while ((f = aiodb_cursor_next(c)) != NULL && aiodb_future_wait(f, -1) == 0 &&
         aiodb_result_rows(aiodb_future_result(f)) > 0)
    aiodb_future_free(f);
  aiodb_future_free(f);
  aiodb_cursor_free(c);
  /* a failure: its code, SQLSTATE and message */
  f = aiodb_query(db, "SELEC 1", NULL, 0);
  aiodb_future_wait(f, -1);
  aiodb_future_free(f);
  /* the synchronous helpers too */
  if (aiodb_exec_sync(db, "DELETE FROM trace_user WHERE id = 3", NULL, 0, &err) != 1) return 1;
  aiodb_exec_sync(db, "DROP TABLE trace_user", NULL, 0, &err);
  aiodb_db_free(db);
  printf("%d statements traced\n", traced);

  /* A slow-query log: only what takes 50 ms or more. */
  aiodb_options_init(&o);
  o.trace = print_trace;
  o.trace_ud = &slow;
  o.slow_query_ms = 50;
  db = aiodb_open(url, &o, &err);
  if (db == NULL) return 1;
  ok(aiodb_query(db, "SELECT 1", NULL, 0)); /* fast: not reported */
  ok(aiodb_query(db,
                 strncmp(url, "postgres", 8) == 0 ? "SELECT pg_sleep(0.06)"
                 : strncmp(url, "mysql", 5) == 0 || strncmp(url, "mariadb", 7) == 0
                     ? "SELECT SLEEP(0.06)"
                     : "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                       "WHERE x < 500000) SELECT count(*) FROM c",
                 NULL, 0));
  aiodb_db_free(db);
  printf("%d slow statement%s\n", slow, slow == 1 ? "" : "s");
  /* DROP, CREATE, many, BEGIN, UPDATE, COMMIT, the cursor's open and 3
   * batches, SELEC, DELETE, DROP: 13; then the slow one, unless the
   * machine is very fast */
  return traced == 13 && slow <= 1 ? 0 : 1;
}
