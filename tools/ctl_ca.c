/* ctl_ca.c: `inspect-ctl ca init` (see ctl_ca.h). OpenSSL 3.0 APIs only, no shelling out. */
#include "ctl_ca.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define NC_MAX 4096

#ifndef SI_CONFDIR
#define SI_CONFDIR "/etc/squid-inspect" /* configure --with-confdir (tools/local.mk) */
#endif

void ctl_ca_opts_default(struct ctl_ca_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->dir = SI_CONFDIR;
    o->squid_user = "proxy";
    o->reader_group = "c-icap";
    o->common_name = "squid-inspect inspection CA";
    o->keytype = CTL_CA_KEY_EC_P256;
    o->rsa_bits = 3072;
    o->days = 1825;
    o->root_days = 3650;
}

static void ossl_err(char *err, size_t errsize, const char *what)
{
    unsigned long e = ERR_get_error();
    char buf[256] = "unknown OpenSSL error";

    if (e)
        ERR_error_string_n(e, buf, sizeof(buf));
    snprintf(err, errsize, "%s failed: %s", what, buf);
    ERR_clear_error();
}

static EVP_PKEY *make_key(const struct ctl_ca_opts *o)
{
    switch (o->keytype) {
    case CTL_CA_KEY_EC_P256:
        return EVP_EC_gen("P-256");
    case CTL_CA_KEY_EC_P384:
        return EVP_EC_gen("P-384");
    case CTL_CA_KEY_RSA:
        return EVP_RSA_gen((unsigned int)o->rsa_bits);
    }
    return NULL;
}

/* A CIDR ("10.0.0.0/8", "fd00::/8") as the "addr/mask" text X509V3 name constraints take. */
static int cidr_to_nc(const char *cidr, char *out, size_t outsize)
{
    char addr[INET6_ADDRSTRLEN], mtxt[INET6_ADDRSTRLEN];
    unsigned char a[16], m[16] = {0};
    const char *slash = strchr(cidr, '/');
    char *end;
    long bits;
    int af, len;

    if (!slash || (size_t)(slash - cidr) >= sizeof(addr))
        return -1;
    memcpy(addr, cidr, (size_t)(slash - cidr));
    addr[slash - cidr] = '\0';
    af = strchr(addr, ':') ? AF_INET6 : AF_INET;
    len = af == AF_INET6 ? 16 : 4;
    if (inet_pton(af, addr, a) != 1)
        return -1;
    errno = 0;
    bits = strtol(slash + 1, &end, 10);
    if (errno || *end || end == slash + 1 || bits < 0 || bits > len * 8)
        return -1;
    for (int i = 0; i < len; i++) {
        int b = (int)bits - i * 8;
        m[i] = b >= 8 ? 0xff : b <= 0 ? 0 : (unsigned char)(0xff << (8 - b));
        a[i] &= m[i];
    }
    if (!inet_ntop(af, a, addr, sizeof(addr)) || !inet_ntop(af, m, mtxt, sizeof(mtxt)))
        return -1;
    return snprintf(out, outsize, "%s/%s", addr, mtxt) < (int)outsize ? 0 : -1;
}

static bool dns_name_ok(const char *n)
{
    if (!*n || strlen(n) > 253)
        return false;
    for (const char *p = n; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '.'))
            return false;
    }
    return n[0] != '.' && n[strlen(n) - 1] != '.';
}

/* Builds "critical,excluded;DNS:x,excluded;IP:a/m" or "" when nothing is excluded. */
static int name_constraints(const struct ctl_ca_opts *o, char *nc, size_t ncsize, char *err,
                            size_t errsize)
{
    size_t used = 0;
    char ip[128];

    nc[0] = '\0';
    if (o->n_exclude_dns == 0 && o->n_exclude_ip == 0)
        return 0;
    used = (size_t)snprintf(nc, ncsize, "critical");
    for (size_t i = 0; i < o->n_exclude_dns; i++) {
        const char *d = o->exclude_dns[i][0] == '.' ? o->exclude_dns[i] + 1 : o->exclude_dns[i];
        if (!dns_name_ok(d)) {
            snprintf(err, errsize, "--exclude-domain '%s' is not a DNS name", o->exclude_dns[i]);
            return -1;
        }
        used += (size_t)snprintf(nc + used, used < ncsize ? ncsize - used : 0,
                                 ",excluded;DNS:%s", d);
    }
    for (size_t i = 0; i < o->n_exclude_ip; i++) {
        if (cidr_to_nc(o->exclude_ip[i], ip, sizeof(ip)) < 0) {
            snprintf(err, errsize, "--exclude-net '%s' is not a CIDR (e.g. 10.0.0.0/8)",
                     o->exclude_ip[i]);
            return -1;
        }
        used += (size_t)snprintf(nc + used, used < ncsize ? ncsize - used : 0,
                                 ",excluded;IP:%s", ip);
    }
    if (used >= ncsize) {
        snprintf(err, errsize, "too many name constraints");
        return -1;
    }
    return 0;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509_EXTENSION *ext;
    int ok;

    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext)
        return -1;
    ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : -1;
}

