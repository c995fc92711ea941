/* outdir.c - all-or-nothing directory output (see outdir.h). */
#include "outdir.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void outdir_init(outdir *o)
{
    memset(o, 0, sizeof *o);
}

void outdir_fini(outdir *o)
{
    for (size_t i = 0; i < o->n; i++) {
        free(o->files[i].rel);
        buf_fini(&o->files[i].data);
    }
    free(o->files);
    memset(o, 0, sizeof *o);
}

int outdir_add(outdir *o, const char *rel, buf *data, unsigned mode)
{
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 16;
        outdir_file *f = realloc(o->files, cap * sizeof *f);
        if (!f) {
            o->failed = true;
            return -1;
        }
        o->files = f;
        o->cap = cap;
    }
    char *r = strdup(rel);
    if (!r || !buf_ok(data)) {
        free(r);
        o->failed = true;
        return -1;
    }
    o->files[o->n].rel = r;
    o->files[o->n].data = *data;
    o->files[o->n].mode = mode;
    o->n++;
    buf_init(data);
    return 0;
}

static int write_one(const char *path, const buf *b, unsigned mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    const char *p = b->data;
    size_t left = b->len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            goto fail;
        p += w;
        left -= (size_t)w;
    }
    /* Created 0600 and widened afterwards: a secret is never readable by others, not
     * even for a moment, whatever the umask. */
    if (fchmod(fd, (mode_t)mode) < 0)
        goto fail;
    if (close(fd) < 0)
        return -1;
    return 0;
fail:;
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

static int rm_tree(const char *dir)
{
    return nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static bool is_file_in(const char *dir, const char *name)
{
    char p[PATH_MAX];
    struct stat st;
    int n = snprintf(p, sizeof p, "%s/%s", dir, name);
    return n > 0 && (size_t)n < sizeof p && lstat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* True for a missing directory or an empty one (which is removed so rename can take its
 * place). */
static int target_state(const char *dir, bool *exists, bool *empty)
{
    struct stat st;
    *exists = *empty = false;
    if (lstat(dir, &st) < 0)
        return errno == ENOENT ? 0 : -1;
    *exists = true;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    if (rmdir(dir) == 0) {
        *exists = false;
        *empty = true;
    }
    return 0;
}

int outdir_commit(outdir *o, const char *dir, bool force, char *err, size_t errlen)
{
    char tmp[PATH_MAX], old[PATH_MAX], path[PATH_MAX];
    bool exists, empty;
    size_t dl = strlen(dir);

    if (o->failed) {
        snprintf(err, errlen, "%s: out of memory while rendering", dir);
        return -1;
    }
    while (dl > 1 && dir[dl - 1] == '/')
        dl--;
    if (dl == 0 || dl + 32 >= sizeof tmp) {
        snprintf(err, errlen, "%s: bad output directory name", dir);
        return -1;
    }
    snprintf(tmp, sizeof tmp, "%.*s.tmp-XXXXXX", (int)dl, dir);
    snprintf(old, sizeof old, "%.*s.old-%ld", (int)dl, dir, (long)getpid());
    if (!mkdtemp(tmp)) {
        snprintf(err, errlen, "%s: cannot create a directory next to it: %s", dir, strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < o->n; i++) {
        const outdir_file *f = &o->files[i];
        int n = snprintf(path, sizeof path, "%s/%s", tmp, f->rel);
        if (n < 0 || (size_t)n >= sizeof path) {
            snprintf(err, errlen, "%s: path too long", f->rel);
            goto fail;
        }
        char *slash = strrchr(path + strlen(tmp) + 1, '/');
        if (slash) {
            *slash = '\0';
            if (mkdir(path, 0755) < 0 && errno != EEXIST) {
                snprintf(err, errlen, "%s: %s", path, strerror(errno));
                goto fail;
            }
            *slash = '/';
        }
        if (write_one(path, &f->data, f->mode) < 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            goto fail;
        }
    }
    if (chmod(tmp, 0755) < 0) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        goto fail;
    }
    if (target_state(dir, &exists, &empty) < 0) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        goto fail;
    }
    if (exists) {
        if (!force) {
            snprintf(err, errlen, "%s exists and is not empty; use --force to replace an earlier render", dir);
            goto fail;
        }
        if (!is_file_in(dir, "README.txt") || !is_file_in(dir, "secrets.env")) {
            snprintf(err, errlen,
                     "%s does not look like a picluster render (no README.txt and secrets.env); "
                     "not replacing it",
                     dir);
            goto fail;
        }
        if (rename(dir, old) < 0) {
            snprintf(err, errlen, "%s: %s", dir, strerror(errno));
            goto fail;
        }
    }
    if (rename(tmp, dir) < 0) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        if (exists && rename(old, dir) < 0)
            snprintf(err, errlen, "%s: rename failed and the earlier render is left in %s", dir, old);
        goto fail;
    }
    if (exists && rm_tree(old) < 0)
        fprintf(stderr, "picluster: warning: could not remove the earlier render %s: %s\n", old, strerror(errno));
    return 0;
fail:
    rm_tree(tmp);
    return -1;
}
