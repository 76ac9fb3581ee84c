/*
 * Unit tests for inspect-ocsp's offline parts: OCSP response and CRL judging (ocsp_verify), the
 * caches and backoff (cache, chain_cache), and where the revocation settings come from (the
 * built-in policy the options make, the policy file through lib/policy_holder, reload).
 * Responses and CRLs are made at test time by tests/unit/ocsp_fixtures.sh with `openssl ocsp -respout` and `openssl ca -gencrl`.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "cache.h"
#include "chain_cache.h"
#include "fetch.h"
#include "cli_policy.h"
#include "ocsp_verify.h"
#include "policy_holder.h"
#include "settings.h"

#define FIX "tests/unit/_ocsp_fix"

static const struct oc_rev_limits LIM = {
    .skew_s = 300, .no_next_max_age_s = 4 * 86400, .no_next_ttl_s = 600, .cache_max_s = 86400};

/* Makes the fixtures once per 10 minutes; tests of one binary may run in parallel. */
static void fixtures(void)
{
    struct stat st;
    int fd = open(FIX ".lock", O_CREAT | O_RDWR, 0600);

    cr_assert_geq(fd, 0);
    cr_assert_eq(flock(fd, LOCK_EX), 0);
    if (stat(FIX "/done", &st) != 0 || st.st_mtime < time(NULL) - 600)
        cr_assert_eq(system("sh " OCSP_FIXTURE_SCRIPT " " FIX " >/dev/null"), 0,
                     "fixture script failed");
    close(fd);
}

TestSuite(ocsp_verify, .init = fixtures);

static X509 *cert(const char *name)
{
    char path[256];
    FILE *f;
    X509 *x;

    snprintf(path, sizeof(path), FIX "/%s", name);
    cr_assert_not_null(f = fopen(path, "r"), "%s", path);
    x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    cr_assert_not_null(x, "%s", path);
    return x;
}

static void *der(const char *name, const ASN1_ITEM *it)
{
    char path[256];
    BIO *b;
    void *v;

    snprintf(path, sizeof(path), FIX "/%s", name);
    cr_assert_not_null(b = BIO_new_file(path, "rb"), "%s", path);
    v = ASN1_item_d2i_bio(it, b, NULL);
    BIO_free(b);
    return v;
}

struct world {
    X509 *root, *intca, *leaf;
    X509_STORE *store;
    STACK_OF(X509) *above; /* int only: the leaf's issuer chain minus the anchor */
    OCSP_CERTID *id;
};

static void world_open(struct world *w, const char *leaf)
{
    w->root = cert("root/ca.crt");
    w->intca = cert("int/ca.crt");
    w->leaf = cert(leaf);
    w->store = X509_STORE_new();
    cr_assert(X509_STORE_add_cert(w->store, w->root));
    w->above = sk_X509_new_null();
    sk_X509_push(w->above, w->intca);
    w->id = OCSP_cert_to_id(NULL, w->leaf, w->intca);
}

static void world_close(struct world *w)
{
    OCSP_CERTID_free(w->id);
    sk_X509_free(w->above);
    X509_STORE_free(w->store);
    X509_free(w->leaf);
    X509_free(w->intca);
    X509_free(w->root);
}

/* Judges response file resp for leaf at now + offset seconds. */
static struct oc_rev_answer judge(const char *leaf, const char *resp, const char *req, long offset)
{
    struct world w;
    struct oc_rev_answer a;
    OCSP_RESPONSE *r = der(resp, ASN1_ITEM_rptr(OCSP_RESPONSE));
    OCSP_REQUEST *q = req ? der(req, ASN1_ITEM_rptr(OCSP_REQUEST)) : NULL;

    world_open(&w, leaf);
    oc_rev_eval_ocsp(r, w.id, q, w.above, w.store, time(NULL) + offset, &LIM, &a);
    OCSP_REQUEST_free(q);
    OCSP_RESPONSE_free(r);
    world_close(&w);
    return a;
}

Test(ocsp_verify, good)
{
    struct oc_rev_answer a = judge("int/good.crt", "resp_good.der", NULL, 0);

    cr_assert_eq(a.status, REV_GOOD, "%s", a.why);
    cr_assert_gt(a.next_update, a.this_update);
    cr_assert_eq(a.cache_until, a.next_update);
}

