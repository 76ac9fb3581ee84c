/* Unit tests for certgen_helper/forge: every forging rule of forge.h, table-driven. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509v3.h>

#include "certgen_fixture.h"
#include "forge.h"

#define DAY 86400L

static struct fx_ca ca, ca_untrusted;
static EVP_PKEY *leaf_rsa, *leaf_ec;
static struct cg_leaf_pub pub_rsa, pub_ec;

static void setup(void)
{
    cr_assert_eq(fx_ca_make(&ca, "Fixture Inspection CA", FX_RSA, 3650), 0);
    /* Squid's "Not trusted by" CA: same key, own self-signed certificate. */
    cr_assert_eq(fx_ca_make(&ca_untrusted, "Not trusted by \"Fixture Inspection CA\"", FX_RSA, 3650), 0);
    leaf_rsa = fx_key(FX_RSA);
    leaf_ec = fx_key(FX_EC);
    cr_assert(leaf_rsa && leaf_ec);
    cr_assert_eq(cg_leaf_pub_init(&pub_rsa, leaf_rsa), 0);
    cr_assert_eq(cg_leaf_pub_init(&pub_ec, leaf_ec), 0);
}

static void teardown(void)
{
    fx_ca_free(&ca);
    fx_ca_free(&ca_untrusted);
    EVP_PKEY_free(leaf_rsa);
    EVP_PKEY_free(leaf_ec);
    cg_leaf_pub_clear(&pub_rsa);
    cg_leaf_pub_clear(&pub_ec);
}

/* What a client sees: the DER, parsed again. */
static X509 *reparse(X509 *x)
{
    unsigned char *der = NULL;
    const unsigned char *p;
    int n = i2d_X509(x, &der);
    X509 *y;

    cr_assert_gt(n, 0);
    p = der;
    y = d2i_X509(NULL, &p, n);
    cr_assert_not_null(y);
    OPENSSL_free(der);
    X509_free(x);
    return y;
}

TestSuite(forge, .init = setup, .fini = teardown, .timeout = 60);

static time_t epoch(const ASN1_TIME *t)
{
    struct tm tm;

    cr_assert_eq(ASN1_TIME_to_tm(t, &tm), 1);
    return timegm(&tm);
}

static bool has_ext(X509 *x, int nid) { return X509_get_ext_by_NID(x, nid, -1) >= 0; }

static bool ext_critical(X509 *x, int nid)
{
    int i = X509_get_ext_by_NID(x, nid, -1);

    return i >= 0 && X509_EXTENSION_get_critical(X509_get_ext(x, i));
}

/* "DNS:a,IP:1.2.3.4" rendering of the SAN, for comparisons. */
static void san_text(X509 *x, char *out, size_t outsize)
{
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    STACK_OF(CONF_VALUE) *vals = gens ? i2v_GENERAL_NAMES(NULL, gens, NULL) : NULL;

    out[0] = '\0';
    for (int i = 0; vals && i < sk_CONF_VALUE_num(vals); i++) {
        CONF_VALUE *v = sk_CONF_VALUE_value(vals, i);

        snprintf(out + strlen(out), outsize - strlen(out), "%s%s:%s", i ? "," : "", v->name,
                 v->value);
    }
    sk_CONF_VALUE_pop_free(vals, X509V3_conf_free);
    GENERAL_NAMES_free(gens);
}

static void cn_text(X509 *x, char *out, size_t outsize)
{
    out[0] = '\0';
    X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, out, (int)outsize);
}

enum { NO_ORIGIN = 0, ORIGIN = 1 };

struct forge_case {
    const char *name;
    int with_origin;
    struct fx_origin origin;
    const char *host;
    const char *cn;           /* setCommonName */
    bool after, before;       /* setValidAfter / setValidBefore */
    enum si_crtd_sign sign;
    const char *hash;
    int max_days;
    /* expectations */
    enum cg_key_type leaf;
    const char *want_cn;
    const char *want_san;
    const char *want_o;       /* NULL: no O expected */
    long want_nb;             /* relative to now, seconds */
    long want_na;
    int want_sig_md;          /* NID of the digest */
};

