/*
 * ttlmap.c: bounded hash map with expiry (see ttlmap.h).
 *
 * Chained hash table (power-of-two buckets, about two keys per bucket when full) plus a doubly
 * linked use list, least recently used first: eviction unlinks the list's head in O(1).
 * Entries are one allocation: header, value (aligned), key. Discarded entries are collected
 * while the lock is held and freed (their values dropped) after it is released.
 */
#include "ttlmap.h"

#include <assert.h>
#include <pthread.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MIN_BUCKETS 16
#define MAX_BUCKETS (1u << 20)

struct entry {
    struct entry *chain;         /* next in the bucket */
    struct entry *older, *newer; /* use list */
    time_t expires;
    uint64_t hash;
    size_t keylen;
    alignas(max_align_t) unsigned char data[]; /* value (vspace bytes), then the key */
};

struct si_ttlmap {
    pthread_mutex_t lock;
    struct si_ttlmap_type type;
    size_t vspace; /* value_size rounded up to max_align_t */
    struct entry **buckets;
    size_t mask;
    struct entry *lru, *mru; /* ends of the use list */
    size_t count, capacity;
};

/* Entries unlinked under the lock, freed after it (at most two per call). */
struct graveyard {
    struct entry *e[2];
};

static uint64_t hash_key(const unsigned char *k, size_t n)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */

    for (size_t i = 0; i < n; i++)
        h = (h ^ k[i]) * 1099511628211ULL;
    return h ^ (h >> 29);
}

static void *value_of(struct entry *e)
{
    return e->data;
}

static unsigned char *key_of(struct si_ttlmap *m, struct entry *e)
{
    return e->data + m->vspace;
}

struct si_ttlmap *si_ttlmap_new(size_t capacity, const struct si_ttlmap_type *type)
{
    struct si_ttlmap *m;
    size_t nb = MIN_BUCKETS;

