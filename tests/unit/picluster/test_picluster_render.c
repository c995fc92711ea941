/* test_picluster_render.c - YAML writers, gz+b64, secrets.env and the rendered cloud-init
 * files (read back with the YAML loader, so what is checked is what cloud-init sees). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base64.h"
#include "picluster/inventory.h"
#include "picluster/render.h"
#include "picluster/secrets.h"
#include "picluster/yamlout.h"
#include "yamltree.h"

/* Emits "v: <scalar>" with yamlout_str and reads it back. */
static void roundtrip_str(const char *s)
{
    buf b = BUF_INIT;
    yamltree_doc doc;
    yamltree_error e;
    buf_puts(&b, "v: ");
    assert_int_equal(yamlout_str(&b, s), 0);
    buf_putc(&b, '\n');
    if (yamltree_load_string(&doc, "t", b.data, b.len, &e) < 0)
        fail_msg("%s: %s", b.data, e.msg);
    const yamltree_node *v = yamltree_get(doc.root, "v");
    assert_non_null(v);
    assert_int_equal(v->kind, YAMLTREE_SCALAR);
    assert_string_equal(v->str, s);
    yamltree_fini(&doc);
    buf_fini(&b);
}

static void test_yaml_str(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "",
        "plain",
        "with \"quotes\" and \\backslash\\",
        "line\nbreak",
        "tab\there",
        "ctl\x01\x02\x1f\x7f",
        "# not a comment",
        "- not a list",
        "key: value",
        "{flow}",
        "[seq]",
        "*alias",
        "&anchor",
        "!tag",
        "yes",
        "null",
        "~",
        "0x10",
        "1e3",
        " leading and trailing ",
        "unicode \xc3\xa9\xe2\x82\xac",
        "separators \xc2\x85 \xe2\x80\xa8 \xe2\x80\xa9",
        "%directive",
        "@at `tick`",
        "'single'",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        roundtrip_str(cases[i]);
}

static void roundtrip_block(const char *text, bool want_literal)
{
    buf b = BUF_INIT;
    yamltree_doc doc;
    yamltree_error e;
    buf_puts(&b, "outer:\n  v: ");
    assert_int_equal(yamlout_block(&b, text, strlen(text), 4), 0);
    buf_puts(&b, "  after: 1\n");
    if (yamltree_load_string(&doc, "t", b.data, b.len, &e) < 0)
        fail_msg("%s: %s", b.data, e.msg);
    const yamltree_node *v = yamltree_get(yamltree_get(doc.root, "outer"), "v");
    assert_non_null(v);
    assert_string_equal(v->str, text);
    assert_non_null(yamltree_get(yamltree_get(doc.root, "outer"), "after"));
    assert_int_equal(strstr(b.data, "v: |") != NULL, want_literal);
    yamltree_fini(&doc);
    buf_fini(&b);
}

static void test_yaml_block(void **state)
{
    (void)state;
    roundtrip_block("#!/bin/sh\necho \"$x\" 'y'\n\n  indented: yes\n\ttab\n", true);
    roundtrip_block("no final newline", true);
    roundtrip_block("a\n", true);
    roundtrip_block(" leading space\n", false); /* would need an indentation indicator */
    roundtrip_block("two newlines\n\n", false);
    roundtrip_block("cr\r\nlf\n", false);
    roundtrip_block("ctl\x01\n", false);
    roundtrip_block("blank line of spaces\n   \nend\n", false);
    roundtrip_block("\nstarts with newline\n", false);
    /* An embedded NUL is refused, not cut. */
    buf b = BUF_INIT;
    assert_int_equal(yamlout_block(&b, "a\0b\n", 4, 2), -1);
    buf_fini(&b);
}

