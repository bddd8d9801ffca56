/* A program outside the tree, built against an installed aiodb. */
#include <aiodb.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  aiodb_error err;
  aiodb_db *db = aiodb_open("sqlite://", NULL, &err);
  aiodb_value arg = aiodb_text("installed");
  aiodb_result *r;
  aiodb_value args[2];
  int ok;

  if (db == NULL) {
    fprintf(stderr, "open: %s\n", err.message);
    return 1;
  }
  args[0] = arg;
  args[1] = aiodb_text("ok");
  r = aiodb_query_sync(db, "SELECT :a || ' ' || :b", args, 2, &err);
  ok = r && strcmp(aiodb_result_text(r, 0, 0), "installed ok") == 0;
  printf("aiodb %s: %s\n", aiodb_version(), r ? aiodb_result_text(r, 0, 0) : err.message);
  aiodb_result_free(r);
  aiodb_db_free(db);
  return ok ? 0 : 1;
}
