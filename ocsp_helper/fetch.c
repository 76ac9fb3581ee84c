/* fetch.c: HTTP exchange with a hard deadline including DNS (see fetch.h). */
#include "fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/http.h>

int64_t oc_fetch_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- DNS on a detached thread, waited for until the deadline ---- */

struct dns_job {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    unsigned refs; /* the resolver thread and the waiter */
    bool done;
    int rc;
    struct addrinfo *res;
    char host[256];
    char port[8];
};

static void dns_job_unref(struct dns_job *job)
{
    bool last;

    pthread_mutex_lock(&job->lock);
    last = --job->refs == 0;
    pthread_mutex_unlock(&job->lock);
    if (!last)
        return;
    if (job->res)
        freeaddrinfo(job->res);
    pthread_cond_destroy(&job->cond);
    pthread_mutex_destroy(&job->lock);
    free(job);
}

static void *dns_thread(void *arg)
{
    struct dns_job *job = arg;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(job->host, job->port, &hints, &res);

    pthread_mutex_lock(&job->lock);
    job->rc = rc;
    job->res = res;
    job->done = true;
    pthread_cond_signal(&job->cond);
    pthread_mutex_unlock(&job->lock);
    dns_job_unref(job);
    return NULL;
}

static struct dns_job *dns_job_new(const char *host, const char *port)
{
    struct dns_job *job = calloc(1, sizeof(*job));
    pthread_condattr_t ca;

    if (!job)
        return NULL;
    pthread_mutex_init(&job->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&job->cond, &ca);
    pthread_condattr_destroy(&ca);
    job->refs = 2;
    snprintf(job->host, sizeof(job->host), "%s", host);
    snprintf(job->port, sizeof(job->port), "%s", port);
    return job;
}

/* Waits for the resolver until the deadline; takes its result. Drops the waiter's reference. */
static enum oc_fetch_status dns_wait(struct dns_job *job, int64_t deadline_ms, struct addrinfo **out,
                                  char *err, size_t errsize)
{
    struct timespec ts = {.tv_sec = deadline_ms / 1000, .tv_nsec = (deadline_ms % 1000) * 1000000};
    enum oc_fetch_status st = FETCH_OK;

    pthread_mutex_lock(&job->lock);
    while (!job->done) {
        if (pthread_cond_timedwait(&job->cond, &job->lock, &ts) == ETIMEDOUT && !job->done) {
            snprintf(err, errsize, "DNS lookup of %s timed out", job->host);
            st = FETCH_TIMEOUT;
            break;
        }
    }
    if (st == FETCH_OK && job->rc != 0) {
        snprintf(err, errsize, "DNS lookup of %s failed: %s", job->host, gai_strerror(job->rc));
        st = FETCH_NETWORK;
    } else if (st == FETCH_OK) {
        *out = job->res;
        job->res = NULL;
    }
    pthread_mutex_unlock(&job->lock);
    dns_job_unref(job);
    return st;
}

static enum oc_fetch_status resolve(const char *host, const char *port, int64_t deadline_ms,
                                 struct addrinfo **out, char *err, size_t errsize)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST};
    struct dns_job *job;
    pthread_attr_t attr;
    pthread_t tid;

    if (getaddrinfo(host, port, &hints, out) == 0)
        return FETCH_OK;
    if (!(job = dns_job_new(host, port))) {
        snprintf(err, errsize, "out of memory");
        return FETCH_NETWORK;
    }
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    if (pthread_create(&tid, &attr, dns_thread, job) != 0) {
        pthread_attr_destroy(&attr);
        job->refs = 1;
        dns_job_unref(job);
        snprintf(err, errsize, "cannot start the DNS thread");
        return FETCH_NETWORK;
    }
    pthread_attr_destroy(&attr);
    return dns_wait(job, deadline_ms, out, err, errsize);
}

/* ---- non-blocking connect ---- */

static int remaining(int64_t deadline_ms)
{
    int64_t left = deadline_ms - oc_fetch_now_ms();

    return left <= 0 ? 0 : left > 600000 ? 600000 : (int)left;
}

