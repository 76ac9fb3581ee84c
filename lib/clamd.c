/*
 * clamd.c: the INSTREAM client of clamd.h. Every wait is a poll() against a deadline taken from
 * the monotonic clock; the socket is non-blocking from its creation.
 */
#include "clamd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "errbuf.h"
#include "log.h"

#define FRAME_MAX (1u << 20) /* bytes per INSTREAM chunk; clamd accepts up to 2^32-1 */

struct si_clamd_session {
    int fd;
    int timeout_ms;
    bool done; /* res holds the session's outcome; nothing more is sent */
    struct si_clamd_result res;
    size_t rlen;
    char reply[SI_CLAMD_REPLY_MAX];
};

const char *si_clamd_error_word(enum si_clamd_error e)
{
    switch (e) {
    case SI_CLAMD_E_NONE: return "";
    case SI_CLAMD_E_DOWN: return "scanner-down";
    case SI_CLAMD_E_TIMEOUT: return "scanner-timeout";
    case SI_CLAMD_E_TOO_LONG: return "scanner-too-long";
    case SI_CLAMD_E_SCANNER: return "scanner-error";
    case SI_CLAMD_E_REPLY: return "scanner-bad-reply";
    }
    return "scanner-error";
}

/* ---- addresses ---- */

static bool loopback4(const struct in_addr *a)
{
    return (ntohl(a->s_addr) >> 24) == 127;
}

static int parse_port(const char *s, in_port_t *port)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > 65535 || s[0] == '+' || s[0] == '-')
        return -1;
    *port = htons((in_port_t)v);
    return 0;
}

static int parse_unix(const char *path, struct si_clamd_addr *out, char *err, size_t es)
{
    struct sockaddr_un *un = (struct sockaddr_un *)&out->sa;
    if (path[0] != '/')
        return si_fail(err, es, "clamd socket '%s': a Unix socket path must be absolute", path);
    if (strlen(path) >= sizeof(un->sun_path))
        return si_fail(err, es, "clamd socket path is longer than %zu bytes",
                       sizeof(un->sun_path) - 1);
    un->sun_family = AF_UNIX;
    memcpy(un->sun_path, path, strlen(path) + 1);
    out->family = AF_UNIX;
    out->salen = (socklen_t)sizeof(*un);
    snprintf(out->text, sizeof(out->text), "unix:%s", path);
    return 0;
}

static int parse_tcp(const char *spec, struct si_clamd_addr *out, char *err, size_t es)
{
    char host[INET6_ADDRSTRLEN + 2];
    const char *colon;
    size_t hlen;
    if (spec[0] == '[') {
        const char *close = strchr(spec, ']');
        if (!close || close[1] != ':')
            return si_fail(err, es, "clamd address '%s': expected [ADDRESS]:PORT", spec);
        hlen = (size_t)(close - spec - 1);
        colon = close + 1;
        spec++;
    } else {
        colon = strrchr(spec, ':');
        if (!colon)
            return si_fail(err, es, "clamd address '%s': expected ADDRESS:PORT or a socket path",
                           spec);
        hlen = (size_t)(colon - spec);
    }
    if (hlen == 0 || hlen >= sizeof(host))
        return si_fail(err, es, "clamd address: '%.*s' is not a numeric address", (int)hlen, spec);
    memcpy(host, spec, hlen);
    host[hlen] = '\0';
    in_port_t port;
    if (parse_port(colon + 1, &port) < 0)
        return si_fail(err, es, "clamd address: '%s' is not a port (1-65535)", colon + 1);
    struct sockaddr_in *in4 = (struct sockaddr_in *)&out->sa;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&out->sa;
    bool loop;
    if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        loop = loopback4(&in4->sin_addr);
        in4->sin_family = AF_INET;
        in4->sin_port = port;
        out->family = AF_INET;
        out->salen = (socklen_t)sizeof(*in4);
    } else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        loop = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = port;
        out->family = AF_INET6;
        out->salen = (socklen_t)sizeof(*in6);
    } else {
        return si_fail(err, es, "clamd address: '%s' is not a numeric IP address (names are "
                       "not resolved; use 127.0.0.1 or ::1)", host);
    }
    if (!loop)
        return si_fail(err, es, "clamd address %s is not a loopback address (127.0.0.0/8 or "
                       "::1): clamd is reached on this machine only", host);
    snprintf(out->text, sizeof(out->text), out->family == AF_INET6 ? "[%s]:%u" : "%s:%u", host,
             ntohs(port));
    return 0;
}

