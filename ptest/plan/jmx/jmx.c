/* jmx.c - JMeter plans to ptest YAML: parse (jmx_tree), build the model (jmx_plan), print
 * it as a plan.h YAML document. */
#include "jmx.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jmx_plan.h"
#include "jmx_tree.h"

#define NS_PER_MS UINT64_C(1000000)

/* ---------------------------------------------------------------- YAML out --------- */

/* Text for YAML: quoted (a double-quoted scalar, escapes) or for a comment (anything
 * unprintable becomes '?'). libyaml refuses C0/C1 controls, DEL, BOM and U+FFFE/U+FFFF even
 * inside quotes, so those are escaped; the input is valid UTF-8 (expat guarantees it). */
static void ytext(buf *b, const char *s, bool quoted)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned ch = *p;
        size_t n = ch < 0x80 ? 1 : ch >= 0xf0 ? 4 : ch >= 0xe0 ? 3 : 2;
        uint32_t cp = n == 1 ? ch : n == 2 ? ch & 0x1f : n == 3 ? ch & 0x0f : ch & 0x07;
        size_t k = 1;
        for (; k < n && (p[k] & 0xc0) == 0x80; k++)
            cp = (cp << 6) | (p[k] & 0x3f);
        if (k < n) { /* not UTF-8 after all: never from expat */
            buf_puts(b, quoted ? "\\ufffd" : "?");
            p++;
            continue;
        }
        bool bad = cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f && cp != 0x85) || cp == 0xfeff ||
                   cp == 0xfffe || cp == 0xffff;
        if (quoted && (cp == '"' || cp == '\\'))
            buf_printf(b, "\\%c", (char)cp);
        else if (quoted && cp == '\n')
            buf_puts(b, "\\n");
        else if (quoted && cp == '\t')
            buf_puts(b, "\\t");
        else if (bad && quoted)
            buf_printf(b, "\\u%04" PRIX32, cp);
        else if (bad)
            buf_putc(b, '?');
        else
            buf_append(b, p, n);
        p += n;
    }
}

static void yq(buf *b, const char *s)
{
    buf_putc(b, '"');
    ytext(b, s, true);
    buf_putc(b, '"');
}

static void ydur(buf *b, uint64_t ns)
{
    if (ns % NS_PER_MS == 0)
        buf_printf(b, "%" PRIu64 "ms", ns / NS_PER_MS);
    else if (ns % 1000 == 0)
        buf_printf(b, "%" PRIu64 "us", ns / 1000);
    else
        buf_printf(b, "%" PRIu64 "ns", ns);
}

static void yheaders(buf *b, const jmx_kv *hs, size_t n)
{
    buf_putc(b, '{');
    for (size_t i = 0; i < n; i++) {
        buf_puts(b, i ? ", " : "");
        yq(b, hs[i].name);
        buf_puts(b, ": ");
        yq(b, hs[i].value);
    }
    buf_putc(b, '}');
}

