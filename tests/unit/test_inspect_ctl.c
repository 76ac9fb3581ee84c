/*
 * Unit tests for inspect-ctl: ca init, the access-log parser, pinned-report, validate, explain
 * and replay, against fixture policies and access logs captured from Squid 5.7 in the lab
 * (tests/unit/fixtures/inspect).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "capture.h"
#include "ctl_accesslog.h"
#include "ctl_ca.h"
#include "ctl_pinned.h"
#include "ctl_policy.h"
#include "ctl_target.h"

#ifndef FIXTURES
#define FIXTURES "tests/unit/fixtures/inspect"
#endif
#ifndef INSPECT_CTL
#define INSPECT_CTL "tools/inspect-ctl"
#endif

static int run_captured(int (*f)(int, char **), int argc, char **argv, char **out)
{
    return run_capturing(f, argc, argv, STDOUT_FILENO, out);
}

/* ---------------- ca init ---------------- */

static X509 *read_cert(const char *path, int index)
{
    FILE *f = fopen(path, "r");
    X509 *x = NULL;

    cr_assert_not_null(f, "%s", path);
    for (int i = 0; i <= index; i++) {
        X509_free(x);
        x = PEM_read_X509(f, NULL, NULL, NULL);
    }
    fclose(f);
    return x;
}

/* CA:TRUE with this pathlen, and critical name constraints excluding n_excluded subtrees
 * (0: none at all). */
static void assert_ca_constraints(X509 *x, long pathlen, int n_excluded, const char *what)
{
    BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL, NULL);
    NAME_CONSTRAINTS *nc = X509_get_ext_d2i(x, NID_name_constraints, NULL, NULL);
    int crit = X509_get_ext_by_NID(x, NID_name_constraints, -1);

    cr_assert(bc && bc->ca, "%s: CA:TRUE", what);
    cr_assert_eq(ASN1_INTEGER_get(bc->pathlen), pathlen, "%s: pathlen %ld", what, pathlen);
    if (n_excluded) {
        cr_assert(nc && sk_GENERAL_SUBTREE_num(nc->excludedSubtrees) == n_excluded,
                  "%s: %d excluded name subtrees", what, n_excluded);
        cr_assert(X509_EXTENSION_get_critical(X509_get_ext(x, crit)), "%s: critical", what);
    } else {
        cr_assert_null(nc, "%s: no name constraints were asked for", what);
    }
    BASIC_CONSTRAINTS_free(bc);
    NAME_CONSTRAINTS_free(nc);
}

static void assert_private_file(const char *dir, const char *name)
{
    char path[256];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    cr_assert_eq(stat(path, &st), 0, "%s exists", path);
    cr_assert_eq(st.st_mode & 0777, 0600, "%s is mode 0600, not %o", path, st.st_mode & 0777);
}

static char *mkdir_tmp(void)
{
    static char dir[64];

    snprintf(dir, sizeof(dir), "/tmp/test_ca.XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    return dir;
}

/* Writes text to DIR/NAME; path receives the file's path. */
static void write_file(const char *dir, const char *name, const char *text, char *path,
                       size_t pathsize)
{
    FILE *f;

    snprintf(path, pathsize, "%s/%s", dir, name);
    cr_assert_not_null(f = fopen(path, "w"), "%s", path);
    fputs(text, f);
    fclose(f);
}

Test(ca, one_tier_with_name_constraints)
{
    struct ctl_ca_opts o;
    char err[256], path[128];
    FILE *out = tmpfile();
    const char *dir = mkdir_tmp();
    X509 *ca;

    ctl_ca_opts_default(&o);
    o.dir = dir;
    o.exclude_dns[o.n_exclude_dns++] = ".corp.example";
    o.exclude_ip[o.n_exclude_ip++] = "10.0.0.0/8";
    cr_assert_eq(ctl_ca_create(&o, out, err, sizeof(err)), 0, "%s", err);
    assert_private_file(dir, "ca.key");
    snprintf(path, sizeof(path), "%s/ca.pem", dir);
    ca = read_cert(path, 0);
    cr_assert_not_null(ca);
    assert_ca_constraints(ca, 0, 2, "the one-tier CA");
    cr_assert_eq(X509_check_issued(ca, ca), X509_V_OK, "self-signed");
    cr_assert_gt(X509_cmp_time(X509_get0_notAfter(ca), NULL), 0);
    {
        int days, secs;
        cr_assert(ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(ca)));
        cr_assert(days == 1825 || (days == 1824 && secs > 86000),
                  "valid for the default 1825 days from now, not %d days %d s", days, secs);
    }
    rewind(out);
    {
        char line[512];
        int found = 0;
        while (fgets(line, sizeof(line), out))
            found |= !strncmp(line, "http_port 3128 ssl-bump tls-cert=", 33);
        cr_assert(found, "squid.conf line printed");
    }
    /* a second run refuses to overwrite */
    cr_assert_eq(ctl_ca_create(&o, out, err, sizeof(err)), -1);
    cr_assert(strstr(err, "--force"), "%s", err);
    o.force = true;
    cr_assert_eq(ctl_ca_create(&o, out, err, sizeof(err)), 0, "%s", err);
    X509_free(ca);
    fclose(out);
}

