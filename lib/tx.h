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

#endif
