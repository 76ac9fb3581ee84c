/* revocation.c: OCSP then CRL for one certificate, with caches and backoff (see revocation.h). */
#include "revocation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>

#include "fetch.h"

#define FAILURE_TTL 600 /* per-CertID cache of unusable OCSP answers */

const char *oc_rev_source_name(enum oc_rev_source src)
{
    switch (src) {
    case SRC_OCSP: return "ocsp";
    case SRC_CRL: return "crl";
    case SRC_CACHE: return "cache";
    case SRC_NONE: break;
    }
    return "none";
}

void oc_rev_limits_from(const struct oc_settings *s, struct oc_rev_limits *lim)
{
    lim->skew_s = s->skew_s;
    lim->no_next_max_age_s = s->no_next_max_age_s;
    lim->no_next_ttl_s = s->no_next_ttl_s;
    lim->cache_max_s = s->cache_max_s;
}

/* A cached answer must still be current at now. */
static bool still_fresh(const struct oc_rev_answer *a, time_t now, const struct oc_rev_limits *lim)
{
    if (a->status == REV_REVOKED)
        return true;
    if (a->next_update && a->next_update < now - (time_t)lim->skew_s)
        return false;
    if (!a->next_update && a->this_update &&
        a->this_update < now - (time_t)lim->no_next_max_age_s)
        return false;
    return true;
}

struct attempt {
    struct oc_rev_answer ans;
    enum oc_rev_source source;
    bool tried;
};

/* Fetches a fresh OCSP answer for id from url. */
static void ocsp_fetch(struct oc_rev_cache *cache, const struct oc_settings *s,
                       unsigned timeout_ms, const char *url, OCSP_CERTID *id, STACK_OF(X509) *above, X509_STORE *store,
                       const struct oc_rev_limits *lim, struct attempt *at)
{
    OCSP_REQUEST *req = OCSP_REQUEST_new();
    OCSP_CERTID *idc = OCSP_CERTID_dup(id);
    OCSP_RESPONSE *resp = NULL;
    char hostport[300], err[256];
    enum oc_fetch_status fs;
    time_t now = time(NULL);

    oc_fetch_url_hostport(url, hostport, sizeof(hostport));
    if (!req || !idc || !OCSP_request_add0_id(req, idc)) {
        OCSP_CERTID_free(idc);
        idc = NULL;
    }
    if (!idc || (s->nonce && !OCSP_request_add1_nonce(req, NULL, -1))) {
        snprintf(at->ans.why, sizeof(at->ans.why), "OCSP: cannot build the request");
        at->ans.status = REV_FAILED;
        goto out;
    }
    fs = oc_fetch_asn1(url, ASN1_ITEM_rptr(OCSP_REQUEST), (ASN1_VALUE *)req,
                    "application/ocsp-request", "application/ocsp-response",
                    ASN1_ITEM_rptr(OCSP_RESPONSE), s->ocsp_max_bytes,
                    oc_fetch_now_ms() + timeout_ms, (ASN1_VALUE **)&resp, err, sizeof(err));
    at->source = SRC_OCSP;
    if (fs != FETCH_OK) {
        at->ans.status = REV_FAILED;
        snprintf(at->ans.why, sizeof(at->ans.why), "OCSP %.80s: %.100s", hostport, err);
        oc_rev_cache_note(cache, hostport, false, now);
        goto out;
    }
    oc_rev_eval_ocsp(resp, id, s->nonce ? req : NULL, above, store, time(NULL), lim, &at->ans);
    oc_rev_cache_note(cache, hostport, at->ans.status != REV_FAILED, now);
out:
    OCSP_RESPONSE_free(resp);
    OCSP_REQUEST_free(req);
    ERR_clear_error();
}

/* A cached OCSP answer still usable at now. */
static bool ocsp_cached(struct oc_rev_cache *cache, const unsigned char *key, size_t keylen,
                        const struct oc_rev_limits *lim, struct attempt *at)
{
    time_t now = time(NULL);

    if (oc_rev_cache_answer_get(cache, key, keylen, now, &at->ans) &&
        ((at->ans.status != REV_GOOD && at->ans.status != REV_UNKNOWN) ||
         still_fresh(&at->ans, now, lim))) {
        at->source = SRC_CACHE;
        return true;
    }
    return false;
}

/* True (and at filled) when name failed recently and is in backoff. */
static bool in_backoff(struct oc_rev_cache *cache, const char *what, const char *name,
                       struct attempt *at)
{
    time_t now = time(NULL), until;

