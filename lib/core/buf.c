/* buf.c - growable byte buffer that remembers allocation failure. */
#include "buf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void buf_init(buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->failed = false;
}

void buf_fini(buf *b)
{
    free(b->data);
    buf_init(b);
}

void buf_reset(buf *b)
{
    b->len = 0;
    b->failed = false;
    if (b->cap > 0)
        b->data[0] = '\0';
}

int buf_reserve(buf *b, size_t extra)
{
    if (b->failed)
        return -1;
    /* +1 keeps room for the terminating NUL; both additions are checked because a
     * caller-supplied length near SIZE_MAX must fail, not wrap to a tiny allocation. */
    if (extra > SIZE_MAX - 1 - b->len) {
        b->failed = true;
        return -1;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (!p) {
        b->failed = true;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int buf_append(buf *b, const void *data, size_t len)
{
    if (buf_reserve(b, len) < 0)
        return -1;
    if (len > 0)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int buf_puts(buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int buf_putc(buf *b, char c)
{
    return buf_append(b, &c, 1);
}

int buf_vprintf(buf *b, const char *fmt, va_list ap)
{
    if (buf_reserve(b, 0) < 0)
        return -1;
    /* First try to format into the spare room; only if that is too small grow to the
     * exact size vsnprintf reported and format again from a fresh copy of ap. */
    va_list ap2;
    va_copy(ap2, ap);
    size_t room = b->cap - b->len;
    int n = vsnprintf(b->data + b->len, room, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        b->data[b->len] = '\0';
        b->failed = true;
        return -1;
    }
    if ((size_t)n >= room) {
        b->data[b->len] = '\0';
        if (buf_reserve(b, (size_t)n) < 0)
            return -1;
        va_copy(ap2, ap);
        int m = vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
        va_end(ap2);
        if (m != n) {
            b->data[b->len] = '\0';
            b->failed = true;
            return -1;
        }
    }
    b->len += (size_t)n;
    return 0;
}

int buf_printf(buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void buf_consume(buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
    } else {
        memmove(b->data, b->data + n, b->len - n);
        b->len -= n;
    }
    if (b->cap > 0)
        b->data[b->len] = '\0';
}

int buf_write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        size_t chunk = len > (size_t)SSIZE_MAX ? (size_t)SSIZE_MAX : len;
        ssize_t w = write(fd, p, chunk);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int buf_read_fd(buf *b, int fd, size_t max)
{
    size_t start = b->len;
    if (b->failed) {
        errno = ENOMEM;
        return -1;
    }
    for (;;) {
        size_t room = b->cap > b->len + 1 ? b->cap - b->len - 1 : 0;
        size_t left = max - (b->len - start);               /* bytes still allowed */
        size_t lim = left < SIZE_MAX ? left + 1 : SIZE_MAX; /* ... and the one that tells */
        if (room == 0) {
            /* Grow by what was read so far (at least 4 KiB), but never past one byte beyond
             * max: reading that byte is how a file longer than max is told from one of
             * exactly max bytes. */
            size_t want = b->len - start > 4096 ? b->len - start : 4096;
            if (want > lim)
                want = lim;
            if (buf_reserve(b, want) != 0) {
                errno = ENOMEM;
                return -1;
            }
            room = b->cap - b->len - 1;
        }
        if (room > lim)
            room = lim;
        ssize_t r = read(fd, b->data + b->len, room);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            b->data[b->len] = '\0';
            return -1;
        }
        if (r == 0)
            break;
        if ((size_t)r > left) {
            b->len += left; /* keep exactly max bytes */
            b->data[b->len] = '\0';
            errno = EFBIG;
            return -1;
        }
        b->len += (size_t)r;
    }
    if (b->cap == 0 && buf_reserve(b, 0) != 0) { /* an empty input still gives a string */
        errno = ENOMEM;
        return -1;
    }
    b->data[b->len] = '\0';
    return 0;
}

int buf_read_file(buf *b, const char *path, size_t max)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = buf_read_fd(b, fd, max);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

int buf_write_file(const buf *b, const char *path)
{
    return buf_write_file_mode(b, path, 0666);
}

int buf_write_file_mode(const buf *b, const char *path, unsigned mode)
{
    static unsigned counter;
    char tmp[PATH_MAX];
    int fd = -1;
    int saved;

    if (b->failed) {
        errno = ENOMEM;
        return -1;
    }
    /* The temp file lives next to the target so rename(2) stays within one file
     * system and is atomic: readers see the old file or the new one, never a part.
     * O_EXCL with a pid+counter name instead of mkstemp so the caller's mode (and the
     * umask) apply at creation; mkstemp would force 0600. */
    for (int attempt = 0; attempt < 100; attempt++) {
        unsigned seq = __atomic_fetch_add(&counter, 1u, __ATOMIC_RELAXED);
        int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%u", path, (long)getpid(), seq);
        if (n < 0 || (size_t)n >= sizeof tmp) {
            errno = ENAMETOOLONG;
            return -1;
        }
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t)mode);
        if (fd >= 0 || errno != EEXIST)
            break;
    }
    if (fd < 0)
        return -1;
    if (buf_write_all(fd, b->data, b->len) < 0)
        goto fail;
    if (close(fd) < 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) < 0)
        goto fail;
    return 0;

fail:
    saved = errno;
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    errno = saved;
    return -1;
}
