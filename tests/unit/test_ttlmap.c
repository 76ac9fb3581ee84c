/*
 * Unit tests for lib/ttlmap: expiry, the capacity bound, least-recently-used eviction, replace,
 * read-modify-write, held (reference-counted) values, and concurrent use from several threads.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ttlmap.h"

/* ---- a plain blob value ---- */

struct pair {
    int a, b;
};

static const struct si_ttlmap_type PAIR = {.value_size = sizeof(struct pair)};

static void put_pair(struct si_ttlmap *m, const char *key, int a, time_t expires)
{
    struct pair p = {a, -a};

    cr_assert_eq(si_ttlmap_put(m, key, strlen(key), &p, expires), 0);
}

static bool has(struct si_ttlmap *m, const char *key, time_t now)
{
    struct pair p;

    return si_ttlmap_get(m, key, strlen(key), now, &p);
}

/* ---- a reference-counted value: the blob is one pointer the map owns ---- */

struct obj {
    atomic_int refs;
    int id;
};

static atomic_int live_objs;

static struct obj *obj_new(int id)
{
    struct obj *o = malloc(sizeof(*o));

    if (!o) /* runs on worker threads too, where a Criterion assertion cannot stop the test */
        abort();
    atomic_init(&o->refs, 1);
    o->id = id;
    atomic_fetch_add(&live_objs, 1);
    return o;
}

static void obj_unref(struct obj *o)
{
    if (o && atomic_fetch_sub(&o->refs, 1) == 1) {
        free(o);
        atomic_fetch_sub(&live_objs, 1);
    }
}

static void obj_drop(void *value)
{
    obj_unref(*(struct obj **)value);
}

static int obj_hold(void *copy)
{
    struct obj *o = *(struct obj **)copy;

    if (o->id < 0) /* a value the test marks as unusable: the reader gets a miss */
        return -1;
    atomic_fetch_add(&o->refs, 1);
    return 0;
}

static const struct si_ttlmap_type OBJ = {
    .value_size = sizeof(struct obj *), .drop = obj_drop, .hold = obj_hold};

static void put_obj(struct si_ttlmap *m, const char *key, int id, time_t expires)
{
    struct obj *o = obj_new(id);

    cr_assert_eq(si_ttlmap_put(m, key, strlen(key), &o, expires), 0);
}

static int get_obj_id(struct si_ttlmap *m, const char *key, time_t now)
{
    struct obj *o = NULL;
    int id;

    if (!si_ttlmap_get(m, key, strlen(key), now, &o))
        return -1;
    id = o->id;
    obj_unref(o);
    return id;
}

static void reset_objs(void)
{
    atomic_store(&live_objs, 0);
}

TestSuite(ttlmap, .init = reset_objs);

Test(ttlmap, live_until_expiry_inclusive_then_gone)
{
    struct si_ttlmap *m = si_ttlmap_new(8, &PAIR);
    struct pair p = {0, 0};

    put_pair(m, "k", 7, 100);
    cr_assert(si_ttlmap_get(m, "k", 1, 99, &p));
    cr_assert_eq(p.a, 7);
    cr_assert_eq(p.b, -7);
    cr_assert(has(m, "k", 100), "live at its expiry second");
    cr_assert_eq(si_ttlmap_count(m), 1);
    cr_assert_not(has(m, "k", 101), "expired one second later");
    cr_assert_eq(si_ttlmap_count(m), 0, "an expired entry met by a lookup is freed");
    cr_assert_not(has(m, "other", 0));
    si_ttlmap_free(m);
}

Test(ttlmap, expired_values_are_dropped)
{
    struct si_ttlmap *m = si_ttlmap_new(8, &OBJ);

    put_obj(m, "a", 1, 10);
    put_obj(m, "b", 2, 20);
    cr_assert_eq(atomic_load(&live_objs), 2);
    cr_assert_eq(get_obj_id(m, "a", 11), -1);
    cr_assert_eq(atomic_load(&live_objs), 1, "the expired value was released");
    cr_assert_eq(get_obj_id(m, "b", 11), 2);
    si_ttlmap_free(m);
    cr_assert_eq(atomic_load(&live_objs), 0, "free releases every value");
}

/* Fills a map of capacity cap (holding eff entries) with 100 keys. */
static void fill_and_check(size_t cap, int eff)
{
    struct si_ttlmap *m = si_ttlmap_new(cap, &OBJ);
    char key[16];

    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof(key), "key%d", i);
        put_obj(m, key, i, 1000);
        cr_assert_leq(si_ttlmap_count(m), (size_t)eff);
    }
    cr_assert_eq(si_ttlmap_count(m), (size_t)eff);
    cr_assert_eq(atomic_load(&live_objs), eff, "evicted values were released");
    for (int i = 100 - eff; i < 100; i++) {
        snprintf(key, sizeof(key), "key%d", i);
        cr_assert_eq(get_obj_id(m, key, 0), i, "the newest entries stay");
    }
    snprintf(key, sizeof(key), "key%d", 99 - eff);
    cr_assert_eq(get_obj_id(m, key, 0), -1);
    si_ttlmap_free(m);
    cr_assert_eq(atomic_load(&live_objs), 0);
}

