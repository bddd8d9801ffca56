/* The pool's policy: min_size kept open and reopened with a backoff,
 * acquire_timeout_ms, idle_timeout_ms, max_lifetime_ms, idle_check_ms,
 * leak_detection_ms, the starved-pool diagnostic, and aiodb_db_pool_stats.
 * lib/pool.c starts and wakes workers; this file decides when.
 *
 * Timed work (a waiter's timeout, a reconnect after its backoff, an idle
 * or old connection to close, a pin held too long, the look at idle
 * sockets) runs on the process's deadline thread: each db has one watch,
 * a job of its own that never completes, whose kind's timed_out is
 * watch_fired below. It fires at pool.armed_ns, the earliest deadline any
 * of those has; whoever makes an earlier one (a submit, a worker going to
 * sleep or leaving) claims it in armed_ns under the db's lock and arms the
 * watch once the lock is released (aiodb__pool_arm): the timer's lock is
 * never taken under a db's. A watch that fires early finds nothing due and
 * arms itself again; so steady work costs no timer call per call.
 *
 * Locking (the rule is in lib/db.h): everything here runs under db->lock
 * but aiodb__pool_arm, the diagnostics, the completion of the calls that
 * timed out, and the check itself (a driver round trip, made by the worker
 * with the lock released). The look at idle sockets is a poll(2) with a
 * zero timeout: it cannot block. */
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "conn.h"
#include "db.h"
#include "native.h"
#include "diag.h"
#include "driver.h"
#include "future.h"
#include "job.h"
#include "pool.h"
#include "pool_policy.h"
#include "timer.h"
#include "url.h"

#define MS (INT64_C(1000000))
#define DEFAULT_ACQUIRE_TIMEOUT_MS 30000
#define DEFAULT_IDLE_TIMEOUT_MS 600000
#define DEFAULT_IDLE_CHECK_MS 30000
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 5000
#define PING_TIMEOUT_MS 5000
#define LEAKS_PER_FIRE 16

int aiodb__pool_sweep_ms = 1000;

/* ---- options ---- */

static const struct {
  const char *name;
  size_t offset;
} pool_opts[] = {
    {"acquire_timeout_ms", offsetof(aiodb__pool_policy, acquire_timeout_ms)},
    {"idle_timeout_ms", offsetof(aiodb__pool_policy, idle_timeout_ms)},
    {"max_lifetime_ms", offsetof(aiodb__pool_policy, max_lifetime_ms)},
    {"idle_check_ms", offsetof(aiodb__pool_policy, idle_check_ms)},
    {"leak_detection_ms", offsetof(aiodb__pool_policy, leak_detection_ms)},
};

static int *opt_field(aiodb__pool_policy *p, size_t i) {
  return (int *)(void *)((char *)p + pool_opts[i].offset);
}

static int opts_field(const aiodb_options *o, size_t i) {
  switch (i) {
    case 0: return o->acquire_timeout_ms;
    case 1: return o->idle_timeout_ms;
    case 2: return o->max_lifetime_ms;
    case 3: return o->idle_check_ms;
    default: return o->leak_detection_ms;
  }
}

int aiodb__pool_options(aiodb__url *url, const aiodb_options *o, aiodb_db *db,
                        aiodb_error *err) {
  aiodb__pool_policy *p = &db->pool;
  unsigned long v;
  const char *s;
  size_t i;

  p->acquire_timeout_ms = DEFAULT_ACQUIRE_TIMEOUT_MS;
  p->idle_timeout_ms = DEFAULT_IDLE_TIMEOUT_MS;
  p->max_lifetime_ms = (int)db->driver->default_max_lifetime_ms;
  p->idle_check_ms = DEFAULT_IDLE_CHECK_MS;
  p->leak_detection_ms = 0;
  for (i = 0; i < sizeof pool_opts / sizeof pool_opts[0]; i++) {
    if ((s = aiodb__url_opt(url, pool_opts[i].name)) != NULL) {
      if (aiodb__parse_uint(pool_opts[i].name, s, 0, INT_MAX, &v, err))
        return AIODB_EINVAL;
      *opt_field(p, i) = (int)v;
    }
    if (o == NULL) continue;
    if (opts_field(o, i) < 0)
      return aiodb__error_set(err, AIODB_EINVAL, "%s must not be negative (0 "
                              "in aiodb_options means the default; the URL's "
                              "%s=0 turns it off)",
                              pool_opts[i].name, pool_opts[i].name);
    if (opts_field(o, i) > 0) *opt_field(p, i) = opts_field(o, i);
  }
  return 0;
}

