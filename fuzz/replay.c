/* The plain runner of a fuzz target, for compilers without libFuzzer: feeds
 * every file named on the command line, and every file of every folder
 * named there (in name order), to LLVMFuzzerTestOneInput once. The target
 * aborts on a broken invariant; the runner prints how many inputs it ran.
 * Paths are resolved before the first input runs: a target may change its
 * working folder (fuzz_sqlite.c does).
 *
 *   fuzz_url_replay fuzz/corpus/fuzz_url [more folders or files]
 *
 * Built with the tests (fuzz/CMakeLists.txt); ctest runs one per target
 * over its checked-in corpus. */
#include <dirent.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct list {
  char **v;
  size_t n, cap;
} list;

static void push(list *l, const char *path) {
  char *copy = strdup(path);
  if (copy == NULL) {
    perror("strdup");
    exit(2);
  }
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 64;
    char **v = realloc(l->v, cap * sizeof *v);
    if (v == NULL) {
      perror("realloc");
      exit(2);
    }
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n++] = copy;
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds path (a file) or the regular files in it (a folder), absolute. */
static void collect(list *l, const char *arg) {
  char abs[PATH_MAX], file[PATH_MAX + 256];
  struct stat st;
  struct dirent *d;
  DIR *dir;
  size_t first = l->n;

  if (realpath(arg, abs) == NULL || stat(abs, &st) != 0) {
    fprintf(stderr, "replay: cannot read %s\n", arg);
    exit(2);
  }
  if (!S_ISDIR(st.st_mode)) {
    push(l, abs);
    return;
  }
  if ((dir = opendir(abs)) == NULL) {
    fprintf(stderr, "replay: cannot open folder %s\n", abs);
    exit(2);
  }
  while ((d = readdir(dir)) != NULL) {
    if (d->d_name[0] == '.') continue;
    snprintf(file, sizeof file, "%s/%s", abs, d->d_name);
    if (stat(file, &st) == 0 && S_ISREG(st.st_mode)) push(l, file);
  }
  closedir(dir);
  qsort(l->v + first, l->n - first, sizeof *l->v, by_name);
}

static unsigned char *slurp(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  unsigned char *buf = NULL;
  size_t n = 0, cap = 0, got;

  if (f == NULL) {
    fprintf(stderr, "replay: cannot open %s\n", path);
    exit(2);
  }
  do {
    if (cap - n < 4096) {
      unsigned char *b = realloc(buf, cap = cap * 2 + 4096);
      if (b == NULL) {
        perror("realloc");
        exit(2);
      }
      buf = b;
    }
    got = fread(buf + n, 1, cap - n, f);
    n += got;
  } while (got > 0);
  fclose(f);
  *size = n;
  return buf;
}

int main(int argc, char **argv) {
  list l = {NULL, 0, 0};
  size_t i, size;
  unsigned char *data;
  int a;

  if (argc < 2) {
    fprintf(stderr, "usage: %s FOLDER_OR_FILE...\n", argv[0]);
    return 2;
  }
  for (a = 1; a < argc; a++) collect(&l, argv[a]);
  for (i = 0; i < l.n; i++) {
    data = slurp(l.v[i], &size);
    /* Which input broke, should one abort. */
    fprintf(stderr, "replay: %s\n", l.v[i]);
    LLVMFuzzerTestOneInput(data, size);
    free(data);
    free(l.v[i]);
  }
  free(l.v);
  printf("replayed %zu inputs\n", l.n);
  return l.n > 0 ? 0 : 1;
}
