/* crtd_request.c: parser of Squid's new_certificate request body (see crtd_request.h). */
#include "crtd_request.h"
#include "errbuf.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <pthread.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/provider.h>

#define SEEN_HOST 0x01
#define SEEN_CN 0x02
#define SEEN_AFTER 0x04
#define SEEN_BEFORE 0x08
#define SEEN_SIGN 0x10
#define SEEN_HASH 0x20

struct cursor {
    const char *p;
    const char *end;
};

const char *si_crtd_sign_name(enum si_crtd_sign sign)
{
    switch (sign) {
    case SI_CRTD_SIGN_UNTRUSTED:
        return "signUntrusted";
    case SI_CRTD_SIGN_SELF:
        return "signSelf";
    default:
        return "signTrusted";
    }
}

void si_crtd_request_clear(struct si_crtd_request *req)
{
    if (!req)
        return;
    X509_free(req->ca_cert);
    EVP_PKEY_free(req->ca_key);
    X509_free(req->origin);
    memset(req, 0, sizeof(*req));
}

/* True when [s, s+n) is printable ASCII without spaces (a host name or an IP literal). */
static bool host_chars_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] <= ' ' || s[i] >= 0x7f)
            return false;
    return true;
}

/* A CN may hold spaces and UTF-8, never control characters. */
static bool cn_chars_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < ' ' || s[i] == 0x7f)
            return false;
    return true;
}

static int set_host(struct si_crtd_request *req, const char *v, size_t n, char *err, size_t es)
{
    if (n >= 2 && v[0] == '[' && v[n - 1] == ']') {
        v++;
        n -= 2;
    }
    if (n == 0 || n > SI_CRTD_HOST_MAX || !host_chars_ok(v, n))
        return si_fail(err, es, "host= must be 1 to %d printable characters without spaces",
                    SI_CRTD_HOST_MAX);
    memcpy(req->host, v, n);
    req->host[n] = '\0';
    return 0;
}

static int set_sign(struct si_crtd_request *req, const char *v, size_t n, char *err, size_t es)
{
    static const struct {
        const char *name;
        enum si_crtd_sign sign;
    } modes[] = {{"signTrusted", SI_CRTD_SIGN_TRUSTED},
                 {"signUntrusted", SI_CRTD_SIGN_UNTRUSTED},
                 {"signSelf", SI_CRTD_SIGN_SELF}};

    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        if (strlen(modes[i].name) == n && memcmp(modes[i].name, v, n) == 0) {
            req->sign = modes[i].sign;
            return 0;
        }
    }
    return si_fail(err, es, "Sign= must be signTrusted, signUntrusted or signSelf");
}

static int set_hash(struct si_crtd_request *req, const char *v, size_t n, char *err, size_t es)
{
    if (n == 0 || n > SI_CRTD_HASH_MAX)
        return si_fail(err, es, "SignHash= must be 1 to %d characters", SI_CRTD_HASH_MAX);
    for (size_t i = 0; i < n; i++) {
        if (!isalnum((unsigned char)v[i]) && v[i] != '-' && v[i] != '_')
            return si_fail(err, es, "SignHash= holds a character a digest name cannot have");
        req->sign_hash[i] = (char)tolower((unsigned char)v[i]);
    }
    req->sign_hash[n] = '\0';
    if (!EVP_get_digestbyname(req->sign_hash))
        return si_fail(err, es, "SignHash=%s is not a digest OpenSSL knows", req->sign_hash);
    return 0;
}

static int set_flag(bool *flag, const char *key, const char *v, size_t n, char *err, size_t es)
{
    if (n != 2 || memcmp(v, "on", 2) != 0)
        return si_fail(err, es, "%s= must be \"on\"", key);
    *flag = true;
    return 0;
}

static int set_cn(struct si_crtd_request *req, const char *v, size_t n, char *err, size_t es)
{
    if (n == 0 || n > SI_CRTD_CN_MAX || !cn_chars_ok(v, n))
        return si_fail(err, es, "setCommonName= must be 1 to %d characters without control characters",
                    SI_CRTD_CN_MAX);
    memcpy(req->common_name, v, n);
    req->common_name[n] = '\0';
    req->has_common_name = true;
    return 0;
}

