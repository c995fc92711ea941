/* yamltree.c - loading: libyaml events turned into a yamltree_node tree that remembers positions.
 *
 * libyaml's event API does the parsing; this file turns events into nodes with an
 * explicit stack (no recursion, so hostile nesting cannot overflow the C stack).
 * It also resolves aliases and merge keys and enforces the input/node/depth limits.
 * All nodes and strings live in an arena owned by the yamltree_doc, freed by yamltree_fini.
 * Lookups and typed getters are in yamltree_get.c.
 */
#include "yamltree.h"
#include "yamltree_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "buf.h"

/* Limits against hostile or accidental huge input. Configs are a few KiB; the node
 * limit counts every node after alias expansion, which is what stops billion-laughs:
 * aliases share their target's children, so memory stays small, but a consumer walking
 * the tree would still see every expanded node. */
#define YAMLTREE_MAX_INPUT ((size_t)4 << 20)
#define YAMLTREE_MAX_NODES 100000
#define YAMLTREE_MAX_DEPTH 64

/* ---- arena -------------------------------------------------------------------- */

#define ARENA_BLOCK 16384

typedef struct arena_blk {
    struct arena_blk *next;
    size_t used, cap;
    max_align_t mem[];
} arena_blk;

static void *arena_alloc(yamltree_doc *doc, size_t n)
{
    const size_t a = _Alignof(max_align_t);
    arena_blk *h = doc->arena;

    if (n > SIZE_MAX / 2)
        return NULL;
    n = (n + a - 1) & ~(a - 1);
    if (n == 0)
        n = a;
    if (h && h->cap - h->used >= n) {
        void *p = (char *)h->mem + h->used;
        h->used += n;
        return p;
    }
    /* Large requests get a block of their own, linked behind the current block so
     * the current block's free room keeps serving small requests. */
    bool big = n > ARENA_BLOCK / 4;
    size_t cap = big ? n : ARENA_BLOCK;
    arena_blk *blk = malloc(sizeof *blk + cap);
    if (!blk)
        return NULL;
    blk->cap = cap;
    blk->used = n;
    if (h && big) {
        blk->next = h->next;
        h->next = blk;
    } else {
        blk->next = h;
        doc->arena = blk;
    }
    return blk->mem;
}

static char *arena_strdup(yamltree_doc *doc, const char *s, size_t len)
{
    char *p = arena_alloc(doc, len + 1);
    if (p) {
        if (len > 0)
            memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

void yamltree_fini(yamltree_doc *doc)
{
    if (!doc)
        return;
    arena_blk *b = doc->arena;
    while (b) {
        arena_blk *next = b->next;
        free(b);
        b = next;
    }
    doc->arena = NULL;
    doc->root = NULL;
    doc->file = NULL;
}

/* ---- small string-keyed hash table (anchors, keys of one mapping) --------------- */

typedef struct ht_ent {
    const char *k;
    size_t klen;
    void *val;
} ht_ent;

typedef struct ht {
    ht_ent *e;
    size_t cap, count; /* cap is a power of two; count < cap / 2 */
} ht;

static size_t ht_hash(const char *k, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)k[i];
        h *= 16777619u;
    }
    return h;
}

static ht_ent *ht_slot(const ht *t, const char *k, size_t n)
{
    size_t i = ht_hash(k, n) & (t->cap - 1);
    for (;;) {
        ht_ent *e = &t->e[i];
        if (!e->k || (e->klen == n && memcmp(e->k, k, n) == 0))
            return e;
        i = (i + 1) & (t->cap - 1);
    }
}

static void *ht_get(const ht *t, const char *k, size_t n)
{
    if (t->cap == 0)
        return NULL;
    ht_ent *e = ht_slot(t, k, n);
    return e->k ? e->val : NULL;
}

/* Inserts or replaces. The key memory must outlive the table. Returns 0 or -1 (memory). */
static int ht_put(ht *t, const char *k, size_t n, void *val)
{
    if ((t->count + 1) * 2 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        ht_ent *e = calloc(cap, sizeof *e);
        if (!e)
            return -1;
        ht old = *t;
        t->e = e;
        t->cap = cap;
        for (size_t i = 0; i < old.cap; i++)
            if (old.e[i].k)
                *ht_slot(t, old.e[i].k, old.e[i].klen) = old.e[i];
        free(old.e);
    }
    ht_ent *e = ht_slot(t, k, n);
    if (!e->k) {
        e->k = k;
        e->klen = n;
        t->count++;
    }
    e->val = val;
    return 0;
}

