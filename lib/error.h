/* Errors (lib/error.c): the public aiodb_error a call fills, and the
 * aiodb__err a job's outcome carries (code, SQLSTATE, native code and
 * message, as a driver reports them). */
#ifndef AIODB_ERROR_H
#define AIODB_ERROR_H

#include <stddef.h>

#include "aiodb.h"

/* An error as a driver reports it; lives in the future. */
typedef struct aiodb__err {
  int code;          /* AIODB_E... */
  int native_code;   /* the driver's own: sqlite3's extended result code,
                        libpq's PQresultStatus, mysql_errno; 0 if none */
  char sqlstate[6];  /* "" if the driver has none */
  char message[256];
} aiodb__err;

/* Fills err (if not NULL) with code and a printf-style message, and no
 * SQLSTATE or native code. Returns code. */
int aiodb__error_set(aiodb_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Sets err (if not NULL) to success: every field empty. */
void aiodb__error_clear(aiodb_error *err);

/* Sets e to code with a printf-style message (truncated to fit). Returns code. */
int aiodb__err_set(aiodb__err *e, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Copies msg into e's message as one line (newlines and tabs become
 * spaces, trailing spaces go), with password, should it appear, blotted
 * out with '*' before the message is cut to fit. A password shorter than
 * 4 bytes is blotted out only where it stands alone (no letter, digit or
 * '_' either side), so that it does not take every such letter with it.
 * msg and password may be NULL. */
void aiodb__err_message(aiodb__err *e, const char *msg, const char *password);

/* Puts "row N: " (N from 1) in front of e's message: for query_many. */
void aiodb__err_prefix_row(aiodb__err *e, size_t row);

#endif
