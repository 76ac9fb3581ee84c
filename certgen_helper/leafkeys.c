/* leafkeys.c: leaf key files, creation, loading and rotation (see leafkeys.h). */
#include "leafkeys.h"
#include "errbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

static const char *const file_names[2] = {"leaf-rsa.pem", "leaf-ec.pem"};

static EVP_PKEY *generate(enum cg_key_type type)
{
    if (type == CG_KEY_RSA)
        return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

static char *to_pem(EVP_PKEY *key, size_t *len)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data, *out = NULL;
    long n;

    if (bio && PEM_write_bio_PKCS8PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) == 1 &&
        (n = BIO_get_mem_data(bio, &data)) > 0 && (out = malloc((size_t)n + 1))) {
        memcpy(out, data, (size_t)n);
        out[n] = '\0';
        *len = (size_t)n;
    }
    BIO_free(bio);
    return out;
}

/* Fills id, pem; takes ownership of key. */
static int leaf_set(struct cg_leaf *leaf, EVP_PKEY *key)
{
    unsigned char *der = NULL;
    int n = key ? i2d_PUBKEY(key, &der) : -1;
    unsigned int mdlen;

    memset(leaf, 0, sizeof(*leaf));
    if (n <= 0 || EVP_Digest(der, (size_t)n, leaf->id, &mdlen, EVP_sha256(), NULL) != 1 ||
        !(leaf->pem = to_pem(key, &leaf->pem_len)) || cg_leaf_pub_init(&leaf->pub, key) < 0) {
        OPENSSL_free(der);
        EVP_PKEY_free(key);
        free(leaf->pem);
        memset(leaf, 0, sizeof(*leaf));
        return -1;
    }
    OPENSSL_free(der);
    leaf->key = key;
    return 0;
}

void cg_leaf_clear(struct cg_leaf *leaf)
{
    if (!leaf)
        return;
    EVP_PKEY_free(leaf->key);
    cg_leaf_pub_clear(&leaf->pub);
    if (leaf->pem)
        OPENSSL_cleanse(leaf->pem, leaf->pem_len);
    free(leaf->pem);
    memset(leaf, 0, sizeof(*leaf));
}

int cg_leaf_fresh_ec(struct cg_leaf *leaf)
{
    return leaf_set(leaf, generate(CG_KEY_EC));
}

