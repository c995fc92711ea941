/* platform.h - the platform manifests that the server drops into k3s' auto-deploy folder.
 *
 * deploy/platform (kustomize) is the single source of truth. picluster takes its rendered
 * output, a multi-document YAML stream, either from a file (--platform FILE, "-" for
 * stdin) or by running `kubectl kustomize DIR` itself. The stream is checked before it
 * is embedded: it must parse, and every document must be a mapping with apiVersion, kind
 * and metadata.name, so a wrong file is caught at render time, not on the Pi.
 *
 * Ownership: platform owns its text; platform_fini releases it. Not thread-safe.
 */
#ifndef PICLUSTER_PLATFORM_H
#define PICLUSTER_PLATFORM_H

#include <stddef.h>

typedef struct platform {
    char *text; /* NUL-terminated */
    size_t len;
    size_t n_docs; /* objects in the stream */
    size_t n_namespaces;
} platform;

#define PLATFORM_MAX ((size_t)4 << 20)

/* Reads path ("-" = stdin). Returns 0, or -1 with err filled. */
int platform_read(platform *p, const char *path, char *err, size_t errlen);
/* Runs `kubectl kustomize dir` (kubectl from PATH) and keeps its output. Returns 0, or -1
 * with err filled (kubectl missing, failed, or output too large). */
int platform_kustomize(platform *p, const char *dir, char *err, size_t errlen);
/* Checks the stream (see above) and counts documents. name is used in messages.
 * Returns 0, or -1 with err = "name: document N (line L): problem". */
int platform_check(platform *p, const char *name, char *err, size_t errlen);
void platform_fini(platform *p);

#endif
