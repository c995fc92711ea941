/* results.c - results.json (the one writer of it: see results.h) and the interval logs. */
#include "results.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hlog.h"
#include "jsonw.h"

#ifndef PT_VERSION
#define PT_VERSION "unknown"
#endif

/* ---------------------------------------------------------------- JSON ------------- */

static void json_hist(jsonw *w, const char *key, const hist *h)
{
    jsonw_key(w, key);
    jsonw_obj_begin(w);
    jsonw_key(w, "count");
    jsonw_u64(w, h->total_count);
    static const struct {
        const char *name;
        double p;
    } pct[] = {{"p50", 50.0}, {"p90", 90.0}, {"p95", 95.0}, {"p99", 99.0}, {"p999", 99.9}};
    bool empty = h->total_count == 0;
    jsonw_key(w, "min");
    if (empty)
        jsonw_null(w);
    else
        jsonw_u64(w, hist_min(h));
    jsonw_key(w, "mean");
    if (empty)
        jsonw_null(w);
    else
        jsonw_double(w, hist_mean(h));
    jsonw_key(w, "stddev");
    if (empty)
        jsonw_null(w);
    else
        jsonw_double(w, hist_stddev(h));
    for (size_t i = 0; i < sizeof(pct) / sizeof(pct[0]); i++) {
        jsonw_key(w, pct[i].name);
        if (empty)
            jsonw_null(w);
        else
            jsonw_u64(w, hist_value_at_percentile(h, pct[i].p));
    }
    jsonw_key(w, "max");
    if (empty)
        jsonw_null(w);
    else
        jsonw_u64(w, hist_max(h));
    jsonw_obj_end(w);
}

static void json_label(jsonw *w, const results_label *l, double duration_s, bool tls)
{
    const stats_label *t = l->tot;
    jsonw_obj_begin(w);
    jsonw_key(w, "count");
    jsonw_u64(w, t->count);
    jsonw_key(w, "errors");
    jsonw_u64(w, t->errors);
    jsonw_key(w, "error_rate");
    jsonw_double(w, t->count ? (double)t->errors / (double)t->count : 0.0);
    jsonw_key(w, "dropped");
    jsonw_u64(w, t->dropped);
    jsonw_key(w, "queued");
    jsonw_u64(w, t->queued);
    jsonw_key(w, "rps");
    jsonw_double(w, duration_s > 0 ? (double)t->count / duration_s : 0.0);
    jsonw_key(w, "bytes_received");
    jsonw_u64(w, t->bytes_rx);
    jsonw_key(w, "bytes_sent");
    jsonw_u64(w, t->bytes_tx);
    jsonw_key(w, "connections");
    jsonw_u64(w, t->connections);
    json_hist(w, "latency_us", l->lat);
    if (l->no_service_time) {
        jsonw_key(w, "service_time_us");
        jsonw_null(w);
    } else {
        json_hist(w, "service_time_us", &t->svc);
    }
    jsonw_key(w, "errors_by_kind");
    jsonw_obj_begin(w);
    for (int k = 1; k < STATS_ERR_N; k++) {
        jsonw_key(w, stats_err_name(k));
        jsonw_u64(w, t->by_kind[k]);
    }
    jsonw_obj_end(w);
    jsonw_key(w, "status");
    jsonw_obj_begin(w);
    for (int s = STATS_STATUS_MIN; s <= STATS_STATUS_MAX; s++) {
        uint64_t n = t->status[s - STATS_STATUS_MIN];
        if (n == 0)
            continue;
        char k[8];
        snprintf(k, sizeof(k), "%d", s);
        jsonw_key(w, k);
        jsonw_u64(w, n);
    }
    jsonw_obj_end(w);
    jsonw_key(w, "hlog");
    jsonw_str(w, l->hlog);
    if (tls) {
        jsonw_key(w, "tls");
        jsonw_obj_begin(w);
        jsonw_key(w, "handshakes");
        jsonw_u64(w, t->tls_handshakes);
        jsonw_key(w, "resumed");
        jsonw_u64(w, t->tls_resumed);
        if (l->no_service_time) {
            jsonw_key(w, "handshake_us");
            jsonw_null(w);
        } else {
            json_hist(w, "handshake_us", &t->tls_hs);
        }
        jsonw_obj_end(w);
    }
    jsonw_obj_end(w);
}

