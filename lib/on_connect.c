/* aiodb_options.on_connect: the program's setup of each new connection,
 * run on its worker before anything else runs on it; and
 * aiodb_on_connect_error, the callback's way to say why it failed. */
#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "driver.h"
#include "on_connect.h"

/* Where aiodb_on_connect_error writes: set only while this thread runs an
 * on_connect. */
static _Thread_local aiodb__err *tls_said;

void aiodb_on_connect_error(const char *message) {
  if (tls_said == NULL) {
    aiodb__diag(AIODB_DIAG_MISUSE, "aiodb_on_connect_error", __builtin_return_address(0),
                "aiodb_on_connect_error called outside an on_connect callback; "
                "ignored");
    return;
  }
  aiodb__err_message(tls_said, message, NULL);
}

int aiodb__on_connect_run(aiodb_db *db, void *native, aiodb__err *e) {
  const aiodb__driver *drv = db->driver;
  aiodb__err said, last;
  char msg[sizeof last.message + 48];
  int rc;

  if (db->on_connect == NULL) return 0;
  memset(&said, 0, sizeof said);
  tls_said = &said;
  rc = db->on_connect(drv->handle(native), db->on_connect_ud);
  tls_said = NULL;
  if (rc == 0) return 0;

  memset(e, 0, sizeof *e);
  memset(&last, 0, sizeof last);
  if (said.message[0] != '\0') {
    memcpy(e->message, said.message, sizeof e->message);
  } else if (drv->last_error != NULL && drv->last_error(native, &last) &&
             last.message[0] != '\0') {
    snprintf(msg, sizeof msg, "on_connect failed (returned %d): %s", rc, last.message);
    aiodb__err_message(e, msg, NULL);
    e->native_code = last.native_code;
    memcpy(e->sqlstate, last.sqlstate, sizeof e->sqlstate);
  } else {
    snprintf(e->message, sizeof e->message, "on_connect failed (returned %d)", rc);
  }
  /* A code of aiodb's as is; anything else is a connection that failed. */
  e->code = rc < 0 && rc > AIODB__STATUS_MAX ? rc : AIODB_ECONNECT;
  return e->code;
}
