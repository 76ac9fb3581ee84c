/*
 * Unit tests for inspect-certgen's leaf keys, LMDB cache and request service, and for the helper
 * binary itself over pipes (framing traps, bad input, unwritable directory).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "cache.h"
#include "certgen_fixture.h"
#include "leafkeys.h"
#include "service.h"

static char dir[64];

static void mkdtemp_dir(void)
{
    strcpy(dir, "/tmp/certgen-test-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void rm_dir(void)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        cr_log_warn("could not remove %s", dir);
}

TestSuite(keys, .init = mkdtemp_dir, .fini = rm_dir, .timeout = 60);
TestSuite(cache, .init = mkdtemp_dir, .fini = rm_dir, .timeout = 60);
TestSuite(service, .init = mkdtemp_dir, .fini = rm_dir, .timeout = 60);
TestSuite(helper, .init = mkdtemp_dir, .fini = rm_dir, .timeout = 60);

static mode_t file_mode(const char *name)
{
    char path[128];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    cr_assert_eq(stat(path, &st), 0, "%s missing", path);
    return st.st_mode & 0777;
}

Test(keys, created_0600_reloaded_rotated)
{
    struct cg_keys a, b;
    char err[256] = "";
    unsigned char old_rsa[CG_KEY_ID_LEN], old_ec[CG_KEY_ID_LEN];

    cr_assert_eq(cg_keys_load(&a, dir, err, sizeof(err)), 0, "%s", err);
    cr_expect_eq(file_mode("leaf-rsa.pem"), 0600);
    cr_expect_eq(file_mode("leaf-ec.pem"), 0600);
    cr_expect_eq(EVP_PKEY_get_base_id(cg_keys_get(&a, CG_KEY_RSA)->key), EVP_PKEY_RSA);
    cr_expect_eq(EVP_PKEY_get_bits(cg_keys_get(&a, CG_KEY_RSA)->key), 2048);
    cr_expect_eq(EVP_PKEY_get_base_id(cg_keys_get(&a, CG_KEY_EC)->key), EVP_PKEY_EC);
    cr_assert_eq(cg_keys_load(&b, dir, err, sizeof(err)), 0, "%s", err);
    cr_expect_eq(memcmp(a.leaf[0].id, b.leaf[0].id, CG_KEY_ID_LEN), 0, "second start reuses");
    cr_expect_eq(memcmp(a.leaf[1].id, b.leaf[1].id, CG_KEY_ID_LEN), 0);
    memcpy(old_rsa, a.leaf[0].id, CG_KEY_ID_LEN);
    memcpy(old_ec, a.leaf[1].id, CG_KEY_ID_LEN);
    cr_assert_eq(cg_keys_rotate(dir, err, sizeof(err)), 0, "%s", err);
    cr_expect_eq(file_mode("leaf-ec.pem"), 0600);
    cr_expect_eq(cg_keys_refresh(&a, 0), 1, "a running helper sees the rotation");
    cr_expect_neq(memcmp(a.leaf[0].id, old_rsa, CG_KEY_ID_LEN), 0);
    cr_expect_neq(memcmp(a.leaf[1].id, old_ec, CG_KEY_ID_LEN), 0);
    cr_expect_eq(cg_keys_refresh(&a, 0), 0, "throttled to once a second");
    cg_keys_free(&a);
    cg_keys_free(&b);
}

static void fill_key(unsigned char key[CG_CACHE_KEY_LEN], unsigned i)
{
    memset(key, 0, CG_CACHE_KEY_LEN);
    memcpy(key, &i, sizeof(i));
}

Test(cache, put_get_replace_reopen)
{
    struct cg_cache *c = cg_cache_open(dir, 4 << 20, NULL, 0);
    unsigned char key[CG_CACHE_KEY_LEN];
    struct cg_cache_meta m = {12345, 1}, got;
    char buf[64];

    cr_assert_not_null(c);
    cr_expect_eq(file_mode(CG_CACHE_FILE), 0600);
    fill_key(key, 1);
    cr_expect_eq(cg_cache_get(c, key, &got, buf, sizeof(buf), NULL, 0), 0, "empty cache");
    cr_assert_eq(cg_cache_put(c, key, &m, "hello", 5, NULL, 0), 0);
    cr_assert_eq(cg_cache_get(c, key, &got, buf, sizeof(buf), NULL, 0), 5);
    cr_expect_eq(memcmp(buf, "hello", 5), 0);
    cr_expect_eq(got.not_after, 12345);
    cr_expect_eq(got.flags, 1u);
    cr_assert_eq(cg_cache_put(c, key, &m, "world!", 6, NULL, 0), 0);
    cr_expect_eq(cg_cache_get(c, key, &got, buf, sizeof(buf), NULL, 0), 6);
    cr_expect_eq(cg_cache_count(c), 1);
    cr_expect_eq(cg_cache_get(c, key, &got, buf, 3, NULL, 0), 0, "too big for the buffer");
    cg_cache_close(c);
    c = cg_cache_open(dir, 4 << 20, NULL, 0);
    cr_expect_eq(cg_cache_get(c, key, &got, buf, sizeof(buf), NULL, 0), 6, "persistent");
    cg_cache_close(c);
}

Test(cache, bounded_by_map_size_with_eviction_of_oldest)
{
    struct cg_cache *c = cg_cache_open(dir, 1 << 20, NULL, 0);
    unsigned char key[CG_CACHE_KEY_LEN];
    struct cg_cache_meta m = {0, 0}, got;
    char val[1500], buf[2048];
    char path[128];
    struct stat st;

    cr_assert_not_null(c);
    memset(val, 'x', sizeof(val));
    for (unsigned i = 0; i < 3000; i++) {
        fill_key(key, i);
        cr_assert_eq(cg_cache_put(c, key, &m, val, sizeof(val), NULL, 0), 0, "put %u", i);
    }
    cr_expect_lt(cg_cache_count(c), 700, "1 MB cannot hold 3000 x 1.5 KB");
    cr_expect_gt(cg_cache_count(c), 100, "but holds a useful share");
    fill_key(key, 2999);
    cr_expect_gt(cg_cache_get(c, key, &got, buf, sizeof(buf), NULL, 0), 0, "newest kept");
    fill_key(key, 0);
    cr_expect_eq(cg_cache_get(c, key, &got, buf, sizeof(buf), NULL, 0), 0, "oldest evicted");
    snprintf(path, sizeof(path), "%s/%s", dir, CG_CACHE_FILE);
    cr_assert_eq(stat(path, &st), 0);
    cr_expect_leq(st.st_size, 1 << 20, "file within -M");
    cg_cache_close(c);
}

Test(cache, entries_in_use_survive_eviction)
{
    struct cg_cache *c = cg_cache_open(dir, 1 << 20, NULL, 0);
    unsigned char key[CG_CACHE_KEY_LEN], hot[CG_CACHE_KEY_LEN];
    struct cg_cache_meta m = {0, 0}, got;
    char val[1500], buf[2048];

    cr_assert_not_null(c);
    memset(val, 'z', sizeof(val));
    fill_key(hot, 7);
    cr_assert_eq(cg_cache_put(c, hot, &m, val, sizeof(val), NULL, 0), 0);
    for (unsigned i = 100; i < 3100; i++) {
        fill_key(key, i);
        cr_assert_eq(cg_cache_put(c, key, &m, val, sizeof(val), NULL, 0), 0);
        if (i % 50 == 0) /* a hit now and then keeps the entry young */
            cr_assert_gt(cg_cache_get(c, hot, &got, buf, sizeof(buf), NULL, 0), 0, "at %u", i);
    }
    cr_expect_gt(cg_cache_get(c, hot, &got, buf, sizeof(buf), NULL, 0), 0, "hot entry kept");
    fill_key(key, 100);
    cr_expect_eq(cg_cache_get(c, key, &got, buf, sizeof(buf), NULL, 0), 0, "cold entry evicted");
    cg_cache_close(c);
}

