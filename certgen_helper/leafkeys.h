/*
 * leafkeys.h: the leaf key pairs forged certificates carry (never the CA key).
 *
 * One RSA-2048 key (for RSA origins and requests with no origin) and one P-256 key (for other
 * origins), kept as PKCS#8 PEM files leaf-rsa.pem and leaf-ec.pem, mode 0600, in the cache
 * directory. The first process to start creates them (temp file + link(2), so concurrent starters
 * agree on one key); later ones load them. Rotation writes new files and rename(2)s them in place;
 * running helpers notice the new inode within a second (cg_keys_refresh) and the key id, which is
 * part of every cache key, makes old cache entries unreachable. Without a directory the keys live
 * in memory only. Optionally every EC certificate gets a fresh P-256 key (cg_keys_fresh_ec).
 *
 * Ownership: struct cg_keys owns its keys and PEM strings; cg_keys_free() releases them. A struct
 * cg_leaf returned by cg_keys_get() stays valid until the next cg_keys_refresh() or free.
 * Thread-safety: one struct per thread (helpers are single-threaded).
 */
#ifndef CG_LEAFKEYS_H
#define CG_LEAFKEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include <openssl/evp.h>

#include "forge.h"

#define CG_KEY_ID_LEN 32

struct cg_leaf {
    EVP_PKEY *key;
    struct cg_leaf_pub pub;          /* encoded public key for cg_forge() */
    unsigned char id[CG_KEY_ID_LEN]; /* SHA-256 of the SubjectPublicKeyInfo DER */
    char *pem;                       /* PKCS#8 PEM of the private key */
    size_t pem_len;
    dev_t dev;
    ino_t ino;
};

struct cg_keys {
    char *dir; /* NULL: in memory */
    struct cg_leaf leaf[2]; /* indexed by enum cg_key_type */
    time_t next_check;
};

/* Loads (creating when missing) both keys from dir, or makes them in memory when dir is NULL. */
int cg_keys_load(struct cg_keys *keys, const char *dir, char *err, size_t errsize);
/* Reloads a key whose file was replaced; checked at most once a second. Returns 1 if changed. */
int cg_keys_refresh(struct cg_keys *keys, time_t now);
const struct cg_leaf *cg_keys_get(const struct cg_keys *keys, enum cg_key_type type);
void cg_keys_free(struct cg_keys *keys);

/* Replaces both key files in dir by new keys (for an operator's rotation). */
int cg_keys_rotate(const char *dir, char *err, size_t errsize);

/* Fills leaf with a new P-256 key (id and PEM included). Release with cg_leaf_clear(). */
int cg_leaf_fresh_ec(struct cg_leaf *leaf);
void cg_leaf_clear(struct cg_leaf *leaf);

#endif
