/* aiodb_migrate: numbered SQL files applied in order, on the driver that
 * AIODB_TEST_DRIVER names (sqlite, the default; postgresql; mysql), as
 * test_shared.c picks it. The version table's name is fixed, so every
 * case drops it (and its own tables) first and last; the server's lock
 * keeps the cases of other suites away meanwhile. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "migrate.h"

enum { MG_SQLITE, MG_PG, MG_MYSQL };

typedef struct mg {
  char url[700];
  char dir[512];
  char t[64]; /* this case's table */
  int engine;
} mg;

/* Writes dir/name: text with each "@T" the case's table. */
static void mg_write(const mg *m, const char *name, const char *text) {
  char path[700];
  FILE *fp;
  snprintf(path, sizeof path, "%s/%s", m->dir, name);
  fp = fopen(path, "w");
  ck_assert_ptr_nonnull(fp);
  for (; *text != '\0'; text++) {
    if (text[0] == '@' && text[1] == 'T') {
      fputs(m->t, fp);
      text++;
    } else {
      fputc(*text, fp);
    }
  }
  ck_assert_int_eq(fclose(fp), 0);
}

static void mg_unlink(const mg *m, const char *name) {
  char path[700];
  snprintf(path, sizeof path, "%s/%s", m->dir, name);
  ck_assert_int_eq(unlink(path), 0);
}

static void mg_cleanup(const mg *m, aiodb_db *db) {
  aiodb_test_exec(db, "DROP TABLE IF EXISTS aiodb_migrations");
  aiodb_test_execf(db, "DROP TABLE IF EXISTS %s", m->t);
  /* migrate_routine_bodies's */
  aiodb_test_execf(db, "DROP TABLE IF EXISTS %s_log", m->t);
  if (m->engine == MG_PG)
    aiodb_test_execf(db, "DROP FUNCTION IF EXISTS %s_tf(), %s_fn(integer)", m->t, m->t);
  if (m->engine == MG_MYSQL) aiodb_test_execf(db, "DROP PROCEDURE IF EXISTS %s_p", m->t);
}

/* opts: the db's URL options (NULL: none). */
static aiodb_db *mg_start(mg *m, const char *stem, const char *opts) {
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
    m->engine = strcmp(want, "mysql") == 0 ? MG_MYSQL : MG_PG;
  }
  snprintf(m->dir, sizeof m->dir, "%s", aiodb_test_path(".d"));
  ck_assert_int_eq(mkdir(m->dir, 0700), 0);
  snprintf(m->t, sizeof m->t, "mg_%s_%ld", stem, (long)getpid());
  db = aiodb_test_open_with(m->url, opts);
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

/* ---- a run and the rows it must give ---- */

enum { MG_APPLY, MG_DRY, MG_STATUS };

typedef struct mg_want {
  int64_t version;
  const char *name;
  const char *status;
} mg_want;

/* The rows a run must give, in order (MG_ROWS({1, "0001_a.sql", "applied"},
 * ...)), or none (MG_NO_ROWS). */
#define MG_ROWS(...) ((const mg_want[]){__VA_ARGS__, {0, NULL, NULL}})
#define MG_NO_ROWS ((const mg_want[]){{0, NULL, NULL}})

/* Runs a migration (mode, to_version), asserts it succeeded with exactly
 * the rows want, each with a checksum of 64 hex digits, and frees it. */
