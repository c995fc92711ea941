/* inventory.c - loading the cluster inventory (see inventory.h): the per-field pass over
 * every section, the public load/free entry points and the derived routing queries.
 *
 * Validation walks the whole tree once and keeps going after a problem, so that every
 * mistake is reported in one run; each check that fails adds one located line to the
 * diags and leaves the field unset. Cross-field checks (duplicates, subnet membership,
 * server count) run afterwards on whatever parsed (inventory_check.c). The inventory is
 * only handed back when there was no error at all.
 */
#include "inventory.h"
#include "inventory_int.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "ipv4.h"

void inventory_problem(inventory_ctx *c, bool warning, const yamltree_node *at, const char *fmt, ...)
{
    char msg[512];
    yamltree_error e;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    yamltree_fail(c->doc, at, &e, "%s%s", warning ? "warning: " : "", msg);
    diag_add(c->d, warning, e.msg);
}

#define ERR(c, at, ...) inventory_problem((c), false, (at), __VA_ARGS__)
#define WARN(c, at, ...) inventory_problem((c), true, (at), __VA_ARGS__)

/* Quotes a value for a message: at most 40 bytes, '"', '\' and control bytes escaped. */
const char *inventory_quoted(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    out[o++] = '"';
    for (size_t i = 0; s[i] && o + 8 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (i == 40) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (ch == '"' || ch == '\\') {
            out[o++] = '\\';
            out[o++] = (char)ch;
        } else if (ch < 0x20 || ch == 0x7f) {
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", ch);
        } else {
            out[o++] = (char)ch;
        }
    }
    out[o++] = '"';
    out[o] = '\0';
    return out;
}

/* ---- typed field access ------------------------------------------------------- */

/* Reports every unknown key of map (yamltree_check_keys stops at the first, so it is asked
 * about one key at a time through a one-pair view of the mapping). */
static void check_keys(inventory_ctx *c, const yamltree_node *map, const char *const *allowed)
{
    if (!map || map->kind != YAMLTREE_MAP)
        return;
    for (size_t i = 0; i < map->n; i++) {
        yamltree_node *k = map->keys[i], *v = map->vals[i];
        yamltree_node one = *map;
        yamltree_error e;
        one.n = 1;
        one.keys = &k;
        one.vals = &v;
        if (yamltree_check_keys(c->doc, &one, allowed, &e) < 0)
            diag_add(c->d, false, e.msg);
    }
}

/* Fetches map[key] as a string. Missing: error if required (located at the mapping),
 * NULL. Wrong kind or empty: error, NULL. */
static const char *get_str(inventory_ctx *c, const yamltree_node *map, const char *key, bool required)
{
    const yamltree_node *v = map ? yamltree_get(map, key) : NULL;
    if (!v) {
        if (required && map)
            ERR(c, map, "missing key \"%s\"", key);
        return NULL;
    }
    if (v->kind != YAMLTREE_SCALAR) {
        ERR(c, v, "%s must be a string, found %s", key,
            v->kind == YAMLTREE_NULL  ? "nothing"
            : v->kind == YAMLTREE_SEQ ? "a sequence"
                                      : "a mapping");
        return NULL;
    }
    if (v->len == 0) {
        ERR(c, v, "%s must not be empty", key);
        return NULL;
    }
    if (strlen(v->str) != v->len) {
        ERR(c, v, "%s contains a NUL byte", key);
        return NULL;
    }
    return v->str;
}

static const yamltree_node *get_kind(inventory_ctx *c, const yamltree_node *map, const char *key,
                                     enum yamltree_kind kind, bool required)
{
    static const char *const names[] = {"nothing", "a string", "a sequence", "a mapping"};
    const yamltree_node *v = map ? yamltree_get(map, key) : NULL;
    if (!v) {
        if (required && map)
            ERR(c, map, "missing key \"%s\"", key);
        return NULL;
    }
    if (v->kind != kind) {
        ERR(c, v, "%s must be %s, found %s", key, names[kind], names[v->kind]);
        return NULL;
    }
    return v;
}

