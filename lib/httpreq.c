/* httpreq.c: request-line splitting; see httpreq.h. */
#include "httpreq.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Digits only, 1..65535; anything else ("-80", "99999999999", "80x") is 0, no port (atoi was
 * undefined on overflow and let a negative port through: found by tests/fuzz/fuzz_httpreq). */
static int parse_port(const char *s, const char *end)
{
    long v = 0;
    if (s >= end)
        return 0;
    for (; s < end; s++) {
        if (*s < '0' || *s > '9')
            return 0;
        v = v * 10 + (*s - '0');
        if (v > 65535)
            return 0;
    }
    return (int)v;
}

/* Copies host[:port] (authority without userinfo) into p->host / p->port. */
static void set_authority(struct si_req_parts *p, const char *a, size_t len)
{
    const char *at = memchr(a, '@', len);
    size_t n = 0;

    if (at) { /* drop userinfo: never keep credentials */
        len -= (size_t)(at + 1 - a);
        a = at + 1;
    }
    const char *end = a + len, *hend;
    if (len && a[0] == '[') {
        const char *rb = memchr(a, ']', len);
        hend = rb ? rb : end;
        a++;
    } else {
        const char *colon = memchr(a, ':', len);
        hend = colon ? colon : end;
    }
    for (const char *c = a; c < hend && n + 1 < sizeof(p->host); c++)
        p->host[n++] = (char)tolower((unsigned char)*c);
    p->host[n] = '\0';
    const char *colon = hend < end ? memchr(hend, ':', (size_t)(end - hend)) : NULL;
    p->port = colon ? parse_port(colon + 1, end) : 0;
}

static int split_target(struct si_req_parts *p, const char *t, size_t len)
{
    const char *end = t + len, *hash = memchr(t, '#', len);
    if (hash)
        end = hash;
    const char *q = memchr(t, '?', (size_t)(end - t));
    const char *pend = q ? q : end;

    p->path = pend > t ? strndup(t, (size_t)(pend - t)) : strdup("/");
    p->query = q ? strndup(q + 1, (size_t)(end - q - 1)) : NULL;
    return p->path && (!q || p->query) ? 0 : -1;
}

int si_req_parse(const char *line, const char *host_header, struct si_req_parts *p)
{
    const char *sp, *t, *tend;

    memset(p, 0, sizeof(*p));
    if (!line || !(sp = strchr(line, ' ')) || sp == line || (size_t)(sp - line) >= sizeof(p->method))
        return -1;
    memcpy(p->method, line, (size_t)(sp - line));
    t = sp + 1;
    tend = t + strcspn(t, " \r\n");
    if (tend == t)
        return -1;
    if (strcmp(p->method, "CONNECT") == 0) {
        set_authority(p, t, (size_t)(tend - t));
        p->path = strdup("");
        return p->path ? 0 : -1;
    }
    const char *colon = memchr(t, ':', (size_t)(tend - t));
    if (t[0] != '/' && colon && colon + 2 < tend && colon[1] == '/' && colon[2] == '/') {
        p->scheme = strndup(t, (size_t)(colon - t));
        const char *a = colon + 3;
        const char *aend = a + strcspn(a, "/?# ");
        if (aend > tend)
            aend = tend;
        set_authority(p, a, (size_t)(aend - a));
        return split_target(p, aend, (size_t)(tend - aend));
    }
    if (host_header)
        set_authority(p, host_header, strcspn(host_header, " \r\n"));
    return split_target(p, t, (size_t)(tend - t));
}

void si_req_parts_clear(struct si_req_parts *p)
{
    free(p->scheme);
    free(p->path);
    free(p->query);
    memset(p, 0, sizeof(*p));
}

int si_status_parse(const char *line)
{
    const char *sp = line ? strchr(line, ' ') : NULL;

    if (!sp || strncmp(line, "HTTP/", 5) != 0)
        return 0;
    if (!isdigit((unsigned char)sp[1]) || !isdigit((unsigned char)sp[2]) ||
        !isdigit((unsigned char)sp[3]) || isdigit((unsigned char)sp[4]))
        return 0;
    return (sp[1] - '0') * 100 + (sp[2] - '0') * 10 + (sp[3] - '0');
}
