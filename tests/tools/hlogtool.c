/* hlogtool - small driver of lib/hdr + lib/hlog for the interop and fuzz-seed scripts.
 *
 *   hlogtool write OUT.hlog [-n PER_INTERVAL] [-t TAG] [-s START_MS] [-i INTERVAL_MS] < values
 *       one value (integer, microseconds) per line; records them with ptest's configuration
 *       and writes an interval log, one interval per PER_INTERVAL values (default: all).
 *   hlogtool percentiles IN.hlog [-t TAG]    "p50 p90 p99 p999 max count" of all (or TAG's)
 *                                            intervals merged
 *   hlogtool buckets IN.hlog [-t TAG]        "lowest_equivalent count" per non-empty bucket
 *   hlogtool dump IN.hlog                    "tag start length count max" per interval
 *   hlogtool encode < values                 base64 of the compressed histogram
 *   hlogtool encode-raw OUT < values         the V2 compressed binary (fuzz seeds)
 *   hlogtool decode B64                      "p50 p90 p99 p999 max count" of a base64 histogram
 *   hlogtool decode-buckets B64              buckets of a base64 histogram
 * Exit: 0 ok, 1 data error, 2 usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "hlog.h"

static int usage(void)
{
    fprintf(stderr, "usage: hlogtool write OUT [-n N] [-t TAG] [-s START_MS] [-i INTERVAL_MS] < values\n"
                    "       hlogtool percentiles|buckets IN [-t TAG]\n"
                    "       hlogtool dump IN\n"
                    "       hlogtool encode < values | encode-raw OUT < values\n"
                    "       hlogtool decode|decode-buckets B64\n");
    return 2;
}

static int parse_u64(const char *s, uint64_t *out)
{
    if (!*s)
        return -1;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return 0;
}

/* Reads the next value line from stdin: 1 value, 0 EOF, -1 bad line. */
static int next_value(uint64_t *v)
{
    char line[128];
    while (fgets(line, sizeof(line), stdin)) {
        size_t n = strcspn(line, "\r\n");
        line[n] = '\0';
        if (n == 0)
            continue;
        return parse_u64(line, v) == 0 ? 1 : -1;
    }
    return 0;
}

static int new_ptest_hist(hist **h)
{
    int rc = hist_create(HIST_PTEST_LOWEST, HIST_PTEST_HIGHEST, HIST_PTEST_SIGFIGS, h);
    if (rc != 0)
        fprintf(stderr, "hlogtool: %s\n", hist_strerror(rc));
    return rc;
}

