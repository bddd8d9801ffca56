/* The PostgreSQL driver, through libpq: runs on the connection's worker.
 * Statements are prepared once per connection (named, LRU-cached) and run
 * with PQexecPrepared; parameters travel as text, blobs as binary; results
 * come back as text and are typed from the column OIDs.
 *
 * Connections open with PQconnectStartParams/PQconnectPoll, waiting in
 * poll() on the socket and on the core's abandon fd, so that a server that
 * never answers holds a worker no longer than connect_timeout, and
 * aiodb_db_free can give up on it sooner. Cancel requests (PQcancel, which
 * blocks on a network round trip) are sent from a thread of the db's own, so
 * that aiodb_future_cancel and the deadline timer never wait on the network. */
#include <errno.h>
#include <libpq-fe.h>
#include <limits.h>
#include <locale.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
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

/* A cancel to send: the statement of conn numbered seq (see pg_conn.seq). */
typedef struct pg_req {
  struct pg_conn *conn;
  uint64_t seq;
} pg_req;

typedef struct pg_cfg {
  const char **keys;
  const char **values;
  size_t n;
  char *password; /* to scrub from messages */

  /* The canceller: a thread that sends the cancel requests, started at the
   * first. lock guards what follows; cv signals a request, the end of a
   * cancel in flight, and the thread's exit. Lock order: the db's lock, then
   * this one (interrupts are posted under the db's lock). */
  pthread_mutex_t lock;
  pthread_cond_t cv; /* on CLOCK_MONOTONIC */
  pg_req *reqs;       /* at most one per connection, room for each kept */
  size_t nreqs, reqs_cap;
  size_t nconns;      /* connections open, each with room in reqs */
  struct pg_conn *busy; /* whose cancel is in flight; NULL if it disconnected */
  PGcancel *orphan;     /* that cancel's PGcancel once its connection
                           went: the canceller frees it */
  pthread_t thread;
  int started, stopping, exited;
  int detached;      /* free_config gave up waiting: the thread frees this */
} pg_cfg;

typedef struct pg_entry {
  char *key;      /* SQL text + parameter types: one prepared statement */
  size_t len;
  char name[24];
  uint64_t used;
  unsigned char stale; /* its plan no longer fits the tables: DEALLOCATE it
                          and prepare it again before the next run */
  unsigned char alone; /* a COPY: never sent in a pipeline */
} pg_entry;

typedef struct pg_conn {
  PGconn *pg;
  PGcancel *cancel;
  pg_cfg *cfg;
  /* Statement boundaries, for cancel: odd while one runs. cancelling is
   * the seq whose cancel is in flight (0: none), set and cleared by the
   * canceller under cfg->lock; waited is the last one the worker waited
   * for, so that a cancel stuck on a silent server holds it up once. */
  _Atomic uint64_t seq;
  _Atomic uint64_t cancelling;
  uint64_t waited;
  pg_entry *cache;
  unsigned cap, n;
  uint64_t tick;
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

static void cfg_destroy(pg_cfg *c) {
  size_t i;
  for (i = 0; i < c->n; i++) {
    aiodb__free((char *)c->keys[i]);
    aiodb__free((char *)c->values[i]);
  }
  aiodb__free(c->keys);
  aiodb__free(c->values);
  if (c->password) {
    memset(c->password, 0, strlen(c->password));
    aiodb__free(c->password);
  }
  PQfreeCancel(c->orphan);
  aiodb__free(c->reqs);
  pthread_mutex_destroy(&c->lock);
  pthread_cond_destroy(&c->cv);
  aiodb__free(c);
}

static int canceller_stop(pg_cfg *c);

static void pg_free_config(void *p) {
  pg_cfg *c = p;
  if (c == NULL) return;
  if (canceller_stop(c)) return; /* still in a cancel: the thread frees c */
  cfg_destroy(c);
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

static int pg_configure(const aiodb__url *url_in, const aiodb_options *opts,
                        void **out, aiodb_error *err) {
  aiodb__url *url = (aiodb__url *)url_in;
  pg_cfg *c;
  PQconninfoOption *known = NULL;
  pthread_condattr_t attr;
  const char *v;
  char port[16];
  size_t i, max = url->nquery + 16;
  int rc = 0;
  (void)opts;

  c = aiodb__calloc(1, sizeof *c);
  if (c == NULL) return aiodb__error_set(err, AIODB_ENOMEM, "out of memory");
  pthread_mutex_init(&c->lock, NULL);
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&c->cv, &attr);
  pthread_condattr_destroy(&attr);
  c->keys = aiodb__calloc(max, sizeof *c->keys);
  c->values = aiodb__calloc(max, sizeof *c->values);
  if (c->keys == NULL || c->values == NULL) goto oom;
  /* The query's own host=, port=, ... come after the authority's: libpq
   * takes the last value of a keyword. */
  if (url->host && cfg_add(c, "host", url->host)) goto oom;
  if (url->port) {
    snprintf(port, sizeof port, "%u", url->port);
    if (cfg_add(c, "port", port)) goto oom;
  }
  if (url->user && cfg_add(c, "user", url->user)) goto oom;
  if (url->password) {
    if (cfg_add(c, "password", url->password)) goto oom;
    if ((c->password = aiodb__strdup(url->password)) == NULL) goto oom;
  }
  if (url->path && url->path[0] && cfg_add(c, "dbname", url->path)) goto oom;
  known = PQconndefaults();
  if (known == NULL) goto oom;
  for (i = 0; i < url->nquery; i++) {
    aiodb__kv *kv = &url->query[i];
    if (kv->used) continue;
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

/* Copies msg into e's message, with the password blotted out. */
static void set_message(aiodb__err *e, const pg_cfg *cfg, const char *msg) {
  aiodb__err_message(e, msg, cfg ? cfg->password : NULL);
}

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
    set_message(e, c->cfg, PQerrorMessage(c->pg));
    if (state == NULL) state = "08006";
  } else {
    const char *msg = primary ? primary : res ? PQresultErrorMessage(res) : "";
    e->code = code_of_sqlstate(state);
    if (msg[0] == '\0') msg = PQerrorMessage(c->pg);
    set_message(e, c->cfg, msg);
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
  int depth, i;
  for (;;) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
                       *p == '\f' || *p == '\v'))
      p++;
    if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
      while (p < end && *p != '\n') p++;
    } else if (end - p >= 2 && p[0] == '/' && p[1] == '*') {
      for (depth = 1, p += 2; p < end && depth > 0;) { /* they nest */
        if (end - p >= 2 && p[0] == '/' && p[1] == '*')
          depth++, p += 2;
        else if (end - p >= 2 && p[0] == '*' && p[1] == '/')
          depth--, p += 2;
        else
          p++;
      }
    } else {
      break;
    }
  }
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
  set_message(e, cfg, msg);
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
  set_message(e, cfg, msg);
  snprintf(e->sqlstate, sizeof e->sqlstate, code == AIODB_ECONNLOST ? "08006" : "08001");
  return code;
}

