/* URL parsing, option lookup and option value parsing (lib/url.c). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "url.h"

#define SECRET "hunter2"

static void parse_ok(const char *s, aiodb__url *u) {
  aiodb_error err;
  int rc;

  memset(&err, 0, sizeof err);
  rc = aiodb__url_parse(s, u, &err);
  ck_assert_msg(rc == 0, "'%s' failed: %s", s, err.message);
}

/* Parses s, expects code with needle in the message, checks that neither
 * the password (raw or decoded) nor the URL leaks and that nothing is
 * left to free. */
static void parse_fails(const char *s, int code, const char *needle) {
  aiodb__url u;
  aiodb_error err;
  int rc;

  memset(&u, 0xA5, sizeof u);
  memset(&err, 0, sizeof err);
  rc = aiodb__url_parse(s, &u, &err);
  ck_assert_msg(rc == code, "'%s': got %d (%s), want %d", s ? s : "(null)", rc,
                err.message, code);
  ck_assert_int_eq(err.code, code);
  ck_assert_msg(strstr(err.message, needle) != NULL,
                "'%s': message '%s' lacks '%s'", s ? s : "(null)",
                err.message, needle);
  ck_assert_msg(strstr(err.message, SECRET) == NULL,
                "'%s': message '%s' leaks the password", s ? s : "(null)",
                err.message);
  ck_assert_msg(strstr(err.message, "hunter") == NULL,
                "'%s': message '%s' leaks part of the password",
                s ? s : "(null)", err.message);
  ck_assert_msg(u.scheme == NULL && u.user == NULL && u.password == NULL &&
                    u.host == NULL && u.port == 0 && u.path == NULL &&
                    u.query == NULL && u.nquery == 0 && u.hosts == NULL && u.nhosts == 0,
                "'%s': *out not left empty", s ? s : "(null)");
  /* err may be NULL */
  ck_assert_int_eq(aiodb__url_parse(s, &u, NULL), code);
}

