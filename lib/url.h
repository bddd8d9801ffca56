/* URLs (lib/url.c): the parser, and the option helpers that the core and
 * the drivers share. Pure functions, no threads.
 *
 * scheme://[user[:password]@][host][:port][/path][?key=value&...]
 * Every component is percent-decoded. Absent components are NULL (port 0).
 * The path is what follows the '/' after the authority, so
 * "sqlite:///rel.db" gives path "rel.db" and "sqlite:////abs.db" "/abs.db";
 * "sqlite://" gives path NULL. IPv6 hosts go in brackets: [::1]:5432.
 * The authority may list several hosts, as libpq's multi-host URLs do:
 * scheme://user:pw@h1:p1,h2:p2/db (see aiodb__url.hosts). */
#ifndef AIODB_URL_H
#define AIODB_URL_H

#include <stddef.h>

#include "aiodb.h"

typedef struct aiodb__kv {
  char *key;
  char *value;   /* "" for "?flag" with no '=' */
  int used;      /* set by whoever consumes the option */
} aiodb__kv;

typedef struct aiodb__url_host {
  char *host;
  unsigned port;   /* 0: none */
} aiodb__url_host;

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
  /* A host list in the authority ("h1:p1,h2:p2", for failover): its
   * nhosts (2 or more) entries in order, each with a host; host and port
   * above are a copy of the first's. NULL and 0 for one host or none. */
  aiodb__url_host *hosts;
  size_t nhosts;
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
/* u's host list (u->nhosts of 2 or more) as libpq's host and port values:
 * *hosts "h1,h2,...", *ports "p1,p2,..." with an empty item for a host
 * without a port, or NULL when no host has one; the caller frees both
 * (aiodb__free). 0, AIODB_EINVAL for a host holding a ',' (%2C: it would
 * read as two), or AIODB_ENOMEM. */
int aiodb__url_host_lists(const aiodb__url *u, char **hosts, char **ports,
                          aiodb_error *err);

#endif
