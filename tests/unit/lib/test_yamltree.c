/* test_yamltree.c - YAML tree loader: valid documents, located errors, limits, getters. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "yamltree.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ------------------------------------------------------------------ */

typedef struct out {
    char s[8192];
    size_t n;
} out;

static void put(out *o, const char *s, size_t n)
{
    if (o->n + n >= sizeof o->s)
        n = sizeof o->s - 1 - o->n;
    memcpy(o->s + o->n, s, n);
    o->n += n;
    o->s[o->n] = '\0';
}

/* Compact rendering: ~ null, "x" quoted scalar, x plain scalar, [a,b], {k:v,k:v}. */
static void render(out *o, const yamltree_node *n)
{
    if (!n) {
        put(o, "(none)", 6);
        return;
    }
    switch (n->kind) {
    case YAMLTREE_NULL: put(o, "~", 1); break;
    case YAMLTREE_SCALAR:
        if (n->quoted)
            put(o, "\"", 1);
        put(o, n->str, n->len);
        if (n->quoted)
            put(o, "\"", 1);
        break;
    case YAMLTREE_SEQ:
        put(o, "[", 1);
        for (size_t i = 0; i < n->n; i++) {
            if (i)
                put(o, ",", 1);
            render(o, n->items[i]);
        }
        put(o, "]", 1);
        break;
    case YAMLTREE_MAP:
        put(o, "{", 1);
        for (size_t i = 0; i < n->n; i++) {
            if (i)
                put(o, ",", 1);
            render(o, n->keys[i]);
            put(o, ":", 1);
            render(o, n->vals[i]);
        }
        put(o, "}", 1);
        break;
    }
}

static const char *render_doc(const yamltree_doc *d)
{
    static out o;
    o.n = 0;
    o.s[0] = '\0';
    render(&o, d->root);
    return o.s;
}

/* Loads text (length from strlen unless len given) and expects success. */
static void load_ok(yamltree_doc *d, const char *text, size_t len)
{
    yamltree_error e = {{0}};
    int rc = yamltree_load_string(d, "t.yaml", text, len ? len : strlen(text), &e);
    if (rc != 0)
        print_error("unexpected error: %s\n", e.msg);
    assert_int_equal(rc, 0);
}

/* ---- valid documents ---------------------------------------------------------- */

static const char msdemo_yaml[] = "listen: 0.0.0.0:8080\n"
                                  "workers: 0\n"
                                  "seed: 42\n"
                                  "drain_timeout: 10s\n"
                                  "limits: {max_connections: 10000, max_header_bytes: 8192, header_timeout: 10s}\n"
                                  "endpoints:\n"
                                  "  - path: /B\n"
                                  "    body: \"*****BETA*****\"\n"
                                  "    delay: {dist: normal, mean: 20ms, stddev: 5ms, n: 1000}\n"
                                  "    errors: {rate: 0.01, status: 500}\n";

static const char plan_yaml[] = "name: ms-demo\n"
                                "target: http://127.0.0.1:8080\n"
                                "scenarios:\n"
                                "  - name: arrivals\n"
                                "    model: open\n"
                                "    stages: [{rate: 100/s, duration: 20s}, {rate: 300/s, duration: 40s}]\n"
                                "thresholds:\n"
                                "  \"*\": [\"p95 < 250ms\", \"error_rate < 1%\"]\n";

static const struct ok_case {
    const char *in;
    const char *want;
} ok_cases[] = {
    {msdemo_yaml, "{listen:0.0.0.0:8080,workers:0,seed:42,drain_timeout:10s,"
                  "limits:{max_connections:10000,max_header_bytes:8192,header_timeout:10s},"
                  "endpoints:[{path:/B,body:\"*****BETA*****\",delay:{dist:normal,mean:20ms,stddev:5ms,n:1000},"
                  "errors:{rate:0.01,status:500}}]}"},
    {plan_yaml, "{name:ms-demo,target:http://127.0.0.1:8080,scenarios:[{name:arrivals,model:open,"
                "stages:[{rate:100/s,duration:20s},{rate:300/s,duration:40s}]}],"
                "thresholds:{\"*\":[\"p95 < 250ms\",\"error_rate < 1%\"]}}"},
    /* empty and null documents have no root */
    {"", "(none)"},
    {"# only a comment\n", "(none)"},
    {"---\n", "(none)"},
    {"---\n...\n", "(none)"},
    {"~\n", "(none)"},
    {"null", "(none)"},
    /* null values */
    {"a:\nb: ~\nc: null\nd: Null\ne: NULL\nf: \"null\"\ng: !!null x\nh: ''\n",
     "{a:~,b:~,c:~,d:~,e:~,f:\"null\",g:~,h:\"\"}"},
    {"[~, null, '']", "[~,~,\"\"]"},
    /* quoting and tags */
    {"a: \"1\"\nb: '2'\nc: 3\nd: !!str 4\ne: ! 5\nf: !!int 6\n", "{a:\"1\",b:\"2\",c:3,d:\"4\",e:\"5\",f:6}"},
    {"\"quoted key\": 1\n'~': 2\nnull: 3\n\"\": 4\n", "{\"quoted key\":1,\"~\":2,null:3,\"\":4}"},
    {"a: |\n  x\n  y\nb: >\n  p\n  q\n", "{a:\"x\ny\n\",b:\"p q\n\"}"},
    {"a: \"tab\\there \\u00e9\"\n", "{a:\"tab\there \xC3\xA9\"}"},
    /* flow style, explicit document markers, directives, BOM, CRLF */
    {"{a: [1, {b: c}], d: []}", "{a:[1,{b:c}],d:[]}"},
    {"--- \na: 1\n...\n", "{a:1}"},
    {"%YAML 1.1\n---\na: 1\n", "{a:1}"},
    {"\xEF\xBB\xBF"
     "a: 1\nb: 2\n",
     "{a:1,b:2}"}, /* UTF-8 BOM */
    {"a: 1\r\nb:\r\n  - x\r\n", "{a:1,b:[x]}"},
    {"- a\n- - b\n  - c\n-\n", "[a,[b,c],~]"},
    {"a: {}\nb: []\n", "{a:{},b:[]}"},
    /* anchors and aliases */
    {"base: &b {x: 1}\nuse: *b\n", "{base:{x:1},use:{x:1}}"},
    {"a: &x 1\nb: &x 2\nc: *x\n", "{a:1,b:2,c:2}"}, /* latest definition wins */
    {"a: &x [&x 1, *x]\nb: *x\n", "{a:[1,1],b:1}"}, /* inner redefinition */
    {"k: &k name\n*k : v\n", "{k:name,name:v}"},    /* alias as a key */
    {"n: &n ~\nv: *n\n", "{n:~,v:~}"},
    /* merge keys: explicit keys win, earlier sources win over later ones */
    {"d: &d {dist: normal, mean: 20ms}\ne:\n  <<: *d\n  mean: 30ms\n",
     "{d:{dist:normal,mean:20ms},e:{mean:30ms,dist:normal}}"},
    {"a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc: {<<: [*a, *b], w: 0}\n",
     "{a:{x:1,y:1},b:{y:2,z:2},c:{w:0,x:1,y:1,z:2}}"},
    {"\"<<\": 1\n", "{\"<<\":1}"}, /* quoted: an ordinary key */
};

