/* settings.c: revocation settings, overrides and the reloading holder (see settings.h). */
#include "settings.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "policy_source.h"

void ocsp_settings_defaults(struct ocsp_settings *s)
{
    memset(s, 0, sizeof(*s));
    s->mode = OCSP_MODE_SOFT;
    s->ocsp_timeout_ms = 3000;
    s->crl_timeout_ms = 5000;
    s->crl = OCSP_CRL_FALLBACK;
    s->ocsp_max_bytes = 16 * 1024;
    s->crl_max_bytes = 8 * 1024 * 1024;
    s->skew_s = 300;
    s->no_next_max_age_s = 4 * 86400;
    s->cache_max_s = 86400;
    s->no_next_ttl_s = 600;
}

void ocsp_settings_clear(struct ocsp_settings *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->noverrides; i++)
        free(s->overrides[i].server_name);
    free(s->overrides);
    s->overrides = NULL;
    s->noverrides = 0;
}

int ocsp_mode_parse(const char *text)
{
    if (!text)
        return -1;
    if (strcasecmp(text, "off") == 0)
        return OCSP_MODE_OFF;
    if (strcasecmp(text, "soft") == 0)
        return OCSP_MODE_SOFT;
    if (strcasecmp(text, "hard") == 0)
        return OCSP_MODE_HARD;
    return -1;
}

const char *ocsp_mode_name(enum ocsp_mode mode)
{
    return mode == OCSP_MODE_OFF ? "off" : mode == OCSP_MODE_HARD ? "hard" : "soft";
}

int ocsp_crl_parse(const char *text)
{
    if (!text)
        return -1;
    if (strcasecmp(text, "off") == 0)
        return OCSP_CRL_OFF;
    if (strcasecmp(text, "fallback") == 0)
        return OCSP_CRL_FALLBACK;
    if (strcasecmp(text, "always") == 0)
        return OCSP_CRL_ALWAYS;
    return -1;
}

const char *ocsp_crl_name(enum ocsp_crl crl)
{
    return crl == OCSP_CRL_OFF ? "off" : crl == OCSP_CRL_ALWAYS ? "always" : "fallback";
}

long ocsp_duration_ms(const char *text)
{
    char *end;
    double v;

    if (!text || !*text)
        return -1;
    v = strtod(text, &end);
    if (end == text || v <= 0)
        return -1;
    if (strcmp(end, "ms") == 0)
        ;
    else if (strcmp(end, "m") == 0)
        v *= 60000.0;
    else if (*end == '\0' || strcmp(end, "s") == 0)
        v *= 1000.0;
    else
        return -1;
    if (v < 1 || v > 600000)
        return -1;
    return (long)v;
}

int ocsp_settings_add_override(struct ocsp_settings *s, const char *spec, char *err,
                               size_t errsize)
{
    const char *eq = strrchr(spec, '=');
    struct ocsp_override *n;
    int mode;

    if (!eq || eq == spec || (mode = ocsp_mode_parse(eq + 1)) < 0) {
        snprintf(err, errsize, "override '%s' is not NAME=off|soft|hard", spec);
        return -1;
    }
    n = realloc(s->overrides, (s->noverrides + 1) * sizeof(*n));
    if (!n) {
        snprintf(err, errsize, "out of memory");
        return -1;
    }
    s->overrides = n;
    n[s->noverrides].server_name = strndup(spec, (size_t)(eq - spec));
    if (!n[s->noverrides].server_name) {
        snprintf(err, errsize, "out of memory");
        return -1;
    }
    n[s->noverrides].mode = (enum ocsp_mode)mode;
    s->noverrides++;
    return 0;
}

/* Length of the match of pattern against host, or 0 when it does not apply. */
static size_t match_len(const char *pattern, const char *host)
{
    size_t pl = strlen(pattern), hl = strlen(host);

    if (pattern[0] == '.') {
        if (hl == pl - 1 && strcasecmp(host, pattern + 1) == 0)
            return pl;
        if (hl > pl && strcasecmp(host + hl - pl, pattern) == 0)
            return pl;
        return 0;
    }
    return strcasecmp(pattern, host) == 0 ? pl + 1 : 0; /* exact beats a suffix of equal size */
}

enum ocsp_mode ocsp_settings_mode_for(const struct ocsp_settings *s, const char *host)
{
    enum ocsp_mode mode = s->mode;
    size_t best = 0;

    if (!host || !*host)
        return mode;
    for (size_t i = 0; i < s->noverrides; i++) {
        size_t m = match_len(s->overrides[i].server_name, host);

        if (m > best) {
            best = m;
            mode = s->overrides[i].mode;
        }
    }
    return mode;
}

void ocsp_settings_effective(const struct ocsp_settings *s, const char *host,
                             struct ocsp_settings *eff, char *source, size_t size)
{
    *eff = *s;
    eff->overrides = NULL;
    eff->noverrides = 0;
    eff->policy = NULL;
    snprintf(source, size, "defaults");
    if (s->policy) {
        ocsp_policy_source_apply(s->policy, host, eff, source, size);
        return;
    }
    eff->mode = ocsp_settings_mode_for(s, host);
    if (eff->mode != s->mode)
        snprintf(source, size, "override for %.100s", host);
}

