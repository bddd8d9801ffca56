/* A handle the program opened, as a one-connection db (lib/native.c:
 * aiodb_open_native). The db's fields are in lib/db.h (adopted,
 * adopt_close, adopt_handle), the driver's half in lib/driver.h (adopt,
 * attach). */
#ifndef AIODB_NATIVE_H
#define AIODB_NATIVE_H

/* What every call fails with (AIODB_ECONNLOST) once the one connection of
 * a native db has broken: the pool never opens another. */
#define AIODB__ADOPTED_LOST                                                  \
  "the adopted connection broke, and a db made by aiodb_open_native cannot " \
  "reconnect (free it, and open the handle again)"

#endif
