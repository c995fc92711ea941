/* diag.h - a list of located problems found while checking an inventory.
 *
 * The validator does not stop at the first problem: a person fixing an inventory wants
 * every mistake at once. Each entry is one line, "file:line:col: message" for errors and
 * "file:line:col: warning: message" for warnings. The list owns its strings.
 * Not thread-safe; one owner.
 */
#ifndef PC_DIAG_H
#define PC_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define PC_DIAG_MAX 200  /* further problems are counted but not kept */

typedef struct pc_diag_entry {
    char *msg;
    bool warning;
} pc_diag_entry;

typedef struct pc_diags {
    pc_diag_entry *v;
    size_t n, cap;
    size_t errors, warnings; /* counts include entries not kept */
    bool oom;                /* an entry could not be stored */
} pc_diags;

void pc_diags_init(pc_diags *d);
void pc_diags_free(pc_diags *d);
/* Adds a copy of msg. On allocation failure sets d->oom (the count still grows). */
void pc_diags_add(pc_diags *d, bool warning, const char *msg);
void pc_diags_addf(pc_diags *d, bool warning, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Writes every kept entry, one per line, then "... and N more" if some were dropped. */
void pc_diags_print(const pc_diags *d, FILE *f);
/* True when some entry's text contains needle (for tests). */
bool pc_diags_has(const pc_diags *d, const char *needle);

#endif
