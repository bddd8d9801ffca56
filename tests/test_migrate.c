/* aiodb_migrate: numbered SQL files applied in order, on the driver that
 * AIODB_TEST_DRIVER names (sqlite, the default; postgresql; mysql), as
 * test_shared.c picks it. The version table's name is fixed, so every
 * case drops it (and its own tables) first and last; the server's lock
 * keeps the cases of other suites away meanwhile. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

typedef struct mg {
  char url[700];
  char dir[512];
  char t[64]; /* this case's table */
  int mysql;
} mg;

static void mg_write(const mg *m, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void mg_write(const mg *m, const char *name, const char *fmt, ...) {
  char path[700];
  va_list ap;
  FILE *fp;
  snprintf(path, sizeof path, "%s/%s", m->dir, name);
  fp = fopen(path, "w");
  ck_assert_ptr_nonnull(fp);
  va_start(ap, fmt);
  vfprintf(fp, fmt, ap);
  va_end(ap);
  fclose(fp);
}

static void mg_cleanup(const mg *m, aiodb_db *db) {
  aiodb_test_exec(db, "DROP TABLE IF EXISTS aiodb_migrations");
  aiodb_test_execf(db, "DROP TABLE IF EXISTS %s", m->t);
}

static aiodb_db *mg_start(mg *m, const char *stem) {
  const char *want = getenv("AIODB_TEST_DRIVER");
  aiodb_db *db;
  memset(m, 0, sizeof *m);
  if (want == NULL || *want == '\0' || strcmp(want, "sqlite") == 0) {
    snprintf(m->url, sizeof m->url, "%s", aiodb_test_sqlite_url());
  } else {
    const char *u = aiodb_test_server_file(
        strcmp(want, "mysql") == 0 ? "AIODB_TEST_MYSQL_DIR" : "AIODB_TEST_PG_DIR", "socket_url");
    ck_assert_msg(u != NULL && u[0] != '\0', "no test server for %s", want);
    snprintf(m->url, sizeof m->url, "%s", u);
    m->mysql = strcmp(want, "mysql") == 0;
  }
  snprintf(m->dir, sizeof m->dir, "%s", aiodb_test_path(".d"));
  ck_assert_int_eq(mkdir(m->dir, 0700), 0);
  snprintf(m->t, sizeof m->t, "mg_%s_%ld", stem, (long)getpid());
  db = aiodb_test_open_with(m->url, NULL);
  mg_cleanup(m, db);
  return db;
}

static void mg_done(const mg *m, aiodb_db *db) {
  char cmd[600];
  mg_cleanup(m, db);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", m->dir);
  ck_assert_int_eq(system(cmd), 0);
  aiodb_test_done(db);
}

/* Runs a migration and asserts it succeeded; the future is the caller's. */
static aiodb_future *mg_run(aiodb_db *db, const mg *m, int64_t to, int dry, int status) {
  aiodb_migrate_options o;
  memset(&o, 0, sizeof o);
  o.to_version = to;
  o.dry_run = dry;
  o.status = status;
  return aiodb_test_ok(aiodb_migrate(db, m->dir, &o));
}

/* Row i of a migration's result: its version, name and status. */
static void mg_row(aiodb_future *f, size_t i, int64_t version, const char *name,
                   const char *status) {
  aiodb_result *r = aiodb_future_result(f);
  ck_assert_uint_gt(aiodb_result_rows(r), i);
  ck_assert_int_eq(aiodb_result_int(r, i, 0), version);
  ck_assert_str_eq(aiodb_result_text(r, i, 1), name);
  ck_assert_str_eq(aiodb_result_text(r, i, 2), status);
  ck_assert_uint_eq(strlen(aiodb_result_text(r, i, 3)), 64);
}

static size_t mg_rows(aiodb_future *f) {
  size_t n = aiodb_result_rows(aiodb_future_result(f));
  aiodb_future_free(f);
  return n;
}

static int64_t mg_count(aiodb_db *db, const char *table) {
  char sql[200];
  snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s", table);
  return aiodb_test_scalar(db, sql);
}

static void mg_two_files(const mg *m) {
  mg_write(m, "0001_create.sql",
           "-- the table; a comment with a semicolon\n"
           "CREATE TABLE %s (id INTEGER PRIMARY KEY, body VARCHAR(100));\n"
           "/* block; comment */ INSERT INTO %s VALUES (1, 'a;b');\n",
           m->t, m->t);
  mg_write(m, "0002_more.sql", "INSERT INTO %s VALUES (2, 'it''s; two')", m->t);
  mg_write(m, "README.txt", "not a migration");
}

START_TEST(migrate_apply_status_to_dry_run) {
  mg m;
  aiodb_db *db = mg_start(&m, "apply");
  aiodb_future *f;

  mg_two_files(&m);
  f = mg_run(db, &m, 0, 0, 1);
  mg_row(f, 0, 1, "0001_create.sql", "pending");
  mg_row(f, 1, 2, "0002_more.sql", "pending");
  ck_assert_uint_eq(mg_rows(f), 2);
  f = mg_run(db, &m, 0, 1, 0);
  mg_row(f, 1, 2, "0002_more.sql", "pending");
  ck_assert_uint_eq(mg_rows(f), 2);
  /* neither created anything */
  ck_assert_int_eq(aiodb_test_has_table(db, "aiodb_migrations"), 0);
  ck_assert_int_eq(aiodb_test_has_table(db, m.t), 0);

  f = mg_run(db, &m, 1, 0, 0);
  mg_row(f, 0, 1, "0001_create.sql", "applied");
  ck_assert_uint_eq(mg_rows(f), 1);
  ck_assert_int_eq(mg_count(db, m.t), 1);
  f = mg_run(db, &m, 0, 0, 1);
  mg_row(f, 0, 1, "0001_create.sql", "applied");
  mg_row(f, 1, 2, "0002_more.sql", "pending");
  ck_assert_uint_eq(mg_rows(f), 2);
  f = mg_run(db, &m, 0, 1, 0);
  mg_row(f, 0, 2, "0002_more.sql", "pending");
  ck_assert_uint_eq(mg_rows(f), 1);

  f = mg_run(db, &m, 0, 0, 0);
  mg_row(f, 0, 2, "0002_more.sql", "applied");
  ck_assert_uint_eq(mg_rows(f), 1);
  ck_assert_uint_eq(mg_rows(mg_run(db, &m, 0, 0, 0)), 0); /* nothing left */
  ck_assert_int_eq(mg_count(db, m.t), 2);
  ck_assert_int_eq(mg_count(db, "aiodb_migrations"), 2);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT COUNT(*) FROM aiodb_migrations WHERE "
                                         "applied_at LIKE '20%' AND LENGTH(checksum) = 64"),
                   2);
  /* an applied file gone is reported, not refused */
  {
    char path[700];
    snprintf(path, sizeof path, "%s/0002_more.sql", m.dir);
    ck_assert_int_eq(unlink(path), 0);
  }
  f = mg_run(db, &m, 0, 0, 1);
  mg_row(f, 0, 2, "0002_more.sql", "missing"); /* the missing first */
  mg_row(f, 1, 1, "0001_create.sql", "applied");
  aiodb_future_free(f);
  mg_done(&m, db);
}
END_TEST