static const struct forge_case cases[] = {
    {"normal RSA origin", ORIGIN,
     {.cn = "www.example.test", .org = "Example Ltd", .san = "DNS:www.example.test,DNS:example.test",
      .key = FX_RSA, .not_before = -100 * DAY, .not_after = 300 * DAY},
     "www.example.test", NULL, false, false, SI_CRTD_SIGN_TRUSTED, "sha256", 90,
     CG_KEY_RSA, "www.example.test", "DNS:www.example.test,DNS:example.test", "Example Ltd",
     -DAY, 89 * DAY, NID_sha256},
    {"EC origin, short-lived", ORIGIN,
     {.cn = "ec.test", .san = "DNS:ec.test", .key = FX_EC, .not_before = -3600,
      .not_after = 20 * DAY},
     "ec.test", NULL, false, false, SI_CRTD_SIGN_TRUSTED, "sha384", 90,
     CG_KEY_RSA, "ec.test", "DNS:ec.test", NULL, -3600, 20 * DAY, NID_sha384},
    {"wildcard origin", ORIGIN,
     {.cn = "*.wild.test", .san = "DNS:*.wild.test,DNS:wild.test", .key = FX_EC,
      .not_before = -DAY * 2, .not_after = 60 * DAY},
     "a.wild.test", NULL, false, false, SI_CRTD_SIGN_TRUSTED, "sha256", 30,
     CG_KEY_RSA, "*.wild.test", "DNS:*.wild.test,DNS:wild.test", NULL, -DAY, 29 * DAY, NID_sha256},
    {"origin with IP SANs", ORIGIN,
     {.cn = "10.9.8.7", .san = "IP:10.9.8.7,IP:2001:db8::7", .key = FX_EC, .not_before = -DAY,
      .not_after = 10 * DAY},
     "10.9.8.7", NULL, false, false, SI_CRTD_SIGN_TRUSTED, "sha256", 90,
     CG_KEY_RSA, "10.9.8.7", "IP Address:10.9.8.7,IP Address:2001:DB8:0:0:0:0:0:7", NULL, -DAY,
     10 * DAY, NID_sha256},
    {"origin without SAN, IP CN", ORIGIN,
     {.cn = "192.0.2.10", .key = FX_EC, .not_before = -DAY, .not_after = 10 * DAY},
     "192.0.2.10", NULL, false, false, SI_CRTD_SIGN_TRUSTED, "sha256", 90,
     CG_KEY_RSA, "192.0.2.10", "IP Address:192.0.2.10", NULL, -DAY, 10 * DAY, NID_sha256},
    {"origin without SAN, DNS CN", ORIGIN,
     {.cn = "nosan.test", .key = FX_RSA, .not_before = -DAY, .not_after = 10 * DAY},
     "nosan.test", NULL, false, false, SI_CRTD_SIGN_TRUSTED, "sha256", 90,
     CG_KEY_RSA, "nosan.test", "DNS:nosan.test", NULL, -DAY, 10 * DAY, NID_sha256},
    {"setCommonName replaces CN and SAN", ORIGIN,
     {.cn = "real.test", .org = "Real", .san = "DNS:real.test,DNS:other.test", .key = FX_EC,
      .not_before = -DAY, .not_after = 10 * DAY},
     "real.test", "wanted.test", false, false, SI_CRTD_SIGN_TRUSTED, "sha256", 90,
     CG_KEY_RSA, "wanted.test", "DNS:wanted.test", "Real", -DAY, 10 * DAY, NID_sha256},
    {"no origin, IPv4 host", NO_ORIGIN, {0}, "127.0.0.1", NULL, false, false,
     SI_CRTD_SIGN_TRUSTED, "sha256", 90,
     CG_KEY_RSA, "127.0.0.1", "IP Address:127.0.0.1", NULL, -DAY, 89 * DAY, NID_sha256},
    {"no origin, IPv6 host", NO_ORIGIN, {0}, "::1", NULL, false, false,
     SI_CRTD_SIGN_TRUSTED, "sha256", 90,
     CG_KEY_RSA, "::1", "IP Address:0:0:0:0:0:0:0:1", NULL, -DAY, 89 * DAY, NID_sha256},
    {"no origin, long host name", NO_ORIGIN, {0},
     "a-very-long-label-that-goes-on-and-on-and-on.another-long-label-here.example.test", NULL,
     false, false, SI_CRTD_SIGN_TRUSTED, "sha256", 90, CG_KEY_RSA,
     "*.another-long-label-here.example.test",
     "DNS:a-very-long-label-that-goes-on-and-on-and-on.another-long-label-here.example.test",
     NULL, -DAY, 89 * DAY, NID_sha256},
    {"setValidAfter/Before take the CA dates, clamped", ORIGIN,
     {.cn = "flags.test", .san = "DNS:flags.test", .key = FX_EC, .not_before = -DAY,
      .not_after = 5 * DAY},
     "flags.test", NULL, true, true, SI_CRTD_SIGN_TRUSTED, "sha256", 90,
     CG_KEY_RSA, "flags.test", "DNS:flags.test", NULL, -DAY, 89 * DAY, NID_sha256},
    {"expired origin stays expired", ORIGIN,
     {.cn = "old.test", .san = "DNS:old.test", .key = FX_EC, .not_before = -400 * DAY,
      .not_after = -10 * DAY},
     "old.test", NULL, false, false, SI_CRTD_SIGN_UNTRUSTED, "sha256", 90,
     CG_KEY_RSA, "old.test", "DNS:old.test", NULL, -100 * DAY, -10 * DAY, NID_sha256},
    {"signSelf", ORIGIN,
     {.cn = "self.test", .san = "DNS:self.test", .key = FX_EC, .not_before = -DAY,
      .not_after = 10 * DAY},
     "self.test", NULL, false, false, SI_CRTD_SIGN_SELF, "sha256", 90,
     CG_KEY_RSA, "self.test", "DNS:self.test", NULL, -DAY, 10 * DAY, NID_sha256},
};

