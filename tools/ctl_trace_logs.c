/* ctl_trace_logs.c: the cache.log and c-icap server-log side of `inspect-ctl trace` and its
 * summary (ctl_trace.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl_trace.h"

#define LINE_MAX_LEN 16384
#define EARLY 0.5 /* helper lines may carry a time a little before Squid's %tS */

static bool all_of(const char *s, size_t n, int (*cls)(int))
{
    for (size_t i = 0; i < n; i++) {
        if (!cls((unsigned char)s[i]))
            return false;
    }
    return n > 0;
}

bool ctl_trace_ref_valid(const char *ref)
{
    size_t len = strlen(ref);

    if (len > 60)
        return false;
    if (!strncmp(ref, "si-", 3)) {
        const char *a = ref + 3, *b = strchr(a, '-'), *c = b ? strchr(b + 1, '-') : NULL;
        return c && all_of(a, (size_t)(b - a), isxdigit) &&
               all_of(b + 1, (size_t)(c - b - 1), isxdigit) && all_of(c + 1, strlen(c + 1), isdigit);
    }
    if (!strncmp(ref, "sq-", 3)) {
        const char *a = ref + 3, *dot = strchr(a, '.'), *d = dot ? strchr(dot, '-') : NULL;
        return d && all_of(a, (size_t)(dot - a), isdigit) && d - dot == 4 &&
               all_of(dot + 1, 3, isdigit) && (!d[1] || all_of(d + 1, strlen(d + 1), isdigit));
    }
    return false;
}

double ctl_trace_ref_time(const char *ref)
{
    return ref && !strncmp(ref, "sq-", 3) ? strtod(ref + 3, NULL) : -1;
}

bool ctl_trace_verdict_has_ref(const char *v, const char *ref)
{
    size_t n = strlen(ref);

    for (const char *p = v ? strstr(v, "ref=") : NULL; p; p = strstr(p + 4, "ref=")) {
        if ((p == v || p[-1] == ' ') && !strncmp(p + 4, ref, n) && (!p[4 + n] || p[4 + n] == ';'))
            return true;
    }
    return false;
}

bool ctl_trace_verdict_ref(const char *v, char *out, size_t n)
{
    const char *p = v ? strstr(v, "ref=si-") : NULL;
    size_t len;

    if (!p || !n)
        return false;
    p += 4;
    len = strcspn(p, "; ");
    if (len >= n)
        return false;
    memcpy(out, p, len);
    out[len] = '\0';
    return true;
}

bool ctl_trace_kv(const char *msg, const char *key, char *out, size_t n)
{
    size_t k = strlen(key), len;

    for (const char *p = strstr(msg, key); p; p = strstr(p + 1, key)) {
        if ((p != msg && p[-1] != ' ') || p[k] != '=')
            continue;
        p += k + 1;
        if (*p == '"') {
            const char *e = strchr(++p, '"');
            len = e ? (size_t)(e - p) : strlen(p);
        } else {
            len = strcspn(p, " ");
        }
        if (!n)
            return false;
        if (len >= n)
            len = n - 1;
        memcpy(out, p, len);
        out[len] = '\0';
        return true;
    }
    return false;
}

double ctl_trace_log_time(const char *line, const char **msg, char *ident, size_t identsize)
{
    struct tm tm;
    int ms = 0, used = 0;
    const char *p, *lvl;

    memset(&tm, 0, sizeof(tm));
    if (sscanf(line, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ %n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &used) != 7 || !used)
        return -1;
    p = line + used;
    lvl = strstr(p, ": ");
    if (!lvl || !strchr(p, '[') || strchr(p, '[') > lvl)
        return -1;
    snprintf(ident, identsize, "%.*s", (int)(strchr(p, '[') - p), p);
    *msg = lvl + 2;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (double)timegm(&tm) + ms / 1000.0;
}

/* Which helper line this is for query q: 1 bump CONNECT check, 2 bump decision, 3 ocsp,
 * 4 certgen, 0 none. */
