/* http.c - HTTP/1.1 head parser and chunked decoder; see http.h for the contract. */
#include "http.h"

#include <limits.h>
#include <string.h>

/* Byte classes, one table lookup per byte on the hot paths. */
enum {
    C_TCHAR = 0x01,  /* token character (RFC 9110 §5.6.2) */
    C_FIELD = 0x02,  /* field-value byte: HTAB, SP, VCHAR, obs-text */
    C_TARGET = 0x04, /* request-target byte: VCHAR only */
    C_HEX = 0x08,    /* hex digit */
};

static const uint8_t http_cls[256] = {
    0,  0,  0,  0,  0,  0,  0,  0,  0,  2,  0, 0, 0, 0, 0, 0, /* 0x00 */
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0, 0, 0, 0, 0, 0, /* 0x10 */
    2,  7,  6,  7,  7,  7,  7,  7,  6,  6,  7, 7, 6, 7, 7, 6, /* 0x20  !"#$%&'()*+,-./ */
    15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 6, 6, 6, 6, 6, 6, /* 0x30 0-9:;<=>? */
    6,  15, 15, 15, 15, 15, 15, 7,  7,  7,  7, 7, 7, 7, 7, 7, /* 0x40 @A-O */
    7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7, 6, 6, 6, 7, 7, /* 0x50 P-Z[\]^_ */
    7,  15, 15, 15, 15, 15, 15, 7,  7,  7,  7, 7, 7, 7, 7, 7, /* 0x60 `a-o */
    7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7, 6, 7, 6, 7, 0, /* 0x70 p-z{|}~ DEL */
    2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2, 2, 2, 2, 2, 2, /* 0x80 obs-text */
    2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

#define IS(c, k) ((http_cls[(uint8_t)(c)] & (k)) != 0)

static inline bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static inline unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* p[0..n) equals the lowercase literal lit[0..n) ignoring ASCII case. */
static bool ieq_n(const char *p, const char *lit, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)p[i]) != (unsigned char)lit[i])
            return false;
    return true;
}

/* Field values are the longest runs a request has; the loop is unrolled by four so the
 * bounds test is paid once per four bytes. */
static inline const char *scan_class(const char *p, const char *end, uint8_t k)
{
    while (end - p >= 4) {
        if (!IS(p[0], k))
            return p;
        if (!IS(p[1], k))
            return p + 1;
        if (!IS(p[2], k))
            return p + 2;
        if (!IS(p[3], k))
            return p + 3;
        p += 4;
    }
    while (p < end && IS(*p, k))
        p++;
    return p;
}

/* Field values dominate a head's bytes, so they are skipped a word at a time while the
 * word holds only bytes >= 0x20 and no DEL (the exact test for "some byte < n" and "some
 * byte == 0" from borrows of a per-byte subtraction); the first word with anything else
 * (HTAB, CR, a control byte) is finished by the byte table. memcpy makes the load safe at
 * any alignment; size_t is the native word on both 32- and 64-bit targets. */
#define W_ONES ((size_t)-1 / 0xFF)

static inline const char *scan_field(const char *p, const char *end)
{
    while ((size_t)(end - p) >= sizeof(size_t)) {
        size_t x, y;
        memcpy(&x, p, sizeof x);
        y = x ^ (W_ONES * 0x7F);
        if ((((x - W_ONES * 0x20) & ~x) | ((y - W_ONES) & ~y)) & (W_ONES * 0x80))
            break;
        p += sizeof x;
    }
    return scan_class(p, end, C_FIELD);
}

/* Consumes CRLF or a bare LF at *pp. Any other byte, including CR followed by anything
 * but LF, is a syntax error: a lone CR is treated as a line end by some peers and not by
 * others, which is exactly the disagreement smuggling needs. */
static inline int eat_eol(const char **pp, const char *end)
{
    const char *p = *pp;
    if (p == end)
        return HTTP_INCOMPLETE;
    if (*p == '\r') {
        if (++p == end)
            return HTTP_INCOMPLETE;
        if (*p != '\n')
            return HTTP_ERR_SYNTAX;
    } else if (*p != '\n') {
        return HTTP_ERR_SYNTAX;
    }
    *pp = p + 1;
    return 0;
}

