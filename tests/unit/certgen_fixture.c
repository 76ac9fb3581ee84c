/* certgen_fixture.c: test CAs, origin certificates and request bodies (see certgen_fixture.h). */
#include "certgen_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

EVP_PKEY *fx_key(enum fx_key type)
{
    if (type == FX_RSA)
        return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

static int add_ext(X509 *x, X509 *issuer, const char *name, const char *value)
{
    X509V3_CTX ctx;
    X509_EXTENSION *ext;
    int ok;

    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
    ext = X509V3_EXT_nconf(NULL, &ctx, name, value);
    ok = ext && X509_add_ext(x, ext, -1) == 1;
    if (!ok)
        fprintf(stderr, "fixture: extension %s=%s refused\n", name, value);
    X509_EXTENSION_free(ext);
    return ok ? 0 : -1;
}

static void random_serial(X509 *x)
{
    unsigned char b[8];
    BIGNUM *bn;

    RAND_bytes(b, sizeof(b));
    b[0] &= 0x7f;
    bn = BN_bin2bn(b, sizeof(b), NULL);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
    BN_free(bn);
}

int fx_ca_make(struct fx_ca *ca, const char *cn, enum fx_key type, long days)
{
    X509_NAME *name;

    memset(ca, 0, sizeof(*ca));
    ca->key = fx_key(type);
    ca->cert = X509_new();
    if (!ca->key || !ca->cert)
        return -1;
    X509_set_version(ca->cert, X509_VERSION_3);
    random_serial(ca->cert);
    name = X509_get_subject_name(ca->cert);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"Fixture Org", -1,
                               -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(ca->cert, name);
    X509_gmtime_adj(X509_getm_notBefore(ca->cert), -10L * 86400);
    X509_gmtime_adj(X509_getm_notAfter(ca->cert), days * 86400);
    X509_set_pubkey(ca->cert, ca->key);
    if (add_ext(ca->cert, NULL, "basicConstraints", "critical,CA:TRUE") < 0 ||
        add_ext(ca->cert, NULL, "subjectKeyIdentifier", "hash") < 0 ||
        add_ext(ca->cert, NULL, "keyUsage", "critical,keyCertSign,cRLSign") < 0)
        return -1;
    return X509_sign(ca->cert, ca->key, EVP_sha256()) > 0 ? 0 : -1;
}

void fx_ca_free(struct fx_ca *ca)
{
    X509_free(ca->cert);
    EVP_PKEY_free(ca->key);
    memset(ca, 0, sizeof(*ca));
}

X509 *fx_origin_make(const struct fx_origin *spec, const struct fx_ca *ca)
{
    EVP_PKEY *key = fx_key(spec->key);
    X509 *x = X509_new();
    X509_NAME *name;
    int ok = key && x;

    if (ok) {
        X509_set_version(x, X509_VERSION_3);
        random_serial(x);
        name = X509_get_subject_name(x);
        if (spec->org)
            X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                       (const unsigned char *)spec->org, -1, -1, 0);
        if (spec->cn)
            X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                       (const unsigned char *)spec->cn, -1, -1, 0);
        X509_set_issuer_name(x, ca ? X509_get_subject_name(ca->cert) : name);
        X509_gmtime_adj(X509_getm_notBefore(x), spec->not_before);
        X509_gmtime_adj(X509_getm_notAfter(x), spec->not_after);
        X509_set_pubkey(x, key);
        if (spec->san)
            ok = add_ext(x, ca ? ca->cert : NULL, "subjectAltName", spec->san) == 0;
        for (int i = 0; ok && i < 8 && spec->exts[i][0]; i++)
            ok = add_ext(x, ca ? ca->cert : NULL, spec->exts[i][0], spec->exts[i][1]) == 0;
        ok = ok && X509_sign(x, ca ? ca->key : key, EVP_sha256()) > 0;
    }
    EVP_PKEY_free(key);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static char *bio_string(BIO *bio)
{
    char *data, *out = NULL;
    long n = BIO_get_mem_data(bio, &data);

    if (n >= 0 && (out = malloc((size_t)n + 1))) {
        memcpy(out, data, (size_t)n);
        out[n] = '\0';
    }
    BIO_free(bio);
    return out;
}

char *fx_cert_pem(X509 *x)
{
    BIO *bio = BIO_new(BIO_s_mem());

    PEM_write_bio_X509(bio, x);
    return bio_string(bio);
}

char *fx_key_pem(EVP_PKEY *k)
{
    BIO *bio = BIO_new(BIO_s_mem());

    PEM_write_bio_PKCS8PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL);
    return bio_string(bio);
}

char *fx_body(const char *params, const struct fx_ca *ca, X509 *origin, size_t *len)
{
    char *cert = fx_cert_pem(ca->cert), *key = fx_key_pem(ca->key);
    char *orig = origin ? fx_cert_pem(origin) : NULL;
    size_t n = strlen(params) + strlen(cert) + strlen(key) + (orig ? strlen(orig) + 1 : 0);
    char *body = malloc(n + 1);

    if (body)
        snprintf(body, n + 1, "%s%s%s%s%s", params, cert, key, orig ? " " : "", orig ? orig : "");
    free(cert);
    free(key);
    free(orig);
    *len = body ? n : 0;
    return body;
}