static void *alloc_array(inventory_ctx *c, size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        c->oom = true;
    return p;
}

/* ---- sections ------------------------------------------------------------------ */

static void load_top(inventory_ctx *c, const yamltree_node *root)
{
    inventory *inv = c->inv;
    char q[64];

    inv->cluster = get_str(c, root, "cluster", true);
    if (inv->cluster && !fields_dns_label_ok(inv->cluster, strlen(inv->cluster))) {
        ERR(c, yamltree_get(root, "cluster"), "cluster name %s must be a DNS label (a-z, 0-9, '-', at most 63)",
            inventory_quoted(inv->cluster, q, sizeof q));
        inv->cluster = NULL;
    }
    inv->domain = get_str(c, root, "domain", false);
    if (inv->domain && !fields_dns_name_ok(inv->domain)) {
        ERR(c, yamltree_get(root, "domain"), "domain %s must be a lower-case DNS name such as pitestbed.lan",
            inventory_quoted(inv->domain, q, sizeof q));
        inv->domain = NULL;
    }
    inv->k3s_version = get_str(c, root, "k3s_version", true);
    if (inv->k3s_version && !fields_k3s_version_ok(inv->k3s_version)) {
        ERR(c, yamltree_get(root, "k3s_version"),
            "k3s_version %s must be a pinned k3s release such as v1.32.5+k3s1 (no channel names)",
            inventory_quoted(inv->k3s_version, q, sizeof q));
        inv->k3s_version = NULL;
    }
    inv->timezone = get_str(c, root, "timezone", false);
    if (!inv->timezone)
        inv->timezone = "Etc/UTC";
    else if (strlen(inv->timezone) > 64 || inv->timezone[0] == '/' || strstr(inv->timezone, "..") ||
             !fields_chars_in(inv->timezone, "_+-/")) {
        ERR(c, yamltree_get(root, "timezone"), "timezone %s must be a tz database name such as Europe/Berlin",
            inventory_quoted(inv->timezone, q, sizeof q));
    }
    inv->locale = get_str(c, root, "locale", false);
    if (!inv->locale)
        inv->locale = "C.UTF-8";
    else if (strlen(inv->locale) > 64 || !fields_chars_in(inv->locale, "_.@-")) {
        ERR(c, yamltree_get(root, "locale"), "locale %s must look like en_US.UTF-8",
            inventory_quoted(inv->locale, q, sizeof q));
    }
    inv->user = get_str(c, root, "user", false);
    if (!inv->user) {
        inv->user = "pi";
    } else if (!fields_user_ok(inv->user) || strcmp(inv->user, "root") == 0) {
        ERR(c, yamltree_get(root, "user"),
            "user %s must be a login name (a-z, 0-9, '_', '-', at most 32) other than root",
            inventory_quoted(inv->user, q, sizeof q));
    }
}

static void load_ssh_keys(inventory_ctx *c, const yamltree_node *root)
{
    inventory *inv = c->inv;
    const yamltree_node *seq = yamltree_get(root, "ssh_authorized_keys");

    if (!seq) {
        ERR(c, root,
            "missing key \"ssh_authorized_keys\": at least one SSH public key is needed "
            "(logins are by key only; there is no password)");
        return;
    }
    if (seq->kind == YAMLTREE_NULL || (seq->kind == YAMLTREE_SEQ && seq->n == 0)) {
        ERR(c, yamltree_get_key(root, "ssh_authorized_keys"),
            "ssh_authorized_keys is empty: at least one SSH public key is needed "
            "(logins are by key only; there is no password)");
        return;
    }
    if (seq->kind != YAMLTREE_SEQ) {
        ERR(c, seq, "ssh_authorized_keys must be a sequence of public keys (\"- ssh-ed25519 AAAA... you@host\")");
        return;
    }
    inv->ssh_keys = alloc_array(c, seq->n, sizeof *inv->ssh_keys);
    if (!inv->ssh_keys)
        return;
    for (size_t i = 0; i < seq->n; i++) {
        const yamltree_node *k = seq->items[i];
        if (k->kind != YAMLTREE_SCALAR || k->len == 0 || strlen(k->str) != k->len) {
            ERR(c, k, "each SSH key must be one non-empty line \"TYPE BASE64 [comment]\"");
            continue;
        }
        const char *why = fields_ssh_key_problem(k->str);
        if (why) {
            ERR(c, k, "SSH key %zu %s", i + 1, why);
            continue;
        }
        for (size_t j = 0; j < inv->n_ssh_keys; j++)
            if (strcmp(inv->ssh_keys[j], k->str) == 0)
                WARN(c, k, "SSH key %zu is listed twice", i + 1);
        inv->ssh_keys[inv->n_ssh_keys++] = k->str;
    }
}

