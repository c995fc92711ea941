/* guard.c - see guard.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "guard.h"

void guard_copy(guarded *g, const void *src, size_t n)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    size_t pages = (n + pg - 1) / pg + 1;
    g->map_len = pages * pg;
    g->map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(g->map != MAP_FAILED);
    unsigned char *guard = (unsigned char *)g->map + (pages - 1) * pg;
    assert_int_equal(mprotect(guard, pg, PROT_NONE), 0);
    g->p = guard - n;
    if (n)
        memcpy(g->p, src, n);
}

void guard_fini(guarded *g)
{
    munmap(g->map, g->map_len);
}
