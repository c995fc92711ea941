/* cmd_usage.c - the usage error every subcommand prints the same way. */
#include "cmd.h"

#include <stdarg.h>
#include <stdio.h>

#include "run.h"

int cmd_bad_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "ptest %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(ptest %s --help for usage)\n", cmd);
    return RUN_EXIT_USAGE;
}
