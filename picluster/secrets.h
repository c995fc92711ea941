/* secrets.h - the cluster's generated secrets and their 0600 file.
 *
 * Every render creates a fresh k3s join token (32 bytes from the OS random source,
 * hex-encoded) and admin passwords for Jenkins and Grafana, unless an earlier
 * secrets.env is reused (adding a node to a running cluster needs the same token).
 * secrets.env is KEY=VALUE lines, shell- and systemd-EnvironmentFile-compatible.
 * Not thread-safe (plain structs); no global state.
 */
#ifndef PICLUSTER_SECRETS_H
#define PICLUSTER_SECRETS_H

#include <stddef.h>

#include "buf.h"

#define SECRETS_MAX 128

typedef struct secrets {
    char k3s_token[SECRETS_MAX + 1];
    char jenkins_password[SECRETS_MAX + 1];
    char grafana_password[SECRETS_MAX + 1];
} secrets;

#define SECRETS_ADMIN_USER "admin" /* Jenkins and Grafana admin login */

/* Fills out with 2*nbytes lower-case hex digits of OS randomness (getrandom, falling back
 * to /dev/urandom) and a NUL; out must hold 2*nbytes+1. Returns 0, or -1 with errno. */
int secrets_random_hex(char *out, size_t nbytes);

/* New token (32 bytes) and passwords (16 bytes each). Returns 0 or -1 with errno. */
int secrets_generate(secrets *s);

/* Reads a secrets.env written by secrets_format (comments and blank lines ignored;
 * K3S_TOKEN, JENKINS_ADMIN_PASSWORD, GRAFANA_ADMIN_PASSWORD required, values of 16..128
 * characters [A-Za-z0-9._~-]; unknown keys are errors). Returns 0, or -1 with err filled
 * ("secrets.env:3: ..."). */
int secrets_load(secrets *s, const char *path, char *err, size_t errlen);
int secrets_parse(secrets *s, const char *name, const char *data, size_t len, char *err, size_t errlen);

/* Appends the secrets.env text for cluster to out. Returns 0 or -1 (out->failed). */
int secrets_format(const secrets *s, const char *cluster, buf *out);

#endif
