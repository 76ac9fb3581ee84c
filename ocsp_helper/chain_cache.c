/* chain_cache.c: verified chains by PEM digest (see chain_cache.h). */
#include "chain_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ocsp_verify.h"

#define NBUCKETS 512

struct centry {
    struct centry *next;
    unsigned char key[32];
    time_t until, stamp;
    struct chain_hit hit;
};

struct chain_cache {
    pthread_mutex_t lock;
    struct centry *b[NBUCKETS];
    size_t count, max;
    unsigned ttl_s;
    EVP_MD *sha256;
};

struct chain_cache *chain_cache_new(size_t max_entries, unsigned ttl_s)
{
    struct chain_cache *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    pthread_mutex_init(&c->lock, NULL);
    c->max = max_entries ? max_entries : 1;
    c->ttl_s = ttl_s;
    c->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL); /* fetched once: no per-call lookups */
    return c;
}

void chain_hit_clear(struct chain_hit *hit)
{
    for (size_t i = 0; i < hit->ncerts; i++)
        X509_free(hit->certs[i]);
    sk_X509_pop_free(hit->chain, X509_free);
    X509_STORE_free(hit->store);
    memset(hit, 0, sizeof(*hit));
}

static void entry_free(struct centry *e)
{
    chain_hit_clear(&e->hit);
    free(e);
}

void chain_cache_free(struct chain_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < NBUCKETS; i++) {
        while (c->b[i]) {
            struct centry *e = c->b[i];

            c->b[i] = e->next;
            entry_free(e);
        }
    }
    EVP_MD_free(c->sha256);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* Shares hit's references into dst. Returns -1 (dst cleared) when a reference cannot be taken. */
static int share(const struct chain_hit *src, struct chain_hit *dst)
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
    chain_hit_clear(dst);
    return -1;
}

void chain_cache_key(struct chain_cache *c, const struct si_crtvd_request *req,
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

static size_t bucket(const unsigned char key[32])
{
    size_t h;

    memcpy(&h, key, sizeof(h));
    return h % NBUCKETS;
}

int chain_cache_get(struct chain_cache *c, const unsigned char key[32], time_t now,
                    struct chain_hit *hit)
{
    int found = 0;

    pthread_mutex_lock(&c->lock);
    for (struct centry *e = c->b[bucket(key)]; e; e = e->next) {
        if (memcmp(e->key, key, 32) == 0 && e->until >= now) {
            found = share(&e->hit, hit) == 0;
            break;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return found;
}

/* Drops expired entries, then the oldest if still full; lock held. */
static void evict(struct chain_cache *c, time_t now)
{
    struct centry **oldest = NULL;

    for (size_t i = 0; i < NBUCKETS; i++) {
        for (struct centry **pp = &c->b[i]; *pp;) {
            if ((*pp)->until < now) {
                struct centry *e = *pp;

                *pp = e->next;
                entry_free(e);
                c->count--;
                continue;
            }
            if (!oldest || (*pp)->stamp < (*oldest)->stamp)
                oldest = pp;
            pp = &(*pp)->next;
        }
    }
    if (c->count >= c->max && oldest) {
        struct centry *e = *oldest;

        *oldest = e->next;
        entry_free(e);
        c->count--;
    }
}

/* Earliest notAfter of the verified chain, or 0. */
static time_t earliest_expiry(STACK_OF(X509) *chain)
{
    time_t t = 0;

    for (int i = 0; i < sk_X509_num(chain); i++) {
        time_t na = rev_asn1_time(X509_get0_notAfter(sk_X509_value(chain, i)));

        if (na && (!t || na < t))
            t = na;
    }
    return t;
}

void chain_cache_put(struct chain_cache *c, const unsigned char key[32], const struct chain_hit *hit,
                     time_t now)
{
    struct centry *e = calloc(1, sizeof(*e));
    time_t exp = hit->chain ? earliest_expiry(hit->chain) : 0;
    size_t b = bucket(key);

    if (!e || share(hit, &e->hit) < 0) {
        free(e);
        return;
    }
    memcpy(e->key, key, 32);
    e->stamp = now;
    e->until = now + (time_t)c->ttl_s;
    if (exp && exp < e->until)
        e->until = exp;
    pthread_mutex_lock(&c->lock);
    for (struct centry **pp = &c->b[b]; *pp; pp = &(*pp)->next) {
        struct centry *old = *pp;

        if (memcmp(old->key, key, 32) != 0)
            continue;
        if (old->hit.chain || !e->hit.chain) { /* a concurrent miss stored it first */
            pthread_mutex_unlock(&c->lock);
            entry_free(e);
            return;
        }
        e->next = old->next; /* a verified chain replaces a parsed-only entry */
        *pp = e;
        pthread_mutex_unlock(&c->lock);
        entry_free(old);
        return;
    }
    if (c->count >= c->max)
        evict(c, now);
    e->next = c->b[b];
    c->b[b] = e;
    c->count++;
    pthread_mutex_unlock(&c->lock);
}
