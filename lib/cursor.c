/* Cursors: one statement left open on one connection (pinned from the
 * pool through the cursor's own pin, or the caller's), its rows fetched
 * batch_rows at a time. */
#include <string.h>

#include "alloc.h"
#include "conn.h"
#include "cursor.h"
#include "db.h"
#include "driver.h"
#include "future.h"
#include "job.h"

#define DEFAULT_BATCH 1000u

void aiodb__cursor_unref_locked(aiodb_cursor *c) {
  if (c != NULL && --c->refs == 0) {
    aiodb__q_remove(&c->link);
    aiodb__free(c->sql);
    aiodb__free(c);
  }
}

static void cursor_open_run(aiodb_conn *conn, aiodb_future *f) {
  aiodb_cursor *c = f->cur;
  aiodb__stmt st;
  aiodb__job_stmt(f, &st);
  if (conn->db->driver->cursor_open(conn->native, &st, &c->handle,
                                    &f->err) != 0) {
    c->failed = 1;
    c->err = f->err;
  }
}

static void cursor_next_run(aiodb_conn *conn, aiodb_future *f) {
  aiodb_cursor *c = f->cur;
  if (c->failed) {
    f->err = c->err;
    return;
  }
  if (aiodb__job_result(f) != 0) return;
  if (conn->db->driver->cursor_fetch(conn->native, c->handle, c->batch,
                                     f->result, &f->err) != 0) {
    aiodb_result_free(f->result);
    f->result = NULL;
  }
}

static void cursor_next_settle(aiodb_future *f) {
  if (f->err.code != 0 && !f->cur->failed) {
    /* The statement was reset: a later batch must not start over. */
    f->cur->failed = 1;
    f->cur->err = f->err;
  }
}

static void cursor_close_run(aiodb_conn *conn, aiodb_future *f) {
  aiodb_cursor *c = f->cur;
  if (c->handle) conn->db->driver->cursor_close(conn->native, c->handle);
  c->handle = NULL;
}

static int cursor_owns_pin(const aiodb_future *f) {
  return f->cur->pin == &f->cur->own_pin;
}

static const aiodb__job_ops cursor_open_ops = {
    .run = cursor_open_run,
    .pins = cursor_owns_pin,
    .trace = AIODB_TRACE_CURSOR,
};

static const aiodb__job_ops cursor_next_ops = {
    .run = cursor_next_run,
    .settle = cursor_next_settle,
    .abortable = 1,
    .interruptible = 1,
    .trace = AIODB_TRACE_FETCH,
};

static const aiodb__job_ops cursor_close_ops = {
    .run = cursor_close_run,
    .unpins = cursor_owns_pin,
};

static aiodb_cursor *iterate(aiodb__route rt, const char *sql,
                             const aiodb_value *args, size_t nargs,
                             size_t batch, const char *function,
                             const void *site) {
  aiodb_db *db = rt.db;
  aiodb_cursor *c;
  aiodb_future *f;

  if (sql == NULL) return NULL;
  c = aiodb__calloc(1, sizeof *c);
  if (c == NULL) return NULL;
  c->db = db;
  c->batch = batch ? batch : DEFAULT_BATCH;
  c->refs = 1;
  aiodb__q_init(&c->own_pin.pending);
  aiodb__q_init(&c->link);
  if (rt.conn) {
    c->conn = rt.conn;
  } else {
    c->pin = &c->own_pin;
  }
  pthread_mutex_lock(&db->lock);
  aiodb__q_push(&db->cursors, &c->link);
  pthread_mutex_unlock(&db->lock);

  rt.pin = c->pin;
  rt.cur = c;
  /* The close's job too: a free must not fail for want of memory, or the
   * connection would stay pinned. */
  f = aiodb__job_new(rt, &cursor_open_ops);
  if (f != NULL) c->close_job = aiodb__job_new(rt, &cursor_close_ops);
  /* Traced, each batch gives the cursor's text: kept for them. */
  if (c->close_job != NULL && db->trace.fn != NULL &&
      (c->sql = aiodb__strdup(sql)) == NULL) {
    aiodb__job_discard(c->close_job);
    c->close_job = NULL;
  }
  if (c->close_job == NULL) {
    aiodb__job_discard(f);
    pthread_mutex_lock(&db->lock);
    aiodb__cursor_unref_locked(c);
    pthread_mutex_unlock(&db->lock);
    return NULL;
  }
  if (aiodb__prepare_query(db, f, sql, args, nargs, 1) != 0) {
    /* Bad input: every batch reports it, and no connection is pinned. */
    if (c->sql != NULL) aiodb__trace_keep_sql(f, c->sql, strlen(c->sql));
    c->bad = 1;
    c->bad_err = f->err;
    if (c->pin) aiodb__pin_refused(db, c->pin, f);
    aiodb__future_complete(f);
  } else if (aiodb__job_enqueue(db, rt.conn, f, function, site) != 0 &&
             c->pin) {
    aiodb__pin_refused(db, c->pin, f);
  }
  aiodb__future_detach(f);
  return c;
}

