/* fuzz_yamltree.c - libFuzzer target for the YAML tree loader.
 *
 * Loads the input, checks structural invariants on every node (kinds, positions,
 * string lengths, scalar keys without duplicates, depth and node-count limits), then
 * runs yamltree_check_keys and every typed getter on every node, and frees the document.
 * Errors must be located ("name:line:col: ...") or name-only for whole-input limits.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "yamltree.h"

#define LIMIT_DEPTH 64
#define LIMIT_NODES 100000

static const char *const allowed[] = {"listen", "workers", "seed",     "endpoints", "path", "delay",
                                      "name",   "rate",    "duration", "<<",        NULL};

static void check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "invariant failed: %s\n", what);
        abort();
    }
}

static void check_error(const yamltree_error *e)
{
    size_t n = strnlen(e->msg, sizeof e->msg);
    check(n > 0 && n < sizeof e->msg, "error message set and terminated");
    check(strncmp(e->msg, "f.yaml:", 7) == 0, "error names the file");
}

static void exercise_getters(const yamltree_doc *d, const yamltree_node *n)
{
    yamltree_error e;
    uint64_t u;
    double x;
    bool b;
    const char *s;
    int rcs[8];

    rcs[0] = yamltree_u64(d, n, 0, UINT64_MAX, &u, &e);
    rcs[1] = yamltree_double(d, n, &x, &e);
    rcs[2] = yamltree_bool(d, n, &b, &e);
    rcs[3] = yamltree_duration(d, n, &u, &e);
    rcs[4] = yamltree_rate(d, n, &x, &e);
    rcs[5] = yamltree_percent(d, n, &x, &e);
    rcs[6] = yamltree_str(d, n, &s, &e);
    rcs[7] = yamltree_expect(d, n, YAMLTREE_MAP, &e);
    for (int i = 0; i < 8; i++)
        check(rcs[i] == 0 || rcs[i] == -1, "getter returns 0 or -1");
    if (rcs[6] == 0)
        check(s == n->str, "yamltree_str returns the node string");
    if (rcs[1] == 0 || rcs[4] == 0)
        check(x == x, "no NaN from a getter");
    if (rcs[4] == 0)
        check(x > 0, "rates are positive");
    if (n->kind != YAMLTREE_SCALAR)
        check(rcs[0] == -1 && rcs[2] == -1 && rcs[6] == -1, "non-scalars are refused");
}

/* Recursion is bounded by the loader's depth limit, which is itself checked here. */
static void walk(const yamltree_doc *d, const yamltree_node *n, unsigned depth, size_t *count)
{
    check(n != NULL, "no NULL children");
    check(depth <= LIMIT_DEPTH, "depth limit");
    check(++*count <= LIMIT_NODES, "node limit");
    check(n->line >= 1 && n->col >= 1, "1-based positions");
    switch (n->kind) {
    case YAMLTREE_NULL: break;
    case YAMLTREE_SCALAR:
        check(n->str != NULL, "scalar has a string");
        check(strlen(n->str) == n->len, "no NUL inside a scalar");
        break;
    case YAMLTREE_SEQ:
        check(n->n == 0 || n->items != NULL, "sequence items");
        for (size_t i = 0; i < n->n; i++)
            walk(d, n->items[i], depth + 1, count);
        break;
    case YAMLTREE_MAP:
        check(n->n == 0 || (n->keys != NULL && n->vals != NULL), "mapping pairs");
        for (size_t i = 0; i < n->n; i++) {
            const yamltree_node *k = n->keys[i];
            check(k != NULL && k->kind == YAMLTREE_SCALAR, "keys are scalars");
            /* Quadratic, but the node limit keeps maps small enough for fuzzing. */
            for (size_t j = 0; j < i && j < 256; j++)
                check(!(n->keys[j]->len == k->len && memcmp(n->keys[j]->str, k->str, k->len) == 0),
                      "no duplicate keys");
            if (n->n <= 256)
                check(yamltree_get_key(n, k->str) != NULL, "every key is found");
            walk(d, k, depth + 1, count);
            walk(d, n->vals[i], depth + 1, count);
        }
        yamltree_error e;
        int rc = yamltree_check_keys(d, n, allowed, &e);
        check(rc == 0 || rc == -1, "yamltree_check_keys returns 0 or -1");
        if (rc < 0)
            check_error(&e);
        break;
    default: check(false, "valid kind");
    }
    exercise_getters(d, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    yamltree_doc doc;
    yamltree_error err;

    memset(&err, 0, sizeof err);
    if (yamltree_load_string(&doc, "f.yaml", (const char *)data, size, &err) < 0) {
        check_error(&err);
        check(doc.root == NULL && doc.arena == NULL, "failed load leaves an empty doc");
        yamltree_fini(&doc);
        return 0;
    }
    check(doc.file != NULL && strcmp(doc.file, "f.yaml") == 0, "doc.file");
    size_t count = 0;
    if (doc.root) {
        check(doc.root->kind != YAMLTREE_NULL, "a null root is reported as no root");
        walk(&doc, doc.root, 1, &count);
    }
    yamltree_fini(&doc);
    check(doc.root == NULL && doc.arena == NULL, "yamltree_fini clears the doc");
    return 0;
}
