/* fuzz_http_request.c - libFuzzer target for http_parse_request.
 *
 * Invariants checked on every input:
 *  - the result is a known code; a success is a head length <= size;
 *  - every view points inside the head; names are tokens, values hold no CR/LF/CTL and
 *    no leading/trailing OWS; framing fields are consistent with the body kind;
 *  - parsing twice gives the same result;
 *  - a prefix gives HTTP_INCOMPLETE or the same result, never another success;
 *  - a smaller header limit gives the same success, HTTP_ERR_TOO_BIG, or a prefix result;
 *  - pipelined requests after the head (and any body) parse under the same rules.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "http.h"

static int is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static void check_view(http_str s, const char *lo, const char *hi)
{
    FUZZ_CHECK(s.p != NULL);
    FUZZ_CHECK(s.p >= lo && s.p <= hi && s.n <= (size_t)(hi - s.p));
}

static void check_request(const char *buf, int rc, const http_request *r)
{
    const char *end = buf + rc;
    check_view(r->method, buf, end);
    check_view(r->target, buf, end);
    /* path is a view into the target, or the static "/" of an absolute-form target
     * without a path ("http://h", "http://h?q"). */
    bool static_root = r->path.n == 1 && (r->path.p < buf || r->path.p >= end);
    if (static_root)
        FUZZ_CHECK(r->path.p[0] == '/' && memchr(r->target.p, ':', r->target.n) != NULL);
    else
        check_view(r->path, buf, end);
    check_view(r->query, buf, end);
    FUZZ_CHECK(r->method.n > 0 && r->target.n > 0);
    for (size_t i = 0; i < r->method.n; i++)
        FUZZ_CHECK(is_tchar((unsigned char)r->method.p[i]));
    for (size_t i = 0; i < r->target.n; i++) {
        unsigned char c = (unsigned char)r->target.p[i];
        FUZZ_CHECK(c > 0x20 && c < 0x7f);
    }
    /* Origin-, asterisk- and authority-form: path starts the target. Absolute-form: path
     * is the part after the authority, ending where the query begins. */
    const char *tend = r->target.p + r->target.n;
    const char *qstart = r->query.n > 0 ? r->query.p - 1 : NULL;
    if (r->target.p[0] == '/' || r->target.p[0] == '*')
        FUZZ_CHECK(r->path.p == r->target.p);
    if (!static_root) {
        FUZZ_CHECK(r->path.p >= r->target.p && r->path.p + r->path.n <= tend);
        FUZZ_CHECK(r->path.p == r->target.p || r->path.p[0] == '/');
        if (qstart)
            FUZZ_CHECK(r->path.p + r->path.n == qstart);
    }
    if (r->query.n > 0)
        FUZZ_CHECK(*qstart == '?' && r->query.p + r->query.n == tend && qstart >= r->target.p);
    FUZZ_CHECK(r->minor_version == 0 || r->minor_version == 1);
    FUZZ_CHECK(r->num_headers <= HTTP_MAX_HEADERS);
    for (size_t i = 0; i < r->num_headers; i++) {
        const http_header *h = &r->headers[i];
        check_view(h->name, buf, end);
        check_view(h->value, buf, end);
        FUZZ_CHECK(h->name.n > 0);
        for (size_t k = 0; k < h->name.n; k++)
            FUZZ_CHECK(is_tchar((unsigned char)h->name.p[k]));
        for (size_t k = 0; k < h->value.n; k++) {
            unsigned char c = (unsigned char)h->value.p[k];
            FUZZ_CHECK(c == '\t' || (c >= 0x20 && c != 0x7f));
        }
        if (h->value.n > 0) {
            FUZZ_CHECK(h->value.p[0] != ' ' && h->value.p[0] != '\t');
            FUZZ_CHECK(h->value.p[h->value.n - 1] != ' ' && h->value.p[h->value.n - 1] != '\t');
        }
    }
    switch (r->body) {
    case HTTP_BODY_NONE:
    case HTTP_BODY_CHUNKED: FUZZ_CHECK(r->content_length == 0); break;
    case HTTP_BODY_LENGTH: FUZZ_CHECK(r->content_length > 0); break;
    default: FUZZ_CHECK(!"bad body kind for a request");
    }
    if (r->body == HTTP_BODY_CHUNKED)
        FUZZ_CHECK(r->minor_version == 1);
    FUZZ_CHECK(!r->expect_continue || r->minor_version == 1);
    /* framing fields: at most one Content-Length, never next to Transfer-Encoding */
    size_t ncl = 0, nte = 0;
    for (size_t i = 0; i < r->num_headers; i++) {
        ncl += http_str_ieq(r->headers[i].name, "content-length");
        nte += http_str_ieq(r->headers[i].name, "transfer-encoding");
    }
    FUZZ_CHECK(ncl <= 1 && !(ncl && nte));
    FUZZ_CHECK((nte > 0) == (r->body == HTTP_BODY_CHUNKED));
}

