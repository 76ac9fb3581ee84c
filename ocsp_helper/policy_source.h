/*
 * policy_source.h: reads the <certificate-validation> section of the squid-inspect policy file
 * into struct ocsp_settings (revocation, ocsp-timeout, crl, per-server-name overrides).
 *
 * Ownership: fills the caller's settings; overrides already there are replaced.
 * Thread-safety: reentrant (no shared state of its own).
 */
#ifndef OCSP_POLICY_SOURCE_H
#define OCSP_POLICY_SOURCE_H

#include <stddef.h>

#include "settings.h"

/* Returns 0, or -1 with err (file:line when the loader can tell) and s unchanged in meaning. */
int ocsp_policy_source_load(const char *path, struct ocsp_settings *s, char *err, size_t errsize);

#endif
