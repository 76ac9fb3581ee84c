/*
 * ctl_target.h: what explain and replay evaluate: a URL ("https://h[:p]/path?q", "http://..."),
 * a CONNECT target ("host:port") or a bare host name, plus the facts around it.
 * Ownership: ctl_target_parse() copies into the struct's own buffers; the other pointers are
 * the caller's. Thread-safety: reentrant.
 */
#ifndef CTL_TARGET_H
#define CTL_TARGET_H

#include <stdbool.h>
#include <stddef.h>

struct ctl_target {
    const char *client, *user, *groups, *method, *content_type;
    int status;
    bool tls;            /* https:// or a CONNECT target: the inspection rules apply */
    const char *host;    /* -> hostbuf */
    int port;
    const char *path;    /* -> pathbuf, "/" when none */
    const char *query;   /* -> into pathbuf, NULL when none */
    char hostbuf[256];
    char pathbuf[4096];
};

/* Parses text into t's host/port/path/query/tls. Returns 0 or -1 (err filled). */
int ctl_target_parse(const char *text, struct ctl_target *t, char *err, size_t errsize);

#endif
