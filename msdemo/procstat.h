/* procstat.h - the standard Prometheus process_* metrics for the current process.
 * Reads getrusage and /proc/self; thread-safe (no shared state). */
#ifndef MSDEMO_PROCSTAT_H
#define MSDEMO_PROCSTAT_H

#include <stdint.h>

typedef struct procstat {
    double cpu_seconds; /* user + system */
    uint64_t rss_bytes; /* resident set size now */
    uint64_t vsize_bytes;
    uint64_t open_fds;
    uint64_t max_fds;
} procstat;

/* Fills ps; fields that cannot be read are 0. Returns 0, or -1 if nothing could be read. */
int procstat_read(procstat *ps);

#endif