static int write_file(const char *path, const void *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    if (!fp) {
        fprintf(stderr, "hlogtool: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t w = fwrite(data, 1, len, fp);
    if (fclose(fp) != 0 || w != len) {
        fprintf(stderr, "hlogtool: %s: write failed\n", path);
        return -1;
    }
    return 0;
}

/* Appends s (malloc'ed, consumed) to *acc. */
static int append(char **acc, size_t *acc_len, char *s, size_t n)
{
    char *nb = realloc(*acc, *acc_len + n + 1);
    if (!nb) {
        free(s);
        return -1;
    }
    memcpy(nb + *acc_len, s, n + 1);
    *acc = nb;
    *acc_len += n;
    free(s);
    return 0;
}

static int cmd_write(int argc, char **argv)
{
    if (argc < 1)
        return usage();
    const char *out = argv[0], *tag = NULL;
    uint64_t per = 0, start_ms = UINT64_C(1700000000000), interval_ms = 1000;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            return usage();
        const char *o = argv[i], *v = argv[++i];
        if (!strcmp(o, "-t"))
            tag = v;
        else if ((!strcmp(o, "-n") && parse_u64(v, &per) == 0) || (!strcmp(o, "-s") && parse_u64(v, &start_ms) == 0) ||
                 (!strcmp(o, "-i") && parse_u64(v, &interval_ms) == 0))
            continue;
        else
            return usage();
    }
    hist *h = NULL;
    char *text = NULL, *s = NULL;
    size_t text_len = 0, n;
    int status = 1, rc;
    if (new_ptest_hist(&h) != 0)
        return 1;
    rc = hlog_format_header(start_ms, start_ms, "[Logged with pitestbed hlogtool]", &s, &n);
    if (rc != 0 || append(&text, &text_len, s, n) != 0)
        goto fail;
    uint64_t in_interval = 0, k = 0, v;
    int got;
    do {
        got = next_value(&v);
        if (got < 0) {
            fprintf(stderr, "hlogtool: bad value line\n");
            goto fail;
        }
        if (got > 0) {
            hist_record(h, v);
            in_interval++;
        }
        /* Flush a full interval, or the last partial one (an empty log gets one interval). */
        if ((got > 0 && per && in_interval == per) || (got == 0 && (in_interval > 0 || k == 0))) {
            rc = hlog_format_interval(tag, k * interval_ms, interval_ms, h, HLOG_MAX_RATIO_US_TO_MS, &s, &n);
            if (rc != 0 || append(&text, &text_len, s, n) != 0)
                goto fail;
            hist_reset(h);
            in_interval = 0;
            k++;
        }
    } while (got > 0);
    if (write_file(out, text, text_len) != 0)
        goto fail;
    status = 0;
fail:
    if (status && rc)
        fprintf(stderr, "hlogtool: %s\n", hlog_strerror(rc));
    free(text);
    hist_destroy(h);
    return status;
}

/* Merges the intervals of a log (optionally only one tag) into *out. The accumulator grows
 * when an interval's highest trackable value is larger, so nothing is clamped by the merge. */
static int merge_log(const char *path, const char *tag, hist **out)
{
    char *data = NULL;
    size_t len;
    int rc = hlog_load_file(path, &data, &len);
    if (rc != 0) {
        fprintf(stderr, "hlogtool: %s: %s\n", path, rc == HLOG_EIO ? strerror(errno) : hlog_strerror(rc));
        return 1;
    }
    hist *acc = NULL;
    hlog_reader r;
    hlog_interval iv;
    hlog_reader_init(&r, data, len);
    while ((rc = hlog_next(&r, &iv)) == 1) {
        rc = 0;
        bool want = !tag || (iv.tag && iv.tag_len == strlen(tag) && !memcmp(iv.tag, tag, iv.tag_len));
        if (want && (!acc || iv.h->highest > acc->highest)) {
            hist *bigger = NULL;
            rc = hist_create(iv.h->lowest, iv.h->highest, iv.h->sig_figs, &bigger);
            if (rc == 0 && acc)
                rc = hist_add(bigger, acc);
            hist_destroy(acc);
            acc = bigger;
        }
        if (want && rc == 0)
            rc = hist_add(acc, iv.h);
        hist_destroy(iv.h);
        if (rc != 0)
            break;
    }
    free(data);
    if (rc < 0) {
        fprintf(stderr, "hlogtool: %s:%zu: %s\n", path, r.line_no, hlog_strerror(rc));
        hist_destroy(acc);
        return 1;
    }
    if (!acc && new_ptest_hist(&acc) != 0)
        return 1;
    *out = acc;
    return 0;
}

static void print_percentiles(const hist *h)
{
    printf("%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
           hist_value_at_percentile(h, 50.0), hist_value_at_percentile(h, 90.0), hist_value_at_percentile(h, 99.0),
           hist_value_at_percentile(h, 99.9), hist_max(h), h->total_count);
}

static void print_buckets(const hist *h)
{
    hist_iter it;
    hist_iter_init(&it, h);
    while (hist_iter_next(&it))
        printf("%" PRIu64 " %" PRIu64 "\n", it.lowest, it.count);
}

/* What read and decode print: the percentiles, or every bucket. Takes h. */
static int print_and_destroy(hist *h, bool buckets)
{
    if (buckets)
        print_buckets(h);
    else
        print_percentiles(h);
    hist_destroy(h);
    return 0;
}

static int cmd_read(int argc, char **argv, bool buckets)
{
    if (argc != 1 && !(argc == 3 && !strcmp(argv[1], "-t")))
        return usage();
    hist *h = NULL;
    if (merge_log(argv[0], argc == 3 ? argv[2] : NULL, &h) != 0)
        return 1;
    return print_and_destroy(h, buckets);
}

static int cmd_dump(int argc, char **argv)
{
    if (argc != 1)
        return usage();
    char *data = NULL;
    size_t len;
    if (hlog_load_file(argv[0], &data, &len) != 0) {
        fprintf(stderr, "hlogtool: %s: cannot read\n", argv[0]);
        return 1;
    }
    hlog_reader r;
    hlog_interval iv;
    int rc, status = 0;
    hlog_reader_init(&r, data, len);
    while ((rc = hlog_next(&r, &iv)) != 0) {
        if (rc < 0) {
            fprintf(stderr, "hlogtool: %s:%zu: %s\n", argv[0], r.line_no, hlog_strerror(rc));
            status = 1;
            continue;
        }
        printf("%.*s %.3f %.3f %" PRIu64 " %" PRIu64 "\n", iv.tag ? (int)iv.tag_len : 1, iv.tag ? iv.tag : "-",
               iv.start_s, iv.length_s, iv.h->total_count, hist_max(iv.h));
        hist_destroy(iv.h);
    }
    printf("base %.3f version %s\n", hlog_base_time(&r), r.version);
    free(data);
    return status;
}

static int record_stdin(hist **out)
{
    hist *h = NULL;
    if (new_ptest_hist(&h) != 0)
        return 1;
    uint64_t v;
    int got;
    while ((got = next_value(&v)) > 0)
        hist_record(h, v);
    if (got < 0) {
        fprintf(stderr, "hlogtool: bad value line\n");
        hist_destroy(h);
        return 1;
    }
    *out = h;
    return 0;
}

static int cmd_encode(int argc, char **argv, bool raw)
{
    if (argc != (raw ? 1 : 0))
        return usage();
    hist *h = NULL;
    if (record_stdin(&h) != 0)
        return 1;
    int rc, status = 1;
    if (raw) {
        uint8_t *bin = NULL;
        size_t n;
        rc = hist_encode_compressed(h, &bin, &n);
        if (rc == 0 && write_file(argv[0], bin, n) == 0)
            status = 0;
        free(bin);
    } else {
        char *b64 = NULL;
        size_t n;
        rc = hlog_encode_histogram(h, &b64, &n);
        if (rc == 0 && printf("%s\n", b64) > 0)
            status = 0;
        free(b64);
    }
    if (rc != 0)
        fprintf(stderr, "hlogtool: %s\n", hlog_strerror(rc));
    hist_destroy(h);
    return status;
}

static int cmd_decode(int argc, char **argv, bool buckets)
{
    if (argc != 1)
        return usage();
    hist *h = NULL;
    int rc = hlog_decode_histogram(argv[0], strlen(argv[0]), &h);
    if (rc != 0) {
        fprintf(stderr, "hlogtool: %s\n", hlog_strerror(rc));
        return 1;
    }
    return print_and_destroy(h, buckets);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    const char *cmd = argv[1];
    int status;
    if (!strcmp(cmd, "write"))
        status = cmd_write(argc - 2, argv + 2);
    else if (!strcmp(cmd, "percentiles"))
        status = cmd_read(argc - 2, argv + 2, false);
    else if (!strcmp(cmd, "buckets"))
        status = cmd_read(argc - 2, argv + 2, true);
    else if (!strcmp(cmd, "dump"))
        status = cmd_dump(argc - 2, argv + 2);
    else if (!strcmp(cmd, "encode"))
        status = cmd_encode(argc - 2, argv + 2, false);
    else if (!strcmp(cmd, "encode-raw"))
        status = cmd_encode(argc - 2, argv + 2, true);
    else if (!strcmp(cmd, "decode"))
        status = cmd_decode(argc - 2, argv + 2, false);
    else if (!strcmp(cmd, "decode-buckets"))
        status = cmd_decode(argc - 2, argv + 2, true);
    else
        return usage();
    if (fflush(stdout) != 0)
        return 1;
    return status;
}
