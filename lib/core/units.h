/* units.h - parsing and formatting of durations, rates, sizes and host:port.
 *
 * Durations: "250ms", "10s", "1.5s", "2m", "1h", "500us", "100ns"; a bare number is
 * rejected unless the caller gives a default unit. Rates: "100/s", "6000/m", "5/ms", bare
 * number = per second. All results are integers in the named unit so they are exact.
 */
#ifndef PT_UNITS_H
#define PT_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* Parses a duration into ns. default_unit_ns applies to a bare number (0 = bare number is an
 * error; "0" alone is always accepted). Units: ns, us (or µs), ms, s, m, h; parts may be
 * chained ("1m30s"); fractions are rounded to the nearest ns (only 9 fraction digits
 * are significant).
 * No spaces, no sign. Returns 0, or -1 on syntax error / overflow / negative. Thread-safe. */
int units_parse_duration(const char *s, uint64_t default_unit_ns, uint64_t *out_ns);
/* Parses a rate into requests per second (double, > 0, finite): "<number>/<unit>" with a
 * duration unit above, or a bare number. Returns 0 or -1. */
int units_parse_rate(const char *s, double *per_sec);
/* Parses an unsigned decimal integer, whole string, no sign; returns 0 or -1 (overflow too). */
int units_parse_u64(const char *s, uint64_t *out);
/* Parses a decimal percentage "1%", "0.5%" or a fraction "0.01" into a fraction.
 * No sign, no exponent; a bare fraction must be <= 1 ("5" is refused, "5%" is 0.05),
 * a percentage may exceed 100%. Returns 0 or -1. */
int units_parse_percent(const char *s, double *fraction);
/* Parses a finite decimal number [+-](digits[.digits]|.digits)[(e|E)[+-]digits], whole
 * string, independent of the C locale (no "inf", "nan", hex or spaces; overflow fails).
 * Returns 0 or -1. */
int units_parse_double(const char *s, double *out);
/* Formats a duration in ns with a unit chosen for readability, three significant digits
 * ("812us", "20.3ms", "1.25s", "1.5m", "0s"); output is accepted by units_parse_duration.
 * Truncated to outlen (NUL-terminated; nothing written if outlen is 0). Returns out. */
char *units_format_duration(uint64_t ns, char *out, size_t outlen);
/* A latency in microseconds as every report prints it (summary.txt, the console summary,
 * junit.xml, the scorecard): "812 us", "20.3 ms", "1.25 s", three significant digits
 * (no fewer than the integer part); NaN as "-". Returns out. */
char *units_format_us(double us, char *out, size_t len);
/* Splits "host:port", "[v6]:port" or ":port" (host = "" meaning any) into host (brackets
 * removed) and port (0..65535; 0 is allowed, e.g. for an ephemeral listen port). Fails on a
 * missing/invalid port, an unbracketed IPv6 address, spaces or control bytes in the host,
 * or a host that does not fit hostlen (with its NUL). Returns 0 or -1. */
int units_split_hostport(const char *s, char *host, size_t hostlen, uint16_t *port);

#endif
