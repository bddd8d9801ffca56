/* URL parsing. Error messages never quote the URL itself: a password with
 * an unescaped '/' or '?' would land in whatever component we complain
 * about, so only the scheme and the component's name are ever named, and
 * option names only where they cannot be such a piece
 * (aiodb__url_unknown_option); option values never. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "hex.h"
#include "secret.h"
#include "alloc.h"
#include "error.h"
#include "url.h"

static int is_alpha(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(int c) { return c >= '0' && c <= '9'; }

static int is_scheme_char(int c) {
  return is_alpha(c) || is_digit(c) || c == '+' || c == '.' || c == '-';
}

static int to_lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* Decodes s[0..n) into *out; '+' becomes a space when plus is set. An
 * empty input gives NULL when empty_null is set. "%00" is refused: the
 * components are C strings and would be silently cut short. */
static int decode(const char *s, size_t n, int plus, int empty_null,
                  char **out, const char *what, aiodb_error *err) {
  char *d;
  size_t i, j;
  int hi, lo;

  *out = NULL;
  if (n == 0 && empty_null) return 0;
  d = aiodb__malloc(n + 1);
  if (d == NULL) return aiodb__error_set(err, AIODB_ENOMEM, "out of memory");
  for (i = 0, j = 0; i < n; i++) {
    if (s[i] == '%') {
      hi = i + 1 < n ? aiodb__hex_digit((unsigned char)s[i + 1]) : -1;
      lo = i + 2 < n ? aiodb__hex_digit((unsigned char)s[i + 2]) : -1;
      if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
        aiodb__free(d);
        return aiodb__error_set(err, AIODB_EINVAL,
                                "malformed URL: bad percent-escape in the %s "
                                "(expected %%XX with two hex digits, not %%00)",
                                what);
      }
      d[j++] = (char)(hi * 16 + lo);
      i += 2;
    } else if (s[i] == '+' && plus) {
      d[j++] = ' ';
    } else {
      d[j++] = s[i];
    }
  }
  d[j] = '\0';
  *out = d;
  return 0;
}

static int parse_port(const char *s, size_t n, const char *scheme,
                      unsigned *port, aiodb_error *err) {
  unsigned long v = 0;
  size_t i;

  for (i = 0; i < n && is_digit((unsigned char)s[i]) && v <= 65535; i++)
    v = v * 10 + (unsigned long)(s[i] - '0');
  if (n == 0 || i < n || v < 1 || v > 65535)
    return aiodb__error_set(err, AIODB_EINVAL,
                            "invalid port in %s URL: expected a number "
                            "from 1 to 65535", scheme);
  *port = (unsigned)v;
  return 0;
}

static int parse_hostport(const char *s, size_t n, aiodb__url *u,
                          aiodb_error *err) {
  const char *end = s + n;
  const char *colon;
  const char *rb;
  int rc;

  if (n > 0 && s[0] == '[') {
    rb = memchr(s, ']', n);
    if (rb == NULL)
      return aiodb__error_set(err, AIODB_EINVAL,
                              "malformed URL: '[' without ']' in the host");
    if (rb + 1 < end && rb[1] != ':')
      return aiodb__error_set(err, AIODB_EINVAL,
                              "malformed URL: unexpected text after ']' in "
                              "the host");
    rc = decode(s + 1, (size_t)(rb - s - 1), 0, 1, &u->host, "host", err);
    colon = rb + 1 < end ? rb + 1 : NULL;
  } else {
    colon = memchr(s, ':', n);
    rc = decode(s, colon ? (size_t)(colon - s) : n, 0, 1, &u->host, "host",
                err);
  }
  if (rc != 0) return rc;
  if (colon == NULL) return 0;
  return parse_port(colon + 1, (size_t)(end - colon - 1), u->scheme, &u->port,
                    err);
}

/* "h1:p1,h2:p2,...": libpq's multi-host authority. Each entry is read as
 * parse_hostport reads a lone host, and must name a host. */
