/* upload.c - the reporter thread of `ptest run --report-to`. */
#include "upload.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "client.h"
#include "collect_wire.h"
#include "hlog.h"
#include "http.h"
#include "plan.h"

enum { MSG_INTERVAL, MSG_FILE, MSG_COMMIT };

typedef struct umsg {
    int kind;
    char path[COLLECT_WIRE_MAX_FILE_NAME + 64];
    buf body;
    struct umsg *next;
} umsg;

struct upload {
    plan_url url;
    uint32_t index, count;
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* queue changed, or the final phase ended */
    umsg *head, *tail;
    size_t n_intervals;
    uint64_t dropped;
    bool stop;
    /* final phase, under mu */
    bool final_done, final_failed;
    char final_err[1024];
    /* the thread's own */
    int fd;
    bool down;           /* the last attempt failed (warn once per outage) */
    bool warned_refused; /* a second was refused (warn once) */
};

static void msg_free(umsg *m)
{
    buf_fini(&m->body);
    free(m);
}

/* Absolute CLOCK_MONOTONIC time ms from now, for pthread_cond_timedwait. */
static struct timespec deadline_in(uint64_t ns)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t t = (uint64_t)ts.tv_sec * CLOCK_NS_PER_SEC + (uint64_t)ts.tv_nsec + ns;
    ts.tv_sec = (time_t)(t / CLOCK_NS_PER_SEC);
    ts.tv_nsec = (long)(t % CLOCK_NS_PER_SEC);
    return ts;
}

/* --- one request on the thread's socket ---------------------------------------------- */

static void disconnect(upload *u)
{
    if (u->fd >= 0)
        close(u->fd);
    u->fd = -1;
}

