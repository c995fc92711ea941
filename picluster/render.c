/* render.c - cloud-init user-data, meta-data and network-config per node (see render.h).
 *
 * Every inventory string was validated to a safe character set, but it is still emitted
 * through yamlout_str wherever it lands in YAML, so the output stays well-formed even if
 * validation is loosened one day. Shell text only ever receives values whose character
 * set excludes quotes ('k3s_version', interface, CIDR, country code).
 */
#include "render.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ipv4.h"
#include "yamlout.h"

/* The write_files entry for one file whose content is text (literal block) or,
 * with gz set, gzip+base64. */
static void write_file(buf *out, const char *path, const char *perms, const char *text, size_t len, bool gz)
{
    buf_puts(out, "  - path: ");
    yamlout_str(out, path);
    buf_printf(out, "\n    owner: root:root\n    permissions: \"%s\"\n", perms);
    if (gz) {
        buf_puts(out, "    encoding: gz+b64\n    content: ");
        if (yamlout_gzip_b64(out, text, len) < 0)
            out->failed = true;
        buf_putc(out, '\n');
    } else {
        buf_puts(out, "    content: ");
        if (yamlout_block(out, text, len, 6) < 0)
            out->failed = true;
    }
}

static const char *ip_str(uint32_t ip, char *s)
{
    return ipv4_format(ip, s);
}

static void hosts_file(const inventory *inv, buf *h)
{
    char a[IPV4_STRLEN];

    buf_puts(h, "# Written by picluster from the inventory; cloud-init does not manage this file.\n"
                "127.0.0.1 localhost\n"
                "::1 localhost ip6-localhost ip6-loopback\n"
                "ff02::1 ip6-allnodes\n"
                "ff02::2 ip6-allrouters\n"
                "\n");
    for (size_t i = 0; i < inv->n_nodes; i++) {
        const inventory_node *n = &inv->nodes[i];
        buf_printf(h, "%s %s.%s %s%s\n", ip_str(n->ip, a), n->host, inv->domain, n->host,
                   i == inv->server ? " " RENDER_REGISTRY_HOST : "");
    }
}

static void yaml_list(buf *b, const char *key, const char *const *items, size_t n)
{
    if (n == 0)
        return;
    buf_printf(b, "%s:\n", key);
    for (size_t i = 0; i < n; i++) {
        buf_puts(b, "  - ");
        yamlout_str(b, items[i]);
        buf_putc(b, '\n');
    }
}

static void k3s_config(const render_in *in, size_t idx, buf *c)
{
    const inventory *inv = in->inv;
    const inventory_node *n = &inv->nodes[idx];
    const inventory_node *srv = &inv->nodes[inv->server];
    char a[IPV4_STRLEN];

    buf_printf(c, "# k3s %s configuration of %s, written by picluster. Holds the cluster token.\n",
               inventory_role_name(n->role), n->host);
    if (n->role == INVENTORY_ROLE_AGENT)
        buf_printf(c, "server: \"https://%s:6443\"\n", ip_str(srv->ip, a));
    buf_puts(c, "token: ");
    yamlout_str(c, in->sec->k3s_token);
    buf_printf(c, "\nnode-name: \"%s\"\nnode-ip: \"%s\"\n", n->host, ip_str(n->ip, a));
    buf_puts(c, "flannel-iface: ");
    yamlout_str(c, inv->iface);
    buf_putc(c, '\n');
    if (n->role == INVENTORY_ROLE_SERVER) {
        buf_printf(c, "advertise-address: \"%s\"\n", a);
        buf_printf(c, "tls-san:\n  - \"%s\"\n  - \"%s\"\n  - \"%s.%s\"\n", a, n->host, n->host, inv->domain);
        /* The kubeconfig holds cluster-admin credentials: root only. */
        buf_puts(c, "write-kubeconfig-mode: \"0600\"\n");
        /* NodePorts serve every UI, so the ingress controller and the service load
         * balancer would only cost memory on a 1 GiB Pi. */
        buf_puts(c, "disable:\n  - traefik\n  - servicelb\n");
    }
    if (n->n_labels > 0) {
        buf_puts(c, "node-label:\n");
        for (size_t i = 0; i < n->n_labels; i++) {
            char kv[600];
            snprintf(kv, sizeof kv, "%s=%s", n->labels[i].key, n->labels[i].value);
            buf_puts(c, "  - ");
            yamlout_str(c, kv);
            buf_putc(c, '\n');
        }
    }
    yaml_list(c, "node-taint", n->taints, n->n_taints);
}

