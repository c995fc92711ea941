/* hist.c - HDR histogram core: bucket layout, recording, merging, statistics, iteration.
 * The V2 binary encoding lives in hist_codec.c.
 *
 * Layout (the public HdrHistogram scheme, re-derived here): values are split into
 * "buckets" of doubling width; each bucket has sub_bucket_count / 2 slots (the lower half
 * of a bucket is covered by the bucket below it, except for bucket 0 which uses all
 * sub_bucket_count slots). sub_bucket_count is the smallest power of two >= 2 * 10^sig_figs,
 * so within every bucket a slot is at most 1 / (2 * 10^sig_figs) of the values it holds.
 * The counts array therefore has (bucket_count + 1) * sub_bucket_count / 2 entries; the index
 * of a value is found from its highest set bit with one count-leading-zeros instruction.
 */
#include "hist.h"
#include "hist_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- geometry ---------- */

/* Bucket of a value. OR-ing the mask in makes every value below the first bucket's top
 * look like it belongs to bucket 0, and keeps the operand of clzll non-zero. */
static inline int32_t bucket_of(const hist *h, uint64_t v)
{
    int32_t pow2_ceiling = 64 - __builtin_clzll(v | h->sub_bucket_mask);
    return pow2_ceiling - h->unit_magnitude - (h->sub_half_magnitude + 1);
}

static inline int32_t sub_bucket_of(const hist *h, uint64_t v, int32_t bucket)
{
    return (int32_t)(v >> (bucket + h->unit_magnitude));
}

/* May be >= counts_len for values beyond the covered range; callers check. */
static inline size_t index_of(const hist *h, uint64_t v)
{
    int32_t b = bucket_of(h, v);
    int32_t s = sub_bucket_of(h, v, b);
    /* base >= sub_bucket_count / 2, so the subtraction never wraps. */
    size_t base = (size_t)(b + 1) << h->sub_half_magnitude;
    return base + (size_t)s - (size_t)(h->sub_bucket_count >> 1);
}

/* Lowest value of the slot at index. */
static inline uint64_t value_at_index(const hist *h, size_t index)
{
    int32_t half = h->sub_bucket_count >> 1;
    int32_t b = (int32_t)(index >> h->sub_half_magnitude) - 1;
    int32_t s = (int32_t)(index & (size_t)(half - 1)) + half;
    if (b < 0) {
        s -= half;
        b = 0;
    }
    return (uint64_t)s << (b + h->unit_magnitude);
}

/* Width of the slot holding v. */
static inline uint64_t range_size(const hist *h, uint64_t v)
{
    int32_t b = bucket_of(h, v);
    int32_t s = sub_bucket_of(h, v, b);
    int32_t adjusted = s >= h->sub_bucket_count ? b + 1 : b;
    return UINT64_C(1) << (h->unit_magnitude + adjusted);
}

uint64_t hist_lowest_equivalent(const hist *h, uint64_t value)
{
    int32_t b = bucket_of(h, value);
    int32_t s = sub_bucket_of(h, value, b);
    return (uint64_t)s << (b + h->unit_magnitude);
}

uint64_t hist_highest_equivalent(const hist *h, uint64_t value)
{
    /* lowest + (size - 1): never overflows, even for the top slot of the 64-bit range. */
    return hist_lowest_equivalent(h, value) + (range_size(h, value) - 1);
}

uint64_t hist_median_equivalent(const hist *h, uint64_t value)
{
    return hist_lowest_equivalent(h, value) + (range_size(h, value) >> 1);
}

bool hist_values_equivalent(const hist *h, uint64_t a, uint64_t b)
{
    return hist_lowest_equivalent(h, a) == hist_lowest_equivalent(h, b);
}

/* ---------------------------------------------------------------- lifecycle --------- */

/* Smallest m with 2^m >= v (v >= 2). */
static int32_t ceil_log2(uint64_t v)
{
    return 64 - __builtin_clzll(v - 1);
}

