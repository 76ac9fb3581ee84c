/* crtvd_request.c: parse cert_validate bodies and build validator replies (see crtvd_request.h). */
#include "crtvd_request.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PEM_END "-----END CERTIFICATE-----"

/* Error names Squid 5.7 knows (src/security/ErrorDetail.cc, OpenSSL 3.0 build). */
static const char *const known_names[] = {
    "SQUID_TLS_ERR_ACCEPT", "SQUID_TLS_ERR_CONNECT", "SQUID_ERR_SSL_HANDSHAKE",
    "SQUID_X509_V_ERR_INFINITE_VALIDATION", "SQUID_X509_V_ERR_CERT_CHANGE",
    "SQUID_X509_V_ERR_DOMAIN_MISMATCH",
    "X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT", "X509_V_ERR_UNABLE_TO_GET_CRL",
    "X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE", "X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE",
    "X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY", "X509_V_ERR_CERT_SIGNATURE_FAILURE",
    "X509_V_ERR_CRL_SIGNATURE_FAILURE", "X509_V_ERR_CERT_NOT_YET_VALID",
    "X509_V_ERR_CERT_HAS_EXPIRED", "X509_V_ERR_CRL_NOT_YET_VALID", "X509_V_ERR_CRL_HAS_EXPIRED",
    "X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD", "X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD",
    "X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD", "X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD",
    "X509_V_ERR_OUT_OF_MEM", "X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT",
    "X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN", "X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    "X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE", "X509_V_ERR_CERT_CHAIN_TOO_LONG",
    "X509_V_ERR_CERT_REVOKED", "X509_V_ERR_INVALID_CA", "X509_V_ERR_PATH_LENGTH_EXCEEDED",
    "X509_V_ERR_INVALID_PURPOSE", "X509_V_ERR_CERT_UNTRUSTED", "X509_V_ERR_CERT_REJECTED",
    "X509_V_ERR_SUBJECT_ISSUER_MISMATCH", "X509_V_ERR_AKID_SKID_MISMATCH",
    "X509_V_ERR_AKID_ISSUER_SERIAL_MISMATCH", "X509_V_ERR_KEYUSAGE_NO_CERTSIGN",
    "X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER", "X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION",
    "X509_V_ERR_KEYUSAGE_NO_CRL_SIGN", "X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION",
    "X509_V_ERR_INVALID_NON_CA", "X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED",
    "X509_V_ERR_KEYUSAGE_NO_DIGITAL_SIGNATURE", "X509_V_ERR_PROXY_CERTIFICATES_NOT_ALLOWED",
    "X509_V_ERR_INVALID_EXTENSION", "X509_V_ERR_INVALID_POLICY_EXTENSION",
    "X509_V_ERR_NO_EXPLICIT_POLICY", "X509_V_ERR_DIFFERENT_CRL_SCOPE",
    "X509_V_ERR_UNSUPPORTED_EXTENSION_FEATURE", "X509_V_ERR_UNNESTED_RESOURCE",
    "X509_V_ERR_PERMITTED_VIOLATION", "X509_V_ERR_EXCLUDED_VIOLATION",
    "X509_V_ERR_SUBTREE_MINMAX", "X509_V_ERR_APPLICATION_VERIFICATION",
    "X509_V_ERR_UNSUPPORTED_CONSTRAINT_TYPE", "X509_V_ERR_UNSUPPORTED_CONSTRAINT_SYNTAX",
    "X509_V_ERR_UNSUPPORTED_NAME_SYNTAX", "X509_V_ERR_CRL_PATH_VALIDATION_ERROR",
    "X509_V_ERR_PATH_LOOP", "X509_V_ERR_SUITE_B_INVALID_VERSION",
    "X509_V_ERR_SUITE_B_INVALID_ALGORITHM", "X509_V_ERR_SUITE_B_INVALID_CURVE",
    "X509_V_ERR_SUITE_B_INVALID_SIGNATURE_ALGORITHM", "X509_V_ERR_SUITE_B_LOS_NOT_ALLOWED",
    "X509_V_ERR_SUITE_B_CANNOT_SIGN_P_384_WITH_P_256", "X509_V_ERR_HOSTNAME_MISMATCH",
    "X509_V_ERR_EMAIL_MISMATCH", "X509_V_ERR_IP_ADDRESS_MISMATCH", "X509_V_ERR_DANE_NO_MATCH",
    "X509_V_ERR_EE_KEY_TOO_SMALL", "X509_V_ERR_CA_KEY_TOO_SMALL", "X509_V_ERR_CA_MD_TOO_WEAK",
    "X509_V_ERR_INVALID_CALL", "X509_V_ERR_STORE_LOOKUP", "X509_V_ERR_NO_VALID_SCTS",
    "X509_V_ERR_PROXY_SUBJECT_NAME_VIOLATION", "X509_V_ERR_OCSP_VERIFY_NEEDED",
    "X509_V_ERR_OCSP_VERIFY_FAILED", "X509_V_ERR_OCSP_CERT_UNKNOWN",
};

