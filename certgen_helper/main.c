/*
 * main.c: inspect-certgen, Squid's sslcrtd_program (a drop-in for security_file_certgen).
 *
 * Command line, cache directory set-up and the request loop. Requests come framed by lib/helper_io
 * (with or without concurrency IDs); each is answered in order with OK <cert><key>, or ERR with a
 * reason; bad input never ends the process. stdout carries only replies; logs go to stderr.
 * Single-threaded.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "crtd_request.h"
#include "helper_io.h"
#include "log.h"
#include "service.h"
#include "units.h"

#define DEFAULT_MAX_BYTES (4u * 1024 * 1024)

struct options {
    const char *dir;
    size_t max_bytes;
    bool create_only;
    bool rotate_only;
    bool debug;
    struct cg_service_opts svc;
};

static void usage(FILE *f, const char *prog)
{
    fprintf(f,
            "Usage: %s [-s DIR -M SIZE [-b BYTES]] [-c] [-d] [options]\n"
            "Squid sslcrtd_program: forges server certificates for SslBump (drop-in for\n"
            "security_file_certgen; see inspect-certgen(8)).\n\n"
            "  -s DIR            cache and leaf-key directory, shared by all helper processes;\n"
            "                    created (mode 0700) when missing\n"
            "  -M SIZE           cache size limit, e.g. 4MB (units B, KB, MB, GB); oldest entries\n"
            "                    are evicted past it (default 4MB)\n"
            "  -b BYTES          accepted for compatibility and ignored (the cache counts pages)\n"
            "  -c                initialise DIR (cache and leaf keys) and exit\n"
            "  -d                debug logging on stderr\n"
            "  --max-days N      forged certificates live at most N days (1-90, default 90)\n"
            "  --fresh-ec-key    with an EC signing CA, give every certificate its own new P-256\n"
            "                    key (stored with it in the cache) instead of the shared one\n"
            "  --rotate-keys     replace the shared leaf keys in DIR and exit; running helpers\n"
            "                    switch within a second and old cache entries stop matching\n"
            "  -h, --help        this help\n"
            "  -v, --version     version\n",
            prog);
}

/* -M: a size of lib/units.h that fits in size_t. */
static int parse_size(const char *s, size_t *out)
{
    unsigned long long v;

    if (si_parse_size(s, &v) < 0 || v > SIZE_MAX)
        return -1;
    *out = (size_t)v;
    return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longs[] = {
        {"help", no_argument, NULL, 'h'},          {"version", no_argument, NULL, 'v'},
        {"max-days", required_argument, NULL, 1},  {"fresh-ec-key", no_argument, NULL, 2},
        {"rotate-keys", no_argument, NULL, 3},     {NULL, 0, NULL, 0}};
    int c;
    char *end;
    long v;

    memset(o, 0, sizeof(*o));
    o->max_bytes = DEFAULT_MAX_BYTES;
    o->svc.max_days = CG_MAX_DAYS;
    while ((c = getopt_long(argc, argv, "s:M:b:cdhv", longs, NULL)) != -1) {
        switch (c) {
        case 's':
            o->dir = optarg;
            break;
        case 'M':
            if (parse_size(optarg, &o->max_bytes) < 0) {
                fprintf(stderr, "%s: -M %s: not a size (e.g. 4MB)\n", argv[0], optarg);
                return 2;
            }
            break;
        case 'b':
            if (strtol(optarg, &end, 10) <= 0 || *end) {
                fprintf(stderr, "%s: -b %s: not a positive number\n", argv[0], optarg);
                return 2;
            }
            break;
        case 'c':
            o->create_only = true;
            break;
        case 'd':
            o->debug = true;
            break;
        case 'h':
            usage(stdout, argv[0]);
            return 0;
        case 'v':
            printf("inspect-certgen %s\n", PACKAGE_VERSION);
            return 0;
        case 1:
            v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > CG_MAX_DAYS) {
                fprintf(stderr, "%s: --max-days must be 1 to %d\n", argv[0], CG_MAX_DAYS);
                return 2;
            }
            o->svc.max_days = (int)v;
            break;
        case 2:
            o->svc.fresh_ec = true;
            break;
        case 3:
            o->rotate_only = true;
            break;
        default:
            usage(stderr, argv[0]);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument %s\n", argv[0], argv[optind]);
        return 2;
    }
    if ((o->create_only || o->rotate_only) && !o->dir) {
        fprintf(stderr, "%s: -c and --rotate-keys need -s DIR\n", argv[0]);
        return 2;
    }
    return -1;
}

/* mkdir -p with mode 0700 for the last component; then checks that it is a writable dir. */
static int prepare_dir(const char *dir, char *err, size_t es)
{
    char path[4096];
    struct stat st;
    size_t n = strlen(dir);

    if (n == 0 || n >= sizeof(path)) {
        snprintf(err, es, "cache directory name is empty or too long");
        return -1;
    }
    memcpy(path, dir, n + 1);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            snprintf(err, es, "cannot create %s: %s", path, strerror(errno));
            return -1;
        }
        *p = '/';
    }
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        snprintf(err, es, "cannot create the cache directory %s: %s", dir, strerror(errno));
        return -1;
    }
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, es, "%s is not a directory", dir);
        return -1;
    }
    if (access(path, W_OK | X_OK) != 0) {
        snprintf(err, es, "cannot write into the cache directory %s (%s); check its owner: "
                 "helpers run as Squid's cache_effective_user", dir, strerror(errno));
        return -1;
    }
    return 0;
}