/* Writes a new key of type to a temp file in dir; returns its path in tmp. */
static int write_temp(const char *dir, enum cg_key_type type, char *tmp, size_t tmpsize, char *err,
                      size_t es)
{
    EVP_PKEY *key = generate(type);
    size_t len = 0;
    char *pem = key ? to_pem(key, &len) : NULL;
    int fd = -1, rc = -1;

    EVP_PKEY_free(key);
    if (!pem)
        return si_fail(err, es, "cannot generate a %s leaf key", type == CG_KEY_RSA ? "RSA" : "EC");
    snprintf(tmp, tmpsize, "%s/.%s.XXXXXX", dir, file_names[type]);
    fd = mkstemp(tmp); /* mode 0600 */
    if (fd < 0) {
        si_fail(err, es, "cannot create a key file in %s: %s", dir, strerror(errno));
        goto out;
    }
    if (write(fd, pem, len) != (ssize_t)len || fsync(fd) != 0) {
        si_fail(err, es, "cannot write the key file %s: %s", tmp, strerror(errno));
        unlink(tmp);
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    OPENSSL_cleanse(pem, len);
    free(pem);
    return rc;
}

static int load_file(struct cg_leaf *leaf, const char *path, char *err, size_t es)
{
    FILE *f = fopen(path, "r");
    EVP_PKEY *key;
    struct stat st;

    if (!f)
        return errno == ENOENT ? 1 : si_fail(err, es, "cannot open %s: %s", path, strerror(errno));
    if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
        fchmod(fileno(f), 0600); /* a leaf key is never readable by others */
    key = PEM_read_PrivateKey(f, NULL, NULL, (void *)"");
    fclose(f);
    if (!key)
        return si_fail(err, es, "%s is not a PEM private key", path);
    if (leaf_set(leaf, key) < 0)
        return si_fail(err, es, "cannot use the key in %s", path);
    leaf->dev = st.st_dev;
    leaf->ino = st.st_ino;
    return 0;
}

static int load_or_create(const char *dir, enum cg_key_type type, struct cg_leaf *leaf, char *err,
                          size_t es)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    int r;

    snprintf(path, sizeof(path), "%s/%s", dir, file_names[type]);
    r = load_file(leaf, path, err, es);
    if (r <= 0)
        return r;
    if (write_temp(dir, type, tmp, sizeof(tmp), err, es) < 0)
        return -1;
    if (link(tmp, path) != 0 && errno != EEXIST) {
        si_fail(err, es, "cannot create %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    unlink(tmp); /* on EEXIST another process won the race: use its key */
    r = load_file(leaf, path, err, es);
    return r == 1 ? si_fail(err, es, "%s vanished while starting", path) : r;
}

int cg_keys_load(struct cg_keys *keys, const char *dir, char *err, size_t errsize)
{
    memset(keys, 0, sizeof(*keys));
    if (dir && !(keys->dir = strdup(dir)))
        return si_fail(err, errsize, "out of memory");
    for (int t = CG_KEY_RSA; t <= CG_KEY_EC; t++) {
        int r = dir ? load_or_create(dir, t, &keys->leaf[t], err, errsize)
                    : leaf_set(&keys->leaf[t], generate(t));

        if (r < 0) {
            if (!dir)
                si_fail(err, errsize, "cannot generate the leaf keys");
            cg_keys_free(keys);
            return -1;
        }
    }
    return 0;
}

int cg_keys_refresh(struct cg_keys *keys, time_t now)
{
    char path[PATH_MAX], err[256];
    struct stat st;
    int changed = 0;

    if (!keys->dir || now < keys->next_check)
        return 0;
    keys->next_check = now + 1;
    for (int t = CG_KEY_RSA; t <= CG_KEY_EC; t++) {
        struct cg_leaf fresh;

        snprintf(path, sizeof(path), "%s/%s", keys->dir, file_names[t]);
        if (stat(path, &st) != 0 ||
            (st.st_ino == keys->leaf[t].ino && st.st_dev == keys->leaf[t].dev))
            continue;
        if (load_file(&fresh, path, err, sizeof(err)) != 0)
            continue; /* keep the current key; a half-written file is never renamed in */
        cg_leaf_clear(&keys->leaf[t]);
        keys->leaf[t] = fresh;
        changed = 1;
    }
    return changed;
}

const struct cg_leaf *cg_keys_get(const struct cg_keys *keys, enum cg_key_type type)
{
    return &keys->leaf[type == CG_KEY_EC ? CG_KEY_EC : CG_KEY_RSA];
}

void cg_keys_free(struct cg_keys *keys)
{
    if (!keys)
        return;
    cg_leaf_clear(&keys->leaf[0]);
    cg_leaf_clear(&keys->leaf[1]);
    free(keys->dir);
    memset(keys, 0, sizeof(*keys));
}

int cg_keys_rotate(const char *dir, char *err, size_t errsize)
{
    char path[PATH_MAX], tmp[PATH_MAX];

    for (int t = CG_KEY_RSA; t <= CG_KEY_EC; t++) {
        if (write_temp(dir, t, tmp, sizeof(tmp), err, errsize) < 0)
            return -1;
        snprintf(path, sizeof(path), "%s/%s", dir, file_names[t]);
        if (rename(tmp, path) != 0) {
            si_fail(err, errsize, "cannot replace %s: %s", path, strerror(errno));
            unlink(tmp);
            return -1;
        }
    }
    return 0;
}