int si_clamd_addr_parse(const char *spec, struct si_clamd_addr *out, char *err, size_t errsize)
{
    memset(out, 0, sizeof(*out));
    if (!spec || !*spec)
        return si_fail(err, errsize, "clamd socket: empty");
    if (strncmp(spec, "unix:", 5) == 0)
        return parse_unix(spec + 5, out, err, errsize);
    if (spec[0] == '/')
        return parse_unix(spec, out, err, errsize);
    if (strncmp(spec, "tcp:", 4) == 0)
        spec += 4;
    return parse_tcp(spec, out, err, errsize);
}

/* ---- results ---- */

static void set_result(struct si_clamd_result *res, enum si_clamd_verdict v, enum si_clamd_error e,
                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void set_result(struct si_clamd_result *res, enum si_clamd_verdict v, enum si_clamd_error e,
                       const char *fmt, ...)
{
    res->verdict = v;
    res->error = e;
    res->signature[0] = '\0';
    res->message[0] = '\0';
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(res->message, sizeof(res->message), fmt, ap);
        va_end(ap);
    }
}

static void fail(struct si_clamd_session *s, enum si_clamd_error e, const char *what)
{
    if (s->done)
        return;
    s->done = true;
    set_result(&s->res, SI_CLAMD_ERROR, e, "%s", what);
}

/* ---- time and waiting ---- */

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* poll() for events until deadline: revents, 0 on timeout, -1 on a poll error. */
static int wait_fd(int fd, short events, long long deadline)
{
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0)
            return 0;
        struct pollfd p = {.fd = fd, .events = events};
        int n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
        if (n > 0)
            return p.revents ? p.revents : events;
        if (n < 0 && errno != EINTR)
            return -1;
    }
}

/* ---- replies ---- */

