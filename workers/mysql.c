/* The MySQL/MariaDB driver, through MariaDB Connector/C (libmariadb): runs on
 * the connection's worker. Statements are server-side prepared
 * (mysql_stmt_*), kept in a per-connection LRU cache, and read unbuffered
 * row by row, so a result is never held twice. Statements without
 * arguments that the server will not prepare (several at once, a few admin
 * commands) run over the text protocol; both protocols type their cells the
 * same way, from the column's field type.
 *
 * Cancel and deadlines send `KILL QUERY <id>` over a side connection, from the
 * core's interrupter (a thread of the db's own) so that aiodb_future_cancel
 * never waits on the network.
 *
 * TCP connections open through the client library's non-blocking API
 * (MYSQL_OPT_NONBLOCK, mysql_real_connect_start/_cont), waiting in poll() on
 * the socket and on the core's abandon fd, so that aiodb_db_free can give up
 * on a server that never answers (unix sockets: see open_mysql);
 * everything after the connect uses the ordinary blocking calls, which the
 * library allows on the same MYSQL. */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <strings.h>
#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "decode.h"
#include "alloc.h"
#include "driver.h"
#include "many.h"
#include "numbers.h"
#include "params.h"
#include "secret.h"
#include "stmt_cache.h"
#include "url.h"

#define FIRST_BUF 256    /* first size of a text/blob column's buffer */

typedef struct my_conn my_conn;

/* TLS: ssl_mode as MySQL's clients spell it. */
enum { SSL_UNSET = 0, SSL_DISABLED, SSL_PREFERRED, SSL_REQUIRED, SSL_VERIFY_CA,
       SSL_VERIFY_IDENTITY };

typedef struct my_cfg {
  char *host, *user, *password, *database, *unix_socket, *charset;
  char *init_command;
  char *ssl_ca, *ssl_capath, *ssl_cert, *ssl_key, *ssl_cipher, *ssl_crl,
      *ssl_crlpath, *tls_version;
  unsigned port;
  unsigned connect_timeout, read_timeout, write_timeout;
  int ssl_mode;
  int no_bulk; /* bulk=0: query_many row by row even on MariaDB */
  /* TCP keepalives (idle, interval, count: 0 the system's) and
   * TCP_USER_TIMEOUT (ms, 0 the system's), set on the socket. */
  int keepalives;
  unsigned keepalives_idle, keepalives_interval, keepalives_count;
  unsigned tcp_user_timeout;

  /* The side connection that sends KILL QUERY: opened at the first, used
   * only on the interrupter's thread; to server side_host of the list. */
  MYSQL *side;
  size_t side_host;

  /* Failover (see open_server): a host list (host=h1,h2 or the URL's
   * h1:p1,h2:p2; nhosts 0 for one host, then host and port above), the
   * port= value as given (one port, or one for each host), and which
   * servers fit (target_session_attrs). */
  struct my_host {
    char *host;
    unsigned port;
  } *hosts;
  size_t nhosts;
  char *ports;
  int target;
} my_cfg;

/* target_session_attrs, as libpq spells them; MariaDB has no hot standby,
 * so primary and standby mean read-write and read-only. */
enum { TARGET_ANY, TARGET_READ_WRITE, TARGET_READ_ONLY, TARGET_PRIMARY, TARGET_STANDBY,
       TARGET_PREFER_STANDBY };

/* At most this many hosts: the interrupt token keeps the index in its top
 * byte. */
#define MAX_HOSTS 64
#define HOST_SHIFT 56

/* One output column: how it is bound and read. */
enum { K_NULL, K_INT, K_FLOAT, K_DOUBLE, K_TEXT, K_BLOB, K_BIT };

typedef struct my_col {
  int kind;
  int is_unsigned;
  union {
    long long i;
    float f;
    double d;
  } num;
  char *buf;
  unsigned long cap, length;
  my_bool is_null, error;
} my_col;

typedef struct my_stmt {
  MYSQL_STMT *stmt;
  int cached;     /* the cache's, not this call's alone */
  MYSQL_BIND *out;
  my_col *cols;
  unsigned ncols, cols_cap;
  int dml;        /* INSERT/REPLACE/UPDATE/DELETE: RETURNING rows count */
  int no_bulk;    /* the server refused its rows in bulk */
  /* query_many of a single-row INSERT into a transactional table: rows go
   * several to a statement (see "query_many"). multi: 0 not looked at
   * yet, 1 they do, -1 they don't. wide: that statement for a full run
   * of wide_rows rows; odd: for the last shorter run, of odd_rows rows;
   * both this statement's own. */
  int multi;
  size_t tuple_off, tuple_len, tail_off;
  struct my_stmt *wide, *odd;
  size_t wide_rows, odd_rows;
} my_stmt;

struct my_conn {
  MYSQL *my;
  my_cfg *cfg;
  size_t host;               /* its server in cfg's host list */
  aiodb__stmt_cache cache;   /* of my_stmt */
  MYSQL_BIND *in;            /* parameters, grown as needed */
  size_t in_cap;
  /* query_many in bulk: a length and an indicator per parameter, which
   * bulk_row points at the run's current row (bulk_args, bulk_nargs). */
  struct my_slot {
    unsigned long len;
    char ind;
  } *bulk_slot;
  size_t bulk_cap;
  const aiodb_value *bulk_args;
  size_t bulk_nargs;
  int many_bulk;             /* this query_many: the server takes bulk runs */
  size_t many_wide;          /* and the rows of a full many-row run (0: none) */
  unsigned long max_packet;  /* the session's max_allowed_packet, 0: not asked */
  /* A handle of the program's (aiodb_open_native): given back open at
   * disconnect (keep), with what attach changed restored: auto-reconnect
   * (was_reconnect: the program's value) and multi-statements
   * (multi_on: turned on for the session by attach). */
  int keep;
  my_bool was_reconnect;
  int multi_on;
};

typedef struct my_cursor {
  my_stmt *st;
  int done;
} my_cursor;

/* ---- library setup ---- */

static pthread_once_t library_once = PTHREAD_ONCE_INIT;
static int library_rc;

/* mysql_library_init is not thread-safe: once, before any connection. */
static void library_init(void) { library_rc = mysql_library_init(0, NULL, NULL); }

static void my_thread_start(void) { mysql_thread_init(); }
static void my_thread_stop(void) { mysql_thread_end(); }

/* ---- errors ---- */

static int code_of(unsigned err, const char *state) {
  switch (err) {
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_SERVER_LOST_EXTENDED:
    case ER_SERVER_SHUTDOWN:
    case ER_CONNECTION_KILLED:
    case ER_NET_READ_ERROR:
    case ER_NET_READ_INTERRUPTED:
    case ER_NET_ERROR_ON_WRITE:
    case ER_NET_WRITE_INTERRUPTED:
    case 4031: /* ER_CLIENT_INTERACTION_TIMEOUT */
      return AIODB_ECONNLOST;
    case ER_QUERY_INTERRUPTED: return AIODB_ECANCELED;
    case ER_STATEMENT_TIMEOUT: return AIODB_ETIMEDOUT;
    case ER_LOCK_WAIT_TIMEOUT:
    case ER_LOCK_DEADLOCK:
      return AIODB_EBUSY;
    case ER_OPTION_PREVENTS_STATEMENT:
    case ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION:
    case ER_READ_ONLY_MODE:
      return AIODB_EREADONLY;
    case ER_OUT_OF_RESOURCES:
    case ER_OUTOFMEMORY:
    case CR_OUT_OF_MEMORY:
      return AIODB_ENOMEM;
    case CR_COMMANDS_OUT_OF_SYNC: return AIODB_EBUSY;
    default: break;
  }
  if (err >= CR_MIN_ERROR && err <= CR_MAX_ERROR) return AIODB_EIO;
  if (state && strncmp(state, "23", 2) == 0) return AIODB_ECONSTRAINT;
  if (state && strcmp(state, "22003") == 0) return AIODB_ERANGE;
  if (state && strncmp(state, "08", 2) == 0) return AIODB_ECONNLOST;
  return AIODB_ESQL;
}

static int fill_err(aiodb__err *e, const my_cfg *cfg, unsigned err,
                    const char *state, const char *msg) {
  memset(e, 0, sizeof *e);
  e->code = code_of(err, state);
  e->native_code = (int)err;
  if (state && strcmp(state, "00000") != 0 && strcmp(state, "HY000") != 0)
    snprintf(e->sqlstate, sizeof e->sqlstate, "%.5s", state);
  else if (e->code == AIODB_ECONNLOST)
    snprintf(e->sqlstate, sizeof e->sqlstate, "08S01");
  aiodb__err_message(e, msg, cfg->password);
  return e->code;
}

static int conn_err(my_conn *c, aiodb__err *e) {
  return fill_err(e, c->cfg, mysql_errno(c->my), mysql_sqlstate(c->my),
                  mysql_error(c->my));
}

static int stmt_err(my_conn *c, MYSQL_STMT *s, aiodb__err *e) {
  if (mysql_stmt_errno(s) == 0) return conn_err(c, e);
  return fill_err(e, c->cfg, mysql_stmt_errno(s), mysql_stmt_sqlstate(s),
                  mysql_stmt_error(s));
}

/* ---- configuration ---- */

static void cfg_destroy(my_cfg *c) {
  size_t i;
  if (c->side) mysql_close(c->side);
  for (i = 0; i < c->nhosts; i++) aiodb__free(c->hosts[i].host);
  aiodb__free(c->hosts);
  aiodb__free(c->ports);
  aiodb__free(c->host);
  aiodb__free(c->user);
  aiodb__free_secret(c->password);
  aiodb__free(c->database);
  aiodb__free(c->unix_socket);
  aiodb__free(c->charset);
  aiodb__free(c->init_command);
  aiodb__free(c->ssl_ca);
  aiodb__free(c->ssl_capath);
  aiodb__free(c->ssl_cert);
  aiodb__free(c->ssl_key);
  aiodb__free(c->ssl_cipher);
  aiodb__free(c->ssl_crl);
  aiodb__free(c->ssl_crlpath);
  aiodb__free(c->tls_version);
  aiodb__free(c);
}

static void my_free_config(void *p) {
  if (p != NULL) cfg_destroy(p);
}

/* Sets *dst to a copy of value (replacing an earlier one). */
static int set_str(char **dst, const char *value) {
  char *s = aiodb__strdup(value);
  if (s == NULL) return AIODB_ENOMEM;
  aiodb__free(*dst);
  *dst = s;
  return 0;
}

static const struct {
  const char *key;
  size_t offset;
} string_opts[] = {
    {"unix_socket", offsetof(my_cfg, unix_socket)},
    {"charset", offsetof(my_cfg, charset)},
    {"init_command", offsetof(my_cfg, init_command)},
    {"ssl_ca", offsetof(my_cfg, ssl_ca)},
    {"ssl_capath", offsetof(my_cfg, ssl_capath)},
    {"ssl_cert", offsetof(my_cfg, ssl_cert)},
    {"ssl_key", offsetof(my_cfg, ssl_key)},
    {"ssl_cipher", offsetof(my_cfg, ssl_cipher)},
    {"ssl_crl", offsetof(my_cfg, ssl_crl)},
    {"ssl_crlpath", offsetof(my_cfg, ssl_crlpath)},
    {"tls_version", offsetof(my_cfg, tls_version)},
    {"host", offsetof(my_cfg, host)},
    {"user", offsetof(my_cfg, user)},
    {"password", offsetof(my_cfg, password)},
    {"database", offsetof(my_cfg, database)},
    {"dbname", offsetof(my_cfg, database)},
};

static int parse_ssl_mode(const char *v) {
  static const char *const names[] = {"disabled", "preferred", "required",
                                      "verify_ca", "verify_identity"};
  size_t i;
  for (i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcasecmp(v, names[i]) == 0) return (int)i + SSL_DISABLED;
  return SSL_UNSET;
}

