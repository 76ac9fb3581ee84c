/* validate.c: a cert_validate request to a verdict (see validate.h). */
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "chain_complete.h"
#include "cli_policy.h"
#include "fetch.h"
#include "log.h"
#include "revocation.h"

struct vctx {
    struct si_crtvd_request req;
    X509 *certs[SI_CRTVD_MAX_CERTS];
    STACK_OF(X509) *untrusted; /* certs[1..] as sent, then issuers found by chain_complete */
    STACK_OF(X509) *found;     /* owned: the issuers chain_complete found */
    STACK_OF(X509) *chain;     /* verified: leaf first */
    X509_STORE *tmpstore;      /* owned: anchor from Squid's chain, or a chain cache hit's */
    bool chain_cached;         /* chain and store came from the chain cache */
    X509_STORE *store;         /* the store the chain verified against */
    enum si_revocation mode;
    struct si_validation_settings vs; /* the policy's settings for this server name */
    char eff_source[128];     /* where they came from, for the log line */
    bool staple;
    const char *result; /* word for the log line */
    bool rev_reported;  /* a revocation state error is in the reply (one at most) */
    enum oc_rev_source source;
    char reason[480];
};

X509_STORE *oc_validator_store_new(const char *ca_file, const char *ca_dir, char *err,
                                size_t errsize)
{
    X509_STORE *st = X509_STORE_new();
    int ok;

    if (!st) {
        snprintf(err, errsize, "out of memory");
        return NULL;
    }
    if (ca_file || ca_dir)
        ok = X509_STORE_load_locations(st, ca_file, ca_dir);
    else
        ok = X509_STORE_set_default_paths(st);
    if (!ok) {
        snprintf(err, errsize, "cannot load trust anchors from %s%s%s", ca_file ? ca_file : "",
                 ca_file && ca_dir ? " and " : "", ca_dir ? ca_dir : "");
        X509_STORE_free(st);
        ERR_clear_error();
        return NULL;
    }
    return st;
}

static void vctx_free(struct vctx *x)
{
    for (size_t i = 0; i < SI_CRTVD_MAX_CERTS; i++)
        X509_free(x->certs[i]);
    sk_X509_free(x->untrusted);
    sk_X509_pop_free(x->found, X509_free);
    sk_X509_pop_free(x->chain, X509_free);
    X509_STORE_free(x->tmpstore);
    si_crtvd_request_free(&x->req);
}

static void chain_to_cache(struct oc_validator *v, struct vctx *x, const unsigned char key[32]);

/* Parses the PEM certificates (and remembers them, parsed, in the chain cache). */
static int load_certs(struct oc_validator *v, struct vctx *x, const unsigned char key[32])
{
    if (!(x->untrusted = sk_X509_new_null()))
        return -1;
    for (size_t i = 0; i < x->req.ncerts; i++) {
        BIO *b = BIO_new_mem_buf(x->req.certs[i], -1);

        x->certs[i] = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
        BIO_free(b);
        if (!x->certs[i]) {
            snprintf(x->reason, sizeof(x->reason), "cert_%zu is not a readable PEM certificate", i);
            ERR_clear_error();
            return -1;
        }
        if (i > 0 && !sk_X509_push(x->untrusted, x->certs[i]))
            return -1;
    }
    chain_to_cache(v, x, key);
    return 0;
}

/* Squid reports time errors itself; the chain is still built through them. */
static int chain_cb(int ok, X509_STORE_CTX *ctx)
{
    int e = X509_STORE_CTX_get_error(ctx);

    if (!ok && (e == X509_V_ERR_CERT_HAS_EXPIRED || e == X509_V_ERR_CERT_NOT_YET_VALID))
        return 1;
    return ok;
}

/* Builds and verifies the chain; on failure *orphan (when not NULL) gets a new reference to the
 * certificate whose issuer was not found, if that was the error. */