static void registries_file(const inventory *inv, buf *r)
{
    char a[IPV4_STRLEN];

    /* The image name keeps the registry's in-cluster port; containerd on every node
     * reaches the registry through its NodePort on the server (plain HTTP on the
     * cluster's own wired network). */
    buf_printf(r,
               "# containerd mirror for the in-cluster registry (deploy/platform/registry), by picluster.\n"
               "mirrors:\n"
               "  \"%s:%d\":\n"
               "    endpoint:\n"
               "      - \"http://%s:%d\"\n",
               RENDER_REGISTRY_HOST, RENDER_REGISTRY_PORT, ip_str(inv->nodes[inv->server].ip, a),
               RENDER_REGISTRY_NODEPORT);
}

static void firstboot_script(const render_in *in, size_t idx, buf *s)
{
    const inventory *inv = in->inv;
    const inventory_node *n = &inv->nodes[idx];
    bool server = n->role == INVENTORY_ROLE_SERVER;
    const char *svc = server ? "k3s" : "k3s-agent";
    char net[IPV4_STRLEN];

    buf_printf(s,
               "#!/bin/sh\n"
               "# pitestbed first boot of %s (k3s %s), written by picluster; run once by cloud-init.\n"
               "# Log: /var/log/cloud-init-output.log. Safe to run again by hand.\n"
               "set -eu\n"
               "k3s_version='%s'\n"
               "log() { echo \"pitestbed-firstboot: $*\"; }\n"
               "\n",
               n->host, inventory_role_name(n->role), inv->k3s_version);
    /* Raspberry Pi kernels ship with the memory controller disabled; k3s refuses to start
     * without it. Ubuntu's kernels have it on, and then nothing is changed. */
    buf_puts(s, "memory_cgroup_on() {\n"
                "    grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null ||\n"
                "        awk '$1 == \"memory\" && $4 == 1 { found = 1 } END { exit !found }' /proc/cgroups\n"
                "}\n"
                "need_reboot=0\n"
                "if ! memory_cgroup_on; then\n"
                "    for f in /boot/firmware/cmdline.txt /boot/cmdline.txt; do\n"
                "        [ -f \"$f\" ] || continue\n"
                "        if ! grep -q 'cgroup_enable=memory' \"$f\"; then\n"
                "            sed -i '1 s/$/ " RENDER_CMDLINE_FLAGS "/' \"$f\"\n"
                "            log \"added '" RENDER_CMDLINE_FLAGS "' to $f\"\n"
                "        fi\n"
                "        need_reboot=1\n"
                "        break\n"
                "    done\n"
                "fi\n"
                "\n");
    if (server && inv->has_wifi) {
        buf_printf(
            s,
            "# Wi-Fi uplink: the radio stays blocked until the regulatory domain is set.\n"
            "if command -v raspi-config >/dev/null 2>&1; then\n"
            "    raspi-config nonint do_wifi_country '%s' || log 'raspi-config could not set the Wi-Fi country'\n"
            "fi\n"
            "rfkill unblock wifi 2>/dev/null || true\n"
            "\n",
            inv->wifi_country);
    }
    if (server && inventory_server_routes(inv)) {
        buf_printf(s,
                   "# This server routes the wired subnet %s/%u out through Wi-Fi (NAT).\n"
                   "if ! command -v nft >/dev/null 2>&1; then\n"
                   "    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nftables\n"
                   "fi\n"
                   "sysctl -q --system\n"
                   "systemctl daemon-reload\n"
                   "systemctl enable --now pitestbed-uplink.service\n"
                   "\n",
                   ip_str(inv->subnet, net), inv->prefix);
    }
    /* The installer is taken from the same tag as the binary, so both are pinned; it
     * verifies the binary's sha256 against the release's checksum file. */
    buf_printf(
        s,
        "installer=/usr/local/lib/pitestbed/k3s-install.sh\n"
        "mkdir -p /usr/local/lib/pitestbed\n"
        "tries=0\n"
        "until curl -sfL -o \"$installer\" \"https://raw.githubusercontent.com/k3s-io/k3s/$k3s_version/install.sh\" &&\n"
        "      INSTALL_K3S_VERSION=\"$k3s_version\" INSTALL_K3S_EXEC='%s' INSTALL_K3S_SKIP_START=true sh \"$installer\"; do\n"
        "    tries=$((tries + 1))\n"
        "    if [ \"$tries\" -ge 30 ]; then log \"k3s $k3s_version could not be installed\"; exit 1; fi\n"
        "    log \"k3s install failed (network not up yet?); retrying in 10 s\"\n"
        "    sleep 10\n"
        "done\n"
        "\n"
        "if [ \"$need_reboot\" = 1 ]; then\n"
        "    touch /run/pitestbed-reboot\n"
        "    log 'rebooting once to enable the memory cgroup; %s starts after the reboot'\n"
        "else\n"
        "    systemctl start %s\n"
        "    log '%s started'\n"
        "fi\n",
        server ? "server" : "agent", svc, svc, svc);
}

