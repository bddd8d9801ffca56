/* aiodb_migrate (lib/migrate.c): what its tests reach inside. */
#ifndef AIODB_MIGRATE_H
#define AIODB_MIGRATE_H

/* Internal knob for tests: how long a run waits for the lock another run
 * holds on PostgreSQL and MariaDB, in seconds (default 60), then fails
 * with AIODB_EBUSY. Set it only while no aiodb_migrate runs. */
extern int aiodb__migrate_lock_wait_s;

#endif
