/* Placeholders (lib/params.c): the lexer that rewrites the portable '?'
 * and ':name' into a driver's style. Pure functions, no threads. */
#ifndef AIODB_PARAMS_H
#define AIODB_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "aiodb.h"

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
  int named;        /* 1: the placeholders are ':name' (nargs distinct names) */
} aiodb__sqlplan;

/* A ':name' placeholder's name, without the ':': sql[off..off+len). */
typedef struct aiodb__sqlname {
  size_t off;
  size_t len;
} aiodb__sqlname;

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
/* The same, and on the second call (out != NULL) with names != NULL, when
 * plan->named, names[k] is argument k's name (plan->nargs entries, in order
 * of first appearance). */
int aiodb__sql_rewrite_names(const char *sql, size_t len,
                             aiodb__dialect dialect, aiodb__pstyle style,
                             char *out, uint32_t *slots, aiodb__sqlname *names,
                             aiodb__sqlplan *plan, char *errbuf, size_t errlen);

/* Where the statement that starts sql[0..len) ends: the index of the
 * first ';' outside literals, quoted identifiers, comments and dollar-quoted
 * bodies, by the dialect's rules (as the rewriter reads them: PostgreSQL's
 * E'..' takes backslash escapes, its plain '..' none; MySQL's '..' and ".."
 * take them, '#' and "-- " start comments), or len when there is none. An
 * unterminated literal or comment runs to the end. As psql reads a script,
 * a ';' inside parentheses ends nothing, nor does one inside the BEGIN ...
 * END blocks of a routine or trigger's body (CREATE, its options (OR
 * REPLACE, TEMP, DEFINER = user, ...), then TRIGGER, FUNCTION, PROCEDURE,
 * EVENT or PACKAGE; or MariaDB's BEGIN NOT ATOMIC): there BEGIN opens a block, a
 * CASE inside one opens one, and END closes one, but not MariaDB's END IF,
 * END LOOP, END WHILE, END REPEAT or END FOR. */
size_t aiodb__sql_stmt_end(const char *sql, size_t len, aiodb__dialect dialect);

/* How many bytes at the start of sql[0..len) are whitespace and comments,
 * by the dialect's rules (MySQL's '#', "-- " and executable comments,
 * PostgreSQL's nested ones; a block comment that never ends is one only
 * to SQLite). */
size_t aiodb__sql_skip_blanks(const char *sql, size_t len,
                              aiodb__dialect dialect);
/* 1 if sql[0..len) holds no statement: only whitespace, comments and
 * semicolons. */
int aiodb__sql_is_blank(const char *sql, size_t len, aiodb__dialect dialect);

/* A single-row INSERT or REPLACE whose rows a driver may send several to a
 * statement: INSERT|REPLACE [LOW_PRIORITY|DELAYED|HIGH_PRIORITY] [IGNORE]
 * [INTO] table [(columns)] VALUE[S] (tuple), then nothing but blanks and
 * semicolons, or an ON DUPLICATE KEY UPDATE clause without placeholders.
 * Returns 1 and fills *out for such a statement, 0 for any other. A '?'
 * outside literals and comments counts as a placeholder. */
typedef struct aiodb__sqlinsert {
  size_t table_off, table_len; /* the table as written: t, `db`.`t` */
  size_t tuple_off, tuple_len; /* the tuple, "(" to ")" */
  size_t tail_off;             /* what follows it, to the end */
  size_t nparams;              /* placeholders, all in the tuple */
} aiodb__sqlinsert;
int aiodb__sql_insert_values(const char *sql, size_t len, aiodb__dialect dialect,
                             aiodb__sqlinsert *out);

#endif