/* "counts" of one row (label, or INSTANCES_TOTAL), highest first, zeros left out. */
static void json_instance_counts(jsonw *w, const instances *t, size_t label)
{
    unsigned order[INSTANCES_MAX];
    unsigned n = instances_order(t, label, order);
    jsonw_key(w, "counts");
    jsonw_obj_begin(w);
    for (unsigned i = 0; i < n; i++) {
        uint64_t c = instances_get(t, label, order[i]);
        if (c == 0)
            continue;
        jsonw_key(w, t->name[order[i]]);
        jsonw_u64(w, c);
    }
    jsonw_obj_end(w);
}

static void json_instances(jsonw *w, const results *r)
{
    const instances *t = r->inst;
    jsonw_key(w, "instances");
    if (!t || instances_responses(t) == 0) {
        jsonw_null(w);
        return;
    }
    double max_min, cv;
    instances_evenness(t, &max_min, &cv);
    jsonw_obj_begin(w);
    jsonw_key(w, "header");
    jsonw_str(w, INSTANCES_HEADER);
    jsonw_key(w, "responses");
    jsonw_u64(w, instances_responses(t));
    jsonw_key(w, "distinct");
    jsonw_u64(w, t->n);
    jsonw_key(w, "other");
    jsonw_u64(w, t->total[INSTANCES_OTHER]);
    jsonw_key(w, "max_min_ratio");
    jsonw_double(w, max_min);
    jsonw_key(w, "cv");
    jsonw_double(w, cv);
    json_instance_counts(w, t, INSTANCES_TOTAL);
    jsonw_key(w, "labels");
    jsonw_obj_begin(w);
    for (size_t l = 0; l < r->n_labels && l < t->n_labels; l++) {
        uint64_t any = 0;
        for (unsigned i = 0; i <= INSTANCES_MAX; i++)
            any += instances_get(t, l, i);
        if (!any)
            continue;
        jsonw_key(w, r->labels[l].name);
        jsonw_obj_begin(w);
        json_instance_counts(w, t, l);
        jsonw_key(w, "other");
        jsonw_u64(w, instances_get(t, l, INSTANCES_OTHER));
        jsonw_obj_end(w);
    }
    jsonw_obj_end(w);
    jsonw_obj_end(w);
}

static double secs(uint64_t ns)
{
    return (double)ns / 1e9;
}

static void json_headers(jsonw *w, const plan_header *h, size_t n)
{
    jsonw_key(w, "headers");
    jsonw_obj_begin(w);
    for (size_t i = 0; i < n; i++) {
        jsonw_key(w, h[i].name);
        jsonw_str(w, h[i].value);
    }
    jsonw_obj_end(w);
}

/* "target": the text of target number i when it is not the plan's own (0: key left out). */
static void json_target_ref(jsonw *w, const plan *p, uint32_t i)
{
    if (i == 0)
        return;
    jsonw_key(w, "target");
    jsonw_str(w, plan_target_str(p, i));
}

static void json_request(jsonw *w, const plan *p, const plan_request *r)
{
    jsonw_obj_begin(w);
    json_target_ref(w, p, r->target);
    jsonw_key(w, "label");
    jsonw_str(w, r->label);
    jsonw_key(w, "method");
    jsonw_str(w, r->method ? r->method : "GET");
    jsonw_key(w, "path");
    jsonw_str(w, r->path);
    jsonw_key(w, "weight");
    jsonw_u64(w, r->weight);
    json_headers(w, r->headers, r->n_headers);
    jsonw_key(w, "body_bytes");
    jsonw_u64(w, r->body ? r->body_len : 0);
    jsonw_key(w, "expect");
    jsonw_obj_begin(w);
    jsonw_key(w, "status");
    if (r->expect_status)
        jsonw_i64(w, r->expect_status);
    else
        jsonw_null(w);
    jsonw_key(w, "body_contains");
    jsonw_str(w, r->expect_body);
    jsonw_obj_end(w);
    jsonw_key(w, "extract");
    jsonw_arr_begin(w);
    for (size_t i = 0; i < r->n_extract; i++) {
        static const char *const kinds[] = {"json", "regex", "header"};
        jsonw_obj_begin(w);
        jsonw_key(w, kinds[r->extract[i].kind]);
        jsonw_str(w, r->extract[i].expr);
        jsonw_key(w, "as");
        jsonw_str(w, p->vars[r->extract[i].var].name);
        jsonw_obj_end(w);
    }
    jsonw_arr_end(w);
    jsonw_obj_end(w);
}

