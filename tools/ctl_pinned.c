/*
 * ctl_pinned.c: `inspect-ctl pinned-report` (see ctl_pinned.h).
 *
 * A bumped connection is one CONNECT line with bump=bump. It counts as rejected by the client
 * when Squid logged the client-side TLS handshake as failed (err=ERR_SECURE_ACCEPT_FAIL/...,
 * the TLS alert decoded from TLS_LIB_ERR), or when the handshake completed but no request ever
 * followed on that connection (same client address and port; needs cport= in the log).
 */
#include "ctl_pinned.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_accesslog.h"

#define MAX_CLIENTS 5
#define N_REASONS 5

enum reason { R_UNKNOWN_CA, R_BAD_CERT, R_OTHER_ALERT, R_HANDSHAKE_ERR, R_SILENT };
static const char *const reason_names[N_REASONS] = {
    "alert-unknown-ca", "alert-bad-certificate", "other-tls-alert", "handshake-error",
    "closed-before-request",
};

struct name_stat {
    char *name;
    unsigned bumped, failed, reasons[N_REASONS];
    char *clients[MAX_CLIENTS];
    unsigned nclients, more_clients;
};

struct conn { /* a bumped connection waiting for its first request */
    char *key;
    size_t name_idx;
    char *client;
    bool used;
};

struct ctl_pinned {
    struct name_stat *names;
    size_t nnames, cap;
    struct conn *conns; /* open addressing on conn key */
    size_t conn_cap, nconns;
    unsigned long lines, parsed, native, bumped;
};

struct ctl_pinned *ctl_pinned_new(void)
{
    struct ctl_pinned *p = calloc(1, sizeof(*p));

    if (p) {
        p->conn_cap = 1024;
        p->conns = calloc(p->conn_cap, sizeof(*p->conns));
        if (!p->conns) {
            free(p);
            return NULL;
        }
    }
    return p;
}

void ctl_pinned_free(struct ctl_pinned *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nnames; i++) {
        free(p->names[i].name);
        for (unsigned c = 0; c < p->names[i].nclients; c++)
            free(p->names[i].clients[c]);
    }
    for (size_t i = 0; i < p->conn_cap; i++) {
        free(p->conns[i].key);
        free(p->conns[i].client);
    }
    free(p->conns);
    free(p->names);
    free(p);
}

