/* helper_io.c: Squid SslBump helper framing (see helper_io.h). */
#include "helper_io.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HEADER_MAX 96          /* "ID code len " is far shorter; longer means garbage */
#define READ_CHUNK (64 * 1024)

struct si_helper_reader {
    int fd;
    size_t max_body;
    char *buf;
    size_t start; /* first unconsumed byte */
    size_t end;   /* one past the last byte read */
    size_t cap;
    bool eof;
    size_t skip; /* bytes of an oversized request still to discard */
};

static pthread_mutex_t reply_lock = PTHREAD_MUTEX_INITIALIZER;

struct si_helper_reader *si_helper_reader_new(int fd, size_t max_body)
{
    struct si_helper_reader *r = calloc(1, sizeof(*r));

    if (!r)
        return NULL;
    r->fd = fd;
    r->max_body = max_body;
    r->cap = READ_CHUNK;
    r->buf = malloc(r->cap);
    if (!r->buf) {
        free(r);
        return NULL;
    }
    return r;
}

void si_helper_reader_free(struct si_helper_reader *reader)
{
    if (!reader)
        return;
    free(reader->buf);
    free(reader);
}

void si_helper_request_clear(struct si_helper_request *req)
{
    free(req->body);
    memset(req, 0, sizeof(*req));
}

static size_t available(const struct si_helper_reader *r)
{
    assert(r->start <= r->end && r->end <= r->cap);
    return r->end - r->start;
}

/* Reads more input so that at least `want` bytes are buffered. Returns false at EOF or error. */
static bool fill(struct si_helper_reader *r, size_t want)
{
    while (available(r) < want && !r->eof) {
        ssize_t n;

        if (r->start > 0 && (r->cap - r->end < READ_CHUNK || r->start == r->end)) {
            memmove(r->buf, r->buf + r->start, available(r));
            r->end -= r->start;
            r->start = 0;
        }
        if (r->cap - r->end < READ_CHUNK || r->cap < want) {
            size_t newcap = r->cap * 2 > want + READ_CHUNK ? r->cap * 2 : want + READ_CHUNK;
            char *nb = realloc(r->buf, newcap);

            if (!nb)
                return false;
            r->buf = nb;
            r->cap = newcap;
        }
        n = read(r->fd, r->buf + r->end, r->cap - r->end);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            r->eof = true;
            break;
        }
        r->end += (size_t)n;
    }
    return available(r) >= want;
}

/* Discards buffered and unread input of an oversized request. False at EOF. */
static bool drain_skip(struct si_helper_reader *r)
{
    while (r->skip > 0) {
        size_t n;

        if (available(r) == 0 && !fill(r, 1))
            return false;
        n = available(r) < r->skip ? available(r) : r->skip;
        r->start += n;
        r->skip -= n;
    }
    return true;
}

/* Drops everything up to and including the next LF, to resynchronise after garbage. */
static void discard_line(struct si_helper_reader *r)
{
    for (;;) {
        char *lf = memchr(r->buf + r->start, '\n', available(r));

        if (lf) {
            r->start = (size_t)(lf - r->buf) + 1;
            return;
        }
        r->start = r->end;
        if (!fill(r, 1))
            return;
    }
}

bool si_all_digits(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    return true;
}

/* Splits the header "[ID ]code len" at the reader's position. On success *hdr_len is the number of
 * bytes up to (not including) the separator after len, and *body_len the announced length. */
static bool parse_header(struct si_helper_reader *r, struct si_helper_request *req,
                         size_t *hdr_len, size_t *body_len, char *err, size_t errsize)
{
    const char *p = r->buf + r->start;
    size_t avail = available(r) < HEADER_MAX ? available(r) : HEADER_MAX;
    const char *tok[3];
    size_t toklen[3];
    size_t ntok = 0, i = 0, first = 0;

    while (ntok < 3 && i < avail) {
        size_t s = i;

        while (i < avail && p[i] != ' ' && p[i] != '\n')
            i++;
        tok[ntok] = p + s;
        toklen[ntok] = i - s;
        ntok++;
        if (i >= avail || p[i] == '\n')
            break;
        if (ntok == 1 && !si_all_digits(tok[0], toklen[0]))
            break; /* no ID: the first token is the code; the second is len */
        if (ntok < 3)
            i++;
    }
    if (ntok > 0 && si_all_digits(tok[0], toklen[0]) && toklen[0] <= SI_HELPER_ID_MAX) {
        req->has_id = true;
        memcpy(req->id, tok[0], toklen[0]);
        req->id[toklen[0]] = '\0';
        first = 1;
    }
    if (ntok == 1 && !req->has_id && i < avail && p[i] == ' ') {
        /* code without ID: read its len token */
        size_t s = ++i;

        while (i < avail && p[i] != ' ' && p[i] != '\n')
            i++;
        tok[1] = p + s;
        toklen[1] = i - s;
        ntok = 2;
    }
    if (ntok < first + 2) {
        snprintf(err, errsize, "malformed request header (expected \"[ID ]code len body\")");
        return false;
    }
    if (toklen[first] == 0 || toklen[first] > SI_HELPER_CODE_MAX) {
        snprintf(err, errsize, "malformed request: bad request code");
        return false;
    }
    memcpy(req->code, tok[first], toklen[first]);
    req->code[toklen[first]] = '\0';
    if (!si_all_digits(tok[first + 1], toklen[first + 1]) || toklen[first + 1] > 10) {
        snprintf(err, errsize, "malformed request: length is not a decimal number");
        return false;
    }
    *body_len = strtoull(tok[first + 1], NULL, 10);
    *hdr_len = (size_t)(tok[first + 1] + toklen[first + 1] - p);
    return true;
}

