/* hlog.h - HdrHistogram interval log (".hlog"), format version 1.3.
 *
 * A log is text lines:
 *   #[Logged with pitestbed]                                   optional comments ("#...")
 *   #[Histogram log format version 1.3]
 *   #[StartTime: 1700000000.000 (seconds since epoch), 2023-11-14T22:13:20Z]
 *   #[BaseTime: 1700000000.000 (seconds since epoch)]
 *   "StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"
 *   [Tag=<tag>,]<start s>,<length s>,<max>,<base64 of a V2 compressed histogram (hist.h)>
 * Interval start times are seconds relative to BaseTime, with 3 decimals. <max> is the
 * interval's hist_max divided by a "max value unit ratio" chosen by the writer; it is only for
 * people reading the file (readers ignore it). hdr-histogram-js defaults the ratio to 1000,
 * Java to 1e6 (ns -> ms); ptest records microseconds and uses HLOG_MAX_RATIO_US_TO_MS.
 *
 * Writing produces malloc'ed strings (so callers can collect output in a buffer and write it
 * once: a file is never left half-written); reading walks a caller-owned buffer and decodes
 * one interval at a time.
 * All functions are reentrant; a reader is used by one thread at a time.
 */
#ifndef PT_HLOG_H
#define PT_HLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hist.h"

#define HLOG_FORMAT_VERSION "1.3"
#define HLOG_MAX_RATIO_US_TO_MS 1000.0

/* hlog functions return 0 / a positive result, an HLOG_* code, or an HIST_* code (hist.h)
 * passed through from the histogram decoder; the two ranges do not overlap. */
enum {
    HLOG_EINVAL = -20,  /* invalid argument (tag with ',' or whitespace, bad ratio, ...) */
    HLOG_ENOMEM = -21,  /* allocation failed */
    HLOG_ESYNTAX = -22, /* malformed line */
    HLOG_EBASE64 = -23, /* histogram column is not valid base64 */
    HLOG_EIO = -24,     /* hlog_load_file: open/read failed (errno is set) */
};

/* --- writing ---------------------------------------------------------------------------- */

/* Formats the header block (comment line if comment != NULL, version, StartTime, BaseTime,
 * legend). Times are milliseconds since the epoch. comment must be one line without control
 * characters. *out is malloc'ed, NUL-terminated, owned by the caller; *out_len excludes the
 * NUL. Returns 0, HLOG_EINVAL or HLOG_ENOMEM. */
int hlog_format_header(uint64_t start_ms, uint64_t base_ms, const char *comment, char **out, size_t *out_len);

/* Formats one interval line (with '\n'). tag: NULL for none, else non-empty printable ASCII
 * without ',' or spaces. start_ms is relative to the header's BaseTime. max_ratio > 0
 * divides hist_max(h) for the Interval_Max column. Ownership of *out as above. Returns 0,
 * HLOG_EINVAL, HLOG_ENOMEM or an HIST_* encoding error. */
int hlog_format_interval(const char *tag, uint64_t start_ms, uint64_t length_ms, const hist *h, double max_ratio,
                         char **out, size_t *out_len);

/* Base64 of the V2 compressed encoding of h (what an interval line carries). *out is
 * malloc'ed and NUL-terminated. Returns 0, HLOG_ENOMEM or an HIST_* code. */
int hlog_encode_histogram(const hist *h, char **out, size_t *out_len);
/* Decodes len characters of base64 (surrounding spaces/tabs allowed) into a new histogram
 * (*out owned by the caller, hist_destroy). Returns 0, HLOG_EBASE64, HLOG_ENOMEM or an HIST_*
 * decoding error. */
int hlog_decode_histogram(const char *b64, size_t len, hist **out);

/* --- reading ---------------------------------------------------------------------------- */

typedef struct hlog_reader {
    const char *data;
    size_t len;
    size_t pos;
    size_t line_no; /* 1-based number of the line last looked at (for messages) */
    bool has_start_time;
    double start_time_s; /* from "#[StartTime: " */
    bool has_base_time;
    double base_time_s; /* from "#[BaseTime: " */
    char version[16];   /* from "#[Histogram log format version ", "" if absent */
    bool seen_interval;
    double first_start_s; /* start column of the first interval line */
} hlog_reader;

typedef struct hlog_interval {
    const char *tag; /* view into the reader's data, NULL if the line has no Tag= */
    size_t tag_len;
    double start_s; /* start column as written (see hlog_base_time) */
    double length_s;
    double max; /* Interval_Max column as written */
    hist *h;    /* decoded histogram, owned by the caller (hist_destroy) */
} hlog_interval;

/* Starts reading data[0..len) (need not be NUL-terminated; must outlive the reader and any
 * tag views). Lines end with "\n", "\r\n" or "\r". */
void hlog_reader_init(hlog_reader *r, const char *data, size_t len);

/* Reads up to and including the next interval line. Returns 1 with *out filled, 0 at the end
 * of data, or a negative code for a malformed line (r->line_no): HLOG_ESYNTAX, HLOG_EBASE64,
 * HLOG_ENOMEM or an HIST_* decoding error; *out is then untouched and the reader has moved
 * past the bad line, so a caller may report it and call again to go on.
 * Comment lines ("#...", header lines included), the legend ('"...') and blank lines are
 * skipped; StartTime, BaseTime and the format version are recorded in *r as they pass. */
int hlog_next(hlog_reader *r, hlog_interval *out);

/* Base time in seconds since the epoch to add to an interval's start_s, by the reference
 * rule: BaseTime if present; otherwise StartTime if the first interval's start is more than a
 * year before StartTime (relative stamps); otherwise 0 (stamps are absolute). Meaningful once
 * the first interval has been read. */
double hlog_base_time(const hlog_reader *r);

/* Reads a whole file into a malloc'ed buffer (*data NUL-terminated, owned by the caller).
 * Returns 0, HLOG_EIO (errno set) or HLOG_ENOMEM. */
int hlog_load_file(const char *path, char **data, size_t *len);

/* Static text for an HLOG_* or HIST_* code. */
const char *hlog_strerror(int err);

#endif