/* HTTP-version. The common case is one compare; otherwise each byte present is checked
 * before asking for more, so "XTTP" fails at once instead of waiting, and a well-formed
 * HTTP/x.y other than 1.0/1.1 is HTTP_ERR_VERSION. */
static int eat_version(const char **pp, const char *end, int *minor)
{
    static const char pat[8] = {'H', 'T', 'T', 'P', '/', '0', '.', '0'};
    const char *p = *pp;
    if (end - p >= 8 && memcmp(p, "HTTP/1.", 7) == 0 && (p[7] == '1' || p[7] == '0')) {
        *minor = p[7] - '0';
        *pp = p + 8;
        return 0;
    }
    for (size_t i = 0; i < sizeof pat; i++) {
        if (p + i == end)
            return HTTP_INCOMPLETE;
        char c = p[i];
        bool ok = (pat[i] == '0') ? (c >= '0' && c <= '9') : (c == pat[i]);
        if (!ok)
            return HTTP_ERR_SYNTAX;
    }
    return HTTP_ERR_VERSION; /* well-formed, but not what the fast path accepts */
}

/* What the header fields say about framing and the connection, gathered while parsing
 * so the fields are walked once. */
typedef struct frame_info {
    uint64_t content_length;
    unsigned cl_count;
    unsigned te_count;      /* Transfer-Encoding lines */
    unsigned te_codings;    /* codings listed over all of them */
    unsigned chunked_count; /* "chunked" codings over all Transfer-Encoding lines */
    unsigned host_count;
    bool cl_bad;
    bool te_bad;          /* a Transfer-Encoding line without any coding */
    bool te_last_chunked; /* the last coding seen is "chunked" */
    bool conn_close;
    bool conn_keep_alive;
    bool expect_continue;
} frame_info;

/* Strict decimal: digits only, at least one, no sign, no OWS inside, no 64-bit overflow. */
static bool parse_content_length(const char *p, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)((unsigned char)p[i] - '0');
        if (d > 9)
            return false;
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* Splits a field value as a comma-separated list (RFC 9110 §5.6.1, empty elements
 * ignored) and calls back with each element, OWS trimmed, cut at ';' (parameters). */
typedef void (*list_fn)(frame_info *f, const char *p, size_t n);

static void for_each_element(frame_info *f, const char *v, size_t n, list_fn fn)
{
    const char *end = v + n;
    while (v < end) {
        const char *comma = memchr(v, ',', (size_t)(end - v));
        const char *e = comma ? comma : end;
        const char *semi = memchr(v, ';', (size_t)(e - v));
        const char *b = v, *t = semi ? semi : e;
        while (b < t && is_ows(*b))
            b++;
        while (t > b && is_ows(t[-1]))
            t--;
        if (t > b || semi)
            fn(f, b, (size_t)(t - b));
        v = comma ? comma + 1 : end;
    }
}

static void te_element(frame_info *f, const char *p, size_t n)
{
    bool chunked = n == 7 && ieq_n(p, "chunked", 7);
    f->te_codings++;
    f->chunked_count += chunked;
    f->te_last_chunked = chunked;
}

static void conn_element(frame_info *f, const char *p, size_t n)
{
    if (n == 5 && ieq_n(p, "close", 5))
        f->conn_close = true;
    else if (n == 10 && ieq_n(p, "keep-alive", 10))
        f->conn_keep_alive = true;
}

/* Looks at the few fields that matter for framing; a switch on the name length keeps
 * the cost of every other field to one compare. */
static void classify(frame_info *f, const char *name, size_t nn, const char *v, size_t vn)
{
    switch (nn) {
    case 4:
        if (ieq_n(name, "host", 4))
            f->host_count++;
        break;
    case 6:
        if (ieq_n(name, "expect", 6) && vn == 12 && ieq_n(v, "100-continue", 12))
            f->expect_continue = true;
        break;
    case 10:
        if (ieq_n(name, "connection", 10))
            for_each_element(f, v, vn, conn_element);
        break;
    case 14:
        if (ieq_n(name, "content-length", 14)) {
            f->cl_count++;
            if (!parse_content_length(v, vn, &f->content_length))
                f->cl_bad = true;
        }
        break;
    case 17:
        if (ieq_n(name, "transfer-encoding", 17)) {
            unsigned before = f->te_codings;
            f->te_count++;
            for_each_element(f, v, vn, te_element);
            if (f->te_codings == before)
                f->te_bad = true;
        }
        break;
    default: break;
    }
}

