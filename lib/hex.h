/* Hexadecimal digits, as URLs (%XX) and PostgreSQL's bytea (\x...) spell
 * bytes. */
#ifndef AIODB_HEX_H
#define AIODB_HEX_H

#include <stddef.h>

/* The value of hex digit c (either case), or -1. */
int aiodb__hex_digit(int c);

/* Decodes the n bytes spelt by hex[0..2n) into out[0..n). Returns 0, or
 * -1 at the first character that is not a hex digit (out is then partly
 * written). */
int aiodb__hex_decode(const char *hex, size_t n, unsigned char *out);

#endif
