/*
 * test_robust.c: regression tests for what the fuzzers of tests/fuzz found (one Test per
 * finding, named after the target), so that a fix cannot silently come undone.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "httpreq.h"
#include "policy.h"

/* fuzz_httpreq: "Host: host.test:-80" gave port -80 (atoi), and atoi overflowed on long digits. */
Test(fuzz_httpreq, port_is_digits_in_range)
{
    struct si_req_parts p;
    static const struct { const char *host; int port; } cases[] = {
        {"host.test:-80", 0}, {"host.test:99999999999", 0}, {"host.test:65536", 0},
        {"host.test:80x", 0}, {"host.test:", 0}, {"host.test:+1", 0},
        {"host.test:65535", 65535}, {"host.test:8080", 8080}, {"[::1]:443", 443},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_assert_eq(si_req_parse("GET /a?x HTTP/1.1", cases[i].host, &p), 0, "%s", cases[i].host);
        cr_expect_eq(p.port, cases[i].port, "%s gave port %d", cases[i].host, p.port);
        si_req_parts_clear(&p);
    }
    cr_assert_eq(si_req_parse("GET https://h.test:-1/ HTTP/1.1", NULL, &p), 0);
    cr_expect_eq(p.port, 0);
    cr_expect_str_eq(p.host, "h.test");
    si_req_parts_clear(&p);
}

/* fuzz_policy: a modification refused at load time (empty replace-body find, a line break in a
 * header value, set-query-param on a response rule) leaked the attributes already read. The
 * leak itself is caught by make fuzz (LeakSanitizer) on the inputs committed in
 * tests/fuzz/seeds/policy/regress-leak-*; the refusals and their messages are asserted here. */
Test(fuzz_policy, refused_modifications_free_what_they_read)
{
    static const struct { const char *mod; const char *words; } cases[] = {
        {"<request/><replace-body find=\"\" replace=\"x\"/>", "find must not be empty"},
        {"<request/><add-header name=\"X-A\" value=\"a&#10;b\"/>", "must not contain line breaks"},
        {"<response><status>200</status></response><set-query-param name=\"q\" value=\"v\"/>",
         "only applies to requests"},
    };
    char xml[1024], err[512];

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(xml, sizeof xml,
                 "<policy xmlns=\"urn:squid-inspect:policy:1\"><security-policy>\n"
                 "<rule id=\"m\" action=\"modify\">%s</rule>\n</security-policy></policy>\n",
                 cases[i].mod);
        err[0] = '\0';
        struct si_policy *p = si_policy_load_mem(xml, strlen(xml), "t.xml", NULL, err, sizeof err);
        cr_expect_null(p, "case %zu loaded", i);
        si_policy_unref(p);
        cr_expect(strstr(err, "t.xml:2:") && strstr(err, cases[i].words), "case %zu: %s", i, err);
    }
}