START_TEST(url_postgres_full) {
  aiodb__url u;

  parse_ok("postgresql://u:p@h:5432/db?sslmode=disable", &u);
  ck_assert_str_eq(u.scheme, "postgresql");
  ck_assert_str_eq(u.user, "u");
  ck_assert_str_eq(u.password, "p");
  ck_assert_str_eq(u.host, "h");
  ck_assert_uint_eq(u.port, 5432);
  ck_assert_str_eq(u.path, "db");
  ck_assert_uint_eq(u.nquery, 1);
  ck_assert_str_eq(u.query[0].key, "sslmode");
  ck_assert_str_eq(u.query[0].value, "disable");
  ck_assert_int_eq(u.query[0].used, 0);
  aiodb__url_free(&u);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(url_sqlite_forms) {
  aiodb__url u;

  parse_ok("sqlite:///rel.db", &u);
  ck_assert_str_eq(u.scheme, "sqlite");
  ck_assert_ptr_null(u.host);
  ck_assert_ptr_null(u.user);
  ck_assert_ptr_null(u.password);
  ck_assert_uint_eq(u.port, 0);
  ck_assert_str_eq(u.path, "rel.db");
  ck_assert_uint_eq(u.nquery, 0);
  ck_assert_ptr_null(u.query);
  aiodb__url_free(&u);

  parse_ok("sqlite:////abs/dir/x.db", &u);
  ck_assert_ptr_null(u.host);
  ck_assert_str_eq(u.path, "/abs/dir/x.db");
  aiodb__url_free(&u);

  parse_ok("sqlite://", &u);
  ck_assert_str_eq(u.scheme, "sqlite");
  ck_assert_ptr_null(u.host);
  ck_assert_ptr_null(u.path);
  ck_assert_uint_eq(u.nquery, 0);
  aiodb__url_free(&u);

  /* an empty path is absent too */
  parse_ok("sqlite:///", &u);
  ck_assert_ptr_null(u.path);
  aiodb__url_free(&u);

  parse_ok("sqlite:///:memory:", &u);
  ck_assert_str_eq(u.path, ":memory:");
  ck_assert_ptr_null(u.host);
  aiodb__url_free(&u);

  parse_ok("sqlite:///x.db?mode=ro&cache=shared", &u);
  ck_assert_str_eq(u.path, "x.db");
  ck_assert_uint_eq(u.nquery, 2);
  ck_assert_str_eq(u.query[1].key, "cache");
  ck_assert_str_eq(u.query[1].value, "shared");
  aiodb__url_free(&u);

  parse_ok("sqlite://?mode=memory", &u);
  ck_assert_ptr_null(u.path);
  ck_assert_ptr_null(u.host);
  ck_assert_uint_eq(u.nquery, 1);
  aiodb__url_free(&u);

  /* the path keeps '+', '@' and ':' as they are */
  parse_ok("sqlite:///a+b@c:d.db", &u);
  ck_assert_ptr_null(u.user);
  ck_assert_str_eq(u.path, "a+b@c:d.db");
  aiodb__url_free(&u);

  /* the helper's own form */
  parse_ok(aiodb_test_sqlite_url(), &u);
  ck_assert_ptr_null(u.host);
  ck_assert_ptr_nonnull(u.path);
  ck_assert_int_eq(u.path[0], '/');
  aiodb__url_free(&u);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(url_scheme) {
  aiodb__url u;

  parse_ok("PostgreSQL://h", &u);
  ck_assert_str_eq(u.scheme, "postgresql");
  ck_assert_str_eq(u.host, "h");
  ck_assert_ptr_null(u.path);
  aiodb__url_free(&u);

  parse_ok("My.SQL+ssl-2://h/", &u);
  ck_assert_str_eq(u.scheme, "my.sql+ssl-2");
  aiodb__url_free(&u);

  parse_ok("x://", &u);
  ck_assert_str_eq(u.scheme, "x");
  aiodb__url_free(&u);

  parse_fails("1pg://h/db", AIODB_EINVAL, "malformed URL");
  parse_fails("p_g://h/db", AIODB_EINVAL, "malformed URL");
  parse_fails("-pg://h/db", AIODB_EINVAL, "malformed URL");
  parse_fails("pg ://h/db", AIODB_EINVAL, "malformed URL");
  parse_fails("://h/db", AIODB_EINVAL, "malformed URL");
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(url_missing_scheme) {
  parse_fails("", AIODB_EINVAL, "malformed URL");
  parse_fails(NULL, AIODB_EINVAL, "malformed URL");
  parse_fails("localhost/db", AIODB_EINVAL, "malformed URL");
  parse_fails("pg:/h/db", AIODB_EINVAL, "malformed URL");
  parse_fails("pg:h", AIODB_EINVAL, "malformed URL");
  parse_fails("pg", AIODB_EINVAL, "malformed URL");
  parse_fails("pg:", AIODB_EINVAL, "malformed URL");
  parse_fails("pg:/", AIODB_EINVAL, "malformed URL");
  parse_fails("sqlite::memory:", AIODB_EINVAL, "malformed URL");
  /* what looks like user info before the scheme is not quoted back */
  parse_fails("u:" SECRET "@h/db", AIODB_EINVAL, "malformed URL");
  parse_fails("u:" SECRET "@h://db", AIODB_EINVAL, "malformed URL");
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(url_null_out) {
  aiodb_error err;

  memset(&err, 0, sizeof err);
  ck_assert_int_eq(aiodb__url_parse("pg://h", NULL, &err), AIODB_EINVAL);
  ck_assert_int_eq(err.code, AIODB_EINVAL);
  ck_assert_int_eq(aiodb__url_parse("pg://h", NULL, NULL), AIODB_EINVAL);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(url_userinfo) {
  aiodb__url u;

  parse_ok("pg://u@h/db", &u);
  ck_assert_str_eq(u.user, "u");
  ck_assert_ptr_null(u.password);
  ck_assert_str_eq(u.host, "h");
  aiodb__url_free(&u);

  /* an explicitly empty password is kept apart from none */
  parse_ok("pg://u:@h/db", &u);
  ck_assert_str_eq(u.user, "u");
  ck_assert_str_eq(u.password, "");
  aiodb__url_free(&u);

  parse_ok("pg://:pw@h/db", &u);
  ck_assert_ptr_null(u.user);
  ck_assert_str_eq(u.password, "pw");
  aiodb__url_free(&u);

  parse_ok("pg://@h", &u);
  ck_assert_ptr_null(u.user);
  ck_assert_ptr_null(u.password);
  ck_assert_str_eq(u.host, "h");
  aiodb__url_free(&u);

  parse_ok("pg://u:p@", &u);
  ck_assert_str_eq(u.user, "u");
  ck_assert_str_eq(u.password, "p");
  ck_assert_ptr_null(u.host);
  aiodb__url_free(&u);

  parse_ok("pg://u:p@/db", &u);
  ck_assert_ptr_null(u.host);
  ck_assert_uint_eq(u.port, 0);
  ck_assert_str_eq(u.path, "db");
  aiodb__url_free(&u);

  parse_ok("pg://%75s%65r%20x:p@h", &u);
  ck_assert_str_eq(u.user, "user x");
  aiodb__url_free(&u);

  /* '@' and ':' escaped in the user name */
  parse_ok("pg://a%40b%3Ac:p@h", &u);
  ck_assert_str_eq(u.user, "a@b:c");
  ck_assert_str_eq(u.password, "p");
  aiodb__url_free(&u);

  /* no '@': a ':' belongs to host:port */
  parse_ok("pg://h:6543", &u);
  ck_assert_ptr_null(u.user);
  ck_assert_ptr_null(u.password);
  ck_assert_str_eq(u.host, "h");
  ck_assert_uint_eq(u.port, 6543);
  aiodb__url_free(&u);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(url_password_escapes) {
  aiodb__url u;

  parse_ok("pg://u:p%40ss%3Aw%2Fd%25%3F%26%23@h/db", &u);
  ck_assert_str_eq(u.user, "u");
  ck_assert_str_eq(u.password, "p@ss:w/d%?&#");
  ck_assert_str_eq(u.host, "h");
  ck_assert_str_eq(u.path, "db");
  aiodb__url_free(&u);

  /* "%40" stays an '@' of the password, not a separator */
  parse_ok("pg://u:a%40h2@h", &u);
  ck_assert_str_eq(u.password, "a@h2");
  ck_assert_str_eq(u.host, "h");
  aiodb__url_free(&u);

  /* tolerant: an unescaped '@' in a password, split at the last one */
  parse_ok("pg://u:p@ss@w@h:5/db", &u);
  ck_assert_str_eq(u.user, "u");
  ck_assert_str_eq(u.password, "p@ss@w");
  ck_assert_str_eq(u.host, "h");
  ck_assert_uint_eq(u.port, 5);
  aiodb__url_free(&u);

  /* the first ':' separates user and password */
  parse_ok("pg://u:a:b:c@h", &u);
  ck_assert_str_eq(u.user, "u");
  ck_assert_str_eq(u.password, "a:b:c");
  aiodb__url_free(&u);

  /* '+' is not a space outside the query */
  parse_ok("pg://u+v:a+b@h+i/d+e", &u);
  ck_assert_str_eq(u.user, "u+v");
  ck_assert_str_eq(u.password, "a+b");
  ck_assert_str_eq(u.host, "h+i");
  ck_assert_str_eq(u.path, "d+e");
  aiodb__url_free(&u);

  /* a '@' after the authority is part of the path */
  parse_ok("pg://h/db@x", &u);
  ck_assert_ptr_null(u.user);
  ck_assert_str_eq(u.host, "h");
  ck_assert_str_eq(u.path, "db@x");
  ck_assert(u.at_after_host);
  aiodb__url_free(&u);
  parse_ok("pg://u@h/db?application_name=me@x", &u);
  ck_assert_str_eq(u.query[0].value, "me@x");
  ck_assert(u.at_after_host);
  aiodb__url_free(&u);

  /* but not after a password in the path or an option name: an unescaped
   * '@' then '?' or '/' in the password cut it short, its first piece read
   * as the host and the rest as an option or the path; refused, with
   * nothing of it quoted */
  parse_fails("pg://u:" SECRET "@x?y@h:5432/db", AIODB_EINVAL, "percent-encode");
  parse_fails("pg://u:x@" SECRET "?y@h:5432/db", AIODB_EINVAL, "percent-encode");
  parse_fails("pg://u:x@" SECRET "/y@h:5432/db", AIODB_EINVAL, "percent-encode");
  parse_fails("mysql://u:x@y?" SECRET "@h/db", AIODB_EINVAL, "percent-encode");
  parse_fails("mysql://u:x@y?a=1&" SECRET "@h/db", AIODB_EINVAL, "percent-encode");
  parse_fails("pg://u:x@y/" SECRET "@h/db", AIODB_EINVAL, "percent-encode");
  parse_fails("pg://u:@" SECRET "/y@h/db", AIODB_EINVAL, "percent-encode");
  /* in an option value it may be an '@' of the value's own (MySQL's user
   * variables): parsed, but option names are not quoted */
  parse_ok("mysql://u:" SECRET "@h/db?init_command=SET%20@x%3D5&a=b", &u);
  ck_assert_str_eq(u.query[0].value, "SET @x=5");
  ck_assert(u.at_after_host);
  aiodb__url_free(&u);
  parse_ok("pg://u:" SECRET "@h/db?application_name=me%40x", &u);
  ck_assert_str_eq(u.query[0].value, "me@x");
  ck_assert(!u.at_after_host);
  aiodb__url_free(&u);

  /* UTF-8 escapes */
  parse_ok("pg://u:%C3%A9t%C3%A9@h", &u);
  ck_assert_str_eq(u.password, "\xC3\xA9t\xC3\xA9");
  aiodb__url_free(&u);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(url_host_port) {
  aiodb__url u;

  parse_ok("mysql://db.example.com:3306/app", &u);
  ck_assert_str_eq(u.scheme, "mysql");
  ck_assert_str_eq(u.host, "db.example.com");
  ck_assert_uint_eq(u.port, 3306);
  ck_assert_str_eq(u.path, "app");
  aiodb__url_free(&u);

  parse_ok("pg://:5433/db", &u);
  ck_assert_ptr_null(u.host);
  ck_assert_uint_eq(u.port, 5433);
  aiodb__url_free(&u);

  parse_ok("pg://h:1", &u);
  ck_assert_uint_eq(u.port, 1);
  aiodb__url_free(&u);

  parse_ok("pg://h:65535", &u);
  ck_assert_uint_eq(u.port, 65535);
  aiodb__url_free(&u);

  parse_ok("pg://h:00080", &u);
  ck_assert_uint_eq(u.port, 80);
  aiodb__url_free(&u);

  parse_ok("pg://h?x=1", &u);
  ck_assert_str_eq(u.host, "h");
  ck_assert_ptr_null(u.path);
  ck_assert_uint_eq(u.nquery, 1);
  aiodb__url_free(&u);

  parse_ok("pg://h:7?x=1", &u);
  ck_assert_uint_eq(u.port, 7);
  ck_assert_ptr_null(u.path);
  aiodb__url_free(&u);

  /* a Unix socket folder as an escaped host */
  parse_ok("pg://%2Fvar%2Frun%2Fpostgresql/db", &u);
  ck_assert_str_eq(u.host, "/var/run/postgresql");
  ck_assert_str_eq(u.path, "db");
  aiodb__url_free(&u);

  /* the path keeps its escapes' meaning: "%2F" is a '/' */
  parse_ok("pg://h/a%2Fb%20c%3F", &u);
  ck_assert_str_eq(u.path, "a/b c?");
  aiodb__url_free(&u);

  parse_ok("pg://h/a/b/c", &u);
  ck_assert_str_eq(u.path, "a/b/c");
  aiodb__url_free(&u);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(url_ipv6) {
  aiodb__url u;

  parse_ok("pg://u:p@[::1]:5432/db", &u);
  ck_assert_str_eq(u.host, "::1");
  ck_assert_uint_eq(u.port, 5432);
  ck_assert_str_eq(u.path, "db");
  aiodb__url_free(&u);

  parse_ok("pg://[2001:db8::42]", &u);
  ck_assert_str_eq(u.host, "2001:db8::42");
  ck_assert_uint_eq(u.port, 0);
  ck_assert_ptr_null(u.path);
  aiodb__url_free(&u);

  parse_ok("pg://[fe80::1%25eth0]:1/", &u);
  ck_assert_str_eq(u.host, "fe80::1%eth0");
  ck_assert_uint_eq(u.port, 1);
  aiodb__url_free(&u);

  parse_ok("pg://[]", &u);
  ck_assert_ptr_null(u.host);
  aiodb__url_free(&u);

  parse_fails("pg://u:" SECRET "@[::1/db", AIODB_EINVAL, "malformed URL");
  parse_fails("pg://u:" SECRET "@[::1]x/db", AIODB_EINVAL, "malformed URL");
  parse_fails("pg://u:" SECRET "@[::1]:/db", AIODB_EINVAL, "invalid port");
  parse_fails("pg://u:" SECRET "@[::1]:99999/db", AIODB_EINVAL,
              "invalid port");
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(url_bad_port) {
  static const char *ports[] = {
      "0",   "65536", "99999999999999999999999", "", "-1", "+5",
      "5a",  "a5",    " 5", "5 ", "0x10", "1.5", "5:6", SECRET,
  };
  aiodb__url u;
  aiodb_error err;
  char buf[256];
  size_t i;

  for (i = 0; i < sizeof ports / sizeof ports[0]; i++) {
    snprintf(buf, sizeof buf, "postgresql://u:" SECRET "@h:%s/db", ports[i]);
    parse_fails(buf, AIODB_EINVAL, "invalid port");
    snprintf(buf, sizeof buf, "postgresql://h:%s", ports[i]);
    parse_fails(buf, AIODB_EINVAL, "invalid port");
  }
  /* unbracketed IPv6 reads as host ':' and a bad port */
  parse_fails("pg://::1/db", AIODB_EINVAL, "invalid port");
  /* an unescaped '/' in the password cuts the authority short; the
   * message must not quote the piece it mistakes for a port */
  parse_fails("pg://u:" SECRET "/x@h/db", AIODB_EINVAL, "invalid port");
  memset(&err, 0, sizeof err);
  ck_assert_int_eq(aiodb__url_parse("pg://u:12345678/x@h/db", &u, &err),
                   AIODB_EINVAL);
  ck_assert_ptr_nonnull(strstr(err.message, "invalid port"));
  ck_assert_ptr_null(strstr(err.message, "1234"));
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(url_bad_escapes) {
  static const char *urls[] = {
      /* password */
      "pg://u:" SECRET "%G1@h/db",
      "pg://u:" SECRET "%4@h/db",
      "pg://u:" SECRET "%@h/db",
      "pg://u:" SECRET "%00@h/db",
      "pg://u:%1" SECRET "@h/db",
      /* user */
      "pg://%zz:" SECRET "@h/db",
      "pg://u%:" SECRET "@h/db",
      /* host */
      "pg://u:" SECRET "@h%2/db",
      "pg://u:" SECRET "@[::1%2]/db",
      /* path */
      "pg://u:" SECRET "@h/d%Gb",
      "pg://u:" SECRET "@h/db%4",
      "pg://u:" SECRET "@h/db%",
      "sqlite:///x%00.db",
      /* query key and value */
      "pg://u:" SECRET "@h/db?a%G=1",
      "pg://u:" SECRET "@h/db?a=%",
      "pg://u:" SECRET "@h/db?a=1&b=%4",
      "pg://u:" SECRET "@h/db?a=1&b=%x1&c=2",
  };
  size_t i;

  for (i = 0; i < sizeof urls / sizeof urls[0]; i++)
    parse_fails(urls[i], AIODB_EINVAL, "percent-escape");
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(url_query) {
  aiodb__url u;

  parse_ok("pg://h/db?a=1&b=x+y%2Bz&flag&c=&d=1=2&&e=%26%3D%25&", &u);
  ck_assert_uint_eq(u.nquery, 6);
  ck_assert_str_eq(u.query[0].key, "a");
  ck_assert_str_eq(u.query[0].value, "1");
  ck_assert_str_eq(u.query[1].key, "b");
  ck_assert_str_eq(u.query[1].value, "x y+z");
  ck_assert_str_eq(u.query[2].key, "flag");
  ck_assert_str_eq(u.query[2].value, "");
  ck_assert_str_eq(u.query[3].key, "c");
  ck_assert_str_eq(u.query[3].value, "");
  ck_assert_str_eq(u.query[4].key, "d");
  ck_assert_str_eq(u.query[4].value, "1=2");
  ck_assert_str_eq(u.query[5].key, "e");
  ck_assert_str_eq(u.query[5].value, "&=%");
  aiodb__url_free(&u);

  parse_ok("pg://h/db?", &u);
  ck_assert_str_eq(u.path, "db");
  ck_assert_uint_eq(u.nquery, 0);
  aiodb__url_free(&u);

  parse_ok("pg://h/db?&&&", &u);
  ck_assert_uint_eq(u.nquery, 0);
  aiodb__url_free(&u);

  /* escaped keys; '+' in a key is kept */
  parse_ok("pg://h/?a%20b=1&c+d=2", &u);
  ck_assert_ptr_null(u.path);
  ck_assert_uint_eq(u.nquery, 2);
  ck_assert_str_eq(u.query[0].key, "a b");
  ck_assert_str_eq(u.query[1].key, "c+d");
  aiodb__url_free(&u);

  /* a '?' in a value is just a character */
  parse_ok("pg://h/db?q=a?b", &u);
  ck_assert_str_eq(u.path, "db");
  ck_assert_str_eq(u.query[0].value, "a?b");
  aiodb__url_free(&u);

  parse_fails("pg://u:" SECRET "@h/db?=x", AIODB_EINVAL, "empty option");
  parse_fails("pg://u:" SECRET "@h/db?a=1&=x", AIODB_EINVAL, "empty option");
  parse_fails("pg://h/db?a=1&=", AIODB_EINVAL, "empty option");
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(url_opt_and_unused) {
  aiodb__url u;
  const aiodb__kv *kv;

  parse_ok("pg://h/db?a=1&b=2&a=3&c&A=4", &u);
  ck_assert_ptr_eq(aiodb__url_unused(&u), &u.query[0]);

  ck_assert_str_eq(aiodb__url_opt(&u, "a"), "3");  /* the last wins */
  ck_assert_int_eq(u.query[0].used, 1);
  ck_assert_int_eq(u.query[2].used, 1);
  ck_assert_int_eq(u.query[1].used, 0);
  kv = aiodb__url_unused(&u);
  ck_assert_ptr_nonnull(kv);
  ck_assert_str_eq(kv->key, "b");

  /* lookup is case-sensitive and leaves others alone */
  ck_assert_ptr_null(aiodb__url_opt(&u, "missing"));
  ck_assert_str_eq(aiodb__url_opt(&u, "b"), "2");
  kv = aiodb__url_unused(&u);
  ck_assert_str_eq(kv->key, "c");
  ck_assert_str_eq(aiodb__url_opt(&u, "c"), "");
  kv = aiodb__url_unused(&u);
  ck_assert_str_eq(kv->key, "A");
  ck_assert_str_eq(kv->value, "4");
  ck_assert_str_eq(aiodb__url_opt(&u, "A"), "4");
  ck_assert_ptr_null(aiodb__url_unused(&u));

  /* asking again still answers */
  ck_assert_str_eq(aiodb__url_opt(&u, "a"), "3");
  ck_assert_ptr_null(aiodb__url_opt(&u, NULL));
  ck_assert_ptr_null(aiodb__url_opt(NULL, "a"));
  ck_assert_ptr_null(aiodb__url_unused(NULL));
  aiodb__url_free(&u);

  parse_ok("pg://h/db", &u);
  ck_assert_ptr_null(aiodb__url_opt(&u, "a"));
  ck_assert_ptr_null(aiodb__url_unused(&u));
  aiodb__url_free(&u);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(url_free_harmless) {
  aiodb__url u;

  aiodb__url_free(NULL);
  parse_ok("pg://u:p@h:1/db?x=y", &u);
  aiodb__url_free(&u);
  ck_assert_ptr_null(u.scheme);
  ck_assert_ptr_null(u.password);
  ck_assert_ptr_null(u.query);
  ck_assert_uint_eq(u.nquery, 0);
  aiodb__url_free(&u);  /* freed twice: zeroed the first time */
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(url_out_of_memory) {
  static const char *url =
      "postgresql://us%20er:" SECRET "@[::1]:5432/db?a=1&b=x+y&flag";
  aiodb__url u;
  aiodb_error err;
  long n;
  int rc = -1;

  for (n = 0; n < 100; n++) {
    aiodb_test_fail_allocs_after(n);
    memset(&err, 0, sizeof err);
    rc = aiodb__url_parse(url, &u, &err);
    aiodb_set_allocator(NULL, NULL, NULL);
    if (rc == 0) break;
    ck_assert_int_eq(rc, AIODB_ENOMEM);
    ck_assert_int_eq(err.code, AIODB_ENOMEM);
    ck_assert_ptr_null(strstr(err.message, SECRET));
    ck_assert_ptr_null(u.scheme);
    ck_assert_ptr_null(u.query);
    ck_assert_int_eq(aiodb__alloc_live(), 0);
  }
  ck_assert_int_eq(rc, 0);
  ck_assert_int_gt(n, 5);
  ck_assert_str_eq(u.password, SECRET);
  ck_assert_str_eq(u.query[1].value, "x y");
  aiodb__url_free(&u);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(parse_uint_cases) {
  static const char *bad[] = {
      "",  "abc", "-1",  "+1",  " 1", "1 ", "1.5", "0x10", "1e3",
      "\xd9\xa1", "18446744073709551616999",
  };
  aiodb_error err;
  unsigned long v;
  char buf[64];
  size_t i;

  v = 99;
  ck_assert_int_eq(aiodb__parse_uint("k", "0", 0, 10, &v, NULL), 0);
  ck_assert_uint_eq(v, 0);
  ck_assert_int_eq(aiodb__parse_uint("k", "1", 1, 1000, &v, NULL), 0);
  ck_assert_uint_eq(v, 1);
  ck_assert_int_eq(aiodb__parse_uint("k", "1000", 1, 1000, &v, NULL), 0);
  ck_assert_uint_eq(v, 1000);
  ck_assert_int_eq(aiodb__parse_uint("k", "007", 1, 1000, &v, NULL), 0);
  ck_assert_uint_eq(v, 7);
  snprintf(buf, sizeof buf, "%lu", ULONG_MAX);
  ck_assert_int_eq(aiodb__parse_uint("k", buf, 0, ULONG_MAX, &v, NULL), 0);
  ck_assert_uint_eq(v, ULONG_MAX);

  memset(&err, 0, sizeof err);
  v = 42;
  ck_assert_int_eq(aiodb__parse_uint("max_size", "abc", 1, 1000, &v, &err),
                   AIODB_EINVAL);
  ck_assert_int_eq(err.code, AIODB_EINVAL);
  /* the value is not quoted: it may be a piece of a password */
  ck_assert_str_eq(err.message,
                   "option 'max_size' must be an integer between 1 and "
                   "1000");
  ck_assert_uint_eq(v, 42);  /* untouched on failure */

  /* out of range, both ends, and one past ULONG_MAX */
  ck_assert_int_eq(aiodb__parse_uint("max_size", "0", 1, 1000, &v, &err),
                   AIODB_EINVAL);
  ck_assert_str_eq(err.message,
                   "option 'max_size' must be an integer between 1 and "
                   "1000");
  ck_assert_int_eq(aiodb__parse_uint("k", "1001", 1, 1000, &v, &err),
                   AIODB_EINVAL);
  snprintf(buf, sizeof buf, "%lu0", ULONG_MAX);
  ck_assert_int_eq(aiodb__parse_uint("k", buf, 0, ULONG_MAX, &v, &err),
                   AIODB_EINVAL);
  if (ULONG_MAX == 18446744073709551615ul) {
    ck_assert_int_eq(aiodb__parse_uint("k", "18446744073709551616", 0,
                                       ULONG_MAX, &v, &err),
                     AIODB_EINVAL);
  }
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    memset(&err, 0, sizeof err);
    ck_assert_msg(aiodb__parse_uint("opt", bad[i], 0, ULONG_MAX, &v, &err) ==
                      AIODB_EINVAL,
                  "'%s' accepted", bad[i]);
    ck_assert_ptr_nonnull(strstr(err.message, "'opt'"));
  }
  ck_assert_int_eq(aiodb__parse_uint("opt", NULL, 0, 10, &v, &err),
                   AIODB_EINVAL);
  ck_assert_int_eq(aiodb__parse_uint("opt", "x", 0, 10, &v, NULL),
                   AIODB_EINVAL);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(parse_bool_cases) {
  static const struct {
    const char *s;
    int v;
  } good[] = {
      {"1", 1},    {"0", 0},    {"true", 1},  {"false", 0}, {"yes", 1},
      {"no", 0},   {"on", 1},   {"off", 0},   {"TRUE", 1},  {"False", 0},
      {"YeS", 1},  {"nO", 0},   {"ON", 1},    {"oFF", 0},
  };
  static const char *bad[] = {
      "", "2", "-1", "01", "truee", "tru", "t", "f", "y", "n", "of", "onn",
      " on", "on ", "enable", "none",
  };
  aiodb_error err;
  size_t i;
  int v;

  for (i = 0; i < sizeof good / sizeof good[0]; i++) {
    v = -1;
    ck_assert_msg(aiodb__parse_bool("k", good[i].s, &v, NULL) == 0,
                  "'%s' refused", good[i].s);
    ck_assert_int_eq(v, good[i].v);
  }
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    memset(&err, 0, sizeof err);
    v = -1;
    ck_assert_msg(aiodb__parse_bool("readonly", bad[i], &v, &err) ==
                      AIODB_EINVAL,
                  "'%s' accepted", bad[i]);
    ck_assert_int_eq(err.code, AIODB_EINVAL);
    ck_assert_int_eq(v, -1);
    ck_assert_ptr_nonnull(strstr(err.message, "'readonly'"));
    /* the value is not quoted */
    ck_assert_str_eq(err.message, "option 'readonly' must be a boolean (1/0, "
                                  "true/false, yes/no, on/off)");
  }
  ck_assert_int_eq(aiodb__parse_bool("readonly", NULL, &v, &err),
                   AIODB_EINVAL);
  ck_assert_int_eq(aiodb__parse_bool("readonly", "maybe", &v, NULL),
                   AIODB_EINVAL);
  aiodb_test_clean_shutdown();
}
END_TEST

/* "unknown option" names the option only when the name cannot be a piece
 * of a password: a plain name, no '@' after the host, no password option
 * before it. */
static void unknown_message(const char *url, const char *want) {
  aiodb__url u;
  aiodb_error err;
  const aiodb__kv *kv;

  parse_ok(url, &u);
  (void)aiodb__url_opt(&u, "password");  /* as a driver takes it */
  kv = aiodb__url_unused(&u);
  ck_assert_ptr_nonnull(kv);
  memset(&err, 0, sizeof err);
  ck_assert_int_eq(aiodb__url_unknown_option(&u, kv, "drv", &err), AIODB_EINVAL);
  ck_assert_int_eq(err.code, AIODB_EINVAL);
  ck_assert_msg(strncmp(err.message, want, strlen(want)) == 0,
                "%s: '%s', want '%s...'", url, err.message, want);
  ck_assert_int_eq(aiodb__url_unknown_option(&u, kv, "drv", NULL), AIODB_EINVAL);
  aiodb__url_free(&u);
}

START_TEST(url_unknown_option_quoting) {
  static const char hidden[] = "unknown option for drv (its name is not shown";
  char url[128];

  unknown_message("pg://u:" SECRET "@h/db?bogus=1", "unknown option 'bogus' for drv");
  unknown_message("pg://h/db?Some.opt-2_x", "unknown option 'Some.opt-2_x' for drv");
  unknown_message("pg://h/db?hunter2@h", hidden);
  unknown_message("pg://h/db?hunter2=1&x=y@z", hidden);
  unknown_message("pg://u:12/hunter2?hunter2=1&x@h/db", hidden);
  unknown_message("pg://h/db@x?bogus=1", hidden);
  unknown_message("pg://h/db?hun%3Ater2=1", hidden);
  unknown_message("pg://h/db?hun%20ter2=1", hidden);
  unknown_message("pg://h/db?hunter2+x=1", hidden);
  unknown_message("pg://h/db?password=a&hunter2", hidden);
  /* 64 bytes at most */
  memset(url, 0, sizeof url);
  memcpy(url, "pg://h/db?", 10);
  memset(url + 10, 'k', 64);
  unknown_message(url, "unknown option 'kkkkkkkk");
  url[10 + 64] = 'k';
  unknown_message(url, hidden);
  aiodb_test_clean_shutdown();
}
END_TEST

/* Options read from a parsed URL, the way the core consumes them. */
START_TEST(url_options_end_to_end) {
  aiodb__url u;
  aiodb_error err;
  unsigned long n;
  int b;

  parse_ok("pg://h/db?max_size=5&readonly=Yes&max_size=8&bogus=1", &u);
  ck_assert_int_eq(aiodb__parse_uint("max_size", aiodb__url_opt(&u, "max_size"),
                                     1, 1000, &n, &err),
                   0);
  ck_assert_uint_eq(n, 8);
  ck_assert_int_eq(
      aiodb__parse_bool("readonly", aiodb__url_opt(&u, "readonly"), &b, &err),
      0);
  ck_assert_int_eq(b, 1);
  ck_assert_str_eq(aiodb__url_unused(&u)->key, "bogus");
  aiodb__url_free(&u);
  aiodb_test_clean_shutdown();
}
END_TEST

START_TEST(url_host_list) {
  aiodb__url u;
  aiodb_error err;
  long n;
  int rc = -1;

  /* libpq's multi-host form: every host, in order, with its port */
  parse_ok("postgresql://u:" SECRET "@h1:5432,h2:5433/db?target_session_attrs=read-write", &u);
  ck_assert_uint_eq(u.nhosts, 2);
  ck_assert_str_eq(u.hosts[0].host, "h1");
  ck_assert_uint_eq(u.hosts[0].port, 5432);
  ck_assert_str_eq(u.hosts[1].host, "h2");
  ck_assert_uint_eq(u.hosts[1].port, 5433);
  ck_assert_str_eq(u.host, "h1"); /* the first, for what reads one host */
  ck_assert_uint_eq(u.port, 5432);
  ck_assert_str_eq(u.password, SECRET);
  ck_assert_str_eq(u.path, "db");
  ck_assert_uint_eq(u.nquery, 1);
  aiodb__url_free(&u);

  /* ports may be left out; IPv6 in brackets; escapes decoded */
  parse_ok("mysql://[::1]:3306,db%2Dtwo,10.0.0.3:3307", &u);
  ck_assert_uint_eq(u.nhosts, 3);
  ck_assert_str_eq(u.hosts[0].host, "::1");
  ck_assert_uint_eq(u.hosts[0].port, 3306);
  ck_assert_str_eq(u.hosts[1].host, "db-two");
  ck_assert_uint_eq(u.hosts[1].port, 0);
  ck_assert_str_eq(u.hosts[2].host, "10.0.0.3");
  ck_assert_uint_eq(u.hosts[2].port, 3307);
  ck_assert_ptr_null(u.path);
  aiodb__url_free(&u);

  /* one host: no list */
  parse_ok("pg://h:1/db", &u);
  ck_assert_uint_eq(u.nhosts, 0);
  ck_assert_ptr_null(u.hosts);
  aiodb__url_free(&u);

  /* a bad entry anywhere fails the URL, without quoting it */
  parse_fails("postgresql://u:" SECRET "@h1:5432,h2:x" SECRET "/db", AIODB_EINVAL,
              "invalid port in postgresql URL");
  parse_fails("postgresql://u:" SECRET "@h1:5432,h2:0/db", AIODB_EINVAL, "invalid port");
  parse_fails("postgresql://u:" SECRET "@h1,,h2/db", AIODB_EINVAL,
              "entry 2 of the host list in the postgresql URL names no host");
  parse_fails("postgresql://u:" SECRET "@h1,/db", AIODB_EINVAL, "entry 2 of the host list");
  parse_fails("mysql://u:" SECRET "@:3306,h2/db", AIODB_EINVAL, "entry 1 of the host list");
  parse_fails("postgresql://u:" SECRET "@h1,[::1/db", AIODB_EINVAL, "malformed URL");

  /* out of memory at every step: nothing leaks, nothing half made */
  for (n = 0; n < 100; n++) {
    aiodb_test_fail_allocs_after(n);
    memset(&err, 0, sizeof err);
    rc = aiodb__url_parse("pg://u:" SECRET "@a:1,b:2,c/db", &u, &err);
    aiodb_set_allocator(NULL, NULL, NULL);
    if (rc == 0) break;
    ck_assert_int_eq(rc, AIODB_ENOMEM);
    ck_assert_ptr_null(u.hosts);
    ck_assert_int_eq(aiodb__alloc_live(), 0);
  }
  ck_assert_int_eq(rc, 0);
  ck_assert_uint_eq(u.nhosts, 3);
  ck_assert_str_eq(u.hosts[2].host, "c");
  aiodb__url_free(&u);
  aiodb_test_clean_shutdown();
}
END_TEST

Suite *aiodb_suite_url(void) {
  return AIODB_SUITE("url", url_postgres_full, url_sqlite_forms, url_scheme, url_missing_scheme,
                     url_null_out, url_userinfo, url_password_escapes, url_host_port, url_ipv6,
                     url_bad_port, url_bad_escapes, url_query, url_opt_and_unused,
                     url_free_harmless, url_out_of_memory, parse_uint_cases, parse_bool_cases,
                     url_options_end_to_end, url_unknown_option_quoting, url_host_list);
}
