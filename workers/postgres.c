/* The PostgreSQL driver, through libpq: runs on the connection's worker.
 * Statements are prepared once per connection (named, LRU-cached) and run
 * with PQexecPrepared; with the cache off (statement_cache=0, or pgbouncer=1
 * for a pooler in transaction mode) they go unnamed, each in one round trip
 * with one Sync (PQexecParams), leaving nothing behind on the server.
 * Parameters travel as text, blobs as binary; results come back as text and
 * are typed from the column OIDs.
 *
 * Connections open with PQconnectStartParams/PQconnectPoll, waiting in
 * poll() on the socket and on the core's abandon fd, so that a server that
 * never answers holds a worker no longer than connect_timeout, and
 * aiodb_db_free can give up on it sooner. Cancel requests (PQcancel, which
 * blocks on a network round trip) are sent by the core's interrupter, from
 * a thread of the db's own, so that aiodb_future_cancel and the deadline
 * timer never wait on the network. */
#include <errno.h>
#include <libpq-fe.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "decode.h"
#include "alloc.h"
#include "driver.h"
#include "hex.h"
#include "many.h"
#include "numbers.h"
#include "secret.h"
#include "stmt_cache.h"
#include "url.h"

/* Column type OIDs (pg_type.dat). */
#define OID_BOOL 16
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_OID 26
#define OID_FLOAT4 700
#define OID_FLOAT8 701

#define MAX_PARAMS 65535

typedef struct pg_cfg {
  const char **keys;
  const char **values;
  size_t n;
  char *password; /* to scrub from messages */
  int pgbouncer;  /* pgbouncer=1: each transaction may get another server
                     connection, so no statement cache, no session SET */
} pg_cfg;

/* A prepared statement of the cache, keyed by its SQL text and parameter
 * types. */
typedef struct pg_stmt {
  char name[24];
  unsigned char stale; /* its plan no longer fits the tables: DEALLOCATE it
                          and prepare it again before the next run */
  unsigned char alone; /* a COPY: never sent in a pipeline */
} pg_stmt;

typedef struct pg_conn {
  PGconn *pg;
  pg_cfg *cfg;
  aiodb__stmt_cache cache; /* of pg_stmt */
  unsigned next_name;
  /* scratch for binding, grown as needed */
  const char **values;
  int *lengths, *formats;
  Oid *types;
  char *text;       /* printed numbers */
  size_t nparams_cap, text_cap;
  char *key;        /* the cache key being looked up */
  size_t key_cap;
  /* A cursor set libpq's single-row mode. libpq resets it when the next
   * statement is sent outside pipeline mode, but not in pipeline mode: the
   * first statement of a batch would answer a row at a time. */
  int single_row;
  /* A handle of the program's (aiodb_open_native): given back open at
   * disconnect (keep), with extra_float_digits as it was (saved_digits:
   * its value then, or NULL when attach did not change it). */
  int keep;
  char *saved_digits;
} pg_conn;

typedef struct pg_cursor {
  int active;       /* results still to read */
  int done;
  PGresult *cols;   /* the first result, kept for its column names */
} pg_cursor;

/* ---- configuration ---- */

static int known_option(const PQconninfoOption *opts, const char *key) {
  const PQconninfoOption *o;
  for (o = opts; o != NULL && o->keyword != NULL; o++)
    if (strcmp(o->keyword, key) == 0) return 1;
  return 0;
}

static void pg_free_config(void *p) {
  pg_cfg *c = p;
  size_t i;
  if (c == NULL) return;
  for (i = 0; i < c->n; i++) {
    if (strcmp(c->keys[i], "password") == 0)
      aiodb__free_secret((char *)c->values[i]);
    else
      aiodb__free((char *)c->values[i]);
    aiodb__free((char *)c->keys[i]);
  }
  aiodb__free(c->keys);
  aiodb__free(c->values);
  aiodb__free_secret(c->password);
  aiodb__free(c);
}

static int cfg_add(pg_cfg *c, const char *key, const char *value) {
  c->keys[c->n] = aiodb__strdup(key);
  c->values[c->n] = aiodb__strdup(value);
  if (c->keys[c->n] == NULL || c->values[c->n] == NULL) {
    aiodb__free((char *)c->keys[c->n]);
    aiodb__free((char *)c->values[c->n]);
    return AIODB_ENOMEM;
  }
  c->n++;
  return 0;
}

/* Network defaults a serious client wants and libpq does not have (it
 * waits for a connection forever and leaves keepalives to the system's two
 * hours): give up a connect after 10 s, and find a peer that is gone within
 * about two minutes, idle (a probe after 60 s, then every 10 s, 6 unanswered
 * ones: 120 s) or with data in flight (unacknowledged for 120 s). A long
 * statement is not cut short: the server's kernel answers the probes. */
static const char *const net_defaults[][2] = {
    {"connect_timeout", "10"},   {"keepalives_idle", "60"},
    {"keepalives_interval", "10"}, {"keepalives_count", "6"},
    {"tcp_user_timeout", "120000"},
};

/* libpq's default value of key (from the environment, or a service file
 * PGSERVICE names), or NULL. */
static const char *default_of(const PQconninfoOption *opts, const char *key) {
  const PQconninfoOption *o;
  for (o = opts; o != NULL && o->keyword != NULL; o++)
    if (strcmp(o->keyword, key) == 0) return o->val;
  return NULL;
}

/* connect_timeout as libpq reads it (a decimal integer, spaces around
 * allowed): seconds, at least 2 when positive; 0: no limit; -1: malformed. */
static int parse_timeout(const char *v) {
  char *end;
  long n;
  if (v == NULL) return 0;
  errno = 0;
  n = strtol(v, &end, 10);
  while (*end == ' ' || *end == '\t' || *end == '\n') end++;
  if (end == v || *end != '\0' || errno != 0 || n > INT_MAX / 1000) return -1;
  if (n <= 0) return 0;
  return n < 2 ? 2 : (int)n;
}

/* ---- host lists: failover ----
 * libpq tries the hosts of a list in order (host=h1,h2&port=p1,p2, or the
 * URL's h1:p1,h2:p2), keeping the first that fits target_session_attrs.
 * What it would refuse only at connect time is refused at aiodb_open. */

/* The items of a comma-separated list, as libpq counts them; 0 for none. */
static size_t list_len(const char *s) {
  size_t n = 1;
  if (s == NULL || *s == '\0') return 0;
  for (; *s != '\0'; s++)
    if (*s == ',') n++;
  return n;
}

/* The value given last to key (libpq takes the last), or NULL. */
static const char *cfg_value(const pg_cfg *c, const char *key) {
  const char *v = NULL;
  size_t i;
  for (i = 0; i < c->n; i++)
    if (strcmp(c->keys[i], key) == 0) v = c->values[i];
  return v;
}

/* load_balance_hosts is libpq 16's: before it, "disable" (its default) is
 * left out, libpq not knowing the option, and "random" cannot be had.
 * 0: pass it on; 1: leave it out; or the error. */
static int load_balance_option(const char *v, aiodb_error *err) {
  int random = strcmp(v, "random") == 0, version = PQlibVersion();
  if (!random && strcmp(v, "disable") != 0)
    return aiodb__error_set(err, AIODB_EINVAL,
                            "option 'load_balance_hosts' must be disable or random");
  if (version >= 160000) return 0;
  if (!random) return 1;
  return aiodb__error_set(err, AIODB_EUNSUPPORTED,
                          "option 'load_balance_hosts' needs libpq 16 or later; "
                          "this program runs libpq %d.%d",
                          version / 10000, version % 10000);
}

/* What libpq 15 would find wrong with the host list and
 * target_session_attrs only when connecting. */
static int check_hosts(const pg_cfg *c, aiodb_error *err) {
  static const char *const attrs[] = {"any",     "read-write", "read-only",
                                      "primary", "standby",    "prefer-standby"};
  const char *tsa = cfg_value(c, "target_session_attrs");
  size_t nhost = list_len(cfg_value(c, "host")), naddr = list_len(cfg_value(c, "hostaddr"));
  size_t nport = list_len(cfg_value(c, "port")), n = naddr ? naddr : nhost ? nhost : 1, i;
  if (nhost && naddr && nhost != naddr)
    return aiodb__error_set(err, AIODB_EINVAL,
                            "options 'host' and 'hostaddr' list %zu and %zu "
                            "entries: give one address for each host",
                            nhost, naddr);
  if (nport > 1 && nport != n)
    return aiodb__error_set(err, AIODB_EINVAL,
                            "option 'port' lists %zu ports for %zu hosts: give one "
                            "port for every host, or one for each",
                            nport, n);
  if (tsa == NULL) return 0;
  for (i = 0; i < sizeof attrs / sizeof attrs[0]; i++)
    if (strcmp(tsa, attrs[i]) == 0) break;
  if (i == sizeof attrs / sizeof attrs[0])
    return aiodb__error_set(err, AIODB_EINVAL,
                            "option 'target_session_attrs' must be any, read-write, "
                            "read-only, primary, standby or prefer-standby");
  if (i > 1 && PQlibVersion() < 140000)
    return aiodb__error_set(err, AIODB_EUNSUPPORTED,
                            "option 'target_session_attrs': only any and read-write "
                            "before libpq 14");
  return 0;
}

