/* fields.h - syntax checks of single inventory values (names, versions, keys, labels).
 *
 * Pure functions on NUL-terminated strings; thread-safe. The *_ok functions answer yes or
 * no; the *_problem functions return NULL when the value is fine, else a static reason
 * phrase that completes a message ("SSH key 1 " + reason).
 */
#ifndef PICLUSTER_FIELDS_H
#define PICLUSTER_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

bool fields_is_lower_alnum(char ch);
bool fields_is_alnum(char ch);
/* RFC 1123 label of n bytes: a-z, 0-9, '-' not at either end, 1..63. */
bool fields_dns_label_ok(const char *s, size_t n);
/* Dot-separated labels, at most 253 bytes, no trailing dot. */
bool fields_dns_name_ok(const char *s);
bool fields_has_ctl_or_space(const char *s);
bool fields_has_ctl(const char *s);
/* Every byte alphanumeric or in extra. */
bool fields_chars_in(const char *s, const char *extra);
/* A pinned k3s release "vMAJOR.MINOR.PATCH+k3sN". */
bool fields_k3s_version_ok(const char *s);
/* A login name: [a-z_][a-z0-9_-]{0,31}. */
bool fields_user_ok(const char *s);
/* "TYPE BASE64 [comment]" of a known type whose blob decodes, names the same type and
 * is a complete run of length-prefixed fields. */
const char *fields_ssh_key_problem(const char *s);
/* Kubernetes label name part: 1..63 of [A-Za-z0-9._-], alphanumeric at both ends. */
bool fields_label_name_ok(const char *s, size_t n);
bool fields_label_value_ok(const char *s);
/* [prefix/]name with a DNS prefix, not in the kubelet-reserved kubernetes.io / k8s.io
 * namespaces (except node. and kubelet.kubernetes.io). */
const char *fields_label_key_problem(const char *key);
/* "key[=value]:Effect" with Effect NoSchedule, PreferNoSchedule or NoExecute. */
const char *fields_taint_problem(const char *t);

#endif