/* ---- the watch ---- */

static void watch_fired(aiodb_future *w);

static const aiodb__job_ops watch_ops = {
    .timed_out = watch_fired,
};

int aiodb__pool_start(aiodb_db *db) {
  db->pool.watch = aiodb__future_new(db->cq, &watch_ops);
  if (db->pool.watch == NULL) return AIODB_ENOMEM;
  db->pool.watch->db = db;
  return 0;
}

void aiodb__pool_arm(aiodb_db *db, int64_t at_ns) {
  if (at_ns != 0) aiodb__timer_add_at(db->pool.watch, at_ns);
}

void aiodb__pool_stop(aiodb_db *db) {
  aiodb_future *w = db->pool.watch;
  if (w == NULL) return;
  pthread_mutex_lock(&db->lock);
  db->pool.stopped = 1;
  pthread_mutex_unlock(&db->lock);
  /* A fire already past its look at stopped may still arm the watch: wait
   * for it to end, unlink, and wait for one that fired meanwhile. */
  aiodb__timer_quiesce(db);
  aiodb__timer_remove(w);
  aiodb__timer_quiesce(db);
  db->pool.watch = NULL;
  aiodb__job_discard(w);
}

/* Claims a deadline for the watch: returns at_ns if the caller must arm it
 * (unlocked), 0 if it fires by then already. Locked. */
static int64_t claim_locked(aiodb__pool_policy *p, int64_t at_ns) {
  if (at_ns == 0 || p->stopped || (p->armed_ns != 0 && p->armed_ns <= at_ns))
    return 0;
  p->armed_ns = at_ns;
  return at_ns;
}

static int64_t earliest(int64_t a, int64_t b) {
  if (a == 0) return b;
  if (b == 0) return a;
  return a < b ? a : b;
}

/* ---- opening connections ---- */

static unsigned opening_locked(const aiodb_db *db) {
  const aiodb__qnode *n;
  unsigned k = 0;
  for (n = db->conns.next; n != &db->conns; n = n->next) {
    const aiodb_conn *c = aiodb__q_data(n, aiodb_conn, link);
    if (!c->quit && !c->connected) k++;
  }
  return k;
}

int aiodb__pool_refill_locked(aiodb_db *db) {
  aiodb__pool_policy *p = &db->pool;
  int rc;
  if (db->closing || p->stopped) return 0;
  /* aiodb_open_native: the program's handle once, never a replacement. */
  if (db->adopted && db->adopt_handle == NULL) return 0;
  while (db->nlive < db->min_size) {
    /* After failed connects, one at a time and not before its time. */
    if (p->fail_streak > 0 &&
        (opening_locked(db) > 0 || aiodb__now_ns() < p->retry_ns))
      return 0;
    if ((rc = aiodb__spawn_locked(db)) != 0) return rc;
    if (p->fail_streak > 0) return 0;
  }
  return 0;
}

/* The next background connect after the streak's latest failure. */
static int64_t backoff_locked(aiodb__pool_policy *p, int64_t now) {
  int64_t ms = BACKOFF_FIRST_MS;
  unsigned i;
  for (i = 1; i < p->fail_streak && ms < BACKOFF_MAX_MS; i++) ms *= 2;
  if (ms > BACKOFF_MAX_MS) ms = BACKOFF_MAX_MS;
  p->retry_ns = now + ms * MS;
  return p->retry_ns;
}

