/* hlog.c - HdrHistogram interval log writer/reader; see hlog.h for the format. */
#include "hlog.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base64.h"
#include "buf.h"

/* ---------------------------------------------------------------- writing ----------- */

static bool printable_line(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f)
            return false;
    }
    return true;
}

static bool valid_tag(const char *tag)
{
    if (!*tag)
        return false;
    for (const char *p = tag; *p; p++) {
        unsigned char c = (unsigned char)*p;
        /* ',' splits the CSV fields and readers also split on spaces. */
        if (c <= 0x20 || c >= 0x7f || c == ',')
            return false;
    }
    return true;
}

/* Seconds with exactly three decimals, from integer milliseconds: no float rounding. */
static void format_secs(char *dst, size_t cap, uint64_t ms)
{
    snprintf(dst, cap, "%" PRIu64 ".%03u", ms / 1000, (unsigned)(ms % 1000));
}

/* ISO 8601 UTC for the human-readable part of the StartTime line. time_t may be 32 bits
 * (armhf): a time that does not fit is written as "-" rather than wrapped. */
static void format_date(char *dst, size_t cap, uint64_t ms)
{
    uint64_t secs = ms / 1000;
    time_t t = (time_t)secs;
    struct tm tm;
    if (t < 0 || (uint64_t)t != secs || !gmtime_r(&t, &tm) || strftime(dst, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(dst, cap, "-");
}

int hlog_format_header(uint64_t start_ms, uint64_t base_ms, const char *comment, char **out, size_t *out_len)
{
    if (comment && !printable_line(comment))
        return HLOG_EINVAL;
    char start[32], base[32], date[48];
    format_secs(start, sizeof(start), start_ms);
    format_secs(base, sizeof(base), base_ms);
    format_date(date, sizeof(date), start_ms);
    static const char legend[] =
        "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n";
#define HEADER_FMT                                                                                                     \
    "%s%s%s"                                                                                                           \
    "#[Histogram log format version " HLOG_FORMAT_VERSION "]\n"                                                        \
    "#[StartTime: %s (seconds since epoch), %s]\n"                                                                     \
    "#[BaseTime: %s (seconds since epoch)]\n"                                                                          \
    "%s"
    const char *c0 = comment ? "#" : "", *c1 = comment ? comment : "", *c2 = comment ? "\n" : "";
    int n = snprintf(NULL, 0, HEADER_FMT, c0, c1, c2, start, date, base, legend);
    if (n < 0)
        return HLOG_EINVAL;
    char *s = malloc((size_t)n + 1);
    if (!s)
        return HLOG_ENOMEM;
    snprintf(s, (size_t)n + 1, HEADER_FMT, c0, c1, c2, start, date, base, legend);
    *out = s;
    *out_len = (size_t)n;
    return 0;
}

int hlog_encode_histogram(const hist *h, char **out, size_t *out_len)
{
    uint8_t *bin = NULL;
    size_t bin_len;
    int rc = hist_encode_compressed(h, &bin, &bin_len);
    if (rc != 0)
        return rc;
    size_t need = base64_encoded_len(bin_len);
    char *s = need == SIZE_MAX ? NULL : malloc(need + 1);
    if (!s) {
        free(bin);
        return HLOG_ENOMEM;
    }
    size_t n;
    base64_encode(bin, bin_len, s, need + 1, &n); /* cannot fail: sized above */
    free(bin);
    *out = s;
    *out_len = n;
    return 0;
}

int hlog_format_interval(const char *tag, uint64_t start_ms, uint64_t length_ms, const hist *h, double max_ratio,
                         char **out, size_t *out_len)
{
    if ((tag && !valid_tag(tag)) || !(max_ratio > 0.0) || isinf(max_ratio))
        return HLOG_EINVAL;
    char *b64 = NULL;
    size_t b64_len;
    int rc = hlog_encode_histogram(h, &b64, &b64_len);
    if (rc != 0)
        return rc;
    char start[32], length[32];
    format_secs(start, sizeof(start), start_ms);
    format_secs(length, sizeof(length), length_ms);
    double max = (double)hist_max(h) / max_ratio;
#define INTERVAL_FMT "%s%s%s%s,%s,%.3f,%s\n"
    const char *t0 = tag ? "Tag=" : "", *t1 = tag ? tag : "", *t2 = tag ? "," : "";
    int n = snprintf(NULL, 0, INTERVAL_FMT, t0, t1, t2, start, length, max, b64);
    char *s = n < 0 ? NULL : malloc((size_t)n + 1);
    if (!s) {
        free(b64);
        return n < 0 ? HLOG_EINVAL : HLOG_ENOMEM;
    }
    snprintf(s, (size_t)n + 1, INTERVAL_FMT, t0, t1, t2, start, length, max, b64);
    free(b64);
    *out = s;
    *out_len = (size_t)n;
    return 0;
}

/* ---------------------------------------------------------------- reading ----------- */

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Trims spaces/tabs of [*s, *s + *n). */
static void trim(const char **s, size_t *n)
{
    while (*n > 0 && is_blank(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && is_blank((*s)[*n - 1]))
        (*n)--;
}

/* Parses "digits[.digits]" (whole span, blanks trimmed) as written by the reference writers
 * ("%.3f"). Our own parser rather than strtod: no locale, no "inf"/"nan"/hex, and it cannot
 * read past the span. Fraction digits beyond 9 are checked but ignored. */
static int parse_decimal(const char *s, size_t n, double *out)
{
    trim(&s, &n);
    size_t i = 0;
    uint64_t ip = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        if (i >= 18)
            return HLOG_ESYNTAX;
        ip = ip * 10 + (uint64_t)(s[i] - '0');
        i++;
    }
    if (i == 0)
        return HLOG_ESYNTAX;
    double v = (double)ip;
    if (i < n && s[i] == '.') {
        i++;
        uint32_t frac = 0, scale = 1;
        size_t start = i;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (i - start < 9) {
                frac = frac * 10 + (uint32_t)(s[i] - '0');
                scale *= 10;
            }
            i++;
        }
        if (i == start)
            return HLOG_ESYNTAX;
        v += (double)frac / (double)scale;
    }
    if (i != n)
        return HLOG_ESYNTAX;
    *out = v;
    return 0;
}

static bool has_prefix(const char *s, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    return n >= k && memcmp(s, prefix, k) == 0;
}

/* "#[StartTime: 123.456 (seconds since epoch), ...]": the number up to the next blank. */
static int parse_time_comment(const char *s, size_t n, size_t skip, double *out)
{
    s += skip;
    n -= skip;
    size_t k = 0;
    while (k < n && !is_blank(s[k]) && s[k] != ']')
        k++;
    return parse_decimal(s, k, out);
}

void hlog_reader_init(hlog_reader *r, const char *data, size_t len)
{
    memset(r, 0, sizeof(*r));
    r->data = data;
    r->len = len;
}

int hlog_decode_histogram(const char *b64, size_t len, hist **out)
{
    trim(&b64, &len);
    size_t cap = base64_decoded_max(len);
    uint8_t *bin = malloc(cap ? cap : 1);
    if (!bin)
        return HLOG_ENOMEM;
    size_t n;
    int rc = base64_decode(b64, len, bin, cap, &n);
    if (rc != 0) {
        free(bin);
        return HLOG_EBASE64;
    }
    rc = hist_decode(bin, n, out);
    free(bin);
    return rc;
}

/* Splits an interval line into its fields and decodes the histogram. */
static int parse_interval(hlog_reader *r, const char *s, size_t n, hlog_interval *out)
{
    hlog_interval iv;
    memset(&iv, 0, sizeof(iv));
    if (has_prefix(s, n, "Tag=")) {
        const char *comma = memchr(s, ',', n);
        if (!comma)
            return HLOG_ESYNTAX;
        iv.tag = s + 4;
        iv.tag_len = (size_t)(comma - iv.tag);
        for (size_t i = 0; i < iv.tag_len; i++) {
            unsigned char c = (unsigned char)iv.tag[i];
            if (c <= 0x20 || c >= 0x7f)
                return HLOG_ESYNTAX;
        }
        n -= (size_t)(comma + 1 - s);
        s = comma + 1;
    }
    const char *field[4];
    size_t flen[4];
    for (int f = 0; f < 4; f++) {
        const char *comma = f < 3 ? memchr(s, ',', n) : NULL;
        if (f < 3 && !comma)
            return HLOG_ESYNTAX;
        field[f] = s;
        flen[f] = comma ? (size_t)(comma - s) : n;
        if (comma) {
            n -= flen[f] + 1;
            s = comma + 1;
        }
    }
    if (memchr(field[3], ',', flen[3]))
        return HLOG_ESYNTAX;
    int rc;
    if ((rc = parse_decimal(field[0], flen[0], &iv.start_s)) != 0 ||
        (rc = parse_decimal(field[1], flen[1], &iv.length_s)) != 0 ||
        (rc = parse_decimal(field[2], flen[2], &iv.max)) != 0)
        return rc;
    rc = hlog_decode_histogram(field[3], flen[3], &iv.h);
    if (rc != 0)
        return rc;
    if (!r->seen_interval) {
        r->seen_interval = true;
        r->first_start_s = iv.start_s;
    }
    *out = iv;
    return 1;
}

int hlog_next(hlog_reader *r, hlog_interval *out)
{
    while (r->pos < r->len) {
        const char *s = r->data + r->pos;
        size_t avail = r->len - r->pos, n = 0;
        while (n < avail && s[n] != '\n' && s[n] != '\r')
            n++;
        size_t next = n;
        if (next < avail && s[next] == '\r')
            next++;
        if (next < avail && s[next] == '\n')
            next++; /* "\n" alone, or the "\n" of "\r\n" */
        r->pos += next;
        r->line_no++;

        if (n == 0)
            continue;
        if (s[0] == '#') {
            double t;
            if (has_prefix(s, n, "#[StartTime: ")) {
                if (parse_time_comment(s, n, 13, &t) != 0)
                    return HLOG_ESYNTAX;
                r->has_start_time = true;
                r->start_time_s = t;
            } else if (has_prefix(s, n, "#[BaseTime: ")) {
                if (parse_time_comment(s, n, 12, &t) != 0)
                    return HLOG_ESYNTAX;
                r->has_base_time = true;
                r->base_time_s = t;
            } else if (has_prefix(s, n, "#[Histogram log format version ")) {
                size_t skip = 31, k = 0;
                while (skip + k < n && s[skip + k] != ']' && k < sizeof(r->version) - 1)
                    k++;
                memcpy(r->version, s + skip, k);
                r->version[k] = '\0';
            }
            continue;
        }
        if (s[0] == '"')
            continue;
        const char *t = s;
        size_t tn = n;
        trim(&t, &tn);
        if (tn == 0)
            continue;
        return parse_interval(r, s, n, out);
    }
    return 0;
}

double hlog_base_time(const hlog_reader *r)
{
    if (r->has_base_time)
        return r->base_time_s;
    if (r->has_start_time && r->seen_interval && r->first_start_s < r->start_time_s - 365.0 * 24 * 3600)
        return r->start_time_s;
    return 0.0;
}

int hlog_load_file(const char *path, char **data, size_t *len)
{
    buf b = BUF_INIT;
    if (buf_read_file(&b, path, SIZE_MAX) != 0) {
        int rc = errno == ENOMEM ? HLOG_ENOMEM : HLOG_EIO, saved = errno;
        buf_fini(&b);
        errno = saved;
        return rc;
    }
    *data = b.data;
    *len = b.len;
    return 0;
}

const char *hlog_strerror(int err)
{
    switch (err) {
    case HLOG_EINVAL: return "invalid interval log argument";
    case HLOG_ENOMEM: return "out of memory";
    case HLOG_ESYNTAX: return "malformed interval log line";
    case HLOG_EBASE64: return "invalid base64 in interval log line";
    case HLOG_EIO: return "cannot read interval log file";
    default: return hist_strerror(err);
    }
}
