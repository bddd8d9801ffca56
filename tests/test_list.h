/* Every suite, once: X(name) for `Suite *aiodb_suite_name(void)` in test_name.c. */
#define AIODB_TEST_SUITES(X) \
  X(url)                     \
  X(params)                  \
  X(cq)                      \
  X(future)                  \
  X(values)                  \
  X(sqlite)                  \
  X(pool)                    \
  X(diag)                    \
  X(errors)                  \
  X(tx)                      \
  X(many)                    \
  X(cursor)                  \
  X(cache)                   \
  X(timeout)                 \
  X(meta)
