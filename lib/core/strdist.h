/* strdist.h - edit distance for "did you mean ...?" suggestions in config and plan errors. */
#ifndef PT_STRDIST_H
#define PT_STRDIST_H

#include <stddef.h>

/* Longest string strdist_osa compares; callers skip longer ones. */
#define STRDIST_MAXLEN 128

/* Optimal string alignment distance between a[0..la) and b[0..lb): Levenshtein plus the
 * transposition of two adjacent characters, so "endpionts" is one edit from "endpoints".
 * Both lengths must be <= STRDIST_MAXLEN (longer inputs return (unsigned)-1).
 * Thread-safe; no allocation. */
unsigned strdist_osa(const char *a, size_t la, const char *b, size_t lb);

#endif
