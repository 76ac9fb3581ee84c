/* settings.c: inspect-ocsp's transport settings (see settings.h). */
#include "settings.h"

#include <stdlib.h>
#include <string.h>

void ocsp_settings_defaults(struct ocsp_settings *s)
{
    memset(s, 0, sizeof(*s));
    s->crl_timeout_ms = 5000;
    s->ocsp_max_bytes = 16 * 1024;
    s->crl_max_bytes = 8 * 1024 * 1024;
    s->skew_s = 300;
    s->no_next_max_age_s = 4 * 86400;
    s->cache_max_s = 86400;
    s->no_next_ttl_s = 600;
}

long ocsp_duration_ms(const char *text)
{
    char *end;
    double v;

    if (!text || !*text)
        return -1;
    v = strtod(text, &end);
    if (end == text || v <= 0)
        return -1;
    if (strcmp(end, "ms") == 0)
        ;
    else if (strcmp(end, "m") == 0)
        v *= 60000.0;
    else if (*end == '\0' || strcmp(end, "s") == 0)
        v *= 1000.0;
    else
        return -1;
    if (v < 1 || v > 600000)
        return -1;
    return (long)v;
}
