/* test_picluster_inventory.c - the inventory validator: a table of bad inventories, each
 * with the messages (and their file:line:col) it must produce, plus good inventories. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "picluster/fields.h"
#include "picluster/inventory.h"
#include "picluster/ipv4.h"

#define KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHBpdGVzdGJlZC1leGFtcGxlLWtleS1yZXBsYWNlLW1l me@x"

/* Lines 1-12; nodes start at line 13. */
#define HEAD                                                                                                           \
    "cluster: pitestbed\n"                                                                                             \
    "k3s_version: v1.32.5+k3s1\n"                                                                                      \
    "ssh_authorized_keys:\n"                                                                                           \
    "  - " KEY "\n"                                                                                                    \
    "network:\n"                                                                                                       \
    "  subnet: 192.168.10.0/24\n"                                                                                      \
    "  gateway: 192.168.10.1\n"                                                                                        \
    "  dns: [192.168.10.1]\n"                                                                                          \
    "pipeline:\n"                                                                                                      \
    "  git_url: https://example.org/p.git\n"                                                                           \
    "  branch: main\n"                                                                                                 \
    "nodes:\n"

#define NODE(host, ip, role, arch) "  - host: " host "\n    ip: " ip "\n    role: " role "\n    arch: " arch "\n"

#define GOOD_NODES                                                                                                     \
    NODE("pi-master", "192.168.10.20", "server", "arm64")                                                              \
    NODE("pi-node01", "192.168.10.21", "agent", "arm64")

static int load(const char *text, inventory *inv, diag_list *d)
{
    diag_init(d);
    return inventory_load_string(inv, "inv.yaml", text, strlen(text), d);
}

static void dump(const diag_list *d)
{
    for (size_t i = 0; i < d->n; i++)
        fprintf(stderr, "    | %s\n", d->v[i].msg);
}

static void test_good(void **state)
{
    (void)state;
    inventory inv;
    diag_list d;
    int rc = load(HEAD GOOD_NODES, &inv, &d);
    if (rc != INVENTORY_OK)
        dump(&d);
    assert_int_equal(rc, INVENTORY_OK);
    assert_int_equal(d.errors, 0);
    assert_int_equal(d.warnings, 0);
    assert_string_equal(inv.cluster, "pitestbed");
    assert_string_equal(inv.domain, "pitestbed.local"); /* default */
    assert_string_equal(inv.timezone, "Etc/UTC");       /* default */
    assert_string_equal(inv.user, "pi");
    assert_string_equal(inv.iface, "eth0");
    assert_int_equal(inv.net_mode, INVENTORY_NET_STATIC);
    assert_int_equal(inv.n_nodes, 2);
    assert_int_equal(inv.server, 0);
    assert_int_equal(inv.n_ssh_keys, 1);
    assert_int_equal(inv.nodes[1].ip, 0xC0A80A15u);
    assert_int_equal(inv.subnet, 0xC0A80A00u);
    assert_int_equal(inv.prefix, 24);
    assert_int_equal(inv.n_dns, 1);
    uint32_t gw;
    assert_true(inventory_node_gateway(&inv, 1, &gw));
    assert_int_equal(gw, 0xC0A80A01u);
    assert_false(inventory_server_routes(&inv));
    inventory_fini(&inv);
    diag_fini(&d);
}