static void mg_expect_at(int line, aiodb_db *db, const mg *m, int mode, int64_t to,
                         const mg_want *want) {
  aiodb_migrate_options o;
  aiodb_future *f;
  aiodb_result *r;
  size_t i;
  memset(&o, 0, sizeof o);
  o.to_version = to;
  o.dry_run = mode == MG_DRY;
  o.status = mode == MG_STATUS;
  f = aiodb_test_ok(aiodb_migrate(db, m->dir, &o));
  r = aiodb_future_result(f);
  for (i = 0; want[i].name != NULL; i++) {
    ck_assert_msg(aiodb_result_rows(r) > i, "line %d: %zu rows, row %zu missing", line,
                  aiodb_result_rows(r), i);
    ck_assert_msg(aiodb_result_int(r, i, 0) == want[i].version &&
                      strcmp(aiodb_result_text(r, i, 1), want[i].name) == 0 &&
                      strcmp(aiodb_result_text(r, i, 2), want[i].status) == 0,
                  "line %d: row %zu is %lld %s %s, not %lld %s %s", line, i,
                  (long long)aiodb_result_int(r, i, 0), aiodb_result_text(r, i, 1),
                  aiodb_result_text(r, i, 2), (long long)want[i].version, want[i].name,
                  want[i].status);
    ck_assert_uint_eq(strlen(aiodb_result_text(r, i, 3)), 64);
  }
  ck_assert_msg(aiodb_result_rows(r) == i, "line %d: %zu rows, not %zu", line,
                aiodb_result_rows(r), i);
  aiodb_future_free(f);
}
#define mg_expect(db, m, mode, to, want) mg_expect_at(__LINE__, db, m, mode, to, want)

static int64_t mg_count(aiodb_db *db, const char *table) {
  char sql[200];
  snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s", table);
  return aiodb_test_scalar(db, sql);
}

/* Asserts that the case's table holds the row (id, body). */
static void mg_body_is(aiodb_db *db, const mg *m, int64_t id, const char *body) {
  aiodb_value args[2] = {aiodb_int(id), aiodb_text(body)};
  char sql[200];
  aiodb_future *f;
  snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s WHERE id = ? AND body = ?", m->t);
  f = aiodb_test_ok(aiodb_query(db, sql, args, 2));
  ck_assert_msg(aiodb_result_int(aiodb_future_result(f), 0, 0) == 1, "no row (%lld, '%s')",
                (long long)id, body);
  aiodb_future_free(f);
}

/* A run fails on a statement of a file: its message starts with where
 * (needle: "<file>, statement N (<start>"), then the server's own words;
 * it has no result. */
static void mg_fails_naming(aiodb_db *db, const mg *m, const char *needle) {
  aiodb_future *f = aiodb_migrate(db, m->dir, NULL);
  const char *msg;
  ck_assert_int_eq(aiodb_future_wait(f, -1), 0);
  ck_assert_int_ne(aiodb_future_error(f), 0);
  msg = aiodb_future_errmsg(f);
  ck_assert_msg(strstr(msg, needle) != NULL, "message: %s", msg);
  ck_assert_msg(strstr(msg, "): ") != NULL && strlen(strstr(msg, "): ")) > 10, "message: %s",
                msg);
  ck_assert_ptr_null(aiodb_future_result(f));
  aiodb_future_free(f);
}

#define MG_CREATE "CREATE TABLE @T (id INTEGER PRIMARY KEY, body VARCHAR(100))"

static void mg_two_files(const mg *m) {
  mg_write(m, "0001_create.sql",
           "-- the table; a comment with a semicolon\n" MG_CREATE ";\n"
           "/* block; comment */ INSERT INTO @T VALUES (1, 'a;b');\n");
  mg_write(m, "0002_more.sql", "INSERT INTO @T VALUES (2, 'it''s; two')");
  mg_write(m, "README.txt", "not a migration");
}

#define ROW1_PENDING {1, "0001_create.sql", "pending"}
#define ROW2_PENDING {2, "0002_more.sql", "pending"}
#define ROW1_APPLIED {1, "0001_create.sql", "applied"}
#define ROW2_APPLIED {2, "0002_more.sql", "applied"}

