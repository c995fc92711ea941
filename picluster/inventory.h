/* inventory.h - the cluster inventory: loading and complete validation.
 *
 * The inventory (YAML, documented in docs/cluster.md; example in examples/inventory.yaml)
 * describes one k3s cluster: pinned k3s version, timezone and locale, the admin user and
 * its SSH public keys, the network (static or DHCP, gateway, DNS, optional Wi-Fi uplink
 * on the server), the pipeline's git repository, and the nodes (host, ip, role, arch,
 * labels, taints).
 *
 * inventory_load checks everything and reports every problem it finds, each located
 * as file:line:col (unknown keys with a "did you mean" hint, duplicate hosts/addresses,
 * addresses outside the subnet, zero or several servers, unknown arch, missing SSH key,
 * malformed values). It writes nothing.
 *
 * Ownership: every string pointer in a inventory points into inv->doc (the parsed
 * YAML) or into arrays the inventory owns; all of it stays valid until
 * inventory_fini. Not thread-safe; read-only after a successful load.
 */
#ifndef PICLUSTER_INVENTORY_H
#define PICLUSTER_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "yamltree.h"

enum {
    INVENTORY_OK = 0,
    INVENTORY_ENOMEM = -1,   /* allocation failed (inventory unusable) */
    INVENTORY_EINVALID = -2, /* problems reported in the diags (unreadable file, syntax, values) */
};

#define INVENTORY_MAX_NODES 64
#define INVENTORY_MAX_DNS 3 /* glibc's resolver uses at most three nameservers */

enum inventory_role { INVENTORY_ROLE_SERVER, INVENTORY_ROLE_AGENT };
enum inventory_arch { INVENTORY_ARCH_ARM64, INVENTORY_ARCH_ARMHF };
enum inventory_netmode { INVENTORY_NET_STATIC, INVENTORY_NET_DHCP };

typedef struct inventory_label {
    const char *key;
    const char *value;
} inventory_label;

typedef struct inventory_node {
    const char *host;
    uint32_t ip; /* host byte order */
    enum inventory_role role;
    enum inventory_arch arch;
    size_t n_labels;
    inventory_label *labels; /* owned array */
    size_t n_taints;
    const char **taints; /* owned array of "key[=value]:Effect" */
} inventory_node;

typedef struct inventory {
    yamltree_doc doc;        /* owns every string below */
    const char *file;        /* name used in messages */
    const char *cluster;     /* DNS label */
    const char *domain;      /* DNS suffix for FQDNs; default "<cluster>.local" (owned copy) */
    const char *k3s_version; /* "v1.32.5+k3s1" */
    const char *timezone;
    const char *locale;
    const char *user; /* admin login created with the SSH keys */
    size_t n_ssh_keys;
    const char **ssh_keys; /* owned array */

    enum inventory_netmode net_mode;
    const char *iface; /* wired interface, default "eth0" */
    uint32_t subnet;
    unsigned prefix;
    bool has_gateway;
    uint32_t gateway;
    size_t n_dns;
    uint32_t dns[INVENTORY_MAX_DNS];

    bool has_wifi; /* uplink on the server */
    const char *wifi_ssid;
    const char *wifi_psk_env; /* name of the environment variable holding the passphrase */
    const char *wifi_country; /* ISO 3166 alpha-2, regulatory domain */

    const char *git_url;    /* repository the seeded Jenkins job builds */
    const char *git_branch; /* default "main" */

    size_t n_nodes;
    inventory_node *nodes; /* owned array, in file order */
    size_t server;         /* index of the server in nodes */
    char *owned_domain;    /* private: the default domain's storage */
} inventory;

/* Loads and validates path. Returns INVENTORY_OK (warnings may still be in d), INVENTORY_EINVALID with
 * every problem added to d (inv is then freed already), or INVENTORY_ENOMEM. */
int inventory_load(inventory *inv, const char *path, diag_list *d);
/* Same from memory; name is used in messages. */
int inventory_load_string(inventory *inv, const char *name, const char *data, size_t len, diag_list *d);
void inventory_fini(inventory *inv);

/* Gateway the given node uses: network.gateway, or the server's address when the server
 * routes for the cluster (Wi-Fi uplink, no gateway). has is false in DHCP mode without a
 * gateway (the DHCP server provides it). */
bool inventory_node_gateway(const inventory *inv, size_t node, uint32_t *gw);
/* True when the server NATs the wired subnet out through its Wi-Fi uplink. */
bool inventory_server_routes(const inventory *inv);

const char *inventory_role_name(enum inventory_role r);
const char *inventory_arch_name(enum inventory_arch a);

#endif
