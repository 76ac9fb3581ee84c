/*
 * icap_load.c: ICAP load client for bench/icap-bench.sh. Several threads, one persistent
 * connection each, send REQMOD (no body) or RESPMOD (body with a Squid-like preview) requests
 * to 127.0.0.1 for a fixed time and report requests/s and latency percentiles.
 *
 *   icap_load -p PORT -s SERVICE [-m reqmod|respmod] [-t THREADS] [-d SECONDS] [-b BODYBYTES]
 *             [-H HOSTS] [-P PREVIEW]
 *
 * Hosts cycle through h0.bench.test .. h(HOSTS-1).bench.test. Output, one line:
 *   service=inspect mode=reqmod threads=4 requests=N errors=E rps=R p50_us=A p99_us=B codes=204:N,...
 * Only 127.0.0.1 is ever contacted. Not a test: figures vary with the machine.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct opts {
    int port, threads, seconds, hosts, preview;
    long body;
    const char *service;
    int respmod;
};

struct conn {
    int fd;
    char buf[65536];
    size_t len, pos;
};

struct worker {
    pthread_t tid;
    const struct opts *o;
    int id;
    long requests, errors;
    long codes[6]; /* 100 200 204 403 500 other */
    unsigned *lat;  /* microseconds */
    size_t nlat, caplat;
};

