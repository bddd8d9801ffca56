/* The pluggable allocator (lib/alloc.c): every allocation of the library
 * goes through it, so that aiodb_set_allocator reaches them all and the
 * tests can make any one of them fail. */
#ifndef AIODB_ALLOC_H
#define AIODB_ALLOC_H

#include <stddef.h>

void *aiodb__malloc(size_t n);
void *aiodb__calloc(size_t n, size_t size);
void *aiodb__realloc(void *p, size_t n);
void aiodb__free(void *p);
char *aiodb__strdup(const char *s);
char *aiodb__strndup(const char *s, size_t n);
/* Allocations made and not yet freed: for the tests. */
long aiodb__alloc_live(void);

#endif
