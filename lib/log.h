/*
 * log.h: diagnostics and decision lines on stderr, shared by every helper and tool.
 *
 * Squid copies a helper's stderr into cache.log; stdout is the helper protocol channel and is
 * never written here. Each call produces exactly one line, written with a single write(2), so
 * lines from threads and from sibling helper processes do not interleave.
 *
 * Thread-safety: si_log_* may be called from any thread once si_log_init() has returned.
 * si_log_init() itself must run once, before threads start.
 */
#ifndef SI_LOG_H
#define SI_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum si_log_level {
    SI_LOG_ERROR = 0,
    SI_LOG_WARN = 1,
    SI_LOG_INFO = 2,
    SI_LOG_DEBUG = 3,
};

/* ident: program name shown on every line (not copied: pass a string literal or argv[0]). */
void si_log_init(const char *ident, enum si_log_level threshold);
void si_log_set_level(enum si_log_level threshold);
enum si_log_level si_log_get_level(void);

void si_log(enum si_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void si_vlog(enum si_log_level level, const char *fmt, va_list ap);

#define si_error(...) si_log(SI_LOG_ERROR, __VA_ARGS__)
#define si_warn(...) si_log(SI_LOG_WARN, __VA_ARGS__)
#define si_info(...) si_log(SI_LOG_INFO, __VA_ARGS__)
#define si_debug(...) si_log(SI_LOG_DEBUG, __VA_ARGS__)

/*
 * Copies src into dst (size dstsize, always NUL-terminated) so that it is safe inside one log
 * line: control characters and non-ASCII bytes become '?', double quotes become '\''.
 * Returns dst.
 */
char *si_log_sanitize(char *dst, size_t dstsize, const char *src);

#endif