static void writer_child(void)
{
    struct cg_cache *c = cg_cache_open(dir, 2 << 20, NULL, 0);
    unsigned char key[CG_CACHE_KEY_LEN];
    struct cg_cache_meta m = {0, 0};
    char val[900];

    memset(val, 'y', sizeof(val));
    for (unsigned i = 0;; i++) {
        fill_key(key, i % 5000);
        cg_cache_put(c, key, &m, val, sizeof(val) - (i % 100), NULL, 0);
    }
}

Test(cache, kill_9_during_writes_leaves_a_usable_cache)
{
    for (int round = 0; round < 5; round++) {
        pid_t pid = fork();
        struct cg_cache *c;
        unsigned char key[CG_CACHE_KEY_LEN];
        struct cg_cache_meta m = {0, 0}, got;
        char buf[1024];

        cr_assert_geq(pid, 0);
        if (pid == 0)
            writer_child();
        usleep(20000 + round * 37000);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        c = cg_cache_open(dir, 2 << 20, NULL, 0);
        cr_assert_not_null(c, "cache opens after kill -9 (round %d)", round);
        cr_expect_geq(cg_cache_count(c), 0);
        fill_key(key, 99999);
        { char e[256] = ""; cr_expect_eq(cg_cache_put(c, key, &m, "ok", 2, e, sizeof(e)), 0, "writable (round %d): %s", round, e); }
        cr_expect_eq(cg_cache_get(c, key, &got, buf, sizeof(buf), NULL, 0), 2);
        cg_cache_close(c);
    }
}

