/*
 * service.h: answers one new_certificate body: parse, cache lookup, forge, cache store.
 *
 * The reply body is "<certificate PEM><leaf private key PEM>", the format Squid reads. The CA
 * certificate and key of the last request are kept decoded (most requests carry the same CA), so
 * a cache hit costs no private-key decoding. The CA key is never written anywhere.
 *
 * Ownership: struct cg_service owns its keys, cache and CA memo; the reply buffer belongs to the
 * service and stays valid until the next cg_service_handle() call.
 * Thread-safety: one service per thread.
 */
#ifndef CG_SERVICE_H
#define CG_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "cache.h"
#include "forge.h"
#include "leafkeys.h"

#define CG_RECIPE_VERSION 1

struct cg_service_opts {
    int max_days;    /* forged lifetime cap, 1..90 */
    bool fresh_ec;   /* a new P-256 key for every certificate */
};

struct cg_ca_memo {
    char *pem;
    size_t pem_len;
    X509 *cert;
    EVP_PKEY *key;
    unsigned char fp[32]; /* SHA-256 of the CA certificate DER */
};

struct cg_service {
    struct cg_service_opts opts;
    struct cg_keys keys;
    struct cg_cache *cache; /* NULL: no cache */
    struct cg_ca_memo memo;
    char *reply;
    size_t reply_len, reply_cap;
    unsigned long hits, misses;
};

/* Takes over keys and cache (either may be empty/NULL for in-memory operation). */
void cg_service_init(struct cg_service *svc, const struct cg_service_opts *opts,
                     struct cg_keys *keys, struct cg_cache *cache);
void cg_service_free(struct cg_service *svc);

/* Returns 0 with svc->reply/reply_len set, or -1 with a reason in err (reply ERR). */
int cg_service_handle(struct cg_service *svc, const char *body, size_t len, time_t now,
                      char *err, size_t errsize);

#endif
