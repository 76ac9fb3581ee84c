/*
 * test_robust.c: regression tests for what the fuzzers of tests/fuzz found (one Test per
 * finding, named after the target), so that a fix cannot silently come undone.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "httpreq.h"

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
