/*
 * fuzz_pki.c: see fuzz_pki.h.
 */
#include "fuzz_pki.h"

#include <stdio.h>
#include <stdlib.h>

#include <openssl/pem.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

static X509 *make_cert(const char *cn, EVP_PKEY *key, EVP_PKEY *signer, X509 *issuer, long serial,
                       int ca)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    if (!x || !name)
        abort();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 30);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_subject_name(x, name);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
    X509_set_pubkey(x, key);
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
    const char *ext[][2] = {
        {"basicConstraints", ca ? "critical,CA:TRUE" : "CA:FALSE"},
        {"keyUsage", ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature"},
        {"authorityInfoAccess", "OCSP;URI:http://127.0.0.1:9/"},
        {"crlDistributionPoints", "URI:http://127.0.0.1:9/ca.crl"},
    };
    for (size_t i = 0; i < (ca ? 2u : 4u); i++) {
        X509_EXTENSION *e = X509V3_EXT_conf(NULL, &ctx, ext[i][0], ext[i][1]);
        if (!e || !X509_add_ext(x, e, -1))
            abort();
        X509_EXTENSION_free(e);
    }
    if (!X509_sign(x, signer, EVP_sha256()))
        abort();
    X509_NAME_free(name);
    return x;
}

static X509 *read_cert(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    if (!x) {
        fprintf(stderr, "fuzz_pki: cannot read %s\n", path);
        abort();
    }
    return x;
}

static void init_from_dir(struct fuzz_pki *pki, const char *dir)
{
    X509 *root = read_cert(dir, "root/ca.crt");
    pki->ca = read_cert(dir, "int/ca.crt");
    pki->leaf = read_cert(dir, "int/good.crt");
    pki->store = X509_STORE_new();
    pki->chain = sk_X509_new_null();
    if (!pki->store || !pki->chain || !X509_STORE_add_cert(pki->store, root) ||
        !sk_X509_push(pki->chain, pki->ca))
        abort();
    X509_free(root);
    pki->signable = 1;
}

void fuzz_pki_init(struct fuzz_pki *pki)
{
    const char *dir = getenv("FUZZ_PKI_DIR");
    if (dir && *dir) {
        init_from_dir(pki, dir);
        return;
    }
    EVP_PKEY *leaf_key = EVP_EC_gen("P-256");
    pki->ca_key = EVP_EC_gen("P-256");
    if (!leaf_key || !pki->ca_key)
        abort();
    pki->ca = make_cert("Fuzz CA", pki->ca_key, pki->ca_key, NULL, 1, 1);
    pki->leaf = make_cert("fuzz.test", leaf_key, pki->ca_key, pki->ca, 2, 0);
    EVP_PKEY_free(leaf_key);
    pki->store = X509_STORE_new();
    pki->chain = sk_X509_new_null();
    if (!pki->store || !pki->chain || !X509_STORE_add_cert(pki->store, pki->ca) ||
        !sk_X509_push(pki->chain, pki->ca))
        abort();
}