void aiodb__pool_opened(aiodb_conn *conn, int code) {
  aiodb_db *db = conn->db;
  aiodb__pool_policy *p = &db->pool;
  int64_t now = aiodb__now_ns(), arm = 0;

  pthread_mutex_lock(&db->lock);
  if (code != 0) {
    p->connect_failures++;
  } else {
    p->created++;
    conn->connected = 1;
    conn->born_ns = conn->idle_ns = now;
    if (p->max_lifetime_ms > 0 && !db->adopted) {
      /* Up to 1/40 earlier, so that connections opened together are not
       * all replaced at once (HikariCP's variance). */
      int64_t life = (int64_t)p->max_lifetime_ms * MS;
      uint64_t mix = (uint64_t)now ^ ((uint64_t)conn->id * 0x9e3779b97f4a7c15u);
      conn->expire_ns = now + life - (int64_t)((mix >> 17) % (uint64_t)(life / 40 + 1));
      arm = claim_locked(p, conn->expire_ns);
    }
    if (p->fail_streak > 0) {
      /* The server is back: the rest of min_size now. */
      p->fail_streak = 0;
      p->retry_ns = 0;
      aiodb__pool_refill_locked(db);
    }
  }
  pthread_mutex_unlock(&db->lock);
  aiodb__pool_arm(db, arm);
}

int64_t aiodb__pool_left_locked(aiodb_conn *conn, const aiodb__err *cerr,
                                int broken, aiodb__qnode *orphans) {
  aiodb_db *db = conn->db;
  aiodb__pool_policy *p = &db->pool;
  int64_t arm = 0;
  int rc;

  if (cerr->code != 0) {
    /* A failed connect: the next background one after a backoff. */
    p->fail_streak++;
    if (db->nlive < db->min_size && !db->closing && !p->stopped)
      arm = claim_locked(p, backoff_locked(p, aiodb__now_ns()));
    return arm;
  }
  p->closed++;
  if (broken) p->broken++;
  else if (conn->retire == AIODB__RETIRE_IDLE) p->idle_closed++;
  else if (conn->retire == AIODB__RETIRE_LIFETIME) p->expired++;
  /* Closing: the live workers drain the queue; none may start now. */
  if (db->closing) return 0;
  rc = aiodb__pool_refill_locked(db);
  /* Work waits: a sleeping connection takes it, or a new one. */
  if (rc == 0 && !aiodb__q_empty(&db->shared)) rc = aiodb__wake_pool_locked(db);
  if (rc != 0 && !aiodb__pool_serves_locked(db)) {
    aiodb__err why;
    if (rc == AIODB_ENOMEM)
      aiodb__err_set(&why, rc, "out of memory for a connection");
    else if (rc == AIODB_ECONNLOST) /* aiodb_open_native's handle is gone */
      aiodb__err_set(&why, rc, "%s", AIODB__ADOPTED_LOST);
    else
      aiodb__err_set(&why, AIODB_ESYS, "could not start a worker thread");
    aiodb__job_orphan_all_locked(&db->shared, orphans, &why, 0);
  }
  return 0;
}

/* ---- submission ---- */

/* Is c's pin already let go of: a commit or rollback of its transaction,
 * or the close of a freed cursor, running or queued on it? It comes back
 * with no further call of the program's. */
static int unpin_pending_locked(const aiodb_conn *c) {
  const aiodb__qnode *n;
  const aiodb_future *f = c->running;
  if (f != NULL && f->ops->unpins != NULL && f->ops->unpins(f)) return 1;
  for (n = c->own.next; n != &c->own; n = n->next) {
    f = aiodb__q_data(n, aiodb_future, node);
    if (f->ops->unpins != NULL && f->ops->unpins(f)) return 1;
  }
  return 0;
}

/* Is every live connection pinned, and held so by the program? */
static int all_pinned_locked(const aiodb_db *db) {
  const aiodb__qnode *n;
  for (n = db->conns.next; n != &db->conns; n = n->next) {
    const aiodb_conn *c = aiodb__q_data(n, aiodb_conn, link);
    if (!c->quit && (!c->pinned || unpin_pending_locked(c))) return 0;
  }
  return 1;
}

unsigned aiodb__pool_queued_locked(aiodb_db *db, aiodb_future *f,
                                   int64_t *arm_ns) {
  aiodb__pool_policy *p = &db->pool;
  int64_t at = 0;
  int pins = f->ops->take_locked != NULL || f->ops->pins != NULL;

  *arm_ns = 0;
  if (p->acquire_timeout_ms > 0 || (pins && p->leak_detection_ms > 0)) {
    f->queued_ns = aiodb__now_ns();
    if (p->acquire_timeout_ms > 0)
      at = f->queued_ns + (int64_t)p->acquire_timeout_ms * MS;
    if (pins && p->leak_detection_ms > 0)
      at = earliest(at, f->queued_ns + (int64_t)p->leak_detection_ms * MS);
    *arm_ns = claim_locked(p, at);
  }
  if (db->nlive >= db->max_size && db->nlive > 0 && all_pinned_locked(db)) {
    if (!p->starved) {
      p->starved = 1;
      return db->max_size;
    }
  } else {
    p->starved = 0;
  }
  return 0;
}

