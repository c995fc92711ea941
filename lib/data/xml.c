/* xml.c - escaping text for XML and HTML documents. */
#include "xml.h"

#include <stdint.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid (overlong forms,
 * surrogates and code points above U+10FFFF included). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    uint32_t cp;
    size_t len;
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        len = 2;
        cp = s[0] & 0x1f;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        len = 3;
        cp = s[0] & 0x0f;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        len = 4;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff) ||
        cp == 0xfffe || cp == 0xffff)
        return 0;
    return len;
}

void xml_escape(buf *b, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned char ch = u[i];
        if (ch >= 0x80) {
            size_t len = utf8_len(u + i, n - i);
            if (len) {
                buf_append(b, u + i, len);
                i += len;
            } else {
                buf_putc(b, '?');
                i++;
            }
            continue;
        }
        switch (ch) {
        case '&': buf_puts(b, "&amp;"); break;
        case '<': buf_puts(b, "&lt;"); break;
        case '>': buf_puts(b, "&gt;"); break;
        case '"': buf_puts(b, "&quot;"); break;
        case '\'': buf_puts(b, "&apos;"); break;
        case '\t': buf_puts(b, "&#9;"); break;
        case '\n': buf_puts(b, "&#10;"); break;
        case '\r': buf_puts(b, "&#13;"); break;
        default: buf_putc(b, ch < 0x20 || ch == 0x7f ? '?' : (char)ch);
        }
        i++;
    }
}

void xml_escape_str(buf *b, const char *s)
{
    xml_escape(b, s ? s : "", s ? strlen(s) : 0);
}
