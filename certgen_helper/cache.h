/*
 * cache.h: the forged-certificate cache shared by every inspect-certgen process on the machine.
 *
 * An LMDB environment in DIR/certs.lmdb (+ DIR/certs.lmdb-lock): one copy-on-write B+tree file
 * mapped by every helper process of every Squid worker. Readers take no lock and see a consistent
 * snapshot; writers are serialised by LMDB's robust process-shared mutex; a process killed at any
 * instant leaves the last committed state (the meta page flip is the commit). Its size is bounded
 * by the map size (-M): when a write finds the map full, the oldest entries are evicted (an
 * insertion-order queue, refreshed on hits that have aged past half the queue: an approximate
 * LRU) and the write is retried.
 *
 * Values are opaque bytes (the helper stores certificate PEM, and the key PEM of a fresh per-cert
 * key when that mode is on; never the CA key) with a not-after time and a flags word.
 *
 * Ownership: cg_cache_get() copies the value into a caller buffer. Thread-safety: one struct
 * cg_cache per process and thread (LMDB environments must not cross fork()).
 */
#ifndef CG_CACHE_H
#define CG_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define CG_CACHE_KEY_LEN 32
#define CG_CACHE_FILE "certs.lmdb"

struct cg_cache;

struct cg_cache_meta {
    int64_t not_after;
    uint32_t flags;
};

/* Opens (creating) DIR/certs.lmdb with a map of max_bytes. A file LMDB rejects as corrupt is
 * moved aside to certs.lmdb.broken and a new one is made. */
struct cg_cache *cg_cache_open(const char *dir, size_t max_bytes, char *err, size_t errsize);
void cg_cache_close(struct cg_cache *cache);

/*
 * Looks key up. Returns the value length (> 0) and fills *meta and buf (when it fits in bufsize),
 * 0 when absent, -1 on an error (err filled). A value larger than bufsize is reported as absent.
 */
long cg_cache_get(struct cg_cache *cache, const unsigned char key[CG_CACHE_KEY_LEN],
                  struct cg_cache_meta *meta, void *buf, size_t bufsize, char *err, size_t errsize);

/* Inserts or replaces key. Returns 0, or -1 (err filled; the helper goes on without storing). */
int cg_cache_put(struct cg_cache *cache, const unsigned char key[CG_CACHE_KEY_LEN],
                 const struct cg_cache_meta *meta, const void *val, size_t len, char *err,
                 size_t errsize);

/* Number of entries (for tests and the benchmark). */
long cg_cache_count(struct cg_cache *cache);

#endif
