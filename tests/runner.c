/* Runs one suite by name (as ctest does), or every suite. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* A suite that needs a server the fixtures could not start: 77 makes
 * ctest report it skipped. Under CI=true a missing server is a failure.
 * The server's suites: "postgres", "mysql" and "pgbouncer", and "shared" and
 * "soak_threads" when AIODB_TEST_DRIVER points them at a server (they read
 * socket_url). */
static int server_missing(const char *suite) {
  const char *ci = getenv("CI"), *driver = getenv("AIODB_TEST_DRIVER");
  const char *dir_env, *file, *dir;
  char path[600];
  int shared = (strcmp(suite, "shared") == 0 || strcmp(suite, "soak_threads") == 0) &&
               driver != NULL;
  /* Runs only inside the namespaces tests/netfault.sh makes. */
  if (strcmp(suite, "netfault") == 0) return getenv("AIODB_NETFAULT_CTL") == NULL;
  if (strcmp(suite, "postgres") == 0)
    dir_env = "AIODB_TEST_PG_DIR", file = "tcp_url";
  else if (strcmp(suite, "replica_pg") == 0)
    dir_env = "AIODB_TEST_PG_CLUSTER_DIR", file = "standby_url";
  else if (strcmp(suite, "replica_mysql") == 0)
    dir_env = "AIODB_TEST_MARIADB_REPLICA_DIR", file = "replica_url";
  else if (shared && strcmp(driver, "postgresql") == 0)
    dir_env = "AIODB_TEST_PG_DIR", file = "socket_url";
  else if (strcmp(suite, "mysql") == 0 || (shared && strcmp(driver, "mysql") == 0))
    dir_env = "AIODB_TEST_MYSQL_DIR", file = "socket_url";
  else if (strcmp(suite, "pgbouncer") == 0)
    dir_env = "AIODB_TEST_PGBOUNCER_DIR", file = "url";
  else
    return 0;
  if (ci != NULL && strcmp(ci, "true") == 0) return 0;
  dir = getenv(dir_env);
  snprintf(path, sizeof path, "%s/%s", dir ? dir : "", file);
  return access(path, R_OK) != 0;
}

int main(int argc, char **argv) {
  SRunner *sr = NULL;
  size_t i, n = sizeof suites / sizeof suites[0];
  int failed;

  if (argc > 1 && server_missing(argv[1])) {
    printf("%s: skipped, no test server\n", argv[1]);
    return 77;
  }
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
