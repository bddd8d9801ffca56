/* The pool: a db's connections, each with its worker (lib/worker.c),
 * started on demand up to max_size and joined once quit; and the calls
 * that pin one connection for a caller (aiodb_acquire, aiodb_release).
 * An unpinned connection takes jobs from the shared queue; a pinned one
 * (an acquire, a tx, a cursor) only from its own. */
#include <errno.h>
#include <signal.h>
#if defined(__linux__)
#include <sys/eventfd.h>
#include <unistd.h>
#endif

#include "alloc.h"
#include "conn.h"
#include "db.h"
#include "diag.h"
#include "driver.h"
#include "future.h"
#include "interrupter.h"
#include "job.h"
#include "pool.h"
#include "pool_policy.h"

void aiodb__conn_free(aiodb_conn *c) {
  /* Its acquire future outlives it: freeing that must not look for it. */
  if (c->holder != NULL) atomic_store(&c->holder->held, 0);
  /* Left only by a worker that lives in the parent of a fork. */
  aiodb_result_free(c->scratch);
  aiodb__free(c->batch);
  pthread_cond_destroy(&c->cv);
#if defined(__linux__)
  if (c->abandon_fd >= 0) close(c->abandon_fd);
#endif
  aiodb__free(c);
}

/* Joins and frees connections whose workers have quit and that no caller
 * holds pinned. Called locked; joining cannot deadlock since a quit worker
 * no longer takes the lock. */
static void reap_locked(aiodb_db *db) {
  aiodb__qnode *n = db->conns.next;
  while (n != &db->conns) {
    aiodb_conn *c = aiodb__q_data(n, aiodb_conn, link);
    n = n->next;
    if (c->quit && !c->pinned && c != aiodb__current_conn()) {
      pthread_join(c->thread, NULL);
      aiodb__q_remove(&c->link);
      aiodb__conn_free(c);
    }
  }
}

int aiodb__spawn_locked(aiodb_db *db) {
  pthread_attr_t attr;
  sigset_t all, old;
  aiodb_conn *c;
  int rc;

  /* The program's handle is the only connection a native db ever has. */
  if (db->adopted && db->adopt_handle == NULL) return AIODB_ECONNLOST;
  reap_locked(db);
  /* A view's replicas have an interrupter each (lib/replica.c). */
  if (db->intr == NULL && db->driver->interrupt_send != NULL &&
      db->replicas == NULL &&
      (db->intr = aiodb__interrupter_new(db->driver, db->driver_cfg)) == NULL)
    return AIODB_ENOMEM;
  c = aiodb__calloc(1, sizeof *c);
  if (c == NULL) return AIODB_ENOMEM;
  if (pthread_cond_init(&c->cv, NULL) != 0) {
    aiodb__free(c);
    return AIODB_ESYS;
  }
  c->db = db;
  aiodb__aspin_init(&c->aspin);
  c->id = db->next_id++;
  c->sock = -1;
#if defined(__linux__)
  c->abandon_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (c->abandon_fd < 0) {
    pthread_cond_destroy(&c->cv);
    aiodb__free(c);
    return errno == ENOMEM ? AIODB_ENOMEM : AIODB_ESYS;
  }
#else
  c->abandon_fd = -1;
#endif
  aiodb__q_init(&c->own);
  aiodb__q_push(&db->conns, &c->link);
  db->nlive++;
  c->adopt = db->adopt_handle;
  db->adopt_handle = NULL;

  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, db->stack_size);
  /* Workers never take the process's signals. */
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  rc = pthread_create(&c->thread, &attr, aiodb__worker_main, c);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    db->adopt_handle = c->adopt;
    db->nlive--;
    aiodb__q_remove(&c->link);
    aiodb__conn_free(c);
    return rc == EAGAIN ? AIODB_ENOMEM : AIODB_ESYS;
  }
  return 0;
}

aiodb_conn *aiodb__claim_sleeper_locked(aiodb_conn *c) {
  c->looking = 0;
  if (!c->sleeping) return NULL;
  c->sleeping = 0;
  return c;
}

void aiodb__wake_conn_locked(aiodb_conn *c) {
  if (aiodb__claim_sleeper_locked(c) != NULL) pthread_cond_signal(&c->cv);
}