static void test_gzip_b64(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 100, 70000};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k];
        char *in = malloc(n + 1);
        assert_non_null(in);
        for (size_t i = 0; i < n; i++)
            in[i] = (char)("apiVersion: v1\nkind: x\n\0\xff"[i % 25]);
        buf b = BUF_INIT, b2 = BUF_INIT;
        assert_int_equal(yamlout_gzip_b64(&b, in, n), 0);
        assert_int_equal(yamlout_gzip_b64(&b2, in, n), 0);
        assert_int_equal(b.len, b2.len); /* deterministic: mtime 0 */
        assert_memory_equal(b.data, b2.data, b.len);
        assert_null(memchr(b.data, '\n', b.len)); /* one line */
        size_t cap = base64_decoded_max(b.len), glen = 0;
        uint8_t *gz = malloc(cap + 1);
        assert_non_null(gz);
        assert_int_equal(base64_decode(b.data, b.len, gz, cap, &glen), 0);
        assert_true(glen >= 18 && gz[0] == 0x1f && gz[1] == 0x8b); /* gzip magic */
        assert_int_equal(gz[4] | gz[5] | gz[6] | gz[7], 0);        /* mtime 0 */
        char *out = malloc(n + 16);
        assert_non_null(out);
        z_stream z;
        memset(&z, 0, sizeof z);
        assert_int_equal(inflateInit2(&z, 16 + 15), Z_OK);
        z.next_in = gz;
        z.avail_in = (uInt)glen;
        z.next_out = (Bytef *)out;
        z.avail_out = (uInt)(n + 16);
        assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
        assert_int_equal(z.total_out, n);
        assert_memory_equal(out, in, n);
        inflateEnd(&z);
        free(out);
        free(gz);
        free(in);
        buf_fini(&b);
        buf_fini(&b2);
    }
}

static const struct {
    const char *name;
    const char *text;
    int rc;
    const char *err;
} secret_cases[] = {
    {"ok",
     "# c\nK3S_TOKEN=0123456789abcdef0123456789abcdef\nJENKINS_ADMIN_USER=admin\n"
     "JENKINS_ADMIN_PASSWORD=aaaaaaaaaaaaaaaa\nGRAFANA_ADMIN_PASSWORD=bbbbbbbbbbbbbbbb\n",
     0, NULL},
    {"crlf",
     "K3S_TOKEN=0123456789abcdef0123456789abcdef\r\nJENKINS_ADMIN_PASSWORD=aaaaaaaaaaaaaaaa\r\n"
     "GRAFANA_ADMIN_PASSWORD=bbbbbbbbbbbbbbbb",
     0, NULL},
    {"missing", "K3S_TOKEN=0123456789abcdef0123456789abcdef\nJENKINS_ADMIN_PASSWORD=aaaaaaaaaaaaaaaa\n", -1,
     "s.env: missing GRAFANA_ADMIN_PASSWORD"},
    {"short", "K3S_TOKEN=abc\n", -1, "s.env:1: value must be 16..128"},
    {"quote", "K3S_TOKEN=\"0123456789abcdef0123\"\n", -1, "s.env:1: value must be"},
    {"space", "K3S_TOKEN=0123456789abcdef 0123\n", -1, "s.env:1: value must be"},
    {"unknown", "\n\nTOKEN=0123456789abcdef0123\n", -1, "s.env:3: unknown key"},
    {"twice", "K3S_TOKEN=0123456789abcdef0123\nK3S_TOKEN=0123456789abcdef0123\n", -1, "s.env:2: key given twice"},
    {"no equals", "K3S_TOKEN\n", -1, "s.env:1: expected KEY=VALUE"},
    {"nul", "K3S_TOKEN=0123456789abcdef\0x123\n", -1, "s.env:1: value must be"},
};

static void test_secrets(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof secret_cases / sizeof secret_cases[0]; i++) {
        secrets s;
        char err[256] = "";
        const char *t = secret_cases[i].text;
        size_t len = strlen(t);
        if (strcmp(secret_cases[i].name, "nul") == 0)
            len = 31;
        int rc = secrets_parse(&s, "s.env", t, len, err, sizeof err);
        if (rc != secret_cases[i].rc || (secret_cases[i].err && !strstr(err, secret_cases[i].err)))
            fail_msg("case %s: rc %d err \"%s\"", secret_cases[i].name, rc, err);
    }
    /* Generated secrets have the documented shape, differ between calls, and survive
     * format + parse. */
    secrets a, b, c;
    assert_int_equal(secrets_generate(&a), 0);
    assert_int_equal(secrets_generate(&b), 0);
    assert_int_equal(strlen(a.k3s_token), 64);
    assert_int_equal(strlen(a.jenkins_password), 32);
    assert_int_equal(strspn(a.k3s_token, "0123456789abcdef"), 64);
    assert_string_not_equal(a.k3s_token, b.k3s_token);
    assert_string_not_equal(a.jenkins_password, a.grafana_password);
    buf f = BUF_INIT;
    assert_int_equal(secrets_format(&a, "lab", &f), 0);
    char err[256];
    assert_int_equal(secrets_parse(&c, "f", f.data, f.len, err, sizeof err), 0);
    assert_string_equal(c.k3s_token, a.k3s_token);
    assert_string_equal(c.grafana_password, a.grafana_password);
    buf_fini(&f);
    char hex[9];
    assert_int_equal(secrets_random_hex(hex, 4), 0);
    assert_int_equal(strlen(hex), 8);
    assert_int_equal(secrets_random_hex(hex, 65), -1);
}