static void json_scenario(jsonw *w, const plan *p, const plan_scenario *s)
{
    jsonw_obj_begin(w);
    jsonw_key(w, "name");
    jsonw_str(w, s->name);
    json_target_ref(w, p, s->target);
    jsonw_key(w, "model");
    jsonw_str(w, s->model == PLAN_OPEN ? "open" : "closed");
    jsonw_key(w, "start_delay_s");
    jsonw_double(w, secs(s->start_delay_ns));
    if (s->model == PLAN_CLOSED) {
        jsonw_key(w, "users");
        jsonw_u64(w, s->users);
        jsonw_key(w, "ramp_up_s");
        jsonw_double(w, secs(s->ramp_up_ns));
        jsonw_key(w, "hold_for_s");
        jsonw_double(w, secs(s->hold_for_ns));
        jsonw_key(w, "iterations");
        jsonw_u64(w, s->iterations);
        jsonw_key(w, "think_time");
        jsonw_obj_begin(w);
        jsonw_key(w, "dist");
        jsonw_str(w, rng_dist_name(s->think.dist));
        jsonw_key(w, "mean_s");
        jsonw_double(w, secs(s->think.mean_ns));
        jsonw_key(w, "stddev_s");
        jsonw_double(w, secs(s->think.stddev_ns));
        jsonw_obj_end(w);
    } else {
        jsonw_key(w, "stages");
        jsonw_arr_begin(w);
        for (size_t i = 0; i < s->n_stages; i++) {
            jsonw_obj_begin(w);
            jsonw_key(w, "rate");
            jsonw_double(w, s->stages[i].rate);
            jsonw_key(w, "duration_s");
            jsonw_double(w, secs(s->stages[i].duration_ns));
            jsonw_obj_end(w);
        }
        jsonw_arr_end(w);
        jsonw_key(w, "arrivals");
        jsonw_str(w, s->arrivals == PLAN_ARRIVALS_POISSON ? "poisson" : "constant");
        jsonw_key(w, "ramp");
        jsonw_str(w, s->ramp == PLAN_RAMP_LINEAR ? "linear" : "step");
        if (s->ramp == PLAN_RAMP_LINEAR) {
            jsonw_key(w, "start_rate");
            jsonw_double(w, s->start_rate);
        }
        jsonw_key(w, "max_connections");
        jsonw_u64(w, s->max_connections);
    }
    jsonw_key(w, "keep_alive");
    jsonw_bool(w, !s->conn.no_keep_alive);
    jsonw_key(w, "max_requests_per_connection");
    if (s->conn.max_requests)
        jsonw_u64(w, s->conn.max_requests);
    else
        jsonw_null(w);
    jsonw_key(w, "connection_lifetime_s");
    if (s->conn.lifetime_ns)
        jsonw_double(w, secs(s->conn.lifetime_ns));
    else
        jsonw_null(w);
    jsonw_key(w, "cookies");
    jsonw_bool(w, s->cookies);
    jsonw_key(w, "data");
    if (s->data) {
        static const char *const modes[] = {"sequential", "random", "unique"};
        const plan_data *d = &p->data[s->data - 1];
        jsonw_obj_begin(w);
        jsonw_key(w, "file");
        jsonw_str(w, d->file);
        jsonw_key(w, "format");
        jsonw_str(w, d->format == FEEDER_JSONL ? "jsonl" : "csv");
        jsonw_key(w, "mode");
        jsonw_str(w, modes[d->mode]);
        jsonw_key(w, "rows");
        jsonw_u64(w, d->rows.n_rows);
        jsonw_key(w, "columns");
        jsonw_arr_begin(w);
        for (size_t i = 0; i < d->rows.n_cols; i++)
            jsonw_str(w, d->rows.cols[i]);
        jsonw_arr_end(w);
        jsonw_key(w, "bytes");
        jsonw_u64(w, feeder_bytes(&d->rows));
        jsonw_obj_end(w);
    } else {
        jsonw_null(w);
    }
    jsonw_key(w, "duration_s");
    jsonw_double(w, secs(plan_scenario_duration(s)));
    jsonw_key(w, "requests");
    jsonw_arr_begin(w);
    for (size_t i = 0; i < s->n_requests; i++)
        json_request(w, p, &s->requests[i]);
    jsonw_arr_end(w);
    jsonw_obj_end(w);
}