static void test_valid_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(ok_cases); i++) {
        yamltree_doc d;
        yamltree_error e = {{0}};
        int rc = yamltree_load_string(&d, "t.yaml", ok_cases[i].in, strlen(ok_cases[i].in), &e);
        if (rc != 0)
            print_error("case %zu: %s\n", i, e.msg);
        assert_int_equal(rc, 0);
        const char *got = render_doc(&d);
        if (strcmp(got, ok_cases[i].want) != 0)
            print_error("case %zu:\n got  %s\n want %s\n", i, got, ok_cases[i].want);
        assert_string_equal(got, ok_cases[i].want);
        assert_string_equal(d.file, "t.yaml");
        yamltree_fini(&d);
        assert_null(d.root);
        yamltree_fini(&d); /* twice is harmless */
    }
}

static void test_positions(void **state)
{
    (void)state;
    yamltree_doc d;
    load_ok(&d, msdemo_yaml, 0);
    const yamltree_node *r = d.root;
    assert_int_equal(r->line, 1);
    assert_int_equal(r->col, 1);
    const yamltree_node *lim = yamltree_get(r, "limits");
    assert_int_equal(lim->line, 5);
    assert_int_equal(lim->col, 9);
    const yamltree_node *k = yamltree_get_key(lim, "header_timeout");
    assert_int_equal(k->line, 5);
    assert_int_equal(k->col, 58);
    const yamltree_node *v = yamltree_get(lim, "header_timeout");
    assert_int_equal(v->line, 5);
    assert_int_equal(v->col, 74);
    const yamltree_node *eps = yamltree_get(r, "endpoints");
    assert_int_equal(eps->kind, YAMLTREE_SEQ);
    assert_int_equal(eps->n, 1);
    const yamltree_node *body = yamltree_get(eps->items[0], "body");
    assert_int_equal(body->line, 8);
    assert_int_equal(body->col, 11);
    assert_true(body->quoted);
    assert_int_equal(body->len, 14);
    yamltree_fini(&d);

    /* A UTF-8 BOM is not a column. */
    load_ok(&d,
            "\xEF\xBB\xBF"
            "ab: 1\n",
            0);
    assert_int_equal(d.root->col, 1);
    assert_int_equal(yamltree_get(d.root, "ab")->col, 5);
    yamltree_fini(&d);

    /* An alias node carries the alias's position, not the anchor's. */
    load_ok(&d, "a: &x {k: 1}\nbb: *x\n", 0);
    const yamltree_node *b = yamltree_get(d.root, "bb");
    assert_int_equal(b->line, 2);
    assert_int_equal(b->col, 5);
    assert_int_equal(b->kind, YAMLTREE_MAP);
    assert_string_equal(yamltree_get(b, "k")->str, "1");
    yamltree_fini(&d);
}

static void test_get(void **state)
{
    (void)state;
    yamltree_doc d;
    load_ok(&d, "a: 1\nab: 2\n\"\": 3\n", 0);
    assert_string_equal(yamltree_get(d.root, "a")->str, "1");
    assert_string_equal(yamltree_get(d.root, "ab")->str, "2");
    assert_string_equal(yamltree_get(d.root, "")->str, "3");
    assert_null(yamltree_get(d.root, "b"));
    assert_null(yamltree_get(d.root, "a "));
    assert_null(yamltree_get(d.root, NULL));
    assert_null(yamltree_get(NULL, "a"));
    assert_null(yamltree_get(yamltree_get(d.root, "a"), "a")); /* not a mapping */
    assert_int_equal(yamltree_get_key(d.root, "ab")->line, 2);
    assert_null(yamltree_get_key(d.root, "zz"));
    yamltree_fini(&d);
}

/* ---- errors: exact messages with positions -------------------------------------- */

