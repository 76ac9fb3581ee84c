/* Unit tests for the modules the ICAP service relies on: the policy holder (reload path),
 * gzip/deflate decoding and request-line splitting. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "decode.h"
#include "httpreq.h"
#include "policy_holder.h"
#include "policy_status.h"

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

#define GOOD(rule) "<policy xmlns=\"urn:squid-inspect:policy:1\"><https-inspection>" \
    "<rule id=\"" rule "\" action=\"bypass\"><port>1</port></rule></https-inspection></policy>\n"

/* The id points into p: valid while the caller holds its reference. */
static const char *rule_of(struct si_policy *p)
{
    struct si_inspect_result r;
    struct si_inspect_facts f = {.port = 1};
    si_policy_inspection_decide(p, &f, &r);
    return r.rule_id;
}

#define LISTED "<policy xmlns=\"urn:squid-inspect:policy:1\"><objects>" \
    "<domains id=\"d\" file=\"names.txt\"/></objects><https-inspection>" \
    "<rule id=\"r\" action=\"bypass\"><server-name list=\"d\"/></rule></https-inspection></policy>\n"

static char logged[8][1024];
static int nlogged;

static void capture(enum si_log_level level, const char *line)
{
    (void)level;
    if (nlogged < 8)
        snprintf(logged[nlogged++], sizeof(logged[0]), "%s", line);
}

