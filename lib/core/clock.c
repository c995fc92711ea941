/* clock.c - monotonic and wall-clock time. */
#include "clock.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* clock_gettime can only fail for an invalid clock id or a bad pointer, both impossible
 * here; returning a made-up time would silently corrupt every timer and latency, so a
 * failure is treated as a broken system. */
static uint64_t read_clock(clockid_t id)
{
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0)
        abort();
    /* tv_sec is a 32-bit time_t on older armhf ABIs: widen before multiplying.
     * CLOCK_REALTIME may be set before 1970; such a time is reported as the epoch. */
    if (ts.tv_sec < 0)
        return 0;
    return (uint64_t)ts.tv_sec * CLOCK_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

mono_ns clock_mono_now(void)
{
    return read_clock(CLOCK_MONOTONIC);
}

wall_ns clock_wall_now(void)
{
    return read_clock(CLOCK_REALTIME);
}

/* Civil date from days since 1970-01-01 in the proleptic Gregorian calendar, done in
 * unsigned 64-bit arithmetic so it needs neither gmtime_r (whose time_t may be 32-bit
 * and overflow in 2038) nor the time zone database. The calendar repeats every 400
 * years (146097 days); counting years from March 1st puts the leap day at the end of
 * the year, so month lengths follow the fixed pattern that (153 * m + 2) / 5 encodes. */
static void civil_from_days(uint64_t days, uint64_t *y, unsigned *m, unsigned *d)
{
    uint64_t z = days + 719468u; /* days since 0000-03-01 */
    uint64_t era = z / 146097u;
    uint64_t doe = z - era * 146097u;                                         /* [0, 146096] */
    uint64_t yoe = (doe - doe / 1460u + doe / 36524u - doe / 146096u) / 365u; /* [0, 399] */
    uint64_t doy = doe - (365u * yoe + yoe / 4u - yoe / 100u);                /* [0, 365] */
    uint64_t mp = (5u * doy + 2u) / 153u;                                     /* [0, 11] */
    *d = (unsigned)(doy - (153u * mp + 2u) / 5u + 1u);
    *m = (unsigned)(mp < 10u ? mp + 3u : mp - 9u);
    *y = era * 400u + yoe + (*m <= 2u ? 1u : 0u);
}

char *clock_wall_format(wall_ns t, char *out, size_t outlen)
{
    if (outlen == 0)
        return out;
    uint64_t secs = t / CLOCK_NS_PER_SEC;
    unsigned ms = (unsigned)((t % CLOCK_NS_PER_SEC) / CLOCK_NS_PER_MS);
    uint64_t days = secs / 86400u;
    unsigned sod = (unsigned)(secs % 86400u);
    uint64_t y;
    unsigned mo, d;
    civil_from_days(days, &y, &mo, &d);
    snprintf(out, outlen, "%04" PRIu64 "-%02u-%02uT%02u:%02u:%02u.%03uZ", y, mo, d, sod / 3600u, sod / 60u % 60u,
             sod % 60u, ms);
    return out;
}