static int parse_hostlist(const char *s, size_t n, aiodb__url *u,
                          aiodb_error *err) {
  const char *end = s + n, *p, *comma;
  aiodb__url one;
  size_t count = 1, i;
  int rc;

  for (p = s; p < end; p++)
    if (*p == ',') count++;
  u->hosts = aiodb__calloc(count, sizeof *u->hosts);
  if (u->hosts == NULL)
    return aiodb__error_set(err, AIODB_ENOMEM, "out of memory");
  for (p = s, i = 0; i < count; i++, p = comma + 1) {
    comma = memchr(p, ',', (size_t)(end - p));
    if (comma == NULL) comma = end;
    memset(&one, 0, sizeof one);
    one.scheme = u->scheme;
    rc = parse_hostport(p, (size_t)(comma - p), &one, err);
    u->hosts[i].host = one.host;
    u->hosts[i].port = one.port;
    u->nhosts = i + 1;
    if (rc != 0) return rc;
    if (one.host == NULL)
      return aiodb__error_set(err, AIODB_EINVAL,
                              "malformed URL: entry %zu of the host list in "
                              "the %s URL names no host",
                              i + 1, u->scheme);
  }
  u->host = aiodb__strdup(u->hosts[0].host);
  if (u->host == NULL)
    return aiodb__error_set(err, AIODB_ENOMEM, "out of memory");
  u->port = u->hosts[0].port;
  return 0;
}

static int parse_query(const char *s, aiodb__url *u, aiodb_error *err) {
  const char *p;
  const char *amp;
  const char *eq;
  size_t n, cap = 1;
  char *key;
  char *value;
  int rc;

  for (p = s; *p; p++)
    if (*p == '&') cap++;
  u->query = aiodb__malloc(cap * sizeof *u->query);
  if (u->query == NULL)
    return aiodb__error_set(err, AIODB_ENOMEM, "out of memory");

  for (p = s; *p != '\0'; p = *amp ? amp + 1 : amp) {
    amp = strchr(p, '&');
    if (amp == NULL) amp = p + strlen(p);
    n = (size_t)(amp - p);
    if (n == 0) continue;  /* "a=1&&b=2", a trailing '&' */
    eq = memchr(p, '=', n);
    if (eq == p)
      return aiodb__error_set(err, AIODB_EINVAL,
                              "malformed URL: empty option name in the query");
    rc = decode(p, eq ? (size_t)(eq - p) : n, 0, 0, &key, "query", err);
    if (rc != 0) return rc;
    if (eq)
      rc = decode(eq + 1, (size_t)(amp - eq - 1), 1, 0, &value, "query", err);
    else
      rc = decode("", 0, 0, 0, &value, "query", err);
    if (rc != 0) {
      aiodb__free(key);
      return rc;
    }
    u->query[u->nquery].key = key;
    u->query[u->nquery].value = value;
    u->query[u->nquery].used = 0;
    u->nquery++;
  }
  return 0;
}

/* Whether s, what follows the authority, has an '@' in the path or in an
 * option name (not in an option value). */
static int at_outside_values(const char *s) {
  int in_query = 0, in_value = 0;

  for (; *s != '\0'; s++) {
    if (*s == '?' && !in_query)
      in_query = 1;
    else if (in_query && *s == '&')
      in_value = 0;
    else if (in_query && *s == '=')
      in_value = 1;
    else if (*s == '@' && !in_value)
      return 1;
  }
  return 0;
}

