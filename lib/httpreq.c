/* httpreq.c: request-line splitting; see httpreq.h. */
#include "httpreq.h"

#include <ctype.h>
#include <stdbool.h>
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

/* Sets scheme (none when slen < 0), path and query (none when qlen < 0) in one block. */
static int set_strings(struct si_req_parts *p, const char *scheme, long slen, const char *path,
                       size_t plen, const char *query, long qlen)
{
    size_t size = (slen >= 0 ? (size_t)slen + 1 : 0) + plen + 1 + (qlen >= 0 ? (size_t)qlen + 1 : 0);
    char *m = malloc(size);

    if (!m)
        return -1;
    p->mem = m;
    if (slen >= 0) {
        memcpy(m, scheme, (size_t)slen);
        m[slen] = '\0';
        p->scheme = m;
        m += slen + 1;
    }
    memcpy(m, path, plen);
    m[plen] = '\0';
    p->path = m;
    if (qlen >= 0) {
        m += plen + 1;
        memcpy(m, query, (size_t)qlen);
        m[qlen] = '\0';
        p->query = m;
    }
    return 0;
}

/* Path and query of target t (and the scheme, slen < 0 for none). The range holds no NUL. */
static int split_target(struct si_req_parts *p, const char *t, size_t len, const char *scheme,
                        long slen)
{
    const char *end = t + len, *hash = memchr(t, '#', len);
    if (hash)
        end = hash;
    const char *q = memchr(t, '?', (size_t)(end - t));
    const char *pend = q ? q : end;

    const char *path = pend > t ? t : "/"; /* an empty path is "/" */
    size_t plen = pend > t ? (size_t)(pend - t) : 1;

    return set_strings(p, scheme, slen, path, plen, q ? q + 1 : NULL, q ? (long)(end - q - 1) : -1);
}

void si_req_parts_init(struct si_req_parts *p)
{
    p->method[0] = p->host[0] = '\0';
    p->port = 0;
    p->scheme = p->path = p->query = NULL;
    p->origin_form = 0;
    p->mem = p->query_set = NULL;
}

int si_req_parse(const char *line, const char *host_header, struct si_req_parts *p)
{
    const char *sp, *t, *tend;

    si_req_parts_init(p);
    if (!line || !(sp = strchr(line, ' ')) || sp == line || (size_t)(sp - line) >= sizeof(p->method))
        return -1;
    memcpy(p->method, line, (size_t)(sp - line));
    p->method[sp - line] = '\0';
    t = sp + 1;
    tend = t + strcspn(t, " \r\n");
    if (tend == t)
        return -1;
    if (strcmp(p->method, "CONNECT") == 0) {
        set_authority(p, t, (size_t)(tend - t));
        return set_strings(p, NULL, -1, "", 0, NULL, -1);
    }
    const char *colon = memchr(t, ':', (size_t)(tend - t));
    if (t[0] != '/' && colon && colon + 2 < tend && colon[1] == '/' && colon[2] == '/') {
        const char *a = colon + 3;
        const char *aend = a + strcspn(a, "/?# ");
        if (aend > tend)
            aend = tend;
        set_authority(p, a, (size_t)(aend - a));
        return split_target(p, aend, (size_t)(tend - aend), t, (long)(colon - t));
    }
    p->origin_form = 1;
    si_req_parts_set_host(p, host_header);
    return split_target(p, t, (size_t)(tend - t), NULL, -1);
}

void si_req_parts_set_host(struct si_req_parts *p, const char *host_header)
{
    if (host_header)
        set_authority(p, host_header, strcspn(host_header, " \r\n"));
}

void si_req_parts_set_query(struct si_req_parts *p, char *query)
{
    free(p->query_set);
    p->query = p->query_set = query;
}

void si_req_parts_clear(struct si_req_parts *p)
{
    free(p->mem);
    free(p->query_set);
    si_req_parts_init(p);
}

char *si_req_url(const struct si_req_parts *p, char *buf, size_t size)
{
    const char *s = p->scheme;
    bool v6 = strchr(p->host, ':') != NULL;
    int dflt = s && !strcmp(s, "https") ? 443 : s && !strcmp(s, "http") ? 80 : 0;
    char port[16] = "";

    if (p->port && p->port != dflt)
        snprintf(port, sizeof(port), ":%d", p->port);
    snprintf(buf, size, "%s%s%s%s%s%s%s%s%s", s ? s : "", s ? "://" : "", v6 ? "[" : "", p->host,
             v6 ? "]" : "", port, p->path ? p->path : "", p->query ? "?" : "",
             p->query ? p->query : "");
    return buf;
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
