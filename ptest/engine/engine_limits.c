/* engine_limits.c - does the plan fit this machine? The start-time check of `ptest run`:
 * file descriptors (RLIMIT_NOFILE, raised toward the hard limit first) and memory
 * (MemAvailable, and the cgroup's room when it is smaller), with the measured cost of a
 * user (engine.h, ENGINE_*_BYTES). */
#include "engine_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

uint64_t engine_user_bytes(void)
{
    /* The user (connection slot) itself and, for an open slot, its free-list entry; the
     * 16 KiB read buffer is calloc'ed untouched (no RAM until a response arrives). */
    return (uint64_t)sizeof(engine_user) + (uint64_t)sizeof(engine_user *);
}

/* "1.5 GiB", "300.0 MiB", "12.0 KiB". */
static void fmt_bytes(uint64_t b, char *out, size_t len)
{
    if (b >= (UINT64_C(1) << 30))
        snprintf(out, len, "%.1f GiB", (double)b / (double)(UINT64_C(1) << 30));
    else if (b >= (UINT64_C(1) << 20))
        snprintf(out, len, "%.1f MiB", (double)b / (double)(UINT64_C(1) << 20));
    else
        snprintf(out, len, "%.1f KiB", (double)b / 1024.0);
}

static void append(char *msg, size_t msglen, const char *text)
{
    size_t used = strnlen(msg, msglen);
    if (used + 1 < msglen)
        snprintf(msg + used, msglen - used, "%s%s", used ? "; " : "", text);
}

int engine_fit_judge(engine_fit *f, char *msg, size_t msglen)
{
    if (msglen > 0)
        msg[0] = '\0';
    uint64_t conns = f->users;
    if (f->fd_limit > 0 && f->fd_limit < f->fds_needed) {
        uint64_t room = f->fd_limit > f->fds_own ? f->fd_limit - f->fds_own : 0;
        conns = room < f->users ? room : f->users;
    }
    uint64_t per_conn = ENGINE_CONN_BYTES + f->tls_bytes;
    f->mem_needed = ENGINE_BASE_BYTES + f->users * f->user_bytes + conns * per_conn;
    f->mem_worst = ENGINE_BASE_BYTES + f->users * f->user_bytes + conns * (ENGINE_CONN_BYTES_MAX + f->tls_bytes);
    char need[32], worst[32], avail[32];
    fmt_bytes(f->mem_needed, need, sizeof(need));
    fmt_bytes(f->mem_worst, worst, sizeof(worst));
    fmt_bytes(f->mem_avail, avail, sizeof(avail));
    char text[512];
    if (f->mem_avail > 0 && f->mem_needed > f->mem_avail) {
        snprintf(text, sizeof(text),
                 "the plan's %" PRIu64 " users (%" PRIu64 " with a connection) need about %s of memory "
                 "(%" PRIu64 " bytes per user, %" PRIu64 " more per connection: its read buffer page and the kernel's "
                 "socket%s) but %s is available (%s): lower users, or spread them over workers (--share I/N)",
                 f->users, conns, need, f->user_bytes, per_conn, f->tls_bytes ? ", TLS state" : "", avail,
                 f->mem_from ? f->mem_from : "MemAvailable");
        snprintf(msg, msglen, "%s", text);
        return ENGINE_FIT_REFUSE;
    }
    int rc = ENGINE_FIT_OK;
    if (f->fd_limit > 0 && f->fd_limit < f->fds_needed) {
        snprintf(text, sizeof(text),
                 "open file limit (ulimit -n) %" PRIu64 " (hard limit %" PRIu64 ") is below the %" PRIu64
                 " descriptors the plan's %" PRIu64 " users need: about %" PRIu64 " of them cannot connect; "
                 "their attempts are counted as local_limit, not as server errors; raise ulimit -n or lower users",
                 f->fd_limit, f->fd_hard, f->fds_needed, f->users, f->users - conns);
        append(msg, msglen, text);
        rc = ENGINE_FIT_WARN;
    }
    if (f->mem_avail > 0 && f->mem_worst > f->mem_avail) {
        snprintf(text, sizeof(text),
                 "with responses over 4 KiB the plan's %" PRIu64 " connections may need up to %s of memory, "
                 "%s is available (%s)",
                 conns, worst, avail, f->mem_from ? f->mem_from : "MemAvailable");
        append(msg, msglen, text);
        rc = ENGINE_FIT_WARN;
    }
    return rc;
}