static void ht_free(ht *t)
{
    free(t->e);
    t->e = NULL;
    t->cap = t->count = 0;
}

/* ---- messages ----------------------------------------------------------------- */

static void set_err(yamltree_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(yamltree_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
}

/* ---- builder ------------------------------------------------------------------ */

typedef struct anchor_rec {
    yamltree_node *node;
    size_t size;     /* nodes in the subtree, aliases expanded */
    unsigned height; /* levels in the subtree; a scalar is 1 */
    bool complete;   /* false while the anchored collection is still open */
} anchor_rec;

typedef struct frame {
    yamltree_node *node; /* YAMLTREE_SEQ or YAMLTREE_MAP being filled */
    yamltree_node **v;   /* items, or key, value, key, value... */
    size_t n, cap;
    size_t size;
    unsigned height;
    const char *anchor; /* arena string or NULL */
} frame;

typedef struct builder {
    yamltree_doc *doc;
    yamltree_error *err;
    frame st[YAMLTREE_MAX_DEPTH];
    unsigned depth;
    size_t total;
    int docs;
    ht anchors;
} builder;

static int bfail_at(builder *b, size_t line0, size_t col0, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int bfail_at(builder *b, size_t line0, size_t col0, const char *fmt, ...)
{
    yamltree_node where = {.line = (unsigned)(line0 + 1), .col = (unsigned)(col0 + 1)};
    va_list ap;
    va_start(ap, fmt);
    yamltree_vfail(b->doc, &where, b->err, fmt, ap);
    va_end(ap);
    return -1;
}

static int oom(builder *b)
{
    set_err(b->err, "%s: out of memory", yamltree_doc_name(b->doc));
    return -1;
}

static bool at_key(const builder *b)
{
    if (b->depth == 0)
        return false;
    const frame *f = &b->st[b->depth - 1];
    return f->node->kind == YAMLTREE_MAP && f->n % 2 == 0;
}

static yamltree_node *new_node(builder *b, enum yamltree_kind kind, yaml_mark_t m)
{
    yamltree_node *n = arena_alloc(b->doc, sizeof *n);
    if (n) {
        memset(n, 0, sizeof *n);
        n->kind = kind;
        n->line = (unsigned)(m.line + 1);
        n->col = (unsigned)(m.column + 1);
    }
    return n;
}

/* Adds size expanded nodes to the document total; alias is the quoted alias name or NULL. */
static int count(builder *b, size_t size, yaml_mark_t m, const char *alias)
{
    if (size > YAMLTREE_MAX_NODES || b->total > YAMLTREE_MAX_NODES - size) {
        if (alias)
            return bfail_at(b, m.line, m.column, "alias %s expands the document beyond %d nodes", alias,
                            YAMLTREE_MAX_NODES);
        return bfail_at(b, m.line, m.column, "document has more than %d nodes", YAMLTREE_MAX_NODES);
    }
    b->total += size;
    return 0;
}

/* A new scalar or collection at m, one level below the open one: NULL with the error set
 * when it would nest too deep, exceed the node limit, or memory is out. */
static yamltree_node *one_more_node(builder *b, enum yamltree_kind kind, yaml_mark_t m)
{
    if (b->depth >= YAMLTREE_MAX_DEPTH) {
        bfail_at(b, m.line, m.column, "nesting deeper than %d levels", YAMLTREE_MAX_DEPTH);
        return NULL;
    }
    if (count(b, 1, m, NULL) < 0)
        return NULL;
    yamltree_node *n = new_node(b, kind, m);
    if (!n)
        oom(b);
    return n;
}

/* Appends a finished node to the open collection (or makes it the root). */
static int attach(builder *b, yamltree_node *node, size_t size, unsigned height)
{
    if (b->depth == 0) {
        b->doc->root = node;
        return 0;
    }
    frame *f = &b->st[b->depth - 1];
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        yamltree_node **v = realloc(f->v, cap * sizeof *v);
        if (!v)
            return oom(b);
        f->v = v;
        f->cap = cap;
    }
    f->v[f->n++] = node;
    f->size += size;
    if (height + 1 > f->height)
        f->height = height + 1;
    return 0;
}

enum tag_class { TAG_NONE, TAG_STR, TAG_NULL, TAG_OK, TAG_BAD };

static enum tag_class classify_tag(const yaml_char_t *tag, bool scalar)
{
    static const char core[] = "tag:yaml.org,2002:";
    const char *t = (const char *)tag;
    if (!t)
        return TAG_NONE;
    if (strcmp(t, "!") == 0) /* non-specific: a string for scalars */
        return scalar ? TAG_STR : TAG_OK;
    if (strncmp(t, core, sizeof core - 1) != 0)
        return TAG_BAD;
    t += sizeof core - 1;
    if (!scalar)
        return strcmp(t, "map") == 0 || strcmp(t, "seq") == 0 ? TAG_OK : TAG_BAD;
    if (strcmp(t, "str") == 0)
        return TAG_STR;
    if (strcmp(t, "null") == 0)
        return TAG_NULL;
    if (strcmp(t, "int") == 0 || strcmp(t, "float") == 0 || strcmp(t, "bool") == 0)
        return TAG_OK;
    return TAG_BAD;
}

/* "tag:yaml.org,2002:binary" reads better as the "!!binary" the user wrote. */
static int bad_tag(builder *b, yaml_mark_t m, const yaml_char_t *tag)
{
    static const char core[] = "tag:yaml.org,2002:";
    const char *t = (const char *)tag;
    char shown[80], q[YAMLTREE_QUOTE_CAP];
    if (strncmp(t, core, sizeof core - 1) == 0)
        snprintf(shown, sizeof shown, "!!%s", t + sizeof core - 1);
    else
        snprintf(shown, sizeof shown, "%s", t);
    yamltree_quote(q, sizeof q, shown, strlen(shown));
    return bfail_at(b, m.line, m.column, "unsupported tag %s", q);
}

static bool is_null_text(const char *s, size_t n)
{
    return n == 0 || (n == 1 && s[0] == '~') ||
           (n == 4 && (!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) || !memcmp(s, "NULL", 4)));
}

