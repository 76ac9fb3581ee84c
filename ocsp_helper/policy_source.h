/*
 * policy_source.h: the <certificate-validation> section of the squid-inspect policy file as a
 * source of inspect-ocsp settings (revocation, ocsp-timeout, crl, per-server-name overrides).
 *
 * The policy is loaded, reloaded and reference-counted by the settings holder (settings.c, on
 * lib/policy_holder); this file only maps its validation settings onto struct ocsp_settings.
 * Thread-safety: a loaded policy is immutable; apply may run on many threads at once.
 */
#ifndef OCSP_POLICY_SOURCE_H
#define OCSP_POLICY_SOURCE_H

#include <stddef.h>

#include "settings.h"

/* Applies the settings the policy gives server name host (may be NULL/"") onto eff. */
void ocsp_policy_source_apply(void *policy, const char *host, struct ocsp_settings *eff,
                              char *source, size_t size);

#endif
