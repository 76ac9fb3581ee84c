/*
 * settings.h: the revocation settings of inspect-ocsp, in one struct.
 *
 * They mirror the <certificate-validation> section of the policy file (revocation off|soft|hard,
 * ocsp-timeout, crl, per-server-name overrides) and come from the command line, or from the
 * policy file once one is given (see ocsp_settings_holder below).
 *
 * Ownership: struct ocsp_settings is immutable once published; holders hand out references
 * (ocsp_settings_get) that the caller releases with ocsp_settings_put.
 *
 * Thread-safety: ocsp_settings_get/put and ocsp_settings_holder_maybe_reload may be called from any
 * thread. ocsp_settings_parse_option runs before threads start.
 */
#ifndef OCSP_SETTINGS_H
#define OCSP_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

enum ocsp_mode { OCSP_MODE_OFF = 0, OCSP_MODE_SOFT = 1, OCSP_MODE_HARD = 2 };
/* off: never; fallback: when OCSP gives no answer; always: also after a good OCSP answer */
enum ocsp_crl { OCSP_CRL_OFF = 0, OCSP_CRL_FALLBACK = 1, OCSP_CRL_ALWAYS = 2 };

struct ocsp_override {
    char *server_name; /* "a.example" exact, ".example" = example and any subdomain */
    enum ocsp_mode mode;
};

struct ocsp_settings {
    enum ocsp_mode mode;        /* default soft */
    unsigned ocsp_timeout_ms;   /* whole OCSP exchange including DNS; default 3000 */
    unsigned crl_timeout_ms;    /* whole CRL download including DNS; default 5000 */
    enum ocsp_crl crl;          /* default fallback */
    bool check_intermediates;   /* default off */
    bool nonce;                 /* send an OCSP nonce; default off (CDN responders ignore it) */
    size_t ocsp_max_bytes;      /* default 16 KiB */
    size_t crl_max_bytes;       /* default 8 MiB */
    unsigned skew_s;            /* allowed clock skew on thisUpdate/nextUpdate; default 300 */
    unsigned no_next_max_age_s; /* accept a response without nextUpdate this old; default 4 days */
    unsigned cache_max_s;       /* cap on any cached answer; default 86400 */
    unsigned no_next_ttl_s;     /* cache time of answers without nextUpdate; default 600 */
    size_t noverrides;
    struct ocsp_override *overrides;
    void *policy; /* set by the holder when a policy file is the source (policy_source.h) */
};

/* Fills defaults (no overrides). */
void ocsp_settings_defaults(struct ocsp_settings *s);
void ocsp_settings_clear(struct ocsp_settings *s);

/* Parses "off|soft|hard"; -1 when invalid. */
int ocsp_mode_parse(const char *text);
const char *ocsp_mode_name(enum ocsp_mode mode);
/* Parses "off|fallback|always"; -1 when invalid. */
int ocsp_crl_parse(const char *text);
const char *ocsp_crl_name(enum ocsp_crl crl);

/* Parses "3s", "1500ms", "2m", "3" (seconds) into milliseconds (1..600000). -1 when invalid. */
long ocsp_duration_ms(const char *text);

/* Adds one override "NAME=MODE"; -1 with err when invalid. */
int ocsp_settings_add_override(struct ocsp_settings *s, const char *spec, char *err,
                               size_t errsize);

/* The mode that applies to server name host (case-insensitive; the longest match wins). */
enum ocsp_mode ocsp_settings_mode_for(const struct ocsp_settings *s, const char *host);

/*
 * The settings for one server name: a shallow copy of s (overrides and policy cleared) with the
 * policy's or the overrides' revocation, ocsp-timeout and crl applied. source gets "defaults" or
 * what applied. eff is only valid while s is held.
 */
void ocsp_settings_effective(const struct ocsp_settings *s, const char *host,
                             struct ocsp_settings *eff, char *source, size_t size);

/*
 * The live settings: the command-line ones, or those read from a policy file (when policy_path is
 * set) through lib/policy_holder. A reload is attempted when the file's identity (device, inode,
 * size, mtime) changes; an invalid file keeps the previous settings and is logged. A policy that
 * cannot be loaded at start-up is logged and the command-line settings are used until the file
 * changes.
 */
struct ocsp_settings_holder;

struct ocsp_settings_holder *ocsp_settings_holder_new(const struct ocsp_settings *cli,
                                                      const char *policy_path, char *err,
                                                      size_t errsize);
void ocsp_settings_holder_free(struct ocsp_settings_holder *h);
/* Re-reads the policy file when it changed (stat on every call: every validation sees the
 * current file). A broken file is reported once per change and keeps the current settings. */
void ocsp_settings_holder_maybe_reload(struct ocsp_settings_holder *h);
const struct ocsp_settings *ocsp_settings_get(struct ocsp_settings_holder *h);
void ocsp_settings_put(struct ocsp_settings_holder *h, const struct ocsp_settings *s);

#endif
