/* The drivers' decoding of what a server sends (workers/decode.h), with no
 * server: the first byte picks the decoder, the next ones the column's type
 * (and flags), the rest is the value.
 *   0: PostgreSQL, a text-format value of a type OID (as PQgetvalue gives
 *      it: up to its first NUL);
 *   1: MariaDB, a text-protocol cell (mysql_fetch_row);
 *   2: MariaDB, a binary-protocol cell as mysql_stmt_fetch leaves it in the
 *      driver's buffer;
 *   3: a server's error message copied into an error (aiodb__err_message):
 *      "MESSAGE\nPASSWORD"; one line, the password never in it.
 * Each cell is then read back through every result accessor. Checked: the
 * cell's type for the column's type, text and blobs byte for byte, bytea
 * hex decoded and encoded back, integers as the server spells them, and
 * the accessors' contract (NUL-terminated text of the stated length, out of
 * range cells NULL). */
#include <string.h>

#include "decode.h"
#include "driver.h"
#include "fuzz.h"

/* pg_type.dat */
static const unsigned pg_types[] = {
    16 /* bool */,   17 /* bytea */,  20 /* int8 */,     21 /* int2 */,
    23 /* int4 */,   26 /* oid */,    700 /* float4 */,  701 /* float8 */,
    25 /* text */,   1043 /* varchar */, 1700 /* numeric */, 114 /* json */,
    3802 /* jsonb */, 1082 /* date */, 1184 /* timestamptz */, 2950 /* uuid */,
};

/* enum enum_field_types (mariadb_com.h) */
enum {
  MY_DECIMAL = 0, MY_TINY, MY_SHORT, MY_LONG, MY_FLOAT, MY_DOUBLE, MY_NULL,
  MY_TIMESTAMP, MY_LONGLONG, MY_INT24, MY_DATE, MY_TIME, MY_DATETIME, MY_YEAR,
  MY_NEWDATE, MY_VARCHAR, MY_BIT, MY_JSON = 245, MY_NEWDECIMAL, MY_ENUM, MY_SET,
  MY_TINY_BLOB, MY_MEDIUM_BLOB, MY_LONG_BLOB, MY_BLOB, MY_VAR_STRING, MY_STRING,
  MY_GEOMETRY
};
#define MY_UNSIGNED 32 /* UNSIGNED_FLAG */
#define MY_BINARY_CHARSET 63

static int my_type_of(unsigned char b) {
  /* 0..16 and 245..255, the types a server sends */
  b %= 28;
  return b <= MY_BIT ? b : MY_JSON + (b - MY_BIT - 1);
}

enum { K_INT, K_FLOAT, K_TEXT, K_BLOB, K_NULL, K_BIT };

