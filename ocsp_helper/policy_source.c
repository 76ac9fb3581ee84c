/* policy_source.c: settings from the policy file through lib/policy (see policy_source.h). */
#include "policy_source.h"

#include <stdio.h>

#include "policy.h"

void ocsp_policy_source_apply(void *policy, const char *host, struct ocsp_settings *eff,
                              char *source, size_t size)
{
    struct si_validation_settings vs;

    si_policy_validation_for(policy, host && *host ? host : NULL, &vs);
    eff->mode = vs.revocation == SI_REVOCATION_OFF    ? OCSP_MODE_OFF
                : vs.revocation == SI_REVOCATION_HARD ? OCSP_MODE_HARD
                                                      : OCSP_MODE_SOFT;
    eff->crl = vs.crl == SI_CRL_OFF ? OCSP_CRL_OFF
               : vs.crl == SI_CRL_ALWAYS ? OCSP_CRL_ALWAYS
                                         : OCSP_CRL_FALLBACK;
    if (vs.ocsp_timeout_ms > 0)
        eff->ocsp_timeout_ms = vs.ocsp_timeout_ms;
    snprintf(source, size, "policy %s", vs.source);
}
