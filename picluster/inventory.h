/* inventory.h - the cluster inventory: loading and complete validation.
 *
 * The inventory (YAML, documented in docs/cluster.md; example in examples/inventory.yaml)
 * describes one k3s cluster: pinned k3s version, timezone and locale, the admin user and
 * its SSH public keys, the network (static or DHCP, gateway, DNS, optional Wi-Fi uplink
 * on the server), the pipeline's git repository, and the nodes (host, ip, role, arch,
 * labels, taints).
 *
 * pc_inventory_load checks everything and reports every problem it finds, each located
 * as file:line:col (unknown keys with a "did you mean" hint, duplicate hosts/addresses,
 * addresses outside the subnet, zero or several servers, unknown arch, missing SSH key,
 * malformed values). It writes nothing.
 *
 * Ownership: every string pointer in a pc_inventory points into inv->doc (the parsed
 * YAML) or into arrays the inventory owns; all of it stays valid until
 * pc_inventory_free. Not thread-safe; read-only after a successful load.
 */
#ifndef PC_INVENTORY_H
#define PC_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "yamltree.h"

enum {
    PC_OK = 0,
    PC_ENOMEM = -1,   /* allocation failed (inventory unusable) */
    PC_EINVALID = -2, /* problems reported in the diags (unreadable file, syntax, values) */
};

#define PC_MAX_NODES 64
#define PC_MAX_DNS   3   /* glibc's resolver uses at most three nameservers */

enum pc_role { PC_ROLE_SERVER, PC_ROLE_AGENT };
enum pc_arch { PC_ARCH_ARM64, PC_ARCH_ARMHF };
enum pc_netmode { PC_NET_STATIC, PC_NET_DHCP };

typedef struct pc_label {
    const char *key;
    const char *value;
} pc_label;

typedef struct pc_node {
    const char *host;
    uint32_t ip;               /* host byte order */
    enum pc_role role;
    enum pc_arch arch;
    size_t n_labels;
    pc_label *labels;          /* owned array */
    size_t n_taints;
    const char **taints;       /* owned array of "key[=value]:Effect" */
} pc_node;

typedef struct pc_inventory {
    yt_doc doc;                /* owns every string below */
    const char *file;          /* name used in messages */
    const char *cluster;       /* DNS label */
    const char *domain;        /* DNS suffix for FQDNs; default "<cluster>.local" (owned copy) */
    const char *k3s_version;   /* "v1.32.5+k3s1" */
    const char *timezone;
    const char *locale;
    const char *user;          /* admin login created with the SSH keys */
    size_t n_ssh_keys;
    const char **ssh_keys;     /* owned array */

    enum pc_netmode net_mode;
    const char *iface;         /* wired interface, default "eth0" */
    uint32_t subnet;
    unsigned prefix;
    bool has_gateway;
    uint32_t gateway;
    size_t n_dns;
    uint32_t dns[PC_MAX_DNS];

    bool has_wifi;             /* uplink on the server */
    const char *wifi_ssid;
    const char *wifi_psk_env;  /* name of the environment variable holding the passphrase */
    const char *wifi_country;  /* ISO 3166 alpha-2, regulatory domain */

    const char *git_url;       /* repository the seeded Jenkins job builds */
    const char *git_branch;    /* default "main" */

    size_t n_nodes;
    pc_node *nodes;            /* owned array, in file order */
    size_t server;             /* index of the server in nodes */
    char *owned_domain;        /* private: the default domain's storage */
} pc_inventory;

/* Loads and validates path. Returns PC_OK (warnings may still be in d), PC_EINVALID with
 * every problem added to d (inv is then freed already), or PC_ENOMEM. */
int pc_inventory_load(pc_inventory *inv, const char *path, pc_diags *d);
/* Same from memory; name is used in messages. */
int pc_inventory_load_string(pc_inventory *inv, const char *name, const char *data, size_t len,
                             pc_diags *d);
void pc_inventory_free(pc_inventory *inv);

/* Gateway the given node uses: network.gateway, or the server's address when the server
 * routes for the cluster (Wi-Fi uplink, no gateway). has is false in DHCP mode without a
 * gateway (the DHCP server provides it). */
bool pc_inventory_node_gateway(const pc_inventory *inv, size_t node, uint32_t *gw);
/* True when the server NATs the wired subnet out through its Wi-Fi uplink. */
bool pc_inventory_server_routes(const pc_inventory *inv);

const char *pc_role_name(enum pc_role r);
const char *pc_arch_name(enum pc_arch a);

#endif