static int pg_configure(const aiodb__url *url_in, const aiodb_options *opts,
                        void **out, aiodb_error *err) {
  aiodb__url *url = (aiodb__url *)url_in;
  pg_cfg *c;
  PQconninfoOption *known = NULL;
  const char *v;
  char port[16];
  size_t i, max = url->nquery + 16;
  int rc = 0;
  (void)opts;

  c = aiodb__calloc(1, sizeof *c);
  if (c == NULL) return aiodb__error_set(err, AIODB_ENOMEM, "out of memory");
  c->keys = aiodb__calloc(max, sizeof *c->keys);
  c->values = aiodb__calloc(max, sizeof *c->values);
  if (c->keys == NULL || c->values == NULL) goto oom;
  /* The query's own host=, port=, ... come after the authority's: libpq
   * takes the last value of a keyword. */
  if (url->nhosts > 1) {
    char *hosts, *ports;
    if ((rc = aiodb__url_host_lists(url, &hosts, &ports, err)) != 0) goto fail;
    rc = cfg_add(c, "host", hosts) || (ports && cfg_add(c, "port", ports));
    aiodb__free(hosts);
    aiodb__free(ports);
    if (rc != 0) goto oom;
  } else if (url->host && cfg_add(c, "host", url->host)) {
    goto oom;
  }
  if (url->port && url->nhosts <= 1) {
    snprintf(port, sizeof port, "%u", url->port);
    if (cfg_add(c, "port", port)) goto oom;
  }
  if (url->user && cfg_add(c, "user", url->user)) goto oom;
  if (url->password) {
    if (cfg_add(c, "password", url->password)) goto oom;
    if ((c->password = aiodb__strdup(url->password)) == NULL) goto oom;
  }
  if (url->path && url->path[0] && cfg_add(c, "dbname", url->path)) goto oom;
  if ((v = aiodb__url_opt(url, "pgbouncer")) != NULL &&
      (rc = aiodb__parse_bool("pgbouncer", v, &c->pgbouncer, err)) != 0)
    goto fail;
  known = PQconndefaults();
  if (known == NULL) goto oom;
  for (i = 0; i < url->nquery; i++) {
    aiodb__kv *kv = &url->query[i];
    if (kv->used) continue;
    if (strcmp(kv->key, "load_balance_hosts") == 0 &&
        (rc = load_balance_option(kv->value, err)) != 0) {
      if (rc < 0) goto fail;
      kv->used = 1;
      continue;
    }
    if (!known_option(known, kv->key) || strcmp(kv->key, "replication") == 0) {
      rc = aiodb__url_unknown_option(url, kv, "postgresql", err);
      goto fail;
    }
    if (strcmp(kv->key, "password") == 0 && c->password == NULL &&
        (c->password = aiodb__strdup(kv->value)) == NULL)
      goto oom;
    if (cfg_add(c, kv->key, kv->value)) goto oom;
    kv->used = 1;
  }
  if ((v = aiodb__url_opt(url, "connect_timeout")) != NULL && parse_timeout(v) < 0) {
    rc = aiodb__error_set(err, AIODB_EINVAL,
                          "option 'connect_timeout': expected a whole number of "
                          "seconds");
    goto fail;
  }
  if ((rc = check_hosts(c, err)) != 0) goto fail;
  /* Our defaults, for what neither the URL nor libpq's environment says
   * (none with a service file, which may say it too). */
  if (aiodb__url_opt(url, "service") == NULL && default_of(known, "service") == NULL) {
    for (i = 0; i < sizeof net_defaults / sizeof net_defaults[0]; i++) {
      const char *key = net_defaults[i][0];
      if (aiodb__url_opt(url, key) == NULL && default_of(known, key) == NULL &&
          cfg_add(c, key, net_defaults[i][1]))
        goto oom;
    }
  }
  PQconninfoFree(known);
  known = NULL;
  /* The library's own name, unless the caller chose one. */
  if (aiodb__url_opt(url, "fallback_application_name") == NULL &&
      cfg_add(c, "fallback_application_name", "aiodb"))
    goto oom;
  *out = c;
  return 0;
oom:
  rc = aiodb__error_set(err, AIODB_ENOMEM, "out of memory");
fail:
  PQconninfoFree(known);
  pg_free_config(c);
  return rc;
}

/* ---- errors ---- */

static int code_of_sqlstate(const char *s) {
  if (s == NULL || strlen(s) != 5) return AIODB_ESQL;
  if (strncmp(s, "23", 2) == 0) return AIODB_ECONSTRAINT;
  if (strcmp(s, "57014") == 0) return AIODB_ECANCELED;
  if (strcmp(s, "25006") == 0) return AIODB_EREADONLY;
  if (strcmp(s, "40001") == 0 || strcmp(s, "40P01") == 0 ||
      strcmp(s, "55P03") == 0)
    return AIODB_EBUSY;
  if (strncmp(s, "08", 2) == 0 || strcmp(s, "57P01") == 0 ||
      strcmp(s, "57P02") == 0 || strcmp(s, "57P03") == 0)
    return AIODB_ECONNLOST;
  if (strcmp(s, "22003") == 0) return AIODB_ERANGE;
  if (strcmp(s, "53200") == 0) return AIODB_ENOMEM;
  if (strcmp(s, "25P02") == 0) return AIODB_ETXABORTED;
  return AIODB_ESQL;
}

/* Has the server closed c's socket (end of stream, or an error)? A peek,
 * which takes nothing from libpq. */
static int socket_closed(PGconn *pg) {
  int fd = PQsocket(pg);
  char b;
  ssize_t n;
  if (fd < 0) return 1;
  n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

/* Fills e from a failed result (or the connection when res is NULL). */
static int fail_from(pg_conn *c, const PGresult *res, aiodb__err *e) {
  const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
  memset(e, 0, sizeof *e);
  /* libpq's own errors have no SQLSTATE, and it may report a server that
   * closed the connection before it marks the connection bad (a PQprepare
   * over a unix socket whose backend quit, libpq 15): the socket says. */
  if (PQstatus(c->pg) == CONNECTION_BAD || (state == NULL && socket_closed(c->pg))) {
    e->code = AIODB_ECONNLOST;
    aiodb__err_message(e, PQerrorMessage(c->pg), c->cfg->password);
    if (state == NULL) state = "08006";
  } else {
    const char *msg = primary ? primary : res ? PQresultErrorMessage(res) : "";
    e->code = code_of_sqlstate(state);
    if (msg[0] == '\0') msg = PQerrorMessage(c->pg);
    aiodb__err_message(e, msg, c->cfg->password);
    if (e->message[0] == '\0' && res != NULL)
      snprintf(e->message, sizeof e->message, "unexpected result from libpq: %s",
               PQresStatus(PQresultStatus(res)));
    else if (e->message[0] == '\0')
      snprintf(e->message, sizeof e->message, "libpq gave no result");
  }
  if (state) snprintf(e->sqlstate, sizeof e->sqlstate, "%s", state);
  e->native_code = res ? (int)PQresultStatus(res) : 0;
  return e->code;
}

/* Did r fail because the plan of its cached prepared statement no longer
 * fits the tables (an ALTER TABLE since it was prepared: "cached plan must
 * not change result type")? The server checks that while binding, before
 * the statement runs. Told by the routine that raised it, as asyncpg does,
 * not by the words, which follow lc_messages; with a CONTEXT it came from
 * inside a function, which may have done work already. */
static int is_stale(const PGresult *r) {
  const char *state, *routine;
  if (r == NULL || PQresultStatus(r) != PGRES_FATAL_ERROR) return 0;
  state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  routine = PQresultErrorField(r, PG_DIAG_SOURCE_FUNCTION);
  return state != NULL && strcmp(state, "0A000") == 0 && routine != NULL &&
         strcmp(routine, "RevalidateCachedQuery") == 0 &&
         PQresultErrorField(r, PG_DIAG_CONTEXT) == NULL;
}

/* Is sql a COPY (its first word, after blanks and comments)? COPY FROM
 * STDIN and TO STDOUT carry data on the connection itself, which a
 * pipeline cannot interleave: the server would take the next statements
 * for data and drop the connection. */
static int is_copy(const char *p, const char *end) {
  static const char word[] = "copy";
  int i;
  p += aiodb__sql_skip_blanks(p, (size_t)(end - p), AIODB__DIALECT_POSTGRES);
  if (end - p < 4) return 0;
  for (i = 0; i < 4; i++)
    if ((p[i] | 0x20) != word[i]) return 0;
  return end - p == 4 || !((p[4] >= 'a' && p[4] <= 'z') || (p[4] >= 'A' && p[4] <= 'Z') ||
                           (p[4] >= '0' && p[4] <= '9') || p[4] == '_' || p[4] == '$' ||
                           (unsigned char)p[4] >= 0x80);
}

/* Ends the COPY a statement put the connection in (refusing COPY FROM
 * STDIN's data, reading and dropping COPY TO STDOUT's); the statement's
 * last result, then NULL, follow from PQgetResult. */
static void end_copy(pg_conn *c, ExecStatusType st) {
  char *buf;
  if (st == PGRES_COPY_OUT) {
    while (PQgetCopyData(c->pg, &buf, 0) > 0) PQfreemem(buf);
  } else {
    PQputCopyEnd(c->pg, "COPY FROM STDIN is not supported through aiodb");
  }
}

static int copy_refused(aiodb__err *e, ExecStatusType st, const char *via) {
  if (st == PGRES_COPY_OUT)
    aiodb__err_set(e, AIODB_EUNSUPPORTED,
                   "COPY TO STDOUT is not supported through %s: use aiodb_run with "
                   "the PGconn* (PQgetCopyData)",
                   via);
  else
    aiodb__err_set(e, AIODB_EUNSUPPORTED,
                   "COPY FROM STDIN is not supported through %s: use aiodb_run with "
                   "the PGconn* (PQputCopyData, PQputCopyEnd)",
                   via);
  e->native_code = (int)st;
  return e->code;
}

/* Reads what is left of a statement's answer, up to the NULL that ends
 * it, ending a COPY on the way. */
static void drain_rest(pg_conn *c) {
  PGresult *r;
  while ((r = PQgetResult(c->pg)) != NULL) {
    ExecStatusType st = PQresultStatus(r);
    PQclear(r);
    if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH)
      end_copy(c, st);
  }
}