static int set_param(struct si_crtd_request *req, unsigned *seen, const char *line, size_t n,
                     char *err, size_t es)
{
    static const struct {
        const char *key;
        unsigned bit;
    } keys[] = {{"host", SEEN_HOST},         {"setCommonName", SEEN_CN},
                {"setValidAfter", SEEN_AFTER}, {"setValidBefore", SEEN_BEFORE},
                {"Sign", SEEN_SIGN},         {"SignHash", SEEN_HASH}};
    const char *eq = memchr(line, '=', n);
    size_t klen, vlen;
    const char *v;

    if (!eq)
        return si_fail(err, es, "a parameter line has no '=' and does not start a PEM block");
    klen = (size_t)(eq - line);
    v = eq + 1;
    vlen = n - klen - 1;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (strlen(keys[i].key) != klen || memcmp(keys[i].key, line, klen) != 0)
            continue;
        if (*seen & keys[i].bit)
            return si_fail(err, es, "parameter %s appears twice", keys[i].key);
        *seen |= keys[i].bit;
        switch (keys[i].bit) {
        case SEEN_HOST:
            return set_host(req, v, vlen, err, es);
        case SEEN_CN:
            return set_cn(req, v, vlen, err, es);
        case SEEN_AFTER:
            return set_flag(&req->set_valid_after, "setValidAfter", v, vlen, err, es);
        case SEEN_BEFORE:
            return set_flag(&req->set_valid_before, "setValidBefore", v, vlen, err, es);
        case SEEN_SIGN:
            return set_sign(req, v, vlen, err, es);
        default:
            return set_hash(req, v, vlen, err, es);
        }
    }
    return si_fail(err, es, "unknown parameter (key of %zu characters)", klen);
}

static bool starts_with(const struct cursor *c, const char *s)
{
    size_t n = strlen(s);

    return (size_t)(c->end - c->p) >= n && memcmp(c->p, s, n) == 0;
}

/* Reads the key=value lines up to the first line starting with "-----". */
static int parse_params(struct cursor *c, struct si_crtd_request *req, char *err, size_t es)
{
    unsigned seen = 0;

    while (c->p < c->end && !starts_with(c, "-----")) {
        const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
        size_t n;

        if (!nl)
            return si_fail(err, es, "the request ends inside the parameter lines (no PEM part)");
        n = (size_t)(nl - c->p);
        if (n && c->p[n - 1] == '\r')
            n--;
        if (memchr(c->p, '\0', n))
            return si_fail(err, es, "a parameter line contains a NUL byte");
        if (set_param(req, &seen, c->p, n, err, es) < 0)
            return -1;
        c->p = nl + 1;
    }
    if (!(seen & SEEN_HOST))
        return si_fail(err, es, "the request has no host= parameter");
    if (!(seen & SEEN_HASH))
        strcpy(req->sign_hash, "sha256");
    return 0;
}

/*
 * Cuts the PEM block at the cursor: "-----BEGIN <label>-----" ... "-----END <label>-----" and an
 * optional line end. label gets the label (for keys, which have several). Returns the block's
 * length, or 0 when the cursor does not hold a whole block.
 */
static size_t cut_block(struct cursor *c, char *label, size_t labelsize, const char **start)
{
    static const char begin[] = "-----BEGIN ";
    const char *lend, *endm;
    char endline[96];
    size_t llen;

    if (!starts_with(c, begin))
        return 0;
    lend = memchr(c->p + sizeof(begin) - 1, '-', (size_t)(c->end - c->p) - (sizeof(begin) - 1));
    if (!lend || lend - (c->p + sizeof(begin) - 1) >= (ptrdiff_t)labelsize)
        return 0;
    llen = (size_t)(lend - (c->p + sizeof(begin) - 1));
    memcpy(label, c->p + sizeof(begin) - 1, llen);
    label[llen] = '\0';
    snprintf(endline, sizeof(endline), "-----END %s-----", label);
    endm = memmem(c->p, (size_t)(c->end - c->p), endline, strlen(endline));
    if (!endm)
        return 0;
    *start = c->p;
    c->p = endm + strlen(endline);
    if (c->p < c->end && *c->p == '\r')
        c->p++;
    if (c->p < c->end && *c->p == '\n')
        c->p++;
    return (size_t)(c->p - *start);
}

static int no_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf, (void)size, (void)rwflag, (void)u;
    return -1; /* never prompt on a terminal: an encrypted key is an error */
}

static X509 *decode_cert(const char *pem, size_t n)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)n);
    X509 *x = bio ? PEM_read_bio_X509(bio, NULL, no_password, NULL) : NULL;

    BIO_free(bio);
    return x;
}

/*
 * The origin certificate's public key is never used (the forged certificate carries a leaf key
 * of its own), and decoding it is most of the cost of d2i_X509 in OpenSSL 3.0 (provider
 * decoders; milliseconds for RSA on a loaded machine). A library context holding only the
 * "null" provider has no key decoders: the certificate parses, its key stays undecoded.
 */
static OSSL_LIB_CTX *keyless_ctx;
static pthread_once_t keyless_once = PTHREAD_ONCE_INIT;

static void keyless_init(void)
{
    OSSL_LIB_CTX *ctx = OSSL_LIB_CTX_new();

    if (ctx && OSSL_PROVIDER_load(ctx, "null"))
        keyless_ctx = ctx;
    else
        OSSL_LIB_CTX_free(ctx);
}

static X509 *decode_origin(const char *pem, size_t n)
{
    BIO *bio;
    X509 *x;

    pthread_once(&keyless_once, keyless_init);
    if (!keyless_ctx)
        return decode_cert(pem, n);
    bio = BIO_new_mem_buf(pem, (int)n);
    x = X509_new_ex(keyless_ctx, NULL);
    if (!bio || !x || !PEM_read_bio_X509(bio, &x, no_password, NULL)) {
        X509_free(x);
        x = NULL;
    }
    BIO_free(bio);
    ERR_clear_error(); /* the undecodable key leaves errors behind */
    return x;
}