#define KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHBpdGVzdGJlZC1leGFtcGxlLWtleS1yZXBsYWNlLW1l me@x"

static const char inventory_yaml[] =
    "cluster: lab\nk3s_version: v1.32.5+k3s1\nssh_authorized_keys: [\"" KEY "\"]\n"
    "network:\n  subnet: 10.0.0.0/24\n  dns: [9.9.9.9]\n"
    "  wifi: {ssid: \"we\\\"ird: #ssid\", psk_env: P, country: DE}\n"
    "pipeline: {git_url: \"https://example.org/x.git\", branch: dev}\n"
    "nodes:\n"
    "  - {host: srv, ip: 10.0.0.2, role: server, arch: arm64, labels: {a/b: c}, taints: [\"t=v:NoSchedule\"]}\n"
    "  - {host: ag, ip: 10.0.0.3, role: agent, arch: armhf}\n";

static const yamltree_node *write_file_entry(const yamltree_doc *doc, const char *path)
{
    const yamltree_node *wf = yamltree_get(doc->root, "write_files");
    assert_non_null(wf);
    for (size_t i = 0; i < wf->n; i++) {
        const yamltree_node *p = yamltree_get(wf->items[i], "path");
        if (p && strcmp(p->str, path) == 0)
            return wf->items[i];
    }
    return NULL;
}

