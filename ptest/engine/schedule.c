/* schedule.c - arrival times of step-wise rate stages. */
#include "schedule.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int schedule_init(schedule *s, const plan_stage *stages, size_t n)
{
    memset(s, 0, sizeof(*s));
    s->rate = calloc(n ? n : 1, sizeof(*s->rate));
    s->cum = calloc(n + 1, sizeof(*s->cum));
    s->start_ns = calloc(n + 1, sizeof(*s->start_ns));
    if (!s->rate || !s->cum || !s->start_ns)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        double r = stages[i].rate;
        if (!isfinite(r) || r < 0)
            goto fail;
        s->rate[i] = r;
        s->cum[i + 1] = s->cum[i] + r * ((double)stages[i].duration_ns / 1e9);
        s->start_ns[i + 1] = s->start_ns[i] + stages[i].duration_ns;
    }
    s->n = n;
    return 0;
fail:
    schedule_fini(s);
    return -1;
}

void schedule_fini(schedule *s)
{
    free(s->rate);
    free(s->cum);
    free(s->start_ns);
    memset(s, 0, sizeof(*s));
}

uint64_t schedule_count(const schedule *s)
{
    if (!s->cum)
        return 0;
    /* Arrivals k = 0, 1, ... with k < total: ceil(total). */
    double c = ceil(s->cum[s->n]);
    return c <= 0 ? 0 : (uint64_t)c;
}

double schedule_peak_rate(const schedule *s)
{
    double m = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->rate[i] > m)
            m = s->rate[i];
    return m;
}

int schedule_time(const schedule *s, uint64_t k, size_t *hint, uint64_t *t_ns)
{
    if (s->n == 0)
        return SCHEDULE_END;
    double kd = (double)k;
    if (!(kd < s->cum[s->n]))
        return SCHEDULE_END;
    size_t i = *hint < s->n ? *hint : 0;
    if (kd < s->cum[i])
        i = 0;
    /* Stage i holds arrival k when cum[i] <= k < cum[i + 1]; a zero-rate stage holds none. */
    while (i < s->n && !(kd < s->cum[i + 1]))
        i++;
    if (i >= s->n)
        return SCHEDULE_END;
    *hint = i;
    double off_s = (kd - s->cum[i]) / s->rate[i];
    if (off_s < 0)
        off_s = 0;
    uint64_t off = (uint64_t)llround(off_s * 1e9);
    uint64_t len = s->start_ns[i + 1] - s->start_ns[i];
    /* Rounding must not push an arrival into the next stage or past the end. */
    if (off >= len && len > 0)
        off = len - 1;
    *t_ns = s->start_ns[i] + off;
    return 0;
}
