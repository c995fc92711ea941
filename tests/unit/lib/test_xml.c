/* test_xml.c - XML/HTML text escaping: entities, control bytes, UTF-8 validity. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/data/xml.h"

static void test_xml_escape(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t n;
        const char *out;
    } cases[] = {
        {"a<b>&\"'", 7, "a&lt;b&gt;&amp;&quot;&apos;"},
        {"t\tn\nr\r", 6, "t&#9;n&#10;r&#13;"},
        {"nul\0x", 5, "nul?x"},
        {"\x01\x1f\x7f", 3, "???"},
        {"caf\xc3\xa9", 5, "caf\xc3\xa9"},
        {"\xc3", 1, "?"},                /* truncated */
        {"\xc0\xaf", 2, "??"},           /* overlong */
        {"\xed\xa0\x80", 3, "???"},      /* surrogate */
        {"\xef\xbf\xbe", 3, "???"},      /* U+FFFE, not an XML character */
        {"\xf4\x90\x80\x80", 4, "????"}, /* above U+10FFFF */
        {"\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80"},
        {"]]>", 3, "]]&gt;"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        buf b = BUF_INIT;
        xml_escape(&b, cases[i].in, cases[i].n);
        buf_putc(&b, '\0');
        if (strcmp(b.data, cases[i].out) != 0)
            fail_msg("case %zu: got \"%s\"", i, b.data);
        buf_fini(&b);
    }
}

static void test_xml_escape_str(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    xml_escape_str(&b, NULL);
    xml_escape_str(&b, "x<y");
    assert_string_equal(b.data, "x&lt;y");
    buf_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xml_escape),
        cmocka_unit_test(test_xml_escape_str),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
