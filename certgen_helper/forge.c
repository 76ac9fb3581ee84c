/* forge.c: the forging rules of inspect-certgen (see forge.h). */
#include "forge.h"
#include "errbuf.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#define DAY (24 * 3600)

bool cg_forge_ip_literal(const char *name, unsigned char *ip, int *iplen)
{
    unsigned char buf[16];

    if (!ip)
        ip = buf;
    if (inet_pton(AF_INET, name, ip) == 1) {
        if (iplen)
            *iplen = 4;
        return true;
    }
    if (inet_pton(AF_INET6, name, ip) == 1) {
        if (iplen)
            *iplen = 16;
        return true;
    }
    return false;
}

enum cg_key_type cg_forge_key_type(const struct si_crtd_request *req)
{
    int id = req->ca_key ? EVP_PKEY_get_base_id(req->ca_key) : EVP_PKEY_RSA;

    return (id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS) ? CG_KEY_RSA : CG_KEY_EC;
}

static int set_serial(X509 *x)
{
    unsigned char b[16];
    BIGNUM *bn;
    int ok;

    if (RAND_bytes(b, sizeof(b)) != 1)
        return -1;
    b[0] = (unsigned char)((b[0] & 0x7f) | 0x40); /* positive, always 16 octets */
    bn = BN_bin2bn(b, sizeof(b), NULL);
    ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    BN_free(bn);
    return ok ? 0 : -1;
}

/* The CN a certificate gets when nothing is mimicked: a name over 64 characters becomes *.parent. */
static const char *short_cn(const char *name)
{
    const char *dot;

    if (strlen(name) <= SI_CRTD_CN_MAX)
        return name;
    dot = strchr(name, '.');
    while (dot && strlen(dot) + 1 > SI_CRTD_CN_MAX)
        dot = strchr(dot + 1, '.');
    return dot ? dot : NULL; /* caller prefixes '*' */
}

static int add_cn(X509_NAME *name, const char *cn)
{
    char wild[SI_CRTD_CN_MAX + 2];
    const char *v = short_cn(cn);

    if (!v)
        return 0; /* no CN fits: the SAN alone names the host */
    if (v != cn) {
        snprintf(wild, sizeof(wild), "*%s", v);
        v = wild;
    }
    return X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                                      (const unsigned char *)v, -1, -1, 0) == 1 ? 0 : -1;
}

static X509_NAME *build_subject(const struct si_crtd_request *req)
{
    X509_NAME *name;
    int i;

    if (!req->origin) {
        name = X509_NAME_new();
        if (name && add_cn(name, req->has_common_name ? req->common_name : req->host) < 0) {
            X509_NAME_free(name);
            return NULL;
        }
        return name;
    }
    name = X509_NAME_dup(X509_get_subject_name(req->origin));
    if (!name || !req->has_common_name)
        return name;
    while ((i = X509_NAME_get_index_by_NID(name, NID_commonName, -1)) >= 0)
        X509_NAME_ENTRY_free(X509_NAME_delete_entry(name, i));
    if (add_cn(name, req->common_name) < 0) {
        X509_NAME_free(name);
        return NULL;
    }
    return name;
}

static int asn1_epoch(const ASN1_TIME *t, time_t *out)
{
    struct tm tm;

    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return -1;
    *out = timegm(&tm);
    return 0;
}

static time_t tmax(time_t a, time_t b) { return a > b ? a : b; }
static time_t tmin(time_t a, time_t b) { return a < b ? a : b; }

static int set_validity(X509 *x, const struct si_crtd_request *req, int max_days, time_t now,
                        struct cg_forge_result *res)
{
    const time_t cap = (time_t)max_days * DAY;
    time_t src_nb = now - CG_BACKDATE_SECS, src_na = now + cap, ca_na, nb, na;
    bool bounded = false;

