/* cache.c: the shared LMDB certificate cache (see cache.h). */
#include "cache.h"
#include "errbuf.h"

#include <errno.h>
#include <limits.h>
#include <lmdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MIN_MAP (1024 * 1024)
#define HIGH_PCT 70 /* evict when the trees use more than this share of the map ... */
#define LOW_PCT 60  /* ... down to this share, leaving room for copy-on-write and the freelist */
#define PUT_TRIES 8
#define EVICT_BATCH 32 /* entries per transaction: each touched page is copied until commit */

struct cg_cache {
    MDB_env *env;
    MDB_dbi entries; /* key -> struct hdr + value */
    MDB_dbi queue;   /* big-endian seq -> key, oldest first */
    MDB_txn *rtxn;   /* reset between lookups, renewed for the next */
    size_t map_pages;
};

struct hdr {
    uint64_t seq;
    int64_t not_after;
    uint32_t flags;
    uint32_t len;
};

static void seq_key(uint64_t seq, unsigned char out[8])
{
    for (int i = 7; i >= 0; i--, seq >>= 8)
        out[i] = (unsigned char)(seq & 0xff);
}

static uint64_t seq_of(const MDB_val *v)
{
    const unsigned char *b = v->mv_data;
    uint64_t s = 0;

    for (size_t i = 0; i < v->mv_size && i < 8; i++)
        s = (s << 8) | b[i];
    return s;
}

static bool corrupt(int rc)
{
    return rc == MDB_INVALID || rc == MDB_CORRUPTED || rc == MDB_VERSION_MISMATCH ||
           rc == MDB_PAGE_NOTFOUND;
}

static int open_env(struct cg_cache *c, const char *path, size_t max_bytes)
{
    int rc = mdb_env_create(&c->env);

    if (rc)
        return rc;
    mdb_env_set_maxdbs(c->env, 2);
    mdb_env_set_maxreaders(c->env, 1024);
    mdb_env_set_mapsize(c->env, max_bytes);
    /* NOSYNC: a killed process loses nothing (its writes are in the kernel's page cache); only a
     * power cut can lose recent entries, and a cache rebuilds itself. */
    rc = mdb_env_open(c->env, path, MDB_NOSUBDIR | MDB_NOSYNC | MDB_NORDAHEAD, 0600);
    if (rc) {
        mdb_env_close(c->env);
        c->env = NULL;
    }
    return rc;
}

static int open_dbs(struct cg_cache *c)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(c->env, NULL, 0, &txn);

    if (rc)
        return rc;
    rc = mdb_dbi_open(txn, "entries", MDB_CREATE, &c->entries);
    if (!rc)
        rc = mdb_dbi_open(txn, "queue", MDB_CREATE, &c->queue);
    if (rc) {
        mdb_txn_abort(txn);
        return rc;
    }
    return mdb_txn_commit(txn);
}

struct cg_cache *cg_cache_open(const char *dir, size_t max_bytes, char *err, size_t errsize)
{
    struct cg_cache *c = calloc(1, sizeof(*c));
    char path[PATH_MAX], aside[PATH_MAX + 8];
    long psize = sysconf(_SC_PAGESIZE);
    MDB_envinfo info;
    int rc, dead;

    if (!c) {
        si_fail(err, errsize, "out of memory");
        return NULL;
    }
    if (max_bytes < MIN_MAP)
        max_bytes = MIN_MAP;
    max_bytes -= max_bytes % (size_t)psize;
    snprintf(path, sizeof(path), "%s/%s", dir, CG_CACHE_FILE);
    rc = open_env(c, path, max_bytes);
    if (corrupt(rc)) {
        snprintf(aside, sizeof(aside), "%s.broken", path);
        rename(path, aside);
        rc = open_env(c, path, max_bytes);
    }
    if (!rc) {
        mdb_reader_check(c->env, &dead); /* slots of readers killed mid-lookup */
        rc = open_dbs(c);
    }
    if (rc) {
        si_fail(err, errsize, "cannot open the cache %s: %s", path, mdb_strerror(rc));
        cg_cache_close(c);
        return NULL;
    }
    mdb_env_info(c->env, &info);
    c->map_pages = info.me_mapsize / (size_t)psize;
    return c;
}

