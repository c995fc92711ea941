/* yamlout.c - YAML scalar writers and gz+b64 (see yamlout.h). */
#include "yamlout.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base64.h"

int yamlout_str(buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    buf_putc(b, '"');
    for (; *p; p++) {
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            buf_putc(b, '\\');
            buf_putc(b, (char)c);
        } else if (c == '\n') {
            buf_puts(b, "\\n");
        } else if (c == '\t') {
            buf_puts(b, "\\t");
        } else if (c < 0x20 || c == 0x7f) {
            buf_printf(b, "\\x%02x", c);
        } else if (c == 0xc2 && p[1] == 0x85) {
            /* U+0085 NEL, U+2028, U+2029: YAML line breaks, folded inside quotes. */
            buf_puts(b, "\\N");
            p++;
        } else if (c == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
            buf_puts(b, p[2] == 0xa8 ? "\\L" : "\\P");
            p += 2;
        } else {
            buf_putc(b, (char)c);
        }
    }
    buf_putc(b, '"');
    return buf_ok(b) ? 0 : -1;
}

/* A literal block keeps text byte for byte only for printable lines, tabs allowed, no
 * CR, no BOM, a first line not starting with a space (that would need an indentation
 * indicator), and at most one trailing newline (clip or strip chomping). */
static bool literal_ok(const char *t, size_t len)
{
    if (len == 0 || t[0] == ' ' || t[0] == '\n')
        return false;
    if (len >= 2 && t[len - 1] == '\n' && t[len - 2] == '\n')
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)t[i];
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
            return false;
        if (c == 0xef && i + 2 < len && (unsigned char)t[i + 1] == 0xbb && (unsigned char)t[i + 2] == 0xbf)
            return false;
        if (c == 0xc2 && i + 1 < len && (unsigned char)t[i + 1] == 0x85)
            return false;
        if (c == 0xe2 && i + 2 < len && (unsigned char)t[i + 1] == 0x80 &&
            ((unsigned char)t[i + 2] == 0xa8 || (unsigned char)t[i + 2] == 0xa9))
            return false;
    }
    /* A line with trailing spaces is kept by YAML, but lines made only of spaces before
     * the indentation would be read as less indented: refuse lines of only blanks. */
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || t[i] == '\n') {
            bool blank = i > start;
            for (size_t j = start; j < i; j++)
                if (t[j] != ' ' && t[j] != '\t')
                    blank = false;
            if (blank)
                return false;
            start = i + 1;
        }
    }
    return true;
}

int yamlout_block(buf *b, const char *text, size_t len, unsigned indent)
{
    if (!literal_ok(text, len) || memchr(text, '\0', len)) {
        char *copy = malloc(len + 1);
        if (!copy) {
            b->failed = true;
            return -1;
        }
        memcpy(copy, text, len);
        copy[len] = '\0';
        /* An embedded NUL would silently cut the text: refuse instead. */
        int rc = strlen(copy) == len ? yamlout_str(b, copy) : -1;
        free(copy);
        buf_putc(b, '\n');
        return rc < 0 || !buf_ok(b) ? -1 : 0;
    }
    buf_puts(b, text[len - 1] == '\n' ? "|\n" : "|-\n");
    size_t start = 0;
    while (start < len) {
        const char *nl = memchr(text + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - text) : len;
        if (end > start)
            buf_printf(b, "%*s", (int)indent, "");
        buf_append(b, text + start, end - start);
        buf_putc(b, '\n');
        start = end + 1;
    }
    return buf_ok(b) ? 0 : -1;
}

int yamlout_gzip_b64(buf *b, const void *data, size_t len)
{
    z_stream z;
    int rc = -1;
    uint8_t *gz = NULL;
    char *txt = NULL;

    if (len > UINT32_MAX / 2)
        return -1;
    memset(&z, 0, sizeof z);
    /* windowBits 15 + 16 selects the gzip wrapper; zlib writes mtime 0, so the same input
     * always gives the same bytes (renders can be diffed). */
    if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    uLong cap = deflateBound(&z, (uLong)len);
    gz = malloc(cap);
    if (!gz)
        goto out;
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)len;
    z.next_out = gz;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END)
        goto out;
    size_t n = base64_encoded_len(z.total_out), got;
    if (n == SIZE_MAX || !(txt = malloc(n + 1)))
        goto out;
    if (base64_encode(gz, z.total_out, txt, n + 1, &got) < 0)
        goto out;
    buf_append(b, txt, got);
    rc = buf_ok(b) ? 0 : -1;
out:
    deflateEnd(&z);
    free(gz);
    free(txt);
    return rc;
}
