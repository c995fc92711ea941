/* fuzz_http_chunked.c - libFuzzer target for the chunked decoder.
 *
 * Invariants checked on every input:
 *  - consumed <= size; data views lie inside the bytes consumed by that call; a 0 result
 *    either returned data or consumed all input; body bytes <= consumed bytes;
 *  - a finished decoder stays finished and consumes nothing;
 *  - feeding the input whole, in two pieces at several split points, or byte by byte
 *    gives the same result, the same body and the same consumed length;
 *  - the in-place decoder agrees with the zero-copy one and leaves bytes after the
 *    message untouched;
 *  - a prefix of a complete message decodes to 0 with a prefix of the body.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "http.h"

typedef struct result {
    int rc;
    size_t consumed;
    size_t body_n;
} result;

/* Feeds buf[0..size) to http_chunked_next, first `first` bytes then `step` at a time. */
static result run_next(const char *buf, size_t size, size_t first, size_t step, char *body)
{
    http_chunked c;
    http_chunked_init(&c);
    result r = {0, 0, 0};
    size_t fed = first < size ? first : size;
    for (;;) {
        http_str d;
        size_t used, avail = fed - r.consumed;
        r.rc = http_chunked_next(&c, buf + r.consumed, avail, &d, &used);
        if (r.rc < 0)
            break;
        FUZZ_CHECK(used <= avail);
        if (d.n > 0) {
            FUZZ_CHECK(d.p >= buf + r.consumed && d.p + d.n <= buf + r.consumed + used);
            memcpy(body + r.body_n, d.p, d.n);
            r.body_n += d.n;
        } else {
            FUZZ_CHECK(r.rc == 1 || used == avail);
        }
        r.consumed += used;
        FUZZ_CHECK(r.body_n <= r.consumed);
        if (r.rc == 1) {
            http_str d2;
            size_t used2;
            FUZZ_CHECK(http_chunked_next(&c, buf + r.consumed, size - r.consumed, &d2, &used2) == 1);
            FUZZ_CHECK(used2 == 0 && d2.n == 0);
            break;
        }
        if (r.consumed == fed) {
            if (fed == size)
                break;
            fed = size - fed > step ? fed + step : size;
        }
    }
    return r;
}

static result run_inplace(const char *buf, size_t size, size_t first, size_t step, char *copy, char *body)
{
    http_chunked c;
    http_chunked_init(&c);
    memcpy(copy, buf, size);
    result r = {0, 0, 0};
    size_t fed = first < size ? first : size;
    for (;;) {
        size_t n = fed - r.consumed, used, avail = n;
        r.rc = http_chunked_decode(&c, copy + r.consumed, &n, &used);
        if (r.rc < 0)
            break;
        FUZZ_CHECK(used <= avail && n <= used);
        FUZZ_CHECK(r.rc == 1 || used == avail);
        memcpy(body + r.body_n, copy + r.consumed, n);
        r.body_n += n;
        r.consumed += used;
        if (r.rc == 1)
            break;
        if (fed == size)
            break;
        fed = size - fed > step ? fed + step : size;
    }
    if (r.rc == 1)
        FUZZ_CHECK(memcmp(copy + r.consumed, buf + r.consumed, size - r.consumed) == 0);
    return r;
}

static void same(result a, const char *ab, result b, const char *bb)
{
    FUZZ_CHECK(a.rc == b.rc);
    if (a.rc < 0)
        return; /* how much was decoded before the error depends on the pieces */
    FUZZ_CHECK(a.consumed == b.consumed && a.body_n == b.body_n);
    FUZZ_CHECK(memcmp(ab, bb, a.body_n) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    char *body = malloc(size + 1), *body2 = malloc(size + 1), *copy = malloc(size + 1);
    FUZZ_CHECK(body && body2 && copy);

    result whole = run_next(buf, size, size, size, body);
    FUZZ_CHECK(whole.rc == 1 || whole.rc == 0 || whole.rc == HTTP_ERR_CHUNK);
    FUZZ_CHECK(whole.consumed <= size);
    if (whole.rc == 0)
        FUZZ_CHECK(whole.consumed == size);

    result r = run_inplace(buf, size, size, size, copy, body2);
    same(whole, body, r, body2);

    size_t splits[4] = {1, size / 2, size / 3 + 1, size > 0 ? size - 1 : 0};
    for (size_t i = 0; i < 4; i++) {
        if (splits[i] == 0 || splits[i] >= size)
            continue;
        r = run_next(buf, size, splits[i], size, body2);
        same(whole, body, r, body2);
        r = run_inplace(buf, size, splits[i], size, copy, body2);
        same(whole, body, r, body2);
    }
    if (size <= 2048) {
        r = run_next(buf, size, 1, 1, body2);
        same(whole, body, r, body2);
        r = run_inplace(buf, size, 1, 3, copy, body2);
        same(whole, body, r, body2);
    }

    /* a strict prefix of a complete message is "need more", with a prefix of the body */
    if (whole.rc == 1 && whole.consumed > 0) {
        size_t k = whole.consumed - 1;
        r = run_next(buf, k, k, k, body2);
        FUZZ_CHECK(r.rc == 0 && r.consumed == k && r.body_n <= whole.body_n);
        FUZZ_CHECK(memcmp(body, body2, r.body_n) == 0);
    }

    free(body);
    free(body2);
    free(copy);
    return 0;
}