/* The plan p with these scenarios (its own, or p->whole for the plan a share was cut from). */
static void json_plan(jsonw *w, const plan *p, const plan_scenario *scenarios)
{
    jsonw_obj_begin(w);
    jsonw_key(w, "name");
    jsonw_str(w, p->name);
    jsonw_key(w, "source");
    jsonw_str(w, p->source);
    jsonw_key(w, "target");
    jsonw_str(w, p->target_str);
    jsonw_key(w, "duration_s");
    jsonw_double(w, secs(plan_duration(p)));
    jsonw_key(w, "connect_timeout_s");
    jsonw_double(w, secs(p->connect_timeout_ns));
    jsonw_key(w, "request_timeout_s");
    jsonw_double(w, secs(p->request_timeout_ns));
    jsonw_key(w, "apdex_t_s");
    jsonw_double(w, secs(p->apdex_t_ns));
    jsonw_key(w, "timer_slack_s");
    jsonw_double(w, secs(p->timer_slack_ns));
    json_headers(w, p->headers, p->n_headers);
    jsonw_key(w, "dns");
    jsonw_obj_begin(w);
    jsonw_key(w, "ttl_s");
    jsonw_double(w, secs(p->dns.ttl_ns));
    jsonw_key(w, "resolve");
    jsonw_arr_begin(w);
    for (size_t i = 0; i < p->dns.n_resolve; i++) {
        const plan_resolve *e = &p->dns.resolve[i];
        buf b = BUF_INIT;
        buf_printf(&b, "%s:%u:", e->host, (unsigned)e->port);
        for (size_t k = 0; k < e->n; k++) {
            char a[64];
            dns_addr_format(&e->addr[k], a, sizeof a);
            buf_printf(&b, k ? ",%s" : "%s", a);
        }
        if (buf_ok(&b))
            jsonw_str(w, b.data);
        else
            jsonw_null(w);
        buf_fini(&b);
    }
    jsonw_arr_end(w);
    jsonw_obj_end(w);
    if (p->target.tls) {
        static const char *const keys[] = {"cacert", "cert", "key"};
        jsonw_key(w, "tls");
        jsonw_obj_begin(w);
        for (int i = 0; i < PLAN_TLS_N_FILES; i++) {
            jsonw_key(w, keys[i]);
            jsonw_str(w, p->tls.file[i]);
        }
        jsonw_key(w, "insecure");
        jsonw_bool(w, p->tls.insecure);
        jsonw_key(w, "server_name");
        jsonw_str(w, p->tls.server_name);
        jsonw_obj_end(w);
    }
    jsonw_key(w, "scenarios");
    jsonw_arr_begin(w);
    for (size_t i = 0; i < p->n_scenarios; i++)
        json_scenario(w, p, &scenarios[i]);
    jsonw_arr_end(w);
    /* Thresholds grouped by label in order of first appearance, as the plan writes them. */
    jsonw_key(w, "thresholds");
    jsonw_obj_begin(w);
    for (size_t i = 0; i < p->n_thresholds; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(p->thresholds[j].label, p->thresholds[i].label) == 0;
        if (seen)
            continue;
        jsonw_key(w, p->thresholds[i].label);
        jsonw_arr_begin(w);
        for (size_t j = i; j < p->n_thresholds; j++) {
            const plan_threshold *t = &p->thresholds[j];
            if (strcmp(t->label, p->thresholds[i].label) != 0)
                continue;
            if (!t->abort_on_fail) {
                jsonw_str(w, t->expr);
                continue;
            }
            jsonw_obj_begin(w);
            jsonw_key(w, "threshold");
            jsonw_str(w, t->expr);
            jsonw_key(w, "abort_on_fail");
            jsonw_bool(w, true);
            jsonw_key(w, "delay_abort_eval_s");
            jsonw_double(w, (double)t->delay_abort_eval_ns / 1e9);
            jsonw_obj_end(w);
        }
        jsonw_arr_end(w);
    }
    jsonw_obj_end(w);
    jsonw_obj_end(w);
}

static void json_point(jsonw *w, const stats_point *pt, bool with_t)
{
    double len = pt->len_ms ? pt->len_ms / 1000.0 : 1.0;
    if (with_t) {
        jsonw_key(w, "t");
        jsonw_u64(w, pt->t);
        jsonw_key(w, "len_s");
        jsonw_double(w, len);
    }
    jsonw_key(w, "rps");
    jsonw_double(w, (double)pt->count / len);
    jsonw_key(w, "errors");
    jsonw_u64(w, pt->errors);
    jsonw_key(w, "p50_us");
    if (pt->responses)
        jsonw_u64(w, pt->p50_us);
    else
        jsonw_null(w);
    jsonw_key(w, "p99_us");
    if (pt->responses)
        jsonw_u64(w, pt->p99_us);
    else
        jsonw_null(w);
}

