/* Unit tests for the policy loader: schema errors as file:line, semantic checks, safety. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "policy_fixture.h"

static char err[2048];

Test(policy_load, example_policy_loads)
{
    struct si_policy *p = si_policy_load(SRCDIR "/schema/examples/policy.xml", err, sizeof(err));
    struct si_policy_stats st;

    cr_assert_not_null(p, "%s", err);
    si_policy_get_stats(p, &st);
    cr_assert_eq(st.inspection_rules, 5);
    cr_assert_eq(st.security_rules, 5);
    cr_assert_eq(st.validation_overrides, 2);
    cr_assert_eq(st.domain_names, 4);
    cr_assert_eq(strlen(si_policy_digest(p)), 16);
    cr_assert_str_eq(si_policy_settings(p)->user_header, "X-Authenticated-User");
    cr_assert(si_policy_settings(p)->user_header_base64);
    cr_assert_not_null(si_policy_block_html(p));
    cr_assert(strstr(si_policy_block_html(p), "{{REF}}"));
    cr_assert(strstr(si_policy_settings(p)->block_template, "/schema/examples/block.html"));
    cr_assert_eq(si_policy_settings(p)->inspection_limit, 10ull << 20);
    cr_assert(si_policy_ref(p) == p);
    si_policy_unref(p);
    si_policy_unref(p);
}

Test(policy_load, empty_policy_has_defaults)
{
    struct si_policy *p = load_body("", err, sizeof(err));
    struct si_inspect_result r;

    cr_assert_not_null(p, "%s", err);
    cr_assert_eq(si_policy_inspection_decide(p, NULL, &r), SI_INSPECT_INSPECT);
    cr_assert(r.is_default);
    cr_assert_str_eq(si_policy_settings(p)->user_header, "X-Client-Username");
    cr_assert_eq(si_policy_settings(p)->inspection_limit, 16ull << 20);
    si_policy_unref(p);
}

Test(policy_load, inspection_limit_and_user_header_settings)
{
    struct si_policy *p = load_body("<settings><user-header name=\"X-Authenticated-User\" "
                                    "encoding=\"base64\"/><inspection-limit size=\"2M\" "
                                    "action=\"block\"/></settings>", err, sizeof(err));

    cr_assert_not_null(p, "%s", err);
    cr_assert_eq(si_policy_settings(p)->inspection_limit, 2ull << 20);
    cr_assert(si_policy_settings(p)->too_large_block, "action=\"block\" must be parsed");
    cr_assert_str_eq(si_policy_settings(p)->user_header, "X-Authenticated-User");
    cr_assert(si_policy_settings(p)->user_header_base64);
    si_policy_unref(p);
    p = load_body("<settings><inspection-limit size=\"60K\"/></settings>", err, sizeof(err));
    cr_assert_not_null(p, "%s", err);
    cr_assert_eq(si_policy_settings(p)->inspection_limit, 60ull << 10);
    cr_assert_not(si_policy_settings(p)->too_large_block, "the default action is allow");
    si_policy_unref(p);
}

Test(policy_load, not_well_formed_reports_line)
{
    ASSERT_FAILS_WITH("\n<objects>\n<network id=\"a\" cidr=\"10.0.0.0/8\">\n</objects>", "t.xml:4:");
}

Test(policy_load, schema_error_reports_line)
{
    ASSERT_FAILS_WITH("\n<https-inspection>\n<rule id=\"x\" action=\"maybe\"/>\n</https-inspection>",
                      "t.xml:3:");
    ASSERT_FAILS_WITH("<bogus/>", "t.xml:1:");
}

/* Attribute errors of the schema say what policy.rng allows there. */
Test(policy_load, schema_errors_list_the_allowed_values)
{
    ASSERT_FAILS_WITH("<security-policy>\n<rule id=\"x\" action=\"blok\"><method>PUT</method>"
                      "</rule></security-policy>",
                      "t.xml:2: Element rule failed to validate attributes: action=\"blok\" is not "
                      "one of the allowed values: allow, block, modify, redirect");
    ASSERT_FAILS_WITH("<https-inspection><rule id=\"x\" action=\"blok\"/></https-inspection>",
                      "action=\"blok\" is not one of the allowed values: bypass, inspect, terminate");
    ASSERT_FAILS_WITH("<security-policy><rule id=\"x\" action=\"block\" actoin=\"a\"/>"
                      "</security-policy>", "attribute actoin is not allowed on <rule> (allowed: "
                      "id, action, mode, location, reason, description)");
    ASSERT_FAILS_WITH("<security-policy><rule id=\"x\" action=\"modify\"><add-header on=\"both\" "
                      "name=\"a\" value=\"b\"/></rule></security-policy>",
                      "on=\"both\" is not one of the allowed values: request, response");
    ASSERT_FAILS_WITH("<settings><inspection-limit size=\"1M\" action=\"deny\"/></settings>",
                      "<inspection-limit> action=\"deny\" is not one of the allowed values: "
                      "allow, block");
}

