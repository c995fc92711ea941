/* hist_codec.c - HdrHistogram V2 binary encoding and decoding (see hist.h): big-endian
 * header, ZigZag LEB128-64b9B counts, optional zlib wrapping. Built on the core in hist.c
 * through hist_int.h.
 */
#include "hist.h"
#include "hist_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* ---------------------------------------------------------------- V2 encoding ------- */

#define V2_HEADER_LEN 40
#define V2_COOKIE_BASE UINT32_C(0x1c849303)
#define V2_COMPRESSED_COOKIE_BASE UINT32_C(0x1c849304)
#define V2_MAX_WORD 9 /* LEB128-64b9B: 8 groups of 7 bits, then one full byte */

/* Byte-wise big-endian access: no unaligned loads, no host-order assumption. */
static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
    put_be32(p, (uint32_t)(v >> 32));
    put_be32(p + 4, (uint32_t)v);
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get_be64(const uint8_t *p)
{
    return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

static size_t put_varint(uint8_t *p, uint64_t u)
{
    size_t n = 0;
    for (int i = 0; i < 8; i++) {
        if (u < 0x80) {
            p[n++] = (uint8_t)u;
            return n;
        }
        p[n++] = (uint8_t)((u & 0x7f) | 0x80);
        u >>= 7;
    }
    p[n++] = (uint8_t)u; /* the 9th byte carries the top 8 bits whole */
    return n;
}

/* Reads one varint from [*pos, end); 0 or HIST_ECORRUPT when truncated. */
static int get_varint(const uint8_t *buf, size_t end, size_t *pos, uint64_t *out)
{
    uint64_t u = 0;
    size_t p = *pos;
    for (int i = 0; i < 8; i++) {
        if (p >= end)
            return HIST_ECORRUPT;
        uint8_t b = buf[p++];
        u |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *pos = p;
            *out = u;
            return 0;
        }
    }
    if (p >= end)
        return HIST_ECORRUPT;
    u |= (uint64_t)buf[p++] << 56;
    *pos = p;
    *out = u;
    return 0;
}

int hist_encode(const hist *h, uint8_t **out, size_t *out_len)
{
    /* Counts up to the highest non-empty slot; an empty histogram still writes slot 0, as the
     * reference does (its limit is index_of(max) + 1 with max == 0). */
    size_t limit = 1;
    for (size_t i = h->counts_len; i-- > 0;) {
        if (h->counts[i]) {
            limit = i + 1;
            break;
        }
    }
    if (limit > (SIZE_MAX - V2_HEADER_LEN) / V2_MAX_WORD)
        return HIST_ENOMEM;
    uint8_t *buf = malloc(V2_HEADER_LEN + limit * V2_MAX_WORD);
    if (!buf)
        return HIST_ENOMEM;

    size_t n = V2_HEADER_LEN;
    for (size_t i = 0; i < limit;) {
        uint64_t c = h->counts[i++];
        if (c > (uint64_t)INT64_MAX) {
            free(buf);
            return HIST_EINVAL;
        }
        if (c == 0) {
            uint64_t zeros = 1;
            while (i < limit && h->counts[i] == 0) {
                zeros++;
                i++;
            }
            /* ZigZag: count c -> 2c, run of k zeros (written as -k) -> 2k - 1; a run of one
             * is written as a plain 0 count, like the reference. */
            n += put_varint(buf + n, zeros > 1 ? 2 * zeros - 1 : 0);
        } else {
            n += put_varint(buf + n, 2 * c);
        }
    }

    uint64_t bits;
    double ratio = h->conversion_ratio;
    memcpy(&bits, &ratio, sizeof(bits));
    put_be32(buf, HIST_V2_COOKIE);
    put_be32(buf + 4, (uint32_t)(n - V2_HEADER_LEN));
    put_be32(buf + 8, 0);
    put_be32(buf + 12, (uint32_t)h->sig_figs);
    put_be64(buf + 16, h->lowest);
    put_be64(buf + 24, h->highest);
    put_be64(buf + 32, bits);
    *out = buf;
    *out_len = n;
    return 0;
}

int hist_encode_compressed(const hist *h, uint8_t **out, size_t *out_len)
{
    uint8_t *raw = NULL, *buf = NULL;
    size_t raw_len;
    int rc = hist_encode(h, &raw, &raw_len);
    if (rc != 0)
        return rc;
    rc = HIST_ENOMEM;
    uLong bound = compressBound((uLong)raw_len);
    if (bound > UINT32_MAX - 8 || (size_t)bound > SIZE_MAX - 8)
        goto fail;
    buf = malloc((size_t)bound + 8);
    if (!buf)
        goto fail;
    uLongf clen = bound;
    if (compress2(buf + 8, &clen, raw, (uLong)raw_len, Z_DEFAULT_COMPRESSION) != Z_OK)
        goto fail;
    put_be32(buf, HIST_V2_COMPRESSED_COOKIE);
    put_be32(buf + 4, (uint32_t)clen);
    free(raw);
    *out = buf;
    *out_len = (size_t)clen + 8;
    return 0;
fail:
    free(raw);
    free(buf);
    return rc;
}

/* Parses a 40-byte V2 header and creates the histogram it describes. The payload length is
 * bounded by the configuration: every varint moves at least one slot forward and takes at
 * most 9 bytes, so a valid payload never exceeds 9 * counts_len. */
