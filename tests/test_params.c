/* The placeholder lexer (lib/params.c): what counts as a placeholder in
 * each dialect, and what each driver style makes of it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "params.h"

#define SQ AIODB__DIALECT_SQLITE
#define PG AIODB__DIALECT_POSTGRES
#define MY AIODB__DIALECT_MYSQL
#define QNUM AIODB__PSTYLE_QNUM
#define DOLLAR AIODB__PSTYLE_DOLLAR
#define QMARK AIODB__PSTYLE_QMARK

#define NO_SLOTS ((size_t)-1)

/* Runs both calls of the protocol on sql[0..len) and checks the result
 * against want, nargs and (if want_slots) the slot map; without
 * want_slots, slots must be 0..nargs-1. The buffers are allocated to the
 * exact size the plan asks for, so that the sanitizers catch overruns. */
static void check_rw(int line, aiodb__dialect d, aiodb__pstyle st,
                     const char *sql, size_t len, const char *want,
                     size_t want_len, size_t nargs, size_t nslots,
                     const uint32_t *want_slots) {
  aiodb__sqlplan plan, plan2;
  char err[160];
  char *out;
  uint32_t *slots;
  size_t i;
  int rc;

  memset(&plan, 0x5A, sizeof plan);
  err[0] = '\0';
  rc = aiodb__sql_rewrite(sql, len, d, st, NULL, NULL, &plan, err, sizeof err);
  ck_assert_msg(rc == 0, "line %d: sizing call failed: %d %s", line, rc, err);
  ck_assert_msg(plan.out_len == want_len,
                "line %d: out_len %zu, want %zu ('%s')", line, plan.out_len,
                want_len, want);
  ck_assert_msg(plan.nargs == nargs, "line %d: nargs %zu, want %zu", line,
                plan.nargs, nargs);
  if (nslots == NO_SLOTS) nslots = nargs;
  ck_assert_msg(plan.nslots == nslots, "line %d: nslots %zu, want %zu", line,
                plan.nslots, nslots);

  out = malloc(plan.out_len + 1);
  slots = malloc((plan.nslots ? plan.nslots : 1) * sizeof *slots);
  ck_assert_ptr_nonnull(out);
  ck_assert_ptr_nonnull(slots);
  memset(out, '#', plan.out_len + 1);
  memset(slots, 0xFF, (plan.nslots ? plan.nslots : 1) * sizeof *slots);
  plan2 = plan;
  rc = aiodb__sql_rewrite(sql, len, d, st, out, slots, &plan2, err,
                          sizeof err);
  ck_assert_msg(rc == 0, "line %d: second call failed: %s", line, err);
  ck_assert_uint_eq(plan2.out_len, plan.out_len);
  ck_assert_uint_eq(plan2.nargs, plan.nargs);
  ck_assert_uint_eq(plan2.nslots, plan.nslots);
  ck_assert_msg(out[want_len] == '\0', "line %d: not NUL-terminated", line);
  ck_assert_msg(memcmp(out, want, want_len) == 0,
                "line %d:\n  got  '%s'\n  want '%s'", line, out, want);
  for (i = 0; i < nslots; i++) {
    uint32_t w = want_slots ? want_slots[i] : (uint32_t)i;
    ck_assert_msg(slots[i] == w, "line %d: slots[%zu] = %u, want %u", line, i,
                  (unsigned)slots[i], (unsigned)w);
  }
  free(out);
  free(slots);
}

/* Expects AIODB_EINVAL with needle in the message, also with no errbuf
 * and with one too short to hold the message. */
static void check_bad(int line, aiodb__dialect d, aiodb__pstyle st,
                      const char *sql, const char *needle) {
  aiodb__sqlplan plan;
  char err[160];
  char tiny[8];
  int rc;

  memset(&plan, 0, sizeof plan);
  err[0] = '\0';
  rc = aiodb__sql_rewrite(sql, strlen(sql), d, st, NULL, NULL, &plan, err,
                          sizeof err);
  ck_assert_msg(rc == AIODB_EINVAL, "line %d: got %d, want AIODB_EINVAL",
                line, rc);
  ck_assert_msg(strstr(err, needle) != NULL,
                "line %d: message '%s' lacks '%s'", line, err, needle);
  ck_assert_int_eq(aiodb__sql_rewrite(sql, strlen(sql), d, st, NULL, NULL,
                                      &plan, NULL, 0),
                   AIODB_EINVAL);
  memset(tiny, 'x', sizeof tiny);
  ck_assert_int_eq(aiodb__sql_rewrite(sql, strlen(sql), d, st, NULL, NULL,
                                      &plan, tiny, sizeof tiny),
                   AIODB_EINVAL);
  ck_assert_int_eq(tiny[sizeof tiny - 1], '\0');
}

#define RW(d, st, sql, want, nargs)                                         \
  check_rw(__LINE__, d, st, sql, strlen(sql), want, strlen(want), nargs,    \
           NO_SLOTS, NULL)
#define RW_SLOTS(d, sql, want, nargs, ...)                                  \
  check_rw(__LINE__, d, QMARK, sql, strlen(sql), want, strlen(want), nargs, \
           sizeof((const uint32_t[]){__VA_ARGS__}) / sizeof(uint32_t),      \
           (const uint32_t[]){__VA_ARGS__})
#define BAD(d, st, sql, needle) check_bad(__LINE__, d, st, sql, needle)

/* No placeholder: the output is the input, in every style. */
static void same(int line, aiodb__dialect d, const char *sql) {
  check_rw(line, d, QNUM, sql, strlen(sql), sql, strlen(sql), 0, NO_SLOTS,
           NULL);
  check_rw(line, d, DOLLAR, sql, strlen(sql), sql, strlen(sql), 0, NO_SLOTS,
           NULL);
  check_rw(line, d, QMARK, sql, strlen(sql), sql, strlen(sql), 0, NO_SLOTS,
           NULL);
}
#define SAME(d, sql) same(__LINE__, d, sql)
#define SAME_ALL(sql) \
  do {                \
    SAME(SQ, sql);    \
    SAME(PG, sql);    \
    SAME(MY, sql);    \
  } while (0)

