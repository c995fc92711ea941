/* progress.c - live progress line. */
#include "progress.h"

#include <inttypes.h>
#include <string.h>

#include "clock.h"
#include "units.h"

void progress_init(progress *pg, FILE *out, bool enabled, bool tty, uint64_t total_ns)
{
    memset(pg, 0, sizeof(*pg));
    pg->out = out;
    pg->enabled = enabled && out != NULL;
    pg->tty = tty;
    pg->total_ns = total_ns;
}

size_t progress_format(const progress_snap *s, uint64_t total_ns, char *out, size_t outlen)
{
    if (outlen == 0)
        return 0;
    char el[24], tot[24], p50[24], p99[24];
    /* Whole seconds for the clock: the line should not flicker with milliseconds. */
    units_format_duration(s->elapsed_ns / CLOCK_NS_PER_SEC * CLOCK_NS_PER_SEC, el, sizeof(el));
    units_format_duration(total_ns, tot, sizeof(tot));
    if (s->has_latency) {
        units_format_duration(s->p50_us * CLOCK_NS_PER_US, p50, sizeof(p50));
        units_format_duration(s->p99_us * CLOCK_NS_PER_US, p99, sizeof(p99));
    } else {
        snprintf(p50, sizeof(p50), "-");
        snprintf(p99, sizeof(p99), "-");
    }
    double pct = s->count ? 100.0 * (double)s->errors / (double)s->count : 0.0;
    int n =
        snprintf(out, outlen, "%s/%s  %.0f req/s  %" PRIu64 " requests  %" PRIu64 " errors (%.2f%%)  p50 %s  p99 %s",
                 el, tot, s->rps, s->count, s->errors, pct, p50, p99);
    if (n > 0 && s->dropped > 0 && (size_t)n < outlen)
        n += snprintf(out + n, outlen - (size_t)n, "  %" PRIu64 " dropped", s->dropped);
    if (n < 0)
        n = 0;
    return (size_t)n < outlen ? (size_t)n : outlen - 1;
}

void progress_update(progress *pg, const progress_snap *s)
{
    if (!pg->enabled)
        return;
    char line[256];
    size_t n = progress_format(s, pg->total_ns, line, sizeof(line));
    if (pg->tty) {
        /* Pad over a longer previous line instead of relying on terminal escapes. */
        size_t pad = pg->last_len > n ? pg->last_len - n : 0;
        fprintf(pg->out, "\r%s%*s", line, (int)pad, "");
        pg->last_len = n;
    } else {
        uint32_t sec = (uint32_t)(s->elapsed_ns / CLOCK_NS_PER_SEC);
        if (sec < pg->last_plain_s + PROGRESS_PLAIN_EVERY)
            return;
        pg->last_plain_s = sec - sec % PROGRESS_PLAIN_EVERY;
        fprintf(pg->out, "%s\n", line);
    }
    fflush(pg->out);
}

void progress_end(progress *pg)
{
    if (pg->enabled && pg->tty && pg->last_len > 0) {
        fputc('\n', pg->out);
        fflush(pg->out);
        pg->last_len = 0;
    }
}
