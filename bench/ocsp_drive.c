/*
 * ocsp_drive: load driver for a Squid sslcrtvalidator_program (inspect-ocsp), speaking Squid's
 * framing with concurrency IDs, used by bench/ocsp_bench.sh.
 *
 *   ocsp_drive [-c INFLIGHT] [-w WARM] -C NAME:COUNT:HOST:CERT[,CERT...] [-C ...] -- HELPER...
 *
 * Starts HELPER, first sends WARM requests of the first class one at a time (not measured:
 * they fill the helper's caches), then sends the requests of all classes interleaved (at most INFLIGHT unanswered),
 * reads the replies (0x01-terminated, any order) and prints per class: count, OK/ERR/BH, and
 * latency mean/p50/p99/max in ms, then the overall rate. Exits 1 if a reply is missing or has an
 * unknown ID. Single-threaded (poll); owns everything it allocates; not a library.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLASSES 8

struct cls {
    char name[32];
    long count;
    char *body;
    size_t len;
    double *lat; /* ms, one per answered request */
    long done, ok, err, bh;
};

struct req {
    int cls;
    double sent;
};

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (!f || fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0 ||
        !(buf = malloc((size_t)n + 1)) || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "ocsp_drive: cannot read %s\n", path);
        exit(2);
    }
    fclose(f);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

/* NAME:COUNT:HOST:CERT[,CERT...] -> a cert_validate body. */
static void parse_class(char *spec, struct cls *c)
{
    char *name = strtok(spec, ":"), *count = strtok(NULL, ":"), *host = strtok(NULL, ":");
    char *certs = strtok(NULL, ""), *save = NULL;
    size_t cap = 4096, len;
    int i = 0;

    if (!name || !count || !host || !certs) {
        fprintf(stderr, "ocsp_drive: class is NAME:COUNT:HOST:CERT[,CERT...]\n");
        exit(2);
    }
    snprintf(c->name, sizeof(c->name), "%s", name);
    c->count = strtol(count, NULL, 10);
    c->body = malloc(cap);
    len = (size_t)snprintf(c->body, cap, "host=%s\nproto_version=TLSv1.3\ncipher=TLS_AES_128_GCM_SHA256", host);
    for (char *p = strtok_r(certs, ",", &save); p; p = strtok_r(NULL, ",", &save), i++) {
        size_t n;
        char *pem = slurp(p, &n);

        if (len + n + 64 > cap)
            c->body = realloc(c->body, cap = (len + n + 64) * 2);
        len += (size_t)snprintf(c->body + len, cap - len, "\ncert_%d=%s", i, pem);
        free(pem);
    }
    c->len = len;
    c->lat = calloc((size_t)(c->count > 0 ? c->count : 1), sizeof(double));
}

static pid_t spawn(char **argv, int *to, int *from)
{
    int in[2], out[2];
    pid_t pid;

    if (pipe(in) < 0 || pipe(out) < 0)
        exit(2);
    pid = fork();
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]); close(in[1]); close(out[0]); close(out[1]);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    *to = in[1];
    *from = out[0];
    fcntl(*to, F_SETFL, O_NONBLOCK);
    return pid;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static void report(struct cls *c)
{
    double sum = 0;

    qsort(c->lat, (size_t)c->done, sizeof(double), cmp);
    for (long i = 0; i < c->done; i++)
        sum += c->lat[i];
    printf("class=%s n=%ld ok=%ld err=%ld bh=%ld mean_ms=%.3f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
           c->name, c->done, c->ok, c->err, c->bh, c->done ? sum / c->done : 0,
           c->done ? c->lat[c->done / 2] : 0, c->done ? c->lat[(long)(c->done * 0.99)] : 0,
           c->done ? c->lat[c->done - 1] : 0);
}

/* Sends n requests of class c one after the other and waits for each reply (not measured). */
static void warm_up(int to, int from, const struct cls *c, long n)
{
    char buf[4096];

    fcntl(to, F_SETFL, 0);
    for (long i = 0; i < n; i++) {
        char head[64];
        int hl = snprintf(head, sizeof(head), "%ld cert_validate %zu ", 1000000000L + i, c->len);
        ssize_t r;

        if (write(to, head, (size_t)hl) != hl || write(to, c->body, c->len) != (ssize_t)c->len ||
            write(to, "\n", 1) != 1)
            exit(2);
        while ((r = read(from, buf, sizeof(buf))) > 0 && !memchr(buf, '\x01', (size_t)r))
            ;
        if (r <= 0)
            exit(2);
    }
    fcntl(to, F_SETFL, O_NONBLOCK);
}