static int anchor_define(builder *b, const yaml_char_t *name, yamltree_node *node, bool complete, const char **out_name)
{
    const char *a = (const char *)name;
    size_t n = strlen(a);
    anchor_rec *r = arena_alloc(b->doc, sizeof *r);
    char *k = arena_strdup(b->doc, a, n);
    if (!r || !k)
        return oom(b);
    r->node = node;
    r->size = 1;
    r->height = 1;
    r->complete = complete;
    if (ht_put(&b->anchors, k, n, r) < 0)
        return oom(b);
    if (out_name)
        *out_name = k;
    return 0;
}

static int on_scalar(builder *b, const yaml_event_t *ev)
{
    const char *val = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    yaml_mark_t m = ev->start_mark;
    bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    bool key = at_key(b);
    enum tag_class tc = classify_tag(ev->data.scalar.tag, true);

    if (tc == TAG_BAD)
        return bad_tag(b, m, ev->data.scalar.tag);
    /* The tree hands out NUL-terminated strings; a "\0" escape would silently cut them. */
    if (len > 0 && memchr(val, '\0', len))
        return bfail_at(b, m.line, m.column, "NUL character in string");
    yamltree_node *node = one_more_node(b, YAMLTREE_SCALAR, m);
    if (!node)
        return -1;
    if (!(node->str = arena_strdup(b->doc, val, len)))
        return oom(b);
    node->len = len;
    node->quoted = !plain || tc == TAG_STR;
    if (key) {
        if (len == 0 && !node->quoted)
            return bfail_at(b, m.line, m.column, "empty mapping key");
    } else if (tc == TAG_NULL || (tc == TAG_NONE && plain && is_null_text(val, len))) {
        node->kind = YAMLTREE_NULL;
    }
    if (ev->data.scalar.anchor && anchor_define(b, ev->data.scalar.anchor, node, true, NULL) < 0)
        return -1;
    return attach(b, node, 1, 1);
}

