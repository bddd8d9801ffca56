/* The URL parser (lib/url.c) and every driver's option parsing, through
 * aiodb__open_check: what aiodb_open does before it starts anything, so a
 * fuzzed URL never opens a connection or a file. The first byte picks a
 * mode (and options), the rest is text:
 *
 *  mode % 4 == 0, 1: the text is the URL. Checked: the outcome's code and
 *    message; a parsed URL's components (a lower-case scheme, a port in
 *    range, no empty host, user or option name, the last value of an
 *    option wins); and that the URL rebuilt from its components, every
 *    byte percent-encoded, parses back to the same components.
 *  mode % 4 == 2: "U\nP\nR" becomes scheme://U:P@R, with P a password;
 *  mode % 4 == 3: "A\nK\nP\nR" becomes scheme://A?K=P R (or A&K=P R),
 *    P the value of option K, password when K is empty.
 *    Letters of P become Q, Z or J, which U, A, K and R never hold (theirs
 *    are lower-cased), and no message may hold two of them in a row: no
 *    message quotes an option value or a piece of a password, however cut
 *    (include/aiodb.h, aiodb_open). The scheme is chosen by mode / 4.
 * With bit 4 of the mode set, aiodb_options from mode / 32 go along. */
#include <string.h>

#include "fuzz.h"
#include "options.h"
#include "url.h"

static const char *const schemes[] = {
    "sqlite", "postgresql", "mysql", "postgres", "mariadb", "sqlite3",
    "postgresql+psycopg2", "oracle",
};

static int is_scheme_char(int c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '.' || c == '-';
}

/* Appends s percent-encoded (all but letters, digits and "-._~"). */
static size_t put_encoded(char *out, size_t n, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  unsigned char c;
  for (; *s; s++) {
    c = (unsigned char)*s;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~') {
      out[n++] = (char)c;
    } else {
      out[n++] = '%';
      out[n++] = hex[c >> 4];
      out[n++] = hex[c & 15];
    }
  }
  return n;
}

static int same(const char *a, const char *b) {
  if (a == NULL || b == NULL) return a == b;
  return strcmp(a, b) == 0;
}

/* u rebuilt, parsed again: the same components. */
static void check_round_trip(const aiodb__url *u, size_t url_len) {
  aiodb__url v;
  aiodb_error err;
  char *s = malloc(url_len * 3 + 64);
  char port[16];
  size_t n = 0, i;
  int rc;

  FUZZ_CHECK(s != NULL, "out of memory");
  n = (size_t)sprintf(s, "%s://", u->scheme);
  if (u->user != NULL || u->password != NULL) {
    if (u->user != NULL) n = put_encoded(s, n, u->user);
    if (u->password != NULL) {
      s[n++] = ':';
      n = put_encoded(s, n, u->password);
    }
    s[n++] = '@';
  }
  if (u->host != NULL) n = put_encoded(s, n, u->host);
  if (u->port != 0) {
    snprintf(port, sizeof port, ":%u", u->port);
    memcpy(s + n, port, strlen(port));
    n += strlen(port);
  }
  if (u->path != NULL) {
    s[n++] = '/';
    n = put_encoded(s, n, u->path);
  }
  for (i = 0; i < u->nquery; i++) {
    s[n++] = i == 0 ? '?' : '&';
    n = put_encoded(s, n, u->query[i].key);
    s[n++] = '=';
    n = put_encoded(s, n, u->query[i].value);
  }
  s[n] = '\0';

  rc = aiodb__url_parse(s, &v, &err);
  FUZZ_CHECK(rc == 0, "the rebuilt URL does not parse: %s", err.message);
  FUZZ_CHECK(same(u->scheme, v.scheme) && same(u->user, v.user) &&
                 same(u->password, v.password) && same(u->host, v.host) &&
                 u->port == v.port && same(u->path, v.path) &&
                 u->nquery == v.nquery,
             "the rebuilt URL parses differently");
  for (i = 0; i < u->nquery; i++)
    FUZZ_CHECK(same(u->query[i].key, v.query[i].key) &&
                   same(u->query[i].value, v.query[i].value),
               "option %zu differs once rebuilt", i);
  FUZZ_CHECK(!v.at_after_host, "an '@' after the host once rebuilt");
  aiodb__url_free(&v);
  free(s);
}

