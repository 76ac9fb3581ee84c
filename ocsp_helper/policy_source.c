/* policy_source.c: settings from the policy file (see policy_source.h).
 * Until lib/policy lands on main this build has no policy loader: the command-line options are the
 * only source, and --policy is refused with a clear message. */
#include "policy_source.h"

#include <stdio.h>

int ocsp_policy_source_load(const char *path, struct ocsp_settings *s, char *err, size_t errsize)
{
    (void)s;
    snprintf(err, errsize, "%s: this build has no policy loader; use --revocation, "
             "--ocsp-timeout, --crl and --override instead", path);
    return -1;
}
