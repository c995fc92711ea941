/* fuzz_collect_upload.c - libFuzzer target for what `ptest collect` parses from the network:
 * the first byte picks the path,
 *   0  an interval body for worker data[1] % 4 into one collector (state accumulates: seconds,
 *      labels, duplicates; recreated every 4096 inputs), then /status and /metrics;
 *   1  a commit body;
 *   2  a worker path and a final file name;
 *   3  a request "METHOD PATH\nBODY" through the routes (uploads of files excluded, they
 *      write to disk).
 * Any input must be answered without a crash or a leak; accepted names are plain, and a
 * parsed interval satisfies the checks the collector relies on. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/fuzz/fuzz.h"
#include "ptest/collect/collect.h"
#include "ptest/collect/collect_server.h"
#include "ptest/collect/collect_wire.h"

static void check(bool ok)
{
    if (!ok)
        abort();
}

static char dir[64];

/* The collector's folders stay empty (no file uploads): remove them at exit. */
static void remove_dirs(void)
{
    char spool[96];
    snprintf(spool, sizeof(spool), "%s/.workers", dir);
    rmdir(spool);
    rmdir(dir);
}

static collect *collector(void)
{
    static collect *c;
    static unsigned uses;
    if (!dir[0]) {
        snprintf(dir, sizeof(dir), "/tmp/fuzz_collect.XXXXXX");
        check(mkdtemp(dir) != NULL);
        atexit(remove_dirs);
    }
    if (c && ++uses % 4096 == 0) {
        collect_destroy(c);
        c = NULL;
    }
    char err[256];
    if (!c)
        check(collect_create(&c, 4, dir, err, sizeof(err)) == 0);
    return c;
}

static void interval(const char *s, size_t n, uint32_t worker)
{
    collect_wire_interval iv;
    char err[256];
    if (collect_wire_parse_interval(s, n, &iv, err, sizeof(err)) == 0) {
        check(iv.workers >= 1 && iv.len_ms >= 1 && iv.t <= COLLECT_WIRE_MAX_T);
        for (size_t i = 0; i < iv.n_labels; i++) {
            const collect_wire_label *l = &iv.labels[i];
            check(l->errors <= l->count && l->lat->total_count <= l->count);
            uint64_t sum = 0;
            for (size_t k = 0; k < STATS_ERR_N; k++)
                sum += stats_err_is_local((int)k) ? 0 : l->by_kind[k];
            check(sum == l->errors);
        }
        collect_wire_interval_fini(&iv);
    } else {
        check(iv.labels == NULL && memchr(err, '\0', sizeof(err)) != NULL);
    }
    collect *c = collector();
    char msg[600];
    int rc = collect_interval(c, worker, s, n, msg, sizeof(msg));
    int st = collect_http_status(rc);
    check(st == 200 || st == 400 || st == 404 || st == 409 || st == 500);
    static unsigned renders;
    if (renders++ % 64 == 0) {
        buf b = BUF_INIT;
        check(collect_status_json(c, &b) == 0 && collect_metrics(c, 0, &b) == 0);
        buf_fini(&b);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const char *s = (const char *)data + 2;
    size_t n = size - 2;
    switch (data[0] % 4) {
    case 0: interval(s, n, data[1] % 4); break;
    case 1: {
        uint32_t w = 0;
        char err[256];
        if (collect_wire_parse_commit(s, n, &w, err, sizeof(err)) == 0)
            check(w >= 1);
        break;
    }
    case 2: {
        uint32_t idx;
        const char *rest;
        size_t rn;
        if (collect_wire_worker_path(s, n, &idx, &rest, &rn) == 0)
            check(rest >= s && rest + rn == s + n && idx <= INT32_MAX);
        if (collect_wire_valid_file_name(s, n))
            check(memchr(s, '/', n) == NULL && s[0] != '.' && memchr(s, '\0', n) == NULL);
        break;
    }
    default: {
        const char *sp = memchr(s, ' ', n), *nl = sp ? memchr(sp, '\n', n - (size_t)(sp - s)) : NULL;
        if (!sp || !nl || (sp - s == 3 && memcmp(s, "PUT", 3) == 0))
            break;
        collect_server_reply r = {.body = BUF_INIT};
        collect_server_handle(collector(), s, (size_t)(sp - s), sp + 1, (size_t)(nl - sp - 1), nl + 1,
                              n - (size_t)(nl + 1 - s), 0, &r);
        check(r.status >= 200 && r.status <= 599);
        buf_fini(&r.body);
        break;
    }
    }
    return 0;
}
