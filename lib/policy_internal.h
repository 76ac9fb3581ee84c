/*
 * policy_internal.h: the compiled form of a policy, shared by the policy_*.c modules only.
 * Nothing outside lib/policy_*.c and lib/security*.c includes this header.
 *
 * Ownership: struct si_policy owns every object, rule and string below; conditions point to
 * objects (struct pobj) owned by the policy's object array, including anonymous objects created
 * for inline lists. Everything is immutable once si_policy_load*() has returned.
 */
#ifndef SI_POLICY_INTERNAL_H
#define SI_POLICY_INTERNAL_H

#include <stdatomic.h>

#include "cidr.h"
#include "nameset.h"
#include "policy.h"
#include "security.h"
#include "strmatch.h"

/* OBJ_CATEGORIES is a <categories> source (nothing loaded); OBJ_CATEGORY is one category of a
 * source, created and loaded when a rule first names it (find_object never returns it). */
enum pobj_kind { OBJ_NETWORK, OBJ_DOMAINS, OBJ_USERS, OBJ_GROUPS, OBJ_URLS, OBJ_CATEGORIES,
                 OBJ_CATEGORY, OBJ_KIND_COUNT };

/* A <category name file> entry of a <categories> source. */
struct catfile {
    char *name, *path; /* path resolved against the policy's directory */
    int line;
};

struct pobj {
    char *id; /* NULL for an inline list; the category's name for OBJ_CATEGORY */
    enum pobj_kind kind;
    int line;
    struct si_nameset *names;   /* domains, users, groups, category */
    struct si_cidr_list *cidrs; /* network */
    struct si_strmatch **pats;  /* urls */
    size_t npats;
    char *dir;                  /* categories: the resolved dir= (NULL: none) */
    struct catfile *cats;       /* categories: explicit <category> entries */
    size_t ncats;
    const struct pobj *src;     /* category: its source (an OBJ_CATEGORIES object) */
};

/* An OR of objects: the condition matches when any of them does. */
struct refs {
    struct pobj **v;
    size_t n;
};

/* For the unreachable-rule check: a condition kind and the tokens it ORs. */
struct ckey {
    char *key;
    char **tok;
    size_t n;
};

struct cond_common {
    struct refs nets, users, groups;
    bool has_nets, has_users, has_groups;
};

struct port_range {
    unsigned lo, hi;
};

struct insp_rule {
    char *id;
    int line;
    enum si_inspect_action action;
    bool verify_name;
    struct cond_common c;
    struct refs names;
    bool has_names;
    struct port_range *ports;
    size_t nports;
    bool has_ports;
    struct ckey *keys;
    size_t nkeys;
};

struct override {
    int line;
    struct refs names;
    char *label;
    int revocation, crl; /* -1 = inherit */
    long timeout_ms;     /* -1 = inherit */
};

struct header_cond {
    char *name;
    struct si_strmatch *m; /* NULL: header present */
};

enum body_kind { BODY_KEYWORD, BODY_REGEX, BODY_CARD };

struct body_cond {
    bool set;
    enum body_kind kind;
    unsigned min;
    char **keywords; /* lower-cased */
    size_t nkw;
    struct si_strmatch *re;
};

struct size_cond {
    bool set;
    unsigned long long min, max; /* max 0 = unbounded */
};

struct status_range {
    int lo, hi;
};

/* <malware/>: the side's body is scanned by clamd (the policy's malware-scanner settings). */
struct malware_cond {
    bool set;
    bool fail_open; /* on-error="fail-open"; default fail-closed */
    int line;
};

struct sec_side {
    struct header_cond *headers;
    size_t nheaders;
    struct body_cond body;
    struct size_cond size;
    struct malware_cond malware;
};

struct sec_rule {
    char *id;
    int line;
    enum si_sec_action action;
    bool monitor;
    char *location, *reason;
    enum si_sec_phase phase;
    struct cond_common c;
    char **methods;
    size_t nmethods;
    struct refs hosts;
    bool has_hosts;
    bool host_prefiltered; /* all its host names are in si_policy.host_union */
    struct refs url_lists;
    struct si_strmatch *url_m, *path_m, *query_m;
    struct sec_side req, resp;
    struct status_range *status;
    size_t nstatus;
    char **ctypes;
    size_t nctypes;
    unsigned filetypes;
    struct si_sec_mod *mods;
    size_t nmods;
    bool needs_body; /* body-match, file-type or body-size conditions */
    bool uses_body;  /* needs_body or replace-body */
    struct ckey *keys;
    size_t nkeys;
};