static void load_wifi(inventory_ctx *c, const yamltree_node *wifi)
{
    static const char *const keys[] = {"ssid", "psk_env", "country", NULL};
    inventory *inv = c->inv;
    char q[64];
    bool ok = true;

    check_keys(c, wifi, keys);
    const char *ssid = get_str(c, wifi, "ssid", true);
    if (ssid && (strlen(ssid) > 32 || fields_has_ctl(ssid))) {
        ERR(c, yamltree_get(wifi, "ssid"), "wifi ssid must be 1-32 bytes without control characters");
        ssid = NULL;
    }
    const char *env = get_str(c, wifi, "psk_env", true);
    if (env) {
        bool good = strlen(env) <= 64 && !(env[0] >= '0' && env[0] <= '9');
        for (const char *p = env; *p; p++)
            if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
                good = false;
        if (!good) {
            ERR(c, yamltree_get(wifi, "psk_env"),
                "psk_env %s must name an environment variable (A-Z, 0-9, '_') that holds the Wi-Fi "
                "passphrase at render time; the passphrase itself never goes into the inventory",
                inventory_quoted(env, q, sizeof q));
            env = NULL;
        }
    }
    const char *country = get_str(c, wifi, "country", true);
    if (country &&
        !(strlen(country) == 2 && country[0] >= 'A' && country[0] <= 'Z' && country[1] >= 'A' && country[1] <= 'Z')) {
        ERR(c, yamltree_get(wifi, "country"),
            "wifi country %s must be a two-letter upper-case ISO 3166 code such as DE or US "
            "(the radio stays off without a regulatory domain)",
            inventory_quoted(country, q, sizeof q));
        country = NULL;
    }
    ok = ssid && env && country;
    if (ok) {
        inv->has_wifi = true;
        inv->wifi_ssid = ssid;
        inv->wifi_psk_env = env;
        inv->wifi_country = country;
    }
}