static int verify_with(struct vctx *x, X509_STORE *store, int *err, X509 **orphan)
{
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    int ok = 0;

    if (ctx && X509_STORE_CTX_init(ctx, store, x->certs[0], x->untrusted)) {
        X509_STORE_CTX_set_verify_cb(ctx, chain_cb);
        ok = X509_verify_cert(ctx) == 1;
        *err = X509_STORE_CTX_get_error(ctx);
        if (ok) {
            x->chain = X509_STORE_CTX_get1_chain(ctx);
            x->store = store;
        } else if (orphan && (*err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
                              *err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT) &&
                   (*orphan = X509_STORE_CTX_get_current_cert(ctx))) {
            X509_up_ref(*orphan);
        }
    }
    X509_STORE_CTX_free(ctx);
    ERR_clear_error();
    return ok && x->chain ? 0 : -1;
}

/* Certificates and chain from the chain cache, when this chain was verified recently. */
static bool chain_from_cache(struct oc_validator *v, struct vctx *x, unsigned char key[32])
{
    struct oc_chain_hit hit;

    if (!v->chains)
        return false;
    oc_chain_cache_key(v->chains, &x->req, key);
    if (!oc_chain_cache_get(v->chains, key, time(NULL), &hit))
        return false;
    memcpy(x->certs, hit.certs, sizeof(hit.certs));
    if (!hit.chain) { /* parsed only: verification still to do */
        if (!(x->untrusted = sk_X509_new_null()))
            return true;
        for (size_t i = 1; i < x->req.ncerts; i++)
            sk_X509_push(x->untrusted, x->certs[i]);
        return true;
    }
    x->chain = hit.chain;
    x->store = x->tmpstore = hit.store;
    x->chain_cached = true;
    return true;
}

static void chain_to_cache(struct oc_validator *v, struct vctx *x, const unsigned char key[32])
{
    struct oc_chain_hit hit = {.ncerts = x->req.ncerts, .chain = x->chain, .store = x->store};

    if (!v->chains)
        return;
    memcpy(hit.certs, x->certs, sizeof(hit.certs));
    oc_chain_cache_put(v->chains, key, &hit, time(NULL));
}

/* Squid may have completed the chain itself (AIA) and sent the leaf alone: find the missing
 * issuers the same way (chain_complete.h), at most a few levels up, and verify again. */
static int verify_completed(struct oc_validator *v, struct vctx *x, X509 *orphan, int *e)
{
    char why[300] = "", done[400] = "", subject[160] = "";
    int rc = -1;

    for (int level = 0; orphan && level < 3 && v->completer; level++) {
        int n0 = x->found ? sk_X509_num(x->found) : 0;

        X509_NAME_oneline(X509_get_subject_name(orphan), subject, sizeof(subject));
        if ((!x->found && !(x->found = sk_X509_new_null())) ||
            oc_chain_complete_issuers(v->completer, v->cache, orphan, x->vs.ocsp_timeout_ms,
                                   v->settings->ocsp_max_bytes, x->found, why, sizeof(why)) <= 0)
            break;
        for (int i = n0; i < sk_X509_num(x->found); i++)
            sk_X509_push(x->untrusted, sk_X509_value(x->found, i));
        X509_free(orphan);
        orphan = NULL;
        if ((rc = verify_with(x, v->store, e, &orphan)) == 0)
            si_info("chain completed: %s", why);
        else /* found an issuer, but the chain still ends short of a trust anchor */
            snprintf(done + strlen(done), sizeof(done) - strlen(done), "%s; ", why);
        why[0] = '\0';
    }
    X509_free(orphan);
    /* Every level is named: one that found its issuer is not why the chain stopped. */
    if (rc < 0 && why[0])
        si_info("chain not completed: %sissuer of %s: %s", done, subject, why);
    else if (rc < 0 && done[0])
        si_info("chain not completed: %sbut the chain does not verify here", done);
    return rc;
}

