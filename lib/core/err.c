/* err.c - writing one-line error messages into a caller's buffer. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int err_set(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int err_append(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return -1;
    size_t used = strnlen(err, errlen);
    if (used + 1 >= errlen)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + used, errlen - used, fmt, ap);
    va_end(ap);
    return -1;
}