Test(ca, two_tier_chain_verifies)
{
    struct ctl_ca_opts o;
    char err[256], path[128];
    const char *dir = mkdir_tmp();
    FILE *out = tmpfile();
    X509 *issuing, *root, *root2;
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();

    ctl_ca_opts_default(&o);
    o.dir = dir;
    o.two_tier = true;
    o.keytype = CTL_CA_KEY_RSA;
    o.rsa_bits = 2048;
    o.exclude_dns[o.n_exclude_dns++] = "corp.example";
    cr_assert_eq(ctl_ca_create(&o, out, err, sizeof(err)), 0, "%s", err);
    assert_private_file(dir, "root.key");
    assert_private_file(dir, "ca.key");
    snprintf(path, sizeof(path), "%s/ca.pem", dir);
    issuing = read_cert(path, 0);
    root2 = read_cert(path, 1);
    snprintf(path, sizeof(path), "%s/root.pem", dir);
    root = read_cert(path, 0);
    cr_assert(issuing && root && root2);
    cr_assert_eq(X509_cmp(root, root2), 0, "ca.pem carries the root after the issuing CA");
    assert_ca_constraints(root, 1, 1, "the root allows one issuing CA below it");
    assert_ca_constraints(issuing, 0, 1, "the issuing CA signs only leaves");
    X509_STORE_add_cert(store, root);
    X509_STORE_CTX_init(ctx, store, issuing, NULL);
    cr_assert_eq(X509_verify_cert(ctx), 1, "issuing CA verifies against the root");
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    X509_free(issuing);
    X509_free(root);
    X509_free(root2);
    fclose(out);
}

/* The installed command itself: exit status, files, and squid.conf lines naming them. */
Test(ca, the_cli_creates_the_ca_and_prints_squid_conf)
{
    const char *dir = mkdir_tmp();
    char cmd[512], line[1024], want[2 * PATH_MAX + 64], real[PATH_MAX];
    FILE *p;
    int found = 0, status;

    snprintf(cmd, sizeof(cmd), "'%s' ca init --dir '%s' --exclude-domain corp.example 2>&1",
             INSPECT_CTL, dir);
    cr_assert_not_null(p = popen(cmd, "r"));
    cr_assert_not_null(realpath(dir, real));
    snprintf(want, sizeof(want), "http_port 3128 ssl-bump tls-cert=%s/ca.pem tls-key=%s/ca.key ",
             real, real);
    while (fgets(line, sizeof(line), p))
        found |= !strncmp(line, want, strlen(want));
    status = pclose(p);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "exit status 0, not %d", status);
    cr_assert(found, "the http_port line names %s/ca.pem and ca.key", real);
    assert_private_file(dir, "ca.key");
    snprintf(line, sizeof(line), "%s/ca.pem", dir);
    X509 *ca = read_cert(line, 0);
    cr_assert_not_null(ca, "ca.pem holds a certificate");
    assert_ca_constraints(ca, 0, 1, "ca.pem from the CLI");
    X509_free(ca);
    cr_assert_eq(system(cmd), 256, "a second run refuses to overwrite: exit status 1");
    snprintf(line, sizeof(line), "%s/ca.pem", dir);
    unlink(line);
    snprintf(line, sizeof(line), "%s/ca.key", dir);
    unlink(line);
    rmdir(dir);
}

/* A missing --dir is created with mode 0750; as root it becomes root:c-icap and ca.key is
 * proxy's (Debian's users, ctl_ca_perms.c); the http_port line is an edit of the existing one. */
Test(ca, init_creates_a_missing_dir_0750)
{
    const char *parent = mkdir_tmp();
    char dir[128], cmd[512], *out = NULL;
    size_t outsize = 0;
    struct stat st;
    FILE *p, *o;
    int c;

    snprintf(dir, sizeof(dir), "%s/squid-inspect", parent);
    snprintf(cmd, sizeof(cmd), "umask 022; '%s' ca init --dir '%s' 2>&1", INSPECT_CTL, dir);
    cr_assert_not_null(p = popen(cmd, "r"));
    cr_assert_not_null(o = open_memstream(&out, &outsize));
    while ((c = fgetc(p)) != EOF)
        fputc(c, o);
    fclose(o);
    cr_assert_eq(pclose(p), 0, "ca init into a missing directory succeeds: %s", out);
    cr_assert_eq(stat(dir, &st), 0, "%s was created", dir);
    cr_assert(S_ISDIR(st.st_mode));
    cr_assert_eq(st.st_mode & 0777, 0750, "mode 0750, not %o", st.st_mode & 0777);
    assert_private_file(dir, "ca.key");
    cr_assert(strstr(out, "# Edit your existing http_port line in squid.conf"), "%s", out);
    cr_assert(strstr(out, "install -o root -g c-icap -m 0640 policy.xml"), "%s", out);
    cr_assert(strstr(out, "usermod -a -G c-icap proxy"), "%s", out);
    if (geteuid() != 0) {
        /* not root: nothing is chowned, the output says what to run */
        cr_assert(strstr(out, "(run: chown root:c-icap "), "%s", out);
        cr_assert(strstr(out, "(run: chown proxy: "), "%s", out);
    } else {
        const struct group *g = getgrnam("c-icap");
        const struct passwd *pw = getpwnam("proxy");
        char key[256];
        cr_assert(g && pw, "Debian's c-icap and proxy accounts exist");
        cr_assert_eq(st.st_uid, 0);
        cr_assert_eq(st.st_gid, g->gr_gid, "%s is group c-icap", dir);
        snprintf(key, sizeof(key), "%s/ca.key", dir);
        cr_assert_eq(stat(key, &st), 0);
        cr_assert_eq(st.st_uid, pw->pw_uid, "ca.key belongs to proxy");
    }
    free(out);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", parent);
    cr_assert_eq(system(cmd), 0);
}

