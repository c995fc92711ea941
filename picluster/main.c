/* main.c - picluster command line: check and render a cluster inventory.
 *
 * Exit codes: 0 done, 1 runtime failure (I/O, random source, kubectl crashed),
 * 2 usage error or a bad inventory / platform / secrets file (nothing written).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "inventory.h"
#include "outdir.h"
#include "platform.h"
#include "render.h"
#include "secrets.h"

#ifndef PT_VERSION
#define PT_VERSION "unknown"
#endif

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

static void usage_main(FILE *f)
{
    fprintf(f, "usage: picluster COMMAND [OPTIONS]\n"
               "\n"
               "Cloud-init generator for a Raspberry Pi k3s cluster (one inventory file in,\n"
               "one SD-card seed per node out).\n"
               "\n"
               "commands:\n"
               "  check INVENTORY.yaml               validate; every problem as file:line:col\n"
               "  render INVENTORY.yaml --out DIR    write user-data, meta-data, network-config\n"
               "                                     and cmdline additions per node, secrets.env\n"
               "                                     (0600) and README.txt\n"
               "\n"
               "  -h, --help      this help (COMMAND --help for its options)\n"
               "  -v, --version   print the version\n"
               "\n"
               "Exit codes: 0 ok, 1 runtime error, 2 usage error or bad inventory (nothing written).\n");
}

static void usage_check(FILE *f)
{
    fprintf(f, "usage: picluster check INVENTORY.yaml\n"
               "\n"
               "Loads the inventory and reports every problem, one line each, as file:line:col:\n"
               "unknown keys (with a suggestion for typos), duplicate hosts or addresses,\n"
               "addresses outside the subnet, zero or two servers, unknown arch, missing SSH key,\n"
               "malformed values. Warnings do not fail the check.\n"
               "Exit codes: 0 valid, 2 problems found.\n");
}

static void usage_render(FILE *f)
{
    fprintf(f, "usage: picluster render INVENTORY.yaml --out DIR [options]\n"
               "\n"
               "  -o, --out DIR         output directory (created; must not exist or be empty)\n"
               "  -p, --platform FILE   rendered platform manifests (`kubectl kustomize deploy/platform`),\n"
               "                        \"-\" for stdin; embedded in the server's user-data for k3s'\n"
               "                        auto-deploy folder\n"
               "  -d, --deploy DIR      without --platform: run `kubectl kustomize DIR` (default:\n"
               "                        deploy/platform here, else next to the picluster binary)\n"
               "      --no-platform     install k3s only, no platform manifests\n"
               "  -s, --secrets FILE    reuse the token and passwords of an earlier secrets.env\n"
               "                        (needed to add nodes to a running cluster)\n"
               "  -f, --force           replace DIR if it holds an earlier render\n"
               "  -h, --help            this help\n"
               "\n"
               "With a Wi-Fi uplink, the passphrase is read from the environment variable named by\n"
               "network.wifi.psk_env. Nothing is written unless everything is valid.\n"
               "Exit codes: 0 written, 1 runtime error, 2 usage error or bad input.\n");
}

/* Loads and validates; prints every problem. Returns INVENTORY_OK or an error code. */
static int load(const char *path, inventory *inv)
{
    diag_list d;
    diag_init(&d);
    int rc = inventory_load(inv, path, &d);
    diag_print(&d, stderr);
    if (rc == INVENTORY_EINVALID)
        fprintf(stderr, "%s: %zu problem%s\n", path, d.errors, d.errors == 1 ? "" : "s");
    else if (rc == INVENTORY_ENOMEM)
        fprintf(stderr, "%s: out of memory\n", path);
    diag_fini(&d);
    return rc;
}

static int cmd_check(int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int opt;

    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (opt == 'h') {
            usage_check(stdout);
            return EXIT_OK;
        }
        usage_check(stderr);
        return EXIT_USAGE;
    }
    if (argc - optind != 1) {
        usage_check(stderr);
        return EXIT_USAGE;
    }
    inventory inv;
    int rc = load(argv[optind], &inv);
    if (rc != INVENTORY_OK)
        return rc == INVENTORY_ENOMEM ? EXIT_RUNTIME : EXIT_USAGE;
    size_t agents = inv.n_nodes - 1;
    printf("%s: ok: cluster %s, k3s %s, 1 server (%s), %zu agent%s\n", argv[optind], inv.cluster, inv.k3s_version,
           inv.nodes[inv.server].host, agents, agents == 1 ? "" : "s");
    inventory_fini(&inv);
    return EXIT_OK;
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* deploy/platform in the working directory, else <binary>/../deploy/platform (build/picluster
 * in a checkout). Returns 0 and fills out, or -1. */
