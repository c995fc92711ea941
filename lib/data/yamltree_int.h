/* yamltree_int.h - private to yamltree*.c: message helpers shared by the loader
 * (yamltree.c) and the getters (yamltree_get.c), which defines them. Not for callers.
 */
#ifndef PT_YAMLTREE_INT_H
#define PT_YAMLTREE_INT_H

#include <stdarg.h>
#include <stddef.h>

#include "yamltree.h"

/* Buffer size for yt_quote / yt_describe results. */
#define YT_QUOTE_CAP 256

/* Writes s (len bytes, may hold NUL/control bytes) into dst as a double-quoted, escaped,
 * possibly truncated ("...") string; cap must be at least YT_QUOTE_CAP. Returns dst. */
const char *yt_quote(char *dst, size_t cap, const char *s, size_t len);

/* The document's file name for messages, "<input>" if doc or its name is NULL. */
const char *yt_doc_name(const yt_doc *doc);

/* yt_fail with a va_list: fills err (if non-NULL) with "file:line:col: " (or "file: " when
 * node is NULL) + message. Always returns -1. */
int yt_vfail(const yt_doc *doc, const yt_node *node, yt_error *err, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

/* What node is, for "expected X, found Y": "a mapping", "a sequence", "an empty value
 * (null)" or the quoted scalar text (written into buf, cap >= YT_QUOTE_CAP). node non-NULL. */
const char *yt_describe(const yt_node *node, char *buf, size_t cap);

#endif