static int on_alias(builder *b, const yaml_event_t *ev)
{
    const char *name = (const char *)ev->data.alias.anchor;
    yaml_mark_t m = ev->start_mark;
    anchor_rec *r = ht_get(&b->anchors, name, strlen(name));
    char q[YAMLTREE_QUOTE_CAP];

    yamltree_quote(q, sizeof q, name, strlen(name));
    if (!r)
        return bfail_at(b, m.line, m.column, "undefined alias %s", q);
    if (!r->complete)
        return bfail_at(b, m.line, m.column, "alias %s refers to a node that contains it", q);
    bool key = at_key(b);
    if (key && (r->node->kind == YAMLTREE_SEQ || r->node->kind == YAMLTREE_MAP))
        return bfail_at(b, m.line, m.column, "mapping key must be a scalar");
    if (b->depth + r->height > YAMLTREE_MAX_DEPTH)
        return bfail_at(b, m.line, m.column, "alias %s nests deeper than %d levels", q, YAMLTREE_MAX_DEPTH);
    if (count(b, r->size, m, q) < 0)
        return -1;
    /* A shallow copy: children are shared with the anchored node, but the copy carries
     * the alias's own position, so messages point where the value is used. */
    yamltree_node *node = new_node(b, r->node->kind, m);
    if (!node)
        return oom(b);
    unsigned line = node->line, col = node->col;
    *node = *r->node;
    node->line = line;
    node->col = col;
    if (key && node->kind == YAMLTREE_NULL) {
        if (node->len == 0 && !node->quoted)
            return bfail_at(b, m.line, m.column, "empty mapping key");
        node->kind = YAMLTREE_SCALAR;
    }
    return attach(b, node, r->size, r->height);
}

static int on_start(builder *b, const yaml_event_t *ev, enum yamltree_kind kind)
{
    yaml_mark_t m = ev->start_mark;
    const yaml_char_t *tag, *anchor;

    if (kind == YAMLTREE_MAP) {
        tag = ev->data.mapping_start.tag;
        anchor = ev->data.mapping_start.anchor;
    } else {
        tag = ev->data.sequence_start.tag;
        anchor = ev->data.sequence_start.anchor;
    }
    if (classify_tag(tag, false) == TAG_BAD)
        return bad_tag(b, m, tag);
    if (at_key(b))
        return bfail_at(b, m.line, m.column, "mapping key must be a scalar");
    yamltree_node *node = one_more_node(b, kind, m);
    if (!node)
        return -1;
    frame *f = &b->st[b->depth++];
    memset(f, 0, sizeof *f);
    f->node = node;
    f->size = 1;
    f->height = 1;
    if (anchor && anchor_define(b, anchor, node, false, &f->anchor) < 0)
        return -1;
    return 0;
}

static bool is_merge_key(const yamltree_node *k)
{
    return k->kind == YAMLTREE_SCALAR && !k->quoted && k->len == 2 && k->str[0] == '<' && k->str[1] == '<';
}

typedef struct pairs {
    yamltree_node **k, **v;
    size_t n, cap;
} pairs;

static int pairs_add(pairs *p, yamltree_node *k, yamltree_node *v)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 8;
        yamltree_node **nk = realloc(p->k, cap * sizeof *nk);
        if (!nk)
            return -1;
        p->k = nk;
        yamltree_node **nv = realloc(p->v, cap * sizeof *nv);
        if (!nv)
            return -1;
        p->v = nv;
        p->cap = cap;
    }
    p->k[p->n] = k;
    p->v[p->n] = v;
    p->n++;
    return 0;
}

/* Adds src's pairs whose keys are not present yet (explicit keys win over merged ones,
 * and earlier merge sources over later ones, as YAML's merge key type specifies). */
static int merge_from(builder *b, ht *seen, pairs *out, const yamltree_node *src)
{
    for (size_t j = 0; j < src->n; j++) {
        yamltree_node *k = src->keys[j];
        if (ht_get(seen, k->str, k->len))
            continue;
        if (ht_put(seen, k->str, k->len, k) < 0 || pairs_add(out, k, src->vals[j]) < 0)
            return oom(b);
    }
    return 0;
}

