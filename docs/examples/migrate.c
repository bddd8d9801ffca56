/* migrate: a program that brings its schema up to date at start-up. Its
 * migrations are numbered SQL files in a folder (here written to a
 * temporary one); aiodb_migrate applies those not yet applied, in order,
 * on a worker, and records each in the table aiodb_migrations.
 *
 *   cc -std=c11 migrate.c -laiodb -o migrate && ./migrate [URL]
 *   (default sqlite://, a database in memory) */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aiodb.h"

static int write_file(const char *dir, const char *name, const char *sql) {
  char path[512];
  FILE *fp;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  fp = fopen(path, "w");
  if (fp == NULL) return -1;
  fputs(sql, fp);
  return fclose(fp);
}

/* Runs one migration and prints its rows: version, name, status. */
static int migrate(aiodb_db *db, const char *dir, const aiodb_migrate_options *o,
                   const char *what) {
  aiodb_future *f = aiodb_migrate(db, dir, o);
  aiodb_result *r;
  size_t i;
  if (f == NULL) return -1;
  /* a program with an event loop would use aiodb_future_on_done instead */
  aiodb_future_wait(f, -1);
  if (aiodb_future_error(f) != 0) {
    fprintf(stderr, "%s: %s\n", what, aiodb_future_errmsg(f));
    aiodb_future_free(f);
    return -1;
  }
  r = aiodb_future_result(f);
  printf("%s: %zu file(s)\n", what, aiodb_result_rows(r));
  for (i = 0; i < aiodb_result_rows(r); i++)
    printf("  %" PRId64 " %s %s\n", aiodb_result_int(r, i, 0), aiodb_result_text(r, i, 1),
           aiodb_result_text(r, i, 2));
  aiodb_future_free(f);
  return 0;
}

int main(int argc, char **argv) {
  const char *url = argc > 1 ? argv[1] : "sqlite://";
  char dir[] = "/tmp/aiodb-migrations-XXXXXX", path[512];
  aiodb_migrate_options o;
  aiodb_error err;
  aiodb_db *db;
  int failed = 0;

  if (mkdtemp(dir) == NULL) return 1;
  if (write_file(dir, "0001_create_notes.sql",
                 "CREATE TABLE notes (id INTEGER PRIMARY KEY, body VARCHAR(200));\n"
                 "INSERT INTO notes VALUES (1, 'first; with a semicolon');\n") != 0 ||
      write_file(dir, "0002_add_rank.sql", "ALTER TABLE notes ADD COLUMN rank INTEGER;\n") != 0)
    return 1;

  db = aiodb_open(url, NULL, &err);
  if (db == NULL) {
    fprintf(stderr, "open: %s\n", err.message);
    return 1;
  }
  memset(&o, 0, sizeof o);
  o.dry_run = 1; /* what would run: changes nothing */
  failed |= migrate(db, dir, &o, "dry run");
  failed |= migrate(db, dir, NULL, "migrate"); /* applies 1 and 2 */
  failed |= migrate(db, dir, NULL, "again");   /* nothing left */
  memset(&o, 0, sizeof o);
  o.status = 1;
  failed |= migrate(db, dir, &o, "status");
  aiodb_db_free(db);

  snprintf(path, sizeof path, "%s/0001_create_notes.sql", dir);
  unlink(path);
  snprintf(path, sizeof path, "%s/0002_add_rank.sql", dir);
  unlink(path);
  rmdir(dir);
  return failed ? 1 : 0;
}