static int set_serial(X509 *cert)
{
    BIGNUM *bn = BN_new();
    int rc = -1;

    if (bn && BN_rand(bn, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) &&
        BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)))
        rc = 0;
    BN_free(bn);
    return rc;
}

static int set_subject(X509 *cert, const char *cn, const char *org)
{
    X509_NAME *name = X509_get_subject_name(cert);

    if (org && *org &&
        !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)org, -1, -1, 0))
        return -1;
    if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
                                    0))
        return -1;
    return 0;
}

/* One CA certificate: self-signed when issuer is NULL. */
static X509 *make_ca_cert(const struct ctl_ca_opts *o, const char *cn, int days, int pathlen,
                          EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, const char *nc)
{
    X509 *cert = X509_new();
    char bc[64];
    const EVP_MD *md = o->keytype == CTL_CA_KEY_EC_P384 ? EVP_sha384() : EVP_sha256();

    if (!cert)
        return NULL;
    snprintf(bc, sizeof(bc), "critical,CA:TRUE,pathlen:%d", pathlen);
    if (!X509_set_version(cert, 2) || set_serial(cert) < 0 ||
        !X509_gmtime_adj(X509_getm_notBefore(cert), -3600) ||
        !X509_time_adj_ex(X509_getm_notAfter(cert), days, 0, NULL) ||
        set_subject(cert, cn, o->organization) < 0 ||
        !X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer)
                                           : X509_get_subject_name(cert)) ||
        !X509_set_pubkey(cert, key) ||
        add_ext(cert, issuer ? issuer : cert, NID_basic_constraints, bc) < 0 ||
        add_ext(cert, issuer ? issuer : cert, NID_key_usage, "critical,keyCertSign,cRLSign") < 0 ||
        add_ext(cert, issuer ? issuer : cert, NID_subject_key_identifier, "hash") < 0 ||
        add_ext(cert, issuer ? issuer : cert, NID_authority_key_identifier, "keyid:always") < 0 ||
        (nc && *nc && add_ext(cert, issuer ? issuer : cert, NID_name_constraints, nc) < 0) ||
        !X509_sign(cert, issuer_key ? issuer_key : key, md)) {
        X509_free(cert);
        return NULL;
    }
    return cert;
}

