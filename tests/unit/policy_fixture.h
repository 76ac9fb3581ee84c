/* policy_fixture.h: helpers for the policy unit tests (load a policy body from a string). */
#ifndef POLICY_FIXTURE_H
#define POLICY_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define NS_OPEN "<policy xmlns=\"urn:squid-inspect:policy:1\">"

/* Loads "<policy ...>body</policy>"; base directory is the source tree's schema/examples. */
static inline struct si_policy *load_body(const char *body, char *err, size_t errsize)
{
    size_t n = strlen(NS_OPEN) + strlen(body) + 16;
    char *xml = malloc(n);
    struct si_policy *p;

    snprintf(xml, n, NS_OPEN "%s</policy>", body);
    p = si_policy_load_mem(xml, strlen(xml), "t.xml", SRCDIR "/schema/examples", err, errsize);
    free(xml);
    return p;
}

#endif
