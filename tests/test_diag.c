/* Diagnostics: BlockingWarning (hook, once per call site, AIODB_WARNINGS),
 * deadlock detection from inside a worker. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

typedef struct diag_log {
  int blocking, deadlock, other;
  char function[64];
  char message[512];
} diag_log;

static void record(const aiodb_diag *d, void *ud) {
  diag_log *l = ud;
  if (d->kind == AIODB_DIAG_BLOCKING)
    l->blocking++;
  else if (d->kind == AIODB_DIAG_DEADLOCK)
    l->deadlock++;
  else
    l->other++;
  snprintf(l->function, sizeof l->function, "%s", d->function);
  snprintf(l->message, sizeof l->message, "%s", d->message);
}

/* A future that stays pending on this thread, its cq's dispatcher: the
 * worker is held in a gate. */
typedef struct pending {
  aiodb_test_gate g;
  aiodb_future *gate, *f;
} pending;

static void pending_on_dispatcher(aiodb_db *db, pending *p) {
  aiodb_test_gate_init(&p->g);
  aiodb_cq_dispatch(aiodb_db_cq(db), 0);
  p->gate = aiodb_db_run(db, aiodb_test_gate_fn, &p->g);
  aiodb_test_gate_wait_entered(&p->g);
  p->f = aiodb_query(db, "SELECT 1", NULL, 0);
}

/* Frees the futures, then db, then the gate (opened). */
static void pending_free(aiodb_db *db, pending *p) {
  aiodb_future_free(p->gate);
  aiodb_future_free(p->f);
  aiodb_db_free(db);
  aiodb_test_gate_destroy(&p->g);
}

static void *open_later(void *g) {
  usleep(50 * 1000);
  aiodb_test_gate_open(g);
  return NULL;
}

START_TEST(diag_blocking_warning_hook) {
  pthread_t opener;
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  pending p;
  diag_log log;
  aiodb_error err;
  aiodb_result *r;

  memset(&log, 0, sizeof log);
  unsetenv("AIODB_WARNINGS");
  aiodb_set_diag_handler(record, &log);
  pending_on_dispatcher(db, &p);
  ck_assert_int_eq(aiodb_future_wait(p.f, 20), AIODB_ETIMEDOUT);
  ck_assert_int_eq(log.blocking, 1);
  ck_assert_str_eq(log.function, "aiodb_future_wait");
  ck_assert_ptr_nonnull(strstr(log.message, "BlockingWarning"));
  aiodb_test_gate_open(&p.g);
  while (!aiodb_future_done(p.f)) usleep(1000);
  /* a done future does not block: no warning */
  ck_assert_int_eq(aiodb_future_wait(p.f, -1), 0);
  ck_assert_int_eq(log.blocking, 1);
  /* the _sync helpers warn too (the worker is held until a thread opens) */
  aiodb_test_gate_destroy(&p.g);
  aiodb_future_free(p.gate);
  aiodb_future_free(p.f);
  pending_on_dispatcher(db, &p);
  pthread_create(&opener, NULL, open_later, &p.g);
  r = aiodb_query_sync(db, "SELECT 1", NULL, 0, &err);
  ck_assert_ptr_nonnull(r);
  ck_assert_int_eq(log.blocking, 2);
  ck_assert_str_eq(log.function, "aiodb_query_sync");
  aiodb_result_free(r);
  pthread_join(opener, NULL);
  aiodb_set_diag_handler(NULL, NULL);
  pending_free(db, &p);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(diag_warnings_error_and_ignore) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  pending p;
  diag_log log;
  aiodb_error err;

  memset(&log, 0, sizeof log);
  aiodb_set_diag_handler(record, &log);
  pending_on_dispatcher(db, &p);
  setenv("AIODB_WARNINGS", "error", 1);
  ck_assert_int_eq(aiodb_future_wait(p.f, -1), AIODB_EBLOCKING);
  ck_assert_int_eq(aiodb_future_done(p.f), 0);
  ck_assert_ptr_null(aiodb_query_sync(db, "SELECT 1", NULL, 0, &err));
  ck_assert_int_eq(err.code, AIODB_EBLOCKING);
  setenv("AIODB_WARNINGS", "ignore", 1);
  ck_assert_int_eq(aiodb_future_wait(p.f, 10), AIODB_ETIMEDOUT);
  ck_assert_int_eq(log.blocking, 0);
  unsetenv("AIODB_WARNINGS");
  aiodb_test_gate_open(&p.g);
  aiodb_set_diag_handler(NULL, NULL);
  pending_free(db, &p);
  aiodb_test_clean_shutdown();
}
END_TEST

