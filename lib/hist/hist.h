/* hist.h - High Dynamic Range histogram (HdrHistogram-compatible layout and encoding).
 *
 * Records non-negative integer values with a fixed relative precision: with S significant
 * digits every value is kept in a bucket whose width is at most 1 / (2 * 10^S) of the value
 * (S = 3: 0.05 %). ptest records microseconds with lowest 1, highest 3,600,000,000 (1 h) and
 * S = 3, which needs one array of 23,552 uint64_t counts (184 KiB); see HIST_PTEST_*.
 *
 * Bucket layout, percentile semantics and the V2 binary encoding are those of the public
 * HdrHistogram specification, so the logs ptest writes are read by the Java/JS/C tools and
 * vice versa (tests/integration/hdr_interop.sh proves it against hdr-histogram-js).
 *
 * Terms: a value v falls into one bucket ("equivalent range") [lowest_equivalent(v),
 * highest_equivalent(v)]; all values in it are indistinguishable after recording.
 *
 * Statistics, all computed from the buckets (so they are identical before and after an
 * encode/decode or a merge):
 *   hist_min        lowest equivalent value of the lowest non-empty bucket (0 when empty).
 *   hist_max        highest equivalent value of the highest non-empty bucket (0 when empty);
 *                  like HdrHistogram's getMaxValue, it may exceed the largest recorded value
 *                  by less than one bucket width.
 *   hist_mean       sum of median_equivalent(bucket) * count / total (0 when empty).
 *   hist_stddev     population standard deviation over the same medians (0 when empty).
 *   hist_value_at_percentile(p): p is clamped to [0, 100] (NaN counts as 0). With N the total
 *                  count, let x = (p / 100) * N in double arithmetic and
 *                  k = max(1, ceil(x - ulp(x))), ulp(x) = 2^(floor(log2 x) - 52); the result is
 *                  the highest equivalent value of the first bucket (ascending) at which the
 *                  cumulative count reaches k; for p == 0 exactly it is that bucket's lowest
 *                  equivalent value instead. 0 when empty. This is bit-for-bit the rule of
 *                  hdr-histogram-js 3.x and HdrHistogram (Java) getValueAtPercentile; the
 *                  "- ulp" stops 1-ulp rounding noise in (p / 100) * N from skipping a count.
 *
 * Values above the highest trackable value are recorded as the highest trackable value and
 * counted in ->clamped: never dropped. Values below the lowest discernible value land in the
 * first buckets (0 is a valid value).
 *
 * Thread-safety: none; one histogram per thread, merged with hist_add at the end (threads
 * share no mutable state). Different histograms may be used from different threads freely.
 */
#ifndef PT_HIST_H
#define PT_HIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ptest's configuration: microseconds, 1 us .. 1 h, 3 significant digits. */
#define HIST_PTEST_LOWEST UINT64_C(1)
#define HIST_PTEST_HIGHEST UINT64_C(3600000000)
#define HIST_PTEST_SIGFIGS 3

enum {
    HIST_EINVAL = -1,    /* invalid argument or configuration */
    HIST_ENOMEM = -2,    /* allocation failed */
    HIST_EOVERFLOW = -3, /* the total count would exceed UINT64_MAX (nothing was changed) */
    HIST_EINCOMPAT = -4, /* hist_add: different bucket layouts (lowest or sig figs differ) */
    HIST_ECORRUPT = -5,  /* encoded data malformed: truncated, bad length, bad deflate, ... */
    HIST_ECOOKIE = -6,   /* encoded data starts with an unknown/unsupported cookie */
};

/* Fields are public so that hot paths can inline; treat them as read-only. */
typedef struct hist {
    uint64_t lowest;            /* lowest discernible value (>= 1) */
    uint64_t highest;           /* highest trackable value (>= 2 * lowest) */
    int32_t sig_figs;           /* 0..5 */
    int32_t unit_magnitude;     /* floor(log2(lowest)) */
    int32_t sub_half_magnitude; /* log2(sub_bucket_count / 2) */
    int32_t sub_bucket_count;   /* power of two */
    int32_t bucket_count;
    uint64_t sub_bucket_mask; /* (sub_bucket_count - 1) << unit_magnitude */
    size_t counts_len;        /* (bucket_count + 1) * sub_bucket_count / 2 */
    uint64_t total_count;     /* sum of counts[] */
    uint64_t clamped;         /* how many recordings were above `highest` and clamped */
    uint64_t min_value;       /* smallest value recorded (UINT64_MAX when empty) */
    uint64_t max_value;       /* largest value recorded (0 when empty) */
    double conversion_ratio;  /* integer-to-double ratio from the encoding; 1.0 otherwise */
    uint64_t *counts;         /* one array of counts_len, owned */
} hist;

/* Non-empty bucket iterator (ascending values). */
typedef struct hist_iter {
    const hist *h;
    size_t next_index;
    uint64_t lowest;     /* lowest equivalent value of the current bucket */
    uint64_t highest;    /* highest equivalent value of the current bucket */
    uint64_t count;      /* count in the current bucket (> 0) */
    uint64_t cumulative; /* counts of all buckets up to and including this one */
} hist_iter;

