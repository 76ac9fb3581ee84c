/* log.c: one-line, one-write diagnostics on stderr (see log.h). */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SI_LOG_LINE_MAX 4096

static const char *log_ident = "squid-inspect";
static enum si_log_level log_threshold = SI_LOG_INFO;

static const char *const level_names[] = {
    [SI_LOG_ERROR] = "ERROR",
    [SI_LOG_WARN] = "WARNING",
    [SI_LOG_INFO] = "INFO",
    [SI_LOG_DEBUG] = "DEBUG",
};

void si_log_init(const char *ident, enum si_log_level threshold)
{
    const char *slash = ident ? strrchr(ident, '/') : NULL;

    if (ident)
        log_ident = slash ? slash + 1 : ident;
    log_threshold = threshold;
}

void si_log_set_level(enum si_log_level threshold)
{
    log_threshold = threshold;
}

enum si_log_level si_log_get_level(void)
{
    return log_threshold;
}

static void write_all_stderr(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(STDERR_FILENO, buf, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* nowhere left to report it */
        buf += n;
        len -= (size_t)n;
    }
}

void si_vlog(enum si_log_level level, const char *fmt, va_list ap)
{
    char line[SI_LOG_LINE_MAX];
    struct timespec now;
    struct tm tm;
    size_t used;
    int n;

    if (level > log_threshold)
        return;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    used = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
    n = snprintf(line + used, sizeof(line) - used, ".%03ldZ %s[%ld] %s: ", now.tv_nsec / 1000000L,
                 log_ident, (long)getpid(), level_names[level]);
    if (n > 0)
        used += (size_t)n < sizeof(line) - used ? (size_t)n : sizeof(line) - used - 1;
    n = vsnprintf(line + used, sizeof(line) - used, fmt, ap);
    if (n > 0)
        used += (size_t)n < sizeof(line) - used ? (size_t)n : sizeof(line) - used - 1;
    /* One line per call: fold any newline the caller let through. */
    for (size_t i = 0; i < used; i++) {
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    }
    if (used >= sizeof(line) - 1)
        used = sizeof(line) - 2;
    line[used++] = '\n';
    write_all_stderr(line, used);
}

void si_log(enum si_log_level level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    si_vlog(level, fmt, ap);
    va_end(ap);
}

char *si_log_sanitize(char *dst, size_t dstsize, const char *src)
{
    size_t i = 0;

    if (dstsize == 0)
        return dst;
    for (; src && *src && i + 1 < dstsize; src++) {
        unsigned char c = (unsigned char)*src;

        if (c == '"')
            dst[i++] = '\'';
        else if (c < 0x20 || c >= 0x7f)
            dst[i++] = '?';
        else
            dst[i++] = (char)c;
    }
    dst[i] = '\0';
    return dst;
}
