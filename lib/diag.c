/* Diagnostics: AlreadyQuit, BlockingWarning, deadlock and misuse reports. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "fork.h"

#define SEEN_MAX 256

static pthread_mutex_t diag_lock = PTHREAD_MUTEX_INITIALIZER;

void aiodb__diag_fork_lock(void) { pthread_mutex_lock(&diag_lock); }
void aiodb__diag_fork_unlock(void) { pthread_mutex_unlock(&diag_lock); }
static aiodb_diag_fn handler;
static void *handler_ud;
static const void *seen[SEEN_MAX];
static unsigned nseen;

void aiodb_set_diag_handler(aiodb_diag_fn fn, void *ud) {
  pthread_mutex_lock(&diag_lock);
  handler = fn;
  handler_ud = ud;
  pthread_mutex_unlock(&diag_lock);
}

int aiodb__warnings_mode(void) {
  const char *v = getenv("AIODB_WARNINGS");
  if (v == NULL) return 0;
  if (strcmp(v, "error") == 0) return 1;
  if (strcmp(v, "ignore") == 0) return 2;
  return 0;
}

/* The default handler prints each kind once per call site, on stderr. */
static int first_time(aiodb_diag_kind kind, const void *site) {
  const void *key = (const char *)site + kind;
  unsigned i;
  int first = 1;
  pthread_mutex_lock(&diag_lock);
  for (i = 0; i < nseen; i++)
    if (seen[i] == key) first = 0;
  if (first && nseen < SEEN_MAX) seen[nseen++] = key;
  pthread_mutex_unlock(&diag_lock);
  return first;
}

void aiodb__diag(aiodb_diag_kind kind, const char *function,
                 const void *call_site, const char *fmt, ...) {
  char msg[512];
  aiodb_diag d;
  aiodb_diag_fn fn;
  void *ud;
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  d.kind = kind;
  d.message = msg;
  d.function = function;
  d.call_site = call_site;

  pthread_mutex_lock(&diag_lock);
  fn = handler;
  ud = handler_ud;
  pthread_mutex_unlock(&diag_lock);
  if (fn != NULL) {
    fn(&d, ud);
    return;
  }
  if (first_time(kind, call_site))
    fprintf(stderr, "aiodb: %s (in %s, call site %p)\n", msg, function,
            call_site);
}
