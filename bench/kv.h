/* The benchmarks' data: the kv table's rows, the same for every driver,
 * and a small fast generator for the ids looked up. Header-only. */
#ifndef AIODB_BENCH_KV_H
#define AIODB_BENCH_KV_H

#include <stddef.h>
#include <stdint.h>

#define VALUE_LEN 100
#define SEED UINT64_C(0x9e3779b97f4a7c15)
#define SELECT_SQL "SELECT v FROM kv WHERE id = ?"

static inline uint64_t xorshift64(uint64_t *s) {
  uint64_t x = *s;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return *s = x;
}

/* Row id's value: its id in ten digits, then letters to VALUE_LEN. */
static inline void make_value(char *buf, int64_t id) {
  int64_t v = id;
  int i;
  for (i = 9; i >= 0; i--, v /= 10) buf[i] = (char)('0' + v % 10);
  for (i = 10; i < VALUE_LEN; i++) buf[i] = (char)('a' + (id + i) % 26);
}

/* 1 when p holds row id's value. */
static inline int value_ok(const void *p, size_t len, int64_t id) {
  const unsigned char *s = (const unsigned char *)p;
  int64_t v = 0;
  int i;
  if (s == NULL || len != VALUE_LEN) return 0;
  for (i = 0; i < 10; i++) {
    if (s[i] < '0' || s[i] > '9') return 0;
    v = v * 10 + (s[i] - '0');
  }
  return v == id;
}

#endif