/* Handles one reply "ID RESULT ..." (without its 0x01). */
static int on_reply(char *r, struct req *reqs, long total, struct cls *cls)
{
    char *end;
    long id = strtol(r, &end, 10);
    struct cls *c;

    if (end == r || *end != ' ' || id < 1 || id > total || reqs[id - 1].cls < 0) {
        fprintf(stderr, "ocsp_drive: reply with unknown ID: %.40s\n", r);
        return -1;
    }
    c = &cls[reqs[id - 1].cls];
    c->lat[c->done++] = now_ms() - reqs[id - 1].sent;
    reqs[id - 1].cls = -1;
    if (strncmp(end + 1, "OK", 2) == 0)
        c->ok++;
    else if (strncmp(end + 1, "ERR", 3) == 0)
        c->err++;
    else
        c->bh++;
    return 0;
}

int main(int argc, char **argv)
{
    static struct cls cls[MAX_CLASSES];
    int ncls = 0, opt, to, from;
    long inflight = 32, total = 0, sent = 0, answered = 0, warm = 0;
    static char rbuf[1 << 20];
    size_t rlen = 0;
    char *wbuf = NULL;
    size_t wlen = 0, woff = 0;
    struct req *reqs;
    double t0;
    long *left;
    pid_t pid;

    while ((opt = getopt(argc, argv, "c:C:w:")) != -1) {
        if (opt == 'c')
            inflight = strtol(optarg, NULL, 10);
        else if (opt == 'w')
            warm = strtol(optarg, NULL, 10);
        else if (opt == 'C' && ncls < MAX_CLASSES)
            parse_class(optarg, &cls[ncls++]);
        else
            return 2;
    }
    if (optind >= argc || ncls == 0) {
        fprintf(stderr, "usage: ocsp_drive [-c N] [-w N] -C NAME:COUNT:HOST:CERT[,CERT] -- HELPER...\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    for (int i = 0; i < ncls; i++)
        total += cls[i].count;
    reqs = calloc((size_t)total, sizeof(*reqs));
    left = calloc((size_t)ncls, sizeof(*left));
    for (int i = 0; i < ncls; i++)
        left[i] = cls[i].count;
    pid = spawn(argv + optind, &to, &from);
    warm_up(to, from, &cls[0], warm);
    t0 = now_ms();
    while (answered < total) {
        struct pollfd p[2] = {{.fd = from, .events = POLLIN}, {.fd = to, .events = 0}};

        /* Queue the next request (classes interleaved) when there is room. */
        while (woff == wlen && sent < total && sent - answered < inflight) {
            int k = (int)(sent % ncls);

            while (left[k] == 0)
                k = (k + 1) % ncls;
            left[k]--;
            reqs[sent].cls = k;
            free(wbuf);
            wbuf = malloc(cls[k].len + 64);
            wlen = (size_t)sprintf(wbuf, "%ld cert_validate %zu ", sent + 1, cls[k].len);
            memcpy(wbuf + wlen, cls[k].body, cls[k].len);
            wlen += cls[k].len;
            wbuf[wlen++] = '\n';
            woff = 0;
            reqs[sent].sent = now_ms();
            sent++;
        }
        if (woff < wlen)
            p[1].events = POLLOUT;
        if (poll(p, 2, 30000) <= 0) {
            fprintf(stderr, "ocsp_drive: no progress for 30 s (%ld of %ld answered)\n", answered, total);
            break;
        }
        if (p[1].revents & POLLOUT) {
            ssize_t n = write(to, wbuf + woff, wlen - woff);

            if (n > 0)
                woff += (size_t)n;
        }
        if (p[0].revents & (POLLIN | POLLHUP)) {
            ssize_t n = read(from, rbuf + rlen, sizeof(rbuf) - rlen - 1);
            char *s = rbuf, *e;

            if (n <= 0) {
                fprintf(stderr, "ocsp_drive: helper closed its output\n");
                break;
            }
            rlen += (size_t)n;
            while ((e = memchr(s, '\x01', rlen - (size_t)(s - rbuf)))) {
                *e = '\0';
                if (on_reply(s, reqs, total, cls) < 0)
                    return 1;
                answered++;
                s = e + 1;
            }
            rlen -= (size_t)(s - rbuf);
            memmove(rbuf, s, rlen);
        }
    }
    double elapsed = now_ms() - t0;

    close(to);
    waitpid(pid, NULL, 0);
    for (int i = 0; i < ncls; i++) {
        report(&cls[i]);
        free(cls[i].body);
        free(cls[i].lat);
    }
    printf("total=%ld answered=%ld elapsed_ms=%.1f rate_per_s=%.1f\n", total, answered, elapsed,
           answered / (elapsed / 1e3));
    free(wbuf);
    free(reqs);
    free(left);
    return answered == total ? 0 : 1;
}
