/* cli_policy.c: the built-in policy from inspect-ocsp's options (see cli_policy.h). */
#include "cli_policy.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settings.h"

static int one_of(const char *v, const char *const *words)
{
    for (size_t i = 0; words[i]; i++)
        if (!strcmp(v, words[i]))
            return 1;
    return 0;
}

static const char *const REVOCATION[] = {"off", "soft", "hard", NULL};
static const char *const CRL[] = {"off", "fallback", "always", NULL};

/* A server name as the policy's server-name attribute takes it (one word). */
static int good_name(const char *name, size_t len)
{
    if (len == 0 || len > 253)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (isspace((unsigned char)name[i]) || iscntrl((unsigned char)name[i]))
            return 0;
    return 1;
}

static int add_override(struct oc_cli_policy *c, const char *spec, char *err, size_t errsize)
{
    const char *eq = strrchr(spec, '=');
    char **n;

    if (!eq || !good_name(spec, (size_t)(eq - spec)) || !one_of(eq + 1, REVOCATION)) {
        snprintf(err, errsize, "--override '%s' is not NAME=off|soft|hard", spec);
        return -1;
    }
    if (!(n = realloc(c->overrides, (c->noverrides + 1) * sizeof(*n))) ||
        !(n[c->noverrides] = strdup(spec))) {
        if (n)
            c->overrides = n;
        snprintf(err, errsize, "out of memory");
        return -1;
    }
    c->overrides = n;
    c->noverrides++;
    return 0;
}

int oc_cli_policy_set(struct oc_cli_policy *c, int option, const char *value, char *err,
                        size_t errsize)
{
    const char *want = "a valid value";

    switch (option) {
    case 'r':
        if (one_of(value, REVOCATION)) {
            c->revocation = value;
            return 0;
        }
        want = "--revocation off|soft|hard";
        break;
    case 'c':
        if (one_of(value, CRL)) {
            c->crl = value;
            return 0;
        }
        want = "--crl off|fallback|always";
        break;
    case 't':
        if (oc_duration_ms(value) >= 0) {
            c->ocsp_timeout = value;
            return 0;
        }
        want = "--ocsp-timeout: a duration like 3s or 1500ms (at most 10m)";
        break;
    case 'o':
        return add_override(c, value, err, errsize);
    }
    snprintf(err, errsize, "'%s' is not %s", value, want);
    return -1;
}

int oc_cli_policy_given(const struct oc_cli_policy *c)
{
    return c->revocation || c->crl || c->ocsp_timeout || c->noverrides;
}

void oc_cli_policy_clear(struct oc_cli_policy *c)
{
    for (size_t i = 0; i < c->noverrides; i++)
        free(c->overrides[i]);
    free(c->overrides);
    c->overrides = NULL;
    c->noverrides = 0;
}

/* Writes s (len bytes) to f, XML-escaped for an attribute value. */
static void put_escaped(FILE *f, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        switch (s[i]) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default: fputc(s[i], f);
        }
    }
}

struct si_policy *oc_cli_policy_build(const struct oc_cli_policy *c, char *err,
                                        size_t errsize)
{
    char *xml = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&xml, &len);
    struct si_policy *p = NULL;
    long ms = c->ocsp_timeout ? oc_duration_ms(c->ocsp_timeout) : 3000;

    if (!f) {
        snprintf(err, errsize, "out of memory");
        return NULL;
    }
    /* One element a line: an override's "line N" in the logs is its place on the command line
     * plus 2. */
    fprintf(f, "<policy xmlns=\"urn:squid-inspect:policy:1\">\n"
               "<certificate-validation revocation=\"%s\" ocsp-timeout=\"%ldms\" crl=\"%s\">\n",
            c->revocation ? c->revocation : "soft", ms, c->crl ? c->crl : "fallback");
    for (size_t i = 0; i < c->noverrides; i++) {
        const char *eq = strrchr(c->overrides[i], '=');

        fputs("<override server-name=\"", f);
        put_escaped(f, c->overrides[i], (size_t)(eq - c->overrides[i]));
        fprintf(f, "\" revocation=\"%s\"/>\n", eq + 1);
    }
    fputs("</certificate-validation>\n</policy>\n", f);
    if (fclose(f) != 0 || !xml)
        snprintf(err, errsize, "out of memory");
    else
        p = si_policy_load_mem(xml, len, OCSP_CLI_POLICY_NAME, NULL, err, errsize);
    free(xml);
    return p;
}