static int same_str(http_str a, http_str b)
{
    return a.p == b.p && a.n == b.n;
}

static void check_same(const http_request *a, const http_request *b)
{
    FUZZ_CHECK(same_str(a->method, b->method) && same_str(a->target, b->target));
    FUZZ_CHECK(same_str(a->path, b->path) && same_str(a->query, b->query));
    FUZZ_CHECK(a->minor_version == b->minor_version && a->num_headers == b->num_headers);
    for (size_t i = 0; i < a->num_headers; i++)
        FUZZ_CHECK(same_str(a->headers[i].name, b->headers[i].name) &&
                   same_str(a->headers[i].value, b->headers[i].value));
    FUZZ_CHECK(a->body == b->body && a->content_length == b->content_length);
    FUZZ_CHECK(a->keep_alive == b->keep_alive && a->expect_continue == b->expect_continue);
}

static int valid_code(int rc)
{
    return rc > 0 || (rc <= HTTP_INCOMPLETE && rc >= HTTP_ERR_TOO_MANY);
}

/* One message: parse and check, return the head length or the (negative) code. */
static int one(const char *buf, size_t size)
{
    static http_request a, b;
    int rc = http_parse_request(buf, size, NULL, &a);
    FUZZ_CHECK(valid_code(rc));
    if (rc > 0) {
        FUZZ_CHECK((size_t)rc <= size && rc <= HTTP_DEFAULT_MAX_HEADER_BYTES);
        check_request(buf, rc, &a);
    }
    int rc2 = http_parse_request(buf, size, NULL, &b);
    FUZZ_CHECK(rc2 == rc);
    if (rc > 0)
        check_same(&a, &b);

    /* prefixes: all of them for small inputs, a spread for large ones */
    size_t step = size <= 256 ? 1 : size / 64;
    for (size_t k = 0; k < size; k += step) {
        int prc = http_parse_request(buf, k, NULL, &b);
        if (rc > 0)
            FUZZ_CHECK(k >= (size_t)rc ? prc == rc : prc == HTTP_INCOMPLETE);
        else
            FUZZ_CHECK(prc == HTTP_INCOMPLETE || prc == rc);
    }
    if (rc > 1) {
        FUZZ_CHECK(http_parse_request(buf, (size_t)rc - 1, NULL, &b) == HTTP_INCOMPLETE);
        FUZZ_CHECK(http_parse_request(buf, (size_t)rc, NULL, &b) == rc);
    }

    /* a smaller limit */
    size_t lim_n = size > 0 ? (unsigned char)buf[size - 1] % 128 + 1 : 1;
    http_limits lim = {lim_n};
    int lrc = http_parse_request(buf, size, &lim, &b);
    if (rc > 0)
        FUZZ_CHECK((size_t)rc <= lim_n ? lrc == rc : lrc == HTTP_ERR_TOO_BIG);
    else
        FUZZ_CHECK(lrc == rc || lrc == HTTP_ERR_TOO_BIG || lrc == HTTP_INCOMPLETE);
    if (lrc > 0)
        check_same(&a, &b);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    size_t off = 0;
    /* Pipelined requests: each head is followed by its Content-Length body, if any. */
    for (int i = 0; i < 8 && off < size; i++) {
        http_request r;
        int rc = one(buf + off, size - off);
        if (rc <= 0)
            break;
        FUZZ_CHECK(http_parse_request(buf + off, size - off, NULL, &r) == rc);
        off += (size_t)rc;
        if (r.body == HTTP_BODY_LENGTH) {
            if (r.content_length > size - off)
                break;
            off += (size_t)r.content_length;
        } else if (r.body == HTTP_BODY_CHUNKED) {
            http_chunked c;
            http_str d;
            size_t used;
            int crc;
            http_chunked_init(&c);
            do {
                crc = http_chunked_next(&c, buf + off, size - off, &d, &used);
                FUZZ_CHECK(used <= size - off);
                off += used;
            } while (crc == 0 && d.n > 0);
            if (crc != 1)
                break;
        }
    }
    return 0;
}
