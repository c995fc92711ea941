/* hdr_int.h - private to lib/hist/hdr.c and lib/hist/hdr_codec.c: the pieces of the histogram core
 * that the V2 decoder needs. Not for use outside lib/hdr*.c.
 */
#ifndef PT_HDR_INT_H
#define PT_HDR_INT_H

#include <stdint.h>

#include "hdr.h"

/* Validates the configuration and fills the geometry fields of *h (zeroing it first; the
 * counts array is not allocated). Returns 0, HDR_EINVAL or HDR_ENOMEM (the counts array
 * would not fit in size_t); *h is untouched on error. The decoder uses it to bound a header's
 * payload length before anything is allocated. */
int hdr_layout(hdr_histogram *h, uint64_t lowest, uint64_t highest, int sig_figs);

/* Recomputes min_value/max_value from the non-empty slots of h->counts (a decoded
 * histogram has only its counts). */
void hdr_track_from_counts(hdr_histogram *h);

#endif