/* Verifies the chain against our anchors; when Squid found no error, its own anchor will do. */
static int verify_chain(struct oc_validator *v, struct vctx *x)
{
    X509 *top = x->certs[x->req.ncerts - 1];
    X509 *orphan = NULL;
    int e = 0;

    if (x->chain_cached)
        return 0;
    if (verify_with(x, v->store, &e, &orphan) == 0 || verify_completed(v, x, orphan, &e) == 0)
        return 0;
    /* Squid verified this chain to that anchor against its own trust (e.g. a cafile= of
     * tls_outgoing_options). Not with flags=DONT_VERIFY_PEER: then run with --no-squid-anchor. */
    if (!v->no_squid_anchor && x->req.nerrors == 0 && x->req.ncerts > 1 &&
        X509_check_issued(top, top) == X509_V_OK &&
        (x->tmpstore = X509_STORE_new()) && X509_STORE_add_cert(x->tmpstore, top) &&
        verify_with(x, x->tmpstore, &e, NULL) == 0)
        return 0;
    snprintf(x->reason, sizeof(x->reason), "chain not verified here: %s",
             X509_verify_cert_error_string(e));
    ERR_clear_error();
    return -1;
}

static int cert_index(struct vctx *x, X509 *c)
{
    for (size_t i = 0; i < x->req.ncerts; i++) {
        if (X509_cmp(x->certs[i], c) == 0)
            return (int)i;
    }
    return -1;
}

static void pass_squid_errors(struct vctx *x, struct si_crtvd_reply *reply)
{
    for (size_t i = 0; i < x->req.nerrors; i++) {
        const struct si_crtvd_error *e = &x->req.errors[i];
        char why[128];

        if (si_crtvd_error_known(e->name)) {
            si_crtvd_reply_add(reply, e->name, NULL, e->cert);
        } else {
            snprintf(why, sizeof(why), "Squid reported TLS error %s", e->name);
            si_crtvd_reply_add(reply, "X509_V_ERR_APPLICATION_VERIFICATION", why, e->cert);
        }
    }
}

/* The error name that reports an undetermined status in hard mode. */
static const char *hard_error(const struct oc_rev_result *r)
{
    if (r->no_pointer)
        return "X509_V_ERR_UNABLE_TO_GET_CRL";
    switch (r->status) {
    case REV_UNKNOWN: return "X509_V_ERR_OCSP_CERT_UNKNOWN";
    case REV_STALE: return r->from_crl ? "X509_V_ERR_CRL_HAS_EXPIRED" : "X509_V_ERR_OCSP_VERIFY_FAILED";
    case REV_INVALID: return r->from_crl ? "X509_V_ERR_UNABLE_TO_GET_CRL" : "X509_V_ERR_OCSP_VERIFY_FAILED";
    default: return r->from_crl ? "X509_V_ERR_UNABLE_TO_GET_CRL" : "X509_V_ERR_OCSP_VERIFY_NEEDED";
    }
}

/* The error that reports an undetermined status in soft mode (validate.h: REV_STATE_*). */
static const char *soft_error(const struct oc_rev_result *r)
{
    if (r->no_pointer)
        return REV_STATE_NO_POINTER;
    if (r->status != REV_FAILED)
        return REV_STATE_BAD_ANSWER;
    return strstr(r->why, "timed out") ? REV_STATE_TIMEOUT : REV_STATE_NO_ANSWER;
}

/* Reports a revocation state that lets the connection through (soft mode, off): one per reply,
 * the first found. */
static void report_state(struct vctx *x, struct si_crtvd_reply *reply, const char *name,
                         const char *why, int cert)
{
    if (x->rev_reported)
        return;
    x->rev_reported = true;
    si_crtvd_reply_add(reply, name, why, cert);
}

/* Checks one certificate of the verified chain (index i) and adds its error, if any. */
static void check_one(struct oc_validator *v, const struct oc_settings *s, struct vctx *x, int i,
                      struct si_crtvd_reply *reply)
{
    STACK_OF(X509) *above = sk_X509_new_null();
    struct oc_rev_result r;
    char why[480];

