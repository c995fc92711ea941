/* log.h - JSON-lines logging to stderr.
 *
 * Each call writes one line: {"ts":"...","level":"info","prog":"msdemo","msg":"...", k: v...}
 * Extra fields are given as a printf-style fragment of JSON members, already escaped by the
 * caller via %s of log-safe strings or numbers, e.g.
 *   log_info("listening", "\"addr\":\"%s\",\"workers\":%u", addr, n);
 * Pass NULL (not "", which -Wformat flags) when there are no extra fields:
 *   log_info("started", NULL);
 * msg and prog are JSON-escaped here (invalid UTF-8 becomes U+FFFD); ts is RFC 3339 UTC with
 * milliseconds. If the line cannot be allocated, a short "log line lost: out of memory" line
 * is written instead. errno is preserved.
 * Thread-safe: each line is formatted into a local buffer and written with one write(2).
 */
#ifndef PT_LOG_H
#define PT_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Sets the program name (kept, not copied: pass a string that outlives logging) and the
 * minimum level; call once before threads start. Defaults: "pitestbed", LOG_INFO. */
void log_setup(const char *prog, enum log_level min);
void log_write(enum log_level lvl, const char *msg, const char *fields_fmt, ...) __attribute__((format(printf, 3, 4)));

#define log_debug(msg, ...) log_write(LOG_DEBUG, msg, __VA_ARGS__)
#define log_info(msg, ...) log_write(LOG_INFO, msg, __VA_ARGS__)
#define log_warn(msg, ...) log_write(LOG_WARN, msg, __VA_ARGS__)
#define log_error(msg, ...) log_write(LOG_ERROR, msg, __VA_ARGS__)

#endif
