/* aiodb_options.on_connect (lib/on_connect.c): the program's setup of each
 * new connection. */
#ifndef AIODB_ON_CONNECT_H
#define AIODB_ON_CONNECT_H

#include "db.h"
#include "error.h"

/* On the worker of a connection just opened (native, the driver's), with
 * no lock held: runs db's on_connect, if any, on the driver's handle. 0,
 * or fills e (the callback's code and message, or AIODB_ECONNECT and the
 * client library's last error) and returns its code: the connection must
 * then be closed unused. */
int aiodb__on_connect_run(aiodb_db *db, void *native, aiodb__err *e);

#endif