static void test_good_full(void **state)
{
    (void)state;
    static const char text[] =
        "cluster: lab\n"
        "domain: lab.example\n"
        "k3s_version: v1.31.10+k3s2\n"
        "timezone: Europe/Berlin\n"
        "locale: de_DE.UTF-8\n"
        "user: admin\n"
        "ssh_authorized_keys: [\"" KEY "\"]\n"
        "network:\n"
        "  mode: static\n"
        "  interface: end0\n"
        "  subnet: 10.1.0.0/16\n"
        "  dns: [9.9.9.9, 1.1.1.1]\n"
        "  wifi: {ssid: \"Home Net\", psk_env: WIFI_PSK, country: DE}\n"
        "pipeline: {git_url: \"git@example.org:me/p.git\"}\n"
        "nodes:\n"
        "  - {host: a, ip: 10.1.0.1, role: agent, arch: armhf, taints: [\"x=y:NoSchedule\", \"k:NoExecute\"]}\n"
        "  - host: b\n"
        "    ip: 10.1.2.3\n"
        "    role: server\n"
        "    arch: arm64\n"
        "    labels: {pitestbed.io/pool: ci, node.kubernetes.io/exclude-from-external-load-balancers: \"\", tier: \"1\"}\n";
    inventory inv;
    diag_list d;
    int rc = load(text, &inv, &d);
    if (rc != INVENTORY_OK)
        dump(&d);
    assert_int_equal(rc, INVENTORY_OK);
    assert_int_equal(inv.server, 1);
    assert_true(inv.has_wifi);
    assert_string_equal(inv.wifi_ssid, "Home Net");
    assert_true(inventory_server_routes(&inv));
    uint32_t gw;
    assert_true(inventory_node_gateway(&inv, 0, &gw));
    assert_int_equal(gw, inv.nodes[1].ip); /* agents route through the server */
    assert_false(inventory_node_gateway(&inv, 1, &gw));
    assert_int_equal(inv.nodes[0].n_taints, 2);
    assert_int_equal(inv.nodes[1].n_labels, 3);
    assert_string_equal(inv.nodes[1].labels[2].value, "1");
    assert_string_equal(inv.git_branch, "main");
    assert_int_equal(inv.nodes[0].arch, INVENTORY_ARCH_ARMHF);
    inventory_fini(&inv);
    diag_fini(&d);
}

/* Each bad inventory lists the messages it must produce ("line:col: text" fragments),
 * and how many errors in total: so one problem gives exactly one message. */
