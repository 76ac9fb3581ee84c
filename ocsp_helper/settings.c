/* settings.c: revocation settings, overrides and the reloading holder (see settings.h). */
#include "settings.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "policy_holder.h"
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

/* ---- the holder: refcounted snapshots of the command-line settings plus the current policy,
 * which lib/policy_holder loads, checks for changes and keeps when a new file is broken ---- */

struct snapshot {
    struct ocsp_settings s; /* first member: the public pointer is the snapshot's address */
    unsigned refs;
};

struct ocsp_settings_holder {
    pthread_mutex_t lock; /* guards cur and the snapshots' refs */
    struct snapshot *cur;
    struct ocsp_settings cli;
    struct si_policy_holder *policy; /* NULL without a policy file */
    char *policy_path;
};

static void snapshot_unref(struct snapshot *snap)
{
    if (snap && --snap->refs == 0) {
        si_policy_unref(snap->s.policy);
        ocsp_settings_clear(&snap->s);
        free(snap);
    }
}

/* A fresh snapshot: cli's scalars and overrides, and policy p (its reference is taken over). */
static struct snapshot *snapshot_new(const struct ocsp_settings *cli, struct si_policy *p)
{
    struct snapshot *snap = calloc(1, sizeof(*snap));
    char err[64];

    if (!snap) {
        si_policy_unref(p);
        return NULL;
    }
    snap->s = *cli;
    snap->s.overrides = NULL;
    snap->s.noverrides = 0;
    snap->s.policy = p;
    snap->refs = 1;
    for (size_t i = 0; i < cli->noverrides; i++) {
        char spec[512];

        snprintf(spec, sizeof(spec), "%s=%s", cli->overrides[i].server_name,
                 ocsp_mode_name(cli->overrides[i].mode));
        if (ocsp_settings_add_override(&snap->s, spec, err, sizeof(err)) < 0) {
            snapshot_unref(snap);
            return NULL;
        }
    }
    return snap;
}

/* Makes the policy holder's current policy the settings' one, unless it already is. */
static void install_current(struct ocsp_settings_holder *h)
{
    struct snapshot *old = NULL, *snap;
    struct si_policy *p;
    struct ocsp_settings eff;
    char src[128];

    pthread_mutex_lock(&h->lock); /* held across get and swap: the newest policy wins */
    p = si_policy_holder_get(h->policy);
    if (p == h->cur->s.policy) {
        si_policy_unref(p);
    } else if ((snap = snapshot_new(&h->cli, p))) {
        old = h->cur;
        h->cur = snap;
    } else {
        si_error("policy %s loaded but not applied (out of memory)", h->policy_path);
    }
    if (old) {
        ocsp_settings_effective(&h->cur->s, NULL, &eff, src, sizeof(src));
        si_info("policy %s reloaded: revocation=%s ocsp-timeout=%ums crl=%s", h->policy_path,
                ocsp_mode_name(eff.mode), eff.ocsp_timeout_ms, ocsp_crl_name(eff.crl));
        snapshot_unref(old);
    }
    pthread_mutex_unlock(&h->lock);
}

struct ocsp_settings_holder *ocsp_settings_holder_new(const struct ocsp_settings *cli,
                                                      const char *policy_path, char *err,
                                                      size_t errsize)
{
    struct ocsp_settings_holder *h = calloc(1, sizeof(*h));
    struct si_policy *p = NULL;

    if (!h)
        goto oom;
    pthread_mutex_init(&h->lock, NULL);
    h->cli = *cli; /* scalars only are read from it; overrides stay owned by the caller */
    if (policy_path) {
        if (!(h->policy_path = strdup(policy_path)) ||
            !(h->policy = si_policy_holder_new(policy_path)))
            goto oom;
        if (si_policy_holder_load(h->policy, err, errsize) < 0)
            /* Exiting would make Squid stop ("helpers crashing too rapidly"): run on the
             * command-line settings and load the file as soon as it changes. */
            si_error("policy %s not loaded, using the command-line settings until it is fixed: %s",
                     policy_path, err);
        p = si_policy_holder_get(h->policy);
    }
    if (!(h->cur = snapshot_new(cli, p)))
        goto oom;
    return h;
oom:
    snprintf(err, errsize, "out of memory");
    ocsp_settings_holder_free(h);
    return NULL;
}

void ocsp_settings_holder_free(struct ocsp_settings_holder *h)
{
    if (!h)
        return;
    snapshot_unref(h->cur);
    si_policy_holder_free(h->policy);
    free(h->policy_path);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

void ocsp_settings_holder_maybe_reload(struct ocsp_settings_holder *h)
{
    char err[512];
    int rc;

    if (!h->policy)
        return;
    rc = si_policy_holder_reload_if_changed(h->policy, err, sizeof(err));
    if (rc < 0)
        si_error("policy %s not reloaded, keeping the previous settings: %s", h->policy_path, err);
    else if (rc > 0)
        install_current(h);
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
