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

void pc_inv_problem(pc_inv_ctx *c, bool warning, const yt_node *at, const char *fmt, ...)
{
    char msg[512];
    yt_error e;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    yt_fail(c->doc, at, &e, "%s%s", warning ? "warning: " : "", msg);
    pc_diags_add(c->d, warning, e.msg);
}

#define ERR(c, at, ...)  pc_inv_problem((c), false, (at), __VA_ARGS__)
#define WARN(c, at, ...) pc_inv_problem((c), true, (at), __VA_ARGS__)

/* Quotes a value for a message: at most 40 bytes, '"', '\' and control bytes escaped. */
const char *pc_inv_quoted(const char *s, char *out, size_t cap)
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

/* Reports every unknown key of map (yt_check_keys stops at the first, so it is asked
 * about one key at a time through a one-pair view of the mapping). */
static void check_keys(pc_inv_ctx *c, const yt_node *map, const char *const *allowed)
{
    if (!map || map->kind != YT_MAP)
        return;
    for (size_t i = 0; i < map->n; i++) {
        yt_node *k = map->keys[i], *v = map->vals[i];
        yt_node one = *map;
        yt_error e;
        one.n = 1;
        one.keys = &k;
        one.vals = &v;
        if (yt_check_keys(c->doc, &one, allowed, &e) < 0)
            pc_diags_add(c->d, false, e.msg);
    }
}

/* Fetches map[key] as a string. Missing: error if required (located at the mapping),
 * NULL. Wrong kind or empty: error, NULL. */
