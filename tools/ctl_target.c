/* ctl_target.c: URL / CONNECT target parsing for explain and replay (see ctl_target.h). */
#include "ctl_target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_port(const char *s, size_t n)
{
    int v = 0;

    if (n == 0 || n > 5)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v >= 1 && v <= 65535 ? v : -1;
}

int ctl_target_parse(const char *text, struct ctl_target *t, char *err, size_t errsize)
{
    const char *h = text, *hend, *rest;
    size_t hl;

    t->tls = true;
    t->port = 443;
    if (!strncmp(text, "https://", 8)) {
        h = text + 8;
    } else if (!strncmp(text, "http://", 7)) {
        h = text + 7;
        t->tls = false;
        t->port = 80;
    } else if (strstr(text, "://")) {
        snprintf(err, errsize, "unsupported URL scheme in '%s'", text);
        return -1;
    }
    rest = h + strcspn(h, "/?#");
    if (*h == '[') {
        hend = memchr(h, ']', (size_t)(rest - h));
        if (!hend) {
            snprintf(err, errsize, "unterminated [IPv6] host in '%s'", text);
            return -1;
        }
        hl = (size_t)(hend - h - 1);
        memcpy(t->hostbuf, h + 1, hl < sizeof(t->hostbuf) ? hl : 0);
        hend++;
    } else {
        hend = memchr(h, ':', (size_t)(rest - h));
        if (!hend)
            hend = rest;
        hl = (size_t)(hend - h);
        memcpy(t->hostbuf, h, hl < sizeof(t->hostbuf) ? hl : 0);
    }
    if (hl == 0 || hl >= sizeof(t->hostbuf)) {
        snprintf(err, errsize, "no usable host name in '%s'", text);
        return -1;
    }
    t->hostbuf[hl] = '\0';
    for (char *c = t->hostbuf; *c; c++) /* names compare case-insensitively */
        *c = (*c >= 'A' && *c <= 'Z') ? (char)(*c + 32) : *c;
    if (*hend == ':' && (t->port = parse_port(hend + 1, (size_t)(rest - hend - 1))) < 0) {
        snprintf(err, errsize, "bad port in '%s'", text);
        return -1;
    }
    t->host = t->hostbuf;
    snprintf(t->pathbuf, sizeof(t->pathbuf), "%s", *rest == '/' ? rest : "/");
    if (*rest == '?')
        snprintf(t->pathbuf, sizeof(t->pathbuf), "/%s", rest);
    t->pathbuf[strcspn(t->pathbuf, "#")] = '\0';
    t->path = t->pathbuf;
    t->query = NULL;
    {
        char *q = strchr(t->pathbuf, '?');
        if (q) {
            *q = '\0';
            t->query = q + 1;
        }
    }
    return 0;
}