/* Drops a trailing "(HEX:DIGITS)" that clamd's ExtendedDetectionInfo adds to a name. */
static void strip_extended(char *name)
{
    size_t n = strlen(name);
    if (n < 5 || name[n - 1] != ')')
        return;
    char *open = strrchr(name, '(');
    if (!open || open == name)
        return;
    char *colon = strchr(open, ':');
    if (!colon || colon == open + 1 || colon + 1 == name + n - 1)
        return;
    if (strspn(open + 1, "0123456789abcdefABCDEF") != (size_t)(colon - open - 1) ||
        strspn(colon + 1, "0123456789") != (size_t)(name + n - 1 - colon - 1))
        return;
    *open = '\0';
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* Fills res from one complete reply (terminator removed). */
static void parse_reply(const char *r, struct si_clamd_result *res)
{
    size_t n = strlen(r);
    char safe[160];
    si_log_sanitize(safe, sizeof(safe), r);
    if (strcmp(r, "stream: OK") == 0) {
        set_result(res, SI_CLAMD_CLEAN, SI_CLAMD_E_NONE, NULL);
    } else if (strncmp(r, "stream: ", 8) == 0 && ends_with(r, n, " FOUND") && n > 8 + 6) {
        char name[sizeof(res->signature)];
        size_t len = n - 8 - 6;
        if (len >= sizeof(name) || memchr(r + 8, ' ', len)) {
            set_result(res, SI_CLAMD_ERROR, SI_CLAMD_E_REPLY,
                       "clamd's reply names no usable signature: \"%s\"", safe);
            return;
        }
        memcpy(name, r + 8, len);
        name[len] = '\0';
        strip_extended(name);
        set_result(res, SI_CLAMD_INFECTED, SI_CLAMD_E_NONE, NULL);
        si_log_sanitize(res->signature, sizeof(res->signature), name);
    } else if (strcmp(r, "INSTREAM size limit exceeded. ERROR") == 0) {
        set_result(res, SI_CLAMD_ERROR, SI_CLAMD_E_TOO_LONG,
                   "clamd refused the stream: longer than its StreamMaxLength "
                   "(INSTREAM size limit exceeded)");
    } else if (ends_with(r, n, " ERROR")) {
        set_result(res, SI_CLAMD_ERROR, SI_CLAMD_E_SCANNER, "clamd reported an error: \"%s\"",
                   safe);
    } else {
        set_result(res, SI_CLAMD_ERROR, SI_CLAMD_E_REPLY, "clamd's reply is not one of INSTREAM's: "
                   "\"%s\"", safe);
    }
}

/*
 * Reads until a terminator (NUL, or a newline), EOF, a full buffer or the deadline, and fills
 * s->res. Called once something is due from clamd.
 */
static void read_reply(struct si_clamd_session *s, long long deadline)
{
    for (;;) {
        char *end = memchr(s->reply, '\0', s->rlen);
        if (!end)
            end = memchr(s->reply, '\n', s->rlen);
        if (end) {
            *end = '\0';
            s->done = true;
            parse_reply(s->reply, &s->res);
            return;
        }
        if (s->rlen == sizeof(s->reply))
            return fail(s, SI_CLAMD_E_REPLY, "clamd's reply is longer than the longest one "
                        "accepted, without a terminator");
        ssize_t n = recv(s->fd, s->reply + s->rlen, sizeof(s->reply) - s->rlen, 0);
        if (n > 0) {
            s->rlen += (size_t)n;
            continue;
        }
        if (n == 0)
            return fail(s, s->rlen ? SI_CLAMD_E_REPLY : SI_CLAMD_E_DOWN,
                        s->rlen ? "clamd closed the connection in the middle of its reply"
                                : "clamd closed the connection without a reply");
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return fail(s, SI_CLAMD_E_DOWN, "the connection to clamd was lost before its reply");
        int ev = wait_fd(s->fd, POLLIN, deadline);
        if (ev == 0)
            return fail(s, SI_CLAMD_E_TIMEOUT, "clamd did not reply in time");
        if (ev < 0)
            return fail(s, SI_CLAMD_E_DOWN, "waiting for clamd's reply failed");
    }
}

/* ---- sending ---- */

/* An early reply while sending is an error by itself (clamd answers only after the stream). */
static void early_reply(struct si_clamd_session *s, long long deadline)
{
    read_reply(s, deadline);
    if (s->res.verdict != SI_CLAMD_ERROR)
        set_result(&s->res, SI_CLAMD_ERROR, SI_CLAMD_E_REPLY,
                   "clamd replied before the end of the stream");
}

/* Whether clamd has already said something (or closed): looked at before each send, so that an
 * early reply (the size limit, or anything at all) is never taken for the verdict. */
static bool reply_pending(struct si_clamd_session *s, long long deadline)
{
    struct pollfd p = {.fd = s->fd, .events = POLLIN};
    if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLIN | POLLHUP | POLLERR)))
        return false;
    early_reply(s, deadline);
    return true;
}

/* Sends the iovecs whole before deadline. 0, or -1 with s->res filled. */
static int send_all(struct si_clamd_session *s, struct iovec *iov, int cnt, long long deadline)
{
    while (cnt > 0) {
        struct msghdr m = {.msg_iov = iov, .msg_iovlen = (size_t)cnt};
        ssize_t n = sendmsg(s->fd, &m, MSG_NOSIGNAL);
        if (n >= 0) {
            size_t left = (size_t)n;
            while (cnt > 0 && left >= iov->iov_len) {
                left -= iov->iov_len;
                iov++;
                cnt--;
            }
            if (cnt > 0) {
                iov->iov_base = (char *)iov->iov_base + left;
                iov->iov_len -= left;
            }
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno == EPIPE || errno == ECONNRESET) {
            /* clamd may have said why before it closed (size limit): take that reply */
            read_reply(s, now_ms() + 200);
            if (s->res.error == SI_CLAMD_E_DOWN || s->res.error == SI_CLAMD_E_TIMEOUT)
                set_result(&s->res, SI_CLAMD_ERROR, SI_CLAMD_E_DOWN,
                           "clamd closed the connection in the middle of the stream");
            s->done = true;
            return -1;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            fail(s, SI_CLAMD_E_DOWN, "sending to clamd failed");
            return -1;
        }
        int ev = wait_fd(s->fd, POLLOUT | POLLIN, deadline);
        if (ev == 0) {
            fail(s, SI_CLAMD_E_TIMEOUT, "clamd did not take the stream in time");
            return -1;
        }
        if (ev < 0) {
            fail(s, SI_CLAMD_E_DOWN, "waiting to send to clamd failed");
            return -1;
        }
        if (ev & POLLIN) {
            early_reply(s, deadline);
            return -1;
        }
    }
    return 0;
}

