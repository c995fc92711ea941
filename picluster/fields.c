/* fields.c - syntax checks of single inventory values (see fields.h). */
#include "fields.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"

/* ---- character classes -------------------------------------------------------- */

bool fields_is_lower_alnum(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

bool fields_is_alnum(char ch)
{
    return fields_is_lower_alnum(ch) || (ch >= 'A' && ch <= 'Z');
}

/* RFC 1123 label: lower-case letters, digits, '-', not at either end, 1..63. */
bool fields_dns_label_ok(const char *s, size_t n)
{
    if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!fields_is_lower_alnum(s[i]) && s[i] != '-')
            return false;
    return true;
}

bool fields_dns_name_ok(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > 253)
        return false;
    while (*s) {
        const char *dot = strchr(s, '.');
        size_t n = dot ? (size_t)(dot - s) : strlen(s);
        if (!fields_dns_label_ok(s, n))
            return false;
        s += n;
        if (*s == '.')
            s++;
        if (dot && *s == '\0')
            return false; /* trailing dot */
    }
    return true;
}

bool fields_has_ctl_or_space(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || *s == 0x7f)
            return true;
    return false;
}

bool fields_has_ctl(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

bool fields_chars_in(const char *s, const char *extra)
{
    for (; *s; s++)
        if (!fields_is_alnum(*s) && !strchr(extra, *s))
            return false;
    return true;
}

/* ---- field validators --------------------------------------------------------- */

/* "v1.32.5+k3s1": a pinned release, never a channel name. */
bool fields_k3s_version_ok(const char *s)
{
    if (*s++ != 'v')
        return false;
    for (int part = 0; part < 3; part++) {
        if (part > 0 && *s++ != '.')
            return false;
        if (*s < '0' || *s > '9')
            return false;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    if (strncmp(s, "+k3s", 4) != 0)
        return false;
    s += 4;
    if (*s < '0' || *s > '9')
        return false;
    while (*s >= '0' && *s <= '9')
        s++;
    return *s == '\0';
}

bool fields_user_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 32 || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!fields_is_lower_alnum(s[i]) && s[i] != '_' && s[i] != '-')
            return false;
    return true;
}

/* Big-endian uint32 at p (no alignment assumed). */
static uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

/* "TYPE BASE64 [comment]"; the blob must decode and name the same TYPE (RFC 4253 wire
 * format: uint32 length + type string), which catches truncated or pasted-wrong keys.
 * Returns NULL if fine, else a reason. */
const char *fields_ssh_key_problem(const char *s)
{
    static const char *const types[] = {
        "ssh-ed25519",
        "ssh-rsa",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com",
        NULL,
    };
    const char *sp = strchr(s, ' ');
    size_t tlen = sp ? (size_t)(sp - s) : strlen(s);
    bool known = false;

    if (fields_has_ctl(s))
        return "contains control characters (one key per line, no line breaks)";
    for (const char *const *t = types; *t; t++)
        if (strlen(*t) == tlen && memcmp(*t, s, tlen) == 0)
            known = true;
    if (!known)
        return "does not start with a known key type (ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ...); "
               "is this a private key or a fingerprint?";
    if (!sp)
        return "has no key data after the type";
    const char *b64 = sp + 1;
    const char *end = strchr(b64, ' ');
    size_t blen = end ? (size_t)(end - b64) : strlen(b64);
    if (blen == 0 || blen > 16384)
        return "has no key data after the type";
    size_t cap = base64_decoded_max(blen), got = 0;
    uint8_t *raw = malloc(cap ? cap : 1);
    if (!raw)
        return "could not be checked (out of memory)";
    const char *why = NULL;
    if (base64_decode(b64, blen, raw, cap, &got) < 0)
        why = "key data is not valid base64 (truncated or wrapped?)";
    else if (got < 4 + tlen || be32(raw) != tlen || memcmp(raw + 4, s, tlen) != 0)
        why = "key data does not match its type (mixed-up key?)";
    else {
        /* The blob is a run of length-prefixed fields (type, then key material); a cut
         * key leaves the last field short. */
        size_t pos = 0, fields = 0;
        while (pos + 4 <= got && be32(raw + pos) <= got - pos - 4) {
            pos += 4 + be32(raw + pos);
            fields++;
        }
        if (pos != got || fields < 2)
            why = "key data is truncated";
    }
    free(raw);
    return why;
}