Test(ocsp_verify, revoked_with_reason)
{
    struct oc_rev_answer a = judge("int/revoked.crt", "resp_revoked.der", NULL, 0);

    cr_assert_eq(a.status, REV_REVOKED, "%s", a.why);
    cr_assert_eq(a.reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
    cr_assert(strstr(a.why, "keyCompromise"), "%s", a.why);
    cr_assert_gt(a.revoked_at, 0);
}

Test(ocsp_verify, unknown)
{
    struct oc_rev_answer a = judge("int/unknown.crt", "resp_unknown.der", NULL, 0);

    cr_assert_eq(a.status, REV_UNKNOWN, "%s", a.why);
}

Test(ocsp_verify, wrong_signer_is_invalid)
{
    struct oc_rev_answer a = judge("int/good.crt", "resp_wrong_signer.der", NULL, 0);

    cr_assert_eq(a.status, REV_INVALID, "%s", a.why);
}

Test(ocsp_verify, signer_without_ocsp_signing_eku_is_invalid)
{
    struct oc_rev_answer a = judge("int/good.crt", "resp_no_eku.der", NULL, 0);

    cr_assert_eq(a.status, REV_INVALID, "%s", a.why);
}

Test(ocsp_verify, stale_after_next_update)
{
    struct oc_rev_answer a = judge("int/good.crt", "resp_good.der", NULL, 0);
    long to_next = (long)(a.next_update - time(NULL));

    cr_assert_eq(a.status, REV_GOOD, "%s", a.why);
    /* within the 300 s skew after nextUpdate it is still accepted, beyond it it is stale */
    a = judge("int/good.crt", "resp_good.der", NULL, to_next + 200);
    cr_assert_eq(a.status, REV_GOOD, "%s", a.why);
    a = judge("int/good.crt", "resp_good.der", NULL, to_next + 400);
    cr_assert_eq(a.status, REV_STALE, "%s", a.why);
    cr_assert(strstr(a.why, "expired"), "%s", a.why);
}

Test(ocsp_verify, this_update_in_the_future_is_stale)
{
    struct oc_rev_answer a = judge("int/good.crt", "resp_good.der", NULL, -3600);

    cr_assert_eq(a.status, REV_STALE, "%s", a.why);
}

Test(ocsp_verify, missing_next_update)
{
    struct oc_rev_answer a = judge("int/good.crt", "resp_by_ca_no_next.der", NULL, 0);

    cr_assert_eq(a.status, REV_GOOD, "%s", a.why);
    cr_assert_eq(a.next_update, 0);
    cr_assert_leq(a.cache_until, time(NULL) + 600);
    cr_assert_gt(a.cache_until, time(NULL));
    a = judge("int/good.crt", "resp_by_ca_no_next.der", NULL, 5 * 86400);
    cr_assert_eq(a.status, REV_STALE, "%s", a.why);
}

Test(ocsp_verify, nonce_mismatch_is_invalid)
{
    struct oc_rev_answer a = judge("int/good.crt", "resp_nonce_b.der", "req_nonce_a.der", 0);

    cr_assert_eq(a.status, REV_INVALID, "%s", a.why);
    cr_assert(strstr(a.why, "nonce"), "%s", a.why);
    a = judge("int/good.crt", "resp_nonce_b.der", "req_nonce_b.der", 0);
    cr_assert_eq(a.status, REV_GOOD, "%s", a.why);
}

Test(ocsp_verify, garbage_and_truncated_do_not_decode)
{
    OCSP_RESPONSE *g = der("resp_garbage.der", ASN1_ITEM_rptr(OCSP_RESPONSE));
    OCSP_RESPONSE *t = der("resp_truncated.der", ASN1_ITEM_rptr(OCSP_RESPONSE));
    struct oc_rev_answer a = judge("int/good.crt", "resp_truncated.der", NULL, 0);

    cr_assert_null(g);
    cr_assert_null(t);
    cr_assert_eq(a.status, REV_INVALID, "%s", a.why);
}

Test(ocsp_verify, response_for_another_certificate_is_invalid)
{
    struct oc_rev_answer a = judge("int/revoked.crt", "resp_good.der", NULL, 0);

    cr_assert_eq(a.status, REV_INVALID, "%s", a.why);
    cr_assert(strstr(a.why, "does not cover"), "%s", a.why);
}

static struct oc_rev_answer crl_judge(const char *leaf, const char *crlfile, long offset)
{
    struct world w;
    struct oc_rev_answer a;
    X509_CRL *crl = der(crlfile, ASN1_ITEM_rptr(X509_CRL));

    cr_assert_not_null(crl);
    world_open(&w, leaf);
    oc_rev_eval_crl(crl, w.leaf, w.above, w.store, time(NULL) + offset, &LIM, &a);
    X509_CRL_free(crl);
    world_close(&w);
    return a;
}

Test(ocsp_verify, crl_good_and_revoked)
{
    struct oc_rev_answer a = crl_judge("int/good.crt", "int.crl", 0);

    cr_assert_eq(a.status, REV_GOOD, "%s", a.why);
    cr_assert_gt(a.next_update, time(NULL));
    a = crl_judge("int/revoked.crt", "int.crl", 0);
    cr_assert_eq(a.status, REV_REVOKED, "%s", a.why);
    cr_assert_eq(a.reason, 1 /* keyCompromise */);
}

Test(ocsp_verify, crl_expired_is_stale)
{
    struct oc_rev_answer a = crl_judge("int/revoked.crt", "int_expired.crl", 0);

    cr_assert_eq(a.status, REV_STALE, "%s", a.why);
    a = crl_judge("int/good.crt", "int.crl", 8 * 86400);
    cr_assert_eq(a.status, REV_STALE, "%s", a.why);
}

Test(ocsp_verify, crl_from_wrong_issuer_is_invalid)
{
    struct oc_rev_answer a = crl_judge("int/revoked.crt", "imp.crl", 0);

    cr_assert_eq(a.status, REV_INVALID, "%s", a.why);
}

Test(ocsp_verify, pointers_and_must_staple)
{
    X509 *good = cert("int/good.crt"), *staple = cert("int/staple.crt");
    char *u = oc_rev_ocsp_url(good), *c = oc_rev_crl_url(good);

    cr_assert_str_eq(u, "http://127.0.0.1:9/ocsp");
    cr_assert_str_eq(c, "http://127.0.0.1:9/int.crl");
    cr_assert_null(oc_rev_ocsp_url(staple));
    cr_assert_null(oc_rev_crl_url(staple));
    cr_assert(oc_rev_must_staple(staple));
    cr_assert_not(oc_rev_must_staple(good));
    free(u);
    free(c);
    X509_free(good);
    X509_free(staple);
}

Test(rev_cache, answers_expire_and_backoff_doubles)
{
    struct oc_rev_cache *c = oc_rev_cache_new(4);
    struct oc_rev_answer a = {.status = REV_GOOD, .cache_until = time(NULL) + 100}, out;
    time_t now = time(NULL), until = 0;

    oc_rev_cache_answer_put(c, (const unsigned char *)"k1", 2, &a);
    cr_assert(oc_rev_cache_answer_get(c, (const unsigned char *)"k1", 2, now, &out));
    cr_assert_eq(out.status, REV_GOOD);
    cr_assert_not(oc_rev_cache_answer_get(c, (const unsigned char *)"k1", 2, now + 101, &out));
    cr_assert_not(oc_rev_cache_answer_get(c, (const unsigned char *)"k2", 2, now, &out));
    for (int i = 0; i < 10; i++) { /* bounded: the table never exceeds its size */
        unsigned char k[2] = {'x', (unsigned char)i};

        oc_rev_cache_answer_put(c, k, 2, &a);
    }
    cr_assert_leq(oc_rev_cache_count(c), 4);
    cr_assert_not(oc_rev_cache_down(c, "h:80", now, NULL));
    oc_rev_cache_note(c, "h:80", false, now);
    cr_assert(oc_rev_cache_down(c, "h:80", now, &until));
    cr_assert_eq(until, now + 60);
    oc_rev_cache_note(c, "h:80", false, now + 61);
    cr_assert(oc_rev_cache_down(c, "h:80", now + 61, &until));
    cr_assert_eq(until, now + 61 + 120);
    oc_rev_cache_note(c, "h:80", true, now + 62);
    cr_assert_not(oc_rev_cache_down(c, "h:80", now + 62, NULL));
    oc_rev_cache_note(c, "h:80", false, now + 70); /* a success reset the count */
    cr_assert(oc_rev_cache_down(c, "h:80", now + 70, &until));
    cr_assert_eq(until, now + 70 + 60);
    oc_rev_cache_free(c);
}

/* The built-in policy the revocation options make: the file's semantics (first match). */
static struct si_policy *cli_policy(const char *const *opts)
{
    struct oc_cli_policy c = {0};
    struct si_policy *p;
    char err[512];

    for (size_t i = 0; opts[i]; i += 2)
        cr_assert_eq(oc_cli_policy_set(&c, opts[i][0], opts[i + 1], err, sizeof(err)), 0,
                     "%s", err);
    p = oc_cli_policy_build(&c, err, sizeof(err));
    cr_assert_not_null(p, "%s", err);
    oc_cli_policy_clear(&c);
    return p;
}

static enum si_revocation mode_for(const struct si_policy *p, const char *host)
{
    struct si_validation_settings vs;

    si_policy_validation_for(p, host, &vs);
    return vs.revocation;
}

Test(settings, command_line_policy_first_match_and_durations)
{
    static const char *const opts[] = {"o", ".bank.example=hard", "o", "open.bank.example=off",
                                       "o", "x&<y>\"'.example=off", "t", "1500ms", "c", "always",
                                       NULL};
    struct oc_cli_policy c = {0};
    struct si_policy *p = cli_policy(opts), *d;
    struct si_validation_settings vs;
    char err[256];

    cr_assert_str_eq(si_policy_source(p), OCSP_CLI_POLICY_NAME);
    cr_assert_eq(mode_for(p, "bank.example"), SI_REVOCATION_HARD);
    cr_assert_eq(mode_for(p, "WWW.Bank.Example"), SI_REVOCATION_HARD);
    cr_assert_eq(mode_for(p, "open.bank.example"), SI_REVOCATION_HARD,
                 "the first match wins, as in a policy file (not the longest)");
    cr_assert_eq(mode_for(p, "x&<y>\"'.example"), SI_REVOCATION_OFF, "name escaped into XML");
    cr_assert_eq(mode_for(p, "notbank.example"), SI_REVOCATION_SOFT);
    cr_assert_eq(mode_for(p, NULL), SI_REVOCATION_SOFT);
    si_policy_validation_for(p, "www.bank.example", &vs);
    cr_assert_eq(vs.ocsp_timeout_ms, 1500);
    cr_assert_eq(vs.crl, SI_CRL_ALWAYS);
    cr_assert(strstr(vs.source, "override line 3 (.bank.example)"), "%s", vs.source);
    si_policy_unref(p);
    d = cli_policy((const char *const[]){NULL});
    si_policy_validation_for(d, "a.test", &vs);
    cr_assert_eq(vs.revocation, SI_REVOCATION_SOFT);
    cr_assert_eq(vs.ocsp_timeout_ms, 3000);
    cr_assert_eq(vs.crl, SI_CRL_FALLBACK);
    si_policy_unref(d);
    cr_assert_eq(oc_cli_policy_set(&c, 'o', "x=maybe", err, sizeof(err)), -1);
    cr_assert_eq(oc_cli_policy_set(&c, 'o', "=hard", err, sizeof(err)), -1);
    cr_assert_eq(oc_cli_policy_set(&c, 'o', "a b=hard", err, sizeof(err)), -1);
    cr_assert_eq(oc_cli_policy_set(&c, 'r', "strict", err, sizeof(err)), -1);
    cr_assert_eq(oc_cli_policy_set(&c, 'c', "sometimes", err, sizeof(err)), -1);
    cr_assert_eq(oc_cli_policy_set(&c, 't', "3 hours", err, sizeof(err)), -1);
    cr_assert_not(oc_cli_policy_given(&c));
    cr_assert_eq(oc_duration_ms("3s"), 3000);
    cr_assert_eq(oc_duration_ms("1500ms"), 1500);
    cr_assert_eq(oc_duration_ms("2"), 2000);
    cr_assert_eq(oc_duration_ms("0"), -1);
    cr_assert_eq(oc_duration_ms("3 hours"), -1);
    /* the grammar of lib/units.h: whole numbers only, at most 10 minutes */
    cr_assert_eq(oc_duration_ms("10m"), 600000);
    cr_assert_eq(oc_duration_ms("601s"), -1);
    cr_assert_eq(oc_duration_ms("1.5s"), -1);
    cr_assert_eq(oc_duration_ms("-3s"), -1);
    cr_assert_eq(oc_duration_ms(" 3s"), -1);
}

static void write_policy(const char *path, const char *mode)
{
    FILE *f = fopen(path, "w");

    cr_assert_not_null(f);
    fprintf(f, "<?xml version=\"1.0\"?>\n<policy xmlns=\"urn:squid-inspect:policy:1\">\n"
               "  <certificate-validation revocation=\"%s\" ocsp-timeout=\"1500ms\" crl=\"always\">\n"
               "    <override server-name=\".bank.test\" revocation=\"hard\"/>\n"
               "  </certificate-validation>\n</policy>\n", mode);
    fclose(f);
}

static enum si_revocation holder_mode_for(struct si_policy_holder *h, const char *host)
{
    struct si_policy *p = si_policy_holder_get(h);
    enum si_revocation r;

    cr_assert_not_null(p);
    r = mode_for(p, host);
    si_policy_unref(p);
    return r;
}

/* inspect-ocsp's holder as main.c sets it up: the file, the command-line policy as built-in. */
static struct si_policy_holder *ocsp_holder(const char *path, const char *const *opts)
{
    struct si_policy_holder *h = si_policy_holder_new(path);

    cr_assert_not_null(h);
    si_policy_holder_configure(h, "inspect-ocsp", NULL, NULL);
    si_policy_holder_set_builtin(h, cli_policy(opts));
    return h;
}

Test(settings, policy_file_overrides_and_reload)
{
    char path[] = "/tmp/si-ocsp-policy-XXXXXX";
    struct si_policy_holder *h;
    struct si_validation_settings vs;
    struct si_policy *p;
    int fd = mkstemp(path);

    cr_assert_geq(fd, 0);
    close(fd);
    write_policy(path, "off");
    h = ocsp_holder(path, (const char *const[]){"r", "hard", NULL});
    cr_assert_eq(si_policy_holder_poll(h, 0), 1);
    p = si_policy_holder_get(h);
    cr_assert_str_eq(si_policy_source(p), path);
    si_policy_validation_for(p, "www.bank.test", &vs);
    cr_assert_eq(vs.revocation, SI_REVOCATION_HARD);
    cr_assert_eq(vs.ocsp_timeout_ms, 1500);
    cr_assert_eq(vs.crl, SI_CRL_ALWAYS);
    cr_assert(strstr(vs.source, "override"), "%s", vs.source);
    si_policy_unref(p);
    cr_assert_eq(holder_mode_for(h, "shop.test"), SI_REVOCATION_OFF, "the file, not the options");
    /* a change is picked up */
    sleep(1);
    write_policy(path, "soft");
    cr_assert_eq(si_policy_holder_poll(h, 0), 1);
    cr_assert_eq(holder_mode_for(h, "shop.test"), SI_REVOCATION_SOFT);
    /* a broken file keeps the previous policy */
    sleep(1);
    fd = open(path, O_WRONLY | O_APPEND);
    cr_assert_eq(write(fd, "<broken", 7), 7);
    close(fd);
    cr_assert_eq(si_policy_holder_poll(h, 0), -1);
    cr_assert_eq(si_policy_holder_poll(h, 0), 0, "reported once");
    cr_assert_eq(holder_mode_for(h, "shop.test"), SI_REVOCATION_SOFT);
    si_policy_holder_free(h);
    unlink(path);
}

Test(settings, broken_policy_at_start_falls_back_to_the_command_line_policy)
{
    char path[] = "/tmp/si-ocsp-policy-XXXXXX", err[256];
    struct si_policy_holder *h;
    struct si_policy *p;
    int fd = mkstemp(path);

    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, "<policy", 7), 7);
    close(fd);
    h = ocsp_holder(path, (const char *const[]){"r", "hard", NULL});
    cr_assert_eq(si_policy_holder_poll(h, 0), -1, "the helper must keep running on a broken policy");
    p = si_policy_holder_get(h);
    cr_assert_not_null(p);
    cr_assert_str_eq(si_policy_source(p), OCSP_CLI_POLICY_NAME);
    si_policy_unref(p);
    si_policy_holder_last_error(h, err, sizeof(err));
    cr_assert(strstr(err, path), "%s", err);
    cr_assert_eq(holder_mode_for(h, "a.test"), SI_REVOCATION_HARD);
    cr_assert_eq(si_policy_holder_poll(h, 0), 0, "unchanged: still the options");
    sleep(1);
    write_policy(path, "off"); /* fixed: the next validation uses it */
    cr_assert_eq(si_policy_holder_poll(h, 0), 1);
    cr_assert_eq(holder_mode_for(h, "a.test"), SI_REVOCATION_OFF);
    si_policy_holder_free(h);
    unlink(path);
}

