/* A db's options: the core's, from the URL's query and aiodb_options
 * (the URL first, then the struct's non-zero fields), then the driver's,
 * and no option left that neither knows. */
#include <limits.h>
#include <pthread.h>
#include <string.h>

#include "db.h"
#include "driver.h"
#include "error.h"
#include "options.h"
#include "pool_policy.h"
#include "replica.h"
#include "url.h"

#define DEFAULT_STACK (256u * 1024u)
#define DEFAULT_STATEMENT_CACHE 64u
#define DEFAULT_PIPELINE 64u
#define DEFAULT_CLOSE_TIMEOUT_MS 10000
#define MAX_PIPELINE 1024u
#define MAX_POOL 1024
#define MAX_STACK (1ul << 30)

void aiodb_options_init(aiodb_options *opts) {
  if (opts) memset(opts, 0, sizeof *opts);
}

static int core_options(aiodb__url *url, const aiodb_options *o,
                        const aiodb__driver *drv, aiodb_db *db,
                        aiodb_error *err) {
  unsigned long v;
  const char *s;
  int b;

  db->min_size = 1;
  db->max_size = drv->default_max_size ? drv->default_max_size : 1;
  db->stack_size = DEFAULT_STACK;
  db->statement_cache = DEFAULT_STATEMENT_CACHE;
  db->pipeline = DEFAULT_PIPELINE;
  db->close_timeout_ms = DEFAULT_CLOSE_TIMEOUT_MS;
  db->adaptive_spin = 1;
  if ((s = aiodb__url_opt(url, "max_size")) != NULL) {
    if (aiodb__parse_uint("max_size", s, 1, MAX_POOL, &v, err)) return AIODB_EINVAL;
    db->max_size = (unsigned)v;
  }
  if ((s = aiodb__url_opt(url, "min_size")) != NULL) {
    if (aiodb__parse_uint("min_size", s, 0, MAX_POOL, &v, err)) return AIODB_EINVAL;
    db->min_size = (unsigned)v;
  }
  if ((s = aiodb__url_opt(url, "stack_size")) != NULL) {
    if (aiodb__parse_uint("stack_size", s, 16384, MAX_STACK, &v, err))
      return AIODB_EINVAL;
    db->stack_size = v;
  }
  if ((s = aiodb__url_opt(url, "timeout_ms")) != NULL) {
    if (aiodb__parse_uint("timeout_ms", s, 0, INT_MAX, &v, err)) return AIODB_EINVAL;
    db->timeout_ms = (int)v;
  }
  if ((s = aiodb__url_opt(url, "close_timeout_ms")) != NULL) {
    if (aiodb__parse_uint("close_timeout_ms", s, 0, INT_MAX, &v, err))
      return AIODB_EINVAL;
    db->close_timeout_ms = (int)v;
  }
  if ((s = aiodb__url_opt(url, "statement_cache")) != NULL) {
    if (aiodb__parse_uint("statement_cache", s, 0, 100000, &v, err))
      return AIODB_EINVAL;
    db->statement_cache = (unsigned)v;
  }
  if ((s = aiodb__url_opt(url, "spin_us")) != NULL) {
    if (aiodb__parse_uint("spin_us", s, 0, 1000, &v, err)) return AIODB_EINVAL;
    db->spin_us = (unsigned)v;
  }
  if ((s = aiodb__url_opt(url, "adaptive_spin")) != NULL) {
    if (aiodb__parse_bool("adaptive_spin", s, &b, err)) return AIODB_EINVAL;
    db->adaptive_spin = b;
  }
  if ((s = aiodb__url_opt(url, "pipeline")) != NULL) {
    if (aiodb__parse_uint("pipeline", s, 0, MAX_PIPELINE, &v, err))
      return AIODB_EINVAL;
    db->pipeline = (unsigned)v;
  }
  if ((s = aiodb__url_opt(url, "worker_nice")) != NULL) {
    if (aiodb__parse_uint("worker_nice", s, 0, 19, &v, err)) return AIODB_EINVAL;
    db->worker_nice = (unsigned)v;
  }
  if ((s = aiodb__url_opt(url, "worker_slice_us")) != NULL) {
    if (aiodb__parse_uint("worker_slice_us", s, 0, 100000, &v, err))
      return AIODB_EINVAL;
    db->worker_slice_us = (unsigned)v;
  }
  if ((s = aiodb__url_opt(url, "force_rollback")) != NULL) {
    if (aiodb__parse_bool("force_rollback", s, &b, err)) return AIODB_EINVAL;
    db->force_rollback = b;
  }
  if (o) {
    if (o->max_size > MAX_POOL)
      return aiodb__error_set(err, AIODB_EINVAL,
                              "max_size must be at most %d", MAX_POOL);
    if (o->statement_cache > 100000)
      return aiodb__error_set(err, AIODB_EINVAL,
                              "statement_cache must be at most 100000");
    if (o->timeout_ms < 0)
      return aiodb__error_set(err, AIODB_EINVAL, "timeout_ms must not be negative");
    if (o->busy_timeout_ms < 0)
      return aiodb__error_set(err, AIODB_EINVAL,
                              "busy_timeout_ms must not be negative");
    if (o->stack_size > MAX_STACK)
      return aiodb__error_set(err, AIODB_EINVAL, "stack_size must be at most %lu",
                              (unsigned long)MAX_STACK);
    if (o->reserved[0] || o->reserved[1] || o->reserved[2])
      return aiodb__error_set(err, AIODB_EINVAL, "reserved fields must be zero");
    if (o->close_timeout_ms < 0)
      return aiodb__error_set(err, AIODB_EINVAL,
                              "close_timeout_ms must not be negative");
    if (o->close_timeout_ms) db->close_timeout_ms = o->close_timeout_ms;
    if (o->spin_us > 1000)
      return aiodb__error_set(err, AIODB_EINVAL, "spin_us must be at most 1000");
    if (o->pipeline > MAX_PIPELINE)
      return aiodb__error_set(err, AIODB_EINVAL, "pipeline must be at most %u",
                              MAX_PIPELINE);
    if (o->worker_nice > 19)
      return aiodb__error_set(err, AIODB_EINVAL, "worker_nice must be at most 19");
    if (o->worker_slice_us > 100000)
      return aiodb__error_set(err, AIODB_EINVAL,
                              "worker_slice_us must be at most 100000");
    if (o->worker_nice) db->worker_nice = o->worker_nice;
    if (o->worker_slice_us) db->worker_slice_us = o->worker_slice_us;
    if (o->spin_us) db->spin_us = o->spin_us;
    if (o->pipeline) db->pipeline = o->pipeline;
    if (o->max_size) db->max_size = o->max_size;
    if (o->min_size) db->min_size = o->min_size;
    if (o->stack_size) db->stack_size = o->stack_size;
    if (o->timeout_ms) db->timeout_ms = o->timeout_ms;
    if (o->statement_cache) db->statement_cache = o->statement_cache;
    if (o->force_rollback) db->force_rollback = 1;
    /* Not in a URL: a function. Its ud alone means nothing. */
    db->on_connect = o->on_connect;
    db->on_connect_ud = o->on_connect ? o->on_connect_ud : NULL;
  }
  /* tracing (lib/trace.c) */
  if ((s = aiodb__url_opt(url, "slow_query_ms")) != NULL) {
    if (aiodb__parse_uint("slow_query_ms", s, 0, INT_MAX, &v, err)) return AIODB_EINVAL;
    db->trace.slow_ns = (int64_t)v * 1000000;
  }
  if (o) {
    if (o->slow_query_ms > INT_MAX)
      return aiodb__error_set(err, AIODB_EINVAL,
                              "slow_query_ms must be at most %d", INT_MAX);
    if (o->slow_query_ms) db->trace.slow_ns = (int64_t)o->slow_query_ms * 1000000;
    db->trace.fn = o->trace;
    db->trace.ud = o->trace_ud;
    db->trace.values = o->trace_values != 0;
  }
  if (aiodb__pool_options(url, o, db, err) != 0) return AIODB_EINVAL;
  if (db->min_size > db->max_size)
    return aiodb__error_set(err, AIODB_EINVAL,
                            "min_size (%u) is larger than max_size (%u)",
                            db->min_size, db->max_size);
  /* One transaction spans the whole db: it lives on one connection. */
  if (db->force_rollback) db->min_size = db->max_size = 1;
  if (db->stack_size < (size_t)PTHREAD_STACK_MIN)
    db->stack_size = (size_t)PTHREAD_STACK_MIN;
  return 0;
}

