/* The synchronous helpers: submit a statement on the pool, wait, and hand
 * back a result, an affected count or one value, with an aiodb_error that
 * carries the statement's SQLSTATE and native code. Each is a caller of
 * the public calls, but for the submission and the wait, which name the
 * helper and its caller's call site in diagnostics. */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "future.h"
#include "job.h"

#define SITE __builtin_return_address(0)

/* Copies f's failure into err: code, message, SQLSTATE, native code. */
static int error_from(aiodb_error *err, const aiodb_future *f) {
  int code = aiodb_future_error(f);
  if (err == NULL) return code;
  err->code = code;
  snprintf(err->message, sizeof err->message, "%s", aiodb_future_errmsg(f));
  snprintf(err->sqlstate, sizeof err->sqlstate, "%s", aiodb_future_sqlstate(f));
  err->native_code = aiodb_future_native_code(f);
  return code;
}

/* Runs sql on db and waits. 0 with *out the done, successful future (the
 * caller frees it), or the code with err filled and *out NULL. */
static int run(aiodb_db *db, const char *sql, const aiodb_value *args,
               size_t nargs, aiodb_error *err, const char *function,
               const void *site, aiodb_future **out) {
  aiodb_future *f;
  int rc;

  *out = NULL;
  if (db == NULL)
    return aiodb__error_set(err, AIODB_EINVAL, "%s: db is NULL", function);
  f = aiodb__query(db, sql, args, nargs, function, site);
  if (f == NULL) return aiodb__error_set(err, AIODB_ENOMEM, "out of memory");
  rc = aiodb__future_wait(f, -1, function, site);
  if (rc != 0)
    aiodb__error_set(err, rc, "%s: %s", function, aiodb_strerror(rc));
  else
    rc = error_from(err, f);
  if (rc != 0) {
    aiodb_future_free(f); /* a refused wait leaves it running, detached */
    return rc;
  }
  aiodb__error_clear(err);
  *out = f;
  return 0;
}

aiodb_result *aiodb_query_sync(aiodb_db *db, const char *sql,
                               const aiodb_value *args, size_t nargs,
                               aiodb_error *err) {
  aiodb_future *f;
  aiodb_result *r;
  if (run(db, sql, args, nargs, err, "aiodb_query_sync", SITE, &f) != 0)
    return NULL;
  r = aiodb_future_take_result(f);
  aiodb_future_free(f);
  return r;
}

static int64_t exec(aiodb_db *db, const char *sql, const aiodb_value *args,
                    size_t nargs, int64_t *last_id, aiodb_error *err,
                    const char *function, const void *site) {
  aiodb_future *f;
  int64_t n;
  if (last_id) *last_id = 0;
  if (run(db, sql, args, nargs, err, function, site, &f) != 0) return -1;
  n = aiodb_result_affected(aiodb_future_result(f));
  if (last_id) *last_id = aiodb_result_last_id(aiodb_future_result(f));
  aiodb_future_free(f);
  return n;
}

int64_t aiodb_exec_sync(aiodb_db *db, const char *sql, const aiodb_value *args,
                        size_t nargs, aiodb_error *err) {
  return exec(db, sql, args, nargs, NULL, err, "aiodb_exec_sync", SITE);
}

int64_t aiodb_exec_sync_id(aiodb_db *db, const char *sql,
                           const aiodb_value *args, size_t nargs,
                           int64_t *last_id, aiodb_error *err) {
  return exec(db, sql, args, nargs, last_id, err, "aiodb_exec_sync_id", SITE);
}

/* ---- one value ---- */

/* What a checked getter's status means for the first row's column col of
 * r, in words for err. */
