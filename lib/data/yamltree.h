/* yamltree.h - a YAML document loaded into a small tree that remembers positions.
 *
 * libyaml parses; this module builds scalar/sequence/mapping nodes, each carrying the
 * 1-based line and column of where it starts, so every config error can name
 * file:line:col. Aliases are resolved (with a depth/count limit against billion-laughs);
 * duplicate mapping keys are an error. The tree owns all its strings.
 *
 * Typical use: yt_load_file, then walk with yt_get / the typed getters, which fill a
 * yt_error on type errors; yt_check_keys rejects unknown (misspelled) keys.
 *
 * What the loader accepts:
 * - UTF-8 only (a leading BOM is skipped); at most 4 MiB; exactly one document (a second
 *   "---" is an error); control characters (NUL included) are a located error, and so is
 *   a "\0" escape, so every string is NUL-free.
 * - Limits: 100000 nodes counted after alias expansion (billion-laughs), nesting depth 64.
 * - Null: plain "", "~", "null", "Null", "NULL" or a !!null tag give YT_NULL (str keeps the
 *   text). Mapping keys are always YT_SCALAR ("null:" is the key "null"); an empty plain
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

enum yt_kind { YT_NULL, YT_SCALAR, YT_SEQ, YT_MAP };

typedef struct yt_node yt_node;
struct yt_node {
    enum yt_kind kind;
    unsigned line, col;      /* 1-based */
    char *str;               /* YT_SCALAR (and YT_NULL): text, NUL-terminated, no NUL inside */
    size_t len;              /* YT_SCALAR (and YT_NULL): length of str */
    bool quoted;             /* YT_SCALAR: was quoted (so "1" stays a string) */
    size_t n;                /* YT_SEQ: items; YT_MAP: pairs */
    yt_node **items;         /* YT_SEQ: n nodes */
    yt_node **keys;          /* YT_MAP: n scalar keys */
    yt_node **vals;          /* YT_MAP: n values */
};

typedef struct yt_doc {
    yt_node *root;           /* NULL for an empty document or a null one ("~") */
    char *file;              /* name used in messages */
    /* private: arena of nodes */
    void *arena;
} yt_doc;

/* A located error message: "file:line:col: message". */
typedef struct yt_error {
    char msg[512];
} yt_error;

/* Loads a whole file / memory buffer. Returns 0, or -1 with err filled
 * ("plan.yaml:3:7: could not find expected ':'"; libyaml's context is appended when it has
 * one: "... (while parsing a flow sequence at line 2, column 4)"). name is used for
 * messages (NULL = "<input>"); data need not be NUL-terminated. err may be NULL. On failure
 * doc is left empty (root and arena NULL); yt_free is always safe, also twice. */
int yt_load_file(yt_doc *doc, const char *path, yt_error *err);
int yt_load_string(yt_doc *doc, const char *name, const char *data, size_t len, yt_error *err);
void yt_free(yt_doc *doc);

/* Fills err with "file:line:col: " + formatted message about node (node may be NULL -> file only).
 * Always returns -1 so callers can `return yt_fail(...)`. */
int yt_fail(const yt_doc *doc, const yt_node *node, yt_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Mapping lookup by key; NULL if map is not a mapping or has no such key. */
yt_node *yt_get(const yt_node *map, const char *key);
/* Returns the key node for a value lookup (for messages about keys); NULL if absent. */
yt_node *yt_get_key(const yt_node *map, const char *key);

/* Rejects keys not in allowed (NULL-terminated list; NULL = none): the error names the first
 * unknown key in document order and suggests the closest allowed key when it is within edit
 * distance 2 (transpositions count 1): 'unknown key "endpionts" (did you mean "endpoints"?)';
 * otherwise it lists the allowed keys if they fit: 'unknown key "x" (expected one of: a, b)'.
 * map NULL -> 0 (nothing to check); map not a mapping -> error. Returns 0 or -1. */
int yt_check_keys(const yt_doc *doc, const yt_node *map, const char *const *allowed, yt_error *err);

/* Typed accessors: each checks the node kind/format and fills err with a located message
 * ('plan.yaml:4:9: expected a boolean (true/false), found "maybe"'). They return 0 or -1 and
 * leave *out untouched on error. The node should be non-NULL (callers check presence and
 * defaults); NULL gives an unlocated "found nothing" error. Quoted scalars are parsed too
 * ("8080" is accepted as a number). */
int yt_expect(const yt_doc *doc, const yt_node *node, enum yt_kind kind, yt_error *err);
int yt_str(const yt_doc *doc, const yt_node *node, const char **out, yt_error *err);
/* Decimal digits only, within [min, max] (overflow is reported as out of range). */
int yt_u64(const yt_doc *doc, const yt_node *node, uint64_t min, uint64_t max, uint64_t *out, yt_error *err);
/* Finite decimal number (units_parse_double): no NaN, inf, hex or trailing junk. */
int yt_double(const yt_doc *doc, const yt_node *node, double *out, yt_error *err);
/* true/false, yes/no, on/off, case-insensitive. */
int yt_bool(const yt_doc *doc, const yt_node *node, bool *out, yt_error *err);
/* Duration ("20ms", "1m30s"); bare numbers rejected except "0". */
int yt_duration(const yt_doc *doc, const yt_node *node, uint64_t *out_ns, yt_error *err);
/* Rate ("100/s"). */
int yt_rate(const yt_doc *doc, const yt_node *node, double *per_sec, yt_error *err);
/* Percentage or fraction ("1%", "0.01"). */
int yt_percent(const yt_doc *doc, const yt_node *node, double *fraction, yt_error *err);

#endif