/* Builds a document nested depth levels deep in flow style: [[[...]]]. */
static char *nested(unsigned depth)
{
    char *s = malloc(2 * depth + 1);
    assert_non_null(s);
    memset(s, '[', depth);
    memset(s + depth, ']', depth);
    s[2 * depth] = '\0';
    return s;
}

static const struct err_case {
    const char *in;
    size_t len; /* 0 = strlen */
    const char *want;
} err_cases[] = {
    /* syntax errors from libyaml, with its problem and context */
    {"a: 1\nb: [1, 2\n", 0,
     "t.yaml:3:1: did not find expected ',' or ']' (while parsing a flow sequence at line 2, column 4)"},
    {"a: \"unterminated\nb: 2\n", 0,
     "t.yaml:3:1: found unexpected end of stream (while scanning a quoted scalar at line 1, column 4)"},
    {"a: 1\n b: 2\n", 0, "t.yaml:2:3: mapping values are not allowed in this context"},
    {"a: b: c\n", 0, "t.yaml:1:5: mapping values are not allowed in this context"},
    {"- a\nb: 1\n", 0,
     "t.yaml:2:1: did not find expected '-' indicator (while parsing a block collection at line 1, column 1)"},
    {"{a: 1", 0, /* libyaml puts the end of an unterminated line on the next */
     "t.yaml:2:1: did not find expected ',' or '}' (while parsing a flow mapping at line 1, column 1)"},
    {"a:\tb\n\tc: 1", 0,
     "t.yaml:2:1: found a tab character that violates indentation (while scanning a plain scalar at line 1, column 4)"},
    {"{: 1}", 0, "t.yaml:1:2: did not find expected node content (while parsing a flow node at line 1, column 2)"},
    {"a: &", 0,
     "t.yaml:1:5: did not find expected alphabetic or numeric character (while scanning an anchor at line 1, column 4)"},
    /* duplicate keys: at the duplicate, naming the first */
    {"a: 1\nb: 2\na: 3\n", 0, "t.yaml:3:1: duplicate key \"a\" (first defined at line 1, column 1)"},
    {"x:\n  {a: 1, b: 2, a: 3}\n", 0, "t.yaml:2:16: duplicate key \"a\" (first defined at line 2, column 4)"},
    {"a: 1\n\"a\": 2\n", 0, "t.yaml:2:1: duplicate key \"a\" (first defined at line 1, column 1)"},
    {"k: &k a\n*k : 1\na: 2\n", 0, "t.yaml:3:1: duplicate key \"a\" (first defined at line 2, column 1)"},
    {"<<: {a: 1}\n<<: {b: 1}\n", 0, "t.yaml:2:1: duplicate key \"<<\" (first defined at line 1, column 1)"},
    /* keys must be scalars and not empty */
    {"? [a]\n: 1\n", 0, "t.yaml:1:3: mapping key must be a scalar"},
    {"{{a: 1}: 2}", 0, "t.yaml:1:2: mapping key must be a scalar"},
    {"s: &s [1]\n*s : 2\n", 0, "t.yaml:2:1: mapping key must be a scalar"},
    {"? \n: 1\n", 0, "t.yaml:1:2: empty mapping key"},
    /* aliases */
    {"a: *nope\n", 0, "t.yaml:1:4: undefined alias \"nope\""},
    {"a: &x [1, *x]\n", 0, "t.yaml:1:11: alias \"x\" refers to a node that contains it"},
    /* merge keys */
    {"a: {<<: 1}\n", 0, "t.yaml:1:9: merge key \"<<\" needs a mapping or a list of mappings, found \"1\""},
    {"m: &m {x: 1}\na: {<<: [*m, 2]}\n", 0, "t.yaml:2:14: merge key \"<<\" needs mappings, found \"2\""},
    /* documents */
    {"a: 1\n---\nb: 2\n", 0, "t.yaml:2:1: only one YAML document is allowed per file"},
    {"a: 1\n...\n---\nb: 2\n", 0, "t.yaml:3:1: only one YAML document is allowed per file"},
    {"a: 1\n...\nb: 2\n", 0, "t.yaml:3:1: did not find expected <document start>"},
    {"'null': 1\nnull: 2\n", 0, "t.yaml:2:1: duplicate key \"null\" (first defined at line 1, column 1)"},
    /* tags */
    {"a: !include other.yaml\n", 0, "t.yaml:1:4: unsupported tag \"!include\""},
    {"a: !!binary aGk=\n", 0, "t.yaml:1:4: unsupported tag \"!!binary\""},
    {"a: !!set {x: ~}\n", 0, "t.yaml:1:4: unsupported tag \"!!set\""},
    /* NUL and control bytes: located, never a crash or a cut string */
    {"a: 1\nb: x\0y\n", 12, "t.yaml:2:5: control characters are not allowed (0x00)"},
    {"\0", 1, "t.yaml:1:1: control characters are not allowed (0x00)"},
    {"a: \"q\n\0\"\n", 9, "t.yaml:2:1: control characters are not allowed (0x00)"},
    {"a: \x01\n", 0, "t.yaml:1:4: control characters are not allowed (0x01)"},
    {"a: \xC3\xA9\x1B\n", 0, "t.yaml:1:5: control characters are not allowed (0x1B)"},
    {"a: 1\r\nb: 2\rc: \x02\n", 0, "t.yaml:3:4: control characters are not allowed (0x02)"},
    {"a: 1\xC2\x85"
     "b: \x01\n",
     0, "t.yaml:2:4: control characters are not allowed (0x01)"}, /* NEL */
    {"a: \"x\\0y\"\n", 0, "t.yaml:1:4: NUL character in string"},
    {"a: \"\\x00\"\n", 0, "t.yaml:1:4: NUL character in string"},
    /* invalid UTF-8 */
    {"a: \xFF\n", 0, "t.yaml:1:4: invalid leading UTF-8 octet (0xFF)"},
    {"a: \xC3", 0, "t.yaml:1:4: incomplete UTF-8 octet sequence"},
    {"a: \xC3(\n", 0, "t.yaml:1:5: invalid trailing UTF-8 octet (0x28)"}, /* at the bad byte */
    {"a: \xED\xA0\x80\n", 0, "t.yaml:1:4: invalid Unicode character (0xD800)"},
};

