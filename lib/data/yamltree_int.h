/* yamltree_int.h - private to yamltree*.c: message helpers shared by the loader
 * (yamltree.c) and the getters (yamltree_get.c), which defines them. Not for callers.
 */
#ifndef PT_YAMLTREE_INT_H
#define PT_YAMLTREE_INT_H

#include <stdarg.h>
#include <stddef.h>

#include "yamltree.h"

/* Buffer size for yamltree_quote / yamltree_describe results. */
#define YAMLTREE_QUOTE_CAP 256

/* Writes s (len bytes, may hold NUL/control bytes) into dst as a double-quoted, escaped,
 * possibly truncated ("...") string; cap must be at least YAMLTREE_QUOTE_CAP. Returns dst. */
const char *yamltree_quote(char *dst, size_t cap, const char *s, size_t len);

/* The document's file name for messages, "<input>" if doc or its name is NULL. */
const char *yamltree_doc_name(const yamltree_doc *doc);

/* yamltree_fail with a va_list: fills err (if non-NULL) with "file:line:col: " (or "file: " when
 * node is NULL) + message. Always returns -1. */
int yamltree_vfail(const yamltree_doc *doc, const yamltree_node *node, yamltree_error *err, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

/* What node is, for "expected X, found Y": "a mapping", "a sequence", "an empty value
 * (null)" or the quoted scalar text (written into buf, cap >= YAMLTREE_QUOTE_CAP). node non-NULL. */
const char *yamltree_describe(const yamltree_node *node, char *buf, size_t cap);

#endif
