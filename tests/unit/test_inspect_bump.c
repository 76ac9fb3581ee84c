/* Unit tests for inspect-bump: external ACL framing, decisions and replies, policy reloads. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "decide.h"
#include "extacl_io.h"
#include "policy_watch.h"

#ifndef FIXTURES
#define FIXTURES "tests/unit/fixtures/inspect"
#endif

/* ---------------- extacl_io ---------------- */

Test(extacl, parses_channel_id_and_fields)
{
    struct bp_extacl_request req;
    char err[128];
    const char *line = "7 10.1.2.3 alice%20b www.x.test - 443";

    cr_assert_eq(bp_extacl_parse(line, strlen(line), &req, err, sizeof(err)), 0);
    cr_assert(req.has_id);
    cr_assert_str_eq(req.id, "7");
    cr_assert_eq(req.nfields, 5);
    cr_assert_str_eq(req.field[0], "10.1.2.3");
    cr_assert_str_eq(req.field[1], "alice b");
    cr_assert_null(req.field[3], "'-' is unknown");
    cr_assert_str_eq(req.field[4], "443");
}

Test(extacl, no_channel_id_when_first_token_is_an_address)
{
    struct bp_extacl_request req;
    char err[128];
    const char *line = "10.1.2.3 - a.test a.test 443\r";

    cr_assert_eq(bp_extacl_parse(line, strlen(line), &req, err, sizeof(err)), 0);
    cr_assert_not(req.has_id);
    cr_assert_eq(req.nfields, 5);
    cr_assert_str_eq(req.field[4], "443", "a trailing CR is dropped");
}

Test(extacl, rejects_bad_escapes_and_nul)
{
    struct bp_extacl_request req;
    char err[128];

    cr_assert_eq(bp_extacl_parse("1 a%zz b", 8, &req, err, sizeof(err)), -1);
    cr_assert(strstr(err, "escape"));
    cr_assert_eq(bp_extacl_parse("1 a%00b", 7, &req, err, sizeof(err)), -1);
    cr_assert_eq(bp_extacl_parse("1 a\0b", 5, &req, err, sizeof(err)), -1);
}

/* A reader over an unlinked temporary file holding in (a pipe would block past 64 KiB). */
static struct bp_extacl_reader *reader_over(const char *in, size_t len)
{
    char path[] = "/tmp/test_extacl.XXXXXX";
    int fd = mkstemp(path);

    cr_assert_geq(fd, 0);
    unlink(path);
    cr_assert_eq(write(fd, in, len), (ssize_t)len);
    cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
    return bp_extacl_reader_new(fd);
}

Test(extacl, reader_skips_an_overlong_line_and_keeps_its_id)
{
    size_t n = BP_EXTACL_LINE_MAX * 3;
    char *in = malloc(n + 64);
    struct bp_extacl_request *req = malloc(sizeof(*req));
    struct bp_extacl_reader *r;
    char err[128];
    size_t used;

    memcpy(in, "42 ", 3);
    memset(in + 3, 'x', n);
    used = 3 + n;
    used += (size_t)sprintf(in + used, "\n43 10.0.0.1 - a.test a.test 443\n");
    r = reader_over(in, used);
    cr_assert_eq(bp_extacl_read(r, req, err, sizeof(err)), -1);
    cr_assert(req->has_id);
    cr_assert_str_eq(req->id, "42", "the BH reply can name the request");
    cr_assert_eq(bp_extacl_read(r, req, err, sizeof(err)), 1, "the next line is read normally");
    cr_assert_str_eq(req->id, "43");
    cr_assert_str_eq(req->field[2], "a.test");
    cr_assert_eq(bp_extacl_read(r, req, err, sizeof(err)), 0);
    bp_extacl_reader_free(r);
    free(req);
    free(in);
}