    if (asn1_epoch(X509_get0_notAfter(req->ca_cert), &ca_na) < 0)
        return -1;
    if (req->origin && (asn1_epoch(X509_get0_notBefore(req->origin), &src_nb) < 0 ||
                        asn1_epoch(X509_get0_notAfter(req->origin), &src_na) < 0))
        return -1;
    if (req->set_valid_before && asn1_epoch(X509_get0_notBefore(req->ca_cert), &src_nb) < 0)
        return -1;
    if (req->set_valid_after)
        src_na = ca_na;
    if (req->sign != SI_CRTD_SIGN_SELF)
        src_na = tmin(src_na, ca_na);
    nb = tmax(src_nb, now - CG_BACKDATE_SECS);
    na = tmin(src_na, nb + cap);
    bounded = na < nb + cap;
    if (na < nb) /* an expired origin (or CA) stays expired, within the same lifetime cap */
        nb = tmin(na, tmax(src_nb, na - cap));
    if (!X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, &nb) ||
        !X509_time_adj_ex(X509_getm_notAfter(x), 0, 0, &na))
        return -1;
    res->not_before = nb;
    res->not_after = na;
    res->bounded = bounded;
    return 0;
}

static int add_basic_constraints(X509 *x)
{
    BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
    int ok = bc && X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1, X509V3_ADD_DEFAULT) == 1;

    BASIC_CONSTRAINTS_free(bc);
    return ok ? 0 : -1;
}

static int add_key_usage(X509 *x, EVP_PKEY *leaf)
{
    ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();
    int ok = ku && ASN1_BIT_STRING_set_bit(ku, 0, 1); /* digitalSignature */

    if (ok && EVP_PKEY_get_base_id(leaf) == EVP_PKEY_RSA)
        ok = ASN1_BIT_STRING_set_bit(ku, 2, 1); /* keyEncipherment */
    ok = ok && X509_add1_ext_i2d(x, NID_key_usage, ku, 1, X509V3_ADD_DEFAULT) == 1;
    ASN1_BIT_STRING_free(ku);
    return ok ? 0 : -1;
}

/* Copies the origin's extension nid verbatim; returns 1 copied, 0 absent, -1 error. */
static int copy_ext(X509 *x, X509 *origin, int nid)
{
    int i = origin ? X509_get_ext_by_NID(origin, nid, -1) : -1;

    if (i < 0)
        return 0;
    return X509_add_ext(x, X509_get_ext(origin, i), -1) == 1 ? 1 : -1;
}

static int add_eku(X509 *x, X509 *origin)
{
    EXTENDED_KEY_USAGE *eku;
    int r = copy_ext(x, origin, NID_ext_key_usage), ok;

    if (r != 0)
        return r < 0 ? -1 : 0;
    eku = sk_ASN1_OBJECT_new_null();
    ok = eku && sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_server_auth)) > 0 &&
         X509_add1_ext_i2d(x, NID_ext_key_usage, eku, 0, X509V3_ADD_DEFAULT) == 1;
    sk_ASN1_OBJECT_free(eku); /* OBJ_nid2obj objects are static */
    return ok ? 0 : -1;
}

/* The name a synthesised SAN carries: setCommonName, else the origin CN, else the host. */
static const char *san_name(const struct si_crtd_request *req, char *buf, size_t bufsize)
{
    X509_NAME *subj;
    int i;

    if (req->has_common_name)
        return req->common_name;
    if (req->origin) {
        subj = X509_get_subject_name(req->origin);
        i = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
        if (i >= 0) {
            ASN1_STRING *d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i));
            int n = ASN1_STRING_length(d);

            if (n > 0 && (size_t)n < bufsize && !memchr(ASN1_STRING_get0_data(d), 0, (size_t)n)) {
                memcpy(buf, ASN1_STRING_get0_data(d), (size_t)n);
                buf[n] = '\0';
                return buf;
            }
        }
    }
    return req->host;
}