static void load_network(inventory_ctx *c, const yamltree_node *root)
{
    static const char *const keys[] = {"mode", "interface", "subnet", "gateway", "dns", "wifi", NULL};
    inventory *inv = c->inv;
    const yamltree_node *net = get_kind(c, root, "network", YAMLTREE_MAP, true);
    char q[64];

    if (!net)
        return;
    check_keys(c, net, keys);

    const char *mode = get_str(c, net, "mode", false);
    inv->net_mode = INVENTORY_NET_STATIC;
    if (mode && strcmp(mode, "dhcp") == 0)
        inv->net_mode = INVENTORY_NET_DHCP;
    else if (mode && strcmp(mode, "static") != 0)
        ERR(c, yamltree_get(net, "mode"), "network mode %s must be static or dhcp",
            inventory_quoted(mode, q, sizeof q));

    inv->iface = get_str(c, net, "interface", false);
    if (!inv->iface) {
        inv->iface = "eth0";
    } else if (strlen(inv->iface) > 15 || !fields_chars_in(inv->iface, "")) {
        ERR(c, yamltree_get(net, "interface"), "interface %s must be a Linux interface name such as eth0",
            inventory_quoted(inv->iface, q, sizeof q));
    }

    const char *subnet = get_str(c, net, "subnet", true);
    if (subnet) {
        int r = ipv4_cidr_parse(subnet, &inv->subnet, &inv->prefix);
        if (r == IPV4_EHOSTBITS) {
            char fix[IPV4_STRLEN];
            ERR(c, yamltree_get(net, "subnet"), "subnet %s has host bits set; did you mean %s/%u?",
                inventory_quoted(subnet, q, sizeof q), ipv4_format(inv->subnet, fix), inv->prefix);
        } else if (r < 0) {
            ERR(c, yamltree_get(net, "subnet"),
                "subnet %s must be an IPv4 network ADDRESS/PREFIX with a prefix of 8..30, e.g. 192.168.10.0/24",
                inventory_quoted(subnet, q, sizeof q));
        } else {
            c->subnet_ok = true;
        }
    }

    const char *gw = get_str(c, net, "gateway", false);
    if (gw) {
        c->gateway_node = yamltree_get(net, "gateway");
        if (ipv4_parse(gw, &inv->gateway) < 0)
            ERR(c, c->gateway_node, "gateway %s is not an IPv4 address", inventory_quoted(gw, q, sizeof q));
        else
            inv->has_gateway = true;
    }

    const yamltree_node *dns = yamltree_get(net, "dns");
    if (dns) {
        if (dns->kind == YAMLTREE_SCALAR) {
            ERR(c, dns, "dns must be a sequence of addresses, e.g. [192.168.10.1, 9.9.9.9]");
        } else if (dns->kind == YAMLTREE_SEQ) {
            if (dns->n > INVENTORY_MAX_DNS)
                ERR(c, dns->items[INVENTORY_MAX_DNS], "at most %d DNS servers (the resolver ignores the rest)",
                    INVENTORY_MAX_DNS);
            for (size_t i = 0; i < dns->n && i < INVENTORY_MAX_DNS; i++) {
                const yamltree_node *a = dns->items[i];
                uint32_t ip;
                if (a->kind != YAMLTREE_SCALAR || ipv4_parse(a->str, &ip) < 0)
                    ERR(c, a, "dns server %s is not an IPv4 address",
                        a->kind == YAMLTREE_SCALAR ? inventory_quoted(a->str, q, sizeof q) : "(not a string)");
                else
                    inv->dns[inv->n_dns++] = ip;
            }
        } else if (dns->kind != YAMLTREE_NULL) {
            ERR(c, dns, "dns must be a sequence of addresses");
        }
    }

    const yamltree_node *wifi = yamltree_get(net, "wifi");
    if (wifi && wifi->kind != YAMLTREE_NULL) {
        if (wifi->kind != YAMLTREE_MAP)
            ERR(c, wifi, "wifi must be a mapping with ssid, psk_env and country");
        else
            load_wifi(c, wifi);
    }

    if (inv->net_mode == INVENTORY_NET_STATIC) {
        if (!dns || dns->kind == YAMLTREE_NULL || (dns->kind == YAMLTREE_SEQ && dns->n == 0))
            ERR(c, net, "static network needs \"dns\": at least one DNS server address");
        if (!gw && !wifi)
            ERR(c, net,
                "static network needs a \"gateway\" (or a \"wifi\" uplink on the server, which then "
                "routes for the cluster): nodes download k3s and images");
    }
}

