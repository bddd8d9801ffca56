/* Status codes, their names and messages, and error filling. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

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
  err->sqlstate[0] = '\0';
  err->native_code = 0;
  return code;
}

void aiodb__error_clear(aiodb_error *err) {
  if (err == NULL) return;
  err->code = 0;
  err->message[0] = '\0';
  err->sqlstate[0] = '\0';
  err->native_code = 0;
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

/* A short password is blotted out only where it stands alone: masking
 * every occurrence of, say, a one-letter password would blot out that
 * letter all over the message and leave nothing to read. It cannot appear
 * otherwise: aiodb's own messages never hold it (lib/url.c quotes nothing
 * of the URL that may be a piece of it), and a client library repeats a
 * value it was given between quotes or spaces, where it stands alone. */
#define MASK_ALWAYS_FROM 4

static int word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
}

void aiodb__err_message(aiodb__err *e, const char *msg, const char *password) {
  size_t cap = sizeof e->message - 1, n = 0, i = 0, k, pl = 0;
  int alone_only = 0;
  char c;

  if (msg == NULL) msg = "";
  if (password != NULL && password[0] != '\0') {
    pl = strlen(password);
    alone_only = pl < MASK_ALWAYS_FROM;
  }
  /* Masked while copied, from the whole message, so a password the buffer
   * would cut is blotted out too; one pass, so stars are never re-read. */
  while (msg[i] != '\0' && n < cap) {
    if (pl > 0 && strncmp(msg + i, password, pl) == 0 &&
        (!alone_only || ((i == 0 || !word_byte((unsigned char)msg[i - 1])) &&
                         !word_byte((unsigned char)msg[i + pl])))) {
      for (k = 0; k < pl && n < cap; k++) e->message[n++] = '*';
      i += pl;
      continue;
    }
    c = msg[i++];
    /* Client libraries' messages run over several lines: make them one. */
    e->message[n++] = c == '\n' || c == '\t' ? ' ' : c;
  }
  while (n > 0 && e->message[n - 1] == ' ') n--;
  e->message[n] = '\0';
}