enum si_read_status si_helper_read(struct si_helper_reader *r, struct si_helper_request *req,
                                   char *err, size_t errsize)
{
    size_t hdr_len = 0, body_len = 0, need;

    memset(req, 0, sizeof(*req));
    err[0] = '\0';
    if (!drain_skip(r))
        return SI_READ_EOF;
    /* Tolerate blank lines between requests. */
    while (fill(r, 1) && r->buf[r->start] == '\n')
        r->start++;
    if (available(r) == 0)
        return SI_READ_EOF;
    while (!memchr(r->buf + r->start, '\n', available(r)) && available(r) < HEADER_MAX && !r->eof)
        fill(r, available(r) + 1);
    if (!parse_header(r, req, &hdr_len, &body_len, err, errsize)) {
        discard_line(r);
        return SI_READ_BAD;
    }
    r->start += hdr_len;
    /* One SP separates len from the body; a zero-length body may end the line at once. */
    if (!fill(r, 1)) {
        snprintf(err, errsize, "truncated request: input ended after the header");
        return SI_READ_BAD;
    }
    if (r->buf[r->start] == ' ')
        r->start++;
    else if (!(r->buf[r->start] == '\n' && body_len == 0)) {
        snprintf(err, errsize, "malformed request: no space after the length");
        discard_line(r);
        return SI_READ_BAD;
    }
    if (body_len > r->max_body) {
        snprintf(err, errsize, "request body of %zu bytes exceeds the %zu-byte limit", body_len,
                 r->max_body);
        r->skip = body_len;
        drain_skip(r);
        if (fill(r, 1) && r->buf[r->start] == '\n')
            r->start++;
        return SI_READ_BAD;
    }
    need = body_len;
    if (!fill(r, need)) {
        snprintf(err, errsize, "truncated request: %zu of %zu body bytes before end of input",
                 available(r), body_len);
        r->start = r->end;
        return SI_READ_BAD;
    }
    if (memchr(r->buf + r->start, '\0', body_len)) {
        snprintf(err, errsize, "malformed request: NUL byte in body");
        r->start += body_len;
        if (fill(r, 1) && r->buf[r->start] == '\n')
            r->start++;
        return SI_READ_BAD;
    }
    req->body = malloc(body_len + 1);
    if (!req->body) {
        snprintf(err, errsize, "out of memory for a %zu-byte request", body_len);
        r->start += body_len;
        return SI_READ_BAD;
    }
    memcpy(req->body, r->buf + r->start, body_len);
    req->body[body_len] = '\0';
    req->body_len = body_len;
    r->start += body_len;
    if (fill(r, 1) && r->buf[r->start] == '\n')
        r->start++;
    return SI_READ_OK;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static int send_locked(int fd, const char *head, size_t headlen, const char *body, size_t len)
{
    static const char eom = '\x01';
    int rc;

    pthread_mutex_lock(&reply_lock);
    rc = write_all(fd, head, headlen);
    if (rc == 0 && len > 0)
        rc = write_all(fd, body, len);
    if (rc == 0)
        rc = write_all(fd, &eom, 1);
    pthread_mutex_unlock(&reply_lock);
    return rc;
}

int si_helper_reply(int fd, const struct si_helper_request *req, const char *result,
                    const char *body, size_t len)
{
    char head[SI_HELPER_ID_MAX + 64];
    int n;

    if (len > 0 && memchr(body, '\x01', len)) {
        errno = EINVAL;
        return -1;
    }
    n = snprintf(head, sizeof(head), "%s%s%s %zu ", req && req->has_id ? req->id : "",
                 req && req->has_id ? " " : "", result, len);
    if (n < 0 || (size_t)n >= sizeof(head)) {
        errno = EINVAL;
        return -1;
    }
    return send_locked(fd, head, (size_t)n, body, len);
}

int si_helper_reply_bh(int fd, const struct si_helper_request *req, const char *fmt, ...)
{
    char msg[512];
    char head[SI_HELPER_ID_MAX + sizeof(msg) + 32];
    va_list ap;
    int n;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    for (char *c = msg; *c; c++) {
        if (*c == '"')
            *c = '\'';
        else if ((unsigned char)*c < 0x20)
            *c = ' ';
    }
    n = snprintf(head, sizeof(head), "%s%sBH message=\"%s\"", req && req->has_id ? req->id : "",
                 req && req->has_id ? " " : "", msg);
    if (n < 0)
        return -1;
    if ((size_t)n >= sizeof(head))
        n = (int)sizeof(head) - 1;
    return send_locked(fd, head, (size_t)n, NULL, 0);
}
