/* upload.h - a distributed worker's side of `ptest run --report-to URL`: every second of
 * the run and, at the end, the result files go to the collector (collect_wire.h).
 *
 * The network I/O runs on a thread of its own with one blocking keep-alive socket and
 * short timeouts (UPLOAD_IO_TIMEOUT_MS). The coordinator only encodes a second and queues
 * it (a mutex held for a few pointer moves), so a slow or dead collector can neither stall
 * the engine threads (they never see this) nor delay the coordinator's once-a-second
 * collection; the run goes on whatever the collector does. A failed request is retried
 * with a growing pause (UPLOAD_BACKOFF_MIN_MS doubling to UPLOAD_BACKOFF_MAX_MS), the
 * collector's name resolved again each time (client_target_resolve), so a collector that
 * starts after the workers is found. At most UPLOAD_MAX_QUEUED seconds wait; beyond that
 * the oldest is dropped (the live view misses it; the final results are complete anyway).
 * A 4xx answer to a second drops it with a warning (it will not get better).
 * Thread-safety: create, interval, final and destroy from one (the coordinating) thread.
 */
#ifndef PTEST_UPLOAD_H
#define PTEST_UPLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "stats.h"

#define UPLOAD_IO_TIMEOUT_MS 3000
#define UPLOAD_BACKOFF_MIN_MS 100
#define UPLOAD_BACKOFF_MAX_MS 5000
#define UPLOAD_MAX_QUEUED 600
#define UPLOAD_FINAL_TIMEOUT_NS (30 * CLOCK_NS_PER_SEC)

typedef struct upload upload;

/* url: "http://host[:port][/base]" (plan_url_parse); worker index of count. Starts the
 * thread. Returns 0 or -1 with err filled (bad URL, no thread). */
int upload_create(upload **out, const char *url, uint32_t index, uint32_t count, char *err, size_t errlen);

/* Queues second t (len_ms long) of the run started at start_ms (wall clock, ms since the
 * epoch: the interval logs' BaseTime) with iv's labels named names[]. Never blocks on I/O. */
void upload_interval(upload *u, uint64_t start_ms, uint32_t t, uint32_t len_ms, const stats_interval *iv,
                     const char *const *names);

/* Uploads dir/files[0..n) (PUT .../final/NAME each, after every queued second) and commits
 * (POST .../final), waiting at most timeout_ns in all. Returns 0 when the collector took
 * them, -1 with err filled otherwise (unreadable file, a 4xx answer, or the time is up). */
int upload_final(upload *u, const char *dir, const char *const *files, size_t n, uint64_t timeout_ns, char *err,
                 size_t errlen);

/* Stops the thread (an upload in progress ends within its I/O timeout) and frees u. */
void upload_destroy(upload *u);

#endif
