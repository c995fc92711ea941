/* clock.h - monotonic and wall-clock time in named types.
 *
 * All latency and timer arithmetic uses mono_ns (CLOCK_MONOTONIC nanoseconds).
 * Wall-clock time (wall_ns, CLOCK_REALTIME) is only for timestamps in reports.
 * Both are uint64_t so they are 32-bit clean on armhf regardless of time_t width.
 */
#ifndef PT_CLOCK_H
#define PT_CLOCK_H

#include <stddef.h>
#include <stdint.h>

typedef uint64_t mono_ns;
typedef uint64_t wall_ns;

#define CLOCK_NS_PER_US UINT64_C(1000)
#define CLOCK_NS_PER_MS UINT64_C(1000000)
#define CLOCK_NS_PER_SEC UINT64_C(1000000000)

/* Current CLOCK_MONOTONIC time. Thread-safe. */
mono_ns clock_mono_now(void);

/* Current CLOCK_REALTIME time in ns since the Unix epoch. Thread-safe. */
wall_ns clock_wall_now(void);

/* Formats a wall time as RFC 3339 UTC with milliseconds ("2026-11-26T13:07:33.123Z",
 * always 24 characters: every uint64_t value lies before year 10000) into out, which
 * should hold CLOCK_WALL_FMT_LEN bytes; a shorter buffer gets a truncated, still
 * NUL-terminated string (nothing is written when outlen is 0). Pure and thread-safe:
 * does not depend on time_t width or the TZ environment. Returns out. */
#define CLOCK_WALL_FMT_LEN 32
char *clock_wall_format(wall_ns t, char *out, size_t outlen);

#endif
