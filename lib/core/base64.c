/* base64.c - strict RFC 4648 base64; see base64.h for the contract. */
#include "base64.h"

static const char b64_alphabet[64] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Maps a character to its 6-bit value, or -1. A switch on ranges instead of a 256-entry
 * table: it is just as clear and cannot be indexed out of bounds by a signed char. */
static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

size_t base64_encoded_len(size_t n)
{
    size_t groups = n / 3 + (n % 3 != 0);
    if (groups > (SIZE_MAX - 1) / 4)
        return SIZE_MAX;
    return groups * 4;
}

size_t base64_decoded_max(size_t n)
{
    return n / 4 * 3 + (n % 4 ? 2 : 0);
}

int base64_encode(const uint8_t *src, size_t n, char *dst, size_t dst_cap, size_t *out_len)
{
    size_t need = base64_encoded_len(n);
    if (need == SIZE_MAX || dst_cap < need + 1) {
        if (dst_cap > 0)
            dst[0] = '\0';
        return BASE64_ENOSPC;
    }
    size_t i = 0, o = 0;
    for (; n - i >= 3; i += 3) {
        uint32_t v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 | src[i + 2];
        dst[o++] = b64_alphabet[v >> 18];
        dst[o++] = b64_alphabet[(v >> 12) & 63];
        dst[o++] = b64_alphabet[(v >> 6) & 63];
        dst[o++] = b64_alphabet[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)src[i] << 16;
        dst[o++] = b64_alphabet[v >> 18];
        dst[o++] = b64_alphabet[(v >> 12) & 63];
        dst[o++] = '=';
        dst[o++] = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8;
        dst[o++] = b64_alphabet[v >> 18];
        dst[o++] = b64_alphabet[(v >> 12) & 63];
        dst[o++] = b64_alphabet[(v >> 6) & 63];
        dst[o++] = '=';
    }
    dst[o] = '\0';
    *out_len = o;
    return 0;
}

int base64_decode(const char *src, size_t n, uint8_t *dst, size_t dst_cap, size_t *out_len)
{
    /* Strip the padding first, so the loop below only sees alphabet characters. */
    size_t data = n;
    if (n % 4 == 0 && n > 0 && src[n - 1] == '=') {
        data--;
        if (src[n - 2] == '=')
            data--;
    }
    if (data % 4 == 1)
        return BASE64_EINVAL;
    size_t produce = data / 4 * 3 + (data % 4 ? data % 4 - 1 : 0);
    if (produce > dst_cap)
        return BASE64_ENOSPC;

    size_t o = 0;
    uint32_t acc = 0;
    unsigned nbits = 0;
    for (size_t i = 0; i < data; i++) {
        int v = b64_value((unsigned char)src[i]);
        if (v < 0)
            return BASE64_EINVAL;
        acc = (acc << 6) | (uint32_t)v;
        nbits += 6;
        if (nbits >= 8) {
            nbits -= 8;
            dst[o++] = (uint8_t)(acc >> nbits);
            acc &= (1u << nbits) - 1;
        }
    }
    /* The bits left over (2 or 4) must be zero in a canonical encoding. */
    if (acc != 0)
        return BASE64_EINVAL;
    *out_len = o;
    return 0;
}
