/* outdir.h - writing a render as a whole: all files appear at once, or none.
 *
 * Files are collected in memory first (pc_outdir_add), then pc_outdir_commit writes them
 * into a fresh temporary directory next to the target and renames it into place, so an
 * interrupted or failed render never leaves a half-written directory, and a bad inventory
 * never touches the disk. An existing target is replaced only with force, and only when
 * it looks like an earlier render (it holds README.txt and secrets.env).
 *
 * Ownership: the outdir copies paths and takes ownership of the bufs handed to it (they
 * are freed by pc_outdir_free). Not thread-safe.
 */
#ifndef PC_OUTDIR_H
#define PC_OUTDIR_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

typedef struct pc_outfile {
    char *rel;       /* relative path, at most one directory level ("host/user-data") */
    buf data;
    unsigned mode;   /* exact mode set with fchmod (umask does not widen or narrow it) */
} pc_outfile;

typedef struct pc_outdir {
    pc_outfile *files;
    size_t n, cap;
    bool failed;     /* an add ran out of memory */
} pc_outdir;

void pc_outdir_init(pc_outdir *o);
void pc_outdir_free(pc_outdir *o);
/* Takes *data (leaving it empty). Returns 0 or -1 (out of memory: o->failed). */
int pc_outdir_add(pc_outdir *o, const char *rel, buf *data, unsigned mode);
/* Writes everything to dir. Returns 0, or -1 with err filled; on failure dir is unchanged. */
int pc_outdir_commit(pc_outdir *o, const char *dir, bool force, char *err, size_t errlen);

#endif
