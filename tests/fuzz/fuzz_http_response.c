/* fuzz_http_response.c - libFuzzer target for http_parse_response (and the chunked
 * decoder as a client uses it after a head).
 *
 * Invariants checked on every input:
 *  - the result is a known code; a success is a head length <= size;
 *  - every view points inside the head; status in 100..999; body kind follows the
 *    status / HEAD rules; UNTIL_CLOSE never keeps the connection alive;
 *  - parsing twice gives the same result; head_request changes only the body kind;
 *  - a prefix gives HTTP_INCOMPLETE or the same result, never another success;
 *  - a smaller header limit gives the same success, HTTP_ERR_TOO_BIG, or a prefix result.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "http.h"

static void check_view(http_str s, const char *lo, const char *hi)
{
    FUZZ_CHECK(s.p != NULL);
    FUZZ_CHECK(s.p >= lo && s.p <= hi && s.n <= (size_t)(hi - s.p));
}

static void check_response(const char *buf, int rc, bool head, const http_response *r)
{
    const char *end = buf + rc;
    FUZZ_CHECK(r->minor_version == 0 || r->minor_version == 1);
    FUZZ_CHECK(r->status >= 100 && r->status <= 999);
    check_view(r->reason, buf, end);
    for (size_t i = 0; i < r->reason.n; i++) {
        unsigned char c = (unsigned char)r->reason.p[i];
        FUZZ_CHECK(c == '\t' || (c >= 0x20 && c != 0x7f));
    }
    FUZZ_CHECK(r->num_headers <= HTTP_MAX_HEADERS);
    for (size_t i = 0; i < r->num_headers; i++) {
        check_view(r->headers[i].name, buf, end);
        check_view(r->headers[i].value, buf, end);
        FUZZ_CHECK(r->headers[i].name.n > 0);
        for (size_t k = 0; k < r->headers[i].value.n; k++) {
            unsigned char c = (unsigned char)r->headers[i].value.p[k];
            FUZZ_CHECK(c == '\t' || (c >= 0x20 && c != 0x7f));
        }
    }
    bool nobody = head || r->status < 200 || r->status == 204 || r->status == 304;
    if (nobody)
        FUZZ_CHECK(r->body == HTTP_BODY_NONE);
    switch (r->body) {
    case HTTP_BODY_NONE: FUZZ_CHECK(nobody || r->content_length == 0); break;
    case HTTP_BODY_LENGTH: FUZZ_CHECK(r->content_length > 0); break;
    case HTTP_BODY_CHUNKED: FUZZ_CHECK(r->minor_version == 1 && r->content_length == 0); break;
    case HTTP_BODY_UNTIL_CLOSE: FUZZ_CHECK(!r->keep_alive && r->content_length == 0); break;
    default: FUZZ_CHECK(!"bad body kind");
    }
    size_t ncl = 0, nte = 0;
    for (size_t i = 0; i < r->num_headers; i++) {
        ncl += http_str_ieq(r->headers[i].name, "content-length");
        nte += http_str_ieq(r->headers[i].name, "transfer-encoding");
    }
    FUZZ_CHECK(ncl <= 1 && !(ncl && nte));
    if (nobody)
        return;
    if (nte)
        FUZZ_CHECK(r->body == HTTP_BODY_CHUNKED || r->body == HTTP_BODY_UNTIL_CLOSE);
    else if (ncl)
        FUZZ_CHECK(r->body == HTTP_BODY_LENGTH || r->body == HTTP_BODY_NONE);
    else
        FUZZ_CHECK(r->body == HTTP_BODY_UNTIL_CLOSE);
}

static int same_str(http_str a, http_str b)
{
    return a.p == b.p && a.n == b.n;
}

static void check_same(const http_response *a, const http_response *b, bool body_too)
{
    FUZZ_CHECK(a->minor_version == b->minor_version && a->status == b->status);
    FUZZ_CHECK(same_str(a->reason, b->reason) && a->num_headers == b->num_headers);
    for (size_t i = 0; i < a->num_headers; i++)
        FUZZ_CHECK(same_str(a->headers[i].name, b->headers[i].name) &&
                   same_str(a->headers[i].value, b->headers[i].value));
    FUZZ_CHECK(a->content_length == b->content_length);
    if (body_too)
        FUZZ_CHECK(a->body == b->body && a->keep_alive == b->keep_alive);
}

static int valid_code(int rc)
{
    return rc > 0 || (rc <= HTTP_INCOMPLETE && rc >= HTTP_ERR_TOO_MANY);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static http_response a, b;
    const char *buf = (const char *)data;
    /* The first byte picks HEAD (so both branches get explored from one corpus); the
     * message is the rest. */
    if (size == 0)
        return 0;
    bool head = (data[0] & 1) != 0;
    buf++;
    size--;

    int rc = http_parse_response(buf, size, NULL, head, &a);
    FUZZ_CHECK(valid_code(rc));
    if (rc > 0) {
        FUZZ_CHECK((size_t)rc <= size && rc <= HTTP_DEFAULT_MAX_HEADER_BYTES);
        check_response(buf, rc, head, &a);
    }
    FUZZ_CHECK(http_parse_response(buf, size, NULL, head, &b) == rc);
    if (rc > 0)
        check_same(&a, &b, true);
    /* head_request only decides the body kind */
    int hrc = http_parse_response(buf, size, NULL, !head, &b);
    FUZZ_CHECK(hrc == rc);
    if (rc > 0) {
        check_same(&a, &b, false);
        check_response(buf, rc, !head, &b);
    }

    size_t step = size <= 256 ? 1 : size / 64;
    for (size_t k = 0; k < size; k += step) {
        int prc = http_parse_response(buf, k, NULL, head, &b);
        if (rc > 0)
            FUZZ_CHECK(k >= (size_t)rc ? prc == rc : prc == HTTP_INCOMPLETE);
        else
            FUZZ_CHECK(prc == HTTP_INCOMPLETE || prc == rc);
    }
    if (rc > 1)
        FUZZ_CHECK(http_parse_response(buf, (size_t)rc - 1, NULL, head, &b) == HTTP_INCOMPLETE);

    size_t lim_n = (size_t)(data[0] >> 1) + 1;
    http_limits lim = {lim_n};
    int lrc = http_parse_response(buf, size, &lim, head, &b);
    if (rc > 0)
        FUZZ_CHECK((size_t)rc <= lim_n ? lrc == rc : lrc == HTTP_ERR_TOO_BIG);
    else
        FUZZ_CHECK(lrc == rc || lrc == HTTP_ERR_TOO_BIG || lrc == HTTP_INCOMPLETE);

    /* a chunked body right after the head decodes within the input */
    if (rc > 0 && a.body == HTTP_BODY_CHUNKED) {
        http_chunked c;
        http_str d;
        size_t off = (size_t)rc, used;
        int crc;
        http_chunked_init(&c);
        do {
            crc = http_chunked_next(&c, buf + off, size - off, &d, &used);
            FUZZ_CHECK(used <= size - off);
            if (d.n)
                check_view(d, buf + off, buf + off + used);
            off += used;
        } while (crc == 0 && d.n > 0);
        FUZZ_CHECK(crc == 1 || crc == HTTP_ERR_CHUNK || off == size);
    }
    return 0;
}
