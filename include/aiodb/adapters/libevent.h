/* aiodb on a libevent event_base: a persistent read event on the cq's fd
 * dispatches its callbacks on the thread that runs the base.
 *
 *   aiodb_event a;
 *   aiodb_event_attach(&a, base, aiodb_db_cq(db));  // 0 or -1
 *   ...                                             // event_base_dispatch
 *   aiodb_event_detach(&a);                         // the base may then end
 *
 * Header-only: link libevent (libevent_core is enough) and aiodb. */
#ifndef AIODB_ADAPTERS_LIBEVENT_H
#define AIODB_ADAPTERS_LIBEVENT_H

#include <event2/event.h>
#include <stddef.h>

#include "aiodb.h"

typedef struct aiodb_event {
  struct event *ev;
  aiodb_cq *cq;
} aiodb_event;

static void aiodb_event__ready(evutil_socket_t fd, short what, void *arg) {
  aiodb_event *a = (aiodb_event *)arg;
  (void)fd;
  (void)what;
  aiodb_cq_dispatch(a->cq, 0);
}

/* Watches cq on base. Returns 0, or -1 for a NULL argument, a cq without an
 * fd, or a libevent failure. */
static inline int aiodb_event_attach(aiodb_event *a, struct event_base *base,
                                     aiodb_cq *cq) {
  if (a == NULL) return -1;
  a->ev = NULL;
  a->cq = cq;
  if (base == NULL || cq == NULL || aiodb_cq_fd(cq) < 0) return -1;
  a->ev = event_new(base, aiodb_cq_fd(cq), EV_READ | EV_PERSIST, aiodb_event__ready, a);
  if (a->ev == NULL) return -1;
  if (event_add(a->ev, NULL) != 0) {
    event_free(a->ev);
    a->ev = NULL;
    return -1;
  }
  return 0;
}

/* Stops watching and frees the event. Completions that arrive later wait in
 * the cq. Safe to call twice. */
static inline void aiodb_event_detach(aiodb_event *a) {
  if (a == NULL || a->ev == NULL) return;
  event_del(a->ev);
  event_free(a->ev);
  a->ev = NULL;
}

#endif