static const struct bad {
    const char *name;
    const char *text;
    size_t errors;
    const char *want[4];
} bad[] = {
    {"duplicate host",
     HEAD GOOD_NODES NODE("pi-node01", "192.168.10.22", "agent", "arm64"),
     1,
     {"inv.yaml:21:11: duplicate host \"pi-node01\" (also at line 17)"}},
    {"duplicate address",
     HEAD GOOD_NODES NODE("pi-node02", "192.168.10.21", "agent", "arm64"),
     1,
     {"inv.yaml:22:9: duplicate address 192.168.10.21 (also used by pi-node01 at line 18)"}},
    {"address outside subnet",
     HEAD NODE("pi-master", "192.168.11.20", "server", "arm64"),
     1,
     {"inv.yaml:14:9: address 192.168.11.20 of pi-master is outside the subnet 192.168.10.0/24"}},
    {"broadcast address",
     HEAD NODE("pi-master", "192.168.10.255", "server", "arm64"),
     1,
     {"inv.yaml:14:9: address 192.168.10.255 of pi-master is outside the subnet 192.168.10.0/24 (network or broadcast"}},
    {"node on the gateway",
     HEAD NODE("pi-master", "192.168.10.1", "server", "arm64"),
     1,
     {"inv.yaml:14:9: address 192.168.10.1 of pi-master is the gateway's address"}},
    {"zero servers",
     HEAD NODE("a", "192.168.10.20", "agent", "arm64") NODE("b", "192.168.10.21", "agent", "arm64"),
     1,
     {"inv.yaml:12:1: no server: exactly one node needs \"role: server\""}},
    {"two servers",
     HEAD NODE("a", "192.168.10.20", "server", "arm64") NODE("b", "192.168.10.21", "server", "arm64"),
     1,
     {"inv.yaml:19:11: second server b: picluster builds exactly one k3s server (the first is a at line 15)"}},
    {"three servers",
     HEAD NODE("a", "192.168.10.20", "server", "arm64") NODE("b", "192.168.10.21", "server", "arm64")
         NODE("c", "192.168.10.22", "server", "arm64"),
     2,
     {"inv.yaml:19:11: second server b", "inv.yaml:23:11: second server c"}},
    {"unknown arch",
     HEAD NODE("pi-master", "192.168.10.20", "server", "x86") NODE("b", "192.168.10.21", "agent", "arm64"),
     1,
     {"inv.yaml:16:11: unknown arch \"x86\" (expected arm64 or armhf)"}},
    {"arch alias",
     HEAD NODE("pi-master", "192.168.10.20", "server", "aarch64") NODE("b", "192.168.10.21", "agent", "arm64"),
     1,
     {"inv.yaml:16:11: unknown arch \"aarch64\" (expected arm64 or armhf); did you mean arm64?"}},
    {"missing ssh keys",
     "cluster: c\nk3s_version: v1.32.5+k3s1\nnetwork: {subnet: 10.0.0.0/24, gateway: 10.0.0.1, dns: [10.0.0.1]}\n"
     "pipeline: {git_url: u}\nnodes:\n" NODE("a", "10.0.0.2", "server", "arm64"),
     1,
     {"inv.yaml:1:1: missing key \"ssh_authorized_keys\""}},
    {"empty ssh keys",
     "cluster: c\nk3s_version: v1.32.5+k3s1\nssh_authorized_keys: []\nnetwork: {subnet: 10.0.0.0/24, gateway: 10.0.0.1, dns: [10.0.0.1]}\n"
     "pipeline: {git_url: u}\nnodes:\n" NODE("a", "10.0.0.2", "server", "arm64"),
     1,
     {"inv.yaml:3:1: ssh_authorized_keys is empty"}},
    {"private key pasted",
     "cluster: c\nk3s_version: v1.32.5+k3s1\nssh_authorized_keys: [\"-----BEGIN OPENSSH PRIVATE KEY-----\"]\n"
     "network: {subnet: 10.0.0.0/24, gateway: 10.0.0.1, dns: [10.0.0.1]}\n"
     "pipeline: {git_url: u}\nnodes:\n" NODE("a", "10.0.0.2", "server", "arm64"),
     1,
     {"inv.yaml:3:23: SSH key 1 does not start with a known key type"}},
    {"truncated key",
     "cluster: c\nk3s_version: v1.32.5+k3s1\nssh_authorized_keys: [\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHBp\"]\n"
     "network: {subnet: 10.0.0.0/24, gateway: 10.0.0.1, dns: [10.0.0.1]}\n"
     "pipeline: {git_url: u}\nnodes:\n" NODE("a", "10.0.0.2", "server", "arm64"),
     1,
     {"inv.yaml:3:23: SSH key 1 key data is truncated"}},
    {"key cut mid-base64",
     "cluster: c\nk3s_version: v1.32.5+k3s1\nssh_authorized_keys: [\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHBpd\"]\n"
     "network: {subnet: 10.0.0.0/24, gateway: 10.0.0.1, dns: [10.0.0.1]}\n"
     "pipeline: {git_url: u}\nnodes:\n" NODE("a", "10.0.0.2", "server", "arm64"),
     1,
     {"inv.yaml:3:23: SSH key 1 key data is not valid base64"}},
    {"key of the wrong type",
     "cluster: c\nk3s_version: v1.32.5+k3s1\nssh_authorized_keys: [\"ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIHBpdGVzdGJlZC1leGFtcGxlLWtleS1yZXBsYWNlLW1l\"]\n"
     "network: {subnet: 10.0.0.0/24, gateway: 10.0.0.1, dns: [10.0.0.1]}\n"
     "pipeline: {git_url: u}\nnodes:\n" NODE("a", "10.0.0.2", "server", "arm64"),
     1,
     {"SSH key 1 key data does not match its type"}},
    {"typo at top level",
     "clustr: x\n" HEAD GOOD_NODES,
     1,
     {"inv.yaml:1:1: unknown key \"clustr\" (did you mean \"cluster\"?)"}},
    {"typos everywhere",
     "cluster: c\nk3s_version: v1.32.5+k3s1\nssh_authorized_keys: [\"" KEY "\"]\n"
     "network: {subnet: 10.0.0.0/24, gatway: 10.0.0.1, gateway: 10.0.0.1, dns: [10.0.0.1]}\n"
     "pipeline: {git_url: u, brnach: x}\nnodes:\n"
     "  - {host: a, ip: 10.0.0.2, role: server, arch: arm64, lables: {}}\n",
     3,
     {"inv.yaml:4:32: unknown key \"gatway\" (did you mean \"gateway\"?)",
      "inv.yaml:5:24: unknown key \"brnach\" (did you mean \"branch\"?)",
      "inv.yaml:7:56: unknown key \"lables\" (did you mean \"labels\"?)"}},
    {"unknown key, no suggestion",
     HEAD GOOD_NODES "colour: blue\n",
     1,
     {"inv.yaml:21:1: unknown key \"colour\" (expected one of: cluster, domain"}},
    {"k3s channel",
     "cluster: c\nk3s_version: stable\nssh_authorized_keys: [\"" KEY "\"]\n"
     "network: {subnet: 10.0.0.0/24, gateway: 10.0.0.1, dns: [10.0.0.1]}\npipeline: {git_url: u}\nnodes:\n" NODE(
         "a", "10.0.0.2", "server", "arm64"),
     1,
     {"inv.yaml:2:14: k3s_version \"stable\" must be a pinned k3s release"}},
    {"subnet host bits",
     "cluster: c\nk3s_version: v1.32.5+k3s1\nssh_authorized_keys: [\"" KEY "\"]\n"
     "network: {subnet: 10.0.0.5/24, gateway: 10.0.0.1, dns: [10.0.0.1]}\npipeline: {git_url: u}\nnodes:\n" NODE(
         "a", "10.0.0.2", "server", "arm64"),
     1,
     {"inv.yaml:4:19: subnet \"10.0.0.5/24\" has host bits set; did you mean 10.0.0.0/24?"}},
    {"gateway outside",
     "cluster: c\nk3s_version: v1.32.5+k3s1\nssh_authorized_keys: [\"" KEY "\"]\n"
     "network: {subnet: 10.0.0.0/24, gateway: 10.0.1.1, dns: [10.0.0.1]}\npipeline: {git_url: u}\nnodes:\n" NODE(
         "a", "10.0.0.2", "server", "arm64"),
     1,
     {"inv.yaml:4:41: gateway 10.0.1.1 is outside the subnet 10.0.0.0/24"}},
    {"no gateway, no wifi",
     "cluster: c\nk3s_version: v1.32.5+k3s1\nssh_authorized_keys: [\"" KEY "\"]\n"
     "network: {subnet: 10.0.0.0/24, dns: [10.0.0.1]}\npipeline: {git_url: u}\nnodes:\n" NODE("a", "10.0.0.2", "server",
                                                                                              "arm64"),
     1,
     {"inv.yaml:4:10: static network needs a \"gateway\""}},
    {"octal-looking ip",
     HEAD NODE("pi-master", "192.168.010.20", "server", "arm64"),
     1,
     {"inv.yaml:14:9: ip \"192.168.010.20\" is not an IPv4 address"}},
    {"bad host and label",
     HEAD NODE("Pi_Master", "192.168.10.20", "server",
               "arm64") "    labels: {kubernetes.io/role: x, \"bad key!\": y}\n",
     3,
     {"inv.yaml:13:11: host \"Pi_Master\" must be a DNS label",
      "inv.yaml:17:14: label key \"kubernetes.io/role\" uses a prefix reserved for Kubernetes",
      "inv.yaml:17:37: label key \"bad key!\" must be 1-63 characters"}},
    {"bad taint",
     HEAD NODE("pi-master", "192.168.10.20", "server", "arm64") "    taints: [\"a=b:Sometimes\"]\n",
     1,
     {"inv.yaml:17:14: taint \"a=b:Sometimes\" has an unknown effect"}},
    {"wifi without passphrase variable",
     "cluster: c\nk3s_version: v1.32.5+k3s1\nssh_authorized_keys: [\"" KEY "\"]\n"
     "network:\n  subnet: 10.0.0.0/24\n  dns: [10.0.0.1]\n  wifi: {ssid: x, psk: hunter22, country: de}\n"
     "pipeline: {git_url: u}\nnodes:\n" NODE("a", "10.0.0.2", "server", "arm64"),
     3,
     {"inv.yaml:7:19: unknown key \"psk\"", "inv.yaml:7:9: missing key \"psk_env\"",
      "inv.yaml:7:43: wifi country \"de\" must be a two-letter upper-case"}},
    {"wrong types",
     "cluster: [a]\nk3s_version: v1.32.5+k3s1\nssh_authorized_keys: \"" KEY "\"\n"
     "network: 10.0.0.0/24\npipeline: {git_url: u}\nnodes: {}\n",
     4,
     {"inv.yaml:1:10: cluster must be a string, found a sequence",
      "inv.yaml:3:22: ssh_authorized_keys must be a sequence",
      "inv.yaml:4:10: network must be a mapping, found a string", "inv.yaml:6:8: nodes must be a non-empty sequence"}},
    {"empty document", "", 1, {"inv.yaml:1:1: empty inventory"}},
    {"not a mapping", "- a\n- b\n", 1, {"inv.yaml:1:1: the inventory must be a mapping"}},
    {"yaml syntax error", "cluster: [a\n", 1, {"inv.yaml:"}},
    {"duplicate key", "cluster: a\ncluster: b\n", 1, {"inv.yaml:2:1:"}},
    {"NUL byte in value", "cluster: \"a\\0b\"\n", 1, {"inv.yaml:"}},
    {"control bytes in ssid",
     "cluster: c\nk3s_version: v1.32.5+k3s1\nssh_authorized_keys: [\"" KEY "\"]\n"
     "network: {subnet: 10.0.0.0/24, dns: [10.0.0.1], wifi: {ssid: \"a\\x01b\", psk_env: P, country: DE}}\n"
     "pipeline: {git_url: u}\nnodes:\n" NODE("a", "10.0.0.2", "server", "arm64"),
     1,
     {"wifi ssid must be 1-32 bytes without control characters"}},
    {"too many dns",
     "cluster: c\nk3s_version: v1.32.5+k3s1\nssh_authorized_keys: [\"" KEY "\"]\n"
     "network: {subnet: 10.0.0.0/24, gateway: 10.0.0.1, dns: [1.1.1.1, 8.8.8.8, 9.9.9.9, 10.0.0.1]}\n"
     "pipeline: {git_url: u}\nnodes:\n" NODE("a", "10.0.0.2", "server", "arm64"),
     1,
     {"inv.yaml:4:84: at most 3 DNS servers"}},
    {"root user", HEAD GOOD_NODES "user: root\n", 1, {"inv.yaml:21:7: user \"root\" must be a login name"}},
};