/* Fills the geometry fields of h (not counts); 0 or HIST_EINVAL. */
int hist_layout(hist *h, uint64_t lowest, uint64_t highest, int sig_figs)
{
    if (lowest < 1 || sig_figs < 0 || sig_figs > 5 || highest > (uint64_t)INT64_MAX || highest / 2 < lowest)
        return HIST_EINVAL;
    uint64_t single_unit_top = 2;
    for (int i = 0; i < sig_figs; i++)
        single_unit_top *= 10;
    int32_t count_magnitude = ceil_log2(single_unit_top);
    int32_t half_magnitude = (count_magnitude > 1 ? count_magnitude : 1) - 1;
    int32_t unit_magnitude = 63 - __builtin_clzll(lowest);
    /* Keeps sub_bucket_count << unit_magnitude (and every shift below) inside 63 bits. */
    if (unit_magnitude + half_magnitude > 61)
        return HIST_EINVAL;

    int32_t sub_count = (int32_t)1 << (half_magnitude + 1);
    uint64_t untrackable = (uint64_t)sub_count << unit_magnitude;
    int32_t buckets = 1;
    while (untrackable <= highest) {
        if (untrackable > (uint64_t)INT64_MAX / 2) {
            buckets++;
            break;
        }
        untrackable <<= 1;
        buckets++;
    }
    size_t len = (size_t)(buckets + 1) * (size_t)(sub_count / 2);
    if (len > SIZE_MAX / sizeof(uint64_t))
        return HIST_ENOMEM;

    memset(h, 0, sizeof(*h));
    h->lowest = lowest;
    h->highest = highest;
    h->sig_figs = sig_figs;
    h->unit_magnitude = unit_magnitude;
    h->sub_half_magnitude = half_magnitude;
    h->sub_bucket_count = sub_count;
    h->bucket_count = buckets;
    h->sub_bucket_mask = (uint64_t)(sub_count - 1) << unit_magnitude;
    h->counts_len = len;
    h->min_value = UINT64_MAX;
    h->conversion_ratio = 1.0;
    return 0;
}

int hist_init(hist *h, uint64_t lowest, uint64_t highest, int sig_figs)
{
    int rc = hist_layout(h, lowest, highest, sig_figs);
    if (rc != 0) {
        memset(h, 0, sizeof(*h));
        return rc;
    }
    h->counts = calloc(h->counts_len, sizeof(uint64_t));
    if (!h->counts) {
        memset(h, 0, sizeof(*h));
        return HIST_ENOMEM;
    }
    return 0;
}

void hist_fini(hist *h)
{
    free(h->counts);
    h->counts = NULL;
}

int hist_create(uint64_t lowest, uint64_t highest, int sig_figs, hist **out)
{
    hist *h = malloc(sizeof(*h));
    if (!h)
        return HIST_ENOMEM;
    int rc = hist_init(h, lowest, highest, sig_figs);
    if (rc != 0) {
        free(h);
        return rc;
    }
    *out = h;
    return 0;
}

void hist_destroy(hist *h)
{
    if (!h)
        return;
    hist_fini(h);
    free(h);
}

void hist_reset(hist *h)
{
    memset(h->counts, 0, h->counts_len * sizeof(uint64_t));
    h->total_count = 0;
    h->clamped = 0;
    h->min_value = UINT64_MAX;
    h->max_value = 0;
}

/* ---------------------------------------------------------------- recording --------- */

int hist_record_n(hist *h, uint64_t value, uint64_t n)
{
    if (n == 0)
        return 0;
    if (h->total_count > UINT64_MAX - n)
        return HIST_EOVERFLOW;
    if (value > h->highest) {
        value = h->highest;
        h->clamped += n; /* clamped <= total_count, so this cannot overflow either */
    }
    /* highest lies inside the counts array by construction (hist_layout()), so no check here. */
    h->counts[index_of(h, value)] += n;
    h->total_count += n;
    if (value > h->max_value)
        h->max_value = value;
    if (value < h->min_value)
        h->min_value = value;
    return 0;
}

/* Sets min_value/max_value from the non-empty slots (after decode). */
void hist_track_from_counts(hist *h)
{
    h->min_value = UINT64_MAX;
    h->max_value = 0;
    size_t i;
    for (i = 0; i < h->counts_len; i++) {
        if (h->counts[i]) {
            h->min_value = value_at_index(h, i);
            break;
        }
    }
    for (i = h->counts_len; i-- > 0;) {
        if (h->counts[i]) {
            h->max_value = hist_highest_equivalent(h, value_at_index(h, i));
            break;
        }
    }
}

int hist_add(hist *dst, const hist *src)
{
    if (dst->unit_magnitude != src->unit_magnitude || dst->sub_half_magnitude != src->sub_half_magnitude)
        return HIST_EINCOMPAT;
    uint64_t src_total = src->total_count, src_clamped = src->clamped;
    uint64_t src_min = src->min_value, src_max = src->max_value;
    if (dst->total_count > UINT64_MAX - src_total)
        return HIST_EOVERFLOW;

    /* Identical layouts mean index i is the same slot in both arrays. Slots of src above the
     * one holding dst->highest have every value above dst->highest, so they are clamped the
     * way hist_record_n would clamp them. Ascending order keeps dst == src correct: a slot
     * above `top` is read before anything is added to it (nothing is). */
    size_t top = index_of(dst, dst->highest);
    uint64_t moved = 0;
    for (size_t i = 0; i < src->counts_len; i++) {
        uint64_t c = src->counts[i];
        if (c == 0)
            continue;
        if (i > top) {
            dst->counts[top] += c;
            moved += c;
        } else {
            dst->counts[i] += c;
        }
    }
    dst->total_count += src_total;
    dst->clamped += src_clamped + moved;
    if (src_total > 0) {
        /* A src max above dst->highest is either clamped to it or shares its slot. */
        uint64_t mx = src_max > dst->highest ? dst->highest : src_max;
        uint64_t mn = src_min > dst->highest ? dst->highest : src_min;
        if (mx > dst->max_value)
            dst->max_value = mx;
        if (mn < dst->min_value)
            dst->min_value = mn;
    }
    return 0;
}