static void test_error_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(err_cases); i++) {
        const struct err_case *c = &err_cases[i];
        yamltree_doc d;
        yamltree_error e;
        memset(&e, 0, sizeof e);
        int rc = yamltree_load_string(&d, "t.yaml", c->in, c->len ? c->len : strlen(c->in), &e);
        if (rc != -1 || strcmp(e.msg, c->want) != 0)
            print_error("case %zu: rc %d\n got  %s\n want %s\n", i, rc, e.msg, c->want);
        assert_int_equal(rc, -1);
        assert_string_equal(e.msg, c->want);
        assert_null(d.root);
        assert_null(d.arena);
        yamltree_fini(&d);
    }
}

/* A NUL byte at any position of a real config gives a located error, never success
 * with a silently cut string, and never a crash. */
static void test_nul_everywhere(void **state)
{
    (void)state;
    size_t len = strlen(msdemo_yaml);
    char *s = malloc(len);
    assert_non_null(s);
    for (size_t i = 0; i < len; i++) {
        memcpy(s, msdemo_yaml, len);
        s[i] = '\0';
        yamltree_doc d;
        yamltree_error e = {{0}};
        assert_int_equal(yamltree_load_string(&d, "t.yaml", s, len, &e), -1);
        unsigned line, col;
        assert_int_equal(sscanf(e.msg, "t.yaml:%u:%u: ", &line, &col), 2);
        assert_true(line >= 1 && col >= 1);
    }
    free(s);
}

/* Every prefix of a config either loads or fails with a located message. */
static void test_every_prefix(void **state)
{
    (void)state;
    const char *docs[] = {msdemo_yaml, plan_yaml};
    for (size_t k = 0; k < N(docs); k++) {
        size_t len = strlen(docs[k]);
        for (size_t i = 0; i <= len; i++) {
            yamltree_doc d;
            yamltree_error e = {{0}};
            if (yamltree_load_string(&d, "t.yaml", docs[k], i, &e) == 0) {
                yamltree_fini(&d);
                continue;
            }
            unsigned line, col;
            if (sscanf(e.msg, "t.yaml:%u:%u: ", &line, &col) != 2)
                print_error("prefix %zu: %s\n", i, e.msg);
            assert_int_equal(sscanf(e.msg, "t.yaml:%u:%u: ", &line, &col), 2);
        }
    }
}

/* ---- limits ------------------------------------------------------------------- */

static void test_billion_laughs(void **state)
{
    (void)state;
    static const char bomb[] = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                               "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                               "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                               "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                               "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                               "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                               "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
                               "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
                               "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
    yamltree_doc d;
    yamltree_error e = {{0}};
    assert_int_equal(yamltree_load_string(&d, "t.yaml", bomb, strlen(bomb), &e), -1);
    /* a..d hold 11 + 111 + 1111 + 11111 nodes (+ keys): 12348 nodes before e; each *d
     * adds 11111, so the 8th *d of e passes 100000. */
    assert_string_equal(e.msg, "t.yaml:5:36: alias \"d\" expands the document beyond 100000 nodes");

    /* The same shape one level smaller is fine and fully expanded. */
    static const char small[] = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                                "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                                "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                                "d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n";
    load_ok(&d, small, 0);
    const yamltree_node *dn = yamltree_get(d.root, "d");
    assert_int_equal(dn->n, 10);
    assert_int_equal(dn->items[9]->items[9]->items[9]->n, 10);
    assert_string_equal(dn->items[9]->items[9]->items[9]->items[9]->str, "x");
    yamltree_fini(&d);
}

static void test_merge_bomb(void **state)
{
    (void)state;
    /* Merge keys go through aliases too, so they are bounded by the same limit. */
    out o = {.n = 0};
    put(&o, "a: &a {", 7);
    for (int i = 0; i < 400; i++) {
        char kv[32];
        int n = snprintf(kv, sizeof kv, "%sk%d: v", i ? ", " : "", i);
        put(&o, kv, (size_t)n);
    }
    put(&o, "}\nl:\n", 5);
    for (int i = 0; i < 200; i++)
        put(&o, "  - {<<: *a}\n", 13);
    yamltree_doc d;
    yamltree_error e = {{0}};
    assert_int_equal(yamltree_load_string(&d, "t.yaml", o.s, o.n, &e), -1);
    assert_non_null(strstr(e.msg, "alias \"a\" expands the document beyond 100000 nodes"));
}

