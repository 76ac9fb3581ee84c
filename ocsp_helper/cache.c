/* cache.c: answers, CRLs and responder backoff (see cache.h). A small chained hash table each. */
#include "cache.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS 1024
#define BACKOFF_FIRST 60
#define BACKOFF_MAX 900

struct entry {
    struct entry *next;
    unsigned char *key;
    size_t keylen;
    time_t until;   /* expiry (answers, crls) or end of backoff (down) */
    time_t stamp;   /* insertion time, for eviction */
    struct rev_answer ans;
    X509_CRL *crl;
    unsigned fails; /* down: consecutive failures */
};

struct table {
    pthread_mutex_t lock;
    struct entry *b[NBUCKETS];
    size_t count, max;
};

struct flight {
    struct flight *next;
    char *key;
};

struct rev_cache {
    struct table answers, crls, down;
    pthread_mutex_t flock;
    pthread_cond_t fcond;
    struct flight *flights;
};

static void table_init(struct table *t, size_t max)
{
    memset(t, 0, sizeof(*t));
    pthread_mutex_init(&t->lock, NULL);
    t->max = max ? max : 1;
}

static void entry_free(struct entry *e)
{
    if (!e)
        return;
    X509_CRL_free(e->crl);
    free(e->key);
    free(e);
}

static void table_clear(struct table *t)
{
    for (size_t i = 0; i < NBUCKETS; i++) {
        while (t->b[i]) {
            struct entry *e = t->b[i];

            t->b[i] = e->next;
            entry_free(e);
        }
    }
    t->count = 0;
    pthread_mutex_destroy(&t->lock);
}

static size_t hash(const unsigned char *k, size_t n)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */

    for (size_t i = 0; i < n; i++)
        h = (h ^ k[i]) * 1099511628211ULL;
    return (size_t)(h % NBUCKETS);
}

/* Finds key; lock held. */
static struct entry *find(struct table *t, const unsigned char *k, size_t n)
{
    for (struct entry *e = t->b[hash(k, n)]; e; e = e->next) {
        if (e->keylen == n && memcmp(e->key, k, n) == 0)
            return e;
    }
    return NULL;
}

/* Removes expired entries, then (if still full) the oldest one; lock held. */
static void evict(struct table *t, time_t now)
{
    struct entry **oldest = NULL;

    for (size_t i = 0; i < NBUCKETS; i++) {
        for (struct entry **pp = &t->b[i]; *pp;) {
            if ((*pp)->until < now) {
                struct entry *e = *pp;

                *pp = e->next;
                entry_free(e);
                t->count--;
                continue;
            }
            if (!oldest || (*pp)->stamp < (*oldest)->stamp)
                oldest = pp;
            pp = &(*pp)->next;
        }
    }
    if (t->count >= t->max && oldest) {
        struct entry *e = *oldest;

        *oldest = e->next;
        entry_free(e);
        t->count--;
    }
}

/* Finds or inserts key; lock held. NULL when out of memory. */
static struct entry *upsert(struct table *t, const unsigned char *k, size_t n, time_t now)
{
    struct entry *e = find(t, k, n);
    size_t h;

    if (e)
        return e;
    if (t->count >= t->max)
        evict(t, now);
    if (!(e = calloc(1, sizeof(*e))) || !(e->key = malloc(n ? n : 1))) {
        free(e);
        return NULL;
    }
    memcpy(e->key, k, n);
    e->keylen = n;
    e->stamp = now;
    h = hash(k, n);
    e->next = t->b[h];
    t->b[h] = e;
    t->count++;
    return e;
}

struct rev_cache *rev_cache_new(size_t max_entries)
{
    struct rev_cache *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    table_init(&c->answers, max_entries);
    table_init(&c->crls, max_entries / 16 + 1);
    table_init(&c->down, max_entries);
    pthread_mutex_init(&c->flock, NULL);
    {
        pthread_condattr_t ca;

        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&c->fcond, &ca);
        pthread_condattr_destroy(&ca);
    }
    return c;
}

void rev_cache_free(struct rev_cache *c)
{
    if (!c)
        return;
    table_clear(&c->answers);
    table_clear(&c->crls);
    table_clear(&c->down);
    while (c->flights) {
        struct flight *f = c->flights;

        c->flights = f->next;
        free(f->key);
        free(f);
    }
    pthread_cond_destroy(&c->fcond);
    pthread_mutex_destroy(&c->flock);
    free(c);
}

bool rev_cache_answer_get(struct rev_cache *c, const unsigned char *key, size_t keylen, time_t now,
                          struct rev_answer *out)
{
    struct entry *e;
    bool hit = false;

    pthread_mutex_lock(&c->answers.lock);
    e = find(&c->answers, key, keylen);
    if (e && e->until >= now) {
        *out = e->ans;
        hit = true;
    }
    pthread_mutex_unlock(&c->answers.lock);
    return hit;
}