static int value_error(aiodb_error *err, int code, const aiodb_result *r,
                       const char *col, const char *function,
                       const char *want) {
  static const char *const types[] = {"NULL", "INT", "FLOAT", "TEXT", "BLOB"};
  const char *name = col ? col : aiodb_result_name(r, 0);
  aiodb_type t;

  if (name == NULL) name = "";
  switch (code) {
    case AIODB_EINVAL:
      if (aiodb_result_cols(r) == 0)
        return aiodb__error_set(err, code, "%s: the statement returned no columns",
                                function);
      return aiodb__error_set(err, code, "%s: no column is named \"%s\"", function,
                              name);
    case AIODB_ENOROW:
      return aiodb__error_set(err, code, "%s: the statement returned no row",
                              function);
    case AIODB_ENULL:
      return aiodb__error_set(err, code, "%s: column \"%s\" is NULL", function,
                              name);
    default:
      t = aiodb_result_type(r, 0, col ? (size_t)aiodb_result_col(r, col) : 0);
      return aiodb__error_set(err, code, "%s: column \"%s\" holds %s, %s %s",
                              function, name, types[t],
                              code == AIODB_ERANGE ? "out of range for" : "not",
                              want);
  }
}

/* Runs sql and reads the first row's column col (NULL: the first) with
 * get, which fills the value behind out. */
typedef int (*getter)(const aiodb_result *r, const char *col, void *out);

static int get_int(const aiodb_result *r, const char *col, void *out) {
  return col ? aiodb_result_get_int_by_name(r, 0, col, out)
             : aiodb_result_get_int(r, 0, 0, out);
}

static int get_float(const aiodb_result *r, const char *col, void *out) {
  return col ? aiodb_result_get_float_by_name(r, 0, col, out)
             : aiodb_result_get_float(r, 0, 0, out);
}

static int get_text(const aiodb_result *r, const char *col, void *out) {
  return col ? aiodb_result_get_text_by_name(r, 0, col, out)
             : aiodb_result_get_text(r, 0, 0, out);
}

/* 0 with f, the statement's done future, left in *keep for the caller to
 * free; otherwise the code, with err filled and nothing to free. */
static int value(aiodb_db *db, const char *sql, const aiodb_value *args,
                 size_t nargs, const char *col, getter get, void *out,
                 const char *want, aiodb_error *err, const char *function,
                 const void *site, aiodb_future **keep) {
  aiodb_future *f;
  int rc = run(db, sql, args, nargs, err, function, site, &f);
  *keep = NULL;
  if (rc != 0) return rc;
  rc = get(aiodb_future_result(f), col, out);
  if (rc != 0) {
    value_error(err, rc, aiodb_future_result(f), col, function, want);
    aiodb_future_free(f);
    return rc;
  }
  *keep = f;
  return 0;
}

int aiodb_query_int_sync(aiodb_db *db, const char *sql,
                         const aiodb_value *args, size_t nargs,
                         const char *col, int64_t *out, aiodb_error *err) {
  aiodb_future *f;
  int64_t v = 0;
  int rc = value(db, sql, args, nargs, col, get_int, &v, "an integer", err,
                 "aiodb_query_int_sync", SITE, &f);
  aiodb_future_free(f);
  if (out) *out = rc == 0 ? v : 0;
  return rc;
}

int aiodb_query_float_sync(aiodb_db *db, const char *sql,
                           const aiodb_value *args, size_t nargs,
                           const char *col, double *out, aiodb_error *err) {
  aiodb_future *f;
  double v = 0.0;
  int rc = value(db, sql, args, nargs, col, get_float, &v, "a number", err,
                 "aiodb_query_float_sync", SITE, &f);
  aiodb_future_free(f);
  if (out) *out = rc == 0 ? v : 0.0;
  return rc;
}

int aiodb_query_text_sync(aiodb_db *db, const char *sql,
                          const aiodb_value *args, size_t nargs,
                          const char *col, char **out, aiodb_error *err) {
  aiodb_future *f;
  const char *v = NULL;
  char *copy = NULL;
  int rc = value(db, sql, args, nargs, col, get_text, &v, "text", err,
                 "aiodb_query_text_sync", SITE, &f);
  if (rc == 0 && out != NULL && (copy = aiodb__strdup(v)) == NULL)
    rc = aiodb__error_set(err, AIODB_ENOMEM, "out of memory");
  aiodb_future_free(f);
  if (out) *out = copy;
  return rc;
}
