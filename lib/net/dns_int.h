/* dns_int.h - private to the dns module (dns.c, dns_conf.c, dns_msg.c): name helpers shared
 * by the files, the query encoder and the resolver. Not for callers outside lib/dns*.c. */
#ifndef PT_DNS_INT_H
#define PT_DNS_INT_H

#include "dns.h"

#define DNS_WIRE_NAME_MAX 255 /* wire form: length-prefixed labels and the root byte */

/* Encodes a text name (trailing dot optional) into wire form (out holds DNS_WIRE_NAME_MAX
 * bytes). Returns the wire length, or DNS_ERR_BADNAME. */
int dns_name_to_wire(const char *name, uint8_t *out);
/* ASCII case-insensitive equality of two text names, ignoring one trailing dot on each. */
bool dns_name_eq(const char *a, const char *b);
/* Appends a (deduplicated, family-filtered) to r; returns 1 when added, else 0. */
int dns_result_add(dns_result *r, const dns_addr *a, int family);

/* Reads up to DNS_FILE_MAX bytes of the file at path into a malloc'ed, NUL-terminated
 * buffer (*len bytes; the caller frees). NULL when the file cannot be opened or memory
 * runs out (*len is then 0). */
#define DNS_FILE_MAX (1u << 20)
char *dns_read_file(const char *path, size_t *len);

#endif
