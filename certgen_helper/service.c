/* service.c: one new_certificate request from body to reply (see service.h). */
#include "service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "log.h"

#define REPLY_MIN_CAP (64 * 1024)
#define FLAG_BOUNDED 0x1u
#define FLAG_OWN_KEY 0x2u
#define FLAG_EC_LEAF 0x4u
#define MAX_MARGIN (7 * 24 * 3600)

void cg_service_init(struct cg_service *svc, const struct cg_service_opts *opts,
                     struct cg_keys *keys, struct cg_cache *cache)
{
    memset(svc, 0, sizeof(*svc));
    svc->opts = *opts;
    if (svc->opts.max_days <= 0 || svc->opts.max_days > CG_MAX_DAYS)
        svc->opts.max_days = CG_MAX_DAYS;
    svc->keys = *keys;
    memset(keys, 0, sizeof(*keys));
    svc->cache = cache;
}

static void memo_clear(struct cg_ca_memo *m)
{
    free(m->pem);
    X509_free(m->cert);
    EVP_PKEY_free(m->key);
    memset(m, 0, sizeof(*m));
}

void cg_service_free(struct cg_service *svc)
{
    if (!svc)
        return;
    memo_clear(&svc->memo);
    cg_keys_free(&svc->keys);
    cg_cache_close(svc->cache);
    if (svc->reply)
        OPENSSL_cleanse(svc->reply, svc->reply_cap);
    free(svc->reply);
    memset(svc, 0, sizeof(*svc));
}

/* Reuses the decoded CA of the previous request when its PEM text is the same. */
static bool memo_lookup(struct cg_service *svc, struct si_crtd_request *req)
{
    struct cg_ca_memo *m = &svc->memo;

    if (!m->pem || m->pem_len != req->ca_pem_len || memcmp(m->pem, req->ca_pem, m->pem_len))
        return false;
    X509_up_ref(m->cert);
    EVP_PKEY_up_ref(m->key);
    req->ca_cert = m->cert;
    req->ca_key = m->key;
    return true;
}

static int memo_store(struct cg_service *svc, const struct si_crtd_request *req)
{
    struct cg_ca_memo *m = &svc->memo;
    unsigned int len;

    memo_clear(m);
    if (!(m->pem = malloc(req->ca_pem_len)))
        return -1;
    memcpy(m->pem, req->ca_pem, req->ca_pem_len);
    m->pem_len = req->ca_pem_len;
    X509_up_ref(req->ca_cert);
    EVP_PKEY_up_ref(req->ca_key);
    m->cert = req->ca_cert;
    m->key = req->ca_key;
    if (X509_digest(m->cert, EVP_sha256(), m->fp, &len) != 1) {
        memo_clear(m);
        return -1;
    }
    return 0;
}

/*
 * The cache key. The origin certificate counts by its PEM text as Squid sent it (the same DER
 * always arrives as the same text; different DER never gives the same text), so that a hit
 * needs no certificate decoding. Both shared leaf key ids are included: rotating either one
 * retires every entry.
 */
static int cache_key(const struct cg_service *svc, const struct si_crtd_request *req,
                     unsigned char out[CG_CACHE_KEY_LEN])
{
    static const char fresh_id[] = "fresh-p256";
    unsigned int len = 0;
    unsigned char fixed[8] = {CG_RECIPE_VERSION, (unsigned char)req->sign,
                              req->set_valid_after, req->set_valid_before, req->has_common_name,
                              (unsigned char)svc->opts.max_days, req->origin_pem != NULL, 0};
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);

    if (req->origin_pem)
        ok = ok && EVP_DigestUpdate(ctx, req->origin_pem, req->origin_pem_len);
    else
        ok = ok && EVP_DigestUpdate(ctx, req->host, strlen(req->host) + 1);
    ok = ok && EVP_DigestUpdate(ctx, fixed, sizeof(fixed)) &&
         EVP_DigestUpdate(ctx, svc->memo.fp, sizeof(svc->memo.fp)) &&
         EVP_DigestUpdate(ctx, req->sign_hash, strlen(req->sign_hash) + 1) &&
         EVP_DigestUpdate(ctx, req->common_name, strlen(req->common_name) + 1);
    if (svc->opts.fresh_ec)
        ok = ok && EVP_DigestUpdate(ctx, fresh_id, sizeof(fresh_id));
    ok = ok && EVP_DigestUpdate(ctx, svc->keys.leaf[CG_KEY_RSA].id, CG_KEY_ID_LEN) &&
         EVP_DigestUpdate(ctx, svc->keys.leaf[CG_KEY_EC].id, CG_KEY_ID_LEN);
    ok = ok && EVP_DigestFinal_ex(ctx, out, &len) == 1;
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : -1;
}

static int reply_reserve(struct cg_service *svc, size_t more)
{
    size_t need = svc->reply_len + more;
    char *p;

    if (need <= svc->reply_cap)
        return 0;
    if (need < REPLY_MIN_CAP)
        need = REPLY_MIN_CAP;
    if (!(p = realloc(svc->reply, need)))
        return -1;
    svc->reply = p;
    svc->reply_cap = need;
    return 0;
}

static int reply_append(struct cg_service *svc, const char *data, size_t len)
{
    if (reply_reserve(svc, len) < 0)
        return -1;
    memcpy(svc->reply + svc->reply_len, data, len);
    svc->reply_len += len;
    return 0;
}

