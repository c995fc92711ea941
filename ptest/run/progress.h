/* progress.h - the live progress line of a run.
 *
 * On a terminal: one line rewritten in place ("\r") every second; otherwise (a log, a CI
 * console) one line every PROGRESS_PLAIN_EVERY seconds. Shows elapsed/planned time, the
 * request rate and p50/p99 latency of the last second, and the errors so far.
 * Written to a stdio stream (stderr in ptest). Coordinator thread only.
 */
#ifndef PTEST_PROGRESS_H
#define PTEST_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PROGRESS_PLAIN_EVERY 10

typedef struct progress {
    FILE *out;
    bool enabled, tty;
    uint64_t total_ns;
    uint32_t last_plain_s; /* elapsed second of the last plain line */
    size_t last_len;       /* length of the line on screen (tty) */
} progress;

/* enabled == false makes every call a no-op (--quiet). tty selects the mode. */
void progress_init(progress *pg, FILE *out, bool enabled, bool tty, uint64_t total_ns);

/* What one update shows. */
typedef struct progress_snap {
    uint64_t elapsed_ns;
    double rps;             /* last second */
    uint64_t count, errors; /* so far */
    uint64_t dropped;       /* so far, if known (0 otherwise) */
    bool has_latency;
    uint64_t p50_us, p99_us; /* last second */
} progress_snap;

/* Formats the line (without "\r" or newline) into out. Returns the length (truncated to
 * outlen - 1). Pure; for tests. */
size_t progress_format(const progress_snap *s, uint64_t total_ns, char *out, size_t outlen);
/* Shows s if it is time to (every call on a tty, every 10 s otherwise). */
void progress_update(progress *pg, const progress_snap *s);
/* Ends the line on a tty. */
void progress_end(progress *pg);

#endif
