/* inventory_int.h - private to picluster/inventory*.c: the validation context shared by the
 * per-field pass (inventory.c) and the cross-field pass (inventory_check.c).
 */
#ifndef PC_INVENTORY_INT_H
#define PC_INVENTORY_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "inventory.h"
#include "yamltree.h"

/* State of one validation run. The node arrays have inv->n_nodes entries (NULL / false
 * where a node or field did not parse); they are owned by the run, not by the inventory. */
typedef struct inventory_ctx {
    inventory *inv;
    diag_list *d;
    const yamltree_doc *doc;
    bool oom;
    /* where things were, for cross-checks and messages */
    const yamltree_node *nodes_key;
    const yamltree_node *gateway_node;
    const yamltree_node **node_maps;
    const yamltree_node **ip_nodes;
    const yamltree_node **host_nodes;
    const yamltree_node **role_nodes;
    bool *ip_ok;
    bool subnet_ok;
} inventory_ctx;

/* Adds one diag located at `at` (file:line:col of c->doc), prefixed "warning: " when
 * warning is set; the message is cut at 511 bytes. */
void inventory_problem(inventory_ctx *c, bool warning, const yamltree_node *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Writes s into out (cap >= 64 bytes) quoted for a message: '"', '\' and control bytes
 * escaped, cut with "..." after 40 bytes. Returns out. */
const char *inventory_quoted(const char *s, char *out, size_t cap);

/* Duplicates, subnet membership, gateway, server count (sets inv->server), arch mix; run
 * after every section has been read, on whatever parsed. root locates messages that have
 * no better place. */
void inventory_cross_check(inventory_ctx *c, const yamltree_node *root);

#endif