/* ---- sessions ---- */

static int connect_by(struct si_clamd_session *s, const struct si_clamd_addr *a, long long deadline)
{
    s->fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->fd < 0) {
        fail(s, SI_CLAMD_E_DOWN, "cannot create a socket for clamd");
        return -1;
    }
    if (connect(s->fd, (const struct sockaddr *)&a->sa, a->salen) == 0)
        return 0;
    int e = errno;
    if (e == EINPROGRESS || e == EINTR) {
        int ev = wait_fd(s->fd, POLLOUT, deadline);
        if (ev == 0) {
            fail(s, SI_CLAMD_E_TIMEOUT, "connecting to clamd timed out");
            return -1;
        }
        socklen_t len = sizeof(e);
        if (ev < 0 || getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
            e = errno;
        if (e == 0)
            return 0;
    }
    char buf[128];
    set_result(&s->res, SI_CLAMD_ERROR, SI_CLAMD_E_DOWN, "cannot connect to clamd at %s: %s",
               a->text, e == EAGAIN ? "its listen queue is full" : strerror_r(e, buf, sizeof(buf)));
    s->done = true;
    return -1;
}

struct si_clamd_session *si_clamd_open(const struct si_clamd_addr *addr, int timeout_ms,
                                       struct si_clamd_result *res)
{
    struct si_clamd_session *s = calloc(1, sizeof(*s));
    if (!s) {
        set_result(res, SI_CLAMD_ERROR, SI_CLAMD_E_DOWN, "out of memory for a clamd session");
        return NULL;
    }
    s->fd = -1;
    s->timeout_ms = timeout_ms > 0 ? timeout_ms : 1;
    long long deadline = now_ms() + s->timeout_ms;
    static const char cmd[] = "zINSTREAM"; /* sent with its NUL */
    struct iovec iov = {.iov_base = (void *)cmd, .iov_len = sizeof(cmd)};
    if (connect_by(s, addr, deadline) < 0 || send_all(s, &iov, 1, deadline) < 0) {
        *res = s->res;
        si_clamd_close(s);
        return NULL;
    }
    return s;
}

int si_clamd_feed(struct si_clamd_session *s, const void *data, size_t len)
{
    if (s->done)
        return -1;
    long long deadline = now_ms() + s->timeout_ms;
    const char *p = data;
    if (len > 0 && reply_pending(s, deadline))
        return -1;
    while (len > 0) {
        uint32_t frame = len > FRAME_MAX ? FRAME_MAX : (uint32_t)len;
        uint32_t be = htonl(frame);
        struct iovec iov[2] = {{.iov_base = &be, .iov_len = 4},
                               {.iov_base = (void *)p, .iov_len = frame}};
        if (send_all(s, iov, 2, deadline) < 0)
            return -1;
        p += frame;
        len -= frame;
    }
    return 0;
}

void si_clamd_finish(struct si_clamd_session *s, struct si_clamd_result *res)
{
    if (!s->done) {
        long long deadline = now_ms() + s->timeout_ms;
        uint32_t zero = 0;
        struct iovec iov = {.iov_base = &zero, .iov_len = 4};
        if (!reply_pending(s, deadline) && send_all(s, &iov, 1, deadline) == 0)
            read_reply(s, deadline);
    }
    s->done = true;
    *res = s->res;
}

void si_clamd_close(struct si_clamd_session *s)
{
    if (!s)
        return;
    if (s->fd >= 0)
        close(s->fd);
    free(s);
}

void si_clamd_scan(const struct si_clamd_addr *addr, int timeout_ms, const void *data,
                   size_t len, struct si_clamd_result *res)
{
    struct si_clamd_session *s = si_clamd_open(addr, timeout_ms, res);
    if (!s)
        return;
    si_clamd_feed(s, data, len);
    si_clamd_finish(s, res);
    si_clamd_close(s);
}
