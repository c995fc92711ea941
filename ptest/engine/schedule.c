/* schedule.c - arrival times of rate stages: steps or linear ramps, constant or poisson. */
#include "schedule.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int schedule_init(schedule *s, const plan_stage *stages, size_t n)
{
    return schedule_init_opts(s, stages, n, NULL);
}

int schedule_init_opts(schedule *s, const plan_stage *stages, size_t n, const schedule_opts *o)
{
    memset(s, 0, sizeof(*s));
    if (o)
        s->o = *o;
    if (s->o.share_count == 0)
        s->o.share_count = 1;
    if (s->o.share_index >= s->o.share_count || !isfinite(s->o.start_rate) || s->o.start_rate < 0)
        return -1;
    s->rate = calloc(n ? n : 1, sizeof(*s->rate));
    s->rate0 = calloc(n ? n : 1, sizeof(*s->rate0));
    s->cum = calloc(n + 1, sizeof(*s->cum));
    s->start_ns = calloc(n + 1, sizeof(*s->start_ns));
    if (!s->rate || !s->rate0 || !s->cum || !s->start_ns)
        goto fail;
    double prev = s->o.start_rate;
    for (size_t i = 0; i < n; i++) {
        double r = stages[i].rate;
        if (!isfinite(r) || r < 0)
            goto fail;
        s->rate[i] = r;
        s->rate0[i] = s->o.linear ? prev : r;
        prev = r;
        double d = (double)stages[i].duration_ns / 1e9;
        s->cum[i + 1] = s->cum[i] + (s->rate0[i] + r) / 2 * d;
        s->start_ns[i + 1] = s->start_ns[i] + stages[i].duration_ns;
    }
    s->n = n;
    return 0;
fail:
    schedule_fini(s);
    return -1;
}

/* FNV-1a: the scenario's name as a key. */
static uint64_t name_key(const char *name)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (const unsigned char *p = (const unsigned char *)(name ? name : ""); *p; p++)
        h = (h ^ *p) * UINT64_C(0x100000001b3);
    return h;
}

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

int schedule_init_scenario(schedule *s, const plan_scenario *sc, uint64_t seed)
{
    schedule_opts o = {
        .poisson = sc->arrivals == PLAN_ARRIVALS_POISSON,
        .linear = sc->ramp == PLAN_RAMP_LINEAR,
        .start_rate = sc->start_rate,
        .seed = mix64(seed ^ name_key(sc->name)),
        .share_index = sc->arrival_share_index,
        .share_count = sc->arrival_share_count,
    };
    return schedule_init_opts(s, sc->stages, sc->n_stages, &o);
}

void schedule_fini(schedule *s)
{
    free(s->rate);
    free(s->rate0);
    free(s->cum);
    free(s->start_ns);
    memset(s, 0, sizeof(*s));
}

/* U_j in (0, 1]: a counter-based draw (splitmix64 of the key and j). */
static inline double unif(uint64_t key, uint64_t j)
{
    uint64_t z = mix64(key + (j + 1) * UINT64_C(0x9e3779b97f4a7c15));
    return (double)((z >> 11) + 1) * 0x1.0p-53;
}

/* Sum of E_j = -ln U_j for j in [from, to): one log per 16 draws (a product of 16 values of
 * at least 2^-53 stays above the smallest normal double). */
static double gaps(uint64_t key, uint64_t from, uint64_t to)
{
    double sum = 0, prod = 1;
    unsigned n = 0;
    for (uint64_t j = from; j < to; j++) {
        prod *= unif(key, j);
        if (++n == 16) {
            sum -= log(prod);
            prod = 1;
            n = 0;
        }
    }
    if (n)
        sum -= log(prod);
    return sum;
}

/* The cumulative value at which arrival k is sent (in the schedule's own units), or a
 * negative value past the end. */
static double arrival_x(const schedule *s, uint64_t k, schedule_cursor *c)
{
    uint64_t cnt = s->o.share_count, idx = s->o.share_index;
    double total = s->cum[s->n];
    if (k > (UINT64_MAX - 1 - idx) / cnt)
        return -1;
    uint64_t g = idx + k * cnt; /* the whole scenario's arrival */
    if (!s->o.poisson)
        return cnt == 1 ? (double)k : (double)k + (double)idx / (double)cnt;
    /* A Poisson count beyond twice its mean plus 64 standard deviations does not happen: this
     * bounds the walk for a k far past the end. */
    double whole = total * (double)cnt;
    if ((double)g > 2 * whole + 64 * sqrt(whole) + 1000)
        return -1;
    if (c->n_done > g + 1) {
        c->n_done = 0;
        c->x = 0;
    }
    c->x += gaps(s->o.seed, c->n_done, g + 1);
    c->n_done = g + 1;
    return c->x / (double)cnt;
}

/* Seconds into stage i at which its integral of the rate reaches y (0 <= y < its count):
 * the root of a t + (b - a) t^2 / (2 D) = y in the form that is stable for every sign. */
static double stage_offset(const schedule *s, size_t i, double y)
{
    if (!(y > 0))
        return 0;
    double a = s->rate0[i], b = s->rate[i];
    if (a == b)
        return y / a;
    double d = (double)(s->start_ns[i + 1] - s->start_ns[i]) / 1e9;
    double q = a * a + 2 * (b - a) / d * y;
    return 2 * y / (a + sqrt(q > 0 ? q : 0));
}

uint64_t schedule_count(const schedule *s)
{
    if (!s->cum || s->n == 0)
        return 0;
    if (!s->o.poisson && s->o.share_count == 1) {
        /* Arrivals k = 0, 1, ... with k < total: ceil(total). */
        double c = ceil(s->cum[s->n]);
        return c <= 0 ? 0 : (uint64_t)c;
    }
    schedule_cursor c;
    memset(&c, 0, sizeof(c));
    uint64_t k = 0, t;
    while (schedule_time(s, k, &c, &t) == 0)
        k++;
    return k;
}

double schedule_expected(const schedule *s)
{
    return s->cum ? s->cum[s->n] : 0;
}

double schedule_peak_rate(const schedule *s)
{
    double m = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (s->rate[i] > m)
            m = s->rate[i];
        if (s->rate0[i] > m)
            m = s->rate0[i];
    }
    return m;
}

int schedule_time(const schedule *s, uint64_t k, schedule_cursor *c, uint64_t *t_ns)
{
    if (s->n == 0)
        return SCHEDULE_END;
    double x = arrival_x(s, k, c);
    if (!(x >= 0) || !(x < s->cum[s->n]))
        return SCHEDULE_END;
    size_t i = c->stage < s->n ? c->stage : 0;
    if (x < s->cum[i])
        i = 0;
    /* Stage i holds the arrival when cum[i] <= x < cum[i + 1]; a zero-rate stage holds none. */
    while (i < s->n && !(x < s->cum[i + 1]))
        i++;
    if (i >= s->n)
        return SCHEDULE_END;
    c->stage = i;
    double off_s = stage_offset(s, i, x - s->cum[i]);
    if (!(off_s > 0))
        off_s = 0;
    uint64_t len = s->start_ns[i + 1] - s->start_ns[i];
    uint64_t off = off_s * 1e9 < (double)len ? (uint64_t)llround(off_s * 1e9) : len;
    /* Rounding must not push an arrival into the next stage or past the end. */
    if (off >= len && len > 0)
        off = len - 1;
    *t_ns = s->start_ns[i] + off;
    return 0;
}