static void json_series(jsonw *w, const results *r)
{
    jsonw_key(w, "timeseries");
    jsonw_arr_begin(w);
    const stats_series *s = r->series;
    for (size_t i = 0; s && i < s->n; i++) {
        jsonw_obj_begin(w);
        json_point(w, stats_series_at(s, i, s->n_labels), true);
        jsonw_key(w, "labels");
        jsonw_obj_begin(w);
        for (size_t l = 0; l < s->n_labels && l < r->n_labels; l++) {
            jsonw_key(w, r->labels[l].name);
            jsonw_obj_begin(w);
            json_point(w, stats_series_at(s, i, l), false);
            jsonw_obj_end(w);
        }
        jsonw_obj_end(w);
        jsonw_obj_end(w);
    }
    jsonw_arr_end(w);
}

/* A part that reached us parsed (results.h), written out as it is. */
static void json_fragment(jsonw *w, const json_t *v)
{
    const char *key;
    json_t *m;
    size_t i;
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_OBJECT:
        jsonw_obj_begin(w);
        json_object_foreach ((json_t *)v, key, m) {
            jsonw_key(w, key);
            json_fragment(w, m);
        }
        jsonw_obj_end(w);
        break;
    case JSON_ARRAY:
        jsonw_arr_begin(w);
        json_array_foreach (v, i, m)
            json_fragment(w, m);
        jsonw_arr_end(w);
        break;
    case JSON_STRING: jsonw_strn(w, json_string_value(v), json_string_length(v)); break;
    case JSON_INTEGER: jsonw_i64(w, (int64_t)json_integer_value(v)); break;
    case JSON_REAL: jsonw_double(w, json_real_value(v)); break;
    case JSON_TRUE:
    case JSON_FALSE: jsonw_bool(w, json_is_true(v)); break;
    default: jsonw_null(w); break;
    }
}

/* environment.dns and targets[].dns (results_dns). */
static void json_dns(jsonw *w, const results_dns *d)
{
    jsonw_key(w, "dns");
    if (d) {
        jsonw_obj_begin(w);
        jsonw_key(w, "pinned");
        jsonw_bool(w, d->pinned);
        jsonw_key(w, "renewals");
        jsonw_u64(w, d->renewals);
        jsonw_key(w, "changes");
        jsonw_u64(w, d->changes);
        jsonw_key(w, "failures");
        jsonw_u64(w, d->failures);
        jsonw_key(w, "last_error");
        jsonw_str(w, d->last_error);
        jsonw_key(w, "final_addresses");
        jsonw_str(w, d->final_addresses);
        jsonw_obj_end(w);
    } else {
        jsonw_null(w);
    }
}

static void json_environment(jsonw *w, const results *r)
{
    jsonw_key(w, "environment");
    if (r->merge) {
        jsonw_null(w);
        return;
    }
    jsonw_obj_begin(w);
    char host[256];
    if (gethostname(host, sizeof(host)) != 0)
        snprintf(host, sizeof(host), "unknown");
    host[sizeof(host) - 1] = '\0';
    jsonw_key(w, "hostname");
    jsonw_str(w, host);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    jsonw_key(w, "cpus");
    jsonw_i64(w, cpus > 0 ? cpus : 1);
    jsonw_key(w, "threads");
    jsonw_u64(w, r->threads);
    jsonw_key(w, "target_address");
    jsonw_str(w, r->target_addr);
    json_dns(w, r->dns);
    jsonw_key(w, "targets");
    jsonw_arr_begin(w);
    for (size_t i = 0; i < r->n_targets; i++) {
        jsonw_obj_begin(w);
        jsonw_key(w, "target");
        jsonw_str(w, r->targets[i].target);
        jsonw_key(w, "address");
        jsonw_str(w, r->targets[i].address);
        json_dns(w, r->targets[i].dns);
        jsonw_obj_end(w);
    }
    jsonw_arr_end(w);
    /* The descriptor limit in effect (ptest run raised it at start): what a local_limit
     * warning names (analysis.c). */
    struct rlimit nofile;
    jsonw_key(w, "fd_limit");
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY)
        jsonw_u64(w, (uint64_t)nofile.rlim_cur);
    else
        jsonw_null(w);
    /* The I/O backend the load ran on (PT_EVLOOP): the client's cost per request differs. */
    jsonw_key(w, "event_loop");
    jsonw_str(w, r->event_loop);
    jsonw_obj_end(w);
}

/* "tls": null for an http target; a merged run keeps its first input's (same plan). */
static void json_tls(jsonw *w, const results *r)
{
    jsonw_key(w, "tls");
    if (r->merge) {
        json_fragment(w, r->merge->tls);
        return;
    }
    if (!r->tls) {
        jsonw_null(w);
        return;
    }
    jsonw_obj_begin(w);
    jsonw_key(w, "verify");
    jsonw_bool(w, !(r->p && r->p->tls.insecure));
    jsonw_key(w, "client_certificate");
    jsonw_bool(w, r->p && r->p->tls.file[PLAN_TLS_CERT]);
    jsonw_key(w, "session_resumption");
    jsonw_str(w, "per connection");
    jsonw_key(w, "first_error");
    jsonw_str(w, r->tls_error);
    jsonw_obj_end(w);
}