/* One URL query option of url into c; AIODB_EINVAL for an unknown one. */
static int take_option(my_cfg *c, const aiodb__url *url, const aiodb__kv *kv,
                       aiodb_error *err) {
  unsigned long n;
  size_t i;
  int b, rc;
  for (i = 0; i < sizeof string_opts / sizeof string_opts[0]; i++) {
    if (strcmp(kv->key, string_opts[i].key) == 0) {
      if (set_str((char **)((char *)c + string_opts[i].offset), kv->value))
        return aiodb__error_set(err, AIODB_ENOMEM, "out of memory");
      return 0;
    }
  }
  if (strcmp(kv->key, "port") == 0) {
    if (set_str(&c->ports, kv->value))
      return aiodb__error_set(err, AIODB_ENOMEM, "out of memory");
  } else if (strcmp(kv->key, "target_session_attrs") == 0) {
    static const char *const names[] = {"any",     "read-write", "read-only",
                                        "primary", "standby",    "prefer-standby"};
    for (i = 0; i < sizeof names / sizeof names[0]; i++)
      if (strcmp(kv->value, names[i]) == 0) break;
    if (i == sizeof names / sizeof names[0])
      return aiodb__error_set(err, AIODB_EINVAL,
                              "option 'target_session_attrs' must be any, read-write, "
                              "read-only, primary, standby or prefer-standby");
    c->target = (int)i;
  } else if (strcmp(kv->key, "connect_timeout") == 0 ||
             strcmp(kv->key, "read_timeout") == 0 ||
             strcmp(kv->key, "write_timeout") == 0) {
    if ((rc = aiodb__parse_uint(kv->key, kv->value, 0, 31536000, &n, err)) != 0)
      return rc;
    if (kv->key[0] == 'c')
      c->connect_timeout = (unsigned)n;
    else if (kv->key[0] == 'r')
      c->read_timeout = (unsigned)n;
    else
      c->write_timeout = (unsigned)n;
  } else if (strcmp(kv->key, "keepalives") == 0) {
    if ((rc = aiodb__parse_bool(kv->key, kv->value, &b, err)) != 0) return rc;
    c->keepalives = b;
  } else if (strcmp(kv->key, "keepalives_idle") == 0 ||
             strcmp(kv->key, "keepalives_interval") == 0) {
    if ((rc = aiodb__parse_uint(kv->key, kv->value, 0, 32767, &n, err)) != 0) return rc;
    if (strcmp(kv->key, "keepalives_idle") == 0)
      c->keepalives_idle = (unsigned)n;
    else
      c->keepalives_interval = (unsigned)n;
  } else if (strcmp(kv->key, "keepalives_count") == 0) {
    if ((rc = aiodb__parse_uint(kv->key, kv->value, 0, 127, &n, err)) != 0) return rc;
    c->keepalives_count = (unsigned)n;
  } else if (strcmp(kv->key, "tcp_user_timeout") == 0) {
    if ((rc = aiodb__parse_uint(kv->key, kv->value, 0, INT_MAX, &n, err)) != 0) return rc;
    c->tcp_user_timeout = (unsigned)n;
  } else if (strcmp(kv->key, "ssl_mode") == 0 || strcmp(kv->key, "sslmode") == 0) {
    if ((c->ssl_mode = parse_ssl_mode(kv->value)) == SSL_UNSET)
      return aiodb__error_set(err, AIODB_EINVAL,
                              "option '%s': expected DISABLED, PREFERRED, "
                              "REQUIRED, VERIFY_CA or VERIFY_IDENTITY",
                              kv->key);
  } else if (strcmp(kv->key, "bulk") == 0) {
    if ((rc = aiodb__parse_bool(kv->key, kv->value, &b, err)) != 0) return rc;
    c->no_bulk = !b;
  } else if (strcmp(kv->key, "ssl") == 0) {
    if ((rc = aiodb__parse_bool(kv->key, kv->value, &b, err)) != 0) return rc;
    c->ssl_mode = b ? SSL_REQUIRED : SSL_DISABLED;
  } else if (strcmp(kv->key, "ssl_verify_server_cert") == 0 ||
             strcmp(kv->key, "ssl_check_hostname") == 0) {
    if ((rc = aiodb__parse_bool(kv->key, kv->value, &b, err)) != 0) return rc;
    if (b) c->ssl_mode = SSL_VERIFY_IDENTITY;
    else if (c->ssl_mode == SSL_VERIFY_IDENTITY || c->ssl_mode == SSL_VERIFY_CA)
      c->ssl_mode = SSL_REQUIRED;
  } else {
    return aiodb__url_unknown_option(url, kv, "mysql", err);
  }
  return 0;
}

/* Item i of the comma-separated list s into buf (n bytes), cut short if
 * need be; 0 when s has no item i. */
static int list_item(const char *s, size_t i, char *buf, size_t n) {
  size_t len;
  for (; s != NULL && i > 0; i--)
    if ((s = strchr(s, ',')) != NULL) s++;
  if (s == NULL) return 0;
  len = strcspn(s, ",");
  snprintf(buf, n, "%.*s", (int)len, s);
  return 1;
}

static size_t list_len(const char *s) {
  size_t n = 1;
  if (s == NULL) return 0;
  for (; *s != '\0'; s++)
    if (*s == ',') n++;
  return n;
}

/* The port of item i of c->ports (an empty item: 0, the default). */
static int port_item(const my_cfg *c, size_t i, unsigned *port, aiodb_error *err) {
  char buf[32];
  unsigned long n = 0;
  int rc;
  if (!list_item(c->ports, i, buf, sizeof buf)) return 0;
  if (buf[0] != '\0' && (rc = aiodb__parse_uint("port", buf, 1, 65535, &n, err)) != 0)
    return rc;
  *port = (unsigned)n;
  return 0;
}

/* c->host and c->ports, as the URL and its options left them, into the
 * host list, when they list several hosts; else into c->port. */
static int build_hosts(my_cfg *c, aiodb_error *err) {
  size_t nh = c->host && strchr(c->host, ',') ? list_len(c->host) : 1;
  size_t np = list_len(c->ports), i;
  char buf[256];
  int rc;
  if (np > 1 && np != nh)
    return aiodb__error_set(err, AIODB_EINVAL,
                            "option 'port' lists %zu ports for %zu hosts: give one "
                            "port for every host, or one for each",
                            np, nh);
  if (nh == 1) {
    if (np == 1 && c->ports[0] == '\0')
      return aiodb__error_set(err, AIODB_EINVAL,
                              "option 'port' must be an integer between 1 and 65535");
    return port_item(c, 0, &c->port, err);
  }
  if (nh > MAX_HOSTS)
    return aiodb__error_set(err, AIODB_EINVAL, "option 'host' lists %zu hosts; at most %d",
                            nh, MAX_HOSTS);
  if ((c->hosts = aiodb__calloc(nh, sizeof *c->hosts)) == NULL)
    return aiodb__error_set(err, AIODB_ENOMEM, "out of memory");
  for (i = 0; i < nh; i++, c->nhosts++) {
    list_item(c->host, i, buf, sizeof buf);
    if (buf[0] == '\0')
      return aiodb__error_set(err, AIODB_EINVAL,
                              "entry %zu of the host list names no host", i + 1);
    c->hosts[c->nhosts].port = c->port; /* the URL's, when port= says none */
    if ((rc = port_item(c, np > 1 ? i : 0, &c->hosts[c->nhosts].port, err)) != 0) return rc;
    if ((c->hosts[c->nhosts].host = aiodb__strdup(buf)) == NULL)
      return aiodb__error_set(err, AIODB_ENOMEM, "out of memory");
  }
  return 0;
}

static int my_configure(const aiodb__url *url_in, const aiodb_options *opts,
                        void **out, aiodb_error *err) {
  aiodb__url *url = (aiodb__url *)url_in;
  my_cfg *c;
  size_t i;
  int rc = 0;
  (void)opts;

  pthread_once(&library_once, library_init);
  if (library_rc != 0)
    return aiodb__error_set(err, AIODB_ECONNECT,
                            "the MariaDB client library failed to initialize");
  c = aiodb__calloc(1, sizeof *c);
  if (c == NULL) return aiodb__error_set(err, AIODB_ENOMEM, "out of memory");
  /* Unless the URL says otherwise: the network defaults of the PostgreSQL
   * driver (workers/postgres.c says why). */
  c->connect_timeout = 10;
  c->keepalives = 1;
  c->keepalives_idle = 60;
  c->keepalives_interval = 10;
  c->keepalives_count = 6;
  c->tcp_user_timeout = 120000;
  if ((url->host && set_str(&c->host, url->host)) ||
      (url->user && set_str(&c->user, url->user)) ||
      (url->password && set_str(&c->password, url->password)) ||
      (url->path && url->path[0] && set_str(&c->database, url->path)) ||
      set_str(&c->charset, "utf8mb4")) {
    rc = aiodb__error_set(err, AIODB_ENOMEM, "out of memory");
    goto fail;
  }
  c->port = url->port;
  if (url->nhosts > 1) {
    aiodb__free(c->host);
    c->port = 0;
    if ((rc = aiodb__url_host_lists(url, &c->host, &c->ports, err)) != 0) goto fail;
  }
  for (i = 0; i < url->nquery; i++) {
    aiodb__kv *kv = &url->query[i];
    if (kv->used) continue;
    if ((rc = take_option(c, url, kv, err)) != 0) goto fail;
    kv->used = 1;
  }
  if ((rc = build_hosts(c, err)) != 0) goto fail;
  if (c->ssl_mode == SSL_VERIFY_CA && c->ssl_ca == NULL && c->ssl_capath == NULL) {
    rc = aiodb__error_set(err, AIODB_EINVAL,
                          "ssl_mode=VERIFY_CA needs ssl_ca or ssl_capath");
    goto fail;
  }
  /* A host that is a path means the unix socket, as for PostgreSQL. */
  if (c->nhosts == 0 && c->host && c->host[0] == '/' && c->unix_socket == NULL) {
    c->unix_socket = c->host;
    c->host = NULL;
  }
  *out = c;
  return 0;
fail:
  my_free_config(c);
  return rc;
}

/* ---- connections ---- */

/* The side connection's KILL QUERY must not hang on a server that stopped
 * answering: it always has timeouts, of its own when the URL sets none. */
#define SIDE_TIMEOUT 10

static int set_options(MYSQL *m, const my_cfg *cfg, int side) {
  my_bool off = 0, on = 1;
  unsigned zero = 0, side_timeout = SIDE_TIMEOUT;
  int rc = 0;
  rc |= mysql_optionsv(m, MYSQL_OPT_RECONNECT, &off);
  rc |= mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, cfg->charset);
  /* LOAD DATA LOCAL lets the server read the client's files: off. */
  rc |= mysql_optionsv(m, MYSQL_OPT_LOCAL_INFILE, &zero);
  rc |= mysql_optionsv(m, MYSQL_OPT_CONNECT_ATTR_ADD, "program_name", "aiodb");
  /* A TCP connect goes through the non-blocking API: see connect_wait. */
  rc |= mysql_optionsv(m, MYSQL_OPT_NONBLOCK, (void *)NULL);
  if (cfg->connect_timeout || side)
    rc |= mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT,
                         cfg->connect_timeout ? &cfg->connect_timeout : &side_timeout);
  if (side) {
    rc |= mysql_optionsv(m, MYSQL_OPT_READ_TIMEOUT, &side_timeout);
    rc |= mysql_optionsv(m, MYSQL_OPT_WRITE_TIMEOUT, &side_timeout);
  } else {
    if (cfg->read_timeout)
      rc |= mysql_optionsv(m, MYSQL_OPT_READ_TIMEOUT, &cfg->read_timeout);
    if (cfg->write_timeout)
      rc |= mysql_optionsv(m, MYSQL_OPT_WRITE_TIMEOUT, &cfg->write_timeout);
  }
  if (cfg->init_command) rc |= mysql_optionsv(m, MYSQL_INIT_COMMAND, cfg->init_command);
  if (cfg->ssl_mode == SSL_DISABLED) return rc;
  if (cfg->ssl_mode != SSL_UNSET || cfg->ssl_ca || cfg->ssl_capath ||
      cfg->ssl_cert || cfg->ssl_key || cfg->ssl_cipher)
    rc |= mysql_ssl_set(m, cfg->ssl_key, cfg->ssl_cert, cfg->ssl_ca,
                        cfg->ssl_capath, cfg->ssl_cipher);
  if (cfg->ssl_crl) rc |= mysql_optionsv(m, MYSQL_OPT_SSL_CRL, cfg->ssl_crl);
  if (cfg->ssl_crlpath) rc |= mysql_optionsv(m, MYSQL_OPT_SSL_CRLPATH, cfg->ssl_crlpath);
  if (cfg->tls_version) rc |= mysql_optionsv(m, MYSQL_OPT_TLS_VERSION, cfg->tls_version);
  if (cfg->ssl_mode >= SSL_REQUIRED) rc |= mysql_optionsv(m, MYSQL_OPT_SSL_ENFORCE, &on);
  rc |= mysql_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT,
                       cfg->ssl_mode >= SSL_VERIFY_CA ? &on : &off);
  return rc;
}

/* Runs mysql_real_connect_start's connect (status: what it waits for) to
 * its end: waits in poll() on the socket, for the time the library asks
 * (its connect_timeout, for each wait), and on the core's abandon fd. Once
 * that fires, every wait is answered with MYSQL_WAIT_TIMEOUT, which makes
 * the library fail the connect at once, and *abandoned is set (*expired
 * when the last wait ran out of time instead). share: the
 * socket is the core's to shut down (never for the side connection), but
 * only while we wait: the library may close it and open another. */