START_TEST(params_empty) {
  aiodb__sqlplan plan;
  char out[4];
  char err[64];

  SAME_ALL("");
  SAME_ALL("SELECT 1");
  SAME_ALL("SELECT x FROM t WHERE a = 'b' -- note\n");

  /* sql may be NULL when len is 0 */
  memset(&plan, 0x5A, sizeof plan);
  ck_assert_int_eq(aiodb__sql_rewrite(NULL, 0, PG, DOLLAR, NULL, NULL, &plan,
                                      NULL, 0),
                   0);
  ck_assert_uint_eq(plan.out_len, 0);
  ck_assert_uint_eq(plan.nargs, 0);
  ck_assert_uint_eq(plan.nslots, 0);
  memset(out, '#', sizeof out);
  ck_assert_int_eq(aiodb__sql_rewrite(NULL, 0, PG, DOLLAR, out, NULL, &plan,
                                      NULL, 0),
                   0);
  ck_assert_int_eq(out[0], '\0');

  /* only len counts: a NUL inside is just a byte */
  check_rw(__LINE__, SQ, QNUM, "a\0?b", 4, "a\0?1b", 5, 1, NO_SLOTS, NULL);
  check_rw(__LINE__, SQ, QNUM, "? ?", 1, "?1", 2, 1, NO_SLOTS, NULL);

  ck_assert_int_eq(aiodb__sql_rewrite(NULL, 3, SQ, QNUM, NULL, NULL, &plan,
                                      err, sizeof err),
                   AIODB_EINVAL);
  ck_assert_int_eq(aiodb__sql_rewrite("?", 1, SQ, QNUM, NULL, NULL, NULL, err,
                                      sizeof err),
                   AIODB_EINVAL);
  ck_assert_int_eq(aiodb__sql_rewrite("?", 1, (aiodb__dialect)7, QNUM, NULL,
                                      NULL, &plan, err, sizeof err),
                   AIODB_EINVAL);
  ck_assert_int_eq(aiodb__sql_rewrite("?", 1, SQ, (aiodb__pstyle)7, NULL, NULL,
                                      &plan, err, sizeof err),
                   AIODB_EINVAL);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(params_positional) {
  RW(SQ, QNUM, "SELECT ?, ?, ?", "SELECT ?1, ?2, ?3", 3);
  RW(PG, DOLLAR, "SELECT ?, ?, ?", "SELECT $1, $2, $3", 3);
  RW(MY, QMARK, "SELECT ?, ?, ?", "SELECT ?, ?, ?", 3);
  RW(SQ, QNUM, "?", "?1", 1);
  RW(PG, DOLLAR, "?", "$1", 1);
  RW(MY, QMARK, "?", "?", 1);
  RW(SQ, QNUM, "(?,?)", "(?1,?2)", 2);
  RW(PG, DOLLAR, "x=?AND y=?", "x=$1AND y=$2", 2);
  /* an "?1" already there is '?' then '1' */
  RW(SQ, QNUM, "?1", "?11", 1);
  /* every dialect with every style */
  RW(SQ, DOLLAR, "? ?", "$1 $2", 2);
  RW(SQ, QMARK, "? ?", "? ?", 2);
  RW(PG, QNUM, "? ?", "?1 ?2", 2);
  RW(PG, QMARK, "? ?", "? ?", 2);
  RW(MY, QNUM, "? ?", "?1 ?2", 2);
  RW(MY, DOLLAR, "? ?", "$1 $2", 2);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(params_named) {
  const char *sql = "SELECT :a, :b, :a, :c_1, :b";

  RW(SQ, QNUM, sql, "SELECT ?1, ?2, ?1, ?3, ?2", 3);
  RW(PG, DOLLAR, sql, "SELECT $1, $2, $1, $3, $2", 3);
  RW_SLOTS(MY, sql, "SELECT ?, ?, ?, ?, ?", 3, 0, 1, 0, 2, 1);

  RW(PG, DOLLAR, ":a", "$1", 1);
  RW(PG, DOLLAR, ":_x9 :x9 :_", "$1 $2 $3", 3);
  /* case-sensitive */
  RW(PG, DOLLAR, ":a :A :a", "$1 $2 $1", 2);
  RW_SLOTS(SQ, ":a :A :a :A", "? ? ? ?", 2, 0, 1, 0, 1);
  /* the name stops at the first character that cannot continue it */
  RW(SQ, QNUM, ":t.col :a-:b :x)", "?1.col ?2-?3 ?4)", 4);
  RW(PG, DOLLAR, "f(:name,:name2)", "f($1,$2)", 2);
  /* a prefix is another name */
  RW(PG, DOLLAR, ":ab :a :abc :ab", "$1 $2 $3 $1", 3);
  /* numbering follows first appearance, whatever the spelling */
  RW(MY, DOLLAR, ":zz :aa :zz", "$1 $2 $1", 2);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(params_qmark_slots) {
  RW_SLOTS(MY, "INSERT INTO t VALUES (:id, :name, :id, :x, :name, :id)",
           "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)", 3, 0, 1, 0, 2, 1, 0);
  RW_SLOTS(MY, ":only :only :only", "? ? ?", 1, 0, 0, 0);
  RW_SLOTS(MY, "? ? ?", "? ? ?", 3, 0, 1, 2);
  RW_SLOTS(SQ, ":b :a", "? ?", 2, 0, 1);
  RW_SLOTS(PG, ":a::int :b :a", "?::int ? ?", 2, 0, 1, 0);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(params_literal_question_mark) {
  RW(SQ, QNUM, "a ?? b", "a ? b", 0);
  RW(PG, DOLLAR, "data ?? 'key'", "data ? 'key'", 0);
  RW(PG, DOLLAR, "data ??| array['a'] AND x = ?", "data ?| array['a'] AND x = $1",
     1);
  RW(MY, QMARK, "a ?? b", "a ? b", 0);
  /* left to right: "??" then "?" */
  RW(SQ, QNUM, "???", "??1", 1);
  RW(SQ, QNUM, "????", "??", 0);
  RW(PG, DOLLAR, "?????", "??$1", 1);
  RW(PG, DOLLAR, "?? ?", "? $1", 1);
  /* a literal '?' is neither kind, so it mixes with names */
  RW(PG, DOLLAR, "j ?? :k", "j ? $1", 1);
  RW_SLOTS(MY, ":k ?? :k", "? ? ?", 1, 0, 0);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(params_string_literals) {
  const char *sql = "SELECT '?', ':a', 'it''s ? :b', ?";

  RW(SQ, QNUM, sql, "SELECT '?', ':a', 'it''s ? :b', ?1", 1);
  RW(PG, DOLLAR, sql, "SELECT '?', ':a', 'it''s ? :b', $1", 1);
  RW(MY, QMARK, sql, sql, 1);
  /* comment starters inside strings are text */
  RW(SQ, QNUM, "'--' ? '/*' ? '#'", "'--' ?1 '/*' ?2 '#'", 2);
  RW(MY, QNUM, "'#' ? '-- ' ?", "'#' ?1 '-- ' ?2", 2);
  /* adjacent literals, empty literals */
  RW(SQ, QNUM, "'''' ? '' ?", "'''' ?1 '' ?2", 2);
  RW(PG, DOLLAR, "'a'':b''' :c", "'a'':b''' $1", 1);
  /* a placeholder right after a closing quote */
  RW(PG, DOLLAR, "'x':y", "'x'$1", 1);
  SAME_ALL("'?'");
  SAME_ALL("':x'");
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(params_quoted_identifiers) {
  const char *sql = "SELECT \"?\", \"a\"\"?:b\", ?";

  RW(SQ, QNUM, sql, "SELECT \"?\", \"a\"\"?:b\", ?1", 1);
  RW(PG, DOLLAR, sql, "SELECT \"?\", \"a\"\"?:b\", $1", 1);
  RW(MY, QNUM, sql, "SELECT \"?\", \"a\"\"?:b\", ?1", 1);
  SAME_ALL("\":x\"");
  /* a quote of the other kind does not end it */
  RW(SQ, QNUM, "\"'?\" ? '\"?' ?", "\"'?\" ?1 '\"?' ?2", 2);
  RW(MY, QNUM, "\"'?\" ? '\"?' ?", "\"'?\" ?1 '\"?' ?2", 2);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(params_backticks) {
  RW(SQ, QNUM, "SELECT `?`, `a``?`, ?", "SELECT `?`, `a``?`, ?1", 1);
  RW(MY, QNUM, "SELECT `?`, `a``?`, ?", "SELECT `?`, `a``?`, ?1", 1);
  RW_SLOTS(MY, "SELECT `:a` FROM `t?` WHERE x = :a", "SELECT `:a` FROM `t?` WHERE x = ?", 1, 0);
  /* PostgreSQL has no backtick quoting */
  RW(PG, DOLLAR, "SELECT `?`", "SELECT `$1`", 1);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(params_brackets) {
  RW(SQ, QNUM, "SELECT [?], [a:b], [x, ?", "SELECT [?], [a:b], [x, ?", 0);
  RW(SQ, QNUM, "SELECT [col?] FROM t WHERE [k] = ?",
     "SELECT [col?] FROM t WHERE [k] = ?1", 1);
  /* no "]]" escape in SQLite: the first ']' ends it */
  RW(SQ, QNUM, "[a]]?", "[a]]?1", 1);
  /* elsewhere brackets are array subscripts and slices */
  RW(PG, DOLLAR, "SELECT arr[?]", "SELECT arr[$1]", 1);
  RW(PG, DOLLAR, "SELECT arr[:lo::int:3]", "SELECT arr[$1::int:3]", 1);
  RW(MY, QNUM, "SELECT [?]", "SELECT [?1]", 1);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(params_line_comments) {
  RW(SQ, QNUM, "SELECT ? -- what? :x\n, ?", "SELECT ?1 -- what? :x\n, ?2", 2);
  RW(PG, DOLLAR, "SELECT ? -- what? :x\n, ?", "SELECT $1 -- what? :x\n, $2",
     2);
  RW(MY, QNUM, "SELECT ? -- what? :x\n, ?", "SELECT ?1 -- what? :x\n, ?2", 2);
  /* to the end of input */
  RW(PG, DOLLAR, "SELECT ? --?", "SELECT $1 --?", 1);
  RW(SQ, QNUM, "SELECT ? --", "SELECT ?1 --", 1);
  SAME_ALL("-- ?");
  SAME(SQ, "--?\n");
  SAME(PG, "--?\n");
  /* one '-' is minus */
  RW(PG, DOLLAR, "1 - ? -?", "1 - $1 -$2", 2);
  RW(PG, DOLLAR, "1 - :b -:a", "1 - $1 -$2", 2);
  /* MySQL wants a space or control character after "--" */
  RW(MY, QNUM, "SELECT 1--?", "SELECT 1--?1", 1);
  RW(MY, QNUM, "SELECT 1-- ?", "SELECT 1-- ?", 0);
  RW(MY, QNUM, "SELECT 1--\t?\n?", "SELECT 1--\t?\n?1", 1);
  RW(MY, QNUM, "SELECT ? --", "SELECT ?1 --", 1);
  RW(MY, QNUM, "? --\n?", "?1 --\n?2", 2);
  RW(SQ, QNUM, "SELECT 1--?", "SELECT 1--?", 0);
  RW(PG, QNUM, "SELECT 1--?", "SELECT 1--?", 0);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(params_hash_comments) {
  RW(MY, QNUM, "SELECT ? # what? :x\n, ?", "SELECT ?1 # what? :x\n, ?2", 2);
  RW(MY, QNUM, "SELECT ? #?", "SELECT ?1 #?", 1);
  RW(MY, QNUM, "#?\n?", "#?\n?1", 1);
  /* '#' is an operator elsewhere */
  RW(PG, DOLLAR, "SELECT ? # ?", "SELECT $1 # $2", 2);
  RW(SQ, QNUM, "SELECT ? # ?", "SELECT ?1 # ?2", 2);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(params_block_comments) {
  RW(SQ, QNUM, "SELECT /* ? :x */ ?", "SELECT /* ? :x */ ?1", 1);
  RW(PG, DOLLAR, "SELECT /* ? :x */ ?", "SELECT /* ? :x */ $1", 1);
  RW(MY, QNUM, "SELECT /* ? :x */ ?", "SELECT /* ? :x */ ?1", 1);
  RW(SQ, QNUM, "/**/?/***/?", "/**/?1/***/?2", 2);
  /* a slash-star then a slash: not yet closed */
  RW(SQ, QNUM, "/*/ ? */ ?", "/*/ ? */ ?1", 1);
  RW(PG, QNUM, "/*/ ? */ ?", "/*/ ? */ ?1", 1);
  /* nested in PostgreSQL only */
  RW(PG, DOLLAR, "/* a /* ? */ ? */ ?", "/* a /* ? */ ? */ $1", 1);
  RW(PG, DOLLAR, "/*/**/*/?", "/*/**/*/$1", 1);
  RW(PG, DOLLAR, "/* /* /* ? */ */ ? */ ?", "/* /* /* ? */ */ ? */ $1", 1);
  RW(SQ, QNUM, "/* a /* ? */ ? */ ?", "/* a /* ? */ ?1 */ ?2", 2);
  RW(MY, QNUM, "/* a /* ? */ ? */ ?", "/* a /* ? */ ?1 */ ?2", 2);
  /* a lone '/' or '*' is an operator */
  RW(PG, DOLLAR, "? / ? * ?", "$1 / $2 * $3", 3);
  /* unterminated, nested unterminated */
  SAME_ALL("/* ?");
  SAME(PG, "/* /* ? */ ?");
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(params_pg_escape_strings) {
  /* E'\'' : the backslash escapes the quote */
  RW(PG, DOLLAR, "SELECT E'\\' ?', ?", "SELECT E'\\' ?', $1", 1);
  RW(PG, DOLLAR, "SELECT e'\\' ?', ?", "SELECT e'\\' ?', $1", 1);
  RW(PG, DOLLAR, "SELECT E'\\\\', ?", "SELECT E'\\\\', $1", 1);
  RW(PG, DOLLAR, "SELECT E'a''?', ?", "SELECT E'a''?', $1", 1);
  RW(PG, DOLLAR, "(E'\\'?')=:x", "(E'\\'?')=$1", 1);
  /* a plain string ends at the next quote: '\' is one backslash */
  RW(PG, DOLLAR, "SELECT '\\', ?", "SELECT '\\', $1", 1);
  /* the E of a longer word starts no escape string */
  RW(PG, DOLLAR, "typee'\\' ?", "typee'\\' $1", 1);
  RW(PG, DOLLAR, "xE'\\' ?", "xE'\\' $1", 1);
  /* SQLite has no escape strings */
  RW(SQ, QNUM, "SELECT E'\\' ?', ?", "SELECT E'\\' ?1', ?", 1);
  /* unterminated by its escaped quote */
  SAME(PG, "E'\\' ? :x");
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(params_mysql_backslashes) {
  RW(MY, QNUM, "SELECT 'a\\'?', ?", "SELECT 'a\\'?', ?1", 1);
  RW(MY, QNUM, "SELECT \"a\\\"?\", ?", "SELECT \"a\\\"?\", ?1", 1);
  RW(MY, QNUM, "SELECT 'a\\\\', ?", "SELECT 'a\\\\', ?1", 1);
  RW(MY, QNUM, "SELECT 'a\\\\\\'?', ?", "SELECT 'a\\\\\\'?', ?1", 1);
  RW(MY, QNUM, "SELECT 'a''\\'?', ?", "SELECT 'a''\\'?', ?1", 1);
  RW_SLOTS(MY, "WHERE a = '\\':x' AND b = :x", "WHERE a = '\\':x' AND b = ?",
           1, 0);
  /* backticks take no backslash escapes */
  RW(MY, QNUM, "`a\\` ?", "`a\\` ?1", 1);
  /* SQLite and PostgreSQL strings end at the first quote */
  RW(SQ, QNUM, "SELECT 'a\\'?', ?", "SELECT 'a\\'?1', ?", 1);
  RW(PG, DOLLAR, "SELECT \"a\\\"?\", ?", "SELECT \"a\\\"$1\", ?", 1);
  /* a trailing backslash in an unterminated string */
  SAME(MY, "'?\\");
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(params_dollar_quotes) {
  RW(PG, DOLLAR, "SELECT $$ ? :x $$, ?", "SELECT $$ ? :x $$, $1", 1);
  RW(PG, DOLLAR, "$fn$ ? $$ ? $fn$ ?", "$fn$ ? $$ ? $fn$ $1", 1);
  RW(PG, DOLLAR, "$_x1$ :y $_x1$ :z", "$_x1$ :y $_x1$ $1", 1);
  /* tags are case-sensitive */
  RW(PG, DOLLAR, "$a$ ? $A$ ? $a$ ?", "$a$ ? $A$ ? $a$ $1", 1);
  /* quotes and comments inside are text */
  RW(PG, DOLLAR, "$$ ' \" -- /* $$ ?", "$$ ' \" -- /* $$ $1", 1);
  /* empty body, adjacent bodies */
  RW(PG, DOLLAR, "$$$$?", "$$$$$1", 1);
  RW(PG, DOLLAR, "$$a$$$$?$$?", "$$a$$$$?$$$1", 1);
  RW(PG, DOLLAR, "$q$$q$?", "$q$$q$$1", 1);
  /* $1 is a parameter, not a quote; nor is "$a" without a second '$' */
  RW(PG, DOLLAR, "SELECT $1 + ?", "SELECT $1 + $1", 1);
  RW(PG, QNUM, "SELECT $1 + ?", "SELECT $1 + ?1", 1);
  RW(PG, DOLLAR, "$1$ ?", "$1$ $1", 1);
  RW(PG, DOLLAR, "$a ? $ ?", "$a $1 $ $2", 2);
  RW(PG, DOLLAR, "$1a$ ? $1a$", "$1a$ $1 $1a$", 1);
  /* a '$' inside an identifier opens nothing */
  RW(PG, DOLLAR, "foo$bar$ ? ", "foo$bar$ $1 ", 1);
  RW(PG, DOLLAR, "x$$ ? $$", "x$$ $1 $$", 1);
  /* unterminated */
  SAME(PG, "$$ ?");
  SAME(PG, "$t$ ? $$ ? $T$ ?");
  /* only PostgreSQL has them */
  RW(SQ, QNUM, "$$ ? $$", "$$ ?1 $$", 1);
  RW(MY, QNUM, "$$ ? $$", "$$ ?1 $$", 1);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(params_colons) {
  RW(PG, DOLLAR, "SELECT :x::int, a::b, c:::d", "SELECT $1::int, a::b, c:::d",
     1);
  RW(PG, DOLLAR, "SELECT ?::text", "SELECT $1::text", 1);
  RW(PG, DOLLAR, "SELECT '1'::int + :n", "SELECT '1'::int + $1", 1);
  SAME_ALL("a::b");
  SAME_ALL("::a");
  SAME_ALL("x::y::z");
  /* ':' then no name */
  SAME_ALL(":");
  SAME_ALL("SELECT 'a' || :");
  SAME_ALL("f(a := 1)");
  SAME_ALL("SET @v := 1");
  SAME_ALL(":1 :$ : a :-");
  SAME_ALL("SELECT 12:30");
  RW(SQ, QNUM, ":a:", "?1:", 1);
  RW(SQ, QNUM, ":a:b", "?1?2", 2);
  RW(SQ, QNUM, ":a::b", "?1::b", 1);
  RW(PG, DOLLAR, "x :y", "x $1", 1);
  RW(MY, QNUM, "? :", "?1 :", 1);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(params_mixing) {
  BAD(SQ, QNUM, "SELECT ?, :a", "cannot be mixed");
  BAD(PG, DOLLAR, "SELECT :a, ?", "cannot be mixed");
  BAD(MY, QMARK, "SELECT :a, :b, ?", "cannot be mixed");
  BAD(MY, QMARK, "? :a", "'?' and ':name'");
  /* what is quoted or commented out does not count */
  RW(SQ, QNUM, "SELECT ?, ':a', /* :b */ \":c\"", "SELECT ?1, ':a', /* :b */ \":c\"",
     1);
  RW(PG, DOLLAR, "SELECT :a, '?' -- ?\n", "SELECT $1, '?' -- ?\n", 1);
  RW(PG, DOLLAR, "SELECT ?::int, ??", "SELECT $1::int, ?", 1);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(params_unterminated) {
  SAME_ALL("SELECT 'abc ? :x");
  SAME_ALL("SELECT \"abc ? :x");
  SAME_ALL("SELECT 'it''s ?");
  SAME_ALL("SELECT /* ? :x");
  SAME_ALL("SELECT /* ? *");
  SAME_ALL("'");
  SAME_ALL("\"");
  SAME(SQ, "SELECT `? :x");
  SAME(MY, "SELECT `? :x");
  SAME(SQ, "SELECT [? :x");
  SAME(PG, "SELECT $tag$ ? :x $tag");
  SAME(PG, "SELECT E'\\'? :x");
  SAME(MY, "SELECT '\\'? :x");
  SAME(MY, "# ? :x");
  RW(PG, DOLLAR, "? '", "$1 '", 1);
  RW(SQ, QNUM, "? [", "?1 [", 1);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(params_exact_out_len) {
  aiodb__sqlplan plan;
  char err[128];
  char *out;
  char buf[256];

  RW(PG, DOLLAR, "? ? ? ? ? ? ? ? ? ? ? ?",
     "$1 $2 $3 $4 $5 $6 $7 $8 $9 $10 $11 $12", 12);
  RW(SQ, QNUM, "??? ? ? ? ? ? ? ? ? ?", "??1 ?2 ?3 ?4 ?5 ?6 ?7 ?8 ?9 ?10", 10);
  RW(MY, QMARK, "?? ?", "? ?", 1);

  /* a plan too small for the statement (another statement's) is refused
   * instead of overrunning the buffer */
  snprintf(buf, sizeof buf, "SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?");
  ck_assert_int_eq(aiodb__sql_rewrite("SELECT ?", 8, PG, DOLLAR, NULL, NULL,
                                      &plan, err, sizeof err),
                   0);
  ck_assert_uint_eq(plan.out_len, 9);
  out = malloc(plan.out_len + 1);
  ck_assert_ptr_nonnull(out);
  ck_assert_int_eq(aiodb__sql_rewrite(buf, strlen(buf), PG, DOLLAR, out, NULL,
                                      &plan, err, sizeof err),
                   AIODB_EINVAL);
  ck_assert_ptr_nonnull(strstr(err, "too small"));
  free(out);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(params_slots_too_small) {
  aiodb__sqlplan plan;
  uint32_t slots[2];
  char out[64];
  char err[128];

  plan.out_len = sizeof out - 1;
  plan.nslots = 2;
  plan.nargs = 2;
  ck_assert_int_eq(aiodb__sql_rewrite(":a :b :a", 8, MY, QMARK, out, slots,
                                      &plan, err, sizeof err),
                   AIODB_EINVAL);
  ck_assert_ptr_nonnull(strstr(err, "too small"));
  plan.out_len = sizeof out - 1;
  plan.nslots = 2;
  ck_assert_int_eq(aiodb__sql_rewrite("? ? ?", 5, PG, DOLLAR, out, slots,
                                      &plan, err, sizeof err),
                   AIODB_EINVAL);
  ck_assert_ptr_nonnull(strstr(err, "too small"));
  aiodb_test_clean_shutdown();
}
END_TEST

/* n copies of item separated by ','. */
static char *repeat(const char *item, size_t n) {
  size_t k = strlen(item) + 1, i;
  char *s = malloc(n * k + 1);

  ck_assert_ptr_nonnull(s);
  for (i = 0; i < n; i++) {
    memcpy(s + i * k, item, k - 1);
    s[i * k + k - 1] = ',';
  }
  s[n ? n * k - 1 : 0] = '\0';
  return s;
}

START_TEST(params_limits) {
  aiodb__sqlplan plan;
  char err[128];
  char *sql;
  char *out;
  uint32_t *slots;
  size_t i, pos;
  int st;

  /* 65535 is fine in every style */
  sql = repeat("?", 65535);
  for (st = QNUM; st <= QMARK; st++) {
    ck_assert_int_eq(aiodb__sql_rewrite(sql, strlen(sql), PG,
                                        (aiodb__pstyle)st, NULL, NULL, &plan,
                                        err, sizeof err),
                     0);
    ck_assert_uint_eq(plan.nargs, 65535);
    ck_assert_uint_eq(plan.nslots, 65535);
  }
  ck_assert_int_eq(aiodb__sql_rewrite(sql, strlen(sql), PG, DOLLAR, NULL, NULL,
                                      &plan, err, sizeof err),
                   0);
  out = malloc(plan.out_len + 1);
  slots = malloc(plan.nslots * sizeof *slots);
  ck_assert_int_eq(aiodb__sql_rewrite(sql, strlen(sql), PG, DOLLAR, out, slots,
                                      &plan, err, sizeof err),
                   0);
  ck_assert_int_eq(strncmp(out, "$1,$2,", 6), 0);
  ck_assert_str_eq(out + plan.out_len - 13, "$65534,$65535");
  for (i = 0; i < 65535; i++) ck_assert_uint_eq(slots[i], i);
  free(out);
  free(slots);
  free(sql);

  /* 70000 is not */
  sql = repeat("?", 70000);
  for (st = QNUM; st <= QMARK; st++)
    BAD(MY, (aiodb__pstyle)st, sql, "too many placeholders");
  free(sql);
  /* also when they are one name repeated */
  sql = repeat(":a", 70000);
  BAD(PG, DOLLAR, sql, "too many placeholders");
  BAD(MY, QMARK, sql, "too many placeholders");
  free(sql);
  /* one past the limit */
  sql = repeat("?", 65536);
  BAD(SQ, QNUM, sql, "65535");
  free(sql);

  /* 65535 distinct names: numbered in order of first appearance */
  sql = malloc(65536 * 12 + 1);
  ck_assert_ptr_nonnull(sql);
  for (i = 0, pos = 0; i < 65535; i++)
    pos += (size_t)sprintf(sql + pos, ":n%zu ", (65535 - i) * 7);
  ck_assert_int_eq(aiodb__sql_rewrite(sql, pos, PG, DOLLAR, NULL, NULL, &plan,
                                      err, sizeof err),
                   0);
  ck_assert_uint_eq(plan.nargs, 65535);
  out = malloc(plan.out_len + 1);
  slots = malloc(plan.nslots * sizeof *slots);
  ck_assert_int_eq(aiodb__sql_rewrite(sql, pos, PG, DOLLAR, out, slots, &plan,
                                      err, sizeof err),
                   0);
  ck_assert_int_eq(strncmp(out, "$1 $2 $3 ", 9), 0);
  ck_assert_str_eq(out + plan.out_len - 7, "$65535 ");
  free(out);
  free(slots);
  /* one more occurrence of a known name is still one too many */
  strcpy(sql + pos, ":n7");
  BAD(PG, DOLLAR, sql, "too many");
  free(sql);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(params_out_of_memory) {
  aiodb__sqlplan plan;
  char err[128];
  char *sql;
  size_t i, pos;
  long n;
  int rc = -1;

  /* positional placeholders need no memory */
  aiodb_test_fail_allocs_after(0);
  rc = aiodb__sql_rewrite("SELECT ?, ?", 11, PG, DOLLAR, NULL, NULL, &plan,
                          err, sizeof err);
  aiodb_set_allocator(NULL, NULL, NULL);
  ck_assert_int_eq(rc, 0);

  /* enough names to grow the table a few times */
  sql = malloc(500 * 8 + 1);
  ck_assert_ptr_nonnull(sql);
  for (i = 0, pos = 0; i < 500; i++)
    pos += (size_t)sprintf(sql + pos, ":v%zu,", i % 300);
  for (n = 0; n < 100; n++) {
    aiodb_test_fail_allocs_after(n);
    err[0] = '\0';
    rc = aiodb__sql_rewrite(sql, pos, MY, QMARK, NULL, NULL, &plan, err,
                            sizeof err);
    aiodb_set_allocator(NULL, NULL, NULL);
    if (rc == 0) break;
    ck_assert_int_eq(rc, AIODB_ENOMEM);
    ck_assert_str_eq(err, "out of memory");
    ck_assert_int_eq(aiodb__alloc_live(), 0);
  }
  ck_assert_int_eq(rc, 0);
  ck_assert_int_gt(n, 2);
  ck_assert_uint_eq(plan.nargs, 300);
  ck_assert_uint_eq(plan.nslots, 500);
  free(sql);
  aiodb_test_clean_shutdown();
}
END_TEST

/* With a names array, the second call gives each argument's name, in
 * order of first appearance; '?' statements report none. */
START_TEST(params_names) {
  const char *sql = "UPDATE t SET n = n - :qty, m = :qty WHERE item = :item AND s = ':x' -- :y\n";
  aiodb__sqlplan plan;
  aiodb__sqlname names[2];
  uint32_t slots[3];
  char out[128], err[160];

  ck_assert_int_eq(aiodb__sql_rewrite(sql, strlen(sql), SQ, QMARK, NULL, NULL, &plan, err,
                                      sizeof err), 0);
  ck_assert_int_eq(plan.named, 1);
  ck_assert_uint_eq(plan.nargs, 2);
  ck_assert_uint_eq(plan.nslots, 3);
  ck_assert_uint_lt(plan.out_len, sizeof out);
  ck_assert_int_eq(aiodb__sql_rewrite_names(sql, strlen(sql), SQ, QMARK, out, slots, names,
                                            &plan, err, sizeof err), 0);
  ck_assert_uint_eq(names[0].len, 3);
  ck_assert_int_eq(memcmp(sql + names[0].off, "qty", 3), 0);
  ck_assert_uint_eq(names[1].len, 4);
  ck_assert_int_eq(memcmp(sql + names[1].off, "item", 4), 0);
  ck_assert_uint_eq(slots[0], 0);
  ck_assert_uint_eq(slots[1], 0);
  ck_assert_uint_eq(slots[2], 1);
  /* DOLLAR: one slot per name, the same names */
  ck_assert_int_eq(aiodb__sql_rewrite(sql, strlen(sql), PG, DOLLAR, NULL, NULL, &plan, err,
                                      sizeof err), 0);
  memset(names, 0, sizeof names);
  ck_assert_int_eq(aiodb__sql_rewrite_names(sql, strlen(sql), PG, DOLLAR, out, slots, names,
                                            &plan, err, sizeof err), 0);
  ck_assert_str_eq(out, "UPDATE t SET n = n - $1, m = $1 WHERE item = $2 AND s = ':x' -- :y\n");
  ck_assert_int_eq(memcmp(sql + names[1].off, "item", names[1].len), 0);
  /* a plan with fewer arguments than the statement's names is refused */
  plan.nargs = 1;
  ck_assert_int_eq(aiodb__sql_rewrite_names(sql, strlen(sql), PG, DOLLAR, out, slots, names,
                                            &plan, err, sizeof err), AIODB_EINVAL);
  /* positional: not named */
  ck_assert_int_eq(aiodb__sql_rewrite("SELECT ?", 8, SQ, QMARK, NULL, NULL, &plan, err,
                                      sizeof err), 0);
  ck_assert_int_eq(plan.named, 0);
  aiodb_test_clean_shutdown();
}
END_TEST

/* aiodb__sql_stmt_end: the first statement of sql is first (its ';' follows,
 * or the text ends). */
static void check_end(int line, aiodb__dialect d, const char *sql, const char *first) {
  size_t got = aiodb__sql_stmt_end(sql, strlen(sql), d), want = strlen(first);
  ck_assert_msg(got == want && memcmp(sql, first, want) == 0 &&
                    (got == strlen(sql) || sql[got] == ';'),
                "line %d, dialect %d: \"%s\" ends at %zu, not %zu (\"%s\")", line, d, sql, got,
                want, first);
}
#define END(d, sql, first) check_end(__LINE__, d, sql, first)
#define END_ALL(sql, first) \
  do {                      \
    END(SQ, sql, first);    \
    END(PG, sql, first);    \
    END(MY, sql, first);    \
  } while (0)

START_TEST(params_stmt_end) {
  END_ALL("", "");
  END_ALL(";", "");
  END_ALL("SELECT 1", "SELECT 1");
  END_ALL("SELECT 1; SELECT 2", "SELECT 1");
  END_ALL("SELECT 'a;b'; x", "SELECT 'a;b'");
  END_ALL("SELECT 'it''s;'; x", "SELECT 'it''s;'");
  END_ALL("SELECT \"a;b\"; x", "SELECT \"a;b\"");
  END_ALL("-- a; b\nSELECT 1; x", "-- a; b\nSELECT 1");
  END_ALL("/* ; */ SELECT 1; x", "/* ; */ SELECT 1");
  END_ALL("SELECT 'a; b", "SELECT 'a; b"); /* unterminated: to the end */
  END_ALL("SELECT 1 /* ; ", "SELECT 1 /* ; ");

  /* parentheses; routine and trigger bodies (psql's rules) */
  END_ALL("SELECT (1; 2); x", "SELECT (1; 2)");
  END_ALL("SELECT 1); x", "SELECT 1)"); /* an unopened ')' */
  END_ALL("BEGIN; SELECT 1", "BEGIN"); /* a transaction is no block */
  END_ALL("SELECT CASE WHEN 1 THEN 2 END; x", "SELECT CASE WHEN 1 THEN 2 END");
  END_ALL("CREATE TABLE trigger_log (a int); BEGIN; x", "CREATE TABLE trigger_log (a int)");
  END_ALL("CREATE TRIGGER t AFTER INSERT ON a BEGIN INSERT INTO b VALUES (NEW.x); "
          "UPDATE b SET y = CASE WHEN 1 THEN 'END;' END; /* END; */ SELECT backend; END; x",
          "CREATE TRIGGER t AFTER INSERT ON a BEGIN INSERT INTO b VALUES (NEW.x); "
          "UPDATE b SET y = CASE WHEN 1 THEN 'END;' END; /* END; */ SELECT backend; END");
  END_ALL("CrEaTe Or rEpLaCe FuNcTiOn f() BeGiN SeLeCt 1; EnD; x", /* any case */
          "CrEaTe Or rEpLaCe FuNcTiOn f() BeGiN SeLeCt 1; EnD");
  END_ALL("CREATE VIEW event AS SELECT begin FROM t; x", /* no routine */
          "CREATE VIEW event AS SELECT begin FROM t");
  END_ALL("CREATE OR REPLACE DEFINER = CURRENT_USER TRIGGER t BEGIN SELECT 1; END; x",
          "CREATE OR REPLACE DEFINER = CURRENT_USER TRIGGER t BEGIN SELECT 1; END");
  END(MY, "CREATE DEFINER=u@localhost PROCEDURE p() BEGIN SELECT 1; END; x",
      "CREATE DEFINER=u@localhost PROCEDURE p() BEGIN SELECT 1; END");
  END(MY, "CREATE DEFINER=`u`@'%' EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN SELECT 1; END; x",
      "CREATE DEFINER=`u`@'%' EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN SELECT 1; END");
  END_ALL("create temp trigger t before delete on a begin select 1; end ; x",
          "create temp trigger t before delete on a begin select 1; end ");
  END_ALL("CREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW SET NEW.b = 1; x",
          "CREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW SET NEW.b = 1");
  END_ALL("CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1;", /* no END: to the end */
          "CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1;");
  END(PG, "CREATE OR REPLACE FUNCTION f(n int) RETURNS int LANGUAGE sql BEGIN ATOMIC "
          "SELECT n; SELECT CASE WHEN n > 1 THEN 2 END; END; x",
      "CREATE OR REPLACE FUNCTION f(n int) RETURNS int LANGUAGE sql BEGIN ATOMIC "
      "SELECT n; SELECT CASE WHEN n > 1 THEN 2 END; END");
  END(MY, "CREATE DEFINER=`u`@`h` PROCEDURE p() l: BEGIN DECLARE n INT; "
          "IF n THEN SELECT 1; END IF; WHILE n < 2 DO SET n = n + 1; END WHILE; "
          "CASE n WHEN 1 THEN SELECT 3; END CASE; REPEAT SET n = 1; UNTIL 1 END   repeat; "
          "LOOP LEAVE l; END LOOP; BEGIN SELECT 4; END; END l; x",
      "CREATE DEFINER=`u`@`h` PROCEDURE p() l: BEGIN DECLARE n INT; "
      "IF n THEN SELECT 1; END IF; WHILE n < 2 DO SET n = n + 1; END WHILE; "
      "CASE n WHEN 1 THEN SELECT 3; END CASE; REPEAT SET n = 1; UNTIL 1 END   repeat; "
      "LOOP LEAVE l; END LOOP; BEGIN SELECT 4; END; END l");
  END(MY, "BEGIN NOT ATOMIC SELECT 1; END; x", "BEGIN NOT ATOMIC SELECT 1; END");
  END(MY, "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN SELECT 1; END; x",
      "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN SELECT 1; END");
  END(PG, "CREATE FUNCTION f() RETURNS int LANGUAGE sql RETURN a$begin; x", /* after '$': */
      "CREATE FUNCTION f() RETURNS int LANGUAGE sql RETURN a$begin");      /* no word */

  /* PostgreSQL: E'..' takes backslash escapes, a plain '..' none
   * (standard_conforming_strings) */
  END(PG, "SELECT E'it\\'s; here'; SELECT 2", "SELECT E'it\\'s; here'");
  END(PG, "SELECT e'\\\\'; SELECT 2", "SELECT e'\\\\'");
  END(PG, "SELECT (E'\\'');x", "SELECT (E'\\'')");
  END(PG, "SELECT 'a\\'; SELECT 2", "SELECT 'a\\'");
  END(PG, "SELECT xE'\\'; SELECT 2", "SELECT xE'\\'"); /* a word's E is no prefix */
  END(PG, "CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END $$ LANGUAGE plpgsql; x",
      "CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END $$ LANGUAGE plpgsql");
  END(PG, "SELECT $body$ a; $$ b; $body$; x", "SELECT $body$ a; $$ b; $body$");
  END(PG, "SELECT a$x$; SELECT $x$", "SELECT a$x$"); /* '$' inside a word */
  END(PG, "SELECT :a$x$; $x$; x", "SELECT :a$x$; $x$"); /* not after a placeholder */
  END(PG, "SELECT a::b$x$; x", "SELECT a::b$x$");      /* but after a cast's type */
  END(PG, "/* /* ; */ ; */ SELECT 1; x", "/* /* ; */ ; */ SELECT 1");
  END(PG, "SELECT `a;b`", "SELECT `a"); /* no backtick quotes */
  END(PG, "SELECT 1 # 2; x", "SELECT 1 # 2");

  /* MariaDB: backslash escapes in '..' and "..", '#' comments, "--" only
   * before a blank */
  END(MY, "SELECT 'it\\'s; here'; x", "SELECT 'it\\'s; here'");
  END(MY, "SELECT \"a\\\";b\"; x", "SELECT \"a\\\";b\"");
  END(MY, "SELECT 'a\\\\'; x", "SELECT 'a\\\\'");
  END(MY, "# a; b\nSELECT 1; x", "# a; b\nSELECT 1");
  END(MY, "SELECT 1 # a; b\n; x", "SELECT 1 # a; b\n");
  END(MY, "SELECT 1--1; SELECT 2", "SELECT 1--1");
  END(MY, "SELECT 1 -- a; b\n; x", "SELECT 1 -- a; b\n");
  END(MY, "SELECT `a\\`; x", "SELECT `a\\`"); /* backticks take no escapes */
  END(MY, "SELECT `a;b`; x", "SELECT `a;b`");
  END(MY, "SELECT $$;$$", "SELECT $$");

  /* SQLite: [..] identifiers; no escapes, no '#' comments */
  END(SQ, "SELECT [a;b]; x", "SELECT [a;b]");
  END(SQ, "SELECT 'a\\'; x", "SELECT 'a\\'");
  END(SQ, "SELECT E'\\'; x", "SELECT E'\\'");
  END(SQ, "SELECT 1 # 2; x", "SELECT 1 # 2");
  END(SQ, "SELECT 1--1; SELECT 2", "SELECT 1--1; SELECT 2");
  END(SQ, "/* /* ; */ ; */", "/* /* ; */ ");

  /* the rewriter reads ';' as it did: a byte between placeholders */
  RW(PG, DOLLAR, "SELECT ?;SELECT ?", "SELECT $1;SELECT $2", 2);
  RW(MY, QNUM, "SELECT 'a;?';?", "SELECT 'a;?';?1", 1);
  aiodb_test_clean_shutdown();
}
END_TEST

/* The single-row INSERT whose rows may go several to a statement: the
 * table, the tuple and what follows it; anything else is not one. */
static void check_insert(int line, const char *sql, const char *table, const char *tuple,
                         size_t nparams) {
  aiodb__sqlinsert ins;
  int yes = aiodb__sql_insert_values(sql, strlen(sql), MY, &ins);
  ck_assert_msg(yes == (table != NULL), "line %d: %s", line, sql);
  if (!yes) return;
  ck_assert_msg(strlen(table) == ins.table_len && memcmp(sql + ins.table_off, table, ins.table_len) == 0,
                "line %d: table '%.*s'", line, (int)ins.table_len, sql + ins.table_off);
  ck_assert_msg(strlen(tuple) == ins.tuple_len && memcmp(sql + ins.tuple_off, tuple, ins.tuple_len) == 0,
                "line %d: tuple '%.*s'", line, (int)ins.tuple_len, sql + ins.tuple_off);
  ck_assert_uint_eq(ins.tail_off, ins.tuple_off + ins.tuple_len);
  ck_assert_msg(ins.nparams == nparams, "line %d: %zu placeholders", line, ins.nparams);
}

START_TEST(params_insert_values) {
  check_insert(__LINE__, "INSERT INTO t VALUES (?, ?)", "t", "(?, ?)", 2);
  check_insert(__LINE__, " insert ignore into `my db`.`t``x` (a, `b)`) value(?,'?',\"?\",?)  ;",
               "`my db`.`t``x`", "(?,'?',\"?\",?)", 2);
  check_insert(__LINE__, "REPLACE LOW_PRIORITY t VALUES (CONCAT(?, ')'), (SELECT ?), NOW()) -- x ?\n",
               "t", "(CONCAT(?, ')'), (SELECT ?), NOW())", 2);
  check_insert(__LINE__, "/* c */ INSERT INTO db.t(a) VALUES (? /* ) */ + 1 # )\n)", "db.t",
               "(? /* ) */ + 1 # )\n)", 1);
  check_insert(__LINE__, "INSERT INTO t(a, n) VALUES (?, ?) ON DUPLICATE KEY UPDATE n = VALUES(n) + 1",
               "t", "(?, ?)", 2);
  check_insert(__LINE__, "INSERT INTO t VALUES ('it''s \\' ?', ?)", "t", "('it''s \\' ?', ?)", 1);
  /* not one */
  check_insert(__LINE__, "INSERT INTO t(a, n) VALUES (?, ?) ON DUPLICATE KEY UPDATE n = n + ?",
               NULL, NULL, 0);
  check_insert(__LINE__, "INSERT INTO t VALUES (?), (?)", NULL, NULL, 0);
  check_insert(__LINE__, "INSERT INTO t SELECT ?", NULL, NULL, 0);
  check_insert(__LINE__, "INSERT INTO t(a) /* VALUES (?) */ SELECT ?", NULL, NULL, 0);
  check_insert(__LINE__, "INSERT INTO t SET a = ?", NULL, NULL, 0);
  check_insert(__LINE__, "INSERT INTO t VALUES (?) RETURNING id", NULL, NULL, 0);
  check_insert(__LINE__, "INSERT INTO t VALUES (?); INSERT INTO t VALUES (?)", NULL, NULL, 0);
  check_insert(__LINE__, "INSERT INTO t VALUES (?) AS new ON DUPLICATE KEY UPDATE a = new.a",
               NULL, NULL, 0);
  check_insert(__LINE__, "INSERT INTO t PARTITION (p0) VALUES (?)", NULL, NULL, 0);
  check_insert(__LINE__, "INSERT INTO t(a, ?) VALUES (?)", NULL, NULL, 0);
  check_insert(__LINE__, "INSERT INTO t VALUES (?", NULL, NULL, 0);
  check_insert(__LINE__, "INSERT INTO VALUES (?)", NULL, NULL, 0);
  check_insert(__LINE__, "INSERT INTO \"t\" VALUES (?)", NULL, NULL, 0);
  check_insert(__LINE__, "/*!INSERT*/ INTO t VALUES (?)", NULL, NULL, 0);
  check_insert(__LINE__, "UPDATE t SET a = ? -- INSERT INTO t VALUES (?)", NULL, NULL, 0);
  check_insert(__LINE__, "INSERTS INTO t VALUES (?)", NULL, NULL, 0);
  check_insert(__LINE__, "", NULL, NULL, 0);
}
END_TEST

Suite *aiodb_suite_params(void) {
  return AIODB_SUITE("params", params_empty, params_positional, params_named, params_names,
                     params_qmark_slots,
                     params_literal_question_mark, params_string_literals,
                     params_quoted_identifiers, params_backticks, params_brackets,
                     params_line_comments, params_hash_comments, params_block_comments,
                     params_pg_escape_strings, params_mysql_backslashes, params_dollar_quotes,
                     params_colons, params_mixing, params_unterminated, params_exact_out_len,
                     params_slots_too_small, params_limits, params_out_of_memory,
                     params_stmt_end, params_insert_values);
}
