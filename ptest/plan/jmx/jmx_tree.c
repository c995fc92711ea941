/* jmx_tree.c - expat callbacks building the element tree of jmx_tree.h. */
#include "jmx_tree.h"

#include <expat.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FEED_CHUNK (1u << 20)

typedef struct builder {
    XML_Parser xp;
    jmx_node *root, *cur;
    size_t depth, nodes;
    size_t *text_cap; /* capacity of cur->text, per depth */
    char msg[200];    /* our own reason for stopping the parser */
    bool nomem;
} builder;

static char *dupz(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d)
        memcpy(d, s, n + 1);
    return d;
}

static void stop(builder *b, bool nomem, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void stop(builder *b, bool nomem, const char *fmt, ...)
{
    if (!b->msg[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(b->msg, sizeof b->msg, fmt, ap);
        va_end(ap);
        b->nomem = nomem;
    }
    XML_StopParser(b->xp, XML_FALSE);
}

static void free_node(jmx_node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n_kids; i++)
        free_node(n->kids[i]);
    free(n->kids);
    if (n->attrs)
        for (char **a = n->attrs; *a; a++)
            free(*a);
    free(n->attrs);
    free(n->name);
    free(n->text);
    free(n);
}

void jmx_tree_destroy(jmx_node *root)
{
    free_node(root);
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    builder *b = ud;
    if (b->depth >= JMX_TREE_MAX_DEPTH) {
        stop(b, false, "elements nested deeper than %d levels", JMX_TREE_MAX_DEPTH);
        return;
    }
    if (b->nodes >= JMX_TREE_MAX_NODES) {
        stop(b, false, "more than %d elements", JMX_TREE_MAX_NODES);
        return;
    }
    jmx_node *n = calloc(1, sizeof *n);
    size_t na = 0;
    while (atts[na])
        na++;
    if (!n || !(n->name = dupz(name)) || !(n->attrs = calloc(na + 1, sizeof *n->attrs)) || !(n->text = calloc(1, 1))) {
        free_node(n);
        stop(b, true, "out of memory");
        return;
    }
    for (size_t i = 0; i < na; i++)
        if (!(n->attrs[i] = dupz(atts[i]))) {
            free_node(n);
            stop(b, true, "out of memory");
            return;
        }
    n->line = (unsigned)XML_GetCurrentLineNumber(b->xp);
    n->col = (unsigned)XML_GetCurrentColumnNumber(b->xp) + 1;
    if (b->cur) {
        jmx_node *p = b->cur;
        /* Children are appended one by one; grow by doubling when the count is a power
         * of two so the array needs no separate capacity field. */
        if ((p->n_kids & (p->n_kids - 1)) == 0) {
            size_t cap = p->n_kids ? p->n_kids * 2 : 1;
            jmx_node **k = realloc(p->kids, cap * sizeof *k);
            if (!k) {
                free_node(n);
                stop(b, true, "out of memory");
                return;
            }
            p->kids = k;
        }
        p->kids[p->n_kids++] = n;
        n->parent = p;
    } else {
        b->root = n;
    }
    b->cur = n;
    b->text_cap[b->depth + 1] = 1;
    b->depth++;
    b->nodes++;
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    builder *b = ud;
    (void)name;
    if (b->cur) {
        b->cur = b->cur->parent;
        b->depth--;
    }
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    builder *b = ud;
    jmx_node *n = b->cur;
    if (!n || len <= 0)
        return;
    size_t need = n->text_len + (size_t)len + 1, *cap = &b->text_cap[b->depth];
    if (need > *cap) {
        size_t c = *cap * 2 > need ? *cap * 2 : need;
        char *t = realloc(n->text, c);
        if (!t) {
            stop(b, true, "out of memory");
            return;
        }
        n->text = t;
        *cap = c;
    }
    memcpy(n->text + n->text_len, s, (size_t)len);
    n->text_len += (size_t)len;
    n->text[n->text_len] = '\0';
}

/* A plan needs no DTD; refusing them rules out entity expansion attacks outright. */
static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
                               int has_internal)
{
    (void)name, (void)sysid, (void)pubid, (void)has_internal;
    stop(ud, false, "DOCTYPE declarations are not accepted in a JMeter plan");
}

int jmx_tree_parse(jmx_node **out, const char *data, size_t len, char *err, size_t errlen)
{
    builder b;
    int rc = JMX_TREE_ERR_SYNTAX;

    *out = NULL;
    memset(&b, 0, sizeof b);
    if (!(b.text_cap = calloc(JMX_TREE_MAX_DEPTH + 2, sizeof *b.text_cap)) || !(b.xp = XML_ParserCreate(NULL))) {
        free(b.text_cap);
        snprintf(err, errlen, "out of memory");
        return JMX_TREE_ERR_NOMEM;
    }
    XML_SetUserData(b.xp, &b);
    XML_SetElementHandler(b.xp, on_start, on_end);
    XML_SetCharacterDataHandler(b.xp, on_text);
    XML_SetStartDoctypeDeclHandler(b.xp, on_doctype);

    size_t off = 0;
    bool ok = true;
    do {
        size_t n = len - off > FEED_CHUNK ? FEED_CHUNK : len - off;
        bool last = off + n == len;
        if (XML_Parse(b.xp, data + off, (int)n, last) != XML_STATUS_OK) {
            ok = false;
            break;
        }
        off += n;
    } while (off < len);
    if (ok && !b.root) {
        ok = false;
        snprintf(b.msg, sizeof b.msg, "no root element");
    }
    if (!ok) {
        unsigned line = (unsigned)XML_GetCurrentLineNumber(b.xp);
        unsigned col = (unsigned)XML_GetCurrentColumnNumber(b.xp) + 1;
        if (b.msg[0])
            snprintf(err, errlen, "%u:%u: %s", line, col, b.msg);
        else
            snprintf(err, errlen, "%u:%u: malformed XML: %s", line, col, XML_ErrorString(XML_GetErrorCode(b.xp)));
        rc = b.nomem ? JMX_TREE_ERR_NOMEM : JMX_TREE_ERR_SYNTAX;
        free_node(b.root);
        goto done;
    }
    *out = b.root;
    rc = JMX_TREE_OK;
done:
    XML_ParserFree(b.xp);
    free(b.text_cap);
    return rc;
}

const char *jmx_attr(const jmx_node *n, const char *name)
{
    for (char **a = n->attrs; a && a[0] && a[1]; a += 2)
        if (strcmp(a[0], name) == 0)
            return a[1];
    return NULL;
}
