/* Shared test helpers: paths, futures, assertions, suites. */
#include "helpers.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

Suite *aiodb_test_add_case(Suite *s, const TTest *t, int seconds) {
  TCase *tc = tcase_create(t->name);
  tcase_set_timeout(tc, seconds);
  tcase_add_test(tc, t);
  suite_add_tcase(s, tc);
  return s;
}

Suite *aiodb_test_add_cases(Suite *s, const TTest *const *tests, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) aiodb_test_add_case(s, tests[i], AIODB_TEST_TIMEOUT);
  return s;
}

const char *aiodb_test_tmpdir(void) {
  static char dir[512];
  if (dir[0] == '\0') {
    const char *env = getenv("AIODB_TEST_TMP");
    snprintf(dir, sizeof dir, "%s", env && *env ? env : "/tmp/aiodb-test");
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
      ck_abort_msg("cannot create %s: %s", dir, strerror(errno));
  }
  return dir;
}

const char *aiodb_test_path(const char *suffix) {
  static char bufs[8][600];
  static unsigned counter, slot;
  char *b = bufs[slot++ % 8];
  snprintf(b, sizeof bufs[0], "%s/t%ld-%u%s", aiodb_test_tmpdir(), (long)getpid(),
           counter++, suffix ? suffix : "");
  unlink(b);
  return b;
}

const char *aiodb_test_sqlite_url(void) {
  static char bufs[8][700];
  static unsigned slot;
  char *b = bufs[slot++ % 8];
  const char *p = aiodb_test_path(".db");
  /* sqlite:/// + "/abs" gives the absolute form sqlite:////abs */
  snprintf(b, sizeof bufs[0], "sqlite:///%s", p);
  return b;
}

aiodb_future *aiodb_test_ok(aiodb_future *f) {
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(aiodb_future_wait(f, -1), 0);
  ck_assert_msg(aiodb_future_error(f) == 0, "future failed: %s (%s)",
                aiodb_future_errmsg(f), aiodb_err_name(aiodb_future_error(f)));
  return f;
}

void aiodb_test_free_n(aiodb_future *const *fs, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) aiodb_future_free(fs[i]);
}

int aiodb_test_err(aiodb_future *f) {
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(aiodb_future_wait(f, -1), 0);
  return aiodb_future_error(f);
}

void aiodb_test_fails_at(const char *file, int line, aiodb_future *f, int code,
                         const char *text, int whole) {
  const char *msg;
  int rc;
  ck_assert_msg(f != NULL, "%s:%d: the call returned NULL", file, line);
  ck_assert_int_eq(aiodb_future_wait(f, -1), 0);
  rc = aiodb_future_error(f);
  ck_assert_msg(rc == code, "%s:%d: %s, not %s: %s", file, line, aiodb_err_name(rc),
                aiodb_err_name(code), aiodb_future_errmsg(f));
  msg = aiodb_future_errmsg(f);
  if (whole)
    ck_assert_msg(strcmp(msg, text) == 0, "%s:%d: the message is '%s', not '%s'", file, line,
                  msg, text);
  else if (text != NULL)
    ck_assert_msg(strstr(msg, text) != NULL, "%s:%d: '%s' is not in the message: %s", file,
                  line, text, msg);
  aiodb_future_free(f);
}

void aiodb_test_fails_as_at(const char *file, int line, aiodb_future *f, int code,
                            const char *sqlstate, int native) {
  ck_assert_msg(f != NULL, "%s:%d: the call returned NULL", file, line);
  ck_assert_int_eq(aiodb_future_wait(f, -1), 0);
  ck_assert_msg(aiodb_future_error(f) == code && strcmp(aiodb_future_sqlstate(f), sqlstate) == 0 &&
                    (native == 0 || aiodb_future_native_code(f) == native),
                "%s:%d: %s (SQLSTATE %s, native %d), not %s (%s, %d): %s", file, line,
                aiodb_err_name(aiodb_future_error(f)), aiodb_future_sqlstate(f),
                aiodb_future_native_code(f), aiodb_err_name(code), sqlstate, native,
                aiodb_future_errmsg(f));
  aiodb_future_free(f);
}

size_t aiodb_test_next_rows(aiodb_cursor *c, aiodb_future **keep) {
  aiodb_future *f = aiodb_test_ok(aiodb_cursor_next(c));
  size_t n = aiodb_result_rows(aiodb_future_result(f));
  if (keep)
    *keep = f;
  else
    aiodb_future_free(f);
  return n;
}

void aiodb_test_open_fails(const char *url, const aiodb_options *o, int code,
                           const char *needle) {
  aiodb_error err;
  memset(&err, 0x5a, sizeof err);
  ck_assert_msg(aiodb_open(url, o, &err) == NULL, "%s opened", url);
  ck_assert_msg(err.code == code, "%s: %s, expected %s (%s)", url,
                aiodb_err_name(err.code), aiodb_err_name(code), err.message);
  ck_assert_msg(memchr(err.message, '\0', sizeof err.message) != NULL,
                "unterminated message");
  ck_assert_msg(strlen(err.message) > 0, "%s: empty message", url);
  ck_assert_msg(strstr(err.message, "s3cret") == NULL,
                "%s: password in message: %s", url, err.message);
  if (needle)
    ck_assert_msg(strstr(err.message, needle) != NULL, "%s: '%s' lacks '%s'",
                  url, err.message, needle);
}

