/* platform.c - reading, generating and checking the platform manifests (see platform.h). */
#include "platform.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml.h>

#include "buf.h"

extern char **environ;

/* Reads all of fd into p (at most PLATFORM_MAX bytes). */
static int slurp(platform *p, int fd, const char *name, char *err, size_t errlen)
{
    buf b = BUF_INIT;
    if (buf_read_fd(&b, fd, PLATFORM_MAX) != 0) {
        if (errno == EFBIG)
            snprintf(err, errlen, "%s: larger than %zu bytes", name, PLATFORM_MAX);
        else
            snprintf(err, errlen, "%s: %s", name, strerror(errno));
        buf_fini(&b);
        return -1;
    }
    p->text = b.data;
    p->len = b.len;
    return 0;
}

int platform_read(platform *p, const char *path, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    if (strcmp(path, "-") == 0)
        return slurp(p, STDIN_FILENO, "<stdin>", err, errlen);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    int rc = slurp(p, fd, path, err, errlen);
    close(fd);
    return rc;
}

int platform_kustomize(platform *p, const char *dir, char *err, size_t errlen)
{
    int fds[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    pid_t pid;
    char *argv[] = {"kubectl", "kustomize", (char *)dir, NULL};
    int rc = -1, status = 0;

    memset(p, 0, sizeof *p);
    if (pipe2(fds, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    if (posix_spawn_file_actions_init(&fa) != 0) {
        snprintf(err, errlen, "posix_spawn: out of memory");
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    int e = posix_spawnp(&pid, "kubectl", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (e != 0) {
        snprintf(err, errlen,
                 "cannot run kubectl (%s): install kubectl, or render the platform elsewhere "
                 "(kubectl kustomize deploy/platform > platform.yaml) and pass --platform platform.yaml",
                 strerror(e));
        close(fds[0]);
        return -1;
    }
    char what[64 + 4096];
    snprintf(what, sizeof what, "kubectl kustomize %s", dir);
    rc = slurp(p, fds[0], what, err, errlen);
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            status = -1;
            break;
        }
    }
    if (rc == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        snprintf(err, errlen, "%s failed (exit status %d; its message is above)", what,
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        platform_fini(p);
        rc = -1;
    }
    return rc;
}

static const yaml_node_t *map_get(yaml_document_t *doc, const yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
        const yaml_node_t *k = yaml_document_get_node(doc, pr->key);
        if (k && k->type == YAML_SCALAR_NODE && k->data.scalar.length == strlen(key) &&
            memcmp(k->data.scalar.value, key, k->data.scalar.length) == 0)
            return yaml_document_get_node(doc, pr->value);
    }
    return NULL;
}

static bool nonempty_scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE && n->data.scalar.length > 0;
}

int platform_check(platform *p, const char *name, char *err, size_t errlen)
{
    yaml_parser_t parser;
    int rc = 0;

    p->n_docs = p->n_namespaces = 0;
    if (strlen(p->text) != p->len) {
        snprintf(err, errlen, "%s: contains a NUL byte", name);
        return -1;
    }
    if (!yaml_parser_initialize(&parser)) {
        snprintf(err, errlen, "%s: out of memory", name);
        return -1;
    }
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    yaml_parser_set_input_string(&parser, (const unsigned char *)p->text, p->len);
    for (size_t idx = 1;; idx++) {
        yaml_document_t doc;
        if (!yaml_parser_load(&parser, &doc)) {
            snprintf(err, errlen, "%s:%zu:%zu: %s", name, parser.problem_mark.line + 1, parser.problem_mark.column + 1,
                     parser.problem ? parser.problem : "YAML error");
            rc = -1;
            break;
        }
        yaml_node_t *root = yaml_document_get_root_node(&doc);
        if (!root) {
            yaml_document_delete(&doc);
            break; /* end of stream */
        }
        size_t line = root->start_mark.line + 1;
        const yaml_node_t *kind = map_get(&doc, root, "kind");
        const yaml_node_t *meta = map_get(&doc, root, "metadata");
        if (root->type != YAML_MAPPING_NODE || !nonempty_scalar(map_get(&doc, root, "apiVersion")) ||
            !nonempty_scalar(kind) || !nonempty_scalar(map_get(&doc, meta, "name"))) {
            snprintf(err, errlen,
                     "%s:%zu: document %zu is not a Kubernetes object (apiVersion, kind and metadata.name "
                     "needed); is this the output of `kubectl kustomize deploy/platform`?",
                     name, line, idx);
            yaml_document_delete(&doc);
            rc = -1;
            break;
        }
        if (kind->data.scalar.length == 9 && memcmp(kind->data.scalar.value, "Namespace", 9) == 0)
            p->n_namespaces++;
        p->n_docs++;
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&parser);
    if (rc == 0 && p->n_docs == 0) {
        snprintf(err, errlen, "%s: no Kubernetes objects in it", name);
        rc = -1;
    }
    return rc;
}

void platform_fini(platform *p)
{
    free(p->text);
    memset(p, 0, sizeof *p);
}
