/* The drivers' conversion of what a server sends into result cells, as
 * pure functions that need no server and no client-library handle: each
 * driver calls its own for every cell, and fuzz/fuzz_decode.c calls them
 * with made-up input. Each appends one cell to res (whose columns are set)
 * and returns 0 or AIODB_ENOMEM. */
#ifndef AIODB_DECODE_H
#define AIODB_DECODE_H

#include <stddef.h>

#include "driver.h"

/* workers/postgres.c: a non-NULL value in libpq's text format, of column
 * type OID type: v[0..len) with v[len] == '\0' (as PQgetvalue gives it).
 * Numbers are read in the calling thread's locale: the driver calls it in
 * the C locale's. */
int aiodb__pg_decode(aiodb_result *res, unsigned type, const char *v,
                     size_t len);

/* workers/mysql.c: a cell of a column of MYSQL_FIELD type (enum
 * enum_field_types), flags and charsetnr. NULL v is SQL NULL. */
/* The text protocol (mysql_fetch_row): v[0..len), v[len] == '\0'. */
int aiodb__my_decode_text(aiodb_result *res, int type, unsigned flags,
                          unsigned charsetnr, const char *v, unsigned long len);
/* The binary protocol: what mysql_stmt_fetch left in the buffer the driver
 * binds for that column (an int64 for the integer types, a float for FLOAT,
 * a double for DOUBLE: their bytes, zero-filled when len is shorter; the
 * bytes themselves for the others). */
int aiodb__my_decode_binary(aiodb_result *res, int type, unsigned flags,
                            unsigned charsetnr, const void *v,
                            unsigned long len);

#endif