Test(ttlmap, capacity_is_never_exceeded)
{
    fill_and_check(3, 3);
    fill_and_check(0, 1); /* capacity 0 counts as 1 */
}

Test(ttlmap, eviction_takes_the_least_recently_used)
{
    struct si_ttlmap *m = si_ttlmap_new(3, &PAIR);

    put_pair(m, "a", 1, 1000);
    put_pair(m, "b", 2, 1000);
    put_pair(m, "c", 3, 1000);
    cr_assert(has(m, "a", 0)); /* a is now the most recently used; b the least */
    put_pair(m, "d", 4, 1000);
    cr_assert_not(has(m, "b", 0), "b was the least recently used");
    cr_assert(has(m, "a", 0));
    cr_assert(has(m, "c", 0));
    cr_assert(has(m, "d", 0));
    /* order of use now: a c d; a replace counts as a use */
    put_pair(m, "a", 10, 1000);
    put_pair(m, "e", 5, 1000);
    cr_assert_not(has(m, "c", 0), "c was the least recently used");
    cr_assert(has(m, "a", 0));
    cr_assert_eq(si_ttlmap_count(m), 3);
    si_ttlmap_free(m);
}

Test(ttlmap, replace_keeps_one_entry_and_drops_the_old_value)
{
    struct si_ttlmap *m = si_ttlmap_new(4, &OBJ);

    put_obj(m, "k", 1, 10);
    put_obj(m, "k", 2, 50);
    cr_assert_eq(si_ttlmap_count(m), 1);
    cr_assert_eq(atomic_load(&live_objs), 1, "the replaced value was released");
    cr_assert_eq(get_obj_id(m, "k", 30), 2, "new value and new expiry");
    si_ttlmap_free(m);
    cr_assert_eq(atomic_load(&live_objs), 0);
}

Test(ttlmap, keys_are_bytes)
{
    struct si_ttlmap *m = si_ttlmap_new(8, &PAIR);
    const unsigned char k1[] = {0, 1, 2}, k2[] = {0, 1, 3};
    struct pair p = {1, 1}, q = {2, 2}, e = {3, 3}, out;

    cr_assert_eq(si_ttlmap_put(m, k1, sizeof(k1), &p, 10), 0);
    cr_assert_eq(si_ttlmap_put(m, k2, sizeof(k2), &q, 10), 0);
    cr_assert_eq(si_ttlmap_put(m, "", 0, &e, 10), 0);
    cr_assert(si_ttlmap_get(m, k1, sizeof(k1), 0, &out));
    cr_assert_eq(out.a, 1);
    cr_assert(si_ttlmap_get(m, k2, sizeof(k2), 0, &out));
    cr_assert_eq(out.a, 2);
    cr_assert(si_ttlmap_get(m, NULL, 0, 0, &out), "the empty key, also as NULL");
    cr_assert_eq(out.a, 3);
    cr_assert_not(si_ttlmap_get(m, k1, 2, 0, &out), "a prefix is another key");
    si_ttlmap_free(m);
}

Test(ttlmap, a_value_that_cannot_be_held_is_a_miss)
{
    struct si_ttlmap *m = si_ttlmap_new(4, &OBJ);

    put_obj(m, "bad", -5, 10);
    cr_assert_eq(get_obj_id(m, "bad", 0), -1);
    cr_assert_eq(si_ttlmap_count(m), 1, "still stored");
    si_ttlmap_free(m);
    cr_assert_eq(atomic_load(&live_objs), 0);
}

Test(ttlmap, remove)
{
    struct si_ttlmap *m = si_ttlmap_new(4, &OBJ);

    put_obj(m, "k", 1, 10);
    cr_assert(si_ttlmap_remove(m, "k", 1));
    cr_assert_not(si_ttlmap_remove(m, "k", 1));
    cr_assert_eq(si_ttlmap_count(m), 0);
    cr_assert_eq(atomic_load(&live_objs), 0);
    si_ttlmap_free(m);
}

/* update: counts calls in a pair; b < 0 asks for a delete. */
static enum si_ttlmap_verdict bump(void *value, bool found, time_t *expires, void *arg)
{
    struct pair *p = value;
    int *seen_found = arg;

    *seen_found = found;
    if (p->b < 0)
        return SI_TTLMAP_DELETE;
    p->a++;
    *expires = found ? *expires + 10 : 100;
    return SI_TTLMAP_STORE;
}

