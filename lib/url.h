/* URL parsing and the placeholder lexer: pure functions, no threads. */
#ifndef AIODB_URL_H
#define AIODB_URL_H

#include <stddef.h>
#include <stdint.h>

#include "aiodb.h"

/* ---- allocation (lib/alloc.c): the pluggable allocator ---- */
void *aiodb__malloc(size_t n);
void *aiodb__calloc(size_t n, size_t size);
void *aiodb__realloc(void *p, size_t n);
void aiodb__free(void *p);
char *aiodb__strdup(const char *s);
char *aiodb__strndup(const char *s, size_t n);

/* Fills err (if not NULL) with code and a printf-style message, and no
 * SQLSTATE or native code. Returns code. */
int aiodb__error_set(aiodb_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Sets err (if not NULL) to success: every field empty. */
void aiodb__error_clear(aiodb_error *err);

/* ---- URLs (lib/url.c) ----
 * scheme://[user[:password]@][host][:port][/path][?key=value&...]
 * Every component is percent-decoded. Absent components are NULL (port 0).
 * The path is what follows the '/' after the authority, so
 * "sqlite:///rel.db" gives path "rel.db" and "sqlite:////abs.db" "/abs.db";
 * "sqlite://" gives path NULL. IPv6 hosts go in brackets: [::1]:5432. */
typedef struct aiodb__kv {
  char *key;
  char *value;   /* "" for "?flag" with no '=' */
  int used;      /* set by whoever consumes the option */
} aiodb__kv;

typedef struct aiodb__url {
  char *scheme;    /* lower-cased */
  char *user;
  char *password;
  char *host;
  unsigned port;   /* 0: none */
  char *path;
  aiodb__kv *query;
  size_t nquery;
  int at_after_host; /* an '@' follows the authority: the path or query may
                        hold the rest of a password cut short there */
} aiodb__url;

/* Parses url into *out (zeroed first). Returns 0, or AIODB_EINVAL /
 * AIODB_ENOMEM with err filled; the message never contains the password.
 * On failure *out holds nothing to free.
 *
 * The authority ends at the first '/' or '?', so a password holding an
 * unescaped '/' or '?' is cut there, and its rest, up to the real '@', is
 * read as the path or query: at_after_host is set, and a URL with a
 * password and an '@' in its path or in an option name is refused. */
int aiodb__url_parse(const char *url, aiodb__url *out, aiodb_error *err);
void aiodb__url_free(aiodb__url *u);
/* The value of query option key (marking it used), or NULL. The last
 * occurrence wins. */
const char *aiodb__url_opt(aiodb__url *u, const char *key);
/* Parses an option value as an unsigned integer within [min, max]; 0 or
 * AIODB_EINVAL with a message naming the option (key, a literal name) but
 * not quoting the value, which may be a piece of a password. */
int aiodb__parse_uint(const char *key, const char *value, unsigned long min,
                      unsigned long max, unsigned long *out, aiodb_error *err);
/* Parses a boolean option value: 1/0, true/false, yes/no, on/off; the
 * message does not quote the value either. */
int aiodb__parse_bool(const char *key, const char *value, int *out,
                      aiodb_error *err);
/* The first query option not marked used, or NULL: for "unknown option". */
const aiodb__kv *aiodb__url_unused(const aiodb__url *u);
/* Fills err with AIODB_EINVAL, "unknown option 'NAME' for DRIVER", and
 * returns it. The name is quoted only when it cannot be a piece of a
 * password: letters, digits, '_', '-' and '.' (64 at most), no '@' after
 * the authority, no password option before it (an unescaped '&' in that
 * value starts a new option); otherwise the message says the name is not
 * shown. kv is one of u's query options. */
int aiodb__url_unknown_option(const aiodb__url *u, const aiodb__kv *kv,
                              const char *driver, aiodb_error *err);

/* ---- placeholders (lib/params.c) ---- */
typedef enum aiodb__dialect {
  AIODB__DIALECT_SQLITE = 0,  /* '..' "..", `..`, [..] quoted; no backslash escapes */
  AIODB__DIALECT_POSTGRES,    /* '..' E'..' "..", $tag$..$tag$, nested block comments, :: casts */
  AIODB__DIALECT_MYSQL        /* '..' ".." with backslash escapes, `..`, # comments */
} aiodb__dialect;

typedef enum aiodb__pstyle {
  AIODB__PSTYLE_QNUM = 0,   /* ?1 ?2 ... (no driver uses it; SQLite takes
                               QMARK, which keeps its column names) */
  AIODB__PSTYLE_DOLLAR,     /* $1 $2 ... (libpq) */
  AIODB__PSTYLE_QMARK       /* ? only: one slot per occurrence (SQLite,
                               MySQL) */
} aiodb__pstyle;

/* A statement rewritten for a driver. */
typedef struct aiodb__sqlplan {
  size_t out_len;   /* bytes of rewritten SQL, without the NUL */
  size_t nargs;     /* arguments the caller must pass */
  size_t nslots;    /* values the driver binds, in its order */
} aiodb__sqlplan;

/* Rewrites the portable placeholders of sql[0..len) ('?' positional,
 * ':name' named, '??' a literal '?') into the driver's style.
 *
 * Two-call protocol: with out == NULL only plan is filled (sizes); then the
 * caller provides out (plan->out_len + 1 bytes, NUL-terminated on return)
 * and slots (plan->nslots entries: slot i binds argument slots[i]).
 * For QNUM and DOLLAR each argument is bound once, so nslots == nargs and
 * slots[i] == i; for QMARK a repeated name fills one slot per occurrence.
 *
 * Returns 0, or AIODB_EINVAL with errbuf filled (e.g. "placeholders '?' and
 * ':name' cannot be mixed", "unterminated string literal" is NOT an error:
 * unterminated quotes/comments simply run to the end, the driver reports
 * the syntax error). */
int aiodb__sql_rewrite(const char *sql, size_t len, aiodb__dialect dialect,
                       aiodb__pstyle style, char *out, uint32_t *slots,
                       aiodb__sqlplan *plan, char *errbuf, size_t errlen);

#endif