/* Header fields up to and including the empty line. */
static int parse_fields(const char **pp, const char *end, http_header *hdr, size_t *num, frame_info *f)
{
    const char *p = *pp;
    size_t n = 0;
    for (;;) {
        if (p == end)
            return HTTP_INCOMPLETE;
        if (*p == '\r' || *p == '\n') {
            int rc = eat_eol(&p, end);
            if (rc != 0)
                return rc;
            break;
        }
        if (n == HTTP_MAX_HEADERS)
            return HTTP_ERR_TOO_MANY;
        /* A line starting with SP/HTAB (obs-fold), an empty name or whitespace before
         * ':' all end the token at a byte other than ':' and fail here. */
        const char *name = p;
        p = scan_class(p, end, C_TCHAR);
        if (p == end)
            return HTTP_INCOMPLETE;
        if (p == name || *p != ':')
            return HTTP_ERR_SYNTAX;
        size_t nn = (size_t)(p - name);
        p++;
        while (p < end && is_ows(*p))
            p++;
        const char *v = p;
        p = scan_field(p, end);
        const char *ve = p;
        int rc = eat_eol(&p, end);
        if (rc != 0)
            return rc;
        while (ve > v && is_ows(ve[-1]))
            ve--;
        hdr[n].name.p = name;
        hdr[n].name.n = nn;
        hdr[n].value.p = v;
        hdr[n].value.n = (size_t)(ve - v);
        classify(f, name, nn, v, (size_t)(ve - v));
        n++;
    }
    *num = n;
    *pp = p;
    return 0;
}

/* Framing checks shared by requests and responses (RFC 9112 §6.1, §6.3). */
static int check_framing(const frame_info *f, int minor)
{
    if (f->cl_bad || f->cl_count > 1)
        return HTTP_ERR_FRAMING;
    if (f->te_count == 0)
        return 0;
    /* An HTTP/1.0 recipient may not know chunked, and TE next to CL is the classic
     * CL.TE / TE.CL smuggling pair: both are refused instead of picking a winner. */
    if (f->cl_count || minor == 0 || f->te_bad || f->chunked_count > 1 ||
        (f->chunked_count == 1 && !f->te_last_chunked))
        return HTTP_ERR_FRAMING;
    return 0;
}

static size_t limit_of(const http_limits *lim)
{
    size_t max = (lim && lim->max_header_bytes) ? lim->max_header_bytes : HTTP_DEFAULT_MAX_HEADER_BYTES;
    return max > INT_MAX ? INT_MAX : max;
}

/* Absolute-form ("http://host:port/p?q", RFC 9112 §3.2.2): the path is what follows the
 * authority, "/" when that is empty (RFC 9110 §4.2.3). Origin-, asterisk- and authority-form
 * targets are left as they are. */
static void absolute_form_path(http_request *req)
{
    const char *t = req->target.p, *end = t + req->path.n;
    const char *sep = NULL;
    for (const char *s = t; s + 2 < end; s++) {
        if (s[0] == ':' && s[1] == '/' && s[2] == '/') {
            sep = s;
            break;
        }
        if (s[0] == '/')
            return; /* a '/' before "://": not a scheme */
    }
    if (!sep || sep == t || *t == '/')
        return;
    const char *auth = sep + 3;
    const char *slash = memchr(auth, '/', (size_t)(end - auth));
    if (slash) {
        req->path.p = slash;
        req->path.n = (size_t)(end - slash);
    } else {
        req->path.p = "/"; /* a static view: valid for as long as any buffer */
        req->path.n = 1;
    }
}

