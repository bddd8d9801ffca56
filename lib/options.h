/* A db's options (lib/options.c): from the URL's query and aiodb_options. */
#ifndef AIODB_OPTIONS_H
#define AIODB_OPTIONS_H

#include "aiodb.h"
#include "url.h"

/* The core's options into db, then the driver's (db->driver_cfg), and no
 * option left that neither knows; the replicas into db->replicas
 * (lib/replica.h). On failure db->driver_cfg and db->replicas may be set. */
int aiodb__db_configure(aiodb__url *u, const aiodb_options *opts, aiodb_db *db,
                        aiodb_error *err);

/* The core's options of aiodb_open_native: opts alone (no URL), and one
 * connection. */
int aiodb__db_configure_native(const aiodb_options *opts, aiodb_db *db,
                               aiodb_error *err);

/* Checks url and opts as aiodb_open does (the URL, the core's and the
 * driver's options), and opens nothing: no thread, file or socket. 0 or
 * the code aiodb_open would fail with, err filled. For fuzz/fuzz_url.c. */
int aiodb__open_check(const char *url, const aiodb_options *opts,
                      aiodb_error *err);

#endif
