/* ipv4.h - strict IPv4 address and CIDR parsing for the inventory.
 *
 * Addresses are held as uint32_t in host byte order (192.168.10.20 = 0xC0A80A14), so
 * subnet arithmetic is plain masking on every architecture. Parsing is strict on purpose:
 * inventories are written by hand, and "192.168.010.5" (octal in inet_aton) or a trailing
 * space is a mistake to report, not to guess. All functions are pure and thread-safe.
 */
#ifndef PICLUSTER_IPV4_H
#define PICLUSTER_IPV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    IPV4_EINVAL = -1,    /* not a dotted quad / not ADDR/PREFIX */
    IPV4_EHOSTBITS = -2, /* CIDR whose address has bits set below the prefix */
};

#define IPV4_STRLEN 16 /* "255.255.255.255" + NUL */

/* Parses exactly four decimal octets 0..255 separated by dots: no leading zeros ("010"),
 * no sign, no spaces, nothing after. s must be NUL-terminated. Returns 0 and sets *out, or
 * IPV4_EINVAL (*out untouched). */
int ipv4_parse(const char *s, uint32_t *out);

/* Parses "A.B.C.D/P" with P in 8..30 (a cluster subnet needs room for hosts; /31 and /32
 * have none to spare). Returns 0 with *net and *prefix set; IPV4_EINVAL; or
 * IPV4_EHOSTBITS with *net set to the masked network (for a "did you mean" hint) and
 * *prefix set. */
int ipv4_cidr_parse(const char *s, uint32_t *net, unsigned *prefix);

/* Netmask for a prefix 0..32 (0 -> 0, 32 -> 0xffffffff). */
uint32_t ipv4_mask(unsigned prefix);

/* True when ip is a usable host address of net/prefix: inside it and neither the network
 * nor the broadcast address. */
bool ipv4_host_in(uint32_t ip, uint32_t net, unsigned prefix);

/* Formats ip as a dotted quad into out (at least IPV4_STRLEN bytes). Returns out. */
char *ipv4_format(uint32_t ip, char *out);

#endif
