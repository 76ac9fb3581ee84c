/*
 * Unit tests for categories in lib/policy: <categories> sources (a UT1 / squidGuard tree, or
 * <category file> entries), <server-name category=> and <host category=>, load errors with
 * file:line, lazy loading, and the reasons and traces `inspect-ctl explain` prints.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy_fixture.h"
#include "policy_holder.h"
#include "policy_trace.h"
#include "security.h"

static char err[4096];

static struct si_inspect_result decide(const struct si_policy *p, const char *sni)
{
    struct si_inspect_facts f = {.client_ip = "10.1.2.3", .server_name = sni, .port = 443};
    struct si_inspect_result r;

    si_policy_inspection_decide(p, &f, &r);
    return r;
}

/* A scratch UT1-style tree: DIR/<cat>/domains for each "cat=name name ..." argument. */
static char tree[64];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

static void make_tree(void)
{
    char path[256];

    snprintf(tree, sizeof(tree), "/tmp/test_categories.XXXXXX");
    cr_assert_not_null(mkdtemp(tree));
    const char *cats[][2] = {
        {"finance", "bank.test\n# comment\n\nPay.Test\r\n"},
        {"gambling", "casino.test\n"},
        /* an unreferenced category with a broken line: never read unless named */
        {"broken", "good.test\nbad name.test\n"},
    };
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%s", tree, cats[i][0]);
        cr_assert_eq(mkdir(path, 0755), 0);
        snprintf(path, sizeof(path), "%s/%s/domains", tree, cats[i][0]);
        write_file(path, cats[i][1]);
    }
    /* a category with only a urls file */
    snprintf(path, sizeof(path), "%s/urlsonly", tree);
    cr_assert_eq(mkdir(path, 0755), 0);
    snprintf(path, sizeof(path), "%s/urlsonly/urls", tree);
    write_file(path, "x.test/path\n");
    snprintf(path, sizeof(path), "%s/extra.txt", tree);
    write_file(path, "casino.test\nlocal.test\n");
}

static void remove_tree(void)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tree);
    cr_assert_eq(system(cmd), 0);
}

/* Loads objects + https-inspection rules with the scratch tree as source "t". */
static struct si_policy *load_rules(const char *extra_objects, const char *rules)
{
    char body[4096];

    snprintf(body, sizeof(body),
             "<objects>\n<categories id=\"t\" dir=\"%s\"/>\n%s</objects>\n"
             "<https-inspection default=\"inspect\">\n%s</https-inspection>", tree,
             extra_objects, rules);
    return load_body(body, err, sizeof(err));
}

TestSuite(categories, .init = make_tree, .fini = remove_tree);

Test(categories, example_policy_loads_only_named_categories)
{
    struct si_policy *p = si_policy_load(SRCDIR "/schema/examples/categories.xml", err,
                                         sizeof(err));
    struct si_policy_stats st;

    cr_assert_not_null(p, "%s", err);
    si_policy_get_stats(p, &st);
    /* bank health government adult (ut1) + payroll (local); news is never read */
    cr_assert_eq(st.categories, 5);
    cr_assert_eq(st.category_names, 3 + 3 + 2 + 2 + 1);
    struct si_inspect_result r = decide(p, "www.online-banking.example");
    cr_assert_str_eq(r.rule_id, "privacy");
    cr_assert(strstr(r.reason, "server-name www.online-banking.example in category bank (ut1)"),
              "%s", r.reason);
    r = decide(p, "a.mybank.example");
    cr_assert_str_eq(r.rule_id, "privacy");
    cr_assert(strstr(r.reason, "in domains 'extra-banks'"), "%s", r.reason);
    r = decide(p, "payroll.example");
    cr_assert_str_eq(r.rule_id, "payroll");
    cr_assert(strstr(r.reason, "in category payroll (local)"), "%s", r.reason);
    r = decide(p, "news.example");
    cr_assert(r.is_default, "an unreferenced category matches nothing: %s", r.rule_id);
    si_policy_unref(p);
}

Test(categories, schema_file_validates_example_with_xmllint)
{
    int rc = system("xmllint --noout --relaxng " SRCDIR "/schema/policy.rng "
                    SRCDIR "/schema/examples/categories.xml 2>/dev/null");
    cr_assert_eq(rc, 0, "xmllint rejects schema/examples/categories.xml");
}

