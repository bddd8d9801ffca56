/* A usage error on the command line of aiodb or aiodb-bench: "prog:
 * message" and a blank line (neither when fmt is NULL), then the usage
 * text, on stderr; the exit status is 2. */
#ifndef AIODB_TOOLS_USAGE_H
#define AIODB_TOOLS_USAGE_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
_Noreturn static inline void usage_exit(const char *prog, const char *usage, const char *fmt,
                                        ...) {
  if (fmt != NULL) {
    va_list ap;
    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n\n", stderr);
  }
  fputs(usage, stderr);
  exit(2);
}

#endif