Test(policy_load, wrong_namespace_refused)
{
    const char *xml = "<policy><objects/></policy>";
    cr_assert_null(si_policy_load_mem(xml, strlen(xml), "n.xml", NULL, err, sizeof(err)));
    cr_assert(strstr(err, "n.xml:1:"), "%s", err);
}

Test(policy_load, doctype_and_entities_refused)
{
    const char *xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE policy [<!ENTITY a \"aaaaaaaa\">"
                      "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>\n"
                      "<policy xmlns=\"urn:squid-inspect:policy:1\"/>";
    cr_assert_null(si_policy_load_mem(xml, strlen(xml), "d.xml", NULL, err, sizeof(err)));
    cr_assert(strstr(err, "DOCTYPE declarations are not allowed"), "%s", err);
    const char *ext = "<!DOCTYPE policy SYSTEM \"http://127.0.0.1:9/x.dtd\">"
                      "<policy xmlns=\"urn:squid-inspect:policy:1\"/>";
    cr_assert_null(si_policy_load_mem(ext, strlen(ext), "e.xml", NULL, err, sizeof(err)));
    cr_assert(strstr(err, "DOCTYPE"), "%s", err);
}

Test(policy_load, unknown_reference)
{
    ASSERT_FAILS_WITH("<https-inspection>\n<rule id=\"r\" action=\"bypass\">"
                      "<server-name list=\"nope\"/></rule></https-inspection>",
                      "t.xml:2: unknown object 'nope'");
}

Test(policy_load, reference_of_wrong_kind)
{
    ASSERT_FAILS_WITH("<objects><users id=\"u\" names=\"a\"/></objects>\n"
                      "<https-inspection><rule id=\"r\" action=\"bypass\">"
                      "<server-name list=\"u\"/></rule></https-inspection>",
                      "object 'u' (line 1) is a <users>");
}

Test(policy_load, duplicate_ids)
{
    ASSERT_FAILS_WITH("<https-inspection><rule id=\"r\" action=\"bypass\"><port>1</port></rule>\n"
                      "<rule id=\"r\" action=\"inspect\"><port>2</port></rule></https-inspection>",
                      "t.xml:2: duplicate https-inspection rule id 'r' (line 1)");
    ASSERT_FAILS_WITH("<objects><users id=\"u\" names=\"a\"/>\n<groups id=\"u\" names=\"b\"/>"
                      "</objects>", "t.xml:2: duplicate object id 'u'");
    ASSERT_FAILS_WITH("<security-policy><rule id=\"s\" action=\"block\"><method>PUT</method></rule>\n"
                      "<rule id=\"s\" action=\"block\"><method>GET</method></rule></security-policy>",
                      "t.xml:2: duplicate security-policy rule id 's'");
}

Test(policy_load, unreachable_rules)
{
    ASSERT_FAILS_WITH("<https-inspection><rule id=\"all\" action=\"bypass\"/>\n"
                      "<rule id=\"later\" action=\"inspect\"><port>443</port></rule>"
                      "</https-inspection>",
                      "t.xml:2: https-inspection rule 'later' can never match: rule 'all' (line 1)");
    ASSERT_FAILS_WITH("<https-inspection><rule id=\"a\" action=\"bypass\">"
                      "<server-name>.x.example y.example</server-name></rule>\n"
                      "<rule id=\"b\" action=\"inspect\"><server-name>y.example</server-name>"
                      "<port>443</port></rule></https-inspection>",
                      "rule 'b' can never match");
    ASSERT_FAILS_WITH("<security-policy><rule id=\"a\" action=\"block\"><host>x.example</host></rule>\n"
                      "<rule id=\"b\" action=\"allow\"><host>x.example</host><method>GET</method></rule>"
                      "</security-policy>",
                      "t.xml:2: security-policy rule 'b' can never match");
}

Test(policy_load, reachable_rules_accepted)
{
    /* narrower first, broader later; a monitor rule does not hide later rules; other phase */
    struct si_policy *p = load_body(
        "<https-inspection><rule id=\"a\" action=\"bypass\"><server-name>y.example</server-name>"
        "<port>443</port></rule><rule id=\"b\" action=\"inspect\"><server-name>y.example"
        "</server-name></rule></https-inspection>"
        "<security-policy><rule id=\"m\" action=\"block\" mode=\"monitor\"/>"
        "<rule id=\"r\" action=\"block\"><response><file-type>exe</file-type></response></rule>"
        "<rule id=\"q\" action=\"block\"><method>PUT</method></rule></security-policy>",
        err, sizeof(err));
    cr_assert_not_null(p, "%s", err);
    si_policy_unref(p);
}

Test(policy_load, bad_values)
{
    ASSERT_FAILS_WITH("<objects><network id=\"n\" cidr=\"10.0.0.0/8 300.1.1.1\"/></objects>",
                      "'300.1.1.1' is not an address or CIDR");
    ASSERT_FAILS_WITH("<https-inspection><rule id=\"r\" action=\"bypass\"><port>0-5</port></rule>"
                      "</https-inspection>", "not a port");
    ASSERT_FAILS_WITH("<security-policy><rule id=\"r\" action=\"block\"><path regex=\"a(\"/></rule>"
                      "</security-policy>", "bad regular expression 'a('");
    ASSERT_FAILS_WITH("<security-policy><rule id=\"r\" action=\"block\"><response><file-type>exe doc"
                      "</file-type></response></rule></security-policy>", "unknown file type 'doc'");
    ASSERT_FAILS_WITH("<security-policy><rule id=\"r\" action=\"redirect\"/></security-policy>",
                      "needs location");
    ASSERT_FAILS_WITH("<security-policy><rule id=\"r\" action=\"modify\"/></security-policy>",
                      "needs at least one of");
    ASSERT_FAILS_WITH("<security-policy><rule id=\"r\" action=\"block\"><add-header name=\"a\" "
                      "value=\"b\"/></rule></security-policy>", "need action=\"modify\"");
    ASSERT_FAILS_WITH("<security-policy><rule id=\"r\" action=\"block\"><response><status>700"
                      "</status></response></rule></security-policy>", "'700' is not an HTTP status");
    ASSERT_FAILS_WITH("<objects><domains id=\"d\" file=\"lists/missing.txt\"/></objects>",
                      "cannot open");
    ASSERT_FAILS_WITH("<certificate-validation ocsp-timeout=\"0s\"/>", "ocsp-timeout");
    ASSERT_FAILS_WITH("<settings><block-page template=\"missing.html\"/></settings>",
                      "block-page: cannot read template");
}

/* A response-phase rule runs at RESPMOD, after the request went out: request changes refused. */
Test(policy_load, request_changes_in_response_rules_refused)
{
    ASSERT_FAILS_WITH("<security-policy>\n<rule id=\"r\" action=\"modify\"><response><status>200"
                      "</status></response><add-header on=\"request\" name=\"X-A\" value=\"1\"/>"
                      "</rule></security-policy>",
                      "t.xml:2: rule 'r' has a response condition, so it runs at RESPMOD where "
                      "add-header on=\"request\" cannot take effect");
    ASSERT_FAILS_WITH("<security-policy><rule id=\"r\" action=\"modify\"><response><status>200"
                      "</status></response><remove-header on=\"request\" name=\"Cookie\"/>"
                      "</rule></security-policy>", "remove-header on=\"request\" cannot take effect");
    ASSERT_FAILS_WITH("<security-policy><rule id=\"r\" action=\"modify\"><replace-body find=\"a\" "
                      "replace=\"b\"/><set-header name=\"X-A\" value=\"1\"/></rule>"
                      "</security-policy>",
                      "rule 'r' has a response-side change, so it runs at RESPMOD where set-header");
    ASSERT_FAILS_WITH("<security-policy><rule id=\"r\" action=\"modify\"><add-header on=\"response\" "
                      "name=\"X-A\" value=\"1\"/><set-query-param name=\"q\" value=\"1\"/></rule>"
                      "</security-policy>", "RESPMOD where set-query-param cannot take effect");
    /* the same changes on their own side load */
    struct si_policy *p = load_body(
        "<security-policy><rule id=\"a\" action=\"modify\"><response><status>200</status>"
        "</response><add-header name=\"X-A\" value=\"1\"/><remove-header on=\"response\" "
        "name=\"Server\"/></rule><rule id=\"b\" action=\"modify\"><add-header on=\"request\" "
        "name=\"X-B\" value=\"1\"/><set-query-param name=\"q\" value=\"1\"/></rule>"
        "</security-policy>", err, sizeof(err));
    cr_assert_not_null(p, "%s", err);
    si_policy_unref(p);
}

Test(policy_load, several_errors_each_with_line)
{
    struct si_policy *p = load_body("<https-inspection>\n<rule id=\"a\" action=\"bypass\">"
                                    "<source network=\"x\"/></rule>\n<rule id=\"b\" action=\"bypass\">"
                                    "<user list=\"y\"/></rule></https-inspection>",
                                    err, sizeof(err));
    cr_assert_null(p);
    cr_assert(strstr(err, "t.xml:2: unknown object 'x'"), "%s", err);
    cr_assert(strstr(err, "\nt.xml:3: unknown object 'y'"), "%s", err);
}

Test(policy_load, missing_file)
{
    cr_assert_null(si_policy_load("/nonexistent/policy.xml", err, sizeof(err)));
    cr_assert(strstr(err, "/nonexistent/policy.xml: cannot open"), "%s", err);
    cr_assert_null(si_policy_load("/tmp", err, sizeof(err)));
    cr_assert(strstr(err, "not a regular file"), "%s", err);
}

Test(policy_load, schema_file_validates_example_with_xmllint)
{
    int rc = system("xmllint --noout --relaxng " SRCDIR "/schema/policy.rng "
                    SRCDIR "/schema/examples/policy.xml 2>/dev/null");
    cr_assert_eq(rc, 0);
}

/* Every truncation of a valid policy, and byte-flipped copies, are refused or loaded cleanly:
 * never a crash (run under --enable-sanitizers for leaks and overflows). */
Test(policy_load, truncated_and_corrupted_documents)
{
    FILE *f = fopen(SRCDIR "/schema/examples/policy.xml", "rb");
    char buf[16384];
    size_t n;

    cr_assert_not_null(f);
    n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    cr_assert_gt(n, 100);
    for (size_t len = 0; len < n; len += 7) {
        struct si_policy *p = si_policy_load_mem(buf, len, "trunc.xml", SRCDIR "/schema/examples",
                                                 err, sizeof(err));
        cr_assert_null(p, "a truncated policy (%zu of %zu bytes) loaded", len, n);
        cr_assert(strstr(err, "trunc.xml"), "%s", err);
    }
    unsigned seed = 12345;
    for (int round = 0; round < 300; round++) {
        char copy[16384];
        memcpy(copy, buf, n);
        for (int k = 0; k < 3; k++) {
            seed = seed * 1103515245u + 12345u;
            copy[(seed >> 8) % n] = (char)(seed >> 20);
        }
        si_policy_unref(si_policy_load_mem(copy, n, "flip.xml", SRCDIR "/schema/examples", err,
                                           sizeof(err)));
    }
}