static void check_common(const struct forge_case *c, X509 *x, EVP_PKEY *leaf, const struct fx_ca *signer)
{
    BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL, NULL);
    const ASN1_INTEGER *serial = X509_get0_serialNumber(x);
    BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);

    cr_expect_eq(X509_get_version(x), X509_VERSION_3, "%s: v3", c->name);
    cr_expect(bn && !BN_is_negative(bn) && BN_num_bytes(bn) == 16, "%s: 16-byte positive serial",
              c->name);
    BN_free(bn);
    cr_expect(bc && !bc->ca && ext_critical(x, NID_basic_constraints), "%s: critical CA:FALSE",
              c->name);
    BASIC_CONSTRAINTS_free(bc);
    cr_expect(ext_critical(x, NID_key_usage), "%s: KU critical", c->name);
    cr_expect_eq(X509_get_key_usage(x),
                 EVP_PKEY_get_base_id(leaf) == EVP_PKEY_RSA
                     ? (uint32_t)(KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT)
                     : (uint32_t)KU_DIGITAL_SIGNATURE,
                 "%s: KU from the leaf key type", c->name);
    cr_expect_eq(EVP_PKEY_eq(X509_get0_pubkey(x), leaf), 1, "%s: carries the leaf key", c->name);
    cr_expect_neq(EVP_PKEY_eq(X509_get0_pubkey(x), ca.key), 1, "%s: not the CA key", c->name);
    cr_expect_not_null(X509_get0_subject_key_id(x), "%s: SKI", c->name);
    if (c->sign == SI_CRTD_SIGN_SELF) {
        cr_expect_eq(X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(x)), 0,
                     "%s: issuer = subject", c->name);
        cr_expect_eq(X509_verify(x, leaf), 1, "%s: self-signed by the leaf key", c->name);
        return;
    }
    cr_expect_eq(X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(signer->cert)), 0,
                 "%s: issuer = signing CA", c->name);
    cr_expect_eq(X509_verify(x, signer->key), 1, "%s: signed by the CA", c->name);
    cr_expect_eq(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(x),
                                       X509_get0_subject_key_id(signer->cert)), 0,
                 "%s: AKI = CA SKI", c->name);
    cr_expect_eq(X509_check_issued(signer->cert, x), X509_V_OK, "%s: issued by CA", c->name);
}