    if (!type || type->value_size == 0 || !(m = calloc(1, sizeof(*m))))
        return NULL;
    m->type = *type;
    m->capacity = capacity ? capacity : 1;
    m->vspace = (type->value_size + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
    while (nb < MAX_BUCKETS && nb * 2 < m->capacity)
        nb *= 2;
    if (!(m->buckets = calloc(nb, sizeof(*m->buckets)))) {
        free(m);
        return NULL;
    }
    m->mask = nb - 1;
    pthread_mutex_init(&m->lock, NULL);
    return m;
}

static void entry_release(struct si_ttlmap *m, struct entry *e)
{
    if (!e)
        return;
    if (m->type.drop)
        m->type.drop(value_of(e));
    free(e);
}

void si_ttlmap_free(struct si_ttlmap *m)
{
    if (!m)
        return;
    while (m->lru) {
        struct entry *e = m->lru;

        m->lru = e->newer;
        entry_release(m, e);
    }
    free(m->buckets);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

/* A new unlinked entry holding key and a zeroed value; NULL when out of memory. */
static struct entry *entry_new(struct si_ttlmap *m, const void *key, size_t keylen, uint64_t h)
{
    struct entry *e;

    if (keylen > SIZE_MAX - sizeof(*e) - m->vspace)
        return NULL;
    if (!(e = calloc(1, sizeof(*e) + m->vspace + keylen)))
        return NULL;
    e->hash = h;
    e->keylen = keylen;
    if (keylen)
        memcpy(key_of(m, e), key, keylen);
    return e;
}

/* The bucket slot that points at key's entry (*slot NULL when absent); lock held. */
static struct entry **find(struct si_ttlmap *m, const void *key, size_t keylen, uint64_t h)
{
    struct entry **pp = &m->buckets[h & m->mask];

    for (; *pp; pp = &(*pp)->chain) {
        struct entry *e = *pp;

        if (e->hash == h && e->keylen == keylen &&
            (keylen == 0 || memcmp(key_of(m, e), key, keylen) == 0))
            break;
    }
    return pp;
}

static void list_remove(struct si_ttlmap *m, struct entry *e)
{
    if (e->older)
        e->older->newer = e->newer;
    else
        m->lru = e->newer;
    if (e->newer)
        e->newer->older = e->older;
    else
        m->mru = e->older;
    e->older = e->newer = NULL;
}

static void list_append(struct si_ttlmap *m, struct entry *e)
{
    e->older = m->mru;
    e->newer = NULL;
    if (m->mru)
        m->mru->newer = e;
    else
        m->lru = e;
    m->mru = e;
}

static void touch(struct si_ttlmap *m, struct entry *e)
{
    if (m->mru != e) {
        list_remove(m, e);
        list_append(m, e);
    }
}

/* Unlinks the entry *slot points at into the graveyard; lock held. */
static void unlink_slot(struct si_ttlmap *m, struct entry **slot, struct graveyard *g)
{
    struct entry *e = *slot;

    assert(m->count > 0 && !g->e[1]); /* a graveyard holds two entries */
    *slot = e->chain;
    list_remove(m, e);
    m->count--;
    g->e[g->e[0] ? 1 : 0] = e;
}

/* Unlinks the least recently used entry; lock held, map not empty. */
static void evict_one(struct si_ttlmap *m, struct graveyard *g)
{
    struct entry *victim = m->lru;
    struct entry **slot;

    assert(victim);
    slot = find(m, key_of(m, victim), victim->keylen, victim->hash);
    assert(slot && *slot == victim); /* every entry of the LRU list is in its bucket */
    unlink_slot(m, slot, g);
}

/* Links a new entry, evicting first when full; lock held, key absent. */
static void link_new(struct si_ttlmap *m, struct entry *e, struct graveyard *g)
{
    struct entry **head = &m->buckets[e->hash & m->mask];

    if (m->count >= m->capacity)
        evict_one(m, g);
    e->chain = *head;
    *head = e;
    list_append(m, e);
    m->count++;
}

static void bury(struct si_ttlmap *m, struct graveyard *g)
{
    entry_release(m, g->e[0]);
    entry_release(m, g->e[1]);
}

int si_ttlmap_put(struct si_ttlmap *m, const void *key, size_t keylen, void *value,
                  time_t expires)
{
    uint64_t h = hash_key(key, keylen);
    struct entry *e = entry_new(m, key, keylen, h), **slot;
    struct graveyard g = {{NULL, NULL}};

    if (!e) {
        if (m->type.drop)
            m->type.drop(value);
        return -1;
    }
    memcpy(value_of(e), value, m->type.value_size);
    e->expires = expires;
    pthread_mutex_lock(&m->lock);
    slot = find(m, key, keylen, h);
    if (*slot)
        unlink_slot(m, slot, &g);
    link_new(m, e, &g);
    pthread_mutex_unlock(&m->lock);
    bury(m, &g);
    return 0;
}

bool si_ttlmap_get(struct si_ttlmap *m, const void *key, size_t keylen, time_t now, void *out)
{
    uint64_t h = hash_key(key, keylen);
    struct graveyard g = {{NULL, NULL}};
    struct entry **slot;
    bool hit = false;

    pthread_mutex_lock(&m->lock);
    slot = find(m, key, keylen, h);
    if (*slot && (*slot)->expires < now) {
        unlink_slot(m, slot, &g);
    } else if (*slot) {
        memcpy(out, value_of(*slot), m->type.value_size);
        hit = !m->type.hold || m->type.hold(out) == 0;
        if (hit)
            touch(m, *slot);
        else
            memset(out, 0, m->type.value_size);
    }
    pthread_mutex_unlock(&m->lock);
    bury(m, &g);
    return hit;
}

/* update on a live entry; lock held. */
static int update_found(struct si_ttlmap *m, struct entry **slot, si_ttlmap_update_fn fn,
                        void *arg, struct graveyard *g)
{
    struct entry *e = *slot;
    time_t exp = e->expires;
    enum si_ttlmap_verdict v = fn(value_of(e), true, &exp, arg);

    if (v == SI_TTLMAP_STORE) {
        e->expires = exp;
        touch(m, e);
    } else {
        unlink_slot(m, slot, g);
    }
    return (int)v;
}

int si_ttlmap_update(struct si_ttlmap *m, const void *key, size_t keylen, time_t now,
                     si_ttlmap_update_fn fn, void *arg)
{
    uint64_t h = hash_key(key, keylen);
    struct graveyard g = {{NULL, NULL}};
    struct entry **slot, *n;
    time_t exp = 0;
    bool found = false;
    int rc;

    pthread_mutex_lock(&m->lock);
    slot = find(m, key, keylen, h);
    if (*slot && (*slot)->expires < now)
        unlink_slot(m, slot, &g); /* expired: treated as absent */
    else if (*slot)
        found = true;
    if (found) {
        rc = update_found(m, slot, fn, arg, &g);
    } else if (!(n = entry_new(m, key, keylen, h))) {
        rc = -1;
    } else if ((rc = (int)fn(value_of(n), false, &exp, arg)) == SI_TTLMAP_STORE) {
        n->expires = exp;
        link_new(m, n, &g);
    } else {
        g.e[g.e[0] ? 1 : 0] = n; /* not stored: dropped with the rest */
    }
    pthread_mutex_unlock(&m->lock);
    bury(m, &g);
    return rc;
}

bool si_ttlmap_remove(struct si_ttlmap *m, const void *key, size_t keylen)
{
    uint64_t h = hash_key(key, keylen);
    struct graveyard g = {{NULL, NULL}};
    struct entry **slot;
    bool found;

    pthread_mutex_lock(&m->lock);
    slot = find(m, key, keylen, h);
    if ((found = *slot != NULL))
        unlink_slot(m, slot, &g);
    pthread_mutex_unlock(&m->lock);
    bury(m, &g);
    return found;
}

size_t si_ttlmap_count(struct si_ttlmap *m)
{
    size_t n;

    pthread_mutex_lock(&m->lock);
    n = m->count;
    pthread_mutex_unlock(&m->lock);
    return n;
}