START_TEST(migrate_changed_file_refused) {
  mg m;
  aiodb_db *db = mg_start(&m, "changed");
  aiodb_future *f;

  mg_two_files(&m);
  ck_assert_uint_eq(mg_rows(mg_run(db, &m, 1, 0, 0)), 1);
  mg_write(&m, "0001_create.sql", "CREATE TABLE %s (id INTEGER PRIMARY KEY);\n", m.t);
  aiodb_test_fails(aiodb_migrate(db, m.dir, NULL), AIODB_EINVAL,
                   "0001_create.sql changed since it was applied");
  /* 0002 did not run */
  ck_assert_int_eq(mg_count(db, "aiodb_migrations"), 1);
  ck_assert_int_eq(mg_count(db, m.t), 1);
  f = mg_run(db, &m, 0, 0, 1);
  mg_row(f, 0, 1, "0001_create.sql", "changed");
  mg_row(f, 1, 2, "0002_more.sql", "pending");
  aiodb_future_free(f);
  mg_done(&m, db);
}
END_TEST

START_TEST(migrate_failing_file_names_it) {
  mg m;
  aiodb_db *db = mg_start(&m, "fail");
  aiodb_future *f;
  const char *msg;

  mg_two_files(&m);
  mg_write(&m, "0003_bad.sql",
           "INSERT INTO %s VALUES (3, 'c');\n"
           "INSERT INTO mg_no_such_table_here VALUES (1);\n"
           "INSERT INTO %s VALUES (4, 'd');\n",
           m.t, m.t);
  mg_write(&m, "0004_after.sql", "INSERT INTO %s VALUES (5, 'e')", m.t);
  f = aiodb_migrate(db, m.dir, NULL);
  ck_assert_int_eq(aiodb_future_wait(f, -1), 0);
  ck_assert_int_ne(aiodb_future_error(f), 0);
  msg = aiodb_future_errmsg(f);
  ck_assert_msg(strstr(msg, "0003_bad.sql, statement 2 (INSERT INTO mg_no_such_table_here") != NULL,
                "message: %s", msg);
  /* then the server's own words */
  ck_assert_msg(strstr(msg, "): ") != NULL && strlen(strstr(msg, "): ")) > 10, "message: %s",
                msg);
  ck_assert_ptr_null(aiodb_future_result(f));
  aiodb_future_free(f);
  /* 0001 and 0002 stay; 0003 is rolled back whole, 0004 never ran */
  ck_assert_int_eq(mg_count(db, "aiodb_migrations"), 2);
  ck_assert_int_eq(mg_count(db, m.t), 2);
  f = mg_run(db, &m, 0, 0, 1);
  mg_row(f, 2, 3, "0003_bad.sql", "pending");
  mg_row(f, 3, 4, "0004_after.sql", "pending");
  aiodb_future_free(f);
  mg_done(&m, db);
}
END_TEST

