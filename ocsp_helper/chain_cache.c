/* chain_cache.c: verified chains by PEM digest (see chain_cache.h), on lib/ttlmap. */
#include "chain_cache.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ocsp_verify.h"
#include "ttlmap.h"

struct oc_chain_cache {
    struct si_ttlmap *map; /* key: 32-byte digest; value: struct oc_chain_hit */
    unsigned ttl_s;
    EVP_MD *sha256;
};

static void hit_drop(void *value);
static int hit_hold(void *copy);

static const struct si_ttlmap_type HIT_TYPE = {
    .value_size = sizeof(struct oc_chain_hit), .drop = hit_drop, .hold = hit_hold};

struct oc_chain_cache *oc_chain_cache_new(size_t max_entries, unsigned ttl_s)
{
    struct oc_chain_cache *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    c->ttl_s = ttl_s;
    c->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL); /* fetched once: no per-call lookups */
    if (!(c->map = si_ttlmap_new(max_entries, &HIT_TYPE))) {
        oc_chain_cache_free(c);
        return NULL;
    }
    return c;
}

void oc_chain_hit_clear(struct oc_chain_hit *hit)
{
    for (size_t i = 0; i < hit->ncerts; i++)
        X509_free(hit->certs[i]);
    sk_X509_pop_free(hit->chain, X509_free);
    X509_STORE_free(hit->store);
    memset(hit, 0, sizeof(*hit));
}

void oc_chain_cache_free(struct oc_chain_cache *c)
{
    if (!c)
        return;
    si_ttlmap_free(c->map);
    EVP_MD_free(c->sha256);
    free(c);
}

/* Shares hit's references into dst. Returns -1 (dst cleared) when a reference cannot be taken. */
static int share(const struct oc_chain_hit *src, struct oc_chain_hit *dst)
{
    memset(dst, 0, sizeof(*dst));
    for (size_t i = 0; i < src->ncerts; i++) {
        if (!X509_up_ref(src->certs[i]))
            goto fail;
        dst->certs[dst->ncerts++] = src->certs[i];
    }
    if (!src->chain) /* parsed only, not verified */
        return 0;
    if (!(dst->chain = X509_chain_up_ref(src->chain)) || !X509_STORE_up_ref(src->store))
        goto fail;
    dst->store = src->store;
    return 0;
fail:
    oc_chain_hit_clear(dst);
    return -1;
}

static void hit_drop(void *value)
{
    oc_chain_hit_clear(value);
}

/* get: the copy the map made becomes the caller's own references (cleared on failure). */
static int hit_hold(void *copy)
{
    struct oc_chain_hit stored = *(struct oc_chain_hit *)copy;

    return share(&stored, copy);
}

void oc_chain_cache_key(struct oc_chain_cache *c, const struct si_crtvd_request *req,
                     unsigned char key[32])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char flag = req->nerrors > 0;
    unsigned int n = 32;

    memset(key, 0, 32);
    if (md && EVP_DigestInit_ex(md, c->sha256, NULL)) {
        EVP_DigestUpdate(md, &flag, 1);
        for (size_t i = 0; i < req->ncerts; i++)
            EVP_DigestUpdate(md, req->certs[i], strlen(req->certs[i]) + 1);
        EVP_DigestFinal_ex(md, key, &n);
    }
    EVP_MD_CTX_free(md);
}

int oc_chain_cache_get(struct oc_chain_cache *c, const unsigned char key[32], time_t now,
                    struct oc_chain_hit *hit)
{
    return si_ttlmap_get(c->map, key, 32, now, hit) ? 1 : 0;
}

/* Earliest notAfter of the verified chain, or 0. */
static time_t earliest_expiry(STACK_OF(X509) *chain)
{
    time_t t = 0;

    for (int i = 0; i < sk_X509_num(chain); i++) {
        time_t na = oc_rev_asn1_time(X509_get0_notAfter(sk_X509_value(chain, i)));

        if (na && (!t || na < t))
            t = na;
    }
    return t;
}

struct store_arg {
    struct oc_chain_hit *hit; /* references for the map; taken when stored */
    time_t until;
    bool taken;
    struct oc_chain_hit replaced; /* released by the caller, outside the map's lock */
};

/* Stores a new entry, or upgrades a parsed-only one to a verified chain; under the map's lock. */
static enum si_ttlmap_verdict store_hit(void *value, bool found, time_t *expires, void *arg)
{
    struct oc_chain_hit *cur = value;
    struct store_arg *a = arg;

    if (found && (cur->chain || !a->hit->chain)) /* a concurrent miss stored it first */
        return SI_TTLMAP_STORE;
    if (found)
        a->replaced = *cur;
    *cur = *a->hit;
    *expires = a->until;
    a->taken = true;
    return SI_TTLMAP_STORE;
}

void oc_chain_cache_put(struct oc_chain_cache *c, const unsigned char key[32], const struct oc_chain_hit *hit,
                     time_t now)
{
    struct oc_chain_hit mine;
    struct store_arg a = {.hit = &mine, .until = now + (time_t)c->ttl_s};
    time_t exp = hit->chain ? earliest_expiry(hit->chain) : 0;

    if (share(hit, &mine) < 0)
        return;
    if (exp && exp < a.until)
        a.until = exp;
    si_ttlmap_update(c->map, key, 32, now, store_hit, &a);
    oc_chain_hit_clear(&a.replaced);
    if (!a.taken)
        oc_chain_hit_clear(&mine);
}
