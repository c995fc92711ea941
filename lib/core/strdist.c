/* strdist.c - optimal string alignment distance, three rolling rows on the stack. */
#include "strdist.h"

unsigned strdist_osa(const char *a, size_t la, const char *b, size_t lb)
{
    if (la > STRDIST_MAXLEN || lb > STRDIST_MAXLEN)
        return (unsigned)-1;
    unsigned r0[STRDIST_MAXLEN + 1], r1[STRDIST_MAXLEN + 1], r2[STRDIST_MAXLEN + 1];
    unsigned *pp = r0, *p = r1, *c = r2;

    for (size_t j = 0; j <= lb; j++)
        p[j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++) {
        c[0] = (unsigned)i;
        for (size_t j = 1; j <= lb; j++) {
            unsigned cost = a[i - 1] != b[j - 1];
            unsigned v = p[j] + 1;
            if (c[j - 1] + 1 < v)
                v = c[j - 1] + 1;
            if (p[j - 1] + cost < v)
                v = p[j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && pp[j - 2] + 1 < v)
                v = pp[j - 2] + 1;
            c[j] = v;
        }
        unsigned *t = pp;
        pp = p;
        p = c;
        c = t;
    }
    return p[lb];
}
