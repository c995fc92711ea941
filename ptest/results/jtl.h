/* jtl.h - JMeter CSV results ("JTL"), streamed.
 *
 * The file has the 17 standard columns of JMeter's CSV output, in JMeter's order:
 *   timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,
 *   failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect
 * one row per finished request (timeStamp: epoch ms of the intended send time; elapsed:
 * latency in ms from that time, so the coordinated-omission-free figure reaches JMeter
 * tooling too; Latency: time to the first response byte from the same origin; Connect:
 * connect time when the request opened a connection, else 0). Transport errors get the
 * responseCode "Non HTTP response code: <kind>" like JMeter's.
 *
 * Each engine thread owns a jtl_buf and appends rows to it; a full buffer (or jtl_flush,
 * called once a second) is written with one write() to the shared O_APPEND file
 * descriptor, whole rows only, so rows of different threads never interleave and memory
 * stays bounded however long the run is. A jtl_buf is single-threaded.
 */
#ifndef PTEST_JTL_H
#define PTEST_JTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JTL_HEADER                                                                                                     \
    "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,"                                        \
    "success,failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,"                                        \
    "IdleTime,Connect\n"
#define JTL_BUF_SIZE 65536

/* Creates/truncates path, writes the header; *fd is opened O_APPEND. Returns 0 or -1 with
 * err filled. */
int jtl_open(const char *path, int *fd, char *err, size_t errlen);

/* A CSV field, quoted when it needs to be (RFC 4180). Returns a malloc'ed string or NULL. */
char *jtl_csv_field(const char *s);

typedef struct jtl_buf {
    int fd; /* -1: disabled (jtl_row does nothing) */
    char *data;
    size_t len, cap;
    bool failed;   /* a write failed; later rows are dropped and counted */
    uint64_t lost; /* rows not written because of a failure */
} jtl_buf;

/* fd < 0 gives a disabled buffer. Returns 0 or -1 (allocation). */
int jtl_buf_init(jtl_buf *b, int fd);
/* Flushes and frees. */
void jtl_buf_fini(jtl_buf *b);
/* Writes out what is buffered. Returns 0 or -1 (errno set). */
int jtl_flush(jtl_buf *b);

typedef struct jtl_row {
    uint64_t ts_ms;
    uint64_t elapsed_ms;
    const char *label_csv;  /* already a CSV field (jtl_csv_field) */
    int status;             /* 0 for a transport error */
    const char *err_name;   /* stats_err_name for transport errors, else unused */
    const char *message;    /* reason phrase or error text: no ',', '"' or line breaks */
    const char *thread_csv; /* CSV field: "<scenario> <thread>-<user>" as JMeter names them */
    bool success;
    const char *failure; /* "" or text without ',', '"' or line breaks */
    uint64_t bytes, sent_bytes;
    uint32_t grp_threads, all_threads;
    const char *url_csv; /* CSV field */
    uint64_t latency_ms, connect_ms;
} jtl_row;

/* Appends one row (flushing first when the buffer is nearly full). */
void jtl_row_add(jtl_buf *b, const jtl_row *r);

#endif