Test(settings, no_policy_file_enforces_the_command_line_policy)
{
    struct si_policy_holder *h = ocsp_holder("", (const char *const[]){"r", "off", NULL});

    cr_assert_eq(si_policy_holder_poll(h, 0), 1);
    cr_assert_eq(holder_mode_for(h, "a.test"), SI_REVOCATION_OFF);
    cr_assert_eq(si_policy_holder_poll(h, 0), 0);
    si_policy_holder_free(h);
}

Test(chain_cache, parsed_only_entry_is_upgraded_by_a_verified_chain, .init = fixtures)
{
    struct oc_chain_cache *c = oc_chain_cache_new(8, 300);
    struct si_crtvd_request req = {.ncerts = 1};
    struct oc_chain_hit hit = {0}, got;
    unsigned char key[32];
    X509 *leaf = cert("int/good.crt");
    X509_STORE *store = X509_STORE_new();

    req.certs[0] = "-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----";
    oc_chain_cache_key(c, &req, key);
    cr_assert_eq(oc_chain_cache_get(c, key, time(NULL), &got), 0);
    hit.certs[0] = leaf;
    hit.ncerts = 1;
    oc_chain_cache_put(c, key, &hit, time(NULL)); /* parsed only */
    cr_assert_eq(oc_chain_cache_get(c, key, time(NULL), &got), 1);
    cr_assert_null(got.chain);
    cr_assert_eq(got.certs[0], leaf);
    oc_chain_hit_clear(&got);
    hit.chain = sk_X509_new_null();
    sk_X509_push(hit.chain, leaf);
    hit.store = store;
    oc_chain_cache_put(c, key, &hit, time(NULL)); /* verified: replaces it */
    cr_assert_eq(oc_chain_cache_get(c, key, time(NULL), &got), 1);
    cr_assert_not_null(got.chain);
    cr_assert_eq(got.store, store);
    oc_chain_hit_clear(&got);
    cr_assert_eq(oc_chain_cache_get(c, key, time(NULL) + 301, &got), 0, "expired after the TTL");
    oc_chain_cache_put(c, key, &hit, time(NULL) + 301); /* the expired entry does not block it */
    cr_assert_eq(oc_chain_cache_get(c, key, time(NULL) + 302, &got), 1, "stored again");
    oc_chain_hit_clear(&got);
    req.nerrors = 1; /* Squid reported errors: another key */
    {
        unsigned char key2[32];

        oc_chain_cache_key(c, &req, key2);
        cr_assert_neq(memcmp(key, key2, 32), 0);
    }
    sk_X509_free(hit.chain);
    X509_STORE_free(store);
    X509_free(leaf);
    oc_chain_cache_free(c);
}

