/* chain_complete.c: missing issuers from a file or AIA caIssuers (see chain_complete.h). */
#include "chain_complete.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include "fetch.h"
#include "log.h"
#include "ttlmap.h"

#define AIA_TTL_S 3600
#define MAX_URLS 4

struct oc_chain_completer {
    STACK_OF(X509) *file; /* the intermediates file, or empty */
    struct si_ttlmap *downloads; /* URL -> struct dl */
};

struct dl {
    STACK_OF(X509) *certs;
};

static void dl_drop(void *v)
{
    sk_X509_pop_free(((struct dl *)v)->certs, X509_free);
}

static int dl_hold(void *v)
{
    struct dl *d = v;

    return (d->certs = X509_chain_up_ref(d->certs)) ? 0 : -1;
}

static STACK_OF(X509) *pem_certs(BIO *b)
{
    STACK_OF(X509) *sk = sk_X509_new_null();
    X509 *c;

    while (sk && (c = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
        if (!sk_X509_push(sk, c))
            X509_free(c);
    }
    ERR_clear_error();
    if (sk && sk_X509_num(sk) == 0) {
        sk_X509_free(sk);
        sk = NULL;
    }
    return sk;
}

struct oc_chain_completer *oc_chain_completer_new(const char *intermediates_file, size_t max_entries,
                                            char *err, size_t errsize)
{
    static const struct si_ttlmap_type type = {sizeof(struct dl), dl_drop, dl_hold};
    struct oc_chain_completer *cc = calloc(1, sizeof(*cc));
    BIO *b = NULL;

    if (!cc || !(cc->downloads = si_ttlmap_new(max_entries / 16 + 1, &type))) {
        snprintf(err, errsize, "out of memory");
        goto fail;
    }
    if (!intermediates_file) {
        if (!(cc->file = sk_X509_new_null())) {
            snprintf(err, errsize, "out of memory");
            goto fail;
        }
        return cc;
    }
    if (!(b = BIO_new_file(intermediates_file, "r")) || !(cc->file = pem_certs(b))) {
        snprintf(err, errsize, "cannot read PEM certificates from the intermediates file %s",
                 intermediates_file);
        goto fail;
    }
    BIO_free(b);
    return cc;
fail:
    BIO_free(b);
    ERR_clear_error();
    oc_chain_completer_free(cc);
    return NULL;
}

void oc_chain_completer_free(struct oc_chain_completer *cc)
{
    if (!cc)
        return;
    sk_X509_pop_free(cc->file, X509_free);
    si_ttlmap_free(cc->downloads);
    free(cc);
}

/* Pushes the certificates of from that issued cert; returns how many. */
static int push_issuers(STACK_OF(X509) *from, X509 *cert, STACK_OF(X509) *out)
{
    int n = 0;

    for (int i = 0; from && i < sk_X509_num(from); i++) {
        X509 *c = sk_X509_value(from, i);

        if (X509_check_issued(c, cert) == X509_V_OK && X509_up_ref(c)) {
            if (sk_X509_push(out, c))
                n++;
            else
                X509_free(c);
        }
    }
    return n;
}

/* DER certificate, PKCS#7 certs-only bundle or PEM. */
static STACK_OF(X509) *parse_download(const unsigned char *buf, size_t len)
{
    const unsigned char *p = buf;
    STACK_OF(X509) *sk = NULL;
    X509 *c;
    PKCS7 *p7;
    BIO *b;

    if (len > 10 && memmem(buf, len, "-----BEGIN", 10)) {
        if ((b = BIO_new_mem_buf(buf, (int)len)))
            sk = pem_certs(b);
        BIO_free(b);
    } else if ((c = d2i_X509(NULL, &p, (long)len))) {
        if (!(sk = sk_X509_new_null()) || !sk_X509_push(sk, c))
            X509_free(c);
    } else if ((p = buf, p7 = d2i_PKCS7(NULL, &p, (long)len))) {
        if (PKCS7_type_is_signed(p7) && p7->d.sign && p7->d.sign->cert)
            sk = X509_chain_up_ref(p7->d.sign->cert);
        PKCS7_free(p7);
    }
    ERR_clear_error();
    return sk;
}

/* The http:// caIssuers URLs of cert (at most MAX_URLS, malloc'd); returns how many. */
static int ca_issuer_urls(X509 *cert, char *urls[MAX_URLS])
{
    AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(cert, NID_info_access, NULL, NULL);
    int n = 0;

    for (int i = 0; aia && i < sk_ACCESS_DESCRIPTION_num(aia) && n < MAX_URLS; i++) {
        ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);
        const ASN1_IA5STRING *s;

        if (OBJ_obj2nid(ad->method) != NID_ad_ca_issuers || ad->location->type != GEN_URI)
            continue;
        s = ad->location->d.uniformResourceIdentifier;
        if (ASN1_STRING_length(s) > 7 && !strncmp((const char *)ASN1_STRING_get0_data(s), "http://", 7) &&
            !memchr(ASN1_STRING_get0_data(s), '\0', (size_t)ASN1_STRING_length(s)) &&
            (urls[n] = strndup((const char *)ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s))))
            n++;
    }
    AUTHORITY_INFO_ACCESS_free(aia);
    ERR_clear_error();
    return n;
}