static void check_parse(const char *url) {
  aiodb__url u;
  aiodb_error err;
  const char *p;
  size_t i, j, amps = 0;
  int rc;

  memset(&err, 0, sizeof err);
  rc = aiodb__url_parse(url, &u, &err);
  if (rc != 0) {
    FUZZ_CHECK(rc == AIODB_EINVAL || rc == AIODB_ENOMEM, "code %d", rc);
    FUZZ_CHECK(err.code == rc && err.message[0] != '\0', "no message");
    FUZZ_CHECK(u.scheme == NULL && u.user == NULL && u.password == NULL &&
                   u.host == NULL && u.path == NULL && u.query == NULL &&
                   u.nquery == 0,
               "a failed parse left something to free");
    return;
  }
  FUZZ_CHECK(u.scheme != NULL && u.scheme[0] >= 'a' && u.scheme[0] <= 'z',
             "scheme '%s'", u.scheme ? u.scheme : "(null)");
  for (p = u.scheme; *p; p++)
    FUZZ_CHECK(is_scheme_char((unsigned char)*p), "scheme '%s'", u.scheme);
  FUZZ_CHECK(strncasecmp(url, u.scheme, strlen(u.scheme)) == 0 &&
                 strncmp(url + strlen(u.scheme), "://", 3) == 0,
             "scheme '%s' is not the URL's", u.scheme);
  FUZZ_CHECK(u.port <= 65535, "port %u", u.port);
  FUZZ_CHECK(u.host == NULL || u.host[0] != '\0', "an empty host");
  FUZZ_CHECK(u.user == NULL || u.user[0] != '\0', "an empty user");
  FUZZ_CHECK(u.path == NULL || u.path[0] != '\0', "an empty path");
  for (p = url; *p; p++)
    if (*p == '&') amps++;
  FUZZ_CHECK(u.nquery <= amps + 1, "%zu options from %zu '&'", u.nquery, amps);
  for (i = 0; i < u.nquery; i++)
    FUZZ_CHECK(u.query[i].key != NULL && u.query[i].key[0] != '\0' &&
                   u.query[i].value != NULL && !u.query[i].used,
               "option %zu", i);
  /* The last occurrence wins, and every occurrence is then used. */
  for (i = 0; i < u.nquery; i++) {
    const char *want = NULL;
    for (j = 0; j < u.nquery; j++)
      if (strcmp(u.query[j].key, u.query[i].key) == 0) want = u.query[j].value;
    FUZZ_CHECK(aiodb__url_opt(&u, u.query[i].key) == want, "option %zu's value", i);
  }
  FUZZ_CHECK(aiodb__url_unused(&u) == NULL, "an option left unused");
  for (i = 0; i < u.nquery; i++) {
    memset(&err, 0, sizeof err);
    rc = aiodb__url_unknown_option(&u, &u.query[i], "fuzz", &err);
    FUZZ_CHECK(rc == AIODB_EINVAL && err.message[0] != '\0', "unknown option");
  }
  check_round_trip(&u, strlen(url));
  aiodb__url_free(&u);
}

static void options_of(unsigned k, aiodb_options *o) {
  aiodb_options_init(o);
  switch (k % 8) {
    case 0: o->max_size = 4; o->min_size = 2; break;
    case 1: o->min_size = 5; break;  /* larger than the default max_size */
    case 2: o->statement_cache = 100001; break;
    case 3: o->timeout_ms = -1; o->busy_timeout_ms = 10; break;
    case 4: o->force_rollback = 1; o->max_size = 3; break;
    case 5: o->pipeline = 2000; break;
    case 6: o->close_timeout_ms = -5; break;
    default: o->spin_us = 1000; o->worker_nice = 19; o->stack_size = 1; break;
  }
}

static void check_open(const char *url, const aiodb_options *opts,
                       aiodb_error *err) {
  int rc;

  memset(err, 0x55, sizeof *err);
  rc = aiodb__open_check(url, opts, err);
  FUZZ_CHECK(rc == err->code, "returned %d, err says %d", rc, err->code);
  FUZZ_CHECK(memchr(err->message, '\0', sizeof err->message) != NULL,
             "message not terminated");
  if (rc == 0) {
    FUZZ_CHECK(err->message[0] == '\0', "a message on success: %s", err->message);
    return;
  }
  FUZZ_CHECK(rc == AIODB_EINVAL || rc == AIODB_ENOMEM || rc == AIODB_EUNSUPPORTED,
             "code %d: %s", rc, err->message);
  FUZZ_CHECK(err->message[0] != '\0', "no message for %d", rc);
}