static void run_case(const struct forge_case *c)
{
    struct si_crtd_request req = {0};
    struct cg_forge_opts opts = {c->max_days};
    struct cg_forge_result res;
    const struct fx_ca *signer = c->sign == SI_CRTD_SIGN_UNTRUSTED ? &ca_untrusted : &ca;
    char err[256] = "", buf[512];
    time_t now = time(NULL);
    EVP_PKEY *leaf;
    X509 *x;
    int mdnid, pknid;

    snprintf(req.host, sizeof(req.host), "%s", c->host);
    if (c->cn) {
        req.has_common_name = true;
        snprintf(req.common_name, sizeof(req.common_name), "%s", c->cn);
    }
    req.set_valid_after = c->after;
    req.set_valid_before = c->before;
    req.sign = c->sign;
    snprintf(req.sign_hash, sizeof(req.sign_hash), "%s", c->hash);
    req.ca_cert = signer->cert;
    req.ca_key = signer->key;
    req.origin = c->with_origin ? fx_origin_make(&c->origin, &ca) : NULL;
    cr_assert(!c->with_origin || req.origin, "%s: fixture", c->name);
    cr_expect_eq(cg_forge_key_type(&req), c->leaf, "%s: leaf key type", c->name);
    leaf = cg_forge_key_type(&req) == CG_KEY_RSA ? leaf_rsa : leaf_ec;
    x = cg_forge(&req, leaf, leaf == leaf_rsa ? &pub_rsa : &pub_ec, &opts, now, &res, err,
                 sizeof(err));
    cr_assert_not_null(x, "%s: %s", c->name, err);
    x = reparse(x);
    check_common(c, x, leaf, signer);
    cn_text(x, buf, sizeof(buf));
    cr_expect_str_eq(buf, c->want_cn, "%s: CN", c->name);
    san_text(x, buf, sizeof(buf));
    cr_expect_str_eq(buf, c->want_san, "%s: SAN", c->name);
    buf[0] = '\0';
    X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_organizationName, buf, sizeof(buf));
    cr_expect_str_eq(buf, c->want_o ? c->want_o : "", "%s: O copied", c->name);
    cr_expect(labs((long)(epoch(X509_get0_notBefore(x)) - now) - c->want_nb) <= 5,
              "%s: notBefore %ld, want %ld", c->name, (long)(epoch(X509_get0_notBefore(x)) - now),
              c->want_nb);
    cr_expect(labs((long)(epoch(X509_get0_notAfter(x)) - now) - c->want_na) <= 5,
              "%s: notAfter %ld, want %ld", c->name, (long)(epoch(X509_get0_notAfter(x)) - now),
              c->want_na);
    cr_expect_eq(res.not_after, epoch(X509_get0_notAfter(x)), "%s: result notAfter", c->name);
    cr_expect_leq(epoch(X509_get0_notAfter(x)) - epoch(X509_get0_notBefore(x)),
                  (long)c->max_days * DAY, "%s: lifetime cap", c->name);
    cr_expect_eq(OBJ_find_sigid_algs(X509_get_signature_nid(x), &mdnid, &pknid), 1);
    cr_expect_eq(mdnid, c->want_sig_md, "%s: digest from SignHash", c->name);
    X509_free(x);
    X509_free(req.origin);
}

Test(forge, rules_table)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(&cases[i]);
}