/* Opens DIR/name for writing with `mode`, refusing to replace a file unless force. */
static FILE *open_out(const struct ctl_ca_opts *o, const char *name, mode_t mode, char *path,
                      size_t pathsize, char *err, size_t errsize)
{
    int fd;
    FILE *fp;

    if ((size_t)snprintf(path, pathsize, "%s/%s", o->dir, name) >= pathsize) {
        snprintf(err, errsize, "path too long: %s/%s", o->dir, name);
        return NULL;
    }
    if (o->force && unlink(path) < 0 && errno != ENOENT) {
        snprintf(err, errsize, "cannot replace %s: %s", path, strerror(errno));
        return NULL;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) {
        snprintf(err, errsize, "cannot create %s: %s%s", path, strerror(errno),
                 errno == EEXIST ? " (use --force to replace it)" : "");
        return NULL;
    }
    if (fchmod(fd, mode) < 0 || !(fp = fdopen(fd, "w"))) {
        snprintf(err, errsize, "cannot open %s: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    return fp;
}

static int close_out(FILE *fp, int ok, const char *path, char *err, size_t errsize)
{
    if (fclose(fp) != 0 || !ok) {
        if (ok)
            snprintf(err, errsize, "cannot write %s: %s", path, strerror(errno));
        else
            ossl_err(err, errsize, path);
        unlink(path);
        return -1;
    }
    return 0;
}

static int write_key(const struct ctl_ca_opts *o, const char *name, EVP_PKEY *key, char *err,
                     size_t errsize)
{
    char path[PATH_MAX];
    FILE *fp = open_out(o, name, 0600, path, sizeof(path), err, errsize);

    if (!fp)
        return -1;
    return close_out(fp, PEM_write_PKCS8PrivateKey(fp, key, NULL, NULL, 0, NULL, NULL), path, err,
                     errsize);
}

static int write_certs(const struct ctl_ca_opts *o, const char *name, X509 *a, X509 *b, char *err,
                       size_t errsize)
{
    char path[PATH_MAX];
    FILE *fp = open_out(o, name, 0644, path, sizeof(path), err, errsize);

    if (!fp)
        return -1;
    return close_out(fp, PEM_write_X509(fp, a) && (!b || PEM_write_X509(fp, b)), path, err,
                     errsize);
}

static void print_fingerprint(FILE *out, X509 *cert)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;

    if (!X509_digest(cert, EVP_sha256(), md, &len))
        return;
    for (unsigned int i = 0; i < len; i++)
        fprintf(out, "%02X%s", md[i], i + 1 < len ? ":" : "\n");
}

static void print_conf(const struct ctl_ca_opts *o, FILE *out, X509 *ca, X509 *root,
                       bool created)
{
    char dir[PATH_MAX];

    if (!realpath(o->dir, dir))
        snprintf(dir, sizeof(dir), "%s", o->dir);
    fprintf(out, "# Inspection CA created in %s (%s tier%s).\n", dir, o->two_tier ? "two" : "one",
            o->two_tier ? "s" : "");
    fprintf(out, "# Signing CA SHA-256 fingerprint: ");
    print_fingerprint(out, ca);
    if (root) {
        fprintf(out, "# Root CA SHA-256 fingerprint:    ");
        print_fingerprint(out, root);
        fprintf(out, "# Clients trust %s/root.pem. Move root.key offline now: it is only needed\n"
                     "# to issue the next signing CA.\n", dir);
    } else {
        fprintf(out, "# Clients trust %s/ca.pem (deploy it to their trust stores).\n", dir);
    }
    ctl_ca_set_owners(o, dir, created, out);
    fprintf(out, "# Edit your existing http_port line in squid.conf (Debian's has http_port 3128;\n"
                 "# keep your port) to read as follows; include the squid-inspect fragment before your\n"
                 "# first http_access line:\n");
    fprintf(out, "http_port 3128 ssl-bump tls-cert=%s/ca.pem tls-key=%s/ca.key "
                 "generate-host-certificates=on dynamic_cert_mem_cache_size=16MB\n", dir, dir);
}

static int check_opts(const struct ctl_ca_opts *o, char *err, size_t errsize)
{
    if (!o->dir || !*o->dir) {
        snprintf(err, errsize, "no output directory (--dir)");
        return -1;
    }
    if (!o->common_name || !*o->common_name || strlen(o->common_name) > 64) {
        snprintf(err, errsize, "the CA common name must be 1 to 64 characters");
        return -1;
    }
    if (o->days < 1 || o->days > 3650 || o->root_days < 1 || o->root_days > 7300) {
        snprintf(err, errsize, "validity out of range: --days 1..3650, --root-days 1..7300");
        return -1;
    }
    if (o->two_tier && o->root_days < o->days) {
        snprintf(err, errsize, "the root (--root-days) must outlive the signing CA (--days)");
        return -1;
    }
    if (o->keytype == CTL_CA_KEY_RSA && (o->rsa_bits < 2048 || o->rsa_bits > 8192)) {
        snprintf(err, errsize, "RSA keys must be 2048 to 8192 bits");
        return -1;
    }
    return 0;
}

int ctl_ca_create(const struct ctl_ca_opts *o, FILE *out, char *err, size_t errsize)
{
    EVP_PKEY *key = NULL, *root_key = NULL;
    X509 *ca = NULL, *root = NULL;
    char nc[NC_MAX], root_cn[96];
    int rc = -1;
    bool created;

    if (check_opts(o, err, errsize) < 0 || name_constraints(o, nc, sizeof(nc), err, errsize) < 0 ||
        ctl_ca_prepare_dir(o->dir, &created, err, errsize) < 0)
        return -1;
    if (!(key = make_key(o)) || (o->two_tier && !(root_key = make_key(o)))) {
        ossl_err(err, errsize, "key generation");
        goto out;
    }
    if (o->two_tier) {
        snprintf(root_cn, sizeof(root_cn), "%.64s Root", o->common_name);
        root = make_ca_cert(o, root_cn, o->root_days, 1, root_key, NULL, NULL, nc);
        if (!root) {
            ossl_err(err, errsize, "root certificate");
            goto out;
        }
    }
    ca = make_ca_cert(o, o->common_name, o->days, 0, key, root, root_key, nc);
    if (!ca) {
        ossl_err(err, errsize, "CA certificate");
        goto out;
    }
    if (root && (write_key(o, "root.key", root_key, err, errsize) < 0 ||
                 write_certs(o, "root.pem", root, NULL, err, errsize) < 0))
        goto out;
    if (write_key(o, "ca.key", key, err, errsize) < 0 ||
        write_certs(o, "ca.pem", ca, root, err, errsize) < 0)
        goto out;
    print_conf(o, out, ca, root, created);
    rc = 0;
out:
    X509_free(ca);
    X509_free(root);
    EVP_PKEY_free(key);
    EVP_PKEY_free(root_key);
    return rc;
}

static const char ca_usage[] =
    "usage: inspect-ctl ca init [--dir DIR] [--cn NAME] [--org ORG] [--key p256|p384|rsa]\n"
    "                           [--rsa-bits N] [--days N] [--two-tier] [--root-days N]\n"
    "                           [--exclude-domain NAME]... [--exclude-net CIDR]... [--force]\n"
    "                           [--squid-user USER] [--group GROUP]\n"
    "DIR defaults to " SI_CONFDIR " (created 0750 when missing); USER (proxy) owns ca.key,\n"
    "GROUP (c-icap, the group c-icap runs as) reads DIR and the policy.\n";

static int parse_key(struct ctl_ca_opts *o, const char *v)
{
    if (!strcmp(v, "p256") || !strcmp(v, "ec"))
        o->keytype = CTL_CA_KEY_EC_P256;
    else if (!strcmp(v, "p384"))
        o->keytype = CTL_CA_KEY_EC_P384;
    else if (!strcmp(v, "rsa"))
        o->keytype = CTL_CA_KEY_RSA;
    else
        return -1;
    return 0;
}

static int parse_int(const char *v, int *out)
{
    char *end;
    long n;

    errno = 0;
    n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < INT_MIN || n > INT_MAX)
        return -1;
    *out = (int)n;
    return 0;
}