/* ---- the holder: refcounted snapshots ---- */

struct snapshot {
    struct ocsp_settings s; /* first member: the public pointer is the snapshot's address */
    unsigned refs;
};

struct ocsp_settings_holder {
    pthread_mutex_t lock;
    struct snapshot *cur;
    struct ocsp_settings cli;
    char *policy_path;
    struct timespec mtime;
    off_t size;
};

static void snapshot_unref(struct snapshot *snap)
{
    if (snap && --snap->refs == 0) {
        ocsp_policy_source_unref(snap->s.policy);
        ocsp_settings_clear(&snap->s);
        free(snap);
    }
}

/* Copies cli's scalars and overrides into a fresh snapshot. */
static struct snapshot *snapshot_from(const struct ocsp_settings *src)
{
    struct snapshot *snap = calloc(1, sizeof(*snap));
    char err[64];

    if (!snap)
        return NULL;
    snap->s = *src;
    snap->s.overrides = NULL;
    snap->s.noverrides = 0;
    snap->s.policy = NULL;
    snap->refs = 1;
    for (size_t i = 0; i < src->noverrides; i++) {
        char spec[512];

        snprintf(spec, sizeof(spec), "%s=%s", src->overrides[i].server_name,
                 ocsp_mode_name(src->overrides[i].mode));
        if (ocsp_settings_add_override(&snap->s, spec, err, sizeof(err)) < 0) {
            snapshot_unref(snap);
            return NULL;
        }
    }
    return snap;
}

/* Loads the policy file into a new snapshot; NULL with err on failure. */
static struct snapshot *load_policy(struct ocsp_settings_holder *h, char *err, size_t errsize)
{
    struct snapshot *snap = snapshot_from(&h->cli);
    struct stat st;

    if (!snap) {
        snprintf(err, errsize, "out of memory");
        return NULL;
    }
    if (stat(h->policy_path, &st) == 0) {
        h->mtime = st.st_mtim;
        h->size = st.st_size;
    }
    if (!(snap->s.policy = ocsp_policy_source_load(h->policy_path, err, errsize))) {
        snapshot_unref(snap);
        return NULL;
    }
    return snap;
}

struct ocsp_settings_holder *ocsp_settings_holder_new(const struct ocsp_settings *cli,
                                                      const char *policy_path, char *err,
                                                      size_t errsize)
{
    struct ocsp_settings_holder *h = calloc(1, sizeof(*h));

    if (!h) {
        snprintf(err, errsize, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&h->lock, NULL);
    h->cli = *cli; /* scalars only are read from it; overrides stay owned by the caller */
    if (policy_path && (h->policy_path = strdup(policy_path)) &&
        !(h->cur = load_policy(h, err, errsize)))
        /* Exiting would make Squid stop ("helpers crashing too rapidly"): run on the
         * command-line settings and load the file as soon as it changes. */
        si_error("policy %s not loaded, using the command-line settings until it is fixed: %s",
                 policy_path, err);
    if (!h->cur && !(h->cur = snapshot_from(cli)))
        snprintf(err, errsize, "out of memory");
    if (!h->cur) {
        ocsp_settings_holder_free(h);
        return NULL;
    }
    return h;
}

void ocsp_settings_holder_free(struct ocsp_settings_holder *h)
{
    if (!h)
        return;
    snapshot_unref(h->cur);
    free(h->policy_path);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

/* True when the file looks different from the last load; called with the lock held. */
static bool policy_changed(struct ocsp_settings_holder *h)
{
    struct stat st;

    if (stat(h->policy_path, &st) < 0)
        return false; /* a missing file keeps the current settings */
    return st.st_mtim.tv_sec != h->mtime.tv_sec || st.st_mtim.tv_nsec != h->mtime.tv_nsec ||
           st.st_size != h->size;
}

void ocsp_settings_holder_maybe_reload(struct ocsp_settings_holder *h)
{
    char err[512];

    if (!h->policy_path)
        return;
    pthread_mutex_lock(&h->lock);
    if (policy_changed(h)) {
        struct snapshot *snap = load_policy(h, err, sizeof(err));

        if (snap) {
            struct ocsp_settings eff;
            char src[128];

            snapshot_unref(h->cur);
            h->cur = snap;
            ocsp_settings_effective(&snap->s, NULL, &eff, src, sizeof(src));
            si_info("policy %s reloaded: revocation=%s ocsp-timeout=%ums crl=%s",
                    h->policy_path, ocsp_mode_name(eff.mode), eff.ocsp_timeout_ms,
                    ocsp_crl_name(eff.crl));
        } else {
            si_error("policy %s not reloaded, keeping the previous settings: %s", h->policy_path,
                     err);
        }
    }
    pthread_mutex_unlock(&h->lock);
}

const struct ocsp_settings *ocsp_settings_get(struct ocsp_settings_holder *h)
{
    struct snapshot *snap;

    pthread_mutex_lock(&h->lock);
    snap = h->cur;
    snap->refs++;
    pthread_mutex_unlock(&h->lock);
    return &snap->s;
}

void ocsp_settings_put(struct ocsp_settings_holder *h, const struct ocsp_settings *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&h->lock);
    snapshot_unref((struct snapshot *)(void *)s);
    pthread_mutex_unlock(&h->lock);
}
