/* The raw drivers' side of W3, the point selects on a server
 * (bench/suite.c): the statement prepared once and run per id, exactly as a
 * program calling the client library directly would. Include after kv.h
 * and the driver's own header. Header-only. */
#ifndef AIODB_BENCH_RAW_H
#define AIODB_BENCH_RAW_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#ifdef AIODB_HAVE_POSTGRES
/* Prepares SELECT_SQL (in libpq's $1 form) as statement name; 1 or 0 with
 * the reason in err. */
static inline int raw_pg_prepare(PGconn *pg, const char *name, char *err,
                                 size_t errlen) {
  PGresult *res = PQprepare(pg, name, "SELECT v FROM kv WHERE id = $1", 1, NULL);
  int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
  if (!ok) snprintf(err, errlen, "%s", PQresultErrorMessage(res));
  PQclear(res);
  return ok;
}

/* Runs statement name for id: 1 when it returned id's row, else 0 with the
 * reason in err. */
static inline int raw_pg_select(PGconn *pg, const char *name, int64_t id,
                                char *err, size_t errlen) {
  char idbuf[24];
  const char *params[1] = {idbuf};
  PGresult *res;
  int ok;
  snprintf(idbuf, sizeof idbuf, "%" PRId64, id);
  res = PQexecPrepared(pg, name, 1, params, NULL, NULL, 0);
  ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
       value_ok(PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0), id);
  if (!ok)
    snprintf(err, errlen, "wrong answer for id %" PRId64 ": %s", id,
             PQresultErrorMessage(res));
  PQclear(res);
  return ok;
}
#endif

#ifdef AIODB_HAVE_MYSQL
/* SELECT_SQL prepared with mysql_stmt_*, bound to the fields below: it must
 * not move between raw_my_open and raw_my_close. */
typedef struct raw_my {
  MYSQL *my;
  MYSQL_STMT *st;
  MYSQL_BIND in, out;
  long long id;
  char v[256];
  unsigned long vlen;
  my_bool vnull;
} raw_my;

/* 1 once prepared and bound, else 0 (raw_my_close says why). */
static inline int raw_my_open(raw_my *s, MYSQL *my) {
  static const char sql[] = SELECT_SQL;
  memset(s, 0, sizeof *s);
  s->my = my;
  s->st = mysql_stmt_init(my);
  if (s->st == NULL || mysql_stmt_prepare(s->st, sql, sizeof sql - 1) != 0)
    return 0;
  s->in.buffer_type = MYSQL_TYPE_LONGLONG;
  s->in.buffer = &s->id;
  s->out.buffer_type = MYSQL_TYPE_STRING;
  s->out.buffer = s->v;
  s->out.buffer_length = sizeof s->v;
  s->out.length = &s->vlen;
  s->out.is_null = &s->vnull;
  return mysql_stmt_bind_param(s->st, &s->in) == 0 &&
         mysql_stmt_bind_result(s->st, &s->out) == 0;
}

/* Runs it for id: 1 when it returned id's row and nothing more. */
static inline int raw_my_select(raw_my *s, long long id) {
  s->id = id;
  return mysql_stmt_execute(s->st) == 0 && mysql_stmt_fetch(s->st) == 0 &&
         !s->vnull && value_ok(s->v, s->vlen, id) &&
         mysql_stmt_fetch(s->st) == MYSQL_NO_DATA;
}

/* Closes it; when failed, err receives the reason. */
static inline void raw_my_close(raw_my *s, int failed, char *err,
                                size_t errlen) {
  if (failed)
    snprintf(err, errlen, "%s",
             s->st ? mysql_stmt_error(s->st) : mysql_error(s->my));
  if (s->st) mysql_stmt_close(s->st);
}
#endif

#endif