int aiodb__db_configure(aiodb__url *u, const aiodb_options *opts, aiodb_db *db,
                        aiodb_error *err) {
  const aiodb__kv *kv;
  int rc;

  /* The replicas before the driver, which refuses options it does not know. */
  if ((rc = core_options(u, opts, db->driver, db, err)) != 0 ||
      (rc = aiodb__replicas_configure(u, opts, db, err)) != 0 ||
      (rc = db->driver->configure(u, opts, &db->driver_cfg, err)) != 0)
    return rc;
  if ((kv = aiodb__url_unused(u)) != NULL)
    return aiodb__url_unknown_option(u, kv, db->driver->name, err);
  return 0;
}

int aiodb__db_configure_native(const aiodb_options *opts, aiodb_db *db,
                               aiodb_error *err) {
  aiodb__url none;
  int rc;
  if (opts && (opts->min_size > 1 || opts->max_size > 1))
    return aiodb__error_set(err, AIODB_EINVAL,
                            "aiodb_open_native: a db of an adopted handle has "
                            "exactly one connection (min_size and max_size "
                            "must be 0 or 1)");
  memset(&none, 0, sizeof none);
  if ((rc = core_options(&none, opts, db->driver, db, err)) != 0) return rc;
  db->min_size = db->max_size = 1;
  return 0;
}

int aiodb__open_check(const char *url, const aiodb_options *opts,
                      aiodb_error *err) {
  aiodb__url u;
  aiodb_db db;
  aiodb_error own;
  int rc;

  if (err == NULL) err = &own;
  aiodb__error_clear(err);
  if (url == NULL)
    return aiodb__error_set(err, AIODB_EINVAL, "aiodb_open: url is NULL");
  if ((rc = aiodb__url_parse(url, &u, err)) != 0) return rc;
  memset(&db, 0, sizeof db);
  if ((db.driver = aiodb__driver_find(u.scheme, err)) == NULL)
    rc = err->code;
  else
    rc = aiodb__db_configure(&u, opts, &db, err);
  if (db.driver_cfg) db.driver->free_config(db.driver_cfg);
  aiodb__replicas_free(db.replicas);
  aiodb__url_free(&u);
  return rc;
}
