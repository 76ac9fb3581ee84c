/* settings.c: inspect-ocsp's transport settings (see settings.h). */
#include "settings.h"

#include <stdlib.h>
#include <string.h>

#include "units.h"

void oc_settings_defaults(struct oc_settings *s)
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

long oc_duration_ms(const char *text)
{
    long ms;

    if (si_parse_duration_ms(text, &ms) < 0 || ms < 1 || ms > 600000)
        return -1;
    return ms;
}