START_TEST(migrate_bad_input) {
  mg m;
  aiodb_db *db = mg_start(&m, "bad");
  aiodb_migrate_options o;
  char path[700];

  ck_assert_ptr_null(aiodb_migrate(NULL, m.dir, NULL));
  aiodb_test_fails(aiodb_migrate(db, NULL, NULL), AIODB_EINVAL, "dir is NULL");
  aiodb_test_fails(aiodb_migrate(db, "", NULL), AIODB_EINVAL, "dir is empty");
  memset(&o, 0, sizeof o);
  o.to_version = -1;
  aiodb_test_fails(aiodb_migrate(db, m.dir, &o), AIODB_EINVAL, "to_version -1");
  aiodb_test_fails(aiodb_migrate(db, "/no/such/dir/here", NULL), AIODB_EIO,
                   "cannot open directory /no/such/dir/here");

  mg_two_files(&m);
  mg_write(&m, "create_more.sql", "SELECT 1");
  aiodb_test_fails(aiodb_migrate(db, m.dir, NULL), AIODB_EINVAL,
                   "malformed migration file name create_more.sql");
  snprintf(path, sizeof path, "%s/create_more.sql", m.dir);
  unlink(path);
  mg_write(&m, "0000_zero.sql", "SELECT 1");
  aiodb_test_fails(aiodb_migrate(db, m.dir, NULL), AIODB_EINVAL, "0000_zero.sql");
  snprintf(path, sizeof path, "%s/0000_zero.sql", m.dir);
  unlink(path);
  mg_write(&m, "2_again.sql", "SELECT 1");
  aiodb_test_fails(aiodb_migrate(db, m.dir, NULL), AIODB_EINVAL,
                   "0002_more.sql and 2_again.sql have one version, 2");
  snprintf(path, sizeof path, "%s/2_again.sql", m.dir);
  unlink(path);
  /* a file that cannot be read (a folder: root reads any file) */
  snprintf(path, sizeof path, "%s/0003_folder.sql", m.dir);
  ck_assert_int_eq(mkdir(path, 0700), 0);
  aiodb_test_fails(aiodb_migrate(db, m.dir, NULL), AIODB_EIO,
                   "cannot read 0003_folder.sql: not a regular file");
  rmdir(path);
  /* nothing ran meanwhile */
  ck_assert_int_eq(aiodb_test_has_table(db, m.t), 0);
  ck_assert_uint_eq(mg_rows(mg_run(db, &m, 0, 0, 0)), 2);
  /* after a close, at once */
  {
    aiodb_db *db2 = aiodb_test_open_with(m.url, NULL);
    aiodb_future_free(aiodb_test_ok(aiodb_close(db2)));
    aiodb_test_fails(aiodb_migrate(db2, m.dir, NULL), AIODB_EALREADYQUIT, NULL);
    aiodb_db_free(db2);
  }
  mg_done(&m, db);
}
END_TEST

#define MG_FILES 6

/* Two dbs (two pools, as two programs would have) migrate one database
 * at once: each file is applied once, by one of them. */
START_TEST(migrate_concurrent_runs_apply_once) {
  mg m;
  aiodb_db *db = mg_start(&m, "conc"), *db2 = aiodb_test_open_with(m.url, NULL);
  aiodb_future *f1, *f2;
  char name[64];
  int i;

  mg_write(&m, "0001_create.sql", "CREATE TABLE %s (id INTEGER PRIMARY KEY, v INTEGER)", m.t);
  for (i = 2; i <= MG_FILES; i++) {
    snprintf(name, sizeof name, "%04d_row.sql", i);
    mg_write(&m, name, "INSERT INTO %s VALUES (%d, 1);\nUPDATE %s SET v = v + 1 WHERE id = %d;",
             m.t, i, m.t, i);
  }
  for (i = 0; i < 3; i++) {
    /* a round: reset, then both at once */
    mg_cleanup(&m, db);
    f1 = aiodb_migrate(db, m.dir, NULL);
    f2 = aiodb_migrate(db2, m.dir, NULL);
    aiodb_test_ok(f1);
    aiodb_test_ok(f2);
    ck_assert_uint_eq(mg_rows(f1) + mg_rows(f2), MG_FILES);
    ck_assert_int_eq(mg_count(db, "aiodb_migrations"), MG_FILES);
    ck_assert_int_eq(mg_count(db, m.t), MG_FILES - 1);
  }
  {
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s WHERE v <> 2", m.t);
    ck_assert_int_eq(aiodb_test_scalar(db, sql), 0);
  }
  aiodb_db_free(db2);
  mg_done(&m, db);
}
END_TEST

Suite *aiodb_suite_migrate(void) {
  return AIODB_SUITE("migrate", migrate_apply_status_to_dry_run, migrate_changed_file_refused,
                     migrate_failing_file_names_it, migrate_bad_input,
                     migrate_concurrent_runs_apply_once);
}