static int finish_map(builder *b, frame *f)
{
    yamltree_node *map = f->node;
    size_t np = f->n / 2;
    ht seen = {0};
    pairs out = {0};
    int rc = -1;
    char q[YAMLTREE_QUOTE_CAP];

    /* Duplicates are found in document order, so the error names the second
     * occurrence of the earliest repeated key. */
    for (size_t i = 0; i < np; i++) {
        yamltree_node *k = f->v[2 * i], *first = ht_get(&seen, k->str, k->len);
        if (first) {
            yamltree_fail(b->doc, k, b->err, "duplicate key %s (first defined at line %u, column %u)",
                          yamltree_quote(q, sizeof q, k->str, k->len), first->line, first->col);
            goto done;
        }
        if (ht_put(&seen, k->str, k->len, k) < 0) {
            oom(b);
            goto done;
        }
        if (!is_merge_key(k) && pairs_add(&out, k, f->v[2 * i + 1]) < 0) {
            oom(b);
            goto done;
        }
    }
    /* "<<: *base" or "<<: [*a, *b]" (YAML merge keys, common in configs). */
    for (size_t i = 0; i < np; i++) {
        const yamltree_node *k = f->v[2 * i], *v = f->v[2 * i + 1];
        if (!is_merge_key(k))
            continue;
        if (v->kind == YAMLTREE_MAP) {
            if (merge_from(b, &seen, &out, v) < 0)
                goto done;
        } else if (v->kind == YAMLTREE_SEQ) {
            for (size_t j = 0; j < v->n; j++) {
                if (v->items[j]->kind != YAMLTREE_MAP) {
                    yamltree_fail(b->doc, v->items[j], b->err, "merge key \"<<\" needs mappings, found %s",
                                  yamltree_describe(v->items[j], q, sizeof q));
                    goto done;
                }
            }
            for (size_t j = 0; j < v->n; j++)
                if (merge_from(b, &seen, &out, v->items[j]) < 0)
                    goto done;
        } else {
            yamltree_fail(b->doc, v, b->err, "merge key \"<<\" needs a mapping or a list of mappings, found %s",
                          yamltree_describe(v, q, sizeof q));
            goto done;
        }
    }
    map->n = out.n;
    if (out.n > 0) {
        map->keys = arena_alloc(b->doc, out.n * sizeof *map->keys);
        map->vals = arena_alloc(b->doc, out.n * sizeof *map->vals);
        if (!map->keys || !map->vals) {
            oom(b);
            goto done;
        }
        memcpy(map->keys, out.k, out.n * sizeof *map->keys);
        memcpy(map->vals, out.v, out.n * sizeof *map->vals);
    }
    rc = 0;
done:
    ht_free(&seen);
    free(out.k);
    free(out.v);
    return rc;
}

static int on_end(builder *b)
{
    frame *f = &b->st[b->depth - 1];
    yamltree_node *node = f->node;

    if (node->kind == YAMLTREE_MAP) {
        if (finish_map(b, f) < 0)
            return -1;
    } else if (f->n > 0) {
        node->items = arena_alloc(b->doc, f->n * sizeof *node->items);
        if (!node->items)
            return oom(b);
        memcpy(node->items, f->v, f->n * sizeof *node->items);
        node->n = f->n;
    }
    if (f->anchor) {
        /* Only if the anchor was not redefined inside this node meanwhile. */
        anchor_rec *r = ht_get(&b->anchors, f->anchor, strlen(f->anchor));
        if (r && r->node == node) {
            r->complete = true;
            r->size = f->size;
            r->height = f->height;
        }
    }
    size_t size = f->size;
    unsigned height = f->height;
    free(f->v);
    f->v = NULL;
    b->depth--;
    return attach(b, node, size, height);
}

/* libyaml reports reader errors (bad UTF-8, control characters such as NUL) by byte
 * offset only; turn it into line:col the way libyaml counts (columns in characters). */
static void offset_to_pos(const char *data, size_t len, size_t off, size_t *line, size_t *col)
{
    size_t l = 0, c = 0;
    if (off > len)
        off = len;
    for (size_t i = 0; i < off; i++) {
        unsigned char ch = (unsigned char)data[i];
        const unsigned char *u = (const unsigned char *)data + i;
        /* YAML 1.1 line breaks: LF, CR, CRLF, and NEL, LS, PS (counted at their last byte). */
        bool nel = i >= 1 && u[-1] == 0xC2 && ch == 0x85;
        bool ls_ps = i >= 2 && u[-2] == 0xE2 && u[-1] == 0x80 && (ch == 0xA8 || ch == 0xA9);
        if (nel || ls_ps) {
            l++;
            c = 0;
        } else if (ch == '\n' || (ch == '\r' && (i + 1 >= len || data[i + 1] != '\n'))) {
            l++;
            c = 0;
        } else if ((ch & 0xC0) != 0x80 && ch != '\r') {
            c++;
        }
    }
    *line = l;
    *col = c;
}