void aiodb__pool_starved_diag(const char *function, const void *site,
                              unsigned max_size) {
  aiodb__diag(AIODB_DIAG_STARVED, function, site,
              "%s: this call waits for a connection, but the pool is at "
              "max_size (%u) and every connection is pinned (aiodb_acquire, "
              "a transaction, a cursor): it runs once one is released, so "
              "waiting for it on the thread that holds them would hang",
              function, max_size);
}

/* ---- the worker ---- */

int64_t aiodb__pool_sleeping_locked(aiodb_conn *conn) {
  aiodb_db *db = conn->db;
  aiodb__pool_policy *p = &db->pool;
  int idle_close = p->idle_timeout_ms > 0 && db->nlive > db->min_size;
  int net = conn->sock >= 0 && db->driver->ping != NULL;
  int64_t at = 0, now;

  if (!idle_close && !net) {
    /* Nothing needs the time (a steady SQLite pool): not read. The watch
     * starts counting this idle when it first looks. */
    conn->idle_ns = 0;
    return claim_locked(p, conn->expire_ns);
  }
  now = aiodb__now_ns();
  conn->idle_ns = now;
  if (idle_close) at = now + (int64_t)p->idle_timeout_ms * MS;
  at = earliest(at, conn->expire_ns);
  /* An idle connection's socket is looked at, for a server gone. */
  if (net) {
    if (p->sweep_ns <= now) p->sweep_ns = now + (int64_t)aiodb__pool_sweep_ms * MS;
    at = earliest(at, p->sweep_ns);
  }
  return claim_locked(p, at);
}

int aiodb__pool_check_due_locked(aiodb_conn *conn) {
  aiodb_db *db = conn->db;
  const aiodb__pool_policy *p = &db->pool;
  if (conn->pinned || db->driver->ping == NULL) return 0;
  if (conn->check_asked) return 1;
  return p->idle_check_ms > 0 && !conn->retire && !db->closing &&
         !aiodb__q_empty(&db->shared) &&
         aiodb__now_ns() - conn->idle_ns >= (int64_t)p->idle_check_ms * MS;
}

int aiodb__pool_check_locked(aiodb_conn *conn) {
  aiodb_db *db = conn->db;
  aiodb__err e;
  int rc;

  conn->check_asked = 0;
  conn->checking = 1;
  conn->calls++;
  db->pool.checks++;
  pthread_mutex_unlock(&db->lock);
  memset(&e, 0, sizeof e);
  rc = db->driver->ping(conn->native, PING_TIMEOUT_MS, &e);
  pthread_mutex_lock(&db->lock);
  conn->checking = 0;
  conn->idle_ns = aiodb__now_ns();
  if (rc != 0) db->pool.check_failures++;
  return rc != 0;
}

void aiodb__pool_pinned_locked(aiodb_conn *conn, const aiodb_future *f) {
  if (conn->db->pool.leak_detection_ms == 0) return;
  conn->pinned_ns = aiodb__now_ns();
  conn->pin_function = f->function;
  conn->pin_site = f->site;
  conn->leak_reported = 0;
}

/* ---- the watch's work ---- */

/* Fails the calls that waited for a connection longer than
 * acquire_timeout_ms, oldest first (the queue is in the order they came);
 * returns the next one's deadline, or 0. */
