/* plan_int.h - private to the ptest plan module (plan.c, plan_url.c, plan_load.c,
 * plan_share.c, plan_util.c): limits and helpers they share. Not for other callers. */
#ifndef PT_PLAN_INT_H
#define PT_PLAN_INT_H

#include "err.h"
#include "plan.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PLAN_MAX_PATH 8192
/* Far above what one Pi or one laptop can send; it stops a typo ("1000000/s") from
 * turning into a schedule the engine cannot keep anyway. */
#define PLAN_MAX_RATE 1e7

/* Size of the buffer plan_qs needs: 48 bytes escaped 4-fold, quotes, "..." and NUL. */
#define PLAN_QCAP 256


/* malloc'ed NUL-terminated copies of s (n bytes of it); NULL when out of memory. */
char *plan_dupn(const char *s, size_t n);
char *plan_dup(const char *s);

/* ASCII-only case-insensitive comparison of n bytes / of two strings. */
bool plan_caseeq_n(const char *a, const char *b, size_t n);
bool plan_caseeq(const char *a, const char *b);

/* true when all n bytes are visible ASCII (0x21-0x7e). */
bool plan_all_vchar(const char *s, size_t n);

/* Writes s (n bytes) quoted and escaped for a message into buf (PLAN_QCAP bytes); returns buf. */
const char *plan_qs(char *buf, const char *s, size_t n);

/* Why s (n bytes) cannot be a label or name, as a static string, or NULL if it can. */
const char *plan_name_problem(const char *s, size_t n);

/* Parses "http://authority" of s into u (scheme, host, port, authority; base_path left
 * NULL) and points *rest at what follows it. 0, or -1 with err filled and u empty. */
int plan_url_head(plan_url *u, const char *s, const char **rest, char *err, size_t errlen);

/* Sets the timeouts and the Apdex T of a zeroed plan to their defaults. */
void plan_set_defaults(plan *p);

#endif
