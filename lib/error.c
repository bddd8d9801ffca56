/* Status codes, their names and messages, and error filling. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "driver.h"
#include "url.h"

const char *aiodb_version(void) { return AIODB_VERSION_STRING; }

const char *aiodb_strerror(int code) {
  switch (code) {
    case AIODB_OK: return "success";
#define XX(name, val, msg) \
  case AIODB_##name: return msg;
    AIODB_ERRNO_MAP(XX)
#undef XX
    default: return "unknown error";
  }
}

const char *aiodb_err_name(int code) {
  switch (code) {
    case AIODB_OK: return "AIODB_OK";
#define XX(name, val, msg) \
  case AIODB_##name: return "AIODB_" #name;
    AIODB_ERRNO_MAP(XX)
#undef XX
    default: return "AIODB_EUNKNOWN";
  }
}

int aiodb__error_set(aiodb_error *err, int code, const char *fmt, ...) {
  va_list ap;
  if (err == NULL) return code;
  err->code = code;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
  return code;
}

int aiodb__err_set(aiodb__err *e, int code, const char *fmt, ...) {
  va_list ap;
  e->code = code;
  va_start(ap, fmt);
  vsnprintf(e->message, sizeof e->message, fmt, ap);
  va_end(ap);
  return code;
}

void aiodb__err_prefix_row(aiodb__err *e, size_t row) {
  char head[32];
  size_t hl = (size_t)snprintf(head, sizeof head, "row %zu: ", row);
  size_t ml = strnlen(e->message, sizeof e->message - 1);
  if (hl + ml >= sizeof e->message) ml = sizeof e->message - 1 - hl;
  memmove(e->message + hl, e->message, ml);
  memcpy(e->message, head, hl);
  e->message[hl + ml] = '\0';
}

void aiodb__err_message(aiodb__err *e, const char *msg, const char *password) {
  char *p;
  size_t n;
  snprintf(e->message, sizeof e->message, "%s", msg ? msg : "");
  /* Client libraries' messages run over several lines: make them one. */
  for (p = e->message; *p; p++)
    if (*p == '\n' || *p == '\t') *p = ' ';
  n = strlen(e->message);
  while (n > 0 && e->message[n - 1] == ' ') e->message[--n] = '\0';
  if (password && password[0]) {
    size_t pl = strlen(password);
    while ((p = strstr(e->message, password)) != NULL) memset(p, '*', pl);
  }
}