Test(ca, bad_options_are_refused)
{
    struct ctl_ca_opts o;
    char err[256];

    ctl_ca_opts_default(&o);
    o.dir = "/nonexistent/dir";
    cr_assert_eq(ctl_ca_create(&o, stdout, err, sizeof(err)), -1);
    cr_assert(strstr(err, "cannot create output directory /nonexistent/dir"), "%s", err);
    o.dir = "/dev/null";
    cr_assert_eq(ctl_ca_create(&o, stdout, err, sizeof(err)), -1);
    cr_assert(strstr(err, "/dev/null is not a directory"), "%s", err);
    o.dir = "/tmp";
    o.days = 9000;
    cr_assert_eq(ctl_ca_create(&o, stdout, err, sizeof(err)), -1);
    cr_assert(strstr(err, "validity"));
    o.days = 100;
    o.exclude_ip[o.n_exclude_ip++] = "10.0.0.0/33";
    cr_assert_eq(ctl_ca_create(&o, stdout, err, sizeof(err)), -1);
    cr_assert(strstr(err, "CIDR"));
}

/* ---------------- access-log parser and targets ---------------- */

/* verdict= is the last ICAP answer, req_verdict= the REQMOD one when RESPMOD followed; the
 * phase= word srv_inspect writes says which phase each is. A line without it is an older log. */
Test(accesslog, splits_the_verdicts_of_both_icap_phases)
{
    static const char both[] =
        "1795262251.061 47 127.0.0.1 TCP_MISS/200 487 GET https://good.test/echo - bump=bump "
        "verdict=\"allowed; rule=default; ref=si-1-2; phase=respmod\" "
        "req_verdict=\"modified; rule=tag; ref=si-1-1; monitor=blocked:watch; phase=reqmod\" fail=-\n";
    static const char reqonly[] =
        "1795262251.061 47 127.0.0.1 TCP_MEM_HIT/200 487 GET https://good.test/c - bump=bump "
        "verdict=\"allowed; rule=default; ref=si-1-3; phase=reqmod\" req_verdict=\"-\" fail=-\n";
    static const char old[] =
        "1795262251.061 47 127.0.0.1 TCP_MISS/200 487 GET https://good.test/ - bump=bump "
        "verdict=\"allowed; rule=default; ref=si-1-4\" fail=-\n";
    struct ctl_logrec *r = malloc(sizeof(*r));

    cr_assert(ctl_log_parse(both, r));
    cr_assert_str_eq(r->reqmod, "modified; rule=tag; ref=si-1-1; monitor=blocked:watch; phase=reqmod");
    cr_assert_str_eq(r->respmod, "allowed; rule=default; ref=si-1-2; phase=respmod");
    cr_assert_not(r->verdict_unphased);
    cr_assert(ctl_log_parse(reqonly, r));
    cr_assert_str_eq(r->reqmod, "allowed; rule=default; ref=si-1-3; phase=reqmod");
    cr_assert_null(r->respmod, "a cache hit has no RESPMOD answer");
    cr_assert(ctl_log_parse(old, r));
    cr_assert_null(r->reqmod);
    cr_assert_null(r->respmod);
    cr_assert(r->verdict_unphased, "a verdict from before phase=");
    free(r);
}

Test(accesslog, parses_a_real_squid_line)
{
    static const char line[] =
        "1795262251.061     47 127.0.0.1 TCP_MISS/200 487 GET https://good.test:56459/page.html - "
        "bump=bump sni=\"good.test\" tls=inspect:default:default cert_errors=\"-\" "
        "verdict=\"allowed; rule=default; ref=si-6b01872b-6d78-2\" fail=- err=-/- cport=55420 "
        "icap=\"3,0\"\n";
    struct ctl_logrec *r = malloc(sizeof(*r));
    char host[64];

    cr_assert(ctl_log_parse(line, r));
    cr_assert_str_eq(r->client, "127.0.0.1");
    cr_assert_str_eq(r->code, "TCP_MISS");
    cr_assert_eq(r->status, 200);
    cr_assert_str_eq(r->method, "GET");
    cr_assert_null(r->user);
    cr_assert_str_eq(r->bump, "bump");
    cr_assert_str_eq(r->sni, "good.test");
    cr_assert_str_eq(r->tls_action, "inspect");
    cr_assert_str_eq(r->tls_rule, "default");
    cr_assert_str_eq(r->verdict, "allowed; rule=default; ref=si-6b01872b-6d78-2");
    cr_assert_null(r->fail);
    cr_assert_null(r->err, "-/- is no error");
    cr_assert_str_eq(r->cport, "55420");
    cr_assert_str_eq(ctl_log_server_name(r, host, sizeof(host)), "good.test");
    cr_assert_not(r->native);
    cr_assert(ctl_log_parse("1795262400.101    183 10.1.2.3 TCP_TUNNEL/200 6071 CONNECT "
                            "www.good.test:443 bob HIER_DIRECT/192.0.2.10 -\n", r));
    cr_assert(r->native, "Squid's native format");
    cr_assert_str_eq(r->url, "www.good.test:443");
    cr_assert_str_eq(r->user, "bob");
    cr_assert_null(r->bump);
    cr_assert_not(ctl_log_parse("garbage line\n", r));
    cr_assert_not(ctl_log_parse("", r));
    free(r);
}