    for (int k = i + 1; above && k < sk_X509_num(x->chain); k++)
        sk_X509_push(above, sk_X509_value(x->chain, k));
    oc_rev_check(v->cache, s, &x->vs, sk_X509_value(x->chain, i), above, x->store, &r);
    sk_X509_free(above);
    if (i == 0)
        x->source = r.source;
    if (r.status == REV_GOOD) {
        if (i == 0) {
            x->result = "good";
            snprintf(x->reason, sizeof(x->reason), "%s", r.why);
        }
        return;
    }
    snprintf(why, sizeof(why), "%s%s", i ? "intermediate: " : "", r.why);
    if (r.status == REV_REVOKED) {
        x->result = "revoked";
        si_crtvd_reply_add(reply, "X509_V_ERR_CERT_REVOKED", why,
                           cert_index(x, sk_X509_value(x->chain, i)));
    } else if (strcmp(x->result, "revoked") != 0) {
        x->result = x->mode == SI_REVOCATION_HARD ? "undetermined-refused" : "undetermined";
        if (x->mode == SI_REVOCATION_HARD)
            si_crtvd_reply_add(reply, hard_error(&r), why,
                               cert_index(x, sk_X509_value(x->chain, i)));
        else
            report_state(x, reply, soft_error(&r), why, cert_index(x, sk_X509_value(x->chain, i)));
    }
    snprintf(x->reason, sizeof(x->reason), "%s", why);
}

static void check_revocation(struct oc_validator *v, const struct oc_settings *s, struct vctx *x,
                             const unsigned char key[32], struct si_crtvd_reply *reply)
{
    int last;

    if (!x->chain_cached && verify_chain(v, x) == 0)
        chain_to_cache(v, x, key);
    else if (!x->chain_cached) {
        x->result = x->mode == SI_REVOCATION_HARD ? "undetermined-refused" : "undetermined";
        if (x->mode == SI_REVOCATION_HARD && x->req.nerrors == 0)
            si_crtvd_reply_add(reply, "X509_V_ERR_OCSP_VERIFY_NEEDED", x->reason, 0);
        else if (x->mode != SI_REVOCATION_HARD)
            report_state(x, reply, REV_STATE_CHAIN, x->reason, 0);
        return;
    }
    x->result = "good";
    check_one(v, s, x, 0, reply);
    last = sk_X509_num(x->chain) - 1; /* the anchor is never checked */
    for (int i = 1; s->check_intermediates && i < last; i++)
        check_one(v, s, x, i, reply);
}

/* A leaf that names its server only in the subject CN (no DNS or IP subjectAltName) is refused,
 * as browsers have done since 2017 (Squid itself still matches the CN). */
static void check_names(struct vctx *x, struct si_crtvd_reply *reply)
{
    GENERAL_NAMES *san = X509_get_ext_d2i(x->certs[0], NID_subject_alt_name, NULL, NULL);
    bool named = false;
    char host[128];

    for (int i = 0; san && i < sk_GENERAL_NAME_num(san); i++) {
        int t = sk_GENERAL_NAME_value(san, i)->type;

        named = named || t == GEN_DNS || t == GEN_IPADD;
    }
    GENERAL_NAMES_free(san);
    ERR_clear_error();
    if (named)
        return;
    si_crtvd_reply_add(reply, CN_ONLY_ERROR, CN_ONLY_REASON, 0);
    si_log_sanitize(host, sizeof(host), x->req.host && *x->req.host ? x->req.host : "-");
    si_info("refused host=%s: %s", host, CN_ONLY_REASON);
}