/* ---- connections ---- */

static void quiet_notice(void *arg, const char *message) {
  (void)arg;
  (void)message;
}

/* Floats are read from their text. With extra_float_digits above 0 the
 * server prints the shortest digits that read back as the stored value
 * (PostgreSQL 12 on; before 12, 3 prints 9 and 17 significant digits, as
 * exact); at 0 or below it rounds them. Set for the session, after
 * connecting, so that neither the URL's options nor PGOPTIONS nor a role's,
 * database's or server's setting can round floats read through aiodb. */
static int pin_float_digits(PGconn *pg, const pg_cfg *cfg, aiodb__err *e) {
  PGresult *r = PQexec(pg, "SET extra_float_digits = 3");
  const char *why, *state;
  char msg[sizeof e->message];
  if (PQresultStatus(r) == PGRES_COMMAND_OK) {
    PQclear(r);
    return 0;
  }
  why = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
  state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
  snprintf(msg, sizeof msg, "setting extra_float_digits: %s",
           why ? why : PQerrorMessage(pg));
  memset(e, 0, sizeof *e);
  e->code = AIODB_ECONNECT;
  aiodb__err_message(e, msg, cfg->password);
  snprintf(e->sqlstate, sizeof e->sqlstate, "%s", state ? state : "08001");
  PQclear(r);
  return e->code;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The attempt libpq is on: host, port and address. It moves to the next
 * address or host of a list on its own. */
static void attempt_of(PGconn *pg, char *buf, size_t n) {
  const char *h = PQhost(pg), *p = PQport(pg), *a = PQhostaddr(pg);
  snprintf(buf, n, "%s\n%s\n%s", h ? h : "", p ? p : "", a ? a : "");
}

/* The connect_timeout in force (from the URL, our default, the
 * environment or a service file), as parse_timeout reads it. */
static int timeout_of(PGconn *pg) {
  PQconninfoOption *opts = PQconninfo(pg);
  int t = parse_timeout(default_of(opts, "connect_timeout"));
  PQconninfoFree(opts);
  return t;
}

static int connect_error(aiodb__err *e, const pg_cfg *cfg, int code,
                         const char *msg) {
  memset(e, 0, sizeof *e);
  e->code = code;
  aiodb__err_message(e, msg, cfg->password);
  snprintf(e->sqlstate, sizeof e->sqlstate, code == AIODB_ECONNLOST ? "08006" : "08001");
  return code;
}

/* "connection to server at ... failed: timeout expired", for the attempt
 * (attempt_of's host, port and address) that ran out of time, into buf:
 * libpq would blame the shut-down socket. */
static void timeout_message(const char *attempt, int timeout, char *buf, size_t n) {
  char a[512], *port, *addr;
  snprintf(a, sizeof a, "%s", attempt);
  port = strchr(a, '\n');
  if (port != NULL) *port++ = '\0';
  addr = port ? strchr(port, '\n') : NULL;
  if (addr != NULL) *addr = '\0';
  if (a[0] == '/')
    snprintf(buf, n,
             "connection to server on socket \"%s/.s.PGSQL.%s\" failed: timeout "
             "expired (connect_timeout=%d)",
             a, port ? port : "", timeout);
  else
    snprintf(buf, n,
             "connection to server at \"%s\", port %s failed: timeout expired "
             "(connect_timeout=%d)",
             a, port ? port : "", timeout);
}

/* Item i of the comma-separated list s, from *p (the list's rest follows
 * it), *n bytes long; 0 when s has no item i. */
static int list_item(const char *s, size_t i, const char **p, size_t *n) {
  if (s == NULL || *s == '\0') return 0;
  for (; i > 0; i--) {
    if ((s = strchr(s, ',')) == NULL) return 0;
    s++;
  }
  *p = s;
  *n = strcspn(s, ",");
  return 1;
}

static int item_is(const char *list, size_t i, const char *v) {
  const char *p;
  size_t n;
  return list_item(list, i, &p, &n) && n > 0 && strlen(v) == n && strncmp(p, v, n) == 0;
}

/* Is host i of the list the one PQhost and PQport (h, port) name? PQhost
 * gives a host's name, or its address when it has none. */
static int is_host(const PQconninfoOption *o, size_t i, const char *h, const char *port) {
  const char *host = default_of(o, "host"), *ports = default_of(o, "port"), *v;
  size_t n;
  if (list_item(host, i, &v, &n) && n > 0 ? !item_is(host, i, h)
                                          : !item_is(default_of(o, "hostaddr"), i, h))
    return 0;
  return list_len(ports) < 2 || port == NULL || !list_item(ports, i, &v, &n) || n == 0 ||
         item_is(ports, i, port);
}

/* A new attempt on the hosts of pg's list (its host, hostaddr and port)
 * after the one pg failed on, its other options as they were; NULL when
 * that host is the last, cannot be told (the list names it in another
 * way than PQhost does), or memory runs out. */
static PGconn *start_after(PGconn *pg, const pg_cfg *cfg) {
  PQconninfoOption *o = PQconninfo(pg);
  const char *host = default_of(o, "host"), *addr = default_of(o, "hostaddr");
  const char *port = default_of(o, "port"), *h = PQhost(pg), *pt = PQport(pg), *v;
  const char **keys = NULL, **values = NULL;
  size_t n = list_len(addr) ? list_len(addr) : list_len(host), np = list_len(port), i, k, len;
  PGconn *next = NULL;
  for (i = 0; h != NULL && i < n; i++)
    if (is_host(o, i, h, pt)) break;
  if (o == NULL || h == NULL || i + 1 >= n) goto out;
  keys = aiodb__calloc(cfg->n + 4, sizeof *keys);
  values = aiodb__calloc(cfg->n + 4, sizeof *values);
  if (keys == NULL || values == NULL) goto out;
  memcpy(keys, cfg->keys, cfg->n * sizeof *keys);
  memcpy(values, cfg->values, cfg->n * sizeof *values);
  k = cfg->n; /* libpq takes the last value of a keyword: these win */
  if (list_item(host, i + 1, &v, &len)) keys[k] = "host", values[k++] = v;
  if (list_item(addr, i + 1, &v, &len)) keys[k] = "hostaddr", values[k++] = v;
  if (np > 1 && list_item(port, i + 1, &v, &len)) keys[k] = "port", values[k++] = v;
  next = PQconnectStartParams(keys, values, 0);
out:
  aiodb__free(keys);
  aiodb__free(values);
  PQconninfoFree(o);
  return next;
}

/* Drives PQconnectPoll to its end, waiting in poll() on the socket (read
 * anew each round: each address has its own) and on the core's abandon fd.
 * connect_timeout counts for each address, as in libpq's own wait; when it
 * passes, the attempt's socket is shut down, so that libpq fails it (and
 * moves on to the next address, if the TCP connect was still under way).
 * A server that accepted the connection and then stays silent makes libpq
 * give the whole host list up, where its own blocking connect goes on to
 * the next host: so does this, with a new attempt on the hosts after it
 * (*pg is then that attempt's; prefer-standby's second round, over every
 * host, then covers only those). The socket is the core's to shut down
 * only while we wait on it: inside PQconnectPoll libpq may close it.
 * Returns 0 once connected, or fills e. */
static int connect_wait(PGconn **pgp, const pg_cfg *cfg, aiodb__err *e) {
  PostgresPollingStatusType st = PGRES_POLLING_WRITING;
  PGconn *pg = *pgp, *next;
  int timeout = timeout_of(pg), expired = 0;
  int64_t deadline = 0;
  char attempt[512] = "", at[512], msg[700], skipped[400] = "";
  struct pollfd p[2];

  if (timeout < 0)
    return connect_error(e, cfg, AIODB_ECONNECT,
                         "invalid integer value for connection option "
                         "\"connect_timeout\"");
  p[1].fd = aiodb__conn_abandon_fd();
  p[1].events = POLLIN;
  while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
    int ms = -1, n;
    p[0].fd = PQsocket(pg);
    if (p[0].fd < 0) break;
    p[0].events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT;
    attempt_of(pg, at, sizeof at);
    if (strcmp(at, attempt) != 0) {
      memcpy(attempt, at, sizeof attempt);
      deadline = now_ms() + (int64_t)timeout * 1000;
      expired = 0;
    }
    if (timeout > 0) {
      int64_t left = deadline - now_ms();
      ms = left > 0 ? (int)left : 0;
      if (ms == 0) {
        expired = 1;
        shutdown(p[0].fd, SHUT_RDWR);
      }
    }
    aiodb__conn_socket(p[0].fd);
    n = poll(p, 2, ms);
    aiodb__conn_socket(-1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      snprintf(msg, sizeof msg, "poll() failed while connecting: %s", strerror(errno));
      return connect_error(e, cfg, AIODB_ECONNECT, msg);
    }
    if (p[1].fd >= 0 && p[1].revents != 0)
      return connect_error(e, cfg, AIODB_ECONNLOST,
                           "the connection attempt was abandoned: the database "
                           "is being freed");
    if (n == 0 && !expired) continue; /* shut down on the next round */
    st = PQconnectPoll(pg);
    if (st == PGRES_POLLING_FAILED && expired && (next = start_after(pg, cfg)) != NULL) {
      size_t used = strlen(skipped);
      timeout_message(attempt, timeout, skipped + used, sizeof skipped - used);
      used = strlen(skipped);
      snprintf(skipped + used, sizeof skipped - used, "\n");
      PQfinish(pg);
      *pgp = pg = next;
      st = PGRES_POLLING_WRITING;
      attempt[0] = '\0';
      expired = 0;
    }
  }
  if (st == PGRES_POLLING_OK) return 0;
  if (expired)
    timeout_message(attempt, timeout, at, sizeof at);
  else
    snprintf(at, sizeof at, "%s", PQerrorMessage(pg));
  snprintf(msg, sizeof msg, "%s%s", skipped, at);
  return connect_error(e, cfg, AIODB_ECONNECT, msg);
}

