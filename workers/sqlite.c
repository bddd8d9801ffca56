/* The SQLite driver: runs on the connection's worker thread. */
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "driver.h"
#include "many.h"
#include "stmt_cache.h"
#include "url.h"

typedef struct sqlite_cfg {
  char *path;          /* filename or URI handed to sqlite3_open_v2 */
  int flags;
  int busy_timeout_ms;
  char journal_mode[16];
  int foreign_keys;    /* -1: leave as is */
  int memory;
  /* A memory database lives while one of its connections is open: this
   * one, opened with the first and closed with the config, keeps it
   * through the pool's closing and replacing of the others. */
  _Atomic(sqlite3 *) keeper;
} sqlite_cfg;

static atomic_uint memdb_counter;

static void sq_free_config(void *p) {
  sqlite_cfg *c = p;
  if (c == NULL) return;
  sqlite3_close(atomic_load(&c->keeper));
  aiodb__free(c->path);
  aiodb__free(c);
}

/* Opens the memory database's keeper once (best effort: without it the
 * database lives as long as the pool keeps a connection). */
static void keep_memory(sqlite_cfg *cfg) {
  sqlite3 *k = NULL, *none = NULL;
  if (!cfg->memory || atomic_load(&cfg->keeper) != NULL) return;
  if (sqlite3_open_v2(cfg->path, &k, cfg->flags, NULL) != SQLITE_OK) {
    sqlite3_close(k);
    return;
  }
  if (!atomic_compare_exchange_strong(&cfg->keeper, &none, k)) sqlite3_close(k);
}