    if (!oc_rev_cache_down(cache, name, now, &until))
        return false;
    at->ans.status = REV_FAILED;
    snprintf(at->ans.why, sizeof(at->ans.why), "%s %.100s: failed recently, retried in %lds",
             what, name, (long)(until - now));
    at->source = SRC_CACHE;
    return true;
}

/* The concurrent query this request waited for gave nothing usable before the deadline. */
static void waited_in_vain(struct attempt *at, const char *what, const char *name)
{
    at->ans.status = REV_FAILED;
    at->source = what[0] == 'O' ? SRC_OCSP : SRC_CRL;
    snprintf(at->ans.why, sizeof(at->ans.why), "%s %.60s: no answer within the deadline "
             "(a concurrent query for the same certificate was still running)", what, name);
}

/* "ocsp:" and the hex of the CertID DER, the single-flight key. */
static void flight_key(const char *prefix, const unsigned char *der, size_t n, char *out,
                       size_t size)
{
    size_t o = (size_t)snprintf(out, size, "%s", prefix);

    for (size_t i = 0; i < n && o + 3 < size; i++, o += 2)
        snprintf(out + o, size - o, "%02x", der[i]);
}

static void try_ocsp(struct oc_rev_cache *cache, const struct oc_settings *s,
                     unsigned timeout_ms, const char *url, X509 *cert, STACK_OF(X509) *above, X509_STORE *store,
                     const struct oc_rev_limits *lim, struct attempt *at)
{
    OCSP_CERTID *id = OCSP_cert_to_id(NULL, cert, sk_X509_value(above, 0));
    unsigned char *key = NULL;
    int keylen = id ? i2d_OCSP_CERTID(id, &key) : -1;
    char hostport[300] = "", fkey[600];
    bool lead;

    at->tried = true;
    if (keylen <= 0) {
        at->ans.status = REV_FAILED;
        snprintf(at->ans.why, sizeof(at->ans.why), "OCSP: cannot compute the CertID");
        goto out;
    }
    oc_fetch_url_hostport(url, hostport, sizeof(hostport));
    if (ocsp_cached(cache, key, (size_t)keylen, lim, at) || in_backoff(cache, "OCSP", hostport, at))
        goto out;
    flight_key("ocsp:", key, (size_t)keylen, fkey, sizeof(fkey));
    lead = oc_rev_cache_flight_begin(cache, fkey, oc_fetch_now_ms() + timeout_ms);
    if (!lead) { /* waited for another thread's query of the same CertID: never query twice */
        if (!ocsp_cached(cache, key, (size_t)keylen, lim, at) &&
            !in_backoff(cache, "OCSP", hostport, at))
            waited_in_vain(at, "OCSP", hostport);
        goto out;
    }
    ocsp_fetch(cache, s, timeout_ms, url, id, above, store, lim, at);
    if (at->ans.status == REV_INVALID || at->ans.status == REV_STALE)
        at->ans.cache_until = time(NULL) + FAILURE_TTL;
    if (at->ans.status != REV_FAILED)
        oc_rev_cache_answer_put(cache, key, (size_t)keylen, &at->ans);
    oc_rev_cache_flight_end(cache, fkey);
out:
    OPENSSL_free(key);
    OCSP_CERTID_free(id);
}

static X509_CRL *crl_download(struct oc_rev_cache *cache, const struct oc_settings *s,
                              const char *url, struct attempt *at)
{
    X509_CRL *crl = NULL;
    char err[256];
    enum oc_fetch_status fs;

    fs = oc_fetch_asn1(url, NULL, NULL, NULL, NULL, ASN1_ITEM_rptr(X509_CRL), s->crl_max_bytes,
                    oc_fetch_now_ms() + s->crl_timeout_ms, (ASN1_VALUE **)&crl, err, sizeof(err));
    at->source = SRC_CRL;
    if (fs != FETCH_OK) {
        at->ans.status = REV_FAILED;
        snprintf(at->ans.why, sizeof(at->ans.why), "CRL %.80s: %.100s", url, err);
        oc_rev_cache_note(cache, url, false, time(NULL));
        return NULL;
    }
    oc_rev_cache_note(cache, url, true, time(NULL));
    return crl;
}

