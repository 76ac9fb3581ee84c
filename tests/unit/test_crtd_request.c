/* Unit tests for lib/crtd_request: the new_certificate body parser, table-driven. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "certgen_fixture.h"
#include "crtd_request.h"

static struct fx_ca ca;
static X509 *origin;
static char *good;      /* params + CA + key + origin */
static size_t good_len;

static void setup(void)
{
    struct fx_origin spec = {.cn = "www.example.test", .san = "DNS:www.example.test",
                             .key = FX_EC, .not_before = -86400, .not_after = 30 * 86400};

    cr_assert_eq(fx_ca_make(&ca, "Fixture CA", FX_EC, 365), 0);
    origin = fx_origin_make(&spec, &ca);
    cr_assert_not_null(origin);
    good = fx_body("host=www.example.test\nSign=signTrusted\nSignHash=SHA256\n", &ca, origin,
                   &good_len);
    cr_assert_not_null(good);
}

static void teardown(void)
{
    free(good);
    X509_free(origin);
    fx_ca_free(&ca);
}

TestSuite(crtd_request, .init = setup, .fini = teardown);

/* Replaces the first occurrence of from by to in good; returns a new body. */
static char *edit(const char *from, const char *to, size_t *len)
{
    const char *at = strstr(good, from);
    size_t n;
    char *out;

    cr_assert_not_null(at, "fixture lacks %s", from);
    n = good_len - strlen(from) + strlen(to);
    out = malloc(n + 1);
    memcpy(out, good, (size_t)(at - good));
    strcpy(out + (at - good), to);
    strcat(out, at + strlen(from));
    *len = n;
    return out;
}

