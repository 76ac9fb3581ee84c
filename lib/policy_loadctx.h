/*
 * policy_loadctx.h: the load context shared by the modules that compile a policy
 * (policy_load.c, policy_objects.c, policy_categories.c, policy_rules.c, policy_secrules.c,
 * policy_check.c), implemented in policy_loadctx.c, which depends on none of them.
 *
 * Ownership: a struct load_ctx lives on si_policy_load_mem()'s stack; err is the caller's
 * buffer. Objects created here belong to lc->p (freed by pl_free_objects()). Strings returned
 * by the XML helpers are malloc'd copies (free()). Thread-safety: one load context per thread;
 * the functions keep no state of their own.
 */
#ifndef SI_POLICY_LOADCTX_H
#define SI_POLICY_LOADCTX_H

#include <stdbool.h>
#include <stddef.h>

#include "policy_internal.h"

struct load_ctx {
    struct si_policy *p;
    const char *name; /* for messages */
    char *err;
    size_t errsize;
    size_t nerr;
};

/* Appends "name:line: msg" as one more line of ctx->err. Always returns -1. */
int lc_error(struct load_ctx *lc, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records that the load reads path now (call just before reading it). */
void pl_input_add(struct si_policy *p, const char *path);

/* XML helpers: malloc'd copies (free()), NULL when absent. */
char *pl_attr(struct _xmlNode *n, const char *name);
char *pl_text(struct _xmlNode *n);
int pl_line(struct _xmlNode *n);
bool pl_is(struct _xmlNode *n, const char *name); /* element named name */

/* file resolved against the policy's directory (absolute paths unchanged); NULL: no memory. */
char *pl_path_resolve(const struct si_policy *p, const char *file);

/* Objects. pl_new_object adds an object to lc->p, taking id (NULL: anonymous); NULL after
 * lc_error. pl_find_object: an object declared in <objects> (categories have their own name
 * space), or NULL. pl_refs_add appends o to r (-1: no memory). */
struct pobj *pl_new_object(struct load_ctx *lc, enum pobj_kind kind, int line, char *id);
struct pobj *pl_find_object(const struct si_policy *p, const char *id);
struct pobj *pl_inline_object(struct load_ctx *lc, enum pobj_kind kind, int line);
int pl_refs_add(struct refs *r, struct pobj *o);
/* The objects of <objects> named by the space-separated ids, each of kind kind, into out. */
int pl_resolve_refs(struct load_ctx *lc, int line, const char *ids, enum pobj_kind kind,
                    struct refs *out);
/* An inline list of names (domains, users, groups) as an anonymous object, into out. */
int pl_names_inline(struct load_ctx *lc, int line, const char *text, enum pobj_kind kind,
                    struct refs *out);

#endif
