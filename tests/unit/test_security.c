/* Unit tests for security-policy evaluation (lib/security.c): every condition and action. */
#include <criterion/criterion.h>
#include <string.h>
#include <strings.h>

#include "policy_fixture.h"
#include "bodyscan.h"
#include "security.h"

static char err[2048];

struct hdrs {
    const char *req[8];  /* name, value, name, value, ... NULL */
    const char *resp[8];
};

static const char *get_header(void *ctx, bool response, const char *name)
{
    const struct hdrs *h = ctx;
    const char *const *v = response ? h->resp : h->req;

    for (int i = 0; i < 8 && v[i]; i += 2)
        if (strcasecmp(v[i], name) == 0)
            return v[i + 1];
    return NULL;
}

static struct si_sec_facts facts(const char *method, const char *host, const char *path,
                                 const char *query)
{
    struct si_sec_facts f = {.client_ip = "10.1.2.3", .method = method, .host = host,
                             .path = path, .query = query, .req_body_size = -1,
                             .resp_body_size = -1};
    return f;
}

static struct si_policy *load(const char *body)
{
    struct si_policy *p = load_body(body, err, sizeof(err));
    cr_assert_not_null(p, "%s", err);
    return p;
}

#define EVAL(p, ph, f, b, v) si_security_evaluate(p, ph, f, b, v)

Test(security, host_method_default)
{
    struct si_policy *p = load(
        "<objects><domains id=\"bad\">.evil.example\nmalware.test</domains></objects>"
        "<security-policy default=\"allow\">"
        "<rule id=\"bad-sites\" action=\"block\" reason=\"Known bad site\"><host list=\"bad\"/></rule>"
        "<rule id=\"no-put\" action=\"block\"><method>PUT DELETE</method><host>files.example</host></rule>"
        "</security-policy>");
    struct si_sec_facts f = facts("GET", "a.b.evil.example", "/", NULL);
    struct si_sec_verdict v;

    cr_assert_eq(EVAL(p, SI_PHASE_REQUEST, &f, NULL, &v), SI_SEC_DECIDED);
    cr_assert_eq(v.action, SI_SEC_BLOCK);
    cr_assert_str_eq(v.rule_id, "bad-sites");
    cr_assert_str_eq(v.message, "Known bad site");
    cr_assert(strstr(v.reason, "host a.b.evil.example"), "%s", v.reason);
    f.host = "evil.example.org";
    EVAL(p, SI_PHASE_REQUEST, &f, NULL, &v);
    cr_assert(v.is_default);
    cr_assert_eq(v.action, SI_SEC_ALLOW);
    f = facts("put", "files.example", "/x", NULL);
    EVAL(p, SI_PHASE_REQUEST, &f, NULL, &v);
    cr_assert_str_eq(v.rule_id, "no-put");
    f.method = "GET";
    EVAL(p, SI_PHASE_REQUEST, &f, NULL, &v);
    cr_assert(v.is_default);
    /* no request rules match in the response phase, whose default is always allow */
    f.method = "PUT";
    EVAL(p, SI_PHASE_RESPONSE, &f, NULL, &v);
    cr_assert(v.is_default);
    si_policy_unref(p);
}

Test(security, default_block_and_client_user_group)
{
    struct si_policy *p = load(
        "<objects><network id=\"lan\" cidr=\"10.1.0.0/16\"/><users id=\"u\" names=\"alice\"/>"
        "</objects><security-policy default=\"block\">"
        "<rule id=\"alice\" action=\"allow\"><source network=\"lan\"/><user list=\"u\"/></rule>"
        "<rule id=\"admins\" action=\"allow\"><group names=\"admins\"/></rule>"
        "</security-policy>");
    struct si_sec_facts f = facts("GET", "x.example", "/", NULL);
    struct si_sec_verdict v;

    f.user = "alice";
    EVAL(p, SI_PHASE_REQUEST, &f, NULL, &v);
    cr_assert_str_eq(v.rule_id, "alice");
    f.client_ip = "192.168.1.1";
    EVAL(p, SI_PHASE_REQUEST, &f, NULL, &v);
    cr_assert(v.is_default);
    cr_assert_eq(v.action, SI_SEC_BLOCK);
    f.groups = "staff,admins";
    EVAL(p, SI_PHASE_REQUEST, &f, NULL, &v);
    cr_assert_str_eq(v.rule_id, "admins");
    si_policy_unref(p);
}