/* Members by type. A double that is not finite is null (jsonw); so is a NULL string. */
static void member_num(jsonw *w, const char *key, double v)
{
    jsonw_key(w, key);
    jsonw_double(w, v);
}

static void member_count(jsonw *w, const char *key, uint64_t v)
{
    jsonw_key(w, key);
    jsonw_u64(w, v);
}

static void member_str(jsonw *w, const char *key, const char *v)
{
    jsonw_key(w, key);
    jsonw_str(w, v);
}

static void json_server(jsonw *w, const results_server *s)
{
    jsonw_key(w, "server");
    jsonw_obj_begin(w);
    member_str(w, "metrics_url", s->metrics_url);
    member_str(w, "config_url", s->config_url);
    jsonw_key(w, "scraped");
    jsonw_bool(w, s->scraped);
    member_num(w, "cpu_seconds", s->cpu_seconds);
    member_count(w, "requests", s->requests);
    member_num(w, "cpu_ms_per_1000_requests", s->cpu_ms_per_1000_requests);
    /* A byte count: an integer, as the reading is. */
    jsonw_key(w, "peak_rss_bytes");
    if (isfinite(s->peak_rss_bytes) && s->peak_rss_bytes >= 0)
        jsonw_u64(w, (uint64_t)s->peak_rss_bytes);
    else
        jsonw_null(w);
    member_count(w, "samples", s->samples);
    jsonw_obj_end(w);
}

static void json_client(jsonw *w, const results_client *c)
{
    jsonw_key(w, "client");
    jsonw_obj_begin(w);
    member_num(w, "cpu_seconds", c->cpu_seconds);
    member_count(w, "threads", c->threads);
    jsonw_obj_end(w);
}

static void json_u32_list(jsonw *w, const char *key, const uint32_t *v, size_t n)
{
    jsonw_key(w, key);
    jsonw_arr_begin(w);
    for (size_t i = 0; i < n; i++)
        jsonw_u64(w, v[i]);
    jsonw_arr_end(w);
}

static void json_merge(jsonw *w, const results_merge *m)
{
    jsonw_key(w, "merged_from");
    jsonw_arr_begin(w);
    for (size_t i = 0; i < m->n_inputs; i++)
        jsonw_str(w, m->dirs[i]);
    jsonw_arr_end(w);
    jsonw_key(w, "shares");
    jsonw_arr_begin(w);
    for (size_t i = 0; i < m->n_inputs; i++)
        json_fragment(w, m->shares ? m->shares[i] : NULL);
    jsonw_arr_end(w);
    jsonw_key(w, "environments");
    jsonw_arr_begin(w);
    for (size_t i = 0; i < m->n_inputs; i++)
        json_fragment(w, m->environments ? m->environments[i] : NULL);
    jsonw_arr_end(w);
    const results_workers *d = m->distributed;
    if (!d)
        return;
    jsonw_key(w, "distributed");
    jsonw_obj_begin(w);
    jsonw_key(w, "workers");
    jsonw_u64(w, d->count);
    json_u32_list(w, "reported", d->reported, d->n_reported);
    json_u32_list(w, "partial", d->partial, d->n_partial);
    json_u32_list(w, "missing", d->missing, d->n_missing);
    jsonw_obj_end(w);
}

/* "latency_hdr": one label's whole-run histogram, as hlog_encode_histogram gives it. */
static void json_hdr_one(jsonw *w, const char *name, const hist *h)
{
    char *s = NULL;
    size_t len = 0;
    jsonw_key(w, name);
    if (hlog_encode_histogram(h, &s, &len) != 0) {
        jsonw_null(w);
        w->out->failed = true; /* allocation: the document is not written half */
        return;
    }
    jsonw_strn(w, s, len);
    free(s);
}

static void json_latency_hdr(jsonw *w, const results *r)
{
    jsonw_key(w, "latency_hdr");
    jsonw_obj_begin(w);
    for (size_t i = 0; i < r->n_labels; i++)
        json_hdr_one(w, r->labels[i].name, r->labels[i].lat);
    json_hdr_one(w, "total", r->total.lat);
    jsonw_obj_end(w);
}