static void test_render(void **state)
{
    (void)state;
    inventory inv;
    diag_list d;
    diag_init(&d);
    assert_int_equal(inventory_load_string(&inv, "inv.yaml", inventory_yaml, strlen(inventory_yaml), &d), INVENTORY_OK);
    secrets sec;
    assert_int_equal(secrets_generate(&sec), 0);
    static const char platform[] = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n";
    render_in in = {&inv, &sec, platform, strlen(platform), "pass phrase \"q\"", "abcd1234", "test"};

    buf b = BUF_INIT;
    yamltree_doc doc;
    yamltree_error e;

    /* Server user-data. */
    assert_int_equal(render_user_data(&in, 0, &b), 0);
    assert_memory_equal(b.data, "#cloud-config\n", 14);
    assert_null(strstr(b.data, "plain_text_passwd"));
    assert_null(strstr(b.data, " passwd:"));
    assert_null(strstr(b.data, "hashed_passwd"));
    assert_null(strstr(b.data, "chpasswd"));
    assert_non_null(strstr(b.data, "lock_passwd: true"));
    assert_non_null(strstr(b.data, "ssh_pwauth: false"));
    if (yamltree_load_string(&doc, "user-data", b.data, b.len, &e) < 0)
        fail_msg("%s", e.msg);
    assert_string_equal(yamltree_get(doc.root, "hostname")->str, "srv");
    const yamltree_node *users = yamltree_get(doc.root, "users");
    assert_string_equal(yamltree_get(users->items[0], "ssh_authorized_keys")->items[0]->str, KEY);
    const yamltree_node *cfg = write_file_entry(&doc, "/etc/rancher/k3s/config.yaml");
    assert_non_null(cfg);
    assert_string_equal(yamltree_get(cfg, "permissions")->str, "0600");
    yamltree_doc k3s;
    const yamltree_node *content = yamltree_get(cfg, "content");
    assert_int_equal(yamltree_load_string(&k3s, "config.yaml", content->str, content->len, &e), 0);
    assert_string_equal(yamltree_get(k3s.root, "token")->str, sec.k3s_token);
    assert_string_equal(yamltree_get(k3s.root, "node-ip")->str, "10.0.0.2");
    assert_null(yamltree_get(k3s.root, "server"));
    assert_string_equal(yamltree_get(k3s.root, "node-label")->items[0]->str, "a/b=c");
    assert_string_equal(yamltree_get(k3s.root, "node-taint")->items[0]->str, "t=v:NoSchedule");
    yamltree_fini(&k3s);
    const yamltree_node *plat = write_file_entry(&doc, RENDER_MANIFEST_DIR "/pitestbed-platform.yaml");
    assert_non_null(plat);
    assert_string_equal(yamltree_get(plat, "encoding")->str, "gz+b64");
    const yamltree_node *gen = write_file_entry(&doc, RENDER_MANIFEST_DIR "/pitestbed-generated.yaml");
    assert_non_null(gen);
    assert_non_null(strstr(yamltree_get(gen, "content")->str, sec.jenkins_password));
    assert_non_null(strstr(yamltree_get(gen, "content")->str, "GIT_BRANCH: \"dev\""));
    assert_non_null(write_file_entry(&doc, "/etc/pitestbed/uplink.nft")); /* server routes */
    const yamltree_node *hosts = write_file_entry(&doc, "/etc/hosts");
    assert_non_null(
        strstr(yamltree_get(hosts, "content")->str, "10.0.0.2 srv.lab.local srv " RENDER_REGISTRY_HOST "\n"));
    assert_non_null(strstr(yamltree_get(hosts, "content")->str, "10.0.0.3 ag.lab.local ag\n"));
    yamltree_fini(&doc);

    /* Agent user-data: joins the server; no platform, no generated secrets. */
    buf_reset(&b);
    assert_int_equal(render_user_data(&in, 1, &b), 0);
    assert_int_equal(yamltree_load_string(&doc, "user-data", b.data, b.len, &e), 0);
    assert_null(write_file_entry(&doc, RENDER_MANIFEST_DIR "/pitestbed-platform.yaml"));
    assert_null(write_file_entry(&doc, RENDER_MANIFEST_DIR "/pitestbed-generated.yaml"));
    assert_null(strstr(b.data, sec.jenkins_password));
    content = yamltree_get(write_file_entry(&doc, "/etc/rancher/k3s/config.yaml"), "content");
    assert_int_equal(yamltree_load_string(&k3s, "config.yaml", content->str, content->len, &e), 0);
    assert_string_equal(yamltree_get(k3s.root, "server")->str, "https://10.0.0.2:6443");
    assert_string_equal(yamltree_get(k3s.root, "token")->str, sec.k3s_token);
    yamltree_fini(&k3s);
    yamltree_fini(&doc);

    /* Server network-config: hostile SSID and passphrase survive quoting. */
    buf_reset(&b);
    assert_int_equal(render_network_config(&in, 0, &b), 0);
    assert_int_equal(yamltree_load_string(&doc, "network-config", b.data, b.len, &e), 0);
    const yamltree_node *aps =
        yamltree_get(yamltree_get(yamltree_get(yamltree_get(doc.root, "network"), "wifis"), "wlan0"), "access-points");
    assert_non_null(aps);
    assert_string_equal(aps->keys[0]->str, "we\"ird: #ssid");
    assert_string_equal(yamltree_get(aps->vals[0], "password")->str, "pass phrase \"q\"");
    assert_null(yamltree_get(yamltree_get(yamltree_get(doc.root, "network"), "ethernets")->vals[0], "routes"));
    yamltree_fini(&doc);

    /* Agent network-config: default route via the server (it routes for the cluster). */
    buf_reset(&b);
    assert_int_equal(render_network_config(&in, 1, &b), 0);
    assert_non_null(strstr(b.data, "via: \"10.0.0.2\""));
    assert_null(strstr(b.data, "wifis"));

    buf_reset(&b);
    assert_int_equal(render_meta_data(&in, 1, &b), 0);
    assert_string_equal(b.data, "instance-id: lab-ag-abcd1234\nlocal-hostname: ag\n");
    buf_reset(&b);
    assert_int_equal(render_cmdline(&b), 0);
    assert_string_equal(b.data, " cgroup_memory=1 cgroup_enable=memory\n");
    buf_reset(&b);
    assert_int_equal(render_readme(&in, &b), 0);
    assert_non_null(strstr(b.data, "Imager 2.0"));

    buf_fini(&b);
    inventory_fini(&inv);
    diag_fini(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yaml_str), cmocka_unit_test(test_yaml_block), cmocka_unit_test(test_gzip_b64),
        cmocka_unit_test(test_secrets),  cmocka_unit_test(test_render),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