/* Ends a statement the cache lets go of: DEALLOCATE, unless the
 * connection is being closed (which ends them all). */
static void finalize(void *ud, void *p) {
  pg_conn *c = ud;
  pg_stmt *ps = p;
  char sql[64];
  if (c->pg != NULL) {
    snprintf(sql, sizeof sql, "DEALLOCATE %s", ps->name);
    PQclear(PQexec(c->pg, sql));
  }
  aiodb__free(ps);
}

static int pg_connect(void *cfgp, unsigned statement_cache, void **native,
                      aiodb__err *e) {
  pg_cfg *cfg = cfgp;
  pg_conn *c;
  PGconn *pg;

  /* keys and values end in NULL: calloc'd with room to spare. */
  pg = PQconnectStartParams(cfg->keys, cfg->values, 0);
  if (pg == NULL) return aiodb__err_set(e, AIODB_ENOMEM, "out of memory");
  if (PQstatus(pg) == CONNECTION_BAD) {
    connect_error(e, cfg, AIODB_ECONNECT, PQerrorMessage(pg));
    PQfinish(pg);
    return e->code;
  }
  if (connect_wait(&pg, cfg, e) != 0) {
    PQfinish(pg);
    return e->code;
  }
  /* Behind a pooler in transaction mode a SET reaches one server
   * connection of many: the server's own setting holds instead. */
  if (!cfg->pgbouncer && pin_float_digits(pg, cfg, e) != 0) {
    PQfinish(pg);
    return e->code;
  }
  if (cfg->pgbouncer) statement_cache = 0;
  c = aiodb__calloc(1, sizeof *c);
  if (c != NULL && aiodb__stmt_cache_init(&c->cache, statement_cache, finalize, c) != 0) {
    aiodb__free(c);
    c = NULL;
  }
  if (c == NULL) {
    aiodb__free(c);
    PQfinish(pg);
    return aiodb__err_set(e, AIODB_ENOMEM, "out of memory");
  }
  /* A library prints nothing: NOTICEs are dropped, not sent to stderr. */
  PQsetNoticeProcessor(pg, quiet_notice, NULL);
  c->pg = pg;
  c->cfg = cfg;
  aiodb__conn_socket(PQsocket(pg));
  *native = c;
  return 0;
}

static void give_back(pg_conn *c);

static void pg_disconnect(void *native) {
  pg_conn *c = native;
  if (c->keep) give_back(c);
  aiodb__conn_socket(-1);
  if (!c->keep) PQfinish(c->pg);
  c->pg = NULL;
  aiodb__stmt_cache_destroy(&c->cache);
  aiodb__free(c->values);
  aiodb__free(c->lengths);
  aiodb__free(c->formats);
  aiodb__free(c->types);
  aiodb__free(c->text);
  aiodb__free(c->key);
  aiodb__free(c->saved_digits);
  aiodb__free(c);
}

static void *pg_handle(void *native) { return ((pg_conn *)native)->pg; }

/* PQerrorMessage's first line, without its severity ("ERROR:  "): the
 * primary message, as a failed statement's error gives it. */
static int pg_last_error(void *native, aiodb__err *e) {
  pg_conn *c = native;
  const char *msg = PQerrorMessage(c->pg);
  char line[sizeof e->message];
  size_t n;
  if (msg == NULL || msg[0] == '\0') return 0;
  if (strncmp(msg, "ERROR:", 6) == 0 || strncmp(msg, "FATAL:", 6) == 0) msg += 6;
  msg += strspn(msg, " ");
  n = strcspn(msg, "\n");
  if (n >= sizeof line) n = sizeof line - 1;
  memcpy(line, msg, n);
  line[n] = '\0';
  memset(e, 0, sizeof *e);
  e->code = AIODB_ESQL;
  aiodb__err_message(e, line, c->cfg->password);
  return 1;
}

/* ---- a handle of the program's (aiodb_open_native) ---- */

static int refuse(aiodb_error *err, const char *why) {
  return aiodb__error_set(err, AIODB_EINVAL, "aiodb_open_native: the PGconn* %s", why);
}

static int pg_adopt(void *handle, const aiodb_options *opts, void **out,
                    aiodb_error *err) {
  PGconn *pg = handle;
  const char *pw;
  pg_cfg *c;
  (void)opts;

  if (PQstatus(pg) != CONNECTION_OK)
    return refuse(err, "is not connected (PQstatus is not CONNECTION_OK)");
  if (PQpipelineStatus(pg) != PQ_PIPELINE_OFF)
    return refuse(err, "is in pipeline mode; leave it first (PQexitPipelineMode)");
  if (PQisnonblocking(pg))
    return refuse(err, "is in nonblocking mode; aiodb needs it blocking "
                       "(PQsetnonblocking(conn, 0))");
  switch (PQtransactionStatus(pg)) {
    case PQTRANS_IDLE: break;
    case PQTRANS_INTRANS:
      return refuse(err, "is inside a transaction block; commit or roll it back first");
    case PQTRANS_INERROR:
      return refuse(err, "is inside a failed transaction block; roll it back first");
    case PQTRANS_ACTIVE:
      return refuse(err, "has a command in progress, or results not yet read "
                         "(call PQgetResult until it returns NULL)");
    default: return refuse(err, "is in an unknown state (PQtransactionStatus)");
  }
  if (PQisBusy(pg))
    return refuse(err, "is busy (PQisBusy)");
  c = aiodb__calloc(1, sizeof *c);
  pw = PQpass(pg);
  if (c == NULL || (pw != NULL && pw[0] != '\0' && (c->password = aiodb__strdup(pw)) == NULL)) {
    aiodb__free(c);
    return aiodb__error_set(err, AIODB_ENOMEM, "out of memory");
  }
  *out = c;
  return 0;
}

/* extra_float_digits (see pin_float_digits) for the session, the value
 * the program had saved in c->saved_digits to restore at give_back. */
static int adopt_float_digits(pg_conn *c, aiodb__err *e) {
  PGresult *r = PQexec(c->pg, "SHOW extra_float_digits");
  int rc = 0;
  if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
    rc = fail_from(c, r, e);
  } else if (strcmp(PQgetvalue(r, 0, 0), "3") != 0) {
    if ((c->saved_digits = aiodb__strdup(PQgetvalue(r, 0, 0))) == NULL)
      rc = aiodb__err_set(e, AIODB_ENOMEM, "out of memory");
    else if ((rc = pin_float_digits(c->pg, c->cfg, e)) != 0) {
      aiodb__free(c->saved_digits);
      c->saved_digits = NULL;
    }
  }
  PQclear(r);
  return rc;
}

static int pg_attach(void *cfgp, void *handle, int close_at_end,
                     unsigned statement_cache, void **native, aiodb__err *e) {
  pg_conn *c = aiodb__calloc(1, sizeof *c);
  if (c != NULL && aiodb__stmt_cache_init(&c->cache, statement_cache, finalize, c) != 0) {
    aiodb__free(c);
    c = NULL;
  }
  if (c == NULL) {
    if (close_at_end) PQfinish(handle);
    return aiodb__err_set(e, AIODB_ENOMEM, "out of memory");
  }
  /* The program's notice processor stays: notices are its business. */
  c->pg = handle;
  c->cfg = cfgp;
  c->keep = !close_at_end;
  aiodb__conn_socket(PQsocket(c->pg));
  if (adopt_float_digits(c, e) != 0) {
    c->keep = 1; /* nothing to give back but the handle itself */
    pg_disconnect(c);
    if (close_at_end) PQfinish(handle);
    return e->code;
  }
  *native = c;
  return 0;
}

/* Before the handle goes back to the program: no transaction, no result
 * left to read, the session's setting as it was, and none of our
 * prepared statements (the cache's finalize deallocates each). */
static void give_back(pg_conn *c) {
  const char *values[1];
  if (PQpipelineStatus(c->pg) != PQ_PIPELINE_OFF) {
    drain_rest(c);
    PQexitPipelineMode(c->pg);
  }
  if (PQtransactionStatus(c->pg) == PQTRANS_ACTIVE) drain_rest(c);
  if (PQtransactionStatus(c->pg) == PQTRANS_INTRANS ||
      PQtransactionStatus(c->pg) == PQTRANS_INERROR)
    PQclear(PQexec(c->pg, "ROLLBACK"));
  if (c->saved_digits != NULL) {
    values[0] = c->saved_digits;
    PQclear(PQexecParams(c->pg, "SELECT set_config('extra_float_digits', $1, false)", 1,
                         NULL, values, NULL, NULL, 0));
  }
  aiodb__stmt_cache_destroy(&c->cache);
}

/* ---- cancel: PQcancel waits for the server's answer, with no time limit
 * of its own (keepalives and tcp_user_timeout end it only when the host is
 * gone, not when the server hangs). The core's interrupter calls it from a
 * thread of its own, never under a lock of the core. ---- */

static int pg_interrupt_open(void *native, aiodb__intr_token *token, aiodb__err *e) {
  if ((token->ptr = PQgetCancel(((pg_conn *)native)->pg)) == NULL)
    return aiodb__err_set(e, AIODB_ENOMEM, "out of memory");
  return 0;
}

