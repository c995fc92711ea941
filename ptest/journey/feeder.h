/* feeder.h - the rows of a plan's data file (plan `data:`): CSV or JSON lines, read once
 * into one read-only block that every engine thread shares.
 *
 * CSV (RFC 4180): the first row names the columns; fields separated by ','; a field may be
 * quoted ("a, b"), a quote inside it doubled (""); lines end in CRLF or LF; a quoted field
 * may span lines; a UTF-8 byte order mark at the start is skipped; empty lines are skipped;
 * every row has as many fields as the header.
 * JSON lines: one flat object per line (string, number, true/false as written, null as
 * empty); the first object's keys are the columns, a later object may leave some out
 * (empty) but not add any; empty lines are skipped.
 * Column names must be variable names (vars.h). Values hold no NUL byte.
 *
 * Memory: the field bytes plus 4 bytes per field (an offset): a row of c columns of b
 * bytes costs b + 4 c bytes, shared by every user and thread; the column names apart.
 */
#ifndef PTEST_FEEDER_H
#define PTEST_FEEDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum feeder_format { FEEDER_CSV, FEEDER_JSONL };

#define FEEDER_MAX_COLS 64
#define FEEDER_MAX_BYTES (UINT32_C(1) << 30) /* a data file, 1 GiB */

typedef struct feeder {
    size_t n_cols;
    char **cols; /* [n_cols] names */
    size_t n_rows;
    uint32_t *off; /* [n_rows * n_cols + 1]: field i is data[off[i] .. off[i + 1]) */
    char *data;
} feeder;

/* Parses data[0..len) into f. name is used in messages: "name:line:col: why". Returns 0,
 * or -1 with err filled and f zeroed. */
int feeder_parse(feeder *f, const char *name, const char *data, size_t len, int format, char *err, size_t errlen);
/* Reads and parses a file (format FEEDER_CSV or FEEDER_JSONL). */
int feeder_load_file(feeder *f, const char *path, int format, char *err, size_t errlen);

/* A CSV file without a header row, or whose header is not to be used (plan data `columns:`,
 * JMeter's CSV Data Set variableNames / ignoreFirstLine): the columns are named by names,
 * "a,b,c" (blanks around a name ignored); every row is data, but for the first one when
 * skip_first (then skipped, whatever it holds). */
typedef struct feeder_cols {
    const char *names;
    bool skip_first;
} feeder_cols;
/* feeder_parse / feeder_load_file with cols (NULL: the first row names the columns; only
 * for FEEDER_CSV, else an error). */
int feeder_parse_cols(feeder *f, const char *name, const char *data, size_t len, int format, const feeder_cols *cols,
                      char *err, size_t errlen);
int feeder_load_file_cols(feeder *f, const char *path, int format, const feeder_cols *cols, char *err, size_t errlen);
/* The format a file name suggests: .jsonl, .ndjson: JSON lines; else CSV. */
int feeder_format_of(const char *path);

/* Field col of row row (both in range). */
static inline const char *feeder_field(const feeder *f, size_t row, size_t col, uint32_t *len)
{
    size_t i = row * f->n_cols + col;
    *len = f->off[i + 1] - f->off[i];
    return f->data + f->off[i];
}

/* Keeps the rows r with r % count == index (the share's rows of `ptest run --share`), in
 * order. */
void feeder_keep_share(feeder *f, uint32_t index, uint32_t count);
/* Bytes of memory f holds. */
size_t feeder_bytes(const feeder *f);
void feeder_fini(feeder *f);

#endif