static void json_share(jsonw *w, const results *r)
{
    /* A distributed worker's share of the plan (ptest run --share), for ptest merge. */
    jsonw_key(w, "share");
    if (!r->merge && r->p && r->p->share_count) {
        jsonw_obj_begin(w);
        jsonw_key(w, "index");
        jsonw_u64(w, r->p->share_index);
        jsonw_key(w, "count");
        jsonw_u64(w, r->p->share_count);
        jsonw_obj_end(w);
    } else {
        jsonw_null(w);
    }
}

/* "plan" and "whole_plan": from the plan run, or the merged run's whole plan. */
static void json_plans(jsonw *w, const results *r)
{
    if (r->merge && r->merge->plan) {
        jsonw_key(w, "plan");
        json_fragment(w, r->merge->plan);
    } else if (r->p && !r->merge) {
        jsonw_key(w, "plan");
        json_plan(w, r->p, r->p->scenarios);
    } else {
        return;
    }
    jsonw_key(w, "whole_plan");
    if (r->p && !r->merge && r->p->whole)
        json_plan(w, r->p, r->p->whole);
    else
        jsonw_null(w);
}

static void json_head(jsonw *w, const results *r)
{
    char ts[CLOCK_WALL_FMT_LEN];
    jsonw_key(w, "ptest_version");
    jsonw_str(w, PT_VERSION);
    jsonw_key(w, "started");
    jsonw_str(w, clock_wall_format(r->started, ts, sizeof(ts)));
    jsonw_key(w, "duration_s");
    jsonw_double(w, r->duration_s);
    jsonw_key(w, "interrupted");
    jsonw_bool(w, r->interrupted);
    jsonw_key(w, "aborted");
    jsonw_str(w, r->aborted);
    jsonw_key(w, "threshold_abort");
    if (!r->threshold_abort) {
        jsonw_null(w);
    } else {
        const results_abort *a = r->threshold_abort;
        jsonw_obj_begin(w);
        jsonw_key(w, "threshold");
        jsonw_str(w, a->threshold);
        jsonw_key(w, "label");
        jsonw_str(w, a->label);
        jsonw_key(w, "at_s");
        jsonw_double(w, a->at_s);
        jsonw_key(w, "measured");
        jsonw_str(w, a->measured);
        jsonw_key(w, "limit");
        jsonw_str(w, a->limit);
        jsonw_obj_end(w);
    }
    jsonw_key(w, "dropped");
    jsonw_u64(w, r->total.tot->dropped);
    jsonw_key(w, "data_exhausted_users");
    jsonw_u64(w, r->data_exhausted);
}

int results_json(const results *r, buf *out)
{
    jsonw w;
    jsonw_init(&w, out, 2);
    jsonw_obj_begin(&w);
    json_head(&w, r);
    json_share(&w, r);
    json_environment(&w, r);
    json_tls(&w, r);
    jsonw_key(&w, "labels");
    jsonw_obj_begin(&w);
    for (size_t i = 0; i < r->n_labels; i++) {
        jsonw_key(&w, r->labels[i].name);
        json_label(&w, &r->labels[i], r->duration_s, r->tls);
    }
    jsonw_obj_end(&w);
    jsonw_key(&w, "total");
    json_label(&w, &r->total, r->duration_s, r->tls);
    json_instances(&w, r);
    json_plans(&w, r);
    json_series(&w, r);
    if (r->server)
        json_server(&w, r->server);
    if (r->client)
        json_client(&w, r->client);
    if (r->server || r->merge) {
        jsonw_key(&w, "expected");
        json_fragment(&w, r->expected);
    }
    if (r->merge)
        json_merge(&w, r->merge);
    if (r->histograms)
        json_latency_hdr(&w, r);
    jsonw_obj_end(&w);
    buf_putc(out, '\n');
    return buf_ok(out) ? 0 : -1;
}