static void pg_interrupt_send(void *cfg, aiodb__intr_token token) {
  char buf[256];
  (void)cfg;
  PQcancel(token.ptr, buf, sizeof buf);
}

static void pg_interrupt_close(aiodb__intr_token token) { PQfreeCancel(token.ptr); }

static int pg_is_broken(void *native, const aiodb__err *e) {
  pg_conn *c = native;
  return e->code == AIODB_ECONNLOST || PQstatus(c->pg) == CONNECTION_BAD;
}

/* ---- the pool's check: an empty query, answered at once (PGRES_EMPTY_
 * QUERY), waited for timeout_ms at most ---- */

static int pg_ping(void *native, int timeout_ms, aiodb__err *e) {
  pg_conn *c = native;
  int64_t deadline = now_ms() + timeout_ms;
  PGresult *r;
  int rc = 0;

  if (PQstatus(c->pg) != CONNECTION_OK) return fail_from(c, NULL, e);
  /* A late interrupt of an earlier statement must not land on it. */
  aiodb__stmt_settle();
  if (!PQsendQuery(c->pg, "")) return fail_from(c, NULL, e);
  while (PQisBusy(c->pg)) {
    struct pollfd p;
    int64_t left = deadline - now_ms();
    int n;
    p.fd = PQsocket(c->pg);
    p.events = POLLIN;
    p.revents = 0;
    n = left > 0 ? poll(&p, 1, (int)left) : 0;
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) {
      aiodb__err_set(e, AIODB_ECONNLOST,
                     "the server did not answer a check within %d ms", timeout_ms);
      snprintf(e->sqlstate, sizeof e->sqlstate, "08006");
      return e->code;
    }
    if (!PQconsumeInput(c->pg)) return fail_from(c, NULL, e);
  }
  while ((r = PQgetResult(c->pg)) != NULL) {
    if (rc == 0 && PQresultStatus(r) != PGRES_EMPTY_QUERY) {
      rc = fail_from(c, r, e);
      /* a check that fails leaves the connection: lost, whatever it said */
      e->code = rc = AIODB_ECONNLOST;
    }
    PQclear(r);
  }
  return rc;
}

/* ---- binding ---- */

static Oid type_of(const aiodb_value *v) {
  switch (v->type) {
    case AIODB_TYPE_INT: return OID_INT8;
    case AIODB_TYPE_FLOAT: return OID_FLOAT8;
    case AIODB_TYPE_BLOB: return OID_BYTEA;
    default: return 0; /* text and NULL: the server infers from context */
  }
}

static int grow(pg_conn *c, size_t nparams) {
  if (nparams > c->nparams_cap) {
    size_t cap = nparams < 16 ? 16 : nparams;
    const char **v = aiodb__realloc(c->values, cap * sizeof *v);
    int *l, *f;
    Oid *t;
    if (v == NULL) return AIODB_ENOMEM;
    c->values = v;
    l = aiodb__realloc(c->lengths, cap * sizeof *l);
    if (l == NULL) return AIODB_ENOMEM;
    c->lengths = l;
    f = aiodb__realloc(c->formats, cap * sizeof *f);
    if (f == NULL) return AIODB_ENOMEM;
    c->formats = f;
    t = aiodb__realloc(c->types, cap * sizeof *t);
    if (t == NULL) return AIODB_ENOMEM;
    c->types = t;
    c->nparams_cap = cap;
  }
  if (nparams * 32 > c->text_cap) {
    char *t = aiodb__realloc(c->text, nparams * 32);
    if (t == NULL) return AIODB_ENOMEM;
    c->text = t;
    c->text_cap = nparams * 32;
  }
  return 0;
}

/* Lays out one row of arguments for libpq. */
static int bind_row(pg_conn *c, const aiodb_value *args, size_t n,
                    aiodb__err *e) {
  size_t i;
  if (n > MAX_PARAMS)
    return aiodb__err_set(e, AIODB_ERANGE, "more than %d parameters", MAX_PARAMS);
  if (grow(c, n) != 0) return aiodb__err_set(e, AIODB_ENOMEM, "out of memory");
  for (i = 0; i < n; i++) {
    const aiodb_value *v = &args[i];
    char *num = c->text + i * 32;
    c->types[i] = type_of(v);
    c->formats[i] = 0;
    c->lengths[i] = 0;
    switch (v->type) {
      case AIODB_TYPE_NULL: c->values[i] = NULL; break;
      case AIODB_TYPE_INT:
        snprintf(num, 32, "%lld", (long long)v->u.i);
        c->values[i] = num;
        break;
      case AIODB_TYPE_FLOAT: {
        locale_t old = aiodb__numbers_c();
        if (v->u.f != v->u.f)
          snprintf(num, 32, "NaN");
        else if (v->u.f > 1.7976931348623157e308)
          snprintf(num, 32, "Infinity");
        else if (v->u.f < -1.7976931348623157e308)
          snprintf(num, 32, "-Infinity");
        else
          snprintf(num, 32, "%.17g", v->u.f);
        aiodb__numbers_restore(old);
        c->values[i] = num;
        break;
      }
      case AIODB_TYPE_TEXT:
        if (memchr(v->u.s, '\0', v->len) != NULL)
          return aiodb__err_set(e, AIODB_EINVAL,
                                "argument %zu: PostgreSQL text cannot hold a "
                                "NUL byte (bind it as a blob)",
                                i + 1);
        c->values[i] = v->u.s;
        break;
      case AIODB_TYPE_BLOB:
        c->values[i] = v->len ? v->u.p : "";
        c->lengths[i] = (int)v->len;
        c->formats[i] = 1;
        break;
    }
  }
  return 0;
}

/* Builds the cache key of sql with the argument types bind_row laid out
 * (in c->key; its length in *klen) and looks it up: *ps is the cached
 * statement, or NULL. Returns 0 or AIODB_ENOMEM. */
static int lookup(pg_conn *c, const char *sql, size_t len, size_t nparams,
                  size_t *klen, pg_stmt **ps) {
  size_t need = len + 1 + nparams * 11 + 1, i;
  char *p;
  *ps = NULL;
  if (need > c->key_cap) {
    p = aiodb__realloc(c->key, need);
    if (p == NULL) return AIODB_ENOMEM;
    c->key = p;
    c->key_cap = need;
  }
  memcpy(c->key, sql, len);
  p = c->key + len;
  *p++ = '\0';
  for (i = 0; i < nparams; i++) p += sprintf(p, "%u,", (unsigned)c->types[i]);
  *klen = (size_t)(p - c->key);
  *ps = aiodb__stmt_cache_get(&c->cache, c->key, *klen);
  return 0;
}

/* DEALLOCATEs a stale cached statement and forgets it. Fails (and keeps
 * it) only when the server refuses, as it refuses every command inside a
 * failed transaction; one it no longer has is forgotten all the same. */
static int drop(pg_conn *c, pg_stmt *ps, aiodb__err *e) {
  char sql[64];
  const char *state;
  PGresult *r;
  int rc = 0;
  snprintf(sql, sizeof sql, "DEALLOCATE %s", ps->name);
  r = PQexec(c->pg, sql);
  state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
  if (PQresultStatus(r) != PGRES_COMMAND_OK && (state == NULL || strcmp(state, "26000") != 0))
    rc = fail_from(c, r, e);
  PQclear(r);
  if (rc != 0) return rc;
  aiodb__stmt_cache_forget(&c->cache, ps);
  aiodb__free(ps);
  return 0;
}

/* The prepared statement for sql with these argument types: from the cache,
 * or prepared now (evicting the least recently used), in *ps; *name is
 * its name. With caching off, the unnamed statement: *name "", *ps NULL. */
static int prepare(pg_conn *c, const char *sql, size_t len, size_t nparams,
                   pg_stmt **ps, const char **name, aiodb__err *e) {
  size_t klen;
  PGresult *res;
  int rc;

  *name = "";
  if (lookup(c, sql, len, nparams, &klen, ps) != 0)
    return aiodb__err_set(e, AIODB_ENOMEM, "out of memory");
  if (*ps != NULL && (*ps)->stale) {
    if ((rc = drop(c, *ps, e)) != 0) return rc;
    *ps = NULL;
  }
  if (*ps != NULL) {
    *name = (*ps)->name;
    return 0;
  }
  if (c->cache.cap > 0) {
    /* Cached before it is prepared, so that no memory is wanting after */
    if ((*ps = aiodb__calloc(1, sizeof **ps)) == NULL ||
        aiodb__stmt_cache_put(&c->cache, c->key, klen, *ps) != 0) {
      aiodb__free(*ps);
      *ps = NULL;
      return aiodb__err_set(e, AIODB_ENOMEM, "out of memory");
    }
    snprintf((*ps)->name, sizeof (*ps)->name, "aiodb_%u", c->next_name++);
    (*ps)->alone = (unsigned char)is_copy(sql, sql + len);
    *name = (*ps)->name;
  }
  res = PQprepare(c->pg, *name, sql, (int)nparams, c->types);
  rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : fail_from(c, res, e);
  PQclear(res);
  if (rc != 0 && *ps != NULL) {
    aiodb__stmt_cache_forget(&c->cache, *ps);
    aiodb__free(*ps);
    *ps = NULL;
    *name = "";
  }
  return rc;
}

/* ---- results ---- */

