/* test_base64.c - lib/base64: RFC 4648 vectors, round trips, strict rejection, bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/guard.h"

#include "base64.h"

static const struct {
    const char *plain;
    size_t plain_len;
    const char *b64;
} vectors[] = {
    {"", 0, ""},
    {"f", 1, "Zg=="},
    {"fo", 2, "Zm8="},
    {"foo", 3, "Zm9v"},
    {"foob", 4, "Zm9vYg=="},
    {"fooba", 5, "Zm9vYmE="},
    {"foobar", 6, "Zm9vYmFy"},
    {"\0", 1, "AA=="},
    {"\0\0\0", 3, "AAAA"},
    {"\xff\xfe\xfd", 3, "//79"},
    {"\xfb\xef\xbe", 3, "++++"},
    {"a\0b\nc\r", 6, "YQBiCmMN"},
    {"\x1c\x84\x93\x14", 4, "HISTFA=="},
};

static void test_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        char enc[64];
        uint8_t dec[64];
        size_t n = 999;
        size_t bl = strlen(vectors[i].b64);
        assert_int_equal(base64_encoded_len(vectors[i].plain_len), bl);
        assert_int_equal(base64_encode((const uint8_t *)vectors[i].plain, vectors[i].plain_len, enc, sizeof(enc), &n),
                         0);
        assert_int_equal(n, bl);
        assert_string_equal(enc, vectors[i].b64);

        guarded g;
        guard_copy(&g, vectors[i].b64, bl);
        assert_int_equal(base64_decode(g.p, bl, dec, sizeof(dec), &n), 0);
        guard_fini(&g);
        assert_int_equal(n, vectors[i].plain_len);
        if (n)
            assert_memory_equal(dec, vectors[i].plain, n);
        assert_true(base64_decoded_max(bl) >= n);
    }
}

static void test_unpadded_accepted(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *out;
    } t[] = {{"Zg", "f"}, {"Zm8", "fo"}, {"Zm9vYg", "foob"}, {"Zm9vYmE", "fooba"}};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        uint8_t dec[16];
        size_t n;
        assert_int_equal(base64_decode(t[i].in, strlen(t[i].in), dec, sizeof(dec), &n), 0);
        assert_int_equal(n, strlen(t[i].out));
        assert_memory_equal(dec, t[i].out, n);
    }
}

static void test_rejects_bad_input(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t len;
    } bad[] = {
        {"Z", 1},              /* length mod 4 == 1 */
        {"Zm9vY", 5},          /* same, longer */
        {"Zg=", 3},            /* padding must complete a group */
        {"Z===", 4},           /* three pads */
        {"====", 4},           /* only padding */
        {"=Zg=", 4},           /* pad at the front */
        {"Zg==Zg==", 8},       /* pad in the middle */
        {"Zm9v====", 8},       /* a whole group of padding */
        {"Zh==", 4},           /* non-zero unused bits (non-canonical) */
        {"Zm9=", 4},           /* non-zero unused bits, one pad */
        {"Zm9v\n", 5},         /* newline */
        {"Zm 9v", 5},          /* space */
        {"Zm9v\tYg==", 9},     /* tab */
        {"Zm9\0Yg==", 8},      /* NUL inside */
        {"Zm9v\0", 5},         /* trailing NUL counted in the length */
        {"Zm-_", 4},           /* URL-safe alphabet */
        {"Zm9v\x80\x81gg", 8}, /* high bytes */
        {"Zm9v\x7fggg", 8},    /* DEL */
        {"Zm9v\x01ggg", 8},    /* control */
        {"Zm.v", 4},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t dec[16];
        size_t n = 12345;
        guarded g;
        guard_copy(&g, bad[i].in, bad[i].len);
        int rc = base64_decode(g.p, bad[i].len, dec, sizeof(dec), &n);
        guard_fini(&g);
        if (rc != BASE64_EINVAL)
            fail_msg("case %zu accepted (rc %d)", i, rc);
        assert_int_equal(n, 12345); /* out_len untouched on error */
    }
}

static void test_no_space(void **state)
{
    (void)state;
    char enc[8];
    size_t n;
    /* "foobar" needs 8 characters + NUL */
    assert_int_equal(base64_encode((const uint8_t *)"foobar", 6, enc, 8, &n), BASE64_ENOSPC);
    assert_string_equal(enc, "");
    assert_int_equal(base64_encode((const uint8_t *)"foobar", 6, enc, 0, &n), BASE64_ENOSPC);
    uint8_t dec[5];
    assert_int_equal(base64_decode("Zm9vYmFy", 8, dec, 5, &n), BASE64_ENOSPC);
    uint8_t dec6[6];
    assert_int_equal(base64_decode("Zm9vYmFy", 8, dec6, 6, &n), 0);
    assert_int_equal(n, 6);
    assert_int_equal(base64_decode("Zm9vYg==", 8, dec6, 3, &n), BASE64_ENOSPC);
    assert_int_equal(base64_decode("Zm9vYg==", 8, dec6, 4, &n), 0);
}

static void test_length_overflow(void **state)
{
    (void)state;
    assert_int_equal(base64_encoded_len(SIZE_MAX), SIZE_MAX);
    /* the largest input whose encoding (and NUL) still fits, and one more byte */
    assert_int_equal(base64_encoded_len(SIZE_MAX / 4 * 3), SIZE_MAX - 3);
    assert_int_equal(base64_encoded_len(SIZE_MAX / 4 * 3 + 1), SIZE_MAX);
    assert_int_equal(base64_encoded_len(0), 0);
    assert_int_equal(base64_decoded_max(0), 0);
    assert_int_equal(base64_decoded_max(2), 2);
    assert_int_equal(base64_decoded_max(4), 3);
}

static void test_random_round_trip(void **state)
{
    (void)state;
    uint32_t x = 2463534242u;
    uint8_t src[300], dec[300];
    char enc[404];
    for (size_t len = 0; len <= sizeof(src); len++) {
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            src[i] = (uint8_t)x;
        }
        size_t n, m;
        assert_int_equal(base64_encode(src, len, enc, sizeof(enc), &n), 0);
        assert_int_equal(n, base64_encoded_len(len));
        assert_int_equal(strlen(enc), n);
        guarded g;
        guard_copy(&g, enc, n);
        assert_int_equal(base64_decode(g.p, n, dec, base64_decoded_max(n), &m), 0);
        guard_fini(&g);
        assert_int_equal(m, len);
        if (len)
            assert_memory_equal(dec, src, len);
        /* every proper prefix whose length is 1 mod 4 is rejected, others decode or fail
         * cleanly without reading past the prefix */
        for (size_t k = 0; k < n; k += 7) {
            guard_copy(&g, enc, k);
            int rc = base64_decode(g.p, k, dec, sizeof(dec), &m);
            guard_fini(&g);
            if (k % 4 == 1)
                assert_int_equal(rc, BASE64_EINVAL);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),           cmocka_unit_test(test_unpadded_accepted),
        cmocka_unit_test(test_rejects_bad_input), cmocka_unit_test(test_no_space),
        cmocka_unit_test(test_length_overflow),   cmocka_unit_test(test_random_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
