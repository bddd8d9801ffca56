/* aiodb on a libuv loop: a uv_poll_t watches the cq's fd and dispatches its
 * callbacks on the loop's thread.
 *
 *   aiodb_uv a;
 *   aiodb_uv_attach(&a, loop, aiodb_db_cq(db));   // 0 or a libuv error
 *   ...                                           // callbacks run in uv_run
 *   aiodb_uv_detach(&a, NULL);                    // the loop may then end
 *
 * The aiodb_uv must stay put (not move or be freed) until the handle is
 * closed: detach closes it, and close_cb (may be NULL) says when libuv is
 * done with it. Attach and detach on the loop's thread. Header-only: link
 * libuv and aiodb. Under -std=c11, libuv's own headers want POSIX types:
 * define _GNU_SOURCE (or _POSIX_C_SOURCE=200809L) before any include. */
#ifndef AIODB_ADAPTERS_LIBUV_H
#define AIODB_ADAPTERS_LIBUV_H

#include <uv.h>

#include "aiodb.h"

typedef struct aiodb_uv {
  uv_poll_t poll; /* first: the handle's address is the adapter's */
  aiodb_cq *cq;
} aiodb_uv;

static void aiodb_uv__ready(uv_poll_t *h, int status, int events) {
  aiodb_uv *a = (aiodb_uv *)h->data;
  (void)events;
  if (status >= 0) aiodb_cq_dispatch(a->cq, 0);
}

/* Watches cq on loop. Returns 0, UV_EINVAL for a NULL argument or a cq
 * without an fd, or libuv's error. */
static inline int aiodb_uv_attach(aiodb_uv *a, uv_loop_t *loop, aiodb_cq *cq) {
  int rc;
  if (a == NULL || loop == NULL || cq == NULL || aiodb_cq_fd(cq) < 0) return UV_EINVAL;
  a->cq = cq;
  rc = uv_poll_init(loop, &a->poll, aiodb_cq_fd(cq));
  if (rc != 0) return rc;
  a->poll.data = a;
  rc = uv_poll_start(&a->poll, UV_READABLE, aiodb_uv__ready);
  if (rc != 0) uv_close((uv_handle_t *)&a->poll, NULL);
  return rc;
}

/* Stops watching and closes the handle; close_cb runs from the loop once it
 * is closed. Completions that arrive later wait in the cq. */
static inline void aiodb_uv_detach(aiodb_uv *a, uv_close_cb close_cb) {
  if (a == NULL || uv_is_closing((uv_handle_t *)&a->poll)) return;
  uv_poll_stop(&a->poll);
  uv_close((uv_handle_t *)&a->poll, close_cb);
}

#endif