Test(crtd_request, full_request_parses)
{
    struct si_crtd_request req;
    char err[256] = "";

    cr_assert_eq(si_crtd_parse(good, good_len, &req, err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(req.host, "www.example.test");
    cr_assert_eq(req.sign, SI_CRTD_SIGN_TRUSTED);
    cr_assert_str_eq(req.sign_hash, "sha256");
    cr_assert_not(req.has_common_name);
    cr_assert_not_null(req.ca_cert);
    cr_assert_not_null(req.ca_key);
    cr_assert_not_null(req.origin);
    cr_assert_eq(X509_cmp(req.origin, origin), 0);
    cr_assert_eq(X509_cmp(req.ca_cert, ca.cert), 0);
    si_crtd_request_clear(&req);
}

Test(crtd_request, trailing_lf_and_no_origin)
{
    struct si_crtd_request req;
    char err[256] = "";
    size_t len;
    char *body = fx_body("host=[2001:db8::1]\nsetValidAfter=on\nsetValidBefore=on\n"
                         "setCommonName=Example CN\nSign=signSelf\nSignHash=sha384\n",
                         &ca, NULL, &len);

    body[len - 1] = '\n'; /* the key PEM already ends in LF: the body ends there */
    cr_assert_eq(si_crtd_parse(body, len, &req, err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(req.host, "2001:db8::1", "IPv6 brackets are removed");
    cr_assert(req.set_valid_after && req.set_valid_before);
    cr_assert(req.has_common_name);
    cr_assert_str_eq(req.common_name, "Example CN");
    cr_assert_eq(req.sign, SI_CRTD_SIGN_SELF);
    cr_assert_str_eq(req.sign_hash, "sha384");
    cr_assert_null(req.origin);
    si_crtd_request_clear(&req);
    free(body);
}

Test(crtd_request, defaults_when_sign_and_hash_are_absent)
{
    struct si_crtd_request req;
    char err[256] = "";
    size_t len;
    char *body = edit("Sign=signTrusted\nSignHash=SHA256\n", "", &len);

    cr_assert_eq(si_crtd_parse(body, len, &req, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(req.sign, SI_CRTD_SIGN_TRUSTED);
    cr_assert_str_eq(req.sign_hash, "sha256");
    si_crtd_request_clear(&req);
    free(body);
}

struct bad_case {
    const char *name;
    const char *from; /* text of the good body to replace ... */
    const char *to;   /* ... by this */
    const char *why;  /* a word the error must contain */
};

static const struct bad_case bad_cases[] = {
    {"missing host", "host=www.example.test\n", "", "host"},
    {"empty host", "host=www.example.test", "host=", "host"},
    {"host with a space", "host=www.example.test", "host=a b", "host"},
    {"unknown key", "Sign=signTrusted", "Sing=signTrusted", "unknown"},
    {"repeated key", "Sign=signTrusted", "Sign=signTrusted\nSign=signSelf", "twice"},
    {"bad Sign", "Sign=signTrusted", "Sign=signWhatever", "Sign"},
    {"unknown digest", "SignHash=SHA256", "SignHash=SHA999", "digest"},
    {"digest with a bad character", "SignHash=SHA256", "SignHash=SHA/256", "SignHash"},
    {"flag not on", "Sign=signTrusted", "setValidAfter=off\nSign=signTrusted", "on"},
    {"line without =", "Sign=signTrusted", "Sign signTrusted", "'='"},
    {"CN too long", "Sign=signTrusted",
     "setCommonName=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "setCommonName"},
    {"garbage CA PEM", "-----BEGIN CERTIFICATE-----\nMII", "-----BEGIN CERTIFICATE-----\n!!!", "CA"},
    {"garbage key PEM", "-----BEGIN PRIVATE KEY-----\nMI", "-----BEGIN PRIVATE KEY-----\n@@", "key"},
    {"encrypted key", "-----BEGIN PRIVATE KEY-----", "-----BEGIN ENCRYPTED PRIVATE KEY-----",
     "key"},
    {"key block not a key", "-----BEGIN PRIVATE KEY-----", "-----BEGIN PUBLIC KEY-----", "key"},
    {"origin without its space", "-----END PRIVATE KEY-----\n ", "-----END PRIVATE KEY-----\n",
     "after"},
    {"origin labelled as a key", " -----BEGIN CERTIFICATE-----", " -----BEGIN X509 CRL-----",
     "origin"},
    {"no PEM at all", "-----BEGIN CERTIFICATE-----", "xx", "'='"},
};

Test(crtd_request, bad_inputs_are_refused_with_a_reason)
{
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const struct bad_case *c = &bad_cases[i];
        struct si_crtd_request req;
        char err[256] = "";
        size_t len;
        char *body = edit(c->from, c->to, &len);

        cr_expect_eq(si_crtd_parse(body, len, &req, err, sizeof(err)), -1, "%s: accepted", c->name);
        cr_expect_not_null(strstr(err, c->why), "%s: error \"%s\" lacks \"%s\"", c->name, err,
                           c->why);
        cr_expect_null(req.ca_cert, "%s: cleared after failure", c->name);
        cr_expect_null(strstr(err, "MII"), "%s: the error quotes key material", c->name);
        si_crtd_request_clear(&req);
        free(body);
    }
}

Test(crtd_request, every_truncation_is_refused)
{
    /* Cut the good body at many points, including inside each PEM block: never accepted,
     * except where the cut leaves a complete request without an origin certificate. */
    size_t origin_at = (size_t)(strstr(good, "\n -----BEGIN") + 1 - good);

    for (size_t cut = 0; cut < good_len - 1; cut += 7) {
        struct si_crtd_request req;
        char err[256] = "";

        if (cut == origin_at || cut == origin_at - 1)
            continue; /* a request without an origin certificate: valid */

        cr_expect_eq(si_crtd_parse(good, cut, &req, err, sizeof(err)), -1, "cut at %zu accepted",
                     cut);
        cr_expect_neq(err[0], '\0');
        si_crtd_request_clear(&req);
    }
}

Test(crtd_request, wrong_length_trailing_data_and_oversize)
{
    struct si_crtd_request req;
    char err[256] = "";
    char *longer = malloc(good_len + 16);

    /* A LEN larger than the body: the bytes of the next request follow the PEM. */
    memcpy(longer, good, good_len);
    memcpy(longer + good_len, "new_certificate ", 16);
    cr_expect_eq(si_crtd_parse(longer, good_len + 16, &req, err, sizeof(err)), -1);
    cr_expect_not_null(strstr(err, "after the last PEM"), "%s", err);
    si_crtd_request_clear(&req);
    /* Oversized body. */
    cr_expect_eq(si_crtd_parse(good, SI_CRTD_BODY_MAX + 1, &req, err, sizeof(err)), -1);
    cr_expect_not_null(strstr(err, "over"), "%s", err);
    /* Empty body. */
    cr_expect_eq(si_crtd_parse(good, 0, &req, err, sizeof(err)), -1);
    free(longer);
}

Test(crtd_request, ca_key_must_match_ca_cert)
{
    struct fx_ca other;
    struct fx_ca mixed;
    struct si_crtd_request req;
    char err[256] = "";
    size_t len;
    char *body;

    cr_assert_eq(fx_ca_make(&other, "Other CA", FX_EC, 30), 0);
    mixed.cert = ca.cert;
    mixed.key = other.key;
    body = fx_body("host=a.test\n", &mixed, NULL, &len);
    cr_expect_eq(si_crtd_parse(body, len, &req, err, sizeof(err)), -1);
    cr_expect_not_null(strstr(err, "does not match"), "%s", err);
    free(body);
    fx_ca_free(&other);
}

Test(crtd_request, split_then_decode_with_a_reused_ca)
{
    struct si_crtd_request req;
    char err[256] = "";

    cr_assert_eq(si_crtd_split(good, good_len, &req, err, sizeof(err)), 0, "%s", err);
    cr_assert_null(req.ca_cert, "split decodes nothing");
    cr_assert_not_null(req.ca_pem);
    cr_assert_not_null(req.origin_pem);
    cr_assert_eq(strncmp(req.ca_pem, "-----BEGIN CERTIFICATE-----", 27), 0);
    X509_up_ref(ca.cert);
    EVP_PKEY_up_ref(ca.key);
    req.ca_cert = ca.cert;
    req.ca_key = ca.key;
    cr_assert_eq(si_crtd_decode(&req, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(req.ca_cert, ca.cert, "a provided CA is kept");
    cr_assert_not_null(req.origin);
    si_crtd_request_clear(&req);
    cr_assert_str_eq(si_crtd_sign_name(SI_CRTD_SIGN_UNTRUSTED), "signUntrusted");
}