/* Extensions an origin may carry that must never reach the forged certificate. */
Test(forge, never_copied_extensions)
{
    struct fx_origin spec = {
        .cn = "staple.test", .san = "DNS:staple.test", .key = FX_EC, .not_before = -DAY,
        .not_after = 30 * DAY,
        .exts = {{"authorityInfoAccess", "OCSP;URI:http://ocsp.real-ca.test,caIssuers;URI:http://real-ca.test/ca.crt"},
                 {"crlDistributionPoints", "URI:http://crl.real-ca.test/ca.crl"},
                 {"tlsfeature", "status_request"},
                 {"certificatePolicies", "DER:30:0a:30:08:06:06:67:81:0c:01:02:01"},
                 {"nameConstraints", "critical,permitted;DNS:.test"},
                 {"1.3.6.1.4.1.11129.2.4.2", "DER:04:02:00:00"},
                 {"1.3.6.1.4.1.55555.1", "critical,DER:05:00"},
                 {"extendedKeyUsage", "clientAuth,serverAuth"}}};
    struct si_crtd_request req = {.host = "staple.test", .sign_hash = "sha256"};
    static const int never[] = {NID_info_access, NID_crl_distribution_points, NID_tlsfeature,
                                NID_certificate_policies, NID_name_constraints,
                                NID_ct_precert_scts};
    X509 *x;
    EXTENDED_KEY_USAGE *eku;
    ASN1_OBJECT *unknown;
    char err[256] = "";

    req.ca_cert = ca.cert;
    req.ca_key = ca.key;
    req.origin = fx_origin_make(&spec, &ca);
    cr_assert_not_null(req.origin);
    x = cg_forge(&req, leaf_ec, NULL, NULL, time(NULL), NULL, err, sizeof(err));
    cr_assert_not_null(x, "%s", err);
    for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
        cr_expect_not(has_ext(x, never[i]), "extension %s was copied", OBJ_nid2sn(never[i]));
    unknown = OBJ_txt2obj("1.3.6.1.4.1.55555.1", 1);
    cr_expect_eq(X509_get_ext_by_OBJ(x, unknown, -1), -1, "unknown critical extension copied");
    ASN1_OBJECT_free(unknown);
    cr_expect_eq(X509_get_ext_count(x), 6, "only BC, KU, EKU, SAN, SKI, AKI");
    eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
    cr_expect(eku && sk_ASN1_OBJECT_num(eku) == 2 &&
                  OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, 0)) == NID_client_auth,
              "EKU copied from the origin");
    EXTENDED_KEY_USAGE_free(eku);
    X509_free(x);
    X509_free(req.origin);
}

Test(forge, origin_ca_flags_are_not_inherited_and_eku_defaults_to_server_auth)
{
    struct fx_origin spec = {.cn = "ca.test", .san = "DNS:ca.test", .key = FX_EC,
                             .not_before = -DAY, .not_after = 30 * DAY,
                             .exts = {{"basicConstraints", "critical,CA:TRUE"},
                                      {"keyUsage", "critical,keyCertSign,cRLSign"}}};
    struct si_crtd_request req = {.host = "ca.test", .sign_hash = "sha256"};
    EXTENDED_KEY_USAGE *eku;
    X509 *x;
    char err[256] = "";

    req.ca_cert = ca.cert;
    req.ca_key = ca.key;
    req.origin = fx_origin_make(&spec, &ca);
    x = cg_forge(&req, leaf_ec, NULL, NULL, time(NULL), NULL, err, sizeof(err));
    cr_assert_not_null(x, "%s", err);
    cr_expect_eq(X509_check_ca(x), 0, "forged certificate is not a CA");
    cr_expect_eq(X509_get_key_usage(x), (uint32_t)KU_DIGITAL_SIGNATURE);
    eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
    cr_expect(eku && sk_ASN1_OBJECT_num(eku) == 1 &&
              OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, 0)) == NID_server_auth);
    EXTENDED_KEY_USAGE_free(eku);
    X509_free(x);
    X509_free(req.origin);
}

Test(forge, serials_differ_and_ca_key_is_refused_as_leaf)
{
    struct si_crtd_request req = {.host = "serial.test", .sign_hash = "sha256"};
    X509 *a, *b;
    char err[256] = "";

    req.ca_cert = ca.cert;
    req.ca_key = ca.key;
    a = cg_forge(&req, leaf_rsa, NULL, NULL, time(NULL), NULL, err, sizeof(err));
    b = cg_forge(&req, leaf_rsa, NULL, NULL, time(NULL), NULL, err, sizeof(err));
    cr_assert(a && b, "%s", err);
    cr_expect_neq(ASN1_INTEGER_cmp(X509_get0_serialNumber(a), X509_get0_serialNumber(b)), 0);
    X509_free(a);
    X509_free(b);
    cr_expect_null(cg_forge(&req, ca.key, NULL, NULL, time(NULL), NULL, err, sizeof(err)));
    cr_expect_not_null(strstr(err, "CA key"), "%s", err);
}