static int parse_request(const char *buf, const char *end, http_request *req)
{
    const char *p = buf;
    int rc;

    for (;;) { /* leading empty lines */
        if (p == end)
            return HTTP_INCOMPLETE;
        if (*p != '\r' && *p != '\n')
            break;
        if ((rc = eat_eol(&p, end)) != 0)
            return rc;
    }

    const char *m = p;
    p = scan_class(p, end, C_TCHAR);
    if (p == end)
        return HTTP_INCOMPLETE;
    if (p == m || *p != ' ')
        return HTTP_ERR_SYNTAX;
    req->method.p = m;
    req->method.n = (size_t)(p - m);
    p++;

    const char *t = p;
    if (p == end)
        return HTTP_INCOMPLETE;
    unsigned char first = (unsigned char)(*p | 0x20);
    if (*p != '/' && *p != '*' && !(first >= 'a' && first <= 'z'))
        return HTTP_ERR_SYNTAX;
    p = scan_class(p, end, C_TARGET);
    if (p == end)
        return HTTP_INCOMPLETE;
    if (*p != ' ')
        return HTTP_ERR_SYNTAX;
    size_t tn = (size_t)(p - t);
    if (*t == '*' && tn != 1)
        return HTTP_ERR_SYNTAX;
    req->target.p = t;
    req->target.n = tn;
    const char *q = memchr(t, '?', tn);
    req->path.p = t;
    req->path.n = q ? (size_t)(q - t) : tn;
    req->query.p = q ? q + 1 : p;
    req->query.n = q ? (size_t)(p - q - 1) : 0;
    absolute_form_path(req);
    p++;

    if ((rc = eat_version(&p, end, &req->minor_version)) != 0)
        return rc;
    if ((rc = eat_eol(&p, end)) != 0)
        return rc;

    frame_info f;
    memset(&f, 0, sizeof f);
    if ((rc = parse_fields(&p, end, req->headers, &req->num_headers, &f)) != 0)
        return rc;

    /* RFC 9112 §3.2: more than one Host is a 400, and so is an HTTP/1.1 request without
     * one. */
    if (f.host_count > 1 || (f.host_count == 0 && req->minor_version == 1))
        return HTTP_ERR_SYNTAX;
    if ((rc = check_framing(&f, req->minor_version)) != 0)
        return rc;
    req->content_length = 0;
    if (f.te_count) {
        if (!f.te_last_chunked) /* a request body must be self-delimiting */
            return HTTP_ERR_FRAMING;
        req->body = HTTP_BODY_CHUNKED;
    } else if (f.cl_count && f.content_length > 0) {
        req->body = HTTP_BODY_LENGTH;
        req->content_length = f.content_length;
    } else {
        req->body = HTTP_BODY_NONE;
    }
    req->keep_alive = req->minor_version == 1 ? !f.conn_close : (f.conn_keep_alive && !f.conn_close);
    req->expect_continue = f.expect_continue && req->minor_version == 1;
    return (int)(p - buf);
}

int http_parse_request(const char *buf, size_t len, const http_limits *lim, http_request *req)
{
    size_t max = limit_of(lim);
    size_t n = len < max ? len : max;
    int rc = parse_request(buf, buf + n, req);
    /* Only the first max bytes are ever looked at; running out there means the head
     * cannot fit, whatever follows. */
    if (rc == HTTP_INCOMPLETE && len >= max)
        return HTTP_ERR_TOO_BIG;
    return rc;
}