Test(target, urls_connect_targets_and_hosts)
{
    struct ctl_target t;
    char err[128];

    cr_assert_eq(ctl_target_parse("https://WWW.Example.com:8443/a/b?q=1#f", &t, err, sizeof(err)), 0);
    cr_assert(t.tls);
    cr_assert_str_eq(t.host, "www.example.com");
    cr_assert_eq(t.port, 8443);
    cr_assert_str_eq(t.path, "/a/b");
    cr_assert_str_eq(t.query, "q=1");
    cr_assert_eq(ctl_target_parse("bank.example:443", &t, err, sizeof(err)), 0);
    cr_assert_eq(t.port, 443);
    cr_assert_str_eq(t.path, "/");
    cr_assert_eq(ctl_target_parse("http://[fd00::1]/x", &t, err, sizeof(err)), 0);
    cr_assert_not(t.tls);
    cr_assert_str_eq(t.host, "fd00::1");
    cr_assert_eq(t.port, 80);
    cr_assert_eq(ctl_target_parse("ftp://x", &t, err, sizeof(err)), -1);
    cr_assert_eq(ctl_target_parse("a.test:99999", &t, err, sizeof(err)), -1);
    cr_assert_eq(ctl_target_parse("https:///x", &t, err, sizeof(err)), -1);
}

/* ---------------- pinned-report ---------------- */

static struct ctl_pinned *pinned_from(const char *path)
{
    struct ctl_pinned *p = ctl_pinned_new();
    FILE *f = fopen(path, "r");
    char line[CTL_LOG_LINE_MAX];

    cr_assert_not_null(f, "%s", path);
    while (fgets(line, sizeof(line), f))
        ctl_pinned_add_line(p, line);
    fclose(f);
    return p;
}

Test(pinned, finds_rejected_handshakes_in_a_real_log)
{
    struct ctl_pinned *p = pinned_from(FIXTURES "/access-failmodes.log");
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    size_t n = ctl_pinned_print(p, out, 2, 0.5);

    fclose(out);
    cr_assert_eq(n, 2, "%s", buf);
    cr_assert(strstr(buf, "\nwww.good.test bumped=3 rejected=3 (100%) reasons: alert-unknown-ca=3"
                          " clients: 127.0.0.1\n"), "%s", buf);
    cr_assert(strstr(buf, "<rule id=\"pinned-www-good-test\" action=\"bypass\" verify-name=\"true\">"
                          "<server-name>www.good.test</server-name></rule>"), "%s", buf);
    cr_assert(strstr(buf, "\na.wild.test bumped=2 rejected=2 (100%) reasons: closed-before-request=2"), "%s", buf);
    cr_assert_null(strstr(buf, "\ngood.test "), "good.test carried requests: %s", buf);
    free(buf);
    ctl_pinned_free(p);
}

/* Every rejecting client is listed once, in the order seen. */
Test(pinned, lists_the_rejecting_clients)
{
    static const char rejected[] =
        "1795262320.852 10 %s NONE_NONE/200 0 CONNECT www.good.test:443 - bump=bump"
        " sni=\"www.good.test\" tls=inspect:default:default fail=client-rejected-cert"
        " err=ERR_SECURE_ACCEPT_FAIL/SQUID_TLS_ERR_ACCEPT+TLS_LIB_ERR=A000418+TLS_IO_ERR=1\n";
    static const char *const clients[] = {"10.0.0.7", "10.0.0.9", "10.0.0.7"};
    struct ctl_pinned *p = ctl_pinned_new();
    char line[512], *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);

    for (size_t i = 0; i < 3; i++) {
        snprintf(line, sizeof(line), rejected, clients[i]);
        ctl_pinned_add_line(p, line);
    }
    cr_assert_eq(ctl_pinned_print(p, out, 3, 0.5), 1);
    fclose(out);
    cr_assert(strstr(buf, " clients: 10.0.0.7 10.0.0.9\n"), "%s", buf);
    free(buf);
    ctl_pinned_free(p);
}

Test(pinned, thresholds_filter)
{
    struct ctl_pinned *p = pinned_from(FIXTURES "/access-failmodes.log");
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);

    cr_assert_eq(ctl_pinned_print(p, out, 3, 0.5), 1, "only www.good.test has 3 rejections");
    fclose(out);
    free(buf);
    ctl_pinned_free(p);
}

/* ---------------- validate / explain / replay ---------------- */

Test(policy_cmds, validate_ok_and_errors)
{
    char *out;
    char *ok[] = {"validate", FIXTURES "/policy.xml", NULL};
    char *bad[] = {"validate", FIXTURES "/invalid.xml", NULL};

    cr_assert_eq(run_captured(ctl_validate_main, 2, ok, &out), 0);
    cr_assert(strstr(out, "valid (digest "), "%s", out);
    cr_assert(strstr(out, "5 inspection rules"), "%s", out);
    free(out);
    cr_assert_eq(run_capturing(ctl_validate_main, 2, bad, STDERR_FILENO, &out), 1,
                 "an invalid policy exits 1");
    cr_assert(strstr(out, "/invalid.xml:3: "), "the error names the file and the line of the "
              "bad rule: %s", out);
    cr_assert(strstr(out, "rule"), "%s", out);
    free(out);
}

