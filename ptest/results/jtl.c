/* jtl.c - JMeter CSV rows, buffered per thread, written with whole-row writes. */
#include "jtl.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"

int jtl_open(const char *path, int *fd, char *err, size_t errlen)
{
    int f = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0666);
    if (f < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (buf_write_all(f, JTL_HEADER, strlen(JTL_HEADER)) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(f);
        return -1;
    }
    *fd = f;
    return 0;
}

char *jtl_csv_field(const char *s)
{
    size_t n = strlen(s), q = 0;
    bool quote = false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            q++;
        if (s[i] == '"' || s[i] == ',' || s[i] == '\n' || s[i] == '\r')
            quote = true;
    }
    char *out = malloc(n + q + 3);
    if (!out)
        return NULL;
    char *o = out;
    if (quote)
        *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            *o++ = '"';
        *o++ = s[i];
    }
    if (quote)
        *o++ = '"';
    *o = '\0';
    return out;
}

int jtl_buf_init(jtl_buf *b, int fd)
{
    memset(b, 0, sizeof(*b));
    b->fd = fd;
    if (fd < 0)
        return 0;
    b->data = malloc(JTL_BUF_SIZE);
    if (!b->data) {
        b->fd = -1;
        return -1;
    }
    b->cap = JTL_BUF_SIZE;
    return 0;
}

int jtl_flush(jtl_buf *b)
{
    if (b->fd < 0 || b->len == 0)
        return 0;
    int rc = 0;
    if (!b->failed && buf_write_all(b->fd, b->data, b->len) != 0) {
        b->failed = true;
        rc = -1;
    }
    b->len = 0;
    return rc;
}

void jtl_buf_fini(jtl_buf *b)
{
    (void)jtl_flush(b);
    free(b->data);
    memset(b, 0, sizeof(*b));
    b->fd = -1;
}

void jtl_row_add(jtl_buf *b, const jtl_row *r)
{
    if (b->fd < 0)
        return;
    if (b->failed) {
        b->lost++;
        return;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        size_t room = b->cap - b->len;
        int n;
        if (r->status > 0)
            n = snprintf(b->data + b->len, room,
                         "%" PRIu64 ",%" PRIu64 ",%s,%d,%s,%s,text,%s,%s,%" PRIu64 ",%" PRIu64 ",%" PRIu32 ",%" PRIu32
                         ",%s,%" PRIu64 ",0,%" PRIu64 "\n",
                         r->ts_ms, r->elapsed_ms, r->label_csv, r->status, r->message, r->thread_csv,
                         r->success ? "true" : "false", r->failure, r->bytes, r->sent_bytes, r->grp_threads,
                         r->all_threads, r->url_csv, r->latency_ms, r->connect_ms);
        else
            n = snprintf(b->data + b->len, room,
                         "%" PRIu64 ",%" PRIu64 ",%s,Non HTTP response code: %s,"
                         "Non HTTP response message: %s,%s,text,false,%s,%" PRIu64 ",%" PRIu64 ",%" PRIu32 ",%" PRIu32
                         ",%s,%" PRIu64 ",0,%" PRIu64 "\n",
                         r->ts_ms, r->elapsed_ms, r->label_csv, r->err_name, r->message, r->thread_csv, r->failure,
                         r->bytes, r->sent_bytes, r->grp_threads, r->all_threads, r->url_csv, r->latency_ms,
                         r->connect_ms);
        if (n >= 0 && (size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        /* Did not fit: write out what is there (whole rows) and try once more on an empty
         * buffer; a row longer than the whole buffer is lost and counted. */
        if (b->len == 0 || jtl_flush(b) != 0)
            break;
    }
    b->lost++;
}