START_TEST(migrate_apply_status_to_dry_run) {
  mg m;
  aiodb_db *db = mg_start(&m, "apply", NULL);

  mg_two_files(&m);
  mg_expect(db, &m, MG_STATUS, 0, MG_ROWS(ROW1_PENDING, ROW2_PENDING));
  mg_expect(db, &m, MG_DRY, 0, MG_ROWS(ROW1_PENDING, ROW2_PENDING));
  /* neither created anything */
  ck_assert_int_eq(aiodb_test_has_table(db, "aiodb_migrations"), 0);
  ck_assert_int_eq(aiodb_test_has_table(db, m.t), 0);

  mg_expect(db, &m, MG_APPLY, 1, MG_ROWS(ROW1_APPLIED));
  ck_assert_int_eq(mg_count(db, m.t), 1);
  mg_expect(db, &m, MG_STATUS, 0, MG_ROWS(ROW1_APPLIED, ROW2_PENDING));
  mg_expect(db, &m, MG_DRY, 0, MG_ROWS(ROW2_PENDING));

  mg_expect(db, &m, MG_APPLY, 0, MG_ROWS(ROW2_APPLIED));
  mg_expect(db, &m, MG_APPLY, 0, MG_NO_ROWS); /* nothing left */
  ck_assert_int_eq(mg_count(db, m.t), 2);
  mg_body_is(db, &m, 1, "a;b");
  mg_body_is(db, &m, 2, "it's; two");
  ck_assert_int_eq(mg_count(db, "aiodb_migrations"), 2);
  ck_assert_int_eq(aiodb_test_scalar(db, "SELECT COUNT(*) FROM aiodb_migrations WHERE "
                                         "applied_at LIKE '20%' AND LENGTH(checksum) = 64"),
                   2);
  /* an applied file gone is reported, not refused; the missing first */
  mg_unlink(&m, "0002_more.sql");
  mg_expect(db, &m, MG_STATUS, 0, MG_ROWS({2, "0002_more.sql", "missing"}, ROW1_APPLIED));
  mg_done(&m, db);
}
END_TEST

START_TEST(migrate_changed_file_refused) {
  mg m;
  aiodb_db *db = mg_start(&m, "changed", NULL);

  mg_two_files(&m);
  mg_expect(db, &m, MG_APPLY, 1, MG_ROWS(ROW1_APPLIED));
  mg_write(&m, "0001_create.sql", "CREATE TABLE @T (id INTEGER PRIMARY KEY);\n");
  aiodb_test_fails(aiodb_migrate(db, m.dir, NULL), AIODB_EINVAL,
                   "0001_create.sql changed since it was applied");
  /* 0002 did not run */
  ck_assert_int_eq(mg_count(db, "aiodb_migrations"), 1);
  ck_assert_int_eq(mg_count(db, m.t), 1);
  mg_expect(db, &m, MG_STATUS, 0, MG_ROWS({1, "0001_create.sql", "changed"}, ROW2_PENDING));
  mg_done(&m, db);
}
END_TEST

START_TEST(migrate_failing_file_names_it) {
  mg m;
  aiodb_db *db = mg_start(&m, "fail", NULL);

  mg_two_files(&m);
  mg_write(&m, "0003_bad.sql",
           "INSERT INTO @T VALUES (3, 'c');\n"
           "INSERT INTO mg_no_such_table_here VALUES (1);\n"
           "INSERT INTO @T VALUES (4, 'd');\n");
  mg_write(&m, "0004_after.sql", "INSERT INTO @T VALUES (5, 'e')");
  mg_fails_naming(db, &m, "0003_bad.sql, statement 2 (INSERT INTO mg_no_such_table_here");
  /* 0001 and 0002 stay; 0003 is rolled back whole, 0004 never ran */
  ck_assert_int_eq(mg_count(db, "aiodb_migrations"), 2);
  ck_assert_int_eq(mg_count(db, m.t), 2);
  mg_expect(db, &m, MG_STATUS, 0,
            MG_ROWS(ROW1_APPLIED, ROW2_APPLIED, {3, "0003_bad.sql", "pending"},
                    {4, "0004_after.sql", "pending"}));
  mg_done(&m, db);
}
END_TEST

/* Calls refused before anything runs: dir "@" is the case's folder. */
static const struct {
  const char *dir;
  int64_t to_version;
  int code;
  const char *needle;
} bad_calls[] = {
    {NULL, 0, AIODB_EINVAL, "dir is NULL"},
    {"", 0, AIODB_EINVAL, "dir is empty"},
    {"@", -1, AIODB_EINVAL, "to_version -1"},
    {"/no/such/dir/here", 0, AIODB_EIO, "cannot open directory /no/such/dir/here"},
};

/* A file beside mg_two_files' that fails the call before anything runs
 * (folder: a folder of that name, as root reads any file). */
