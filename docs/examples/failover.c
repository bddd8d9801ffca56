/* failover: one db over a list of servers. The URL names several hosts
 * (postgresql://u:pw@h1:5432,h2:5432/db, or ?host=h1,h2&port=5432,5433;
 * mysql:// the same) and target_session_attrs=read-write: each new
 * connection goes to the first host, in order, that answers within
 * connect_timeout and takes writes. When that server goes away, the calls
 * running on it fail with AIODB_ECONNLOST and their connection is
 * dropped; the next call opens a new one, on whichever server takes writes
 * by then. Until one does, connects fail with AIODB_ECONNECT. aiodb never
 * sends a call twice: a lost write may have been applied, so only the
 * program knows whether to retry, as ask() does here for a read.
 *
 *   cc -std=c11 failover.c -laiodb -o failover
 *   ./failover 'postgresql://app:pw@db1:5432,db2:5432/shop?target_session_attrs=read-write'
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "aiodb.h"

/* Which server answered, and whether it is read-only, in each dialect. */
static const char *who_sql(const char *url) {
  if (strncmp(url, "postgres", 8) == 0)
    return "SELECT host(inet_server_addr()) || ':' || inet_server_port() AS server, "
           "pg_is_in_recovery()::int AS read_only";
  return "SELECT CONCAT(@@hostname, ':', @@port) AS server, @@read_only AS read_only";
}

/* Runs a read, again after a lost connection or a refused connect (a
 * failover under way), 10 times at most, a second apart. */
static aiodb_future *ask(aiodb_db *db, const char *sql) {
  struct timespec pause = {1, 0};
  aiodb_future *f = NULL;
  int attempt, code;
  for (attempt = 1; attempt <= 10; attempt++) {
    aiodb_future_free(f);
    f = aiodb_query(db, sql, NULL, 0);
    aiodb_future_wait(f, -1);
    code = aiodb_future_error(f);
    if (code != AIODB_ECONNLOST && code != AIODB_ECONNECT) break;
    printf("attempt %d: %s: %s\n", attempt, aiodb_err_name(code), aiodb_future_errmsg(f));
    nanosleep(&pause, NULL);
  }
  return f;
}

int main(int argc, char **argv) {
  const char *url = argc > 1 ? argv[1] : NULL;
  aiodb_error err;
  aiodb_future *f;
  aiodb_result *r;
  aiodb_db *db;
  int code;
  if (url == NULL) {
    fprintf(stderr, "usage: %s 'postgresql://u:pw@h1:p1,h2:p2/db?target_session_attrs=read-write'\n",
            argv[0]);
    return 2;
  }
  db = aiodb_open(url, NULL, &err);
  if (db == NULL) { /* a bad list: AIODB_EINVAL, or AIODB_EUNSUPPORTED */
    printf("aiodb_open: %s: %s\n", aiodb_err_name(err.code), err.message);
    return 1;
  }
  f = ask(db, who_sql(url));
  code = aiodb_future_error(f);
  if (code == 0) {
    r = aiodb_future_result(f);
    printf("answered by %s (read-only: %s)\n", aiodb_result_text(r, 0, 0),
           aiodb_result_int(r, 0, 1) ? "yes" : "no");
  } else {
    printf("no server: %s: %s\n", aiodb_err_name(code), aiodb_future_errmsg(f));
  }
  aiodb_future_free(f);
  aiodb_db_free(db);
  return code == 0 ? 0 : 1;
}