static int add_bytea(aiodb_result *res, const char *s, size_t len) {
  unsigned char *buf;
  size_t n, out;
  int rc, hex;
  if (len >= 2 && s[0] == '\\' && s[1] == 'x') {
    n = (len - 2) / 2;
    buf = aiodb__malloc(n ? n : 1);
    if (buf == NULL) return AIODB_ENOMEM;
    hex = aiodb__hex_decode(s + 2, n, buf) == 0;
    rc = hex ? aiodb__result_add_blob(res, buf, n) : 0;
    aiodb__free(buf);
    if (hex) return rc;
    /* Not hex as the server writes it: as libpq reads it, below. */
  }
  /* The old escape format. */
  buf = (unsigned char *)PQunescapeBytea((const unsigned char *)s, &out);
  if (buf == NULL) return AIODB_ENOMEM;
  rc = aiodb__result_add_blob(res, buf, out);
  PQfreemem(buf);
  return rc;
}

int aiodb__pg_decode(aiodb_result *res, unsigned type, const char *v,
                     size_t len) {
  switch (type) {
    case OID_INT2:
    case OID_INT4:
    case OID_INT8:
    case OID_OID: return aiodb__result_add_int(res, strtoll(v, NULL, 10));
    /* Exact: the session prints the shortest digits that read back as the
     * same value (pin_float_digits), so a float4 is read as a float and
     * widened, as it is stored, not as the double nearest its digits. */
    case OID_FLOAT4: return aiodb__result_add_float(res, (double)strtof(v, NULL));
    case OID_FLOAT8: return aiodb__result_add_float(res, strtod(v, NULL));
    case OID_BOOL: return aiodb__result_add_int(res, v[0] == 't');
    case OID_BYTEA: return add_bytea(res, v, len);
    default: return aiodb__result_add_text(res, v, len);
  }
}

static int add_cell(aiodb_result *res, const PGresult *r, int row, int col) {
  if (PQgetisnull(r, row, col)) return aiodb__result_add_null(res);
  return aiodb__pg_decode(res, PQftype(r, col), PQgetvalue(r, row, col),
                          (size_t)PQgetlength(r, row, col));
}

static const char *column_name(const void *r, size_t i, size_t *len) {
  const char *name = PQfname(r, (int)i);
  *len = strlen(name);
  return name;
}

static int set_columns(const PGresult *r, aiodb_result *res, aiodb__err *e) {
  return aiodb__result_columns(res, (size_t)PQnfields(r), column_name, r, e);
}

static int add_rows(const PGresult *r, aiodb_result *res, aiodb__err *e) {
  int row, col, rows = PQntuples(r), cols = PQnfields(r), rc = 0;
  locale_t old = aiodb__numbers_c();
  for (row = 0; rc == 0 && row < rows; row++)
    for (col = 0; rc == 0 && col < cols; col++)
      if (add_cell(res, r, row, col) != 0)
        rc = aiodb__err_set(e, AIODB_ENOMEM, "out of memory for the result");
  aiodb__numbers_restore(old);
  return rc;
}

/* Rows changed: only INSERT, UPDATE, DELETE and MERGE count (for a SELECT
 * PQcmdTuples is the number of rows returned, which is not "affected"). */
static int64_t affected_of(const PGresult *r) {
  static const char *const verbs[] = {"INSERT ", "UPDATE ", "DELETE ", "MERGE "};
  const char *tag = PQcmdStatus((PGresult *)r), *n;
  size_t i;
  for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
    if (tag != NULL && strncmp(tag, verbs[i], strlen(verbs[i])) == 0) {
      n = PQcmdTuples((PGresult *)r);
      return n && n[0] ? strtoll(n, NULL, 10) : 0;
    }
  }
  return 0;
}

/* Takes a finished result into res (fresh when first): rows, or a row of
 * them in single-row mode. Text holding no statement (EMPTY_QUERY) is one
 * that does nothing: no columns, no rows. A COPY FROM STDIN or TO STDOUT is
 * ended and refused; the caller reads on to the NULL that ends the
 * statement's results. */
static int take(pg_conn *c, PGresult *r, aiodb_result *res, int first,
                aiodb__err *e) {
  ExecStatusType st = PQresultStatus(r);
  int rc;
  switch (st) {
    case PGRES_TUPLES_OK:
    case PGRES_COMMAND_OK:
    case PGRES_SINGLE_TUPLE:
    case PGRES_EMPTY_QUERY: break;
    case PGRES_COPY_IN:
    case PGRES_COPY_OUT:
      end_copy(c, st);
      return copy_refused(e, st, "aiodb_query");
    case PGRES_FATAL_ERROR:
    case PGRES_NONFATAL_ERROR:
    case PGRES_BAD_RESPONSE: return fail_from(c, r, e);
    default:
      aiodb__err_set(e, AIODB_ESQL, "unexpected result from libpq: %s", PQresStatus(st));
      e->native_code = (int)st;
      return e->code;
  }
  if (first && (rc = set_columns(r, res, e)) != 0) return rc;
  if ((rc = add_rows(r, res, e)) != 0) return rc;
  return 0;
}

/* ---- statements ---- */

/* The answer of PQexec or PQexecPrepared (sent outside pipeline mode,
 * which ends single-row mode) into res; frees r. */
static int answer(pg_conn *c, PGresult *r, aiodb_result *res, aiodb__err *e) {
  int rc;
  if (r != NULL) c->single_row = 0;
  rc = take(c, r, res, 1, e);
  if (rc == 0) aiodb__result_set_affected(res, affected_of(r));
  PQclear(r);
  drain_rest(c); /* nothing, unless a COPY was refused */
  return rc;
}

/* PostgreSQL answers a COMMIT (END, PREPARE TRANSACTION) of a transaction
 * that an earlier error aborted with success and the tag ROLLBACK: nothing
 * was committed, so that is reported as the failure it is. */
static int commit_rolled_back(const aiodb__stmt *s, const PGresult *r,
                              aiodb__err *e) {
  const char *p = s->sql;
  if (PQresultStatus(r) != PGRES_COMMAND_OK ||
      strcmp(PQcmdStatus((PGresult *)r), "ROLLBACK") != 0)
    return 0;
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  if (strncasecmp(p, "ROLLBACK", 8) == 0 || strncasecmp(p, "ABORT", 5) == 0)
    return 0;
  aiodb__err_set(e, AIODB_ETXABORTED,
                 "nothing was committed: the transaction had been aborted by "
                 "an earlier error, and the server rolled it back");
  snprintf(e->sqlstate, sizeof e->sqlstate, "25P02");
  return e->code;
}

static int pg_exec(void *native, const aiodb__stmt *s, aiodb_result *res,
                   aiodb__err *e) {
  pg_conn *c = native;
  const char *name;
  pg_stmt *ps;
  PGresult *r;
  int rc, tries = 0;

  if ((rc = bind_row(c, s->args, s->nargs, e)) != 0) return rc;
  if (c->cache.cap == 0) {
    /* Unnamed, in one round trip: without arguments the text protocol
     * (several statements may run; the result is the last's), else Parse,
     * Bind, Describe, Execute and one Sync together. Nothing outlives the
     * Sync on the server, which a pooler may change after it. */
    if (s->nargs == 0)
      r = PQexec(c->pg, s->sql);
    else
      r = PQexecParams(c->pg, s->sql, (int)s->nargs, c->types, c->values, c->lengths,
                       c->formats, 0);
    goto done;
  }
  for (;;) {
    rc = prepare(c, s->sql, s->sql_len, s->nargs, &ps, &name, e);
    if (rc != 0) {
      /* Several statements cannot be prepared: run them as text. The server
       * says so with a syntax_error (42601) whose words follow its locale, so
       * the class decides; a true syntax error fails the same way again.
       * Nor can one the cache has no memory for, which as text needs none
       * of ours: the library's BEGIN, COMMIT and ROLLBACK never fail so. */
      if (s->nargs == 0 && (strcmp(e->sqlstate, "42601") == 0 || rc == AIODB_ENOMEM)) {
        memset(e, 0, sizeof *e);
        rc = answer(c, PQexec(c->pg, s->sql), res, e);
      }
      return rc;
    }
    r = PQexecPrepared(c->pg, name, (int)s->nargs, c->values, c->lengths,
                       c->formats, 0);
    if (tries++ > 0 || !is_stale(r)) break;
    /* Its plan went stale before it ran: prepared again and run again,
     * once, unless a transaction block is open (the failure aborted it:
     * the next run after the rollback prepares it afresh). */
    if (ps != NULL) ps->stale = 1;
    if (PQtransactionStatus(c->pg) != PQTRANS_IDLE) break;
    PQclear(r);
  }
done:
  if (r != NULL && commit_rolled_back(s, r, e) != 0) {
    c->single_row = 0;
    PQclear(r);
    return e->code;
  }
  return answer(c, r, res, e);
}

static int run_plain(pg_conn *c, const char *sql, aiodb__err *e) {
  PGresult *r = PQexec(c->pg, sql);
  int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : fail_from(c, r, e);
  if (r != NULL) c->single_row = 0;
  PQclear(r);
  return rc;
}

/* ---- query_many (lib/many.c runs the batch): the rows go out in
 * pipeline mode, a chunk per round trip (small enough that neither side's
 * socket buffer can fill up). A cached statement whose plan went stale
 * fails before any row runs; the core undoes the batch then, and runs it
 * once more, prepared again. ---- */

#define PIPELINE_CHUNK 256

static int pg_in_tx(void *native) {
  return PQtransactionStatus(((pg_conn *)native)->pg) != PQTRANS_IDLE;
}

static int pg_exec_own(void *native, const char *sql, aiodb__err *e) {
  return run_plain(native, sql, e);
}

static int pg_many_check(void *native, const aiodb__stmt *s, aiodb__err *e) {
  (void)native;
  if (is_copy(s->sql, s->sql + s->sql_len))
    return aiodb__err_set(e, AIODB_EUNSUPPORTED,
                          "COPY is not supported through aiodb_query_many: run it with "
                          "aiodb_query, or with aiodb_run and the PGconn* for STDIN "
                          "and STDOUT");
  return 0;
}