/* Judges cert against the cached CRL of url; true when that gave an answer. */
static bool crl_cached(struct oc_rev_cache *cache, const char *url, X509 *cert, STACK_OF(X509) *above,
                       X509_STORE *store, const struct oc_rev_limits *lim, struct attempt *at)
{
    time_t now = time(NULL);
    X509_CRL *crl = oc_rev_cache_crl_get(cache, url, now);

    if (!crl)
        return false;
    oc_rev_eval_crl(crl, cert, above, store, now, lim, &at->ans);
    X509_CRL_free(crl);
    at->source = SRC_CACHE;
    /* anything else: gone stale since, or not this cert's CRL; fetch again */
    return at->ans.status == REV_GOOD || at->ans.status == REV_REVOKED;
}

static void try_crl(struct oc_rev_cache *cache, const struct oc_settings *s, const char *url,
                    X509 *cert, STACK_OF(X509) *above, X509_STORE *store,
                    const struct oc_rev_limits *lim, struct attempt *at)
{
    X509_CRL *crl = NULL;
    char fkey[2100];
    bool lead;

    at->tried = true;
    if (crl_cached(cache, url, cert, above, store, lim, at) || in_backoff(cache, "CRL", url, at))
        return;
    snprintf(fkey, sizeof(fkey), "crl:%.2000s", url);
    lead = oc_rev_cache_flight_begin(cache, fkey, oc_fetch_now_ms() + s->crl_timeout_ms);
    if (!lead) {
        if (!crl_cached(cache, url, cert, above, store, lim, at) && !in_backoff(cache, "CRL", url, at))
            waited_in_vain(at, "CRL", url);
        return;
    }
    if ((crl = crl_download(cache, s, url, at))) {
        oc_rev_eval_crl(crl, cert, above, store, time(NULL), lim, &at->ans);
        if (at->ans.status == REV_GOOD || at->ans.status == REV_REVOKED)
            oc_rev_cache_crl_put(cache, url, crl,
                              at->ans.next_update ? at->ans.next_update
                                                  : time(NULL) + (time_t)s->no_next_ttl_s);
    }
    oc_rev_cache_flight_end(cache, fkey);
    X509_CRL_free(crl);
}

/* Combines the OCSP and CRL attempts into res. */
static void combine(const struct attempt *o, const struct attempt *c, struct oc_rev_result *res)
{
    const struct attempt *d = o->tried ? o : c; /* decisive when nothing conclusive */

    if (c->tried && c->ans.status == REV_GOOD)
        d = c;
    if (o->tried && o->ans.status == REV_GOOD)
        d = o;
    if (c->tried && c->ans.status == REV_REVOKED)
        d = c;
    if (o->tried && o->ans.status == REV_REVOKED)
        d = o;
    res->status = d->ans.status;
    res->source = d->source;
    res->from_crl = d == c;
    if (o->tried && c->tried && d == c)
        snprintf(res->why, sizeof(res->why), "%s; %s", c->ans.why, o->ans.why);
    else if (o->tried && c->tried)
        snprintf(res->why, sizeof(res->why), "%s; %s", o->ans.why, c->ans.why);
    else
        snprintf(res->why, sizeof(res->why), "%s", d->ans.why);
}

void oc_rev_check(struct oc_rev_cache *cache, const struct oc_settings *s,
               const struct si_validation_settings *vs, X509 *cert, STACK_OF(X509) *above,
               X509_STORE *store, struct oc_rev_result *res)
{
    struct attempt o = {.ans.status = REV_FAILED}, c = {.ans.status = REV_FAILED};
    char *ocsp_url = oc_rev_ocsp_url(cert);
    char *crl_url = vs->crl != SI_CRL_OFF ? oc_rev_crl_url(cert) : NULL;
    struct oc_rev_limits lim;

    memset(res, 0, sizeof(*res));
    oc_rev_limits_from(s, &lim);
    if (sk_X509_num(above) < 1) {
        res->status = REV_FAILED;
        snprintf(res->why, sizeof(res->why), "no issuer to check revocation against");
        goto out;
    }
    if (ocsp_url)
        try_ocsp(cache, s, vs->ocsp_timeout_ms, ocsp_url, cert, above, store, &lim, &o);
    if (crl_url && o.ans.status != REV_REVOKED &&
        (vs->crl == SI_CRL_ALWAYS || o.ans.status != REV_GOOD))
        try_crl(cache, s, crl_url, cert, above, store, &lim, &c);
    if (!o.tried && !c.tried) {
        res->status = REV_FAILED;
        res->no_pointer = true;
        snprintf(res->why, sizeof(res->why), "no http OCSP responder%s",
                 vs->crl != SI_CRL_OFF ? " and no http CRL distribution point" : " (CRL off)");
        goto out;
    }
    combine(&o, &c, res);
out:
    free(ocsp_url);
    free(crl_url);
}