Test(policy_cmds, explain_inspection_and_security)
{
    char *out;
    char *a[] = {"explain", FIXTURES "/policy.xml", "--client", "10.0.0.1", "https://good.test/echo", NULL};
    char *b[] = {"explain", FIXTURES "/policy.xml", "--client", "10.0.0.1", "--user", "alice",
                 "good.test", NULL};
    char *c[] = {"explain", FIXTURES "/policy.xml", "https://good.test/", NULL};
    char *d[] = {"explain", FIXTURES "/policy.xml", "--client", "10.0.0.1", "--user", "bob",
                 "good.test", NULL};

    cr_assert_eq(run_captured(ctl_explain_main, 5, a, &out), 0);
    cr_assert(strstr(out, "https-inspection: inspect (default: no rule matched)"), "%s", out);
    cr_assert(strstr(out, "security-policy (request, no body): block by rule no-echo"), "%s", out);
    cr_assert(strstr(out, "path matches /echo"), "%s", out);
    cr_assert(strstr(out, "  rule no-echo (line 15, block): MATCHES\n"
                          "      matched:     host good.test; path matches /echo\n"), "per-condition trace: %s", out);
    free(out);
    {
        char *e[] = {"explain", FIXTURES "/policy.xml", "--client", "10.0.0.1", "https://good.test/other", NULL};
        cr_assert_eq(run_captured(ctl_explain_main, 5, e, &out), 0);
        cr_assert(strstr(out, "  rule no-echo (line 15, block): no match\n"
                              "      matched:     host good.test\n"
                              "      not matched: path /other\n"), "%s", out);
        free(out);
    }
    cr_assert_eq(run_captured(ctl_explain_main, 7, b, &out), 0);
    cr_assert(strstr(out, "bypass by rule vip-users"), "%s", out);
    cr_assert(strstr(out, "user alice"), "the matched condition is named: %s", out);
    cr_assert(strstr(out, "security-policy: not applied"), "%s", out);
    free(out);
    cr_assert_eq(run_captured(ctl_explain_main, 7, d, &out), 0);
    cr_assert(strstr(out, "rule vip-users (line 10, bypass): no match\n"
                          "      not matched: user bob not in users 'vip'"), "%s", out);
    cr_assert(strstr(out, "rule kill (line 8, terminate): no match\n"
                          "      not matched: server-name good.test not in the list on line 8"), "%s", out);
    cr_assert(strstr(out, "https-inspection: inspect (default: no rule matched)"), "%s", out);
    free(out);
    cr_assert_eq(run_captured(ctl_explain_main, 3, c, &out), 2, "--client is required");
    free(out);
}

/* --group (repeatable) and --groups (a list) feed the same groups as inspect-bump's field. */
Test(policy_cmds, explain_with_groups)
{
    static const char xml[] = "<policy xmlns=\"urn:squid-inspect:policy:1\"><https-inspection>"
        "<rule id=\"finance-direct\" action=\"bypass\"><group names=\"finance\"/></rule>"
        "</https-inspection></policy>\n";
    char *dir = mkdir_tmp(), path[256], *out;

    write_file(dir, "groups.xml", xml, path, sizeof(path));
    {
        char *a[] = {"explain", path, "--client", "10.0.0.1", "--group", "staff", "--group",
                     "finance", "good.test", NULL};
        cr_assert_eq(run_captured(ctl_explain_main, 9, a, &out), 0);
        cr_assert(strstr(out, "groups staff,finance,"), "the facts name the groups: %s", out);
        cr_assert(strstr(out, "https-inspection: bypass by rule finance-direct"), "%s", out);
        cr_assert(strstr(out, "group finance in"), "%s", out);
        free(out);
    }
    {
        char *b[] = {"explain", path, "--client", "10.0.0.1", "--groups", "staff,audit",
                     "good.test", NULL};
        cr_assert_eq(run_captured(ctl_explain_main, 7, b, &out), 0);
        cr_assert(strstr(out, "https-inspection: inspect (default: no rule matched)"), "%s", out);
        cr_assert(strstr(out, "not matched: group"), "the unmatched group condition: %s", out);
        free(out);
    }
    {
        char *c[] = {"explain", path, "--client", "10.0.0.1", "good.test", NULL};
        cr_assert_eq(run_captured(ctl_explain_main, 5, c, &out), 0);
        cr_assert(strstr(out, "groups (none),"), "%s", out);
        cr_assert(strstr(out, "https-inspection: inspect (default"), "%s", out);
        free(out);
    }
    unlink(path);
    rmdir(dir);
}