/* Not inlined and not a tail call: one call site however the loop around
 * it is unrolled. */
__attribute__((noinline)) static void wait_here(aiodb_future *f) {
  ck_assert_int_eq(aiodb_future_wait(f, 1), AIODB_ETIMEDOUT);
}

START_TEST(diag_default_prints_once_per_call_site) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  const char *path = aiodb_test_path(".stderr");
  pending p;
  int fd, saved, i, lines = 0;
  char buf[4096];
  FILE *in;

  unsetenv("AIODB_WARNINGS");
  pending_on_dispatcher(db, &p);
  fflush(stderr);
  saved = dup(2);
  fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
  dup2(fd, 2);
  for (i = 0; i < 3; i++) wait_here(p.f); /* one call site */
  aiodb_future_wait(p.f, 1);              /* another */
  fflush(stderr);
  dup2(saved, 2);
  close(fd);
  close(saved);
  in = fopen(path, "r");
  while (fgets(buf, sizeof buf, in)) {
    ck_assert_ptr_nonnull(strstr(buf, "BlockingWarning"));
    ck_assert_ptr_nonnull(strstr(buf, "aiodb_future_wait"));
    lines++;
  }
  fclose(in);
  ck_assert_int_eq(lines, 2);
  aiodb_test_gate_open(&p.g);
  pending_free(db, &p);
  aiodb_test_clean_shutdown();
}
END_TEST

typedef struct inner {
  aiodb_db *db;
  int wait_rc, sync_code, other_db_rc;
  aiodb_db *other;
} inner;

static int wait_inside(void *native, void *ud) {
  inner *in = ud;
  aiodb_future *f = aiodb_query(in->db, "SELECT 1", NULL, 0);
  aiodb_error err;
  (void)native;
  in->wait_rc = aiodb_future_wait(f, -1);
  aiodb_future_free(f);
  if (aiodb_query_sync(in->db, "SELECT 1", NULL, 0, &err) == NULL)
    in->sync_code = err.code;
  /* waiting on another db from inside a worker is fine */
  f = aiodb_query(in->other, "SELECT 1", NULL, 0);
  in->other_db_rc = aiodb_future_wait(f, -1);
  aiodb_future_free(f);
  return 0;
}

START_TEST(diag_deadlock_inside_run) {
  inner in;
  aiodb_future *f;
  diag_log log;

  memset(&log, 0, sizeof log);
  memset(&in, 0, sizeof in);
  in.db = aiodb_open("sqlite://", NULL, NULL);
  in.other = aiodb_open("sqlite://", NULL, NULL);
  aiodb_set_diag_handler(record, &log);
  f = aiodb_test_ok(aiodb_db_run(in.db, wait_inside, &in));
  ck_assert_int_eq(in.wait_rc, AIODB_EDEADLK);
  ck_assert_int_eq(in.sync_code, AIODB_EDEADLK);
  ck_assert_int_eq(in.other_db_rc, 0);
  ck_assert_int_eq(log.deadlock, 2);
  aiodb_set_diag_handler(NULL, NULL);
  aiodb_future_free(f);
  aiodb_db_free(in.db);
  aiodb_db_free(in.other);
  aiodb_test_clean_shutdown();
}
END_TEST

static int free_inside(void *native, void *ud) {
  (void)native;
  aiodb_db_free(ud); /* refused with a diagnostic, not a self-join */
  return 0;
}

START_TEST(diag_free_from_own_worker_refused) {
  aiodb_db *db = aiodb_open("sqlite://", NULL, NULL);
  diag_log log;
  aiodb_future *f;

  memset(&log, 0, sizeof log);
  aiodb_set_diag_handler(record, &log);
  f = aiodb_test_ok(aiodb_db_run(db, free_inside, db));
  ck_assert_int_eq(log.other, 1);
  ck_assert_ptr_nonnull(strstr(log.message, "refused"));
  aiodb_set_diag_handler(NULL, NULL);
  aiodb_future_free(f);
  aiodb_test_done(db);
}
END_TEST

Suite *aiodb_suite_diag(void) {
  return AIODB_SUITE("diag", diag_blocking_warning_hook, diag_warnings_error_and_ignore,
                     diag_default_prints_once_per_call_site, diag_deadlock_inside_run,
                     diag_free_from_own_worker_refused);
}