static void uplink_files(const inventory *inv, buf *out)
{
    char net[IPV4_STRLEN];
    buf t = BUF_INIT;

    buf_puts(&t, "# IPv4 forwarding for the cluster's Wi-Fi uplink (picluster).\nnet.ipv4.ip_forward = 1\n");
    write_file(out, "/etc/sysctl.d/90-pitestbed-uplink.conf", "0644", t.data, t.len, false);
    buf_reset(&t);
    /* A table of its own: k3s and flannel manage their iptables rules, this one only adds
     * the masquerade towards Wi-Fi for the wired subnet. */
    buf_printf(&t,
               "#!/usr/sbin/nft -f\n"
               "# NAT for the wired cluster subnet out through the Wi-Fi uplink (picluster).\n"
               "table ip pitestbed_uplink\n"
               "delete table ip pitestbed_uplink\n"
               "table ip pitestbed_uplink {\n"
               "\tchain postrouting {\n"
               "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
               "\t\tip saddr %s/%u oifname \"wlan0\" masquerade\n"
               "\t}\n"
               "}\n",
               ip_str(inv->subnet, net), inv->prefix);
    write_file(out, "/etc/pitestbed/uplink.nft", "0644", t.data, t.len, false);
    buf_reset(&t);
    buf_puts(&t, "[Unit]\n"
                 "Description=pitestbed: NAT of the cluster subnet through the Wi-Fi uplink\n"
                 "After=network-pre.target\n"
                 "Before=k3s.service\n"
                 "\n"
                 "[Service]\n"
                 "Type=oneshot\n"
                 "RemainAfterExit=yes\n"
                 "ExecStart=/usr/sbin/nft -f /etc/pitestbed/uplink.nft\n"
                 "ExecStop=/usr/sbin/nft delete table ip pitestbed_uplink\n"
                 "\n"
                 "[Install]\n"
                 "WantedBy=multi-user.target\n");
    write_file(out, "/etc/systemd/system/pitestbed-uplink.service", "0644", t.data, t.len, false);
    if (!buf_ok(&t))
        out->failed = true;
    buf_fini(&t);
}