aiodb_db *aiodb_test_open_with(const char *base, const char *opts) {
  char url[1024];
  aiodb_error err;
  aiodb_db *db;
  snprintf(url, sizeof url, "%s%s%s", base,
           opts ? (strchr(base, '?') ? "&" : "?") : "", opts ? opts : "");
  db = aiodb_open(url, NULL, &err);
  ck_assert_msg(db != NULL, "aiodb_open: %s", err.message);
  return db;
}

long aiodb_test_count_cursor(aiodb_cursor *c) {
  long total = 0, n;
  do {
    aiodb_future *f = aiodb_test_ok(aiodb_cursor_next(c));
    n = (long)aiodb_result_rows(aiodb_future_result(f));
    if (n > 0) ck_assert_int_eq(aiodb_result_int(aiodb_future_result(f), 0, 0), total + 1);
    total += n;
    aiodb_future_free(f);
  } while (n > 0);
  return total;
}

void aiodb_test_large_values(size_t n, unsigned char **blob, char **text) {
  size_t i;
  *blob = malloc(n);
  *text = malloc(n + 1);
  ck_assert_ptr_nonnull(*blob);
  ck_assert_ptr_nonnull(*text);
  for (i = 0; i < n; i++) {
    (*blob)[i] = (unsigned char)(i * 7919u >> 3);
    (*text)[i] = (char)('a' + i % 26);
  }
  (*text)[n] = '\0';
}

void aiodb_test_cell_is(aiodb_result *r, size_t row, size_t col, const void *want, size_t n,
                        int text) {
  ck_assert_uint_eq(aiodb_result_len(r, row, col), n);
  if (text)
    ck_assert_int_eq(memcmp(aiodb_result_text(r, row, col), want, n + 1), 0);
  else
    ck_assert_int_eq(memcmp(aiodb_result_blob(r, row, col), want, n), 0);
}

int64_t aiodb_test_has_table(aiodb_db *db, const char *name) {
  aiodb_future *f = aiodb_test_ok(aiodb_has_table(db, name));
  int64_t v = aiodb_result_int(aiodb_future_result(f), 0, 0);
  ck_assert_uint_eq(aiodb_result_rows(aiodb_future_result(f)), 1);
  aiodb_future_free(f);
  return v;
}

int64_t aiodb_test_scalar(aiodb_db *db, const char *sql) {
  aiodb_future *f = aiodb_test_ok(aiodb_query(db, sql, NULL, 0));
  int64_t v = aiodb_result_int(aiodb_future_result(f), 0, 0);
  aiodb_future_free(f);
  return v;
}

void aiodb_test_exec(aiodb_db *db, const char *sql) {
  aiodb_future_free(aiodb_test_ok(aiodb_query(db, sql, NULL, 0)));
}

void aiodb_test_execf(aiodb_db *db, const char *fmt, ...) {
  char sql[2048];
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(sql, sizeof sql, fmt, ap);
  va_end(ap);
  ck_assert_msg(n >= 0 && (size_t)n < sizeof sql, "SQL too long: %s", fmt);
  aiodb_test_exec(db, sql);
}

void aiodb_test_clean_shutdown(void) {
  int i;
  /* A cancel or KILL thread stuck on a server that stopped answering is
   * left by aiodb_db_free to end on its own and free its state (a
   * documented bound, at most its network timeouts): wait for it. */
  for (i = 0; i < 2000; i++) {
    aiodb__pools_trim();
    if (aiodb__alloc_live() == 0) return;
    usleep(10000);
  }
  ck_assert_msg(aiodb__alloc_live() == 0, "%ld aiodb allocations still live",
                aiodb__alloc_live());
}

void aiodb_test_done(aiodb_db *db) {
  aiodb_db_free(db);
  aiodb_test_clean_shutdown();
}

double aiodb_test_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static atomic_long alloc_budget;

static void *failing_malloc(size_t n) {
  if (atomic_fetch_sub(&alloc_budget, 1) <= 0) return NULL;
  return malloc(n);
}

static void *failing_realloc(void *p, size_t n) {
  if (atomic_fetch_sub(&alloc_budget, 1) <= 0) return NULL;
  return realloc(p, n);
}

void aiodb_test_fail_allocs_after(long n) {
  atomic_store(&alloc_budget, n);
  aiodb_set_allocator(failing_malloc, failing_realloc, NULL);
}

long aiodb_test_peak_rss_kb(void) {
  FILE *fp = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  while (fp && fgets(line, sizeof line, fp))
    if (strncmp(line, "VmHWM:", 6) == 0) kb = atol(line + 6);
  if (fp) fclose(fp);
  return kb;
}