Test(security, url_path_query_glob_regex)
{
    struct si_policy *p = load(
        "<objects><urls id=\"dl\"><glob>*/download/*</glob><regex>\\.iso$</regex></urls></objects>"
        "<security-policy>"
        "<rule id=\"dl\" action=\"block\"><url list=\"dl\"/></rule>"
        "<rule id=\"admin\" action=\"block\"><path glob=\"/admin/*\"/></rule>"
        "<rule id=\"re\" action=\"block\"><path regex=\"^/api/v[0-9]+/delete\"/></rule>"
        "<rule id=\"q\" action=\"block\"><query glob=\"*debug=1*\"/></rule>"
        "<rule id=\"qr\" action=\"block\"><query regex=\"(^|&amp;)token=\"/></rule>"
        "<rule id=\"u\" action=\"block\"><url glob=\"WWW.EXAMPLE.COM/x?*\"/></rule>"
        "</security-policy>");
    struct si_sec_verdict v;
    struct {
        const char *host, *path, *query, *rule;
    } cases[] = {
        {"h.example", "/pub/download/a.zip", NULL, "dl"},
        {"h.example", "/pub/image.iso", NULL, "dl"},
        {"h.example", "/admin/users", NULL, "admin"},
        {"h.example", "/Admin/users", NULL, "default"},
        {"h.example", "/api/v2/delete/7", NULL, "re"},
        {"h.example", "/api/vX/delete", NULL, "default"},
        {"h.example", "/", "a=1&debug=1", "q"},
        {"h.example", "/", "a=1&token=2", "qr"},
        {"h.example", "/", "mytoken=2", "default"},
        {"www.example.com", "/x", "y=1", "u"},
        {"www.example.com", "/x", NULL, "default"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct si_sec_facts f = facts("GET", cases[i].host, cases[i].path, cases[i].query);
        EVAL(p, SI_PHASE_REQUEST, &f, NULL, &v);
        cr_assert_str_eq(v.rule_id, cases[i].rule, "case %zu: %s%s", i, cases[i].path,
                         v.reason);
    }
    si_policy_unref(p);
}

Test(security, request_headers)
{
    struct si_policy *p = load(
        "<security-policy><rule id=\"ua\" action=\"block\"><request>"
        "<header name=\"User-Agent\" glob=\"*curl*\"/></request></rule>"
        "<rule id=\"x\" action=\"block\"><request><header name=\"X-Debug\"/></request></rule>"
        "</security-policy>");
    struct hdrs h = {.req = {"user-agent", "CURL/8.0", NULL}};
    struct si_sec_facts f = facts("GET", "h.example", "/", NULL);
    struct si_sec_verdict v;

    f.header = get_header;
    f.header_ctx = &h;
    EVAL(p, SI_PHASE_REQUEST, &f, NULL, &v);
    cr_assert_str_eq(v.rule_id, "ua");
    h.req[1] = "Mozilla";
    EVAL(p, SI_PHASE_REQUEST, &f, NULL, &v);
    cr_assert(v.is_default);
    h.req[2] = "X-Debug";
    h.req[3] = "";
    EVAL(p, SI_PHASE_REQUEST, &f, NULL, &v);
    cr_assert_str_eq(v.rule_id, "x");
    si_policy_unref(p);
}

static const char cards3[] = "a=4111 1111 1111 1111&b=5500-0000-0000-0004&c=340000000000009";
static const char cards2[] = "a=4111111111111111&b=5500000000000004&c=4111111111111112";

Test(security, payment_cards_need_body_and_min)
{
    struct si_policy *p = load(
        "<security-policy><rule id=\"cards\" action=\"block\"><method>POST</method><request>"
        "<body-match kind=\"payment-card\" min=\"3\"/></request></rule></security-policy>");
    struct si_sec_facts f = facts("POST", "shop.example", "/pay", NULL);
    struct si_sec_body b = {(const unsigned char *)cards3, strlen(cards3), true};
    struct si_sec_verdict v;

    cr_assert_eq(EVAL(p, SI_PHASE_REQUEST, &f, NULL, &v), SI_SEC_NEED_BODY);
    cr_assert(si_security_phase_uses_body(p, SI_PHASE_REQUEST));
    cr_assert_not(si_security_phase_uses_body(p, SI_PHASE_RESPONSE));
    cr_assert_eq(EVAL(p, SI_PHASE_REQUEST, &f, &b, &v), SI_SEC_DECIDED);
    cr_assert_str_eq(v.rule_id, "cards");
    cr_assert(strstr(v.reason, "3 payment card matches (min 3)"), "%s", v.reason);
    b.data = (const unsigned char *)cards2; /* two valid, one failing Luhn */
    b.len = strlen(cards2);
    EVAL(p, SI_PHASE_REQUEST, &f, &b, &v);
    cr_assert(v.is_default);
    b.complete = false; /* a prefix is not enough for body-match */
    cr_assert_eq(EVAL(p, SI_PHASE_REQUEST, &f, &b, &v), SI_SEC_NEED_BODY);
    f.method = "GET"; /* header conditions fail first: no body needed */
    cr_assert_eq(EVAL(p, SI_PHASE_REQUEST, &f, NULL, &v), SI_SEC_DECIDED);
    si_policy_unref(p);
}

Test(security, keywords_regex_and_body_size)
{
    struct si_policy *p = load(
        "<security-policy><rule id=\"kw\" action=\"block\"><request><body-match kind=\"keyword\" "
        "min=\"2\">\n  Top Secret \n  confidential\n</body-match></request></rule>"
        "<rule id=\"re\" action=\"block\"><request><body-match kind=\"regex\">"
        "ssn=[0-9]{3}-[0-9]{2}-[0-9]{4}</body-match></request></rule>"
        "<rule id=\"big\" action=\"block\"><request><body-size min=\"1k\"/></request></rule>"
        "</security-policy>");
    struct si_sec_facts f = facts("POST", "h.example", "/", NULL);
    const char *t1 = "this is TOP SECRET and also Confidential";
    struct si_sec_body b = {(const unsigned char *)t1, strlen(t1), true};
    struct si_sec_verdict v;

    EVAL(p, SI_PHASE_REQUEST, &f, &b, &v);
    cr_assert_str_eq(v.rule_id, "kw");
    b.data = (const unsigned char *)"only top secret";
    b.len = strlen((const char *)b.data);
    EVAL(p, SI_PHASE_REQUEST, &f, &b, &v);
    cr_assert(v.is_default, "%s", v.rule_id);
    b.data = (const unsigned char *)"x&ssn=123-45-6789";
    b.len = strlen((const char *)b.data);
    EVAL(p, SI_PHASE_REQUEST, &f, &b, &v);
    cr_assert_str_eq(v.rule_id, "re");
    /* size from Content-Length, no body needed... but earlier body rules still need it */
    f.req_body_size = 5000;
    cr_assert_eq(EVAL(p, SI_PHASE_REQUEST, &f, NULL, &v), SI_SEC_NEED_BODY);
    static char big[2000];
    memset(big, 'a', sizeof(big));
    b.data = (const unsigned char *)big;
    b.len = sizeof(big);
    f.req_body_size = -1;
    EVAL(p, SI_PHASE_REQUEST, &f, &b, &v);
    cr_assert_str_eq(v.rule_id, "big");
    si_policy_unref(p);
}

Test(security, response_status_ctype_filetype)
{
    struct si_policy *p = load(
        "<security-policy>"
        "<rule id=\"exe\" action=\"block\"><response><file-type>exe elf</file-type></response></rule>"
        "<rule id=\"nf\" action=\"block\"><response><status>404 5xx</status></response></rule>"
        "<rule id=\"vid\" action=\"block\"><response><content-type>video/*</content-type>"
        "</response></rule>"
        "<rule id=\"srv\" action=\"block\"><response><header name=\"Server\" regex=\"^evil\"/>"
        "</response></rule>"
        "<rule id=\"big\" action=\"block\"><response><body-size max=\"10\"/>"
        "<content-type>text/plain</content-type></response></rule>"
        "</security-policy>");
    struct si_sec_facts f = facts("GET", "h.example", "/readme.txt", NULL);
    struct hdrs h = {.resp = {"Server", "evil/1.0", NULL}};
    const char mz[] = "MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8 more";
    struct si_sec_body b = {(const unsigned char *)mz, sizeof(mz) - 1, false};
    struct si_sec_verdict v;

    f.status = 200;
    f.content_type = "text/plain; charset=utf-8";
    cr_assert_eq(EVAL(p, SI_PHASE_RESPONSE, &f, NULL, &v), SI_SEC_NEED_BODY);
    cr_assert_eq(EVAL(p, SI_PHASE_RESPONSE, &f, &b, &v), SI_SEC_DECIDED);
    cr_assert_str_eq(v.rule_id, "exe");
    cr_assert(strstr(v.reason, "file type exe"), "%s", v.reason);
    b.data = (const unsigned char *)"plain text file, harmless";
    b.len = strlen((const char *)b.data);
    b.complete = true;
    f.status = 503;
    EVAL(p, SI_PHASE_RESPONSE, &f, &b, &v);
    cr_assert_str_eq(v.rule_id, "nf");
    f.status = 200;
    f.content_type = "Video/MP4";
    EVAL(p, SI_PHASE_RESPONSE, &f, &b, &v);
    cr_assert_str_eq(v.rule_id, "vid");
    f.content_type = "text/plain";
    f.header = get_header;
    f.header_ctx = &h;
    EVAL(p, SI_PHASE_RESPONSE, &f, &b, &v);
    cr_assert_str_eq(v.rule_id, "srv");
    h.resp[1] = "nginx";
    EVAL(p, SI_PHASE_RESPONSE, &f, &b, &v); /* 25 bytes > max 10 */
    cr_assert(v.is_default);
    f.resp_body_size = 5;
    EVAL(p, SI_PHASE_RESPONSE, &f, &b, &v);
    cr_assert_str_eq(v.rule_id, "big");
    si_policy_unref(p);
}

Test(security, response_body_content)
{
    struct si_policy *p = load(
        "<security-policy><rule id=\"eicar\" action=\"block\"><response>"
        "<body-match kind=\"keyword\">EICAR-STANDARD-ANTIVIRUS-TEST-FILE</body-match></response>"
        "</rule></security-policy>");
    struct si_sec_facts f = facts("GET", "h.example", "/", NULL);
    const char *t = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
    struct si_sec_body b = {(const unsigned char *)t, strlen(t), true};
    struct si_sec_verdict v;

    f.status = 200;
    EVAL(p, SI_PHASE_RESPONSE, &f, &b, &v);
    cr_assert_str_eq(v.rule_id, "eicar");
    si_policy_unref(p);
}

Test(security, modify_redirect_monitor)
{
    struct si_policy *p = load(
        "<security-policy>"
        "<rule id=\"cards\" action=\"block\" mode=\"monitor\"><request>"
        "<body-match kind=\"payment-card\" min=\"1\"/></request></rule>"
        "<rule id=\"tenant\" action=\"modify\"><host>login.microsoftonline.com</host>"
        "<add-header name=\"Restrict-Access-To-Tenants\" value=\"example.com\"/>"
        "<remove-header name=\"Cookie\"/></rule>"
        "<rule id=\"ss\" action=\"modify\"><host>.google.com</host><path glob=\"/search\"/>"
        "<set-query-param name=\"safe\" value=\"active\"/></rule>"
        "<rule id=\"old\" action=\"redirect\" location=\"https://new.example/\">"
        "<host>old.example</host></rule>"
        "<rule id=\"brand\" action=\"modify\"><host>intranet.example</host>"
        "<replace-body find=\"ACME\" replace=\"Example Corp\"/>"
        "<set-header on=\"response\" name=\"X-Frame-Options\" value=\"DENY\"/></rule>"
        "</security-policy>");
    struct si_sec_facts f = facts("POST", "login.microsoftonline.com", "/", NULL);
    struct si_sec_body b = {(const unsigned char *)cards2, strlen(cards2), true};
    struct si_sec_verdict v;

    EVAL(p, SI_PHASE_REQUEST, &f, &b, &v);
    cr_assert_eq(v.action, SI_SEC_MODIFY);
    cr_assert_str_eq(v.rule_id, "tenant");
    cr_assert_eq(v.nmods, 2);
    cr_assert_eq(v.mods[0].type, SI_MOD_ADD_HEADER);
    cr_assert_str_eq(v.mods[0].name, "Restrict-Access-To-Tenants");
    cr_assert_not(v.mods[0].on_response);
    cr_assert_eq(v.mods[1].type, SI_MOD_REMOVE_HEADER);
    cr_assert_eq(v.nmonitor, 1, "monitor rule must be recorded");
    cr_assert_str_eq(v.monitor[0].rule_id, "cards");
    cr_assert_eq(v.monitor[0].action, SI_SEC_BLOCK);

    f = facts("GET", "www.google.com", "/search", "q=x&safe=off");
    EVAL(p, SI_PHASE_REQUEST, &f, NULL, &v); /* GET has no body: monitor rule needs it */
    f.req_body_size = 0;
    struct si_sec_body empty = {(const unsigned char *)"", 0, true};
    EVAL(p, SI_PHASE_REQUEST, &f, &empty, &v);
    cr_assert_str_eq(v.rule_id, "ss");
    cr_assert_eq(v.mods[0].type, SI_MOD_SET_QUERY);

    f = facts("GET", "old.example", "/", NULL);
    EVAL(p, SI_PHASE_REQUEST, &f, &empty, &v);
    cr_assert_eq(v.action, SI_SEC_REDIRECT);
    cr_assert_str_eq(v.location, "https://new.example/");

    f = facts("GET", "intranet.example", "/", NULL);
    f.status = 200;
    cr_assert(si_security_phase_uses_body(p, SI_PHASE_RESPONSE));
    EVAL(p, SI_PHASE_RESPONSE, &f, NULL, &v);
    cr_assert_str_eq(v.rule_id, "brand");
    size_t n;
    unsigned char *out = si_body_replace((const unsigned char *)"<p>ACME and ACME</p>", 20,
                                         v.mods, v.nmods, &n);
    cr_assert_not_null(out);
    cr_assert_eq(n, strlen("<p>Example Corp and Example Corp</p>"));
    cr_assert(memcmp(out, "<p>Example Corp and Example Corp</p>", n) == 0);
    free(out);
    cr_assert_null(si_body_replace((const unsigned char *)"nothing", 7, v.mods, v.nmods, &n));
    si_policy_unref(p);
}

Test(security, example_policy_evaluates)
{
    struct si_policy *p = si_policy_load(SRCDIR "/schema/examples/policy.xml", err, sizeof(err));
    struct si_sec_facts f = facts("GET", "dl.example", "/setup.txt", NULL);
    const char elf[] = "\x7f" "ELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00";
    struct si_sec_body b = {(const unsigned char *)elf, 16, false};
    struct si_sec_verdict v;

    cr_assert_not_null(p, "%s", err);
    f.status = 200;
    f.content_type = "text/plain";
    EVAL(p, SI_PHASE_RESPONSE, &f, &b, &v);
    cr_assert_str_eq(v.rule_id, "no-exe");
    cr_assert_str_eq(v.message, "Executable downloads are not allowed");
    si_policy_unref(p);
}

/* Host-prefiltered rules are skipped as a block when the host is in none of their lists; the
 * rules between them keep their place in first-match order. */
Test(security, host_prefilter_keeps_first_match_order)
{
    struct si_policy *p = load(
        "<security-policy default=\"allow\">"
        "<rule id=\"h-a\" action=\"block\"><host>a.test</host></rule>"
        "<rule id=\"any-x\" action=\"block\"><path glob=\"/x*\"/></rule>"
        "<rule id=\"h-b\" action=\"redirect\" location=\"https://n.test/\"><host>.b.test</host></rule>"
        "<rule id=\"no-host\" action=\"block\"><method>DELETE</method></rule>"
        "</security-policy>");
    struct si_sec_facts f = facts("GET", "c.test", "/x1", NULL);
    struct si_sec_verdict v;

    EVAL(p, SI_PHASE_REQUEST, &f, NULL, &v);
    cr_assert_str_eq(v.rule_id, "any-x", "host in no list: the unfiltered rule still matches");
    f.host = "www.b.test";
    EVAL(p, SI_PHASE_REQUEST, &f, NULL, &v);
    cr_assert_str_eq(v.rule_id, "any-x", "an earlier unfiltered rule wins over a later host rule");
    f.path = "/y";
    EVAL(p, SI_PHASE_REQUEST, &f, NULL, &v);
    cr_assert_str_eq(v.rule_id, "h-b");
    f.host = "a.test";
    EVAL(p, SI_PHASE_REQUEST, &f, NULL, &v);
    cr_assert_str_eq(v.rule_id, "h-a");
    f.host = NULL;
    f.method = "DELETE";
    EVAL(p, SI_PHASE_REQUEST, &f, NULL, &v);
    cr_assert_str_eq(v.rule_id, "no-host", "no host at all: host rules cannot match");
    f.method = "GET";
    EVAL(p, SI_PHASE_REQUEST, &f, NULL, &v);
    cr_assert(v.is_default);
    cr_assert(si_security_phase_has_rules(p, SI_PHASE_REQUEST));
    cr_assert_not(si_security_phase_has_rules(p, SI_PHASE_RESPONSE));
    cr_assert_not(si_security_phase_uses_body(p, SI_PHASE_REQUEST));
    si_policy_unref(p);
}

Test(security, response_header_mods_and_headers_only_decision)
{
    struct si_policy *p = load(
        "<security-policy>"
        "<rule id=\"hdr\" action=\"modify\"><host>hdr.example</host>"
        "<set-header on=\"response\" name=\"X-Frame-Options\" value=\"DENY\"/>"
        "<remove-header on=\"response\" name=\"Server\"/></rule>"
        "<rule id=\"marker\" action=\"block\"><host>scan.example</host><response>"
        "<body-match kind=\"keyword\">MARKER</body-match></response></rule>"
        "</security-policy>");
    struct si_sec_facts f = facts("GET", "hdr.example", "/", NULL);
    struct si_sec_verdict v;

    f.status = 200;
    /* on="response" changes make it a response rule, decided from the headers */
    cr_assert_eq(EVAL(p, SI_PHASE_RESPONSE, &f, NULL, &v), SI_SEC_DECIDED);
    cr_assert_eq(v.action, SI_SEC_MODIFY);
    cr_assert_str_eq(v.rule_id, "hdr");
    cr_assert_eq(v.nmods, 2);
    cr_assert_eq(v.mods[0].type, SI_MOD_SET_HEADER);
    cr_assert(v.mods[0].on_response);
    cr_assert_str_eq(v.mods[0].name, "X-Frame-Options");
    cr_assert_str_eq(v.mods[0].value, "DENY");
    cr_assert_eq(v.mods[1].type, SI_MOD_REMOVE_HEADER);
    cr_assert(v.mods[1].on_response);
    cr_assert_null(v.mods[1].value);
    /* a body rule of another host does not hold an (encoded) response: decided without body */
    f.host = "dl.example";
    cr_assert_eq(EVAL(p, SI_PHASE_RESPONSE, &f, NULL, &v), SI_SEC_DECIDED);
    cr_assert(v.is_default);
    f.host = "scan.example";
    cr_assert_eq(EVAL(p, SI_PHASE_RESPONSE, &f, NULL, &v), SI_SEC_NEED_BODY);
    si_policy_unref(p);
}

/* response_unknown (inspect-ctl replay: no response at hand): a response rule testing the
 * response is undecided and named; one testing only the request still decides. */
Test(security, response_unknown_leaves_response_conditions_undecided)
{
    struct si_policy *p = load(
        "<security-policy>"
        "<rule id=\"frame\" action=\"modify\"><host>hdr.test</host>"
        "<set-header on=\"response\" name=\"X-Frame-Options\" value=\"DENY\"/></rule>"
        "<rule id=\"no-html\" action=\"block\"><host>html.test</host>"
        "<response><content-type>text/html</content-type></response></rule>"
        "</security-policy>");
    struct si_sec_facts f = facts("GET", "hdr.test", "/", NULL);
    struct si_sec_verdict v;

    f.response_unknown = true;
    cr_assert_eq(EVAL(p, SI_PHASE_RESPONSE, &f, NULL, &v), SI_SEC_DECIDED);
    cr_assert_str_eq(v.rule_id, "frame", "request conditions only: decided");
    f.host = "html.test";
    cr_assert_eq(EVAL(p, SI_PHASE_RESPONSE, &f, NULL, &v), SI_SEC_NEED_BODY);
    cr_assert_str_eq(v.rule_id, "no-html", "the undecided rule is named");
    f.host = "other.test";
    cr_assert_eq(EVAL(p, SI_PHASE_RESPONSE, &f, NULL, &v), SI_SEC_DECIDED);
    cr_assert_str_eq(v.rule_id, "default", "no rule's request conditions match: default");
    f.host = "html.test";
    f.response_unknown = false;
    f.content_type = "text/html";
    cr_assert_eq(EVAL(p, SI_PHASE_RESPONSE, &f, NULL, &v), SI_SEC_DECIDED);
    cr_assert_str_eq(v.rule_id, "no-html", "with the response known it decides as before");
    si_policy_unref(p);
}
