/*
 * certgen_load: feeds one sslcrtd helper (inspect-certgen or Squid's security_file_certgen) the
 * request stream Squid would send, one request at a time like a helper without concurrency, and
 * prints requests/s, p50/p99 latency and the helper's RSS for each phase:
 *
 *   cold       N distinct origins, first time
 *   warm       the same N again
 *   fill@F     origins up to F (F in the -f list; timed but only for information; a fill
 *              cut by the time limit goes on with the size it reached)
 *   warm@F     S requests for random origins already sent (the cache holds F entries)
 *   cold@F     S new origins with F entries cached
 *
 * The inspection CA is RSA-2048 (the cold-forge target of bench/README); origin certificates
 * carry one shared RSA-2048 key and are signed by an EC "public CA" so that making them is
 * cheap. All material is generated at start. Every phase stops early after -t seconds (reported).
 *
 * Usage: certgen_load [-n N] [-f F1,F2] [-s S] [-t SECS] -- helper-command args...
 * Single-threaded; talks to the helper over pipes only.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

struct helper {
    pid_t pid;
    int in, out;
    char *buf;
    size_t cap;
};

static EVP_PKEY *origin_key, *pub_ca_key, *ca_key;
static X509 *pub_ca, *ca;
static char *ca_part; /* CA cert PEM + CA key PEM */
static char **origins;
static size_t n_origins;

static char *pem_of(int (*wr)(BIO *, const void *), const void *obj)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data, *out;
    long n;

    wr(bio, obj);
    n = BIO_get_mem_data(bio, &data);
    out = malloc((size_t)n + 1);
    memcpy(out, data, (size_t)n);
    out[n] = '\0';
    BIO_free(bio);
    return out;
}

static int wr_cert(BIO *b, const void *x) { return PEM_write_bio_X509(b, (X509 *)x); }
static int wr_key(BIO *b, const void *k)
{
    return PEM_write_bio_PKCS8PrivateKey(b, (EVP_PKEY *)k, NULL, NULL, 0, NULL, NULL);
}

static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey, bool is_ca)
{
    X509 *x = X509_new();
    X509V3_CTX ctx;
    X509_EXTENSION *ext;
    char san[128];
    unsigned char serial[8];
    BIGNUM *bn;

    X509_set_version(x, X509_VERSION_3);
    RAND_bytes(serial, sizeof(serial));
    serial[0] &= 0x7f;
    bn = BN_bin2bn(serial, sizeof(serial), NULL);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
    BN_free(bn);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
                               (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x));
    X509_gmtime_adj(X509_getm_notBefore(x), -86400L * 30);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365);
    X509_set_pubkey(x, key);
    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
    snprintf(san, sizeof(san), "DNS:%s", cn);
    ext = X509V3_EXT_nconf(NULL, &ctx, is_ca ? "basicConstraints" : "subjectAltName",
                           is_ca ? "critical,CA:TRUE" : san);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    X509_sign(x, ikey, EVP_sha256());
    return x;
}

static void make_material(size_t n)
{
    char cn[64];

    ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    origin_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    pub_ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    ca = make_cert("Bench Inspection CA", ca_key, NULL, ca_key, true);
    pub_ca = make_cert("Bench Public CA", pub_ca_key, NULL, pub_ca_key, true);
    {
        char *c = pem_of(wr_cert, ca), *k = pem_of(wr_key, ca_key);

        ca_part = malloc(strlen(c) + strlen(k) + 1);
        strcpy(ca_part, c);
        strcat(ca_part, k);
        free(c);
        free(k);
    }
    origins = calloc(n, sizeof(*origins));
    for (size_t i = 0; i < n; i++) {
        X509 *x;

        snprintf(cn, sizeof(cn), "host%zu.bench.test", i);
        x = make_cert(cn, origin_key, pub_ca, pub_ca_key, false);
        origins[i] = pem_of(wr_cert, x);
        X509_free(x);
    }
    n_origins = n;
}

static void start_helper(struct helper *h, char **argv)
{
    int to[2], from[2];

    if (pipe(to) || pipe(from))
        exit(1);
    h->pid = fork();
    if (h->pid == 0) {
        dup2(to[0], 0);
        dup2(from[1], 1);
        close(to[1]);
        close(from[0]);
        execv(argv[0], argv);
        perror(argv[0]);
        _exit(127);
    }
    close(to[0]);
    close(from[1]);
    h->in = to[1];
    h->out = from[0];
    h->cap = 1 << 16;
    h->buf = malloc(h->cap);
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Sends origin i's request and waits for the reply; returns 0 for OK, 1 ERR/BH, -1 I/O. */
static int one_request(struct helper *h, size_t i, char *req, size_t reqcap)
{
    static const char params[] = "host=%s\nSign=signTrusted\nSignHash=SHA256\n";
    char host[64], head[64];
    size_t body, got = 0;
    int hn;

    snprintf(host, sizeof(host), "host%zu.bench.test", i);
    body = (size_t)snprintf(req, reqcap, params, host);
    body += (size_t)snprintf(req + body, reqcap - body, "%s %s", ca_part, origins[i]);
    hn = snprintf(head, sizeof(head), "new_certificate %zu ", body);
    if (write_all(h->in, head, (size_t)hn) || write_all(h->in, req, body) ||
        write_all(h->in, "\n", 1))
        return -1;
    for (;;) {
        ssize_t r = read(h->out, h->buf + got, h->cap - got);

        if (r <= 0)
            return -1;
        got += (size_t)r;
        if (memchr(h->buf + got - r, '\x01', (size_t)r))
            break;
        if (got == h->cap)
            h->buf = realloc(h->buf, h->cap *= 2);
    }
    return strncmp(h->buf, "OK ", 3) == 0 ? 0 : 1;
}

static long rss_kb(pid_t pid, const char *field)
{
    char path[64], line[256];
    long v = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    if (!(f = fopen(path, "r")))
        return -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, field, strlen(field)) == 0)
            v = atol(line + strlen(field) + 1);
    fclose(f);
    return v;
}

