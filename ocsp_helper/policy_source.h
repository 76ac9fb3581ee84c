/*
 * policy_source.h: the <certificate-validation> section of the squid-inspect policy file as a
 * source of inspect-ocsp settings (revocation, ocsp-timeout, crl, per-server-name overrides).
 *
 * Ownership: ocsp_policy_source_load returns an opaque reference owned by the caller, released by
 * ocsp_policy_source_unref (accepts NULL).
 * Thread-safety: a loaded policy is immutable; apply may run on many threads at once.
 */
#ifndef OCSP_POLICY_SOURCE_H
#define OCSP_POLICY_SOURCE_H

#include <stddef.h>

#include "settings.h"

/* NULL with err (file:line when the loader can tell) on failure. */
void *ocsp_policy_source_load(const char *path, char *err, size_t errsize);
void ocsp_policy_source_unref(void *policy);

/* Applies the settings the policy gives server name host (may be NULL/"") onto eff. */
void ocsp_policy_source_apply(void *policy, const char *host, struct ocsp_settings *eff,
                              char *source, size_t size);

#endif
