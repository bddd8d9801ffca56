/* The worker: one thread per connection, after libuv's threadpool.c. It
 * opens its connection, then takes jobs from its own queue and, while
 * unpinned, from the pool's, runs each through its kind's ops
 * (lib/job.h), and completes it; it knows no kind of job. Shutdown is
 * state the loop checks (db->closing), and a worker that leaves fails
 * whatever is still queued for it.
 *
 * Locking (the rule is in lib/db.h): the worker holds its db's lock only
 * to take a job and to record the end of one, never while it runs a job,
 * calls its driver or completes a future; it sleeps on its own condition
 * variable under that lock. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#if defined(__linux__)
#include <stdint.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "alloc.h"
#include "conn.h"
#include "cq.h"
#include "cursor.h"
#include "db.h"
#include "defer.h"
#include "driver.h"
#include "future.h"
#include "interrupter.h"
#include "job.h"
#include "native.h"
#include "on_connect.h"
#include "pipeline.h"
#include "pool.h"
#include "trace.h"
#include "pool_policy.h"
#include "replica.h"
#include "tx.h"

static _Thread_local aiodb_conn *tls_conn;

aiodb_conn *aiodb__current_conn(void) { return tls_conn; }

void aiodb__conn_socket(int fd) {
  aiodb_conn *c = tls_conn;
  if (c == NULL) return;
  pthread_mutex_lock(&c->db->lock);
  c->sock = fd;
  /* Given up on already: a socket handed over now fails at once too. */
  if (fd >= 0 && c->abandoned) shutdown(fd, SHUT_RDWR);
  pthread_mutex_unlock(&c->db->lock);
}

int aiodb__conn_abandon_fd(void) { return tls_conn ? tls_conn->abandon_fd : -1; }

int aiodb__job_stopping(void) {
  aiodb_conn *c = tls_conn;
  return c != NULL && c->running != NULL &&
         (atomic_load(&c->running->flags) & (AIODB__F_CANCEL | AIODB__F_TIMEDOUT)) != 0;
}

/* Takes the next job for conn, or NULL. Called locked. */
static aiodb_future *next_job(aiodb_conn *conn) {
  aiodb__qnode *n;
  aiodb_future *f;
  if (conn->db->replicas != NULL && aiodb__replica_leaves_locked(conn))
    return NULL;
  n = aiodb__q_pop(&conn->own);
  /* A retiring connection (lib/pool_policy.c) takes no more of the pool's. */
  if (n == NULL && !conn->pinned && !conn->retire)
    n = aiodb__q_pop(&conn->db->shared);
  if (n == NULL) return NULL;
  f = aiodb__q_data(n, aiodb_future, node);
  if (aiodb__job_pins(f)) {
    /* A tx or cursor takes this connection: what waited on it follows. */
    conn->pinned = 1;
    f->pin->conn = conn;
    aiodb__q_move(&f->pin->pending, &conn->own);
    aiodb__pool_pinned_locked(conn, f);
  }
  return f;
}

/* f, just taken by conn, starts running. Called locked. */
static void start_job_locked(aiodb_conn *conn, aiodb_future *f) {
  if (f->tx != NULL) aiodb__tx_job_start_locked(f);
  f->state = AIODB__JS_RUNNING;
  f->running_on = conn;
  f->target = conn;
  conn->running = f;
  conn->calls++;
}

int aiodb__conn_exec_own(aiodb_conn *conn, const char *sql, aiodb__err *e) {
  aiodb__stmt st;
  memset(&st, 0, sizeof st);
  st.sql = sql;
  st.sql_len = strlen(sql);
  st.nrows = 1;
  st.own = 1;
  memset(e, 0, sizeof *e);
  return conn->db->driver->exec(conn->native, &st, conn->scratch, e);
}

int aiodb__job_settle(aiodb_conn *conn, aiodb_future *f) {
  const aiodb__driver *drv = conn->db->driver;
  unsigned flags = atomic_load(&f->flags);
  /* Asked before a deadline or a cancel renames the error: an interrupted
   * statement may also have lost its connection (a dead link, a connection
   * given up), which must not serve again. */
  int broken = f->err.code != 0 && drv->is_broken &&
               drv->is_broken(conn->native, &f->err);
  if (f->err.code != 0 && (flags & AIODB__F_TIMEDOUT))
    aiodb__err_set(&f->err, AIODB_ETIMEDOUT,
                   broken ? "the statement ran past its deadline, and its "
                            "connection was lost before it stopped"
                          : "the statement ran past its deadline and was stopped");
  else if (f->err.code != 0 && (flags & AIODB__F_CANCEL))
    f->err.code = AIODB_ECANCELED;
  if (f->ops->settle != NULL) f->ops->settle(f);
  return broken;
}

