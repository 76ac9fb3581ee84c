/* Unit tests for lib/crtvd_request: cert_validate bodies and validator reply bodies. */
#include <criterion/criterion.h>
#include <string.h>

#include "crtvd_request.h"

#define PEM_A "-----BEGIN CERTIFICATE-----\nMIIBAAAA\nBBBB==\n-----END CERTIFICATE-----"
#define PEM_B "-----BEGIN CERTIFICATE-----\nMIICCCCC\n-----END CERTIFICATE-----"

static int parse(const char *body, struct si_crtvd_request *r, char *err)
{
    return si_crtvd_parse(body, strlen(body), r, err, 200);
}

Test(crtvd_request, full_request_as_squid_sends_it)
{
    const char *body = "host=shop.example\nproto_version=TLSv1.2\n"
                       "cipher=ECDHE-RSA-AES128-GCM-SHA256\ncert_0=" PEM_A "\ncert_1=" PEM_B
                       "\nerror_name_0=SQUID_X509_V_ERR_DOMAIN_MISMATCH\nerror_cert_0=cert_0\n"
                       "error_name_1=X509_V_ERR_CERT_HAS_EXPIRED\nerror_cert_1=cert_1";
    struct si_crtvd_request r;
    char err[200];

    cr_assert_eq(parse(body, &r, err), 0, "%s", err);
    cr_assert_str_eq(r.host, "shop.example");
    cr_assert_str_eq(r.proto_version, "TLSv1.2");
    cr_assert_str_eq(r.cipher, "ECDHE-RSA-AES128-GCM-SHA256");
    cr_assert_eq(r.ncerts, 2);
    cr_assert_str_eq(r.certs[0], PEM_A);
    cr_assert_str_eq(r.certs[1], PEM_B);
    cr_assert_eq(r.nerrors, 2);
    cr_assert_str_eq(r.errors[0].name, "SQUID_X509_V_ERR_DOMAIN_MISMATCH");
    cr_assert_eq(r.errors[0].cert, 0);
    cr_assert_str_eq(r.errors[1].name, "X509_V_ERR_CERT_HAS_EXPIRED");
    cr_assert_eq(r.errors[1].cert, 1);
    si_crtvd_request_free(&r);
    cr_assert_null(r.host);
}

Test(crtvd_request, empty_host_and_numeric_error_and_unknown_key)
{
    const char *body = "host=\ncert_0=" PEM_A "\nerror_name_0=1234\nfuture_key=x\n";
    struct si_crtvd_request r;
    char err[200];

    cr_assert_eq(parse(body, &r, err), 0, "%s", err);
    cr_assert_str_eq(r.host, "");
    cr_assert_null(r.cipher);
    cr_assert_eq(r.nerrors, 1);
    cr_assert_str_eq(r.errors[0].name, "1234");
    cr_assert_eq(r.errors[0].cert, 0);
    si_crtvd_request_free(&r);
}

Test(crtvd_request, error_cert_outside_chain_means_cert_0)
{
    const char *body = "host=a\ncert_0=" PEM_A "\nerror_name_0=X509_V_ERR_CERT_UNTRUSTED\n"
                       "error_cert_0=cert_9";
    struct si_crtvd_request r;
    char err[200];

    cr_assert_eq(parse(body, &r, err), 0, "%s", err);
    cr_assert_eq(r.errors[0].cert, 0);
    si_crtvd_request_free(&r);
}

Test(crtvd_request, crlf_lines_are_tolerated)
{
    const char *body = "host=a\r\ncert_0=-----BEGIN CERTIFICATE-----\r\nQQ==\r\n"
                       "-----END CERTIFICATE-----\r\n";
    struct si_crtvd_request r;
    char err[200];

    cr_assert_eq(parse(body, &r, err), 0, "%s", err);
    cr_assert_str_eq(r.host, "a");
    cr_assert_eq(r.ncerts, 1);
    si_crtvd_request_free(&r);
}

