/* client_int.h - private to the client module (client.c, client_target.c): helpers shared
 * between the target probe and the connection. Not for callers outside ptest/client*.c. */
#ifndef PTEST_CLIENT_INT_H
#define PTEST_CLIENT_INT_H

#include <errno.h>

#include "client.h"
#include "stats.h"

/* The stats_err kind of a failed connect's errno. */
static inline int client_kind_of_errno(int e)
{
    return e == ETIMEDOUT ? STATS_ERR_CONNECT_TIMEOUT : STATS_ERR_CONNECT_REFUSED;
}

#endif
