/* yamltree.h - a YAML document loaded into a small tree that remembers positions.
 *
 * libyaml parses; this module builds scalar/sequence/mapping nodes, each carrying the
 * 1-based line and column of where it starts, so every config error can name
 * file:line:col. Aliases are resolved (with a depth/count limit against billion-laughs);
 * duplicate mapping keys are an error. The tree owns all its strings.
 *
 * Typical use: yamltree_load_file, then walk with yamltree_get / the typed getters, which fill a
 * yamltree_error on type errors; yamltree_check_keys rejects unknown (misspelled) keys.
 *
 * What the loader accepts:
 * - UTF-8 only (a leading BOM is skipped); at most 4 MiB; exactly one document (a second
 *   "---" is an error); control characters (NUL included) are a located error, and so is
 *   a "\0" escape, so every string is NUL-free.
 * - Limits: 100000 nodes counted after alias expansion (billion-laughs), nesting depth 64.
 * - Null: plain "", "~", "null", "Null", "NULL" or a !!null tag give YAMLTREE_NULL (str keeps the
 *   text). Mapping keys are always YAMLTREE_SCALAR ("null:" is the key "null"); an empty plain
 *   key, a non-scalar key and a duplicate key are errors.
 * - Tags: !!str and "!" mark a scalar quoted; !!null, !!int, !!float, !!bool, !!map,
 *   !!seq are accepted; any other tag (e.g. !include, !!binary) is an error.
 * - Aliases give a copy of the anchored node carrying the alias's position; children are
 *   shared with the anchor. Merge keys are supported: "<<: *base" or "<<: [*a, *b]"
 *   (explicit keys win, then earlier sources); a quoted "<<" is an ordinary key.
 * Thread-safety: loading is reentrant; a loaded doc is read-only and may be shared.
 */
#ifndef PT_YAMLTREE_H
#define PT_YAMLTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum yamltree_kind { YAMLTREE_NULL, YAMLTREE_SCALAR, YAMLTREE_SEQ, YAMLTREE_MAP };

typedef struct yamltree_node yamltree_node;
struct yamltree_node {
    enum yamltree_kind kind;
    unsigned line, col;    /* 1-based */
    char *str;             /* YAMLTREE_SCALAR (and YAMLTREE_NULL): text, NUL-terminated, no NUL inside */
    size_t len;            /* YAMLTREE_SCALAR (and YAMLTREE_NULL): length of str */
    bool quoted;           /* YAMLTREE_SCALAR: was quoted (so "1" stays a string) */
    size_t n;              /* YAMLTREE_SEQ: items; YAMLTREE_MAP: pairs */
    yamltree_node **items; /* YAMLTREE_SEQ: n nodes */
    yamltree_node **keys;  /* YAMLTREE_MAP: n scalar keys */
    yamltree_node **vals;  /* YAMLTREE_MAP: n values */
};

typedef struct yamltree_doc {
    yamltree_node *root; /* NULL for an empty document or a null one ("~") */
    char *file;          /* name used in messages */
    /* private: arena of nodes */
    void *arena;
} yamltree_doc;

/* A located error message: "file:line:col: message". */
typedef struct yamltree_error {
    char msg[512];
} yamltree_error;

/* Loads a whole file / memory buffer. Returns 0, or -1 with err filled
 * ("plan.yaml:3:7: could not find expected ':'"; libyaml's context is appended when it has
 * one: "... (while parsing a flow sequence at line 2, column 4)"). name is used for
 * messages (NULL = "<input>"); data need not be NUL-terminated. err may be NULL. On failure
 * doc is left empty (root and arena NULL); yamltree_fini is always safe, also twice. */
int yamltree_load_file(yamltree_doc *doc, const char *path, yamltree_error *err);
int yamltree_load_string(yamltree_doc *doc, const char *name, const char *data, size_t len, yamltree_error *err);
void yamltree_fini(yamltree_doc *doc);

/* Fills err with "file:line:col: " + formatted message about node (node may be NULL -> file only).
 * Always returns -1 so callers can `return yamltree_fail(...)`. */
int yamltree_fail(const yamltree_doc *doc, const yamltree_node *node, yamltree_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Mapping lookup by key; NULL if map is not a mapping or has no such key. */
yamltree_node *yamltree_get(const yamltree_node *map, const char *key);
/* Returns the key node for a value lookup (for messages about keys); NULL if absent. */
yamltree_node *yamltree_get_key(const yamltree_node *map, const char *key);

/* Rejects keys not in allowed (NULL-terminated list; NULL = none): the error names the first
 * unknown key in document order and suggests the closest allowed key when it is within edit
 * distance 2 (transpositions count 1): 'unknown key "endpionts" (did you mean "endpoints"?)';
 * otherwise it lists the allowed keys if they fit: 'unknown key "x" (expected one of: a, b)'.
 * map NULL -> 0 (nothing to check); map not a mapping -> error. Returns 0 or -1. */
int yamltree_check_keys(const yamltree_doc *doc, const yamltree_node *map, const char *const *allowed,
                        yamltree_error *err);

/* Typed accessors: each checks the node kind/format and fills err with a located message
 * ('plan.yaml:4:9: expected a boolean (true/false), found "maybe"'). They return 0 or -1 and
 * leave *out untouched on error. The node should be non-NULL (callers check presence and
 * defaults); NULL gives an unlocated "found nothing" error. Quoted scalars are parsed too
 * ("8080" is accepted as a number). */
int yamltree_expect(const yamltree_doc *doc, const yamltree_node *node, enum yamltree_kind kind, yamltree_error *err);
int yamltree_str(const yamltree_doc *doc, const yamltree_node *node, const char **out, yamltree_error *err);
/* Decimal digits only, within [min, max] (overflow is reported as out of range). */
int yamltree_u64(const yamltree_doc *doc, const yamltree_node *node, uint64_t min, uint64_t max, uint64_t *out,
                 yamltree_error *err);
/* Finite decimal number (units_parse_double): no NaN, inf, hex or trailing junk. */
int yamltree_double(const yamltree_doc *doc, const yamltree_node *node, double *out, yamltree_error *err);
/* true/false, yes/no, on/off, case-insensitive. */
int yamltree_bool(const yamltree_doc *doc, const yamltree_node *node, bool *out, yamltree_error *err);
/* Duration ("20ms", "1m30s"); bare numbers rejected except "0". */
int yamltree_duration(const yamltree_doc *doc, const yamltree_node *node, uint64_t *out_ns, yamltree_error *err);
/* Rate ("100/s"). */
int yamltree_rate(const yamltree_doc *doc, const yamltree_node *node, double *per_sec, yamltree_error *err);
/* Percentage or fraction ("1%", "0.01"). */
int yamltree_percent(const yamltree_doc *doc, const yamltree_node *node, double *fraction, yamltree_error *err);

#endif