Test(forge, precomputed_public_key_encodes_like_the_slow_path)
{
    struct si_crtd_request req = {.host = "pub.test", .sign_hash = "sha256"};
    EVP_PKEY *leaves[2] = {leaf_rsa, leaf_ec};
    struct cg_leaf_pub *pubs[2] = {&pub_rsa, &pub_ec};
    char err[256] = "";

    req.ca_cert = ca.cert;
    req.ca_key = ca.key;
    for (int i = 0; i < 2; i++) {
        X509 *fast = reparse(cg_forge(&req, leaves[i], pubs[i], NULL, time(NULL), NULL, err,
                                      sizeof(err)));
        X509 *slow = reparse(cg_forge(&req, leaves[i], NULL, NULL, time(NULL), NULL, err,
                                      sizeof(err)));
        unsigned char *a = NULL, *b = NULL;
        int la = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(fast), &a);
        int lb = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(slow), &b);

        cr_expect(la > 0 && la == lb && memcmp(a, b, (size_t)la) == 0, "same SPKI (%d)", i);
        cr_expect_eq(EVP_PKEY_eq(X509_get0_pubkey(fast), leaves[i]), 1);
        cr_expect_eq(ASN1_OCTET_STRING_cmp(X509_get0_subject_key_id(fast),
                                           X509_get0_subject_key_id(slow)), 0, "same SKI");
        OPENSSL_free(a);
        OPENSSL_free(b);
        X509_free(fast);
        X509_free(slow);
    }
}

Test(forge, ca_expiring_before_origin_bounds_not_after)
{
    struct fx_ca shortca;
    struct fx_origin spec = {.cn = "b.test", .san = "DNS:b.test", .key = FX_EC,
                             .not_before = -DAY, .not_after = 80 * DAY};
    struct si_crtd_request req = {.host = "b.test", .sign_hash = "sha256"};
    struct cg_forge_result res;
    X509 *x;
    char err[256] = "";

    cr_assert_eq(fx_ca_make(&shortca, "Short CA", FX_EC, 20), 0);
    req.ca_cert = shortca.cert;
    req.ca_key = shortca.key;
    req.origin = fx_origin_make(&spec, &shortca);
    x = cg_forge(&req, leaf_ec, NULL, NULL, time(NULL), &res, err, sizeof(err));
    cr_assert_not_null(x, "%s", err);
    cr_expect_leq(ASN1_TIME_compare(X509_get0_notAfter(x), X509_get0_notAfter(shortca.cert)), 0);
    cr_expect(res.bounded, "bounded by the CA: regenerating would not help");
    X509_free(x);
    X509_free(req.origin);
    fx_ca_free(&shortca);
}

Test(forge, leaf_key_type_follows_the_ca_not_the_origin)
{
    struct fx_ca ec_ca;
    struct fx_origin ec = {.cn = "e.test", .key = FX_EC, .not_before = -DAY, .not_after = DAY};
    struct si_crtd_request req = {.host = "e.test", .sign_hash = "sha256"};

    req.ca_cert = ca.cert;
    req.ca_key = ca.key;
    req.origin = fx_origin_make(&ec, &ca);
    cr_expect_eq(cg_forge_key_type(&req), CG_KEY_RSA, "RSA CA, EC origin: RSA leaf");
    X509_free(req.origin);
    cr_assert_eq(fx_ca_make(&ec_ca, "EC CA", FX_EC, 30), 0);
    req.ca_cert = ec_ca.cert;
    req.ca_key = ec_ca.key;
    req.origin = NULL;
    cr_expect_eq(cg_forge_key_type(&req), CG_KEY_EC, "EC CA: EC leaf");
    fx_ca_free(&ec_ca);
}

Test(forge, ip_literal_detection)
{
    static const struct {
        const char *s;
        bool ip;
    } t[] = {{"127.0.0.1", true}, {"::1", true},          {"2001:db8::5", true},
             {"a.test", false},   {"1.2.3", false},       {"[::1]", false},
             {"", false},         {"999.1.1.1", false}};

    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        cr_expect_eq(cg_forge_ip_literal(t[i].s, NULL, NULL), t[i].ip, "%s", t[i].s);
}