Test(ttlmap, update_inserts_modifies_and_deletes)
{
    struct si_ttlmap *m = si_ttlmap_new(4, &PAIR);
    struct pair out;
    int found = -1;

    cr_assert_eq(si_ttlmap_update(m, "k", 1, 0, bump, &found), SI_TTLMAP_STORE);
    cr_assert_eq(found, 0);
    cr_assert_eq(si_ttlmap_update(m, "k", 1, 0, bump, &found), SI_TTLMAP_STORE);
    cr_assert_eq(found, 1);
    cr_assert(si_ttlmap_get(m, "k", 1, 110, &out), "expiry moved from 100 to 110");
    cr_assert_eq(out.a, 2);
    cr_assert_not(has(m, "k", 111));
    cr_assert_eq(si_ttlmap_update(m, "k", 1, 111, bump, &found), SI_TTLMAP_STORE);
    cr_assert_eq(found, 0, "an expired entry counts as absent");
    cr_assert(si_ttlmap_get(m, "k", 1, 0, &out));
    cr_assert_eq(out.a, 1);
    put_pair(m, "k", 5, 100); /* b = -5: the next update deletes */
    cr_assert_eq(si_ttlmap_update(m, "k", 1, 0, bump, &found), SI_TTLMAP_DELETE);
    cr_assert_eq(si_ttlmap_count(m), 0);
    si_ttlmap_free(m);
}

Test(ttlmap, update_insert_evicts_when_full)
{
    struct si_ttlmap *m = si_ttlmap_new(2, &PAIR);
    int found;

    put_pair(m, "a", 1, 100);
    put_pair(m, "b", 2, 100);
    cr_assert_eq(si_ttlmap_update(m, "c", 1, 0, bump, &found), SI_TTLMAP_STORE);
    cr_assert_eq(si_ttlmap_count(m), 2);
    cr_assert_not(has(m, "a", 0));
    cr_assert(has(m, "c", 0));
    si_ttlmap_free(m);
}

/* ---- concurrency ---- */

#define THREADS 4
#define ROUNDS 4000
#define SHARED 8

struct worker {
    struct si_ttlmap *counters; /* SHARED keys, never evicted */
    struct si_ttlmap *churn;    /* small: constant eviction and replacement */
    int n;
};

static enum si_ttlmap_verdict incr(void *value, bool found, time_t *expires, void *arg)
{
    (void)found;
    (void)arg;
    ((struct pair *)value)->a++;
    *expires = 1000;
    return SI_TTLMAP_STORE;
}

static void *work(void *arg)
{
    struct worker *w = arg;
    char key[32];

    for (int i = 0; i < ROUNDS; i++) {
        int k = (i * 7 + w->n) % 64, id;

        snprintf(key, sizeof(key), "c%d", i % SHARED);
        if (si_ttlmap_update(w->counters, key, strlen(key), 0, incr, NULL) != SI_TTLMAP_STORE)
            return "update failed";
        snprintf(key, sizeof(key), "k%d", k);
        if (i % 3 == 0) {
            struct obj *o = obj_new(k);

            if (si_ttlmap_put(w->churn, key, strlen(key), &o, i % 5 ? 1000 : 1) != 0)
                return "put failed";
        } else if (i % 11 == 0) {
            si_ttlmap_remove(w->churn, key, strlen(key));
        } else if ((id = get_obj_id(w->churn, key, i % 2 ? 0 : 2)) != -1 && id != k) {
            return "a get returned another key's value";
        }
        if (si_ttlmap_count(w->churn) > 16)
            return "capacity exceeded";
    }
    return NULL;
}

Test(ttlmap, concurrent_threads)
{
    struct si_ttlmap *counters = si_ttlmap_new(SHARED, &PAIR), *churn = si_ttlmap_new(16, &OBJ);
    struct worker w[THREADS];
    pthread_t t[THREADS];
    char key[32];

    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){counters, churn, i};
        cr_assert_eq(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        void *res;

        cr_assert_eq(pthread_join(t[i], &res), 0);
        cr_assert_null(res, "thread %d: %s", i, (const char *)res);
    }
    for (int i = 0; i < SHARED; i++) {
        struct pair p;

        snprintf(key, sizeof(key), "c%d", i);
        cr_assert(si_ttlmap_get(counters, key, strlen(key), 0, &p));
        cr_assert_eq(p.a, THREADS * ROUNDS / SHARED, "no lost update on %s", key);
    }
    cr_assert_leq(si_ttlmap_count(churn), 16);
    si_ttlmap_free(churn);
    si_ttlmap_free(counters);
    cr_assert_eq(atomic_load(&live_objs), 0, "every value released exactly once");
}