static int sq_configure(const aiodb__url *url_in, const aiodb_options *opts,
                        void **out, aiodb_error *err) {
  aiodb__url *url = (aiodb__url *)url_in;
  sqlite_cfg *c;
  const char *v;
  unsigned long n;
  int b;
  static const char *const modes[] = {"delete", "truncate", "persist",
                                      "memory", "wal",      "off"};
  size_t i;

  if (url->host || url->user || url->password || url->port)
    return aiodb__error_set(err, AIODB_EINVAL,
                            "a sqlite URL has no host, user, password or port "
                            "(use sqlite:///relative.db or "
                            "sqlite:////absolute.db)");
  c = aiodb__calloc(1, sizeof *c);
  if (c == NULL) return aiodb__error_set(err, AIODB_ENOMEM, "out of memory");
  c->flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
             SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
  c->busy_timeout_ms = 5000;
  c->foreign_keys = -1;

  if ((v = aiodb__url_opt(url, "mode")) != NULL) {
    if (strcmp(v, "ro") == 0)
      c->flags = (c->flags & ~(SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) |
                 SQLITE_OPEN_READONLY;
    else if (strcmp(v, "rw") == 0)
      c->flags &= ~SQLITE_OPEN_CREATE;
    else if (strcmp(v, "rwc") != 0) {
      /* the value is not quoted: it may be a piece of a password */
      aiodb__error_set(err, AIODB_EINVAL, "option 'mode' must be ro, rw or rwc");
      goto fail;
    }
  }
  if ((v = aiodb__url_opt(url, "readonly")) != NULL) {
    if (aiodb__parse_bool("readonly", v, &b, err) != 0) goto fail;
    if (b)
      c->flags = (c->flags & ~(SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) |
                 SQLITE_OPEN_READONLY;
  }
  if ((v = aiodb__url_opt(url, "busy_timeout")) != NULL) {
    if (aiodb__parse_uint("busy_timeout", v, 0, 86400000ul, &n, err) != 0)
      goto fail;
    c->busy_timeout_ms = (int)n;
  }
  if (opts && opts->busy_timeout_ms > 0) c->busy_timeout_ms = opts->busy_timeout_ms;
  if ((v = aiodb__url_opt(url, "journal_mode")) != NULL) {
    for (i = 0; i < sizeof modes / sizeof modes[0]; i++)
      if (strcasecmp(v, modes[i]) == 0) break;
    if (i == sizeof modes / sizeof modes[0]) {
      aiodb__error_set(err, AIODB_EINVAL,
                       "option 'journal_mode' must be delete, truncate, "
                       "persist, memory, wal or off");
      goto fail;
    }
    snprintf(c->journal_mode, sizeof c->journal_mode, "%s", modes[i]);
  }
  if ((v = aiodb__url_opt(url, "foreign_keys")) != NULL) {
    if (aiodb__parse_bool("foreign_keys", v, &c->foreign_keys, err) != 0)
      goto fail;
  }

  if (url->path == NULL || url->path[0] == '\0' ||
      strcmp(url->path, ":memory:") == 0) {
    /* One memory database shared by every connection of this db: the memdb
     * VFS shares a database by name ("/..."), with ordinary locking. */
    char name[96];
    snprintf(name, sizeof name, "file:/aiodb-mem-%p-%u?vfs=memdb", (void *)c,
             atomic_fetch_add(&memdb_counter, 1));
    c->path = aiodb__strdup(name);
    c->memory = 1;
    c->flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    c->flags &= ~SQLITE_OPEN_READONLY;
  } else {
    /* A plain path stays a path even if it looks like a URI. */
    if (strncmp(url->path, "file:", 5) == 0)
      c->path = aiodb__strdup(url->path);
    else {
      c->flags &= ~SQLITE_OPEN_URI;
      c->path = aiodb__strdup(url->path);
    }
  }
  if (c->path == NULL) {
    aiodb__error_set(err, AIODB_ENOMEM, "out of memory");
    goto fail;
  }
  *out = c;
  return 0;
fail:
  sq_free_config(c);
  return err ? err->code : AIODB_EINVAL;
}

/* aiodb_replica: a read-only open, which SQLite enforces (SQLITE_READONLY);
 * the journal mode is the db's to set. */
static int sq_read_only(void *cfgp, aiodb_error *err) {
  sqlite_cfg *c = cfgp;
  if (c->memory)
    return aiodb__error_set(err, AIODB_EINVAL,
                            "a sqlite replica must be a database file "
                            "(sqlite:///path.db), not a memory database");
  if (c->journal_mode[0])
    return aiodb__error_set(err, AIODB_EINVAL,
                            "a sqlite replica is opened read-only: option "
                            "'journal_mode' is the db's to set");
  c->flags = (c->flags & ~(SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) |
             SQLITE_OPEN_READONLY;
  return 0;
}

/* Maps a SQLite result code to an aiodb status and SQLSTATE. */
static int map_error(sqlite3 *db, int rc, aiodb__err *e) {
  int code;
  const char *state = "";
  /* A handle of the program's may not have extended result codes on. */
  if (db != NULL && rc == (rc & 0xff) && (sqlite3_extended_errcode(db) & 0xff) == rc)
    rc = sqlite3_extended_errcode(db);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: code = AIODB_EBUSY; break;
    case SQLITE_CONSTRAINT:
      code = AIODB_ECONSTRAINT;
      switch (rc) {
        case SQLITE_CONSTRAINT_UNIQUE:
        case SQLITE_CONSTRAINT_PRIMARYKEY: state = "23505"; break;
        case SQLITE_CONSTRAINT_NOTNULL: state = "23502"; break;
        case SQLITE_CONSTRAINT_FOREIGNKEY: state = "23503"; break;
        case SQLITE_CONSTRAINT_CHECK: state = "23514"; break;
        default: state = "23000"; break;
      }
      break;
    case SQLITE_READONLY: code = AIODB_EREADONLY; break;
    case SQLITE_INTERRUPT: code = AIODB_ECANCELED; state = "57014"; break;
    case SQLITE_NOMEM: code = AIODB_ENOMEM; break;
    case SQLITE_IOERR: code = AIODB_EIO; break;
    case SQLITE_CANTOPEN:
    case SQLITE_NOTADB: code = AIODB_ECONNECT; break;
    case SQLITE_RANGE:
    case SQLITE_TOOBIG: code = AIODB_ERANGE; break;
    case SQLITE_MISUSE: code = AIODB_EINVAL; break;
    default: code = AIODB_ESQL; break;
  }
  aiodb__err_set(e, code, "%s", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  e->native_code = rc;
  snprintf(e->sqlstate, sizeof e->sqlstate, "%s", state);
  return code;
}

/* A connection: the handle and its cache of prepared statements. */
typedef struct sq_conn {
  sqlite3 *db;
  aiodb__stmt_cache cache;
  int keep; /* the program's handle, given back open at disconnect */
} sq_conn;

typedef struct sq_cursor {
  sqlite3_stmt *st;
  int done;
} sq_cursor;

static void finalize(void *ud, void *st) {
  (void)ud;
  sqlite3_finalize(st);
}

static int sq_connect(void *cfgp, unsigned statement_cache, void **native,
                      aiodb__err *e) {
  sqlite_cfg *cfg = cfgp;
  sqlite3 *db = NULL;
  sq_conn *c;
  int rc = sqlite3_open_v2(cfg->path, &db, cfg->flags, NULL);
  char sql[64];

  if (rc != SQLITE_OK) {
    map_error(db, rc, e);
    e->code = AIODB_ECONNECT;
    sqlite3_close(db);
    return e->code;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, cfg->busy_timeout_ms);
  if (cfg->journal_mode[0] && !cfg->memory) {
    snprintf(sql, sizeof sql, "PRAGMA journal_mode=%s", cfg->journal_mode);
    rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
  }
  if (rc == SQLITE_OK && cfg->foreign_keys >= 0) {
    snprintf(sql, sizeof sql, "PRAGMA foreign_keys=%d", cfg->foreign_keys);
    rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
  }
  if (rc != SQLITE_OK) {
    map_error(db, rc, e);
    sqlite3_close(db);
    return e->code;
  }
  c = aiodb__calloc(1, sizeof *c);
  if (c != NULL && aiodb__stmt_cache_init(&c->cache, statement_cache, finalize, NULL) != 0) {
    aiodb__free(c);
    c = NULL;
  }
  if (c == NULL) {
    sqlite3_close(db);
    return aiodb__err_set(e, AIODB_ENOMEM, "out of memory");
  }
  c->db = db;
  keep_memory(cfg);
  *native = c;
  return 0;
}

static void sq_disconnect(void *native) {
  sq_conn *c = native;
  aiodb__stmt_cache_destroy(&c->cache);
  if (!c->keep)
    sqlite3_close_v2(c->db);
  else if (sqlite3_get_autocommit(c->db) == 0)
    sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
  aiodb__free(c);
}

/* ---- a handle of the program's (aiodb_open_native) ---- */

static int sq_adopt(void *handle, const aiodb_options *opts, void **out,
                    aiodb_error *err) {
  sqlite3 *db = handle;
  sqlite3_stmt *st;
  sqlite_cfg *c;

  if (sqlite3_threadsafe() == 0)
    return aiodb__error_set(err, AIODB_EINVAL,
                            "aiodb_open_native: this SQLite library was built "
                            "single-threaded (SQLITE_THREADSAFE=0): its handle "
                            "cannot move to a worker thread");
  if (sqlite3_get_autocommit(db) == 0)
    return aiodb__error_set(err, AIODB_EINVAL,
                            "aiodb_open_native: the sqlite3* is inside a "
                            "transaction; commit or roll it back first");
  for (st = sqlite3_next_stmt(db, NULL); st != NULL; st = sqlite3_next_stmt(db, st))
    if (sqlite3_stmt_busy(st))
      return aiodb__error_set(err, AIODB_EINVAL,
                              "aiodb_open_native: a statement of the sqlite3* "
                              "is still running (stepped and not reset); "
                              "reset or finalize it first");
  c = aiodb__calloc(1, sizeof *c);
  if (c == NULL) return aiodb__error_set(err, AIODB_ENOMEM, "out of memory");
  c->busy_timeout_ms = opts ? opts->busy_timeout_ms : 0; /* 0: the program's */
  *out = c;
  return 0;
}

static int sq_attach(void *cfgp, void *handle, int close_at_end,
                     unsigned statement_cache, void **native, aiodb__err *e) {
  sqlite_cfg *cfg = cfgp;
  sq_conn *c = aiodb__calloc(1, sizeof *c);
  if (c != NULL && aiodb__stmt_cache_init(&c->cache, statement_cache, finalize, NULL) != 0) {
    aiodb__free(c);
    c = NULL;
  }
  if (c == NULL) {
    if (close_at_end) sqlite3_close_v2(handle);
    return aiodb__err_set(e, AIODB_ENOMEM, "out of memory");
  }
  c->db = handle;
  c->keep = !close_at_end;
  if (cfg->busy_timeout_ms > 0) sqlite3_busy_timeout(c->db, cfg->busy_timeout_ms);
  *native = c;
  return 0;
}

static void *sq_handle(void *native) { return ((sq_conn *)native)->db; }

/* True when p..end holds nothing but whitespace, semicolons and comments. */
static int only_space(const char *p, const char *end) {
  return aiodb__sql_is_blank(p, (size_t)(end - p), AIODB__DIALECT_SQLITE);
}

/* A prepared statement for sql, from the cache when it is there; *tail is
 * where the next statement starts. A statement alone in sql is cached
 * (*cached: unprepare keeps it). */
static int prepare(sq_conn *c, const char *sql, size_t len, sqlite3_stmt **st,
                   const char **tail, int *cached, aiodb__err *e) {
  int rc;

  *cached = 0;
  if ((*st = aiodb__stmt_cache_get(&c->cache, sql, len)) != NULL) {
    *tail = sql + len;
    *cached = 1;
    return 0;
  }
  rc = sqlite3_prepare_v3(c->db, sql, (int)len,
                          c->cache.cap ? SQLITE_PREPARE_PERSISTENT : 0, st, tail);
  if (rc != SQLITE_OK) return map_error(c->db, rc, e);
  if (*st == NULL || c->cache.cap == 0 || !only_space(*tail, sql + len)) return 0;
  /* without memory for the key: not cached after all */
  *cached = aiodb__stmt_cache_put(&c->cache, sql, len, *st) == 0;
  return 0;
}

/* Done with st: a cached one is reset for next time, others finalized. */
static void unprepare(sqlite3_stmt *st, int cached) {
  if (cached) {
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
  } else {
    sqlite3_finalize(st);
  }
}

static int bind_row(sqlite3_stmt *st, const aiodb_value *args, size_t nargs,
                    aiodb__err *e) {
  int i, n = sqlite3_bind_parameter_count(st), rc = SQLITE_OK;
  if ((size_t)n != nargs)
    return aiodb__err_set(e, AIODB_EINVAL,
                          "the statement has %d parameter%s but %zu argument%s "
                          "%s given",
                          n, n == 1 ? "" : "s", nargs, nargs == 1 ? "" : "s",
                          nargs == 1 ? "was" : "were");
  for (i = 0; i < n && rc == SQLITE_OK; i++) {
    const aiodb_value *v = &args[i];
    switch (v->type) {
      case AIODB_TYPE_NULL: rc = sqlite3_bind_null(st, i + 1); break;
      case AIODB_TYPE_INT: rc = sqlite3_bind_int64(st, i + 1, v->u.i); break;
      case AIODB_TYPE_FLOAT: rc = sqlite3_bind_double(st, i + 1, v->u.f); break;
      /* The copies live in the future until the job completes. */
      case AIODB_TYPE_TEXT:
        rc = sqlite3_bind_text64(st, i + 1, v->u.s, v->len, SQLITE_STATIC,
                                 SQLITE_UTF8);
        break;
      case AIODB_TYPE_BLOB:
        rc = sqlite3_bind_blob64(st, i + 1, v->len ? v->u.p : "", v->len,
                                 SQLITE_STATIC);
        break;
    }
  }
  if (rc != SQLITE_OK) return map_error(sqlite3_db_handle(st), rc, e);
  return 0;
}

static int read_row(sqlite3_stmt *st, int ncols, aiodb_result *res) {
  int i, rc = 0;
  for (i = 0; i < ncols && rc == 0; i++) {
    switch (sqlite3_column_type(st, i)) {
      case SQLITE_INTEGER:
        rc = aiodb__result_add_int(res, sqlite3_column_int64(st, i));
        break;
      case SQLITE_FLOAT:
        rc = aiodb__result_add_float(res, sqlite3_column_double(st, i));
        break;
      case SQLITE_TEXT: {
        const unsigned char *t = sqlite3_column_text(st, i);
        rc = aiodb__result_add_text(res, (const char *)t,
                                    (size_t)sqlite3_column_bytes(st, i));
        break;
      }
      case SQLITE_BLOB: {
        const void *b = sqlite3_column_blob(st, i);
        rc = aiodb__result_add_blob(res, b, (size_t)sqlite3_column_bytes(st, i));
        break;
      }
      default: rc = aiodb__result_add_null(res); break;
    }
  }
  return rc;
}

static const char *column_name(const void *st, size_t i, size_t *len) {
  const char *name = sqlite3_column_name((sqlite3_stmt *)st, (int)i);
  if (name != NULL) *len = strlen(name);
  return name; /* NULL: out of memory */
}

/* Starts a fresh result with st's columns. */
static int set_columns(sqlite3_stmt *st, aiodb_result *res, aiodb__err *e) {
  return aiodb__result_columns(res, (size_t)sqlite3_column_count(st), column_name, st, e);
}

/* Steps st to the end (or max rows, max > 0), appending rows to res. With
 * fresh, res starts over with st's columns, read after the first step: a
 * cached statement is prepared again there if the schema changed.
 * Returns 0 with *done set, or an error. */
static int step_rows(sqlite3 *db, sqlite3_stmt *st, aiodb_result *res,
                     size_t max, int fresh, int *done, aiodb__err *e) {
  int rc;
  size_t n = 0;
  *done = 0;
  while (max == 0 || n < max) {
    rc = sqlite3_step(st);
    if (fresh) {
      fresh = 0;
      if (set_columns(st, res, e) != 0) return e->code;
    }
    if (rc == SQLITE_DONE) {
      *done = 1;
      return 0;
    }
    if (rc != SQLITE_ROW) return map_error(db, rc, e);
    if (read_row(st, sqlite3_column_count(st), res) != 0)
      return aiodb__err_set(e, AIODB_ENOMEM, "out of memory for the result");
    n++;
  }
  return 0;
}

/* Runs one prepared statement to completion into a fresh res. */
static int run_stmt(sqlite3 *db, sqlite3_stmt *st, aiodb_result *res,
                    aiodb__err *e) {
  sqlite3_int64 before = sqlite3_total_changes64(db);
  int done;
  if (step_rows(db, st, res, 0, 1, &done, e) != 0) return e->code;
  if (sqlite3_total_changes64(db) != before)
    aiodb__result_set_affected(res, sqlite3_changes64(db));
  aiodb__result_set_last_id(res, sqlite3_last_insert_rowid(db));
  return 0;
}

static int sq_exec(void *native, const aiodb__stmt *s, aiodb_result *res,
                   aiodb__err *e) {
  sq_conn *c = native;
  const char *sql = s->sql, *end = s->sql + s->sql_len, *tail = NULL;
  sqlite3_stmt *st = NULL;
  int rc, first = 1, cached;

  /* Several statements run in order, like sqlite3_exec; the result is the
   * last one's. Arguments bind to a single statement only. */
  while (sql < end) {
    rc = prepare(c, sql, (size_t)(end - sql), &st, &tail, &cached, e);
    if (rc != 0) return rc;
    if (st == NULL) break; /* only whitespace or comments left */
    if (first && s->nargs > 0 && !only_space(tail, end)) {
      unprepare(st, cached);
      return aiodb__err_set(e, AIODB_EINVAL,
                            "arguments can only be bound to a single statement");
    }
    rc = first ? bind_row(st, s->args, s->nargs, e) : 0;
    if (rc == 0) rc = run_stmt(c->db, st, res, e);
    unprepare(st, cached);
    if (rc != 0) return rc;
    first = 0;
    sql = tail;
  }
  if (first) { /* no statement at all: one that does nothing */
    aiodb__result_reset(res);
    aiodb__result_set_cols(res, 0);
  }
  return 0;
}

/* ---- query_many (lib/many.c runs the batch) ---- */

static int sq_in_tx(void *native) {
  return sqlite3_get_autocommit(((sq_conn *)native)->db) == 0;
}

static int sq_exec_own(void *native, const char *sql, aiodb__err *e) {
  sq_conn *c = native;
  int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
  return rc == SQLITE_OK ? 0 : map_error(c->db, rc, e);
}

static int sq_many_prepare(void *native, const aiodb__stmt *s, aiodb__many *m,
                           aiodb__err *e) {
  sqlite3_stmt *st;
  const char *tail;
  int rc, cached;

  rc = prepare(native, s->sql, s->sql_len, &st, &tail, &cached, e);
  if (rc != 0) return rc;
  if (st == NULL || !only_space(tail, s->sql + s->sql_len)) {
    if (st) unprepare(st, cached);
    return aiodb__err_set(e, AIODB_EINVAL, "query_many takes exactly one statement");
  }
  m->stmt = st;
  m->cached = cached;
  return 0;
}

static int sq_many_rows(void *native, const aiodb__stmt *s, size_t first,
                        size_t n, aiodb_result *res, aiodb__many *m,
                        aiodb__err *e) {
  sq_conn *c = native;
  sqlite3_stmt *st = m->stmt;
  sqlite3_int64 before;
  size_t r;
  int rc = 0, done;

  for (r = first; rc == 0 && r < first + n; r++) {
    before = sqlite3_total_changes64(c->db);
    rc = bind_row(st, s->args + r * s->nargs, s->nargs, e);
    if (rc == 0) rc = step_rows(c->db, st, res, 0, r == 0, &done, e);
    if (rc == 0 && sqlite3_total_changes64(c->db) != before)
      m->affected += sqlite3_changes64(c->db);
    sqlite3_reset(st);
    if (rc != 0) m->row = r;
  }
  if (rc == 0) aiodb__result_set_last_id(res, sqlite3_last_insert_rowid(c->db));
  return rc;
}

static void sq_many_close(void *native, aiodb__many *m) {
  (void)native;
  if (m->stmt != NULL) unprepare(m->stmt, m->cached);
}

static const aiodb__many_ops sq_many = {
    .in_tx = sq_in_tx,
    .exec_own = sq_exec_own,
    .prepare = sq_many_prepare,
    .rows = sq_many_rows,
    .close = sq_many_close,
};

static int sq_cursor_open(void *native, const aiodb__stmt *s, void **out,
                          aiodb__err *e) {
  sq_conn *c = native;
  sq_cursor *cur;
  sqlite3_stmt *st;
  const char *tail;
  int rc = sqlite3_prepare_v2(c->db, s->sql, (int)s->sql_len, &st, &tail);

  if (rc != SQLITE_OK) return map_error(c->db, rc, e);
  if (st == NULL || !only_space(tail, s->sql + s->sql_len)) {
    sqlite3_finalize(st);
    return aiodb__err_set(e, AIODB_EINVAL, "a cursor takes exactly one statement");
  }
  rc = bind_row(st, s->args, s->nargs, e);
  cur = rc == 0 ? aiodb__calloc(1, sizeof *cur) : NULL;
  if (cur == NULL) {
    sqlite3_finalize(st);
    return rc ? rc : aiodb__err_set(e, AIODB_ENOMEM, "out of memory");
  }
  cur->st = st;
  *out = cur;
  return 0;
}

static int sq_cursor_fetch(void *native, void *curp, size_t max_rows,
                           aiodb_result *res, aiodb__err *e) {
  sq_conn *c = native;
  sq_cursor *cur = curp;
  if (cur->done) return set_columns(cur->st, res, e);
  return step_rows(c->db, cur->st, res, max_rows, 1, &cur->done, e);
}

static void sq_cursor_close(void *native, void *curp) {
  sq_cursor *cur = curp;
  (void)native;
  sqlite3_finalize(cur->st);
  aiodb__free(cur);
}

static void sq_interrupt(void *native) {
  sqlite3_interrupt(((sq_conn *)native)->db);
}

/* An interrupted write (and SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM without
 * a statement journal) rolls the whole transaction back: autocommit is on
 * again. */
static int sq_tx_ended(void *native, const aiodb__err *e) {
  (void)e;
  return sqlite3_get_autocommit(((sq_conn *)native)->db) != 0;
}

static int sq_is_broken(void *native, const aiodb__err *e) {
  (void)native;
  return e->code == AIODB_ECONNECT;
}

static const char *sq_client_version(void) { return sqlite3_libversion(); }

static int sq_last_error(void *native, aiodb__err *e) {
  sqlite3 *db = ((sq_conn *)native)->db;
  int rc = sqlite3_extended_errcode(db);
  if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) return 0;
  map_error(db, rc, e);
  return 1;
}

const aiodb__driver aiodb__driver_sqlite = {
    .name = "sqlite",
    .param_style = "?",
    .dialect = AIODB__DIALECT_SQLITE,
    .pstyle = AIODB__PSTYLE_QMARK, /* '?' stays '?': column names stay SQLite's own */
    .default_max_size = 1,
    .default_max_lifetime_ms = 0, /* nothing on a server to refresh */
    /* ping NULL: nothing to check */
    .configure = sq_configure,
    .free_config = sq_free_config,
    .connect = sq_connect,
    .disconnect = sq_disconnect,
    .handle = sq_handle,
    .exec = sq_exec,
    .many = &sq_many,
    .cursor_open = sq_cursor_open,
    .cursor_fetch = sq_cursor_fetch,
    .cursor_close = sq_cursor_close,
    .sql_table_names = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT "
                       "LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
    .sql_has_table = "SELECT count(*) > 0 AS present FROM sqlite_master WHERE type = "
                     "'table' AND name = ? COLLATE NOCASE",
    .sql_server_info = "SELECT 'sqlite' AS driver, sqlite_version() AS server_version, "
                       "? AS client_version, ? AS aiodb_version",
    /* the rowid alias (INTEGER PRIMARY KEY, the only key column) numbers
     * itself and is never NULL, whatever the pragma's notnull says */
    .sql_columns =
        "SELECT name, type, NOT (\"notnull\" OR rowid_alias) AS nullable, \"default\", pk, "
        "\"generated\", rowid_alias AS \"autoincrement\" FROM (SELECT x.cid AS cid, x.name "
        "AS name, x.type AS type, x.\"notnull\" AS \"notnull\", CASE WHEN x.hidden IN (2, "
        "3) THEN NULL ELSE x.dflt_value END AS \"default\", x.pk AS pk, x.hidden IN (2, 3) "
        "AS \"generated\", (x.pk = 1 AND upper(x.type) = 'INTEGER' AND (SELECT count(*) "
        "FROM pragma_table_info(p.q) WHERE pk > 0) = 1) AS rowid_alias FROM (SELECT ? AS q) "
        "AS p, pragma_table_xinfo(p.q) AS x WHERE x.hidden <> 1) ORDER BY cid",
    .sql_indexes = "SELECT il.name AS name, il.\"unique\" AS \"unique\", ii.seqno + 1 AS "
                   "position, ii.name AS \"column\" FROM (SELECT ? AS q) AS p, "
                   "pragma_index_list(p.q) AS il, pragma_index_info(il.name) AS ii ORDER BY "
                   "1, 3",
    .sql_view_names = "SELECT name FROM sqlite_master WHERE type = 'view' ORDER BY name",
    .client_version = sq_client_version,
    .interrupt = sq_interrupt,
    .is_broken = sq_is_broken,
    /* exec_batch NULL: one statement at a time */
    .tx_ended = sq_tx_ended,
    .last_error = sq_last_error,
    .adopt = sq_adopt,
    .attach = sq_attach,
    .read_only = sq_read_only,
};
