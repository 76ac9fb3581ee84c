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

/* For Criterion tests that declare `static char err[N]`: body must be refused, err must hold
 * needle. */
#define ASSERT_FAILS_WITH(body, needle)                                                     \
    do {                                                                                    \
        struct si_policy *p_ = load_body(body, err, sizeof(err));                           \
        cr_assert_null(p_, "policy should have been refused");                              \
        cr_assert(strstr(err, needle), "error was: %s", err);                               \
    } while (0)

#endif
