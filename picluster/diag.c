/* diag.c - problem list (see diag.h). */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void diag_init(diag_list *d)
{
    memset(d, 0, sizeof *d);
}

void diag_fini(diag_list *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->v[i].msg);
    free(d->v);
    memset(d, 0, sizeof *d);
}

void diag_add(diag_list *d, bool warning, const char *msg)
{
    if (warning)
        d->warnings++;
    else
        d->errors++;
    if (d->n >= DIAG_MAX)
        return;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        diag_entry *v = realloc(d->v, cap * sizeof *v);
        if (!v) {
            d->oom = true;
            return;
        }
        d->v = v;
        d->cap = cap;
    }
    char *copy = strdup(msg);
    if (!copy) {
        d->oom = true;
        return;
    }
    d->v[d->n].msg = copy;
    d->v[d->n].warning = warning;
    d->n++;
}

void diag_addf(diag_list *d, bool warning, const char *fmt, ...)
{
    char msg[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    diag_add(d, warning, msg);
}

void diag_print(const diag_list *d, FILE *f)
{
    for (size_t i = 0; i < d->n; i++)
        fprintf(f, "%s\n", d->v[i].msg);
    size_t total = d->errors + d->warnings;
    if (total > d->n)
        fprintf(f, "... and %zu more\n", total - d->n);
    if (d->oom)
        fprintf(f, "(out of memory while collecting problems; some are missing)\n");
}

bool diag_has(const diag_list *d, const char *needle)
{
    for (size_t i = 0; i < d->n; i++)
        if (strstr(d->v[i].msg, needle))
            return true;
    return false;
}
