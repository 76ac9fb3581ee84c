/*
 * policy_check.c: the unreachable-rule check.
 *
 * Every compiled condition records a key (its kind, e.g. "source", "server-name",
 * "request-header:x-foo") and the tokens it ORs ("@finance-sites", "10.0.0.0/8", a pattern...).
 * Conditions of different keys are ANDed. An earlier rule A makes a later rule B unreachable
 * when A always stops evaluation (not mode="monitor", same phase) and, for every key of A, B has
 * that key with tokens that are a subset of A's. This is conservative: it reports only rules
 * that provably can never match, never a false alarm.
 */
#include "policy_loadctx.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int pl_ckey_add(struct ckey **keys, size_t *n, const char *key, const char *text)
{
    struct ckey *nv = realloc(*keys, (*n + 1) * sizeof(*nv));
    char *copy = strdup(text ? text : ""), *save = NULL;

    if (!nv || !copy) {
        if (nv)
            *keys = nv;
        free(copy);
        return -1;
    }
    *keys = nv;
    struct ckey *k = &nv[(*n)++];
    k->key = strdup(key);
    k->tok = NULL;
    k->n = 0;
    for (char *w = strtok_r(copy, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save)) {
        char **tv = realloc(k->tok, (k->n + 1) * sizeof(*tv));
        if (!tv)
            break;
        k->tok = tv;
        k->tok[k->n++] = strdup(w);
    }
    if (k->n == 0) { /* a condition with no words (e.g. payment-card) is one empty token */
        k->tok = malloc(sizeof(*k->tok));
        if (k->tok) {
            k->tok[0] = strdup("");
            k->n = 1;
        }
    }
    free(copy);
    return k->key ? 0 : -1;
}

void pl_ckeys_free(struct ckey *keys, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < keys[i].n; j++)
            free(keys[i].tok[j]);
        free(keys[i].tok);
        free(keys[i].key);
    }
    free(keys);
}

static bool has_token(const struct ckey *k, const char *t)
{
    for (size_t i = 0; i < k->n; i++)
        if (k->tok[i] && strcmp(k->tok[i], t) == 0)
            return true;
    return false;
}

/* Does B's condition set imply A's (every key of A present in B with a token subset)? */
static bool shadows(const struct ckey *a, size_t na, const struct ckey *b, size_t nb)
{
    for (size_t i = 0; i < na; i++) {
        bool covered = false;
        for (size_t j = 0; j < nb && !covered; j++) {
            if (strcmp(a[i].key, b[j].key) != 0)
                continue;
            covered = true;
            for (size_t t = 0; t < b[j].n && covered; t++)
                covered = b[j].tok[t] && has_token(&a[i], b[j].tok[t]);
        }
        if (!covered)
            return false;
    }
    return true;
}

int pl_check_unreachable(struct load_ctx *lc)
{
    const struct si_policy *p = lc->p;
    int rc = 0;

    for (size_t j = 0; j < p->ninsp; j++)
        for (size_t i = 0; i < j; i++)
            if (shadows(p->insp[i].keys, p->insp[i].nkeys, p->insp[j].keys, p->insp[j].nkeys)) {
                rc = lc_error(lc, p->insp[j].line,
                              "https-inspection rule '%s' can never match: rule '%s' (line %d) "
                              "matches everything it matches",
                              p->insp[j].id, p->insp[i].id, p->insp[i].line);
                break;
            }
    for (size_t j = 0; j < p->nsec; j++)
        for (size_t i = 0; i < j; i++) {
            const struct sec_rule *a = &p->sec[i], *b = &p->sec[j];
            if (a->monitor || a->phase != b->phase)
                continue;
            if (shadows(a->keys, a->nkeys, b->keys, b->nkeys)) {
                rc = lc_error(lc, b->line,
                              "security-policy rule '%s' can never match: rule '%s' (line %d) "
                              "matches everything it matches",
                              b->id, a->id, a->line);
                break;
            }
        }
    return rc;
}
