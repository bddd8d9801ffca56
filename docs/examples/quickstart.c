/* quickstart: open a database, run statements in one synchronous call
 * each, then a query whose answer comes to a callback, and free everything.
 * The README's example, with every failure checked.
 *
 *   cc -std=c11 quickstart.c -laiodb -o quickstart && ./quickstart */
#include <stdio.h>

#include "aiodb.h"

/* Runs on the thread that dispatches the completion queue (here: main). */
static void on_rows(aiodb_future *f, void *ud) {
  int *pending = ud;
  aiodb_result *r;
  const char *name;
  double price;
  size_t i;

  if (aiodb_future_error(f) != 0) {
    fprintf(stderr, "select: %s: %s\n", aiodb_err_name(aiodb_future_error(f)),
            aiodb_future_errmsg(f));
  } else {
    r = aiodb_future_result(f); /* borrowed: lives as long as f */
    for (i = 0; i < aiodb_result_rows(r); i++)
      if (aiodb_result_get_text_by_name(r, i, "name", &name) == 0 &&
          aiodb_result_get_float_by_name(r, i, "price", &price) == 0)
        printf("%-8s %5.2f\n", name, price);
  }
  aiodb_future_free(f); /* the future is ours, even inside its callback */
  --*pending;
}

int main(void) {
  static const char *names[] = {"cherry", "apple", "banana"};
  static const double prices[] = {3.0, 0.5, 0.25};
  aiodb_error err;
  aiodb_value row[2], max;
  aiodb_future *f;
  aiodb_db *db;
  int i, pending = 1;

  /* Never blocks: the connection opens on its worker thread. */
  db = aiodb_open("sqlite://", NULL, &err); /* an in-memory database */
  if (db == NULL) goto fail;

  /* 1. Synchronous calls, one per statement: fine for setup, before any
   *    loop runs. Values named with aiodb_named() bind by name. */
  if (aiodb_exec_sync(db, "CREATE TABLE fruit(name TEXT, price REAL)", NULL, 0,
                      &err) < 0)
    goto fail;
  for (i = 0; i < 3; i++) {
    row[0] = aiodb_named("price", aiodb_float(prices[i])); /* copied */
    row[1] = aiodb_named("name", aiodb_text(names[i]));
    if (aiodb_exec_sync(db, "INSERT INTO fruit VALUES (:name, :price)", row, 2,
                        &err) < 0)
      goto fail;
  }

  /* 2. Submit with a callback; aiodb_cq_run_once() runs it on this thread.
   *    A program with an event loop watches aiodb_cq_fd() instead. */
  max = aiodb_float(1.0);
  f = aiodb_query(db, "SELECT name, price FROM fruit WHERE price < ? ORDER BY price",
                  &max, 1);
  if (f == NULL) goto fail;
  aiodb_future_on_done(f, on_rows, &pending);
  while (pending > 0) aiodb_cq_run_once(aiodb_db_cq(db), -1);

  aiodb_db_free(db); /* closes, lets queued work finish, joins the worker */
  return 0;
fail:
  fprintf(stderr, "%s: %s\n", aiodb_err_name(err.code), err.message);
  aiodb_db_free(db);
  return 1;
}
