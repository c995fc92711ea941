/* fuzz_picluster_inventory.c - libFuzzer target for the inventory validator and the
 * cloud-init writers.
 *
 * Any input either fails with at least one located problem, or loads; a loaded inventory
 * is rendered for every node, and each rendered user-data, network-config and generated
 * manifest must parse again as YAML (so no inventory value can break out of its place).
 * Seeds: tests/fuzz/corpus/picluster_inventory/.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "picluster/inventory.h"
#include "picluster/render.h"
#include "picluster/secrets.h"
#include "yamltree.h"

static void reparse(const buf *b)
{
    yamltree_doc doc;
    yamltree_error e;
    FUZZ_CHECK(buf_ok(b));
    FUZZ_CHECK(yamltree_load_string(&doc, "out", b->data, b->len, &e) == 0);
    yamltree_fini(&doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    inventory inv;
    diag_list d;

    diag_init(&d);
    int rc = inventory_load_string(&inv, "fuzz.yaml", (const char *)data, size, &d);
    if (rc != INVENTORY_OK) {
        FUZZ_CHECK(rc == INVENTORY_ENOMEM || d.errors > 0);
        for (size_t i = 0; i < d.n; i++)
            FUZZ_CHECK(strncmp(d.v[i].msg, "fuzz.yaml:", 10) == 0);
        diag_fini(&d);
        return 0;
    }
    diag_fini(&d);
    FUZZ_CHECK(inv.n_nodes > 0 && inv.server < inv.n_nodes);

    secrets sec;
    memset(&sec, 0, sizeof sec);
    memcpy(sec.k3s_token, "0123456789abcdef0123456789abcdef", 33);
    memcpy(sec.jenkins_password, "0123456789abcdef", 17);
    memcpy(sec.grafana_password, "fedcba9876543210", 17);
    static const char platform[] = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n";
    render_in in = {&inv, &sec, platform, sizeof platform - 1, "psk \"x\" #", "00000000", "fuzz"};
    buf b = BUF_INIT;
    for (size_t i = 0; i < inv.n_nodes; i++) {
        buf_reset(&b);
        FUZZ_CHECK(render_user_data(&in, i, &b) == 0);
        reparse(&b);
        buf_reset(&b);
        FUZZ_CHECK(render_network_config(&in, i, &b) == 0);
        reparse(&b);
        buf_reset(&b);
        FUZZ_CHECK(render_meta_data(&in, i, &b) == 0);
        reparse(&b);
    }
    buf_reset(&b);
    FUZZ_CHECK(render_generated_manifests(&in, &b) == 0);
    FUZZ_CHECK(buf_ok(&b));
    buf_reset(&b);
    FUZZ_CHECK(render_readme(&in, &b) == 0);
    buf_fini(&b);
    inventory_fini(&inv);
    return 0;
}