/* Bytes from a "Key:   N kB" line of /proc/meminfo, 0 when unknown. */
static uint64_t meminfo(const char *key)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f)
        return 0;
    char line[256];
    size_t kl = strlen(key);
    uint64_t v = 0;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
            v = (uint64_t)strtoull(line + kl + 1, NULL, 10) * 1024;
            break;
        }
    }
    fclose(f);
    return v;
}

/* The first number of a cgroup file ("max" or unreadable: 0). */
static uint64_t cgroup_value(const char *dir, const char *name)
{
    char path[4352];
    snprintf(path, sizeof(path), "/sys/fs/cgroup%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[64];
    uint64_t v = 0;
    if (fgets(line, sizeof(line), f) && line[0] >= '0' && line[0] <= '9')
        v = (uint64_t)strtoull(line, NULL, 10);
    fclose(f);
    return v;
}

/* Room left under the cgroup v2 memory.max of this process (0: no limit or unknown). */
static uint64_t cgroup_room(void)
{
    FILE *f = fopen("/proc/self/cgroup", "r");
    if (!f)
        return 0;
    char line[4096], dir[4096] = "";
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "0::", 3) == 0) {
            snprintf(dir, sizeof(dir), "%s", line + 3);
            dir[strcspn(dir, "\n")] = '\0';
            break;
        }
    }
    fclose(f);
    if (!dir[0] || strstr(dir, ".."))
        return 0;
    if (strcmp(dir, "/") == 0)
        dir[0] = '\0';
    uint64_t max = cgroup_value(dir, "memory.max");
    if (max == 0)
        return 0;
    uint64_t cur = cgroup_value(dir, "memory.current");
    return max > cur ? max - cur : 1;
}

int engine_fit_check(const plan *p, engine_fit *f, char *msg, size_t msglen)
{
    memset(f, 0, sizeof(*f));
    for (size_t i = 0; i < p->n_scenarios; i++) {
        const plan_scenario *s = &p->scenarios[i];
        f->users += s->model == PLAN_CLOSED ? s->users : s->max_connections;
    }
    f->user_bytes = engine_user_bytes();
    bool tls = p->target.tls;
    for (size_t i = 0; i < p->n_targets; i++)
        tls = tls || p->targets[i].tls;
    f->tls_bytes = tls ? ENGINE_TLS_CONN_BYTES : 0;
    f->fds_own = ENGINE_FD_OWN + plan_labels(p, NULL, 0);
    f->fds_needed = f->users + f->fds_own;
    uint64_t want_fds = f->fds_needed + ENGINE_FD_MARGIN;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        /* As wrk and nginx do: raise the soft limit as far as the hard one allows. */
        if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want_fds) {
            struct rlimit want = rl;
            want.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want_fds ? (rlim_t)want_fds : rl.rlim_max;
            if (setrlimit(RLIMIT_NOFILE, &want) == 0)
                rl = want;
        }
        f->fd_limit = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur;
        f->fd_hard = rl.rlim_max == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_max;
    }
    f->mem_avail = meminfo("MemAvailable");
    f->mem_from = "MemAvailable";
    uint64_t room = cgroup_room();
    if (room > 0 && (f->mem_avail == 0 || room < f->mem_avail)) {
        f->mem_avail = room;
        f->mem_from = "the cgroup's memory.max";
    }
    return engine_fit_judge(f, msg, msglen);
}
