/* log.c - JSON-lines logging to stderr. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "jsonw.h"

/* Set once by log_setup before any thread starts, read-only afterwards; the atomics
 * only make a late log_setup well-defined, they are not a synchronisation scheme. */
static const char *log_prog = "pitestbed";
static int log_min = LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_setup(const char *prog, enum log_level min)
{
    __atomic_store_n(&log_prog, prog ? prog : "pitestbed", __ATOMIC_RELEASE);
    __atomic_store_n(&log_min, (int)min, __ATOMIC_RELEASE);
}

/* One write(2) per line so lines from different threads never interleave (stderr is
 * unbuffered in stdio terms, but fprintf may still split a line into several writes).
 * A short write is continued; nothing more can be done about a failing stderr. */
static void write_line(const char *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(STDERR_FILENO, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        p += w;
        len -= (size_t)w;
    }
}

void log_write(enum log_level lvl, const char *msg, const char *fields_fmt, ...)
{
    int saved_errno = errno;
    int ilvl = (int)lvl;
    if (ilvl < LOG_DEBUG || ilvl > LOG_ERROR)
        ilvl = LOG_ERROR;
    if (ilvl < __atomic_load_n(&log_min, __ATOMIC_ACQUIRE))
        return;
    const char *prog = __atomic_load_n(&log_prog, __ATOMIC_ACQUIRE);

    char ts[CLOCK_WALL_FMT_LEN];
    clock_wall_format(clock_wall_now(), ts, sizeof ts);

    buf b = BUF_INIT;
    buf_printf(&b, "{\"ts\":\"%s\",\"level\":\"%s\",\"prog\":\"", ts, level_names[ilvl]);
    jsonw_escape(&b, prog, strlen(prog));
    buf_puts(&b, "\",\"msg\":\"");
    if (msg)
        jsonw_escape(&b, msg, strlen(msg));
    buf_putc(&b, '"');
    if (fields_fmt && fields_fmt[0]) {
        va_list ap;
        buf_putc(&b, ',');
        va_start(ap, fields_fmt);
        buf_vprintf(&b, fields_fmt, ap);
        va_end(ap);
    }
    buf_puts(&b, "}\n");

    if (buf_ok(&b)) {
        write_line(b.data, b.len);
    } else {
        /* Out of memory: still say that a line was lost, without allocating. */
        char fb[160];
        int n = snprintf(fb, sizeof fb, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"log line lost: out of memory\"}\n",
                         ts, level_names[ilvl]);
        if (n > 0)
            write_line(fb, (size_t)n < sizeof fb ? (size_t)n : sizeof fb - 1);
    }
    buf_fini(&b);
    errno = saved_errno;
}
