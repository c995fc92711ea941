/* inventory_check.c - the cross-field pass over a loaded inventory: duplicate hosts and
 * addresses, subnet membership, the gateway, exactly one server, the arch mix. It runs
 * after every section has been read (inventory.c) and uses the nodes' YAML positions that
 * pass recorded, so each message points at the offending line.
 */
#include "inventory.h"
#include "inventory_int.h"

#include <stddef.h>
#include <string.h>

#include "ipv4.h"

#define ERR(c, at, ...) inventory_problem((c), false, (at), __VA_ARGS__)
#define WARN(c, at, ...) inventory_problem((c), true, (at), __VA_ARGS__)

/* Duplicates, subnet membership, gateway, server count, arch mix. */
void inventory_cross_check(inventory_ctx *c, const yamltree_node *root)
{
    inventory *inv = c->inv;
    char a[IPV4_STRLEN], b[IPV4_STRLEN], q[64];
    size_t servers = 0;
    bool any_arm64 = false;

    if (inv->has_gateway && c->subnet_ok && !ipv4_host_in(inv->gateway, inv->subnet, inv->prefix))
        ERR(c, c->gateway_node, "gateway %s is outside the subnet %s/%u", ipv4_format(inv->gateway, a),
            ipv4_format(inv->subnet, b), inv->prefix);

    for (size_t i = 0; i < inv->n_nodes; i++) {
        inventory_node *n = &inv->nodes[i];
        if (!c->node_maps[i])
            continue;
        if (n->host)
            for (size_t j = 0; j < i; j++)
                if (inv->nodes[j].host && strcmp(inv->nodes[j].host, n->host) == 0) {
                    ERR(c, c->host_nodes[i], "duplicate host %s (also at line %u)",
                        inventory_quoted(n->host, q, sizeof q), c->host_nodes[j]->line);
                    break;
                }
        if (c->ip_ok[i]) {
            if (c->subnet_ok && !ipv4_host_in(n->ip, inv->subnet, inv->prefix))
                ERR(c, c->ip_nodes[i], "address %s of %s is outside the subnet %s/%u%s", ipv4_format(n->ip, a),
                    n->host ? n->host : "this node", ipv4_format(inv->subnet, b), inv->prefix,
                    (n->ip & ipv4_mask(inv->prefix)) == inv->subnet ? " (network or broadcast address)" : "");
            if (inv->has_gateway && n->ip == inv->gateway)
                ERR(c, c->ip_nodes[i], "address %s of %s is the gateway's address", ipv4_format(n->ip, a),
                    n->host ? n->host : "this node");
            for (size_t j = 0; j < i; j++)
                if (c->ip_ok[j] && inv->nodes[j].ip == n->ip) {
                    ERR(c, c->ip_nodes[i], "duplicate address %s (also used by %s at line %u)", ipv4_format(n->ip, a),
                        inv->nodes[j].host ? inv->nodes[j].host : "another node", c->ip_nodes[j]->line);
                    break;
                }
        }
        if (c->role_nodes[i] && n->role == INVENTORY_ROLE_SERVER) {
            if (servers == 0)
                inv->server = i;
            else
                ERR(c, c->role_nodes[i],
                    "second server %s: picluster builds exactly one k3s server (the first is %s at line %u); "
                    "make this one an agent",
                    n->host ? n->host : "", inv->nodes[inv->server].host ? inv->nodes[inv->server].host : "?",
                    c->role_nodes[inv->server]->line);
            servers++;
        }
        if (n->arch == INVENTORY_ARCH_ARM64)
            any_arm64 = true;
    }
    if (inv->n_nodes > 0 && servers == 0)
        ERR(c, c->nodes_key ? c->nodes_key : root,
            "no server: exactly one node needs \"role: server\" (the others are agents)");
    if (inv->n_nodes > 0 && !any_arm64)
        WARN(c, c->nodes_key ? c->nodes_key : root,
             "no arm64 node: the Jenkins image exists for arm64 and amd64 only, so the pipeline cannot run");
}