static int parse_response(const char *buf, const char *end, bool head_request, http_response *res)
{
    const char *p = buf;
    int rc;

    if ((rc = eat_version(&p, end, &res->minor_version)) != 0)
        return rc;
    if (p == end)
        return HTTP_INCOMPLETE;
    if (*p++ != ' ')
        return HTTP_ERR_SYNTAX;
    int status = 0;
    for (int i = 0; i < 3; i++, p++) {
        if (p == end)
            return HTTP_INCOMPLETE;
        if (*p < (i == 0 ? '1' : '0') || *p > '9')
            return HTTP_ERR_SYNTAX;
        status = status * 10 + (*p - '0');
    }
    res->status = status;
    if (p == end)
        return HTTP_INCOMPLETE;
    /* The SP before an empty reason is required by the grammar but often omitted. */
    if (*p == ' ')
        p++;
    else if (*p != '\r' && *p != '\n')
        return HTTP_ERR_SYNTAX;
    const char *r = p;
    p = scan_field(p, end);
    res->reason.p = r;
    res->reason.n = (size_t)(p - r);
    if ((rc = eat_eol(&p, end)) != 0)
        return rc;

    frame_info f;
    memset(&f, 0, sizeof f);
    if ((rc = parse_fields(&p, end, res->headers, &res->num_headers, &f)) != 0)
        return rc;
    if ((rc = check_framing(&f, res->minor_version)) != 0)
        return rc;

    res->content_length = f.cl_count ? f.content_length : 0;
    res->keep_alive = res->minor_version == 1 ? !f.conn_close : (f.conn_keep_alive && !f.conn_close);
    if (head_request || status < 200 || status == 204 || status == 304) {
        res->body = HTTP_BODY_NONE;
    } else if (f.te_count) {
        /* RFC 9112 §6.3: a response whose final coding is not chunked runs until close. */
        res->body = f.te_last_chunked ? HTTP_BODY_CHUNKED : HTTP_BODY_UNTIL_CLOSE;
    } else if (f.cl_count) {
        res->body = f.content_length ? HTTP_BODY_LENGTH : HTTP_BODY_NONE;
    } else {
        res->body = HTTP_BODY_UNTIL_CLOSE;
    }
    if (res->body == HTTP_BODY_UNTIL_CLOSE)
        res->keep_alive = false;
    return (int)(p - buf);
}

int http_parse_response(const char *buf, size_t len, const http_limits *lim, bool head_request, http_response *res)
{
    size_t max = limit_of(lim);
    size_t n = len < max ? len : max;
    int rc = parse_response(buf, buf + n, head_request, res);
    if (rc == HTTP_INCOMPLETE && len >= max)
        return HTTP_ERR_TOO_BIG;
    return rc;
}

bool http_str_eq(http_str s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && (n == 0 || memcmp(s.p, lit, n) == 0);
}

bool http_str_ieq(http_str s, const char *lit)
{
    size_t i;
    for (i = 0; i < s.n; i++) {
        if (lit[i] == '\0' || lower((unsigned char)s.p[i]) != lower((unsigned char)lit[i]))
            return false;
    }
    return lit[i] == '\0';
}

const http_header *http_find_header(const http_header *h, size_t n, const char *name)
{
    /* Most names differ in length (one compare each), and the one sought is usually
     * spelled as asked (one memcmp). */
    size_t len = strlen(name);
    for (size_t i = 0; i < n; i++)
        if (h[i].name.n == len && (memcmp(h[i].name.p, name, len) == 0 || http_str_ieq(h[i].name, name)))
            return &h[i];
    return NULL;
}

/* ---- chunked transfer coding ------------------------------------------------------ */

enum {
    CK_SIZE0,   /* first hex digit of a chunk size */
    CK_SIZE,    /* more hex digits */
    CK_SIZE_WS, /* BWS between size and ';' */
    CK_EXT,     /* chunk extensions, skipped */
    CK_SIZE_LF, /* LF after the size line's CR */
    CK_DATA,
    CK_DATA_CR,
    CK_DATA_LF,
    CK_TR_START, /* start of a trailer line or the final CRLF */
    CK_TR_NAME,
    CK_TR_VALUE,
    CK_TR_LF,
    CK_END_LF,
    CK_DONE,
    CK_ERROR,
};

void http_chunked_init(http_chunked *c)
{
    c->state = CK_SIZE0;
    c->remaining = 0;
    c->ext_bytes = 0;
}

static unsigned hex_value(unsigned char ch)
{
    return ch <= '9' ? (unsigned)(ch - '0') : (unsigned)((ch | 0x20) - 'a' + 10);
}

/* A byte-at-a-time state machine for the framing (a few bytes per chunk); data runs are
 * handed out as views without touching them. The state is kept in a local and stored on
 * exit so the compiler can keep it in a register. */