static int parse(const char *url, aiodb__url *u, aiodb_error *err) {
  const char *auth;
  const char *auth_end;
  const char *at;
  const char *colon;
  const char *p;
  const char *q;
  size_t i, n;
  int rc;

  if (*url == '\0')
    return aiodb__error_set(err, AIODB_EINVAL, "malformed URL: empty string");
  n = 0;
  while (is_scheme_char((unsigned char)url[n])) n++;
  if (!is_alpha((unsigned char)url[0]) || strncmp(url + n, "://", 3) != 0)
    return aiodb__error_set(err, AIODB_EINVAL,
                            "malformed URL: expected scheme://..., e.g. "
                            "sqlite:///file.db");
  u->scheme = aiodb__strndup(url, n);
  if (u->scheme == NULL)
    return aiodb__error_set(err, AIODB_ENOMEM, "out of memory");
  for (i = 0; i < n; i++)
    u->scheme[i] = (char)to_lower((unsigned char)u->scheme[i]);

  auth = url + n + 3;
  auth_end = auth + strcspn(auth, "/?");

  /* The last '@': an unescaped '@' in a password still parses. */
  at = NULL;
  for (p = auth; p < auth_end; p++)
    if (*p == '@') at = p;
  if (at != NULL) {
    colon = memchr(auth, ':', (size_t)(at - auth));
    rc = decode(auth, colon ? (size_t)(colon - auth) : (size_t)(at - auth), 0,
                1, &u->user, "user name", err);
    if (rc != 0) return rc;
    if (colon != NULL) {
      rc = decode(colon + 1, (size_t)(at - colon - 1), 0, 0, &u->password,
                  "password", err);
      if (rc != 0) return rc;
    }
    auth = at + 1;
  }
  /* "u:a@b?c@h/db": the password "a@b?c" was cut at its '?', "b" taken
   * for the host and "c@h/db" for an option. Nothing after the authority
   * may be quoted then. With a password and an '@' where none can belong
   * (the path, an option name), refuse rather than hand the pieces to a
   * driver, whose messages would repeat them; an '@' in an option value
   * (init_command=SET @x...) is allowed. */
  u->at_after_host = strchr(auth_end, '@') != NULL;
  if (u->at_after_host && u->password != NULL && at_outside_values(auth_end))
    return aiodb__error_set(err, AIODB_EINVAL,
                            "malformed URL: an '@' in the path or in an "
                            "option name of a URL with a password; "
                            "percent-encode '/', '?' and '@' in the password "
                            "(%%2F, %%3F, %%40)");
  if (memchr(auth, ',', (size_t)(auth_end - auth)) != NULL)
    rc = parse_hostlist(auth, (size_t)(auth_end - auth), u, err);
  else
    rc = parse_hostport(auth, (size_t)(auth_end - auth), u, err);
  if (rc != 0) return rc;

  q = auth_end;
  if (*auth_end == '/') {
    q = auth_end + 1 + strcspn(auth_end + 1, "?");
    rc = decode(auth_end + 1, (size_t)(q - auth_end - 1), 0, 1, &u->path,
                "path", err);
    if (rc != 0) return rc;
  }
  if (*q == '?') return parse_query(q + 1, u, err);
  return 0;
}

int aiodb__url_parse(const char *url, aiodb__url *out, aiodb_error *err) {
  int rc;

  if (out == NULL)
    return aiodb__error_set(err, AIODB_EINVAL, "no URL to parse into");
  memset(out, 0, sizeof *out);
  if (url == NULL)
    return aiodb__error_set(err, AIODB_EINVAL, "malformed URL: NULL");
  rc = parse(url, out, err);
  if (rc != 0) aiodb__url_free(out);
  return rc;
}

void aiodb__url_free(aiodb__url *u) {
  size_t i;

  if (u == NULL) return;
  for (i = 0; i < u->nquery; i++) {
    if (strcmp(u->query[i].key, "password") == 0)
      aiodb__free_secret(u->query[i].value);
    else
      aiodb__free(u->query[i].value);
    aiodb__free(u->query[i].key);
  }
  aiodb__free(u->query);
  aiodb__free(u->scheme);
  aiodb__free(u->user);
  aiodb__free_secret(u->password);
  aiodb__free(u->host);
  aiodb__free(u->path);
  for (i = 0; i < u->nhosts; i++) aiodb__free(u->hosts[i].host);
  aiodb__free(u->hosts);
  memset(u, 0, sizeof *u);
}

const char *aiodb__url_opt(aiodb__url *u, const char *key) {
  const char *value = NULL;
  size_t i;

  if (u == NULL || key == NULL) return NULL;
  /* Every occurrence is consumed, or the earlier ones would later be
   * reported as unknown options. */
  for (i = 0; i < u->nquery; i++) {
    if (strcmp(u->query[i].key, key) == 0) {
      u->query[i].used = 1;
      value = u->query[i].value;
    }
  }
  return value;
}

const aiodb__kv *aiodb__url_unused(const aiodb__url *u) {
  size_t i;

  if (u == NULL) return NULL;
  for (i = 0; i < u->nquery; i++)
    if (!u->query[i].used) return &u->query[i];
  return NULL;
}

/* An option name that is a plain word, and could not have come from a
 * password split at an unescaped character (see the header). */
static int quotable_option(const aiodb__url *u, const aiodb__kv *kv) {
  const char *p;
  size_t i;

  if (u->at_after_host || kv->key[0] == '\0') return 0;
  for (p = kv->key; *p; p++)
    if (!is_alpha((unsigned char)*p) && !is_digit((unsigned char)*p) &&
        *p != '_' && *p != '-' && *p != '.')
      return 0;
  if (p - kv->key > 64) return 0;
  for (i = 0; i < u->nquery && &u->query[i] != kv; i++)
    if (strcmp(u->query[i].key, "password") == 0) return 0;
  return 1;
}