static int add_san(X509 *x, const struct si_crtd_request *req, bool empty_subject)
{
    char buf[SI_CRTD_HOST_MAX + 1];
    const char *name;
    unsigned char ip[16];
    int iplen, ok, r, type;
    GENERAL_NAMES *gens;
    GENERAL_NAME *gen;
    ASN1_STRING *s;

    if (!req->has_common_name && (r = copy_ext(x, req->origin, NID_subject_alt_name)) != 0)
        return r < 0 ? -1 : 0;
    name = san_name(req, buf, sizeof(buf));
    gens = GENERAL_NAMES_new();
    gen = GENERAL_NAME_new();
    if (cg_forge_ip_literal(name, ip, &iplen)) {
        s = ASN1_OCTET_STRING_new();
        ok = s && ASN1_OCTET_STRING_set(s, ip, iplen);
        type = GEN_IPADD;
    } else {
        s = ASN1_IA5STRING_new();
        ok = s && ASN1_STRING_set(s, name, -1);
        type = GEN_DNS;
    }
    if (!gens || !gen || !ok)
        goto fail;
    GENERAL_NAME_set0_value(gen, type, s);
    s = NULL;
    if (!ok || !sk_GENERAL_NAME_push(gens, gen))
        goto fail;
    gen = NULL;
    ok = X509_add1_ext_i2d(x, NID_subject_alt_name, gens, empty_subject, X509V3_ADD_DEFAULT) == 1;
    GENERAL_NAMES_free(gens);
    return ok ? 0 : -1;
fail:
    ASN1_STRING_free(s);
    GENERAL_NAME_free(gen);
    GENERAL_NAMES_free(gens);
    return -1;
}

static ASN1_OCTET_STRING *key_id(X509 *cert)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len;
    ASN1_OCTET_STRING *id;

    if (X509_pubkey_digest(cert, EVP_sha1(), md, &len) != 1)
        return NULL;
    id = ASN1_OCTET_STRING_new();
    if (id && !ASN1_OCTET_STRING_set(id, md, (int)len)) {
        ASN1_OCTET_STRING_free(id);
        return NULL;
    }
    return id;
}

static int add_key_ids(X509 *x, const struct si_crtd_request *req)
{
    ASN1_OCTET_STRING *ski = key_id(x);
    AUTHORITY_KEYID *aki = NULL;
    const ASN1_OCTET_STRING *ca_ski;
    int ok = ski && X509_add1_ext_i2d(x, NID_subject_key_identifier, ski, 0,
                                      X509V3_ADD_DEFAULT) == 1;

    ASN1_OCTET_STRING_free(ski);
    if (!ok || req->sign == SI_CRTD_SIGN_SELF)
        return ok ? 0 : -1;
    aki = AUTHORITY_KEYID_new();
    ca_ski = X509_get0_subject_key_id(req->ca_cert);
    ok = aki && (aki->keyid = ca_ski ? ASN1_OCTET_STRING_dup(ca_ski) : key_id(req->ca_cert));
    ok = ok && X509_add1_ext_i2d(x, NID_authority_key_identifier, aki, 0, X509V3_ADD_DEFAULT) == 1;
    AUTHORITY_KEYID_free(aki);
    return ok ? 0 : -1;
}

static const EVP_MD *sign_md(EVP_PKEY *key, const char *hash)
{
    int id = EVP_PKEY_get_base_id(key);

    if (id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448)
        return NULL; /* pure signature schemes take no digest */
    return EVP_get_digestbyname(hash);
}

int cg_leaf_pub_init(struct cg_leaf_pub *pub, EVP_PKEY *key)
{
    X509_PUBKEY *xpk = NULL;
    ASN1_OBJECT *alg;
    const unsigned char *bits;
    X509_ALGOR *algor;
    int len, ptype;
    const void *pval;

    memset(pub, 0, sizeof(*pub));
    if (X509_PUBKEY_set(&xpk, key) != 1 || X509_PUBKEY_get0_param(&alg, &bits, &len, &algor, xpk) != 1)
        goto fail;
    X509_ALGOR_get0(NULL, &ptype, &pval, algor);
    pub->alg_nid = OBJ_obj2nid(alg);
    pub->curve_nid = ptype == V_ASN1_OBJECT ? OBJ_obj2nid(pval) : NID_undef;
    if ((pub->alg_nid != NID_rsaEncryption && pub->alg_nid != NID_X9_62_id_ecPublicKey) ||
        (pub->alg_nid == NID_X9_62_id_ecPublicKey && pub->curve_nid == NID_undef) ||
        !(pub->bits = OPENSSL_memdup(bits, (size_t)len)))
        goto fail;
    pub->bits_len = len;
    X509_PUBKEY_free(xpk);
    return 0;
fail:
    X509_PUBKEY_free(xpk);
    memset(pub, 0, sizeof(*pub));
    return -1;
}