Test(crtvd_request, malformed_inputs_are_refused_with_a_reason)
{
    static const char *const bad[] = {
        "",                                          /* nothing */
        "host=a",                                    /* no cert */
        "cert_0=" PEM_A,                             /* no host */
        "host=a\ncert_0=" PEM_A "\nhost=b",          /* duplicate host */
        "host=a\ncert_1=" PEM_A,                     /* hole: no cert_0 */
        "host=a\ncert_0=-----BEGIN CERTIFICATE-----\nAAAA", /* no END line */
        "host=a\ncert_0=garbage",                    /* not PEM */
        "host=a\ncert_0=" PEM_A "\ncert_0=" PEM_B,   /* duplicate cert */
        "host=a\ncert_0=" PEM_A "\nerror_cert_0=cert_0", /* error_cert without name */
        "host=a\ncert_0=" PEM_A "\nerror_name_0=bad name!",
        "host=a\ncert_0=" PEM_A "\nerror_cert_0=cert_x\nerror_name_0=X",
        "host=a\ncert_99=" PEM_A,                    /* index out of range */
        "host=a\njust a line\ncert_0=" PEM_A,        /* no '=' */
        "host=a\ncert_-1=" PEM_A,
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct si_crtvd_request r;
        char err[200] = "";

        cr_assert_eq(parse(bad[i], &r, err), -1, "input %zu was accepted", i);
        cr_assert_neq(err[0], '\0', "input %zu: no reason", i);
        cr_assert_null(r.host);
    }
}

Test(crtvd_request, nul_byte_is_refused)
{
    static const char body[] = "host=a\0b\ncert_0=" PEM_A;
    struct si_crtvd_request r;
    char err[200];

    cr_assert_eq(si_crtvd_parse(body, sizeof(body) - 1, &r, err, sizeof(err)), -1);
    cr_assert(strstr(err, "NUL"));
}

Test(crtvd_request, body_is_length_bounded_not_nul_bounded)
{
    const char *body = "host=a\ncert_0=" PEM_A "\nerror_name_0=X509_V_ERR_CERT_REVOKED";
    size_t cut = strlen(body) - strlen("\nerror_name_0=X509_V_ERR_CERT_REVOKED");
    struct si_crtvd_request r;
    char err[200];

    cr_assert_eq(si_crtvd_parse(body, cut, &r, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(r.nerrors, 0);
    si_crtvd_request_free(&r);
}

Test(crtvd_request, known_error_names)
{
    cr_assert(si_crtvd_error_known("X509_V_ERR_CERT_REVOKED"));
    cr_assert(si_crtvd_error_known("X509_V_ERR_OCSP_VERIFY_NEEDED"));
    cr_assert(si_crtvd_error_known("X509_V_ERR_OCSP_CERT_UNKNOWN"));
    cr_assert(si_crtvd_error_known("SQUID_X509_V_ERR_DOMAIN_MISMATCH"));
    cr_assert_not(si_crtvd_error_known("1234"));
    cr_assert_not(si_crtvd_error_known("X509_V_ERR_MADE_UP"));
    cr_assert_not(si_crtvd_error_known(NULL));
}

Test(crtvd_request, reply_body_layout)
{
    struct si_crtvd_reply rep = {0};

    cr_assert_eq(si_crtvd_reply_add(&rep, "X509_V_ERR_CERT_REVOKED",
                                    "OCSP: revoked\n(keyCompromise)\x01", 0), 0);
    cr_assert_eq(si_crtvd_reply_add(&rep, "SQUID_X509_V_ERR_DOMAIN_MISMATCH", NULL, 2), 0);
    cr_assert_eq(si_crtvd_reply_add(&rep, "NOT_A_NAME", "x", 0), -1);
    cr_assert_eq(si_crtvd_reply_add(&rep, "X509_V_ERR_OCSP_VERIFY_NEEDED", "", -1), 0);
    cr_assert_eq(rep.count, 3);
    cr_assert_str_eq(rep.buf, "error_name_0=X509_V_ERR_CERT_REVOKED\n"
                              "error_reason_0=OCSP: revoked (keyCompromise) \n"
                              "error_cert_0=cert_0\nerror_depth_0=0\n"
                              "error_name_1=SQUID_X509_V_ERR_DOMAIN_MISMATCH\n"
                              "error_cert_1=cert_2\nerror_depth_1=2\n"
                              "error_name_2=X509_V_ERR_OCSP_VERIFY_NEEDED\n");
    cr_assert_eq(rep.len, strlen(rep.buf));
    si_crtvd_reply_free(&rep);
    cr_assert_null(rep.buf);
}
