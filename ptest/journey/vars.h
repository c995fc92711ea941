/* vars.h - `${name}` templates of a plan request: finding references, compiling a string
 * into literal and variable segments once, and expanding it per send into a caller's
 * buffer without allocating.
 *
 * Syntax: `${name}` with name [A-Za-z_][A-Za-z0-9_.-]* (at most VARS_MAX_NAME bytes);
 * `$${` is a literal `${`; a `$` not followed by `{` is literal. Built-ins (the user's own):
 *   ${__user}  the user's number in its scenario, 1-based (open model: the connection slot)
 *   ${__iter}  the user's iteration, 0-based (k6's __ITER)
 *   ${__rand}  a random unsigned 32-bit number (the engine thread's rng)
 *   ${__uuid}  a random (version 4) UUID, lower case
 * Every other name is a plan variable: variable i of the plan has id VARS_N_BUILTIN + i.
 *
 * Values are inserted as they are (no encoding). Where they land is checked at each
 * expansion: in the request line (VARS_CTX_PATH) only visible ASCII, in a header value
 * (VARS_CTX_HEADER) no control byte but HTAB, in the body (VARS_CTX_BODY) anything.
 */
#ifndef PTEST_VARS_H
#define PTEST_VARS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rng.h"

#define VARS_MAX_NAME 64
enum { VARS_USER = 0, VARS_ITER, VARS_RAND, VARS_UUID, VARS_N_BUILTIN };
#define VARS_LITERAL UINT32_MAX

enum vars_ctx { VARS_CTX_PATH, VARS_CTX_HEADER, VARS_CTX_BODY };

/* vars_expand's failures (0 is success). */
enum { VARS_ETOOBIG = -1, VARS_EBADVALUE = -2 };

/* True when name[0..len) is a valid variable name (the syntax above; built-ins included). */
bool vars_name_ok(const char *name, size_t len);

/* The id of built-in name[0..len) or -1. */
int vars_builtin(const char *name, size_t len);

/* True when s[0..n) holds a `${` that is a reference (not `$${`). */
bool vars_has_ref(const char *s, size_t n);

/* Calls fn for every reference of s[0..n) in order: name, its length and the reference's
 * byte offset in s; fn returns 0 to go on, else the scan stops with that value. Returns 0,
 * fn's value, or -1 for a malformed reference (`${` without a valid name and `}`), with
 * *bad_off its offset. */
typedef int (*vars_ref_fn)(const char *name, size_t len, size_t off, void *arg);
int vars_scan(const char *s, size_t n, vars_ref_fn fn, void *arg, size_t *bad_off);

typedef struct vars_seg {
    const char *s; /* literal bytes (VARS_LITERAL), pointing into the compiled string */
    uint32_t len;
    uint32_t var; /* VARS_LITERAL, or the variable's id */
    uint8_t ctx;  /* enum vars_ctx */
} vars_seg;

typedef struct vars_tpl {
    size_t n;
    vars_seg *seg;
} vars_tpl;

/* The id of a plan variable name[0..len) (>= VARS_N_BUILTIN), or -1 when unknown. */
typedef int (*vars_lookup_fn)(const char *name, size_t len, void *arg);

/* Compiles s[0..n) (which must outlive t: literals point into it) into t, appending to t's
 * segments. ctx of the literal bytes' variables: ctx_first until the first CRLF, then
 * ctx_rest (a request head: the request line, then headers). Returns 0, or -1 with err
 * filled (malformed or unknown reference, out of memory). A zeroed t is empty. */
int vars_tpl_compile(vars_tpl *t, const char *s, size_t n, int ctx_first, int ctx_rest, vars_lookup_fn lookup,
                     void *arg, char *err, size_t errlen);
void vars_tpl_fini(vars_tpl *t);

/* One variable's value: bytes that outlive the expansion (NULL/0: empty). */
typedef struct vars_val {
    const char *p;
    uint32_t len;
} vars_val;

/* What an expansion reads: the user's values of the plan variables ([n], by id minus
 * VARS_N_BUILTIN) and its built-ins. */
typedef struct vars_env {
    const vars_val *v;
    size_t n;
    uint32_t user;
    uint64_t iter;
    rng *rng;
} vars_env;

/* Appends the expansion of t to out[*len..cap), advancing *len. Returns 0, VARS_ETOOBIG
 * (would pass cap; *len then unspecified) or VARS_EBADVALUE (a value with bytes not
 * allowed where it lands). */
int vars_expand(const vars_tpl *t, const vars_env *env, char *out, size_t cap, size_t *len);

/* Writes a version 4 UUID (36 characters, no NUL) drawn from r into out. */
void vars_uuid(rng *r, char out[36]);

#endif
