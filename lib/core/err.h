/* err.h - the one-line error messages of the tree: functions that can fail take
 * (char *err, size_t errlen) and write one line a user can act on (the file, line and
 * column when there is one). These are the helpers for writing it.
 */
#ifndef PT_ERR_H
#define PT_ERR_H

#include <stddef.h>

/* printf into err (errlen bytes, truncated, NUL-terminated); nothing when err is NULL or
 * errlen 0. Returns -1, so a failing function can `return err_set(err, errlen, ...)`. */
int err_set(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* printf after what err already holds (for "first problem; second problem"). Returns -1. */
int err_append(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