/* The program's setup (aiodb_options.on_connect), on every connection
 * opened, before the first call, or force_rollback's BEGIN, runs on it. */
static int run_on_connect(aiodb_conn *conn, aiodb__err *e) {
  return aiodb__on_connect_run(conn->db, conn->native, e);
}

static int open_connection(aiodb_conn *conn, aiodb__err *e) {
  aiodb_db *db = conn->db;
  const aiodb__driver *drv = db->driver;
  if (aiodb__conn_connect(conn, e) != 0) return e->code;
  if (aiodb__interrupter_attach(db->intr, &conn->intr, conn->native, e) != 0) {
    drv->disconnect(conn->native);
    conn->native = NULL;
    return e->code;
  }
  /* force_rollback: everything this db does happens inside one
   * transaction that is never committed; the setup, which may SET what
   * a rollback would undo, before it. */
  if (run_on_connect(conn, e) != 0 ||
      (db->force_rollback && aiodb__conn_exec_own(conn, "BEGIN", e) != 0)) {
    aiodb__interrupter_detach(&conn->intr);
    drv->disconnect(conn->native);
    conn->native = NULL;
    return e->code;
  }
  return 0;
}

static void close_connection(aiodb_conn *conn) {
  aiodb__err ignored;
  if (conn->db->force_rollback) aiodb__conn_exec_own(conn, "ROLLBACK", &ignored);
  aiodb__interrupter_detach(&conn->intr);
  conn->db->driver->disconnect(conn->native);
  conn->native = NULL;
}

/* worker_nice and worker_slice_us: a worker gives the CPU up to the
 * threads that run loops (a GUI's, the cq's) when they wake, instead of
 * holding it to the end of a scheduler tick. Best effort, Linux only. */
static void worker_sched(const aiodb_db *db) {
#if defined(__linux__)
  pid_t tid = (pid_t)syscall(SYS_gettid);
  int nice_now;
  if (db->worker_nice == 0 && db->worker_slice_us == 0) return;
  errno = 0;
  nice_now = getpriority(PRIO_PROCESS, (id_t)tid);
  if (nice_now == -1 && errno != 0) nice_now = 0;
  if (db->worker_nice > 0) {
    nice_now += (int)db->worker_nice;
    if (nice_now > 19) nice_now = 19;
    setpriority(PRIO_PROCESS, (id_t)tid, nice_now);
  }
#if defined(SYS_sched_setattr)
  if (db->worker_slice_us > 0) {
    /* struct sched_attr (linux/sched/types.h): SCHED_OTHER with its slice
     * in sched_runtime (EEVDF, Linux 6.12 on; older kernels ignore it). */
    struct {
      uint32_t size, policy;
      uint64_t flags;
      int32_t nice;
      uint32_t priority;
      uint64_t runtime, deadline, period;
    } attr;
    memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.nice = nice_now;
    attr.runtime = (uint64_t)db->worker_slice_us * 1000u;
    syscall(SYS_sched_setattr, tid, &attr, 0u);
  }
#endif
#else
  (void)db;
#endif
}

/* Does f, just taken, lead a batch with what is queued behind it? */
static int starts_batch(aiodb_conn *conn, aiodb_future *f) {
  return conn->batch != NULL && aiodb__batch_starts(conn, f);
}

/* The loop: takes and runs jobs until the db closes or the connection
 * breaks. Called locked and returns locked; returns 1 if it broke. */
