/*
 * Unit tests for `inspect-ctl trace` (tools/ctl_trace*.c) on small logs cut from a lab run of
 * t_browser.sh (tests/unit/fixtures/trace), with hostile and malformed lines mixed in: a
 * blocked request (si- reference), a revoked origin and a bypassed connection (sq- references),
 * malformed and unknown references, missing files.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "ctl_trace.h"

#ifndef TRACE_FIXTURES
#define TRACE_FIXTURES "tests/unit/fixtures/trace"
#endif

static int trace(const char *ref, char **out)
{
    char *argv[] = {"trace", "--access-log", TRACE_FIXTURES "/access.log", "--cache-log",
                    TRACE_FIXTURES "/cache.log", "--icap-log", TRACE_FIXTURES "/server.log",
                    (char *)ref, NULL};
    return run_capturing(ctl_trace_main, 8, argv, STDOUT_FILENO, out);
}

Test(trace, blocked_request_by_its_si_reference)
{
    char *out;

    cr_assert_eq(trace("si-6b139bbb-5ca4-9", &out), 0);
    cr_assert(strstr(out, "  1796447163.595     81 127.0.0.1 NONE_NONE/200 0 CONNECT good.test"));
    cr_assert(strstr(out, "> 1796447163.598      2 127.0.0.1 NONE_NONE/403 3529 GET"));
    cr_assert(strstr(out, "inspect-bump[24022] INFO: decision (CONNECT check) client=127.0.0.1"));
    cr_assert(strstr(out, "inspect: ref=si-6b139bbb-5ca4-9 REQMOD"));
    cr_assert(strstr(out, "Summary: outcome=blocked rule=no-downloads-area."), "%s", out);
    cr_assert(strstr(out, "path matches /blocked*"));
    /* the order: access log, helpers, service, summary */
    cr_assert(strstr(out, "== Squid access log") < strstr(out, "== helpers"));
    cr_assert(strstr(out, "== helpers") < strstr(out, "== srv_inspect"));
    cr_assert(strstr(out, "== srv_inspect") < strstr(out, "Summary:"));
    free(out);
}

Test(trace, the_same_transaction_by_its_sq_reference)
{
    char *out;

    cr_assert_eq(trace("sq-1796447163.596-103", &out), 0);
    cr_assert(strstr(out, "Summary: outcome=blocked rule=no-downloads-area."), "%s", out);
    free(out);
}

Test(trace, revoked_origin)
{
    char *out;

    cr_assert_eq(trace("sq-1796447167.971-134", &out), 0);
    cr_assert(strstr(out, "> 1796447168.115    144 127.0.0.1 NONE_NONE/200 0 CONNECT revoked.test"));
    cr_assert(strstr(out, "  1796447168.118      0 127.0.0.1 NONE_NONE/503 3864 GET"));
    cr_assert(strstr(out, "inspect-ocsp[24054] INFO: validation host=revoked.test"));
    cr_assert(strstr(out, "Summary: outcome=refused-revoked rule=default."), "%s", out);
    cr_assert(strstr(out, "OCSP: revoked (keyCompromise)"));
    cr_assert_null(strstr(out, "cport=58786"), "another connection's line");
    free(out);
}

Test(trace, bypassed_connection)
{
    char *out;

    cr_assert_eq(trace("sq-1796447177.407-198", &out), 0);
    cr_assert(strstr(out, "bump=splice"));
    cr_assert(strstr(out, "action=bypass rule=lab-bypass"));
    cr_assert(strstr(out, "Summary: outcome=bypassed rule=lab-bypass."), "%s", out);
    cr_assert(strstr(out, "server-name bypass.test in the list on line 4"));
    free(out);
}

Test(trace, unknown_reference_exits_1)
{
    char *out;

    cr_assert_eq(trace("sq-1000000000.000-1", &out), 1);
    free(out);
    cr_assert_eq(trace("si-1-2-3", &out), 1);
    free(out);
}

Test(trace, malformed_reference_exits_2)
{
    static const char *bad[] = {"", "si-", "si-zz-1-2", "sq-123-4", "sq-1.2345-6", "x",
                                "sq-1.000-1x", "si-1-2-3-4", "--ref"};
    char *out;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(trace(bad[i], &out), 2, "%s", bad[i]);
        free(out);
    }
}

Test(trace, missing_file_exits_3)
{
    char *argv[] = {"trace", "--access-log", "/nonexistent/access.log", "si-1-2-3", NULL};
    char *err;

    cr_assert_eq(run_capturing(ctl_trace_main, 4, argv, STDERR_FILENO, &err), 3);
    cr_assert(strstr(err, "cannot read Squid's access log /nonexistent/access.log"), "%s", err);
    free(err);
}

Test(trace, reference_syntax)
{
    cr_assert(ctl_trace_ref_valid("si-6b139bbb-5ca4-9"));
    cr_assert(ctl_trace_ref_valid("sq-1796447163.596-103"));
    cr_assert(ctl_trace_ref_valid("sq-1796447156.838-"));
    cr_assert_not(ctl_trace_ref_valid("sq-1796447156.838"));
    cr_assert(ctl_trace_verdict_has_ref("blocked; rule=r; ref=si-1-2-3; phase=reqmod", "si-1-2-3"));
    cr_assert_not(ctl_trace_verdict_has_ref("blocked; ref=si-1-2-30", "si-1-2-3"));
    cr_assert_not(ctl_trace_verdict_has_ref(NULL, "si-1-2-3"));
}

Test(trace, helper_line_parsing)
{
    const char *msg;
    char ident[32], v[16];

    cr_assert_lt(ctl_trace_log_time("2026-12-05T05:06:03.9Z broken", &msg, ident, sizeof(ident)), 0);
    cr_assert_lt(ctl_trace_log_time("garbage", &msg, ident, sizeof(ident)), 0);
    cr_assert_float_eq(ctl_trace_log_time("1970-01-01T00:00:01.500Z inspect-bump[1] INFO: x=1",
                                          &msg, ident, sizeof(ident)), 1.5, 1e-9);
    cr_assert_str_eq(ident, "inspect-bump");
    cr_assert_str_eq(msg, "x=1");
    cr_assert(ctl_trace_kv("a=1 reason=\"long reason text\"", "reason", v, sizeof(v)));
    cr_assert_str_eq(v, "long reason tex"); /* truncated, terminated */
    cr_assert_not(ctl_trace_kv("xreason=1", "reason", v, sizeof(v)));
    cr_assert(ctl_trace_kv("reason=\"unterminated", "reason", v, sizeof(v)));
}
