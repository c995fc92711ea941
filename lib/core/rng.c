/* rng.c - xoshiro256** seeded by splitmix64, and the delay distributions.
 *
 * Only uint64_t and double arithmetic, so a seed gives the same stream on amd64, arm64 and
 * armhf (libm's log/sqrt/exp are correctly rounded enough in practice for the draws to agree;
 * the integer stream itself is bit-exact everywhere).
 */
#include "rng.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static uint64_t rotl64(uint64_t x, unsigned k)
{
    return (x << k) | (x >> (64u - k));
}

/* splitmix64 (Steele, Lea, Flood): a counter with a good finaliser. It turns any 64-bit seed,
 * including 0, into four well-mixed words; four consecutive outputs are never all zero
 * because the finaliser is a bijection of distinct counter values, so xoshiro's one
 * forbidden state (all zero) cannot arise. */
static uint64_t splitmix64_next(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

void rng_seed(rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64_next(&seed);
}

int rng_os_bytes(void *out, size_t n)
{
    unsigned char *p = out;
    size_t got = 0;
    /* getrandom may return fewer bytes than asked, or be interrupted by a signal before the
     * pool is ready: loop. */
    while (got < n) {
        ssize_t r = getrandom(p + got, n - got, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno != ENOSYS)
                return -1;
            break;
        }
        got += (size_t)r;
    }
    if (got == n)
        return 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            int saved = r < 0 ? errno : EIO;
            close(fd);
            errno = saved;
            return -1;
        }
        got += (size_t)r;
    }
    close(fd);
    return 0;
}

void rng_seed_os(rng *r)
{
    uint64_t w[4];
    if (rng_os_bytes(w, sizeof w) == 0 && (w[0] | w[1] | w[2] | w[3]) != 0) {
        memcpy(r->s, w, sizeof w);
        return;
    }
    /* No getrandom (old kernel, seccomp): mix what differs between two starts. Weak, but the
     * seed only has to make runs differ, not be secret. */
    struct timespec rt = {0}, mt = {0};
    (void)clock_gettime(CLOCK_REALTIME, &rt);
    (void)clock_gettime(CLOCK_MONOTONIC, &mt);
    uint64_t seed = (uint64_t)(int64_t)rt.tv_sec * UINT64_C(1000000000) + (uint64_t)rt.tv_nsec;
    seed ^= rotl64((uint64_t)(int64_t)mt.tv_sec * UINT64_C(1000000000) + (uint64_t)mt.tv_nsec, 21);
    seed ^= rotl64((uint64_t)getpid(), 42);
    seed ^= (uint64_t)(uintptr_t)&seed;
    rng_seed(r, seed);
}

/* xoshiro256** (Blackman, Vigna): 256-bit state, period 2^256-1, the ** scrambler makes
 * every output bit usable (rng_below uses the low bits through %). */
uint64_t rng_u64(rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl64(s[1] * 5u, 7) * 9u;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl64(s[3], 45);
    return result;
}

double rng_unit(rng *r)
{
    /* The top 53 bits fill a double's mantissa exactly: every value is k * 2^-53. */
    return (double)(rng_u64(r) >> 11) * 0x1.0p-53;
}

uint64_t rng_below(rng *r, uint64_t n)
{
    if (n == 0)
        return 0;
    /* Rejection: 2^64 mod n of the 2^64 outputs are the surplus that would make the low
     * residues more likely, so reject that many of the lowest outputs (2^64 mod n computed as
     * (2^64 - n) mod n in 64 bits); the rest are a whole number of copies of [0, n).
     * Lemire's multiply-shift would need a 64x64->128 multiply, which armhf lacks. */
    uint64_t reject_below = (0 - n) % n;
    for (;;) {
        uint64_t x = rng_u64(r);
        if (x >= reject_below)
            return x % n;
    }
}

double rng_normal(rng *r)
{
    /* Marsaglia's polar method: a point uniform in the unit disc gives two independent
     * normals; the second is dropped so that the stream depends only on the calls made. */
    double u, v, s;
    do {
        u = 2.0 * rng_unit(r) - 1.0;
        v = 2.0 * rng_unit(r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    return u * sqrt(-2.0 * log(s) / s);
}

double rng_exp(rng *r)
{
    /* Inversion, -log(1 - u) with u in [0, 1): the argument is in (0, 1], never log(0).
     * log1p keeps precision for small u (the common, short delays). */
    return -log1p(-rng_unit(r));
}

static const char *const dist_names[] = {
    [RNG_CONSTANT] = "constant",   [RNG_UNIFORM] = "uniform",         [RNG_NORMAL] = "normal",
    [RNG_LOGNORMAL] = "lognormal", [RNG_EXPONENTIAL] = "exponential",
};

#define N_DISTS (sizeof dist_names / sizeof dist_names[0])

int rng_dist_parse(const char *s, enum rng_dist *out)
{
    if (!s)
        return -1;
    for (size_t i = 0; i < N_DISTS; i++) {
        if (strcmp(s, dist_names[i]) == 0) {
            *out = (enum rng_dist)i;
            return 0;
        }
    }
    return -1;
}

const char *rng_dist_name(enum rng_dist d)
{
    if ((unsigned)d >= N_DISTS)
        return "unknown";
    return dist_names[d];
}

double rng_draw(rng *r, enum rng_dist d, double mean, double stddev)
{
    switch (d) {
    case RNG_CONSTANT: return mean;
    case RNG_UNIFORM:
        /* A uniform on [a, b] has stddev (b - a) / sqrt(12), so half-width sqrt(3) * stddev. */
        return mean + (2.0 * rng_unit(r) - 1.0) * sqrt(3.0) * stddev;
    case RNG_NORMAL: return mean + stddev * rng_normal(r);
    case RNG_LOGNORMAL: {
        if (mean <= 0.0 || stddev == 0.0)
            return mean;
        /* For X = exp(N(mu, sigma^2)): E X = exp(mu + sigma^2/2) and
         * Var X = (exp(sigma^2) - 1) (E X)^2, solved for mu and sigma^2. */
        double cv = stddev / mean;
        double sigma2 = log1p(cv * cv);
        double mu = log(mean) - 0.5 * sigma2;
        return exp(mu + sqrt(sigma2) * rng_normal(r));
    }
    case RNG_EXPONENTIAL: return mean * rng_exp(r);
    }
    return mean;
}