static int my_kind(int type, unsigned charsetnr) {
  switch (type) {
    case MY_TINY: case MY_SHORT: case MY_INT24: case MY_LONG: case MY_LONGLONG:
    case MY_YEAR: return K_INT;
    case MY_FLOAT: case MY_DOUBLE: return K_FLOAT;
    case MY_NULL: return K_NULL;
    case MY_BIT: return K_BIT;
    case MY_TINY_BLOB: case MY_MEDIUM_BLOB: case MY_LONG_BLOB: case MY_BLOB:
    case MY_STRING: case MY_VAR_STRING: case MY_VARCHAR:
      return charsetnr == MY_BINARY_CHARSET ? K_BLOB : K_TEXT;
    case MY_GEOMETRY: return K_BLOB;
    default: return K_TEXT;
  }
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* The accessors' contract on cell (0, 0) of a one-cell result. */
static void check_accessors(aiodb_result *r) {
  aiodb_type t = aiodb_result_type(r, 0, 0);
  const char *text = aiodb_result_text(r, 0, 0);
  size_t len = aiodb_result_len(r, 0, 0);

  FUZZ_CHECK(aiodb_result_rows(r) == 1 && aiodb_result_cols(r) == 1,
             "%zu rows, %zu cols", aiodb_result_rows(r), aiodb_result_cols(r));
  FUZZ_CHECK(t >= AIODB_TYPE_NULL && t <= AIODB_TYPE_BLOB, "type %d", (int)t);
  FUZZ_CHECK(aiodb_result_isnull(r, 0, 0) == (t == AIODB_TYPE_NULL), "isnull");
  if (t == AIODB_TYPE_TEXT || t == AIODB_TYPE_BLOB) {
    FUZZ_CHECK(text != NULL && text[len] == '\0', "text not terminated");
    FUZZ_CHECK(aiodb_result_blob(r, 0, 0) == (const void *)text, "blob");
  } else {
    FUZZ_CHECK(text == NULL && len == 0, "text of a non-text cell");
  }
  (void)aiodb_result_int(r, 0, 0);
  (void)aiodb_result_float(r, 0, 0);
  FUZZ_CHECK(aiodb_result_type(r, 1, 0) == AIODB_TYPE_NULL &&
                 aiodb_result_type(r, 0, 1) == AIODB_TYPE_NULL &&
                 aiodb_result_text(r, 0, 1) == NULL && aiodb_result_len(r, 1, 0) == 0 &&
                 aiodb_result_int(r, 0, 1) == 0,
             "an out-of-range cell is not NULL");
  FUZZ_CHECK(aiodb_result_name(r, 0) != NULL && aiodb_result_name(r, 1) == NULL,
             "names");
}

static aiodb_result *one_column(void) {
  aiodb_result *r = aiodb__result_new();
  FUZZ_CHECK(r != NULL, "out of memory");
  FUZZ_CHECK(aiodb__result_set_cols(r, 1) == 0 && aiodb__result_set_name(r, 0, "c", 1) == 0,
             "out of memory");
  return r;
}

static void same_bytes(aiodb_result *r, aiodb_type want, const char *v, size_t len) {
  FUZZ_CHECK(aiodb_result_type(r, 0, 0) == want, "type %d, not %d",
             (int)aiodb_result_type(r, 0, 0), (int)want);
  FUZZ_CHECK(aiodb_result_len(r, 0, 0) == len &&
                 (len == 0 || memcmp(aiodb_result_text(r, 0, 0), v, len) == 0),
             "the bytes differ");
}

static void decode_pg(const unsigned char *data, size_t size) {
  unsigned type;
  const char *v;
  size_t len, i, n;
  aiodb_result *r;
  char *copy;

  if (size < 1) return;
  if (data[0] < 0xf0) {
    type = pg_types[data[0] % (sizeof pg_types / sizeof pg_types[0])];
    data++;
    size--;
  } else {
    if (size < 5) return;
    type = (unsigned)data[1] << 24 | (unsigned)data[2] << 16 |
           (unsigned)data[3] << 8 | data[4];
    data += 5;
    size -= 5;
  }
  /* libpq's text values end at a NUL, with one after them */
  copy = malloc(size + 1);
  FUZZ_CHECK(copy != NULL, "out of memory");
  memcpy(copy, data, size);
  copy[size] = '\0';
  v = copy;
  len = strlen(v);

  r = one_column();
  FUZZ_CHECK(aiodb__pg_decode(r, type, v, len) == 0, "decode failed");
  check_accessors(r);
  switch (type) {
    case 16: case 20: case 21: case 23: case 26:
      FUZZ_CHECK(aiodb_result_type(r, 0, 0) == AIODB_TYPE_INT, "not an int");
      if (type == 16)
        FUZZ_CHECK(aiodb_result_int(r, 0, 0) == (v[0] == 't'), "bool");
      else
        FUZZ_CHECK(aiodb_result_int(r, 0, 0) == strtoll(v, NULL, 10), "int");
      break;
    case 700: case 701:
      FUZZ_CHECK(aiodb_result_type(r, 0, 0) == AIODB_TYPE_FLOAT, "not a float");
      break;
    case 17:
      FUZZ_CHECK(aiodb_result_type(r, 0, 0) == AIODB_TYPE_BLOB, "not a blob");
      if (len >= 2 && v[0] == '\\' && v[1] == 'x') {
        /* hex: each pair of digits a byte; well-formed, it encodes back */
        int ok = (len - 2) % 2 == 0;
        for (i = 2; ok && i < len; i++) ok = hexval((unsigned char)v[i]) >= 0;
        if (ok) {
          const unsigned char *b = aiodb_result_blob(r, 0, 0);
          n = (len - 2) / 2;
          FUZZ_CHECK(aiodb_result_len(r, 0, 0) == n, "%zu bytes from %zu digits",
                     aiodb_result_len(r, 0, 0), len - 2);
          for (i = 0; i < n; i++)
            FUZZ_CHECK(b[i] == (hexval((unsigned char)v[2 + 2 * i]) << 4 |
                                hexval((unsigned char)v[3 + 2 * i])),
                       "byte %zu", i);
        }
      } else if (memchr(v, '\\', len) == NULL) {
        /* escape format without escapes: the bytes themselves */
        same_bytes(r, AIODB_TYPE_BLOB, v, len);
      }
      break;
    default:
      same_bytes(r, AIODB_TYPE_TEXT, v, len);
      break;
  }
  aiodb_result_free(r);
  free(copy);
}

static void decode_my(const unsigned char *data, size_t size, int binary) {
  int type, kind;
  unsigned flags, charsetnr;
  const char *v;
  size_t len;
  aiodb_result *r;
  char *copy;
  int rc;

  if (size < 2) return;
  type = my_type_of(data[0]);
  flags = data[1] & 1 ? MY_UNSIGNED : 0;
  charsetnr = data[1] & 2 ? MY_BINARY_CHARSET : 33;
  kind = my_kind(type, charsetnr);
  len = size - 2;
  copy = malloc(len + 1);
  FUZZ_CHECK(copy != NULL, "out of memory");
  memcpy(copy, data + 2, len);
  copy[len] = '\0';
  v = data[1] & 4 ? NULL : copy; /* SQL NULL */

  r = one_column();
  rc = binary ? aiodb__my_decode_binary(r, type, flags, charsetnr, v, (unsigned long)len)
              : aiodb__my_decode_text(r, type, flags, charsetnr, v, (unsigned long)len);
  FUZZ_CHECK(rc == 0, "decode failed");
  check_accessors(r);
  if (v == NULL || kind == K_NULL) {
    FUZZ_CHECK(aiodb_result_type(r, 0, 0) == AIODB_TYPE_NULL, "not NULL");
  } else if (kind == K_TEXT) {
    same_bytes(r, AIODB_TYPE_TEXT, v, len);
  } else if (kind == K_BLOB) {
    same_bytes(r, AIODB_TYPE_BLOB, v, len);
  } else if (kind == K_FLOAT) {
    FUZZ_CHECK(aiodb_result_type(r, 0, 0) == AIODB_TYPE_FLOAT, "not a float");
  } else if (kind == K_INT && !binary && !(flags & MY_UNSIGNED)) {
    FUZZ_CHECK(aiodb_result_type(r, 0, 0) == AIODB_TYPE_INT &&
                   aiodb_result_int(r, 0, 0) == strtoll(v, NULL, 10),
               "int");
  } else {
    /* unsigned integers and bits: an INT, or beyond int64 its digits */
    aiodb_type t = aiodb_result_type(r, 0, 0);
    FUZZ_CHECK(t == AIODB_TYPE_INT || t == AIODB_TYPE_TEXT, "type %d", (int)t);
    if (t == AIODB_TYPE_INT)
      FUZZ_CHECK(kind != K_INT || !(flags & MY_UNSIGNED) || aiodb_result_int(r, 0, 0) >= 0,
                 "a negative unsigned");
    else
      FUZZ_CHECK(strlen(aiodb_result_text(r, 0, 0)) == 19 ||
                     strlen(aiodb_result_text(r, 0, 0)) == 20,
                 "an unsigned beyond int64 as '%s'", aiodb_result_text(r, 0, 0));
  }
  aiodb_result_free(r);
  free(copy);
}

static void error_message(const unsigned char *data, size_t size) {
  aiodb__err e;
  char *msg = malloc(size + 1);
  char *password;
  size_t n, k, pl;

  FUZZ_CHECK(msg != NULL, "out of memory");
  memcpy(msg, data, size);
  msg[size] = '\0';
  password = strchr(msg, '\n');
  if (password != NULL) *password++ = '\0';
  memset(&e, 0x55, sizeof e);
  aiodb__err_message(&e, msg, password);
  n = strnlen(e.message, sizeof e.message);
  FUZZ_CHECK(n < sizeof e.message, "message not terminated");
  FUZZ_CHECK(strchr(e.message, '\n') == NULL && strchr(e.message, '\t') == NULL,
             "not one line");
  FUZZ_CHECK(n == 0 || e.message[n - 1] != ' ', "trailing space");
  /* A password of 4 bytes or more never shows (one with blanks or stars
   * might be made of the message's tabs or of another's stars). */
  if (password != NULL && strlen(password) >= 4 && strpbrk(password, " \t*") == NULL) {
    FUZZ_CHECK(strstr(e.message, password) == NULL, "the password shows: %s",
               e.message);
    /* nor its head where the message is cut: each byte of the message
     * comes from the same place in msg (a password as many stars) */
    pl = strlen(password);
    for (k = 4; n == sizeof e.message - 1 && k < pl && k <= n; k++)
      FUZZ_CHECK(strncmp(e.message + n - k, password, k) != 0 ||
                     strncmp(msg + n - k, password, pl) != 0,
                 "the password's head shows where the message is cut");
  }
  free(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  switch (data[0] % 4) {
#ifdef AIODB_HAVE_POSTGRES
    case 0: decode_pg(data + 1, size - 1); break;
#endif
#ifdef AIODB_HAVE_MYSQL
    case 1: decode_my(data + 1, size - 1, 0); break;
    case 2: decode_my(data + 1, size - 1, 1); break;
#endif
    case 3: error_message(data + 1, size - 1); break;
    default: break;
  }
  aiodb__pools_trim();
  FUZZ_CHECK(aiodb__alloc_live() == 0, "%ld aiodb allocations live",
             aiodb__alloc_live());
  return 0;
}