static void log_line(struct vctx *x, const char *verdict, unsigned nerr, int64_t t0)
{
    char host[128] = "-", subj[256] = "-", serial[80] = "-", reason[480], src[128];

    if (x->req.host)
        si_log_sanitize(host, sizeof(host), *x->req.host ? x->req.host : "-");
    if (x->certs[0]) {
        char *sn = X509_NAME_oneline(X509_get_subject_name(x->certs[0]), NULL, 0);
        BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x->certs[0]), NULL);
        char *hex = bn ? BN_bn2hex(bn) : NULL;

        si_log_sanitize(subj, sizeof(subj), sn ? sn : "?");
        si_log_sanitize(serial, sizeof(serial), hex ? hex : "?");
        OPENSSL_free(sn);
        OPENSSL_free(hex);
        BN_free(bn);
    }
    si_log_sanitize(reason, sizeof(reason), x->reason);
    si_log_sanitize(src, sizeof(src), x->eff_source[0] ? x->eff_source : "-");
    si_info("validation host=%s subject=\"%s\" serial=%s mode=%s%s settings=\"%s\" source=%s "
            "result=%s reason=\"%s\" verdict=%s errors=%u latency_ms=%lld",
            host, subj, serial, si_revocation_name(x->mode), x->staple ? "(must-staple)" : "", src,
            oc_rev_source_name(x->source), x->result, reason, verdict, nerr,
            (long long)(oc_fetch_now_ms() - t0));
}

const char *oc_validator_run(struct oc_validator *v, const char *body, size_t len,
                          struct si_crtvd_reply *reply)
{
    int64_t t0 = oc_fetch_now_ms();
    struct vctx *x = calloc(1, sizeof(*x));
    const struct oc_settings *s = v->settings;
    struct si_policy *policy = si_policy_holder_get(v->policy);
    const char *verdict;
    unsigned char key[32];

    if (!x || !policy) {
        /* (the holder always has a policy once started: the file's or the built-in one) */
        si_crtvd_reply_add(reply, x ? "X509_V_ERR_APPLICATION_VERIFICATION" : "X509_V_ERR_OUT_OF_MEM",
                           x ? "no revocation policy in force" : "validator out of memory", -1);
        free(x);
        si_policy_unref(policy);
        return "ERR";
    }
    x->result = "not-checked";
    si_policy_validation_for(policy, NULL, &x->vs);
    x->mode = x->vs.revocation;
    if (si_crtvd_parse(body, len, &x->req, x->reason, sizeof(x->reason)) < 0 ||
        (!chain_from_cache(v, x, key) && load_certs(v, x, key) < 0)) {
        char why[sizeof(x->reason)];

        snprintf(why, sizeof(why), "malformed validation request: %.400s", x->reason);
        memcpy(x->reason, why, sizeof(why));
        si_crtvd_reply_add(reply, "X509_V_ERR_APPLICATION_VERIFICATION", why, -1);
        goto done;
    }
    si_policy_validation_for(policy, x->req.host && *x->req.host ? x->req.host : NULL, &x->vs);
    snprintf(x->eff_source, sizeof(x->eff_source), "%s %.100s",
             strcmp(si_policy_source(policy), OCSP_CLI_POLICY_NAME) ? "policy" : "command line",
             x->vs.source);
    x->mode = x->vs.revocation;
    x->staple = oc_rev_must_staple(x->certs[0]);
    if (x->staple && x->mode == SI_REVOCATION_SOFT)
        x->mode = SI_REVOCATION_HARD;
    pass_squid_errors(x, reply);
    check_names(x, reply);
    if (x->mode == SI_REVOCATION_OFF) {
        x->result = "off";
        snprintf(x->reason, sizeof(x->reason), "revocation checking is off for this server");
        report_state(x, reply, REV_STATE_OFF, x->reason, 0);
    } else {
        check_revocation(v, s, x, key, reply);
    }
done:
    verdict = reply->count ? "ERR" : "OK";
    if (reply->failed) {
        si_crtvd_reply_free(reply);
        si_crtvd_reply_add(reply, "X509_V_ERR_OUT_OF_MEM", "validator out of memory", -1);
        verdict = "ERR";
    }
    log_line(x, verdict, reply->count, t0);
    vctx_free(x);
    free(x);
    si_policy_unref(policy);
    return verdict;
}
