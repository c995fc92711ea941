/* rng.h - seeded pseudo-random numbers and the delay distributions.
 *
 * xoshiro256** seeded through splitmix64: fast, 64-bit state arithmetic only (32-bit clean),
 * reproducible across architectures for the same seed. Not thread-safe: each thread owns its
 * own rng (the struct may be copied; a copy continues the same stream). Not for secrets.
 */
#ifndef PT_RNG_H
#define PT_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct rng {
    uint64_t s[4];
} rng;

/* Seeds r->s with four splitmix64 outputs of seed (any seed, 0 included). */
void rng_seed(rng *r, uint64_t seed);
/* Seeds from the OS random source (rng_os_bytes); falls back to time and pid. */
void rng_seed_os(rng *r);
/* Fills out with n bytes from the kernel's random source: getrandom(2), which blocks only
 * until the pool is initialised once after boot (what a secret wants), or /dev/urandom where
 * the syscall is missing (ENOSYS, e.g. old qemu-user). Returns 0 or -1 with errno. */
int rng_os_bytes(void *out, size_t n);
uint64_t rng_u64(rng *r);
/* Uniform in [0, 1) with 53 bits. */
double rng_unit(rng *r);
/* Uniform integer in [0, n) without modulo bias (rejection); n > 0 (n == 0 returns 0). */
uint64_t rng_below(rng *r, uint64_t n);
/* Standard normal N(0,1) (polar method, no cached spare so the stream is reproducible). */
double rng_normal(rng *r);
/* Exponential with mean 1; >= 0 and finite. */
double rng_exp(rng *r);

/* Distribution kinds for delay series (msdemo) and think times (ptest). */
enum rng_dist { RNG_CONSTANT, RNG_UNIFORM, RNG_NORMAL, RNG_LOGNORMAL, RNG_EXPONENTIAL };

/* Parses "constant|uniform|normal|lognormal|exponential" (exact, lower case); returns 0, or
 * -1 (s NULL or unknown; *out untouched). */
int rng_dist_parse(const char *s, enum rng_dist *out);
/* The name rng_dist_parse accepts; "unknown" for a value outside the enum. Static string. */
const char *rng_dist_name(enum rng_dist d);

/* One draw with the given mean and stddev >= 0 (same units). For uniform: mean +- sqrt(3)*stddev;
 * lognormal: parameters solved so the distribution has that mean and stddev (mean <= 0 or
 * stddev == 0 returns mean without drawing); exponential: mean only (stddev ignored);
 * normal: not clamped here; constant: mean, no draw. */
double rng_draw(rng *r, enum rng_dist d, double mean, double stddev);

#endif