int render_generated_manifests(const render_in *in, buf *out)
{
    const inventory *inv = in->inv;
    char a[IPV4_STRLEN];

    buf_printf(out,
               "# Generated by picluster for cluster %s: values that must not live in git.\n"
               "# deploy/platform refers to these objects by name.\n",
               inv->cluster);
    buf_puts(out, "apiVersion: v1\n"
                  "kind: Secret\n"
                  "metadata:\n"
                  "  name: jenkins-admin\n"
                  "  namespace: jenkins\n"
                  "  labels:\n"
                  "    app.kubernetes.io/part-of: pitestbed\n"
                  "type: Opaque\n"
                  "stringData:\n"
                  "  user: \"" SECRETS_ADMIN_USER "\"\n"
                  "  password: ");
    yamlout_str(out, in->sec->jenkins_password);
    buf_puts(out, "\n---\n"
                  "apiVersion: v1\n"
                  "kind: Secret\n"
                  "metadata:\n"
                  "  name: grafana-admin\n"
                  "  namespace: monitoring\n"
                  "  labels:\n"
                  "    app.kubernetes.io/part-of: pitestbed\n"
                  "type: Opaque\n"
                  "stringData:\n"
                  "  admin-user: \"" SECRETS_ADMIN_USER "\"\n"
                  "  admin-password: ");
    yamlout_str(out, in->sec->grafana_password);
    buf_puts(out, "\n---\n"
                  "apiVersion: v1\n"
                  "kind: ConfigMap\n"
                  "metadata:\n"
                  "  name: pipeline\n"
                  "  namespace: jenkins\n"
                  "  labels:\n"
                  "    app.kubernetes.io/part-of: pitestbed\n"
                  "data:\n"
                  "  GIT_URL: ");
    yamlout_str(out, inv->git_url);
    buf_puts(out, "\n  GIT_BRANCH: ");
    yamlout_str(out, inv->git_branch);
    buf_printf(out, "\n  JENKINS_URL: \"http://%s:%d/\"\n", ip_str(inv->nodes[inv->server].ip, a),
               RENDER_JENKINS_NODEPORT);
    return buf_ok(out) ? 0 : -1;
}

int render_user_data(const render_in *in, size_t idx, buf *out)
{
    const inventory *inv = in->inv;
    const inventory_node *n = &inv->nodes[idx];
    bool server = n->role == INVENTORY_ROLE_SERVER;
    buf t = BUF_INIT;

    buf_printf(out,
               "#cloud-config\n"
               "# pitestbed node %s (k3s %s, %s) of cluster %s, by picluster %s.\n"
               "# It holds the cluster's k3s token: keep it private; copy it to the boot partition as user-data.\n",
               n->host, inventory_role_name(n->role), inventory_arch_name(n->arch), inv->cluster, in->version);
    buf_printf(out, "hostname: %s\nfqdn: %s.%s\n", n->host, n->host, inv->domain);
    buf_puts(out, "preserve_hostname: false\n"
                  "prefer_fqdn_over_hostname: false\n"
                  "# /etc/hosts lists every node; it is written below, so cloud-init must not regenerate it.\n"
                  "manage_etc_hosts: false\n");
    buf_puts(out, "timezone: ");
    yamlout_str(out, inv->timezone);
    buf_puts(out, "\nlocale: ");
    yamlout_str(out, inv->locale);
    buf_puts(out, "\n# Keys only: no password logins, no root login.\n"
                  "ssh_pwauth: false\n"
                  "disable_root: true\n"
                  "users:\n"
                  "  - name: ");
    yamlout_str(out, inv->user);
    buf_puts(out, "\n    gecos: pitestbed admin\n"
                  "    groups: [adm, sudo]\n"
                  "    shell: /bin/bash\n"
                  "    sudo: \"ALL=(ALL) NOPASSWD:ALL\"\n"
                  "    lock_passwd: true\n"
                  "    ssh_authorized_keys:\n");
    for (size_t i = 0; i < inv->n_ssh_keys; i++) {
        buf_puts(out, "      - ");
        yamlout_str(out, inv->ssh_keys[i]);
        buf_putc(out, '\n');
    }

    buf_puts(out, "write_files:\n");
    hosts_file(inv, &t);
    write_file(out, "/etc/hosts", "0644", t.data, t.len, false);
    buf_reset(&t);
    k3s_config(in, idx, &t);
    write_file(out, "/etc/rancher/k3s/config.yaml", "0600", t.data, t.len, false);
    buf_reset(&t);
    registries_file(inv, &t);
    write_file(out, "/etc/rancher/k3s/registries.yaml", "0644", t.data, t.len, false);
    buf_reset(&t);
    if (server) {
        if (in->platform && in->platform_len > 0)
            write_file(out, RENDER_MANIFEST_DIR "/pitestbed-platform.yaml", "0600", in->platform, in->platform_len,
                       true);
        if (render_generated_manifests(in, &t) < 0)
            out->failed = true;
        write_file(out, RENDER_MANIFEST_DIR "/pitestbed-generated.yaml", "0600", t.data, t.len, false);
        buf_reset(&t);
        if (inventory_server_routes(inv))
            uplink_files(inv, out);
    }
    firstboot_script(in, idx, &t);
    write_file(out, "/usr/local/sbin/pitestbed-firstboot", "0755", t.data, t.len, false);
    if (!buf_ok(&t))
        out->failed = true;
    buf_fini(&t);

    buf_puts(out, "runcmd:\n"
                  "  - [/usr/local/sbin/pitestbed-firstboot]\n"
                  "# Reboots only when the first-boot script had to add the memory cgroup flags.\n"
                  "power_state:\n"
                  "  mode: reboot\n"
                  "  message: \"pitestbed: rebooting once to enable the memory cgroup for k3s\"\n"
                  "  timeout: 30\n"
                  "  condition: \"test -f /run/pitestbed-reboot\"\n");
    return buf_ok(out) ? 0 : -1;
}