static volatile int stop_flag;
static char *body_data;

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int conn_open(struct conn *c, int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    int one = 1;

    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    c->len = c->pos = 0;
    if (c->fd < 0)
        return -1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(c->fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    return 0;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) {
            if (w < 0 && errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int fill(struct conn *c)
{
    if (c->pos > 0) {
        memmove(c->buf, c->buf + c->pos, c->len - c->pos);
        c->len -= c->pos;
        c->pos = 0;
    }
    if (c->len == sizeof(c->buf))
        return -1;
    ssize_t r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
    if (r <= 0)
        return -1;
    c->len += (size_t)r;
    return 0;
}

/* Reads up to and including "\r\n\r\n"; returns a pointer to the header block (valid until the
 * next read) and its length. */
static char *read_headers(struct conn *c, size_t *hlen)
{
    for (;;) {
        char *start = c->buf + c->pos;
        char *end = memmem(start, c->len - c->pos, "\r\n\r\n", 4);
        if (end) {
            *hlen = (size_t)(end + 4 - start);
            c->pos += *hlen;
            return start;
        }
        if (fill(c) < 0)
            return NULL;
    }
}

static int skip_bytes(struct conn *c, size_t n)
{
    while (n) {
        if (c->pos == c->len && fill(c) < 0)
            return -1;
        size_t k = c->len - c->pos < n ? c->len - c->pos : n;
        c->pos += k;
        n -= k;
    }
    return 0;
}

static int read_line(struct conn *c, char *out, size_t size)
{
    for (;;) {
        char *start = c->buf + c->pos;
        char *nl = memmem(start, c->len - c->pos, "\r\n", 2);
        if (nl) {
            size_t n = (size_t)(nl - start);
            snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), start);
            c->pos += n + 2;
            return 0;
        }
        if (fill(c) < 0)
            return -1;
    }
}

/* Reads a chunked ICAP body up to the last chunk. */
static int skip_chunked(struct conn *c)
{
    char line[128];

    for (;;) {
        if (read_line(c, line, sizeof(line)) < 0)
            return -1;
        long n = strtol(line, NULL, 16);
        if (n == 0)
            return read_line(c, line, sizeof(line)); /* the empty line after the last chunk */
        if (skip_bytes(c, (size_t)n + 2) < 0)
            return -1;
    }
}

static long enc_offset(const char *h, const char *key)
{
    const char *e = strcasestr(h, "\nEncapsulated:");
    const char *k = e ? strstr(e, key) : NULL;
    const char *eol = e ? strstr(e + 1, "\r\n") : NULL;
    if (!k || (eol && k > eol))
        return -1;
    return strtol(k + strlen(key), NULL, 10);
}

/* Reads one final ICAP response (after an optional 100). Returns the status code or -1. */
static int read_response(struct conn *c, int *code_out)
{
    size_t hlen;
    char *h = read_headers(c, &hlen);
    if (!h || hlen < 12 || strncmp(h, "ICAP/1.0 ", 9) != 0)
        return -1;
    int code = atoi(h + 9);
    *code_out = code;
    if (code == 100 || code == 204)
        return code;
    char hdr[4096];
    snprintf(hdr, sizeof(hdr), "%.*s", (int)(hlen < sizeof(hdr) ? hlen : sizeof(hdr) - 1), h);
    long body = enc_offset(hdr, "res-body=");
    if (body < 0)
        body = enc_offset(hdr, "req-body=");
    long null_body = enc_offset(hdr, "null-body=");
    if (body >= 0)
        return skip_bytes(c, (size_t)body) < 0 || skip_chunked(c) < 0 ? -1 : code;
    if (null_body >= 0)
        return skip_bytes(c, (size_t)null_body) < 0 ? -1 : code;
    return code;
}

static int one_request(struct worker *w, struct conn *c, long seq)
{
    const struct opts *o = w->o;
    char req[8192], http[1024], resh[512];
    int n, code = 0;
    char host[64];

    snprintf(host, sizeof(host), "h%ld.bench.test", seq % (o->hosts > 0 ? o->hosts : 1));
    int hl = snprintf(http, sizeof(http),
                      "GET http://%s/path/item%ld?q=x HTTP/1.1\r\nHost: %s\r\n"
                      "User-Agent: icap_load\r\nAccept: text/html\r\n\r\n", host, seq % 97, host);
    if (!o->respmod) {
        n = snprintf(req, sizeof(req),
                     "REQMOD icap://127.0.0.1:%d/%s ICAP/1.0\r\nHost: 127.0.0.1:%d\r\n"
                     "Allow: 204\r\nX-Client-IP: 10.1.%d.%d\r\nEncapsulated: req-hdr=0, null-body=%d\r\n\r\n%s",
                     o->port, o->service, o->port, w->id, (int)(seq % 250) + 1, hl, http);
        if (send_all(c->fd, req, (size_t)n) < 0)
            return -1;
        return read_response(c, &code) < 0 ? -1 : code;
    }
    int rl = snprintf(resh, sizeof(resh),
                      "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %ld\r\n\r\n",
                      o->body);
    long pv = o->preview >= 0 && o->preview < o->body ? o->preview : o->body;
    int ieof = pv == o->body;
    n = snprintf(req, sizeof(req),
                 "RESPMOD icap://127.0.0.1:%d/%s ICAP/1.0\r\nHost: 127.0.0.1:%d\r\nAllow: 204\r\n"
                 "Preview: %ld\r\nX-Client-IP: 10.1.%d.%d\r\n"
                 "Encapsulated: req-hdr=0, res-hdr=%d, res-body=%d\r\n\r\n%s%s",
                 o->port, o->service, o->port, pv, w->id, (int)(seq % 250) + 1, hl, hl + rl, http,
                 resh);
    if (pv > 0)
        n += snprintf(req + n, sizeof(req) - (size_t)n, "%lx\r\n", pv);
    if (send_all(c->fd, req, (size_t)n) < 0 || (pv > 0 && send_all(c->fd, body_data, (size_t)pv) < 0))
        return -1;
    const char *end = ieof ? (pv > 0 ? "\r\n0; ieof\r\n\r\n" : "0; ieof\r\n\r\n")
                           : (pv > 0 ? "\r\n0\r\n\r\n" : "0\r\n\r\n");
    if (send_all(c->fd, end, strlen(end)) < 0)
        return -1;
    if (read_response(c, &code) < 0)
        return -1;
    if (code != 100)
        return code;
    long rest = o->body - pv;
    n = snprintf(req, sizeof(req), "%lx\r\n", rest);
    if (send_all(c->fd, req, (size_t)n) < 0 || send_all(c->fd, body_data + pv, (size_t)rest) < 0 ||
        send_all(c->fd, "\r\n0\r\n\r\n", 7) < 0)
        return -1;
    return read_response(c, &code) < 0 ? -1 : code;
}

static void record(struct worker *w, int code, double us)
{
    int idx = code == 100 ? 0 : code == 200 ? 1 : code == 204 ? 2 : code == 403 ? 3 : code == 500 ? 4 : 5;
    w->codes[idx]++;
    if (w->nlat == w->caplat) {
        size_t nc = w->caplat ? w->caplat * 2 : 65536;
        unsigned *nl = realloc(w->lat, nc * sizeof(*nl));
        if (!nl)
            return;
        w->lat = nl;
        w->caplat = nc;
    }
    w->lat[w->nlat++] = us > 4e9 ? 4000000000u : (unsigned)us;
}

static void *run(void *arg)
{
    struct worker *w = arg;
    struct conn *c = malloc(sizeof(*c));
    long seq = (long)w->id * 1000003;

    if (!c || conn_open(c, w->o->port) < 0) {
        w->errors++;
        free(c);
        return NULL;
    }
    while (!stop_flag) {
        double t0 = now_us();
        int code = one_request(w, c, seq++);
        if (code < 0) {
            w->errors++;
            close(c->fd);
            if (stop_flag || conn_open(c, w->o->port) < 0)
                break;
            continue;
        }
        w->requests++;
        record(w, code, now_us() - t0);
    }
    if (c->fd >= 0)
        close(c->fd);
    free(c);
    return NULL;
}

static int cmp_u(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    struct opts o = {.port = 1344, .threads = 4, .seconds = 5, .hosts = 1000, .preview = 1024,
                     .body = 4096, .service = "echo"};
    int opt;

    while ((opt = getopt(argc, argv, "p:s:m:t:d:b:H:P:")) != -1) {
        switch (opt) {
        case 'p': o.port = atoi(optarg); break;
        case 's': o.service = optarg; break;
        case 'm': o.respmod = strcmp(optarg, "respmod") == 0; break;
        case 't': o.threads = atoi(optarg); break;
        case 'd': o.seconds = atoi(optarg); break;
        case 'b': o.body = atol(optarg); break;
        case 'H': o.hosts = atoi(optarg); break;
        case 'P': o.preview = atoi(optarg); break;
        default:
            fprintf(stderr, "usage: icap_load -p PORT -s SERVICE [-m reqmod|respmod] [-t N] [-d S] "
                            "[-b BYTES] [-H HOSTS] [-P PREVIEW]\n");
            return 2;
        }
    }
    if (o.threads < 1 || o.threads > 64 || o.seconds < 1 || o.seconds > 600 || o.body < 0 ||
        o.body > (64 << 20)) {
        fprintf(stderr, "icap_load: threads 1-64, seconds 1-600, body 0-64M\n");
        return 2;
    }
    body_data = malloc((size_t)o.body + 1);
    for (long i = 0; i < o.body; i++)
        body_data[i] = (char)('a' + i % 26);
    struct worker *ws = calloc((size_t)o.threads, sizeof(*ws));
    double t0 = now_us();
    for (int i = 0; i < o.threads; i++) {
        ws[i].o = &o;
        ws[i].id = i;
        pthread_create(&ws[i].tid, NULL, run, &ws[i]);
    }
    sleep((unsigned)o.seconds);
    stop_flag = 1;
    long req = 0, err = 0, codes[6] = {0};
    size_t nl = 0;
    for (int i = 0; i < o.threads; i++) {
        pthread_join(ws[i].tid, NULL);
        req += ws[i].requests;
        err += ws[i].errors;
        nl += ws[i].nlat;
        for (int k = 0; k < 6; k++)
            codes[k] += ws[i].codes[k];
    }
    double secs = (now_us() - t0) / 1e6;
    unsigned *all = malloc((nl ? nl : 1) * sizeof(*all));
    size_t k = 0;
    for (int i = 0; i < o.threads; i++) {
        memcpy(all + k, ws[i].lat, ws[i].nlat * sizeof(*all));
        k += ws[i].nlat;
        free(ws[i].lat);
    }
    qsort(all, nl, sizeof(*all), cmp_u);
    printf("service=%s mode=%s threads=%d seconds=%.1f requests=%ld errors=%ld rps=%.0f "
           "p50_us=%u p99_us=%u codes=200:%ld,204:%ld,403:%ld,500:%ld,other:%ld\n",
           o.service, o.respmod ? "respmod" : "reqmod", o.threads, secs, req, err, req / secs,
           nl ? all[nl / 2] : 0, nl ? all[(nl * 99) / 100] : 0, codes[1], codes[2], codes[3],
           codes[4], codes[5]);
    free(all);
    free(ws);
    free(body_data);
    return err > req / 100 ? 1 : 0;
}
