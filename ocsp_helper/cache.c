/* cache.c: answers, CRLs and responder backoff (see cache.h), one lib/ttlmap each. */
#include "cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ttlmap.h"

#define BACKOFF_FIRST 60
#define BACKOFF_MAX 900
/* How long a responder's failures are remembered after its backoff ends: a failure within it
 * doubles the next backoff, a responder quiet for longer starts again from BACKOFF_FIRST. */
#define DOWN_MEMORY BACKOFF_MAX

struct down_state {
    unsigned fails; /* consecutive failures */
    time_t until;   /* end of the backoff */
};

struct flight {
    struct flight *next;
    char *key;
};

struct oc_rev_cache {
    struct si_ttlmap *answers, *crls, *down;
    pthread_mutex_t flock;
    pthread_cond_t fcond;
    struct flight *flights;
};

static void crl_drop(void *value)
{
    X509_CRL_free(*(X509_CRL **)value);
}

static int crl_hold(void *copy)
{
    return X509_CRL_up_ref(*(X509_CRL **)copy) ? 0 : -1;
}

static const struct si_ttlmap_type ANSWER_TYPE = {.value_size = sizeof(struct oc_rev_answer)};
static const struct si_ttlmap_type CRL_TYPE = {
    .value_size = sizeof(X509_CRL *), .drop = crl_drop, .hold = crl_hold};
static const struct si_ttlmap_type DOWN_TYPE = {.value_size = sizeof(struct down_state)};

struct oc_rev_cache *oc_rev_cache_new(size_t max_entries)
{
    struct oc_rev_cache *c = calloc(1, sizeof(*c));
    pthread_condattr_t ca;

    if (!c)
        return NULL;
    c->answers = si_ttlmap_new(max_entries, &ANSWER_TYPE);
    c->crls = si_ttlmap_new(max_entries / 16 + 1, &CRL_TYPE);
    c->down = si_ttlmap_new(max_entries, &DOWN_TYPE);
    pthread_mutex_init(&c->flock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&c->fcond, &ca);
    pthread_condattr_destroy(&ca);
    if (!c->answers || !c->crls || !c->down) {
        oc_rev_cache_free(c);
        return NULL;
    }
    return c;
}

void oc_rev_cache_free(struct oc_rev_cache *c)
{
    if (!c)
        return;
    si_ttlmap_free(c->answers);
    si_ttlmap_free(c->crls);
    si_ttlmap_free(c->down);
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

bool oc_rev_cache_answer_get(struct oc_rev_cache *c, const unsigned char *key, size_t keylen, time_t now,
                          struct oc_rev_answer *out)
{
    return si_ttlmap_get(c->answers, key, keylen, now, out);
}

void oc_rev_cache_answer_put(struct oc_rev_cache *c, const unsigned char *key, size_t keylen,
                          const struct oc_rev_answer *ans)
{
    struct oc_rev_answer copy = *ans;

    if (ans->cache_until > time(NULL))
        si_ttlmap_put(c->answers, key, keylen, &copy, ans->cache_until);
}

X509_CRL *oc_rev_cache_crl_get(struct oc_rev_cache *c, const char *url, time_t now)
{
    X509_CRL *crl = NULL;

    return si_ttlmap_get(c->crls, url, strlen(url), now, &crl) ? crl : NULL;
}

void oc_rev_cache_crl_put(struct oc_rev_cache *c, const char *url, X509_CRL *crl, time_t until)
{
    if (until > time(NULL) && X509_CRL_up_ref(crl))
        si_ttlmap_put(c->crls, url, strlen(url), &crl, until);
}

bool oc_rev_cache_down(struct oc_rev_cache *c, const char *name, time_t now, time_t *until)
{
    struct down_state d;

    if (!si_ttlmap_get(c->down, name, strlen(name), now, &d) || d.fails == 0 || d.until <= now)
        return false;
    if (until)
        *until = d.until;
    return true;
}

/* A failure: starts or extends name's backoff; runs under the map's lock. */
static enum si_ttlmap_verdict note_failure(void *value, bool found, time_t *expires, void *arg)
{
    struct down_state *d = value;
    time_t now = *(const time_t *)arg;
    unsigned backoff = BACKOFF_FIRST;

    (void)found;
    if (d->fails == 0 || d->until <= now) /* concurrent failures count once */
        d->fails++;
    for (unsigned i = 1; i < d->fails && backoff < BACKOFF_MAX; i++)
        backoff *= 2;
    d->until = now + (backoff > BACKOFF_MAX ? BACKOFF_MAX : backoff);
    *expires = d->until + DOWN_MEMORY;
    return SI_TTLMAP_STORE;
}

void oc_rev_cache_note(struct oc_rev_cache *c, const char *name, bool ok, time_t now)
{
    if (ok)
        si_ttlmap_remove(c->down, name, strlen(name));
    else
        si_ttlmap_update(c->down, name, strlen(name), now, note_failure, &now);
}

size_t oc_rev_cache_count(struct oc_rev_cache *c)
{
    return si_ttlmap_count(c->answers) + si_ttlmap_count(c->crls);
}

static struct flight **flight_find(struct oc_rev_cache *c, const char *key)
{
    struct flight **pp = &c->flights;

    while (*pp && strcmp((*pp)->key, key) != 0)
        pp = &(*pp)->next;
    return pp;
}

bool oc_rev_cache_flight_begin(struct oc_rev_cache *c, const char *key, long long deadline_ms)
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

void oc_rev_cache_flight_end(struct oc_rev_cache *c, const char *key)
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
