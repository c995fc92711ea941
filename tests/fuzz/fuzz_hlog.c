/* fuzz_hlog.c - libFuzzer target for the interval log reader and the histogram decoders.
 *
 * Each input is tried three ways: as interval log text (hlog_next until the end, going on
 * after malformed lines), as a binary V2 encoding (hist_decode, plain or compressed) and as the
 * base64 column of a log line (hlog_decode_histogram). Every histogram that decodes must be
 * internally consistent and survive an encode/decode round trip unchanged.
 * Seeds: tests/fuzz/corpus/hlog/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "hist.h"
#include "hlog.h"

static void check_histogram(const hist *h)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < h->counts_len; i++) {
        FUZZ_CHECK(sum + h->counts[i] >= sum);
        sum += h->counts[i];
    }
    FUZZ_CHECK(sum == h->total_count);

    hist_iter it;
    hist_iter_init(&it, h);
    uint64_t prev_hi = 0, cum = 0;
    bool first = true;
    while (hist_iter_next(&it)) {
        FUZZ_CHECK(it.count > 0 && it.lowest <= it.highest);
        FUZZ_CHECK(first || it.lowest > prev_hi);
        prev_hi = it.highest;
        cum += it.count;
        FUZZ_CHECK(it.cumulative == cum);
        first = false;
    }
    FUZZ_CHECK(cum == h->total_count);

    uint64_t last = 0;
    for (int p = 1; p <= 100; p += 11) {
        uint64_t v = hist_value_at_percentile(h, p);
        FUZZ_CHECK(v >= last);
        last = v;
    }
    FUZZ_CHECK(last <= hist_max(h));
    FUZZ_CHECK(h->total_count == 0 || hist_min(h) <= hist_max(h));

    uint8_t *buf = NULL;
    size_t len = 0;
    FUZZ_CHECK(hist_encode_compressed(h, &buf, &len) == 0);
    hist *again = NULL;
    FUZZ_CHECK(hist_decode(buf, len, &again) == 0);
    FUZZ_CHECK(again->counts_len == h->counts_len && again->total_count == h->total_count);
    FUZZ_CHECK(memcmp(again->counts, h->counts, h->counts_len * sizeof(uint64_t)) == 0);
    hist_destroy(again);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hlog_reader r;
    hlog_interval iv;
    int rc;
    hlog_reader_init(&r, (const char *)data, size);
    while ((rc = hlog_next(&r, &iv)) != 0) {
        FUZZ_CHECK(r.pos <= size);
        if (rc < 0)
            continue;
        FUZZ_CHECK(!iv.tag || (iv.tag >= (const char *)data && iv.tag + iv.tag_len <= (const char *)data + size));
        check_histogram(iv.h);
        hist_destroy(iv.h);
    }
    (void)hlog_base_time(&r);

    hist *h = NULL;
    if (hist_decode(data, size, &h) == 0) {
        check_histogram(h);
        hist_destroy(h);
    }
    h = NULL;
    if (hlog_decode_histogram((const char *)data, size, &h) == 0) {
        check_histogram(h);
        hist_destroy(h);
    }
    return 0;
}