static const struct {
  const char *name;
  int folder;
  int code;
  const char *needle;
} bad_files[] = {
    {"create_more.sql", 0, AIODB_EINVAL, "malformed migration file name create_more.sql"},
    {"0000_zero.sql", 0, AIODB_EINVAL, "0000_zero.sql"},
    {"2_again.sql", 0, AIODB_EINVAL, "0002_more.sql and 2_again.sql have one version, 2"},
    {"0003_folder.sql", 1, AIODB_EIO, "cannot read 0003_folder.sql: not a regular file"},
};

START_TEST(migrate_bad_input) {
  mg m;
  aiodb_db *db = mg_start(&m, "bad", NULL);
  aiodb_migrate_options o;
  char path[700];
  size_t i;

  ck_assert_ptr_null(aiodb_migrate(NULL, m.dir, NULL));
  for (i = 0; i < sizeof bad_calls / sizeof bad_calls[0]; i++) {
    const char *dir = bad_calls[i].dir;
    memset(&o, 0, sizeof o);
    o.to_version = bad_calls[i].to_version;
    aiodb_test_fails(aiodb_migrate(db, dir && strcmp(dir, "@") == 0 ? m.dir : dir, &o),
                     bad_calls[i].code, bad_calls[i].needle);
  }

  mg_two_files(&m);
  for (i = 0; i < sizeof bad_files / sizeof bad_files[0]; i++) {
    snprintf(path, sizeof path, "%s/%s", m.dir, bad_files[i].name);
    if (bad_files[i].folder)
      ck_assert_int_eq(mkdir(path, 0700), 0);
    else
      mg_write(&m, bad_files[i].name, "SELECT 1");
    aiodb_test_fails(aiodb_migrate(db, m.dir, NULL), bad_files[i].code, bad_files[i].needle);
    ck_assert_int_eq(bad_files[i].folder ? rmdir(path) : unlink(path), 0);
  }
  /* nothing ran meanwhile */
  ck_assert_int_eq(aiodb_test_has_table(db, m.t), 0);
  mg_expect(db, &m, MG_APPLY, 0, MG_ROWS(ROW1_APPLIED, ROW2_APPLIED));
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

/* ---- statements split by each engine's quoting rules ---- */

typedef struct mg_body {
  int64_t id;
  const char *body;
} mg_body;

/* Per engine: a file whose ';' inside literals and comments must not end
 * a statement, and the rows it leaves; a file whose statement nth fails,
 * counted by the same rules. */
static const struct {
  const char *sql;
  mg_body rows[8];
  const char *bad;
  const char *nth;
} quoting[] = {
    [MG_SQLITE] = {"INSERT INTO @T VALUES (3, 'a\\'); INSERT INTO @T VALUES (4, 'b');\n"
                   "INSERT INTO @T SELECT 5 AS [x;y], 'c;d'; -- e; f\n"
                   "/* g; h */ INSERT INTO @T SELECT 6 AS \"p;q\", 'x' || ';';\n",
                   {{3, "a\\"}, {4, "b"}, {5, "c;d"}, {6, "x;"}},
                   "SELECT [a;b] FROM (SELECT 1 AS [a;b]); SELECT 'a\\';\nSELECT * FROM mg_nope",
                   "statement 3 (SELECT * FROM mg_nope"},
    /* E'..' takes backslash escapes, a plain '..' none (standard strings);
     * block comments nest; $$ bodies */
    [MG_PG] = {"INSERT INTO @T VALUES (3, E'it\\'s; here');\n"
               "INSERT INTO @T VALUES (4, E'\\';\\'');\n"
               "INSERT INTO @T VALUES (5, 'back\\'); INSERT INTO @T VALUES (6, e'\\\\;');\n"
               "/* a /* nested; */ comment; */ INSERT INTO @T VALUES (7, $$x;y$$);\n"
               "INSERT INTO @T VALUES (8, $q$ 'it; $$ $q$)",
               {{3, "it's; here"}, {4, "';'"}, {5, "back\\"}, {6, "\\;"}, {7, "x;y"},
                {8, " 'it; $$ "}},
               "SELECT E'\\';'; SELECT 'a\\'; SELECT * FROM mg_nope",
               "statement 3 (SELECT * FROM mg_nope"},
    /* backslash escapes in '..' and "..", '#' comments, "--" a comment only
     * before a blank ("6--1" is 7) */
    [MG_MYSQL] = {"INSERT INTO @T VALUES (3, 'it\\'s; here');\n"
                  "INSERT INTO @T VALUES (4, \"a\\\";b\"); # a comment; with a ';\n"
                  "INSERT INTO @T VALUES (6--1, 'seven'); INSERT INTO @T VALUES (8, '\\\\');\n"
                  "-- c; d\n"
                  "INSERT INTO @T VALUES (9, 'x;y')",
                  {{3, "it's; here"}, {4, "a\";b"}, {7, "seven"}, {8, "\\"}, {9, "x;y"}},
                  "SELECT 6--1; SELECT 'a\\';'; SELECT * FROM mg_nope",
                  "statement 3 (SELECT * FROM mg_nope"},
};

START_TEST(migrate_engine_quoting) {
  mg m;
  aiodb_db *db = mg_start(&m, "quoting", NULL);
  const mg_body *rows = quoting[m.engine].rows;
  int n;

  mg_two_files(&m);
  mg_write(&m, "0003_quoting.sql", quoting[m.engine].sql);
  mg_expect(db, &m, MG_APPLY, 0,
            MG_ROWS(ROW1_APPLIED, ROW2_APPLIED, {3, "0003_quoting.sql", "applied"}));
  for (n = 0; rows[n].body != NULL; n++) mg_body_is(db, &m, rows[n].id, rows[n].body);
  ck_assert_int_eq(mg_count(db, m.t), 2 + n);
  mg_write(&m, "0004_bad.sql", quoting[m.engine].bad);
  mg_fails_naming(db, &m, quoting[m.engine].nth);
  mg_expect(db, &m, MG_STATUS, 0,
            MG_ROWS(ROW1_APPLIED, ROW2_APPLIED, {3, "0003_quoting.sql", "applied"},
                    {4, "0004_bad.sql", "pending"}));
  mg_done(&m, db);
}
END_TEST

/* Per engine: a file whose triggers and routines hold ';' inside their
 * BEGIN ... END bodies, leaving (10, 'a;b;') in the case's table and
 * (12, 'big;') in its log; a file whose statement 2 fails after one. */
static const struct {
  const char *sql, *bad;
} routines[] = {
    [MG_SQLITE] = {"CREATE TABLE @T_log (id INTEGER PRIMARY KEY, body VARCHAR(100));\n"
                   "CREATE TRIGGER @T_trg AFTER INSERT ON @T BEGIN\n"
                   "  INSERT INTO @T_log VALUES (NEW.id + 2, 'big;');\n"
                   "  UPDATE @T SET body = CASE WHEN body = 'a;b' THEN body || ';' ELSE body END\n"
                   "    WHERE id = NEW.id;\n"
                   "END;\n"
                   "INSERT INTO @T VALUES (10, 'a;b');\n",
                   "CREATE TRIGGER @T_trg2 AFTER DELETE ON @T BEGIN\n"
                   "  DELETE FROM @T_log; SELECT 1;\n"
                   "END; SELECT * FROM mg_nope"},
    /* an SQL-standard body (BEGIN ATOMIC) and a $$ one */
    [MG_PG] = {"CREATE TABLE @T_log (id INTEGER PRIMARY KEY, body VARCHAR(100));\n"
               "CREATE FUNCTION @T_fn(n integer) RETURNS integer LANGUAGE sql\n"
               "BEGIN ATOMIC\n"
               "  SELECT 1;\n"
               "  SELECT CASE WHEN n > 5 THEN n + 2 ELSE n END;\n"
               "END;\n"
               "CREATE FUNCTION @T_tf() RETURNS trigger LANGUAGE plpgsql AS $$\n"
               "BEGIN\n"
               "  INSERT INTO @T_log VALUES (@T_fn(NEW.id), 'big;');\n"
               "  NEW.body := NEW.body || ';';\n"
               "  RETURN NEW;\n"
               "END $$;\n"
               "CREATE TRIGGER @T_trg BEFORE INSERT ON @T FOR EACH ROW\n"
               "  WHEN (NEW.id = 10) EXECUTE FUNCTION @T_tf();\n"
               "INSERT INTO @T VALUES (10, 'a;b');\n",
               "CREATE FUNCTION @T_fn2() RETURNS integer LANGUAGE sql\n"
               "BEGIN ATOMIC SELECT 1; SELECT 2; END; SELECT * FROM mg_nope"},
    /* compound statements: END IF, END WHILE and END CASE close no BEGIN */
    [MG_MYSQL] = {"CREATE TABLE @T_log (id INTEGER PRIMARY KEY, body VARCHAR(100));\n"
                  "CREATE TRIGGER @T_trg BEFORE INSERT ON @T FOR EACH ROW\n"
                  "BEGIN\n"
                  "  DECLARE n INT DEFAULT 0;\n"
                  "  IF NEW.body = 'a;b' THEN\n"
                  "    SET NEW.body = CONCAT(NEW.body, ';');\n"
                  "  END IF;\n"
                  "  WHILE n < 2 DO SET n = n + 1; END WHILE;\n"
                  "  CASE WHEN NEW.id > 5 THEN INSERT INTO @T_log VALUES (NEW.id + n, 'big;');\n"
                  "  ELSE INSERT INTO @T_log VALUES (NEW.id, 'small'); END CASE;\n"
                  "END;\n"
                  "INSERT INTO @T VALUES (10, 'a;b');\n",
                  "CREATE PROCEDURE @T_p() BEGIN SELECT 1; SELECT 2; END; SELECT * FROM mg_nope"},
};

START_TEST(migrate_routine_bodies) {
  mg m;
  aiodb_db *db = mg_start(&m, "routines", NULL);
  char log[160];

  mg_two_files(&m);
  mg_write(&m, "0003_routines.sql", routines[m.engine].sql);
  mg_expect(db, &m, MG_APPLY, 0,
            MG_ROWS(ROW1_APPLIED, ROW2_APPLIED, {3, "0003_routines.sql", "applied"}));
  mg_body_is(db, &m, 10, "a;b;");
  ck_assert_int_eq(mg_count(db, m.t), 3);
  snprintf(log, sizeof log, "%s_log", m.t);
  ck_assert_int_eq(mg_count(db, log), 1);
  snprintf(log, sizeof log, "SELECT COUNT(*) FROM %s_log WHERE id = 12 AND body = 'big;'", m.t);
  ck_assert_int_eq(aiodb_test_scalar(db, log), 1);
  mg_write(&m, "0004_bad.sql", routines[m.engine].bad);
  mg_fails_naming(db, &m, "0004_bad.sql, statement 2 (SELECT * FROM mg_nope");
  mg_done(&m, db);
}
END_TEST

/* ---- the lock ---- */

/* Per server: the migration lock, taken and let go by another connection
 * (lib/migrate.c's names). */
static const struct {
  const char *take, *drop;
} locks[] = {
    [MG_PG] = {"SELECT pg_advisory_lock(7310915627133440563)",
               "SELECT pg_advisory_unlock(7310915627133440563)"},
    [MG_MYSQL] = {"SELECT GET_LOCK('aiodb_migrations', 0)",
                  "SELECT RELEASE_LOCK('aiodb_migrations')"},
};

/* A run that finds the lock held past its wait (1 s here, 60 s outside
 * tests) fails with AIODB_EBUSY and applies nothing; the caller's thread
 * never waits. PostgreSQL and MariaDB; SQLite's wait is busy_timeout's. */
START_TEST(migrate_lock_held_is_busy) {
  mg m;
  aiodb_db *db = mg_start(&m, "busy", "max_size=1"), *holder;
  aiodb_future *acq, *f;
  aiodb_conn *conn;
  double t0, took;

  if (m.engine == MG_SQLITE) {
    mg_done(&m, db);
    return;
  }
  mg_two_files(&m);
  holder = aiodb_test_open_with(m.url, NULL);
  acq = aiodb_test_ok(aiodb_acquire(holder));
  conn = aiodb_future_conn(acq);
  f = aiodb_test_ok(aiodb_conn_query(conn, locks[m.engine].take, NULL, 0));
  ck_assert(m.engine != MG_MYSQL || aiodb_result_int(aiodb_future_result(f), 0, 0) == 1);
  aiodb_future_free(f);

  aiodb__migrate_lock_wait_s = 1;
  t0 = aiodb_test_now_ms();
  f = aiodb_migrate(db, m.dir, NULL);
  ck_assert_ptr_nonnull(f);
  ck_assert(!aiodb_future_done(f));
  ck_assert_msg(aiodb_test_now_ms() - t0 < 500, "aiodb_migrate blocked the caller");
  aiodb_test_fails(f, AIODB_EBUSY, "another migration held the lock for 1 s");
  took = aiodb_test_now_ms() - t0;
  ck_assert_msg(took >= 900 && took < 10000, "gave up after %.0f ms", took);
  /* nothing applied, nothing made */
  ck_assert_int_eq(aiodb_test_has_table(db, m.t), 0);
  ck_assert_int_eq(aiodb_test_has_table(db, "aiodb_migrations"), 0);
  /* the session's lock_timeout is its own again */
  if (m.engine == MG_PG)
    ck_assert_int_eq(aiodb_test_scalar(db, "SELECT COUNT(*) FROM pg_settings WHERE "
                                           "name = 'lock_timeout' AND setting = '0'"),
                     1);

  /* let go: the next run applies both */
  aiodb_future_free(aiodb_test_ok(aiodb_conn_query(conn, locks[m.engine].drop, NULL, 0)));
  mg_expect(db, &m, MG_APPLY, 0, MG_ROWS(ROW1_APPLIED, ROW2_APPLIED));
  /* and gave its own lock back: the holder takes it at once */
  f = aiodb_test_ok(aiodb_conn_query(conn, locks[m.engine].take, NULL, 0));
  ck_assert(m.engine != MG_MYSQL || aiodb_result_int(aiodb_future_result(f), 0, 0) == 1);
  aiodb_future_free(f);
  aiodb_future_free(aiodb_test_ok(aiodb_conn_query(conn, locks[m.engine].drop, NULL, 0)));
  aiodb_release(conn);
  aiodb_future_free(acq);
  aiodb_db_free(holder);
  mg_done(&m, db);
}
END_TEST

#define MG_FILES 6

/* Two dbs (two pools, as two programs would have) migrate one database
 * at once: each file is applied once, by one of them. */
START_TEST(migrate_concurrent_runs_apply_once) {
  mg m;
  aiodb_db *db = mg_start(&m, "conc", NULL), *db2 = aiodb_test_open_with(m.url, NULL);
  aiodb_future *f[2];
  char name[64];
  int i, k;
  size_t applied;

  mg_write(&m, "0001_create.sql", "CREATE TABLE @T (id INTEGER PRIMARY KEY, v INTEGER)");
  for (i = 2; i <= MG_FILES; i++) {
    char sql[200];
    snprintf(name, sizeof name, "%04d_row.sql", i);
    snprintf(sql, sizeof sql,
             "INSERT INTO @T VALUES (%d, 1);\nUPDATE @T SET v = v + 1 WHERE id = %d;", i, i);
    mg_write(&m, name, sql);
  }
  for (i = 0; i < 3; i++) {
    /* a round: reset, then both at once */
    mg_cleanup(&m, db);
    f[0] = aiodb_migrate(db, m.dir, NULL);
    f[1] = aiodb_migrate(db2, m.dir, NULL);
    for (applied = 0, k = 0; k < 2; k++) {
      applied += aiodb_result_rows(aiodb_future_result(aiodb_test_ok(f[k])));
      aiodb_future_free(f[k]);
    }
    ck_assert_uint_eq(applied, MG_FILES);
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
                     migrate_failing_file_names_it, migrate_bad_input, migrate_engine_quoting,
                     migrate_routine_bodies,
                     migrate_lock_held_is_busy, migrate_concurrent_runs_apply_once);
}
