/* Transactions and savepoints. A root tx over the pool pins the
 * connection its BEGIN runs on (through its own pin) until its end; a
 * nested one is a SAVEPOINT on its parent's connection. A failed call
 * aborts its tx: what follows fails, and the commit rolls back. */
#include <stdio.h>

#include "alloc.h"
#include "conn.h"
#include "db.h"
#include "driver.h"
#include "future.h"
#include "job.h"
#include "tx.h"

void aiodb__tx_unref_locked(aiodb_tx *tx) {
  while (tx != NULL && --tx->refs == 0) {
    aiodb_tx *parent = tx->parent;
    aiodb__q_remove(&tx->link);
    aiodb__free(tx);
    tx = parent;
  }
}

/* The tx is aborted, as after any failed statement, and the error names
 * the first failure (its SQLSTATE and native code too). */
void aiodb__tx_broken_err(const aiodb_tx *tx, const aiodb__err *why,
                          aiodb__err *e) {
  const aiodb__err *first = why;
  const aiodb_tx *t;
  for (t = tx; t != NULL; t = t->parent)
    if (t->failed) {
      first = &t->fail_err;
      break;
    }
  *e = *first;
  aiodb__err_set(e, AIODB_ETXABORTED,
                 "not run: the transaction's connection broke: %s",
                 first->message);
}

static void tx_sql(const aiodb_tx *tx, const char *verb, char *buf, size_t n) {
  if (tx->savepoint)
    snprintf(buf, n, "%s aiodb_sp%u", verb, tx->id);
  else
    snprintf(buf, n, "%s", verb);
}

/* Runs the library's own sql for the tx job f, which traces it. */
static int tx_exec(aiodb_conn *conn, aiodb_future *f, const char *sql,
                   aiodb__err *e) {
  aiodb__trace_sent(f, sql);
  return aiodb__conn_exec_own(conn, sql, e);
}

static int ancestor_finished(const aiodb_tx *tx) {
  for (tx = tx->parent; tx != NULL; tx = tx->parent)
    if (tx->finished) return 1;
  return 0;
}

static void run_tx_begin(aiodb_conn *conn, aiodb_future *f) {
  aiodb_tx *tx = f->tx;
  char sql[64];
  if (ancestor_finished(tx)) {
    aiodb__err_set(&tx->fail_err, AIODB_EALREADYQUIT,
                   "the enclosing transaction has already ended");
    tx->failed = 1;
    return;
  }
  if (tx->failed) return; /* aborted when taken: tx_job_start_locked */
  tx_sql(tx, tx->savepoint ? "SAVEPOINT" : "BEGIN", sql, sizeof sql);
  if (tx_exec(conn, f, sql, &f->err) == 0) {
    tx->open = 1;
  } else {
    tx->failed = 1;
    tx->fail_err = f->err;
  }
}

/* Rolls tx back for its job f; errors are reported only through e. */
static int tx_rollback(aiodb_conn *conn, aiodb_future *f, aiodb__err *e) {
  aiodb_tx *tx = f->tx;
  char sql[64];
  int rc;
  tx_sql(tx, tx->savepoint ? "ROLLBACK TO SAVEPOINT" : "ROLLBACK", sql, sizeof sql);
  rc = tx_exec(conn, f, sql, e);
  if (rc == 0 && tx->savepoint) {
    tx_sql(tx, "RELEASE SAVEPOINT", sql, sizeof sql);
    rc = tx_exec(conn, f, sql, e);
  }
  return rc;
}

static void run_tx_end(aiodb_conn *conn, aiodb_future *f) {
  aiodb_tx *tx = f->tx;
  aiodb__err ignored;
  char sql[64];

  if (ancestor_finished(tx)) {
    aiodb__err_set(&f->err, AIODB_EALREADYQUIT,
                   "the enclosing transaction has already ended");
  } else if (!tx->open) {
    if (f->end_op == AIODB__END_COMMIT)
      aiodb__err_set(&f->err, AIODB_ETXABORTED,
                     "the transaction could not begin: %s", tx->fail_err.message);
  } else if (tx->gone) {
    /* The database rolled it all back already: no ROLLBACK (TO) to send. */
    if (f->end_op == AIODB__END_COMMIT) {
      f->err = tx->fail_err;
      aiodb__err_set(&f->err, AIODB_ETXABORTED,
                     "the database rolled the transaction back after an error: %s",
                     tx->fail_err.message);
    }
  } else if (f->end_op == AIODB__END_ROLLBACK) {
    if (tx_rollback(conn, f, &f->err) != 0 && !tx->savepoint) conn->unsure = 1;
  } else if (tx->failed) {
    if (tx_rollback(conn, f, &ignored) != 0 && !tx->savepoint) conn->unsure = 1;
    f->err = tx->fail_err; /* its SQLSTATE and native code */
    aiodb__err_set(&f->err, AIODB_ETXABORTED,
                   "the transaction was rolled back after an error: %s",
                   tx->fail_err.message);
  } else {
    tx_sql(tx, tx->savepoint ? "RELEASE SAVEPOINT" : "COMMIT", sql, sizeof sql);
    if (tx_exec(conn, f, sql, &f->err) != 0 &&
        tx_rollback(conn, f, &ignored) != 0 && !tx->savepoint)
      conn->unsure = 1;
  }
  tx->open = 0;
  tx->finished = 1;
}