void cg_cache_close(struct cg_cache *c)
{
    if (!c)
        return;
    if (c->rtxn)
        mdb_txn_abort(c->rtxn);
    if (c->env)
        mdb_env_close(c->env);
    free(c);
}

static int begin_read(struct cg_cache *c)
{
    if (c->rtxn)
        return mdb_txn_renew(c->rtxn);
    return mdb_txn_begin(c->env, NULL, MDB_RDONLY, &c->rtxn);
}

/* Last sequence number in the queue (0 when empty). */
static int last_seq(MDB_txn *txn, MDB_dbi queue, uint64_t *seq)
{
    MDB_cursor *cur;
    MDB_val k, v;
    int rc = mdb_cursor_open(txn, queue, &cur);

    if (rc)
        return rc;
    rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    *seq = rc == 0 ? seq_of(&k) : 0;
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* An entry older than half the queue is re-queued on a hit, so that hot entries survive. */
static bool needs_promotion(struct cg_cache *c, uint64_t seq)
{
    MDB_stat st;
    uint64_t last;

    if (mdb_stat(c->rtxn, c->entries, &st) || last_seq(c->rtxn, c->queue, &last))
        return false;
    return st.ms_entries > 16 && last - seq > st.ms_entries / 2;
}

long cg_cache_get(struct cg_cache *c, const unsigned char key[CG_CACHE_KEY_LEN],
                  struct cg_cache_meta *meta, void *buf, size_t bufsize, char *err, size_t errsize)
{
    MDB_val k = {CG_CACHE_KEY_LEN, (void *)key}, v;
    struct hdr h;
    bool promote;
    int rc = begin_read(c);

    if (rc)
        return si_fail(err, errsize, "cache read failed: %s", mdb_strerror(rc));
    rc = mdb_get(c->rtxn, c->entries, &k, &v);
    if (rc || v.mv_size < sizeof(h)) {
        mdb_txn_reset(c->rtxn);
        return rc == 0 || rc == MDB_NOTFOUND ? 0 : si_fail(err, errsize, "cache read failed: %s",
                                                        mdb_strerror(rc));
    }
    memcpy(&h, v.mv_data, sizeof(h));
    if (h.len != v.mv_size - sizeof(h) || h.len == 0 || h.len > bufsize) {
        mdb_txn_reset(c->rtxn);
        return 0;
    }
    memcpy(buf, (const char *)v.mv_data + sizeof(h), h.len);
    meta->not_after = h.not_after;
    meta->flags = h.flags;
    promote = needs_promotion(c, h.seq);
    mdb_txn_reset(c->rtxn);
    if (promote)
        cg_cache_put(c, key, meta, buf, h.len, NULL, 0); /* best effort */
    return (long)h.len;
}

/* Deletes the n oldest entries. */
static int evict(MDB_txn *txn, struct cg_cache *c, size_t n)
{
    MDB_cursor *cur;
    MDB_val k, v;
    int rc = mdb_cursor_open(txn, c->queue, &cur);

    while (!rc && n-- > 0) {
        rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
        if (rc)
            break;
        rc = mdb_del(txn, c->entries, &v, NULL);
        if (rc == 0 || rc == MDB_NOTFOUND)
            rc = mdb_cursor_del(cur, 0);
    }
    if (!rc || rc == MDB_NOTFOUND)
        rc = 0;
    if (cur)
        mdb_cursor_close(cur);
    return rc;
}

static size_t used_pages(MDB_txn *txn, MDB_dbi dbi)
{
    MDB_stat st;

    if (mdb_stat(txn, dbi, &st))
        return 0;
    return st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages;
}

/*
 * Keeps the trees under HIGH_PCT of the map: past it, each insertion first evicts a bounded batch
 * of the oldest entries (a large batch in one transaction would need as many fresh pages as it
 * touches, since copied pages are freed only at commit).
 */
static int keep_in_budget(MDB_txn *txn, struct cg_cache *c)
{
    size_t used = used_pages(txn, c->entries) + used_pages(txn, c->queue), n;
    MDB_stat st;

    if (used * 100 <= c->map_pages * HIGH_PCT || mdb_stat(txn, c->entries, &st))
        return 0;
    n = st.ms_entries * (used - c->map_pages * LOW_PCT / 100) / used + 1;
    return evict(txn, c, n < EVICT_BATCH ? n : EVICT_BATCH);
}

/* After MDB_MAP_FULL: evicts a batch in a transaction of its own. */
static int evict_batch(struct cg_cache *c)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(c->env, NULL, 0, &txn);

    if (rc)
        return rc;
    rc = evict(txn, c, EVICT_BATCH);
    if (rc) {
        mdb_txn_abort(txn);
        return rc;
    }
    return mdb_txn_commit(txn);
}