void rev_cache_answer_put(struct rev_cache *c, const unsigned char *key, size_t keylen,
                          const struct rev_answer *ans)
{
    time_t now = time(NULL);
    struct entry *e;

    if (ans->cache_until <= now)
        return;
    pthread_mutex_lock(&c->answers.lock);
    if ((e = upsert(&c->answers, key, keylen, now))) {
        e->ans = *ans;
        e->until = ans->cache_until;
        e->stamp = now;
    }
    pthread_mutex_unlock(&c->answers.lock);
}

X509_CRL *rev_cache_crl_get(struct rev_cache *c, const char *url, time_t now)
{
    struct entry *e;
    X509_CRL *crl = NULL;

    pthread_mutex_lock(&c->crls.lock);
    e = find(&c->crls, (const unsigned char *)url, strlen(url));
    if (e && e->until >= now && e->crl && X509_CRL_up_ref(e->crl))
        crl = e->crl;
    pthread_mutex_unlock(&c->crls.lock);
    return crl;
}

void rev_cache_crl_put(struct rev_cache *c, const char *url, X509_CRL *crl, time_t until)
{
    time_t now = time(NULL);
    struct entry *e;

    if (until <= now || !X509_CRL_up_ref(crl))
        return;
    pthread_mutex_lock(&c->crls.lock);
    if ((e = upsert(&c->crls, (const unsigned char *)url, strlen(url), now))) {
        X509_CRL_free(e->crl);
        e->crl = crl;
        e->until = until;
        e->stamp = now;
    } else {
        X509_CRL_free(crl);
    }
    pthread_mutex_unlock(&c->crls.lock);
}

bool rev_cache_down(struct rev_cache *c, const char *name, time_t now, time_t *until)
{
    struct entry *e;
    bool down = false;

    pthread_mutex_lock(&c->down.lock);
    e = find(&c->down, (const unsigned char *)name, strlen(name));
    if (e && e->fails > 0 && e->until > now) {
        down = true;
        if (until)
            *until = e->until;
    }
    pthread_mutex_unlock(&c->down.lock);
    return down;
}

void rev_cache_note(struct rev_cache *c, const char *name, bool ok, time_t now)
{
    struct entry *e;

    pthread_mutex_lock(&c->down.lock);
    if (ok) {
        if ((e = find(&c->down, (const unsigned char *)name, strlen(name)))) {
            e->fails = 0;
            e->until = 0;
        }
    } else if ((e = upsert(&c->down, (const unsigned char *)name, strlen(name), now))) {
        unsigned backoff;

        if (e->fails == 0 || e->until <= now) /* concurrent failures count once */
            e->fails++;
        backoff = BACKOFF_FIRST;
        for (unsigned i = 1; i < e->fails && backoff < BACKOFF_MAX; i++)
            backoff *= 2;
        e->until = now + (backoff > BACKOFF_MAX ? BACKOFF_MAX : backoff);
        e->stamp = now;
    }
    pthread_mutex_unlock(&c->down.lock);
}

size_t rev_cache_count(struct rev_cache *c)
{
    size_t n;

    pthread_mutex_lock(&c->answers.lock);
    n = c->answers.count;
    pthread_mutex_unlock(&c->answers.lock);
    pthread_mutex_lock(&c->crls.lock);
    n += c->crls.count;
    pthread_mutex_unlock(&c->crls.lock);
    return n;
}

static struct flight **flight_find(struct rev_cache *c, const char *key)
{
    struct flight **pp = &c->flights;

    while (*pp && strcmp((*pp)->key, key) != 0)
        pp = &(*pp)->next;
    return pp;
}

bool rev_cache_flight_begin(struct rev_cache *c, const char *key, long long deadline_ms)
{
    struct timespec ts = {.tv_sec = deadline_ms / 1000, .tv_nsec = (deadline_ms % 1000) * 1000000};
    struct flight *f;
    bool waited = false;

    pthread_mutex_lock(&c->flock);
    while (*flight_find(c, key)) {
        waited = true;
        if (pthread_cond_timedwait(&c->fcond, &c->flock, &ts) != 0)
            break;
    }
    if (waited) {
        pthread_mutex_unlock(&c->flock);
        return false;
    }
    f = calloc(1, sizeof(*f));
    if (f && !(f->key = strdup(key))) {
        free(f);
        f = NULL;
    }
    if (f) {
        f->next = c->flights;
        c->flights = f;
    }
    pthread_mutex_unlock(&c->flock);
    return true; /* out of memory: lead without a record rather than fail */
}

void rev_cache_flight_end(struct rev_cache *c, const char *key)
{
    struct flight **pp, *f;

    pthread_mutex_lock(&c->flock);
    pp = flight_find(c, key);
    if ((f = *pp)) {
        *pp = f->next;
        free(f->key);
        free(f);
    }
    pthread_cond_broadcast(&c->fcond);
    pthread_mutex_unlock(&c->flock);
}
