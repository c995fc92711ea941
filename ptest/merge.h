/* merge.h - combine the results of N workers of one distributed run into one results
 * directory, exactly: per label the latency histograms of every second add (interval logs
 * and whole-run), counts, error kinds, status codes and bytes add, and the time series are
 * aligned on wall-clock seconds (each worker's interval log BaseTime; workers that started
 * within the same second line up, later ones are shifted by whole seconds).
 * Labels are the union, in order of first appearance. Service-time statistics cannot be
 * merged (no histogram is stored for them) and are written as null.
 * Writes OUT/results.json (with "merged_from": [dirs], and "distributed" for a collected run) and OUT/<label>.hlog + total.hlog.
 * Not thread-safe.
 */
#ifndef PTEST_MERGE_H
#define PTEST_MERGE_H

#include <stddef.h>
#include <stdint.h>

/* Returns 0, or -1 with err filled (unreadable input, incompatible data, write failure).
 * n >= 1. */
int merge_dirs(const char *const *dirs, size_t n, const char *out_dir, char *err, size_t errlen);

/* Which workers of a collected run (`ptest collect`) the folders stand for: "reported" sent
 * their final results, "partial" only live seconds (killed mid-run), "missing" nothing.
 * Worker indices, ascending. */
typedef struct merge_workers {
    uint32_t count;
    const uint32_t *reported, *partial, *missing;
    size_t n_reported, n_partial, n_missing;
} merge_workers;

/* merge_dirs, and results.json gets
 *   "distributed": {"workers": N, "reported": [...], "partial": [...], "missing": [...]}
 * (gate.h fails the gate for each partial or missing worker). w may be NULL (merge_dirs). */
int merge_dirs_workers(const char *const *dirs, size_t n, const char *out_dir, const merge_workers *w,
                       char *err, size_t errlen);

#endif