static int parse_ca_opt(struct ctl_ca_opts *o, int c, const char *arg)
{
    switch (c) {
    case 'd': o->dir = arg; return 0;
    case 'n': o->common_name = arg; return 0;
    case 'o': o->organization = arg; return 0;
    case 'k': return parse_key(o, arg);
    case 'b': return parse_int(arg, &o->rsa_bits);
    case 'v': return parse_int(arg, &o->days);
    case 'r': return parse_int(arg, &o->root_days);
    case 't': o->two_tier = true; return 0;
    case 'f': o->force = true; return 0;
    case 'u': o->squid_user = arg; return 0;
    case 'g': o->reader_group = arg; return 0;
    case 'x':
        if (o->n_exclude_dns >= CTL_CA_MAX_EXCLUDES)
            return -1;
        o->exclude_dns[o->n_exclude_dns++] = arg;
        return 0;
    case 'i':
        if (o->n_exclude_ip >= CTL_CA_MAX_EXCLUDES)
            return -1;
        o->exclude_ip[o->n_exclude_ip++] = arg;
        return 0;
    }
    return -1;
}

int ctl_ca_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"dir", required_argument, NULL, 'd'},    {"cn", required_argument, NULL, 'n'},
        {"org", required_argument, NULL, 'o'},    {"key", required_argument, NULL, 'k'},
        {"rsa-bits", required_argument, NULL, 'b'}, {"days", required_argument, NULL, 'v'},
        {"root-days", required_argument, NULL, 'r'}, {"two-tier", no_argument, NULL, 't'},
        {"force", no_argument, NULL, 'f'},        {"exclude-domain", required_argument, NULL, 'x'},
        {"exclude-net", required_argument, NULL, 'i'}, {"help", no_argument, NULL, 'h'},
        {"squid-user", required_argument, NULL, 'u'}, {"group", required_argument, NULL, 'g'},
        {NULL, 0, NULL, 0},
    };
    struct ctl_ca_opts o;
    char err[512];
    int c;

    if (argc < 2 || strcmp(argv[1], "init") != 0) {
        fputs(ca_usage, stderr);
        return 2;
    }
    ctl_ca_opts_default(&o);
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "", longopts, NULL)) != -1) {
        if (c == 'h') {
            fputs(ca_usage, stdout);
            return 0;
        }
        if (c == '?' || parse_ca_opt(&o, c, optarg) < 0) {
            if (c != '?')
                fprintf(stderr, "inspect-ctl ca init: bad value for option: %s\n", optarg);
            fputs(ca_usage, stderr);
            return 2;
        }
    }
    if (optind != argc - 1) {
        fputs(ca_usage, stderr);
        return 2;
    }
    if (ctl_ca_create(&o, stdout, err, sizeof(err)) < 0) {
        fprintf(stderr, "inspect-ctl ca init: %s\n", err);
        return 1;
    }
    return 0;
}