bool si_crtvd_error_known(const char *name)
{
    if (!name)
        return false;
    for (size_t i = 0; i < sizeof(known_names) / sizeof(known_names[0]); i++) {
        if (strcmp(name, known_names[i]) == 0)
            return true;
    }
    return false;
}

/* Parse state while the lines are read. */
struct pstate {
    struct si_crtvd_request *req;
    bool cert_seen[SI_CRTVD_MAX_CERTS];
    bool name_seen[SI_CRTVD_MAX_ERRORS];
    bool ecert_seen[SI_CRTVD_MAX_ERRORS];
    struct si_crtvd_error errs[SI_CRTVD_MAX_ERRORS];
    char *err;
    size_t errsize;
};

static int fail(struct pstate *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct pstate *st, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(st->err, st->errsize, fmt, ap);
    va_end(ap);
    return -1;
}

/* Reads a decimal index (no sign, no leading junk) from s[0..n); -1 when not one or >= limit. */
static long parse_index(const char *s, size_t n, long limit)
{
    long v = 0;

    if (n == 0 || n > 6)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v < limit ? v : -1;
}

static char *dupn(const char *s, size_t n)
{
    char *d = malloc(n + 1);

    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static bool key_is(const char *key, size_t klen, const char *want)
{
    return klen == strlen(want) && memcmp(key, want, klen) == 0;
}

static int set_string(struct pstate *st, char **slot, const char *key, const char *v, size_t vlen)
{
    if (*slot)
        return fail(st, "duplicate %s line", key);
    *slot = dupn(v, vlen);
    return *slot ? 0 : fail(st, "out of memory");
}

/*
 * cert_N: the value runs from v to the end of the first line that is exactly the PEM END line
 * (a trailing CR is tolerated). *consumed gets the bytes used from v, up to (not including) the LF
 * after the END line.
 */
static int take_cert(struct pstate *st, long idx, const char *v, const char *end, size_t *consumed)
{
    const char *line = v;

    if (st->cert_seen[idx])
        return fail(st, "duplicate cert_%ld", idx);
    if ((size_t)(end - v) < 11 || memcmp(v, "-----BEGIN ", 11) != 0)
        return fail(st, "cert_%ld does not start with a PEM BEGIN line", idx);
    for (;;) {
        const char *lf = memchr(line, '\n', (size_t)(end - line));
        const char *le = lf ? lf : end;
        size_t ll = (size_t)(le - line);

        if (ll > 0 && line[ll - 1] == '\r')
            ll--;
        if (ll == strlen(PEM_END) && memcmp(line, PEM_END, ll) == 0) {
            *consumed = (size_t)(le - v);
            st->req->certs[idx] = dupn(v, *consumed);
            st->cert_seen[idx] = true;
            return st->req->certs[idx] ? 0 : fail(st, "out of memory");
        }
        if (!lf)
            return fail(st, "cert_%ld has no -----END CERTIFICATE----- line", idx);
        line = lf + 1;
    }
}

static int take_error_name(struct pstate *st, long j, const char *v, size_t vlen)
{
    if (st->name_seen[j])
        return fail(st, "duplicate error_name_%ld", j);
    if (vlen == 0 || vlen > SI_CRTVD_NAME_MAX)
        return fail(st, "error_name_%ld is empty or longer than %d bytes", j, SI_CRTVD_NAME_MAX);
    for (size_t i = 0; i < vlen; i++) {
        char c = v[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return fail(st, "error_name_%ld has characters outside [A-Za-z0-9_]", j);
    }
    memcpy(st->errs[j].name, v, vlen);
    st->errs[j].name[vlen] = '\0';
    st->name_seen[j] = true;
    return 0;
}

static int take_error_cert(struct pstate *st, long j, const char *v, size_t vlen)
{
    long k;

    if (st->ecert_seen[j])
        return fail(st, "duplicate error_cert_%ld", j);
    if (vlen < 6 || memcmp(v, "cert_", 5) != 0 ||
        (k = parse_index(v + 5, vlen - 5, SI_CRTVD_MAX_CERTS)) < 0)
        return fail(st, "error_cert_%ld is not cert_K with K < %d", j, SI_CRTVD_MAX_CERTS);
    st->errs[j].cert = (int)k;
    st->ecert_seen[j] = true;
    return 0;
}

/* Handles one key=value; for cert_N it may consume further lines (reported in *used). */
static int take_pair(struct pstate *st, const char *key, size_t klen, const char *v,
                     const char *end, size_t *used)
{
    const char *lf = memchr(v, '\n', (size_t)(end - v));
    size_t vlen = (size_t)((lf ? lf : end) - v);
    long idx;

    *used = vlen;
    if (vlen > 0 && v[vlen - 1] == '\r')
        vlen--;
    if (key_is(key, klen, "host"))
        return set_string(st, &st->req->host, "host", v, vlen);
    if (key_is(key, klen, "proto_version"))
        return set_string(st, &st->req->proto_version, "proto_version", v, vlen);
    if (key_is(key, klen, "cipher"))
        return set_string(st, &st->req->cipher, "cipher", v, vlen);
    if (klen > 5 && memcmp(key, "cert_", 5) == 0) {
        if ((idx = parse_index(key + 5, klen - 5, SI_CRTVD_MAX_CERTS)) < 0)
            return fail(st, "bad certificate key (index must be below %d)", SI_CRTVD_MAX_CERTS);
        return take_cert(st, idx, v, end, used);
    }
    if (klen > 11 && memcmp(key, "error_name_", 11) == 0) {
        if ((idx = parse_index(key + 11, klen - 11, SI_CRTVD_MAX_ERRORS)) < 0)
            return fail(st, "bad error_name key (index must be below %d)", SI_CRTVD_MAX_ERRORS);
        return take_error_name(st, idx, v, vlen);
    }
    if (klen > 11 && memcmp(key, "error_cert_", 11) == 0) {
        if ((idx = parse_index(key + 11, klen - 11, SI_CRTVD_MAX_ERRORS)) < 0)
            return fail(st, "bad error_cert key (index must be below %d)", SI_CRTVD_MAX_ERRORS);
        return take_error_cert(st, idx, v, vlen);
    }
    return 0; /* unknown key: ignored */
}

/* Checks numbering and copies the errors in J order into the request. */
static int finish(struct pstate *st)
{
    struct si_crtvd_request *req = st->req;

    for (size_t i = 0; i < SI_CRTVD_MAX_CERTS; i++) {
        if (st->cert_seen[i] && i != req->ncerts)
            return fail(st, "cert_%zu present but cert_%zu missing", i, req->ncerts);
        if (st->cert_seen[i])
            req->ncerts++;
    }
    if (req->ncerts == 0)
        return fail(st, "no cert_0 in the request");
    if (!req->host)
        return fail(st, "no host line in the request");
    for (size_t j = 0; j < SI_CRTVD_MAX_ERRORS; j++) {
        if (st->ecert_seen[j] && !st->name_seen[j])
            return fail(st, "error_cert_%zu without error_name_%zu", j, j);
        if (!st->name_seen[j])
            continue;
        req->errors[req->nerrors] = st->errs[j];
        /* Squid says cert_0 when the certificate is not in the chain it sent. */
        if (req->errors[req->nerrors].cert >= (int)req->ncerts)
            req->errors[req->nerrors].cert = 0;
        req->nerrors++;
    }
    return 0;
}

int si_crtvd_parse(const char *body, size_t len, struct si_crtvd_request *out, char *err,
                   size_t errsize)
{
    struct pstate *st = calloc(1, sizeof(*st));
    const char *p = body, *end = body + len;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    if (!st) {
        snprintf(err, errsize, "out of memory");
        return -1;
    }
    st->req = out;
    st->err = err;
    st->errsize = errsize;
    if (len > 0 && memchr(body, '\0', len)) {
        fail(st, "NUL byte in the request body");
        goto out;
    }
    while (p < end) {
        const char *lf = memchr(p, '\n', (size_t)(end - p));
        const char *le = lf ? lf : end;
        const char *eq = memchr(p, '=', (size_t)(le - p));
        size_t used;

        if (le == p || (le == p + 1 && *p == '\r')) { /* blank line */
            p = lf ? lf + 1 : end;
            continue;
        }
        if (!eq || eq == p) {
            fail(st, "line without key=value in the request");
            goto out;
        }
        if (take_pair(st, p, (size_t)(eq - p), eq + 1, end, &used) < 0)
            goto out;
        p = eq + 1 + used;
        if (p < end && *p == '\n')
            p++;
    }
    rc = finish(st);
out:
    if (rc < 0)
        si_crtvd_request_free(out);
    free(st);
    return rc;
}

void si_crtvd_request_free(struct si_crtvd_request *req)
{
    if (!req)
        return;
    free(req->host);
    free(req->proto_version);
    free(req->cipher);
    for (size_t i = 0; i < SI_CRTVD_MAX_CERTS; i++)
        free(req->certs[i]);
    memset(req, 0, sizeof(*req));
}

static int append(struct si_crtvd_reply *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int append(struct si_crtvd_reply *r, const char *fmt, ...)
{
    va_list ap;
    int n;

    for (;;) {
        size_t room = r->cap - r->len;

        va_start(ap, fmt);
        n = vsnprintf(r->buf ? r->buf + r->len : NULL, r->buf ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            return -1;
        if (r->buf && (size_t)n < room) {
            r->len += (size_t)n;
            return 0;
        }
        size_t ncap = (r->cap ? r->cap * 2 : 512) + (size_t)n + 1;
        char *nb = realloc(r->buf, ncap);

        if (!nb) {
            r->failed = true;
            return -1;
        }
        r->buf = nb;
        r->cap = ncap;
    }
}

int si_crtvd_reply_add(struct si_crtvd_reply *reply, const char *name, const char *reason,
                       int cert)
{
    char clean[400];
    unsigned j = reply->count;
    size_t n = 0;

    if (!si_crtvd_error_known(name))
        return -1;
    if (append(reply, "error_name_%u=%s\n", j, name) < 0)
        return -1;
    if (reason && *reason) {
        for (const char *c = reason; *c && n < sizeof(clean) - 1; c++)
            clean[n++] = ((unsigned char)*c < 0x20 || *c == 0x7f) ? ' ' : *c;
        clean[n] = '\0';
        if (append(reply, "error_reason_%u=%s\n", j, clean) < 0)
            return -1;
    }
    if (cert >= 0 && append(reply, "error_cert_%u=cert_%d\nerror_depth_%u=%d\n", j, cert, j,
                            cert) < 0)
        return -1;
    reply->count++;
    return 0;
}

void si_crtvd_reply_free(struct si_crtvd_reply *reply)
{
    if (!reply)
        return;
    free(reply->buf);
    memset(reply, 0, sizeof(*reply));
}
