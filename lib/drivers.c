/* The table of drivers built into this library. */
#include <string.h>

#include "driver.h"
#include "error.h"

static const struct {
  const char *scheme;
  const aiodb__driver *driver; /* NULL: known, but not built */
  const char *library;
} schemes[] = {
#ifdef AIODB_HAVE_SQLITE
    {"sqlite", &aiodb__driver_sqlite, "sqlite3"},
    {"sqlite3", &aiodb__driver_sqlite, "sqlite3"},
#else
    {"sqlite", NULL, "sqlite3"},
    {"sqlite3", NULL, "sqlite3"},
#endif
#ifdef AIODB_HAVE_POSTGRES
    {"postgresql", &aiodb__driver_postgres, "libpq"},
    {"postgres", &aiodb__driver_postgres, "libpq"},
#else
    {"postgresql", NULL, "libpq"},
    {"postgres", NULL, "libpq"},
#endif
#ifdef AIODB_HAVE_MYSQL
    {"mysql", &aiodb__driver_mysql, "libmariadb"},
    {"mariadb", &aiodb__driver_mysql, "libmariadb"},
#else
    {"mysql", NULL, "the MariaDB/MySQL client library"},
    {"mariadb", NULL, "the MariaDB/MySQL client library"},
#endif
};

const aiodb__driver *aiodb__driver_find(const char *scheme, aiodb_error *err) {
  size_t i, n = strcspn(scheme, "+"); /* SQLAlchemy's "postgresql+psycopg2" */
  for (i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
    if (strlen(schemes[i].scheme) != n ||
        strncmp(schemes[i].scheme, scheme, n) != 0)
      continue;
    if (schemes[i].driver == NULL)
      aiodb__error_set(err, AIODB_EUNSUPPORTED,
                       "the %.*s driver is not built into this aiodb (it "
                       "needs %s)",
                       (int)n, scheme, schemes[i].library);
    return schemes[i].driver;
  }
  aiodb__error_set(err, AIODB_EINVAL,
                   "unknown URL scheme '%.*s' (expected sqlite, postgresql or "
                   "mysql)",
                   (int)(n > 40 ? 40 : n), scheme);
  return NULL;
}
