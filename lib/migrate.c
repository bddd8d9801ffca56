/* aiodb_migrate: a directory of numbered SQL files applied in order, each
 * recorded in the table aiodb_migrations, under a lock that keeps two
 * runs from applying one file twice. The whole call is one job of its own
 * kind: the worker reads the files and runs every statement on its
 * connection, so the caller's thread never blocks. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "aiodb.h"
#include "alloc.h"
#include "conn.h"
#include "db.h"
#include "driver.h"
#include "future.h"
#include "job.h"
#include "migrate.h"
#include "params.h"

#define MIG_TABLE "aiodb_migrations"
#define MIG_PG_KEY "7310915627133440563" /* pg_advisory_lock's key */
#define MIG_MAX_FILE (64u << 20)

/* ---- SHA-256 (FIPS 180-4) ---- */

static const uint32_t sha_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha_block(uint32_t h[8], const unsigned char *p) {
  uint32_t w[64], a, b, c, d, e, f, g, k, t1, t2;
  int i;
  for (i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
           (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
  for (i = 16; i < 64; i++) {
    uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
  for (i = 0; i < 64; i++) {
    t1 = k + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + sha_k[i] + w[i];
    t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    k = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
  }
  h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

static void sha256_hex(const unsigned char *p, size_t n, char out[65]) {
  uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  unsigned char tail[128];
  size_t i, rest = n % 64, tn = rest < 56 ? 64 : 128;
  uint64_t bits = (uint64_t)n * 8;
  for (i = 0; i + 64 <= n; i += 64) sha_block(h, p + i);
  memset(tail, 0, sizeof tail);
  if (rest > 0) memcpy(tail, p + i, rest);
  tail[rest] = 0x80;
  for (i = 0; i < 8; i++) tail[tn - 1 - i] = (unsigned char)(bits >> (8 * i));
  sha_block(h, tail);
  if (tn == 128) sha_block(h, tail + 64);
  for (i = 0; i < 8; i++) snprintf(out + 8 * i, 9, "%08" PRIx32, h[i]);
}

/* ---- the files ---- */

typedef struct mig_file {
  int64_t version;
  char *name;
  char *sql;
  size_t len;
  char sum[65];
  int applied;       /* found in the table */
  int changed;       /* found with another name or checksum */
} mig_file;

typedef struct mig_job {
  const char *dir;
  aiodb_migrate_options opts;
  mig_file *files;
  size_t nfiles;
} mig_job;

static void job_free_files(mig_job *j) {
  size_t i;
  for (i = 0; i < j->nfiles; i++) {
    aiodb__free(j->files[i].name);
    aiodb__free(j->files[i].sql);
  }
  aiodb__free(j->files);
}

/* VERSION_NAME.sql: the version, or -1 when name is malformed; 0 when it
 * is not a .sql file at all. */
static int64_t parse_name(const char *name) {
  size_t n = strlen(name), i = 0;
  int64_t v = 0;
  if (n < 4 || strcmp(name + n - 4, ".sql") != 0) return 0;
  while (name[i] >= '0' && name[i] <= '9') {
    if (v > (INT64_MAX - 9) / 10) return -1;
    v = v * 10 + (name[i] - '0');
    i++;
  }
  if (i == 0 || v == 0 || name[i] != '_' || i + 1 >= n - 4) return -1;
  return v;
}

static int by_version(const void *a, const void *b) {
  const mig_file *x = a, *y = b;
  return x->version < y->version ? -1 : x->version > y->version;
}

static int read_file(mig_file *mf, const char *dir, aiodb__err *e) {
  size_t plen = strlen(dir) + strlen(mf->name) + 2, got = 0;
  char *path = aiodb__malloc(plen);
  FILE *fp;
  struct stat st;
  int rc = 0;
  if (path == NULL) return aiodb__err_set(e, AIODB_ENOMEM, "aiodb_migrate: out of memory");
  snprintf(path, plen, "%s/%s", dir, mf->name);
  fp = fopen(path, "rb");
  if (fp == NULL || fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
    rc = aiodb__err_set(e, AIODB_EIO, "aiodb_migrate: cannot read %s: %s", mf->name,
                        fp == NULL ? strerror(errno) : "not a regular file");
    goto out;
  }
  if ((uint64_t)st.st_size > MIG_MAX_FILE) {
    rc = aiodb__err_set(e, AIODB_EIO, "aiodb_migrate: %s is larger than 64 MiB", mf->name);
    goto out;
  }
  mf->sql = aiodb__malloc((size_t)st.st_size + 1);
  if (mf->sql == NULL) {
    rc = aiodb__err_set(e, AIODB_ENOMEM, "aiodb_migrate: out of memory for %s", mf->name);
    goto out;
  }
  got = fread(mf->sql, 1, (size_t)st.st_size, fp);
  if (ferror(fp)) {
    rc = aiodb__err_set(e, AIODB_EIO, "aiodb_migrate: cannot read %s: %s", mf->name,
                        strerror(errno));
    goto out;
  }
  mf->sql[got] = '\0';
  mf->len = got;
  sha256_hex((const unsigned char *)mf->sql, got, mf->sum);
out:
  if (fp != NULL) fclose(fp);
  aiodb__free(path);
  return rc;
}

static int load_dir(mig_job *j, aiodb__err *e) {
  DIR *d = opendir(j->dir);
  struct dirent *de;
  size_t cap = 0, i;
  int rc = 0;
  if (d == NULL)
    return aiodb__err_set(e, AIODB_EIO, "aiodb_migrate: cannot open directory %s: %s", j->dir,
                          strerror(errno));
  while ((de = readdir(d)) != NULL) {
    int64_t v = parse_name(de->d_name);
    if (v == 0) continue;
    if (v < 0) {
      rc = aiodb__err_set(e, AIODB_EINVAL,
                          "aiodb_migrate: malformed migration file name %s (want VERSION_NAME.sql, "
                          "VERSION a number from 1)", de->d_name);
      break;
    }
    if (j->nfiles == cap) {
      size_t ncap = cap ? cap * 2 : 16;
      mig_file *nf = aiodb__realloc(j->files, ncap * sizeof *nf);
      if (nf == NULL) {
        rc = aiodb__err_set(e, AIODB_ENOMEM, "aiodb_migrate: out of memory");
        break;
      }
      j->files = nf, cap = ncap;
    }
    memset(&j->files[j->nfiles], 0, sizeof *j->files);
    j->files[j->nfiles].version = v;
    j->files[j->nfiles].name = aiodb__strdup(de->d_name);
    if (j->files[j->nfiles++].name == NULL) {
      rc = aiodb__err_set(e, AIODB_ENOMEM, "aiodb_migrate: out of memory");
      break;
    }
  }
  closedir(d);
  if (rc != 0) return rc;
  if (j->nfiles > 0) qsort(j->files, j->nfiles, sizeof *j->files, by_version);
  for (i = 1; i < j->nfiles; i++)
    if (j->files[i].version == j->files[i - 1].version)
      return aiodb__err_set(e, AIODB_EINVAL, "aiodb_migrate: %s and %s have one version, %" PRId64,
                            j->files[i - 1].name, j->files[i].name, j->files[i].version);
  for (i = 0; i < j->nfiles && rc == 0; i++) rc = read_file(&j->files[i], j->dir, e);
  return rc;
}

/* ---- statements ---- */

/* Runs sql (portable '?' placeholders) with args on conn. res may be NULL. */
static int run_sql(aiodb_conn *conn, const char *sql, const aiodb_value *args, size_t nargs,
                   int raw, aiodb_result *res, aiodb__err *e) {
  const aiodb__driver *drv = conn->db->driver;
  aiodb_result *own = NULL;
  aiodb__sqlplan plan;
  aiodb__stmt st;
  char *out = NULL, ebuf[128];
  uint32_t slots[8];
  aiodb_value bound[8];
  size_t len = strlen(sql), i;
  int rc;

  memset(&st, 0, sizeof st);
  st.nrows = 1;
  if (raw) {
    st.sql = sql, st.sql_len = len;
  } else {
    if (aiodb__sql_rewrite(sql, len, drv->dialect, drv->pstyle, NULL, NULL, &plan, ebuf,
                           sizeof ebuf) != 0 || plan.nslots > 8 || plan.nargs != nargs)
      return aiodb__err_set(e, AIODB_EINVAL, "aiodb_migrate: internal statement refused");
    out = aiodb__malloc(plan.out_len + 1);
    if (out == NULL) return aiodb__err_set(e, AIODB_ENOMEM, "aiodb_migrate: out of memory");
    aiodb__sql_rewrite(sql, len, drv->dialect, drv->pstyle, out, slots, &plan, ebuf, sizeof ebuf);
    for (i = 0; i < plan.nslots; i++) bound[i] = args[slots[i]];
    st.sql = out, st.sql_len = plan.out_len, st.args = bound, st.nargs = plan.nslots;
  }
  if (res == NULL) {
    own = res = aiodb__result_new();
    if (res == NULL) {
      aiodb__free(out);
      return aiodb__err_set(e, AIODB_ENOMEM, "aiodb_migrate: out of memory");
    }
  }
  rc = drv->exec(conn->native, &st, res, e);
  aiodb_result_free(own);
  aiodb__free(out);
  return rc;
}

/* The library's own statement (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, the
 * lock): it needs no memory of aiodb's, so that a file's transaction and
 * the lock always end, also after an allocation failed. Its rows, if any,
 * land in conn->scratch. e is cleared first. */
static int own(aiodb_conn *conn, const char *sql, aiodb__err *e) {
  return aiodb__conn_exec_own(conn, sql, e);
}

/* e's message, prefixed: "<file>, statement N (<start>...): <message>". */
static void name_failure(aiodb__err *e, const mig_file *mf, size_t nth, const char *s,
                         size_t len) {
  char head[72], msg[sizeof e->message];
  size_t i, k = 0;
  for (i = 0; i < len && k < 48; i++) head[k++] = (s[i] == '\n' || s[i] == '\t' || s[i] == '\r')
                                                      ? ' ' : s[i];
  head[k] = '\0';
  memcpy(msg, e->message, sizeof msg);
  snprintf(e->message, sizeof e->message, "%s, statement %zu (%s%s): %.160s", mf->name, nth, head,
           i < len ? "..." : "", msg);
}

static int is_sqlite(const aiodb_conn *conn) {
  return conn->db->driver->dialect == AIODB__DIALECT_SQLITE;
}
static int is_mysql(const aiodb_conn *conn) {
  return conn->db->driver->dialect == AIODB__DIALECT_MYSQL;
}

/* Applies one file: its statements, then its row. 0, or e set and the
 * file's transaction (or savepoint) rolled back. */
static int apply_file(aiodb_conn *conn, mig_file *mf, aiodb__err *e) {
  aiodb__dialect dialect = (aiodb__dialect)conn->db->driver->dialect;
  int rc = 0;
  size_t i = 0, nth = 0;
  aiodb__err ignored;
  char when[32];
  time_t now = time(NULL);
  struct tm tm;
  aiodb_value row[4];

  rc = own(conn, is_sqlite(conn) ? "SAVEPOINT aiodb_migration" : "BEGIN", e);
  if (rc != 0) return rc;
  while (rc == 0 && i < mf->len) {
    size_t end = i + aiodb__sql_stmt_end(mf->sql + i, mf->len - i, dialect);
    size_t start = i + aiodb__sql_skip_blanks(mf->sql + i, end - i, dialect);
    char save;
    /* only blanks and comments up to the ';': no statement to run */
    if (start < end) {
      nth++;
      save = mf->sql[end];
      mf->sql[end] = '\0';
      rc = run_sql(conn, mf->sql + start, NULL, 0, 1, NULL, e);
      mf->sql[end] = save;
      if (rc != 0) name_failure(e, mf, nth, mf->sql + start, end - start);
    }
    i = end + 1;
  }
  if (rc == 0) {
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    row[0] = aiodb_int(mf->version);
    row[1] = aiodb_text(mf->name);
    row[2] = aiodb_text(mf->sum);
    row[3] = aiodb_text(when);
    rc = run_sql(conn, "INSERT INTO " MIG_TABLE " (version, name, checksum, applied_at) "
                       "VALUES (?, ?, ?, ?)", row, 4, 0, NULL, e);
    if (rc != 0) name_failure(e, mf, nth + 1, "INSERT INTO " MIG_TABLE, 27);
  }
  if (is_sqlite(conn)) {
    if (rc != 0) own(conn, "ROLLBACK TO aiodb_migration", &ignored);
    if (own(conn, "RELEASE aiodb_migration", rc ? &ignored : e) != 0 && rc == 0) rc = e->code;
  } else if (rc != 0) {
    own(conn, "ROLLBACK", &ignored);
  } else {
    rc = own(conn, "COMMIT", e);
  }
  return rc;
}

int aiodb__migrate_lock_wait_s = 60;

/* Lets the server's lock go (PostgreSQL, MariaDB): also after a take that
 * failed, whose lock may be held though its answer was lost; a lock not
 * held is no error. */
static void lock_release(aiodb_conn *conn) {
  aiodb__err ignored;
  own(conn, is_mysql(conn) ? "SELECT RELEASE_LOCK('" MIG_TABLE "')"
                           : "SELECT pg_advisory_unlock(" MIG_PG_KEY ")", &ignored);
}

/* SQLite: BEGIN IMMEDIATE, waiting as busy_timeout says. MariaDB: GET_LOCK
 * for up to the wait (0 when it timed out). PostgreSQL: pg_advisory_lock in
 * a transaction whose lock_timeout is the wait (SET LOCAL: the session's
 * own setting comes back at its end; the lock, a session's, stays). The
 * wait runs on the worker, as any statement does. */
static int lock_take(aiodb_conn *conn, aiodb__err *e) {
  int wait_s = aiodb__migrate_lock_wait_s, rc;
  aiodb__err ignored;
  char sql[96];

  if (is_sqlite(conn)) return own(conn, "BEGIN IMMEDIATE", e);
  if (is_mysql(conn)) {
    snprintf(sql, sizeof sql, "SELECT GET_LOCK('" MIG_TABLE "', %d)", wait_s);
    rc = own(conn, sql, e);
    if (rc == 0 && (aiodb_result_rows(conn->scratch) != 1 ||
                    aiodb_result_int(conn->scratch, 0, 0) != 1))
      rc = AIODB_EBUSY;
  } else {
    snprintf(sql, sizeof sql, "SET LOCAL lock_timeout = %d", wait_s * 1000);
    rc = own(conn, "BEGIN", e);
    if (rc == 0 && (rc = own(conn, sql, e)) == 0 &&
        (rc = own(conn, "SELECT pg_advisory_lock(" MIG_PG_KEY ")", e)) == 0)
      rc = own(conn, "COMMIT", e);
    if (rc != 0) {
      own(conn, "ROLLBACK", &ignored);
      if (strcmp(e->sqlstate, "55P03") == 0) rc = AIODB_EBUSY; /* lock_not_available */
    }
  }
  if (rc == AIODB_EBUSY)
    return aiodb__err_set(e, AIODB_EBUSY,
                          "aiodb_migrate: another migration held the lock for %d s (%s); "
                          "nothing was applied", wait_s,
                          is_mysql(conn) ? "GET_LOCK('" MIG_TABLE "')"
                                         : "pg_advisory_lock(" MIG_PG_KEY ")");
  if (rc != 0) lock_release(conn);
  return rc;
}

/* SQLite: commits the files applied (a failed file's savepoint is already
 * rolled back); a COMMIT that fails fails the call when nothing else did. */
static int lock_drop(aiodb_conn *conn, int rc, aiodb__err *e) {
  aiodb__err ignored;
  if (is_sqlite(conn)) {
    if (own(conn, "COMMIT", rc == 0 ? e : &ignored) != 0) {
      own(conn, "ROLLBACK", &ignored);
      if (rc == 0) rc = e->code;
    }
    return rc;
  }
  lock_release(conn);
  return rc;
}

static mig_file *find(mig_job *j, int64_t v) {
  size_t i;
  for (i = 0; i < j->nfiles; i++)
    if (j->files[i].version == v) return &j->files[i];
  return NULL;
}

static int add_row(aiodb_result *r, int64_t v, const char *name, const char *status,
                   const char *sum) {
  if (aiodb__result_add_int(r, v) != 0 || aiodb__result_add_text(r, name, strlen(name)) != 0 ||
      aiodb__result_add_text(r, status, strlen(status)) != 0 ||
      aiodb__result_add_text(r, sum, strlen(sum)) != 0)
    return AIODB_ENOMEM;
  return 0;
}

/* Reads the version table into j's files; rows of versions with no file
 * go to out as "missing" when status is asked. */
static int read_applied(aiodb_conn *conn, mig_job *j, aiodb_result *out, aiodb__err *e) {
  aiodb_result *r = aiodb__result_new();
  aiodb_value v = aiodb_text(MIG_TABLE);
  size_t i;
  int rc;
  if (r == NULL) return aiodb__err_set(e, AIODB_ENOMEM, "aiodb_migrate: out of memory");
  rc = run_sql(conn, conn->db->driver->sql_has_table, &v, 1, 0, r, e);
  if (rc != 0 || aiodb_result_rows(r) != 1 || aiodb_result_int(r, 0, 0) == 0) goto out;
  rc = run_sql(conn, "SELECT version, name, checksum FROM " MIG_TABLE " ORDER BY version", NULL,
               0, 1, r, e);
  for (i = 0; rc == 0 && i < aiodb_result_rows(r); i++) {
    int64_t ver = aiodb_result_int(r, i, 0);
    const char *name = aiodb_result_text(r, i, 1), *sum = aiodb_result_text(r, i, 2);
    mig_file *mf = find(j, ver);
    if (name == NULL) name = "";
    if (sum == NULL) sum = "";
    if (mf == NULL) {
      if (j->opts.status && add_row(out, ver, name, "missing", sum) != 0)
        rc = aiodb__err_set(e, AIODB_ENOMEM, "aiodb_migrate: out of memory");
      continue;
    }
    mf->applied = 1;
    mf->changed = strcmp(mf->name, name) != 0 || strcmp(mf->sum, sum) != 0;
  }
out:
  aiodb_result_free(r);
  return rc;
}

static const char *const mig_cols[] = {"version", "name", "status", "checksum"};

static const char *col_name(const void *src, size_t col, size_t *len) {
  (void)src;
  *len = strlen(mig_cols[col]);
  return mig_cols[col];
}

static int migrate(aiodb_conn *conn, mig_job *j, aiodb_result *out, aiodb__err *e) {
  int locked = 0, rc, readonly = j->opts.dry_run || j->opts.status;
  size_t i;

  if ((rc = aiodb__result_columns(out, 4, col_name, NULL, e)) != 0) return rc;
  if ((rc = load_dir(j, e)) != 0) return rc;
  if (!readonly) {
    if ((rc = lock_take(conn, e)) != 0) return rc;
    locked = 1;
    rc = run_sql(conn, "CREATE TABLE IF NOT EXISTS " MIG_TABLE " (version BIGINT PRIMARY KEY, "
                       "name VARCHAR(255) NOT NULL, checksum VARCHAR(64) NOT NULL, "
                       "applied_at VARCHAR(32) NOT NULL)", NULL, 0, 1, NULL, e);
  }
  if (rc == 0) rc = read_applied(conn, j, out, e);
  for (i = 0; rc == 0 && !j->opts.status && i < j->nfiles; i++)
    if (j->files[i].changed)
      rc = aiodb__err_set(e, AIODB_EINVAL,
                          "aiodb_migrate: %s changed since it was applied (version %" PRId64
                          "): refusing to go on", j->files[i].name, j->files[i].version);
  for (i = 0; rc == 0 && i < j->nfiles; i++) {
    mig_file *mf = &j->files[i];
    const char *status = NULL;
    if (j->opts.status)
      status = mf->changed ? "changed" : mf->applied ? "applied" : "pending";
    else if (!mf->applied && (j->opts.to_version <= 0 || mf->version <= j->opts.to_version)) {
      if (j->opts.dry_run) status = "pending";
      else if ((rc = apply_file(conn, mf, e)) == 0) status = "applied";
    }
    if (status != NULL && add_row(out, mf->version, mf->name, status, mf->sum) != 0)
      rc = aiodb__err_set(e, AIODB_ENOMEM, "aiodb_migrate: out of memory");
  }
  /* the files applied before a failure stay applied */
  if (locked) rc = lock_drop(conn, rc, e);
  return rc;
}

/* ---- the job ---- */

/* The call's options and directory live in f->buf (freed with f, even when
 * the job never runs); the files only on the worker, during run. */
static void migrate_run(aiodb_conn *conn, aiodb_future *f) {
  mig_job j;
  memset(&j, 0, sizeof j);
  memcpy(&j.opts, f->buf, sizeof j.opts);
  j.dir = f->buf + sizeof j.opts;
  if (aiodb__job_result(f) != 0) return;
  if (migrate(conn, &j, f->result, &f->err) != 0) {
    aiodb_result_free(f->result);
    f->result = NULL;
  }
  j.dir = NULL;
  job_free_files(&j);
}

static const aiodb__job_ops migrate_ops = {
    .run = migrate_run,
};

aiodb_future *aiodb_migrate(aiodb_db *db, const char *dir, const aiodb_migrate_options *opts) {
  aiodb_migrate_options o;
  aiodb_future *f;
  size_t need;
  if (db == NULL) return NULL;
  f = aiodb__job_new(aiodb__on_db(db), &migrate_ops);
  if (f == NULL) return NULL;
  if (dir == NULL || dir[0] == '\0') {
    aiodb__future_fail(f, AIODB_EINVAL, "aiodb_migrate: dir is %s", dir ? "empty" : "NULL");
    return f;
  }
  memset(&o, 0, sizeof o);
  if (opts != NULL) o = *opts;
  if (o.to_version < 0) {
    aiodb__future_fail(f, AIODB_EINVAL, "aiodb_migrate: to_version %" PRId64 " is negative",
                       o.to_version);
    return f;
  }
  need = sizeof o + strlen(dir) + 1;
  if (need > f->bufcap) {
    char *b = aiodb__realloc(f->buf, need);
    if (b == NULL) {
      aiodb__job_discard(f);
      return NULL;
    }
    f->buf = b;
    f->bufcap = need;
  }
  memcpy(f->buf, &o, sizeof o);
  memcpy(f->buf + sizeof o, dir, need - sizeof o);
  return aiodb__job_submit(db, NULL, f, "aiodb_migrate", AIODB__SITE);
}
