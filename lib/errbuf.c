/* errbuf.c: the caller-supplied error buffer convention (see errbuf.h). */
#include "errbuf.h"

#include <openssl/err.h>
#include <stdarg.h>
#include <stdio.h>

int si_fail(char *err, size_t errsize, const char *fmt, ...)
{
    va_list ap;

    if (err && errsize) {
        va_start(ap, fmt);
        vsnprintf(err, errsize, fmt, ap);
        va_end(ap);
    }
    ERR_clear_error();
    return -1;
}
