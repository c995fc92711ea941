/* fuzz_threshold.c - libFuzzer target for threshold expressions: any input either parses
 * into a well-formed expression (finite limit, percentile in (0, 100], an operator) that
 * formats without overflow, or fails with a column inside the input and a terminated
 * message. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "ptest/verdict/threshold.h"

static void check(bool ok)
{
    if (!ok)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    threshold_expr e;
    size_t col = SIZE_MAX;
    char err[96];
    memset(err, 'x', sizeof err);
    if (threshold_parse(s, &e, &col, err, sizeof err) == 0) {
        check(isfinite(e.limit));
        check(e.metric != THRESHOLD_PCT || (e.pct > 0 && e.pct <= 100));
        check(e.relative || (e.op >= THRESHOLD_LT && e.op <= THRESHOLD_GE));
        char out[64];
        threshold_format_limit(&e, out, sizeof out);
        check(memchr(out, '\0', sizeof out) != NULL);
        threshold_metric_name(&e, out, sizeof out);
        check(memchr(out, '\0', sizeof out) != NULL);
    } else {
        check(col <= strlen(s));
        check(memchr(err, '\0', sizeof err) != NULL);
    }
    free(s);
    return 0;
}