Test(extacl, reader_returns_a_last_line_without_lf)
{
    static const char in[] = "1 10.0.0.1 - a.test a.test 443";
    struct bp_extacl_reader *r = reader_over(in, sizeof(in) - 1);
    struct bp_extacl_request *req = malloc(sizeof(*req));
    char err[128];

    cr_assert_eq(bp_extacl_read(r, req, err, sizeof(err)), 1);
    cr_assert_str_eq(req->field[4], "443");
    cr_assert_eq(bp_extacl_read(r, req, err, sizeof(err)), 0);
    bp_extacl_reader_free(r);
    free(req);
}

Test(extacl, reply_echoes_id_and_ends_in_one_lf)
{
    struct bp_extacl_request req = {.has_id = true, .id = "9"};
    char out[256];
    int fds[2];
    ssize_t n;

    cr_assert_eq(pipe(fds), 0);
    cr_assert_eq(bp_extacl_reply(fds[1], &req, "OK", "a=1 b=\"x y\""), 0);
    cr_assert_eq(bp_extacl_reply(fds[1], NULL, "BH", NULL), 0);
    close(fds[1]);
    n = read(fds[0], out, sizeof(out) - 1);
    close(fds[0]);
    cr_assert_gt(n, 0);
    out[n] = '\0';
    cr_assert_str_eq(out, "9 OK a=1 b=\"x y\"\nBH\n");
}

Test(extacl, kv_append_quotes_and_refuses_overflow)
{
    char kv[32] = "a=1";

    cr_assert(bp_extacl_kv_append(kv, sizeof(kv), "r_", "say \"hi\"\\\n"));
    cr_assert_str_eq(kv, "a=1 r_=\"say \\\"hi\\\"\\\\?\"");
    cr_assert_not(bp_extacl_kv_append(kv, sizeof(kv), "long", "0123456789012345678901234567890"));
    cr_assert_str_eq(kv, "a=1 r_=\"say \\\"hi\\\"\\\\?\"", "unchanged when it does not fit");
}

/* ---------------- decide ---------------- */

static struct si_policy *fixture_policy(void)
{
    char err[1024];
    struct si_policy *p = si_policy_load(FIXTURES "/policy.xml", err, sizeof(err));

    cr_assert_not_null(p, "%s", err);
    return p;
}

static void decide_line(const struct si_policy *p, const char *line, struct bp_decision *d)
{
    struct bp_extacl_request *req = malloc(sizeof(*req));
    char err[256];

    cr_assert_eq(bp_extacl_parse(line, strlen(line), req, err, sizeof(err)), 0);
    cr_assert_eq(bp_decide(p, req, d, err, sizeof(err)), 0, "%s", err);
    free(req);
}

Test(decide, rules_by_name_network_user_and_default)
{
    struct si_policy *p = fixture_policy();
    struct bp_decision d;
    char kv[1024];

    decide_line(p, "1 10.0.0.1 - bypass.test bypass.test 443", &d);
    cr_assert_eq(d.action, SI_INSPECT_BYPASS);
    cr_assert_str_eq(d.rule, "bulk-bypass");
    cr_assert_not(d.need_probe);
    bp_format_reply(&d, kv, sizeof(kv));
    cr_assert(!strncmp(kv, "clt_conn_tag=bypass:bulk-bypass:matched si_action_=splice ", 58), "%s", kv);

    decide_line(p, "2 127.0.0.2 - good.test good.test 443", &d);
    cr_assert_str_eq(d.rule, "net-direct");
    decide_line(p, "3 10.0.0.1 alice good.test good.test 443", &d);
    cr_assert_str_eq(d.rule, "vip-users");
    decide_line(p, "4 10.0.0.1 bob - terminate.test 443", &d);
    cr_assert_eq(d.action, SI_INSPECT_TERMINATE, "no SNI: the CONNECT host is used");
    cr_assert_str_eq(d.server, "terminate.test");
    decide_line(p, "5 10.0.0.1 - good.test 127.0.0.1 443", &d);
    cr_assert_eq(d.action, SI_INSPECT_INSPECT);
    cr_assert_str_eq(d.code, "default");
    bp_format_reply(&d, kv, sizeof(kv));
    cr_assert(strstr(kv, "clt_conn_tag=inspect:default:default si_action_=bump"), "%s", kv);
    si_policy_unref(p);
}