static int parser_error(builder *b, const yaml_parser_t *p, const char *data, size_t len)
{
    const char *problem = p->problem ? p->problem : "syntax error";
    size_t line, col;

    switch (p->error) {
    case YAML_MEMORY_ERROR: return oom(b);
    case YAML_READER_ERROR:
        offset_to_pos(data, len, p->problem_offset, &line, &col);
        if (p->problem_value >= 0)
            return bfail_at(b, line, col, "%s (0x%02X)", problem, (unsigned)p->problem_value);
        return bfail_at(b, line, col, "%s", problem);
    default:
        if (p->context)
            return bfail_at(b, p->problem_mark.line, p->problem_mark.column, "%s (%s at line %zu, column %zu)", problem,
                            p->context, p->context_mark.line + 1, p->context_mark.column + 1);
        return bfail_at(b, p->problem_mark.line, p->problem_mark.column, "%s", problem);
    }
}

static int on_event(builder *b, const yaml_event_t *ev, bool *done)
{
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (b->docs++ > 0)
            return bfail_at(b, ev->start_mark.line, ev->start_mark.column,
                            "only one YAML document is allowed per file");
        return 0;
    case YAML_STREAM_END_EVENT: *done = true; return 0;
    case YAML_SCALAR_EVENT: return on_scalar(b, ev);
    case YAML_ALIAS_EVENT: return on_alias(b, ev);
    case YAML_SEQUENCE_START_EVENT: return on_start(b, ev, YAMLTREE_SEQ);
    case YAML_MAPPING_START_EVENT: return on_start(b, ev, YAMLTREE_MAP);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: return b->depth > 0 ? on_end(b) : 0;
    default: return 0;
    }
}

int yamltree_load_string(yamltree_doc *doc, const char *name, const char *data, size_t len, yamltree_error *err)
{
    builder b;
    yaml_parser_t parser;
    bool parser_ok = false, done = false;
    int rc = -1;

    memset(doc, 0, sizeof *doc);
    memset(&b, 0, sizeof b);
    b.doc = doc;
    b.err = err;
    if (!name)
        name = "<input>";
    if (len > YAMLTREE_MAX_INPUT) {
        set_err(err, "%s: input too large (%zu bytes, limit %zu)", name, len, YAMLTREE_MAX_INPUT);
        return -1;
    }
    doc->file = arena_strdup(doc, name, strlen(name));
    if (!doc->file) {
        set_err(err, "%s: out of memory", name);
        return -1;
    }
    if (!yaml_parser_initialize(&parser)) {
        oom(&b);
        goto out;
    }
    parser_ok = true;
    /* UTF-8 only: libyaml would guess UTF-16 from a BOM, and reader error offsets
     * would then no longer map to our bytes. With the encoding fixed, libyaml no
     * longer skips a UTF-8 BOM itself (it would count it as a column and misread the
     * indentation of line 1), so it is dropped here. */
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    if (data && len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3;
        len -= 3;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)(data ? data : ""), data ? len : 0);
    while (!done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            parser_error(&b, &parser, data ? data : "", data ? len : 0);
            goto out;
        }
        int r = on_event(&b, &ev, &done);
        yaml_event_delete(&ev);
        if (r < 0)
            goto out;
    }
    /* A document that is empty or just "~" has no root. */
    if (doc->root && doc->root->kind == YAMLTREE_NULL)
        doc->root = NULL;
    rc = 0;
out:
    for (unsigned i = 0; i < b.depth; i++)
        free(b.st[i].v);
    ht_free(&b.anchors);
    if (parser_ok)
        yaml_parser_delete(&parser);
    if (rc < 0)
        yamltree_fini(doc);
    return rc;
}

int yamltree_load_file(yamltree_doc *doc, const char *path, yamltree_error *err)
{
    buf data = BUF_INIT;
    int rc = -1;

    memset(doc, 0, sizeof *doc);
    if (buf_read_file(&data, path, YAMLTREE_MAX_INPUT) != 0) {
        if (errno == EFBIG)
            set_err(err, "%s: input too large (limit %zu bytes)", path, YAMLTREE_MAX_INPUT);
        else if (errno == ENOMEM)
            set_err(err, "%s: out of memory", path);
        else if (!data.cap) /* nothing was read: the open failed */
            set_err(err, "%s: cannot open: %s", path, strerror(errno));
        else
            set_err(err, "%s: read error: %s", path, strerror(errno));
        goto out;
    }
    rc = yamltree_load_string(doc, path, data.data, data.len, err);
out:
    buf_fini(&data);
    return rc;
}
