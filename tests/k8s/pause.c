/* pause.c - the test cluster's pod sandbox process (the "pause" container), our own.
 *
 * It holds the pod's namespaces open and does nothing else: every signal is blocked but
 * SIGINT, SIGTERM (exit 0: the sandbox is being stopped) and SIGCHLD (as PID 1 of a pod
 * that shares its PID namespace it inherits orphans: each is reaped). `pause -v` prints
 * the version. Built static by tests/k8s/images.sh into the image localhost/pause:pitestbed.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAUSE_VERSION "pitestbed-1"

static void on_stop(int sig)
{
    (void)sig;
    _exit(0);
}

static void on_child(int sig)
{
    int saved = errno;

    (void)sig;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    errno = saved;
}

static int handle(int sig, void (*fn)(int))
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sigfillset(&sa.sa_mask);
    sa.sa_flags = sig == SIGCHLD ? SA_RESTART | SA_NOCLDSTOP : SA_RESTART;
    return sigaction(sig, &sa, NULL);
}

int main(int argc, char **argv)
{
    sigset_t mask;

    if (argc > 1 && (strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "--version") == 0)) {
        printf("pause %s\n", PAUSE_VERSION);
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "usage: pause [-v]\n");
        return 2;
    }
    if (handle(SIGINT, on_stop) || handle(SIGTERM, on_stop) || handle(SIGCHLD, on_child)) {
        perror("pause: sigaction");
        return 1;
    }
    sigfillset(&mask);
    sigdelset(&mask, SIGINT);
    sigdelset(&mask, SIGTERM);
    sigdelset(&mask, SIGCHLD);
    if (sigprocmask(SIG_SETMASK, &mask, NULL)) {
        perror("pause: sigprocmask");
        return 1;
    }
    for (;;)
        pause();
}