int render_meta_data(const render_in *in, size_t idx, buf *out)
{
    const inventory_node *n = &in->inv->nodes[idx];

    /* A new instance-id per render: cloud-init runs its per-instance modules again when a
     * card is re-flashed with a new render, and never for a reboot. */
    buf_printf(out, "instance-id: %s-%s-%s\nlocal-hostname: %s\n", in->inv->cluster, n->host, in->instance_suffix,
               n->host);
    return buf_ok(out) ? 0 : -1;
}

static void nameservers(const inventory *inv, buf *out, const char *ind)
{
    char a[IPV4_STRLEN];

    buf_printf(out, "%snameservers:\n%s  addresses: [", ind, ind);
    for (size_t i = 0; i < inv->n_dns; i++)
        buf_printf(out, "%s%s", i ? ", " : "", ip_str(inv->dns[i], a));
    buf_printf(out, "]\n%s  search: [%s]\n", ind, inv->domain);
}

int render_network_config(const render_in *in, size_t idx, buf *out)
{
    const inventory *inv = in->inv;
    const inventory_node *n = &inv->nodes[idx];
    bool server = n->role == INVENTORY_ROLE_SERVER;
    bool wifi = server && inv->has_wifi;
    char a[IPV4_STRLEN];
    uint32_t gw;

    buf_printf(out, "# network-config of %s (netplan v2), by picluster.\n", n->host);
    if (wifi)
        buf_puts(out, "# Holds the Wi-Fi passphrase: keep it private.\n");
    buf_puts(out, "network:\n  version: 2\n  ethernets:\n    ");
    yamlout_str(out, inv->iface);
    buf_puts(out, ":\n");
    if (inv->net_mode == INVENTORY_NET_DHCP) {
        buf_printf(out,
                   "      # DHCP: reserve %s for this node's MAC address on the DHCP server.\n"
                   "      dhcp4: true\n",
                   ip_str(n->ip, a));
        if (wifi)
            buf_puts(out, "      dhcp4-overrides:\n        route-metric: 700\n");
    } else {
        buf_printf(out, "      dhcp4: false\n      addresses: [\"%s/%u\"]\n", ip_str(n->ip, a), inv->prefix);
        if (inventory_node_gateway(inv, idx, &gw) && !(server && inventory_server_routes(inv))) {
            buf_printf(out, "      routes:\n        - to: \"0.0.0.0/0\"\n          via: \"%s\"\n", ip_str(gw, a));
            /* With both uplinks the Wi-Fi route wins; the wired one stays as fallback. */
            if (wifi)
                buf_puts(out, "          metric: 700\n");
        }
        nameservers(inv, out, "      ");
    }
    if (wifi) {
        buf_puts(out, "  wifis:\n"
                      "    wlan0:\n"
                      "      dhcp4: true\n"
                      "      optional: true\n"
                      "      dhcp4-overrides:\n"
                      "        route-metric: 100\n"
                      "      regulatory-domain: ");
        yamlout_str(out, inv->wifi_country);
        buf_puts(out, "\n      access-points:\n        ");
        yamlout_str(out, inv->wifi_ssid);
        buf_puts(out, ":\n          password: ");
        yamlout_str(out, in->wifi_psk ? in->wifi_psk : "");
        buf_putc(out, '\n');
    }
    return buf_ok(out) ? 0 : -1;
}