struct si_policy {
    atomic_int refs;
    char *source;
    char *base_dir;
    char digest[17];
    struct si_policy_settings settings;
    char *user_header, *groups_header, *block_template, *malware_socket;
    char *block_html; /* template text, NULL = built-in */
    struct pobj **objs;
    size_t nobjs;
    enum si_inspect_action insp_default;
    struct insp_rule *insp;
    size_t ninsp;
    struct si_validation_settings val_default;
    struct override *ovr;
    size_t novr;
    enum si_sec_action sec_default;
    struct sec_rule *sec;
    size_t nsec;
    /* Union of the host names of small host lists of security rules: a host that matches none
     * of them skips every prefiltered rule at once (500 host rules cost one lookup). */
    struct si_nameset *host_union;
    /* Indices, in rule order, of the security rules that are not host-prefiltered: when the
     * host misses host_union, only these can match, so evaluation walks them alone instead of
     * touching every rule (500 host rules, one lookup and no rule visited). */
    size_t *sec_unfiltered;
    size_t nsec_unfiltered;
    /* Per phase (enum si_sec_phase): any rule at all, any rule using or changing the body. */
    bool sec_phase_rules[2], sec_phase_body[2];
    /* Files read besides the policy (lists, categories, template) and the signature of their
     * identities taken just before each was read (si_policy_inputs_signature). */
    char **inputs;
    size_t ninputs;
    unsigned long long inputs_sig;
};

/* ---- shared by the load modules ---- */
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

struct _xmlNode;
/* policy_rules.c: compile sections (return 0 or -1 after lc_error). */
int pl_compile_inspection(struct load_ctx *lc, struct _xmlNode *sec);
int pl_compile_validation(struct load_ctx *lc, struct _xmlNode *sec);
int pl_compile_security(struct load_ctx *lc, struct _xmlNode *sec);
/* policy_objects.c */
int pl_compile_objects(struct load_ctx *lc, struct _xmlNode *sec);
int pl_compile_settings(struct load_ctx *lc, struct _xmlNode *sec);
int pl_resolve_refs(struct load_ctx *lc, int line, const char *ids, enum pobj_kind kind,
                    struct refs *out);
struct pobj *pl_inline_object(struct load_ctx *lc, enum pobj_kind kind, int line);
int pl_refs_add(struct refs *r, struct pobj *o);
int pl_names_inline(struct load_ctx *lc, int line, const char *text, enum pobj_kind kind,
                    struct refs *out);
char *pl_path_resolve(const struct si_policy *p, const char *file);
/* policy_load.c: records that the load reads path now (call just before reading it). */
void pl_input_add(struct si_policy *p, const char *path);
const char *pl_kind_name(enum pobj_kind k); /* "network" ... "categories" "category" */
/* policy_categories.c: a <categories> source (checks its dir and files; loads nothing), and
 * the category="names" attribute of a server-name/host condition: resolves each name, loads
 * the category on its first use, adds it to out and appends "%source:name " tokens to tok. */
int pl_compile_categories(struct load_ctx *lc, struct _xmlNode *n, struct pobj *o);
int pl_category_refs(struct load_ctx *lc, int line, const char *names, struct refs *out,
                     char *tok, size_t toksize);
void pl_free_categories(struct pobj *o);
void pl_free_objects(struct si_policy *p);
/* XML helpers: malloc'd copies (free()), NULL when absent. */
char *pl_attr(struct _xmlNode *n, const char *name);
char *pl_text(struct _xmlNode *n);
int pl_line(struct _xmlNode *n);
bool pl_is(struct _xmlNode *n, const char *name); /* element named name */
/* policy_hint.c: appends to msg what policy.rng allows, for a RELAX NG error about attributes
 * (libxml2's codes XML_RELAXNG_ERR_ATTRVALID, XML_RELAXNG_ERR_INVALIDATTR); else nothing. */
struct _xmlError;
void pl_schema_hint(const struct _xmlError *e, char *msg, size_t msgsize);
int pl_parse_size(const char *s, unsigned long long *out);
int pl_parse_duration_ms(const char *s, long *out);
/* policy_rules.c: shared conditions. pl_common_cond returns 1 if n was source/user/group. */
int pl_common_cond(struct load_ctx *lc, struct _xmlNode *n, struct cond_common *c,
                   struct ckey **keys, size_t *nkeys);
int pl_name_cond(struct load_ctx *lc, struct _xmlNode *n, struct refs *out, struct ckey **keys,
                 size_t *nkeys, const char *key);
/* policy_check.c: unreachable rules; ckey building */
int pl_ckey_add(struct ckey **keys, size_t *n, const char *key, const char *text);
void pl_ckeys_free(struct ckey *keys, size_t n);
int pl_check_unreachable(struct load_ctx *lc);
/* policy_rules.c: free compiled rules */
void pl_free_rules(struct si_policy *p);

/* policy_query.c: condition evaluation shared with security.c. reason may be NULL. */
bool pq_cond_common(const struct cond_common *c, const char *client_ip, const char *user,
                    const char *groups, char *reason, size_t rsize);
bool pq_names_match(const struct refs *r, const char *host, const char **which);
/* "domains 'x'", "category finance (ut1)", "the list on line 12" */
const char *pq_obj_label(const struct pobj *o, char *buf, size_t size);
void pq_reason_add(char *reason, size_t rsize, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