Test(categories, names_match_themselves_and_subdomains)
{
    struct si_policy *p = load_rules("", "<rule id=\"fin\" action=\"bypass\">"
                                         "<server-name category=\"finance\"/></rule>\n");

    cr_assert_not_null(p, "%s", err);
    cr_assert_str_eq(decide(p, "bank.test").rule_id, "fin");
    cr_assert_str_eq(decide(p, "WWW.Bank.Test.").rule_id, "fin");
    cr_assert_str_eq(decide(p, "a.b.pay.test").rule_id, "fin", "CRLF and case in the file");
    cr_assert(decide(p, "xbank.test").is_default);
    cr_assert(decide(p, "bank.test.evil").is_default);
    cr_assert(decide(p, "casino.test").is_default);
    cr_assert(decide(p, NULL).is_default, "no server name: no match");
    struct si_inspect_result r = decide(p, "www.bank.test");
    cr_assert_eq(r.action, SI_INSPECT_BYPASS);
    cr_assert(strstr(r.reason, "server-name www.bank.test in category finance (t)"), "%s",
              r.reason);
    si_policy_unref(p);
}

Test(categories, one_load_per_category_and_or_with_lists)
{
    char objs[512];

    snprintf(objs, sizeof(objs), "<categories id=\"own\"><category name=\"mine\" file=\"%s/extra.txt\"/>"
             "</categories>\n<domains id=\"d\">only.test</domains>\n", tree);
    struct si_policy *p = load_rules(objs,
        "<rule id=\"a\" action=\"bypass\"><server-name category=\"finance t:gambling\"/></rule>\n"
        "<rule id=\"b\" action=\"terminate\"><server-name list=\"d\" category=\"own:mine finance\"/>"
        "<port>8443</port></rule>\n");
    struct si_policy_stats st;

    cr_assert_not_null(p, "%s", err);
    si_policy_get_stats(p, &st);
    cr_assert_eq(st.categories, 3, "finance is loaded once for two rules: %zu", st.categories);
    cr_assert_eq(st.category_names, 2 + 1 + 2);
    cr_assert_str_eq(decide(p, "x.casino.test").rule_id, "a");
    struct si_inspect_facts f = {.server_name = "local.test", .port = 8443};
    struct si_inspect_result r;
    si_policy_inspection_decide(p, &f, &r);
    cr_assert_str_eq(r.rule_id, "b");
    cr_assert(strstr(r.reason, "in category mine (own)"), "%s", r.reason);
    f.server_name = "only.test";
    si_policy_inspection_decide(p, &f, &r);
    cr_assert_str_eq(r.rule_id, "b", "list= and category= are ORed");
    si_policy_unref(p);
}

Test(categories, unknown_category_is_a_file_line_error)
{
    struct si_policy *p = load_rules("", "<rule id=\"fin\" action=\"bypass\">\n"
                                         "<server-name category=\"finanse\"/></rule>\n");

    cr_assert_null(p);
    /* line 1 <policy><objects>, 2 categories, 3 </objects>, 4 section, 5 rule, 6 server-name */
    cr_assert(strstr(err, "t.xml:6: unknown category 'finanse' (not in categories 't')"), "%s",
              err);
    p = load_rules("", "<rule id=\"fin\" action=\"bypass\"><server-name category=\"zz:finance\"/>"
                       "</rule>\n");
    cr_assert_null(p);
    cr_assert(strstr(err, "t.xml:5: unknown category 'zz:finance': no <categories id=\"zz\">"),
              "%s", err);
    p = load_rules("", "<rule id=\"fin\" action=\"bypass\"><server-name category=\"t:nope\"/>"
                       "</rule>\n");
    cr_assert_null(p);
    cr_assert(strstr(err, "t.xml:5: unknown category 't:nope': categories 't' has no category "
                          "'nope' in /tmp/"), "%s", err);
    p = load_body("<https-inspection><rule id=\"x\" action=\"bypass\">"
                  "<server-name category=\"finance\"/></rule></https-inspection>", err,
                  sizeof(err));
    cr_assert_null(p);
    cr_assert(strstr(err, "unknown category 'finance' (no <categories> in <objects>)"), "%s", err);
}

