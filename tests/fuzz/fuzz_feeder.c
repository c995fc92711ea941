/* fuzz_feeder.c - libFuzzer target for the data-file loader (feeder.h): the first byte picks
 * CSV or JSON lines, the rest is the file. Any input either loads into rows whose fields lie
 * inside the block, in order, without NUL bytes, and survive a share cut, or fails with a
 * terminated "name:line:col: why" message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "ptest/journey/feeder.h"

static void check_rows(const feeder *f)
{
    FUZZ_CHECK(f->n_cols >= 1 && f->n_cols <= FEEDER_MAX_COLS);
    size_t n = f->n_rows * f->n_cols;
    FUZZ_CHECK(f->off[0] == 0);
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(f->off[i] <= f->off[i + 1]);
        uint32_t len;
        const char *p = feeder_field(f, i / f->n_cols, i % f->n_cols, &len);
        FUZZ_CHECK(memchr(p, '\0', len) == NULL);
    }
    for (size_t c = 0; c < f->n_cols; c++)
        FUZZ_CHECK(f->cols[c] && f->cols[c][0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int format = data[0] & 1 ? FEEDER_JSONL : FEEDER_CSV;
    feeder f;
    char err[300];
    memset(err, 'x', sizeof err);
    if (feeder_parse(&f, "d", (const char *)data + 1, size - 1, format, err, sizeof err) == 0) {
        FUZZ_CHECK(f.n_rows >= 1);
        check_rows(&f);
        size_t before = f.n_rows;
        feeder_keep_share(&f, 1, 2);
        FUZZ_CHECK(f.n_rows == before / 2);
        if (f.n_rows)
            check_rows(&f);
        feeder_fini(&f);
    } else {
        FUZZ_CHECK(memchr(err, '\0', sizeof err) != NULL);
        FUZZ_CHECK(strncmp(err, "d:", 2) == 0);
    }
    return 0;
}
