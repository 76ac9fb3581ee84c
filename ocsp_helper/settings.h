/*
 * settings.h: the transport settings of inspect-ocsp (deadlines, byte caps, clock skew, nonce,
 * cache lifetimes), from the command line.
 *
 * What to check for which server (revocation off|soft|hard, ocsp-timeout, crl, overrides) is
 * not here: it is the <certificate-validation> section of the policy that lib/policy_holder
 * keeps (the policy file, or the built-in one cli_policy.h makes from the command line), looked
 * up per request with si_policy_validation_for().
 *
 * Ownership: a plain struct, no allocation. Thread-safety: immutable once the workers start.
 */
#ifndef OCSP_SETTINGS_H
#define OCSP_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

struct oc_settings {
    unsigned crl_timeout_ms;    /* whole CRL download including DNS; default 5000 */
    bool check_intermediates;   /* default off */
    bool nonce;                 /* send an OCSP nonce; default off (CDN responders ignore it) */
    size_t ocsp_max_bytes;      /* default 16 KiB */
    size_t crl_max_bytes;       /* default 8 MiB */
    unsigned skew_s;            /* allowed clock skew on thisUpdate/nextUpdate; default 300 */
    unsigned no_next_max_age_s; /* accept a response without nextUpdate this old; default 4 days */
    unsigned cache_max_s;       /* cap on any cached answer; default 86400 */
    unsigned no_next_ttl_s;     /* cache time of answers without nextUpdate; default 600 */
};

void oc_settings_defaults(struct oc_settings *s);

/* A duration of lib/units.h ("3s", "1500ms", "2m", "3" seconds) in milliseconds, 1..600000;
 * -1 when invalid or out of range. */
long oc_duration_ms(const char *text);

#endif
