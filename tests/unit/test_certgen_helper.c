/*
 * Tests of the inspect-certgen program itself, run as Squid runs it (stdin/stdout), with the
 * framing traps of lib/helper_io.h: concurrency IDs, 0x01 and nothing after it,
 * bad input answered with ERR while the helper keeps serving, shared cache between processes,
 * a missing or unusable cache directory, and the drop-in command line.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "certgen_fixture.h"

#ifndef CERTGEN_BIN
#error "CERTGEN_BIN must name the built helper"
#endif

static char dir[64];
static struct fx_ca ca;

static void setup(void)
{
    strcpy(dir, "/tmp/certgen-helper-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    cr_assert_eq(fx_ca_make(&ca, "Helper Test CA", FX_RSA, 365), 0);
}

static void teardown(void)
{
    char cmd[128];

    fx_ca_free(&ca);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        cr_log_warn("could not remove %s", dir);
}

TestSuite(helper, .init = setup, .fini = teardown, .timeout = 60);

struct run {
    int status;
    char *out;
    size_t out_len;
    char err[4096];
};

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = calloc(1, 1 << 20);
    size_t n = f ? fread(buf, 1, (1 << 20) - 1, f) : 0;

    if (f)
        fclose(f);
    *len = n;
    return buf;
}

/* Runs the helper with argv (NULL-terminated, after the program), input on stdin. */
static void run_helper(const char *const *args, const char *input, size_t len, struct run *r)
{
    char in[96], out[96], err[96];
    const char *argv[16] = {CERTGEN_BIN};
    FILE *f;
    pid_t pid;
    size_t n;
    char *e;

    snprintf(in, sizeof(in), "%s/stdin", dir);
    snprintf(out, sizeof(out), "%s/stdout", dir);
    snprintf(err, sizeof(err), "%s/stderr", dir);
    f = fopen(in, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(input, 1, len, f), len);
    fclose(f);
    for (int i = 0; args && args[i] && i < 14; i++)
        argv[i + 1] = args[i];
    pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int fi = open(in, O_RDONLY), fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600),
            fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

        dup2(fi, 0);
        dup2(fo, 1);
        dup2(fe, 2);
        execv(CERTGEN_BIN, (char *const *)argv);
        _exit(127);
    }
    cr_assert_eq(waitpid(pid, &r->status, 0), pid);
    r->out = slurp(out, &r->out_len);
    e = slurp(err, &n);
    snprintf(r->err, sizeof(r->err), "%s", e);
    free(e);
}

static char *request(const char *id, const char *params, X509 *origin, size_t *len)
{
    size_t blen;
    char *body = fx_body(params, &ca, origin, &blen);
    size_t n = blen + 64;
    char *req = malloc(n);

    *len = (size_t)snprintf(req, n, "%s%snew_certificate %zu %s\n", id ? id : "", id ? " " : "",
                            blen, body);
    free(body);
    return req;
}

static X509 *origin_for(const char *cn, const char *san)
{
    struct fx_origin spec = {.cn = cn, .san = san, .key = FX_EC, .not_before = -86400,
                             .not_after = 40 * 86400};

    return fx_origin_make(&spec, &ca);
}

/* Splits replies at 0x01; returns the count. The output must end with 0x01 exactly. */
static int split_replies(struct run *r, char **replies, int max)
{
    int n = 0;
    char *p = r->out, *end = r->out + r->out_len;

    cr_assert_gt(r->out_len, 0, "no reply; stderr: %s", r->err);
    cr_assert_eq(end[-1], '\x01', "nothing, not even LF, after the last 0x01");
    while (p < end && n < max) {
        char *eom = memchr(p, '\x01', (size_t)(end - p));

        cr_assert_not_null(eom);
        *eom = '\0';
        replies[n++] = p;
        p = eom + 1;
    }
    return n;
}

Test(helper, concurrency_ids_are_echoed_and_cache_is_shared_between_processes)
{
    const char *args[] = {"-s", dir, "-M", "8MB", NULL};
    X509 *o = origin_for("www.shared.test", "DNS:www.shared.test");
    size_t l1, l2;
    char *r1 = request("1", "host=www.shared.test\nSign=signTrusted\nSignHash=SHA256\n", o, &l1);
    char *r2 = request("2", "host=127.0.0.1\nSign=signTrusted\nSignHash=SHA256\n", NULL, &l2);
    char *input = malloc(l1 + l2);
    char *rep[8], *first_cert;
    struct run a, b;

    memcpy(input, r1, l1);
    memcpy(input + l1, r2, l2);
    run_helper(args, input, l1 + l2, &a);
    cr_assert(WIFEXITED(a.status) && WEXITSTATUS(a.status) == 0, "stderr: %s", a.err);
    cr_assert_eq(split_replies(&a, rep, 8), 2);
    cr_expect_eq(strncmp(rep[0], "1 OK ", 5), 0, "%.40s", rep[0]);
    cr_expect_eq(strncmp(rep[1], "2 OK ", 5), 0, "%.40s", rep[1]);
    cr_expect_not_null(strstr(rep[0], "-----BEGIN CERTIFICATE-----"));
    cr_expect_not_null(strstr(rep[0], "-----BEGIN PRIVATE KEY-----"));
    first_cert = strdup(rep[0] + 5);
    /* A second process, with no ID: the same certificate, from the shared cache. */
    run_helper(args, strchr(r1, ' ') + 1, l1 - 2, &b);
    cr_assert_eq(split_replies(&b, rep, 8), 1);
    cr_expect_eq(strncmp(rep[0], "OK ", 3), 0);
    cr_expect_str_eq(rep[0] + 3, first_cert, "the second process served the cached certificate");
    cr_expect_not_null(strstr(b.err, "1 hits"), "%s", b.err);
    free(first_cert);
    free(a.out);
    free(b.out);
    free(input);
    free(r1);
    free(r2);
    X509_free(o);
}