static void test_bad(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const struct bad *b = &bad[i];
        inventory inv;
        diag_list d;
        int rc = load(b->text, &inv, &d);
        bool ok = rc == INVENTORY_EINVALID && d.errors == b->errors;
        for (size_t k = 0; k < 4 && b->want[k]; k++)
            if (!diag_has(&d, b->want[k])) {
                fprintf(stderr, "case \"%s\": missing message: %s\n", b->name, b->want[k]);
                ok = false;
            }
        if (!ok) {
            fprintf(stderr, "case \"%s\": rc %d, %zu errors (want %zu):\n", b->name, rc, d.errors, b->errors);
            dump(&d);
        }
        /* Every message is located. */
        for (size_t k = 0; k < d.n; k++)
            assert_non_null(strstr(d.v[k].msg, "inv.yaml:"));
        assert_true(ok);
        /* A failed load leaves nothing to free. */
        assert_null(inv.nodes);
        assert_null(inv.doc.root);
        diag_fini(&d);
    }
}

/* Many problems at once: each is reported (the validator does not stop at the first). */
static void test_all_problems_reported(void **state)
{
    (void)state;
    static const char text[] =
        "cluster: c\nk3s_version: v1.32.5+k3s1\nssh_authorized_keys: []\n"
        "network: {subnet: 10.0.0.0/24, gateway: 10.0.0.1, dns: [10.0.0.1]}\npipeline: {git_url: u}\nnodes:\n"
        "  - {host: a, ip: 10.0.0.2, role: server, arch: x86}\n"
        "  - {host: a, ip: 10.0.0.2, role: server, arch: arm64, colour: red}\n"
        "  - {host: b, ip: 10.9.0.2, role: agent, arch: arm64}\n";
    inventory inv;
    diag_list d;
    assert_int_equal(load(text, &inv, &d), INVENTORY_EINVALID);
    const char *want[] = {
        "inv.yaml:3:1: ssh_authorized_keys is empty",
        "inv.yaml:7:49: unknown arch \"x86\"",
        "inv.yaml:8:56: unknown key \"colour\"",
        "inv.yaml:8:12: duplicate host \"a\"",
        "inv.yaml:8:19: duplicate address 10.0.0.2",
        "inv.yaml:8:35: second server a",
        "inv.yaml:9:19: address 10.9.0.2 of b is outside the subnet",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        if (!diag_has(&d, want[i])) {
            fprintf(stderr, "missing: %s\n", want[i]);
            dump(&d);
        }
        assert_true(diag_has(&d, want[i]));
    }
    assert_int_equal(d.errors, sizeof want / sizeof want[0]);
    diag_fini(&d);
}