/* Kubernetes label key: [prefix/]name; prefix a DNS subdomain, name 1..63 of
 * [A-Za-z0-9._-] starting and ending alphanumeric. */
bool fields_label_name_ok(const char *s, size_t n)
{
    if (n == 0 || n > 63 || !fields_is_alnum(s[0]) || !fields_is_alnum(s[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!fields_is_alnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
            return false;
    return true;
}

bool fields_label_value_ok(const char *s)
{
    size_t n = strlen(s);
    return n == 0 || fields_label_name_ok(s, n);
}

/* Returns NULL if key is fine, else a reason. */
const char *fields_label_key_problem(const char *key)
{
    const char *slash = strchr(key, '/');
    if (!slash)
        return fields_label_name_ok(key, strlen(key))
                   ? NULL
                   : "must be 1-63 characters [A-Za-z0-9._-], starting and ending with a letter or digit";
    size_t plen = (size_t)(slash - key);
    char prefix[254];
    if (plen == 0 || plen > 253)
        return "has an invalid prefix before '/'";
    memcpy(prefix, key, plen);
    prefix[plen] = '\0';
    if (!fields_dns_name_ok(prefix))
        return "has a prefix that is not a lower-case DNS name";
    if (!fields_label_name_ok(slash + 1, strlen(slash + 1)))
        return "must have a name of 1-63 characters [A-Za-z0-9._-] after the prefix";
    /* The kubelet refuses to start with labels in the kubernetes.io / k8s.io namespaces
     * (NodeRestriction), except these two domains; k3s would then never register. */
    size_t pl = strlen(prefix);
    bool reserved = false;
    const char *const doms[] = {"kubernetes.io", "k8s.io"};
    for (size_t i = 0; i < 2; i++) {
        size_t dl = strlen(doms[i]);
        if (pl == dl ? strcmp(prefix, doms[i]) == 0
                     : pl > dl && prefix[pl - dl - 1] == '.' && strcmp(prefix + pl - dl, doms[i]) == 0)
            reserved = true;
    }
    if (reserved && strcmp(prefix, "node.kubernetes.io") != 0 && strcmp(prefix, "kubelet.kubernetes.io") != 0)
        return "uses a prefix reserved for Kubernetes (the kubelet refuses such node labels; "
               "use your own prefix, e.g. pitestbed.io/)";
    return NULL;
}

/* "key[=value]:Effect". Returns NULL if fine, else a reason. */
const char *fields_taint_problem(const char *t)
{
    const char *colon = strrchr(t, ':');
    if (!colon)
        return "must be key[=value]:Effect (Effect NoSchedule, PreferNoSchedule or NoExecute)";
    const char *eff = colon + 1;
    if (strcmp(eff, "NoSchedule") != 0 && strcmp(eff, "PreferNoSchedule") != 0 && strcmp(eff, "NoExecute") != 0)
        return "has an unknown effect (expected NoSchedule, PreferNoSchedule or NoExecute)";
    char kv[512];
    size_t n = (size_t)(colon - t);
    if (n == 0 || n >= sizeof kv)
        return "must be key[=value]:Effect";
    memcpy(kv, t, n);
    kv[n] = '\0';
    char *eq = strchr(kv, '=');
    if (eq) {
        *eq = '\0';
        if (!fields_label_value_ok(eq + 1))
            return "has an invalid value (1-63 characters [A-Za-z0-9._-])";
    }
    const char *why = fields_label_key_problem(kv);
    return why ? "has an invalid key" : NULL;
}
