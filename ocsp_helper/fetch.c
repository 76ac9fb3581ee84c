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

int64_t fetch_now_ms(void)
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
static enum fetch_status dns_wait(struct dns_job *job, int64_t deadline_ms, struct addrinfo **out,
                                  char *err, size_t errsize)
{
    struct timespec ts = {.tv_sec = deadline_ms / 1000, .tv_nsec = (deadline_ms % 1000) * 1000000};
    enum fetch_status st = FETCH_OK;

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

static enum fetch_status resolve(const char *host, const char *port, int64_t deadline_ms,
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
    int64_t left = deadline_ms - fetch_now_ms();

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

static enum fetch_status connect_one(const struct addrinfo *ai, int64_t deadline_ms, int *fdp,
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

static enum fetch_status connect_any(const struct addrinfo *res, int64_t deadline_ms, int *fdp,
                                     char *err, size_t errsize)
{
    enum fetch_status st = FETCH_NETWORK;

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

static OSSL_HTTP_REQ_CTX *make_request(BIO *bio, const char *host, const char *port,
                                       const char *path, const ASN1_ITEM *req_item,
                                       const ASN1_VALUE *req, const char *req_ctype,
                                       const char *expect_ctype, size_t max_bytes)
{
    OSSL_HTTP_REQ_CTX *r = OSSL_HTTP_REQ_CTX_new(bio, bio, 0);
    char hosthdr[300];
    bool v6 = strchr(host, ':') != NULL;

    if (!r)
        return NULL;
    snprintf(hosthdr, sizeof(hosthdr), "%s%s%s%s%s", v6 ? "[" : "", host, v6 ? "]" : "",
             strcmp(port, "80") ? ":" : "", strcmp(port, "80") ? port : "");
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

static enum fetch_status exchange(int fd, const char *host, const char *port, const char *path,
                                  const ASN1_ITEM *req_item, const ASN1_VALUE *req,
                                  const char *req_ctype, const char *expect_ctype,
                                  const ASN1_ITEM *rsp_item, size_t max_bytes,
                                  int64_t deadline_ms, ASN1_VALUE **out, char *err, size_t errsize)
{
    BIO *bio = BIO_new_socket(fd, BIO_NOCLOSE);
    OSSL_HTTP_REQ_CTX *r = bio ? make_request(bio, host, port, path, req_item, req, req_ctype,
                                              expect_ctype, max_bytes)
                               : NULL;
    enum fetch_status st = FETCH_PROTOCOL;

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

int fetch_url_hostport(const char *url, char *hostport, size_t size)
{
    struct url_parts u;

    if (parse_url(url, &u) < 0)
        return -1;
    snprintf(hostport, size, "%s:%s", u.host, u.port);
    url_parts_free(&u);
    return 0;
}

enum fetch_status fetch_asn1(const char *url, const ASN1_ITEM *req_item, const ASN1_VALUE *req,
                             const char *req_ctype, const char *expect_ctype,
                             const ASN1_ITEM *rsp_item, size_t max_bytes, int64_t deadline_ms,
                             ASN1_VALUE **out, char *err, size_t errsize)
{
    struct url_parts u;
    struct addrinfo *res = NULL;
    enum fetch_status st;
    char path[2048];
    int fd = -1;

    *out = NULL;
    if (parse_url(url, &u) < 0) {
        snprintf(err, errsize, "not a usable http:// URL");
        return FETCH_BADURL;
    }
    snprintf(path, sizeof(path), "%s%s%s", u.path, u.query && *u.query ? "?" : "",
             u.query ? u.query : "");
    st = resolve(u.host, u.port, deadline_ms, &res, err, errsize);
    if (st == FETCH_OK)
        st = connect_any(res, deadline_ms, &fd, err, errsize);
    if (st == FETCH_OK)
        st = exchange(fd, u.host, u.port, path, req_item, req, req_ctype, expect_ctype, rsp_item,
                      max_bytes, deadline_ms, out, err, errsize);
    if (fd >= 0)
        close(fd);
    if (res)
        freeaddrinfo(res);
    url_parts_free(&u);
    return st;
}
