/* outdir.h - writing a render as a whole: all files appear at once, or none.
 *
 * Files are collected in memory first (outdir_add), then outdir_commit writes them
 * into a fresh temporary directory next to the target and renames it into place, so an
 * interrupted or failed render never leaves a half-written directory, and a bad inventory
 * never touches the disk. An existing target is replaced only with force, and only when
 * it looks like an earlier render (it holds README.txt and secrets.env).
 *
 * Ownership: the outdir copies paths and takes ownership of the bufs handed to it (they
 * are freed by outdir_fini). Not thread-safe.
 */
#ifndef PICLUSTER_OUTDIR_H
#define PICLUSTER_OUTDIR_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

typedef struct outdir_file {
    char *rel; /* relative path, at most one directory level ("host/user-data") */
    buf data;
    unsigned mode; /* exact mode set with fchmod (umask does not widen or narrow it) */
} outdir_file;

typedef struct outdir {
    outdir_file *files;
    size_t n, cap;
    bool failed; /* an add ran out of memory */
} outdir;

void outdir_init(outdir *o);
void outdir_fini(outdir *o);
/* Takes *data (leaving it empty). Returns 0 or -1 (out of memory: o->failed). */
int outdir_add(outdir *o, const char *rel, buf *data, unsigned mode);
/* Writes everything to dir. Returns 0, or -1 with err filled; on failure dir is unchanged. */
int outdir_commit(outdir *o, const char *dir, bool force, char *err, size_t errlen);

#endif