static void test_depth_limit(void **state)
{
    (void)state;
    yamltree_doc d;
    yamltree_error e = {{0}};
    char *ok = nested(64), *deep = nested(65), *huge = nested(100000);

    load_ok(&d, ok, 0);
    yamltree_fini(&d);
    /* A scalar counts as a level too: 63 sequences around it are the most. */
    char s63[200], s64[200];
    snprintf(s63, sizeof s63, "%.63sx%.63s", deep, deep + 65);
    snprintf(s64, sizeof s64, "%.64sx%.64s", deep, deep + 65);
    load_ok(&d, s63, 0);
    yamltree_fini(&d);
    assert_int_equal(yamltree_load_string(&d, "t.yaml", s64, strlen(s64), &e), -1);
    assert_string_equal(e.msg, "t.yaml:1:65: nesting deeper than 64 levels");
    assert_int_equal(yamltree_load_string(&d, "t.yaml", deep, strlen(deep), &e), -1);
    assert_string_equal(e.msg, "t.yaml:1:65: nesting deeper than 64 levels");
    assert_int_equal(yamltree_load_string(&d, "t.yaml", huge, strlen(huge), &e), -1);
    assert_string_equal(e.msg, "t.yaml:1:65: nesting deeper than 64 levels");

    /* Depth through an alias: a 40-deep anchor used 30 levels down. */
    char *forty = nested(40), *thirty = nested(30);
    out o = {.n = 0};
    put(&o, "- &x ", 5);
    put(&o, forty, strlen(forty));
    put(&o, "\n- ", 3);
    put(&o, thirty, 30); /* 1 + 30 levels, the alias at 32 */
    put(&o, "*x", 2);
    put(&o, thirty + 30, 30);
    put(&o, "\n", 1);
    assert_int_equal(yamltree_load_string(&d, "t.yaml", o.s, o.n, &e), -1);
    assert_string_equal(e.msg, "t.yaml:2:33: alias \"x\" nests deeper than 64 levels");
    free(ok);
    free(deep);
    free(huge);
    free(forty);
    free(thirty);
}

static void test_size_limits(void **state)
{
    (void)state;
    yamltree_doc d;
    yamltree_error e = {{0}};
    size_t big = ((size_t)4 << 20) + 1;
    char *s = malloc(big);
    assert_non_null(s);
    memset(s, '#', big); /* a giant comment */
    assert_int_equal(yamltree_load_string(&d, "t.yaml", s, big, &e), -1);
    assert_string_equal(e.msg, "t.yaml: input too large (4194305 bytes, limit 4194304)");
    s[0] = '\n';
    assert_int_equal(yamltree_load_string(&d, "t.yaml", s, big - 1, &e), 0); /* exactly at the limit */
    assert_null(d.root);
    yamltree_fini(&d);

    /* Too many plain nodes: 100000 sequence items plus the sequence itself. */
    size_t n = 100000;
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(s + len, "- 1\n", 4);
        len += 4;
    }
    assert_int_equal(yamltree_load_string(&d, "t.yaml", s, len, &e), -1);
    assert_string_equal(e.msg, "t.yaml:100000:3: document has more than 100000 nodes");
    assert_int_equal(yamltree_load_string(&d, "t.yaml", s, len - 4, &e), 0);
    assert_int_equal(d.root->n, n - 1);
    yamltree_fini(&d);
    free(s);
}

/* ---- files -------------------------------------------------------------------- */

static void test_load_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_yamltree.XXXXXX";
    char path[128];
    yamltree_doc d;
    yamltree_error e = {{0}};

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/plan.yaml", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("target: x\nstages: [1, 2\n", f);
    fclose(f);
    assert_int_equal(yamltree_load_file(&d, path, &e), -1);
    char want[256];
    snprintf(want, sizeof want,
             "%s:3:1: did not find expected ',' or ']' (while parsing a flow sequence at line 2, column 9)", path);
    assert_string_equal(e.msg, want);

    f = fopen(path, "w");
    assert_non_null(f);
    fputs(plan_yaml, f);
    fclose(f);
    assert_int_equal(yamltree_load_file(&d, path, &e), 0);
    assert_string_equal(d.file, path);
    assert_string_equal(yamltree_get(d.root, "name")->str, "ms-demo");
    yamltree_fini(&d);

    snprintf(path, sizeof path, "%s/missing.yaml", dir);
    assert_int_equal(yamltree_load_file(&d, path, &e), -1);
    snprintf(want, sizeof want, "%s: cannot open: %s", path, strerror(ENOENT));
    assert_string_equal(e.msg, want);

    assert_int_equal(yamltree_load_file(&d, dir, &e), -1); /* a directory */
    snprintf(want, sizeof want, "%s: read error: %s", dir, strerror(EISDIR));
    assert_string_equal(e.msg, want);

    snprintf(path, sizeof path, "%s/big.yaml", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < (4 << 20) / 64 + 1; i++)
        fprintf(f, "%063d\n", 0);
    fclose(f);
    assert_int_equal(yamltree_load_file(&d, path, &e), -1);
    snprintf(want, sizeof want, "%s: input too large (limit 4194304 bytes)", path);
    assert_string_equal(e.msg, want);
    unlink(path);
    snprintf(path, sizeof path, "%s/plan.yaml", dir);
    unlink(path);
    rmdir(dir);
}

/* ---- yamltree_check_keys -------------------------------------------------------------- */

static const char *const top_keys[] = {"listen", "workers", "seed", "endpoints", "n", NULL};

