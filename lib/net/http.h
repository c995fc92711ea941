/* http.h - incremental, zero-copy HTTP/1.1 message codec (requests and responses).
 *
 * The parsers never copy or allocate: they return views (pointer + length) into the
 * caller's buffer, valid as long as that buffer is neither modified nor moved.
 * They are stateless across calls: call again with the same buffer start and a longer
 * length when more bytes arrive (HTTP_INCOMPLETE). Callers should keep the length of the
 * previous attempt and only re-parse when new bytes came in; header parsing is linear.
 * Errors are reported as soon as the bytes seen prove them, so a prefix of a message
 * yields HTTP_INCOMPLETE or an error, never a success of another length.
 * All functions are reentrant and thread-safe (no global state is written).
 *
 * Strictness (RFC 9112): tokens per tchar, CRLF line endings (in the head a bare LF is
 * accepted only as a line terminator, never CR alone), no obs-fold, no whitespace before
 * ':', no NUL or other control bytes except HTAB in field values, HTTP/1.0 or HTTP/1.1
 * only, request-target of visible ASCII (0x21-0x7E) in origin-form ("/..."), asterisk-form
 * ("*") or absolute/authority-form (starting with a letter), exactly one Host field in
 * HTTP/1.1 and at most one in HTTP/1.0, limits on header count and size.
 * For an absolute-form target (scheme "://" authority [path]) path is the part after the
 * authority ("/" when empty; RFC 9112 §3.2.2), so servers route it like origin-form.
 * Framing (RFC 9112 §6), for requests and responses alike: Transfer-Encoding and
 * Content-Length together, more than one Content-Length (even equal), a Content-Length
 * that is not only digits or overflows 64 bits, "chunked" applied twice or not as the
 * last coding, or Transfer-Encoding in an HTTP/1.0 message are HTTP_ERR_FRAMING; so is a
 * request whose last transfer coding is not "chunked" -> answer 400 and close
 * (anti-smuggling). A response whose last coding is not chunked is read until close.
 */
#ifndef PT_HTTP_H
#define PT_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_HEADERS 64
#define HTTP_DEFAULT_MAX_HEADER_BYTES 8192

/* Return codes (negative); parsers return the header block length (> 0) on success. */
#define HTTP_INCOMPLETE (-1)   /* need more bytes */
#define HTTP_ERR_SYNTAX (-2)   /* malformed start line or header -> 400 */
#define HTTP_ERR_TOO_BIG (-3)  /* header block exceeds max_header_bytes -> 431 (or 400) */
#define HTTP_ERR_FRAMING (-4)  /* ambiguous/invalid message framing -> 400 */
#define HTTP_ERR_VERSION (-5)  /* not HTTP/1.0 or 1.1 -> 505 */
#define HTTP_ERR_TOO_MANY (-6) /* more than HTTP_MAX_HEADERS fields -> 431 (or 400) */
#define HTTP_ERR_CHUNK (-7)    /* malformed chunked body */

typedef struct http_str {
    const char *p;
    size_t n;
} http_str;

typedef struct http_header {
    http_str name;
    http_str value; /* leading/trailing OWS stripped */
} http_header;

/* Message framing, decided from the headers. */
enum http_body_kind {
    HTTP_BODY_NONE,       /* no body (Content-Length: 0, or none in a request, or HEAD/1xx/204/304 response) */
    HTTP_BODY_LENGTH,     /* content_length bytes */
    HTTP_BODY_CHUNKED,    /* chunked transfer coding; use http_chunked_next/_decode */
    HTTP_BODY_UNTIL_CLOSE /* responses only: read until the peer closes */
};

typedef struct http_request {
    http_str method;
    http_str target;   /* request-target as sent */
    http_str path;     /* target up to '?'; for absolute-form only the path part */
    http_str query;    /* after '?', without it; n == 0 if none */
    int minor_version; /* 0 or 1 */
    size_t num_headers;
    http_header headers[HTTP_MAX_HEADERS];
    enum http_body_kind body;
    uint64_t content_length; /* body length when body == HTTP_BODY_LENGTH, else 0 */
    bool keep_alive;         /* from version and Connection header */
    bool expect_continue;    /* HTTP/1.1 and "Expect: 100-continue" */
} http_request;