Test(helper, bad_input_gets_err_and_the_helper_keeps_serving)
{
    const char *args[] = {"-s", dir, "-M", "4MB", NULL};
    size_t lg;
    char *good = request("9", "host=good.test\nSign=signTrusted\n", NULL, &lg);
    static const char *const bad[] = {
        "3 new_certificate 20 host=a.test\nSign=x\n",                   /* bad Sign, right LEN */
        "4 new_certificate 12 host=a.test\n\n",                         /* no PEM part */
        "5 some_other_code 6 host=a\n",                                 /* unknown code */
        "7 new_certificate 40 host=a.test\n-----BEGIN CERTIFICATE-----\n",  /* truncated PEM */
        "8 new_certificate 48 host=a.test\n-----BEGIN CERTIFICATE-----\n!!\n-----END \n",
    };
    char input[8192], *rep[16];
    size_t n = 0;
    struct run r;
    int count;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memcpy(input + n, bad[i], strlen(bad[i]));
        n += strlen(bad[i]);
    }
    cr_assert_lt(n + lg, sizeof(input));
    memcpy(input + n, good, lg);
    run_helper(args, input, n + lg, &r);
    cr_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0, "stderr: %s", r.err);
    count = split_replies(&r, rep, 16);
    cr_assert_geq(count, 2, "stderr: %s", r.err);
    for (int i = 0; i < count - 1; i++)
        cr_expect_not_null(strstr(rep[i], " ERR "), "reply %d is an ERR: %.60s", i, rep[i]);
    cr_expect_eq(strncmp(rep[0], "3 ERR ", 6), 0, "%.60s", rep[0]);
    cr_expect_not_null(strstr(rep[0], "Sign="), "the reason is given: %s", rep[0]);
    cr_expect_eq(strncmp(rep[count - 1], "9 OK ", 5), 0, "still serving: %.60s", rep[count - 1]);
    free(r.out);
    free(good);
}

Test(helper, unusable_directory_is_reported_and_the_helper_still_serves)
{
    char file[96], sub[128];
    const char *args[] = {"-s", sub, "-M", "4MB", NULL};
    size_t lg;
    char *good = request(NULL, "host=nocache.test\n", NULL, &lg);
    char *rep[4];
    struct run r;

    snprintf(file, sizeof(file), "%s/plainfile", dir);
    snprintf(sub, sizeof(sub), "%s/db", file);
    close(open(file, O_WRONLY | O_CREAT, 0600));
    run_helper(args, good, lg, &r);
    cr_expect_not_null(strstr(r.err, "cannot create"), "clear message: %s", r.err);
    cr_expect_not_null(strstr(r.err, "WITHOUT the shared cache"), "%s", r.err);
    cr_assert_eq(split_replies(&r, rep, 4), 1);
    cr_expect_eq(strncmp(rep[0], "OK ", 3), 0);
    free(r.out);
    free(good);
}

Test(helper, drop_in_command_line)
{
    char db[96], path[128];
    const char *create[] = {"-c", "-s", db, "-M", "4MB", "-b", "4096", NULL};
    const char *help[] = {"--help", NULL};
    const char *badopt[] = {"--no-such-option", NULL};
    const char *rotate[] = {"--rotate-keys", "-s", db, NULL};
    struct stat st;
    struct run r;

    snprintf(db, sizeof(db), "%s/missing/parent/db", dir);
    run_helper(create, "", 0, &r);
    cr_expect(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0, "-c: %s", r.err);
    snprintf(path, sizeof(path), "%s/certs.lmdb", db);
    cr_expect_eq(stat(path, &st), 0, "-c makes the cache file");
    snprintf(path, sizeof(path), "%s/leaf-rsa.pem", db);
    cr_expect_eq(stat(path, &st), 0, "-c makes the leaf keys");
    cr_expect_eq(st.st_mode & 0777, 0600);
    stat(db, &st);
    cr_expect_eq(st.st_mode & 0777, 0700);
    free(r.out);
    run_helper(create, "", 0, &r);
    cr_expect(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0, "-c twice is fine: %s", r.err);
    free(r.out);
    run_helper(rotate, "", 0, &r);
    cr_expect(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0, "rotate: %s", r.err);
    free(r.out);
    run_helper(help, "", 0, &r);
    cr_expect(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
    cr_expect_not_null(strstr(r.out, "--fresh-ec-key"));
    cr_expect_not_null(strstr(r.out, "-M SIZE"));
    free(r.out);
    run_helper(badopt, "", 0, &r);
    cr_expect(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 2);
    free(r.out);
}

/* -M takes the size grammar of lib/units.h: a negative or junk size is a usage error. */
Test(helper, bad_cache_size_is_a_usage_error)
{
    const char *sizes[] = {"-1", "-1MB", " 4MB", "4 MB", "4TB", "", "99999999999999999999"};
    char db[96];
    struct run r;

    snprintf(db, sizeof(db), "%s/db", dir);
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        const char *args[] = {"-c", "-s", db, "-M", sizes[i], NULL};
        run_helper(args, "", 0, &r);
        cr_expect(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 2, "-M '%s': status %d",
                  sizes[i], r.status);
        cr_expect_not_null(strstr(r.err, "not a size"), "-M '%s': %s", sizes[i], r.err);
        free(r.out);
    }
}
