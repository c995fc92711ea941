/* extract.h - taking a value out of a response for a user's variables (plan `extract:`).
 *
 *   json    a JSON Pointer (RFC 6901): "" the whole document, "/a/b/0" member b of member
 *           a, then element 0 of that array; "~1" is '/', "~0" is '~' in a token. The value:
 *           a string's text (escapes decoded, \uXXXX to UTF-8), a number, true, false or
 *           null as written, an object or array as its JSON text. The body is scanned in
 *           place (no tree, no allocation); a body that is not well-formed JSON may still
 *           give a value if the path to it is. Not JSONPath (the JMeter import turns the
 *           simple `$.a.b[0]` into "/a/b/0").
 *   regex   a POSIX extended regular expression (regcomp REG_EXTENDED, not PCRE: no \d, no
 *           lazy quantifiers; use [0-9], [^"]*): the first match's group 1, or the whole
 *           match when the expression has no group. The body is searched up to its first
 *           NUL byte.
 *   header  a response header's value (name case-insensitive; the first one).
 * A value is at most EXTRACT_MAX_VALUE bytes; json and regex see at most EXTRACT_MAX_BODY
 * bytes of the body.
 */
#ifndef PTEST_EXTRACT_H
#define PTEST_EXTRACT_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include "http.h"

#define EXTRACT_MAX_VALUE 2048
#define EXTRACT_MAX_BODY 65536

/* Results of the extract_* lookups. */
enum { EXTRACT_OK = 0, EXTRACT_NONE = -1, EXTRACT_TOO_LONG = -2 };

/* Checks a JSON Pointer ("" or "/..." with ~ only as ~0 or ~1). 0 or -1 with err filled. */
int extract_pointer_check(const char *ptr, char *err, size_t errlen);
/* The value at ptr in the JSON text body[0..n) into out[0..cap), *len its length. */
int extract_json(const char *body, size_t n, const char *ptr, char *out, size_t cap, size_t *len);

/* regcomp(REG_EXTENDED). 0, or -1 with err filled (regerror's text). */
int extract_regex_compile(regex_t *re, const char *expr, char *err, size_t errlen);
/* Group 1 of the first match of re in NUL-terminated body (the whole match without groups). */
int extract_regex(const regex_t *re, const char *body, char *out, size_t cap, size_t *len);

/* The value of the first header called name. */
int extract_header(const http_header *h, size_t n, const char *name, char *out, size_t cap, size_t *len);

#endif