static int tx_owns_pin(const aiodb_future *f) { return f->tx->owns_pin; }

static int tx_root_owns_pin(const aiodb_future *f) {
  return f->tx->parent == NULL && f->tx->owns_pin;
}

static const aiodb__job_ops tx_begin_ops = {
    .run = run_tx_begin,
    .pins = tx_owns_pin,
    .trace = AIODB_TRACE_TX,
};

static const aiodb__job_ops tx_end_ops = {
    .run = run_tx_end,
    .unpins = tx_root_owns_pin,
    .trace = AIODB_TRACE_TX,
};

int aiodb__tx_refuses(aiodb_future *f) {
  aiodb_tx *tx = f->tx;
  if (tx->finished || ancestor_finished(tx))
    return aiodb__err_set(&f->err, AIODB_EALREADYQUIT,
                          "the transaction has already ended");
  if (tx->failed)
    return aiodb__err_set(&f->err, AIODB_ETXABORTED,
                          "not run: an earlier statement in this transaction "
                          "failed: %s",
                          tx->fail_err.message);
  return 0;
}

/* The database ended tx's whole transaction on its own (SQLite does on an
 * interrupted write): every level is aborted, and its ends send nothing.
 * Otherwise what follows would run outside any transaction and be kept. */
static void tx_gone(aiodb_tx *tx, const aiodb__err *why) {
  for (; tx != NULL; tx = tx->parent) {
    tx->gone = 1;
    if (!tx->failed) {
      tx->failed = 1;
      tx->fail_err = *why;
    }
  }
}

void aiodb__tx_failed(aiodb_conn *conn, aiodb_tx *tx, const aiodb__err *e) {
  const aiodb__driver *drv = conn->db->driver;
  if (!tx->failed) {
    tx->failed = 1;
    tx->fail_err = *e;
  }
  if (drv->tx_ended && drv->tx_ended(conn->native, e)) tx_gone(tx, e);
}

/* A savepoint does not begin inside a tx that a statement queued before it
 * aborted (it failed, or was dropped): its work would run in a tx bound to
 * roll back, or, were the transaction gone, in none. PostgreSQL refuses it
 * the same way. Called locked, on the tx's worker. */
static void savepoint_check_locked(aiodb_tx *tx) {
  const aiodb_tx *child = tx, *a;
  for (a = tx->parent; a != NULL; child = a, a = a->parent) {
    if (a->failed || (a->dropped && a->drop_seq <= child->parent_seq)) {
      const aiodb__err *why = a->failed ? &a->fail_err : &a->drop_err;
      tx->failed = 1;
      tx->fail_err = *why;
      aiodb__err_set(&tx->fail_err, AIODB_ETXABORTED,
                     "the enclosing transaction was aborted: %s", why->message);
      return;
    }
  }
}

void aiodb__tx_job_queued_locked(aiodb_future *f) {
  aiodb_tx *tx = f->tx;
  tx->refs++;
  f->tx_seq = ++tx->seq;
  if (f->ops == &tx_begin_ops && tx->parent) tx->parent_seq = tx->parent->seq;
}

void aiodb__tx_job_start_locked(aiodb_future *f) {
  aiodb_tx *tx = f->tx;
  if (tx->dropped && f->tx_seq > tx->drop_seq && !tx->failed) {
    /* A statement of this tx was dropped before it ran: the rest must not
     * run as if it had. */
    tx->failed = 1;
    tx->fail_err = tx->drop_err;
  }
  if (f->ops == &tx_begin_ops && tx->parent != NULL && !tx->failed)
    savepoint_check_locked(tx);
}

void aiodb__tx_job_dropped_locked(aiodb_future *f, int code) {
  aiodb_tx *tx = f->tx;
  if (!tx->dropped || f->tx_seq < tx->drop_seq) {
    tx->dropped = 1;
    tx->drop_seq = f->tx_seq;
    aiodb__err_set(&tx->drop_err, code,
                   "a statement of this transaction was %s before it ran",
                   code == AIODB_ETIMEDOUT ? "timed out" : "canceled");
  }
}

