/* promtext.h - writing the Prometheus text exposition format, version 0.0.4: family
 * headers, label values, seconds, and a histogram family out of an HDR histogram.
 * Shared by msdemo's /metrics, the collector's and `ptest run --metrics-listen`.
 *
 * Histograms from an HDR histogram (hist.h, values in microseconds): bucket le=B counts the
 * recorded values whose HDR bucket begins at or below B (an HDR bucket is at most 1/1000 of
 * its value wide at 3 significant digits, so a value up to 0.1 % above a bound may count
 * below it; a value exactly at the bound always does),
 * _sum is the histogram's mean times its count, _count its count.
 * Pure functions on a buf; thread-safe for distinct bufs.
 */
#ifndef PT_PROMTEXT_H
#define PT_PROMTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "hist.h"

#define PROMTEXT_MAX_BUCKETS 64

/* "# HELP NAME HELP\n# TYPE NAME TYPE\n". */
void promtext_family(buf *out, const char *name, const char *type, const char *help);
/* A label value with backslash, double quote and newline escaped. */
void promtext_label_value(buf *out, const char *s);
/* ns as seconds with every digit needed and no trailing zeros ("0.25", "1", "0.000001"). */
void promtext_seconds(buf *out, uint64_t ns);

/* Bucket bounds in ns, ascending and distinct: the 1-2.5-5 ladder from 100 us to 50 s
 * (PROMTEXT_LADDER, 18 bounds) and every value of extra_ns (e.g. a plan's latency
 * thresholds; 0 and values above an hour are left out). When more than max would result,
 * ladder bounds nearest to an extra one go first (the extras are always kept, up to max).
 * Returns how many were written to out[max]. */
size_t promtext_buckets(uint64_t *out, size_t max, const uint64_t *extra_ns, size_t n_extra);

/* The samples of histogram NAME for one series: NAME_bucket{LABELS,le="B"} for each bound
 * and +Inf, NAME_sum{LABELS} (seconds), NAME_count{LABELS}. labels is the rendered label
 * list without braces ("label=\"api\""), "" for none. h may be NULL (all zero). */
void promtext_histogram(buf *out, const char *name, const char *labels, const hist *h, const uint64_t *le_ns,
                        size_t n_le);

#endif