static int helper_kind(const char *ident, const char *msg, const struct ctl_trace_query *q)
{
    char v[256];

    if (!strcmp(ident, "inspect-bump") && !strncmp(msg, "decision", 8)) {
        if (!ctl_trace_kv(msg, "client", v, sizeof(v)) || strcmp(v, q->client) ||
            !ctl_trace_kv(msg, "server", v, sizeof(v)) || strcmp(v, q->server))
            return 0;
        return strncmp(msg, "decision (CONNECT check)", 24) ? 2 : 1;
    }
    if (!ctl_trace_kv(msg, "host", v, sizeof(v)) || strcmp(v, q->server))
        return 0;
    if (!strcmp(ident, "inspect-ocsp") && !strncmp(msg, "validation ", 11))
        return 3;
    if (!strcmp(ident, "inspect-certgen") &&
        (!strncmp(msg, "certificate ", 12) || !strncmp(msg, "forged certificate ", 19)))
        return 4;
    return 0;
}

static void helper_facts(int kind, const char *msg, struct ctl_trace_facts *f)
{
    if (kind == 2 || (kind == 1 && !f->bump_action[0])) {
        ctl_trace_kv(msg, "action", f->bump_action, sizeof(f->bump_action));
        ctl_trace_kv(msg, "rule", f->bump_rule, sizeof(f->bump_rule));
        ctl_trace_kv(msg, "reason", f->bump_reason, sizeof(f->bump_reason));
    } else if (kind == 3) {
        ctl_trace_kv(msg, "result", f->ocsp_result, sizeof(f->ocsp_result));
        ctl_trace_kv(msg, "reason", f->ocsp_reason, sizeof(f->ocsp_reason));
    }
}

unsigned ctl_trace_helpers(FILE *f, FILE *out, const struct ctl_trace_query *q,
                           struct ctl_trace_facts *facts)
{
    static char line[LINE_MAX_LEN];
    bool seen[5] = {false};
    unsigned printed = 0;
    double last = (q->end > q->start ? q->end : q->start) + 1.0;

    while (fgets(line, sizeof(line), f)) {
        const char *msg;
        char ident[64];
        double t = ctl_trace_log_time(line, &msg, ident, sizeof(ident));
        int kind;

        if (t < q->start - EARLY || t > last)
            continue;
        kind = helper_kind(ident, msg, q);
        if (!kind || seen[kind])
            continue;
        seen[kind] = true;
        helper_facts(kind, msg, facts);
        fputs(line, out);
        if (!strchr(line, '\n'))
            fputc('\n', out);
        printed++;
    }
    return printed;
}

static void service_facts(const char *line, struct ctl_trace_facts *f)
{
    const char *p = strstr(line, "inspect: ref=");

    snprintf(f->svc_phase, sizeof(f->svc_phase), "%s", strstr(p, " RESPMOD ") ? "RESPMOD" : "REQMOD");
    ctl_trace_kv(p, "rule", f->svc_rule, sizeof(f->svc_rule));
    ctl_trace_kv(p, "action", f->svc_action, sizeof(f->svc_action));
    ctl_trace_kv(p, "reason", f->svc_reason, sizeof(f->svc_reason));
}

unsigned ctl_trace_service(FILE *f, FILE *out, char refs[][64], size_t n,
                           struct ctl_trace_facts *facts)
{
    static char line[LINE_MAX_LEN];
    unsigned printed = 0;

    while (fgets(line, sizeof(line), f)) {
        const char *p = strstr(line, "inspect: ref=");

        if (!p)
            continue;
        p += 13;
        for (size_t i = 0; i < n; i++) {
            size_t len = strlen(refs[i]);
            if (strncmp(p, refs[i], len) || p[len] != ' ')
                continue;
            if (!facts->svc_action[0] || !strcmp(facts->svc_action, "allowed"))
                service_facts(line, facts); /* a refusal outweighs the other phase's allow */
            fputs(line, out);
            if (!strchr(line, '\n'))
                fputc('\n', out);
            printed++;
        }
    }
    return printed;
}