Test(policy_cmds, replay_against_the_log_and_a_baseline)
{
    char *out;
    char *a[] = {"replay", FIXTURES "/policy.xml", FIXTURES "/access-policy.log", NULL};
    char *b[] = {"replay", FIXTURES "/policy.xml", "--baseline", FIXTURES "/policy-old.xml",
                 "--examples", "1", FIXTURES "/access-policy.log", NULL};

    cr_assert_eq(run_captured(ctl_replay_main, 3, a, &out), 0);
    cr_assert(strstr(out, "18 lines, 18 in the inspect format: 11 TLS connections"), "%s", out);
    cr_assert(strstr(out, "bypass:bulk-bypass"), "%s", out);
    cr_assert(strstr(out, "inspect:now-inspected -> bypass:bulk-bypass"),
              "the log's own decisions are the default baseline: %s", out);
    cr_assert(strstr(out, "1  allow:default"), "%s", out);
    cr_assert_null(strstr(out, "allowed:default ->"), "the service's 'allowed' is the policy's allow: %s", out);
    free(out);
    cr_assert_eq(run_captured(ctl_replay_main, 7, b, &out), 0);
    cr_assert(strstr(out, "compared with baseline"), "%s", out);
    cr_assert(strstr(out, "inspect:default -> bypass:vip-users"), "%s", out);
    cr_assert(strstr(out, "e.g. "), "examples are shown: %s", out);
    cr_assert_null(strstr(out, "terminate:kill ->"), "kill is in both policies: %s", out);
    free(out);
}

/* The log's groups= field (the fragment logs %note{si_group_}) feeds replay's group rules. */
Test(policy_cmds, replay_uses_the_logged_groups)
{
    static const char xml[] = "<policy xmlns=\"urn:squid-inspect:policy:1\"><https-inspection>"
        "<rule id=\"finance-direct\" action=\"bypass\"><group names=\"finance\"/></rule>"
        "</https-inspection></policy>\n";
    static const char log[] =
        "1795262340.333 0 10.0.0.1 NONE_NONE/200 0 CONNECT bank.test:443 - bump=bump"
        " sni=\"bank.test\" tls=inspect:default:default cert_errors=\"-\" verdict=\"-\" fail=-"
        " err=-/- cport=1 icap=\"-\" groups=\"staff,finance\" ref=sq-1-1\n"
        "1795262341.333 0 10.0.0.2 NONE_NONE/200 0 CONNECT bank.test:443 - bump=bump"
        " sni=\"bank.test\" tls=inspect:default:default cert_errors=\"-\" verdict=\"-\" fail=-"
        " err=-/- cport=2 icap=\"-\" groups=\"-\" ref=sq-1-2\n";
    char *dir = mkdir_tmp(), xpath[256], lpath[256], *out;

    write_file(dir, "groups.xml", xml, xpath, sizeof(xpath));
    write_file(dir, "access.log", log, lpath, sizeof(lpath));
    char *a[] = {"replay", xpath, lpath, NULL};
    cr_assert_eq(run_captured(ctl_replay_main, 3, a, &out), 0);
    cr_assert(strstr(out, "inspect:default -> bypass:finance-direct"),
              "the finance client's connection would now be bypassed: %s", out);
    cr_assert(strstr(out, "1  inspect:default"), "the client without groups stays inspected: %s",
              out);
    free(out);
    unlink(xpath);
    unlink(lpath);
    rmdir(dir);
}

/* A verify-name bypass depends on the server's certificate: replay predicts it from the probe
 * outcome the log carries, and says how many connections depend on it. */
Test(policy_cmds, replay_predicts_verify_name_from_the_logged_probe)
{
    char *out;
    char *a[] = {"replay", FIXTURES "/policy.xml", FIXTURES "/access-policy.log", NULL};
    char *b[] = {"replay", FIXTURES "/policy-old.xml", FIXTURES "/access-policy.log", NULL};

    cr_assert_eq(run_captured(ctl_replay_main, 3, a, &out), 0);
    cr_assert_null(strstr(out, "inspect:pinned-app -> bypass:pinned-app"),
                   "the same policy changes nothing: %s", out);
    cr_assert_null(strstr(out, "pinned-app ->"), "%s", out);
    cr_assert(strstr(out, "1  inspect:pinned-app\n"), "the name-mismatch fallback: %s", out);
    cr_assert(strstr(out, "1  bypass:pinned-app\n"), "the verified name: %s", out);
    cr_assert(strstr(out, "\n# 2 connections depend on name verification (verify-name): 1 verified "
                          "in the log, 1 failed it, 0 never probed\n"), "%s", out);
    free(out);
    cr_assert_eq(run_captured(ctl_replay_main, 3, b, &out), 0);
    cr_assert_null(strstr(out, "verify-name"), "no verify-name rule, no word of it: %s", out);
    cr_assert_null(strstr(out, "counted as bypass"), "%s", out);
    free(out);
}

static const char pinned_log[] =
    "1795262341.023 2 10.0.0.1 NONE_NONE/200 0 CONNECT 192.0.2.1:443 - bump=splice"
    " sni=\"www.good.test\" tls=bypass:pinned-app:name-verified err=-/- cport=1\n"
    "1795262341.336 16 10.0.0.1 NONE_NONE/200 0 CONNECT 192.0.2.1:443 - bump=bump"
    " sni=\"www.good.test\" tls=inspect:pinned-app:name-mismatch err=-/- cport=2\n"
    "1795262342.000 3 10.0.0.1 NONE_NONE/200 0 CONNECT 192.0.2.1:443 - bump=splice"
    " sni=\"www.good.test\" tls=bypass:pinned-app:matched err=-/- cport=3\n";

