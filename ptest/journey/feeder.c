/* feeder.c - CSV (RFC 4180) and JSON-lines data files into one shared block (feeder.h). */
#include "feeder.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include <jansson.h>

#include "buf.h"
#include "vars.h"

typedef struct parser {
    const char *name, *s;
    size_t n, pos;
    feeder *f;
    size_t cap_off, n_off; /* off[]: entries used (field starts), and room */
    buf data;
    char *err;
    size_t errlen;
    size_t rec_fields;       /* fields of the record being read */
    const feeder_cols *cols; /* CSV: names given instead of the header row, or NULL */
} parser;

/* "name:line:col: why" for byte pos of the input. */
static int fail_at(parser *P, size_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail_at(parser *P, size_t pos, const char *fmt, ...)
{
    unsigned line = 1, col = 1;
    for (size_t i = 0; i < pos && i < P->n; i++) {
        if (P->s[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    snprintf(P->err, P->errlen, "%s:%u:%u: %s", P->name, line, col, why);
    return -1;
}

static int oom(parser *P)
{
    snprintf(P->err, P->errlen, "%s: out of memory", P->name);
    return -1;
}

/* Starts a field at the current end of the data. */
static int field_begin(parser *P)
{
    if (P->n_off + 2 > P->cap_off) {
        size_t cap = P->cap_off ? P->cap_off * 2 : 256;
        uint32_t *o = realloc(P->f->off, cap * sizeof *o);
        if (!o)
            return oom(P);
        P->f->off = o;
        P->cap_off = cap;
    }
    if (P->data.len > FEEDER_MAX_BYTES)
        return fail_at(P, P->pos, "data file larger than %u bytes", (unsigned)FEEDER_MAX_BYTES);
    P->f->off[P->n_off++] = (uint32_t)P->data.len;
    P->rec_fields++;
    return 0;
}

/* One CSV record from P->pos (not at an empty line). */
static int csv_record(parser *P)
{
    const char *s = P->s;
    size_t n = P->n;
    P->rec_fields = 0;
    for (;;) {
        if (field_begin(P) < 0)
            return -1;
        if (P->pos < n && s[P->pos] == '"') {
            size_t q = P->pos++;
            for (;;) {
                if (P->pos >= n)
                    return fail_at(P, q, "quoted field without its closing quote");
                char c = s[P->pos];
                if (c == '"') {
                    if (P->pos + 1 < n && s[P->pos + 1] == '"') {
                        buf_putc(&P->data, '"');
                        P->pos += 2;
                        continue;
                    }
                    P->pos++;
                    break;
                }
                if (c == '\0')
                    return fail_at(P, P->pos, "NUL byte in a field");
                buf_putc(&P->data, c);
                P->pos++;
            }
            if (P->pos < n && s[P->pos] != ',' && s[P->pos] != '\n' && s[P->pos] != '\r')
                return fail_at(P, P->pos, "unexpected character after a closing quote (expected ',' or the line end)");
        } else {
            size_t a = P->pos;
            while (P->pos < n && s[P->pos] != ',' && s[P->pos] != '\n' && s[P->pos] != '\r') {
                if (s[P->pos] == '"')
                    return fail_at(P, P->pos,
                                   "quote inside an unquoted field (quote the whole field, doubling the quote)");
                if (s[P->pos] == '\0')
                    return fail_at(P, P->pos, "NUL byte in a field");
                P->pos++;
            }
            buf_append(&P->data, s + a, P->pos - a);
        }
        if (!buf_ok(&P->data))
            return oom(P);
        if (P->pos >= n)
            return 0;
        char c = s[P->pos];
        if (c == ',') {
            P->pos++;
            continue;
        }
        if (c == '\r') {
            if (P->pos + 1 >= n || s[P->pos + 1] != '\n')
                return fail_at(P, P->pos, "CR without LF (lines end in CRLF or LF)");
            P->pos++;
        }
        P->pos++; /* LF */
        return 0;
    }
}

/* Skips empty lines; false at the end. */
static bool csv_skip_empty(parser *P)
{
    for (;;) {
        if (P->pos >= P->n)
            return false;
        if (P->s[P->pos] == '\n')
            P->pos++;
        else if (P->s[P->pos] == '\r' && P->pos + 1 < P->n && P->s[P->pos + 1] == '\n')
            P->pos += 2;
        else
            return true;
    }
}

static int set_col(parser *P, size_t at, size_t i, const char *name, size_t len)
{
    if (!vars_name_ok(name, len) || vars_builtin(name, len) >= 0 || (len >= 2 && name[0] == '_' && name[1] == '_'))
        return fail_at(P, at,
                       "column \"%.*s\" is not a variable name (letters, digits, _ . -, starting with a letter "
                       "or _; not starting with __)",
                       (int)(len > 64 ? 64 : len), name);
    for (size_t j = 0; j < i; j++)
        if (strlen(P->f->cols[j]) == len && memcmp(P->f->cols[j], name, len) == 0)
            return fail_at(P, at, "column \"%.*s\" repeats", (int)len, name);
    if (!(P->f->cols[i] = malloc(len + 1)))
        return oom(P);
    memcpy(P->f->cols[i], name, len);
    P->f->cols[i][len] = '\0';
    return 0;
}

static int csv_rows(parser *P);

/* The columns are named by P->cols (a comma-separated list): the file's first row is data,
 * or a header that is skipped (skip_first). */
static int csv_named(parser *P)
{
    feeder *f = P->f;
    const char *names = P->cols->names;
    size_t n = 1;
    for (const char *q = names; *q; q++)
        n += *q == ',';
    if (n > FEEDER_MAX_COLS)
        return fail_at(P, 0, "more than %d columns named", FEEDER_MAX_COLS);
    f->n_cols = n;
    if (!(f->cols = calloc(n, sizeof *f->cols)))
        return oom(P);
    const char *q = names;
    for (size_t i = 0; i < n; i++) {
        const char *e = strchr(q, ',');
        size_t len = e ? (size_t)(e - q) : strlen(q);
        const char *b = q;
        while (len && (*b == ' ' || *b == '\t')) /* "a, b" as JMeter writes it */
            b++, len--;
        while (len && (b[len - 1] == ' ' || b[len - 1] == '\t'))
            len--;
        if (set_col(P, 0, i, b, len) < 0)
            return -1;
        q = e ? e + 1 : q + strlen(q);
    }
    if (P->cols->skip_first && csv_skip_empty(P)) {
        if (csv_record(P) < 0)
            return -1;
        P->n_off = 0;
        P->data.len = 0;
    }
    return csv_rows(P);
}

static int csv_parse(parser *P)
{
    feeder *f = P->f;
    if (P->n >= 3 && memcmp(P->s, "\xef\xbb\xbf", 3) == 0)
        P->pos = 3;
    if (P->cols)
        return csv_named(P);
    if (!csv_skip_empty(P))
        return fail_at(P, P->pos, "no header row (the first row names the columns)");
    size_t h0 = P->pos;
    if (csv_record(P) < 0)
        return -1;
    if (P->rec_fields > FEEDER_MAX_COLS)
        return fail_at(P, h0, "more than %d columns", FEEDER_MAX_COLS);
    f->n_cols = P->rec_fields;
    if (!(f->cols = calloc(f->n_cols, sizeof *f->cols)))
        return oom(P);
    P->f->off[P->n_off] = (uint32_t)P->data.len;
    for (size_t i = 0; i < f->n_cols; i++)
        if (set_col(P, h0, i, P->data.data + f->off[i], f->off[i + 1] - f->off[i]) < 0)
            return -1;
    P->n_off = 0;
    P->data.len = 0;
    return csv_rows(P);
}

static int csv_rows(parser *P)
{
    feeder *f = P->f;
    while (csv_skip_empty(P)) {
        size_t r0 = P->pos;
        if (csv_record(P) < 0)
            return -1;
        if (P->rec_fields != f->n_cols)
            return fail_at(P, r0, "%zu fields, %s %zu", P->rec_fields, P->cols ? "columns named:" : "the header has",
                           f->n_cols);
        f->n_rows++;
    }
    return 0;
}

static int jsonl_value(parser *P, size_t at, const json_t *v)
{
    char tmp[64];
    const char *p = "";
    size_t len = 0;
    switch (json_typeof(v)) {
    case JSON_STRING:
        p = json_string_value(v);
        len = json_string_length(v);
        break;
    case JSON_INTEGER:
        len = (size_t)snprintf(tmp, sizeof tmp, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        p = tmp;
        break;
    case JSON_REAL:
        len = (size_t)snprintf(tmp, sizeof tmp, "%.17g", json_real_value(v));
        p = tmp;
        break;
    case JSON_TRUE:
        p = "true";
        len = 4;
        break;
    case JSON_FALSE:
        p = "false";
        len = 5;
        break;
    case JSON_NULL: break;
    default: return fail_at(P, at, "values must be strings, numbers, true, false or null (flat objects only)");
    }
    if (field_begin(P) < 0)
        return -1;
    buf_append(&P->data, p, len);
    return buf_ok(&P->data) ? 0 : oom(P);
}

static int jsonl_parse(parser *P)
{
    feeder *f = P->f;
    bool first = true;
    while (P->pos < P->n) {
        size_t a = P->pos;
        const char *nl = memchr(P->s + a, '\n', P->n - a);
        size_t e = nl ? (size_t)(nl - P->s) : P->n;
        P->pos = nl ? e + 1 : P->n;
        size_t k = a;
        while (k < e && (P->s[k] == ' ' || P->s[k] == '\t' || P->s[k] == '\r'))
            k++;
        if (k == e)
            continue;
        json_error_t je;
        json_t *o = json_loadb(P->s + a, e - a, JSON_REJECT_DUPLICATES, &je);
        if (!o)
            return fail_at(P, a + (je.position > 0 ? (size_t)je.position - 1 : 0), "%s", je.text);
        if (!json_is_object(o)) {
            json_decref(o);
            return fail_at(P, k, "expected a JSON object on each line");
        }
        const char *key;
        json_t *v;
        if (first) {
            first = false;
            f->n_cols = json_object_size(o);
            if (f->n_cols == 0 || f->n_cols > FEEDER_MAX_COLS) {
                json_decref(o);
                return fail_at(P, k, "the first object must have 1 to %d keys (they name the columns)",
                               FEEDER_MAX_COLS);
            }
            if (!(f->cols = calloc(f->n_cols, sizeof *f->cols))) {
                json_decref(o);
                return oom(P);
            }
            size_t i = 0;
            json_object_foreach (o, key, v) {
                if (set_col(P, k, i++, key, strlen(key)) < 0) {
                    json_decref(o);
                    return -1;
                }
            }
        } else {
            json_object_foreach (o, key, v) {
                size_t i = 0;
                while (i < f->n_cols && strcmp(f->cols[i], key) != 0)
                    i++;
                if (i == f->n_cols) {
                    fail_at(P, k, "key \"%.64s\" is not a column (the first line's keys are)", key);
                    json_decref(o);
                    return -1;
                }
            }
        }
        for (size_t i = 0; i < f->n_cols; i++) {
            const json_t *x = json_object_get(o, f->cols[i]);
            if (jsonl_value(P, k, x ? x : json_null()) < 0) {
                json_decref(o);
                return -1;
            }
        }
        json_decref(o);
        f->n_rows++;
    }
    if (first)
        return fail_at(P, P->n, "no objects (the first line's keys name the columns)");
    return 0;
}

int feeder_parse(feeder *f, const char *name, const char *data, size_t len, int format, char *err, size_t errlen)
{
    return feeder_parse_cols(f, name, data, len, format, NULL, err, errlen);
}

int feeder_parse_cols(feeder *f, const char *name, const char *data, size_t len, int format, const feeder_cols *cols,
                      char *err, size_t errlen)
{
    parser P;
    memset(f, 0, sizeof *f);
    memset(&P, 0, sizeof P);
    if (cols && format != FEEDER_CSV) {
        snprintf(err, errlen, "%s: column names are for CSV files (JSON lines name them by their keys)", name);
        return -1;
    }
    P.cols = cols;
    P.name = name;
    P.s = data;
    P.n = len;
    P.f = f;
    P.err = err;
    P.errlen = errlen;
    buf_init(&P.data);
    /* Sized once from the input, so that no doubling realloc holds two copies at the peak:
     * the fields' bytes never exceed the input's; CSV has at most one field per ',' or LF
     * (plus one). */
    if (buf_reserve(&P.data, len + 1) != 0)
        return oom(&P);
    if (format == FEEDER_CSV) {
        size_t seps = 2;
        for (size_t i = 0; i < len; i++)
            seps += data[i] == ',' || data[i] == '\n';
        if (!(f->off = malloc(seps * sizeof *f->off))) {
            buf_fini(&P.data);
            return oom(&P);
        }
        P.cap_off = seps;
    }
    int rc = format == FEEDER_JSONL ? jsonl_parse(&P) : csv_parse(&P);
    if (rc == 0 && f->n_rows == 0)
        rc = fail_at(&P, len, "no data rows");
    if (rc == 0 && field_begin(&P) < 0) /* the end of the last field */
        rc = -1;
    if (rc < 0) {
        buf_fini(&P.data);
        feeder_fini(f);
        return -1;
    }
    /* The block keeps at least one byte, so data is never NULL. */
    buf_putc(&P.data, '\0');
    if (!buf_ok(&P.data)) {
        buf_fini(&P.data);
        feeder_fini(f);
        return oom(&P);
    }
    char *shrunk = realloc(P.data.data, P.data.len); /* shrinking: in place */
    f->data = shrunk ? shrunk : P.data.data;
    uint32_t *o = realloc(f->off, (f->n_rows * f->n_cols + 1) * sizeof *o); /* trim */
    if (o)
        f->off = o;
    return 0;
}

int feeder_format_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot && (strcmp(dot, ".jsonl") == 0 || strcmp(dot, ".ndjson") == 0) ? FEEDER_JSONL : FEEDER_CSV;
}

int feeder_load_file(feeder *f, const char *path, int format, char *err, size_t errlen)
{
    return feeder_load_file_cols(f, path, format, NULL, err, errlen);
}

int feeder_load_file_cols(feeder *f, const char *path, int format, const feeder_cols *cols, char *err, size_t errlen)
{
    buf b = BUF_INIT;
    struct stat st;
    memset(f, 0, sizeof *f);
    /* The file's size at once: no doubling of the read buffer (the peak RSS of a big file). */
    if (stat(path, &st) == 0 && st.st_size > 0 && (uint64_t)st.st_size < FEEDER_MAX_BYTES)
        (void)buf_reserve(&b, (size_t)st.st_size + 1);
    if (buf_read_file(&b, path, FEEDER_MAX_BYTES) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        buf_fini(&b);
        return -1;
    }
    int rc = feeder_parse_cols(f, path, b.data ? b.data : "", b.len, format, cols, err, errlen);
    buf_fini(&b);
    return rc;
}

void feeder_keep_share(feeder *f, uint32_t index, uint32_t count)
{
    if (count <= 1)
        return;
    size_t nc = f->n_cols, kept = 0;
    uint32_t w = 0; /* write position in data */
    uint32_t *nof = f->off;
    for (size_t r = index; r < f->n_rows; r += count, kept++) {
        for (size_t c = 0; c < nc; c++) {
            size_t i = r * nc + c;
            uint32_t a = f->off[i], len = f->off[i + 1] - a;
            memmove(f->data + w, f->data + a, len);
            nof[kept * nc + c] = w;
            w += len;
        }
    }
    nof[kept * nc] = w;
    f->n_rows = kept;
}

size_t feeder_bytes(const feeder *f)
{
    size_t n = f->n_rows * f->n_cols;
    return (f->data ? f->off[n] + 1 : 0) + (n + 1) * sizeof *f->off;
}

void feeder_fini(feeder *f)
{
    for (size_t i = 0; f->cols && i < f->n_cols; i++)
        free(f->cols[i]);
    free(f->cols);
    free(f->off);
    free(f->data);
    memset(f, 0, sizeof *f);
}