static int serve_locked(aiodb_conn *conn) {
  aiodb_db *db = conn->db;
  aiodb_future *f;
  int broken = 0, spun = 0;

  /* conn->looking, from here to the sleep: a call queued meanwhile is
   * this worker's to take, no reason to open a connection more. */
  conn->looking = 1;
  for (;;) {
    f = next_job(conn);
    if (f == NULL) {
      int64_t arm;
      /* closed, retired by the pool's policy once unpinned, or leaving
       * for another replica */
      if (db->closing || (conn->retire && !conn->pinned) || conn->retiring) break;
      if (conn->idle_since == 0 && db->adaptive_spin && db->spin_us == 0)
        conn->idle_since = aiodb__now_ns();
      if (!spun && (db->spin_us > 0 || conn->idle_since != 0)) {
        /* Work often follows within microseconds (the loop answering a
         * callback): look for it before paying for a sleep and a wake,
         * for spin_us, or as long as recent waits say (lib/aspin.h). */
        int64_t budget = db->spin_us > 0 ? 0 : aiodb__aspin_budget(&conn->aspin);
        if (db->spin_us > 0 || budget > 0) {
          atomic_store_explicit(&db->submitted, 0, memory_order_relaxed);
          pthread_mutex_unlock(&db->lock);
          if (db->spin_us > 0)
            aiodb__spin(aiodb__flag_set, &db->submitted, db->spin_us);
          else
            aiodb__aspin_run(&conn->aspin, aiodb__flag_set, &db->submitted, budget);
          pthread_mutex_lock(&db->lock);
          spun = 1;
          continue;
        }
      }
      if ((arm = aiodb__pool_sleeping_locked(conn)) != 0) {
        /* The pool's watch, armed with no lock held; then look again. */
        pthread_mutex_unlock(&db->lock);
        aiodb__pool_arm(db, arm);
        pthread_mutex_lock(&db->lock);
        continue;
      }
      spun = 0;
      conn->looking = 0;
      conn->sleeping = 1;
      pthread_cond_wait(&conn->cv, &db->lock);
      conn->sleeping = 0;
      conn->looking = 1;
      /* Idle long, or its socket stirred: pinged before it takes work. */
      if (aiodb__pool_check_due_locked(conn) && aiodb__pool_check_locked(conn)) {
        broken = 1;
        break;
      }
      continue;
    }
    spun = 0;
    conn->looking = 0;
    if (conn->idle_since != 0) {
      /* the wait for this job, spun or slept */
      aiodb__aspin_note(&conn->aspin, aiodb__now_ns() - conn->idle_since);
      conn->idle_since = 0;
    }
    if (f->ops->take_locked != NULL) {
      f->ops->take_locked(conn, f);
      f->state = AIODB__JS_FINISHED;
      pthread_mutex_unlock(&db->lock);
      aiodb__future_complete(f);
      pthread_mutex_lock(&db->lock);
      continue;
    }
    if (starts_batch(conn, f)) {
      if (aiodb__batch_run(conn, f)) { /* the connection broke */
        broken = 1;
        break;
      }
      continue;
    }
    start_job_locked(conn, f);
    pthread_mutex_unlock(&db->lock);

    /* f, then each job taken in the same hold of the lock that records
     * the end of the one before: with work queued, one round of the lock
     * per job instead of two. */
    while (f != NULL) {
      aiodb_future *next = NULL;
      int traced = aiodb__trace_armed(f);
      int64_t t0 = aiodb__defer_clock();
      if (traced) aiodb__trace_start(f, conn->id, aiodb__now_ns());
      f->ops->run(conn, f);
      if (traced) f->tr.t_end = aiodb__now_ns();
      if (aiodb__job_settle(conn, f)) broken = 1;
      /* A tx whose end failed to run may have left the session inside a
       * transaction: nobody else may get it like that. */
      if (conn->unsure) broken = 1;
      pthread_mutex_lock(&db->lock);
      /* given up on (its socket is shut down), even if f ended first */
      if (conn->abandoned) broken = 1;
      conn->running = NULL;
      f->state = AIODB__JS_FINISHED;
      if (f->ops->unpins != NULL && f->ops->unpins(f)) conn->pinned = 0;
      aiodb__job_detach_locked(f);
      if (!broken && (next = next_job(conn)) != NULL) {
        if (next->ops->take_locked != NULL || starts_batch(conn, next)) {
          /* For the loop's own paths, taken again once f is complete: back
           * at the head of this connection's queue meanwhile, where a
           * cancel or a deadline finds it still queued (out of every
           * queue, it was completed as canceled and then run all the
           * same). */
          aiodb__q_push_head(&conn->own, &next->node);
          next = NULL;
        } else {
          start_job_locked(conn, next);
        }
      }
      /* the loop's top looks at the queues again before any sleep */
      if (next == NULL && !broken) conn->looking = 1;
      pthread_mutex_unlock(&db->lock);
      /* With a job next, the loop's wake-up may wait for more answers. */
      aiodb__defer_hold(next != NULL, t0);
      aiodb__future_complete(f);
      if (next != NULL) aiodb__defer_check();
      f = next;
    }
    aiodb__defer_hold(0, 0);
    pthread_mutex_lock(&db->lock);
    if (broken) break;
  }
  conn->looking = 0;
  return broken;
}

