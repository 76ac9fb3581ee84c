/*
 * cli_policy.h: inspect-ocsp's built-in policy, made from its command-line revocation options
 * (--revocation, --ocsp-timeout, --crl, --override NAME=MODE) the way srv_inspect makes its
 * built-in empty policy: a <certificate-validation> document loaded with si_policy_load_mem(),
 * so that the options mean exactly what the same attributes mean in a policy file (overrides
 * in the order given, the first match wins) and si_policy_validation_for() is the only lookup.
 * It is enforced when there is no policy file, and when the file cannot be loaded at start-up.
 *
 * Ownership: struct oc_cli_policy owns its override strings (oc_cli_policy_clear frees
 * them); the option values it points at are borrowed (argv). Thread-safety: start-up only.
 */
#ifndef OCSP_CLI_POLICY_H
#define OCSP_CLI_POLICY_H

#include <stddef.h>

#include "policy.h"

#define OCSP_CLI_POLICY_NAME "built-in policy from the inspect-ocsp command line"

struct oc_cli_policy {
    const char *revocation;   /* "off|soft|hard" or NULL (soft) */
    const char *ocsp_timeout; /* a duration (settings.h) or NULL (3s) */
    const char *crl;          /* "off|fallback|always" or NULL (fallback) */
    char **overrides;         /* "NAME=MODE" */
    size_t noverrides;
};

/* Checks one option value ('r' revocation, 'c' crl, 't' ocsp-timeout, 'o' override) and keeps
 * it. -1 with err when invalid. */
int oc_cli_policy_set(struct oc_cli_policy *c, int option, const char *value, char *err,
                        size_t errsize);
/* True when any of the options above was given. */
int oc_cli_policy_given(const struct oc_cli_policy *c);
void oc_cli_policy_clear(struct oc_cli_policy *c);

/* The built-in policy (one reference), or NULL with err. */
struct si_policy *oc_cli_policy_build(const struct oc_cli_policy *c, char *err,
                                        size_t errsize);

#endif
