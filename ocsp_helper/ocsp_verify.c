/* ocsp_verify.c: judge OCSP responses and CRLs offline (see ocsp_verify.h). */
#include "ocsp_verify.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

const char *oc_rev_status_name(enum oc_rev_status st)
{
    switch (st) {
    case REV_GOOD: return "good";
    case REV_REVOKED: return "revoked";
    case REV_UNKNOWN: return "unknown";
    case REV_STALE: return "stale";
    case REV_INVALID: return "invalid";
    case REV_FAILED: return "failed";
    }
    return "?";
}

time_t oc_rev_asn1_time(const ASN1_TIME *t)
{
    struct tm tm;

    if (!t || !ASN1_TIME_to_tm(t, &tm))
        return 0;
    return timegm(&tm);
}

static void set_answer(struct oc_rev_answer *ans, enum oc_rev_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_answer(struct oc_rev_answer *ans, enum oc_rev_status st, const char *fmt, ...)
{
    va_list ap;

    ans->status = st;
    va_start(ap, fmt);
    vsnprintf(ans->why, sizeof(ans->why), fmt, ap);
    va_end(ap);
}

/* The last OpenSSL error as text (and clears the queue). */
static const char *ssl_reason(char *buf, size_t size)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;

    snprintf(buf, size, "%s", r ? r : "unknown error");
    ERR_clear_error();
    return buf;
}

static void fmt_time(char *buf, size_t size, time_t t)
{
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static time_t cap(time_t t, time_t now, unsigned max_s)
{
    return t > now + (time_t)max_s ? now + (time_t)max_s : t;
}

/* Checks thisUpdate/nextUpdate against now; true when current. */
static bool times_ok(time_t tu, time_t nu, time_t now, const struct oc_rev_limits *lim,
                     struct oc_rev_answer *ans, const char *what)
{
    char b[32];

    if (tu == 0) {
        set_answer(ans, REV_INVALID, "%s has no readable thisUpdate", what);
        return false;
    }
    if (tu > now + (time_t)lim->skew_s) {
        fmt_time(b, sizeof(b), tu);
        set_answer(ans, REV_STALE, "%s thisUpdate %s is in the future", what, b);
        return false;
    }
    if (nu && nu < now - (time_t)lim->skew_s) {
        fmt_time(b, sizeof(b), nu);
        set_answer(ans, REV_STALE, "%s expired at nextUpdate %s", what, b);
        return false;
    }
    if (!nu && tu < now - (time_t)lim->no_next_max_age_s) {
        fmt_time(b, sizeof(b), tu);
        set_answer(ans, REV_STALE, "%s without nextUpdate is too old (thisUpdate %s)", what, b);
        return false;
    }
    return true;
}

static void fill_status(struct oc_rev_answer *ans, int status, int reason, time_t revt, time_t now,
                        const struct oc_rev_limits *lim, const char *what)
{
    char b[32];

    ans->reason = reason;
    if (status == V_OCSP_CERTSTATUS_REVOKED) {
        ans->revoked_at = revt;
        fmt_time(b, sizeof(b), revt);
        set_answer(ans, REV_REVOKED, "%s: revoked (%s) %s", what,
                   reason >= 0 ? OCSP_crl_reason_str(reason) : "no reason given", b);
        ans->cache_until = now + (time_t)lim->cache_max_s;
        return;
    }
    if (status == V_OCSP_CERTSTATUS_GOOD)
        set_answer(ans, REV_GOOD, "%s: good", what);
    else
        set_answer(ans, REV_UNKNOWN, "%s: the responder does not know this certificate", what);
    ans->cache_until = ans->next_update ? cap(ans->next_update, now, lim->cache_max_s)
                                        : now + (time_t)lim->no_next_ttl_s;
}

void oc_rev_eval_ocsp(OCSP_RESPONSE *resp, OCSP_CERTID *id, OCSP_REQUEST *req,
                   STACK_OF(X509) *chain, X509_STORE *store, time_t now,
                   const struct oc_rev_limits *lim, struct oc_rev_answer *ans)
{
    ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;
    OCSP_BASICRESP *bs = NULL;
    int rstatus, status = -1, reason = -1;
    char buf[160];

    memset(ans, 0, sizeof(*ans));
    ans->reason = -1;
    if (!resp) {
        set_answer(ans, REV_INVALID, "OCSP: no decodable response");
        return;
    }
    rstatus = OCSP_response_status(resp);
    if (rstatus != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
        set_answer(ans, REV_FAILED, "OCSP: responder answered %s",
                   OCSP_response_status_str(rstatus));
        return;
    }
    if (!(bs = OCSP_response_get1_basic(resp))) {
        set_answer(ans, REV_INVALID, "OCSP: response is not a basic response");
        goto out;
    }
    if (req && OCSP_check_nonce(req, bs) == 0) {
        set_answer(ans, REV_INVALID, "OCSP: nonce in the response does not match the request");
        goto out;
    }
    if (OCSP_basic_verify(bs, chain, store, 0) <= 0) {
        set_answer(ans, REV_INVALID, "OCSP: response signature not trusted: %s",
                   ssl_reason(buf, sizeof(buf)));
        goto out;
    }
    if (!OCSP_resp_find_status(bs, id, &status, &reason, &rev, &thisupd, &nextupd)) {
        set_answer(ans, REV_INVALID, "OCSP: response does not cover this certificate");
        goto out;
    }
    ans->this_update = oc_rev_asn1_time(thisupd);
    ans->next_update = oc_rev_asn1_time(nextupd);
    if (!times_ok(ans->this_update, ans->next_update, now, lim, ans, "OCSP response"))
        goto out;
    fill_status(ans, status, reason, oc_rev_asn1_time(rev), now, lim, "OCSP");
out:
    OCSP_BASICRESP_free(bs);
    ERR_clear_error();
}

/* Lets the chain through expired/not-yet-valid certificates: Squid reports those itself. */
static int crl_verify_cb(int ok, X509_STORE_CTX *ctx)
{
    int e = X509_STORE_CTX_get_error(ctx);

    if (!ok && (e == X509_V_ERR_CERT_HAS_EXPIRED || e == X509_V_ERR_CERT_NOT_YET_VALID))
        return 1;
    return ok;
}

static void crl_revoked(X509_CRL *crl, X509 *cert, time_t now, const struct oc_rev_limits *lim,
                        struct oc_rev_answer *ans)
{
    X509_REVOKED *r = NULL;
    int reason = -1;

    if (X509_CRL_get0_by_cert(crl, &r, cert) == 1 && r) {
        ASN1_ENUMERATED *re = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, NULL, NULL);

        if (re) {
            reason = (int)ASN1_ENUMERATED_get(re);
            ASN1_ENUMERATED_free(re);
        }
        fill_status(ans, V_OCSP_CERTSTATUS_REVOKED, reason,
                    oc_rev_asn1_time(X509_REVOKED_get0_revocationDate(r)), now, lim, "CRL");
    } else {
        set_answer(ans, REV_REVOKED, "CRL: revoked");
        ans->cache_until = now + (time_t)lim->cache_max_s;
    }
}

