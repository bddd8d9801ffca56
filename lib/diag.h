/* Diagnostics (lib/diag.c): AlreadyQuit, BlockingWarning, deadlock and
 * misuse reports, to the caller's handler or once per call site on stderr.
 * The handler runs with no lock of the library held. */
#ifndef AIODB_DIAG_H
#define AIODB_DIAG_H

#include "aiodb.h"

void aiodb__diag(aiodb_diag_kind kind, const char *function,
                 const void *call_site, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* 0 warn, 1 error, 2 ignore: from AIODB_WARNINGS. */
int aiodb__warnings_mode(void);

#endif