static const struct keys_case {
    const char *in;
    int rc;
    const char *want;
} keys_cases[] = {
    {"listen: x\nworkers: 1\n", 0, ""},
    {"{}", 0, ""},
    {"listen: x\nendpionts: []\n", -1, "t.yaml:2:1: unknown key \"endpionts\" (did you mean \"endpoints\"?)"},
    {"wrokers: 1\n", -1, "t.yaml:1:1: unknown key \"wrokers\" (did you mean \"workers\"?)"},
    {"{seed: 1, sed: 2}", -1, "t.yaml:1:11: unknown key \"sed\" (did you mean \"seed\"?)"},
    {"Listen: x\n", -1, "t.yaml:1:1: unknown key \"Listen\" (did you mean \"listen\"?)"},
    {"listenn: x\n", -1, "t.yaml:1:1: unknown key \"listenn\" (did you mean \"listen\"?)"},
    {"endpoint_list: x\n", -1,
     "t.yaml:1:1: unknown key \"endpoint_list\" (expected one of: listen, workers, seed, endpoints, n)"},
    {"x: 1\n", -1, "t.yaml:1:1: unknown key \"x\" (expected one of: listen, workers, seed, endpoints, n)"},
    {"seed: 1\nzz: 1\nyy: 2\n", -1,
     "t.yaml:2:1: unknown key \"zz\" (expected one of: listen, workers, seed, endpoints, n)"},
    {"\"a\\x01\\\"b\": 1\n", -1,
     "t.yaml:1:1: unknown key \"a\\x01\\\"b\" (expected one of: listen, workers, seed, endpoints, n)"},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: 1\n", -1,
     "t.yaml:1:1: unknown key \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\" "
     "(expected one of: listen, workers, seed, endpoints, n)"},
};

static void test_check_keys_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(keys_cases); i++) {
        yamltree_doc d;
        yamltree_error e;
        memset(&e, 0, sizeof e);
        load_ok(&d, keys_cases[i].in, 0);
        int rc = yamltree_check_keys(&d, d.root, top_keys, &e);
        if (rc != keys_cases[i].rc || strcmp(e.msg, keys_cases[i].want) != 0)
            print_error("case %zu: rc %d\n got  %s\n want %s\n", i, rc, e.msg, keys_cases[i].want);
        assert_int_equal(rc, keys_cases[i].rc);
        assert_string_equal(e.msg, keys_cases[i].want);
        yamltree_fini(&d);
    }
}

static void test_check_keys_edges(void **state)
{
    (void)state;
    yamltree_doc d;
    yamltree_error e = {{0}};
    static const char *const none[] = {NULL};
    static const char *const many[] = {"aaaaaaaaaaaaaaaaaaaa1",
                                       "aaaaaaaaaaaaaaaaaaaa2",
                                       "aaaaaaaaaaaaaaaaaaaa3",
                                       "aaaaaaaaaaaaaaaaaaaa4",
                                       "aaaaaaaaaaaaaaaaaaaa5",
                                       "aaaaaaaaaaaaaaaaaaaa6",
                                       "aaaaaaaaaaaaaaaaaaaa7",
                                       "aaaaaaaaaaaaaaaaaaaa8",
                                       "aaaaaaaaaaaaaaaaaaaa9",
                                       "aaaaaaaaaaaaaaaaaaab0",
                                       "aaaaaaaaaaaaaaaaaaab1",
                                       "aaaaaaaaaaaaaaaaaaab2",
                                       "aaaaaaaaaaaaaaaaaaab3",
                                       "aaaaaaaaaaaaaaaaaaab4",
                                       "aaaaaaaaaaaaaaaaaaab5",
                                       "aaaaaaaaaaaaaaaaaaab6",
                                       NULL};

    load_ok(&d, "k: [1]\n", 0);
    assert_int_equal(yamltree_check_keys(&d, NULL, top_keys, &e), 0); /* absent map */
    assert_int_equal(yamltree_check_keys(&d, yamltree_get(d.root, "k"), top_keys, &e), -1);
    assert_string_equal(e.msg, "t.yaml:1:4: expected a mapping, found a sequence");
    assert_int_equal(yamltree_check_keys(&d, d.root, none, &e), -1);
    assert_string_equal(e.msg, "t.yaml:1:1: unknown key \"k\"");
    assert_int_equal(yamltree_check_keys(&d, d.root, NULL, &e), -1);
    assert_string_equal(e.msg, "t.yaml:1:1: unknown key \"k\"");
    assert_int_equal(yamltree_check_keys(&d, d.root, many, &e), -1); /* list too long to show */
    assert_string_equal(e.msg, "t.yaml:1:1: unknown key \"k\"");
    assert_int_equal(yamltree_check_keys(&d, d.root, top_keys, NULL), -1); /* no error buffer */
    yamltree_fini(&d);
}

/* ---- typed getters -------------------------------------------------------------- */

enum getter { G_U64, G_DOUBLE, G_BOOL, G_DURATION, G_RATE, G_PERCENT, G_STR };