void cg_leaf_pub_clear(struct cg_leaf_pub *pub)
{
    if (!pub)
        return;
    OPENSSL_free(pub->bits);
    memset(pub, 0, sizeof(*pub));
}

static int set_pubkey(X509 *x, EVP_PKEY *leaf, const struct cg_leaf_pub *pub)
{
    unsigned char *bits;
    bool ec;

    if (!pub)
        return X509_set_pubkey(x, leaf) == 1 ? 0 : -1;
    ec = pub->alg_nid == NID_X9_62_id_ecPublicKey;
    if (!(bits = OPENSSL_memdup(pub->bits, (size_t)pub->bits_len)))
        return -1;
    if (X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(x), OBJ_nid2obj(pub->alg_nid),
                               ec ? V_ASN1_OBJECT : V_ASN1_NULL,
                               ec ? OBJ_nid2obj(pub->curve_nid) : NULL, bits,
                               pub->bits_len) != 1) {
        OPENSSL_free(bits);
        return -1;
    }
    return 0;
}

static int build(X509 *x, const struct si_crtd_request *req, EVP_PKEY *leaf,
                 const struct cg_leaf_pub *pub, int max_days, time_t now,
                 struct cg_forge_result *res, char *err, size_t es)
{
    X509_NAME *subject = build_subject(req);
    bool self = req->sign == SI_CRTD_SIGN_SELF, empty;
    EVP_PKEY *signer = self ? leaf : req->ca_key;
    const EVP_MD *md = sign_md(signer, req->sign_hash);
    int ok;

    if (!subject)
        return si_fail(err, es, "cannot build the subject name");
    empty = X509_NAME_entry_count(subject) == 0;
    ok = X509_set_subject_name(x, subject) == 1 &&
         X509_set_issuer_name(x, self ? subject : X509_get_subject_name(req->ca_cert)) == 1;
    X509_NAME_free(subject);
    if (!ok || X509_set_version(x, X509_VERSION_3) != 1 || set_serial(x) < 0)
        return si_fail(err, es, "cannot set the version, names or serial number");
    if (set_validity(x, req, max_days, now, res) < 0)
        return si_fail(err, es, "cannot compute the validity period from the certificates' dates");
    if (set_pubkey(x, leaf, pub) < 0 || add_basic_constraints(x) < 0 ||
        add_key_usage(x, leaf) < 0 || add_eku(x, req->origin) < 0 ||
        add_san(x, req, empty) < 0 || add_key_ids(x, req) < 0)
        return si_fail(err, es, "cannot add the certificate extensions");
    if (!md && EVP_PKEY_get_base_id(signer) != EVP_PKEY_ED25519 &&
        EVP_PKEY_get_base_id(signer) != EVP_PKEY_ED448)
        return si_fail(err, es, "SignHash=%s is not a usable digest", req->sign_hash);
    if (X509_sign(x, signer, md) <= 0)
        return si_fail(err, es, "signing with %s failed (does the key support this digest?)",
                    req->sign_hash);
    return 0;
}

X509 *cg_forge(const struct si_crtd_request *req, EVP_PKEY *leaf, const struct cg_leaf_pub *pub,
               const struct cg_forge_opts *opts, time_t now, struct cg_forge_result *res,
               char *err, size_t errsize)
{
    struct cg_forge_result local;
    int max_days = opts && opts->max_days > 0 && opts->max_days <= CG_MAX_DAYS ? opts->max_days
                                                                              : CG_MAX_DAYS;
    X509 *x;

    if (!req || !req->ca_cert || !req->ca_key || !leaf) {
        si_fail(err, errsize, "nothing to forge from (request not decoded or no leaf key)");
        return NULL;
    }
    if (EVP_PKEY_eq(leaf, req->ca_key) == 1) {
        si_fail(err, errsize, "refusing to use the CA key as the leaf key");
        return NULL;
    }
    x = X509_new();
    if (!x) {
        si_fail(err, errsize, "out of memory");
        return NULL;
    }
    if (build(x, req, leaf, pub, max_days, now, res ? res : &local, err, errsize) < 0) {
        X509_free(x);
        return NULL;
    }
    return x;
}