/* Polls fd for events until the deadline: 1 ready, 0 timeout, -1 error. */
static int wait_fd(int fd, short events, int64_t deadline_ms)
{
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = events};
        int left = remaining(deadline_ms);
        int n;

        if (left == 0)
            return 0;
        n = poll(&pfd, 1, left);
        if (n < 0 && errno == EINTR)
            continue;
        return n < 0 ? -1 : n;
    }
}

static enum oc_fetch_status connect_one(const struct addrinfo *ai, int64_t deadline_ms, int *fdp,
                                     char *err, size_t errsize)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    int soerr = 0, w;
    socklen_t sl = sizeof(soerr);

    if (fd < 0) {
        snprintf(err, errsize, "socket: %s", strerror(errno));
        return FETCH_NETWORK;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
        goto ok;
    if (errno != EINPROGRESS) {
        snprintf(err, errsize, "connect: %s", strerror(errno));
        close(fd);
        return FETCH_NETWORK;
    }
    w = wait_fd(fd, POLLOUT, deadline_ms);
    if (w <= 0) {
        snprintf(err, errsize, "connect %s", w == 0 ? "timed out" : strerror(errno));
        close(fd);
        return w == 0 ? FETCH_TIMEOUT : FETCH_NETWORK;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr != 0) {
        snprintf(err, errsize, "connect: %s", strerror(soerr ? soerr : errno));
        close(fd);
        return FETCH_NETWORK;
    }
ok:
    *fdp = fd;
    return FETCH_OK;
}

static enum oc_fetch_status connect_any(const struct addrinfo *res, int64_t deadline_ms, int *fdp,
                                     char *err, size_t errsize)
{
    enum oc_fetch_status st = FETCH_NETWORK;

    snprintf(err, errsize, "no address to connect to");
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        st = connect_one(ai, deadline_ms, fdp, err, errsize);
        if (st == FETCH_OK || st == FETCH_TIMEOUT)
            break;
    }
    return st;
}

/* ---- the exchange ---- */

static void openssl_reason(char *err, size_t errsize, const char *what)
{
    unsigned long e = ERR_peek_last_error();
    char buf[200];

    ERR_error_string_n(e, buf, sizeof(buf));
    snprintf(err, errsize, "%s: %s", what, e ? buf : "unknown error");
    ERR_clear_error();
}

/* The Host header's value: [v6] brackets, the port unless it is 80. */
static void host_header(const char *host, const char *port, char *out, size_t size)
{
    bool v6 = strchr(host, ':') != NULL;

    snprintf(out, size, "%s%s%s%s%s", v6 ? "[" : "", host, v6 ? "]" : "",
             strcmp(port, "80") ? ":" : "", strcmp(port, "80") ? port : "");
}

static OSSL_HTTP_REQ_CTX *make_request(BIO *bio, const char *host, const char *port,
                                       const char *path, const ASN1_ITEM *req_item,
                                       const ASN1_VALUE *req, const char *req_ctype,
                                       const char *expect_ctype, size_t max_bytes)
{
    OSSL_HTTP_REQ_CTX *r = OSSL_HTTP_REQ_CTX_new(bio, bio, 0);
    char hosthdr[300];

    if (!r)
        return NULL;
    host_header(host, port, hosthdr, sizeof(hosthdr));
    if (!OSSL_HTTP_REQ_CTX_set_request_line(r, req != NULL, NULL, NULL, path) ||
        !OSSL_HTTP_REQ_CTX_add1_header(r, "Host", hosthdr) ||
        !OSSL_HTTP_REQ_CTX_set_expected(r, expect_ctype, 1, 0, 0) ||
        (req && !OSSL_HTTP_REQ_CTX_set1_req(r, req_ctype, req_item, req))) {
        OSSL_HTTP_REQ_CTX_free(r);
        return NULL;
    }
    OSSL_HTTP_REQ_CTX_set_max_response_length(r, max_bytes);
    return r;
}