static void load_pipeline(inventory_ctx *c, const yamltree_node *root)
{
    static const char *const keys[] = {"git_url", "branch", NULL};
    inventory *inv = c->inv;
    const yamltree_node *p = get_kind(c, root, "pipeline", YAMLTREE_MAP, true);
    char q[64];

    if (!p)
        return;
    check_keys(c, p, keys);
    inv->git_url = get_str(c, p, "git_url", true);
    if (inv->git_url &&
        (strlen(inv->git_url) > 512 || fields_has_ctl_or_space(inv->git_url) || strpbrk(inv->git_url, "\"'`\\$"))) {
        ERR(c, yamltree_get(p, "git_url"), "git_url %s must be a repository URL without spaces or quotes",
            inventory_quoted(inv->git_url, q, sizeof q));
        inv->git_url = NULL;
    }
    inv->git_branch = get_str(c, p, "branch", false);
    if (!inv->git_branch) {
        inv->git_branch = "main";
    } else if (strlen(inv->git_branch) > 200 || inv->git_branch[0] == '-' ||
               !fields_chars_in(inv->git_branch, "._/-") || strstr(inv->git_branch, "..")) {
        ERR(c, yamltree_get(p, "branch"), "branch %s must be a git branch name (A-Z, a-z, 0-9, '.', '_', '/', '-')",
            inventory_quoted(inv->git_branch, q, sizeof q));
    }
}

static void load_node(inventory_ctx *c, size_t idx, const yamltree_node *m)
{
    static const char *const keys[] = {"host", "ip", "role", "arch", "labels", "taints", NULL};
    inventory_node *n = &c->inv->nodes[idx];
    char q[64];

    check_keys(c, m, keys);
    c->node_maps[idx] = m;
    n->host = get_str(c, m, "host", true);
    c->host_nodes[idx] = yamltree_get(m, "host");
    if (n->host && !fields_dns_label_ok(n->host, strlen(n->host))) {
        ERR(c, c->host_nodes[idx], "host %s must be a DNS label (a-z, 0-9, '-', at most 63)",
            inventory_quoted(n->host, q, sizeof q));
        n->host = NULL;
    }

    const char *ip = get_str(c, m, "ip", true);
    c->ip_nodes[idx] = yamltree_get(m, "ip");
    if (ip) {
        if (ipv4_parse(ip, &n->ip) < 0)
            ERR(c, c->ip_nodes[idx], "ip %s is not an IPv4 address", inventory_quoted(ip, q, sizeof q));
        else
            c->ip_ok[idx] = true;
    }

    const char *role = get_str(c, m, "role", true);
    c->role_nodes[idx] = yamltree_get(m, "role");
    n->role = INVENTORY_ROLE_AGENT;
    if (role && strcmp(role, "server") == 0)
        n->role = INVENTORY_ROLE_SERVER;
    else if (role && strcmp(role, "agent") != 0)
        ERR(c, c->role_nodes[idx], "unknown role %s (expected server or agent)", inventory_quoted(role, q, sizeof q));

    const char *arch = get_str(c, m, "arch", true);
    if (arch && strcmp(arch, "arm64") == 0) {
        n->arch = INVENTORY_ARCH_ARM64;
    } else if (arch && strcmp(arch, "armhf") == 0) {
        n->arch = INVENTORY_ARCH_ARMHF;
    } else if (arch) {
        const char *hint = "";
        if (strcmp(arch, "aarch64") == 0 || strcmp(arch, "arm64v8") == 0)
            hint = "; did you mean arm64?";
        else if (strcmp(arch, "armv7") == 0 || strcmp(arch, "armv7l") == 0 || strcmp(arch, "arm") == 0 ||
                 strcmp(arch, "arm32") == 0)
            hint = "; did you mean armhf?";
        ERR(c, yamltree_get(m, "arch"), "unknown arch %s (expected arm64 or armhf)%s",
            inventory_quoted(arch, q, sizeof q), hint);
    }

    const yamltree_node *labels = yamltree_get(m, "labels");
    if (labels && labels->kind != YAMLTREE_NULL) {
        if (labels->kind != YAMLTREE_MAP) {
            ERR(c, labels, "labels must be a mapping of key: value");
        } else if ((n->labels = alloc_array(c, labels->n, sizeof *n->labels)) != NULL) {
            for (size_t i = 0; i < labels->n; i++) {
                const yamltree_node *k = labels->keys[i], *v = labels->vals[i];
                const char *why = fields_label_key_problem(k->str);
                if (why) {
                    ERR(c, k, "label key %s %s", inventory_quoted(k->str, q, sizeof q), why);
                    continue;
                }
                const char *val = v->kind == YAMLTREE_SCALAR ? v->str : v->kind == YAMLTREE_NULL ? "" : NULL;
                if (!val || !fields_label_value_ok(val)) {
                    ERR(c, v,
                        "label value for %s must be at most 63 characters [A-Za-z0-9._-], starting and "
                        "ending with a letter or digit",
                        inventory_quoted(k->str, q, sizeof q));
                    continue;
                }
                n->labels[n->n_labels].key = k->str;
                n->labels[n->n_labels].value = val;
                n->n_labels++;
            }
        }
    }

    const yamltree_node *taints = yamltree_get(m, "taints");
    if (taints && taints->kind != YAMLTREE_NULL) {
        if (taints->kind != YAMLTREE_SEQ) {
            ERR(c, taints, "taints must be a sequence of \"key[=value]:Effect\"");
        } else if ((n->taints = alloc_array(c, taints->n, sizeof *n->taints)) != NULL) {
            for (size_t i = 0; i < taints->n; i++) {
                const yamltree_node *t = taints->items[i];
                const char *why = t->kind == YAMLTREE_SCALAR ? fields_taint_problem(t->str) : "must be a string";
                if (why) {
                    ERR(c, t, "taint %s %s", t->kind == YAMLTREE_SCALAR ? inventory_quoted(t->str, q, sizeof q) : "",
                        why);
                    continue;
                }
                n->taints[n->n_taints++] = t->str;
            }
        }
    }
}

