/* secrets.c - token/password generation and secrets.env (see secrets.h). */
#include "secrets.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rng.h"

int secrets_random_hex(char *out, size_t nbytes)
{
    static const char hex[] = "0123456789abcdef";
    uint8_t raw[64];

    if (nbytes > sizeof raw) {
        errno = EINVAL;
        return -1;
    }
    if (rng_os_bytes(raw, nbytes) < 0)
        return -1;
    for (size_t i = 0; i < nbytes; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[2 * nbytes] = '\0';
    memset(raw, 0, sizeof raw);
    return 0;
}

int secrets_generate(secrets *s)
{
    memset(s, 0, sizeof *s);
    if (secrets_random_hex(s->k3s_token, 32) < 0 || secrets_random_hex(s->jenkins_password, 16) < 0 ||
        secrets_random_hex(s->grafana_password, 16) < 0)
        return -1;
    return 0;
}

static int fail(char *err, size_t errlen, const char *name, unsigned line, const char *msg)
{
    if (line)
        snprintf(err, errlen, "%s:%u: %s", name, line, msg);
    else
        snprintf(err, errlen, "%s: %s", name, msg);
    return -1;
}

static bool value_ok(const char *v, size_t n)
{
    if (n < 16 || n > SECRETS_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '~' || c == '-'))
            return false;
    }
    return true;
}

int secrets_parse(secrets *s, const char *name, const char *data, size_t len, char *err, size_t errlen)
{
    static const char *const keys[] = {"K3S_TOKEN", "JENKINS_ADMIN_PASSWORD", "GRAFANA_ADMIN_PASSWORD"};
    char *dst[3] = {s->k3s_token, s->jenkins_password, s->grafana_password};
    bool seen[3] = {false, false, false};
    unsigned line = 0;
    size_t pos = 0;

    memset(s, 0, sizeof *s);
    while (pos < len) {
        const char *l = data + pos;
        const char *nl = memchr(l, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - l) : len - pos;
        pos += n + (nl ? 1 : 0);
        line++;
        if (n > 0 && l[n - 1] == '\r')
            n--;
        if (n == 0 || l[0] == '#')
            continue;
        const char *eq = memchr(l, '=', n);
        if (!eq)
            return fail(err, errlen, name, line, "expected KEY=VALUE");
        size_t klen = (size_t)(eq - l), vlen = n - klen - 1;
        int k = -1;
        for (int i = 0; i < 3; i++)
            if (strlen(keys[i]) == klen && memcmp(keys[i], l, klen) == 0)
                k = i;
        if (k < 0) {
            if (klen == strlen("JENKINS_ADMIN_USER") && memcmp(l, "JENKINS_ADMIN_USER", klen) == 0)
                continue; /* informational */
            if (klen == strlen("GRAFANA_ADMIN_USER") && memcmp(l, "GRAFANA_ADMIN_USER", klen) == 0)
                continue;
            return fail(err, errlen, name, line,
                        "unknown key (expected K3S_TOKEN, JENKINS_ADMIN_PASSWORD, GRAFANA_ADMIN_PASSWORD)");
        }
        if (seen[k])
            return fail(err, errlen, name, line, "key given twice");
        if (!value_ok(eq + 1, vlen))
            return fail(err, errlen, name, line, "value must be 16..128 characters of A-Z a-z 0-9 . _ ~ -");
        memcpy(dst[k], eq + 1, vlen);
        dst[k][vlen] = '\0';
        seen[k] = true;
    }
    for (int i = 0; i < 3; i++)
        if (!seen[i]) {
            char msg[96];
            snprintf(msg, sizeof msg, "missing %s", keys[i]);
            memset(s, 0, sizeof *s);
            return fail(err, errlen, name, 0, msg);
        }
    return 0;
}

int secrets_load(secrets *s, const char *path, char *err, size_t errlen)
{
    char data[8192];
    size_t len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    for (;;) {
        ssize_t r = read(fd, data + len, sizeof data - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len == sizeof data) {
            close(fd);
            return fail(err, errlen, path, 0, "file too large for a secrets file");
        }
    }
    close(fd);
    int rc = secrets_parse(s, path, data, len, err, errlen);
    memset(data, 0, sizeof data);
    return rc;
}

int secrets_format(const secrets *s, const char *cluster, buf *out)
{
    buf_printf(out,
               "# picluster secrets of cluster %s. Keep this file private (mode 0600) and out of git.\n"
               "# Reuse it with `picluster render --secrets FILE` to add nodes to the running cluster.\n"
               "K3S_TOKEN=%s\n"
               "JENKINS_ADMIN_USER=" SECRETS_ADMIN_USER "\n"
               "JENKINS_ADMIN_PASSWORD=%s\n"
               "GRAFANA_ADMIN_USER=" SECRETS_ADMIN_USER "\n"
               "GRAFANA_ADMIN_PASSWORD=%s\n",
               cluster, s->k3s_token, s->jenkins_password, s->grafana_password);
    return buf_ok(out) ? 0 : -1;
}