static enum oc_fetch_status exchange(int fd, const char *host, const char *port, const char *path,
                                  const ASN1_ITEM *req_item, const ASN1_VALUE *req,
                                  const char *req_ctype, const char *expect_ctype,
                                  const ASN1_ITEM *rsp_item, size_t max_bytes,
                                  int64_t deadline_ms, ASN1_VALUE **out, char *err, size_t errsize)
{
    BIO *bio = BIO_new_socket(fd, BIO_NOCLOSE);
    OSSL_HTTP_REQ_CTX *r = bio ? make_request(bio, host, port, path, req_item, req, req_ctype,
                                              expect_ctype, max_bytes)
                               : NULL;
    enum oc_fetch_status st = FETCH_PROTOCOL;

    if (!r) {
        openssl_reason(err, errsize, "cannot build the HTTP request");
        goto out;
    }
    for (;;) {
        int rv = OSSL_HTTP_REQ_CTX_nbio_d2i(r, out, rsp_item);
        int w;

        if (rv == 1) {
            st = FETCH_OK;
            break;
        }
        if (rv != -1) {
            openssl_reason(err, errsize, "HTTP exchange failed");
            break;
        }
        w = wait_fd(fd, BIO_should_write(bio) ? POLLOUT : POLLIN, deadline_ms);
        if (w <= 0) {
            snprintf(err, errsize, "HTTP exchange %s", w == 0 ? "timed out" : strerror(errno));
            st = w == 0 ? FETCH_TIMEOUT : FETCH_NETWORK;
            break;
        }
    }
out:
    OSSL_HTTP_REQ_CTX_free(r);
    BIO_free(bio);
    ERR_clear_error();
    return st;
}

struct url_parts {
    char *host, *port, *path, *query;
    int ssl;
};

static void url_parts_free(struct url_parts *u)
{
    OPENSSL_free(u->host);
    OPENSSL_free(u->port);
    OPENSSL_free(u->path);
    OPENSSL_free(u->query);
}

static int parse_url(const char *url, struct url_parts *u)
{
    memset(u, 0, sizeof(*u));
    if (strncmp(url, "http://", 7) != 0 ||
        !OSSL_HTTP_parse_url(url, &u->ssl, NULL, &u->host, &u->port, NULL, &u->path, &u->query,
                             NULL) ||
        u->ssl) {
        ERR_clear_error();
        url_parts_free(u);
        return -1;
    }
    if (u->host[0] == '[') { /* IPv6 literal: getaddrinfo wants it without brackets */
        size_t n = strlen(u->host);

        if (n < 3 || u->host[n - 1] != ']') {
            url_parts_free(u);
            return -1;
        }
        memmove(u->host, u->host + 1, n - 2);
        u->host[n - 2] = '\0';
    }
    return 0;
}

int oc_fetch_url_hostport(const char *url, char *hostport, size_t size)
{
    struct url_parts u;

    if (parse_url(url, &u) < 0)
        return -1;
    snprintf(hostport, size, "%s:%s", u.host, u.port);
    url_parts_free(&u);
    return 0;
}

/* Parses url, resolves its host and connects, all before deadline_ms; fills u and *fdp. */
static enum oc_fetch_status open_url(const char *url, int64_t deadline_ms, struct url_parts *u,
                                  int *fdp, char *err, size_t errsize)
{
    struct addrinfo *res = NULL;
    enum oc_fetch_status st;

    *fdp = -1;
    if (parse_url(url, u) < 0) {
        snprintf(err, errsize, "not a usable http:// URL");
        return FETCH_BADURL;
    }
    st = resolve(u->host, u->port, deadline_ms, &res, err, errsize);
    if (st == FETCH_OK)
        st = connect_any(res, deadline_ms, fdp, err, errsize);
    if (res)
        freeaddrinfo(res);
    if (st != FETCH_OK)
        url_parts_free(u);
    return st;
}

static void url_path(const struct url_parts *u, char *path, size_t size)
{
    snprintf(path, size, "%s%s%s", u->path, u->query && *u->query ? "?" : "",
             u->query ? u->query : "");
}

enum oc_fetch_status oc_fetch_asn1(const char *url, const ASN1_ITEM *req_item, const ASN1_VALUE *req,
                             const char *req_ctype, const char *expect_ctype,
                             const ASN1_ITEM *rsp_item, size_t max_bytes, int64_t deadline_ms,
                             ASN1_VALUE **out, char *err, size_t errsize)
{
    struct url_parts u;
    enum oc_fetch_status st;
    char path[2048];
    int fd;

    *out = NULL;
    if ((st = open_url(url, deadline_ms, &u, &fd, err, errsize)) != FETCH_OK)
        return st;
    url_path(&u, path, sizeof(path));
    st = exchange(fd, u.host, u.port, path, req_item, req, req_ctype, expect_ctype, rsp_item,
                  max_bytes, deadline_ms, out, err, errsize);
    close(fd);
    url_parts_free(&u);
    return st;
}