static const struct get_case {
    const char *in; /* the document is "v: <in>" */
    enum getter g;
    int rc;
    const char *want; /* error message, or the value printed */
} get_cases[] = {
    {"8080", G_U64, 0, "8080"},
    {"\"8080\"", G_U64, 0, "8080"},
    {"1", G_U64, 0, "1"},
    {"65535", G_U64, 0, "65535"},
    {"0", G_U64, -1, "t.yaml:1:4: \"0\" is out of range 1..65535"},
    {"70000", G_U64, -1, "t.yaml:1:4: \"70000\" is out of range 1..65535"},
    {"18446744073709551616", G_U64, -1, "t.yaml:1:4: \"18446744073709551616\" is out of range 1..65535"},
    {"-1", G_U64, -1, "t.yaml:1:4: expected an unsigned integer, found \"-1\""},
    {"1.5", G_U64, -1, "t.yaml:1:4: expected an unsigned integer, found \"1.5\""},
    {"0x10", G_U64, -1, "t.yaml:1:4: expected an unsigned integer, found \"0x10\""},
    {"[1]", G_U64, -1, "t.yaml:1:4: expected an unsigned integer, found a sequence"},
    {"{a: 1}", G_U64, -1, "t.yaml:1:4: expected an unsigned integer, found a mapping"},
    {"", G_U64, -1, "t.yaml:1:3: expected an unsigned integer, found an empty value (null)"},
    {"~", G_U64, -1, "t.yaml:1:4: expected an unsigned integer, found an empty value (null)"},
    {"1.5", G_DOUBLE, 0, "1.5"},
    {"-2e3", G_DOUBLE, 0, "-2000"},
    {".5", G_DOUBLE, 0, "0.5"},
    {"nan", G_DOUBLE, -1, "t.yaml:1:4: expected a finite number, found \"nan\""},
    {".inf", G_DOUBLE, -1, "t.yaml:1:4: expected a finite number, found \".inf\""},
    {"1e999", G_DOUBLE, -1, "t.yaml:1:4: expected a finite number, found \"1e999\""},
    {"1.5x", G_DOUBLE, -1, "t.yaml:1:4: expected a finite number, found \"1.5x\""},
    {"\" 1\"", G_DOUBLE, -1, "t.yaml:1:4: expected a finite number, found \" 1\""},
    {"true", G_BOOL, 0, "1"},
    {"Yes", G_BOOL, 0, "1"},
    {"ON", G_BOOL, 0, "1"},
    {"false", G_BOOL, 0, "0"},
    {"no", G_BOOL, 0, "0"},
    {"Off", G_BOOL, 0, "0"},
    {"1", G_BOOL, -1, "t.yaml:1:4: expected a boolean (true/false), found \"1\""},
    {"maybe", G_BOOL, -1, "t.yaml:1:4: expected a boolean (true/false), found \"maybe\""},
    {"[]", G_BOOL, -1, "t.yaml:1:4: expected a boolean (true/false), found a sequence"},
    {"20ms", G_DURATION, 0, "20000000"},
    {"1m30s", G_DURATION, 0, "90000000000"},
    {"0", G_DURATION, 0, "0"},
    {"20", G_DURATION, -1, "t.yaml:1:4: duration \"20\" needs a unit (ns, us, ms, s, m, h), e.g. \"20ms\""},
    {"-5", G_DURATION, -1,
     "t.yaml:1:4: invalid duration \"-5\" (expected a number and a unit ns, us, ms, s, m or h, "
     "e.g. \"250ms\", \"1.5s\", \"1m30s\")"},
    {"99999999999h", G_DURATION, -1,
     "t.yaml:1:4: invalid duration \"99999999999h\" (expected a number and a unit ns, us, ms, s, m or h, "
     "e.g. \"250ms\", \"1.5s\", \"1m30s\")"},
    {"20 ms", G_DURATION, -1,
     "t.yaml:1:4: invalid duration \"20 ms\" (expected a number and a unit ns, us, ms, s, m or h, "
     "e.g. \"250ms\", \"1.5s\", \"1m30s\")"},
    {"{a: 1}", G_DURATION, -1, "t.yaml:1:4: expected a duration (e.g. \"250ms\"), found a mapping"},
    {"100/s", G_RATE, 0, "100"},
    {"6000/m", G_RATE, 0, "100"},
    {"fast", G_RATE, -1,
     "t.yaml:1:4: invalid rate \"fast\" (expected a positive number per unit, e.g. \"100/s\", \"6000/m\")"},
    {"0/s", G_RATE, -1,
     "t.yaml:1:4: invalid rate \"0/s\" (expected a positive number per unit, e.g. \"100/s\", \"6000/m\")"},
    {"1%", G_PERCENT, 0, "0.01"},
    {"0.5", G_PERCENT, 0, "0.5"},
    {"5", G_PERCENT, -1,
     "t.yaml:1:4: invalid percentage \"5\" (expected e.g. \"1%\", \"0.5%\" or a fraction such as \"0.01\")"},
    {"abc", G_STR, 0, "abc"},
    {"'1'", G_STR, 0, "1"},
    {"[a]", G_STR, -1, "t.yaml:1:4: expected a string, found a sequence"},
    {"", G_STR, -1, "t.yaml:1:3: expected a string, found an empty value (null)"},
};

static void test_getters_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(get_cases); i++) {
        const struct get_case *c = &get_cases[i];
        char text[128], got[128] = "";
        yamltree_doc d;
        yamltree_error e;
        memset(&e, 0, sizeof e);
        snprintf(text, sizeof text, "v: %s\n", c->in);
        load_ok(&d, text, 0);
        const yamltree_node *v = yamltree_get(d.root, "v");
        assert_non_null(v);
        int rc = -2;
        uint64_t u = 0;
        double x = 0;
        bool b = false;
        const char *s = NULL;
        switch (c->g) {
        case G_U64:
            rc = yamltree_u64(&d, v, 1, 65535, &u, &e);
            snprintf(got, sizeof got, "%llu", (unsigned long long)u);
            break;
        case G_DOUBLE:
            rc = yamltree_double(&d, v, &x, &e);
            snprintf(got, sizeof got, "%g", x);
            break;
        case G_BOOL:
            rc = yamltree_bool(&d, v, &b, &e);
            snprintf(got, sizeof got, "%d", b);
            break;
        case G_DURATION:
            rc = yamltree_duration(&d, v, &u, &e);
            snprintf(got, sizeof got, "%llu", (unsigned long long)u);
            break;
        case G_RATE:
            rc = yamltree_rate(&d, v, &x, &e);
            snprintf(got, sizeof got, "%g", x);
            break;
        case G_PERCENT:
            rc = yamltree_percent(&d, v, &x, &e);
            snprintf(got, sizeof got, "%g", x);
            break;
        case G_STR:
            rc = yamltree_str(&d, v, &s, &e);
            snprintf(got, sizeof got, "%s", s ? s : "");
            break;
        }
        const char *cmp = rc == 0 ? got : e.msg;
        if (rc != c->rc || strcmp(cmp, c->want) != 0)
            print_error("case %zu (%s): rc %d\n got  %s\n want %s\n", i, c->in, rc, cmp, c->want);
        assert_int_equal(rc, c->rc);
        assert_string_equal(cmp, c->want);
        yamltree_fini(&d);
    }
}

