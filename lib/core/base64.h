/* base64.h - RFC 4648 base64 (standard alphabet "A-Za-z0-9+/", '=' padding).
 *
 * Used by the HdrHistogram interval log (hlog) for its compressed histogram column.
 * Encoding always pads. Decoding is strict so that a corrupt log line is reported instead
 * of being turned into garbage bytes: it rejects characters outside the alphabet (including
 * whitespace, NUL and control bytes), '=' anywhere but the last one or two positions, a length
 * whose remainder mod 4 is 1, and non-zero bits in the unused tail of the last group
 * (non-canonical encodings). Missing padding is accepted (length mod 4 == 2 or 3).
 *
 * All functions are pure, reentrant and thread-safe; they never read src past n bytes and
 * never write dst past dst_cap bytes.
 */
#ifndef PT_BASE64_H
#define PT_BASE64_H

#include <stddef.h>
#include <stdint.h>

enum {
    BASE64_EINVAL = -1, /* malformed input (see above) */
    BASE64_ENOSPC = -2, /* dst too small */
};

/* Number of characters base64_encode writes for n bytes, without the NUL; SIZE_MAX if that
 * does not fit in size_t. */
size_t base64_encoded_len(size_t n);
/* Upper bound of the bytes base64_decode produces from n characters. */
size_t base64_decoded_max(size_t n);

/* Encodes n bytes of src into dst and NUL-terminates it. dst_cap must be at least
 * base64_encoded_len(n) + 1. Returns 0 and sets *out_len (characters, without the NUL), or
 * BASE64_ENOSPC (dst untouched beyond a NUL at dst[0] when dst_cap > 0). */
int base64_encode(const uint8_t *src, size_t n, char *dst, size_t dst_cap, size_t *out_len);

/* Decodes n characters of src (no NUL needed) into dst. dst_cap of base64_decoded_max(n) is
 * always enough. Returns 0 and sets *out_len, or BASE64_EINVAL / BASE64_ENOSPC (dst contents
 * are then unspecified). */
int base64_decode(const char *src, size_t n, uint8_t *dst, size_t dst_cap, size_t *out_len);

#endif
