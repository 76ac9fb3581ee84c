/*
 * ttlmap.h: a bounded, thread-safe hash map with a per-entry expiry time.
 *
 * Keys are opaque byte strings (copied in). Values are fixed-size blobs of type->value_size
 * bytes, copied in by put and out by get: a struct, or a single pointer to something the map
 * then owns. A value may hold references; type->drop releases them when the map discards the
 * value (replaced, removed, evicted, expired or freed with the map), and type->hold takes the
 * reader's own references on a copy handed out by get.
 *
 * Expiry: an entry is live while now <= its expiry time (the caller passes now, so tests need
 * no clock). Expired entries are never returned; they are freed when a lookup meets them or
 * when eviction reaches them.
 * Capacity: at most capacity entries. Inserting a new key into a full map evicts the least
 * recently used entry (get hits, put and update count as a use): O(1), no rescan.
 *
 * Ownership: the map copies keys and value blobs; put and update take over the references a
 * value holds (on failure they are dropped). get hands the caller a copy with the references
 * type->hold took for it.
 * Thread-safety: every function may be called from any thread; one mutex per map. The type's
 * hold and an update callback run under that mutex (keep them short, never call the map from
 * them); drop runs after the mutex is released, except in si_ttlmap_free.
 */
#ifndef SI_TTLMAP_H
#define SI_TTLMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct si_ttlmap_type {
    size_t value_size;       /* bytes of a value (> 0) */
    void (*drop)(void *value); /* releases what a discarded value holds; NULL: nothing */
    int (*hold)(void *copy);   /* get: takes the caller's references on a copy; -1 = a miss
                                  (nothing taken). NULL: the plain copy is enough */
};

struct si_ttlmap;

/* NULL when out of memory. capacity 0 counts as 1. type is copied. */
struct si_ttlmap *si_ttlmap_new(size_t capacity, const struct si_ttlmap_type *type);
void si_ttlmap_free(struct si_ttlmap *m); /* accepts NULL; drops every value */

/* Inserts or replaces key's value (copied; the map takes over the references it holds), live
 * until expires. 0, or -1 when out of memory (then value is dropped). */
int si_ttlmap_put(struct si_ttlmap *m, const void *key, size_t keylen, void *value,
                  time_t expires);

/* On a live hit copies the value into out (value_size bytes), holds it and returns true. */
bool si_ttlmap_get(struct si_ttlmap *m, const void *key, size_t keylen, time_t now, void *out);

enum si_ttlmap_verdict { SI_TTLMAP_STORE, SI_TTLMAP_DELETE };

/*
 * Read-modify-write of one key under the map's lock. fn gets the live value (found true) or a
 * zeroed one (found false; an expired entry counts as absent), and *expires (the entry's, or 0).
 * It may change both in place; whatever it replaces inside the value it releases itself.
 * SI_TTLMAP_STORE keeps the value (inserting it when absent, which may evict), SI_TTLMAP_DELETE
 * removes the entry or inserts nothing, and drops the value (so drop must accept a zeroed one).
 * Returns fn's verdict, or -1 when out of memory for a new entry (fn is then not called).
 */
typedef enum si_ttlmap_verdict (*si_ttlmap_update_fn)(void *value, bool found, time_t *expires,
                                                       void *arg);
int si_ttlmap_update(struct si_ttlmap *m, const void *key, size_t keylen, time_t now,
                     si_ttlmap_update_fn fn, void *arg);

/* Removes key (live or expired). True when it was there. */
bool si_ttlmap_remove(struct si_ttlmap *m, const void *key, size_t keylen);

/* Entries held, expired ones not yet freed included. */
size_t si_ttlmap_count(struct si_ttlmap *m);

#endif