/* Opens keys and cache in dir; on failure, logs why and falls back to memory-only operation. */
static void open_store(const struct options *o, struct cg_keys *keys, struct cg_cache **cache)
{
    char err[512];

    *cache = NULL;
    if (o->dir && prepare_dir(o->dir, err, sizeof(err)) < 0) {
        si_error("%s; running WITHOUT the shared cache, with per-process leaf keys", err);
    } else if (o->dir && cg_keys_load(keys, o->dir, err, sizeof(err)) < 0) {
        si_error("%s; running WITHOUT the shared cache, with per-process leaf keys", err);
    } else if (o->dir) {
        if (!(*cache = cg_cache_open(o->dir, o->max_bytes, err, sizeof(err))))
            si_error("%s; running without the shared cache", err);
        return;
    }
    if (cg_keys_load(keys, NULL, err, sizeof(err)) < 0) {
        si_error("%s", err);
        exit(1); /* no key at all: nothing can be forged (not caused by input) */
    }
}

static int init_only(const struct options *o)
{
    struct cg_keys keys;
    struct cg_cache *cache;
    char err[512];

    if (prepare_dir(o->dir, err, sizeof(err)) < 0 ||
        (o->rotate_only ? cg_keys_rotate(o->dir, err, sizeof(err))
                        : cg_keys_load(&keys, o->dir, err, sizeof(err))) < 0) {
        fprintf(stderr, "inspect-certgen: %s\n", err);
        return 1;
    }
    if (o->rotate_only) {
        printf("inspect-certgen: new leaf keys in %s\n", o->dir);
        return 0;
    }
    cg_keys_free(&keys);
    if (!(cache = cg_cache_open(o->dir, o->max_bytes, err, sizeof(err)))) {
        fprintf(stderr, "inspect-certgen: %s\n", err);
        return 1;
    }
    cg_cache_close(cache);
    printf("inspect-certgen: %s is ready\n", o->dir);
    return 0;
}

static void serve(struct cg_service *svc)
{
    struct si_helper_reader *reader = si_helper_reader_new(0, SI_CRTD_BODY_MAX);
    struct si_helper_request req;
    enum si_read_status st;
    char err[512];
    bool ids_seen = false;

    if (!reader) {
        si_error("out of memory");
        return;
    }
    while ((st = si_helper_read(reader, &req, err, sizeof(err))) != SI_READ_EOF) {
        int wr = 0;

        ids_seen = ids_seen || req.has_id;
        if (st == SI_READ_BAD) {
            si_warn("bad request: %s", err);
            if (req.has_id || !ids_seen)
                wr = si_helper_reply(1, &req, "ERR", err, strlen(err));
        } else if (strcmp(req.code, "new_certificate") != 0) {
            snprintf(err, sizeof(err), "unknown request code (expected new_certificate)");
            si_warn("%s", err);
            wr = si_helper_reply(1, &req, "ERR", err, strlen(err));
        } else if (cg_service_handle(svc, req.body, req.body_len, time(NULL), err,
                                     sizeof(err)) < 0) {
            si_warn("request refused: %s", err);
            wr = si_helper_reply(1, &req, "ERR", err, strlen(err));
        } else {
            wr = si_helper_reply(1, &req, "OK", svc->reply, svc->reply_len);
        }
        si_debug("replied%s%s %s", req.has_id ? " id=" : "", req.has_id ? req.id : "",
                 st == SI_READ_OK && wr == 0 ? "(done)" : "(see above)");
        si_helper_request_clear(&req);
        if (wr < 0) {
            si_error("cannot write to Squid: %s", strerror(errno));
            break;
        }
    }
    si_helper_reader_free(reader);
}

int main(int argc, char **argv)
{
    struct options o;
    struct cg_keys keys;
    struct cg_cache *cache;
    struct cg_service svc;
    int rc = parse_options(argc, argv, &o);

    if (rc >= 0)
        return rc;
    si_log_init("inspect-certgen", o.debug ? SI_LOG_DEBUG : SI_LOG_INFO);
    signal(SIGPIPE, SIG_IGN);
    if (o.create_only || o.rotate_only)
        return init_only(&o);
    memset(&keys, 0, sizeof(keys));
    open_store(&o, &keys, &cache);
    cg_service_init(&svc, &o.svc, &keys, cache);
    si_info("started: cache=%s max-days=%d leaf-keys=%s", cache ? o.dir : "off",
            svc.opts.max_days, o.svc.fresh_ec ? "fresh P-256 per certificate" : "shared");
    serve(&svc);
    si_info("stopping: %lu hits, %lu misses", svc.hits, svc.misses);
    cg_service_free(&svc);
    return 0;
}
