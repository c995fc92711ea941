/* jsonw.h - minimal streaming JSON writer into a buf.
 *
 * The writer tracks nesting and inserts commas; keys and strings are escaped
 * (control bytes and DEL as \u00XX or \n-style escapes, invalid UTF-8 replaced by U+FFFD,
 * one per maximal ill-formed subsequence).
 * Doubles that are not finite are written as null.
 * Errors (allocation) are reported through the underlying buf's failed flag; so is misuse
 * (nesting deeper than JSONW_MAX_DEPTH - 1, an end without a begin, a key at top level,
 * a key followed by another key or by an end), which makes the output invalid JSON.
 * Several top-level values are separated by '\n' (JSON lines). indent > 0 puts every member
 * on its own line; empty containers stay "{}" / "[]". No trailing newline is written.
 * Not thread-safe; one writer per buf.
 */
#ifndef PT_JSONW_H
#define PT_JSONW_H

#include "buf.h"
#include <stdbool.h>
#include <stdint.h>

#define JSONW_MAX_DEPTH 32

typedef struct jsonw {
    buf *out;
    int depth;
    bool need_comma[JSONW_MAX_DEPTH];
    bool after_key;
    int indent; /* 0 = compact; >0 = pretty with that many spaces */
} jsonw;

void jsonw_init(jsonw *w, buf *out, int indent);
void jsonw_obj_begin(jsonw *w);
void jsonw_obj_end(jsonw *w);
void jsonw_arr_begin(jsonw *w);
void jsonw_arr_end(jsonw *w);
void jsonw_key(jsonw *w, const char *key);
void jsonw_str(jsonw *w, const char *s);            /* NULL -> null */
void jsonw_strn(jsonw *w, const char *s, size_t n); /* n bytes, NUL bytes included */
void jsonw_u64(jsonw *w, uint64_t v);
void jsonw_i64(jsonw *w, int64_t v);
/* Shortest of %.15g/%.16g/%.17g that reads back as v ("0.1", not "0.10000000000000001");
 * '.' as decimal point whatever the C locale; non-finite -> null. */
void jsonw_double(jsonw *w, double v);
void jsonw_bool(jsonw *w, bool v);
void jsonw_null(jsonw *w);
/* Appends s escaped as JSON string content (without quotes) to b. */
void jsonw_escape(buf *b, const char *s, size_t n);

#endif