static MYSQL *connect_wait(MYSQL *m, MYSQL *ret, int status, int share,
                           int *abandoned, int *expired) {
  struct pollfd p[2];
  p[1].fd = aiodb__conn_abandon_fd();
  p[1].events = POLLIN;
  while (status != 0) {
    int ms = -1, n, ev = 0;
    p[0].fd = (int)mysql_get_socket(m);
    p[0].events = (short)((status & MYSQL_WAIT_READ ? POLLIN : 0) |
                          (status & MYSQL_WAIT_WRITE ? POLLOUT : 0) |
                          (status & MYSQL_WAIT_EXCEPT ? POLLPRI : 0));
    p[0].revents = p[1].revents = 0;
    if (status & MYSQL_WAIT_TIMEOUT) ms = (int)mysql_get_timeout_value_ms(m);
    if (*abandoned || p[0].fd < 0) {
      n = 0;
    } else {
      if (share) aiodb__conn_socket(p[0].fd);
      n = poll(p, 2, ms);
      if (share) aiodb__conn_socket(-1);
      if (n < 0 && errno == EINTR) continue;
      if (p[1].fd >= 0 && p[1].revents != 0) *abandoned = 1;
    }
    if (n > 0 && !*abandoned) {
      if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) ev |= MYSQL_WAIT_READ;
      if (p[0].revents & (POLLOUT | POLLHUP | POLLERR)) ev |= MYSQL_WAIT_WRITE;
      if (p[0].revents & POLLPRI) ev |= MYSQL_WAIT_EXCEPT;
      ev &= status;
    }
    if (ev == 0) ev = MYSQL_WAIT_TIMEOUT;
    *expired = ev == MYSQL_WAIT_TIMEOUT && !*abandoned;
    status = mysql_real_connect_cont(&ret, m, ev);
  }
  return ret;
}

/* Keepalives and TCP_USER_TIMEOUT on a TCP socket (the client library has
 * no option for them). A refusal leaves the system's values. */
static void set_keepalives(MYSQL *m, const my_cfg *cfg) {
  struct sockaddr_storage sa;
  socklen_t len = sizeof sa;
  int fd = (int)mysql_get_socket(m), v;
  if (fd < 0 || getsockname(fd, (struct sockaddr *)&sa, &len) != 0 ||
      (sa.ss_family != AF_INET && sa.ss_family != AF_INET6))
    return;
  v = cfg->keepalives;
  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof v);
  if (cfg->keepalives && cfg->keepalives_idle) {
    v = (int)cfg->keepalives_idle;
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof v);
  }
  if (cfg->keepalives && cfg->keepalives_interval) {
    v = (int)cfg->keepalives_interval;
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &v, sizeof v);
  }
  if (cfg->keepalives && cfg->keepalives_count) {
    v = (int)cfg->keepalives_count;
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &v, sizeof v);
  }
  v = (int)cfg->tcp_user_timeout;
  setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &v, sizeof v);
}

#define CONNECT_FLAGS (CLIENT_FOUND_ROWS | CLIENT_MULTI_STATEMENTS | CLIENT_MULTI_RESULTS)

/* Opens a MYSQL* for server `index` of cfg's host list (0 without one;
 * side: the interrupter's side connection), or fills e. */
static int open_mysql(const my_cfg *cfg, size_t index, MYSQL **out, int side,
                      aiodb__err *e) {
  MYSQL *m = mysql_init(NULL), *ret = NULL;
  const char *host = cfg->host, *sock = cfg->unix_socket;
  unsigned port = cfg->port;
  int status, abandoned = 0, expired = 0;
  if (m == NULL) return aiodb__err_set(e, AIODB_ENOMEM, "out of memory");
  if (index < cfg->nhosts) {
    host = cfg->hosts[index].host;
    port = cfg->hosts[index].port;
    if (host[0] == '/') sock = host, host = NULL;
  }
  if (set_options(m, cfg, side) != 0) {
    mysql_close(m);
    return aiodb__err_set(e, AIODB_EINVAL,
                          "the MariaDB client library refused an option");
  }
  if (sock && host == NULL) host = "localhost";
  if (host == NULL || strcmp(host, "localhost") == 0) {
    /* A unix socket. Connector/C's non-blocking connect closes it twice
     * when the connect fails (no server there; seen with 3.3.20), and the
     * second close() can hit a descriptor another thread has just opened.
     * A unix socket has no network to wait on: the blocking connect, whose
     * handshake connect_timeout bounds (it is not abandoned at close). */
    ret = mysql_real_connect(m, host, cfg->user, cfg->password, cfg->database,
                             port, sock, CONNECT_FLAGS);
  } else {
    status = mysql_real_connect_start(&ret, m, host, cfg->user, cfg->password,
                                      cfg->database, port, sock, CONNECT_FLAGS);
    ret = connect_wait(m, ret, status, !side, &abandoned, &expired);
  }
  if (ret == NULL) {
    if (abandoned) {
      aiodb__err_set(e, AIODB_ECONNLOST,
                     "the connection attempt was abandoned: the database is "
                     "being freed");
      snprintf(e->sqlstate, sizeof e->sqlstate, "08S01");
      mysql_close(m);
      return e->code;
    }
    if (expired) {
      char msg[sizeof e->message];
      snprintf(msg, sizeof msg, "timeout expired (connect_timeout=%u): %s",
               side && !cfg->connect_timeout ? SIDE_TIMEOUT : cfg->connect_timeout,
               mysql_error(m));
      fill_err(e, cfg, mysql_errno(m), mysql_sqlstate(m), msg);
    } else {
      fill_err(e, cfg, mysql_errno(m), mysql_sqlstate(m), mysql_error(m));
    }
    e->code = AIODB_ECONNECT;
    if (e->sqlstate[0] == '\0') snprintf(e->sqlstate, sizeof e->sqlstate, "08001");
    mysql_close(m);
    return e->code;
  }
  set_keepalives(m, cfg);
  /* Some client versions go on in clear text when the server offers no
   * TLS, even with SSL_ENFORCE set: check what was had. */
  if (cfg->ssl_mode >= SSL_REQUIRED && mysql_get_ssl_cipher(m) == NULL) {
    mysql_close(m);
    aiodb__err_set(e, AIODB_ECONNECT,
                   "ssl_mode requires TLS but the connection is not encrypted "
                   "(the server offers no TLS)");
    snprintf(e->sqlstate, sizeof e->sqlstate, "08001");
    return e->code;
  }
  *out = m;
  return 0;
}

static void finalize(void *ud, void *st);

/* 1 if m's server is read-only (@@read_only or @@innodb_read_only), 0
 * if not, or -1 with e filled. The answer is waited for in poll(), as the
 * connect is: connect_timeout at most, and abandoned with the db. */
static int read_only_of(MYSQL *m, const my_cfg *cfg, aiodb__err *e) {
  static const char q[] = "SELECT @@global.read_only, @@global.innodb_read_only";
  struct pollfd p[2];
  MYSQL_RES *r;
  MYSQL_ROW row;
  int n, ro = -1;
  if (mysql_send_query(m, q, sizeof q - 1) != 0) goto fail;
  p[0].fd = (int)mysql_get_socket(m);
  p[0].events = POLLIN;
  p[1].fd = aiodb__conn_abandon_fd();
  p[1].events = POLLIN;
  p[1].revents = 0;
  aiodb__conn_socket(p[0].fd);
  do
    n = poll(p, 2, cfg->connect_timeout ? (int)cfg->connect_timeout * 1000 : -1);
  while (n < 0 && errno == EINTR);
  aiodb__conn_socket(-1);
  if (p[1].fd >= 0 && p[1].revents != 0) {
    aiodb__err_set(e, AIODB_ECONNLOST,
                   "the connection attempt was abandoned: the database is being freed");
    snprintf(e->sqlstate, sizeof e->sqlstate, "08S01");
    return -1;
  }
  if (n <= 0) {
    aiodb__err_set(e, AIODB_ECONNECT,
                   "timeout expired (connect_timeout=%u) asking the server whether it is "
                   "read-only",
                   cfg->connect_timeout);
    snprintf(e->sqlstate, sizeof e->sqlstate, "08001");
    return -1;
  }
  if (mysql_read_query_result(m) != 0 || (r = mysql_store_result(m)) == NULL) goto fail;
  if ((row = mysql_fetch_row(r)) != NULL && row[0] && row[1])
    ro = strcmp(row[0], "0") != 0 || strcmp(row[1], "0") != 0;
  mysql_free_result(r);
  if (ro >= 0) return ro;
fail:
  fill_err(e, cfg, mysql_errno(m), mysql_sqlstate(m), mysql_error(m));
  e->code = AIODB_ECONNECT;
  return -1;
}

/* Opens a connection to the first server of cfg's list that answers and
 * fits target_session_attrs (as libpq picks one: in order, each for
 * connect_timeout; prefer-standby takes a read-only server if one answers,
 * else, in a second round, any), into *out and *index; or fills e, with
 * every server's reason when there is a list. */
static int open_server(const my_cfg *cfg, MYSQL **out, size_t *index, aiodb__err *e) {
  static const char *const names[] = {"any",     "read-write", "read-only",
                                      "primary", "standby",    "prefer-standby"};
  size_t n = cfg->nhosts ? cfg->nhosts : 1, i, used = 0;
  char why[sizeof e->message] = "";
  MYSQL *m;
  int round, check, want, ro;
  for (round = 0; round < (cfg->target == TARGET_PREFER_STANDBY ? 2 : 1); round++) {
    check = cfg->target != TARGET_ANY && round == 0;
    want = cfg->target != TARGET_READ_WRITE && cfg->target != TARGET_PRIMARY;
    for (i = 0; i < n; i++) {
      if (open_mysql(cfg, i, &m, 0, e) != 0) {
        if (e->code == AIODB_ECONNLOST) return e->code; /* abandoned */
      } else if (check && (ro = read_only_of(m, cfg, e)) != want) {
        if (ro >= 0) {
          memset(e, 0, sizeof *e);
          aiodb__err_set(e, AIODB_ECONNECT, "the server is %s (target_session_attrs=%s)",
                         ro ? "read-only" : "not read-only", names[cfg->target]);
          snprintf(e->sqlstate, sizeof e->sqlstate, "08001");
        }
        mysql_close(m);
        if (e->code == AIODB_ECONNLOST) return e->code;
      } else {
        memset(e, 0, sizeof *e); /* what earlier servers left */
        *out = m;
        *index = i;
        return 0;
      }
      if (n > 1 && used < sizeof why)
        used += (size_t)snprintf(why + used, sizeof why - used, "%s%s:%u: %s",
                                 used ? "; " : "", cfg->hosts[i].host,
                                 cfg->hosts[i].port ? cfg->hosts[i].port : 3306, e->message);
    }
  }
  if (n > 1) {
    char msg[sizeof e->message];
    snprintf(msg, sizeof msg, "no server of the host list %s: %s",
             cfg->target == TARGET_ANY ? "answered" : "fits target_session_attrs", why);
    aiodb__err_message(e, msg, cfg->password);
  }
  e->code = AIODB_ECONNECT;
  if (e->sqlstate[0] == '\0') snprintf(e->sqlstate, sizeof e->sqlstate, "08001");
  return e->code;
}

static int my_connect(void *cfgp, unsigned statement_cache, void **native,
                      aiodb__err *e) {
  my_cfg *cfg = cfgp;
  my_conn *c;
  MYSQL *m;
  size_t host = 0;
  int rc = open_server(cfg, &m, &host, e);
  if (rc != 0) return rc;
  c = aiodb__calloc(1, sizeof *c);
  if (c != NULL && aiodb__stmt_cache_init(&c->cache, statement_cache, finalize, NULL) != 0) {
    aiodb__free(c);
    c = NULL;
  }
  if (c == NULL) {
    mysql_close(m);
    return aiodb__err_set(e, AIODB_ENOMEM, "out of memory");
  }
  c->my = m;
  c->cfg = cfg;
  c->host = host;
  aiodb__conn_socket((int)mysql_get_socket(m));
  *native = c;
  return 0;
}

static void stmt_free(my_stmt *st) {
  unsigned i;
  if (st == NULL) return;
  stmt_free(st->wide);
  stmt_free(st->odd);
  if (st->stmt) mysql_stmt_close(st->stmt);
  for (i = 0; i < st->cols_cap; i++) aiodb__free(st->cols[i].buf);
  aiodb__free(st->cols);
  aiodb__free(st->out);
  aiodb__free(st);
}

static void finalize(void *ud, void *st) {
  (void)ud;
  stmt_free(st);
}

static void give_back(my_conn *c);

