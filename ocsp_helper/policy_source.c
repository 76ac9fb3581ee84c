/* policy_source.c: settings from the policy file (see policy_source.h).
 * Until lib/policy lands on main this build has no policy loader: the command-line options are the
 * only source, and --policy is refused with a clear message. */
#include "policy_source.h"

#include <stdio.h>

void *ocsp_policy_source_load(const char *path, char *err, size_t errsize)
{
    snprintf(err, errsize, "%s: this build has no policy loader; use --revocation, "
             "--ocsp-timeout, --crl and --override instead", path);
    return NULL;
}

void ocsp_policy_source_unref(void *policy)
{
    (void)policy;
}

void ocsp_policy_source_apply(void *policy, const char *host, struct ocsp_settings *eff,
                              char *source, size_t size)
{
    (void)policy;
    (void)host;
    (void)eff;
    (void)source;
    (void)size;
}