/* --- the service: parse, cache, forge --- */

static struct fx_ca svc_ca;

static char *origin_body(const struct fx_ca *ca, const char *host, X509 **origin_out, size_t *len)
{
    struct fx_origin spec = {.cn = host, .san = NULL, .key = FX_EC, .not_before = -86400,
                             .not_after = 30 * 86400};
    char params[128];
    X509 *o = fx_origin_make(&spec, ca);
    char *body;

    snprintf(params, sizeof(params), "host=%s\nSign=signTrusted\nSignHash=SHA256\n", host);
    body = fx_body(params, ca, o, len);
    if (origin_out)
        *origin_out = o;
    else
        X509_free(o);
    return body;
}

static void reply_parts(const struct cg_service *svc, X509 **cert, EVP_PKEY **key)
{
    BIO *bio = BIO_new_mem_buf(svc->reply, (int)svc->reply_len);

    *cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    cr_assert(*cert && *key, "reply is certificate PEM then key PEM");
    cr_expect_eq(X509_check_private_key(*cert, *key), 1, "key matches certificate");
}

static void service_start(struct cg_service *svc, bool fresh)
{
    struct cg_service_opts o = {90, fresh};
    struct cg_keys keys;
    char err[256] = "";
    struct cg_cache *cache;

    cr_assert_eq(cg_keys_load(&keys, dir, err, sizeof(err)), 0, "%s", err);
    cache = cg_cache_open(dir, 8 << 20, err, sizeof(err));
    cr_assert_not_null(cache, "%s", err);
    cg_service_init(svc, &o, &keys, cache);
}

Test(service, miss_then_hit_then_ca_change_and_rotation_miss)
{
    struct cg_service svc;
    struct fx_ca other;
    char err[256] = "";
    size_t len, len2;
    char *body, *body2;
    X509 *c1, *c2;
    EVP_PKEY *k1, *k2;

    cr_assert_eq(fx_ca_make(&svc_ca, "Service CA", FX_EC, 365), 0);
    service_start(&svc, false);
    body = origin_body(&svc_ca, "svc.test", NULL, &len);
    cr_assert_eq(cg_service_handle(&svc, body, len, time(NULL), err, sizeof(err)), 0, "%s", err);
    cr_expect_eq(svc.misses, 1);
    reply_parts(&svc, &c1, &k1);
    cr_expect_neq(EVP_PKEY_eq(k1, svc_ca.key), 1, "leaf key is not the CA key");
    cr_assert_eq(cg_service_handle(&svc, body, len, time(NULL), err, sizeof(err)), 0, "%s", err);
    cr_expect_eq(svc.hits, 1, "same origin, CA and mode: a hit");
    reply_parts(&svc, &c2, &k2);
    cr_expect_eq(X509_cmp(c1, c2), 0, "the cached certificate is served");
    X509_free(c2);
    EVP_PKEY_free(k2);
    /* A different CA: a different cache key. */
    cr_assert_eq(fx_ca_make(&other, "Other CA", FX_EC, 365), 0);
    body2 = fx_body("host=svc.test\nSign=signTrusted\nSignHash=SHA256\n", &other, NULL, &len2);
    cr_assert_eq(cg_service_handle(&svc, body2, len2, time(NULL), err, sizeof(err)), 0, "%s", err);
    cr_expect_eq(svc.misses, 2);
    /* Rotating the leaf keys: old entries are not served any more. */
    cr_assert_eq(cg_keys_rotate(dir, err, sizeof(err)), 0, "%s", err);
    svc.keys.next_check = 0;
    cr_assert_eq(cg_service_handle(&svc, body, len, time(NULL) + 2, err, sizeof(err)), 0, "%s",
                 err);
    cr_expect_eq(svc.misses, 3, "rotation invalidates");
    reply_parts(&svc, &c2, &k2);
    cr_expect_neq(EVP_PKEY_eq(k1, k2), 1, "new leaf key");
    X509_free(c1);
    X509_free(c2);
    EVP_PKEY_free(k1);
    EVP_PKEY_free(k2);
    free(body);
    free(body2);
    fx_ca_free(&other);
    fx_ca_free(&svc_ca);
    cg_service_free(&svc);
}