Test(fetch, url_host_and_port)
{
    char hp[128];

    cr_assert_eq(oc_fetch_url_hostport("http://ocsp.example.com/", hp, sizeof(hp)), 0);
    cr_assert_str_eq(hp, "ocsp.example.com:80");
    cr_assert_eq(oc_fetch_url_hostport("http://127.0.0.1:8888/ocsp?x=1", hp, sizeof(hp)), 0);
    cr_assert_str_eq(hp, "127.0.0.1:8888");
    cr_assert_eq(oc_fetch_url_hostport("http://[::1]:8080/", hp, sizeof(hp)), 0);
    cr_assert_str_eq(hp, "::1:8080");
    cr_assert_eq(oc_fetch_url_hostport("https://ocsp.example.com/", hp, sizeof(hp)), -1);
    cr_assert_eq(oc_fetch_url_hostport("ldap://x/", hp, sizeof(hp)), -1);
    cr_assert_eq(oc_fetch_url_hostport("http://[::1/", hp, sizeof(hp)), -1);
}

Test(fetch, bad_url_is_refused_without_io)
{
    ASN1_VALUE *v = (ASN1_VALUE *)1;
    char err[128];

    cr_assert_eq(oc_fetch_asn1("https://x/", NULL, NULL, NULL, NULL, ASN1_ITEM_rptr(X509_CRL), 1024,
                            oc_fetch_now_ms() + 1000, &v, err, sizeof(err)),
                 FETCH_BADURL);
    cr_assert_null(v);
    cr_assert(strstr(err, "http://"), "%s", err);
}
