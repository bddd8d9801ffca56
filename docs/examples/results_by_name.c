/* results_by_name: read rows by column name, tell NULL from 0 and "" in
 * one call, and fetch one value in one call.
 *
 *   cc -std=c11 results_by_name.c -laiodb -o results_by_name
 *   ./results_by_name */
#include <inttypes.h>
#include <stdio.h>

#include "aiodb.h"

static int fail(const char *what, const aiodb_error *err) {
  fprintf(stderr, "%s: %s: %s\n", what, aiodb_err_name(err->code), err->message);
  return 1;
}

/* Prints each note. The column indexes are looked up once, by name; each
 * getter says in its status whether the cell was NULL. */
static void print_notes(const aiodb_result *r) {
  int title = aiodb_result_col(r, "title"), stars = aiodb_result_col(r, "stars");
  size_t i;

  if (title < 0 || stars < 0) {
    fprintf(stderr, "unexpected columns\n");
    return;
  }
  for (i = 0; i < aiodb_result_rows(r); i++) {
    const char *t;
    int64_t n;
    aiodb_result_get_text(r, i, (size_t)title, &t); /* never NULL here */
    if (aiodb_result_get_int(r, i, (size_t)stars, &n) == AIODB_ENULL)
      printf("%-10s (not rated)\n", t);
    else
      printf("%-10s %" PRId64 " stars\n", t, n);
  }
}

int main(void) {
  static const char *titles[] = {"groceries", "ideas", "todo"};
  aiodb_value row[2];
  aiodb_error err;
  aiodb_result *r;
  aiodb_db *db;
  int64_t count, stars;
  char *title;
  int i, rc;

  db = aiodb_open("sqlite://", NULL, &err);
  if (db == NULL) return fail("open", &err);
  if (aiodb_exec_sync(db, "CREATE TABLE note(title TEXT NOT NULL, stars INTEGER)",
                      NULL, 0, &err) < 0)
    goto fail;
  for (i = 0; i < 3; i++) {
    row[0] = aiodb_text(titles[i]);
    /* "todo" is not rated: NULL, which is not 0 */
    row[1] = i == 2 ? aiodb_null() : aiodb_int(i * 5);
    if (aiodb_exec_sync(db, "INSERT INTO note VALUES (?, ?)", row, 2, &err) < 0)
      goto fail;
  }

  /* Every row, read by name. */
  r = aiodb_query_sync(db, "SELECT title, stars FROM note ORDER BY title", NULL,
                       0, &err);
  if (r == NULL) goto fail;
  print_notes(r);
  /* A row's cells by name, without looking the index up first. */
  if (aiodb_result_get_int_by_name(r, 0, "stars", &stars) == 0)
    printf("first note: %" PRId64 " stars (0 is a rating)\n", stars);
  aiodb_result_free(r);

  /* One value in one call: the first row's first column, or a named one. */
  if (aiodb_query_int_sync(db, "SELECT count(*) FROM note", NULL, 0, NULL, &count,
                           &err) != 0)
    goto fail;
  printf("%" PRId64 " notes\n", count);
  row[0] = aiodb_int(5);
  if (aiodb_query_text_sync(db, "SELECT stars, title FROM note WHERE stars = ?", row,
                            1, "title", &title, &err) != 0)
    goto fail;
  printf("rated 5: %s\n", title);
  aiodb_free(title); /* the copy is the caller's */

  /* No row, or a NULL value, is a status of its own. */
  row[0] = aiodb_text("shopping");
  rc = aiodb_query_int_sync(db, "SELECT stars FROM note WHERE title = ?", row, 1,
                            NULL, &stars, &err);
  printf("shopping: %s (%s)\n", aiodb_err_name(rc), err.message);
  if (rc != AIODB_ENOROW) goto fail;
  row[0] = aiodb_text("todo");
  rc = aiodb_query_int_sync(db, "SELECT stars FROM note WHERE title = ?", row, 1,
                            NULL, &stars, &err);
  printf("todo: %s\n", rc == AIODB_ENULL ? "not rated" : "rated");
  if (rc != AIODB_ENULL) goto fail;

  aiodb_db_free(db);
  return 0;
fail:
  fail("results_by_name", &err);
  aiodb_db_free(db);
  return 1;
}