/* Downloads url into the cache (the caller leads its single flight). */
static void download(struct oc_chain_completer *cc, struct oc_rev_cache *cache, const char *url,
                     unsigned timeout_ms, size_t max_bytes, char *why, size_t whysize)
{
    unsigned char *body = NULL;
    size_t len = 0;
    char err[200];
    struct dl d = {0};
    enum oc_fetch_status st = oc_fetch_bytes(url, max_bytes, oc_fetch_now_ms() + timeout_ms, &body, &len,
                                       err, sizeof(err));

    if (st == FETCH_OK && !(d.certs = parse_download(body, len))) {
        snprintf(err, sizeof(err), "no certificate in the answer (%zu bytes)", len);
        st = FETCH_PROTOCOL;
    }
    free(body);
    oc_rev_cache_note(cache, url, st == FETCH_OK, time(NULL));
    if (st != FETCH_OK) {
        snprintf(why, whysize, "caIssuers %.100s: %.120s", url, err);
        return;
    }
    si_ttlmap_put(cc->downloads, url, strlen(url), &d, time(NULL) + AIA_TTL_S);
}

/* Issuers of cert from url: cache, backoff, or a download. */
static int from_url(struct oc_chain_completer *cc, struct oc_rev_cache *cache, const char *url, X509 *cert,
                    unsigned timeout_ms, size_t max_bytes, STACK_OF(X509) *out, char *why,
                    size_t whysize)
{
    struct dl d;
    time_t until;
    char fkey[2100];
    int n;

    if (!si_ttlmap_get(cc->downloads, url, strlen(url), time(NULL), &d)) {
        if (oc_rev_cache_down(cache, url, time(NULL), &until)) {
            snprintf(why, whysize, "caIssuers %.100s: failed recently, retried in %llds", url,
                     (long long)(until - time(NULL)));
            return 0;
        }
        snprintf(fkey, sizeof(fkey), "aia:%.2000s", url);
        if (oc_rev_cache_flight_begin(cache, fkey, oc_fetch_now_ms() + timeout_ms)) {
            download(cc, cache, url, timeout_ms, max_bytes, why, whysize);
            oc_rev_cache_flight_end(cache, fkey);
        }
        else
            snprintf(why, whysize, "caIssuers %.100s: a concurrent fetch of it gave nothing", url);
        if (!si_ttlmap_get(cc->downloads, url, strlen(url), time(NULL), &d))
            return 0;
    }
    n = push_issuers(d.certs, cert, out);
    dl_drop(&d);
    snprintf(why, whysize, n ? "issuer from caIssuers %.100s" : "caIssuers %.100s: not the issuer",
             url);
    return n;
}

int oc_chain_complete_issuers(struct oc_chain_completer *cc, struct oc_rev_cache *cache, X509 *cert,
                           unsigned timeout_ms, size_t max_bytes, STACK_OF(X509) *out,
                           char *why, size_t whysize)
{
    char *urls[MAX_URLS];
    int nurls, n = push_issuers(cc->file, cert, out);

    if (n) {
        snprintf(why, whysize, "issuer from the intermediates file");
        return n;
    }
    nurls = ca_issuer_urls(cert, urls);
    snprintf(why, whysize, "no issuer in the intermediates file and no http caIssuers URL");
    for (int i = 0; i < nurls; i++) {
        if (!n)
            n = from_url(cc, cache, urls[i], cert, timeout_ms, max_bytes, out, why, whysize);
        free(urls[i]);
    }
    return n;
}
