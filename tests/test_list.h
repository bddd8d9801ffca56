/* Every suite, once: X(name) for `Suite *aiodb_suite_name(void)` in test_name.c. */
#ifdef AIODB_HAVE_POSTGRES
#define AIODB_TEST_SUITES_POSTGRES(X) X(postgres) X(replica_pg) X(pgbouncer)
#else
#define AIODB_TEST_SUITES_POSTGRES(X)
#endif
#ifdef AIODB_HAVE_MYSQL
#define AIODB_TEST_SUITES_MYSQL(X) X(mysql) X(replica_mysql)
#else
#define AIODB_TEST_SUITES_MYSQL(X)
#endif

#define AIODB_TEST_SUITES(X) \
  X(url)                     \
  X(params)                  \
  X(cq)                      \
  X(future)                  \
  X(values)                  \
  X(sqlite)                  \
  X(pool)                    \
  X(pool_policy)             \
  X(diag)                    \
  X(errors)                  \
  X(tx)                      \
  X(many)                    \
  X(cursor)                  \
  X(cache)                   \
  X(timeout)                 \
  X(meta)                    \
  X(shared)                  \
  X(lifecycle)               \
  X(misuse)                  \
  X(soak)                    \
  X(soak_threads)            \
  X(oom)                     \
  X(crash)                   \
  X(netfault)                \
  X(replica)                 \
  X(failover)                \
  X(migrate)                 \
  AIODB_TEST_SUITES_POSTGRES(X) \
  AIODB_TEST_SUITES_MYSQL(X)