/* Appends s[0..n) with the password letters Q, Z and J lower-cased. */
static size_t put_plain(char *out, size_t at, const char *s, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    out[at++] = s[i] == 'Q' || s[i] == 'Z' || s[i] == 'J' ? (char)(s[i] + 32) : s[i];
  return at;
}

/* Appends s[0..n) with every letter made one of Q, Z and J, and '&' made
 * '-' unless amp. */
static size_t put_password(char *out, size_t at, const char *s, size_t n,
                           int amp) {
  size_t i;
  char c;
  for (i = 0; i < n; i++) {
    c = s[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) c = "QZJ"[c % 3];
    if (c == '&' && !amp) c = '-';
    out[at++] = c;
  }
  return at;
}

static int holds_password_piece(const char *msg) {
  const char *p;
  for (p = msg; p[0] && p[1]; p++)
    if (strchr("QZJ", p[0]) && strchr("QZJ", p[1])) return 1;
  return 0;
}

static void check_secret(unsigned mode, const char *text, const aiodb_options *opts) {
  const char *part[4];
  const char *scheme = schemes[(mode / 4) % (sizeof schemes / sizeof schemes[0])];
  size_t n = strlen(text), at, len[4], i, parts = mode % 4 == 2 ? 3 : 4;
  aiodb_error err;
  char *url;
  int is_password;

  /* parts pieces separated by '\n', the last running to the end */
  part[0] = text;
  for (i = 0; i + 1 < parts; i++) {
    const char *nl = strchr(part[i], '\n');
    if (nl == NULL) return;
    len[i] = (size_t)(nl - part[i]);
    part[i + 1] = nl + 1;
  }
  len[parts - 1] = strlen(part[parts - 1]);
  url = malloc(n + 64);
  FUZZ_CHECK(url != NULL, "out of memory");
  at = (size_t)sprintf(url, "%s://", scheme);
  if (mode % 4 == 2) {
    /* U:P@R */
    at = put_plain(url, at, part[0], len[0]);
    url[at++] = ':';
    at = put_password(url, at, part[1], len[1], 1);
    url[at++] = '@';
    at = put_plain(url, at, part[2], len[2]);
  } else {
    /* A?K=P R: P is the value of option K (password when K is empty). An
     * unescaped '&' in it starts another option, whose name is unquoted
     * only after a password option; after any other, P holds no '&'. */
    at = put_plain(url, at, part[0], len[0]);
    if (memchr(part[0], '?', len[0]) == NULL)
      url[at++] = '?';
    else if (len[0] > 0 && part[0][len[0] - 1] != '?' && part[0][len[0] - 1] != '&')
      url[at++] = '&';
    is_password = len[1] == 0 || (len[1] == 8 && memcmp(part[1], "password", 8) == 0);
    if (len[1] == 0) {
      memcpy(url + at, "password", 8);
      at += 8;
    } else {
      at = put_plain(url, at, part[1], len[1]);
    }
    url[at++] = '=';
    at = put_password(url, at, part[2], len[2], is_password);
    at = put_plain(url, at, part[3], len[3]);
  }
  url[at] = '\0';

  check_parse(url);
  check_open(url, opts, &err);
  FUZZ_CHECK(!holds_password_piece(err.message),
             "a message quotes a password or an option value: %s\n  URL: %s",
             err.message, url);
  free(url);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  aiodb_options opts;
  aiodb_error err;
  unsigned mode;
  char *text;

  if (size < 1) return 0;
  mode = data[0];
  /* A C string: the URL ends at a NUL. */
  text = malloc(size);
  FUZZ_CHECK(text != NULL, "out of memory");
  memcpy(text, data + 1, size - 1);
  text[size - 1] = '\0';
  if (mode & 16) options_of(mode / 32, &opts);

  if (mode % 4 < 2) {
    check_parse(text);
    check_open(text, mode & 16 ? &opts : NULL, &err);
  } else {
    check_secret(mode, text, mode & 16 ? &opts : NULL);
  }
  free(text);
  FUZZ_CHECK(aiodb__alloc_live() == 0, "%ld aiodb allocations live",
             aiodb__alloc_live());
  return 0;
}