Test(categories, missing_directory_and_files_are_errors)
{
    struct si_policy *p = load_body("<objects>\n<categories id=\"ut1\" dir=\"no/such/dir\"/>"
                                    "</objects>", err, sizeof(err));

    cr_assert_null(p);
    cr_assert(strstr(err, "t.xml:2: categories 'ut1': cannot open directory "), "%s", err);
    cr_assert(strstr(err, "/schema/examples/no/such/dir: No such file or directory"),
              "relative to the policy file: %s", err);
    p = load_body("<objects>\n<categories id=\"c\">\n<category name=\"x\" file=\"nofile.txt\"/>"
                  "</categories></objects>", err, sizeof(err));
    cr_assert_null(p);
    cr_assert(strstr(err, "t.xml:3: categories 'c': category 'x': cannot read "), "%s", err);
    p = load_body("<objects>\n<categories id=\"c\"/></objects>", err, sizeof(err));
    cr_assert_null(p);
    cr_assert(strstr(err, "t.xml:2: categories 'c': needs dir="), "%s", err);
    p = load_rules("", "<rule id=\"u\" action=\"bypass\"><server-name category=\"urlsonly\"/>"
                       "</rule>\n");
    cr_assert_null(p);
    cr_assert(strstr(err, "t.xml:5: category 'urlsonly' of categories 't' has no readable "
                          "domains file"), "%s", err);
}

Test(categories, bad_line_reported_only_when_the_category_is_named)
{
    struct si_policy *p = load_rules("", "<rule id=\"fin\" action=\"bypass\">"
                                         "<server-name category=\"finance\"/></rule>\n");

    cr_assert_not_null(p, "an unreferenced broken category is not read: %s", err);
    si_policy_unref(p);
    p = load_rules("", "<rule id=\"b\" action=\"bypass\"><server-name category=\"broken\"/>"
                       "</rule>\n");
    cr_assert_null(p);
    cr_assert(strstr(err, "t.xml:5: category 'broken' of categories 't': "), "%s", err);
    cr_assert(strstr(err, "/broken/domains:2: not a valid name: 'bad name.test'"), "%s", err);
}

Test(categories, ambiguous_name_and_bad_ids)
{
    char objs[512];

    snprintf(objs, sizeof(objs), "<categories id=\"two\"><category name=\"finance\" "
             "file=\"%s/extra.txt\"/></categories>\n", tree);
    struct si_policy *p = load_rules(objs, "<rule id=\"a\" action=\"bypass\">"
                                           "<server-name category=\"finance\"/></rule>\n");
    cr_assert_null(p);
    cr_assert(strstr(err, "category 'finance' is in more than one of categories 't', 'two': "
                          "write SOURCE:finance"), "%s", err);
    p = load_rules(objs, "<rule id=\"a\" action=\"bypass\"><server-name category=\"two:finance\"/>"
                         "</rule>\n");
    cr_assert_not_null(p, "%s", err);
    cr_assert_str_eq(decide(p, "local.test").rule_id, "a");
    cr_assert(decide(p, "bank.test").is_default);
    si_policy_unref(p);
    p = load_body("<objects>\n<categories id=\"a:b\" dir=\".\"/></objects>", err, sizeof(err));
    cr_assert_null(p);
    cr_assert(strstr(err, "t.xml:2: categories 'a:b': the id of a categories source cannot"),
              "%s", err);
    p = load_body("<objects>\n<domains id=\"d\">x.test</domains>\n<categories id=\"d\" dir=\".\"/>"
                  "</objects>", err, sizeof(err));
    cr_assert_null(p);
    cr_assert(strstr(err, "t.xml:3: duplicate object id 'd'"), "%s", err);
    p = load_rules("", "<rule id=\"a\" action=\"bypass\"><server-name list=\"t\"/></rule>\n");
    cr_assert_null(p);
    cr_assert(strstr(err, "object 't' (line 2) is a <categories>, a <domains> is needed here"),
              "%s", err);
}

Test(categories, unreachable_rule_check_sees_categories)
{
    struct si_policy *p = load_rules("",
        "<rule id=\"a\" action=\"bypass\"><server-name category=\"finance gambling\"/></rule>\n"
        "<rule id=\"b\" action=\"inspect\"><server-name category=\"t:finance\"/></rule>\n");

    cr_assert_null(p);
    cr_assert(strstr(err, "rule 'b' can never match: rule 'a'"), "%s", err);
    p = load_rules("",
        "<rule id=\"a\" action=\"bypass\"><server-name category=\"finance\"/></rule>\n"
        "<rule id=\"b\" action=\"inspect\"><server-name category=\"finance gambling\"/></rule>\n");
    cr_assert_not_null(p, "b is reachable (gambling): %s", err);
    si_policy_unref(p);
}

static void collect(void *ctx, const struct si_inspect_trace_step *s)
{
    char *buf = ctx;
    size_t used = strlen(buf);

    snprintf(buf + used, 4096 - used, "[%s %s | %s | %s]", s->rule_id,
             s->matched ? "MATCH" : "no", s->matched_conds, s->unmatched_conds);
}

