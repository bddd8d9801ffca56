/* quickstart: open a database, run queries with parameters, get the answers
 * by waiting or through a callback, free everything.
 *
 *   cc -std=c11 quickstart.c -laiodb -o quickstart && ./quickstart */
#include <stdio.h>

#include "aiodb.h"

/* Runs on the thread that dispatches the completion queue (here: main). */
static void on_rows(aiodb_future *f, void *ud) {
  int *pending = ud;
  aiodb_result *r;
  size_t i;

  if (aiodb_future_error(f) != 0) {
    fprintf(stderr, "select: %s: %s\n", aiodb_err_name(aiodb_future_error(f)),
            aiodb_future_errmsg(f));
  } else {
    r = aiodb_future_result(f); /* borrowed: lives as long as f */
    for (i = 0; i < aiodb_result_rows(r); i++)
      printf("%-8s %5.2f\n", aiodb_result_text(r, i, 0),
             aiodb_result_float(r, i, 1));
  }
  aiodb_future_free(f); /* the future is ours, even inside its callback */
  --*pending;
}

/* Waits for f, reports a failure, frees f. Returns 0 on success. */
static int finish(aiodb_future *f, const char *what) {
  int rc = f ? aiodb_future_wait(f, -1) : AIODB_ENOMEM;
  if (rc == 0) rc = aiodb_future_error(f);
  if (rc != 0)
    fprintf(stderr, "%s: %s: %s\n", what, aiodb_err_name(rc),
            f ? aiodb_future_errmsg(f) : "out of memory");
  aiodb_future_free(f);
  return rc;
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
  if (db == NULL) {
    fprintf(stderr, "open: %s: %s\n", aiodb_err_name(err.code), err.message);
    return 1;
  }

  /* 1. Submit and wait: fine for setup, before any loop runs. */
  if (finish(aiodb_query(db, "CREATE TABLE fruit(name TEXT, price REAL)",
                         NULL, 0), "create") != 0)
    goto fail;
  for (i = 0; i < 3; i++) {
    row[0] = aiodb_text(names[i]); /* copied at submission */
    row[1] = aiodb_float(prices[i]);
    if (finish(aiodb_query(db, "INSERT INTO fruit VALUES (?, ?)", row, 2),
               "insert") != 0)
      goto fail;
  }

  /* 2. Submit with a callback; aiodb_cq_run_once() runs it on this thread.
   *    A program with an event loop watches aiodb_cq_fd() instead. */
  max = aiodb_float(1.0);
  f = aiodb_query(db,
                  "SELECT name, price FROM fruit WHERE price < :max "
                  "ORDER BY price",
                  &max, 1);
  if (f == NULL) goto fail;
  aiodb_future_on_done(f, on_rows, &pending);
  while (pending > 0) aiodb_cq_run_once(aiodb_db_cq(db), -1);

  aiodb_db_free(db); /* closes, lets queued work finish, joins the worker */
  return 0;
fail:
  aiodb_db_free(db);
  return 1;
}
