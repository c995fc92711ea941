/* test_sock.c - listen addresses, connect with a deadline, readiness, address printing. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/net/sock.h"

static void test_listen_addr(void **state)
{
    (void)state;
    static const struct {
        const char *host, *printed; /* NULL: refused */
    } cases[] = {
        {"", "0.0.0.0:8080"},
        {"*", "0.0.0.0:8080"},
        {"localhost", "127.0.0.1:8080"},
        {"10.1.2.3", "10.1.2.3:8080"},
        {"::1", "[::1]:8080"},
        {"fe80::1:2", "[fe80::1:2]:8080"},
        {"[::1]", NULL},
        {"msdemo", NULL},
        {"1.2.3", NULL},
        {"1.2.3.4 ", NULL},
        {"256.1.1.1", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = 0;
        int rc = sock_listen_addr(cases[i].host, 8080, &ss, &sl);
        if (!cases[i].printed) {
            assert_int_equal(rc, -1);
            assert_int_equal(errno, EINVAL);
            continue;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(sl, ss.ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
        char out[SOCK_ADDRSTRLEN];
        assert_string_equal(sock_format((struct sockaddr *)&ss, out, sizeof out), cases[i].printed);
    }
    struct sockaddr sa = {.sa_family = AF_UNIX};
    char out[SOCK_ADDRSTRLEN];
    assert_string_equal(sock_format(&sa, out, sizeof out), "?");
}

/* A listening socket on 127.0.0.1 (port chosen by the kernel); its address in ss. */
static int listener(struct sockaddr_storage *ss, socklen_t *sl)
{
    assert_int_equal(sock_listen_addr("127.0.0.1", 0, ss, sl), 0);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)ss, *sl), 0);
    assert_int_equal(listen(fd, 8), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)ss, sl), 0);
    return fd;
}

static void test_connect_and_wait(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int lfd = listener(&ss, &sl);
    mono_ns until = clock_mono_now() + 5000 * CLOCK_NS_PER_MS;

    int fd = sock_connect(&ss, sl, until);
    assert_true(fd >= 0);
    assert_int_equal(sock_wait(fd, POLLOUT, until), 0); /* connected: writable */
    /* Nothing to read yet: the wait ends at its deadline with ETIMEDOUT. */
    errno = 0;
    assert_int_equal(sock_wait(fd, POLLIN, clock_mono_now() + 20 * CLOCK_NS_PER_MS), -1);
    assert_int_equal(errno, ETIMEDOUT);
    errno = 0;
    assert_int_equal(sock_wait(fd, POLLIN, 0), -1); /* a deadline in the past */
    assert_int_equal(errno, ETIMEDOUT);
    int afd = accept(lfd, NULL, NULL);
    assert_true(afd >= 0);
    assert_int_equal(write(afd, "x", 1), 1);
    assert_int_equal(sock_wait(fd, POLLIN, until), 0);
    close(afd);
    close(fd);

    /* The port closed: refused, and no fd left behind. */
    close(lfd);
    errno = 0;
    assert_int_equal(sock_connect(&ss, sl, until), -1);
    assert_int_equal(errno, ECONNREFUSED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_listen_addr),
        cmocka_unit_test(test_connect_and_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