aiodb_cursor *aiodb_iterate(aiodb_db *db, const char *sql,
                            const aiodb_value *args, size_t nargs,
                            size_t batch_rows) {
  if (db == NULL) return NULL;
  return iterate(aiodb__on_db(db), sql, args, nargs, batch_rows,
                 "aiodb_iterate", AIODB__SITE);
}

aiodb_cursor *aiodb_conn_iterate(aiodb_conn *conn, const char *sql,
                                 const aiodb_value *args, size_t nargs,
                                 size_t batch_rows) {
  if (conn == NULL) return NULL;
  return iterate(aiodb__on_conn(conn), sql, args, nargs, batch_rows,
                 "aiodb_conn_iterate", AIODB__SITE);
}

aiodb_future *aiodb_cursor_next(aiodb_cursor *cur) {
  aiodb_future *f;
  if (cur == NULL) return NULL;
  f = aiodb__job_new(aiodb__on_cursor(cur), &cursor_next_ops);
  if (f == NULL) return NULL;
  if (aiodb__trace_armed(f) && aiodb__trace_keep_sql(f, cur->sql, strlen(cur->sql)) != 0) {
    aiodb__job_discard(f);
    return NULL;
  }
  if (cur->bad) { /* bad input found at aiodb_iterate */
    f->err = cur->bad_err;
    aiodb__future_complete(f);
    return f;
  }
  return aiodb__job_submit(cur->db, cur->conn, f, "aiodb_cursor_next",
                           AIODB__SITE);
}

void aiodb_cursor_free(aiodb_cursor *cur) {
  aiodb_db *db;
  aiodb_future *f;
  if (cur == NULL) return;
  db = cur->db;
  f = cur->close_job;
  cur->close_job = NULL;
  aiodb__job_submit(db, cur->conn, f, "aiodb_cursor_free", AIODB__SITE);
  aiodb_future_free(f);
  pthread_mutex_lock(&db->lock);
  aiodb__cursor_unref_locked(cur);
  pthread_mutex_unlock(&db->lock);
}

void aiodb__cursor_close_all(aiodb_conn *conn) {
  aiodb_db *db = conn->db;
  for (;;) {
    aiodb__qnode *n;
    void *handle = NULL;
    /* One at a time: closing talks to the server, never under the lock. */
    pthread_mutex_lock(&db->lock);
    for (n = db->cursors.next; n != &db->cursors; n = n->next) {
      aiodb_cursor *c = aiodb__q_data(n, aiodb_cursor, link);
      aiodb_conn *on = c->pin ? c->pin->conn : c->conn;
      if (on == conn && c->handle != NULL) {
        handle = c->handle;
        c->handle = NULL;
        break;
      }
    }
    pthread_mutex_unlock(&db->lock);
    if (handle == NULL) return;
    db->driver->cursor_close(conn->native, handle);
  }
}

void aiodb__cursor_free_all(aiodb_db *db) {
  aiodb__qnode *n;
  while ((n = aiodb__q_pop(&db->cursors)) != NULL) {
    aiodb_cursor *c = aiodb__q_data(n, aiodb_cursor, link);
    aiodb__job_discard(c->close_job);
    aiodb__free(c->sql);
    aiodb__free(c);
  }
}
