/* metadata: which tables and views exist, their columns and indexes, and
 * what runs underneath. The answers are futures whose results read like
 * any query's.
 *
 *   cc -std=c11 metadata.c -laiodb -o metadata && ./metadata */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "aiodb.h"

/* Waits for f; on failure reports it and frees f. Returns the result, or
 * NULL. */
static aiodb_result *answer(aiodb_future *f, const char *what) {
  if (f == NULL) return NULL;
  aiodb_future_wait(f, -1);
  if (aiodb_future_error(f) == 0) return aiodb_future_result(f);
  fprintf(stderr, "%s: %s\n", what, aiodb_future_errmsg(f));
  aiodb_future_free(f);
  return NULL;
}

static int has_table(aiodb_db *db, const char *name) {
  aiodb_future *f = aiodb_has_table(db, name);
  aiodb_result *r = answer(f, "has_table");
  int present = -1;
  if (r != NULL) {
    present = (int)aiodb_result_int(r, 0, 0); /* column "present" */
    aiodb_future_free(f);
  }
  printf("has_table(\"%s\") = %d\n", name, present);
  return present;
}

int main(void) {
  aiodb_error err;
  aiodb_future *f;
  aiodb_result *r;
  aiodb_db *db;
  size_t i;
  int failed = 0;

  db = aiodb_open("sqlite://", NULL, &err);
  if (db == NULL) {
    fprintf(stderr, "open: %s\n", err.message);
    return 1;
  }
  f = aiodb_query(db,
                  "CREATE TABLE zebra(x); CREATE TABLE apple(y);"
                  "CREATE VIEW v AS SELECT 1;"
                  "CREATE TABLE seq(id INTEGER PRIMARY KEY AUTOINCREMENT,"
                  " label TEXT NOT NULL DEFAULT 'none', at REAL);"
                  "CREATE INDEX seq_at ON seq(at, label)",
                  NULL, 0);
  if (answer(f, "create") == NULL)
    failed = 1;
  else
    aiodb_future_free(f);

  /* User tables, sorted: no views, no sqlite_sequence. */
  f = aiodb_table_names(db);
  if ((r = answer(f, "table_names")) != NULL) {
    printf("tables (column \"%s\"):", aiodb_result_name(r, 0));
    for (i = 0; i < aiodb_result_rows(r); i++)
      printf(" %s", aiodb_result_text(r, i, 0));
    printf("\n");
    if (aiodb_result_rows(r) != 3 ||
        strcmp(aiodb_result_text(r, 0, 0), "apple") != 0)
      failed = 1;
    aiodb_future_free(f);
  } else {
    failed = 1;
  }

  /* The name is a bound parameter, never pasted into SQL; SQLite compares
   * table names without regard to case. */
  if (has_table(db, "apple") != 1 || has_table(db, "APPLE") != 1 ||
      has_table(db, "v") != 0 || has_table(db, "x'; DROP TABLE apple; --") != 0)
    failed = 1;

  /* A table's columns: name, type, nullable, default, pk, generated,
   * autoincrement; read by column name. */
  f = aiodb_columns(db, "seq");
  if ((r = answer(f, "columns")) != NULL) {
    for (i = 0; i < aiodb_result_rows(r); i++) {
      int64_t pk = 0, nullable = 0;
      const char *def = NULL;
      aiodb_result_get_int_by_name(r, i, "pk", &pk);
      aiodb_result_get_int_by_name(r, i, "nullable", &nullable);
      aiodb_result_get_text_by_name(r, i, "default", &def); /* none: NULL */
      printf("column %s %s%s%s%s%s\n", aiodb_result_text(r, i, 0),
             aiodb_result_text(r, i, (size_t)aiodb_result_col(r, "type")),
             pk ? " primary key" : "", nullable ? "" : " not null",
             def ? " default " : "", def ? def : "");
    }
    if (aiodb_result_rows(r) != 3) failed = 1;
    aiodb_future_free(f);
  } else {
    failed = 1;
  }

  /* Its indexes, a row per column in order; then the views. */
  f = aiodb_indexes(db, "seq");
  if ((r = answer(f, "indexes")) != NULL) {
    for (i = 0; i < aiodb_result_rows(r); i++)
      printf("index %s column %" PRId64 ": %s\n", aiodb_result_text(r, i, 0),
             aiodb_result_int(r, i, 2), aiodb_result_text(r, i, 3));
    if (aiodb_result_rows(r) != 2) failed = 1;
    aiodb_future_free(f);
  } else {
    failed = 1;
  }
  f = aiodb_view_names(db);
  if ((r = answer(f, "view_names")) != NULL) {
    printf("views: %s\n", aiodb_result_rows(r) ? aiodb_result_text(r, 0, 0) : "none");
    if (aiodb_result_rows(r) != 1) failed = 1;
    aiodb_future_free(f);
  } else {
    failed = 1;
  }

  f = aiodb_server_info(db);
  if ((r = answer(f, "server_info")) != NULL) {
    for (i = 0; i < aiodb_result_cols(r); i++)
      printf("%-15s %s\n", aiodb_result_name(r, i), aiodb_result_text(r, 0, i));
    aiodb_future_free(f);
  } else {
    failed = 1;
  }
  printf("%-15s %s\n", "param_style", aiodb_param_style(db));

  aiodb_db_free(db);
  return failed;
}