/* Drives PQconnectPoll to its end, waiting in poll() on the socket (read
 * anew each round: each address has its own) and on the core's abandon fd.
 * connect_timeout counts for each address, as in libpq's own wait; when it
 * passes, the attempt's socket is shut down, so that libpq fails it (and
 * moves on to the next address, if the TCP connect was still under way).
 * The socket is the core's to shut down only while we wait on it: inside
 * PQconnectPoll libpq may close it. Returns 0 once connected, or fills e. */
static int connect_wait(PGconn *pg, const pg_cfg *cfg, aiodb__err *e) {
  PostgresPollingStatusType st = PGRES_POLLING_WRITING;
  int timeout = timeout_of(pg), expired = 0;
  int64_t deadline = 0;
  char attempt[512] = "", at[512], msg[700];
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
  }
  if (st == PGRES_POLLING_OK) return 0;
  if (!expired) return connect_error(e, cfg, AIODB_ECONNECT, PQerrorMessage(pg));
  {
    /* libpq would blame the shut-down socket: say what happened. */
    char *port = strchr(attempt, '\n'), *addr;
    if (port != NULL) *port++ = '\0';
    addr = port ? strchr(port, '\n') : NULL;
    if (addr != NULL) *addr = '\0';
    if (attempt[0] == '/')
      snprintf(msg, sizeof msg,
               "connection to server on socket \"%s/.s.PGSQL.%s\" failed: timeout "
               "expired (connect_timeout=%d)",
               attempt, port ? port : "", timeout);
    else
      snprintf(msg, sizeof msg,
               "connection to server at \"%s\", port %s failed: timeout expired "
               "(connect_timeout=%d)",
               attempt, port ? port : "", timeout);
  }
  return connect_error(e, cfg, AIODB_ECONNECT, msg);
}

