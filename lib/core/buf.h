/* buf.h - growable byte buffer that remembers allocation failure.
 *
 * A buf owns its memory. Appends never drop data silently: if an allocation
 * fails, the buffer sets ->failed and ignores further appends, so the caller
 * checks once (buf_ok) before writing the result anywhere.
 * The data is always NUL-terminated when cap > 0 (the NUL is not counted in len).
 * Not thread-safe; one owner at a time.
 */
#ifndef PT_BUF_H
#define PT_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct buf {
    char *data;
    size_t len;
    size_t cap;
    bool failed;
} buf;

#define BUF_INIT                                                                                                       \
    {                                                                                                                  \
        NULL, 0, 0, false                                                                                              \
    }

void buf_init(buf *b);
/* Frees the memory; the buffer is reusable after buf_init. */
void buf_fini(buf *b);
/* Empties the buffer keeping its capacity (and clears ->failed). */
void buf_reset(buf *b);
/* Ensures room for extra more bytes (+1 for the NUL). Returns 0 or -1 (sets failed). */
int buf_reserve(buf *b, size_t extra);
int buf_append(buf *b, const void *data, size_t len);
int buf_puts(buf *b, const char *s);
int buf_putc(buf *b, char c);
int buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Removes the first n bytes (n <= len), moving the rest to the front. */
void buf_consume(buf *b, size_t n);
static inline bool buf_ok(const buf *b)
{
    return !b->failed;
}

/* Appends all of fd (up to EOF) to b, at most max bytes. Returns 0; or -1 with errno: EFBIG
 * when fd holds more than max bytes (b then ends with exactly max of them), ENOMEM when an
 * allocation failed, read(2)'s errno otherwise. What was read stays in b in every case, and
 * b->data is a NUL-terminated string, also for an empty input. EINTR is retried. */
int buf_read_fd(buf *b, int fd, size_t max);
/* buf_read_fd on path, opened read-only; -1 with open(2)'s errno when it cannot be opened. */
int buf_read_file(buf *b, const char *path, size_t max);
/* write(2) until all len bytes are written, retrying EINTR and short writes. Returns 0 or -1
 * with errno. For pipes, sockets in blocking mode and files. */
int buf_write_all(int fd, const void *data, size_t len);

/* Writes all of b to path atomically (temp file "<path>.tmp.<pid>.<n>" in the same directory,
 * then rename; no fsync). The file is created with mode 0666 & ~umask. Returns 0, or -1 with
 * errno set (the temp file is removed); fails with ENOMEM if b->failed. Thread-safe for
 * distinct paths. */
int buf_write_file(const buf *b, const char *path);
/* Same with an explicit creation mode (e.g. 0600 for secrets), still masked by the umask. */
int buf_write_file_mode(const buf *b, const char *path, unsigned mode);

#endif
