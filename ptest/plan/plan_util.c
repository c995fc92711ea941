/* plan_util.c - small string helpers shared by the plan module's files: error messages,
 * copies, ASCII case folding, quoting user strings, label checks. */
#include "plan_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *plan_dupn(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

char *plan_dup(const char *s)
{
    return plan_dupn(s, strlen(s));
}

/* ASCII-only case folding: HTTP names are ASCII and the C locale must not matter. */
static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

bool plan_caseeq_n(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return false;
    return true;
}

bool plan_caseeq(const char *a, const char *b)
{
    size_t n = strlen(a);
    return n == strlen(b) && plan_caseeq_n(a, b, n);
}

/* Visible ASCII, no space: what a request target may hold without percent-encoding. */
bool plan_all_vchar(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return false;
    return true;
}

/* Quotes a user string for a message: at most 48 bytes, '"', '\' and bytes outside
 * printable ASCII escaped, so a hostile plan cannot garble a log line or a terminal. */
const char *plan_qs(char *buf, const char *s, size_t n)
{
    size_t o = 0, i;
    buf[o++] = '"';
    for (i = 0; i < n && i < 48; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char)c;
        } else if (c < 0x20 || c >= 0x7f) {
            o += (size_t)snprintf(buf + o, PLAN_QCAP - o, "\\x%02x", c);
        } else {
            buf[o++] = (char)c;
        }
    }
    if (i < n) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}

/* Why s cannot be a label or name, or NULL if it can. Printable ASCII only: labels end up
 * in CSV, XML, JSON, HTML and terminal lines, and stay easy to type in thresholds. */
const char *plan_name_problem(const char *s, size_t n)
{
    if (n == 0)
        return "is empty";
    if (n > PLAN_MAX_LABEL)
        return "is longer than 64 bytes";
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
            return "contains a control or non-ASCII byte (printable ASCII only)";
    if (s[0] == ' ' || s[n - 1] == ' ')
        return "starts or ends with a space";
    return NULL;
}