static void test_warnings_do_not_fail(void **state)
{
    (void)state;
    inventory inv;
    diag_list d;
    int rc = load(HEAD NODE("a", "192.168.10.20", "server", "armhf"), &inv, &d);
    assert_int_equal(rc, INVENTORY_OK);
    assert_int_equal(d.warnings, 1);
    assert_true(diag_has(&d, "warning: no arm64 node"));
    inventory_fini(&inv);
    diag_fini(&d);
}

static void test_missing_file(void **state)
{
    (void)state;
    inventory inv;
    diag_list d;
    diag_init(&d);
    assert_int_equal(inventory_load(&inv, "/nonexistent/inventory.yaml", &d), INVENTORY_EINVALID);
    assert_int_equal(d.errors, 1);
    assert_true(diag_has(&d, "/nonexistent/inventory.yaml"));
    diag_fini(&d);
}

/* Many nodes: limits are enforced, and a large valid cluster still loads. */
static void test_node_limit(void **state)
{
    (void)state;
    char *text = malloc(65536);
    assert_non_null(text);
    for (int count = INVENTORY_MAX_NODES; count <= INVENTORY_MAX_NODES + 1; count++) {
        size_t o = (size_t)snprintf(text, 65536, "%s", HEAD);
        for (int i = 0; i < count; i++)
            o += (size_t)snprintf(text + o, 65536 - o, "  - {host: n%d, ip: 192.168.10.%d, role: %s, arch: arm64}\n", i,
                                  100 + i, i == 0 ? "server" : "agent");
        inventory inv;
        diag_list d;
        int rc = load(text, &inv, &d);
        if (count <= INVENTORY_MAX_NODES) {
            assert_int_equal(rc, INVENTORY_OK);
            assert_int_equal(inv.n_nodes, (size_t)count);
            inventory_fini(&inv);
        } else {
            assert_int_equal(rc, INVENTORY_EINVALID);
            assert_true(diag_has(&d, "too many nodes"));
        }
        diag_fini(&d);
    }
    free(text);
}