static void my_disconnect(void *native) {
  my_conn *c = native;
  aiodb__stmt_cache_destroy(&c->cache);
  aiodb__free(c->in);
  aiodb__free(c->bulk_slot);
  if (c->keep) give_back(c);
  aiodb__conn_socket(-1);
  if (!c->keep) mysql_close(c->my);
  aiodb__free(c);
}

static void *my_handle(void *native) { return ((my_conn *)native)->my; }

static int my_last_error(void *native, aiodb__err *e) {
  my_conn *c = native;
  const char *msg = mysql_error(c->my);
  if (msg == NULL || msg[0] == '\0') return 0;
  fill_err(e, c->cfg, mysql_errno(c->my), mysql_sqlstate(c->my), msg);
  return 1;
}

/* Did the last call on c find the server gone? */
static int conn_lost(my_conn *c) {
  unsigned n = mysql_errno(c->my);
  return n == CR_SERVER_GONE_ERROR || n == CR_SERVER_LOST ||
         n == CR_SERVER_LOST_EXTENDED;
}

static int my_is_broken(void *native, const aiodb__err *e) {
  return e->code == AIODB_ECONNLOST || conn_lost(native);
}

/* The pool's check: mysql_ping through the non-blocking API (the
 * connection has MYSQL_OPT_NONBLOCK), each wait in poll() bounded so that
 * the whole check takes timeout_ms at most. */