/* Leaving: nothing queued on this connection may be lost. What cannot run
 * now goes onto orphans, to fail unlocked; the last worker of a closing db
 * returns the close's future, to complete. Called locked. */
static aiodb_future *leave_locked(aiodb_conn *conn, const aiodb__err *cerr,
                                  int broken, aiodb__qnode *orphans,
                                  int64_t *arm) {
  aiodb_db *db = conn->db;
  aiodb_future *close_f = NULL;
  aiodb__err qerr;

  conn->quit = 1;
  if (cerr->code != 0) {
    qerr = *cerr;
  } else if (broken && db->adopted) {
    aiodb__err_set(&qerr, AIODB_ECONNLOST, "%s", AIODB__ADOPTED_LOST);
  } else {
    aiodb__err_set(&qerr, AIODB_EALREADYQUIT,
                   broken ? "the connection broke before this call ran"
                          : "the database was closed before this call ran");
  }
  aiodb__job_orphan_all_locked(&conn->own, orphans, &qerr, broken);
  /* A failed connect fails the pool's jobs that no other connection may
   * take (there is none, or all are pinned): they would wait for a
   * release, or forever. */
  if (cerr->code != 0 && !aiodb__pool_serves_locked(db))
    aiodb__job_orphan_all_locked(&db->shared, orphans, &qerr, 0);
  db->nlive--;
  /* counted; replaced (to min_size, or for the work that waits) unless
   * the db is closing */
  *arm = aiodb__pool_left_locked(conn, cerr, broken, orphans);
  if (db->nlive == 0 && db->closing) {
    aiodb__job_orphan_all_locked(&db->shared, orphans, &qerr, 0);
    close_f = db->close_future;
    db->close_future = NULL;
  }
  return close_f;
}

void *aiodb__worker_main(void *arg) {
  aiodb_conn *conn = arg;
  aiodb_db *db = conn->db;
  const aiodb__driver *drv = db->driver;
  aiodb__err cerr;
  aiodb__qnode orphans;
  aiodb_future *close_f;
  int64_t arm = 0;
  int broken = 0;

  tls_conn = conn;
  memset(&cerr, 0, sizeof cerr);
  aiodb__q_init(&orphans);
#if defined(__linux__)
  {
    char name[16];
    snprintf(name, sizeof name, "aiodb-w%u", conn->id);
    pthread_setname_np(pthread_self(), name);
  }
#endif
  worker_sched(db);
  if (drv->thread_start) drv->thread_start();
  open_connection(conn, &cerr);
  if (cerr.code == 0 && drv->exec_batch != NULL && db->pipeline > 1)
    conn->batch = aiodb__batch_new(conn, db->pipeline);
  if (cerr.code == 0) aiodb__defer_start(&conn->defer, db);
  aiodb__pool_opened(conn, cerr.code);

  pthread_mutex_lock(&db->lock);
  conn->calls++; /* the connect */
  if (cerr.code == 0) {
    broken = serve_locked(conn);
    if (broken && db->replicas != NULL) aiodb__replica_broken_locked(conn);
    pthread_mutex_unlock(&db->lock);
    aiodb__defer_stop(&conn->defer);
    aiodb__cursor_close_all(conn);
    close_connection(conn);
    pthread_mutex_lock(&db->lock);
  }
  close_f = leave_locked(conn, &cerr, broken, &orphans, &arm);
  pthread_mutex_unlock(&db->lock);
  aiodb__pool_arm(db, arm);

  aiodb__job_fail_all(&orphans);
  aiodb_result_free(conn->scratch);
  conn->scratch = NULL;
  aiodb__free(conn->batch);
  conn->batch = NULL;
  if (close_f) aiodb__close_done(db, close_f);
  tls_conn = NULL;
  if (drv->thread_stop) drv->thread_stop();
  return NULL;
}