int render_cmdline(buf *out)
{
    buf_puts(out, " " RENDER_CMDLINE_FLAGS "\n");
    return buf_ok(out) ? 0 : -1;
}

int render_readme(const render_in *in, buf *out)
{
    const inventory *inv = in->inv;
    char a[IPV4_STRLEN];

    buf_printf(out,
               "picluster render of cluster %s (k3s %s), by picluster %s\n"
               "================================================================\n"
               "\n"
               "One directory per node. Each holds the cloud-init NoCloud seed for the boot\n"
               "partition of that node's SD card:\n"
               "\n"
               "  user-data             -> <boot>/user-data        (holds the k3s token: private)\n"
               "  meta-data             -> <boot>/meta-data\n"
               "  network-config        -> <boot>/network-config\n"
               "  cmdline-additions.txt -> append to the END of the single line in <boot>/cmdline.txt\n"
               "                           (the first boot also adds it when missing, then reboots once)\n"
               "\n"
               "secrets.env (mode 0600) holds the k3s token and the Jenkins and Grafana admin\n"
               "passwords. Keep it; never commit it. `picluster render --secrets secrets.env`\n"
               "reuses it, e.g. to add a node to the running cluster.\n"
               "\n"
               "Where <boot> is\n"
               "---------------\n"
               "Raspberry Pi OS (Trixie, 2025-10 or later; arm64 recommended, armhf for 32-bit):\n"
               "  Flash with Raspberry Pi Imager 2.0 or later, WITHOUT OS customisation (Imager's\n"
               "  customisation writes its own user-data and network-config, which would replace\n"
               "  these). Then re-insert the card: the FAT partition \"bootfs\" is <boot>; replace\n"
               "  user-data, meta-data and network-config there. Older Raspberry Pi OS releases\n"
               "  (Bookworm and before) do not run cloud-init: use Ubuntu or a Trixie image.\n"
               "Ubuntu Server 22.04 / 24.04 LTS for Raspberry Pi (arm64; armhf only on 22.04):\n"
               "  Flash with Raspberry Pi Imager (any 1.8+ version, no customisation) or dd/xz.\n"
               "  The FAT partition \"system-boot\" is <boot>; replace the three files there.\n"
               "\n"
               "Nodes\n"
               "-----\n",
               inv->cluster, inv->k3s_version, in->version);
    for (size_t i = 0; i < inv->n_nodes; i++) {
        const inventory_node *n = &inv->nodes[i];
        buf_printf(out, "  %-16s %-15s %-6s %s\n", n->host, ip_str(n->ip, a), inventory_role_name(n->role),
                   inventory_arch_name(n->arch));
    }
    buf_printf(out,
               "\n"
               "Boot the server (%s) first; the agents retry until it answers.\n"
               "Then: ssh %s@%s sudo k3s kubectl get nodes   (all Ready within ~10 minutes)\n"
               "Step-by-step checks: docs/cluster.md in the pitestbed repository.\n",
               inv->nodes[inv->server].host, inv->user, ip_str(inv->nodes[inv->server].ip, a));
    if (!in->platform)
        buf_puts(out, "\nNOTE: rendered with --no-platform: the server installs k3s only, no platform.\n");
    return buf_ok(out) ? 0 : -1;
}