/* Initialises *h in place (allocates the counts array). lowest >= 1, highest >= 2 * lowest,
 * highest <= INT64_MAX, sig_figs 0..5. Returns 0, HIST_EINVAL or HIST_ENOMEM (*h is then
 * zeroed and needs no hist_fini). */
int hist_init(hist *h, uint64_t lowest, uint64_t highest, int sig_figs);
/* Frees the counts of an hist_init'ed histogram; safe on a zeroed struct. */
void hist_fini(hist *h);
/* Heap variants: *out owned by the caller, free with hist_destroy (NULL is fine). */
int hist_create(uint64_t lowest, uint64_t highest, int sig_figs, hist **out);
void hist_destroy(hist *h);

/* Empties the histogram (counts, total, clamped, min/max); keeps the configuration. */
void hist_reset(hist *h);

/* Records value n times (n == 0 is a no-op). Returns 0, or HIST_EOVERFLOW if the total count
 * would overflow (nothing recorded). */
int hist_record_n(hist *h, uint64_t value, uint64_t n);
static inline int hist_record(hist *h, uint64_t value)
{
    return hist_record_n(h, value, 1);
}

/* Adds every count of src to dst exactly. The bucket layouts must match (same unit magnitude,
 * i.e. floor(log2(lowest)), and same sig_figs); `highest` may differ: buckets of src whose
 * values are all above dst->highest are added to dst's highest bucket and counted in
 * dst->clamped. src->clamped is added to dst->clamped. Returns 0, HIST_EINCOMPAT or
 * HIST_EOVERFLOW (dst unchanged on error). dst == src is allowed (doubles every count). */
int hist_add(hist *dst, const hist *src);

/* Statistics: see the top of this file for the exact definitions. */
uint64_t hist_min(const hist *h);
uint64_t hist_max(const hist *h);
double hist_mean(const hist *h);
double hist_stddev(const hist *h);
uint64_t hist_value_at_percentile(const hist *h, double percentile);
/* Count recorded in the bucket of value (0 if value is beyond the counts array). */
uint64_t hist_count_at_value(const hist *h, uint64_t value);

/* Bucket geometry for a value. */
uint64_t hist_lowest_equivalent(const hist *h, uint64_t value);
uint64_t hist_highest_equivalent(const hist *h, uint64_t value);
uint64_t hist_median_equivalent(const hist *h, uint64_t value);
bool hist_values_equivalent(const hist *h, uint64_t a, uint64_t b);

/* Iteration over non-empty buckets:
 *   hist_iter it; hist_iter_init(&it, h); while (hist_iter_next(&it)) use(it.lowest, it.count);
 * The histogram must not be modified during the iteration. */
void hist_iter_init(hist_iter *it, const hist *h);
bool hist_iter_next(hist_iter *it);

/* --- V2 encoding (HdrHistogram "V2" binary format) ---------------------------------------
 * Uncompressed: big-endian header of 40 bytes
 *   int32 cookie 0x1c849313 (base 0x1c849303; the 0x10 bit marks the ZigZag-LEB128 word)
 *   int32 payload length in bytes      int32 normalizing index offset (written 0)
 *   int32 significant digits           int64 lowest discernible value
 *   int64 highest trackable value      double integer-to-double conversion ratio (1.0)
 * then the counts from index 0 up to the highest non-empty one, each a ZigZag LEB128-64b9B
 * varint: a positive value is a count, a negative value -k stands for k empty buckets.
 * Compressed: int32 cookie 0x1c849314 (base 0x1c849304), int32 length L, then L bytes of zlib
 * (RFC 1950) deflate of the uncompressed form.
 * Readers compare cookies with the 0xf0 bits masked (as the reference readers do), ignore the
 * normalizing index offset and store the conversion ratio (hdr-histogram-js writes an int64 1
 * in those fields; a ratio that is not a positive normal double is stored as 1.0).
 * ->clamped is not part of the format: a decoded histogram has clamped == 0, and its min/max
 * come from its buckets (hist_min/hist_max are unchanged by a round trip). */
#define HIST_V2_COOKIE UINT32_C(0x1c849313)
#define HIST_V2_COMPRESSED_COOKIE UINT32_C(0x1c849314)

/* Encode h. *out is malloc'ed, owned by the caller (free()). Return 0, HIST_ENOMEM or
 * HIST_EINVAL (only if the counts array holds a value larger than INT64_MAX). */
int hist_encode(const hist *h, uint8_t **out, size_t *out_len);
int hist_encode_compressed(const hist *h, uint8_t **out, size_t *out_len);

/* Decodes either form (chosen by the cookie) into a new histogram with the encoded
 * configuration; *out owned by the caller (hist_destroy). Every length is validated against
 * len and the configuration; trailing bytes after the declared lengths are an error.
 * Returns 0, HIST_ECOOKIE, HIST_ECORRUPT, HIST_EINVAL (configuration out of range),
 * HIST_EOVERFLOW (counts sum past UINT64_MAX) or HIST_ENOMEM. */
int hist_decode(const uint8_t *data, size_t len, hist **out);

/* Static text for an HIST_* code. */
const char *hist_strerror(int err);

#endif
