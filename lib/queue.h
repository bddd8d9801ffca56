/* An intrusive doubly-linked queue (libuv's QUEUE, typed): a node lives
 * inside the object it links, so linking allocates nothing. */
#ifndef AIODB_QUEUE_H
#define AIODB_QUEUE_H

#include <stddef.h>

typedef struct aiodb__qnode {
  struct aiodb__qnode *next, *prev;
} aiodb__qnode;

static inline void aiodb__q_init(aiodb__qnode *q) { q->next = q->prev = q; }
static inline int aiodb__q_empty(const aiodb__qnode *q) { return q->next == q; }
static inline void aiodb__q_push(aiodb__qnode *q, aiodb__qnode *n) {
  n->next = q;
  n->prev = q->prev;
  q->prev->next = n;
  q->prev = n;
}
/* Puts n at the head of q, to be popped first. */
static inline void aiodb__q_push_head(aiodb__qnode *q, aiodb__qnode *n) {
  n->prev = q;
  n->next = q->next;
  q->next->prev = n;
  q->next = n;
}
static inline void aiodb__q_remove(aiodb__qnode *n) {
  n->prev->next = n->next;
  n->next->prev = n->prev;
  n->next = n->prev = n;
}
static inline aiodb__qnode *aiodb__q_pop(aiodb__qnode *q) {
  aiodb__qnode *n;
  if (aiodb__q_empty(q)) return NULL;
  n = q->next;
  aiodb__q_remove(n);
  return n;
}
/* Moves every node of from to the tail of to. */
static inline void aiodb__q_move(aiodb__qnode *from, aiodb__qnode *to) {
  if (aiodb__q_empty(from)) return;
  from->next->prev = to->prev;
  to->prev->next = from->next;
  from->prev->next = to;
  to->prev = from->prev;
  aiodb__q_init(from);
}
#define aiodb__q_data(ptr, type, field) \
  ((type *)((char *)(ptr)-offsetof(type, field)))

#endif