static void pinned_policy(const char *dir, const char *name, const char *vn, char *path,
                          size_t pathsize)
{
    char xml[512];

    snprintf(xml, sizeof(xml), "<policy xmlns=\"urn:squid-inspect:policy:1\"><https-inspection>"
             "<rule id=\"pinned-app\" action=\"bypass\" verify-name=\"%s\">"
             "<server-name>www.good.test</server-name></rule></https-inspection></policy>\n", vn);
    write_file(dir, name, xml, path, pathsize);
}

/* Both sides of a baseline comparison predict verify-name the same way. */
Test(policy_cmds, replay_baseline_that_turns_verify_name_on)
{
    char *dir = mkdir_tmp(), on[256], off[256], log[256], *out;

    pinned_policy(dir, "on.xml", "true", on, sizeof(on));
    pinned_policy(dir, "off.xml", "false", off, sizeof(off));
    write_file(dir, "access.log", pinned_log, log, sizeof(log));
    char *a[] = {"replay", on, "--baseline", off, log, NULL};
    cr_assert_eq(run_captured(ctl_replay_main, 5, a, &out), 0);
    cr_assert(strstr(out, "1  bypass:pinned-app -> inspect:pinned-app\n"), "%s", out);
    cr_assert(strstr(out, "1  bypass:pinned-app -> bypass-if-name-verified:pinned-app\n"),
              "without a logged probe the outcome is undecided: %s", out);
    cr_assert(strstr(out, "# 3 connections depend on name verification (verify-name): 1 verified "
                          "in the log, 1 failed it, 1 never probed\n"), "%s", out);
    free(out);
    char *b[] = {"replay", off, "--baseline", on, log, NULL};
    cr_assert_eq(run_captured(ctl_replay_main, 5, b, &out), 0);
    cr_assert(strstr(out, "1  inspect:pinned-app -> bypass:pinned-app\n"), "%s", out);
    cr_assert(strstr(out, "1  bypass-if-name-verified:pinned-app -> bypass:pinned-app\n"), "%s", out);
    cr_assert_null(strstr(out, "on name verification (verify-name)"), "%s", out);
    free(out);
    unlink(on);
    unlink(off);
    unlink(log);
    rmdir(dir);
}

/* A stock Squid's native-format log (no bump=, no tls=): CONNECTs are decided on the CONNECT
 * host; with no recorded decision, only a baseline comparison reports changes. */
Test(policy_cmds, replay_reads_squids_native_format)
{
    char *out;
    char *a[] = {"replay", FIXTURES "/policy.xml", FIXTURES "/access-native.log", NULL};
    char *b[] = {"replay", FIXTURES "/policy.xml", "--baseline", FIXTURES "/policy-old.xml",
                 FIXTURES "/access-native.log", NULL};

    cr_assert_eq(run_captured(ctl_replay_main, 3, a, &out), 0);
    cr_assert(strstr(out, "9 lines, 0 in the inspect format, 9 in Squid's native format: "
                          "4 TLS connections, 3 requests, 0 with a logged response phase\n"), "TCP_DENIED is no decision: %s", out);
    cr_assert(strstr(out, "1  bypass:vip-users\n"), "the logged user counts: %s", out);
    cr_assert(strstr(out, "1  terminate:kill\n"), "%s", out);
    cr_assert(strstr(out, "1  bypass-if-name-verified:pinned-app\n"), "never probed: %s", out);
    cr_assert(strstr(out, "1  block:no-echo\n"), "%s", out);
    cr_assert_null(strstr(out, "unknown ->"), "no change without a baseline: %s", out);
    cr_assert(strstr(out, "4 connections from native-format lines have no recorded decision"),
              "%s", out);
    free(out);
    cr_assert_eq(run_captured(ctl_replay_main, 5, b, &out), 0);
    cr_assert(strstr(out, "1  inspect:default -> bypass:net-direct\n"), "%s", out);
    cr_assert(strstr(out, "1  inspect:default -> bypass:vip-users\n"), "%s", out);
    cr_assert(strstr(out, "1  allow:default -> block:no-echo\n"), "%s", out);
    cr_assert_null(strstr(out, "terminate:kill ->"), "kill is in both policies: %s", out);
    free(out);
}

Test(policy_cmds, coverage_counts_outcomes_rules_and_failures)
{
    char *out;
    char *a[] = {"coverage", FIXTURES "/access-failmodes.log", FIXTURES "/access-policy.log", NULL};

    cr_assert_eq(run_captured(ctl_coverage_main, 3, a, &out), 0);
    cr_assert(strstr(out, "21 TLS connections, 5 requests"), "%s", out);
    cr_assert(strstr(out, "5  23.8%  bypassed (spliced, bytes untouched)"), "%s", out);
    cr_assert(strstr(out, "3  14.3%  bumped, client rejected the forged certificate"), "%s", out);
    cr_assert(strstr(out, "1   4.8%  refused: no decision (failed closed)"), "%s", out);
    cr_assert(strstr(out, "inspect by rule pinned-app (name-mismatch)"), "%s", out);
    cr_assert(strstr(out, "2   5.6%  failed-open:icap-error"), "%s", out);
    free(out);
}