static int decode_header(const uint8_t *p, hist **out, size_t *payload_len)
{
    uint32_t cookie = get_be32(p);
    if ((cookie & ~UINT32_C(0xf0)) != V2_COOKIE_BASE)
        return HIST_ECOOKIE;
    uint32_t plen = get_be32(p + 4);
    /* p + 8: normalizing index offset, ignored (see hist.h). */
    uint32_t sig = get_be32(p + 12);
    uint64_t lowest = get_be64(p + 16);
    uint64_t highest = get_be64(p + 24);
    uint64_t bits = get_be64(p + 32);
    if (sig > 5)
        return HIST_EINVAL;
    hist probe;
    int rc = hist_layout(&probe, lowest, highest, (int)sig);
    if (rc != 0)
        return rc;
    if (plen > INT32_MAX || plen / V2_MAX_WORD > probe.counts_len)
        return HIST_ECORRUPT;
    rc = hist_create(lowest, highest, (int)sig, out);
    if (rc != 0)
        return rc;
    double ratio;
    memcpy(&ratio, &bits, sizeof(ratio));
    /* hdr-histogram-js writes the int64 1 here (a denormal when read as a double); keep only
     * sane ratios so a re-encoded histogram does not carry that along. */
    (*out)->conversion_ratio = isnormal(ratio) && ratio > 0.0 ? ratio : 1.0;
    *payload_len = plen;
    return 0;
}

static int decode_payload(hist *h, const uint8_t *p, size_t len)
{
    size_t pos = 0, idx = 0;
    uint64_t total = 0;
    while (pos < len) {
        uint64_t u;
        int rc = get_varint(p, len, &pos, &u);
        if (rc != 0)
            return rc;
        if (u & 1) {
            /* -k zeros: u = 2k - 1, so k = (u >> 1) + 1 (no overflow for u = UINT64_MAX). */
            uint64_t zeros = (u >> 1) + 1;
            if (zeros > h->counts_len - idx)
                return HIST_ECORRUPT;
            idx += (size_t)zeros;
        } else {
            uint64_t c = u >> 1;
            if (idx >= h->counts_len)
                return HIST_ECORRUPT;
            if (total > UINT64_MAX - c)
                return HIST_EOVERFLOW;
            h->counts[idx++] = c;
            total += c;
        }
    }
    h->total_count = total;
    hist_track_from_counts(h);
    return 0;
}

static int decode_plain(const uint8_t *data, size_t len, hist **out)
{
    if (len < V2_HEADER_LEN)
        return HIST_ECORRUPT;
    hist *h = NULL;
    size_t plen;
    int rc = decode_header(data, &h, &plen);
    if (rc != 0)
        return rc;
    if (plen != len - V2_HEADER_LEN) {
        rc = HIST_ECORRUPT;
        goto fail;
    }
    rc = decode_payload(h, data + V2_HEADER_LEN, plen);
    if (rc != 0)
        goto fail;
    *out = h;
    return 0;
fail:
    hist_destroy(h);
    return rc;
}

/* Inflates exactly want bytes into dst; HIST_ECORRUPT if the stream ends early or is bad. */
static int inflate_exact(z_stream *zs, uint8_t *dst, size_t want)
{
    zs->next_out = dst;
    zs->avail_out = (uInt)want;
    while (zs->avail_out > 0) {
        int zr = inflate(zs, Z_NO_FLUSH);
        if (zr == Z_STREAM_END && zs->avail_out > 0)
            return HIST_ECORRUPT;
        if (zr == Z_MEM_ERROR)
            return HIST_ENOMEM;
        if (zr != Z_OK && zr != Z_STREAM_END)
            return HIST_ECORRUPT; /* includes Z_BUF_ERROR: input exhausted mid-stream */
    }
    return 0;
}

static int decode_compressed(const uint8_t *data, size_t len, hist **out)
{
    if (len < 8)
        return HIST_ECORRUPT;
    uint32_t clen = get_be32(data + 4);
    if (clen > INT32_MAX || clen != len - 8)
        return HIST_ECORRUPT;

    hist *h = NULL;
    uint8_t *payload = NULL;
    uint8_t header[V2_HEADER_LEN];
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    zs.next_in = (Bytef *)(uintptr_t)(data + 8); /* zlib's API is not const-correct */
    zs.avail_in = (uInt)clen;
    if (inflateInit(&zs) != Z_OK)
        return HIST_ENOMEM;

    size_t plen = 0;
    int rc = inflate_exact(&zs, header, sizeof(header));
    if (rc != 0)
        goto fail;
    rc = decode_header(header, &h, &plen);
    if (rc != 0)
        goto fail;
    payload = malloc(plen ? plen : 1);
    if (!payload) {
        rc = HIST_ENOMEM;
        goto fail;
    }
    if (plen > 0 && (rc = inflate_exact(&zs, payload, plen)) != 0)
        goto fail;
    /* The stream must end exactly here and use all of the declared compressed bytes. */
    {
        uint8_t extra;
        zs.next_out = &extra;
        zs.avail_out = 1;
        int zr = inflate(&zs, Z_FINISH);
        if (zr != Z_STREAM_END || zs.avail_out != 1 || zs.avail_in != 0) {
            rc = HIST_ECORRUPT;
            goto fail;
        }
    }
    rc = decode_payload(h, payload, plen);
    if (rc != 0)
        goto fail;
    inflateEnd(&zs);
    free(payload);
    *out = h;
    return 0;
fail:
    inflateEnd(&zs);
    free(payload);
    hist_destroy(h);
    return rc;
}

int hist_decode(const uint8_t *data, size_t len, hist **out)
{
    if (len < 4)
        return HIST_ECORRUPT;
    uint32_t base = get_be32(data) & ~UINT32_C(0xf0);
    if (base == V2_COMPRESSED_COOKIE_BASE)
        return decode_compressed(data, len, out);
    if (base == V2_COOKIE_BASE)
        return decode_plain(data, len, out);
    return HIST_ECOOKIE;
}