static int find_deploy_dir(char *out, size_t cap)
{
    char exe[PATH_MAX];

    if (is_dir("deploy/platform")) {
        snprintf(out, cap, "deploy/platform");
        return 0;
    }
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return -1;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    int w = snprintf(out, cap, "%s/../deploy/platform", exe);
    if (w < 0 || (size_t)w >= cap || !is_dir(out))
        return -1;
    return 0;
}

/* WPA2 passphrase: 8..63 printable ASCII, or exactly 64 hex digits (a raw PSK). */
static bool psk_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 64) {
        for (size_t i = 0; i < n; i++)
            if (!strchr("0123456789abcdefABCDEF", s[i]))
                return false;
        return true;
    }
    if (n < 8 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] > 0x7e)
            return false;
    return true;
}

static int add(outdir *o, const char *host, const char *name, buf *b, unsigned mode)
{
    char rel[256];
    if (host)
        snprintf(rel, sizeof rel, "%s/%s", host, name);
    else
        snprintf(rel, sizeof rel, "%s", name);
    return outdir_add(o, rel, b, mode);
}

static int render_all(const render_in *in, outdir *o)
{
    const inventory *inv = in->inv;
    buf b = BUF_INIT;
    int rc = 0;

    for (size_t i = 0; i < inv->n_nodes && rc == 0; i++) {
        const char *h = inv->nodes[i].host;
        bool private_net = inv->nodes[i].role == INVENTORY_ROLE_SERVER && inv->has_wifi;
        if (render_user_data(in, i, &b) < 0 || add(o, h, "user-data", &b, 0600) < 0 ||
            render_meta_data(in, i, &b) < 0 || add(o, h, "meta-data", &b, 0644) < 0 ||
            render_network_config(in, i, &b) < 0 || add(o, h, "network-config", &b, private_net ? 0600 : 0644) < 0 ||
            render_cmdline(&b) < 0 || add(o, h, "cmdline-additions.txt", &b, 0644) < 0)
            rc = -1;
    }
    if (rc == 0 && (secrets_format(in->sec, inv->cluster, &b) < 0 || add(o, NULL, "secrets.env", &b, 0600) < 0 ||
                    render_readme(in, &b) < 0 || add(o, NULL, "README.txt", &b, 0644) < 0))
        rc = -1;
    buf_fini(&b);
    return rc;
}