static const struct {
    const char *s;
    int rc;
    uint32_t ip;
} ipv4_cases[] = {
    {"0.0.0.0", 0, 0},
    {"255.255.255.255", 0, 0xffffffffu},
    {"192.168.10.20", 0, 0xC0A80A14u},
    {"192.168.10.020", IPV4_EINVAL, 0},
    {"192.168.10", IPV4_EINVAL, 0},
    {"192.168.10.20.1", IPV4_EINVAL, 0},
    {"192.168.10.256", IPV4_EINVAL, 0},
    {"192.168.10.2000", IPV4_EINVAL, 0},
    {" 192.168.10.1", IPV4_EINVAL, 0},
    {"192.168.10.1 ", IPV4_EINVAL, 0},
    {"192.168.10.-1", IPV4_EINVAL, 0},
    {"192.168..1", IPV4_EINVAL, 0},
    {"", IPV4_EINVAL, 0},
    {"1.2.3.4/24", IPV4_EINVAL, 0},
};

static void test_ipv4(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof ipv4_cases / sizeof ipv4_cases[0]; i++) {
        uint32_t ip = 12345;
        int rc = ipv4_parse(ipv4_cases[i].s, &ip);
        assert_int_equal(rc, ipv4_cases[i].rc);
        assert_int_equal(ip, rc == 0 ? ipv4_cases[i].ip : 12345u);
    }
    assert_int_equal(ipv4_parse(NULL, &(uint32_t){0}), IPV4_EINVAL);
    char s[IPV4_STRLEN];
    assert_string_equal(ipv4_format(0xffffffffu, s), "255.255.255.255");
    assert_string_equal(ipv4_format(0x0a000001u, s), "10.0.0.1");
}