static EVP_PKEY *decode_key(const char *pem, size_t n)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)n);
    EVP_PKEY *k = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL) : NULL;

    BIO_free(bio);
    return k;
}

static int cut_cert(struct cursor *c, const char **pem, size_t *n, const char *what, char *err,
                    size_t es)
{
    char label[48];

    *n = cut_block(c, label, sizeof(label), pem);
    if (!*n)
        return si_fail(err, es, "the %s is not a complete PEM block", what);
    if (strcmp(label, "CERTIFICATE") != 0)
        return si_fail(err, es, "the %s PEM block is not a CERTIFICATE", what);
    return 0;
}

static int cut_key(struct cursor *c, char *err, size_t es)
{
    char label[48];
    const char *start;

    if (!cut_block(c, label, sizeof(label), &start))
        return si_fail(err, es, "the CA private key is not a complete PEM block");
    if (strcmp(label, "ENCRYPTED PRIVATE KEY") == 0)
        return si_fail(err, es, "the CA private key is encrypted; Squid sends it unencrypted");
    if (strcmp(label, "PRIVATE KEY") != 0 && strcmp(label, "RSA PRIVATE KEY") != 0 &&
        strcmp(label, "EC PRIVATE KEY") != 0)
        return si_fail(err, es, "the block after the CA certificate is not a private key");
    return 0;
}

static void skip_line_ends(struct cursor *c)
{
    while (c->p < c->end && (*c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int cut_pems(struct cursor *c, struct si_crtd_request *req, char *err, size_t es)
{
    if (c->p >= c->end)
        return si_fail(err, es, "the request has no CA certificate");
    if (cut_cert(c, &req->ca_pem, &req->ca_cert_pem_len, "CA certificate", err, es) < 0)
        return -1;
    if (cut_key(c, err, es) < 0)
        return -1;
    req->ca_pem_len = (size_t)(c->p - req->ca_pem);
    if (c->p < c->end && *c->p == ' ') {
        c->p++;
        if (cut_cert(c, &req->origin_pem, &req->origin_pem_len, "origin certificate", err, es) < 0)
            return -1;
    }
    skip_line_ends(c);
    if (c->p != c->end)
        return si_fail(err, es, "unexpected data after the last PEM block");
    return 0;
}

int si_crtd_split(const char *body, size_t len, struct si_crtd_request *req, char *err,
                  size_t errsize)
{
    struct cursor c = {body, body + len};

    memset(req, 0, sizeof(*req));
    if (!body || len == 0)
        return si_fail(err, errsize, "the request body is empty");
    if (len > SI_CRTD_BODY_MAX)
        return si_fail(err, errsize, "the request body is over %d bytes", SI_CRTD_BODY_MAX);
    if (parse_params(&c, req, err, errsize) < 0 || cut_pems(&c, req, err, errsize) < 0) {
        si_crtd_request_clear(req);
        return -1;
    }
    return 0;
}

int si_crtd_decode_ca(struct si_crtd_request *req, char *err, size_t errsize)
{
    bool fresh_pair = !req->ca_cert || !req->ca_key;

    if (!req->ca_pem)
        return si_fail(err, errsize, "the request was not split");
    if (!req->ca_cert && !(req->ca_cert = decode_cert(req->ca_pem, req->ca_cert_pem_len)))
        return si_fail(err, errsize, "the CA certificate PEM block does not decode as X.509");
    if (!req->ca_key &&
        !(req->ca_key = decode_key(req->ca_pem + req->ca_cert_pem_len,
                                   req->ca_pem_len - req->ca_cert_pem_len)))
        return si_fail(err, errsize, "the CA private key PEM block does not decode");
    if (fresh_pair && X509_check_private_key(req->ca_cert, req->ca_key) != 1)
        return si_fail(err, errsize, "the CA private key does not match the CA certificate");
    return 0;
}

int si_crtd_decode_origin(struct si_crtd_request *req, char *err, size_t errsize)
{
    if (req->origin_pem && !req->origin &&
        !(req->origin = decode_origin(req->origin_pem, req->origin_pem_len)))
        return si_fail(err, errsize, "the origin certificate PEM block does not decode as X.509");
    return 0;
}

int si_crtd_decode(struct si_crtd_request *req, char *err, size_t errsize)
{
    if (si_crtd_decode_ca(req, err, errsize) < 0)
        return -1;
    return si_crtd_decode_origin(req, err, errsize);
}

int si_crtd_parse(const char *body, size_t len, struct si_crtd_request *req, char *err,
                  size_t errsize)
{
    if (si_crtd_split(body, len, req, err, errsize) < 0)
        return -1;
    if (si_crtd_decode(req, err, errsize) < 0) {
        si_crtd_request_clear(req);
        return -1;
    }
    return 0;
}