void oc_rev_eval_crl(X509_CRL *crl, X509 *cert, STACK_OF(X509) *chain, X509_STORE *store, time_t now,
                  const struct oc_rev_limits *lim, struct oc_rev_answer *ans)
{
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
    int e;

    memset(ans, 0, sizeof(*ans));
    ans->reason = -1;
    if (!ctx || !crls || !crl || !X509_STORE_CTX_init(ctx, store, cert, chain) ||
        !sk_X509_CRL_push(crls, crl)) {
        set_answer(ans, REV_INVALID, crl ? "CRL: out of memory" : "CRL: no decodable CRL");
        goto out;
    }
    ans->this_update = oc_rev_asn1_time(X509_CRL_get0_lastUpdate(crl));
    ans->next_update = oc_rev_asn1_time(X509_CRL_get0_nextUpdate(crl));
    X509_STORE_CTX_set0_crls(ctx, crls);
    X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_CRL_CHECK);
    X509_STORE_CTX_set_time(ctx, 0, now);
    X509_STORE_CTX_set_verify_cb(ctx, crl_verify_cb);
    if (X509_verify_cert(ctx) == 1) {
        set_answer(ans, REV_GOOD, "CRL: not listed");
        ans->cache_until = ans->next_update ? cap(ans->next_update, now, lim->cache_max_s)
                                            : now + (time_t)lim->no_next_ttl_s;
        goto out;
    }
    e = X509_STORE_CTX_get_error(ctx);
    if (e == X509_V_ERR_CERT_REVOKED)
        crl_revoked(crl, cert, now, lim, ans);
    else if (e == X509_V_ERR_CRL_HAS_EXPIRED || e == X509_V_ERR_CRL_NOT_YET_VALID)
        set_answer(ans, REV_STALE, "CRL: %s", X509_verify_cert_error_string(e));
    else
        set_answer(ans, REV_INVALID, "CRL: %s", X509_verify_cert_error_string(e));
out:
    X509_STORE_CTX_free(ctx);
    sk_X509_CRL_free(crls);
    ERR_clear_error();
}

char *oc_rev_ocsp_url(X509 *cert)
{
    STACK_OF(OPENSSL_STRING) *urls = X509_get1_ocsp(cert);
    char *found = NULL;

    for (int i = 0; urls && i < sk_OPENSSL_STRING_num(urls) && !found; i++) {
        const char *u = sk_OPENSSL_STRING_value(urls, i);

        if (strncmp(u, "http://", 7) == 0)
            found = strdup(u);
    }
    X509_email_free(urls);
    return found;
}

static char *dp_http_uri(DIST_POINT *dp)
{
    if (!dp->distpoint || dp->distpoint->type != 0 || dp->CRLissuer)
        return NULL;
    for (int j = 0; j < sk_GENERAL_NAME_num(dp->distpoint->name.fullname); j++) {
        GENERAL_NAME *gn = sk_GENERAL_NAME_value(dp->distpoint->name.fullname, j);
        const unsigned char *s;

        if (gn->type != GEN_URI)
            continue;
        s = ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier);
        if (ASN1_STRING_length(gn->d.uniformResourceIdentifier) > 7 &&
            strncmp((const char *)s, "http://", 7) == 0 &&
            !memchr(s, '\0', (size_t)ASN1_STRING_length(gn->d.uniformResourceIdentifier)))
            return strndup((const char *)s, (size_t)ASN1_STRING_length(gn->d.uniformResourceIdentifier));
    }
    return NULL;
}

char *oc_rev_crl_url(X509 *cert)
{
    STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL);
    char *found = NULL;

    for (int i = 0; dps && i < sk_DIST_POINT_num(dps) && !found; i++)
        found = dp_http_uri(sk_DIST_POINT_value(dps, i));
    sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
    return found;
}

bool oc_rev_must_staple(X509 *cert)
{
    STACK_OF(ASN1_INTEGER) *feat = X509_get_ext_d2i(cert, NID_tlsfeature, NULL, NULL);
    bool staple = false;

    for (int i = 0; feat && i < sk_ASN1_INTEGER_num(feat); i++) {
        if (ASN1_INTEGER_get(sk_ASN1_INTEGER_value(feat, i)) == 5)
            staple = true;
    }
    sk_ASN1_INTEGER_pop_free(feat, ASN1_INTEGER_free);
    ERR_clear_error();
    return staple;
}
