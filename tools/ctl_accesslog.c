/* ctl_accesslog.c: parse `inspect` and native `squid` logformat lines (see ctl_accesslog.h). */
#include "ctl_accesslog.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Next space-separated token; a token starting with key=" runs to the closing quote. */
static char *next_token(char **pp)
{
    char *p = *pp, *start, *eq;

    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p)
        return NULL;
    start = p;
    eq = NULL;
    while (*p && *p != ' ' && *p != '\t') {
        if (*p == '=' && !eq) {
            eq = p;
            if (p[1] == '"') {
                char *q = strchr(p + 2, '"');
                p = q ? q + 1 : p + strlen(p);
                continue;
            }
        }
        p++;
    }
    if (*p)
        *p++ = '\0';
    *pp = p;
    return start;
}

static const char *value_or_null(char *v)
{
    size_t n = strlen(v);

    if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
        v[n - 1] = '\0';
        v++;
    }
    return (!*v || !strcmp(v, "-")) ? NULL : v;
}

static void set_kv(struct ctl_logrec *r, char *tok)
{
    char *eq = strchr(tok, '=');
    static const struct { const char *key; size_t off; } keys[] = {
        {"bump", offsetof(struct ctl_logrec, bump)},
        {"sni", offsetof(struct ctl_logrec, sni)},
        {"cport", offsetof(struct ctl_logrec, cport)},
        {"tls", offsetof(struct ctl_logrec, tls)},
        {"err", offsetof(struct ctl_logrec, err)},
        {"cert_errors", offsetof(struct ctl_logrec, cert_errors)},
        {"rev", offsetof(struct ctl_logrec, rev)},
        {"verdict", offsetof(struct ctl_logrec, verdict)},
        {"req_verdict", offsetof(struct ctl_logrec, req_verdict)},
        {"fail", offsetof(struct ctl_logrec, fail)},
        {"groups", offsetof(struct ctl_logrec, groups)},
        {"ref", offsetof(struct ctl_logrec, ref)},
    };

    if (!eq)
        return;
    *eq = '\0';
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (!strcmp(tok, keys[i].key)) {
            *(const char **)((char *)r + keys[i].off) = value_or_null(eq + 1);
            return;
        }
    }
}

/* The phase= word of a verdict header ("...; ref=...; phase=reqmod"), or NULL. */
static const char *verdict_phase(const char *v)
{
    const char *p = v ? strstr(v, "phase=") : NULL;

    if (!p || (p != v && p[-1] != ' '))
        return NULL;
    p += 6;
    if (!strncmp(p, "reqmod", 6) && (!p[6] || p[6] == ';'))
        return "reqmod";
    if (!strncmp(p, "respmod", 7) && (!p[7] || p[7] == ';'))
        return "respmod";
    return NULL;
}

static void split_phases(struct ctl_logrec *r)
{
    const char *ph = verdict_phase(r->verdict);

    if (r->req_verdict && verdict_phase(r->req_verdict))
        r->reqmod = r->req_verdict;
    if (ph && !strcmp(ph, "respmod"))
        r->respmod = r->verdict;
    else if (ph && !r->reqmod)
        r->reqmod = r->verdict;
    r->verdict_unphased = r->verdict && !ph;
}

static void split_tls(struct ctl_logrec *r)
{
    const char *a = r->tls, *c1, *c2;

    r->tls_action[0] = r->tls_rule[0] = r->tls_code[0] = '\0';
    if (!a || !(c1 = strchr(a, ':')) || !(c2 = strchr(c1 + 1, ':')))
        return;
    snprintf(r->tls_action, sizeof(r->tls_action), "%.*s", (int)(c1 - a), a);
    snprintf(r->tls_rule, sizeof(r->tls_rule), "%.*s", (int)(c2 - c1 - 1), c1 + 1);
    snprintf(r->tls_code, sizeof(r->tls_code), "%s", c2 + 1);
}

bool ctl_log_parse(const char *line, struct ctl_logrec *r)
{
    char *p, *f[8], *end, *slash;
    size_t n = strlen(line);

    memset(r, 0, offsetof(struct ctl_logrec, buf));
    if (n >= sizeof(r->buf))
        return false;
    memcpy(r->buf, line, n + 1);
    while (n && (r->buf[n - 1] == '\n' || r->buf[n - 1] == '\r'))
        r->buf[--n] = '\0';
    p = r->buf;
    for (int i = 0; i < 8; i++) {
        if (!(f[i] = next_token(&p)))
            return false;
    }
    r->time = strtod(f[0], &end);
    if (*end || !(slash = strchr(f[3], '/')))
        return false;
    *slash = '\0';
    r->code = f[3];
    r->status = atoi(slash + 1);
    r->client = f[2];
    r->bytes = atoll(f[4]);
    r->method = f[5];
    r->url = f[6];
    r->user = value_or_null(f[7]);
    char *t = next_token(&p);
    /* native: HIERARCHY/PEER where the inspect format has key=value */
    r->native = t && !strchr(t, '=') && strchr(t, '/');
    for (; t; t = next_token(&p))
        set_kv(r, t);
    if (r->err && !strcmp(r->err, "-/-"))
        r->err = NULL;
    split_tls(r);
    split_phases(r);
    return true;
}

const char *ctl_log_server_name(const struct ctl_logrec *r, char *host, unsigned hostsize)
{
    const char *u = r->url, *e;

    if (r->sni)
        return r->sni;
    if (!strncmp(u, "https://", 8))
        u += 8;
    else if (strcmp(r->method, "CONNECT") != 0)
        return NULL;
    if (*u == '[') {
        e = strchr(u, ']');
        e = e ? e + 1 : u + strlen(u);
    } else {
        e = u + strcspn(u, ":/");
    }
    if (e == u)
        return NULL;
    snprintf(host, hostsize, "%.*s", (int)(e - u), u);
    return host;
}

void ctl_log_native_note(FILE *out, const char *command, unsigned long native)
{
    if (native)
        fprintf(out, "# %s: %lu lines in Squid's native logformat were skipped: they carry no "
                     "ssl-bump fields (log with the inspect logformat of squid-inspect.conf)\n",
                command, native);
}
