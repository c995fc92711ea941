/* jmx_tree.h - an XML document (a JMeter .jmx) loaded into a small element tree.
 *
 * expat parses; every element keeps its name, attributes, character data (concatenated,
 * entities decoded) and the 1-based line and column of its start tag, so every message
 * about a plan can name file:line:col. Limits guard against hostile input: nesting at most
 * JMX_TREE_MAX_DEPTH, at most JMX_TREE_MAX_NODES elements. DTDs and entity declarations
 * are refused (no billion-laughs).
 *
 * Ownership: jmx_tree_parse returns a tree owned by the caller (jmx_tree_destroy); all
 * strings belong to the tree. Not thread-safe per tree; separate trees are independent.
 */
#ifndef PTEST_JMX_TREE_H
#define PTEST_JMX_TREE_H

#include <stddef.h>

#define JMX_TREE_MAX_DEPTH 256
#define JMX_TREE_MAX_NODES 1000000

typedef struct jmx_node jmx_node;
struct jmx_node {
    char *name;   /* element name as written */
    char **attrs; /* name, value, name, value, ..., NULL */
    char *text;   /* character data directly inside ("" when none) */
    size_t text_len;
    unsigned line, col;
    jmx_node *parent;
    size_t n_kids;
    jmx_node **kids; /* child elements in document order */
};

enum { JMX_TREE_OK = 0, JMX_TREE_ERR_SYNTAX = -1, JMX_TREE_ERR_NOMEM = -2 };

/* Parses len bytes of XML. Returns JMX_TREE_OK with *out set (the document element), or a
 * negative code with *out NULL and err filled with "line:col: message". */
int jmx_tree_parse(jmx_node **out, const char *data, size_t len, char *err, size_t errlen);
void jmx_tree_destroy(jmx_node *root);

/* The value of attribute name, or NULL. */
const char *jmx_attr(const jmx_node *n, const char *name);

#endif