/* The helper's user+system CPU time in microseconds (from /proc/PID/stat). */
static double cpu_us(pid_t pid)
{
    char path[64], buf[1024], *p;
    unsigned long ut = 0, st = 0;
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if (!(f = fopen(path, "r")))
        return 0;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    p = strrchr(buf, ')'); /* the command name may hold spaces */
    if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2)
        return (double)(ut + st) * 1e6 / (double)sysconf(_SC_CLK_TCK);
    return 0;
}

static double now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* Runs the requests idx[0..n) and prints one result line. Returns how many were sent, or -1
 * when the helper died. */
static size_t cached; /* distinct origins sent so far: the cache's size */

static long phase(struct helper *h, const char *name, const size_t *idx, size_t n, double limit_s)
{
    static char req[1 << 16];
    double *lat = malloc((n ? n : 1) * sizeof(double)), t0 = now_us(), t, cpu0 = cpu_us(h->pid);
    size_t done = 0, errs = 0;

    for (; done < n; done++) {
        int r;

        t = now_us();
        r = one_request(h, idx[done], req, sizeof(req));
        lat[done] = now_us() - t;
        if (r < 0) {
            printf("phase=%s error=helper-died after=%zu\n", name, done);
            free(lat);
            return -1;
        }
        errs += (size_t)r;
        if ((now_us() - t0) / 1e6 > limit_s) {
            done++;
            break;
        }
    }
    t = (now_us() - t0) / 1e6;
    qsort(lat, done, sizeof(double), cmp_double);
    printf("phase=%s entries=%zu requests=%zu of=%zu errors=%zu seconds=%.2f rps=%.0f "
           "cpu_us_per_req=%.0f p50_us=%.0f p99_us=%.0f rss_kb=%ld anon_kb=%ld file_kb=%ld%s\n",
           name, cached, done, n, errs, t, done / t,
           done ? (cpu_us(h->pid) - cpu0) / (double)done : 0, done ? lat[done / 2] : 0,
           done ? lat[(size_t)(done * 0.99)] : 0, rss_kb(h->pid, "VmRSS:"),
           rss_kb(h->pid, "RssAnon:"), rss_kb(h->pid, "RssFile:"),
           done < n ? " partial=time-limit" : "");
    fflush(stdout);
    free(lat);
    return (long)done;
}

static size_t *range(size_t from, size_t to)
{
    size_t *v = malloc((to - from + 1) * sizeof(*v));

    for (size_t i = from; i < to; i++)
        v[i - from] = i;
    return v;
}

int main(int argc, char **argv)
{
    size_t n = 1000, sample = 1000, fills[8], nfill = 0, sent;
    double limit = 120;
    struct helper h;
    int c, rc = 0;
    char *fl = NULL;

    while ((c = getopt(argc, argv, "n:f:s:t:")) != -1) {
        if (c == 'n')
            n = strtoul(optarg, NULL, 10);
        else if (c == 'f')
            fl = optarg;
        else if (c == 's')
            sample = strtoul(optarg, NULL, 10);
        else if (c == 't')
            limit = atof(optarg);
        else
            return 2;
    }
    if (optind >= argc || n == 0) {
        fprintf(stderr, "usage: %s [-n N] [-f F1,F2] [-s S] [-t SECS] -- helper args...\n", argv[0]);
        return 2;
    }
    for (char *t = fl ? strtok(fl, ",") : NULL; t && nfill < 8; t = strtok(NULL, ","))
        fills[nfill++] = strtoul(t, NULL, 10);
    sent = n;
    for (size_t i = 0; i < nfill; i++)
        if (fills[i] + sample > sent)
            sent = fills[i] + sample;
    fprintf(stderr, "certgen_load: making %zu origin certificates...\n", sent);
    make_material(sent);
    signal(SIGPIPE, SIG_IGN);
    start_helper(&h, argv + optind);
    {
        size_t *idx = range(0, n);

        long done = phase(&h, "cold", idx, n, limit);

        cached = done > 0 ? (size_t)done : 0;
        if (done < 0 || phase(&h, "warm", idx, (size_t)done, limit) < 0)
            rc = 1;
        free(idx);
    }
    for (size_t f = 0, have = cached; rc == 0 && f < nfill; f++) {
        char name[32];
        size_t *idx;
        long done;

        if (fills[f] > have) {
            idx = range(have, fills[f]);
            snprintf(name, sizeof(name), "fill@%zu", fills[f]);
            done = phase(&h, name, idx, fills[f] - have, limit * 6);
            free(idx);
            if (done < 0) {
                rc = 1;
                break;
            }
            have += (size_t)done; /* a fill cut short: measure at the size reached */
            cached = have;
        }
        idx = malloc(sample * sizeof(*idx));
        for (size_t i = 0; i < sample; i++)
            idx[i] = (size_t)random() % have;
        snprintf(name, sizeof(name), "warm@%zu", fills[f]);
        if (phase(&h, name, idx, sample, limit) < 0)
            rc = 1;
        free(idx);
        idx = range(have, have + sample);
        snprintf(name, sizeof(name), "cold@%zu", fills[f]);
        if (rc == 0 && phase(&h, name, idx, sample, limit) < 0)
            rc = 1;
        free(idx);
        have += sample;
        cached = have;
    }
    close(h.in);
    waitpid(h.pid, NULL, 0);
    free(h.buf);
    return rc;
}