Test(decide, verify_name_needs_a_probe_and_falls_back)
{
    struct si_policy *p = fixture_policy();
    struct bp_decision d;
    char kv[1024];

    decide_line(p, "1 10.0.0.1 - www.good.test 127.0.0.1 8443", &d);
    cr_assert_eq(d.action, SI_INSPECT_BYPASS);
    cr_assert(d.need_probe);
    cr_assert_str_eq(d.probe_name, "www.good.test", "the SNI is what must be covered");
    cr_assert_str_eq(d.probe_host, "127.0.0.1", "the probe goes where Squid goes");
    cr_assert_eq(d.probe_port, 8443);

    struct bp_decision ok = d, lie = d, term = d;
    bp_apply_probe(&ok, BP_PROBE_VERIFIED, "certificate valid", SI_INSPECT_INSPECT);
    cr_assert_eq(ok.action, SI_INSPECT_BYPASS);
    cr_assert_str_eq(ok.code, "name-verified");
    bp_apply_probe(&lie, BP_PROBE_MISMATCH, "hostname mismatch", SI_INSPECT_INSPECT);
    cr_assert_eq(lie.action, SI_INSPECT_INSPECT);
    bp_format_reply(&lie, kv, sizeof(kv));
    cr_assert(strstr(kv, "clt_conn_tag=inspect:pinned-app:name-mismatch si_action_=bump"), "%s", kv);
    cr_assert(strstr(kv, "hostname mismatch"), "the reason says why: %s", kv);
    bp_apply_probe(&term, BP_PROBE_FAILED, "timeout", SI_INSPECT_TERMINATE);
    cr_assert_eq(term.action, SI_INSPECT_TERMINATE);
    cr_assert_str_eq(term.code, "probe-failed");
    si_policy_unref(p);
}

/* The CONNECT's own http_access check ("connect" ACL argument) answers with si_connect_ only,
 * so it can never stand beside (and outvote) the step-2 decision's si_action_/clt_conn_tag. */
Test(decide, connect_mode_answers_with_its_own_note_and_never_probes)
{
    struct si_policy *p = fixture_policy();
    struct bp_decision d;
    char kv[1024];

    decide_line(p, "1 10.0.0.1 - - terminate.test 443 connect", &d);
    cr_assert(d.connect_mode);
    cr_assert_eq(d.action, SI_INSPECT_TERMINATE);
    bp_format_reply(&d, kv, sizeof(kv));
    cr_assert_str_eq(kv, "si_connect_=terminate si_connect_rule_=kill");
    decide_line(p, "2 10.0.0.1 - - www.good.test 8443 connect", &d);
    cr_assert_eq(d.action, SI_INSPECT_BYPASS);
    cr_assert_not(d.need_probe, "verify-name probes belong to step 2");
    bp_format_reply(&d, kv, sizeof(kv));
    cr_assert_null(strstr(kv, "si_action_"), "%s", kv);
    cr_assert_null(strstr(kv, "clt_conn_tag"), "%s", kv);
    decide_line(p, "3 10.0.0.1 - - terminate.test 443 other", &d);
    cr_assert_not(d.connect_mode, "only the word connect selects the mode");
    si_policy_unref(p);
}

Test(decide, refuses_short_requests_and_bad_ports)
{
    struct si_policy *p = fixture_policy();
    struct bp_extacl_request *req = malloc(sizeof(*req));
    struct bp_decision d;
    char err[256];

    cr_assert_eq(bp_extacl_parse("1 10.0.0.1 - a.test", 19, req, err, sizeof(err)), 0);
    cr_assert_eq(bp_decide(p, req, &d, err, sizeof(err)), -1);
    cr_assert(strstr(err, "fields"));
    cr_assert_eq(bp_extacl_parse("1 10.0.0.1 - a.test a.test 99999", 32, req, err, sizeof(err)), 0);
    cr_assert_eq(bp_decide(p, req, &d, err, sizeof(err)), -1);
    cr_assert(strstr(err, "port"));
    free(req);
    si_policy_unref(p);
}

