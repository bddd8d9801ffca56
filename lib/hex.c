/* Hexadecimal decoding. */
#include "hex.h"

int aiodb__hex_digit(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int aiodb__hex_decode(const char *hex, size_t n, unsigned char *out) {
  size_t i;
  int hi, lo;
  for (i = 0; i < n; i++) {
    hi = aiodb__hex_digit((unsigned char)hex[2 * i]);
    lo = aiodb__hex_digit((unsigned char)hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return -1;
    out[i] = (unsigned char)(hi << 4 | lo);
  }
  return 0;
}