static const struct {
    const char *s;
    int rc;
    uint32_t net;
    unsigned prefix;
} cidr_cases[] = {
    {"192.168.10.0/24", 0, 0xC0A80A00u, 24},
    {"10.0.0.0/8", 0, 0x0A000000u, 8},
    {"10.0.0.0/30", 0, 0x0A000000u, 30},
    {"10.0.0.0/31", IPV4_EINVAL, 0, 0},
    {"10.0.0.0/7", IPV4_EINVAL, 0, 0},
    {"10.0.0.0/024", IPV4_EINVAL, 0, 0},
    {"10.0.0.0/", IPV4_EINVAL, 0, 0},
    {"10.0.0.0", IPV4_EINVAL, 0, 0},
    {"10.0.0.0/24x", IPV4_EINVAL, 0, 0},
    {"10.0.0.0/4294967320", IPV4_EINVAL, 0, 0},
    {"192.168.10.5/24", IPV4_EHOSTBITS, 0xC0A80A00u, 24},
};

static void test_cidr(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cidr_cases / sizeof cidr_cases[0]; i++) {
        uint32_t net = 0;
        unsigned p = 0;
        int rc = ipv4_cidr_parse(cidr_cases[i].s, &net, &p);
        assert_int_equal(rc, cidr_cases[i].rc);
        if (rc != IPV4_EINVAL) {
            assert_int_equal(net, cidr_cases[i].net);
            assert_int_equal(p, cidr_cases[i].prefix);
        }
    }
    assert_true(ipv4_host_in(0xC0A80A01u, 0xC0A80A00u, 24));
    assert_false(ipv4_host_in(0xC0A80A00u, 0xC0A80A00u, 24)); /* network */
    assert_false(ipv4_host_in(0xC0A80AFFu, 0xC0A80A00u, 24)); /* broadcast */
    assert_false(ipv4_host_in(0xC0A80B01u, 0xC0A80A00u, 24));
    assert_int_equal(ipv4_mask(0), 0);
    assert_int_equal(ipv4_mask(32), 0xffffffffu);
    assert_int_equal(ipv4_mask(24), 0xffffff00u);
}