int http_chunked_next(http_chunked *c, const char *buf, size_t len, http_str *data, size_t *consumed)
{
    const char *p = buf, *end = buf + len;
    int st = c->state;
    uint64_t rem = c->remaining;
    size_t line = c->ext_bytes;
    int rc = 0;

    data->p = buf;
    data->n = 0;
    if (st == CK_ERROR) {
        *consumed = 0;
        return HTTP_ERR_CHUNK;
    }
    while (p < end && st != CK_DONE) {
        if (st == CK_DATA) {
            if (data->n > 0)
                break; /* one run per call: stop where the next one begins */
            size_t avail = (size_t)(end - p);
            size_t take = rem < (uint64_t)avail ? (size_t)rem : avail;
            data->p = p;
            data->n = take;
            p += take;
            rem -= take;
            if (rem == 0)
                st = CK_DATA_CR;
            continue;
        }
        unsigned char ch = (unsigned char)*p++;
        switch (st) {
        case CK_SIZE0:
            if (!IS(ch, C_HEX))
                goto fail;
            rem = hex_value(ch);
            line = 1;
            st = CK_SIZE;
            break;
        case CK_SIZE:
            if (ch == '\r') {
                st = CK_SIZE_LF;
            } else if (++line > HTTP_CHUNK_MAX_LINE) {
                goto fail;
            } else if (IS(ch, C_HEX)) {
                if (rem > (UINT64_MAX >> 4))
                    goto fail;
                rem = (rem << 4) | hex_value(ch);
            } else if (ch == ';') {
                st = CK_EXT;
            } else if (ch == ' ' || ch == '\t') {
                st = CK_SIZE_WS;
            } else {
                goto fail;
            }
            break;
        case CK_SIZE_WS:
            if (++line > HTTP_CHUNK_MAX_LINE)
                goto fail;
            if (ch == ';')
                st = CK_EXT;
            else if (ch != ' ' && ch != '\t')
                goto fail;
            break;
        case CK_EXT:
            if (ch == '\r')
                st = CK_SIZE_LF;
            else if (++line > HTTP_CHUNK_MAX_LINE || !IS(ch, C_FIELD))
                goto fail;
            break;
        case CK_SIZE_LF:
            if (ch != '\n')
                goto fail;
            if (rem == 0) {
                st = CK_TR_START;
                line = 0;
            } else {
                st = CK_DATA;
            }
            break;
        case CK_DATA_CR:
            if (ch != '\r')
                goto fail;
            st = CK_DATA_LF;
            break;
        case CK_DATA_LF:
            if (ch != '\n')
                goto fail;
            st = CK_SIZE0;
            break;
        case CK_TR_START:
            if (ch == '\r')
                st = CK_END_LF;
            else if (++line > HTTP_CHUNK_MAX_TRAILERS)
                goto fail;
            else if (IS(ch, C_TCHAR))
                st = CK_TR_NAME;
            else
                goto fail;
            break;
        case CK_TR_NAME:
            if (++line > HTTP_CHUNK_MAX_TRAILERS)
                goto fail;
            if (ch == ':')
                st = CK_TR_VALUE;
            else if (!IS(ch, C_TCHAR))
                goto fail;
            break;
        case CK_TR_VALUE:
            if (++line > HTTP_CHUNK_MAX_TRAILERS)
                goto fail;
            if (ch == '\r')
                st = CK_TR_LF;
            else if (!IS(ch, C_FIELD))
                goto fail;
            break;
        case CK_TR_LF:
            if (++line > HTTP_CHUNK_MAX_TRAILERS)
                goto fail;
            if (ch != '\n')
                goto fail;
            st = CK_TR_START;
            break;
        case CK_END_LF:
            if (ch != '\n')
                goto fail;
            st = CK_DONE;
            break;
        default: goto fail;
        }
    }
    if (st == CK_DONE)
        rc = 1;
    c->state = st;
    c->remaining = rem;
    c->ext_bytes = line;
    *consumed = (size_t)(p - buf);
    return rc;

fail:
    c->state = CK_ERROR;
    *consumed = (size_t)(p - buf);
    return HTTP_ERR_CHUNK;
}

int http_chunked_decode(http_chunked *c, char *buf, size_t *len, size_t *consumed)
{
    size_t in = *len, off = 0, out = 0;
    int rc;
    for (;;) {
        http_str d;
        size_t used;
        rc = http_chunked_next(c, buf + off, in - off, &d, &used);
        if (rc < 0)
            break;
        if (d.n > 0) {
            if (d.p != buf + out)
                memmove(buf + out, d.p, d.n);
            out += d.n;
        }
        off += used;
        if (rc == 1 || off == in)
            break;
    }
    *len = out;
    *consumed = off;
    return rc;
}

const char *http_reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Content";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}