/* rev=: bumped connections by revocation state; those not confirmed are counted apart */
Test(policy_cmds, coverage_counts_revocation_states)
{
    char *out;
    char *a[] = {"coverage", FIXTURES "/access-rev.log", NULL};

    cr_assert_eq(run_captured(ctl_coverage_main, 2, a, &out), 0);
    cr_assert(strstr(out, "revocation status was not confirmed (rev=undetermined...): 2 of 4\n"),
              "%s", out);
    cr_assert(strstr(out, "1  25.0%  undetermined:timeout"), "%s", out);
    cr_assert(strstr(out, "1  25.0%  undetermined-refused"), "%s", out);
    cr_assert(strstr(out, "1  25.0%  good"), "%s", out);
    cr_assert(strstr(out, "1  25.0%  revoked"), "%s", out);
    free(out);
}

Test(policy_cmds, coverage_counts_connections_that_were_not_tls)
{
    char *out;
    char *a[] = {"coverage", FIXTURES "/access-nontls.log", NULL};

    cr_assert_eq(run_captured(ctl_coverage_main, 2, a, &out), 0);
    cr_assert(strstr(out, "5 TLS connections, 0 requests"), "%s", out);
    cr_assert(strstr(out, "2  40.0%  not TLS, refused\n"), "%s", out);
    cr_assert(strstr(out, "1  20.0%  not TLS, tunnelled uninspected (failed open)\n"), "%s", out);
    cr_assert(strstr(out, "1  20.0%  refused by http_access\n"), "%s", out);
    cr_assert(strstr(out, "1  20.0%  inspected (bumped)\n"), "%s", out);
    cr_assert(strstr(out, "3  37.5%  refused:not-tls\n"), "%s", out);
    cr_assert(strstr(out, "2  25.0%  failed-open:not-tls\n"), "%s", out);
    cr_assert(strstr(out, "1  12.5%  failed-open:unsupported-protocol\n"), "%s", out);
    free(out);
}

/* coverage and pinned-report need the inspect logformat: native lines are skipped, and said so */
Test(policy_cmds, coverage_and_pinned_report_skip_native_lines)
{
    char *out;
    char *a[] = {"coverage", FIXTURES "/access-native.log", NULL};
    char *b[] = {"pinned-report", FIXTURES "/access-native.log", NULL};

    cr_assert_eq(run_captured(ctl_coverage_main, 2, a, &out), 0);
    cr_assert(strstr(out, "9 lines, 0 in the inspect format: 0 TLS connections, 0 requests"), "%s", out);
    cr_assert(strstr(out, "# coverage: 9 lines in Squid's native logformat were skipped"), "%s", out);
    free(out);
    cr_assert_eq(run_captured(ctl_pinned_main, 2, b, &out), 0);
    cr_assert(strstr(out, "# pinned-report: 9 lines in Squid's native logformat were skipped"), "%s", out);
    free(out);
}

Test(policy_cmds, explain_names_the_category)
{
    char *out;
    char *a[] = {"explain", FIXTURES "/../../../../schema/examples/categories.xml", "--client",
                 "10.1.2.3", "www.clinic.example", NULL};
    char *b[] = {"explain", FIXTURES "/../../../../schema/examples/categories.xml", "--client",
                 "10.1.2.3", "https://www.xxx.example/", NULL};

    cr_assert_eq(run_captured(ctl_explain_main, 5, a, &out), 0);
    cr_assert(strstr(out, "https-inspection: bypass by rule privacy"), "%s", out);
    cr_assert(strstr(out, "  matched: server-name www.clinic.example in category health (ut1)\n"),
              "%s", out);
    free(out);
    cr_assert_eq(run_captured(ctl_explain_main, 5, b, &out), 0);
    cr_assert(strstr(out, "not matched: server-name www.xxx.example not in domains 'extra-banks' "
                          "or category bank (ut1) or category health (ut1) or category "
                          "government (ut1)"), "%s", out);
    cr_assert(strstr(out, "security-policy (request, no body): block by rule no-adult"), "%s", out);
    cr_assert(strstr(out, "host www.xxx.example in category adult (ut1)"), "%s", out);
    free(out);
}

/* A matching monitor rule is reported as what it would have done, in words: "would have
 * blocked", like the service's log field. */
Test(policy_cmds, explain_monitor_rule_wording)
{
    static const char xml[] = "<policy xmlns=\"urn:squid-inspect:policy:1\"><security-policy>"
        "<rule id=\"watch\" action=\"block\" mode=\"monitor\"><host>good.test</host></rule>"
        "<rule id=\"watch-redir\" action=\"redirect\" mode=\"monitor\" "
        "location=\"https://127.0.0.1/\"><method>GET</method></rule>"
        "</security-policy></policy>\n";
    char *dir = mkdir_tmp(), path[256], *out;
    char *a[] = {"explain", path, "--client", "10.0.0.1", "https://good.test/x", NULL};

    write_file(dir, "monitor.xml", xml, path, sizeof(path));
    cr_assert_eq(run_captured(ctl_explain_main, 5, a, &out), 0);
    cr_assert(strstr(out, "  monitor: rule watch would have blocked ("), "%s", out);
    cr_assert(strstr(out, "  monitor: rule watch-redir would have redirected ("), "%s", out);
    cr_assert_null(strstr(out, "would have block "), "%s", out);
    free(out);
    unlink(path);
    rmdir(dir);
}
