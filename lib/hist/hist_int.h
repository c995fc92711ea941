/* hist_int.h - private to lib/hist/hist.c and lib/hist/hist_codec.c: the pieces of the histogram core
 * that the V2 decoder needs. Not for use outside lib/hdr*.c.
 */
#ifndef PT_HIST_INT_H
#define PT_HIST_INT_H

#include <stdint.h>

#include "hist.h"

/* Validates the configuration and fills the geometry fields of *h (zeroing it first; the
 * counts array is not allocated). Returns 0, HIST_EINVAL or HIST_ENOMEM (the counts array
 * would not fit in size_t); *h is untouched on error. The decoder uses it to bound a header's
 * payload length before anything is allocated. */
int hist_layout(hist *h, uint64_t lowest, uint64_t highest, int sig_figs);

/* Recomputes min_value/max_value from the non-empty slots of h->counts (a decoded
 * histogram has only its counts). */
void hist_track_from_counts(hist *h);

#endif
