/* The placeholder lexer: finds '?' and ':name' outside literals, comments
 * and quoted identifiers, and rewrites them into the driver's style. It
 * knows just enough of each dialect to tell where a placeholder cannot be;
 * everything else is copied byte for byte. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "params.h"

#define MAX_PLACEHOLDERS 65535

enum { KIND_NONE, KIND_POSITIONAL, KIND_NAMED };

typedef struct name {
  size_t off;
  size_t len;
} name;

typedef struct lexer {
  const char *sql;
  size_t len;
  aiodb__dialect dialect;
  aiodb__pstyle style;
  char *out;        /* NULL on the sizing call */
  size_t out_cap;   /* bytes of out, without the NUL */
  uint32_t *slots;
  size_t slots_cap;
  size_t out_len;
  size_t nargs;
  size_t nslots;
  size_t nplaceholders;
  int kind;
  /* distinct names, in order of first appearance, and an open-addressing
   * index over them (entries are name index + 1, 0 is empty) */
  name *names;
  size_t nnames;
  uint32_t *table;
  size_t table_cap;
  char *errbuf;
  size_t errlen;
} lexer;

static int fail(lexer *lx, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int fail(lexer *lx, int code, const char *fmt, ...) {
  va_list ap;

  if (lx->errbuf != NULL && lx->errlen > 0) {
    va_start(ap, fmt);
    vsnprintf(lx->errbuf, lx->errlen, fmt, ap);
    va_end(ap);
  }
  return code;
}

static int is_name_start(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_name_char(int c) {
  return is_name_start(c) || (c >= '0' && c <= '9');
}

static int emit(lexer *lx, const char *p, size_t n) {
  if (lx->out != NULL) {
    if (n > lx->out_cap - lx->out_len)
      return fail(lx, AIODB_EINVAL,
                  "output buffer too small: plan from another statement?");
    memcpy(lx->out + lx->out_len, p, n);
  }
  lx->out_len += n;
  return 0;
}

static size_t hash(const char *p, size_t n) {
  size_t h = 2166136261u;
  while (n--) h = (h ^ (unsigned char)*p++) * 16777619u;
  return h;
}

/* Keeps the index at most half full. */
static int names_grow(lexer *lx) {
  size_t cap = lx->table_cap ? lx->table_cap * 2 : 64;
  name *names;
  uint32_t *table;
  size_t i, h;

  names = aiodb__malloc(cap / 2 * sizeof *names);
  table = aiodb__malloc(cap * sizeof *table);
  if (names == NULL || table == NULL) {
    aiodb__free(names);
    aiodb__free(table);
    return fail(lx, AIODB_ENOMEM, "out of memory");
  }
  memset(table, 0, cap * sizeof *table);
  if (lx->nnames > 0) memcpy(names, lx->names, lx->nnames * sizeof *names);
  for (i = 0; i < lx->nnames; i++) {
    h = hash(lx->sql + names[i].off, names[i].len) & (cap - 1);
    while (table[h] != 0) h = (h + 1) & (cap - 1);
    table[h] = (uint32_t)(i + 1);
  }
  aiodb__free(lx->names);
  aiodb__free(lx->table);
  lx->names = names;
  lx->table = table;
  lx->table_cap = cap;
  return 0;
}

/* The 0-based argument index of the name at sql[off..off+n), adding it if
 * it is new. */
static int name_index(lexer *lx, size_t off, size_t n, size_t *index) {
  const char *s = lx->sql + off;
  const name *e;
  size_t h;
  int rc;

  if (lx->nnames >= lx->table_cap / 2) {
    rc = names_grow(lx);
    if (rc != 0) return rc;
  }
  h = hash(s, n) & (lx->table_cap - 1);
  for (; lx->table[h] != 0; h = (h + 1) & (lx->table_cap - 1)) {
    e = &lx->names[lx->table[h] - 1];
    if (e->len == n && memcmp(lx->sql + e->off, s, n) == 0) {
      *index = lx->table[h] - 1;
      return 0;
    }
  }
  lx->names[lx->nnames].off = off;
  lx->names[lx->nnames].len = n;
  lx->table[h] = (uint32_t)(lx->nnames + 1);
  *index = lx->nnames++;
  return 0;
}

/* One placeholder bound to argument index (0-based). */
static int placeholder(lexer *lx, int kind, size_t index) {
  char num[24];
  int n;

  if (lx->kind != KIND_NONE && lx->kind != kind)
    return fail(lx, AIODB_EINVAL,
                "placeholders '?' and ':name' cannot be mixed in one "
                "statement");
  lx->kind = kind;
  if (++lx->nplaceholders > MAX_PLACEHOLDERS)
    return fail(lx, AIODB_EINVAL, "too many placeholders (more than %d)",
                MAX_PLACEHOLDERS);
  if (lx->style == AIODB__PSTYLE_QMARK) {
    if (lx->out != NULL && lx->slots != NULL) {
      if (lx->nslots >= lx->slots_cap)
        return fail(lx, AIODB_EINVAL,
                    "slot array too small: plan from another statement?");
      lx->slots[lx->nslots] = (uint32_t)index;
    }
    lx->nslots++;
    return emit(lx, "?", 1);
  }
  n = snprintf(num, sizeof num, "%c%lu",
               lx->style == AIODB__PSTYLE_DOLLAR ? '$' : '?',
               (unsigned long)index + 1);
  return emit(lx, num, (size_t)n);
}

/* Each skip_ function takes the index of a construct's first byte and
 * returns the index just past its end, or len if it never ends. */
static size_t skip_quoted(const lexer *lx, size_t i, char q, int backslash) {
  const char *s = lx->sql;
  size_t len = lx->len;

  for (i++; i < len; i++) {
    if (backslash && s[i] == '\\') {
      i++;
    } else if (s[i] == q) {
      if (i + 1 < len && s[i + 1] == q)
        i++;  /* doubled: one literal quote */
      else
        return i + 1;
    }
  }
  return len;
}

static size_t skip_until(const lexer *lx, size_t i, const char *end,
                         size_t n) {
  for (; i + n <= lx->len; i++)
    if (memcmp(lx->sql + i, end, n) == 0) return i + n;
  return lx->len;
}

/* *closed: whether the comment ends before the text does. */
static size_t skip_block_comment_closed(const lexer *lx, size_t i, int *closed) {
  const char *s = lx->sql;
  size_t depth = 0, end;

  *closed = 1;
  if (lx->dialect != AIODB__DIALECT_POSTGRES) {
    end = skip_until(lx, i + 2, "*/", 2);
    if (end == lx->len && (end - i < 4 || memcmp(s + end - 2, "*/", 2) != 0))
      *closed = 0;
    return end;
  }
  while (i + 1 < lx->len) {
    if (s[i] == '/' && s[i + 1] == '*') {
      depth++;
      i += 2;
    } else if (s[i] == '*' && s[i + 1] == '/') {
      i += 2;
      if (--depth == 0) return i;
    } else {
      i++;
    }
  }
  *closed = 0;
  return lx->len;
}

static size_t skip_block_comment(const lexer *lx, size_t i) {
  int closed;
  return skip_block_comment_closed(lx, i, &closed);
}

/* $tag$...$tag$, or i itself if s[i] does not open one ("$1", "$x"). */
static size_t skip_dollar(const lexer *lx, size_t i) {
  const char *s = lx->sql;
  size_t j = i + 1;

  if (j < lx->len && is_name_start((unsigned char)s[j]))
    while (j < lx->len && is_name_char((unsigned char)s[j])) j++;
  if (j >= lx->len || s[j] != '$') return i;
  return skip_until(lx, j + 1, s + i, j + 1 - i);
}

/* Where the literal, quoted identifier or comment that starts at i ends,
 * or i if none starts there. word_len: how long the word before i is; a
 * '$' inside a word opens nothing, and only a lone 'E' makes an escape
 * string (PostgreSQL). */
static size_t skip(const lexer *lx, size_t i, size_t word_len) {
  const char *s = lx->sql;
  size_t len = lx->len;
  int c = (unsigned char)s[i];
  int next = i + 1 < len ? (unsigned char)s[i + 1] : -1;
  aiodb__dialect d = lx->dialect;

  switch (c) {
    case '\'':
      if (d == AIODB__DIALECT_MYSQL) return skip_quoted(lx, i, '\'', 1);
      if (d == AIODB__DIALECT_POSTGRES && word_len == 1 &&
          (s[i - 1] == 'E' || s[i - 1] == 'e'))
        return skip_quoted(lx, i, '\'', 1);
      return skip_quoted(lx, i, '\'', 0);
    case '"':
      return skip_quoted(lx, i, '"', d == AIODB__DIALECT_MYSQL);
    case '`':
      if (d == AIODB__DIALECT_POSTGRES) break;
      return skip_quoted(lx, i, '`', 0);
    case '[':
      if (d != AIODB__DIALECT_SQLITE) break;
      return skip_until(lx, i + 1, "]", 1);
    case '-':
      if (next != '-') break;
      /* MySQL wants whitespace or a control character after "--"
       * ("1--1" is 1 - -1). */
      if (d == AIODB__DIALECT_MYSQL && i + 2 < len &&
          (unsigned char)s[i + 2] > ' ')
        break;
      return skip_until(lx, i + 2, "\n", 1);
    case '#':
      if (d != AIODB__DIALECT_MYSQL) break;
      return skip_until(lx, i + 1, "\n", 1);
    case '/':
      if (next != '*') break;
      return skip_block_comment(lx, i);
    case '$':
      if (d != AIODB__DIALECT_POSTGRES || word_len > 0) break;
      return skip_dollar(lx, i);
    default:
      break;
  }
  return i;
}

/* Each byte's class for the lexer: 2 for those that can open a literal, a
 * quoted identifier or a comment in some dialect (skip's cases), be a
 * placeholder or end a statement ('"#$-/:;?[`); 1 for those that continue
 * an identifier or a number (letters, digits, '_', bytes >= 0x80), so that
 * the 'E' of "typE'...'" or the '$' of "a$b$" starts nothing; 0 for the
 * rest. Bytes of class 0 or 1 only end or extend the word before them, so
 * the lexer passes over them at once. */
enum { BYTE_OTHER, BYTE_WORD, BYTE_SPECIAL };
static const unsigned char byte_class[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 2, 2, 2, 0, 0, 2, 0, 0, 0, 0, 0, 2, 0, 2,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 0, 0, 0, 2,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 0, 0, 0, 1,
    2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/* Does c continue an identifier or a number (byte_class's word bytes)? */
static int is_word_char(int c) { return byte_class[c] == BYTE_WORD; }

/* From i on, past words, literals, quoted identifiers and comments: the
 * index of the next byte of class 2 that opens none of them (a placeholder,
 * a ';', an operator), or len. *word_len: the length of the word before i
 * on entry, before the byte returned on return. */
static size_t scan(const lexer *lx, size_t i, size_t *word_len) {
  const char *s = lx->sql;
  size_t len = lx->len, end, w = *word_len;
  int c;

  while (i < len) {
    c = (unsigned char)s[i];
    if (byte_class[c] != BYTE_SPECIAL) {
      do w = byte_class[c] == BYTE_WORD ? w + 1 : 0;
      while (++i < len && byte_class[c = (unsigned char)s[i]] != BYTE_SPECIAL);
      continue;
    }
    end = skip(lx, i, w);
    if (end == i) break;
    i = end;
    w = 0;
  }
  *word_len = w;
  return i;
}

/* The word before the byte after s[i], a class 2 byte that opened nothing:
 * only a '$' continues one (PostgreSQL's "a$b"). */
static size_t word_after(int c, size_t word_len) {
  return c == '$' && word_len > 0 ? word_len + 1 : 0;
}

/* Does a named placeholder (":name", not PostgreSQL's "::" cast) start at
 * s[i]? */
static int named_at(const char *s, size_t len, size_t i) {
  return s[i] == ':' && i + 1 < len && (i == 0 || s[i - 1] != ':') &&
         is_name_start((unsigned char)s[i + 1]);
}

static int rewrite(lexer *lx) {
  const char *s = lx->sql;
  size_t len = lx->len;
  size_t i = 0, j, index;
  size_t word_len = 0;  /* length of the identifier or number before i */
  size_t run = 0;       /* start of the bytes not yet emitted */
  int c, rc;

  while ((i = scan(lx, i, &word_len)) < len) {
    c = (unsigned char)s[i];
    if (c == '?' || named_at(s, len, i)) {
      rc = emit(lx, s + run, i - run);
      if (rc != 0) return rc;
      if (c == '?' && i + 1 < len && s[i + 1] == '?') {
        rc = emit(lx, "?", 1);
        i += 2;
      } else if (c == '?') {
        rc = placeholder(lx, KIND_POSITIONAL, lx->nargs++);
        i++;
      } else {
        for (j = i + 1; j < len && is_name_char((unsigned char)s[j]); j++) {
        }
        rc = name_index(lx, i + 1, j - i - 1, &index);
        if (rc == 0) {
          if (index == lx->nargs) lx->nargs++;
          rc = placeholder(lx, KIND_NAMED, index);
        }
        i = j;
      }
      if (rc != 0) return rc;
      run = i;
      word_len = 0;
      continue;
    }
    word_len = word_after(c, word_len);
    i++;
  }
  return emit(lx, s + run, len - run);
}

/* The statement splitter's view of one statement, as psql's scanner keeps
 * it: open parentheses, and whether the statement makes a routine or a
 * trigger (CREATE ... TRIGGER, FUNCTION, PROCEDURE, EVENT or PACKAGE, or
 * MariaDB's BEGIN NOT ATOMIC), whose body's BEGIN ... END blocks hold
 * statements of their own. */
typedef struct splitter {
  size_t words;  /* words seen */
  size_t parens; /* '(' not yet closed */
  size_t depth;  /* blocks open in a routine's body, outside parentheses */
  int create;    /* the first word is CREATE */
  int begin;     /* the first word is BEGIN */
  int routine;
  int user_words; /* words of a DEFINER's name still to come */
  size_t after_end; /* where the word after the last END starts, or 0 */
} splitter;

/* Is w[0..n) the keyword kw (lower case), in any case? */
static int word_is(const char *w, size_t n, const char *kw) {
  size_t i;
  int c;
  for (i = 0; i < n && kw[i] != '\0'; i++) {
    c = (unsigned char)w[i];
    if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
    if (c != kw[i]) return 0;
  }
  return i == n && kw[i] == '\0';
}

/* Does the word at sql[at], the one after an END, say that the END closes
 * an IF, a loop or a FOR (MariaDB's END IF, END LOOP, END WHILE, END
 * REPEAT, END FOR), none of which the splitter counts? */
static int ends_unopened(const char *sql, size_t len, size_t at) {
  size_t n;
  for (n = 0; at + n < len && is_word_char((unsigned char)sql[at + n]); n++) {
  }
  return word_is(sql + at, n, "if") || word_is(sql + at, n, "loop") ||
         word_is(sql + at, n, "while") || word_is(sql + at, n, "repeat") ||
         word_is(sql + at, n, "for");
}

/* May w[0..n) stand between CREATE and the kind of a routine or trigger
 * (CREATE OR REPLACE, TEMP, CONSTRAINT, AGGREGATE, SQL SECURITY INVOKER,
 * ...; DEFINER and its user are split_word's)? */
static int creates_prefix(const char *w, size_t n) {
  static const char *const words[] = {"or",       "replace",     "temp",
                                      "temporary", "constraint", "aggregate",
                                      "sql",       "security",   "invoker",
                                      "editionable", "noneditionable"};
  size_t i;
  for (i = 0; i < sizeof words / sizeof words[0]; i++)
    if (word_is(w, n, words[i])) return 1;
  return 0;
}

/* One word of the statement, sql[at..at + n). In a routine's body BEGIN
 * opens a block, CASE inside a block opens one too (it ends with END), and
 * END closes one, all outside parentheses. */
static void split_word(splitter *sp, const char *sql, size_t len, size_t at,
                       size_t n, aiodb__dialect dialect) {
  const char *w = sql + at;

  if (sp->words++ == 0) {
    sp->create = word_is(w, n, "create");
    sp->begin = word_is(w, n, "begin");
    return;
  }
  if (!sp->routine) {
    if (sp->begin && sp->words == 2 && word_is(w, n, "not")) {
      sp->routine = 1;
      sp->depth = 1;
    } else if (sp->create) {
      if (word_is(w, n, "trigger") || word_is(w, n, "function") ||
          word_is(w, n, "procedure") || word_is(w, n, "event") ||
          word_is(w, n, "package"))
        sp->routine = 1;
      else if (word_is(w, n, "definer"))
        sp->user_words = 2; /* MariaDB's DEFINER = user@host, unquoted */
      else if (sp->user_words > 0)
        sp->user_words--;
      else if (!creates_prefix(w, n))
        sp->create = 0; /* CREATE VIEW event ...: no routine */
    }
    return;
  }
  if (sp->parens > 0) return;
  if (word_is(w, n, "begin")) {
    sp->depth++;
  } else if (word_is(w, n, "case")) {
    /* not the CASE of MariaDB's END CASE */
    if (sp->depth > 0 && at != sp->after_end) sp->depth++;
  } else if (word_is(w, n, "end")) {
    sp->after_end = at + n + aiodb__sql_skip_blanks(w + n, len - at - n, dialect);
    if (sp->depth > 0 && !ends_unopened(sql, len, sp->after_end)) sp->depth--;
  }
}

size_t aiodb__sql_stmt_end(const char *sql, size_t len, aiodb__dialect dialect) {
  lexer lx;
  splitter sp;
  size_t i = 0, at, end, word_len = 0;
  int c;

  memset(&lx, 0, sizeof lx);
  memset(&sp, 0, sizeof sp);
  lx.sql = sql;
  lx.len = len;
  lx.dialect = dialect;
  while (i < len) {
    c = (unsigned char)sql[i];
    if (byte_class[c] == BYTE_WORD) {
      for (at = i; i < len && is_word_char((unsigned char)sql[i]); i++) {
      }
      /* a word that goes on after a '$' (PostgreSQL's "a$b") is no new one */
      if (word_len == 0) split_word(&sp, sql, len, at, i - at, dialect);
      word_len += i - at;
      continue;
    }
    if (byte_class[c] == BYTE_SPECIAL) {
      end = skip(&lx, i, word_len);
      if (end > i) {
        i = end;
        word_len = 0;
        continue;
      }
      if (c == ';' && sp.depth == 0 && sp.parens == 0) return i;
      if (named_at(sql, len, i)) {
        /* the rewriter's placeholder: its name is no word, and no word
         * goes on after it (a '$' there opens a dollar quote) */
        for (i++; i < len && is_name_char((unsigned char)sql[i]); i++) {
        }
        word_len = 0;
        continue;
      }
      word_len = word_after(c, word_len);
    } else {
      if (c == '(') sp.parens++;
      if (c == ')' && sp.parens > 0) sp.parens--;
      word_len = 0;
    }
    i++;
  }
  return len;
}

int aiodb__sql_rewrite(const char *sql, size_t len, aiodb__dialect dialect,
                       aiodb__pstyle style, char *out, uint32_t *slots,
                       aiodb__sqlplan *plan, char *errbuf, size_t errlen) {
  return aiodb__sql_rewrite_names(sql, len, dialect, style, out, slots, NULL,
                                  plan, errbuf, errlen);
}

int aiodb__sql_rewrite_names(const char *sql, size_t len,
                             aiodb__dialect dialect, aiodb__pstyle style,
                             char *out, uint32_t *slots, aiodb__sqlname *names,
                             aiodb__sqlplan *plan, char *errbuf, size_t errlen) {
  lexer lx;
  size_t i;
  int rc;

  memset(&lx, 0, sizeof lx);
  lx.errbuf = errbuf;
  lx.errlen = errlen;
  if (errbuf != NULL && errlen > 0) errbuf[0] = '\0';
  if (plan == NULL || (sql == NULL && len > 0))
    return fail(&lx, AIODB_EINVAL, "invalid arguments to the SQL rewriter");
  if ((unsigned)dialect > AIODB__DIALECT_MYSQL ||
      (unsigned)style > AIODB__PSTYLE_QMARK)
    return fail(&lx, AIODB_EINVAL, "unknown SQL dialect or placeholder style");

  lx.sql = sql != NULL ? sql : "";
  lx.len = len;
  lx.dialect = dialect;
  lx.style = style;
  lx.out = out;
  lx.slots = slots;
  if (out != NULL) {
    /* The sizing call's plan tells how big the caller's buffers are. */
    lx.out_cap = plan->out_len;
    lx.slots_cap = plan->nslots;
  }

  rc = rewrite(&lx);
  if (rc == 0 && out != NULL && names != NULL && lx.kind == KIND_NAMED) {
    if (lx.nnames > plan->nargs)
      rc = fail(&lx, AIODB_EINVAL,
                "name array too small: plan from another statement?");
    for (i = 0; rc == 0 && i < lx.nnames; i++) {
      names[i].off = lx.names[i].off;
      names[i].len = lx.names[i].len;
    }
  }
  aiodb__free(lx.names);
  aiodb__free(lx.table);
  if (rc != 0) return rc;

  if (style != AIODB__PSTYLE_QMARK) {
    if (out != NULL && slots != NULL) {
      if (lx.nargs > lx.slots_cap)
        return fail(&lx, AIODB_EINVAL,
                    "slot array too small: plan from another statement?");
      for (i = 0; i < lx.nargs; i++) slots[i] = (uint32_t)i;
    }
    lx.nslots = lx.nargs;
  }
  if (out != NULL) out[lx.out_len] = '\0';
  plan->out_len = lx.out_len;
  plan->nargs = lx.nargs;
  plan->nslots = lx.nslots;
  plan->named = lx.kind == KIND_NAMED;
  return 0;
}

/* ---- blanks: what holds no statement ---- */

/* The whitespace each driver has always taken: SQLite's scanner never
 * counted \f and \v. */
static int is_blank_byte(int c, aiodb__dialect d) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
         (d != AIODB__DIALECT_SQLITE && (c == '\f' || c == '\v'));
}

/* Where the comment that starts at i ends, or i if none does. */
static size_t skip_comment(const lexer *lx, size_t i) {
  const char *s = lx->sql;
  size_t len = lx->len, end;
  int closed;

  if (s[i] == '/' && i + 1 < len && s[i + 1] == '*') {
    /* MySQL runs what slash-star-bang and slash-star-M-bang hold */
    if (lx->dialect == AIODB__DIALECT_MYSQL && i + 2 < len &&
        (s[i + 2] == '!' || (s[i + 2] == 'M' && i + 3 < len && s[i + 3] == '!')))
      return i;
    end = skip_block_comment_closed(lx, i, &closed);
    /* SQLite ends one that never ends with the text; the servers call it
     * an error, theirs to report */
    return closed || lx->dialect == AIODB__DIALECT_SQLITE ? end : i;
  }
  if (s[i] == '-' || s[i] == '#') return skip(lx, i, 0);
  return i;
}

size_t aiodb__sql_skip_blanks(const char *sql, size_t len,
                              aiodb__dialect dialect) {
  lexer lx;
  size_t i = 0, end;

  memset(&lx, 0, sizeof lx);
  lx.sql = sql;
  lx.len = len;
  lx.dialect = dialect;
  while (i < len) {
    if (is_blank_byte((unsigned char)sql[i], dialect)) {
      i++;
      continue;
    }
    if ((end = skip_comment(&lx, i)) == i) break;
    i = end;
  }
  return i;
}

int aiodb__sql_is_blank(const char *sql, size_t len, aiodb__dialect dialect) {
  size_t i = 0;
  for (;;) {
    i += aiodb__sql_skip_blanks(sql + i, len - i, dialect);
    if (i == len) return 1;
    if (sql[i] != ';') return 0;
    i++;
  }
}

/* ---- the single-row INSERT a driver may send several rows of at once ---- */

static size_t blanks_at(const lexer *lx, size_t i) {
  return i + aiodb__sql_skip_blanks(lx->sql + i, lx->len - i, lx->dialect);
}

/* Past the keyword kw (lower case) at i, or i if it is not there. */
static size_t keyword(const lexer *lx, size_t i, const char *kw) {
  size_t n = strlen(kw), k;
  if (lx->len - i < n) return i;
  for (k = 0; k < n; k++) {
    int c = (unsigned char)lx->sql[i + k];
    if ((c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c) != kw[k]) return i;
  }
  if (i + n < lx->len && is_word_char((unsigned char)lx->sql[i + n])) return i;
  return i + n;
}

/* Past the table name at i (name, `name`, either dotted), or i. */
static size_t table_name(const lexer *lx, size_t i) {
  size_t j = i, part;
  for (part = 0; part < 2; part++) {
    size_t start = j;
    if (j < lx->len && lx->sql[j] == '`') {
      j = skip_quoted(lx, j, '`', 0);
      if (j == lx->len && lx->sql[j - 1] != '`') return i;
    } else {
      while (j < lx->len && (is_word_char((unsigned char)lx->sql[j]) || lx->sql[j] == '$')) j++;
    }
    if (j == start) return i;
    if (part == 1 || j == lx->len || lx->sql[j] != '.') break;
    j++;
  }
  return j;
}

/* Past the parenthesized group at i, its '?' counted into *nparams; i if
 * none starts there or it never closes. From i on when to is 0: to the end,
 * counting only. */
static size_t group(const lexer *lx, size_t i, int to_close, size_t *nparams) {
  size_t depth = 0, j = i, end;
  if (to_close && (i >= lx->len || lx->sql[i] != '(')) return i;
  while (j < lx->len) {
    int c = (unsigned char)lx->sql[j];
    if ((end = skip(lx, j, 0)) > j) {
      j = end;
      continue;
    }
    if (c == '(') {
      depth++;
    } else if (c == ')' && to_close && --depth == 0) {
      return j + 1;
    } else if (c == '?') {
      ++*nparams;
    }
    j++;
  }
  return to_close ? i : j;
}

int aiodb__sql_insert_values(const char *sql, size_t len, aiodb__dialect dialect,
                             aiodb__sqlinsert *out) {
  static const char *const modifiers[] = {"low_priority", "delayed", "high_priority",
                                          "ignore", "into"};
  lexer lx;
  size_t i, j, k, tail_params = 0;

  memset(&lx, 0, sizeof lx);
  memset(out, 0, sizeof *out);
  lx.sql = sql;
  lx.len = len;
  lx.dialect = dialect;
  i = blanks_at(&lx, 0);
  if ((j = keyword(&lx, i, "insert")) == i && (j = keyword(&lx, i, "replace")) == i) return 0;
  for (k = 0; k < sizeof modifiers / sizeof modifiers[0];) {
    i = blanks_at(&lx, j);
    if ((j = keyword(&lx, i, modifiers[k])) == i) {
      k++;
      continue;
    }
    k = 0; /* in any order (the server says which it takes) */
  }
  if (keyword(&lx, i, "values") > i || keyword(&lx, i, "value") > i ||
      (j = table_name(&lx, i)) == i)
    return 0;
  out->table_off = i;
  out->table_len = j - i;
  i = blanks_at(&lx, j);
  if ((j = group(&lx, i, 1, &tail_params)) > i) i = blanks_at(&lx, j); /* the columns */
  if (tail_params > 0) return 0;
  if ((j = keyword(&lx, i, "values")) == i && (j = keyword(&lx, i, "value")) == i) return 0;
  i = blanks_at(&lx, j);
  if ((j = group(&lx, i, 1, &out->nparams)) == i) return 0;
  out->tuple_off = i;
  out->tuple_len = j - i;
  out->tail_off = j;
  if (aiodb__sql_is_blank(sql + j, len - j, dialect)) return 1;
  i = blanks_at(&lx, j);
  if (keyword(&lx, i, "on") == i) return 0;
  group(&lx, i, 0, &tail_params);
  return tail_params == 0;
}