static int put_once(struct cg_cache *c, const unsigned char *key, const struct cg_cache_meta *meta,
                    const void *val, size_t len)
{
    MDB_val k = {CG_CACHE_KEY_LEN, (void *)key}, v, qk, qv = {CG_CACHE_KEY_LEN, (void *)key};
    unsigned char sk[8];
    struct hdr h = {0, meta->not_after, meta->flags, (uint32_t)len};
    MDB_txn *txn;
    int rc = mdb_txn_begin(c->env, NULL, 0, &txn);

    if (rc)
        return rc;
    rc = keep_in_budget(txn, c);
    if (!rc && mdb_get(txn, c->entries, &k, &v) == 0 && v.mv_size >= sizeof(h)) {
        struct hdr old;

        memcpy(&old, v.mv_data, sizeof(old));
        seq_key(old.seq, sk);
        qk = (MDB_val){sizeof(sk), sk};
        mdb_del(txn, c->queue, &qk, NULL);
    }
    if (!rc)
        rc = last_seq(txn, c->queue, &h.seq);
    h.seq++;
    seq_key(h.seq, sk);
    qk = (MDB_val){sizeof(sk), sk};
    if (!rc)
        rc = mdb_put(txn, c->queue, &qk, &qv, 0);
    v = (MDB_val){sizeof(h) + len, NULL};
    if (!rc)
        rc = mdb_put(txn, c->entries, &k, &v, MDB_RESERVE);
    if (!rc) {
        memcpy(v.mv_data, &h, sizeof(h));
        memcpy((char *)v.mv_data + sizeof(h), val, len);
        return mdb_txn_commit(txn);
    }
    mdb_txn_abort(txn);
    return rc;
}

int cg_cache_put(struct cg_cache *c, const unsigned char key[CG_CACHE_KEY_LEN],
                 const struct cg_cache_meta *meta, const void *val, size_t len, char *err,
                 size_t errsize)
{
    int rc;

    if (len == 0 || len > UINT32_MAX)
        return si_fail(err, errsize, "cache value of %zu bytes refused", len);
    rc = put_once(c, key, meta, val, len);
    if (rc == MDB_MAP_FULL) {
        int dead;

        mdb_reader_check(c->env, &dead); /* a reader killed mid-lookup pins old pages */
    }
    for (int i = 0; i < PUT_TRIES && rc == MDB_MAP_FULL; i++) {
        rc = evict_batch(c);
        if (!rc)
            rc = put_once(c, key, meta, val, len);
    }
    if (rc)
        return si_fail(err, errsize, "cache write failed: %s", mdb_strerror(rc));
    return 0;
}

long cg_cache_count(struct cg_cache *c)
{
    MDB_stat st;
    long n = -1;

    if (begin_read(c) == 0) {
        if (mdb_stat(c->rtxn, c->entries, &st) == 0)
            n = (long)st.ms_entries;
        mdb_txn_reset(c->rtxn);
    }
    return n;
}