static int my_ping(void *native, int timeout_ms, aiodb__err *e) {
  my_conn *c = native;
  struct timespec t0, t;
  int ret = 0, status, elapsed = 0;

  aiodb__stmt_settle(); /* a late KILL QUERY must not land on it */
  clock_gettime(CLOCK_MONOTONIC, &t0);
  status = mysql_ping_start(&ret, c->my);
  while (status != 0) {
    struct pollfd p;
    int ms = timeout_ms - elapsed, n, ev = 0;
    p.fd = (int)mysql_get_socket(c->my);
    p.events = (short)((status & MYSQL_WAIT_READ ? POLLIN : 0) |
                       (status & MYSQL_WAIT_WRITE ? POLLOUT : 0) |
                       (status & MYSQL_WAIT_EXCEPT ? POLLPRI : 0));
    p.revents = 0;
    n = ms > 0 && p.fd >= 0 ? poll(&p, 1, ms) : 0;
    if (n < 0 && errno == EINTR) continue;
    clock_gettime(CLOCK_MONOTONIC, &t);
    elapsed = (int)((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
    if (n == 0) {
      /* Unanswered: the connection is given up, mid-call. */
      fill_err(e, c->cfg, CR_SERVER_LOST, NULL, "");
      aiodb__err_set(e, AIODB_ECONNLOST,
                     "the server did not answer a check within %d ms", timeout_ms);
      return e->code;
    }
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) ev |= MYSQL_WAIT_READ;
    if (p.revents & (POLLOUT | POLLHUP | POLLERR)) ev |= MYSQL_WAIT_WRITE;
    if (p.revents & POLLPRI) ev |= MYSQL_WAIT_EXCEPT;
    status = mysql_ping_cont(&ret, c->my, ev & status);
  }
  if (ret == 0) return 0;
  conn_err(c, e);
  e->code = AIODB_ECONNLOST; /* a check that fails leaves the connection */
  return e->code;
}

/* InnoDB rolls back the whole transaction of a deadlock's loser, not just
 * the statement (a lock wait timeout ends only the statement). */
static int my_tx_ended(void *native, const aiodb__err *e) {
  (void)native;
  return e->native_code == ER_LOCK_DEADLOCK;
}

/* ---- cancel: KILL QUERY over a side connection ---- */

static int my_interrupt_open(void *native, aiodb__intr_token *token, aiodb__err *e) {
  my_conn *c = native;
  (void)e;
  /* The server's index rides along: KILL QUERY must reach that server. */
  token->id = (uint64_t)mysql_thread_id(c->my) | (uint64_t)c->host << HOST_SHIFT;
  return 0;
}

/* Sends KILL QUERY id; reconnects the side connection once if it went
 * away. Blocks, on the interrupter's thread, for the side connection's
 * timeouts (SIDE_TIMEOUT each) at most. */
static void my_interrupt_send(void *cfgp, aiodb__intr_token token) {
  my_cfg *cfg = cfgp;
  char sql[48];
  aiodb__err e;
  int attempt;
  size_t host = (size_t)(token.id >> HOST_SHIFT);
  snprintf(sql, sizeof sql, "KILL QUERY %llu",
           (unsigned long long)(token.id & (((uint64_t)1 << HOST_SHIFT) - 1)));
  if (cfg->side != NULL && cfg->side_host != host) {
    mysql_close(cfg->side);
    cfg->side = NULL;
  }
  cfg->side_host = host;
  for (attempt = 0; attempt < 2; attempt++) {
    if (cfg->side == NULL && open_mysql(cfg, host, &cfg->side, 1, &e) != 0) break;
    if (mysql_real_query(cfg->side, sql, strlen(sql)) == 0) break;
    /* ER_NO_SUCH_THREAD: the connection is gone; nothing to stop. */
    if (mysql_errno(cfg->side) == ER_NO_SUCH_THREAD) break;
    mysql_close(cfg->side);
    cfg->side = NULL;
  }
}

/* ---- typing cells ---- */

static int kind_of(const MYSQL_FIELD *f) {
  switch (f->type) {
    case MYSQL_TYPE_TINY:
    case MYSQL_TYPE_SHORT:
    case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_LONGLONG:
    case MYSQL_TYPE_YEAR: return K_INT;
    case MYSQL_TYPE_FLOAT: return K_FLOAT;
    case MYSQL_TYPE_DOUBLE: return K_DOUBLE;
    case MYSQL_TYPE_NULL: return K_NULL;
    case MYSQL_TYPE_BIT: return K_BIT;
    case MYSQL_TYPE_TINY_BLOB:
    case MYSQL_TYPE_MEDIUM_BLOB:
    case MYSQL_TYPE_LONG_BLOB:
    case MYSQL_TYPE_BLOB:
    case MYSQL_TYPE_STRING:
    case MYSQL_TYPE_VAR_STRING:
    case MYSQL_TYPE_VARCHAR:
      /* charset 63 is "binary": BINARY, VARBINARY and the BLOBs. */
      return f->charsetnr == 63 ? K_BLOB : K_TEXT;
    case MYSQL_TYPE_GEOMETRY: return K_BLOB;
    default: return K_TEXT; /* DECIMAL, dates and times, ENUM, SET, JSON */
  }
}

static int add_uint(aiodb_result *res, unsigned long long u) {
  char buf[24];
  int n;
  if (u <= (unsigned long long)INT64_MAX) return aiodb__result_add_int(res, (int64_t)u);
  /* Beyond int64: the exact digits, as text. */
  n = snprintf(buf, sizeof buf, "%llu", u);
  return aiodb__result_add_text(res, buf, (size_t)n);
}

static int add_bits(aiodb_result *res, const unsigned char *p, size_t n) {
  unsigned long long u = 0;
  size_t i;
  for (i = 0; i < n; i++) u = u << 8 | p[i];
  return add_uint(res, u);
}

/* Numbers are read in the C locale's spelling, as the server writes them. */
static double text_double(const char *v, int as_float) {
  locale_t old = aiodb__numbers_c();
  double d = as_float ? (double)strtof(v, NULL) : strtod(v, NULL);
  aiodb__numbers_restore(old);
  return d;
}

/* A text-protocol cell. A FLOAT is read as a float and widened, as the
 * binary protocol gives it; its digits are the server's, which MariaDB
 * rounds to 6 significant ones (FLOAT(M,D): to D decimals). */
static int add_text_cell(aiodb_result *res, const MYSQL_FIELD *f,
                         const char *v, unsigned long len) {
  if (v == NULL) return aiodb__result_add_null(res);
  switch (kind_of(f)) {
    case K_INT:
      if (f->flags & UNSIGNED_FLAG) return add_uint(res, strtoull(v, NULL, 10));
      return aiodb__result_add_int(res, strtoll(v, NULL, 10));
    case K_FLOAT: return aiodb__result_add_float(res, text_double(v, 1));
    case K_DOUBLE: return aiodb__result_add_float(res, text_double(v, 0));
    case K_BIT: return add_bits(res, (const unsigned char *)v, len);
    case K_BLOB: return aiodb__result_add_blob(res, v, len);
    case K_NULL: return aiodb__result_add_null(res);
    default: return aiodb__result_add_text(res, v, len);
  }
}

static const char *column_name(const void *fields, size_t i, size_t *len) {
  const MYSQL_FIELD *f = (const MYSQL_FIELD *)fields + i;
  *len = f->name_length;
  return f->name;
}

static int set_columns(aiodb_result *res, const MYSQL_FIELD *fields,
                       unsigned n, aiodb__err *e) {
  return aiodb__result_columns(res, n, column_name, fields, e);
}

static int is_word_char(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
         ch == '_';
}

/* Does sql start (after spaces and comments) with a statement that changes
 * rows? Their RETURNING rows are the rows affected. */
static int is_dml(const char *p, const char *end) {
  static const char *const verbs[] = {"insert", "replace", "update", "delete"};
  size_t i, n;
  for (;;) {
    p += aiodb__sql_skip_blanks(p, (size_t)(end - p), AIODB__DIALECT_MYSQL);
    if (p == end || *p != '(') break;
    p++;
  }
  for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
    n = strlen(verbs[i]);
    if ((size_t)(end - p) > n && strncasecmp(p, verbs[i], n) == 0 &&
        !((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') || p[n] == '_'))
      return 1;
  }
  return 0;
}

/* Does sql hold no statement at all: only blanks, semicolons and comments
 * (not the executable slash-star-bang ones, which hold SQL)? The server
 * answers such text with "Query was empty", or a syntax error for
 * " ;\n-- x"; aiodb runs it as a statement that does nothing, as SQLite
 * and PostgreSQL do. */
static int holds_nothing(const char *p, const char *end) {
  return aiodb__sql_is_blank(p, (size_t)(end - p), AIODB__DIALECT_MYSQL);
}

/* ---- the text protocol: several statements, or what won't prepare ---- */

/* Runs sql as text; the result is the last statement's, like PostgreSQL's
 * PQexec and SQLite's sqlite3_exec. Rows stream in (mysql_use_result).
 * Text holding no statement ("Query was empty" to the server) runs as one
 * that does nothing, as SQLite and PostgreSQL take it: no columns, no
 * rows. */
static int run_text(my_conn *c, const char *sql, size_t len, aiodb_result *res,
                    aiodb__err *e) {
  int rc = 0, status;
  if (mysql_real_query(c->my, sql, len) != 0) {
    if (mysql_errno(c->my) != ER_EMPTY_QUERY) return conn_err(c, e);
    aiodb__result_reset(res);
    aiodb__result_set_cols(res, 0);
    return 0;
  }
  do {
    MYSQL_RES *r = mysql_use_result(c->my);
    if (r != NULL) {
      MYSQL_FIELD *fields = mysql_fetch_fields(r);
      unsigned nf = mysql_num_fields(r), i;
      MYSQL_ROW row;
      int64_t nrows = 0;
      if (rc == 0) rc = set_columns(res, fields, nf, e);
      while ((row = mysql_fetch_row(r)) != NULL) {
        unsigned long *lens = mysql_fetch_lengths(r);
        for (i = 0; rc == 0 && i < nf; i++)
          if (add_text_cell(res, &fields[i], row[i], lens[i]) != 0)
            rc = aiodb__err_set(e, AIODB_ENOMEM, "out of memory for the result");
        nrows++;
      }
      if (rc == 0 && mysql_errno(c->my) != 0) rc = conn_err(c, e);
      /* RETURNING rows are the rows affected (as on the binary path) */
      if (rc == 0 && is_dml(sql, sql + len)) aiodb__result_set_affected(res, nrows);
      mysql_free_result(r);
    } else if (mysql_field_count(c->my) != 0) {
      if (rc == 0) rc = conn_err(c, e);
    } else if (rc == 0) {
      my_ulonglong n = mysql_affected_rows(c->my);
      aiodb__result_reset(res);
      aiodb__result_set_cols(res, 0);
      aiodb__result_set_affected(res, n == (my_ulonglong)-1 ? 0 : (int64_t)n);
      aiodb__result_set_last_id(res, (int64_t)mysql_insert_id(c->my));
    }
    status = mysql_next_result(c->my);
    if (status > 0 && rc == 0) rc = conn_err(c, e);
  } while (status == 0);
  return rc;
}

/* ---- prepared statements ---- */

static my_stmt *stmt_prepare(my_conn *c, const char *sql, size_t len,
                             aiodb__err *e) {
  my_stmt *st = aiodb__calloc(1, sizeof *st);
  if (st == NULL || (st->stmt = mysql_stmt_init(c->my)) == NULL) {
    aiodb__free(st);
    if (mysql_errno(c->my)) conn_err(c, e);
    else aiodb__err_set(e, AIODB_ENOMEM, "out of memory");
    return NULL;
  }
  if (mysql_stmt_prepare(st->stmt, sql, len) != 0) {
    stmt_err(c, st->stmt, e);
    stmt_free(st);
    return NULL;
  }
  st->dml = is_dml(sql, sql + len);
  return st;
}

/* The prepared statement for sql: from the cache (evicting the least
 * recently used) or, with caching off, prepared for this call alone. */
static my_stmt *get_stmt(my_conn *c, const char *sql, size_t len, aiodb__err *e) {
  my_stmt *st = aiodb__stmt_cache_get(&c->cache, sql, len);
  if (st != NULL) return st;
  if ((st = stmt_prepare(c, sql, len, e)) == NULL || c->cache.cap == 0) return st;
  if (aiodb__stmt_cache_put(&c->cache, sql, len, st) != 0) {
    stmt_free(st);
    aiodb__err_set(e, AIODB_ENOMEM, "out of memory");
    return NULL;
  }
  st->cached = 1;
  return st;
}

/* Forgets a cached statement the server has changed under us. */
static void cache_drop(my_conn *c, my_stmt *st) {
  aiodb__stmt_cache_forget(&c->cache, st);
  stmt_free(st);
}

/* Done with st for this call: keeps a cached one, frees the rest. */
static void put_stmt(my_stmt *st) {
  if (st != NULL && !st->cached) stmt_free(st);
}

/* Binds one row of arguments. */
static int bind_params(my_conn *c, my_stmt *st, const aiodb_value *args,
                       size_t n, aiodb__err *e) {
  size_t i;
  if (mysql_stmt_param_count(st->stmt) != n)
    return aiodb__err_set(e, AIODB_EINVAL,
                          "the server counts %lu parameters but %zu were given",
                          mysql_stmt_param_count(st->stmt), n);
  if (n == 0) return 0;
  if (n > c->in_cap) {
    MYSQL_BIND *b = aiodb__realloc(c->in, n * sizeof *b);
    if (b == NULL) return aiodb__err_set(e, AIODB_ENOMEM, "out of memory");
    c->in = b;
    c->in_cap = n;
  }
  memset(c->in, 0, n * sizeof *c->in);
  for (i = 0; i < n; i++) {
    MYSQL_BIND *b = &c->in[i];
    const aiodb_value *v = &args[i];
    switch (v->type) {
      case AIODB_TYPE_NULL: b->buffer_type = MYSQL_TYPE_NULL; break;
      case AIODB_TYPE_INT:
        b->buffer_type = MYSQL_TYPE_LONGLONG;
        b->buffer = (void *)&v->u.i;
        break;
      case AIODB_TYPE_FLOAT:
        b->buffer_type = MYSQL_TYPE_DOUBLE;
        b->buffer = (void *)&v->u.f;
        break;
      case AIODB_TYPE_TEXT:
        b->buffer_type = MYSQL_TYPE_STRING;
        b->buffer = (void *)(v->len ? v->u.s : "");
        b->buffer_length = (unsigned long)v->len;
        break;
      case AIODB_TYPE_BLOB:
        b->buffer_type = MYSQL_TYPE_BLOB;
        b->buffer = (void *)(v->len ? v->u.p : "");
        b->buffer_length = (unsigned long)v->len;
        break;
    }
  }
  if (mysql_stmt_bind_param(st->stmt, c->in) != 0) return stmt_err(c, st->stmt, e);
  return 0;
}

/* After an execute: binds the output columns to the types the server sent
 * this time (a `SELECT ?` follows its argument; an ALTER TABLE may change a
 * cached statement's columns). */
static int bind_result(my_conn *c, my_stmt *st, aiodb__err *e) {
  /* Connector/C refreshes stmt->fields on every execute; its result
   * metadata call would copy them each time. */
  MYSQL_FIELD *fields = st->stmt->fields;
  unsigned n = st->stmt->field_count, i;
  int changed = n != st->ncols;
  if (n > st->cols_cap) {
    my_col *cols = aiodb__realloc(st->cols, n * sizeof *cols);
    MYSQL_BIND *out;
    if (cols == NULL) return aiodb__err_set(e, AIODB_ENOMEM, "out of memory");
    memset(cols + st->cols_cap, 0, (n - st->cols_cap) * sizeof *cols);
    st->cols = cols;
    out = aiodb__realloc(st->out, n * sizeof *out);
    if (out == NULL) return aiodb__err_set(e, AIODB_ENOMEM, "out of memory");
    st->out = out;
    st->cols_cap = n;
  }
  for (i = 0; i < n; i++) {
    my_col *col = &st->cols[i];
    int kind = kind_of(&fields[i]);
    int uns = (fields[i].flags & UNSIGNED_FLAG) != 0;
    if (i >= st->ncols || col->kind != kind || col->is_unsigned != uns) changed = 1;
    col->kind = kind;
    col->is_unsigned = uns;
  }
  st->ncols = n;
  if (!changed || n == 0) return 0;
  memset(st->out, 0, n * sizeof *st->out);
  for (i = 0; i < n; i++) {
    my_col *col = &st->cols[i];
    MYSQL_BIND *b = &st->out[i];
    b->is_null = &col->is_null;
    b->error = &col->error;
    b->length = &col->length;
    switch (col->kind) {
      case K_INT:
        b->buffer_type = MYSQL_TYPE_LONGLONG;
        b->buffer = &col->num.i;
        b->is_unsigned = (my_bool)col->is_unsigned;
        break;
      case K_FLOAT:
        b->buffer_type = MYSQL_TYPE_FLOAT;
        b->buffer = &col->num.f;
        break;
      case K_DOUBLE:
        b->buffer_type = MYSQL_TYPE_DOUBLE;
        b->buffer = &col->num.d;
        break;
      case K_NULL: b->buffer_type = MYSQL_TYPE_NULL; break;
      default:
        if (col->buf == NULL) {
          if ((col->buf = aiodb__malloc(FIRST_BUF)) == NULL) {
            st->ncols = 0; /* half bound: bound afresh next time */
            return aiodb__err_set(e, AIODB_ENOMEM, "out of memory");
          }
          col->cap = FIRST_BUF;
        }
        b->buffer_type = col->kind == K_TEXT ? MYSQL_TYPE_STRING : MYSQL_TYPE_BLOB;
        b->buffer = col->buf;
        b->buffer_length = col->cap;
        break;
    }
  }
  if (mysql_stmt_bind_result(st->stmt, st->out) != 0) return stmt_err(c, st->stmt, e);
  return 0;
}

/* Reads the rest of a cell that did not fit its buffer (and grows the
 * buffer for the next rows). */
static int fetch_long(my_conn *c, my_stmt *st, unsigned i, aiodb__err *e) {
  my_col *col = &st->cols[i];
  MYSQL_BIND b;
  char *buf = aiodb__realloc(col->buf, col->length);
  if (buf == NULL) return aiodb__err_set(e, AIODB_ENOMEM, "out of memory for the result");
  col->buf = buf;
  col->cap = col->length;
  st->out[i].buffer = buf;
  st->out[i].buffer_length = col->cap;
  b = st->out[i];
  if (mysql_stmt_fetch_column(st->stmt, &b, i, 0) != 0) return stmt_err(c, st->stmt, e);
  /* The new buffer must be bound for the next row's fetch. */
  if (mysql_stmt_bind_result(st->stmt, st->out) != 0) return stmt_err(c, st->stmt, e);
  return 0;
}

/* One cell of a fetched row, from the buffer its column is bound to (all
 * of it: fetch_long has read what did not fit). */
static int add_bound(aiodb_result *res, const my_col *col) {
  if (col->is_null || col->kind == K_NULL) return aiodb__result_add_null(res);
  switch (col->kind) {
    case K_INT:
      return col->is_unsigned ? add_uint(res, (unsigned long long)col->num.i)
                              : aiodb__result_add_int(res, col->num.i);
    case K_FLOAT: return aiodb__result_add_float(res, (double)col->num.f);
    case K_DOUBLE: return aiodb__result_add_float(res, col->num.d);
    case K_BIT: return add_bits(res, (const unsigned char *)col->buf, col->length);
    case K_BLOB: return aiodb__result_add_blob(res, col->buf, col->length);
    default: return aiodb__result_add_text(res, col->buf, col->length);
  }
}

static int add_cells(my_conn *c, my_stmt *st, aiodb_result *res, aiodb__err *e) {
  unsigned i;
  int rc = 0;
  for (i = 0; rc == 0 && i < st->ncols; i++) {
    my_col *col = &st->cols[i];
    if (!col->is_null && (col->kind == K_TEXT || col->kind == K_BLOB || col->kind == K_BIT) &&
        col->length > col->cap && (rc = fetch_long(c, st, i, e)) != 0)
      return rc;
    rc = add_bound(res, col);
  }
  if (rc != 0 && e->code == 0)
    rc = aiodb__err_set(e, AIODB_ENOMEM, "out of memory for the result");
  return rc;
}

int aiodb__my_decode_text(aiodb_result *res, int type, unsigned flags,
                          unsigned charsetnr, const char *v, unsigned long len) {
  MYSQL_FIELD f;
  memset(&f, 0, sizeof f);
  f.type = (enum enum_field_types)type;
  f.flags = flags;
  f.charsetnr = charsetnr;
  return add_text_cell(res, &f, v, len);
}

int aiodb__my_decode_binary(aiodb_result *res, int type, unsigned flags,
                            unsigned charsetnr, const void *v, unsigned long len) {
  MYSQL_FIELD f;
  my_col col;
  memset(&f, 0, sizeof f);
  f.type = (enum enum_field_types)type;
  f.flags = flags;
  f.charsetnr = charsetnr;
  memset(&col, 0, sizeof col);
  col.kind = kind_of(&f);
  col.is_unsigned = (flags & UNSIGNED_FLAG) != 0;
  col.is_null = v == NULL;
  if (col.kind == K_INT || col.kind == K_FLOAT || col.kind == K_DOUBLE) {
    if (v != NULL) memcpy(&col.num, v, len < sizeof col.num ? len : sizeof col.num);
  } else {
    col.buf = (char *)v;
    col.cap = col.length = len;
  }
  return add_bound(res, &col);
}

/* Reads up to max rows (0: all) of an executed statement into res. Returns
 * 0 with *done set at the end of the rows. */
static int fetch_rows(my_conn *c, my_stmt *st, aiodb_result *res, size_t max,
                      size_t *nrows, int *done, aiodb__err *e) {
  int rc;
  *done = 0;
  *nrows = 0;
  while (max == 0 || *nrows < max) {
    rc = mysql_stmt_fetch(st->stmt);
    if (rc == MYSQL_NO_DATA) {
      *done = 1;
      return 0;
    }
    if (rc == 1) return stmt_err(c, st->stmt, e);
    /* 0, or MYSQL_DATA_TRUNCATED: add_cells fetches what did not fit. */
    if ((rc = add_cells(c, st, res, e)) != 0) return rc;
    ++*nrows;
  }
  return 0;
}

/* Drops what is left of a statement's results (more result sets of a CALL,
 * or rows after an error), so the connection can take the next command. */
static void finish(my_stmt *st) {
  mysql_stmt_free_result(st->stmt);
  while (mysql_stmt_more_results(st->stmt) && mysql_stmt_next_result(st->stmt) == 0)
    mysql_stmt_free_result(st->stmt);
}

/* Executes st (arguments bound) and reads its result into res: the rows,
 * or affected rows and the last insert id. first: res starts afresh;
 * otherwise rows append (query_many). */
static int execute(my_conn *c, my_stmt *st, aiodb_result *res, int first,
                   int64_t *affected, aiodb__err *e) {
  size_t n;
  int rc, done;
  if (mysql_stmt_execute(st->stmt) != 0) return stmt_err(c, st->stmt, e);
  if ((rc = bind_result(c, st, e)) != 0) {
    finish(st);
    return rc;
  }
  if (st->ncols == 0) {
    my_ulonglong n = mysql_stmt_affected_rows(st->stmt);
    if (n != (my_ulonglong)-1) *affected += (int64_t)n;
    aiodb__result_set_last_id(res, (int64_t)mysql_stmt_insert_id(st->stmt));
    if (first) aiodb__result_set_cols(res, 0);
    finish(st);
    return 0;
  }
  if (first && (rc = set_columns(res, st->stmt->fields, st->ncols, e)) != 0) {
    finish(st);
    return rc;
  }
  rc = fetch_rows(c, st, res, 0, &n, &done, e);
  if (rc == 0 && st->dml) *affected += (int64_t)n;
  finish(st);
  return rc;
}

static int my_exec(void *native, const aiodb__stmt *s, aiodb_result *res,
                   aiodb__err *e) {
  my_conn *c = native;
  my_stmt *st;
  int64_t affected = 0;
  int rc;

  aiodb__stmt_begin();
  aiodb__result_reset(res);
  if (holds_nothing(s->sql, s->sql + s->sql_len)) {
    aiodb__result_set_cols(res, 0);
    rc = 0;
  } else if ((st = get_stmt(c, s->sql, s->sql_len, e)) == NULL) {
    /* Prepared even when not cached: the text protocol rounds FLOATs. */
    rc = e->code;
    /* Several statements, or one the server will not prepare: as text.
     * A statement that is simply wrong fails again with the same error.
     * So does the library's own when there is no memory to prepare it
     * (as text it needs none of ours, and has no columns to round). */
    if (s->nargs == 0 && rc != AIODB_ECONNLOST && (rc != AIODB_ENOMEM || s->own)) {
      memset(e, 0, sizeof *e);
      rc = run_text(c, s->sql, s->sql_len, res, e);
    }
  } else {
    rc = bind_params(c, st, s->args, s->nargs, e);
    if (rc == 0) rc = execute(c, st, res, 1, &affected, e);
    if (rc != 0 && e->native_code == CR_NEW_STMT_METADATA) {
      /* An ALTER TABLE changed the statement's columns since it was
       * prepared: the client library cannot read its rows. A query runs
       * again, prepared afresh; a change of rows has happened and must not
       * happen twice, so it reports the error. */
      int dml = st->dml;
      cache_drop(c, st);
      st = NULL;
      if (!dml && (st = get_stmt(c, s->sql, s->sql_len, e)) != NULL) {
        memset(e, 0, sizeof *e);
        aiodb__result_reset(res);
        rc = bind_params(c, st, s->args, s->nargs, e);
        if (rc == 0) rc = execute(c, st, res, 1, &affected, e);
      } else if (dml) {
        aiodb__err_set(e, AIODB_ESQL,
                       "the statement ran, but its result columns changed since "
                       "it was prepared (ALTER TABLE?) and its rows cannot be read");
        e->native_code = CR_NEW_STMT_METADATA;
        rc = e->code;
      } else {
        rc = e->code;
      }
    }
    if (rc == 0) aiodb__result_set_affected(res, affected);
    put_stmt(st);
  }
  aiodb__stmt_end();
  return rc;
}

/* ---- query_many (lib/many.c runs the batch): prepared once. Unless the
 * URL says bulk=0, rows go several to one execute where they can:
 *
 * - A single-row INSERT or REPLACE ... VALUES (tuple) (see
 *   aiodb__sql_insert_values) into a table of a transactional engine is
 *   sent as one statement of many rows, VALUES (tuple),(tuple),..., a run
 *   of rows per execute: up to MULTI_ROWS rows, MULTI_PARAMS placeholders,
 *   and about MULTI_BYTES of values or the server's max_allowed_packet.
 *   The statement for the batch's full run is prepared once and kept
 *   with the single-row one, and so is the last shorter run's (the rest
 *   of a batch, or runs that max_allowed_packet keeps short).
 *   Each value keeps its own type, as row by row. Only a transactional
 *   table: in the default STRICT_TRANS_TABLES mode a non-transactional one
 *   takes a bad value in a statement's second or later row as a warning,
 *   which row by row is an error.
 * - Otherwise, on a MariaDB server (10.2 and later:
 *   MARIADB_CLIENT_STMT_BULK_OPERATIONS) an INSERT/REPLACE/UPDATE/DELETE
 *   without RETURNING sends a run of rows per COM_STMT_BULK_EXECUTE: rows
 *   whose values have the same types, NULLs aside (the types go once, for
 *   the whole run), up to BULK_ROWS rows and about BULK_BYTES of text and
 *   blobs.
 * - Everything else, and everything with bulk=0, is executed row by row.
 *
 * The server tells only that a run failed, not at which row. Each run goes
 * in a SAVEPOINT of its own: after a failure it is rolled back and the run
 * is executed again row by row, so that the failing row names itself. A
 * table that cannot roll back (MyISAM; in bulk only) keeps the rows of the
 * run before the failing one; then the run is not executed again, and the
 * message names the rows of the run ("rows N to M: "). ---- */

#define BULK_ROWS 1000
#define BULK_BYTES (4u << 20)
#define MULTI_ROWS 1000
#define MULTI_PARAMS 65535
#define MULTI_BYTES (4u << 20)

static int my_in_tx(void *native) {
  my_conn *c = native;
  unsigned status = 0;
  if (mariadb_get_infov(c->my, MARIADB_CONNECTION_SERVER_STATUS, &status) != 0)
    return 0;
  return (status & SERVER_STATUS_IN_TRANS) != 0;
}

static int my_exec_own(void *native, const char *sql, aiodb__err *e) {
  my_conn *c = native;
  if (mysql_real_query(c->my, sql, strlen(sql)) != 0) return conn_err(c, e);
  return 0;
}

/* Does the server take rows in bulk (MariaDB, not MySQL)? */
static int server_bulk(my_conn *c) {
  unsigned long caps = 0, ext = 0;
  if (c->cfg->no_bulk) return 0;
  if (mariadb_get_infov(c->my, MARIADB_CONNECTION_SERVER_CAPABILITIES, &caps) != 0 ||
      (caps & CLIENT_MYSQL) ||
      mariadb_get_infov(c->my, MARIADB_CONNECTION_EXTENDED_SERVER_CAPABILITIES, &ext) != 0)
    return 0;
  return (ext & (MARIADB_CLIENT_STMT_BULK_OPERATIONS >> 32)) != 0;
}

/* Does sql hold the word RETURNING (maybe in a string or a comment: then
 * its rows simply go one by one)? The server counts no columns for
 * INSERT ... RETURNING at prepare time. */
static int says_returning(const char *p, size_t len) {
  static const char word[] = "returning";
  const size_t n = sizeof word - 1;
  size_t i;
  for (i = 0; i + n <= len; i++)
    if (strncasecmp(p + i, word, n) == 0 && (i == 0 || !is_word_char(p[i - 1])) &&
        (i + n == len || !is_word_char(p[i + n])))
      return 1;
  return 0;
}

/* One part of a table name as written (name or `name`), unquoted into out
 * (cap bytes, NUL-terminated) and escaped as a string literal's body;
 * 0 if it does not fit. */
static int name_literal(my_conn *c, const char *p, size_t n, char *out, size_t cap) {
  char raw[256];
  size_t i, k = 0;
  if (n >= 2 && p[0] == '`') {
    for (i = 1; i + 1 < n; i++) {
      if (k == sizeof raw) return 0;
      raw[k++] = p[i];
      if (p[i] == '`') i++; /* doubled */
    }
  } else {
    if (n > sizeof raw) return 0;
    memcpy(raw, p, n);
    k = n;
  }
  if (2 * k + 1 > cap) return 0;
  mysql_real_escape_string(c->my, out, raw, (unsigned long)k);
  return 1;
}

/* Is table (as written in the statement, maybe `db`.`t`) one of a
 * transactional engine? 1 yes; 0 no, or not listed (a temporary table,
 * a view); -1 when the question failed (say, a cancel's KILL QUERY). */
static int transactional(my_conn *c, const char *table, size_t len) {
  char db[520], name[520], sql[1400];
  const char *dot = NULL;
  size_t i;
  int yes = 0;
  MYSQL_RES *r;
  MYSQL_ROW row;
  for (i = 0; i < len; i++) {
    if (table[i] == '`') {
      for (i++; i < len && !(table[i] == '`' && (i + 1 == len || table[i + 1] != '`')); i++)
        if (table[i] == '`') i++;
    } else if (table[i] == '.') {
      dot = table + i;
    }
  }
  if (dot != NULL ? !name_literal(c, table, (size_t)(dot - table), db, sizeof db) ||
                        !name_literal(c, dot + 1, (size_t)(table + len - dot - 1), name,
                                      sizeof name)
                  : !name_literal(c, table, len, name, sizeof name))
    return 0;
  snprintf(sql, sizeof sql,
           "SELECT e.TRANSACTIONS FROM information_schema.TABLES t JOIN "
           "information_schema.ENGINES e ON e.ENGINE = t.ENGINE "
           "WHERE t.TABLE_SCHEMA = %s%s%s AND t.TABLE_NAME = '%s'",
           dot ? "'" : "", dot ? db : "DATABASE()", dot ? "'" : "", name);
  if (mysql_real_query(c->my, sql, strlen(sql)) != 0 ||
      (r = mysql_store_result(c->my)) == NULL)
    return -1;
  if ((row = mysql_fetch_row(r)) != NULL)
    yes = row[0] != NULL && strcmp(row[0], "YES") == 0;
  mysql_free_result(r);
  return yes;
}

/* The bytes of values one execute may carry: under the server's
 * max_allowed_packet (asked once a connection) and at most cap. */
static size_t packet_budget(my_conn *c, size_t cap) {
  if (c->max_packet == 0) {
    MYSQL_RES *r;
    MYSQL_ROW row;
    if (mysql_real_query(c->my, "SELECT @@max_allowed_packet", 27) != 0 ||
        (r = mysql_store_result(c->my)) == NULL)
      return 0;
    if ((row = mysql_fetch_row(r)) != NULL && row[0] != NULL)
      c->max_packet = strtoul(row[0], NULL, 10);
    mysql_free_result(r);
  }
  if (c->max_packet <= 4096) return 0;
  return c->max_packet - 4096 < cap ? c->max_packet - 4096 : cap;
}

/* Rows of a full run of st's many-row statement: 0 if its rows do not go
 * several to a statement. */
static size_t multi_rows(my_conn *c, my_stmt *st, const aiodb__stmt *s) {
  size_t rows = MULTI_ROWS, fixed;
  if (st->multi == 0) {
    aiodb__sqlinsert ins;
    st->multi = -1;
    if (aiodb__sql_insert_values(s->sql, s->sql_len, AIODB__DIALECT_MYSQL, &ins) &&
        ins.nparams == s->nargs) {
      st->multi = transactional(c, s->sql + ins.table_off, ins.table_len);
      st->tuple_off = ins.tuple_off;
      st->tuple_len = ins.tuple_len;
      st->tail_off = ins.tail_off;
      if (st->multi < 0) { /* asked again next time */
        st->multi = 0;
        return 0;
      }
      if (st->multi == 0) st->multi = -1;
    }
  }
  if (st->multi < 0 || packet_budget(c, MULTI_BYTES) == 0) return 0;
  if (rows > MULTI_PARAMS / s->nargs) rows = MULTI_PARAMS / s->nargs;
  if (rows > s->nrows) rows = s->nrows;
  /* the statement's text goes in one packet too */
  fixed = s->sql_len - st->tuple_len + 1024;
  if (fixed >= c->max_packet) return 0;
  if (rows > (c->max_packet - fixed) / (st->tuple_len + 1))
    rows = (c->max_packet - fixed) / (st->tuple_len + 1);
  return rows > 1 ? rows : 0;
}

static int my_many_prepare(void *native, const aiodb__stmt *s, aiodb__many *m,
                           aiodb__err *e) {
  my_conn *c = native;
  my_stmt *st = get_stmt(c, s->sql, s->sql_len, e);
  if (st == NULL)
    return e->native_code == ER_EMPTY_QUERY
               ? aiodb__err_set(e, AIODB_EINVAL, "query_many takes exactly one statement")
               : e->code;
  m->stmt = st;
  c->many_bulk = 0;
  c->many_wide = 0;
  if (s->nargs > 0 && s->nrows > 1 && st->dml && !c->cfg->no_bulk &&
      mysql_stmt_field_count(st->stmt) == 0 && !says_returning(s->sql, s->sql_len) &&
      mysql_stmt_param_count(st->stmt) == s->nargs) {
    c->many_bulk = !st->no_bulk && server_bulk(c);
    if (c->many_bulk) m->chunk = BULK_ROWS;
    if ((c->many_wide = multi_rows(c, st, s)) > 0) m->chunk = c->many_wide;
  }
  return 0;
}

/* Rows first..first+n-1, one execute each. */
static int rows_one_by_one(my_conn *c, my_stmt *st, const aiodb__stmt *s, size_t first,
                           size_t n, aiodb_result *res, aiodb__many *m, aiodb__err *e) {
  size_t r;
  int rc = 0;
  for (r = first; rc == 0 && r < first + n; r++) {
    rc = bind_params(c, st, s->args + r * s->nargs, s->nargs, e);
    if (rc == 0) rc = execute(c, st, res, r == 0, &m->affected, e);
    if (rc != 0) m->row = r;
  }
  return rc;
}

/* The wire type of a non-NULL value. */
static enum enum_field_types wire_type(const aiodb_value *v) {
  switch (v->type) {
    case AIODB_TYPE_INT: return MYSQL_TYPE_LONGLONG;
    case AIODB_TYPE_FLOAT: return MYSQL_TYPE_DOUBLE;
    case AIODB_TYPE_TEXT: return MYSQL_TYPE_STRING;
    case AIODB_TYPE_BLOB: return MYSQL_TYPE_BLOB;
    default: return MYSQL_TYPE_NULL;
  }
}

/* How many rows from first (at most n) go in one bulk run, with the
 * types of its columns (MYSQL_TYPE_NULL: NULL in every row) in c->in. */
static size_t bulk_run(my_conn *c, const aiodb__stmt *s, size_t first, size_t n) {
  size_t r, i, bytes = 0, budget = packet_budget(c, BULK_BYTES);
  for (i = 0; i < s->nargs; i++) c->in[i].buffer_type = MYSQL_TYPE_NULL;
  for (r = 0; r < n; r++) {
    const aiodb_value *row = s->args + (first + r) * s->nargs;
    size_t row_bytes = s->nargs; /* an indicator each */
    for (i = 0; i < s->nargs; i++) {
      enum enum_field_types t = wire_type(&row[i]);
      if (t == MYSQL_TYPE_NULL) continue;
      if (c->in[i].buffer_type != MYSQL_TYPE_NULL && c->in[i].buffer_type != t) return r;
      row_bytes += t == MYSQL_TYPE_STRING || t == MYSQL_TYPE_BLOB ? row[i].len + 9 : 8;
    }
    if (r > 0 && bytes + row_bytes > budget) return r;
    for (i = 0; i < s->nargs; i++)
      if (row[i].type != AIODB_TYPE_NULL) c->in[i].buffer_type = wire_type(&row[i]);
    bytes += row_bytes;
  }
  return n;
}

/* Connector/C's callback for a bulk run: points the bound parameters at
 * row nr of the run (c->bulk_args). */
static my_bool bulk_row(void *ud, MYSQL_BIND *b, unsigned int nr) {
  my_conn *c = ud;
  const aiodb_value *row = c->bulk_args + (size_t)nr * c->bulk_nargs;
  size_t i;
  for (i = 0; i < c->bulk_nargs; i++) {
    const aiodb_value *v = &row[i];
    c->bulk_slot[i].ind = v->type == AIODB_TYPE_NULL ? STMT_INDICATOR_NULL : STMT_INDICATOR_NONE;
    c->bulk_slot[i].len = 0;
    switch (v->type) {
      case AIODB_TYPE_INT: b[i].buffer = (void *)&v->u.i; break;
      case AIODB_TYPE_FLOAT: b[i].buffer = (void *)&v->u.f; break;
      case AIODB_TYPE_TEXT:
      case AIODB_TYPE_BLOB:
        b[i].buffer = (void *)(v->len ? v->u.p : "");
        c->bulk_slot[i].len = (unsigned long)v->len;
        break;
      default: b[i].buffer = NULL; break;
    }
    b[i].buffer_length = c->bulk_slot[i].len;
  }
  return 0;
}

/* Sets (on) or clears the statement's bulk attributes. */
static int bulk_attrs(my_conn *c, MYSQL_STMT *stmt, unsigned rows) {
  union {
    ps_param_callback fn;
    const void *p;
  } cb;
  cb.p = NULL;
  if (rows > 0) cb.fn = bulk_row;
  return mysql_stmt_attr_set(stmt, STMT_ATTR_CB_USER_DATA, rows > 0 ? c : NULL) ||
         mysql_stmt_attr_set(stmt, STMT_ATTR_CB_PARAM, cb.p) ||
         mysql_stmt_attr_set(stmt, STMT_ATTR_ARRAY_SIZE, &rows);
}

/* Sends rows first..first+n-1 in one COM_STMT_BULK_EXECUTE, the types of
 * their columns in c->in. */
static int bulk_execute(my_conn *c, my_stmt *st, const aiodb__stmt *s, size_t first,
                        size_t n, aiodb_result *res, aiodb__many *m, aiodb__err *e) {
  size_t i;
  int rc = 0;
  for (i = 0; i < s->nargs; i++) {
    enum enum_field_types t = c->in[i].buffer_type;
    memset(&c->in[i], 0, sizeof c->in[i]);
    c->in[i].buffer_type = t;
    c->in[i].length = &c->bulk_slot[i].len;
    c->in[i].u.indicator = &c->bulk_slot[i].ind;
  }
  c->bulk_args = s->args + first * s->nargs;
  c->bulk_nargs = s->nargs;
  if (bulk_attrs(c, st->stmt, (unsigned)n) || mysql_stmt_bind_param(st->stmt, c->in) ||
      mysql_stmt_execute(st->stmt)) {
    rc = stmt_err(c, st->stmt, e);
  } else {
    my_ulonglong a = mysql_stmt_affected_rows(st->stmt);
    if (a != (my_ulonglong)-1) m->affected += (int64_t)a;
    aiodb__result_set_last_id(res, (int64_t)mysql_stmt_insert_id(st->stmt));
    if (first == 0) aiodb__result_set_cols(res, 0);
  }
  mysql_stmt_free_result(st->stmt);
  if (bulk_attrs(c, st->stmt, 0) && rc == 0) rc = stmt_err(c, st->stmt, e);
  return rc;
}

/* Sends rows first..first+n-1 of st's single-row statement as one
 * statement of n rows: wide, prepared for n rows. */
static int wide_execute(my_conn *c, my_stmt *wide, const aiodb__stmt *s, size_t first,
                        size_t n, aiodb_result *res, aiodb__many *m, aiodb__err *e) {
  int rc = bind_params(c, wide, s->args + first * s->nargs, n * s->nargs, e);
  return rc != 0 ? rc : execute(c, wide, res, first == 0, &m->affected, e);
}

typedef int (*run_fn)(my_conn *c, my_stmt *st, const aiodb__stmt *s, size_t first,
                      size_t n, aiodb_result *res, aiodb__many *m, aiodb__err *e);

/* A run (bulk or wide) in a SAVEPOINT; on a failure, see the section's
 * head: row by row on st. */
static int run_in_savepoint(my_conn *c, run_fn run, my_stmt *how, my_stmt *st,
                            const aiodb__stmt *s, size_t first, size_t n,
                            aiodb_result *res, aiodb__many *m, aiodb__err *e) {
  aiodb__err ignored;
  int rc;
  if ((rc = my_exec_own(c, "SAVEPOINT aiodb_bulk", e)) != 0) {
    m->row = first;
    return rc;
  }
  if ((rc = run(c, how, s, first, n, res, m, e)) == 0) return 0;
  m->row = first;
  if (rc == AIODB_ECONNLOST || rc == AIODB_ECANCELED || rc == AIODB_ETIMEDOUT) return rc;
  if (my_exec_own(c, "ROLLBACK TO SAVEPOINT aiodb_bulk", &ignored) != 0) return rc;
  if (mysql_warning_count(c->my) > 0) { /* changes kept that could not be undone */
    char head[64];
    size_t hl = (size_t)snprintf(head, sizeof head, "rows %zu to %zu: ", first + 1, first + n);
    size_t ml = strnlen(e->message, sizeof e->message - 1);
    if (hl + ml >= sizeof e->message) ml = sizeof e->message - 1 - hl;
    memmove(e->message + hl, e->message, ml);
    memcpy(e->message, head, hl);
    e->message[hl + ml] = '\0';
    m->whole = 1;
    return rc;
  }
  if (run == bulk_execute && e->native_code == ER_UNSUPPORTED_PS)
    st->no_bulk = 1; /* say, INSERT ... SELECT */
  memset(e, 0, sizeof *e);
  return rows_one_by_one(c, st, s, first, n, res, m, e);
}

/* Room for nargs bulk slots; 0 when there is none (then row by row). */
static int bulk_room(my_conn *c, size_t nargs) {
  struct my_slot *slot;
  if (nargs <= c->bulk_cap) return 1;
  if ((slot = aiodb__realloc(c->bulk_slot, nargs * sizeof *slot)) == NULL) return 0;
  c->bulk_slot = slot;
  c->bulk_cap = nargs;
  return 1;
}

/* Rows first..first+n-1 in bulk runs, or one by one where the server
 * takes no bulk. */
static int in_bulk(my_conn *c, my_stmt *st, const aiodb__stmt *s, size_t first, size_t n,
                   aiodb_result *res, aiodb__many *m, aiodb__err *e) {
  size_t run;
  int rc = 0;
  if (!c->many_bulk || st->no_bulk) return rows_one_by_one(c, st, s, first, n, res, m, e);
  /* c->in holds the run's types (bind_params grows it) */
  if (!bulk_room(c, s->nargs) || (rc = bind_params(c, st, s->args + first * s->nargs,
                                                   s->nargs, e)) != 0) {
    if (rc != 0) m->row = first;
    return rc != 0 ? rc : rows_one_by_one(c, st, s, first, n, res, m, e);
  }
  for (; rc == 0 && n > 0; first += run, n -= run) {
    run = bulk_run(c, s, first, n);
    if (run == 1 || st->no_bulk)
      rc = rows_one_by_one(c, st, s, first, run, res, m, e);
    else
      rc = run_in_savepoint(c, bulk_execute, st, st, s, first, run, res, m, e);
  }
  return rc;
}

/* How many rows from first (at most n) fit one wide execute's packet. */
static size_t wide_run(my_conn *c, const aiodb__stmt *s, size_t first, size_t n) {
  size_t budget = packet_budget(c, MULTI_BYTES), r, i, bytes = 0;
  for (r = 0; r < n; r++) {
    const aiodb_value *row = s->args + (first + r) * s->nargs;
    size_t row_bytes = (s->nargs + 7) / 8 + 2 * s->nargs; /* NULL bits, types */
    for (i = 0; i < s->nargs; i++) {
      if (row[i].type == AIODB_TYPE_TEXT || row[i].type == AIODB_TYPE_BLOB)
        row_bytes += row[i].len + 9;
      else if (row[i].type != AIODB_TYPE_NULL)
        row_bytes += 8;
    }
    if (bytes + row_bytes > budget) return r;
    bytes += row_bytes;
  }
  return n;
}

/* st's single-row statement as one of n rows, prepared (for its own). */
static my_stmt *wide_prepare(my_conn *c, my_stmt *st, const aiodb__stmt *s, size_t n,
                             aiodb__err *e) {
  size_t tail = s->sql_len - st->tail_off, len, r;
  char *sql, *p;
  my_stmt *wide;
  if (n > (SIZE_MAX - s->sql_len) / (st->tuple_len + 1) ||
      (sql = aiodb__malloc((len = s->sql_len + (n - 1) * (st->tuple_len + 1)) + 1)) == NULL) {
    aiodb__err_set(e, AIODB_ENOMEM, "out of memory");
    return NULL;
  }
  memcpy(sql, s->sql, st->tuple_off);
  p = sql + st->tuple_off;
  for (r = 0; r < n; r++) {
    if (r > 0) *p++ = ',';
    memcpy(p, s->sql + st->tuple_off, st->tuple_len);
    p += st->tuple_len;
  }
  memcpy(p, s->sql + st->tail_off, tail);
  p[tail] = '\0';
  wide = stmt_prepare(c, sql, len, e);
  aiodb__free(sql);
  if (wide != NULL && mysql_stmt_param_count(wide->stmt) != n * s->nargs) {
    stmt_free(wide);
    wide = NULL;
    aiodb__err_set(e, AIODB_EINVAL, "the many-row statement counts other placeholders");
  }
  return wide;
}

/* Rows first..first+n-1 in runs of one statement of many rows; on
 * MariaDB's bulk or row by row where that cannot be. */
static int in_wide(my_conn *c, my_stmt *st, const aiodb__stmt *s, size_t first, size_t n,
                   size_t full, aiodb_result *res, aiodb__many *m, aiodb__err *e) {
  size_t run;
  my_stmt *wide, **slot;
  size_t *slot_rows;
  int rc = 0;
  for (; rc == 0 && n > 0; first += run, n -= run) {
    if (st->multi < 0) return in_bulk(c, st, s, first, n, res, m, e);
    if ((run = wide_run(c, s, first, n)) < 2) {
      run = run == 0 ? 1 : run;
      rc = in_bulk(c, st, s, first, run, res, m, e);
      continue;
    }
    slot = run == full ? &st->wide : &st->odd;
    slot_rows = run == full ? &st->wide_rows : &st->odd_rows;
    if (*slot != NULL && *slot_rows == run) {
      wide = *slot;
    } else if ((wide = wide_prepare(c, st, s, run, e)) == NULL) {
      if (e->code == AIODB_ECONNLOST || e->code == AIODB_ECANCELED ||
          e->code == AIODB_ETIMEDOUT) {
        m->row = first;
        return e->code;
      }
      memset(e, 0, sizeof *e);
      st->multi = -1; /* the server will not have it: as before */
      run = 0;
      continue;
    } else {
      stmt_free(*slot);
      *slot = wide;
      *slot_rows = run;
    }
    rc = run_in_savepoint(c, wide_execute, wide, st, s, first, run, res, m, e);
  }
  return rc;
}

static int my_many_rows(void *native, const aiodb__stmt *s, size_t first,
                        size_t n, aiodb_result *res, aiodb__many *m,
                        aiodb__err *e) {
  my_conn *c = native;
  my_stmt *st = m->stmt;
  if (m->chunk == 1) return rows_one_by_one(c, st, s, first, n, res, m, e);
  if (c->many_wide > 0 && st->multi > 0)
    return in_wide(c, st, s, first, n, c->many_wide, res, m, e);
  return in_bulk(c, st, s, first, n, res, m, e);
}

static void my_many_close(void *native, aiodb__many *m) {
  (void)native;
  put_stmt(m->stmt);
}


static const aiodb__many_ops my_many = {
    .in_tx = my_in_tx,
    .exec_own = my_exec_own,
    .prepare = my_many_prepare,
    .rows = my_many_rows,
    .close = my_many_close,
};

/* ---- cursors: the rows stream in, read a batch at a time ---- */

static int my_cursor_open(void *native, const aiodb__stmt *s, void **out,
                          aiodb__err *e) {
  my_conn *c = native;
  my_cursor *cur;
  my_stmt *st;
  int rc;

  if (holds_nothing(s->sql, s->sql + s->sql_len))
    return aiodb__err_set(e, AIODB_EINVAL, "a cursor takes exactly one statement");
  aiodb__stmt_begin();
  /* A statement of its own (not the cache's): its rows stay pending on the
   * connection until the cursor is done. */
  if ((st = stmt_prepare(c, s->sql, s->sql_len, e)) == NULL) {
    aiodb__stmt_end();
    if (e->native_code == ER_EMPTY_QUERY)
      return aiodb__err_set(e, AIODB_EINVAL, "a cursor takes exactly one statement");
    return e->code;
  }
  rc = bind_params(c, st, s->args, s->nargs, e);
  if (rc == 0 && mysql_stmt_execute(st->stmt) != 0) rc = stmt_err(c, st->stmt, e);
  if (rc == 0) rc = bind_result(c, st, e);
  if (rc == 0 && (cur = aiodb__calloc(1, sizeof *cur)) == NULL)
    rc = aiodb__err_set(e, AIODB_ENOMEM, "out of memory");
  aiodb__stmt_end();
  if (rc != 0) {
    stmt_free(st); /* reads what is left, so the connection stays usable */
    return rc;
  }
  cur->st = st;
  cur->done = st->ncols == 0;
  *out = cur;
  return 0;
}

static int my_cursor_fetch(void *native, void *curp, size_t max_rows,
                           aiodb_result *res, aiodb__err *e) {
  my_conn *c = native;
  my_cursor *cur = curp;
  size_t n;
  int rc = 0, done = 0;

  aiodb__result_reset(res);
  if (set_columns(res, cur->st->stmt->fields, cur->st->ncols, e) != 0) return e->code;
  if (cur->done || max_rows == 0) return 0;
  aiodb__stmt_begin();
  rc = fetch_rows(c, cur->st, res, max_rows, &n, &done, e);
  if (rc != 0 || done) {
    cur->done = 1;
    finish(cur->st);
  }
  aiodb__stmt_end();
  return rc;
}

static void my_cursor_close(void *native, void *curp) {
  my_conn *c = native;
  my_cursor *cur = curp;
  if (!cur->done && !conn_lost(c)) {
    /* Rows are still coming: stop the query rather than read them all,
     * through the interrupter. If the KILL has not got through in time (a
     * server that does not answer it), the connection is given up (its
     * socket shut down, so that the next call on it fails and it is
     * replaced) rather than read to the end of a result that may never
     * end. */
    aiodb__stmt_begin();
    if (aiodb__stmt_interrupt_wait() != 0)
      shutdown((int)mysql_get_socket(c->my), SHUT_RDWR);
    finish(cur->st);
    aiodb__stmt_end();
  }
  stmt_free(cur->st);
  aiodb__free(cur);
}

/* ---- a handle of the program's (aiodb_open_native) ---- */

static int refuse(aiodb_error *err, const char *why) {
  return aiodb__error_set(err, AIODB_EINVAL, "aiodb_open_native: the MYSQL* %s", why);
}

/* A copy of s into *dst, unless s is NULL or empty. */
static int copy_set(char **dst, const char *s) {
  return s == NULL || s[0] == '\0' ? 0 : set_str(dst, s);
}

static int my_adopt(void *handle, const aiodb_options *opts, void **out,
                    aiodb_error *err) {
  MYSQL *m = handle;
  unsigned status = 0;
  my_bool verify = 0;
  my_cfg *c;
  (void)opts;

  pthread_once(&library_once, library_init);
  if (library_rc != 0)
    return aiodb__error_set(err, AIODB_ECONNECT,
                            "the MariaDB client library failed to initialize");
  if (m->net.pvio == NULL) return refuse(err, "is not connected");
  if (m->status != MYSQL_STATUS_READY)
    return refuse(err, "has a result not yet read to its end (fetch its rows "
                       "and mysql_free_result it first)");
  if (mysql_more_results(m))
    return refuse(err, "has more results pending (read them with "
                       "mysql_next_result first)");
  if (mariadb_get_infov(m, MARIADB_CONNECTION_SERVER_STATUS, &status) != 0)
    return refuse(err, "does not tell its server status");
  if (status & SERVER_STATUS_IN_TRANS)
    return refuse(err, "is inside a transaction; commit or roll it back first");
  if (!(status & SERVER_STATUS_AUTOCOMMIT))
    return refuse(err, "has autocommit off; aiodb needs it on "
                       "(mysql_autocommit(m, 1))");
  c = aiodb__calloc(1, sizeof *c);
  if (c == NULL) return aiodb__error_set(err, AIODB_ENOMEM, "out of memory");
  /* For the side connection that sends KILL QUERY: the same server, the
   * same credentials, TLS if the handle has it. */
  if (copy_set(&c->host, m->host) || copy_set(&c->user, m->user) ||
      copy_set(&c->password, m->passwd) || copy_set(&c->unix_socket, m->unix_socket) ||
      set_str(&c->charset, "utf8mb4") ||
      (mysql_get_ssl_cipher(m) != NULL &&
       (copy_set(&c->ssl_ca, m->options.ssl_ca) ||
        copy_set(&c->ssl_capath, m->options.ssl_capath) ||
        copy_set(&c->ssl_cert, m->options.ssl_cert) ||
        copy_set(&c->ssl_key, m->options.ssl_key) ||
        copy_set(&c->ssl_cipher, m->options.ssl_cipher)))) {
    cfg_destroy(c);
    return aiodb__error_set(err, AIODB_ENOMEM, "out of memory");
  }
  c->port = m->port;
  c->connect_timeout = 10;
  if (mysql_get_ssl_cipher(m) != NULL) {
    mysql_get_optionv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
    c->ssl_mode = verify && (c->ssl_ca || c->ssl_capath) ? SSL_VERIFY_IDENTITY : SSL_REQUIRED;
  }
  *out = c;
  return 0;
}

static int my_attach(void *cfgp, void *handle, int close_at_end,
                     unsigned statement_cache, void **native, aiodb__err *e) {
  MYSQL *m = handle;
  my_bool off = 0;
  unsigned long flags = 0;
  my_conn *c = aiodb__calloc(1, sizeof *c);
  if (c != NULL && aiodb__stmt_cache_init(&c->cache, statement_cache, finalize, NULL) != 0) {
    aiodb__free(c);
    c = NULL;
  }
  if (c == NULL) {
    if (close_at_end) mysql_close(m);
    return aiodb__err_set(e, AIODB_ENOMEM, "out of memory");
  }
  c->my = m;
  c->cfg = cfgp;
  c->keep = !close_at_end;
  aiodb__conn_socket((int)mysql_get_socket(m));
  /* A reconnect behind aiodb's back would lose its prepared statements
   * and its thread id for KILL QUERY: a broken connection stays broken. */
  mysql_get_optionv(m, MYSQL_OPT_RECONNECT, &c->was_reconnect);
  if (c->was_reconnect) mysql_optionsv(m, MYSQL_OPT_RECONNECT, &off);
  /* Several statements in one text, as aiodb_open's connections take. */
  mariadb_get_infov(m, MARIADB_CONNECTION_CLIENT_CAPABILITIES, &flags);
  if (!(flags & CLIENT_MULTI_STATEMENTS)) {
    if (mysql_set_server_option(m, MYSQL_OPTION_MULTI_STATEMENTS_ON) != 0) {
      conn_err(c, e);
      c->keep = 1;
      my_disconnect(c);
      if (close_at_end) mysql_close(m);
      return e->code;
    }
    c->multi_on = 1;
  }
  *native = c;
  return 0;
}

/* Before the handle goes back to the program: no transaction, the
 * session's options as they were (our statements are closed by then). */
static void give_back(my_conn *c) {
  if (!conn_lost(c)) {
    if (my_in_tx(c)) mysql_real_query(c->my, "ROLLBACK", 8);
    if (c->multi_on) mysql_set_server_option(c->my, MYSQL_OPTION_MULTI_STATEMENTS_OFF);
  }
  if (c->was_reconnect) mysql_optionsv(c->my, MYSQL_OPT_RECONNECT, &c->was_reconnect);
}

static const char *my_client_version(void) { return mysql_get_client_info(); }

const aiodb__driver aiodb__driver_mysql = {
    .name = "mysql",
    .param_style = "?",
    .dialect = AIODB__DIALECT_MYSQL,
    .pstyle = AIODB__PSTYLE_QMARK,
    .default_max_size = 10,
    .default_max_lifetime_ms = 1800000,
    .ping = my_ping,
    .configure = my_configure,
    .free_config = my_free_config,
    .connect = my_connect,
    .disconnect = my_disconnect,
    .handle = my_handle,
    .exec = my_exec,
    .many = &my_many,
    .cursor_open = my_cursor_open,
    .cursor_fetch = my_cursor_fetch,
    .cursor_close = my_cursor_close,
    .sql_table_names = "SELECT table_name AS name FROM information_schema.tables WHERE "
                       "table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY 1",
    .sql_has_table = "SELECT CASE WHEN EXISTS (SELECT 1 FROM information_schema.tables "
                     "WHERE table_schema = DATABASE() AND table_name = ?) THEN 1 ELSE 0 "
                     "END AS present",
    .sql_server_info = "SELECT 'mysql' AS driver, VERSION() AS server_version, "
                       "CAST(? AS CHAR) AS client_version, CAST(? AS CHAR) AS "
                       "aiodb_version",
    .sql_columns = "SELECT c.column_name AS name, c.column_type AS type, c.is_nullable = 'YES' AS "
        "nullable, CASE WHEN c.column_default = 'NULL' THEN NULL ELSE c.column_default "
        "END AS `default`, COALESCE(k.seq_in_index, 0) AS pk, c.is_generated = "
        "'ALWAYS' AS generated, c.extra LIKE '%auto_increment%' AS autoincrement FROM "
        "information_schema.columns c LEFT JOIN information_schema.statistics k ON "
        "k.table_schema = c.table_schema AND k.table_name = c.table_name AND "
        "k.column_name = c.column_name AND k.index_name = 'PRIMARY' WHERE "
        "c.table_schema = DATABASE() AND c.table_name = ? ORDER BY c.ordinal_position",
    .sql_indexes = "SELECT index_name AS name, non_unique = 0 AS `unique`, seq_in_index AS "
        "position, column_name AS `column` FROM information_schema.statistics WHERE "
        "table_schema = DATABASE() AND table_name = ? ORDER BY 1, 3",
    .sql_view_names = "SELECT table_name AS name FROM information_schema.views WHERE table_schema = "
        "DATABASE() ORDER BY 1",
    .client_version = my_client_version,
    /* interrupt NULL: through the interrupter */
    .is_broken = my_is_broken,
    .thread_start = my_thread_start,
    .thread_stop = my_thread_stop,
    /* exec_batch NULL: one statement at a time */
    .tx_ended = my_tx_ended,
    .interrupt_open = my_interrupt_open,
    .interrupt_send = my_interrupt_send,
    /* interrupt_close NULL: the token is a number */
    .last_error = my_last_error,
    .adopt = my_adopt,
    .attach = my_attach,
    .sql_read_only = "SET SESSION TRANSACTION READ ONLY",
};
