/* diag.h - a list of located problems found while checking an inventory.
 *
 * The validator does not stop at the first problem: a person fixing an inventory wants
 * every mistake at once. Each entry is one line, "file:line:col: message" for errors and
 * "file:line:col: warning: message" for warnings. The list owns its strings.
 * Not thread-safe; one owner.
 */
#ifndef PICLUSTER_DIAG_H
#define PICLUSTER_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define DIAG_MAX 200 /* further problems are counted but not kept */

typedef struct diag_entry {
    char *msg;
    bool warning;
} diag_entry;

typedef struct diag_list {
    diag_entry *v;
    size_t n, cap;
    size_t errors, warnings; /* counts include entries not kept */
    bool oom;                /* an entry could not be stored */
} diag_list;

void diag_init(diag_list *d);
void diag_fini(diag_list *d);
/* Adds a copy of msg. On allocation failure sets d->oom (the count still grows). */
void diag_add(diag_list *d, bool warning, const char *msg);
void diag_addf(diag_list *d, bool warning, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Writes every kept entry, one per line, then "... and N more" if some were dropped. */
void diag_print(const diag_list *d, FILE *f);
/* True when some entry's text contains needle (for tests). */
bool diag_has(const diag_list *d, const char *needle);

#endif
