/* bodyscan.c: payment-card detection, query rewriting and body text replacement (security.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bodyscan.h"

bool si_luhn_valid(const char *digits, size_t n)
{
    unsigned sum = 0;

    if (n < 2)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(digits[n - 1 - i] - '0');
        if (d > 9)
            return false;
        if (i % 2 == 1) {
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
    }
    return sum % 10 == 0;
}

static bool is_sep(unsigned char c)
{
    return c == ' ' || c == '-' || c == '+';
}

#define RUN_DIGITS 256
#define RUN_GROUPS 64

/* A run of digit groups separated by single separators ("4111 1111-1111"). */
struct run {
    char d[RUN_DIGITS];
    size_t nd;
    size_t gstart[RUN_GROUPS + 1]; /* digit index where each group starts; [ng] = nd */
    size_t ng;
};

/* Reads a run starting at i (a digit); returns the index after it. Stops early (at a group
 * boundary) when the buffers are full; a group longer than 19 digits is kept whole as one. */
static size_t read_run(const unsigned char *s, size_t len, size_t i, struct run *r)
{
    r->nd = r->ng = 0;
    while (i < len && r->ng < RUN_GROUPS) {
        r->gstart[r->ng++] = r->nd;
        while (i < len && isdigit(s[i])) {
            if (r->nd < RUN_DIGITS)
                r->d[r->nd++] = (char)s[i];
            i++;
        }
        if (i + 1 < len && is_sep(s[i]) && isdigit(s[i + 1]) && r->nd + 20 < RUN_DIGITS)
            i++;
        else
            break;
    }
    r->gstart[r->ng] = r->nd;
    return i;
}

/* Counts cards in a run: from each group, the longest span of whole groups with 13-19 digits,
 * a plausible first digit and a valid Luhn sum. */
static unsigned cards_in_run(const struct run *r, unsigned limit)
{
    unsigned count = 0;
    size_t g = 0;

    while (g < r->ng && count < limit) {
        size_t best = 0;
        for (size_t j = g + 1; j <= r->ng; j++) {
            size_t n = r->gstart[j] - r->gstart[g];
            if (n > 19)
                break;
            const char *d = r->d + r->gstart[g];
            if (n >= 13 && d[0] >= '2' && d[0] <= '6' && si_luhn_valid(d, n))
                best = j;
        }
        if (best) {
            count++;
            g = best;
        } else {
            g++;
        }
    }
    return count;
}

unsigned si_count_payment_cards(const unsigned char *data, size_t len, unsigned limit)
{
    unsigned count = 0;
    size_t i = 0;
    struct run r;

    while (data && i < len && count < limit) {
        if (!isdigit(data[i]) || (i > 0 && isalnum(data[i - 1]))) {
            i++;
            continue;
        }
        size_t end = read_run(data, len, i, &r);
        if (end >= len || !isalnum(data[end]) || is_sep(data[end]))
            count += cards_in_run(&r, limit - count);
        i = end > i ? end : i + 1;
    }
    return count;
}

static void pct_encode(FILE *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
            fputc(c, out);
        else
            fprintf(out, "%%%02X", c);
    }
}

char *si_query_set_param(const char *query, const char *name, const char *value)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buf, &size);
    bool first = true, done = false;
    size_t nlen = strlen(name);
    const char *p = query ? query : "";

    if (!out)
        return NULL;
    while (*p) {
        const char *amp = strchr(p, '&');
        size_t plen = amp ? (size_t)(amp - p) : strlen(p);
        bool same = plen >= nlen && strncmp(p, name, nlen) == 0 && (plen == nlen || p[nlen] == '=');
        if (plen && !(same && done)) {
            if (!first)
                fputc('&', out);
            first = false;
            if (same) {
                pct_encode(out, name);
                fputc('=', out);
                pct_encode(out, value);
                done = true;
            } else {
                fwrite(p, 1, plen, out);
            }
        }
        p += plen + (amp ? 1 : 0);
    }
    if (!done) {
        if (!first)
            fputc('&', out);
        pct_encode(out, name);
        fputc('=', out);
        pct_encode(out, value);
    }
    if (fclose(out) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* One replace-body pass; returns NULL when find does not occur. */
static unsigned char *replace_all(const unsigned char *data, size_t len, const char *find,
                                  const char *repl, size_t *outlen)
{
    size_t flen = strlen(find), rlen = strlen(repl), hits = 0;
    const unsigned char *p = data, *end = data + len, *h;

    while (p < end && (h = memmem(p, (size_t)(end - p), find, flen))) {
        hits++;
        p = h + flen;
    }
    if (!hits)
        return NULL;
    size_t n = len - hits * flen + hits * rlen;
    unsigned char *out = malloc(n ? n : 1), *o = out;
    if (!out)
        return NULL;
    p = data;
    while (p < end && (h = memmem(p, (size_t)(end - p), find, flen))) {
        memcpy(o, p, (size_t)(h - p));
        o += h - p;
        memcpy(o, repl, rlen);
        o += rlen;
        p = h + flen;
    }
    memcpy(o, p, (size_t)(end - p));
    *outlen = n;
    return out;
}

unsigned char *si_body_replace(const unsigned char *data, size_t len, const struct si_sec_mod *mods,
                               size_t nmods, size_t *outlen)
{
    unsigned char *cur = NULL;
    size_t curlen = len;

    for (size_t i = 0; i < nmods; i++) {
        if (mods[i].type != SI_MOD_REPLACE_BODY || !mods[i].name || !*mods[i].name)
            continue;
        size_t nl;
        unsigned char *next = replace_all(cur ? cur : data, curlen, mods[i].name,
                                          mods[i].value ? mods[i].value : "", &nl);
        if (next) {
            free(cur);
            cur = next;
            curlen = nl;
        }
    }
    if (cur)
        *outlen = curlen;
    return cur;
}