static int append_cert_pem(struct cg_service *svc, X509 *x)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data;
    long n;
    int rc = -1;

    if (bio && PEM_write_bio_X509(bio, x) == 1 && (n = BIO_get_mem_data(bio, &data)) > 0)
        rc = reply_append(svc, data, (size_t)n);
    BIO_free(bio);
    return rc;
}

/* A cached entry is served unless it is close to expiry and a new one would last longer. */
static bool usable(const struct cg_service *svc, const struct cg_cache_meta *meta, time_t now)
{
    time_t margin = (time_t)svc->opts.max_days * 24 * 3600 / 4;

    if (margin > MAX_MARGIN)
        margin = MAX_MARGIN;
    return (meta->flags & FLAG_BOUNDED) || meta->not_after - now > margin;
}

static bool try_cache(struct cg_service *svc, const unsigned char *key, time_t now)
{
    const struct cg_leaf *leaf;
    struct cg_cache_meta meta;
    char err[256];
    long n;

    if (!svc->cache || reply_reserve(svc, REPLY_MIN_CAP) < 0)
        return false;
    n = cg_cache_get(svc->cache, key, &meta, svc->reply, svc->reply_cap, err, sizeof(err));
    if (n < 0)
        si_warn("%s", err);
    if (n <= 0 || !usable(svc, &meta, now))
        return false;
    svc->reply_len = (size_t)n;
    if (meta.flags & FLAG_OWN_KEY)
        return true;
    leaf = cg_keys_get(&svc->keys, (meta.flags & FLAG_EC_LEAF) ? CG_KEY_EC : CG_KEY_RSA);
    return leaf->pem && reply_append(svc, leaf->pem, leaf->pem_len) == 0;
}

static int forge_and_store(struct cg_service *svc, const struct si_crtd_request *req,
                           const unsigned char *key, time_t now, char *err, size_t es)
{
    enum cg_key_type type = cg_forge_key_type(req);
    const struct cg_leaf *shared = svc->opts.fresh_ec && type == CG_KEY_EC
                                       ? NULL
                                       : cg_keys_get(&svc->keys, type);
    struct cg_forge_opts fo = {svc->opts.max_days};
    struct cg_forge_result res;
    struct cg_leaf fresh = {0};
    const struct cg_leaf *leaf = shared;
    struct cg_cache_meta meta;
    X509 *x = NULL;
    int rc = -1;

    if (!leaf) {
        if (cg_leaf_fresh_ec(&fresh) < 0) {
            snprintf(err, es, "cannot generate a fresh P-256 key");
            return -1;
        }
        leaf = &fresh;
    }
    svc->reply_len = 0;
    if (!(x = cg_forge(req, leaf->key, &leaf->pub, &fo, now, &res, err, es)))
        goto out;
    if (append_cert_pem(svc, x) < 0 || (!shared && reply_append(svc, leaf->pem, leaf->pem_len) < 0)) {
        snprintf(err, es, "out of memory while encoding the certificate");
        goto out;
    }
    meta.not_after = res.not_after;
    meta.flags = (res.bounded ? FLAG_BOUNDED : 0) | (shared ? 0 : FLAG_OWN_KEY) |
                 (shared && type == CG_KEY_EC ? FLAG_EC_LEAF : 0);
    if (svc->cache &&
        cg_cache_put(svc->cache, key, &meta, svc->reply, svc->reply_len, err, es) < 0)
        si_warn("certificate not cached: %s", err);
    if (shared && reply_append(svc, leaf->pem, leaf->pem_len) < 0) {
        snprintf(err, es, "out of memory while encoding the reply");
        goto out;
    }
    rc = 0;
out:
    X509_free(x);
    cg_leaf_clear(&fresh);
    return rc;
}

int cg_service_handle(struct cg_service *svc, const char *body, size_t len, time_t now,
                      char *err, size_t errsize)
{
    struct si_crtd_request req;
    unsigned char key[CG_CACHE_KEY_LEN];
    char host[80];
    int rc = -1;

    if (si_crtd_split(body, len, &req, err, errsize) < 0)
        return -1;
    if (!memo_lookup(svc, &req)) {
        if (si_crtd_decode_ca(&req, err, errsize) < 0)
            goto out;
        if (memo_store(svc, &req) < 0) {
            snprintf(err, errsize, "out of memory while keeping the CA");
            goto out;
        }
        if (svc->opts.fresh_ec && cg_forge_key_type(&req) != CG_KEY_EC)
            si_warn("--fresh-ec-key needs an EC signing CA (Squid would present the CA "
                    "certificate beside a P-256 leaf): using the shared RSA leaf key");
    }
    cg_keys_refresh(&svc->keys, now);
    if (cache_key(svc, &req, key) < 0) {
        snprintf(err, errsize, "cannot compute the cache key");
        goto out;
    }
    si_log_sanitize(host, sizeof(host), req.host);
    if (try_cache(svc, key, now)) {
        svc->hits++;
        si_debug("certificate host=%s sign=%s cache=hit", host, si_crtd_sign_name(req.sign));
        rc = 0;
        goto out;
    }
    svc->misses++;
    if (si_crtd_decode_origin(&req, err, errsize) < 0)
        goto out;
    rc = forge_and_store(svc, &req, key, now, err, errsize);
    if (rc == 0)
        si_debug("forged certificate host=%s sign=%s origin=%s cache=%s", host,
                 si_crtd_sign_name(req.sign), req.origin ? "mimicked" : "none",
                 svc->cache ? "miss" : "off");
out:
    si_crtd_request_clear(&req);
    return rc;
}
