/* Unit tests for the https-inspection and certificate-validation queries of lib/policy. */
#include <criterion/criterion.h>
#include <string.h>

#include "policy_fixture.h"

static char err[2048];
static struct si_policy *P;

static void setup(void)
{
    P = si_policy_load(SRCDIR "/schema/examples/policy.xml", err, sizeof(err));
    cr_assert_not_null(P, "%s", err);
}

static void teardown(void)
{
    si_policy_unref(P);
}

static struct si_inspect_result decide(const char *ip, const char *user, const char *sni, int port)
{
    struct si_inspect_facts f = {.client_ip = ip, .user = user, .server_name = sni, .port = port};
    struct si_inspect_result r;

    si_policy_inspection_decide(P, &f, &r);
    return r;
}

TestSuite(inspection, .init = setup, .fini = teardown);

Test(inspection, source_network_bypass)
{
    struct si_inspect_result r = decide("10.9.0.5", NULL, "www.example.org", 443);
    cr_assert_eq(r.action, SI_INSPECT_BYPASS);
    cr_assert_str_eq(r.rule_id, "servers-direct");
    cr_assert(strstr(r.reason, "source 10.9.0.5 in network 'servers'"), "%s", r.reason);
    cr_assert_gt(r.rule_line, 0);
}

Test(inspection, domain_list_from_file)
{
    struct si_inspect_result r = decide("10.1.1.1", "alice", "WWW.Bank.Example", 443);
    cr_assert_eq(r.action, SI_INSPECT_BYPASS);
    cr_assert_str_eq(r.rule_id, "no-banking");
    cr_assert(strstr(r.reason, "in domains 'finance-sites'"), "%s", r.reason);
    r = decide("10.1.1.1", "alice", "pay.example.net", 443);
    cr_assert_str_eq(r.rule_id, "no-banking");
    r = decide("10.1.1.1", "alice", "x.pay.example.net", 443);
    cr_assert_str_eq(r.rule_id, "pilot-only");
}

Test(inspection, verify_name_flag)
{
    struct si_inspect_result r = decide("10.1.1.1", NULL, "av.sophos.com", 443);
    cr_assert_str_eq(r.rule_id, "pinned-av");
    cr_assert(r.verify_name);
    r = decide("10.9.0.1", NULL, "av.sophos.com", 443);
    cr_assert_not(r.verify_name);
}

Test(inspection, port_terminate)
{
    struct si_inspect_result r = decide("10.1.1.1", NULL, "odd.example", 25);
    cr_assert_eq(r.action, SI_INSPECT_TERMINATE);
    cr_assert_str_eq(r.rule_id, "no-odd-ports");
    cr_assert(strstr(r.reason, "port 25 in 1-442"), "%s", r.reason);
    r = decide("10.1.1.1", NULL, "odd.example", 443);
    cr_assert_neq(r.action, SI_INSPECT_TERMINATE);
    r = decide("10.1.1.1", NULL, "odd.example", 0); /* unknown port never matches */
    cr_assert_neq(r.action, SI_INSPECT_TERMINATE);
}

Test(inspection, user_and_network_both_needed)
{
    struct si_inspect_result r = decide("10.2.3.4", "bob", "news.example", 443);
    cr_assert_str_eq(r.rule_id, "pilot-only");
    cr_assert(strstr(r.reason, "user bob in users 'pilot'"), "%s", r.reason);
    r = decide("10.2.3.4", "carol", "news.example", 443);
    cr_assert(r.is_default);
    cr_assert_str_eq(r.rule_id, "default");
    cr_assert_eq(r.action, SI_INSPECT_INSPECT);
    cr_assert(strstr(r.reason, "no https-inspection rule matched"), "%s", r.reason);
    r = decide("fd00:1::7", "alice", "news.example", 443);
    cr_assert_str_eq(r.rule_id, "pilot-only");
    r = decide(NULL, "alice", NULL, 0);
    cr_assert(r.is_default);
}

Test(inspection, groups_and_default_bypass)
{
    struct si_policy *p = load_body(
        "<objects><groups id=\"g\" names=\"it-admins\"/></objects>"
        "<https-inspection default=\"bypass\"><rule id=\"adm\" action=\"inspect\">"
        "<group list=\"g\"/></rule></https-inspection>", err, sizeof(err));
    struct si_inspect_facts f = {.groups = "staff, IT-Admins"};
    struct si_inspect_result r;

    cr_assert_not_null(p, "%s", err);
    cr_assert_eq(si_policy_inspection_decide(p, &f, &r), SI_INSPECT_INSPECT);
    cr_assert(strstr(r.reason, "group IT-Admins in groups 'g'"), "%s", r.reason);
    f.groups = "staff";
    cr_assert_eq(si_policy_inspection_decide(p, &f, &r), SI_INSPECT_BYPASS);
    cr_assert(r.is_default);
    si_policy_unref(p);
}

TestSuite(validation, .init = setup, .fini = teardown);

Test(validation, defaults_and_overrides)
{
    struct si_validation_settings v;

    si_policy_validation_for(P, "www.example.org", &v);
    cr_assert_eq(v.revocation, SI_REVOCATION_SOFT);
    cr_assert_eq(v.ocsp_timeout_ms, 3000);
    cr_assert_eq(v.crl, SI_CRL_FALLBACK);
    cr_assert_eq(v.override_line, 0);
    cr_assert_str_eq(v.source, "defaults");

    si_policy_validation_for(P, "online.bank.example", &v);
    cr_assert_eq(v.revocation, SI_REVOCATION_HARD);
    cr_assert_eq(v.ocsp_timeout_ms, 3000); /* inherited */
    cr_assert_gt(v.override_line, 0);
    cr_assert(strstr(v.source, ".bank.example"), "%s", v.source);

    si_policy_validation_for(P, "pay.example.net", &v);
    cr_assert_eq(v.revocation, SI_REVOCATION_HARD);
    cr_assert_eq(v.ocsp_timeout_ms, 5000);

    si_policy_validation_for(P, NULL, &v);
    cr_assert_eq(v.revocation, SI_REVOCATION_SOFT);
    cr_assert_str_eq(si_revocation_name(SI_REVOCATION_HARD), "hard");
    cr_assert_str_eq(si_crl_mode_name(SI_CRL_ALWAYS), "always");
}

Test(validation, section_attributes)
{
    struct si_policy *p = load_body("<certificate-validation revocation=\"off\" ocsp-timeout=\"250ms\""
                                    " crl=\"always\"><override server-name=\"x.example\" "
                                    "crl=\"off\"/></certificate-validation>", err, sizeof(err));
    struct si_validation_settings v;

    cr_assert_not_null(p, "%s", err);
    si_policy_validation_for(p, "X.example", &v);
    cr_assert_eq(v.revocation, SI_REVOCATION_OFF);
    cr_assert_eq(v.ocsp_timeout_ms, 250);
    cr_assert_eq(v.crl, SI_CRL_OFF);
    si_policy_validation_for(p, "y.x.example", &v); /* exact entry: no subdomains */
    cr_assert_eq(v.crl, SI_CRL_ALWAYS);
    si_policy_unref(p);
}