/* ---------------- groups (the %note{si_group_} field) ---------------- */

static struct bp_extacl_request *parse_ok(const char *line)
{
    struct bp_extacl_request *req = malloc(sizeof(*req));
    char err[256];

    cr_assert_not_null(req);
    cr_assert_eq(bp_extacl_parse(line, strlen(line), req, err, sizeof(err)), 0, "%s", err);
    return req;
}

/* Squid sends %note{NAME} URL-escaped with the values joined by commas, "-" for none, and
 * always appends %DATA ("-" or the ACL's argument): 7 fields with groups, 6 in the older
 * 5-code format (where the sixth is %DATA), 5 when written without %DATA. */
Test(groups, extras_by_field_count)
{
    const char *g, *data;
    struct bp_extacl_request *req = parse_ok("1 10.0.0.1 bob a.test a.test 443 fin%20ance,staff -");

    bp_request_extras(req, &g, &data);
    cr_assert_str_eq(g, "fin ance,staff", "unescaped, commas kept");
    cr_assert_null(data);
    free(req);
    req = parse_ok("2 10.0.0.1 bob - a.test 443 staff connect");
    bp_request_extras(req, &g, &data);
    cr_assert_str_eq(g, "staff");
    cr_assert_str_eq(data, "connect");
    free(req);
    req = parse_ok("3 10.0.0.1 bob - a.test 443 - connect");
    bp_request_extras(req, &g, &data);
    cr_assert_null(g, "'-' means no groups");
    cr_assert_str_eq(data, "connect");
    free(req);
    req = parse_ok("4 10.0.0.1 bob - a.test 443 connect");
    bp_request_extras(req, &g, &data);
    cr_assert_null(g, "6 fields: the older format, the sixth is %%DATA");
    cr_assert_str_eq(data, "connect");
    free(req);
    req = parse_ok("5 10.0.0.1 bob - a.test 443");
    bp_request_extras(req, &g, &data);
    cr_assert_null(g);
    cr_assert_null(data);
    free(req);
}

#define GROUP_POLICY "<policy xmlns=\"urn:squid-inspect:policy:1\"><objects>" \
    "<groups id=\"direct\" names=\"finance board\"/></objects>" \
    "<https-inspection default=\"inspect\">" \
    "<rule id=\"interns-no-social\" action=\"terminate\"><group names=\"interns\"/>" \
    "<server-name>social.test</server-name></rule>" \
    "<rule id=\"group-direct\" action=\"bypass\"><group list=\"direct\"/></rule>" \
    "</https-inspection></policy>"

static struct si_policy *group_policy(void)
{
    char err[1024];
    struct si_policy *p = si_policy_load_mem(GROUP_POLICY, strlen(GROUP_POLICY), "groups.xml",
                                             NULL, err, sizeof(err));

    cr_assert_not_null(p, "%s", err);
    return p;
}