static int reserve_cancel(pg_cfg *cfg);

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
  if (connect_wait(pg, cfg, e) != 0) {
    PQfinish(pg);
    return e->code;
  }
  if (pin_float_digits(pg, cfg, e) != 0) {
    PQfinish(pg);
    return e->code;
  }
  c = aiodb__calloc(1, sizeof *c);
  if (c != NULL && statement_cache > 0) {
    c->cache = aiodb__calloc(statement_cache, sizeof *c->cache);
    if (c->cache == NULL) {
      aiodb__free(c);
      c = NULL;
    } else {
      c->cap = statement_cache;
    }
  }
  if (c == NULL || (c->cancel = PQgetCancel(pg)) == NULL || reserve_cancel(cfg) != 0) {
    if (c != NULL) PQfreeCancel(c->cancel);
    aiodb__free(c ? c->cache : NULL);
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

static void pg_disconnect(void *native) {
  pg_conn *c = native;
  pg_cfg *cfg = c->cfg;
  size_t k, j;
  unsigned i;
  /* No cancel may outlive the connection it names: queued ones go, and
   * one in flight takes its PGcancel along, for the canceller to free (it
   * is never waited for: the server may not answer it). */
  pthread_mutex_lock(&cfg->lock);
  for (k = j = 0; k < cfg->nreqs; k++)
    if (cfg->reqs[k].conn != c) cfg->reqs[j++] = cfg->reqs[k];
  cfg->nreqs = j;
  cfg->nconns--;
  if (cfg->busy == c) {
    cfg->busy = NULL;
    cfg->orphan = c->cancel;
    c->cancel = NULL;
  }
  pthread_mutex_unlock(&cfg->lock);
  for (i = 0; i < c->n; i++) aiodb__free(c->cache[i].key);
  aiodb__free(c->cache);
  PQfreeCancel(c->cancel);
  aiodb__conn_socket(-1);
  PQfinish(c->pg);
  aiodb__free(c->values);
  aiodb__free(c->lengths);
  aiodb__free(c->formats);
  aiodb__free(c->types);
  aiodb__free(c->text);
  aiodb__free(c->key);
  aiodb__free(c);
}

static void *pg_handle(void *native) { return ((pg_conn *)native)->pg; }

/* ---- cancel: PQcancel waits for the server's answer, with no time limit
 * of its own (keepalives and tcp_user_timeout end it only when the host is
 * gone, not when the server hangs). It runs on the canceller, never under a
 * lock of the core. ---- */

/* A worker waits at most this long for a cancel in flight: before its next
 * statement (which the cancel could stop instead), and in cursor_close. */
#define CANCEL_WAIT_MS 3000
/* free_config waits at most this long for the canceller to leave a cancel
 * in flight, then leaves it the config to free when PQcancel returns. */
#define STOP_WAIT_MS 500

static void deadline_in(struct timespec *ts, int ms) {
  clock_gettime(CLOCK_MONOTONIC, ts);
  ts->tv_sec += ms / 1000;
  ts->tv_nsec += (long)(ms % 1000) * 1000000;
  if (ts->tv_nsec >= 1000000000) {
    ts->tv_sec++;
    ts->tv_nsec -= 1000000000;
  }
}

static void *canceller_main(void *arg) {
  pg_cfg *cfg = arg;
  char buf[256];
  int own;
#if defined(__linux__)
  pthread_setname_np(pthread_self(), "aiodb-cancel");
#endif
  pthread_mutex_lock(&cfg->lock);
  while (!cfg->stopping) {
    pg_req r;
    PGcancel *pc;
    if (cfg->nreqs == 0) {
      pthread_cond_wait(&cfg->cv, &cfg->lock);
      continue;
    }
    r = cfg->reqs[0];
    memmove(cfg->reqs, cfg->reqs + 1, --cfg->nreqs * sizeof *cfg->reqs);
    /* Still that statement? (A disconnect removes its requests first, under
     * this lock, so r.conn is alive here.) cancelling is set before seq is
     * read, and the worker bumps seq before reading cancelling: either we
     * see the statement has ended, or its worker sees the cancel in flight
     * and waits for it before its next statement. */
    atomic_store(&r.conn->cancelling, r.seq);
    if (atomic_load(&r.conn->seq) != r.seq) {
      atomic_store(&r.conn->cancelling, 0);
      pthread_cond_broadcast(&cfg->cv);
      continue;
    }
    cfg->busy = r.conn;
    pc = r.conn->cancel;
    pthread_mutex_unlock(&cfg->lock);
    PQcancel(pc, buf, sizeof buf);
    pthread_mutex_lock(&cfg->lock);
    if (cfg->busy == r.conn) {
      atomic_store(&r.conn->cancelling, 0);
      cfg->busy = NULL;
    } else { /* disconnected meanwhile: pc is ours */
      PQfreeCancel(cfg->orphan);
      cfg->orphan = NULL;
    }
    pthread_cond_broadcast(&cfg->cv);
  }
  cfg->exited = 1;
  pthread_cond_broadcast(&cfg->cv);
  own = cfg->detached;
  pthread_mutex_unlock(&cfg->lock);
  if (own) cfg_destroy(cfg);
  return NULL;
}

/* Stops the canceller: joined when idle (so that no thread of ours
 * outlives the last db); if it is in a cancel that STOP_WAIT_MS does not
 * see end, detached with cfg handed over. Returns 1 in that case. */
static int canceller_stop(pg_cfg *c) {
  struct timespec ts;
  int rc = 0;
  pthread_mutex_lock(&c->lock);
  if (!c->started) {
    pthread_mutex_unlock(&c->lock);
    return 0;
  }
  c->stopping = 1;
  pthread_cond_broadcast(&c->cv);
  deadline_in(&ts, STOP_WAIT_MS);
  while (!c->exited && rc != ETIMEDOUT) rc = pthread_cond_timedwait(&c->cv, &c->lock, &ts);
  if (!c->exited) {
    /* c is the thread's from the unlock on: it may free c at once */
    pthread_t t = c->thread;
    c->detached = 1;
    pthread_mutex_unlock(&c->lock);
    pthread_detach(t);
    return 1;
  }
  pthread_mutex_unlock(&c->lock);
  pthread_join(c->thread, NULL);
  return 0;
}

/* Is a cancel of c's statement seq queued or in flight? Called locked. */
static int cancel_pending_locked(const pg_cfg *cfg, const pg_conn *c, uint64_t seq) {
  size_t i;
  if (cfg->busy == c && atomic_load(&c->cancelling) == seq) return 1;
  for (i = 0; i < cfg->nreqs; i++)
    if (cfg->reqs[i].conn == c && cfg->reqs[i].seq == seq) return 1;
  return 0;
}

/* Keeps room in the queue for one request of a connection being opened:
 * posting a cancel never allocates, so none is lost for want of memory
 * (aiodb_future_cancel would report it made, and nothing would stop). */
static int reserve_cancel(pg_cfg *cfg) {
  int rc = 0;
  pthread_mutex_lock(&cfg->lock);
  if (cfg->nconns == cfg->reqs_cap) {
    size_t cap = cfg->reqs_cap ? cfg->reqs_cap * 2 : 8;
    pg_req *r = aiodb__realloc(cfg->reqs, cap * sizeof *r);
    if (r == NULL) {
      rc = AIODB_ENOMEM;
    } else {
      cfg->reqs = r;
      cfg->reqs_cap = cap;
    }
  }
  if (rc == 0) cfg->nconns++;
  pthread_mutex_unlock(&cfg->lock);
  return rc;
}

/* Queues a cancel of c's statement seq for the canceller, starting it at
 * the first. Never blocks on the network, never allocates. Returns 0, or
 * -1 when no thread could be started: nothing is sent then. */
static int post_cancel(pg_conn *c, uint64_t seq) {
  pg_cfg *cfg = c->cfg;
  size_t i;
  pthread_mutex_lock(&cfg->lock);
  if (cancel_pending_locked(cfg, c, seq)) {
    pthread_mutex_unlock(&cfg->lock);
    return 0;
  }
  if (!cfg->started) {
    if (pthread_create(&cfg->thread, NULL, canceller_main, cfg) != 0) {
      pthread_mutex_unlock(&cfg->lock);
      return -1;
    }
    cfg->started = 1;
  }
  /* One request per connection: one still queued is an earlier
   * statement's, which has ended (the canceller would skip it). */
  for (i = 0; i < cfg->nreqs && cfg->reqs[i].conn != c; i++) {
  }
  if (i == cfg->nreqs) cfg->nreqs++;
  cfg->reqs[i].conn = c;
  cfg->reqs[i].seq = seq;
  pthread_cond_broadcast(&cfg->cv);
  pthread_mutex_unlock(&cfg->lock);
  return 0;
}

/* On c's worker: waits at most ms until no cancel of statement seq is
 * queued or in flight. Returns 0, or -1 if one still is. */
static int wait_cancel(pg_conn *c, uint64_t seq, int ms) {
  pg_cfg *cfg = c->cfg;
  struct timespec ts;
  int rc = 0, pending;
  deadline_in(&ts, ms);
  pthread_mutex_lock(&cfg->lock);
  while ((pending = cancel_pending_locked(cfg, c, seq)) && rc != ETIMEDOUT)
    rc = pthread_cond_timedwait(&cfg->cv, &cfg->lock, &ts);
  pthread_mutex_unlock(&cfg->lock);
  c->waited = seq;
  return pending ? -1 : 0;
}

/* Before anything is sent: a cancel of an earlier statement still in
 * flight would stop it instead, so it is let land first, for CANCEL_WAIT_MS
 * at most (and once: a cancel the server never answers must not hold every
 * statement up). */
static void settle_cancel(pg_conn *c) {
  uint64_t inflight = atomic_load(&c->cancelling);
  if (inflight != 0 && inflight != c->waited) wait_cancel(c, inflight, CANCEL_WAIT_MS);
}

/* Statement boundaries: pg_interrupt only cancels while seq is odd, and
 * the canceller only while seq is still the one it was asked for. */
static void stmt_begin(pg_conn *c) {
  settle_cancel(c);
  atomic_fetch_add(&c->seq, 1);
}

static void stmt_end(pg_conn *c) { atomic_fetch_add(&c->seq, 1); }

/* Called by the core under the db's lock, from any thread: only posts. */
static void pg_interrupt(void *native) {
  pg_conn *c = native;
  uint64_t seq = atomic_load(&c->seq);
  if ((seq & 1) == 0) return; /* between statements: nothing to stop */
  post_cancel(c, seq);
}

static int pg_is_broken(void *native, const aiodb__err *e) {
  pg_conn *c = native;
  return e->code == AIODB_ECONNLOST || PQstatus(c->pg) == CONNECTION_BAD;
}

/* ---- numbers, spelt as the server spells them whatever the program's
 * locale (a GUI toolkit's setlocale may have made the decimal point a
 * comma) ---- */

static pthread_once_t c_numbers_once = PTHREAD_ONCE_INIT;
static locale_t c_numbers; /* (locale_t)0 if it could not be made */

static void c_numbers_init(void) {
  c_numbers = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

/* Switches the calling thread to the C locale's numbers; returns what to
 * give numbers_restore(). */
static locale_t numbers_c(void) {
  pthread_once(&c_numbers_once, c_numbers_init);
  return uselocale(c_numbers); /* (locale_t)0 only asks */
}

static void numbers_restore(locale_t old) {
  if (old != (locale_t)0) uselocale(old);
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
        locale_t old = numbers_c();
        if (v->u.f != v->u.f)
          snprintf(num, 32, "NaN");
        else if (v->u.f > 1.7976931348623157e308)
          snprintf(num, 32, "Infinity");
        else if (v->u.f < -1.7976931348623157e308)
          snprintf(num, 32, "-Infinity");
        else
          snprintf(num, 32, "%.17g", v->u.f);
        numbers_restore(old);
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
 * (in c->key; its length in *klen) and returns its cache slot, or -1. */
static int lookup(pg_conn *c, const char *sql, size_t len, size_t nparams,
                  size_t *klen) {
  size_t need = len + 1 + nparams * 11 + 1, i;
  char *p;
  if (need > c->key_cap) {
    p = aiodb__realloc(c->key, need);
    if (p == NULL) return -2;
    c->key = p;
    c->key_cap = need;
  }
  memcpy(c->key, sql, len);
  p = c->key + len;
  *p++ = '\0';
  for (i = 0; i < nparams; i++) p += sprintf(p, "%u,", (unsigned)c->types[i]);
  *klen = (size_t)(p - c->key);
  for (i = 0; i < c->n; i++) {
    if (c->cache[i].len == *klen && memcmp(c->cache[i].key, c->key, *klen) == 0) {
      c->cache[i].used = ++c->tick;
      return (int)i;
    }
  }
  return -1;
}

/* The cache slot of the statement named name (from prepare), or -1. */
static int slot_of(const pg_conn *c, const char *name) {
  unsigned i;
  for (i = 0; i < c->n; i++)
    if (c->cache[i].name == name) return (int)i;
  return -1;
}

/* DEALLOCATEs a stale cached statement and forgets it. Fails (and keeps
 * it) only when the server refuses, as it refuses every command inside a
 * failed transaction; one it no longer has is forgotten all the same. */
static int drop(pg_conn *c, unsigned slot, aiodb__err *e) {
  char sql[64];
  const char *state;
  PGresult *r;
  int rc = 0;
  snprintf(sql, sizeof sql, "DEALLOCATE %s", c->cache[slot].name);
  r = PQexec(c->pg, sql);
  state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
  if (PQresultStatus(r) != PGRES_COMMAND_OK && (state == NULL || strcmp(state, "26000") != 0))
    rc = fail_from(c, r, e);
  PQclear(r);
  if (rc != 0) return rc;
  aiodb__free(c->cache[slot].key);
  c->cache[slot] = c->cache[--c->n];
  return 0;
}

/* The prepared statement for sql with these argument types: from the cache,
 * or prepared now (evicting the least recently used). NULL name: the
 * unnamed statement, when caching is off. */
static int prepare(pg_conn *c, const char *sql, size_t len, size_t nparams,
                   const char **name, aiodb__err *e) {
  char *key = NULL;
  size_t klen, i;
  unsigned victim = 0;
  PGresult *res;
  int rc, slot;

  *name = "";
  slot = lookup(c, sql, len, nparams, &klen);
  if (slot >= 0 && c->cache[slot].stale) {
    if ((rc = drop(c, (unsigned)slot, e)) != 0) return rc;
    slot = -1;
  }
  if (slot >= 0) {
    *name = c->cache[slot].name;
    return 0;
  }
  if (slot == -2 || (c->cap > 0 && (key = aiodb__malloc(klen)) == NULL))
    return aiodb__err_set(e, AIODB_ENOMEM, "out of memory");
  if (key) memcpy(key, c->key, klen);
  if (c->cap > 0 && c->n == c->cap) {
    char sqlbuf[64];
    for (i = 1; i < c->n; i++)
      if (c->cache[i].used < c->cache[victim].used) victim = (unsigned)i;
    snprintf(sqlbuf, sizeof sqlbuf, "DEALLOCATE %s", c->cache[victim].name);
    PQclear(PQexec(c->pg, sqlbuf));
    aiodb__free(c->cache[victim].key);
    c->cache[victim] = c->cache[--c->n];
  }
  if (c->cap > 0) {
    victim = c->n;
    snprintf(c->cache[victim].name, sizeof c->cache[victim].name, "aiodb_%u",
             c->next_name++);
    *name = c->cache[victim].name;
  }
  res = PQprepare(c->pg, *name, sql, (int)nparams, c->types);
  rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : fail_from(c, res, e);
  PQclear(res);
  if (rc != 0 || c->cap == 0) {
    aiodb__free(key);
    return rc;
  }
  c->cache[victim].key = key;
  c->cache[victim].len = klen;
  c->cache[victim].used = ++c->tick;
  c->cache[victim].stale = 0;
  c->cache[victim].alone = (unsigned char)is_copy(sql, sql + len);
  c->n++;
  return 0;
}

/* ---- results ---- */

static int hexval(int ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

static int add_bytea(aiodb_result *res, const char *s, size_t len) {
  unsigned char *buf;
  size_t n, i, out;
  int rc, hi, lo;
  if (len >= 2 && s[0] == '\\' && s[1] == 'x') {
    n = (len - 2) / 2;
    buf = aiodb__malloc(n ? n : 1);
    if (buf == NULL) return AIODB_ENOMEM;
    for (i = 0; i < n; i++) {
      hi = hexval(s[2 + 2 * i]);
      lo = hexval(s[3 + 2 * i]);
      if (hi < 0 || lo < 0) break;
      buf[i] = (unsigned char)(hi << 4 | lo);
    }
    rc = i == n ? aiodb__result_add_blob(res, buf, n) : 0;
    aiodb__free(buf);
    if (i == n) return rc;
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

static int set_columns(const PGresult *r, aiodb_result *res, aiodb__err *e) {
  int i, n = PQnfields(r);
  aiodb__result_reset(res);
  if (aiodb__result_set_cols(res, (size_t)n) != 0)
    return aiodb__err_set(e, AIODB_ENOMEM, "out of memory");
  for (i = 0; i < n; i++) {
    const char *name = PQfname(r, i);
    if (aiodb__result_set_name(res, (size_t)i, name, strlen(name)) != 0)
      return aiodb__err_set(e, AIODB_ENOMEM, "out of memory");
  }
  return 0;
}

static int add_rows(const PGresult *r, aiodb_result *res, aiodb__err *e) {
  int row, col, rows = PQntuples(r), cols = PQnfields(r), rc = 0;
  locale_t old = numbers_c();
  for (row = 0; rc == 0 && row < rows; row++)
    for (col = 0; rc == 0 && col < cols; col++)
      if (add_cell(res, r, row, col) != 0)
        rc = aiodb__err_set(e, AIODB_ENOMEM, "out of memory for the result");
  numbers_restore(old);
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
  PGresult *r;
  int rc, slot, tries = 0;

  if (s->nargs == 0 && c->cap == 0) {
    /* Text protocol: several statements may run; the result is the last's. */
    r = PQexec(c->pg, s->sql);
    if (r != NULL && commit_rolled_back(s, r, e) != 0) {
      c->single_row = 0;
      PQclear(r);
      return e->code;
    }
    return answer(c, r, res, e);
  }
  if ((rc = bind_row(c, s->args, s->nargs, e)) != 0) return rc;
  for (;;) {
    rc = prepare(c, s->sql, s->sql_len, s->nargs, &name, e);
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
    if ((slot = slot_of(c, name)) >= 0) c->cache[slot].stale = 1;
    if (PQtransactionStatus(c->pg) != PQTRANS_IDLE) break;
    PQclear(r);
  }
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

#define PIPELINE_CHUNK 256

/* How a query_many went: its first failure, if any. */
typedef struct pg_many {
  int rc;
  size_t bad;      /* the row that failed */
  int whole;       /* the failure is the statement's, not the row's */
  int stale;       /* a cached plan gone stale: the row did not run */
  int64_t affected;
  const char *name; /* the prepared statement */
} pg_many;

/* Reads one chunk's results in pipeline mode: a result (then NULL) per
 * query, then the sync. Notes the first failure and its row. */
static void read_chunk(pg_conn *c, size_t first, size_t count,
                       aiodb_result *res, pg_many *m, aiodb__err *e) {
  size_t i;
  PGresult *r;
  for (i = 0; i < count; i++) {
    while ((r = PQgetResult(c->pg)) != NULL) {
      ExecStatusType st = PQresultStatus(r);
      if (m->rc == 0 && st == PGRES_EMPTY_QUERY) {
        m->rc = aiodb__err_set(e, AIODB_EINVAL, "query_many takes exactly one statement");
        m->whole = 1;
      } else if (m->rc == 0 && st != PGRES_PIPELINE_ABORTED) {
        m->stale = is_stale(r);
        m->rc = take(c, r, res, first + i == 0, e);
        if (m->rc == 0) m->affected += affected_of(r);
      }
      if (m->rc != 0 && m->bad == (size_t)-1) m->bad = first + i;
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

/* One try at query_many, inside the SAVEPOINT or transaction it opened
 * (which the caller ends). */
static void many_once(pg_conn *c, const aiodb__stmt *s, aiodb_result *res,
                      int in_tx, pg_many *m, aiodb__err *e) {
  const char *name = "";
  size_t r = 0, chunk;
  int rc;

  memset(m, 0, sizeof *m);
  m->bad = (size_t)-1;
  rc = run_plain(c, in_tx ? "SAVEPOINT aiodb_many" : "BEGIN", e);
  if (rc == 0) rc = bind_row(c, s->args, s->nargs, e);
  if (rc == 0) rc = prepare(c, s->sql, s->sql_len, s->nargs, &name, e);
  m->name = name;
  if (rc == 0 && !PQenterPipelineMode(c->pg)) rc = fail_from(c, NULL, e);
  m->rc = rc;
  while (m->rc == 0 && r < s->nrows) {
    /* between chunks the server runs nothing a cancel could stop */
    if (aiodb__job_stopping()) {
      m->rc = aiodb__err_set(e, AIODB_ECANCELED, "interrupted");
      m->bad = r;
      break;
    }
    for (chunk = 0; m->rc == 0 && chunk < PIPELINE_CHUNK && r + chunk < s->nrows; chunk++) {
      m->rc = bind_row(c, s->args + (r + chunk) * s->nargs, s->nargs, e);
      if (m->rc == 0 && !PQsendQueryPrepared(c->pg, name, (int)s->nargs, c->values,
                                             c->lengths, c->formats, 0))
        m->rc = fail_from(c, NULL, e);
      if (m->rc != 0) m->bad = r + chunk;
    }
    if (!PQpipelineSync(c->pg) && m->rc == 0) {
      m->rc = fail_from(c, NULL, e);
      m->bad = r;
    }
    read_chunk(c, r, chunk, res, m, e);
    r += chunk;
  }
  if (PQpipelineStatus(c->pg) != PQ_PIPELINE_OFF) PQexitPipelineMode(c->pg);
  if (m->bad == (size_t)-1) m->bad = 0;
}

/* Every row or none: a SAVEPOINT inside a transaction, a transaction of its
 * own outside one. The rows go out in pipeline mode, a chunk per round trip
 * (small enough that neither side's socket buffer can fill up). A cached
 * statement whose plan went stale fails before any row runs; all is undone
 * then, so it is prepared again and the whole batch runs once more. */
static int pg_exec_many(void *native, const aiodb__stmt *s, aiodb_result *res,
                        aiodb__err *e) {
  pg_conn *c = native;
  int in_tx = PQtransactionStatus(c->pg) != PQTRANS_IDLE;
  aiodb__err ignored;
  pg_many m;
  int rc, slot, tries = 0;

  if (is_copy(s->sql, s->sql + s->sql_len))
    return aiodb__err_set(e, AIODB_EUNSUPPORTED,
                          "COPY is not supported through aiodb_query_many: run it with "
                          "aiodb_query, or with aiodb_run and the PGconn* for STDIN "
                          "and STDOUT");
  for (;;) {
    many_once(c, s, res, in_tx, &m, e);
    if (m.rc == 0) break;
    run_plain(c, in_tx ? "ROLLBACK TO SAVEPOINT aiodb_many" : "ROLLBACK", &ignored);
    if (in_tx) run_plain(c, "RELEASE SAVEPOINT aiodb_many", &ignored);
    if (m.stale && (slot = slot_of(c, m.name)) >= 0) c->cache[slot].stale = 1;
    if (m.stale && tries++ == 0) {
      memset(e, 0, sizeof *e);
      aiodb__result_reset(res);
      continue;
    }
    if (!m.whole) aiodb__err_prefix_row(e, m.bad + 1);
    return m.rc;
  }
  rc = run_plain(c, in_tx ? "RELEASE SAVEPOINT aiodb_many" : "COMMIT", e);
  if (rc != 0) return rc;
  aiodb__result_set_affected(res, m.affected);
  return 0;
}

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
 * prepared statement is cached. Returns how many went out; 0: the first
 * must run alone (not prepared yet, or not preparable). */
static size_t send_run(pg_conn *c, const aiodb__stmt *st, size_t n) {
  size_t i, bytes = 0, klen;
  aiodb__err ignored;
  int slot;
  if (c->single_row) return 0; /* the first, sent alone, resets it */
  for (i = 0; i < n; i++) {
    bytes += arg_bytes(&st[i]);
    if (i > 0 && bytes > BATCH_BYTES) break;
    if (bind_row(c, st[i].args, st[i].nargs, &ignored) != 0) break;
    slot = lookup(c, st[i].sql, st[i].sql_len, st[i].nargs, &klen);
    if (slot < 0 || c->cache[slot].stale || c->cache[slot].alone) break;
    if (i == 0 && !PQenterPipelineMode(c->pg)) break;
    if (!PQsendQueryPrepared(c->pg, c->cache[slot].name, (int)st[i].nargs,
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
  int stale, slot;
  for (i = 0; i < count; i++) {
    collect(c, &st[i], res[i], e[i], &stale);
    while ((r = PQgetResult(c->pg)) != NULL) {
      int sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
      PQclear(r);
      if (sync) break;
    }
    if (stale) {
      if (bind_row(c, st[i].args, st[i].nargs, &ignored) == 0 &&
          (slot = lookup(c, st[i].sql, st[i].sql_len, st[i].nargs, &klen)) >= 0)
        c->cache[slot].stale = 1;
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
    uint64_t seq;
    int fd;
    /* Rows are still coming: cancel the query, through the canceller. If
     * the cancel has not got through in CANCEL_WAIT_MS (a server that does
     * not answer it), the connection is given up (its socket shut down, so
     * that the next call on it fails and it is replaced) rather than read
     * to the end of a result that may never end. */
    stmt_begin(c);
    seq = atomic_load(&c->seq);
    if ((post_cancel(c, seq) != 0 || wait_cancel(c, seq, CANCEL_WAIT_MS) != 0) &&
        (fd = PQsocket(c->pg)) >= 0)
      shutdown(fd, SHUT_RDWR);
    drain(c, cur);
    stmt_end(c);
  } else if (cur->active) {
    drain(c, cur);
  }
  PQclear(cur->cols);
  aiodb__free(cur);
}

/* The statements the core may interrupt, between boundaries for
 * pg_interrupt: what the driver table points to. */
static int pg_exec_stmt(void *native, const aiodb__stmt *s, aiodb_result *res,
                        aiodb__err *e) {
  int rc;
  stmt_begin(native);
  rc = pg_exec(native, s, res, e);
  stmt_end(native);
  return rc;
}

static int pg_exec_many_stmt(void *native, const aiodb__stmt *s,
                             aiodb_result *res, aiodb__err *e) {
  int rc;
  stmt_begin(native);
  rc = pg_exec_many(native, s, res, e);
  stmt_end(native);
  return rc;
}

static int pg_cursor_fetch_stmt(void *native, void *cur, size_t max_rows,
                                aiodb_result *res, aiodb__err *e) {
  int rc;
  stmt_begin(native);
  rc = pg_cursor_fetch(native, cur, max_rows, res, e);
  stmt_end(native);
  return rc;
}

/* Never interrupted, but no earlier cancel may land on them either. */
static int pg_cursor_open_settled(void *native, const aiodb__stmt *s, void **out,
                                  aiodb__err *e) {
  settle_cancel(native);
  return pg_cursor_open(native, s, out, e);
}

static void pg_exec_batch_settled(void *native, const aiodb__stmt *st,
                                  aiodb_result *const *res, aiodb__err *const *e,
                                  size_t n, void (*done)(void *, size_t), void *ud) {
  settle_cancel(native);
  pg_exec_batch(native, st, res, e, n, done, ud);
}

static const char *pg_client_version(void) {
  static _Thread_local char buf[32];
  int v = PQlibVersion();
  snprintf(buf, sizeof buf, "%d.%d", v / 10000, v % 10000);
  return buf;
}

const aiodb__driver aiodb__driver_postgres = {
    "postgresql",
    "$1",
    AIODB__DIALECT_POSTGRES,
    AIODB__PSTYLE_DOLLAR,
    1,
    pg_configure,
    pg_free_config,
    pg_connect,
    pg_disconnect,
    pg_handle,
    pg_exec_stmt,
    pg_exec_many_stmt,
    pg_cursor_open_settled,
    pg_cursor_fetch_stmt,
    pg_cursor_close,
    "SELECT table_name::text AS name FROM information_schema.tables WHERE "
    "table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
    "SELECT CASE WHEN EXISTS (SELECT 1 FROM information_schema.tables WHERE "
    "table_schema = current_schema() AND table_name = ?) THEN 1 ELSE 0 END "
    "AS present",
    "SELECT 'postgresql' AS driver, current_setting('server_version') AS "
    "server_version, ?::text AS client_version, ?::text AS aiodb_version",
    pg_client_version,
    pg_interrupt,
    pg_is_broken,
    NULL,
    NULL,
    pg_exec_batch_settled,
    NULL, /* tx_ended: an error leaves the transaction block open */
};
