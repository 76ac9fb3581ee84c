/* units.c: the size and duration grammars of units.h. */
#include "units.h"

#include <limits.h>
#include <stddef.h>

/* Reads the decimal digits at *s (at least one) into *v, advancing *s. -1 on overflow. */
static int read_digits(const char **s, unsigned long long *v)
{
    const char *p = *s;
    unsigned long long n = 0;

    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (n > (ULLONG_MAX - d) / 10)
            return -1;
        n = n * 10 + d;
    }
    *s = p;
    *v = n;
    return 0;
}

static int is_char(char c, char lower)
{
    return c == lower || c == lower - ('a' - 'A');
}

int si_parse_size(const char *s, unsigned long long *out)
{
    unsigned long long v;
    unsigned shift = 0;

    if (!s || read_digits(&s, &v) < 0)
        return -1;
    if (is_char(*s, 'k'))
        shift = 10, s++;
    else if (is_char(*s, 'm'))
        shift = 20, s++;
    else if (is_char(*s, 'g'))
        shift = 30, s++;
    if (is_char(*s, 'b'))
        s++;
    if (*s || v > (ULLONG_MAX >> shift))
        return -1;
    *out = v << shift;
    return 0;
}

int si_parse_duration_ms(const char *s, long *out)
{
    static const struct {
        const char *unit;
        unsigned long long mult;
    } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"", 1000}};
    unsigned long long v;

    if (!s || read_digits(&s, &v) < 0)
        return -1;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        const char *u = units[i].unit, *p = s;
        while (*u && *p == *u)
            u++, p++;
        if (*u || *p)
            continue;
        if (v > (unsigned long long)LONG_MAX / units[i].mult)
            return -1;
        *out = (long)(v * units[i].mult);
        return 0;
    }
    return -1;
}