Test(categories, explain_trace_names_the_category)
{
    struct si_policy *p = load_rules("",
        "<rule id=\"gam\" action=\"terminate\"><server-name category=\"gambling\"/></rule>\n"
        "<rule id=\"fin\" action=\"bypass\"><server-name category=\"gambling finance\"/>"
        "</rule>\n");
    struct si_inspect_facts f = {.client_ip = "10.0.0.1", .server_name = "www.bank.test",
                                 .port = 443};
    char out[4096] = "";

    cr_assert_not_null(p, "%s", err);
    cr_assert_eq(si_policy_inspection_trace(p, &f, collect, out), 2);
    cr_assert(strstr(out, "[gam no |  | server-name www.bank.test not in category gambling (t)]"),
              "%s", out);
    cr_assert(strstr(out, "[fin MATCH | server-name www.bank.test in category finance (t) | ]"),
              "the matched category alone: %s", out);
    si_policy_unref(p);
}

Test(categories, security_host_category_reason)
{
    char body[1024];

    snprintf(body, sizeof(body), "<objects><categories id=\"t\" dir=\"%s\"/></objects>"
             "<security-policy><rule id=\"nogamble\" action=\"block\">"
             "<host category=\"gambling\"/></rule></security-policy>", tree);
    struct si_policy *p = load_body(body, err, sizeof(err));
    struct si_sec_facts f = {.client_ip = "10.0.0.1", .method = "GET", .host = "eu.casino.test",
                             .path = "/", .req_body_size = 0, .resp_body_size = -1};
    struct si_sec_verdict v;

    cr_assert_not_null(p, "%s", err);
    cr_assert_eq(si_security_evaluate(p, SI_PHASE_REQUEST, &f, NULL, &v), SI_SEC_DECIDED);
    cr_assert_eq(v.action, SI_SEC_BLOCK);
    cr_assert_str_eq(v.rule_id, "nogamble");
    cr_assert(strstr(v.reason, "host eu.casino.test in category gambling (t)"), "%s", v.reason);
    f.host = "bank.test";
    si_security_evaluate(p, SI_PHASE_REQUEST, &f, NULL, &v);
    cr_assert(v.is_default);
    si_policy_unref(p);
}

Test(categories, holder_reloads_when_a_category_file_changes)
{
    char policy[128], dom[128], xml[512];
    struct si_policy *p;

    snprintf(policy, sizeof(policy), "%s/policy.xml", tree);
    snprintf(dom, sizeof(dom), "%s/gambling/domains", tree);
    snprintf(xml, sizeof(xml), NS_OPEN "<objects><categories id=\"t\" dir=\".\"/></objects>"
             "<https-inspection><rule id=\"g\" action=\"bypass\"><server-name "
             "category=\"gambling\"/></rule></https-inspection></policy>\n");
    write_file(policy, xml);
    struct si_policy_holder *h = si_policy_holder_new(policy);
    cr_assert_eq(si_policy_holder_load(h, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(si_policy_holder_reload_if_changed(h, err, sizeof(err)), 0, "nothing changed");
    p = si_policy_holder_get(h);
    cr_assert(decide(p, "poker.test").is_default);
    cr_assert_eq(si_policy_inputs_signature(p, true), si_policy_inputs_signature(p, false));
    si_policy_unref(p);

    write_file(dom, "casino.test\npoker.test\n"); /* the database is updated in place */
    cr_assert_eq(si_policy_holder_reload_if_changed(h, err, sizeof(err)), 1, "%s", err);
    p = si_policy_holder_get(h);
    cr_assert_str_eq(decide(p, "www.poker.test").rule_id, "g", "the new name is in force");
    si_policy_unref(p);
    cr_assert_eq(si_policy_holder_reload_if_changed(h, err, sizeof(err)), 0);

    write_file(dom, "casino.test\nbad name\n"); /* a broken update: reported once, old kept */
    cr_assert_eq(si_policy_holder_reload_if_changed(h, err, sizeof(err)), -1);
    cr_assert(strstr(err, "/gambling/domains:2: not a valid name"), "%s", err);
    cr_assert_eq(si_policy_holder_reload_if_changed(h, err, sizeof(err)), 0, "reported once");
    p = si_policy_holder_get(h);
    cr_assert_str_eq(decide(p, "poker.test").rule_id, "g", "the previous policy stays");
    si_policy_unref(p);
    write_file(dom, "casino.test\n"); /* fixed: picked up */
    cr_assert_eq(si_policy_holder_reload_if_changed(h, err, sizeof(err)), 1, "%s", err);
    p = si_policy_holder_get(h);
    cr_assert(decide(p, "poker.test").is_default);
    si_policy_unref(p);
    si_policy_holder_free(h);
}