static void load_nodes(inventory_ctx *c, const yamltree_node *root)
{
    inventory *inv = c->inv;
    const yamltree_node *seq = yamltree_get(root, "nodes");

    c->nodes_key = yamltree_get_key(root, "nodes");
    if (!seq) {
        ERR(c, root, "missing key \"nodes\": the cluster needs one server and any number of agents");
        return;
    }
    if (seq->kind != YAMLTREE_SEQ || seq->n == 0) {
        ERR(c, seq, "nodes must be a non-empty sequence of nodes (host, ip, role, arch)");
        return;
    }
    if (seq->n > INVENTORY_MAX_NODES) {
        ERR(c, seq, "too many nodes (%zu; at most %d)", seq->n, INVENTORY_MAX_NODES);
        return;
    }
    inv->nodes = alloc_array(c, seq->n, sizeof *inv->nodes);
    c->node_maps = alloc_array(c, seq->n, sizeof *c->node_maps);
    c->ip_nodes = alloc_array(c, seq->n, sizeof *c->ip_nodes);
    c->host_nodes = alloc_array(c, seq->n, sizeof *c->host_nodes);
    c->role_nodes = alloc_array(c, seq->n, sizeof *c->role_nodes);
    c->ip_ok = alloc_array(c, seq->n, sizeof *c->ip_ok);
    if (c->oom)
        return;
    inv->n_nodes = seq->n;
    for (size_t i = 0; i < seq->n; i++) {
        const yamltree_node *m = seq->items[i];
        if (m->kind != YAMLTREE_MAP) {
            ERR(c, m, "each node must be a mapping with host, ip, role and arch");
            continue;
        }
        load_node(c, i, m);
    }
}


static int finish(inventory_ctx *c, int rc)
{
    free(c->node_maps);
    free(c->ip_nodes);
    free(c->host_nodes);
    free(c->role_nodes);
    free(c->ip_ok);
    return rc;
}

