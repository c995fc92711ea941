/* yamlout.h - writing YAML scalars safely, and the gz+b64 encoding of cloud-init.
 *
 * Everything picluster emits goes through these helpers, so a value from the inventory
 * (an SSID, a label, a URL) can never break out of its place in user-data, whatever
 * bytes it holds. All functions append to a buf and return 0, or -1 when the buf has
 * failed (allocation) or zlib failed; they are reentrant.
 */
#ifndef PICLUSTER_YAMLOUT_H
#define PICLUSTER_YAMLOUT_H

#include <stddef.h>

#include "buf.h"

/* Appends s as a YAML double-quoted scalar: '"', '\', control bytes, DEL and the
 * Unicode line/paragraph separators escaped. */
int yamlout_str(buf *b, const char *s);

/* Appends text as the value of a mapping key whose content is indented by indent spaces:
 * a literal block ("|" / "|-") when text is plain multi-line text, otherwise a
 * double-quoted scalar. The caller has written "key: "; this writes through the final
 * newline. */
int yamlout_block(buf *b, const char *text, size_t len, unsigned indent);

/* Appends the gzip (RFC 1952, mtime 0, deterministic) of data, base64-encoded on one line
 * with no newline: cloud-init's write_files "encoding: gz+b64". */
int yamlout_gzip_b64(buf *b, const void *data, size_t len);

#endif
