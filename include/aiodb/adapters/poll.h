/* aiodb in a hand-written poll(2) or epoll loop: what to watch and what to
 * call, as two helpers.
 *
 *   struct pollfd fds[N];
 *   aiodb_poll_fill(&fds[0], cq);                 // POLLIN on the cq's fd
 *   poll(fds, N, timeout);
 *   aiodb_poll_ready(&fds[0], cq);                // dispatches if readable
 *
 * With epoll, register aiodb_cq_fd(cq) for EPOLLIN (level-triggered) and call
 * aiodb_cq_dispatch(cq, 0) when it is reported. Header-only. */
#ifndef AIODB_ADAPTERS_POLL_H
#define AIODB_ADAPTERS_POLL_H

#include <poll.h>

#include "aiodb.h"

/* Sets p to watch cq's fd for reading. */
static inline void aiodb_poll_fill(struct pollfd *p, const aiodb_cq *cq) {
  p->fd = aiodb_cq_fd(cq);
  p->events = POLLIN;
  p->revents = 0;
}

/* After poll() returned: runs cq's ready callbacks if p says its fd is
 * readable. Returns how many ran (0 when not readable), or AIODB_EINVAL. */
static inline int aiodb_poll_ready(const struct pollfd *p, aiodb_cq *cq) {
  if (p == NULL || cq == NULL) return AIODB_EINVAL;
  if (!(p->revents & (POLLIN | POLLERR | POLLHUP))) return 0;
  return aiodb_cq_dispatch(cq, 0);
}

#endif
