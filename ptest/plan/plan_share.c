/* plan_share.c - distributed runs: cutting a plan into one of N shares (plan_apply_share)
 * so that N ptest processes together send what the single run would. */
#include "plan_int.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Share index of total split over count parts: the first total % count parts get one more. */
static uint32_t share_part(uint32_t total, uint32_t index, uint32_t count)
{
    return total / count + (index < total % count ? 1u : 0u);
}

static void share_closed(plan_scenario *s, uint32_t index, uint32_t count)
{
    uint32_t users = s->users, mine = share_part(users, index, count);

    s->users = mine;
    if (s->ramp_up_ns == 0 || mine == 0)
        return;
    /* The single run starts user n (0-based, over all its threads) at ramp_up * n / users
     * (engine.c). This share stands for users index, index + count, ... (mine of them), so
     * its user j must start at ramp_up * (index + j * count) / users: a start delay longer
     * by ramp_up * index / users and a ramp-up of ramp_up * count * mine / users. Doubles
     * as in the engine: durations are below 2^55 ns, exact to a few ns. */
    double r = (double)s->ramp_up_ns;
    double off = r * (double)index / (double)users;
    /* A single user starts at the start delay: no ramp-up needed (nor room for one). */
    double ramp = mine == 1 ? 0 : r * (double)count * (double)mine / (double)users;
    double delay = (double)s->start_delay_ns + off;
    if (delay + ramp > (double)PLAN_MAX_DURATION_NS)
        return;
    uint64_t new_delay = (uint64_t)(delay + 0.5), new_ramp = (uint64_t)(ramp + 0.5);
    if (s->hold_for_ns == 0) { /* iteration-bound: no end to keep */
        s->start_delay_ns = new_delay;
        s->ramp_up_ns = new_ramp;
        return;
    }
    /* Time-bound: the scenario must still end when the single run's does. */
    uint64_t end = plan_scenario_duration(s);
    if (new_delay + new_ramp >= end)
        return; /* hold_for too short to absorb the shift: keep the plain split */
    s->start_delay_ns = new_delay;
    s->ramp_up_ns = new_ramp;
    s->hold_for_ns = end - new_delay - new_ramp;
}

static void share_open(plan_scenario *s, uint32_t index, uint32_t count)
{
    double r0 = s->n_stages ? s->stages[0].rate : 0;

    for (size_t i = 0; i < s->n_stages; i++)
        s->stages[i].rate /= (double)count;
    uint32_t maxc = share_part(s->max_connections, index, count);
    s->max_connections = maxc ? maxc : 1;
    if (s->arrivals == PLAN_ARRIVALS_POISSON || s->ramp == PLAN_RAMP_LINEAR) {
        /* No start-delay shift: the schedule takes arrivals index, index + count, ... of
         * the whole scenario's (schedule.h), which a shift cannot express for a ramp from
         * 0 or for random gaps. */
        s->start_rate /= (double)count;
        s->arrival_share_index = index;
        s->arrival_share_count = count;
        return;
    }
    if (index == 0 || !(r0 > 0))
        return;
    /* Every schedule has an arrival at its start (schedule.h), so N shares starting
     * together would send N requests at once and then none for N / rate. Share i takes the
     * single run's arrivals i, i + N, ... instead: the first one is i / rate into the first
     * stage, later ones follow at N / rate. Starting i / rate later and shortening the first
     * stage by as much keeps the stage boundaries in place, and the fractional arrival the
     * shortened stage carries over (schedule.h) keeps the later stages in step as well.
     * Rounded up to whole ns, so no share's arrival comes before the single run's. */
    double offd = ceil((double)index * 1e9 / r0);
    if (!(offd < (double)s->stages[0].duration_ns)) /* also keeps the cast below defined */
        return;
    uint64_t off = (uint64_t)offd;
    if (off >= s->stages[0].duration_ns || off > PLAN_MAX_DURATION_NS - s->start_delay_ns)
        return;
    s->start_delay_ns += off;
    s->stages[0].duration_ns -= off;
}

/* p->whole: the scenarios before the cut. Only the stages change in place, so only they
 * are copied. Returns 0 or -1 (out of memory; p unchanged). */
static int keep_whole(plan *p)
{
    plan_scenario *w = calloc(p->n_scenarios ? p->n_scenarios : 1, sizeof(*w));
    if (!w)
        return -1;
    for (size_t i = 0; i < p->n_scenarios; i++) {
        w[i] = p->scenarios[i];
        w[i].stages = NULL;
        if (!p->scenarios[i].n_stages)
            continue;
        w[i].stages = malloc(p->scenarios[i].n_stages * sizeof(*w[i].stages));
        if (!w[i].stages) {
            for (size_t j = 0; j < i; j++)
                free(w[j].stages);
            free(w);
            return -1;
        }
        memcpy(w[i].stages, p->scenarios[i].stages, p->scenarios[i].n_stages * sizeof(*w[i].stages));
    }
    p->whole = w;
    return 0;
}

int plan_apply_share(plan *p, uint32_t index, uint32_t count, char *err, size_t errlen)
{
    if (count == 0 || count > PLAN_MAX_SHARES)
        return err_set(err, errlen, "share count %" PRIu32 " is out of range (1 to %d)", count, PLAN_MAX_SHARES);
    if (index >= count)
        return err_set(err, errlen, "share index %" PRIu32 " is out of range (0 to %" PRIu32 ")", index, count - 1);
    if (p->share_count)
        return err_set(err, errlen, "the plan is already share %" PRIu32 "/%" PRIu32, p->share_index, p->share_count);
    for (size_t i = 0; i < p->n_data; i++)
        if (p->data[i].rows.n_rows <= index)
            return err_set(err, errlen, "data %s has %zu rows: share %" PRIu32 " of %" PRIu32 " would get none",
                           p->data[i].file, p->data[i].rows.n_rows, index, count);
    if (keep_whole(p) != 0)
        return err_set(err, errlen, "out of memory");
    for (size_t i = 0; i < p->n_scenarios; i++) {
        plan_scenario *s = &p->scenarios[i];
        if (s->model == PLAN_OPEN)
            share_open(s, index, count);
        else
            share_closed(s, index, count);
    }
    /* Row r is share r % count's: distributed users never use each other's rows. */
    for (size_t i = 0; i < p->n_data; i++)
        feeder_keep_share(&p->data[i].rows, index, count);
    p->share_index = index;
    p->share_count = count;
    return 0;
}