static void emit(const jmx_model *m, const char *file, buf *b)
{
    buf_puts(b, "# Converted by `ptest import` from ");
    ytext(b, file, false);
    buf_puts(b, " (JMeter test plan).\n");
    if (m->n_notes)
        buf_puts(b, "# Not mapped (skipped):\n");
    for (size_t i = 0; i < m->n_notes; i++) {
        buf_printf(b, "#   line %u: ", m->notes[i].line);
        ytext(b, m->notes[i].msg, false);
        buf_putc(b, '\n');
    }
    if (m->name) {
        buf_puts(b, "name: ");
        yq(b, m->name);
        buf_putc(b, '\n');
    }
    if (m->target) {
        buf_puts(b, "target: ");
        yq(b, m->target);
        buf_putc(b, '\n');
    } else {
        buf_puts(b, "# no target: no sampler or HTTP Request Defaults names a server; pass --target\n");
    }
    if (m->connect_ms || m->response_ms) {
        buf_puts(b, "settings:\n");
        if (m->connect_ms)
            buf_printf(b, "  connect_timeout: %" PRIu64 "ms\n", m->connect_ms);
        if (m->response_ms)
            buf_printf(b, "  request_timeout: %" PRIu64 "ms\n", m->response_ms);
    }
    if (m->n_headers) {
        buf_puts(b, "headers: ");
        yheaders(b, m->headers, m->n_headers);
        buf_putc(b, '\n');
    }
    buf_puts(b, "scenarios:\n");
    for (size_t i = 0; i < m->n_sc; i++) {
        const jmx_scen *s = &m->sc[i];
        buf_printf(b, "  # thread group at line %u: samplers in tree order, one pass per loop\n", s->line);
        buf_puts(b, "  - name: ");
        yq(b, s->name);
        buf_printf(b, "\n    model: closed\n    order: sequence\n    users: %" PRIu64 "\n", s->users);
        if (!s->cookies)
            buf_puts(b, "    cookies: false  # no HTTP Cookie Manager in the .jmx\n");
        if (s->data_file) {
            buf_puts(b, "    data: {file: ");
            yq(b, s->data_file);
            if (s->data_columns) {
                buf_puts(b, ", columns: [");
                const char *sep = "";
                for (const char *q = s->data_columns; *q;) {
                    while (*q == ' ' || *q == ',')
                        q++;
                    size_t n = strcspn(q, ", ");
                    if (n) {
                        buf_printf(b, "%s%.*s", sep, (int)n, q);
                        sep = ", ";
                    }
                    q += n;
                }
                buf_printf(b, "], header: %s", s->data_header ? "true" : "false");
            }
            buf_printf(b, ", mode: %s}  # CSV Data Set Config\n", s->data_unique ? "unique" : "sequential");
        }
        if (s->ramp_ns) {
            buf_puts(b, "    ramp_up: ");
            ydur(b, s->ramp_ns);
            buf_putc(b, '\n');
        }
        if (s->iterations)
            buf_printf(b, "    iterations: %" PRIu64 "\n", s->iterations);
        if (s->hold_ns) {
            buf_puts(b, "    hold_for: ");
            ydur(b, s->hold_ns);
            buf_putc(b, '\n');
        }
        if (s->delay_ns) {
            buf_puts(b, "    start_delay: ");
            ydur(b, s->delay_ns);
            buf_putc(b, '\n');
        }
        if (s->no_keep_alive)
            buf_puts(b, "    keep_alive: false               # every sampler: \"Use KeepAlive\" off\n");
        if (s->think_mean_ns || s->think_sd_ns) {
            buf_puts(b, "    # JMeter waits before each sampler, ptest after each request\n");
            buf_printf(b, "    think_time: {dist: %s, mean: ", rng_dist_name(s->think_dist));
            ydur(b, s->think_mean_ns);
            if (s->think_dist != RNG_CONSTANT) {
                buf_puts(b, ", stddev: ");
                ydur(b, s->think_sd_ns);
            }
            buf_puts(b, "}\n");
        }
        buf_puts(b, "    requests:\n");
        for (size_t j = 0; j < s->n_reqs; j++) {
            const jmx_req *r = &s->reqs[j];
            buf_puts(b, "      - label: ");
            yq(b, r->label);
            buf_puts(b, "\n        method: ");
            yq(b, r->method);
            buf_puts(b, "\n        path: ");
            yq(b, r->path);
            buf_putc(b, '\n');
            if (r->n_headers) {
                buf_puts(b, "        headers: ");
                yheaders(b, r->headers, r->n_headers);
                buf_putc(b, '\n');
            }
            if (r->body) {
                buf_puts(b, "        body: ");
                yq(b, r->body);
                buf_putc(b, '\n');
            }
            if (r->status || r->body_contains) {
                buf_puts(b, "        expect: {");
                if (r->status)
                    buf_printf(b, "status: %d%s", r->status, r->body_contains ? ", " : "");
                if (r->body_contains) {
                    buf_puts(b, "body_contains: ");
                    yq(b, r->body_contains);
                }
                buf_puts(b, "}\n");
            }
            if (r->n_extract) {
                buf_puts(b, "        extract:\n");
                for (size_t x = 0; x < r->n_extract; x++) {
                    buf_puts(b, r->extract[x].json ? "          - json: " : "          - regex: ");
                    yq(b, r->extract[x].expr);
                    buf_puts(b, "\n            as: ");
                    yq(b, r->extract[x].as);
                    buf_putc(b, '\n');
                }
            }
        }
    }
}

/* ---------------------------------------------------------------- entry points ----- */

int jmx_to_yaml(const char *file, const char *data, size_t len, const jmx_opts *o, char **yaml, size_t *yaml_len,
                char *err, size_t errlen)
{
    jmx_node *root = NULL;
    jmx_model m;
    jmx_opts none;
    buf out = BUF_INIT;
    char terr[300];
    int rc;

    *yaml = NULL;
    *yaml_len = 0;
    if (!o) {
        memset(&none, 0, sizeof none);
        o = &none;
    }
    rc = jmx_tree_parse(&root, data, len, terr, sizeof terr);
    if (rc != JMX_TREE_OK) {
        snprintf(err, errlen, "%s:%s", file, terr);
        return rc == JMX_TREE_ERR_NOMEM ? JMX_ERR_NOMEM : JMX_ERR_XML;
    }
    rc = jmx_plan_build(&m, file, root, o, err, errlen);
    if (rc == JMX_OK) {
        emit(&m, file, &out);
        if (buf_ok(&out)) {
            *yaml = out.data;
            *yaml_len = out.len;
            out.data = NULL;
        } else {
            snprintf(err, errlen, "%s: out of memory", file);
            rc = JMX_ERR_NOMEM;
        }
    }
    buf_fini(&out);
    jmx_model_fini(&m);
    jmx_tree_destroy(root);
    return rc;
}

int jmx_load_file(plan *p, const char *path, const jmx_opts *o, char *err, size_t errlen)
{
    buf data = BUF_INIT;
    char *yaml = NULL;
    size_t yl;
    int rc = JMX_ERR_IO;

    memset(p, 0, sizeof *p);
    if (buf_read_file(&data, path, SIZE_MAX) != 0) {
        rc = errno == ENOMEM ? JMX_ERR_NOMEM : JMX_ERR_IO;
        snprintf(err, errlen, "%s: %s", path, errno == ENOMEM ? "out of memory" : strerror(errno));
        goto done;
    }
    rc = jmx_to_yaml(path, data.data ? data.data : "", data.len, o, &yaml, &yl, err, errlen);
    if (rc != JMX_OK)
        goto done;
    if (plan_load_string(p, path, yaml, yl, err, errlen) != 0) {
        /* The converted YAML did not load: name the conversion so the location makes sense. */
        size_t el = strlen(err);
        snprintf(err + el, errlen > el ? errlen - el : 0, " (in the YAML converted from it: see ptest import)");
        rc = JMX_ERR_PLAN;
    }
done:
    free(yaml);
    buf_fini(&data);
    return rc;
}
