/* A program outside the tree, built against an installed aiodb: it writes
 * a row to the database at argv[1] (default: SQLite in memory) and reads
 * it back. */
#include <aiodb.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  const char *url = argc > 1 ? argv[1] : "sqlite://";
  aiodb_error err;
  aiodb_db *db = aiodb_open(url, NULL, &err);
  aiodb_result *r = NULL;
  aiodb_value args[2];
  int ok;

  if (db == NULL) {
    fprintf(stderr, "open: %s\n", err.message);
    return 1;
  }
  args[0] = aiodb_text("installed");
  args[1] = aiodb_text("ok");
  if (aiodb_exec_sync(db, "CREATE TABLE consumer(v TEXT)", NULL, 0, &err) >= 0 &&
      aiodb_exec_sync(db, "INSERT INTO consumer VALUES (:a || ' ' || :b)", args, 2, &err) >= 0)
    r = aiodb_query_sync(db, "SELECT v FROM consumer", NULL, 0, &err);
  ok = r && aiodb_result_rows(r) == 1 && strcmp(aiodb_result_text(r, 0, 0), "installed ok") == 0;
  printf("aiodb %s: %s\n", aiodb_version(), r ? aiodb_result_text(r, 0, 0) : err.message);
  aiodb_result_free(r);
  aiodb_db_free(db);
  return ok ? 0 : 1;
}
