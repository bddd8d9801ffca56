/* notes_store_0_1: docs/examples/notes_store.c written with the calls of
 * aiodb 0.1 only, as programs wrote it before aiodb_exec_sync(), values
 * bound by name and the getters by column name: each grew its own
 * execute(), fetch_val() and col(). Kept to measure what the newer calls
 * save; run by ctest like the other examples.
 *
 *   cc -std=c11 notes_store_0_1.c -laiodb -o notes_store_0_1
 *   ./notes_store_0_1                  (SQLite in memory)
 *   ./notes_store_0_1 postgresql://user:pw@host/db */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "aiodb.h"

/* Waits for f; 0 or its code, the message printed. Frees f unless keep. */
static int wait_ok(aiodb_future *f, int keep) {
  int rc = f ? aiodb_future_wait(f, -1) : AIODB_ENOMEM;
  if (rc == 0) rc = aiodb_future_error(f);
  if (rc != 0) fprintf(stderr, "%s\n", f ? aiodb_future_errmsg(f) : "out of memory");
  if (!keep || rc != 0) aiodb_future_free(f);
  return rc;
}

/* A statement without rows. */
static int execute(aiodb_db *db, const char *sql, const aiodb_value *a, size_t n) {
  return wait_ok(aiodb_query(db, sql, a, n), 0);
}

/* A statement's rows, or NULL; the caller frees them. */
static aiodb_result *fetch_all(aiodb_db *db, const char *sql,
                               const aiodb_value *a, size_t n) {
  aiodb_future *f = aiodb_query(db, sql, a, n);
  aiodb_result *r;
  if (wait_ok(f, 1) != 0) return NULL;
  r = aiodb_future_take_result(f);
  aiodb_future_free(f);
  return r;
}

/* A column's index by name, or -1. */
static int col(const aiodb_result *r, const char *name) {
  size_t i;
  for (i = 0; i < aiodb_result_cols(r); i++)
    if (strcmp(aiodb_result_name(r, i), name) == 0) return (int)i;
  return -1;
}

/* The first row's column name as an integer: 0, or -1 when there is no
 * row, no such column or a NULL. */
static int fetch_val(aiodb_db *db, const char *sql, const char *name, int64_t *out) {
  aiodb_result *r = fetch_all(db, sql, NULL, 0);
  int c = r ? col(r, name) : -1;
  int rc = -1;
  if (c >= 0 && aiodb_result_rows(r) > 0 && !aiodb_result_isnull(r, 0, (size_t)c)) {
    *out = aiodb_result_int(r, 0, (size_t)c);
    rc = 0;
  }
  aiodb_result_free(r);
  return rc;
}

/* Adds a note inside tx, in a savepoint of its own: a failure (a title
 * already taken) undoes this note only. The values go in the order of the
 * placeholders' first appearance. */
static int add_note(aiodb_tx *tx, const char *title, const char *body) {
  aiodb_value v[] = {aiodb_text(title), aiodb_text(body)};
  aiodb_tx *sp = aiodb_tx_begin(tx);
  int rc = wait_ok(aiodb_tx_query(
      sp, "INSERT INTO note(title, body) VALUES (:title, :body)", v, 2), 0);
  if (rc == 0) return wait_ok(aiodb_commit(sp), 0);
  wait_ok(aiodb_rollback(sp), 0);
  return rc;
}

int main(int argc, char **argv) {
  aiodb_value title = aiodb_text("groceries");
  aiodb_error err;
  aiodb_db *db;
  aiodb_tx *tx;
  aiodb_result *r;
  aiodb_cursor *cur;
  int64_t n = 0;
  size_t i;
  int c;

  db = aiodb_open(argc > 1 ? argv[1] : "sqlite://", NULL, &err);
  if (db == NULL) {
    fprintf(stderr, "%s: %s\n", aiodb_err_name(err.code), err.message);
    return 1;
  }
  if (execute(db, "DROP TABLE IF EXISTS note", NULL, 0) != 0 ||
      execute(db, "CREATE TABLE note(title VARCHAR(40) PRIMARY KEY, "
                  "body VARCHAR(200) NOT NULL)", NULL, 0) != 0)
    goto fail;

  /* Insert with a savepoint: the duplicate is undone, the others stay. */
  tx = aiodb_begin(db);
  add_note(tx, "groceries", "milk, bread");
  add_note(tx, "groceries", "a second list with the same title");
  add_note(tx, "call", "the plumber, before noon");
  if (wait_ok(aiodb_commit(tx), 0) != 0) goto fail;

  /* Fetch one. */
  r = fetch_all(db, "SELECT body FROM note WHERE title = ?", &title, 1);
  if (r == NULL) goto fail;
  c = col(r, "body");
  if (c >= 0 && aiodb_result_rows(r) > 0 && !aiodb_result_isnull(r, 0, (size_t)c))
    printf("groceries: %s\n", aiodb_result_text(r, 0, (size_t)c));
  aiodb_result_free(r);

  /* Fetch all. */
  r = fetch_all(db, "SELECT title, body FROM note ORDER BY title", NULL, 0);
  if (r == NULL) goto fail;
  for (i = 0; i < aiodb_result_rows(r); i++)
    printf("%-10s %s\n", aiodb_result_text(r, i, (size_t)col(r, "title")),
           aiodb_result_text(r, i, (size_t)col(r, "body")));
  aiodb_result_free(r);

  /* Fetch a value. */
  if (fetch_val(db, "SELECT count(*) AS n FROM note", "n", &n) != 0) goto fail;
  printf("%" PRId64 " notes\n", n);

  /* Iterate, a batch of rows at a time. */
  cur = aiodb_iterate(db, "SELECT title FROM note ORDER BY title", NULL, 0, 1);
  for (;;) {
    aiodb_future *f = aiodb_cursor_next(cur);
    aiodb_result *b;
    if (f == NULL || aiodb_future_wait(f, -1) != 0 || aiodb_future_error(f) != 0 ||
        aiodb_result_rows(aiodb_future_result(f)) == 0) {
      aiodb_future_free(f);
      break;
    }
    b = aiodb_future_result(f);
    c = col(b, "title");
    if (c >= 0 && !aiodb_result_isnull(b, 0, (size_t)c))
      printf("- %s\n", aiodb_result_text(b, 0, (size_t)c));
    aiodb_future_free(f);
  }
  aiodb_cursor_free(cur);

  aiodb_db_free(db);
  return n == 2 ? 0 : 1;
fail:
  aiodb_db_free(db);
  return 1;
}