static size_t hash(const char *s)
{
    size_t h = 1469598103934665603ULL;

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Linear search is fine for names: reports cover thousands, not millions, of bumped names. */
static struct name_stat *name_get(struct ctl_pinned *p, const char *name, size_t *idx)
{
    for (size_t i = 0; i < p->nnames; i++) {
        if (!strcmp(p->names[i].name, name)) {
            *idx = i;
            return &p->names[i];
        }
    }
    if (p->nnames == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        struct name_stat *n = realloc(p->names, cap * sizeof(*n));
        if (!n)
            return NULL;
        p->names = n;
        p->cap = cap;
    }
    memset(&p->names[p->nnames], 0, sizeof(p->names[0]));
    if (!(p->names[p->nnames].name = strdup(name)))
        return NULL;
    *idx = p->nnames;
    return &p->names[p->nnames++];
}

static void add_client(struct name_stat *s, const char *client)
{
    for (unsigned i = 0; i < s->nclients; i++) {
        if (!strcmp(s->clients[i], client))
            return;
    }
    if (s->nclients < MAX_CLIENTS && (s->clients[s->nclients] = strdup(client)))
        s->nclients++;
    else
        s->more_clients++; /* approximate: counts repeats of clients beyond the first five */
}

static void fail(struct ctl_pinned *p, size_t idx, enum reason r, const char *client)
{
    struct name_stat *s = &p->names[idx];

    s->failed++;
    s->reasons[r]++;
    add_client(s, client);
}

static struct conn *conn_slot(struct ctl_pinned *p, const char *key)
{
    size_t i = hash(key) % p->conn_cap;

    while (p->conns[i].used && strcmp(p->conns[i].key, key) != 0)
        i = (i + 1) % p->conn_cap;
    return &p->conns[i];
}

/* A connection whose handshake completed and no request followed: the client walked away. */
static void conn_close(struct ctl_pinned *p, struct conn *c)
{
    fail(p, c->name_idx, R_SILENT, c->client);
    free(c->client);
    c->client = NULL;
}

static void conn_grow(struct ctl_pinned *p)
{
    struct conn *old = p->conns;
    size_t oldcap = p->conn_cap;
    struct conn *n = calloc(oldcap * 2, sizeof(*n));

    if (!n)
        return;
    p->conns = n;
    p->conn_cap = oldcap * 2;
    for (size_t i = 0; i < oldcap; i++) {
        if (old[i].used)
            *conn_slot(p, old[i].key) = old[i];
    }
    free(old);
}

static enum reason classify(const char *err)
{
    const char *lib = strstr(err, "TLS_LIB_ERR=");

    if (lib) {
        unsigned long code = strtoul(lib + 12, NULL, 16) & 0xfff;
        if (code == 1048) /* SSL_R_TLSV1_ALERT_UNKNOWN_CA */
            return R_UNKNOWN_CA;
        if (code == 1042 || code == 1043 || code == 1046) /* bad/unsupported/unknown cert */
            return R_BAD_CERT;
        if (code >= 1000 && code < 1200)
            return R_OTHER_ALERT;
    }
    return R_HANDSHAKE_ERR;
}

static void track_conn(struct ctl_pinned *p, const struct ctl_logrec *r, size_t idx)
{
    char key[160];
    struct conn *c;

    snprintf(key, sizeof(key), "%s|%s", r->client, r->cport);
    if (p->nconns * 2 >= p->conn_cap)
        conn_grow(p);
    c = conn_slot(p, key);
    if (c->used && c->client) /* port reused: the earlier connection never sent a request */
        conn_close(p, c);
    if (!c->used) {
        if (!(c->key = strdup(key)))
            return;
        c->used = true;
        p->nconns++;
    }
    free(c->client);
    c->client = strdup(r->client);
    c->name_idx = idx;
}

static void saw_request(struct ctl_pinned *p, const struct ctl_logrec *r)
{
    char key[160];
    struct conn *c;

    snprintf(key, sizeof(key), "%s|%s", r->client, r->cport);
    c = conn_slot(p, key);
    if (c->used && c->client) {
        free(c->client);
        c->client = NULL; /* the connection carried a request: the client accepted our cert */
    }
}

void ctl_pinned_add_line(struct ctl_pinned *p, const char *line)
{
    struct ctl_logrec *r = malloc(sizeof(*r));
    char hostbuf[256];
    const char *name;
    struct name_stat *s;
    size_t idx;

    p->lines++;
    if (!r || !ctl_log_parse(line, r))
        goto out;
    if (r->native) { /* Squid's own format: no bump mode to tell a bumped connection by */
        p->native++;
        goto out;
    }
    p->parsed++;
    if (strcmp(r->method, "CONNECT") != 0) {
        /* "- error:transaction-end-before-headers": the client left without a request */
        if (r->cport && strcmp(r->method, "-") != 0)
            saw_request(p, r);
        goto out;
    }
    if (!r->bump || strcmp(r->bump, "bump") != 0 || !(name = ctl_log_server_name(r, hostbuf, sizeof(hostbuf))))
        goto out;
    if (!(s = name_get(p, name, &idx)))
        goto out;
    s->bumped++;
    p->bumped++;
    if (r->err && !strncmp(r->err, "ERR_SECURE_ACCEPT_FAIL", 22))
        fail(p, idx, classify(r->err), r->client);
    else if (r->cport && !r->err)
        track_conn(p, r, idx);
out:
    free(r);
}

static int by_failures(const void *a, const void *b)
{
    const struct name_stat *x = a, *y = b;

    if (x->failed != y->failed)
        return x->failed < y->failed ? 1 : -1;
    return strcmp(x->name, y->name);
}

static void print_rule(FILE *out, const char *name)
{
    fprintf(out, "    proposed rule (review it; nothing was changed):\n"
                 "    <rule id=\"pinned-");
    for (const char *c = name; *c; c++)
        fputc((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' ? *c : '-', out);
    fprintf(out, "\" action=\"bypass\" verify-name=\"true\"><server-name>%s</server-name></rule>\n",
            name);
}

size_t ctl_pinned_print(struct ctl_pinned *p, FILE *out, unsigned min_failures, double min_ratio)
{
    size_t shown = 0;

    for (size_t i = 0; i < p->conn_cap; i++) {
        if (p->conns[i].used && p->conns[i].client)
            conn_close(p, &p->conns[i]);
    }
    if (p->nnames)
        qsort(p->names, p->nnames, sizeof(*p->names), by_failures);
    fprintf(out, "# pinned-report: %lu lines, %lu in the inspect format, %lu bumped connections "
                 "to %zu server names\n", p->lines, p->parsed, p->bumped, p->nnames);
    ctl_log_native_note(out, "pinned-report", p->native);
    for (size_t i = 0; i < p->nnames; i++) {
        struct name_stat *s = &p->names[i];
        double ratio = s->bumped ? (double)s->failed / s->bumped : 0;
        if (s->failed < min_failures || ratio < min_ratio)
            continue;
        fprintf(out, "%s bumped=%u rejected=%u (%.0f%%) reasons:", s->name, s->bumped, s->failed,
                ratio * 100);
        for (int r = 0; r < N_REASONS; r++) {
            if (s->reasons[r])
                fprintf(out, " %s=%u", reason_names[r], s->reasons[r]);
        }
        fprintf(out, " clients:");
        for (unsigned c = 0; c < s->nclients; c++)
            fprintf(out, " %s", s->clients[c]);
        if (s->more_clients)
            fprintf(out, " (+%u failures from other clients)", s->more_clients);
        fputc('\n', out);
        print_rule(out, s->name);
        shown++;
    }
    if (!shown)
        fprintf(out, "# no server name reached %u rejected handshakes and %.0f%% of its bumped "
                     "connections\n", min_failures, min_ratio * 100);
    return shown;
}

static const char pinned_usage[] =
    "usage: inspect-ctl pinned-report [--min-failures N] [--min-ratio R] ACCESS_LOG...\n"
    "  Server names whose bumped connections the clients reject right after the TLS\n"
    "  handshake (pinned applications, updaters), with a bypass rule to review.\n"
    "  --min-failures N  report names with at least N rejected handshakes (default 3)\n"
    "  --min-ratio R     ... making up at least R of their bumped connections (default 0.5)\n"
    "  ACCESS_LOG may be - for standard input.\n";

static int feed_file(struct ctl_pinned *p, const char *path)
{
    FILE *fp = strcmp(path, "-") ? fopen(path, "r") : stdin;
    char *line = NULL;
    size_t cap = 0;

    if (!fp) {
        fprintf(stderr, "inspect-ctl pinned-report: cannot open %s\n", path);
        return -1;
    }
    while (getline(&line, &cap, fp) > 0)
        ctl_pinned_add_line(p, line);
    free(line);
    if (fp != stdin)
        fclose(fp);
    return 0;
}

int ctl_pinned_main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"min-failures", required_argument, NULL, 'f'},
        {"min-ratio", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    unsigned min_failures = 3;
    double min_ratio = 0.5;
    struct ctl_pinned *p;
    char *end;
    int c, rc = 0;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'f':
            min_failures = (unsigned)strtoul(optarg, &end, 10);
            if (*end || !*optarg)
                goto usage;
            break;
        case 'r':
            min_ratio = strtod(optarg, &end);
            if (*end || !*optarg || min_ratio < 0 || min_ratio > 1)
                goto usage;
            break;
        case 'h':
            fputs(pinned_usage, stdout);
            return 0;
        default:
            goto usage;
        }
    }
    if (optind >= argc)
        goto usage;
    if (!(p = ctl_pinned_new())) {
        fprintf(stderr, "inspect-ctl pinned-report: out of memory\n");
        return 1;
    }
    for (int i = optind; i < argc; i++) {
        if (feed_file(p, argv[i]) < 0)
            rc = 1;
    }
    ctl_pinned_print(p, stdout, min_failures, min_ratio);
    ctl_pinned_free(p);
    return rc;
usage:
    fputs(pinned_usage, stderr);
    return 2;
}
