/* Every suite, once: X(name) for `Suite *aiodb_suite_name(void)` in test_name.c. */
#define AIODB_TEST_SUITES(X) \
  X(url)                     \
  X(cq)                      \
  X(future)