/* ---------------------------------------------------------------- statistics -------- */

uint64_t hist_min(const hist *h)
{
    return h->total_count ? hist_lowest_equivalent(h, h->min_value) : 0;
}

uint64_t hist_max(const hist *h)
{
    return h->total_count ? hist_highest_equivalent(h, h->max_value) : 0;
}

void hist_iter_init(hist_iter *it, const hist *h)
{
    memset(it, 0, sizeof(*it));
    it->h = h;
}

bool hist_iter_next(hist_iter *it)
{
    const hist *h = it->h;
    for (size_t i = it->next_index; i < h->counts_len; i++) {
        if (h->counts[i]) {
            uint64_t v = value_at_index(h, i);
            it->lowest = v;
            it->highest = hist_highest_equivalent(h, v);
            it->count = h->counts[i];
            it->cumulative += it->count;
            it->next_index = i + 1;
            return true;
        }
    }
    it->next_index = h->counts_len;
    return false;
}

/* The accumulation order (ascending slots, value * count in double) is the reference's, so
 * the result matches it to the last bit. */
double hist_mean(const hist *h)
{
    if (h->total_count == 0)
        return 0.0;
    double total = 0.0;
    hist_iter it;
    hist_iter_init(&it, h);
    while (hist_iter_next(&it))
        total += (double)hist_median_equivalent(h, it.lowest) * (double)it.count;
    return total / (double)h->total_count;
}

double hist_stddev(const hist *h)
{
    if (h->total_count == 0)
        return 0.0;
    double mean = hist_mean(h);
    double sum = 0.0;
    hist_iter it;
    hist_iter_init(&it, h);
    while (hist_iter_next(&it)) {
        double d = (double)hist_median_equivalent(h, it.lowest) - mean;
        sum += d * d * (double)it.count;
    }
    return sqrt(sum / (double)h->total_count);
}

/* 2^(floor(log2 x) - 52): the spacing of doubles just above x's binade start, as
 * hdr-histogram-js computes it. frexp gives the exponent exactly (no log2 rounding). */
static double ulp_of(double x)
{
    if (!(x > 0.0) || isinf(x))
        return 0.0;
    int e;
    (void)frexp(x, &e); /* x = m * 2^e, m in [0.5, 1) so floor(log2 x) = e - 1 */
    return ldexp(1.0, e - 53);
}

uint64_t hist_value_at_percentile(const hist *h, double percentile)
{
    if (h->total_count == 0)
        return 0;
    double p = percentile > 0.0 ? percentile : 0.0; /* also maps NaN to 0 */
    if (p > 100.0)
        p = 100.0;
    /* Separate statements: a fused multiply-subtract (clang's default fp-contract on some
     * targets) would round differently from the reference. */
    double fp_count = (p / 100.0) * (double)h->total_count;
    double u = ulp_of(fp_count);
    double want = ceil(fp_count - u);
    uint64_t target;
    if (want < 1.0)
        target = 1;
    else if (want >= (double)h->total_count)
        target = h->total_count;
    else
        target = (uint64_t)want;

    uint64_t cumulative = 0;
    for (size_t i = 0; i < h->counts_len; i++) {
        cumulative += h->counts[i];
        if (cumulative >= target) {
            uint64_t v = value_at_index(h, i);
            return p == 0.0 ? hist_lowest_equivalent(h, v) : hist_highest_equivalent(h, v);
        }
    }
    return 0; /* unreachable while total_count == sum of counts */
}

uint64_t hist_count_at_value(const hist *h, uint64_t value)
{
    size_t i = index_of(h, value);
    return i < h->counts_len ? h->counts[i] : 0;
}

const char *hist_strerror(int err)
{
    switch (err) {
    case 0: return "success";
    case HIST_EINVAL: return "invalid histogram argument or configuration";
    case HIST_ENOMEM: return "out of memory";
    case HIST_EOVERFLOW: return "histogram count overflow";
    case HIST_EINCOMPAT: return "histograms have different bucket layouts";
    case HIST_ECORRUPT: return "corrupt histogram encoding";
    case HIST_ECOOKIE: return "unknown histogram encoding cookie";
    default: return "unknown histogram error";
    }
}