static const char *get_str(pc_inv_ctx *c, const yt_node *map, const char *key, bool required)
{
    const yt_node *v = map ? yt_get(map, key) : NULL;
    if (!v) {
        if (required && map)
            ERR(c, map, "missing key \"%s\"", key);
        return NULL;
    }
    if (v->kind != YT_SCALAR) {
        ERR(c, v, "%s must be a string, found %s", key,
            v->kind == YT_NULL ? "nothing" : v->kind == YT_SEQ ? "a sequence" : "a mapping");
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

static const yt_node *get_kind(pc_inv_ctx *c, const yt_node *map, const char *key, enum yt_kind kind,
                               bool required)
{
    static const char *const names[] = {"nothing", "a string", "a sequence", "a mapping"};
    const yt_node *v = map ? yt_get(map, key) : NULL;
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

static void *alloc_array(pc_inv_ctx *c, size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        c->oom = true;
    return p;
}

/* ---- sections ------------------------------------------------------------------ */

static void load_top(pc_inv_ctx *c, const yt_node *root)
{
    pc_inventory *inv = c->inv;
    char q[64];

    inv->cluster = get_str(c, root, "cluster", true);
    if (inv->cluster && !pc_dns_label_ok(inv->cluster, strlen(inv->cluster))) {
        ERR(c, yt_get(root, "cluster"), "cluster name %s must be a DNS label (a-z, 0-9, '-', at most 63)",
            pc_inv_quoted(inv->cluster, q, sizeof q));
        inv->cluster = NULL;
    }
    inv->domain = get_str(c, root, "domain", false);
    if (inv->domain && !pc_dns_name_ok(inv->domain)) {
        ERR(c, yt_get(root, "domain"), "domain %s must be a lower-case DNS name such as pitestbed.lan",
            pc_inv_quoted(inv->domain, q, sizeof q));
        inv->domain = NULL;
    }
    inv->k3s_version = get_str(c, root, "k3s_version", true);
    if (inv->k3s_version && !pc_k3s_version_ok(inv->k3s_version)) {
        ERR(c, yt_get(root, "k3s_version"),
            "k3s_version %s must be a pinned k3s release such as v1.32.5+k3s1 (no channel names)",
            pc_inv_quoted(inv->k3s_version, q, sizeof q));
        inv->k3s_version = NULL;
    }
    inv->timezone = get_str(c, root, "timezone", false);
    if (!inv->timezone)
        inv->timezone = "Etc/UTC";
    else if (strlen(inv->timezone) > 64 || inv->timezone[0] == '/' || strstr(inv->timezone, "..") ||
             !pc_chars_in(inv->timezone, "_+-/")) {
        ERR(c, yt_get(root, "timezone"), "timezone %s must be a tz database name such as Europe/Berlin",
            pc_inv_quoted(inv->timezone, q, sizeof q));
    }
    inv->locale = get_str(c, root, "locale", false);
    if (!inv->locale)
        inv->locale = "C.UTF-8";
    else if (strlen(inv->locale) > 64 || !pc_chars_in(inv->locale, "_.@-")) {
        ERR(c, yt_get(root, "locale"), "locale %s must look like en_US.UTF-8",
            pc_inv_quoted(inv->locale, q, sizeof q));
    }
    inv->user = get_str(c, root, "user", false);
    if (!inv->user) {
        inv->user = "pi";
    } else if (!pc_user_ok(inv->user) || strcmp(inv->user, "root") == 0) {
        ERR(c, yt_get(root, "user"),
            "user %s must be a login name (a-z, 0-9, '_', '-', at most 32) other than root",
            pc_inv_quoted(inv->user, q, sizeof q));
    }
}

static void load_ssh_keys(pc_inv_ctx *c, const yt_node *root)
{
    pc_inventory *inv = c->inv;
    const yt_node *seq = yt_get(root, "ssh_authorized_keys");

    if (!seq) {
        ERR(c, root, "missing key \"ssh_authorized_keys\": at least one SSH public key is needed "
                     "(logins are by key only; there is no password)");
        return;
    }
    if (seq->kind == YT_NULL || (seq->kind == YT_SEQ && seq->n == 0)) {
        ERR(c, yt_get_key(root, "ssh_authorized_keys"), "ssh_authorized_keys is empty: at least one SSH public key is needed "
                    "(logins are by key only; there is no password)");
        return;
    }
    if (seq->kind != YT_SEQ) {
        ERR(c, seq, "ssh_authorized_keys must be a sequence of public keys (\"- ssh-ed25519 AAAA... you@host\")");
        return;
    }
    inv->ssh_keys = alloc_array(c, seq->n, sizeof *inv->ssh_keys);
    if (!inv->ssh_keys)
        return;
    for (size_t i = 0; i < seq->n; i++) {
        const yt_node *k = seq->items[i];
        if (k->kind != YT_SCALAR || k->len == 0 || strlen(k->str) != k->len) {
            ERR(c, k, "each SSH key must be one non-empty line \"TYPE BASE64 [comment]\"");
            continue;
        }
        const char *why = pc_ssh_key_problem(k->str);
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

static void load_wifi(pc_inv_ctx *c, const yt_node *wifi)
{
    static const char *const keys[] = {"ssid", "psk_env", "country", NULL};
    pc_inventory *inv = c->inv;
    char q[64];
    bool ok = true;

    check_keys(c, wifi, keys);
    const char *ssid = get_str(c, wifi, "ssid", true);
    if (ssid && (strlen(ssid) > 32 || pc_has_ctl(ssid))) {
        ERR(c, yt_get(wifi, "ssid"), "wifi ssid must be 1-32 bytes without control characters");
        ssid = NULL;
    }
    const char *env = get_str(c, wifi, "psk_env", true);
    if (env) {
        bool good = strlen(env) <= 64 && !(env[0] >= '0' && env[0] <= '9');
        for (const char *p = env; *p; p++)
            if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
                good = false;
        if (!good) {
            ERR(c, yt_get(wifi, "psk_env"),
                "psk_env %s must name an environment variable (A-Z, 0-9, '_') that holds the Wi-Fi "
                "passphrase at render time; the passphrase itself never goes into the inventory",
                pc_inv_quoted(env, q, sizeof q));
            env = NULL;
        }
    }
    const char *country = get_str(c, wifi, "country", true);
    if (country && !(strlen(country) == 2 && country[0] >= 'A' && country[0] <= 'Z' &&
                     country[1] >= 'A' && country[1] <= 'Z')) {
        ERR(c, yt_get(wifi, "country"),
            "wifi country %s must be a two-letter upper-case ISO 3166 code such as DE or US "
            "(the radio stays off without a regulatory domain)", pc_inv_quoted(country, q, sizeof q));
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

static void load_network(pc_inv_ctx *c, const yt_node *root)
{
    static const char *const keys[] = {"mode", "interface", "subnet", "gateway", "dns", "wifi", NULL};
    pc_inventory *inv = c->inv;
    const yt_node *net = get_kind(c, root, "network", YT_MAP, true);
    char q[64];

    if (!net)
        return;
    check_keys(c, net, keys);

    const char *mode = get_str(c, net, "mode", false);
    inv->net_mode = PC_NET_STATIC;
    if (mode && strcmp(mode, "dhcp") == 0)
        inv->net_mode = PC_NET_DHCP;
    else if (mode && strcmp(mode, "static") != 0)
        ERR(c, yt_get(net, "mode"), "network mode %s must be static or dhcp",
            pc_inv_quoted(mode, q, sizeof q));

    inv->iface = get_str(c, net, "interface", false);
    if (!inv->iface) {
        inv->iface = "eth0";
    } else if (strlen(inv->iface) > 15 || !pc_chars_in(inv->iface, "")) {
        ERR(c, yt_get(net, "interface"), "interface %s must be a Linux interface name such as eth0",
            pc_inv_quoted(inv->iface, q, sizeof q));
    }

    const char *subnet = get_str(c, net, "subnet", true);
    if (subnet) {
        int r = pc_cidr_parse(subnet, &inv->subnet, &inv->prefix);
        if (r == PC_IPV4_EHOSTBITS) {
            char fix[PC_IPV4_STRLEN];
            ERR(c, yt_get(net, "subnet"), "subnet %s has host bits set; did you mean %s/%u?",
                pc_inv_quoted(subnet, q, sizeof q), pc_ipv4_format(inv->subnet, fix), inv->prefix);
        } else if (r < 0) {
            ERR(c, yt_get(net, "subnet"),
                "subnet %s must be an IPv4 network ADDRESS/PREFIX with a prefix of 8..30, e.g. 192.168.10.0/24",
                pc_inv_quoted(subnet, q, sizeof q));
        } else {
            c->subnet_ok = true;
        }
    }

    const char *gw = get_str(c, net, "gateway", false);
    if (gw) {
        c->gateway_node = yt_get(net, "gateway");
        if (pc_ipv4_parse(gw, &inv->gateway) < 0)
            ERR(c, c->gateway_node, "gateway %s is not an IPv4 address", pc_inv_quoted(gw, q, sizeof q));
        else
            inv->has_gateway = true;
    }

    const yt_node *dns = yt_get(net, "dns");
    if (dns) {
        if (dns->kind == YT_SCALAR) {
            ERR(c, dns, "dns must be a sequence of addresses, e.g. [192.168.10.1, 9.9.9.9]");
        } else if (dns->kind == YT_SEQ) {
            if (dns->n > PC_MAX_DNS)
                ERR(c, dns->items[PC_MAX_DNS], "at most %d DNS servers (the resolver ignores the rest)",
                    PC_MAX_DNS);
            for (size_t i = 0; i < dns->n && i < PC_MAX_DNS; i++) {
                const yt_node *a = dns->items[i];
                uint32_t ip;
                if (a->kind != YT_SCALAR || pc_ipv4_parse(a->str, &ip) < 0)
                    ERR(c, a, "dns server %s is not an IPv4 address",
                        a->kind == YT_SCALAR ? pc_inv_quoted(a->str, q, sizeof q) : "(not a string)");
                else
                    inv->dns[inv->n_dns++] = ip;
            }
        } else if (dns->kind != YT_NULL) {
            ERR(c, dns, "dns must be a sequence of addresses");
        }
    }

    const yt_node *wifi = yt_get(net, "wifi");
    if (wifi && wifi->kind != YT_NULL) {
        if (wifi->kind != YT_MAP)
            ERR(c, wifi, "wifi must be a mapping with ssid, psk_env and country");
        else
            load_wifi(c, wifi);
    }

    if (inv->net_mode == PC_NET_STATIC) {
        if (!dns || dns->kind == YT_NULL || (dns->kind == YT_SEQ && dns->n == 0))
            ERR(c, net, "static network needs \"dns\": at least one DNS server address");
        if (!gw && !wifi)
            ERR(c, net, "static network needs a \"gateway\" (or a \"wifi\" uplink on the server, which then "
                        "routes for the cluster): nodes download k3s and images");
    }
}

static void load_pipeline(pc_inv_ctx *c, const yt_node *root)
{
    static const char *const keys[] = {"git_url", "branch", NULL};
    pc_inventory *inv = c->inv;
    const yt_node *p = get_kind(c, root, "pipeline", YT_MAP, true);
    char q[64];

    if (!p)
        return;
    check_keys(c, p, keys);
    inv->git_url = get_str(c, p, "git_url", true);
    if (inv->git_url && (strlen(inv->git_url) > 512 || pc_has_ctl_or_space(inv->git_url) ||
                         strpbrk(inv->git_url, "\"'`\\$"))) {
        ERR(c, yt_get(p, "git_url"), "git_url %s must be a repository URL without spaces or quotes",
            pc_inv_quoted(inv->git_url, q, sizeof q));
        inv->git_url = NULL;
    }
    inv->git_branch = get_str(c, p, "branch", false);
    if (!inv->git_branch) {
        inv->git_branch = "main";
    } else if (strlen(inv->git_branch) > 200 || inv->git_branch[0] == '-' ||
               !pc_chars_in(inv->git_branch, "._/-") || strstr(inv->git_branch, "..")) {
        ERR(c, yt_get(p, "branch"), "branch %s must be a git branch name (A-Z, a-z, 0-9, '.', '_', '/', '-')",
            pc_inv_quoted(inv->git_branch, q, sizeof q));
    }
}

static void load_node(pc_inv_ctx *c, size_t idx, const yt_node *m)
{
    static const char *const keys[] = {"host", "ip", "role", "arch", "labels", "taints", NULL};
    pc_node *n = &c->inv->nodes[idx];
    char q[64];

    check_keys(c, m, keys);
    c->node_maps[idx] = m;
    n->host = get_str(c, m, "host", true);
    c->host_nodes[idx] = yt_get(m, "host");
    if (n->host && !pc_dns_label_ok(n->host, strlen(n->host))) {
        ERR(c, c->host_nodes[idx], "host %s must be a DNS label (a-z, 0-9, '-', at most 63)",
            pc_inv_quoted(n->host, q, sizeof q));
        n->host = NULL;
    }

    const char *ip = get_str(c, m, "ip", true);
    c->ip_nodes[idx] = yt_get(m, "ip");
    if (ip) {
        if (pc_ipv4_parse(ip, &n->ip) < 0)
            ERR(c, c->ip_nodes[idx], "ip %s is not an IPv4 address", pc_inv_quoted(ip, q, sizeof q));
        else
            c->ip_ok[idx] = true;
    }

    const char *role = get_str(c, m, "role", true);
    c->role_nodes[idx] = yt_get(m, "role");
    n->role = PC_ROLE_AGENT;
    if (role && strcmp(role, "server") == 0)
        n->role = PC_ROLE_SERVER;
    else if (role && strcmp(role, "agent") != 0)
        ERR(c, c->role_nodes[idx], "unknown role %s (expected server or agent)",
            pc_inv_quoted(role, q, sizeof q));

    const char *arch = get_str(c, m, "arch", true);
    if (arch && strcmp(arch, "arm64") == 0) {
        n->arch = PC_ARCH_ARM64;
    } else if (arch && strcmp(arch, "armhf") == 0) {
        n->arch = PC_ARCH_ARMHF;
    } else if (arch) {
        const char *hint = "";
        if (strcmp(arch, "aarch64") == 0 || strcmp(arch, "arm64v8") == 0)
            hint = "; did you mean arm64?";
        else if (strcmp(arch, "armv7") == 0 || strcmp(arch, "armv7l") == 0 || strcmp(arch, "arm") == 0 ||
                 strcmp(arch, "arm32") == 0)
            hint = "; did you mean armhf?";
        ERR(c, yt_get(m, "arch"), "unknown arch %s (expected arm64 or armhf)%s",
            pc_inv_quoted(arch, q, sizeof q), hint);
    }

    const yt_node *labels = yt_get(m, "labels");
    if (labels && labels->kind != YT_NULL) {
        if (labels->kind != YT_MAP) {
            ERR(c, labels, "labels must be a mapping of key: value");
        } else if ((n->labels = alloc_array(c, labels->n, sizeof *n->labels)) != NULL) {
            for (size_t i = 0; i < labels->n; i++) {
                const yt_node *k = labels->keys[i], *v = labels->vals[i];
                const char *why = pc_label_key_problem(k->str);
                if (why) {
                    ERR(c, k, "label key %s %s", pc_inv_quoted(k->str, q, sizeof q), why);
                    continue;
                }
                const char *val = v->kind == YT_SCALAR ? v->str : v->kind == YT_NULL ? "" : NULL;
                if (!val || !pc_label_value_ok(val)) {
                    ERR(c, v, "label value for %s must be at most 63 characters [A-Za-z0-9._-], starting and "
                              "ending with a letter or digit", pc_inv_quoted(k->str, q, sizeof q));
                    continue;
                }
                n->labels[n->n_labels].key = k->str;
                n->labels[n->n_labels].value = val;
                n->n_labels++;
            }
        }
    }

    const yt_node *taints = yt_get(m, "taints");
    if (taints && taints->kind != YT_NULL) {
        if (taints->kind != YT_SEQ) {
            ERR(c, taints, "taints must be a sequence of \"key[=value]:Effect\"");
        } else if ((n->taints = alloc_array(c, taints->n, sizeof *n->taints)) != NULL) {
            for (size_t i = 0; i < taints->n; i++) {
                const yt_node *t = taints->items[i];
                const char *why = t->kind == YT_SCALAR ? pc_taint_problem(t->str) : "must be a string";
                if (why) {
                    ERR(c, t, "taint %s %s", t->kind == YT_SCALAR ? pc_inv_quoted(t->str, q, sizeof q) : "",
                        why);
                    continue;
                }
                n->taints[n->n_taints++] = t->str;
            }
        }
    }
}

static void load_nodes(pc_inv_ctx *c, const yt_node *root)
{
    pc_inventory *inv = c->inv;
    const yt_node *seq = yt_get(root, "nodes");

    c->nodes_key = yt_get_key(root, "nodes");
    if (!seq) {
        ERR(c, root, "missing key \"nodes\": the cluster needs one server and any number of agents");
        return;
    }
    if (seq->kind != YT_SEQ || seq->n == 0) {
        ERR(c, seq, "nodes must be a non-empty sequence of nodes (host, ip, role, arch)");
        return;
    }
    if (seq->n > PC_MAX_NODES) {
        ERR(c, seq, "too many nodes (%zu; at most %d)", seq->n, PC_MAX_NODES);
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
        const yt_node *m = seq->items[i];
        if (m->kind != YT_MAP) {
            ERR(c, m, "each node must be a mapping with host, ip, role and arch");
            continue;
        }
        load_node(c, i, m);
    }
}


static int finish(pc_inv_ctx *c, int rc)
{
    free(c->node_maps);
    free(c->ip_nodes);
    free(c->host_nodes);
    free(c->role_nodes);
    free(c->ip_ok);
    return rc;
}

static int validate(pc_inventory *inv, pc_diags *d)
{
    static const char *const keys[] = {"cluster", "domain", "k3s_version", "timezone", "locale", "user",
                                       "ssh_authorized_keys", "network", "pipeline", "nodes", NULL};
    pc_inv_ctx c;
    size_t errors_before = d->errors;

    memset(&c, 0, sizeof c);
    c.inv = inv;
    c.d = d;
    c.doc = &inv->doc;
    inv->file = inv->doc.file;

    const yt_node *root = inv->doc.root;
    if (!root) {
        yt_node at = {.kind = YT_NULL, .line = 1, .col = 1};
        ERR(&c, &at, "empty inventory: expected a mapping with cluster, k3s_version, ssh_authorized_keys, "
                     "network, pipeline and nodes");
        return finish(&c, PC_EINVALID);
    }
    if (root->kind != YT_MAP) {
        ERR(&c, root, "the inventory must be a mapping (cluster, k3s_version, ssh_authorized_keys, network, "
                      "pipeline, nodes)");
        return finish(&c, PC_EINVALID);
    }
    check_keys(&c, root, keys);
    load_top(&c, root);
    load_ssh_keys(&c, root);
    load_network(&c, root);
    load_pipeline(&c, root);
    load_nodes(&c, root);
    if (c.oom)
        return finish(&c, PC_ENOMEM);
    pc_inv_cross_check(&c, root);
    if (!inv->domain && inv->cluster) {
        size_t n = strlen(inv->cluster) + sizeof ".local";
        char *dom = malloc(n);
        if (!dom)
            return finish(&c, PC_ENOMEM);
        snprintf(dom, n, "%s.local", inv->cluster);
        inv->domain = inv->owned_domain = dom;
    }
    return finish(&c, d->errors > errors_before ? PC_EINVALID : PC_OK);
}

void pc_inventory_free(pc_inventory *inv)
{
    free(inv->owned_domain);
    for (size_t i = 0; i < inv->n_nodes; i++) {
        free(inv->nodes[i].labels);
        free(inv->nodes[i].taints);
    }
    free(inv->nodes);
    free(inv->ssh_keys);
    yt_free(&inv->doc);
    memset(inv, 0, sizeof *inv);
}

static int after_load(pc_inventory *inv, pc_diags *d)
{
    int rc = validate(inv, d);
    if (rc != PC_OK)
        pc_inventory_free(inv);
    return rc;
}

int pc_inventory_load(pc_inventory *inv, const char *path, pc_diags *d)
{
    yt_error e;

    memset(inv, 0, sizeof *inv);
    if (yt_load_file(&inv->doc, path, &e) < 0) {
        pc_diags_add(d, false, e.msg);
        memset(inv, 0, sizeof *inv);
        return PC_EINVALID;
    }
    return after_load(inv, d);
}

int pc_inventory_load_string(pc_inventory *inv, const char *name, const char *data, size_t len,
                             pc_diags *d)
{
    yt_error e;

    memset(inv, 0, sizeof *inv);
    if (yt_load_string(&inv->doc, name, data, len, &e) < 0) {
        pc_diags_add(d, false, e.msg);
        memset(inv, 0, sizeof *inv);
        return PC_EINVALID;
    }
    return after_load(inv, d);
}

bool pc_inventory_server_routes(const pc_inventory *inv)
{
    return inv->net_mode == PC_NET_STATIC && inv->has_wifi && !inv->has_gateway;
}

bool pc_inventory_node_gateway(const pc_inventory *inv, size_t node, uint32_t *gw)
{
    if (inv->has_gateway) {
        *gw = inv->gateway;
        return true;
    }
    if (pc_inventory_server_routes(inv) && node != inv->server) {
        *gw = inv->nodes[inv->server].ip;
        return true;
    }
    return false;
}

const char *pc_role_name(enum pc_role r)
{
    return r == PC_ROLE_SERVER ? "server" : "agent";
}

const char *pc_arch_name(enum pc_arch a)
{
    return a == PC_ARCH_ARM64 ? "arm64" : "armhf";
}