typedef struct http_response {
    int minor_version;
    int status;      /* 100..999 */
    http_str reason; /* may be empty */
    size_t num_headers;
    http_header headers[HTTP_MAX_HEADERS];
    enum http_body_kind body;
    uint64_t content_length; /* the Content-Length value if one was sent (also for HEAD,
                               * 204, 304 where body == NONE), else 0 */
    bool keep_alive;         /* false for HTTP_BODY_UNTIL_CLOSE */
} http_response;

typedef struct http_limits {
    size_t max_header_bytes; /* whole header block incl. request line and leading empty
                               * lines; 0 = HTTP_DEFAULT_MAX_HEADER_BYTES; capped at INT_MAX */
} http_limits;

/* Parses a request head from buf[0..len). lim may be NULL (defaults). On success returns
 * the head length (bytes up to and including the blank line) and fills req; else a
 * negative code and req's contents are unspecified.
 * HTTP_ERR_TOO_BIG is returned as soon as len reaches the limit without a complete head
 * (a head of exactly max_header_bytes bytes is accepted).
 * Leading empty lines (CRLF) before the request line are skipped as RFC 9112 allows. */
int http_parse_request(const char *buf, size_t len, const http_limits *lim, http_request *req);

/* Parses a response head (same conventions). head_request tells whether the request was
 * HEAD (no body). A 1xx response is a head of its own; the final response follows it. */
int http_parse_response(const char *buf, size_t len, const http_limits *lim, bool head_request, http_response *res);

/* Case-insensitive header lookup; returns the first match or NULL. */
const http_header *http_find_header(const http_header *h, size_t n, const char *name);

/* Comparison of a view with a NUL-terminated string: exact / ASCII case-insensitive. */
bool http_str_eq(http_str s, const char *lit);
bool http_str_ieq(http_str s, const char *lit);

/* Incremental chunked-body decoder (RFC 9112 §7.1). CRLF is required after every
 * chunk-size line, chunk data and trailer line (no bare LF). Chunk sizes are hex
 * without overflow of 64 bits; a chunk-size line (size + extensions, without CRLF) may be
 * at most HTTP_CHUNK_MAX_LINE bytes and the trailer fields (with their CRLFs, without the
 * final empty line) at most HTTP_CHUNK_MAX_TRAILERS bytes;
 * extensions are skipped, trailer fields are validated like header fields and skipped.
 * State lives in the struct, so input may arrive in pieces of any size. */
#define HTTP_CHUNK_MAX_LINE 1024
#define HTTP_CHUNK_MAX_TRAILERS 8192

typedef struct http_chunked {
    int state;          /* private */
    uint64_t remaining; /* private: bytes left in the current chunk */
    size_t ext_bytes;   /* private: guards against endless chunk extensions/trailers */
} http_chunked;

void http_chunked_init(http_chunked *c);

/* Zero-copy step: consumes framing bytes from buf[0..len) up to and including one run of
 * body bytes and the framing after it, stopping where the next run of body bytes would
 * begin, at the end of the message, or at the end of input. *data is that run (a view
 * into buf; n == 0 if none) and *consumed the number of input bytes used.
 * Returns 1 when the last chunk and trailers are complete (bytes from *consumed on belong
 * to the next message), 0 otherwise (then *consumed < len only if data->n > 0: call again
 * with buf + *consumed), HTTP_ERR_CHUNK on malformed input (sticky until init).
 * A decoder that returned 1 keeps returning 1 and consumes nothing. */
int http_chunked_next(http_chunked *c, const char *buf, size_t len, http_str *data, size_t *consumed);

/* In-place convenience over http_chunked_next: decodes buf[0..*len). On return *len is
 * the number of decoded body bytes now at buf[0..*len) (moved to the front, so body bytes
 * are contiguous), and *consumed the number of input bytes used (the caller drops them
 * after taking the body bytes). Returns 1 when the terminating chunk and trailers are
 * complete (bytes beyond *consumed are untouched: the next message), 0 when more input is
 * needed (then *consumed == the input length: partial framing is kept in c),
 * HTTP_ERR_CHUNK on malformed input. */
int http_chunked_decode(http_chunked *c, char *buf, size_t *len, size_t *consumed);

/* Standard reason phrase for a status code ("OK", "Not Found", ...); "Unknown" otherwise. */
const char *http_reason(int status);

#endif
