/* guard.h - test helper: input placed so that it ends exactly at a PROT_NONE page, so a
 * parser that reads one byte past its length faults (picohttpparser's guard-page trick).
 * Linked into every unit test (the files of tests/unit that are not test_ files). */
#ifndef TESTS_GUARD_H
#define TESTS_GUARD_H

#include <stddef.h>

typedef struct guarded {
    void *map;
    size_t map_len;
    void *p; /* the copy: n bytes ending at the guard page */
} guarded;

/* Copies n bytes of src into g->p; fails the running cmocka test if mmap fails. */
void guard_copy(guarded *g, const void *src, size_t n);
void guard_fini(guarded *g);

#endif