static void test_u64_full_range(void **state)
{
    (void)state;
    yamltree_doc d;
    yamltree_error e = {{0}};
    uint64_t u = 0;
    load_ok(&d, "a: 18446744073709551615\nb: 18446744073709551616\n", 0);
    assert_int_equal(yamltree_u64(&d, yamltree_get(d.root, "a"), 0, UINT64_MAX, &u, &e), 0);
    assert_true(u == UINT64_MAX);
    u = 7;
    assert_int_equal(yamltree_u64(&d, yamltree_get(d.root, "b"), 0, UINT64_MAX, &u, &e), -1);
    assert_true(u == 7);
    assert_string_equal(e.msg, "t.yaml:2:4: \"18446744073709551616\" is out of range 0..18446744073709551615");
    yamltree_fini(&d);
}

static void test_expect_and_fail(void **state)
{
    (void)state;
    yamltree_doc d;
    yamltree_error e = {{0}};
    load_ok(&d, "m: {a: 1}\ns: [1]\nx: 'hello'\nn:\n", 0);
    assert_int_equal(yamltree_expect(&d, yamltree_get(d.root, "m"), YAMLTREE_MAP, &e), 0);
    assert_int_equal(yamltree_expect(&d, yamltree_get(d.root, "s"), YAMLTREE_MAP, &e), -1);
    assert_string_equal(e.msg, "t.yaml:2:4: expected a mapping, found a sequence");
    assert_int_equal(yamltree_expect(&d, yamltree_get(d.root, "x"), YAMLTREE_SEQ, &e), -1);
    assert_string_equal(e.msg, "t.yaml:3:4: expected a sequence, found \"hello\"");
    assert_int_equal(yamltree_expect(&d, yamltree_get(d.root, "n"), YAMLTREE_SCALAR, &e), -1);
    assert_string_equal(e.msg, "t.yaml:4:3: expected a scalar value, found an empty value (null)");
    assert_int_equal(yamltree_expect(&d, yamltree_get(d.root, "n"), YAMLTREE_NULL, &e), 0);
    assert_int_equal(yamltree_expect(&d, NULL, YAMLTREE_MAP, &e), -1);
    assert_string_equal(e.msg, "t.yaml: expected a mapping, found nothing");

    assert_int_equal(yamltree_fail(&d, NULL, &e, "missing key \"%s\"", "target"), -1);
    assert_string_equal(e.msg, "t.yaml: missing key \"target\"");
    assert_int_equal(yamltree_fail(&d, yamltree_get_key(d.root, "s"), &e, "bad %d", 5), -1);
    assert_string_equal(e.msg, "t.yaml:2:1: bad 5");
    assert_int_equal(yamltree_fail(NULL, NULL, &e, "x"), -1);
    assert_string_equal(e.msg, "<input>: x");
    assert_int_equal(yamltree_fail(&d, NULL, NULL, "x"), -1); /* no error buffer */

    /* Long messages are cut, still NUL-terminated. */
    char longs[1000];
    memset(longs, 'z', sizeof longs - 1);
    longs[sizeof longs - 1] = '\0';
    yamltree_fail(&d, NULL, &e, "%s", longs);
    assert_int_equal(strlen(e.msg), sizeof e.msg - 1);
    yamltree_fini(&d);
}

static void test_null_name_and_data(void **state)
{
    (void)state;
    yamltree_doc d;
    yamltree_error e = {{0}};
    assert_int_equal(yamltree_load_string(&d, NULL, NULL, 0, &e), 0);
    assert_null(d.root);
    assert_string_equal(d.file, "<input>");
    yamltree_fini(&d);
    assert_int_equal(yamltree_load_string(&d, NULL, "a: [", 4, &e), -1);
    assert_int_equal(strncmp(e.msg, "<input>:2:1: ", 13), 0);
    assert_int_equal(yamltree_load_string(&d, "t.yaml", "a: [", 4, NULL), -1); /* no error buffer */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_table),
        cmocka_unit_test(test_positions),
        cmocka_unit_test(test_get),
        cmocka_unit_test(test_error_table),
        cmocka_unit_test(test_nul_everywhere),
        cmocka_unit_test(test_every_prefix),
        cmocka_unit_test(test_billion_laughs),
        cmocka_unit_test(test_merge_bomb),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_size_limits),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_check_keys_table),
        cmocka_unit_test(test_check_keys_edges),
        cmocka_unit_test(test_getters_table),
        cmocka_unit_test(test_u64_full_range),
        cmocka_unit_test(test_expect_and_fail),
        cmocka_unit_test(test_null_name_and_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