/* The digest covers the files the policy read: editing only a list changes it. */
Test(holder, digest_covers_lists_and_status_file_names_it)
{
    char dir[] = "/tmp/holderXXXXXX", path[64], list[64], status[128], err[1024], d1[24], d2[24];
    struct si_policy_status st;
    struct si_policy_holder *h;
    struct si_policy *p;

    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/policy.xml", dir);
    snprintf(list, sizeof(list), "%s/names.txt", dir);
    write_file(path, LISTED);
    write_file(list, "a.example\n");
    h = si_policy_holder_new(path);
    si_policy_holder_configure(h, "unit", dir, capture);
    nlogged = 0;
    cr_assert_eq(si_policy_holder_poll(h, 0), 1);
    p = si_policy_holder_get(h);
    snprintf(d1, sizeof(d1), "%s", si_policy_digest(p));
    si_policy_unref(p);
    cr_assert_eq(nlogged, 1);
    cr_assert(strstr(logged[0], "policy ") && strstr(logged[0], "/policy.xml loaded (digest ") &&
              strstr(logged[0], d1), "%s", logged[0]);
    snprintf(status, sizeof(status), "%s/unit.%ld", dir, (long)getpid());
    cr_assert_eq(si_policy_status_read(status, &st, err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(st.policy, path);
    cr_assert_str_eq(st.digest, d1);
    cr_assert_str_eq(st.state, "loaded");
    usleep(20000);
    write_file(list, "a.example\nb.example\n"); /* only the list changes */
    cr_assert_eq(si_policy_holder_poll(h, 0), 1);
    p = si_policy_holder_get(h);
    snprintf(d2, sizeof(d2), "%s", si_policy_digest(p));
    si_policy_unref(p);
    cr_assert_str_neq(d1, d2, "a list edit must change the digest");
    cr_assert_eq(si_policy_status_read(status, &st, err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(st.digest, d2);
    /* a broken policy: refused, previous kept, one line with file:line, status says so */
    usleep(20000);
    write_file(path, "<policy xmlns=\"urn:squid-inspect:policy:1\"><nope/></policy>\n");
    nlogged = 0;
    cr_assert_eq(si_policy_holder_poll(h, 0), -1);
    cr_assert_eq(nlogged, 1);
    cr_assert(strstr(logged[0], "/policy.xml refused, keeping the previous one (digest ") &&
              strstr(logged[0], d2) && strstr(logged[0], "policy.xml:1: "), "%s", logged[0]);
    cr_assert_eq(si_policy_status_read(status, &st, err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(st.state, "refused-kept");
    cr_assert_str_eq(st.digest, d2);
    cr_assert(strstr(st.error, "policy.xml:1: "), "%s", st.error);
    si_policy_holder_free(h);
    unlink(status);
    unlink(list);
    unlink(path);
    rmdir(dir);
}

Test(holder, load_swap_and_keep_old_on_error)
{
    char dir[] = "/tmp/holderXXXXXX", path[64], err[1024];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/policy.xml", dir);
    write_file(path, GOOD("one"));

    struct si_policy_holder *h = si_policy_holder_new(path);
    cr_assert_null(si_policy_holder_get(h));
    cr_assert_eq(si_policy_holder_load(h, err, sizeof(err)), 0, "%s", err);
    struct si_policy *p1 = si_policy_holder_get(h);
    cr_assert_str_eq(rule_of(p1), "one");
    cr_assert_eq(si_policy_holder_reload_if_changed(h, err, sizeof(err)), 0);

    /* broken file: old policy stays, error with file:line, reported once */
    write_file(path, "<policy xmlns=\"urn:squid-inspect:policy:1\">\n<objects>\n</policy>\n");
    cr_assert_eq(si_policy_holder_reload_if_changed(h, err, sizeof(err)), -1);
    cr_assert(strstr(err, "policy.xml:3:"), "%s", err);
    cr_assert_eq(si_policy_holder_reload_if_changed(h, err, sizeof(err)), 0);
    struct si_policy *p2 = si_policy_holder_get(h);
    cr_assert_eq(p2, p1);
    si_policy_unref(p2);

    /* fixed file: swapped; the old reference is still usable until released */
    write_file(path, GOOD("two") "<!-- longer so the size changes -->\n");
    cr_assert_eq(si_policy_holder_reload_if_changed(h, err, sizeof(err)), 1, "%s", err);
    struct si_policy *p3 = si_policy_holder_get(h);
    cr_assert_str_eq(rule_of(p3), "two");
    cr_assert_str_eq(rule_of(p1), "one");
    cr_assert_eq(si_policy_holder_generation(h), 2);
    si_policy_unref(p1);
    si_policy_unref(p3);

    /* file removed: keep the policy */
    unlink(path);
    cr_assert_eq(si_policy_holder_reload_if_changed(h, err, sizeof(err)), 0);
    cr_assert_eq(si_policy_holder_load(h, err, sizeof(err)), -1);
    cr_assert(strstr(err, "cannot open"), "%s", err);
    struct si_policy *p4 = si_policy_holder_get(h);
    cr_assert_str_eq(rule_of(p4), "two");
    si_policy_unref(p4);
    si_policy_holder_free(h);
    rmdir(dir);
}

static size_t gzip_bytes(const char *text, int wbits, unsigned char *out, size_t cap)
{
    z_stream z = {0};
    cr_assert_eq(deflateInit2(&z, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (unsigned char *)text;
    z.avail_in = (uInt)strlen(text);
    z.next_out = out;
    z.avail_out = (uInt)cap;
    cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t n = cap - z.avail_out;
    deflateEnd(&z);
    return n;
}

Test(decode, gzip_deflate_raw_and_bomb)
{
    unsigned char buf[4096], *out;
    size_t n, outlen;
    const char *text = "hello hello hello hello hello 4111111111111111";

    cr_assert_eq(si_encoding_parse("gzip"), SI_ENC_GZIP);
    cr_assert_eq(si_encoding_parse(" Deflate"), SI_ENC_DEFLATE);
    cr_assert_eq(si_encoding_parse(NULL), SI_ENC_IDENTITY);
    cr_assert_eq(si_encoding_parse("br"), SI_ENC_UNSUPPORTED);
    for (int wbits = -15; wbits <= 31; wbits += 23) { /* -15 raw, 8?, 31 gzip */
        if (wbits == 8)
            wbits = 15;
        n = gzip_bytes(text, wbits, buf, sizeof(buf));
        enum si_encoding enc = wbits == 31 ? SI_ENC_GZIP : SI_ENC_DEFLATE;
        cr_assert_eq(si_decode(enc, buf, n, 1 << 20, &out, &outlen), SI_DECODE_OK, "wbits %d", wbits);
        cr_assert_eq(outlen, strlen(text));
        cr_assert(memcmp(out, text, outlen) == 0);
        free(out);
    }
    n = gzip_bytes(text, 31, buf, sizeof(buf));
    cr_assert_eq(si_decode(SI_ENC_GZIP, buf, n, 10, &out, &outlen), SI_DECODE_TOO_LARGE);
    cr_assert_eq(si_decode(SI_ENC_GZIP, buf, n / 2, 1 << 20, &out, &outlen), SI_DECODE_ERROR);
    cr_assert_eq(si_decode(SI_ENC_GZIP, (const unsigned char *)"junk", 4, 100, &out, &outlen),
                 SI_DECODE_ERROR);
}

Test(httpreq, absolute_origin_connect)
{
    struct si_req_parts p;

    cr_assert_eq(si_req_parse("GET https://user:pw@Www.Example.com:8443/a/b?x=1#f HTTP/1.1", NULL,
                              &p), 0);
    cr_assert_str_eq(p.method, "GET");
    cr_assert_str_eq(p.host, "www.example.com");
    cr_assert_eq(p.port, 8443);
    cr_assert_str_eq(p.scheme, "https");
    cr_assert_str_eq(p.path, "/a/b");
    cr_assert_str_eq(p.query, "x=1");
    si_req_parts_clear(&p);
    cr_assert_eq(si_req_parse("POST /upload HTTP/1.1", "h.example:80", &p), 0);
    cr_assert_str_eq(p.host, "h.example");
    cr_assert_str_eq(p.path, "/upload");
    cr_assert_null(p.query);
    si_req_parts_clear(&p);
    cr_assert_eq(si_req_parse("GET http://[fd00::1]:8080?q HTTP/1.1", NULL, &p), 0);
    cr_assert_str_eq(p.host, "fd00::1");
    cr_assert_eq(p.port, 8080);
    cr_assert_str_eq(p.path, "/");
    cr_assert_str_eq(p.query, "q");
    si_req_parts_clear(&p);
    cr_assert_eq(si_req_parse("CONNECT example.com:443 HTTP/1.1", NULL, &p), 0);
    cr_assert_str_eq(p.host, "example.com");
    cr_assert_eq(p.port, 443);
    si_req_parts_clear(&p);
    cr_assert_eq(si_req_parse("GARBAGE", NULL, &p), -1);
    cr_assert_eq(si_req_parse(NULL, NULL, &p), -1);
    cr_assert_eq(si_status_parse("HTTP/1.1 404 Not Found"), 404);
    cr_assert_eq(si_status_parse("HTTP/1.1 20 x"), 0);
    cr_assert_eq(si_status_parse(NULL), 0);
}

/* Readers take and drop references while the policy is swapped 200 times: no reader ever sees
 * a freed policy (run under --enable-sanitizers to catch a use after free). */
static atomic_int stop_readers;

static void *reader(void *arg)
{
    struct si_policy_holder *h = arg;
    long n = 0;

    while (!atomic_load(&stop_readers)) {
        struct si_policy *p = si_policy_holder_get(h);
        if (p) {
            const char *id = rule_of(p);
            if (strcmp(id, "one") != 0 && strcmp(id, "two") != 0)
                return (void *)-1;
            si_policy_unref(p);
            n++;
        }
    }
    return (void *)n;
}

Test(holder, concurrent_readers_during_swaps)
{
    char err[1024];
    const char *docs[2] = {GOOD("one"), GOOD("two")};
    struct si_policy_holder *h = si_policy_holder_new("");
    pthread_t th[4];

    si_policy_holder_install(h, si_policy_load_mem(docs[0], strlen(docs[0]), "a", NULL, err,
                                                   sizeof(err)));
    for (int i = 0; i < 4; i++)
        cr_assert_eq(pthread_create(&th[i], NULL, reader, h), 0);
    for (int i = 0; i < 200; i++) {
        const char *d = docs[i % 2];
        struct si_policy *p = si_policy_load_mem(d, strlen(d), "x", NULL, err, sizeof(err));
        cr_assert_not_null(p, "%s", err);
        si_policy_holder_install(h, p);
    }
    atomic_store(&stop_readers, 1);
    for (int i = 0; i < 4; i++) {
        void *rv;
        pthread_join(th[i], &rv);
        cr_assert_neq((long)rv, -1L, "a reader saw a policy that is neither 'one' nor 'two'");
    }
    cr_assert_eq(si_policy_holder_generation(h), 201);
    si_policy_holder_free(h);
}