Test(service, near_expiry_entries_are_regenerated_and_bad_input_is_an_error)
{
    struct cg_service svc;
    char err[256] = "";
    size_t len;
    char *body;
    time_t now = time(NULL);

    cr_assert_eq(fx_ca_make(&svc_ca, "Service CA", FX_EC, 365), 0);
    service_start(&svc, false);
    body = fx_body("host=noorigin.test\n", &svc_ca, NULL, &len); /* forged for 89 days */
    cr_assert_eq(cg_service_handle(&svc, body, len, now, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(cg_service_handle(&svc, body, len, now + 85 * 86400, err, sizeof(err)), 0);
    cr_expect_eq(svc.hits, 0, "4 days left of 89: close to expiry, forged again");
    cr_expect_eq(svc.misses, 2);
    cr_expect_eq(cg_service_handle(&svc, "host=x\n", 7, now, err, sizeof(err)), -1);
    cr_expect_neq(err[0], '\0');
    free(body);
    fx_ca_free(&svc_ca);
    cg_service_free(&svc);
}

Test(service, fresh_ec_key_per_certificate_is_cached_with_it)
{
    struct cg_service svc;
    char err[256] = "";
    size_t la, lb;
    char *a, *b;
    X509 *ca1, *ca2, *cb;
    EVP_PKEY *ka1, *ka2, *kb;

    cr_assert_eq(fx_ca_make(&svc_ca, "Service CA", FX_EC, 365), 0);
    service_start(&svc, true);
    a = origin_body(&svc_ca, "a.test", NULL, &la);
    b = origin_body(&svc_ca, "b.test", NULL, &lb);
    cr_assert_eq(cg_service_handle(&svc, a, la, time(NULL), err, sizeof(err)), 0, "%s", err);
    reply_parts(&svc, &ca1, &ka1);
    cr_assert_eq(cg_service_handle(&svc, b, lb, time(NULL), err, sizeof(err)), 0, "%s", err);
    reply_parts(&svc, &cb, &kb);
    cr_expect_neq(EVP_PKEY_eq(ka1, kb), 1, "one key per certificate");
    cr_expect_eq(EVP_PKEY_get_base_id(ka1), EVP_PKEY_EC);
    cr_assert_eq(cg_service_handle(&svc, a, la, time(NULL), err, sizeof(err)), 0, "%s", err);
    reply_parts(&svc, &ca2, &ka2);
    cr_expect_eq(svc.hits, 1);
    cr_expect_eq(EVP_PKEY_eq(ka1, ka2), 1, "a hit returns the certificate's own key");
    X509_free(ca1);
    X509_free(ca2);
    X509_free(cb);
    EVP_PKEY_free(ka1);
    EVP_PKEY_free(ka2);
    EVP_PKEY_free(kb);
    free(a);
    free(b);
    fx_ca_free(&svc_ca);
    cg_service_free(&svc);
}

/* Under an RSA CA the leaf must be RSA too (see cg_forge_key_type), so fresh P-256 keys are not
 * used: both certificates carry the shared RSA leaf key, never the CA key. */
Test(service, fresh_ec_key_under_an_rsa_ca_uses_the_shared_rsa_key)
{
    struct cg_service svc;
    char err[256] = "";
    size_t la, lb;
    char *a, *b;
    X509 *ca, *cb;
    EVP_PKEY *ka, *kb;

    cr_assert_eq(fx_ca_make(&svc_ca, "Service CA", FX_RSA, 365), 0);
    service_start(&svc, true);
    a = origin_body(&svc_ca, "a.test", NULL, &la);
    b = origin_body(&svc_ca, "b.test", NULL, &lb);
    cr_assert_eq(cg_service_handle(&svc, a, la, time(NULL), err, sizeof(err)), 0, "%s", err);
    reply_parts(&svc, &ca, &ka);
    cr_assert_eq(cg_service_handle(&svc, b, lb, time(NULL), err, sizeof(err)), 0, "%s", err);
    reply_parts(&svc, &cb, &kb);
    cr_expect_eq(EVP_PKEY_get_base_id(ka), EVP_PKEY_RSA);
    cr_expect_eq(EVP_PKEY_eq(ka, kb), 1, "the shared RSA leaf key");
    cr_expect_neq(EVP_PKEY_eq(ka, svc_ca.key), 1, "never the CA key");
    X509_free(ca);
    X509_free(cb);
    EVP_PKEY_free(ka);
    EVP_PKEY_free(kb);
    free(a);
    free(b);
    fx_ca_free(&svc_ca);
    cg_service_free(&svc);
}