static int64_t expire_waiters_locked(aiodb_db *db, int64_t now,
                                     aiodb__qnode *orphans) {
  aiodb__pool_policy *p = &db->pool;
  int64_t limit = (int64_t)p->acquire_timeout_ms * MS;
  aiodb__qnode late, *n;
  unsigned waiting = 0, busy = 0, pinned = 0, opening = 0, live = 0;
  aiodb__err why;

  if (aiodb__q_empty(&db->shared)) return 0;
  n = db->shared.next;
  if (aiodb__q_data(n, aiodb_future, node)->queued_ns + limit > now)
    return aiodb__q_data(n, aiodb_future, node)->queued_ns + limit;
  for (n = db->shared.next; n != &db->shared; n = n->next) waiting++;
  for (n = db->conns.next; n != &db->conns; n = n->next) {
    const aiodb_conn *c = aiodb__q_data(n, aiodb_conn, link);
    if (c->quit) continue;
    live++;
    if (!c->connected) opening++;
    else if (c->pinned) pinned++;
    else busy++;
  }
  if (opening > 0)
    aiodb__err_set(&why, AIODB_ETIMEDOUT,
                   "no connection within %d ms: of the pool's %u connections "
                   "%u %s still connecting and %u busy (%u pinned), and %u "
                   "call%s",
                   p->acquire_timeout_ms, live, opening,
                   opening == 1 ? "is" : "are", busy + pinned, pinned, waiting,
                   waiting == 1 ? " waits" : "s wait");
  else
    aiodb__err_set(&why, AIODB_ETIMEDOUT,
                   "no connection within %d ms: the pool's %u connection%s "
                   "%s busy (%u pinned; max_size %u) and %u call%s",
                   p->acquire_timeout_ms, live, live == 1 ? "" : "s",
                   live == 1 ? "is" : "are", pinned, db->max_size, waiting,
                   waiting == 1 ? " waits" : "s wait");
  aiodb__q_init(&late);
  while (!aiodb__q_empty(&db->shared)) {
    aiodb_future *f = aiodb__q_data(db->shared.next, aiodb_future, node);
    if (f->queued_ns + limit > now) break;
    aiodb__q_remove(&f->node);
    aiodb__q_push(&late, &f->node);
    p->acquire_timeouts++;
  }
  aiodb__job_orphan_all_locked(&late, orphans, &why, 0);
  if (aiodb__q_empty(&db->shared)) return 0;
  return aiodb__q_data(db->shared.next, aiodb_future, node)->queued_ns + limit;
}

typedef struct leak {
  const char *function;
  const void *site;
  int64_t age_ms;
} leak;

/* Looks at the idle connections' sockets: one that is readable or closed
 * while nothing runs on it heard from its server (a notice, or the end:
 * a restart, an idle timeout of the server's). Its worker checks it. */
static void sweep_locked(aiodb_db *db) {
  struct pollfd fds[64];
  aiodb_conn *who[64];
  aiodb__qnode *n = db->conns.next;
  nfds_t k, i;
  while (n != &db->conns) {
    for (k = 0; n != &db->conns && k < 64; n = n->next) {
      aiodb_conn *c = aiodb__q_data(n, aiodb_conn, link);
      if (c->quit || !c->connected || !c->sleeping || c->pinned || c->sock < 0)
        continue;
      fds[k].fd = c->sock;
      fds[k].events = POLLIN;
      fds[k].revents = 0;
      who[k++] = c;
    }
    if (k == 0 || poll(fds, k, 0) <= 0) continue;
    for (i = 0; i < k; i++) {
      if (fds[i].revents == 0) continue;
      who[i]->check_asked = 1;
      aiodb__wake_conn_locked(who[i]);
    }
  }
}