/* ---- a plain GET whose body is kept as bytes (AIA caIssuers: DER or PEM) ---- */

static int send_all(int fd, const char *buf, size_t len, int64_t deadline_ms)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

        if (n > 0) {
            buf += n;
            len -= (size_t)n;
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            return -1;
        } else if (n < 0 && errno == EAGAIN && wait_fd(fd, POLLOUT, deadline_ms) <= 0) {
            return -1;
        }
    }
    return 0;
}

/* Reads until the server closes (HTTP/1.0) into *buf; fails past cap bytes or the deadline. */
static enum oc_fetch_status recv_all(int fd, size_t cap, int64_t deadline_ms, char **buf,
                                  size_t *len, char *err, size_t errsize)
{
    char *b = malloc(cap + 1);
    size_t got = 0;

    if (!b) {
        snprintf(err, errsize, "out of memory");
        return FETCH_NETWORK;
    }
    for (;;) {
        ssize_t n = recv(fd, b + got, cap + 1 - got, 0);
        int w;

        if (n > 0 && (got += (size_t)n) > cap) {
            snprintf(err, errsize, "response larger than %zu bytes", cap);
            free(b);
            return FETCH_PROTOCOL;
        }
        if (n == 0)
            break;
        if (n > 0 || errno == EINTR)
            continue;
        w = errno == EAGAIN ? wait_fd(fd, POLLIN, deadline_ms) : -1;
        if (w <= 0) {
            snprintf(err, errsize, "HTTP exchange %s", w == 0 ? "timed out" : strerror(errno));
            free(b);
            return w == 0 ? FETCH_TIMEOUT : FETCH_NETWORK;
        }
    }
    b[got] = '\0';
    *buf = b;
    *len = got;
    return FETCH_OK;
}

/* Checks the status line of an HTTP response and finds its body. */
static enum oc_fetch_status http_body(const char *resp, size_t len, size_t *body_off, char *err,
                                   size_t errsize)
{
    const char *end = memmem(resp, len, "\r\n\r\n", 4);
    int status = 0;

    if (!end || sscanf(resp, "HTTP/1.%*1[01] %3d", &status) != 1) {
        snprintf(err, errsize, "not an HTTP response");
        return FETCH_PROTOCOL;
    }
    if (status != 200) {
        snprintf(err, errsize, "HTTP status %d", status);
        return FETCH_PROTOCOL;
    }
    *body_off = (size_t)(end + 4 - resp);
    return FETCH_OK;
}

enum oc_fetch_status oc_fetch_bytes(const char *url, size_t max_bytes, int64_t deadline_ms,
                              unsigned char **body, size_t *len, char *err, size_t errsize)
{
    struct url_parts u;
    enum oc_fetch_status st;
    char req[2600], *resp = NULL;
    size_t n = 0, off = 0;
    int fd;

    *body = NULL;
    *len = 0;
    if ((st = open_url(url, deadline_ms, &u, &fd, err, errsize)) != FETCH_OK)
        return st;
    {
        char path[2048], host[300];

        url_path(&u, path, sizeof(path));
        host_header(u.host, u.port, host, sizeof(host));
        snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\nAccept: */*\r\n\r\n", path, host);
    }
    if (send_all(fd, req, strlen(req), deadline_ms) < 0) {
        snprintf(err, errsize, "HTTP exchange %s",
                 remaining(deadline_ms) ? strerror(errno) : "timed out");
        st = remaining(deadline_ms) ? FETCH_NETWORK : FETCH_TIMEOUT;
    } else if ((st = recv_all(fd, max_bytes + 8192, deadline_ms, &resp, &n, err, errsize)) ==
                   FETCH_OK &&
               (st = http_body(resp, n, &off, err, errsize)) == FETCH_OK) {
        memmove(resp, resp + off, n - off);
        *body = (unsigned char *)resp;
        *len = n - off;
        resp = NULL;
    }
    free(resp);
    close(fd);
    url_parts_free(&u);
    return st;
}