int aiodb__url_unknown_option(const aiodb__url *u, const aiodb__kv *kv,
                              const char *driver, aiodb_error *err) {
  if (quotable_option(u, kv))
    return aiodb__error_set(err, AIODB_EINVAL, "unknown option '%s' for %s",
                            kv->key, driver);
  return aiodb__error_set(err, AIODB_EINVAL,
                          "unknown option for %s (its name is not shown: it "
                          "may be a piece of a password; percent-encode '&', "
                          "'/', '?' and '@' in a password)",
                          driver);
}

int aiodb__url_host_lists(const aiodb__url *u, char **hosts, char **ports,
                          aiodb_error *err) {
  size_t i, len = 0, hn = 0, pn = 0;
  int any_port = 0;

  *hosts = *ports = NULL;
  for (i = 0; i < u->nhosts; i++) {
    if (strchr(u->hosts[i].host, ',') != NULL)
      return aiodb__error_set(err, AIODB_EINVAL,
                              "a host of the %s URL's host list holds a ',' "
                              "(%%2C), which would read as two hosts",
                              u->scheme);
    len += strlen(u->hosts[i].host) + 1;
    any_port |= u->hosts[i].port != 0;
  }
  *hosts = aiodb__malloc(len + 1);
  if (any_port) *ports = aiodb__malloc(u->nhosts * 6 + 1);
  if (*hosts == NULL || (any_port && *ports == NULL)) {
    aiodb__free(*hosts);
    aiodb__free(*ports);
    *hosts = *ports = NULL;
    return aiodb__error_set(err, AIODB_ENOMEM, "out of memory");
  }
  for (i = 0; i < u->nhosts; i++) {
    len = strlen(u->hosts[i].host);
    if (i > 0) (*hosts)[hn++] = ',';
    memcpy(*hosts + hn, u->hosts[i].host, len);
    hn += len;
    if (!any_port) continue;
    if (i > 0) (*ports)[pn++] = ',';
    if (u->hosts[i].port != 0)
      pn += (size_t)sprintf(*ports + pn, "%u", u->hosts[i].port);
  }
  (*hosts)[hn] = '\0';
  if (any_port) (*ports)[pn] = '\0';
  return 0;
}

int aiodb__parse_uint(const char *key, const char *value, unsigned long min,
                      unsigned long max, unsigned long *out,
                      aiodb_error *err) {
  unsigned long v = 0, d;
  const char *p;
  int ok = value != NULL && *value != '\0';

  for (p = value; ok && *p != '\0'; p++) {
    if (!is_digit((unsigned char)*p)) {
      ok = 0;
      break;
    }
    d = (unsigned long)(*p - '0');
    if (v > (ULONG_MAX - d) / 10) {
      ok = 0;
      break;
    }
    v = v * 10 + d;
  }
  if (!ok || v < min || v > max)
    return aiodb__error_set(err, AIODB_EINVAL,
                            "option '%.64s' must be an integer between %lu "
                            "and %lu",
                            key ? key : "", min, max);
  if (out != NULL) *out = v;
  return 0;
}

int aiodb__parse_bool(const char *key, const char *value, int *out,
                      aiodb_error *err) {
  static const struct {
    const char *word;
    int value;
  } words[] = {{"1", 1},    {"0", 0},     {"true", 1}, {"false", 0},
               {"yes", 1},  {"no", 0},    {"on", 1},   {"off", 0}};
  size_t i, j;

  for (i = 0; value != NULL && i < sizeof words / sizeof words[0]; i++) {
    for (j = 0; value[j] != '\0' && words[i].word[j] != '\0'; j++)
      if (to_lower((unsigned char)value[j]) != words[i].word[j]) break;
    if (value[j] == '\0' && words[i].word[j] == '\0') {
      if (out != NULL) *out = words[i].value;
      return 0;
    }
  }
  return aiodb__error_set(err, AIODB_EINVAL,
                          "option '%.64s' must be a boolean (1/0, true/false, "
                          "yes/no, on/off)",
                          key ? key : "");
}
