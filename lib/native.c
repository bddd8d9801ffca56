/* aiodb_open_native: a handle the program already opened (sqlite3*,
 * PGconn*, MYSQL*) as a db of one connection. The driver checks the
 * handle and builds its config on the caller's thread (adopt); the db's
 * one worker takes the handle where it would connect (attach), and its
 * disconnect closes it or gives it back. That connection is never
 * replaced: once it has broken, lib/pool.c refuses to start another and
 * the calls fail with AIODB_ECONNLOST (AIODB__ADOPTED_LOST). */
#include <string.h>

#include "alloc.h"
#include "conn.h"
#include "db.h"
#include "driver.h"
#include "error.h"
#include "native.h"
#include "options.h"
#include "replica.h"

/* The driver named name ("sqlite", "postgresql", "mysql", or an alias
 * aiodb_open takes as a scheme), or NULL with err filled. */
static const aiodb__driver *find_driver(const char *name, aiodb_error *err) {
  char lower[16];
  size_t i, n = strlen(name);
  const aiodb__driver *drv = NULL;
  aiodb_error own;

  if (n > 0 && n < sizeof lower && strchr(name, '+') == NULL) {
    for (i = 0; i <= n; i++)
      lower[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
    aiodb__error_clear(&own);
    drv = aiodb__driver_find(lower, &own);
    if (drv == NULL && own.code == AIODB_EUNSUPPORTED) {
      if (err) *err = own;
      return NULL;
    }
  }
  if (drv == NULL) {
    /* Quoted only when it looks like a name: not a URL with a password. */
    int plain = n > 0 && n <= 20;
    for (i = 0; plain && i < n; i++)
      plain = (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
              (name[i] >= '0' && name[i] <= '9') || name[i] == '_' || name[i] == '-';
    aiodb__error_set(err, AIODB_EINVAL,
                     "aiodb_open_native: unknown driver%s%s%s (expected "
                     "\"sqlite\", \"postgresql\" or \"mysql\")",
                     plain ? " '" : "", plain ? name : "", plain ? "'" : "");
  } else if (drv->adopt == NULL)
    aiodb__error_set(err, AIODB_EUNSUPPORTED,
                     "aiodb_open_native: the %s driver cannot adopt a handle",
                     drv->name);
  return drv && drv->adopt ? drv : NULL;
}

aiodb_db *aiodb_open_native(const char *driver, void *native, int close_at_end,
                            const aiodb_options *opts, aiodb_error *err) {
  const aiodb__driver *drv;
  aiodb_db *db;

  aiodb__error_clear(err);
  if (driver == NULL) {
    aiodb__error_set(err, AIODB_EINVAL, "aiodb_open_native: driver is NULL");
    return NULL;
  }
  if ((drv = find_driver(driver, err)) == NULL) return NULL;
  if (native == NULL) {
    aiodb__error_set(err, AIODB_EINVAL, "aiodb_open_native: native is NULL");
    return NULL;
  }
  if ((db = aiodb__db_new(drv, err)) == NULL) return NULL;
  if (aiodb__db_configure_native(opts, db, err) != 0 ||
      drv->adopt(native, opts, &db->driver_cfg, err) != 0) {
    aiodb__db_discard(db);
    return NULL;
  }
  db->adopted = 1;
  db->adopt_close = close_at_end != 0;
  db->adopt_handle = native;
  /* Its worker takes the handle (lib/pool.c); when none can be started,
   * the handle stays here and is left as it is. */
  return aiodb__db_start(db, opts, err);
}

int aiodb__conn_connect(aiodb_conn *conn, aiodb__err *e) {
  aiodb_db *db = conn->db;
  const aiodb__driver *drv = db->driver;
  int rc;

  if (db->replicas != NULL) {
    /* a read-only view's connection: on one of its replicas, attached,
     * with the library's own SQL run on it (scratch first) */
    conn->scratch = aiodb__result_new();
    if (conn->scratch == NULL) return aiodb__err_set(e, AIODB_ENOMEM, "out of memory");
    return aiodb__replica_connect(conn, e);
  }
  if (conn->adopt != NULL) {
    rc = drv->attach(db->driver_cfg, conn->adopt, db->adopt_close,
                     db->statement_cache, &conn->native, e);
    conn->adopt = NULL; /* the driver's now, or closed, or given back */
  } else {
    rc = drv->connect(db->driver_cfg, db->statement_cache, &conn->native, e);
  }
  if (rc != 0) return e->code;
  conn->scratch = aiodb__result_new();
  if (conn->scratch == NULL) {
    drv->disconnect(conn->native);
    conn->native = NULL;
    return aiodb__err_set(e, AIODB_ENOMEM, "out of memory");
  }
  return 0;
}