int results_write(const results *r, const char *dir, char *err, size_t errlen)
{
    buf b = BUF_INIT;
    buf path = BUF_INIT;
    int rc = -1;
    buf_printf(&path, "%s/results.json", dir);
    if (results_json(r, &b) != 0 || !buf_ok(&path)) {
        snprintf(err, errlen, "out of memory writing %s", path.data ? path.data : "results.json");
        goto out;
    }
    if (buf_write_file(&b, path.data) != 0) {
        snprintf(err, errlen, "%s: %s", path.data, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    buf_fini(&b);
    buf_fini(&path);
    return rc;
}

/* ---------------------------------------------------------------- names ------------ */

static char *safe_name(const char *label)
{
    size_t n = strlen(label);
    char *s = malloc(n + 1 + 16);
    if (!s)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        char c = label[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                  c == '-';
        s[i] = ok && !(i == 0 && c == '.') ? c : '_';
    }
    if (n == 0)
        s[n++] = '_';
    s[n] = '\0';
    return s;
}

void results_names_destroy(char **names, size_t n)
{
    if (!names)
        return;
    for (size_t i = 0; i <= n; i++)
        free(names[i]);
    free(names);
}

int results_hlog_names(const char *const *labels, size_t n, char ***out)
{
    char **names = calloc(n + 1, sizeof(*names));
    if (!names)
        return -1;
    /* "total" is taken first so that a label called "total" gets "total-2". */
    names[n] = strdup("total.hlog");
    if (!names[n])
        goto fail;
    for (size_t i = 0; i < n; i++) {
        char *base = safe_name(labels[i]);
        if (!base)
            goto fail;
        size_t blen = strlen(base);
        for (unsigned k = 1;; k++) {
            if (k == 1)
                snprintf(base + blen, 17, ".hlog");
            else
                snprintf(base + blen, 17, "-%u.hlog", k);
            bool clash = strcmp(base, names[n]) == 0;
            for (size_t j = 0; j < i && !clash; j++)
                clash = strcmp(base, names[j]) == 0;
            if (!clash)
                break;
        }
        names[i] = base;
    }
    *out = names;
    return 0;
fail:
    results_names_destroy(names, n);
    return -1;
}

/* ---------------------------------------------------------------- interval logs ---- */

int results_hlogs_open(results_hlogs *h, const char *dir, char *const *names, size_t n, wall_ns start, char *err,
                       size_t errlen)
{
    memset(h, 0, sizeof(*h));
    h->n = n;
    h->base_ms = start / CLOCK_NS_PER_MS;
    h->files = calloc(n + 1, sizeof(*h->files));
    char *head = NULL;
    size_t head_len = 0;
    if (!h->files ||
        hlog_format_header(h->base_ms, h->base_ms, "Logged with ptest " PT_VERSION " (latency in microseconds)", &head,
                           &head_len) != 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i <= n; i++) {
        buf path = BUF_INIT;
        buf_printf(&path, "%s/%s", dir, names[i]);
        if (!buf_ok(&path)) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        h->files[i] = fopen(path.data, "w");
        if (!h->files[i] || fwrite(head, 1, head_len, h->files[i]) != head_len) {
            snprintf(err, errlen, "%s: %s", path.data, strerror(errno));
            buf_fini(&path);
            goto fail;
        }
        buf_fini(&path);
    }
    free(head);
    return 0;
fail:
    free(head);
    (void)results_hlogs_close(h);
    return -1;
}

static int add_one(results_hlogs *h, FILE *f, uint64_t start_ms, uint64_t len_ms, const hist *lat)
{
    char *line = NULL;
    size_t len = 0;
    int rc = hlog_format_interval(NULL, start_ms, len_ms, lat, HLOG_MAX_RATIO_US_TO_MS, &line, &len);
    if (rc != 0) {
        snprintf(h->err, sizeof(h->err), "interval log: %s", hlog_strerror(rc));
        return -1;
    }
    if (fwrite(line, 1, len, f) != len) {
        snprintf(h->err, sizeof(h->err), "interval log: %s", strerror(errno));
        free(line);
        return -1;
    }
    free(line);
    return 0;
}

int results_hlogs_add(results_hlogs *h, uint64_t start_ms, uint64_t len_ms, const stats_interval *iv)
{
    if (h->failed || !h->files)
        return -1;
    for (size_t i = 0; i < h->n && i < iv->n_labels; i++)
        if (add_one(h, h->files[i], start_ms, len_ms, iv->labels[i].lat) != 0)
            goto fail;
    if (add_one(h, h->files[h->n], start_ms, len_ms, iv->total.lat) != 0)
        goto fail;
    return 0;
fail:
    h->failed = true;
    return -1;
}

int results_hlogs_close(results_hlogs *h)
{
    int rc = h->failed ? -1 : 0;
    if (h->files) {
        for (size_t i = 0; i <= h->n; i++) {
            if (h->files[i] && fclose(h->files[i]) != 0 && rc == 0) {
                snprintf(h->err, sizeof(h->err), "interval log: %s", strerror(errno));
                rc = -1;
            }
        }
        free(h->files);
    }
    h->files = NULL;
    return rc;
}

int results_mkdirs(const char *dir)
{
    size_t n = strlen(dir);
    char *p = malloc(n + 1);
    if (!p) {
        errno = ENOMEM;
        return -1;
    }
    memcpy(p, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        char c = p[i];
        p[i] = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            free(p);
            return -1;
        }
        p[i] = c;
    }
    free(p);
    struct stat st;
    if (stat(dir, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}