static int validate(inventory *inv, diag_list *d)
{
    static const char *const keys[] = {
        "cluster", "domain",   "k3s_version", "timezone", "locale", "user", "ssh_authorized_keys",
        "network", "pipeline", "nodes",       NULL};
    inventory_ctx c;
    size_t errors_before = d->errors;

    memset(&c, 0, sizeof c);
    c.inv = inv;
    c.d = d;
    c.doc = &inv->doc;
    inv->file = inv->doc.file;

    const yamltree_node *root = inv->doc.root;
    if (!root) {
        yamltree_node at = {.kind = YAMLTREE_NULL, .line = 1, .col = 1};
        ERR(&c, &at,
            "empty inventory: expected a mapping with cluster, k3s_version, ssh_authorized_keys, "
            "network, pipeline and nodes");
        return finish(&c, INVENTORY_EINVALID);
    }
    if (root->kind != YAMLTREE_MAP) {
        ERR(&c, root,
            "the inventory must be a mapping (cluster, k3s_version, ssh_authorized_keys, network, "
            "pipeline, nodes)");
        return finish(&c, INVENTORY_EINVALID);
    }
    check_keys(&c, root, keys);
    load_top(&c, root);
    load_ssh_keys(&c, root);
    load_network(&c, root);
    load_pipeline(&c, root);
    load_nodes(&c, root);
    if (c.oom)
        return finish(&c, INVENTORY_ENOMEM);
    inventory_cross_check(&c, root);
    if (!inv->domain && inv->cluster) {
        size_t n = strlen(inv->cluster) + sizeof ".local";
        char *dom = malloc(n);
        if (!dom)
            return finish(&c, INVENTORY_ENOMEM);
        snprintf(dom, n, "%s.local", inv->cluster);
        inv->domain = inv->owned_domain = dom;
    }
    return finish(&c, d->errors > errors_before ? INVENTORY_EINVALID : INVENTORY_OK);
}

void inventory_fini(inventory *inv)
{
    free(inv->owned_domain);
    for (size_t i = 0; i < inv->n_nodes; i++) {
        free(inv->nodes[i].labels);
        free(inv->nodes[i].taints);
    }
    free(inv->nodes);
    free(inv->ssh_keys);
    yamltree_fini(&inv->doc);
    memset(inv, 0, sizeof *inv);
}

static int after_load(inventory *inv, diag_list *d)
{
    int rc = validate(inv, d);
    if (rc != INVENTORY_OK)
        inventory_fini(inv);
    return rc;
}

int inventory_load(inventory *inv, const char *path, diag_list *d)
{
    yamltree_error e;

    memset(inv, 0, sizeof *inv);
    if (yamltree_load_file(&inv->doc, path, &e) < 0) {
        diag_add(d, false, e.msg);
        memset(inv, 0, sizeof *inv);
        return INVENTORY_EINVALID;
    }
    return after_load(inv, d);
}

int inventory_load_string(inventory *inv, const char *name, const char *data, size_t len, diag_list *d)
{
    yamltree_error e;

    memset(inv, 0, sizeof *inv);
    if (yamltree_load_string(&inv->doc, name, data, len, &e) < 0) {
        diag_add(d, false, e.msg);
        memset(inv, 0, sizeof *inv);
        return INVENTORY_EINVALID;
    }
    return after_load(inv, d);
}

bool inventory_server_routes(const inventory *inv)
{
    return inv->net_mode == INVENTORY_NET_STATIC && inv->has_wifi && !inv->has_gateway;
}

bool inventory_node_gateway(const inventory *inv, size_t node, uint32_t *gw)
{
    if (inv->has_gateway) {
        *gw = inv->gateway;
        return true;
    }
    if (inventory_server_routes(inv) && node != inv->server) {
        *gw = inv->nodes[inv->server].ip;
        return true;
    }
    return false;
}

const char *inventory_role_name(enum inventory_role r)
{
    return r == INVENTORY_ROLE_SERVER ? "server" : "agent";
}

const char *inventory_arch_name(enum inventory_arch a)
{
    return a == INVENTORY_ARCH_ARM64 ? "arm64" : "armhf";
}