int aiodb__claim_pool_locked(aiodb_db *db, aiodb_conn **later) {
  aiodb__qnode *n;
  for (n = db->conns.next; n != &db->conns; n = n->next) {
    aiodb_conn *c = aiodb__q_data(n, aiodb_conn, link);
    if ((c->sleeping || c->looking) && !c->pinned && !c->quit && !c->retire) {
      *later = aiodb__claim_sleeper_locked(c);
      return 0;
    }
  }
  return db->nlive < db->max_size ? aiodb__spawn_locked(db) : 0;
}

int aiodb__wake_pool_locked(aiodb_db *db) {
  aiodb_conn *c = NULL;
  int rc = aiodb__claim_pool_locked(db, &c);
  if (c != NULL) pthread_cond_signal(&c->cv);
  return rc;
}

int aiodb__pool_serves_locked(const aiodb_db *db) {
  const aiodb__qnode *n;
  for (n = db->conns.next; n != &db->conns; n = n->next) {
    const aiodb_conn *c = aiodb__q_data(n, aiodb_conn, link);
    if (!c->quit && !c->pinned && !c->retire) return 1;
  }
  return 0;
}

/* One that is idle or still opening, or one the pool may still open: then
 * the pool's jobs are its to run in parallel, not me's to batch. */
int aiodb__others_could_take(const aiodb_conn *me) {
  const aiodb_db *db = me->db;
  const aiodb__qnode *n;
  if (db->nlive < db->max_size && !db->closing) return 1;
  for (n = db->conns.next; n != &db->conns; n = n->next) {
    const aiodb_conn *c = aiodb__q_data(n, aiodb_conn, link);
    if (c != me && !c->quit && !c->pinned && !c->retire && c->running == NULL &&
        !c->batching)
      return 1;
  }
  return 0;
}

/* A detached acquire must not pin a connection nobody holds. */
static void acquire_take_locked(aiodb_conn *conn, aiodb_future *f) {
  if (!(atomic_load(&f->flags) & AIODB__F_FREED)) {
    conn->pinned = 1;
    conn->holder = f;
    atomic_store(&f->held, 1);
    f->conn = conn;
    aiodb__pool_pinned_locked(conn, f);
  }
}

/* A connection an acquire pinned and nobody released goes back to the
 * pool when the acquire's future is freed. */
static void acquire_freed(aiodb_future *f, const void *call_site) {
  aiodb_db *db = f->db;
  aiodb_conn *c;
  int handed = 0;
  /* Not pinned (never, or released, or its db freed, which may be gone):
   * nothing to give back. F_FREED is set: a worker that takes f from now
   * on pins nothing, and one that pinned it set held first. */
  if (db == NULL || !atomic_load(&f->held)) return;
  pthread_mutex_lock(&db->lock);
  c = f->conn;
  if (c != NULL && c->holder == f) {
    atomic_store(&f->held, 0);
    c->holder = NULL;
    c->pinned = 0;
    aiodb__wake_conn_locked(c);
    handed = (atomic_load(&f->flags) & AIODB__F_HANDED) != 0;
  }
  pthread_mutex_unlock(&db->lock);
  if (handed)
    aiodb__diag(AIODB_DIAG_MISUSE, "aiodb_future_free", call_site,
                "aiodb_future_free: the connection this aiodb_acquire pinned "
                "was never released; it goes back to the pool now (call "
                "aiodb_release first)");
}

static const aiodb__job_ops acquire_ops = {
    .take_locked = acquire_take_locked,
    .freed = acquire_freed,
    .abortable = 1,
};

aiodb_future *aiodb_acquire(aiodb_db *db) {
  aiodb_future *f;
  if (db == NULL) return NULL;
  f = aiodb__future_new(db->cq, &acquire_ops);
  if (f == NULL) return NULL;
  return aiodb__job_submit(db, NULL, f, "aiodb_acquire", AIODB__SITE);
}

void aiodb_release(aiodb_conn *conn) {
  aiodb_db *db;
  if (conn == NULL) return;
  db = conn->db;
  pthread_mutex_lock(&db->lock);
  conn->pinned = 0;
  if (conn->holder != NULL) atomic_store(&conn->holder->held, 0);
  conn->holder = NULL;
  aiodb__wake_conn_locked(conn);
  pthread_mutex_unlock(&db->lock);
}