Test(groups, decision_follows_the_groups_field)
{
    struct si_policy *p = group_policy();
    struct bp_decision d;
    char kv[1024];

    decide_line(p, "1 10.0.0.1 bob good.test good.test 443 staff,Finance -", &d);
    cr_assert_eq(d.action, SI_INSPECT_BYPASS, "a member of finance (any case) is spliced");
    cr_assert_str_eq(d.rule, "group-direct");
    cr_assert(strstr(d.reason, "group Finance in"), "%s", d.reason);
    cr_assert_str_eq(d.groups, "staff,Finance", "the log line shows what Squid sent");
    bp_format_reply(&d, kv, sizeof(kv));
    cr_assert(strstr(kv, "clt_conn_tag=bypass:group-direct:matched si_action_=splice"), "%s", kv);

    decide_line(p, "2 10.0.0.1 bob good.test good.test 443 staff -", &d);
    cr_assert_eq(d.action, SI_INSPECT_INSPECT, "other groups: the default");
    cr_assert_str_eq(d.code, "default");
    decide_line(p, "3 10.0.0.1 bob good.test good.test 443 - -", &d);
    cr_assert_eq(d.action, SI_INSPECT_INSPECT, "no groups: a group condition does not match");
    cr_assert_str_eq(d.groups, "-");
    decide_line(p, "4 10.0.0.1 bob good.test good.test 443 -", &d);
    cr_assert_eq(d.action, SI_INSPECT_INSPECT, "older 6-field request: no groups");

    decide_line(p, "5 10.0.0.1 eve social.test social.test 443 interns -", &d);
    cr_assert_eq(d.action, SI_INSPECT_TERMINATE);
    cr_assert_str_eq(d.rule, "interns-no-social");
    decide_line(p, "6 10.0.0.1 eve - social.test 443 interns connect", &d);
    cr_assert(d.connect_mode, "connect mode is found after the groups field");
    cr_assert_eq(d.action, SI_INSPECT_TERMINATE, "... and uses the groups too");
    decide_line(p, "7 10.0.0.1 eve - social.test 443 board connect", &d);
    cr_assert(d.connect_mode);
    cr_assert_eq(d.action, SI_INSPECT_BYPASS);
    si_policy_unref(p);
}

Test(groups, a_long_group_list_fits_in_one_request)
{
    struct si_policy *p = group_policy();
    size_t n = 20000, used;
    char *line = malloc(n + 128);
    struct bp_decision d;

    used = (size_t)sprintf(line, "1 10.0.0.1 bob good.test good.test 443 ");
    while (used < n - 16)
        used += (size_t)sprintf(line + used, "group-%05zu,", used);
    used += (size_t)sprintf(line + used, "board -");
    decide_line(p, line, &d);
    cr_assert_eq(d.action, SI_INSPECT_BYPASS, "the last of ~1500 groups still counts");
    cr_assert_lt(strlen(d.groups), sizeof(d.groups), "the log copy is cut, not overflowed");
    free(line);
    si_policy_unref(p);
}

/* ---------------- policy_watch ---------------- */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

#define POL(rules) "<policy xmlns=\"urn:squid-inspect:policy:1\"><https-inspection default=\"inspect\">" \
    rules "</https-inspection></policy>\n"

Test(policy_watch, reloads_changes_and_keeps_the_last_good_policy)
{
    char dir[] = "/tmp/test_watch.XXXXXX", path[64], err[512];
    struct bp_watch *w;
    struct si_policy *p1, *p2, *p3;

    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/p.xml", dir);
    w = bp_watch_new(path, 0, NULL);
    cr_assert_null(bp_watch_get(w, err, sizeof(err)), "no file yet");
    cr_assert(strstr(err, path));
    write_file(path, POL("<rule id=\"a\" action=\"bypass\"><server-name>a.test</server-name></rule>"));
    p1 = bp_watch_get(w, err, sizeof(err));
    cr_assert_not_null(p1, "%s", err);
    write_file(path, POL("<rule id=\"b\" action=\"terminate\"><server-name>b.test</server-name></rule><x/>"));
    p2 = bp_watch_get(w, err, sizeof(err));
    cr_assert_eq(p2, p1, "an invalid file keeps the previous policy");
    write_file(path, POL("<rule id=\"b\" action=\"terminate\"><server-name>b.test</server-name></rule>"));
    p3 = bp_watch_get(w, err, sizeof(err));
    cr_assert_not_null(p3);
    {
        struct si_inspect_facts f = {.server_name = "b.test", .port = 443};
        struct si_inspect_result r;
        cr_assert_eq(si_policy_inspection_decide(p3, &f, &r), SI_INSPECT_TERMINATE,
                     "a valid change replaces it");
    }
    bp_watch_free(w);
    unlink(path);
    rmdir(dir);
}
