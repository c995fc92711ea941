/* render.h - the cloud-init files of each node, and the render's README.
 *
 * Pure functions of their input: the same inventory, secrets, platform text and instance
 * suffix give the same bytes (so renders can be diffed and tested). Each appends one file
 * to a buf and returns 0, or -1 when the buf failed (allocation) or zlib failed.
 *
 * What the files do on first boot (cloud-init NoCloud, from the boot partition):
 *  - hostname, /etc/hosts of every node, timezone, locale; the admin user with the
 *    inventory's SSH keys only (password locked, ssh_pwauth off, root login off);
 *  - /etc/rancher/k3s/config.yaml (token, node ip/name, labels, taints) and registries.yaml
 *    (the in-cluster registry via its NodePort);
 *  - server only: the platform manifests (gz+b64) and a generated Secret/ConfigMap file
 *    in /var/lib/rancher/k3s/server/manifests, so k3s applies them at start;
 *  - a first-boot script that adds the memory cgroup flags to cmdline.txt when the kernel
 *    lacks them, installs the pinned k3s, and reboots once if the flags were missing.
 */
#ifndef PICLUSTER_RENDER_H
#define PICLUSTER_RENDER_H

#include <stddef.h>

#include "buf.h"
#include "inventory.h"
#include "secrets.h"

#define RENDER_REGISTRY_HOST "registry.pitestbed.local"
#define RENDER_REGISTRY_PORT 5000      /* port in the image name */
#define RENDER_REGISTRY_NODEPORT 30500 /* deploy/platform/registry: NodePort of the registry */
#define RENDER_JENKINS_NODEPORT 30080  /* deploy/platform/jenkins: NodePort of the UI */
#define RENDER_CMDLINE_FLAGS "cgroup_memory=1 cgroup_enable=memory"
#define RENDER_MANIFEST_DIR "/var/lib/rancher/k3s/server/manifests"

typedef struct render_in {
    const inventory *inv;
    const secrets *sec;
    const char *platform; /* rendered deploy/platform, or NULL for none */
    size_t platform_len;
    const char *wifi_psk;        /* Wi-Fi passphrase (from the environment), or NULL */
    const char *instance_suffix; /* e.g. 8 random hex digits; makes instance-ids unique */
    const char *version;         /* picluster version for the file headers */
} render_in;

int render_user_data(const render_in *in, size_t node, buf *out);
int render_meta_data(const render_in *in, size_t node, buf *out);
int render_network_config(const render_in *in, size_t node, buf *out);
/* The text to append to the single line of cmdline.txt (with a leading space). */
int render_cmdline(buf *out);
/* The manifests with generated values (admin Secrets, pipeline ConfigMap) that go next
 * to the platform on the server. */
int render_generated_manifests(const render_in *in, buf *out);
/* README.txt: which file goes where on the boot partition, per OS. */
int render_readme(const render_in *in, buf *out);

#endif