static int cmd_render(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},     {"platform", required_argument, NULL, 'p'},
        {"deploy", required_argument, NULL, 'd'},  {"no-platform", no_argument, NULL, 'N'},
        {"secrets", required_argument, NULL, 's'}, {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *platform_file = NULL, *deploy = NULL, *secrets_file = NULL;
    bool no_platform = false, force = false;
    int opt;

    while ((opt = getopt_long(argc, argv, "o:p:d:s:fh", opts, NULL)) != -1) {
        switch (opt) {
        case 'o': out = optarg; break;
        case 'p': platform_file = optarg; break;
        case 'd': deploy = optarg; break;
        case 'N': no_platform = true; break;
        case 's': secrets_file = optarg; break;
        case 'f': force = true; break;
        case 'h': usage_render(stdout); return EXIT_OK;
        default: usage_render(stderr); return EXIT_USAGE;
        }
    }
    if (argc - optind != 1 || !out) {
        fprintf(stderr, "picluster render: %s\n", !out ? "--out DIR is required" : "one INVENTORY.yaml expected");
        usage_render(stderr);
        return EXIT_USAGE;
    }
    if (no_platform && (platform_file || deploy)) {
        fprintf(stderr, "picluster render: --no-platform excludes --platform and --deploy\n");
        return EXIT_USAGE;
    }
    if (platform_file && deploy) {
        fprintf(stderr, "picluster render: give either --platform or --deploy\n");
        return EXIT_USAGE;
    }

    inventory inv;
    int lrc = load(argv[optind], &inv);
    if (lrc != INVENTORY_OK)
        return lrc == INVENTORY_ENOMEM ? EXIT_RUNTIME : EXIT_USAGE;

    int rc = EXIT_USAGE;
    char err[1024], dir[PATH_MAX], suffix[9];
    const char *psk = NULL;
    secrets sec;
    platform plat;
    outdir o;
    memset(&plat, 0, sizeof plat);
    outdir_init(&o);

    if (inv.has_wifi) {
        psk = getenv(inv.wifi_psk_env);
        if (!psk || !*psk) {
            fprintf(stderr,
                    "%s: network.wifi.psk_env: environment variable %s is not set; it must hold the "
                    "Wi-Fi passphrase\n",
                    argv[optind], inv.wifi_psk_env);
            goto out;
        }
        if (!psk_ok(psk)) {
            fprintf(stderr,
                    "%s: the Wi-Fi passphrase in %s must be 8..63 printable ASCII characters or "
                    "64 hex digits\n",
                    argv[optind], inv.wifi_psk_env);
            goto out;
        }
    }
    if (secrets_file) {
        if (secrets_load(&sec, secrets_file, err, sizeof err) < 0) {
            fprintf(stderr, "%s\n", err);
            goto out;
        }
    } else if (secrets_generate(&sec) < 0) {
        fprintf(stderr, "picluster: cannot read the OS random source: %s\n", strerror(errno));
        rc = EXIT_RUNTIME;
        goto out;
    }
    if (secrets_random_hex(suffix, 4) < 0) {
        fprintf(stderr, "picluster: cannot read the OS random source: %s\n", strerror(errno));
        rc = EXIT_RUNTIME;
        goto out;
    }

    if (!no_platform) {
        const char *name = platform_file;
        int prc;
        if (platform_file) {
            prc = platform_read(&plat, platform_file, err, sizeof err);
            if (strcmp(platform_file, "-") == 0)
                name = "<stdin>";
        } else {
            if (deploy) {
                snprintf(dir, sizeof dir, "%s", deploy);
            } else if (find_deploy_dir(dir, sizeof dir) < 0) {
                fprintf(stderr, "picluster render: deploy/platform not found here or next to the binary; pass "
                                "--platform FILE (from `kubectl kustomize deploy/platform`), --deploy DIR or "
                                "--no-platform\n");
                goto out;
            }
            prc = platform_kustomize(&plat, dir, err, sizeof err);
            name = dir;
        }
        if (prc < 0 || platform_check(&plat, name, err, sizeof err) < 0) {
            fprintf(stderr, "%s\n", err);
            goto out;
        }
    }

    render_in in = {
        .inv = &inv,
        .sec = &sec,
        .platform = no_platform ? NULL : plat.text,
        .platform_len = no_platform ? 0 : plat.len,
        .wifi_psk = psk,
        .instance_suffix = suffix,
        .version = PT_VERSION,
    };
    if (render_all(&in, &o) < 0) {
        fprintf(stderr, "picluster: out of memory while rendering\n");
        rc = EXIT_RUNTIME;
        goto out;
    }
    if (outdir_commit(&o, out, force, err, sizeof err) < 0) {
        fprintf(stderr, "picluster render: %s\n", err);
        rc = EXIT_RUNTIME;
        goto out;
    }
    printf("rendered %zu node%s of cluster %s into %s", inv.n_nodes, inv.n_nodes == 1 ? "" : "s", inv.cluster, out);
    if (!no_platform)
        printf(" (platform: %zu objects)", plat.n_docs);
    printf("\nsecrets: %s/secrets.env (mode 0600; keep it private)\n", out);
    rc = EXIT_OK;
out:
    memset(&sec, 0, sizeof sec);
    outdir_fini(&o);
    platform_fini(&plat);
    inventory_fini(&inv);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage_main(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        usage_main(stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "-v") == 0 || strcmp(cmd, "--version") == 0) {
        printf("picluster %s\n", PT_VERSION);
        return EXIT_OK;
    }
    if (strcmp(cmd, "check") == 0)
        return cmd_check(argc - 1, argv + 1);
    if (strcmp(cmd, "render") == 0)
        return cmd_render(argc - 1, argv + 1);
    fprintf(stderr, "picluster: unknown command \"%s\" (expected check or render)\n", cmd);
    usage_main(stderr);
    return EXIT_USAGE;
}
