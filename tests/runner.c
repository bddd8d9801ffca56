/* Runs one suite by name (as ctest does), or every suite. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_list.h"

#define DECLARE(name) Suite *aiodb_suite_##name(void);
AIODB_TEST_SUITES(DECLARE)
#undef DECLARE

static const struct {
  const char *name;
  Suite *(*make)(void);
} suites[] = {
#define ENTRY(name) {#name, aiodb_suite_##name},
    AIODB_TEST_SUITES(ENTRY)
#undef ENTRY
};

int main(int argc, char **argv) {
  SRunner *sr = NULL;
  size_t i, n = sizeof suites / sizeof suites[0];
  int failed;

  for (i = 0; i < n; i++) {
    if (argc > 1 && strcmp(argv[1], suites[i].name) != 0) continue;
    if (sr == NULL)
      sr = srunner_create(suites[i].make());
    else
      srunner_add_suite(sr, suites[i].make());
  }
  if (sr == NULL) {
    fprintf(stderr, "no suite named '%s'\n", argc > 1 ? argv[1] : "");
    return 2;
  }
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