static int pg_many_prepare(void *native, const aiodb__stmt *s, aiodb__many *m,
                           aiodb__err *e) {
  pg_conn *c = native;
  const char *name;
  pg_stmt *ps;
  int rc;

  /* the first row's argument types are the statement's */
  if ((rc = bind_row(c, s->args, s->nargs, e)) != 0) {
    m->whole = 0;
    m->row = 0;
    return rc;
  }
  if ((rc = prepare(c, s->sql, s->sql_len, s->nargs, &ps, &name, e)) != 0) return rc;
  m->stmt = ps; /* NULL: the unnamed statement */
  if (!PQenterPipelineMode(c->pg)) return fail_from(c, NULL, e);
  m->chunk = PIPELINE_CHUNK;
  return 0;
}

/* How a chunk went: its first failure, if any. */
typedef struct pg_chunk {
  int rc;
  size_t bad;      /* the row that failed */
  int whole;       /* the failure is the statement's, not the row's */
  int stale;       /* a cached plan gone stale: the row did not run */
} pg_chunk;

/* Reads one chunk's results in pipeline mode: a result (then NULL) per
 * query, then the sync. Notes the first failure and its row. */
static void read_chunk(pg_conn *c, size_t first, size_t count,
                       aiodb_result *res, pg_chunk *k, aiodb__many *m,
                       aiodb__err *e) {
  size_t i;
  PGresult *r;
  for (i = 0; i < count; i++) {
    while ((r = PQgetResult(c->pg)) != NULL) {
      ExecStatusType st = PQresultStatus(r);
      if (k->rc == 0 && st == PGRES_EMPTY_QUERY) {
        k->rc = aiodb__err_set(e, AIODB_EINVAL, "query_many takes exactly one statement");
        k->whole = 1;
      } else if (k->rc == 0 && st != PGRES_PIPELINE_ABORTED) {
        k->stale = is_stale(r);
        k->rc = take(c, r, res, first + i == 0, e);
        if (k->rc == 0) m->affected += affected_of(r);
      }
      if (k->rc != 0 && k->bad == (size_t)-1) k->bad = first + i;
      PQclear(r);
    }
  }
  /* the sync, or NULL if the connection is gone */
  while ((r = PQgetResult(c->pg)) != NULL) {
    int sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
    PQclear(r);
    if (sync) break;
  }
}

static int pg_many_rows(void *native, const aiodb__stmt *s, size_t first,
                        size_t n, aiodb_result *res, aiodb__many *m,
                        aiodb__err *e) {
  pg_conn *c = native;
  pg_stmt *ps = m->stmt;
  const char *name = ps != NULL ? ps->name : "";
  pg_chunk k = {0, (size_t)-1, 0, 0};
  size_t i;

  for (i = 0; k.rc == 0 && i < n; i++) {
    k.rc = bind_row(c, s->args + (first + i) * s->nargs, s->nargs, e);
    if (k.rc == 0 && !PQsendQueryPrepared(c->pg, name, (int)s->nargs, c->values,
                                          c->lengths, c->formats, 0))
      k.rc = fail_from(c, NULL, e);
    if (k.rc != 0) k.bad = first + i;
  }
  if (!PQpipelineSync(c->pg) && k.rc == 0) {
    k.rc = fail_from(c, NULL, e);
    k.bad = first;
  }
  read_chunk(c, first, i, res, &k, m, e);
  if (k.rc == 0) return 0;
  m->row = k.bad == (size_t)-1 ? first : k.bad;
  m->whole = k.whole;
  if (k.stale && ps != NULL) ps->stale = 1;
  m->again = k.stale;
  return k.rc;
}

static void pg_many_close(void *native, aiodb__many *m) {
  pg_conn *c = native;
  (void)m;
  if (PQpipelineStatus(c->pg) != PQ_PIPELINE_OFF) PQexitPipelineMode(c->pg);
}


static const aiodb__many_ops pg_many = {
    .in_tx = pg_in_tx,
    .exec_own = pg_exec_own,
    .check = pg_many_check,
    .prepare = pg_many_prepare,
    .rows = pg_many_rows,
    .close = pg_many_close,
};

/* ---- auto-pipelining: statements queued together go out in pipeline
 * mode, each followed by a sync, so that each is its own implicit
 * transaction exactly as when sent one at a time ---- */

/* Argument bytes sent ahead at most: far below what the two sockets buffer,
 * so sending cannot block on a server that is blocked sending results. */
#define BATCH_BYTES 65536

static size_t arg_bytes(const aiodb__stmt *s) {
  size_t i, n = 0;
  for (i = 0; i < s->nargs; i++)
    n += s->args[i].type == AIODB_TYPE_TEXT || s->args[i].type == AIODB_TYPE_BLOB
             ? s->args[i].len
             : 8;
  return n;
}

/* Sends, in pipeline mode, the statements at the front of st[0..n) whose
 * prepared statement is cached, or, with the cache off, that have
 * arguments (each unnamed, with its own Sync, as pg_exec sends it). Returns
 * how many went out; 0: the first must run alone (not prepared yet, not
 * preparable, or text that may hold several statements). */
static size_t send_run(pg_conn *c, const aiodb__stmt *st, size_t n) {
  size_t i, bytes = 0, klen;
  aiodb__err ignored;
  pg_stmt *ps = NULL;
  if (c->single_row) return 0; /* the first, sent alone, resets it */
  for (i = 0; i < n; i++) {
    bytes += arg_bytes(&st[i]);
    if (i > 0 && bytes > BATCH_BYTES) break;
    if (bind_row(c, st[i].args, st[i].nargs, &ignored) != 0) break;
    if (c->cache.cap > 0) {
      if (lookup(c, st[i].sql, st[i].sql_len, st[i].nargs, &klen, &ps) != 0 || ps == NULL ||
          ps->stale || ps->alone)
        break;
    } else if (st[i].nargs == 0 || is_copy(st[i].sql, st[i].sql + st[i].sql_len)) {
      break;
    }
    if (i == 0 && !PQenterPipelineMode(c->pg)) break;
    if (ps != NULL ? !PQsendQueryPrepared(c->pg, ps->name, (int)st[i].nargs, c->values,
                                          c->lengths, c->formats, 0)
                   : !PQsendQueryParams(c->pg, st[i].sql, (int)st[i].nargs, c->types,
                                        c->values, c->lengths, c->formats, 0))
      break;
    if (!PQpipelineSync(c->pg)) {
      i++; /* sent, and its failure is read like any other */
      break;
    }
  }
  if (i == 0 && PQpipelineStatus(c->pg) != PQ_PIPELINE_OFF)
    PQexitPipelineMode(c->pg);
  return i;
}

/* Reads one statement's answer, up to the NULL that ends it: one result,
 * or a row at a time then the empty end should single-row mode still be
 * on. *stale: it failed before running, its cached plan gone stale. */
static void collect(pg_conn *c, const aiodb__stmt *s, aiodb_result *res,
                    aiodb__err *e, int *stale) {
  PGresult *r;
  int got = 0, rc = 0;
  *stale = 0;
  while ((r = PQgetResult(c->pg)) != NULL) {
    if (rc == 0) {
      *stale = is_stale(r);
      rc = commit_rolled_back(s, r, e);
      if (rc == 0) rc = take(c, r, res, !got, e);
      if (rc == 0) aiodb__result_set_affected(res, affected_of(r));
    }
    got = 1;
    PQclear(r);
  }
  if (!got) fail_from(c, NULL, e); /* the connection is gone */
}

/* Reads the results of count statements sent by send_run: each one's
 * result, then its sync. A statement whose cached plan went stale did not
 * run: it is prepared again and run again alone, in order, if nothing
 * after it in this run has run (else it would run after a later one) and
 * no transaction block is open; otherwise it fails, and its next run
 * prepares it afresh. */
static void read_run(pg_conn *c, const aiodb__stmt *st, size_t first,
                     size_t count, aiodb_result *const *res,
                     aiodb__err *const *e, void (*done)(void *, size_t),
                     void *ud) {
  size_t i, j, held = count, klen; /* held: the first stale one not done */
  aiodb__err ignored;
  PGresult *r;
  pg_stmt *ps;
  int stale;
  for (i = 0; i < count; i++) {
    collect(c, &st[i], res[i], e[i], &stale);
    while ((r = PQgetResult(c->pg)) != NULL) {
      int sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
      PQclear(r);
      if (sync) break;
    }
    if (stale) {
      if (bind_row(c, st[i].args, st[i].nargs, &ignored) == 0 &&
          lookup(c, st[i].sql, st[i].sql_len, st[i].nargs, &klen, &ps) == 0 && ps != NULL)
        ps->stale = 1;
      if (held == count) held = i;
      continue;
    }
    for (j = held; j < i; j++) done(ud, first + j);
    held = count;
    done(ud, first + i);
  }
  if (PQpipelineStatus(c->pg) != PQ_PIPELINE_OFF) PQexitPipelineMode(c->pg);
  for (j = held; j < count; j++) {
    if (PQtransactionStatus(c->pg) == PQTRANS_IDLE) {
      memset(e[j], 0, sizeof *e[j]);
      aiodb__result_reset(res[j]);
      pg_exec(c, &st[j], res[j], e[j]);
    }
    done(ud, first + j);
  }
}