/* Single-value checks: a table per checker, valid and invalid, edges included. */
static void test_fields(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        bool ok;
    } versions[] = {
        {"v1.32.5+k3s1", true},   {"v1.9.10+k3s12", true}, {"1.32.5+k3s1", false},
        {"v1.32+k3s1", false},    {"v1.32.5", false},      {"v1.32.5+k3s", false},
        {"v1.32.5+k3s1 ", false}, {"stable", false},       {"", false},
        {"v1.32.5-k3s1", false},  {"v1..5+k3s1", false},
    };
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++)
        assert_int_equal(fields_k3s_version_ok(versions[i].s), versions[i].ok);
    static const struct {
        const char *s;
        bool ok;
    } users[] = {
        {"pi", true},
        {"_svc", true},
        {"a-b_c9", true},
        {"Pi", false},
        {"9pi", false},
        {"", false},
        {"abcdefghijabcdefghijabcdefghijab", true},
        {"abcdefghijabcdefghijabcdefghijabc", false},
        {"a b", false},
    };
    for (size_t i = 0; i < sizeof users / sizeof users[0]; i++)
        assert_int_equal(fields_user_ok(users[i].s), users[i].ok);
    static const struct {
        const char *s;
        bool ok;
    } names[] = {
        {"a", true},
        {"pitestbed.lan", true},
        {"a-b.c", true},
        {"-a", false},
        {"a-", false},
        {"A", false},
        {"a..b", false},
        {"a.", false},
        {".a", false},
        {"a_b", false},
        {"", false},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true},   /* 63 */
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false}, /* 64 */
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        assert_int_equal(fields_dns_name_ok(names[i].s), names[i].ok);
    static const struct {
        const char *s;
        bool ok;
    } keys[] = {
        {"tier", true},
        {"pitestbed.io/pool", true},
        {"node.kubernetes.io/x", true},
        {"kubelet.kubernetes.io/y", true},
        {"kubernetes.io/role", false},
        {"node-role.kubernetes.io/worker", false},
        {"foo.k8s.io/x", false},
        {"notk8s.io/x", true},
        {"/x", false},
        {"a/", false},
        {"A.io/x", false},
        {"a/-x", false},
        {"a b", false},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if ((fields_label_key_problem(keys[i].s) == NULL) != keys[i].ok)
            fail_msg("label key %s", keys[i].s);
    static const struct {
        const char *s;
        bool ok;
    } taints[] = {
        {"k=v:NoSchedule", true}, {"k:NoExecute", true},  {"a/b=c:PreferNoSchedule", true}, {"k=v", false},
        {"k=v:Never", false},     {":NoSchedule", false}, {"k=v v:NoSchedule", false},      {"k=:NoSchedule", true},
    };
    for (size_t i = 0; i < sizeof taints / sizeof taints[0]; i++)
        if ((fields_taint_problem(taints[i].s) == NULL) != taints[i].ok)
            fail_msg("taint %s", taints[i].s);
    assert_null(
        fields_ssh_key_problem("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHBpdGVzdGJlZC1leGFtcGxlLWtleS1yZXBsYWNlLW1l"));
    assert_non_null(fields_ssh_key_problem("ssh-ed25519"));
    assert_non_null(fields_ssh_key_problem("ssh-ed25519 "));
    assert_non_null(fields_ssh_key_problem("ssh-ed25519 !!!!"));
    assert_non_null(fields_ssh_key_problem("ssh-dss AAAAB3NzaC1kc3M="));
    /* Length prefix claiming more than the blob holds (0xffffffff). */
    assert_non_null(fields_ssh_key_problem("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5/////w=="));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_good_full),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_all_problems_reported),
        cmocka_unit_test(test_warnings_do_not_fail),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_node_limit),
        cmocka_unit_test(test_ipv4),
        cmocka_unit_test(test_cidr),
        cmocka_unit_test(test_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