static int reconnect(upload *u, char *why, size_t whylen)
{
    client_target t;
    memset(&t, 0, sizeof(t));
    int kind = 0;
    uint64_t tmo = (uint64_t)UPLOAD_IO_TIMEOUT_MS * CLOCK_NS_PER_MS;
    if (client_target_resolve(&t, u->url.host, u->url.port, tmo, &kind, why, whylen) != 0)
        return -1;
    int fd = socket(t.first.a[0].sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    /* Blocking with SO_SNDTIMEO / SO_RCVTIMEO (Linux applies the send timeout to connect()
     * too): the simplest correct I/O on a thread that has nothing else to do. */
    struct timeval tv = {UPLOAD_IO_TIMEOUT_MS / 1000, (UPLOAD_IO_TIMEOUT_MS % 1000) * 1000};
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
        connect(fd, (const struct sockaddr *)&t.first.a[0].sa, t.first.a[0].len) != 0) {
        snprintf(why, whylen, "%s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    u->fd = fd;
    return 0;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Sends m and reads the answer. Returns its status (answer text in why), or -1 (network;
 * why says what). */
static int request(upload *u, const umsg *m, char *why, size_t whylen)
{
    if (u->fd < 0 && reconnect(u, why, whylen) != 0)
        return -1;
    buf head = BUF_INIT, in = BUF_INIT;
    int ret = -1;
    buf_printf(&head,
               "%s %s/v1/workers/%u/%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: ptest\r\n"
               "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n",
               m->kind == MSG_FILE ? "PUT" : "POST", u->url.base_path, (unsigned)u->index, m->path, u->url.authority,
               m->kind == MSG_FILE ? "application/octet-stream" : "application/json", m->body.len);
    if (!buf_ok(&head) || send_all(u->fd, head.data, head.len) != 0 ||
        send_all(u->fd, m->body.data ? m->body.data : "", m->body.len) != 0) {
        snprintf(why, whylen, "sending: %s", buf_ok(&head) ? strerror(errno) : "out of memory");
        goto out;
    }
    for (;;) {
        http_response res;
        int hl = in.len ? http_parse_response(in.data, in.len, NULL, false, &res) : HTTP_INCOMPLETE;
        if (hl > 0 && res.status >= 200) {
            size_t blen = res.body == HTTP_BODY_LENGTH ? (size_t)res.content_length : 0;
            if (res.body == HTTP_BODY_LENGTH && res.content_length > 65536) {
                snprintf(why, whylen, "answer too long");
                goto out;
            }
            if (res.body != HTTP_BODY_LENGTH && res.body != HTTP_BODY_NONE) {
                snprintf(why, whylen, "answer without a length");
                goto out;
            }
            if (in.len >= (size_t)hl + blen) {
                size_t n = blen && in.data[hl + blen - 1] == '\n' ? blen - 1 : blen;
                snprintf(why, whylen, "%d %.*s", res.status, (int)(n > 300 ? 300 : n), in.data + hl);
                ret = res.status;
                if (!res.keep_alive)
                    disconnect(u);
                break;
            }
        } else if (hl > 0) {
            buf_consume(&in, (size_t)hl); /* 1xx */
            continue;
        } else if (hl != HTTP_INCOMPLETE) {
            snprintf(why, whylen, "malformed answer");
            goto out;
        }
        if (buf_reserve(&in, 4096) != 0 || in.len > 70000) {
            snprintf(why, whylen, "answer too long");
            goto out;
        }
        ssize_t n = recv(u->fd, in.data + in.len, 4096, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(why, whylen, "%s", n == 0 ? "connection closed" : strerror(errno));
            goto out;
        }
        in.len += (size_t)n;
        in.data[in.len] = '\0';
    }
out:
    if (ret < 0)
        disconnect(u);
    buf_fini(&head);
    buf_fini(&in);
    return ret;
}

/* --- the thread ---------------------------------------------------------------------- */

static void *reporter(void *arg)
{
    upload *u = arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals are the coordinator's */
    uint64_t backoff_ms = UPLOAD_BACKOFF_MIN_MS;
    char why[512];
    pthread_mutex_lock(&u->mu);
    while (!u->stop) {
        umsg *m = u->head;
        if (!m) {
            pthread_cond_wait(&u->cv, &u->mu);
            continue;
        }
        pthread_mutex_unlock(&u->mu);
        int st = request(u, m, why, sizeof(why));
        pthread_mutex_lock(&u->mu);
        if (st < 0 || st >= 500) {
            if (!u->down)
                fprintf(stderr, "ptest: collector %s: %s; retrying (the run goes on)\n", u->url.authority, why);
            u->down = true;
            struct timespec ts = deadline_in(backoff_ms * CLOCK_NS_PER_MS);
            while (!u->stop && pthread_cond_timedwait(&u->cv, &u->mu, &ts) != ETIMEDOUT) {
            }
            backoff_ms = backoff_ms * 2 > UPLOAD_BACKOFF_MAX_MS ? UPLOAD_BACKOFF_MAX_MS : backoff_ms * 2;
            continue;
        }
        if (u->down)
            fprintf(stderr, "ptest: collector %s reachable again\n", u->url.authority);
        u->down = false;
        backoff_ms = UPLOAD_BACKOFF_MIN_MS;
        /* m is still the head: only this thread pops, and the coordinator drops only
         * intervals behind the head. */
        u->head = m->next;
        if (!u->head)
            u->tail = NULL;
        if (m->kind == MSG_INTERVAL)
            u->n_intervals--;
        if (st >= 300 && m->kind == MSG_INTERVAL) {
            if (!u->warned_refused)
                fprintf(stderr, "ptest: warning: collector %s refused a live second: %s\n", u->url.authority, why);
            u->warned_refused = true;
        } else if (st >= 300) {
            u->final_failed = true;
            snprintf(u->final_err, sizeof(u->final_err), "collector refused %s: %s", m->path, why);
        } else if (m->kind == MSG_COMMIT) {
            u->final_done = true;
        }
        if (m->kind != MSG_INTERVAL)
            pthread_cond_broadcast(&u->cv);
        msg_free(m);
    }
    pthread_mutex_unlock(&u->mu);
    disconnect(u);
    return NULL;
}

static void enqueue(upload *u, umsg *m)
{
    pthread_mutex_lock(&u->mu);
    if (m->kind == MSG_INTERVAL && u->n_intervals >= UPLOAD_MAX_QUEUED && u->head && u->head->next &&
        u->head->next->kind == MSG_INTERVAL) {
        /* Drop the oldest waiting second behind the one being sent. */
        umsg *old = u->head->next;
        u->head->next = old->next;
        if (u->tail == old)
            u->tail = u->head;
        u->n_intervals--;
        if (u->dropped++ == 0)
            fprintf(stderr,
                    "ptest: warning: collector %s is behind; live seconds are dropped (the "
                    "final results stay complete)\n",
                    u->url.authority);
        msg_free(old);
    }
    if (m->kind == MSG_INTERVAL)
        u->n_intervals++;
    if (u->tail)
        u->tail->next = m;
    else
        u->head = m;
    u->tail = m;
    pthread_cond_broadcast(&u->cv);
    pthread_mutex_unlock(&u->mu);
}

int upload_create(upload **out, const char *url, uint32_t index, uint32_t count, char *err, size_t errlen)
{
    upload *u = calloc(1, sizeof(*u));
    if (!u) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    u->fd = -1;
    u->index = index;
    u->count = count;
    if (plan_url_parse(&u->url, url, err, errlen) != 0) {
        free(u);
        return -1;
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&u->mu, NULL);
    pthread_cond_init(&u->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&u->thread, NULL, reporter, u) != 0) {
        snprintf(err, errlen, "cannot start the reporter thread");
        upload_destroy(u);
        return -1;
    }
    u->started = true;
    *out = u;
    return 0;
}

void upload_interval(upload *u, uint64_t start_ms, uint32_t t, uint32_t len_ms, const stats_interval *iv,
                     const char *const *names)
{
    umsg *m = calloc(1, sizeof(*m));
    if (!m)
        return;
    m->kind = MSG_INTERVAL;
    snprintf(m->path, sizeof(m->path), "interval");
    if (collect_wire_format_interval(&m->body, u->count, start_ms, t, len_ms, iv, names) != 0) {
        msg_free(m);
        return;
    }
    enqueue(u, m);
}

int upload_final(upload *u, const char *dir, const char *const *files, size_t n, uint64_t timeout_ns, char *err,
                 size_t errlen)
{
    struct timespec until = deadline_in(timeout_ns);
    for (size_t i = 0; i <= n; i++) {
        umsg *m = calloc(1, sizeof(*m));
        if (!m) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        if (i < n) {
            buf path = BUF_INIT;
            char *data = NULL;
            size_t len = 0;
            buf_printf(&path, "%s/%s", dir, files[i]);
            int rc = buf_ok(&path) ? hlog_load_file(path.data, &data, &len) : HLOG_ENOMEM;
            if (rc != 0) {
                snprintf(err, errlen, "%s: %s", path.data ? path.data : files[i], hlog_strerror(rc));
                buf_fini(&path);
                msg_free(m);
                return -1;
            }
            buf_fini(&path);
            m->kind = MSG_FILE;
            snprintf(m->path, sizeof(m->path), "final/%s", files[i]);
            m->body.data = data;
            m->body.len = len;
            m->body.cap = len + 1;
        } else {
            m->kind = MSG_COMMIT;
            snprintf(m->path, sizeof(m->path), "final");
            buf_printf(&m->body, "{\"workers\":%u}", (unsigned)u->count);
        }
        enqueue(u, m);
    }
    pthread_mutex_lock(&u->mu);
    int rc = 0;
    while (!u->final_done && !u->final_failed && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&u->cv, &u->mu, &until);
    int ret = u->final_done ? 0 : -1;
    if (u->final_failed)
        snprintf(err, errlen, "%s", u->final_err);
    else if (!u->final_done)
        snprintf(err, errlen, "collector %s did not take the results within %.0f s", u->url.authority,
                 (double)timeout_ns / 1e9);
    pthread_mutex_unlock(&u->mu);
    return ret;
}

void upload_destroy(upload *u)
{
    if (!u)
        return;
    if (u->started) {
        pthread_mutex_lock(&u->mu);
        u->stop = true;
        pthread_cond_broadcast(&u->cv);
        pthread_mutex_unlock(&u->mu);
        pthread_join(u->thread, NULL);
    }
    while (u->head) {
        umsg *m = u->head;
        u->head = m->next;
        msg_free(m);
    }
    pthread_cond_destroy(&u->cv);
    pthread_mutex_destroy(&u->mu);
    plan_url_fini(&u->url);
    free(u);
}
