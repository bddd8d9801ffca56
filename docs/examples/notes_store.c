/* notes_store: a small notes store written with the calls made for such
 * programs: aiodb_exec_sync() for statements without rows, values bound by
 * name, aiodb_query_int_sync() for one value and the checked getters by
 * column name. It creates its table, adds notes in a transaction (one
 * through a savepoint that is rolled back), then reads one note, all of
 * them, a count, and iterates over them with a cursor.
 * docs/examples/notes_store_0_1.c is the same program with 0.1's calls.
 *
 *   cc -std=c11 notes_store.c -laiodb -o notes_store
 *   ./notes_store                      (SQLite in memory)
 *   ./notes_store postgresql://user:pw@host/db */
#include <inttypes.h>
#include <stdio.h>

#include "aiodb.h"

/* Waits for a statement of a transaction; 0 or its code. */
static int tx_ok(aiodb_future *f) {
  int rc = f ? aiodb_future_wait(f, -1) : AIODB_ENOMEM;
  if (rc == 0) rc = aiodb_future_error(f);
  if (rc != 0) fprintf(stderr, "%s\n", f ? aiodb_future_errmsg(f) : "out of memory");
  aiodb_future_free(f);
  return rc;
}

/* Adds a note inside tx, in a savepoint of its own: a failure (a title
 * already taken) undoes this note only. */
static int add_note(aiodb_tx *tx, const char *title, const char *body) {
  aiodb_value v[] = {aiodb_named("body", aiodb_text(body)),
                     aiodb_named("title", aiodb_text(title))};
  aiodb_tx *sp = aiodb_tx_begin(tx);
  int rc = tx_ok(aiodb_tx_query(
      sp, "INSERT INTO note(title, body) VALUES (:title, :body)", v, 2));
  if (rc == 0) return tx_ok(aiodb_commit(sp));
  tx_ok(aiodb_rollback(sp));
  return rc;
}

int main(int argc, char **argv) {
  aiodb_value title = aiodb_text("groceries");
  aiodb_error err;
  aiodb_db *db;
  aiodb_tx *tx;
  aiodb_result *r;
  aiodb_cursor *cur;
  const char *body;
  int64_t n;
  size_t i;

  db = aiodb_open(argc > 1 ? argv[1] : "sqlite://", NULL, &err);
  if (db == NULL) goto fail;
  if (aiodb_exec_sync(db, "DROP TABLE IF EXISTS note", NULL, 0, &err) < 0 ||
      aiodb_exec_sync(db, "CREATE TABLE note(title VARCHAR(40) PRIMARY KEY, "
                          "body VARCHAR(200) NOT NULL)", NULL, 0, &err) < 0)
    goto fail;

  /* Insert with a savepoint: the duplicate is undone, the others stay. */
  tx = aiodb_begin(db);
  add_note(tx, "groceries", "milk, bread");
  add_note(tx, "groceries", "a second list with the same title");
  add_note(tx, "call", "the plumber, before noon");
  if (tx_ok(aiodb_commit(tx)) != 0) return 1;

  /* Fetch one. */
  r = aiodb_query_sync(db, "SELECT body FROM note WHERE title = ?", &title, 1, &err);
  if (r == NULL) goto fail;
  if (aiodb_result_get_text_by_name(r, 0, "body", &body) == 0)
    printf("groceries: %s\n", body);
  aiodb_result_free(r);

  /* Fetch all. */
  r = aiodb_query_sync(db, "SELECT title, body FROM note ORDER BY title", NULL, 0, &err);
  if (r == NULL) goto fail;
  for (i = 0; i < aiodb_result_rows(r); i++) {
    const char *t = NULL, *b = NULL;
    aiodb_result_get_text_by_name(r, i, "title", &t);
    aiodb_result_get_text_by_name(r, i, "body", &b);
    printf("%-10s %s\n", t, b);
  }
  aiodb_result_free(r);

  /* Fetch a value. */
  if (aiodb_query_int_sync(db, "SELECT count(*) AS n FROM note", NULL, 0, "n", &n, &err) != 0)
    goto fail;
  printf("%" PRId64 " notes\n", n);

  /* Iterate, a batch of rows at a time. */
  cur = aiodb_iterate(db, "SELECT title FROM note ORDER BY title", NULL, 0, 1);
  for (;;) {
    aiodb_future *f = aiodb_cursor_next(cur);
    const char *t;
    if (f == NULL || aiodb_future_wait(f, -1) != 0 || aiodb_future_error(f) != 0 ||
        aiodb_result_rows(aiodb_future_result(f)) == 0) {
      aiodb_future_free(f);
      break;
    }
    if (aiodb_result_get_text_by_name(aiodb_future_result(f), 0, "title", &t) == 0)
      printf("- %s\n", t);
    aiodb_future_free(f);
  }
  aiodb_cursor_free(cur);

  aiodb_db_free(db);
  return n == 2 ? 0 : 1;
fail:
  fprintf(stderr, "%s: %s\n", aiodb_err_name(err.code), err.message);
  aiodb_db_free(db);
  return 1;
}
