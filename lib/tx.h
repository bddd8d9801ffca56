/* Transactions and savepoints. */
#ifndef AIODB_TX_H
#define AIODB_TX_H

#include "aiodb.h"
#include "error.h"
#include "job.h"
#include "queue.h"

/* How a tx ends. */
enum { AIODB__END_COMMIT = 1, AIODB__END_ROLLBACK };

struct aiodb_tx {
  aiodb_db *db;
  struct aiodb_tx *parent, *root;
  aiodb__pin own_pin;       /* a root over the pool pins through this */
  aiodb__pin *pin;          /* where its jobs go (NULL: straight to conn) */
  aiodb_conn *conn;         /* aiodb_conn_begin's connection */
  aiodb__qnode link;        /* in db->txs */
  unsigned id;
  int refs;                 /* the caller's, children's, queued jobs': locked */
  int dropped;              /* locked: a statement was dropped before it ran */
  unsigned seq;             /* locked: jobs queued on it so far */
  unsigned drop_seq;        /* locked: the first dropped job's seq */
  aiodb__err drop_err;
  unsigned parent_seq;      /* locked: the parent's jobs queued before its
                               SAVEPOINT */
  aiodb_future *end;        /* its end's job, made with it: an end never
                               fails for want of memory */
  /* worker-only, on the pinned connection */
  int open;                 /* BEGIN / SAVEPOINT ran */
  int finished;             /* its end ran */
  int failed;
  aiodb__err fail_err;
  int savepoint;
  int owns_pin;
  int gone;                 /* the database ended the whole transaction */
};

/* A call on tx goes to its pin, or to its connection. */
static inline aiodb__route aiodb__on_tx(aiodb_tx *tx) {
  aiodb__route r = {tx->db, tx->conn, tx->pin, tx, NULL};
  return r;
}

/* ---- a job's tx (lib/tx.c): f->tx is set ---- */

/* f is queued on its tx: it takes a reference and its place. Locked. */
void aiodb__tx_job_queued_locked(aiodb_future *f);
/* A worker takes f: does its tx let it run as if nothing had been
 * dropped? Locked. */
void aiodb__tx_job_start_locked(aiodb_future *f);
/* f is dropped before it ran (cancel, deadline): its tx is aborted from
 * there on. Locked. */
void aiodb__tx_job_dropped_locked(aiodb_future *f, int code);
/* A statement on a tx runs only while the tx is healthy: 0, or the code
 * with f->err filled. On the worker. */
int aiodb__tx_refuses(aiodb_future *f);
/* A call on tx failed with e on conn: the tx is aborted, or ended whole
 * if the database says so. On the worker. */
void aiodb__tx_failed(aiodb_conn *conn, aiodb_tx *tx, const aiodb__err *e);
/* A call on tx refused before it was queued (bad input) aborts the tx as
 * a failed statement does. NULL tx: no-op. Unlocked. */
void aiodb__tx_refused(aiodb_tx *tx, const aiodb__err *why);
/* The error of a job of tx that cannot run because its connection broke. */
void aiodb__tx_broken_err(const aiodb_tx *tx, const aiodb__err *why,
                          aiodb__err *e);
/* Drops one reference; the last frees tx (and drops its parent's).
 * Locked. NULL is a harmless no-op. */
void aiodb__tx_unref_locked(aiodb_tx *tx);
/* Frees the txs the caller never ended, with their end jobs: at
 * aiodb_db_free, every worker gone. */
void aiodb__tx_free_all(aiodb_db *db);

#endif