/* On the deadline thread, no lock held: whatever of the policy is due. */
static void watch_fired(aiodb_future *w) {
  aiodb_db *db = w->db;
  aiodb__pool_policy *p = &db->pool;
  aiodb__qnode orphans, *n;
  leak leaks[LEAKS_PER_FIRE];
  unsigned nleaks = 0, keep = 0, i;
  int64_t now = aiodb__now_ns(), next = 0;
  int idle_socks = 0;

  aiodb__q_init(&orphans);
  pthread_mutex_lock(&db->lock);
  if (p->stopped) {
    pthread_mutex_unlock(&db->lock);
    return;
  }
  if (p->acquire_timeout_ms > 0) next = expire_waiters_locked(db, now, &orphans);
  if (db->nlive < db->min_size && !db->closing) {
    if (p->fail_streak > 0 && p->retry_ns > now)
      next = earliest(next, p->retry_ns);
    else
      aiodb__pool_refill_locked(db);
  }
  for (n = db->conns.next; n != &db->conns; n = n->next) {
    aiodb_conn *c = aiodb__q_data(n, aiodb_conn, link);
    if (!c->quit && !c->retire) keep++;
  }
  for (n = db->conns.next; n != &db->conns; n = n->next) {
    aiodb_conn *c = aiodb__q_data(n, aiodb_conn, link);
    if (c->quit || !c->connected) continue;
    if (c->pinned && p->leak_detection_ms > 0 && c->pin_function != NULL &&
        !c->leak_reported) {
      int64_t due = c->pinned_ns + (int64_t)p->leak_detection_ms * MS;
      if (due <= now && nleaks < LEAKS_PER_FIRE) {
        c->leak_reported = 1;
        p->leaks++;
        leaks[nleaks].function = c->pin_function;
        leaks[nleaks].site = c->pin_site;
        leaks[nleaks++].age_ms = (now - c->pinned_ns) / MS;
      } else {
        next = earliest(next, due > now ? due : now + MS);
      }
    }
    if (c->retire || db->closing) continue;
    if (c->expire_ns != 0) {
      if (c->expire_ns <= now) {
        c->retire = AIODB__RETIRE_LIFETIME;
        keep--;
        aiodb__wake_conn_locked(c);
        continue;
      }
      next = earliest(next, c->expire_ns);
    }
    if (c->sleeping && !c->pinned && p->idle_timeout_ms > 0 && keep > db->min_size) {
      int64_t due;
      if (c->idle_ns == 0) c->idle_ns = now; /* asleep since before: from now */
      due = c->idle_ns + (int64_t)p->idle_timeout_ms * MS;
      if (due <= now) {
        c->retire = AIODB__RETIRE_IDLE;
        keep--;
        aiodb__wake_conn_locked(c);
        continue;
      }
      next = earliest(next, due);
    }
    if (c->sleeping && !c->pinned && c->sock >= 0 && db->driver->ping != NULL)
      idle_socks = 1;
  }
  if (idle_socks) {
    if (p->sweep_ns <= now) {
      sweep_locked(db);
      p->sweep_ns = now + (int64_t)aiodb__pool_sweep_ms * MS;
    }
    next = earliest(next, p->sweep_ns);
  }
  p->armed_ns = next;
  pthread_mutex_unlock(&db->lock);

  aiodb__job_fail_all(&orphans);
  for (i = 0; i < nleaks; i++)
    aiodb__diag(AIODB_DIAG_LEAK, leaks[i].function, leaks[i].site,
                "%s: the connection this call pinned has been pinned for "
                "%lld ms (leak_detection_ms %d): release it, end the "
                "transaction or free the cursor",
                leaks[i].function, (long long)leaks[i].age_ms,
                p->leak_detection_ms);
  if (next != 0) aiodb__timer_add_at(w, next);
}

/* ---- statistics (aiodb_db_pool_stats) ---- */

int aiodb_db_pool_stats(const aiodb_db *cdb, aiodb_pool_stats *out) {
  aiodb_db *db = (aiodb_db *)(uintptr_t)cdb;
  const aiodb__pool_policy *p;
  const aiodb__qnode *n;

  if (db == NULL || out == NULL) return AIODB_EINVAL;
  memset(out, 0, sizeof *out);
  p = &db->pool;
  pthread_mutex_lock(&db->lock);
  for (n = db->conns.next; n != &db->conns; n = n->next) {
    const aiodb_conn *c = aiodb__q_data(n, aiodb_conn, link);
    if (c->quit) continue;
    if (!c->connected) out->opening++;
    else if (c->pinned) out->pinned++;
    else if (c->running != NULL || c->batching || c->checking) out->busy++;
    else out->idle++;
  }
  out->open = out->idle + out->busy + out->pinned;
  for (n = db->shared.next; n != &db->shared; n = n->next) out->waiting++;
  out->min_size = db->min_size;
  out->max_size = db->max_size;
  out->created = p->created;
  out->closed = p->closed;
  out->broken = p->broken;
  out->idle_closed = p->idle_closed;
  out->expired = p->expired;
  out->connect_failures = p->connect_failures;
  out->checks = p->checks;
  out->check_failures = p->check_failures;
  out->acquire_timeouts = p->acquire_timeouts;
  out->leaks = p->leaks;
  pthread_mutex_unlock(&db->lock);
  out->batches = atomic_load(&db->batches);
  out->batched = atomic_load(&db->batched);
  return 0;
}
