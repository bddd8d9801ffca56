/* fork(): a pre-forking server opens a db, then forks. The workers stay
 * in the parent; in the child every call on an inherited db completes at
 * once with AIODB_EALREADYQUIT. The handlers take every lock of the
 * library around fork (no cost elsewhere), so that the child finds none
 * held; the child's generation tells it which dbs it inherited.
 *
 * This is the one place where the library holds many locks at once; it
 * takes them in one order, and gives them back in the reverse: the
 * registry, every db's lock, the cq registry and every cq's lock, the
 * timer's lock, the future and result pools, the diagnostics lock. No
 * other path takes any two of these in the opposite order (lib/db.h). */
#include <pthread.h>
#include <stdatomic.h>

#include "alloc.h"
#include "conn.h"
#include "cq.h"
#include "cursor.h"
#include "db.h"
#include "fork.h"
#include "future.h"
#include "job.h"
#include "pipeline.h"
#include "pool.h"
#include "timer.h"
#include "tx.h"

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static aiodb__qnode registry = {&registry, &registry};
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static atomic_uint fork_gen;

static void fork_prepare(void) {
  aiodb__qnode *n;
  pthread_mutex_lock(&registry_lock);
  for (n = registry.next; n != &registry; n = n->next)
    pthread_mutex_lock(&aiodb__q_data(n, aiodb_db, reg)->lock);
  aiodb__cq_fork_lock();
  aiodb__timer_fork_lock();
  aiodb__future_fork_lock();
  aiodb__diag_fork_lock();
}

static void fork_release(int child) {
  aiodb__qnode *n;
  aiodb__diag_fork_unlock();
  aiodb__future_fork_unlock(child);
  aiodb__timer_fork_unlock(child);
  aiodb__cq_fork_unlock();
  for (n = registry.next; n != &registry; n = n->next)
    pthread_mutex_unlock(&aiodb__q_data(n, aiodb_db, reg)->lock);
  pthread_mutex_unlock(&registry_lock);
}

static void fork_parent(void) { fork_release(0); }

static void fork_child(void) {
  atomic_fetch_add(&fork_gen, 1);
  fork_release(1);
}

static void atfork_install(void) {
  pthread_atfork(fork_prepare, fork_parent, fork_child);
}

int aiodb__inherited(const aiodb_db *db) {
  return db->fork_gen != atomic_load_explicit(&fork_gen, memory_order_relaxed);
}

void aiodb__fork_register(aiodb_db *db) {
  pthread_once(&atfork_once, atfork_install);
  pthread_mutex_lock(&registry_lock);
  db->fork_gen = atomic_load(&fork_gen);
  aiodb__q_push(&registry, &db->reg);
  pthread_mutex_unlock(&registry_lock);
}

void aiodb__fork_unregister(aiodb_db *db) {
  pthread_mutex_lock(&registry_lock);
  aiodb__q_remove(&db->reg);
  pthread_mutex_unlock(&registry_lock);
}

/* Moves f onto orphans with why; what it holds is freed wholesale. */
static void drop_inherited(aiodb_future *f, aiodb__qnode *orphans,
                           const aiodb__err *why) {
  f->counted = 0;
  f->state = AIODB__JS_FINISHED;
  f->err = *why;
  aiodb__q_push(orphans, &f->node);
}

static void drop_all_inherited(aiodb__qnode *q, aiodb__qnode *orphans,
                               const aiodb__err *why) {
  aiodb__qnode *n;
  while ((n = aiodb__q_pop(q)) != NULL)
    drop_inherited(aiodb__q_data(n, aiodb_future, node), orphans, why);
}

void aiodb__free_inherited(aiodb_db *db) {
  aiodb__qnode orphans, *n;
  aiodb__err why;
  aiodb__q_init(&orphans);
  aiodb__err_set(&why, AIODB_EALREADYQUIT, AIODB__INHERITED_MSG);
  drop_all_inherited(&db->shared, &orphans, &why);
  for (n = db->conns.next; n != &db->conns; n = n->next) {
    aiodb_conn *c = aiodb__q_data(n, aiodb_conn, link);
    size_t i;
    drop_all_inherited(&c->own, &orphans, &why);
    if (c->running != NULL) drop_inherited(c->running, &orphans, &why);
    for (i = 0; c->batching && i < c->batch->n; i++)
      if (c->batch->f[i]->state == AIODB__JS_SENT)
        drop_inherited(c->batch->f[i], &orphans, &why);
  }
  for (n = db->txs.next; n != &db->txs; n = n->next)
    drop_all_inherited(&aiodb__q_data(n, aiodb_tx, link)->own_pin.pending,
                       &orphans, &why);
  for (n = db->cursors.next; n != &db->cursors; n = n->next)
    drop_all_inherited(&aiodb__q_data(n, aiodb_cursor, link)->own_pin.pending,
                       &orphans, &why);
  aiodb__job_fail_all(&orphans);
  while ((n = aiodb__q_pop(&db->conns)) != NULL)
    aiodb__conn_free(aiodb__q_data(n, aiodb_conn, link));
  aiodb__tx_free_all(db);
  aiodb__cursor_free_all(db);
  aiodb__job_discard(db->close_spare);
  /* The pool's watch (a deadline thread's reference, if it was armed, was
   * left in the parent). */
  aiodb__job_discard(db->pool.watch);
  aiodb__fork_unregister(db);
  aiodb__timer_db_closed();
  if (db->own_cq)
    aiodb_cq_free(db->cq);
  else
    aiodb__cq_unref(db->cq);
  aiodb__free(db);
}
