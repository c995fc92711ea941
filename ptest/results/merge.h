/* merge.h - combine the results of N workers of one distributed run into one results
 * directory, exactly: per label the latency histograms of every second add (interval logs
 * and whole-run), counts, error kinds, status codes and bytes add, and the time series are
 * aligned on wall-clock seconds (each worker's interval log BaseTime; workers that started
 * within the same second line up, later ones are shifted by whole seconds).
 * Labels are the union, in order of first appearance. Service-time statistics cannot be
 * merged (no histogram is stored for them) and are written as null.
 * The merged document describes the whole run (results.h has the schema): "plan" is the
 * whole plan (a share's "whole_plan", the plan it was cut from, so the planned rate and
 * users are the single run's, not one worker's), "share" and "environment" are null (the
 * load came from several processes and machines) and "shares" / "environments" list each
 * input's, in the order of "merged_from"; "started" is the earliest input's start.
 * Writes OUT/<label>.hlog + total.hlog, then OUT/results.json once, through results.h.
 * Not thread-safe.
 */
#ifndef PTEST_MERGE_H
#define PTEST_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "results.h"

enum {
    MERGE_EINPUT = -1, /* unreadable or incompatible input, or none */
    MERGE_EWRITE = -2, /* OUT cannot be written, or out of memory */
};

/* Returns 0, or MERGE_EINPUT / MERGE_EWRITE with err filled. */
int merge_dirs(const char *const *dirs, size_t n, const char *out_dir, char *err, size_t errlen);

/* Which workers of a collected run (`ptest collect`) the folders stand for (results.h). */
typedef results_workers merge_workers;

/* merge_dirs, and results.json gets
 *   "distributed": {"workers": N, "reported": [...], "partial": [...], "missing": [...]}
 * (gate.h fails the gate for each partial or missing worker). w may be NULL (merge_dirs). */
int merge_dirs_workers(const char *const *dirs, size_t n, const char *out_dir, const merge_workers *w, char *err,
                       size_t errlen);

#endif
