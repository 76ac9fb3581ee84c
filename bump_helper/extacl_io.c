/* extacl_io.c: Squid external ACL helper line protocol (see extacl_io.h). */
#include "extacl_io.h"
#include "helper_io.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct bp_extacl_reader {
    int fd;
    char buf[BP_EXTACL_LINE_MAX * 2];
    size_t len;      /* bytes buffered */
    bool skipping;   /* discarding the rest of an over-long line */
    bool eof;
};

static pthread_mutex_t reply_lock = PTHREAD_MUTEX_INITIALIZER;

struct bp_extacl_reader *bp_extacl_reader_new(int fd)
{
    struct bp_extacl_reader *r = calloc(1, sizeof(*r));

    if (r)
        r->fd = fd;
    return r;
}

void bp_extacl_reader_free(struct bp_extacl_reader *r)
{
    free(r);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool bp_extacl_unescape(char *s)
{
    char *out = s;

    for (char *p = s; *p; p++) {
        if (*p == '%') {
            int hi = hexval(p[1]), lo = hi >= 0 ? hexval(p[2]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return false;
            *out++ = (char)(hi * 16 + lo);
            p += 2;
        } else {
            *out++ = *p;
        }
    }
    *out = '\0';
    return true;
}

int bp_extacl_parse(const char *line, size_t len, struct bp_extacl_request *req, char *err,
                    size_t errsize)
{
    char *p, *tok, *save = NULL;

    memset(req, 0, offsetof(struct bp_extacl_request, buf));
    if (len > BP_EXTACL_LINE_MAX) {
        snprintf(err, errsize, "request line longer than %d bytes", BP_EXTACL_LINE_MAX);
        return -1;
    }
    if (memchr(line, '\0', len)) {
        snprintf(err, errsize, "request line contains a NUL byte");
        return -1;
    }
    memcpy(req->buf, line, len);
    req->buf[len] = '\0';
    if (len && req->buf[len - 1] == '\r')
        req->buf[len - 1] = '\0';
    p = req->buf;
    for (tok = strtok_r(p, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
        size_t tl = strlen(tok);
        if (!req->has_id && req->nfields == 0 && si_all_digits(tok, tl) && tl < sizeof(req->id)) {
            req->has_id = true;
            memcpy(req->id, tok, tl + 1);
            continue;
        }
        if (req->nfields == BP_EXTACL_FIELDS_MAX)
            break; /* extra fields (e.g. %DATA) are ignored */
        if (!bp_extacl_unescape(tok)) {
            snprintf(err, errsize, "field %zu has a malformed %%-escape", req->nfields + 1);
            return -1;
        }
        req->field[req->nfields++] = (strcmp(tok, "-") == 0 || !*tok) ? NULL : tok;
    }
    return 0;
}

/* Reads more input; returns bytes read, 0 at EOF, -1 on error. */
static ssize_t fill(struct bp_extacl_reader *r)
{
    ssize_t n;

    do {
        n = read(r->fd, r->buf + r->len, sizeof(r->buf) - r->len);
    } while (n < 0 && errno == EINTR);
    if (n > 0)
        r->len += (size_t)n;
    return n;
}

static void consume(struct bp_extacl_reader *r, size_t n)
{
    memmove(r->buf, r->buf + n, r->len - n);
    r->len -= n;
}

/* Recovers the channel ID of a line we refuse, so the BH reply reaches the right request. */
static void salvage_id(const char *line, size_t len, struct bp_extacl_request *req)
{
    size_t i = 0;

    memset(req, 0, offsetof(struct bp_extacl_request, buf));
    while (i < len && i < sizeof(req->id) - 1 && line[i] >= '0' && line[i] <= '9')
        i++;
    if (i > 0 && i < len && line[i] == ' ') {
        memcpy(req->id, line, i);
        req->id[i] = '\0';
        req->has_id = true;
    }
}

int bp_extacl_read(struct bp_extacl_reader *r, struct bp_extacl_request *req, char *err,
                   size_t errsize)
{
    for (;;) {
        char *nl = memchr(r->buf, '\n', r->len);
        if (nl) {
            size_t n = (size_t)(nl - r->buf);
            int rc;
            if (r->skipping) {
                r->skipping = false;
                consume(r, n + 1);
                snprintf(err, errsize, "request line longer than %d bytes", BP_EXTACL_LINE_MAX);
                return -1;
            }
            rc = bp_extacl_parse(r->buf, n, req, err, errsize);
            if (rc < 0)
                salvage_id(r->buf, n, req);
            consume(r, n + 1);
            return rc < 0 ? -1 : 1;
        }
        if (r->len == sizeof(r->buf)) { /* no LF in a full buffer: an over-long line */
            if (!r->skipping)
                salvage_id(r->buf, r->len, req);
            r->skipping = true;
            r->len = 0;
        }
        if (r->eof || fill(r) <= 0) {
            r->eof = true;
            if (r->len == 0 || r->skipping)
                return 0;
            r->buf[r->len] = '\n'; /* a last line without LF */
            r->len++;
        }
    }
}

int bp_extacl_reply(int fd, const struct bp_extacl_request *req, const char *result,
                    const char *kv)
{
    return bp_extacl_reply_to(fd, req && req->has_id, req ? req->id : "", result, kv);
}

int bp_extacl_reply_to(int fd, bool has_id, const char *id, const char *result, const char *kv)
{
    char line[BP_EXTACL_LINE_MAX];
    int n = snprintf(line, sizeof(line), "%s%s%s%s%s\n", has_id ? id : "", has_id ? " " : "",
                     result, kv && *kv ? " " : "", kv ? kv : "");
    size_t off = 0, len;
    int rc = 0;

    if (n < 0 || (size_t)n >= sizeof(line)) { /* never truncate a reply mid-token */
        n = snprintf(line, sizeof(line), "%s%sBH message=\"reply too long\"\n",
                     has_id ? id : "", has_id ? " " : "");
    }
    len = (size_t)n;
    pthread_mutex_lock(&reply_lock);
    while (off < len) {
        ssize_t w = write(fd, line + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = -1;
            break;
        }
        off += (size_t)w;
    }
    pthread_mutex_unlock(&reply_lock);
    return rc;
}

bool bp_extacl_kv_append(char *dst, size_t dstsize, const char *key, const char *value)
{
    size_t start = strlen(dst), used = start;
    int n = snprintf(dst + used, dstsize - used, "%s%s=\"", used ? " " : "", key);

    if (n < 0 || (size_t)n >= dstsize - used)
        goto toolong;
    used += (size_t)n;
    for (const unsigned char *p = (const unsigned char *)value; p && *p; p++) {
        if (used + 3 >= dstsize)
            goto toolong;
        if (*p == '"' || *p == '\\')
            dst[used++] = '\\';
        dst[used++] = (*p < 0x20 || *p == 0x7f) ? '?' : (char)*p;
    }
    if (used + 2 > dstsize)
        goto toolong;
    dst[used++] = '"';
    dst[used] = '\0';
    return true;
toolong:
    dst[start] = '\0';
    return false;
}
