/* named_params: bind ':name' placeholders by name, whatever the order of
 * the argument array, in one statement and in a batch.
 *
 *   cc -std=c11 named_params.c -laiodb -o named_params
 *   ./named_params */
#include <inttypes.h>
#include <stdio.h>

#include "aiodb.h"

static int fail(const char *what, const aiodb_error *err) {
  fprintf(stderr, "%s: %s: %s\n", what, aiodb_err_name(err->code), err->message);
  return 1;
}

int main(void) {
  /* A batch: the first row names the columns, the others follow them. */
  aiodb_value stock[] = {
      aiodb_named("n", aiodb_int(10)), aiodb_named("item", aiodb_text("bolt")),
      aiodb_int(20), aiodb_text("nut"),
  };
  /* The array's order is not the statement's: names decide. */
  aiodb_value take[] = {aiodb_named("item", aiodb_text("bolt")),
                        aiodb_named("qty", aiodb_int(3))};
  aiodb_value typo[] = {aiodb_named("item", aiodb_text("bolt")),
                        aiodb_named("quantity", aiodb_int(3))};
  aiodb_error err;
  aiodb_future *f;
  aiodb_db *db;
  int64_t n;

  db = aiodb_open("sqlite://", NULL, &err);
  if (db == NULL) return fail("open", &err);
  if (aiodb_exec_sync(db, "CREATE TABLE stock(item TEXT PRIMARY KEY, n INTEGER)",
                      NULL, 0, &err) < 0)
    goto fail;
  f = aiodb_query_many(db, "INSERT INTO stock(item, n) VALUES (:item, :n)",
                       stock, 2, 2);
  if (aiodb_future_wait(f, -1) != 0 || aiodb_future_error(f) != 0) {
    fprintf(stderr, "batch: %s\n", aiodb_future_errmsg(f));
    aiodb_future_free(f);
    aiodb_db_free(db);
    return 1;
  }
  aiodb_future_free(f);

  if (aiodb_exec_sync(db, "UPDATE stock SET n = n - :qty WHERE item = :item",
                      take, 2, &err) != 1)
    goto fail;
  if (aiodb_query_int_sync(db, "SELECT n FROM stock WHERE item = :item", take, 1,
                           NULL, &n, &err) != 0)
    goto fail;
  printf("bolt: %" PRId64 " left\n", n);

  /* A name the statement lacks is an error that names it. */
  if (aiodb_exec_sync(db, "UPDATE stock SET n = n - :qty WHERE item = :item",
                      typo, 2, &err) >= 0 ||
      err.code != AIODB_EINVAL) {
    fprintf(stderr, "the typo was not caught\n");
    aiodb_db_free(db);
    return 1;
  }
  printf("typo: %s\n", err.message);
  aiodb_db_free(db);
  return n == 7 ? 0 : 1;

fail:
  aiodb_db_free(db);
  return fail("statement", &err);
}