static void pg_exec_batch(void *native, const aiodb__stmt *st,
                          aiodb_result *const *res, aiodb__err *const *e,
                          size_t n, void (*done)(void *, size_t), void *ud) {
  pg_conn *c = native;
  size_t i = 0, sent;
  while (i < n) {
    sent = send_run(c, st + i, n - i);
    if (sent == 0) {
      pg_exec(c, &st[i], res[i], e[i]);
      done(ud, i++);
      continue;
    }
    read_run(c, st + i, i, sent, res + i, e + i, done, ud);
    i += sent;
  }
}

/* ---- cursors: single-row mode, read a batch at a time ---- */

static int pg_cursor_open(void *native, const aiodb__stmt *s, void **out,
                          aiodb__err *e) {
  pg_conn *c = native;
  pg_cursor *cur;
  int rc = bind_row(c, s->args, s->nargs, e);
  if (rc != 0) return rc;
  if (!PQsendQueryParams(c->pg, s->sql, (int)s->nargs, c->types, c->values,
                         c->lengths, c->formats, 0))
    return fail_from(c, NULL, e);
  PQsetSingleRowMode(c->pg);
  c->single_row = 1;
  cur = aiodb__calloc(1, sizeof *cur);
  if (cur == NULL) {
    /* Drain what was sent, so the connection stays usable. */
    drain_rest(c);
    return aiodb__err_set(e, AIODB_ENOMEM, "out of memory");
  }
  cur->active = 1;
  *out = cur;
  return 0;
}

static void drain(pg_conn *c, pg_cursor *cur) {
  if (cur->active) drain_rest(c);
  cur->active = 0;
}

static int pg_cursor_fetch(void *native, void *curp, size_t max_rows,
                           aiodb_result *res, aiodb__err *e) {
  pg_conn *c = native;
  pg_cursor *cur = curp;
  size_t n = 0;
  int rc = 0;

  aiodb__result_reset(res);
  aiodb__result_set_cols(res, 0);
  while (rc == 0 && !cur->done && n < max_rows) {
    PGresult *r = PQgetResult(c->pg);
    ExecStatusType st;
    if (r == NULL) {
      cur->done = 1;
      cur->active = 0;
      break;
    }
    st = PQresultStatus(r);
    if (st == PGRES_SINGLE_TUPLE) {
      if (n == 0) rc = set_columns(r, res, e);
      if (rc == 0) rc = add_rows(r, res, e);
      n++;
    } else if (st == PGRES_EMPTY_QUERY) {
      rc = aiodb__err_set(e, AIODB_EINVAL, "a cursor takes exactly one statement");
      cur->done = 1;
    } else if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT) {
      end_copy(c, st);
      rc = copy_refused(e, st, "a cursor");
      cur->done = 1;
    } else if (st != PGRES_TUPLES_OK) { /* TUPLES_OK: the zero-row end */
      rc = fail_from(c, r, e);
      cur->done = 1;
    }
    /* The first result is kept for the column names of later batches. */
    if (cur->cols == NULL && rc == 0)
      cur->cols = r;
    else
      PQclear(r);
  }
  if (rc != 0) drain(c, cur);
  if (rc == 0 && n == 0 && cur->cols) rc = set_columns(cur->cols, res, e);
  return rc;
}

static void pg_cursor_close(void *native, void *curp) {
  pg_conn *c = native;
  pg_cursor *cur = curp;
  if (cur->active && PQstatus(c->pg) == CONNECTION_OK) {
    int fd;
    /* Rows are still coming: cancel the query, through the interrupter. If
     * the cancel has not got through in time (a server that does not answer
     * it), the connection is given up (its socket shut down, so that the
     * next call on it fails and it is replaced) rather than read to the end
     * of a result that may never end. */
    aiodb__stmt_begin();
    if (aiodb__stmt_interrupt_wait() != 0 && (fd = PQsocket(c->pg)) >= 0)
      shutdown(fd, SHUT_RDWR);
    drain(c, cur);
    aiodb__stmt_end();
  } else if (cur->active) {
    drain(c, cur);
  }
  PQclear(cur->cols);
  aiodb__free(cur);
}

/* The statements the core may interrupt, between boundaries for the
 * interrupter: what the driver table points to. */
static int pg_exec_stmt(void *native, const aiodb__stmt *s, aiodb_result *res,
                        aiodb__err *e) {
  int rc;
  aiodb__stmt_begin();
  rc = pg_exec(native, s, res, e);
  aiodb__stmt_end();
  return rc;
}

static int pg_cursor_fetch_stmt(void *native, void *cur, size_t max_rows,
                                aiodb_result *res, aiodb__err *e) {
  int rc;
  aiodb__stmt_begin();
  rc = pg_cursor_fetch(native, cur, max_rows, res, e);
  aiodb__stmt_end();
  return rc;
}

/* Never interrupted, but no earlier cancel may land on them either. */
static int pg_cursor_open_settled(void *native, const aiodb__stmt *s, void **out,
                                  aiodb__err *e) {
  aiodb__stmt_settle();
  return pg_cursor_open(native, s, out, e);
}

static void pg_exec_batch_settled(void *native, const aiodb__stmt *st,
                                  aiodb_result *const *res, aiodb__err *const *e,
                                  size_t n, void (*done)(void *, size_t), void *ud) {
  aiodb__stmt_settle();
  pg_exec_batch(native, st, res, e, n, done, ud);
}

static const char *pg_client_version(void) {
  static _Thread_local char buf[32];
  int v = PQlibVersion();
  snprintf(buf, sizeof buf, "%d.%d", v / 10000, v % 10000);
  return buf;
}

const aiodb__driver aiodb__driver_postgres = {
    .name = "postgresql",
    .param_style = "$1",
    .dialect = AIODB__DIALECT_POSTGRES,
    .pstyle = AIODB__PSTYLE_DOLLAR,
    .default_max_size = 10,
    .default_max_lifetime_ms = 1800000,
    .ping = pg_ping,
    .configure = pg_configure,
    .free_config = pg_free_config,
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .handle = pg_handle,
    .exec = pg_exec_stmt,
    .many = &pg_many,
    .cursor_open = pg_cursor_open_settled,
    .cursor_fetch = pg_cursor_fetch_stmt,
    .cursor_close = pg_cursor_close,
    .sql_table_names = "SELECT table_name::text AS name FROM information_schema.tables "
                       "WHERE table_schema = current_schema() AND table_type = 'BASE "
                       "TABLE' ORDER BY 1",
    .sql_has_table = "SELECT CASE WHEN EXISTS (SELECT 1 FROM information_schema.tables "
                     "WHERE table_schema = current_schema() AND table_name = ?) THEN 1 "
                     "ELSE 0 END AS present",
    .sql_server_info = "SELECT 'postgresql' AS driver, current_setting('server_version') "
                       "AS server_version, ?::text AS client_version, ?::text AS "
                       "aiodb_version",
    .sql_columns = "SELECT a.attname::text AS name, format_type(a.atttypid, a.atttypmod) AS type, "
        "(NOT a.attnotnull)::int AS nullable, CASE WHEN a.attgenerated = '' THEN "
        "pg_get_expr(d.adbin, d.adrelid) END AS \"default\", "
        "COALESCE((SELECT k.n FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, n) "
        "WHERE k.attnum = a.attnum), 0)::int AS pk, "
        "(a.attgenerated <> '')::int AS generated, (a.attidentity <> '' OR "
        "COALESCE(pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%', false))::int AS "
        "autoincrement FROM (SELECT CAST(? AS text) AS q) AS p JOIN pg_namespace n ON "
        "n.nspname = CASE WHEN strpos(p.q, '.') > 0 THEN split_part(p.q, '.', 1) ELSE "
        "current_schema() END JOIN pg_class c ON c.relnamespace = n.oid AND c.relname "
        "= CASE WHEN strpos(p.q, '.') > 0 THEN substr(p.q, strpos(p.q, '.') + 1) ELSE "
        "p.q END AND c.relkind IN ('r', 'p', 'v', 'm', 'f') JOIN pg_attribute a ON "
        "a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped LEFT JOIN "
        "pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum LEFT JOIN "
        "pg_index x ON x.indrelid = c.oid AND x.indisprimary ORDER BY a.attnum",
    .sql_indexes = "SELECT ic.relname::text AS name, x.indisunique::int AS \"unique\", k.n::int "
        "AS position, a.attname::text AS \"column\" FROM (SELECT CAST(? AS text) AS q) "
        "AS p JOIN pg_namespace n ON n.nspname = CASE WHEN strpos(p.q, '.') > 0 THEN "
        "split_part(p.q, '.', 1) ELSE current_schema() END JOIN pg_class c ON "
        "c.relnamespace = n.oid AND c.relname = CASE WHEN strpos(p.q, '.') > 0 THEN "
        "substr(p.q, strpos(p.q, '.') + 1) ELSE p.q END AND c.relkind IN ('r', 'p', "
        "'v', 'm', 'f') JOIN pg_index x ON x.indrelid = c.oid JOIN pg_class ic ON "
        "ic.oid = x.indexrelid CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH "
        "ORDINALITY AS k(attnum, n) LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND "
        "a.attnum = k.attnum AND k.attnum <> 0 WHERE k.n <= x.indnkeyatts ORDER BY 1, 3",
    .sql_view_names = "SELECT table_name::text AS name FROM information_schema.views WHERE "
        "table_schema = current_schema() ORDER BY 1",
    .client_version = pg_client_version,
    /* interrupt NULL: through the interrupter */
    .is_broken = pg_is_broken,
    .exec_batch = pg_exec_batch_settled,
    /* tx_ended NULL: an error leaves the transaction block open */
    .interrupt_open = pg_interrupt_open,
    .interrupt_send = pg_interrupt_send,
    .interrupt_close = pg_interrupt_close,
    .last_error = pg_last_error,
    .adopt = pg_adopt,
    .attach = pg_attach,
    .sql_read_only = "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
};