/* The calls queued before it still run, those after it and the commit
 * fail with AIODB_ETXABORTED. */
void aiodb__tx_refused(aiodb_tx *tx, const aiodb__err *why) {
  unsigned seq;
  if (tx == NULL) return;
  pthread_mutex_lock(&tx->db->lock);
  seq = ++tx->seq;
  if (!tx->dropped) {
    tx->dropped = 1;
    tx->drop_seq = seq;
    tx->drop_err = *why;
  }
  pthread_mutex_unlock(&tx->db->lock);
}

static aiodb_tx *tx_new(aiodb_db *db, aiodb_tx *parent, aiodb_conn *conn,
                        const char *function, const void *site) {
  aiodb_tx *tx = aiodb__calloc(1, sizeof *tx);
  aiodb_future *f;
  if (tx == NULL) return NULL;
  tx->db = db;
  tx->parent = parent;
  tx->root = parent ? parent->root : tx;
  aiodb__q_init(&tx->own_pin.pending);
  aiodb__q_init(&tx->link);
  tx->refs = 1;
  if (parent) {
    tx->pin = parent->pin;
    tx->conn = parent->conn;
    tx->savepoint = 1;
  } else if (conn) {
    tx->conn = conn;
    tx->savepoint = db->force_rollback;
  } else {
    tx->pin = &tx->own_pin;
    tx->owns_pin = 1;
    tx->savepoint = db->force_rollback;
  }
  pthread_mutex_lock(&db->lock);
  tx->id = db->next_tx++;
  aiodb__q_push(&db->txs, &tx->link);
  if (parent) parent->refs++;
  pthread_mutex_unlock(&db->lock);

  /* BEGIN (or SAVEPOINT) goes first; its outcome is the tx's to report.
   * The end's job is made now: ending a tx must not fail for want of
   * memory, or its connection would stay pinned with the tx open. */
  f = aiodb__job_new(aiodb__on_tx(tx), &tx_begin_ops);
  if (f != NULL) tx->end = aiodb__job_new(aiodb__on_tx(tx), &tx_end_ops);
  if (tx->end == NULL) {
    aiodb__job_discard(f);
    pthread_mutex_lock(&db->lock);
    aiodb__tx_unref_locked(tx);
    pthread_mutex_unlock(&db->lock);
    return NULL;
  }
  if (aiodb__job_enqueue(db, tx->conn, f, function, site) != 0 && tx->owns_pin)
    aiodb__pin_refused(db, &tx->own_pin, f);
  aiodb__future_detach(f);
  return tx;
}

aiodb_tx *aiodb_begin(aiodb_db *db) {
  if (db == NULL) return NULL;
  return tx_new(db, NULL, NULL, "aiodb_begin", AIODB__SITE);
}

aiodb_tx *aiodb_conn_begin(aiodb_conn *conn) {
  if (conn == NULL) return NULL;
  return tx_new(conn->db, NULL, conn, "aiodb_conn_begin", AIODB__SITE);
}

aiodb_tx *aiodb_tx_begin(aiodb_tx *parent) {
  if (parent == NULL) return NULL;
  return tx_new(parent->db, parent, NULL, "aiodb_tx_begin", AIODB__SITE);
}

static aiodb_future *tx_end(aiodb_tx *tx, int op, const char *function,
                            const void *site) {
  aiodb_db *db = tx->db;
  aiodb_future *f = tx->end;
  tx->end = NULL;
  f->end_op = op;
  aiodb__job_submit(db, tx->conn, f, function, site);
  /* The caller's reference goes; the end job holds its own. */
  pthread_mutex_lock(&db->lock);
  aiodb__tx_unref_locked(tx);
  pthread_mutex_unlock(&db->lock);
  return f;
}

aiodb_future *aiodb_commit(aiodb_tx *tx) {
  if (tx == NULL) return NULL;
  return tx_end(tx, AIODB__END_COMMIT, "aiodb_commit", AIODB__SITE);
}

aiodb_future *aiodb_rollback(aiodb_tx *tx) {
  if (tx == NULL) return NULL;
  return tx_end(tx, AIODB__END_ROLLBACK, "aiodb_rollback", AIODB__SITE);
}

void aiodb_tx_free(aiodb_tx *tx) {
  if (tx == NULL) return;
  aiodb__future_detach(
      tx_end(tx, AIODB__END_ROLLBACK, "aiodb_tx_free", AIODB__SITE));
}

void aiodb__tx_free_all(aiodb_db *db) {
  aiodb__qnode *n;
  while ((n = aiodb__q_pop(&db->txs)) != NULL) {
    aiodb_tx *tx = aiodb__q_data(n, aiodb_tx, link);
    aiodb__job_discard(tx->end);
    aiodb__free(tx);
  }
}
