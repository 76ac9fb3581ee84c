/*
 * policy_load.c: reading, parsing, schema validation and lifetime of a policy (policy.h).
 * Sections are compiled by policy_objects.c and policy_rules.c; semantic checks that span
 * sections by policy_check.c.
 */
#include "policy_internal.h"

#include <errno.h>
#include <libxml/parser.h>
#include <libxml/xmlversion.h>
#include <libxml/relaxng.h>
#include <libxml/tree.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define POLICY_NS "urn:squid-inspect:policy:1"
#define POLICY_MAX_BYTES (64u << 20)

extern const char si_policy_rng[];      /* schema/policy.rng, generated into policy_rng.c */
extern const unsigned long si_policy_rng_len;

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
    xmlInitParser();
}

int lc_error(struct load_ctx *lc, int line, const char *fmt, ...)
{
    size_t used = strlen(lc->err);
    va_list ap;

    if (lc->nerr++ >= SI_POLICY_MAX_ERRORS || used + 2 >= lc->errsize)
        return -1;
    if (used) {
        lc->err[used++] = '\n';
        lc->err[used] = '\0';
    }
    int n = line > 0 ? snprintf(lc->err + used, lc->errsize - used, "%s:%d: ", lc->name, line)
                     : snprintf(lc->err + used, lc->errsize - used, "%s: ", lc->name);
    if (n < 0 || (size_t)n >= lc->errsize - used)
        return -1;
    used += (size_t)n;
    va_start(ap, fmt);
    vsnprintf(lc->err + used, lc->errsize - used, fmt, ap);
    va_end(ap);
    return -1;
}

/* libxml2 2.12 made the structured error callback's error const (xmlStructuredErrorFunc). */
#if LIBXML_VERSION >= 21200
typedef const xmlError *si_xml_error_ptr;
#else
typedef xmlErrorPtr si_xml_error_ptr;
#endif

/* libxml2 structured error callback: one "file:line: message" per error. */
static void xml_error(void *data, si_xml_error_ptr e)
{
    struct load_ctx *lc = data;
    char msg[700];
    size_t n;

    if (!e || e->level == XML_ERR_WARNING)
        return;
    snprintf(msg, sizeof(msg), "%s", e->message ? e->message : "unknown XML error");
    n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    pl_schema_hint(e, msg, sizeof(msg));
    if (e->domain == XML_FROM_RELAXNGV && e->node)
        lc_error(lc, xmlGetLineNo((xmlNodePtr)e->node), "%s", msg);
    else
        lc_error(lc, e->line, "%s", msg);
}

/* SAX hook: a DOCTYPE can declare entities (expansion bombs, external files): refuse it. */
static void reject_doctype(void *ctx, const xmlChar *name, const xmlChar *eid, const xmlChar *sid)
{
    xmlParserCtxtPtr c = ctx;
    (void)name, (void)eid, (void)sid;
    struct load_ctx *lc = c->_private;
    lc_error(lc, xmlSAX2GetLineNumber(ctx), "DOCTYPE declarations are not allowed in a policy");
    xmlStopParser(c);
}

static xmlDocPtr parse_xml(struct load_ctx *lc, const char *xml, size_t len)
{
    xmlParserCtxtPtr c = xmlNewParserCtxt();
    xmlDocPtr doc;

    if (!c) {
        lc_error(lc, 0, "out of memory");
        return NULL;
    }
    c->_private = lc;
    c->sax->internalSubset = reject_doctype;
    xmlSetStructuredErrorFunc(lc, xml_error);
    doc = xmlCtxtReadMemory(c, xml, (int)len, lc->name, NULL,
                            XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_NOWARNING);
    if (doc && (!c->wellFormed || lc->nerr)) {
        xmlFreeDoc(doc);
        doc = NULL;
    }
    if (!doc && lc->nerr == 0)
        lc_error(lc, 0, "not a well-formed XML document");
    xmlSetStructuredErrorFunc(NULL, NULL);
    xmlFreeParserCtxt(c);
    return doc;
}

static int validate(struct load_ctx *lc, xmlDocPtr doc)
{
    xmlRelaxNGParserCtxtPtr pc = xmlRelaxNGNewMemParserCtxt(si_policy_rng, (int)si_policy_rng_len);
    xmlRelaxNGPtr schema = pc ? xmlRelaxNGParse(pc) : NULL;
    xmlRelaxNGValidCtxtPtr vc = schema ? xmlRelaxNGNewValidCtxt(schema) : NULL;
    int rc = -1;

    if (!vc) {
        lc_error(lc, 0, "internal error: the built-in policy schema does not load");
        goto out;
    }
    xmlRelaxNGSetValidStructuredErrors(vc, xml_error, lc);
    if (xmlRelaxNGValidateDoc(vc, doc) == 0)
        rc = 0;
    else if (lc->nerr == 0)
        lc_error(lc, 0, "the document does not match the policy schema");
out:
    xmlRelaxNGFreeValidCtxt(vc);
    xmlRelaxNGFree(schema);
    xmlRelaxNGFreeParserCtxt(pc);
    return rc;
}

static int compile_sections(struct load_ctx *lc, xmlNodePtr root)
{
    static const char *const order[] = {"settings", "objects", "https-inspection",
                                        "certificate-validation", "security-policy"};
    int (*const fns[])(struct load_ctx *, xmlNodePtr) = {
        pl_compile_settings, pl_compile_objects, pl_compile_inspection, pl_compile_validation,
        pl_compile_security};
    int rc = 0;

    /* objects first, whatever the document order, so that rules can reference them */
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
        for (xmlNodePtr n = root->children; n; n = n->next)
            if (n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, BAD_CAST order[i]))
                if (fns[i](lc, n) < 0)
                    rc = -1;
    if (rc == 0)
        rc = pl_check_unreachable(lc);
    return rc;
}

static void set_defaults(struct si_policy *p)
{
    p->settings.user_header = "X-Client-Username";
    p->settings.groups_header = "X-Authenticated-Groups";
    p->settings.inspection_limit = 16ull << 20;
    p->settings.malware_timeout_ms = 30000;
    p->settings.malware_max_body = 100ull << 20;
    p->insp_default = SI_INSPECT_INSPECT;
    p->val_default.revocation = SI_REVOCATION_SOFT;
    p->val_default.ocsp_timeout_ms = 3000;
    p->val_default.crl = SI_CRL_FALLBACK;
    snprintf(p->val_default.source, sizeof(p->val_default.source), "defaults");
    p->sec_default = SI_SEC_ALLOW;
}

/* Feeds the bytes of file path (or "-" when it cannot be read) into md. */
static void digest_file(EVP_MD_CTX *md, const char *path)
{
    FILE *f = fopen(path, "rb");
    char buf[16384];
    size_t n;

    EVP_DigestUpdate(md, path, strlen(path) + 1);
    if (!f) {
        EVP_DigestUpdate(md, "-", 1);
        return;
    }
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        EVP_DigestUpdate(md, buf, n);
    fclose(f);
}

/* SHA-256 of the policy document followed by, for each file it read (lists, category files,
 * template, in load order), its name and bytes. The inputs are read again here, after the
 * load: an input changed in between also changes its identity (pl_input_add), so the holder
 * reloads it and the next digest describes it. */
static void digest_of(const struct si_policy *p, const char *xml, size_t len, char out[17])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
             EVP_DigestUpdate(ctx, xml, len);

    for (size_t i = 0; ok && i < p->ninputs; i++)
        digest_file(ctx, p->inputs[i]);
    ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) && mdlen >= 8;
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        snprintf(out, 17, "0000000000000000");
        return;
    }
    for (int i = 0; i < 8; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static char *dir_of(const char *path)
{
    const char *slash = path ? strrchr(path, '/') : NULL;

    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

struct si_policy *si_policy_load_mem(const char *xml, size_t len, const char *name,
                                     const char *base_dir, char *err, size_t errsize)
{
    char dummy[8];
    struct load_ctx lc = {.name = name ? name : "policy", .err = err, .errsize = errsize};
    struct si_policy *p = calloc(1, sizeof(*p));
    xmlDocPtr doc = NULL;
    xmlNodePtr root;

    if (!err || errsize == 0) {
        lc.err = dummy;
        lc.errsize = sizeof(dummy);
    }
    lc.err[0] = '\0';
    pthread_once(&xml_once, xml_init);
    if (!p) {
        lc_error(&lc, 0, "out of memory");
        return NULL;
    }
    atomic_init(&p->refs, 1);
    lc.p = p;
    set_defaults(p);
    p->source = strdup(lc.name);
    p->base_dir = strdup(base_dir ? base_dir : ".");
    if (!p->source || !p->base_dir || len > INT32_MAX) {
        lc_error(&lc, 0, "out of memory or document too large");
        goto fail;
    }
    if (!(doc = parse_xml(&lc, xml, len)) || validate(&lc, doc) < 0)
        goto fail;
    root = xmlDocGetRootElement(doc);
    if (!root || !root->ns || !xmlStrEqual(root->ns->href, BAD_CAST POLICY_NS)) {
        lc_error(&lc, root ? xmlGetLineNo(root) : 0, "root element must be <policy xmlns=\"%s\">",
                 POLICY_NS);
        goto fail;
    }
    if (compile_sections(&lc, root) < 0)
        goto fail;
    xmlFreeDoc(doc);
    digest_of(p, xml, len, p->digest);
    return p;
fail:
    xmlFreeDoc(doc);
    si_policy_unref(p);
    return NULL;
}

static char *read_file(const char *path, size_t *len, char *err, size_t errsize)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    char *buf = NULL;

    if (!f) {
        snprintf(err, errsize, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode) ||
        (unsigned long long)st.st_size > POLICY_MAX_BYTES) {
        snprintf(err, errsize, "%s: not a regular file of at most %u MiB", path,
                 POLICY_MAX_BYTES >> 20);
        fclose(f);
        return NULL;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (buf && fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        snprintf(err, errsize, "%s: read error", path);
        free(buf);
        buf = NULL;
    } else if (!buf) {
        snprintf(err, errsize, "%s: out of memory", path);
    } else {
        buf[st.st_size] = '\0';
        *len = (size_t)st.st_size;
    }
    fclose(f);
    return buf;
}

struct si_policy *si_policy_load(const char *path, char *err, size_t errsize)
{
    char dummy[8];
    size_t len = 0;
    char *dir, *xml;
    struct si_policy *p = NULL;

    if (!err || errsize == 0) {
        err = dummy;
        errsize = sizeof(dummy);
    }
    if (!path) {
        snprintf(err, errsize, "no policy file given");
        return NULL;
    }
    if (!(xml = read_file(path, &len, err, errsize)))
        return NULL;
    dir = dir_of(path);
    if (dir)
        p = si_policy_load_mem(xml, len, path, dir, err, errsize);
    else
        snprintf(err, errsize, "out of memory");
    free(dir);
    free(xml);
    return p;
}

struct si_policy *si_policy_ref(struct si_policy *p)
{
    if (p)
        atomic_fetch_add(&p->refs, 1);
    return p;
}

void si_policy_unref(struct si_policy *p)
{
    if (!p || atomic_fetch_sub(&p->refs, 1) != 1)
        return;
    pl_free_rules(p);
    pl_free_objects(p);
    for (size_t i = 0; i < p->ninputs; i++)
        free(p->inputs[i]);
    free(p->inputs);
    free(p->user_header);
    free(p->groups_header);
    free(p->block_template);
    free(p->malware_socket);
    free(p->block_html);
    free(p->source);
    free(p->base_dir);
    free(p);
}

const char *si_policy_digest(const struct si_policy *p)
{
    return p->digest;
}

const char *si_policy_source(const struct si_policy *p)
{
    return p->source;
}

const struct si_policy_settings *si_policy_settings(const struct si_policy *p)
{
    return &p->settings;
}

const char *si_policy_block_html(const struct si_policy *p)
{
    return p->block_html;
}

static unsigned long long fnv(unsigned long long h, const void *data, size_t n)
{
    const unsigned char *b = data;

    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* Folds path and its identity now (or "absent") into h. */
static unsigned long long fold_identity(unsigned long long h, const char *path)
{
    struct stat st;

    h = fnv(h, path, strlen(path) + 1);
    if (stat(path, &st) < 0)
        return fnv(h, "-", 1);
    h = fnv(h, &st.st_dev, sizeof(st.st_dev));
    h = fnv(h, &st.st_ino, sizeof(st.st_ino));
    h = fnv(h, &st.st_size, sizeof(st.st_size));
    h = fnv(h, &st.st_mtim.tv_sec, sizeof(st.st_mtim.tv_sec));
    return fnv(h, &st.st_mtim.tv_nsec, sizeof(st.st_mtim.tv_nsec));
}

#define SIG_SEED 1469598103934665603ull

void pl_input_add(struct si_policy *p, const char *path)
{
    char **nv = realloc(p->inputs, (p->ninputs + 1) * sizeof(*nv));

    if (!nv)
        return; /* only the watch for changes is lost */
    p->inputs = nv;
    if (!(p->inputs[p->ninputs] = strdup(path)))
        return;
    p->ninputs++;
    p->inputs_sig = fold_identity(p->inputs_sig ? p->inputs_sig : SIG_SEED, path);
}

unsigned long long si_policy_inputs_signature(const struct si_policy *p, bool live)
{
    unsigned long long h = 0;

    if (!live || !p)
        return p ? p->inputs_sig : 0;
    for (size_t i = 0; i < p->ninputs; i++)
        h = fold_identity(h ? h : SIG_SEED, p->inputs[i]);
    return h;
}

void si_policy_get_stats(const struct si_policy *p, struct si_policy_stats *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < p->nobjs; i++) {
        if (p->objs[i]->kind == OBJ_CATEGORY) {
            out->categories++;
            out->category_names += si_nameset_count(p->objs[i]->names);
            continue;
        }
        if (!p->objs[i]->id)
            continue;
        out->objects++;
        if (p->objs[i]->kind == OBJ_DOMAINS)
            out->domain_names += si_nameset_count(p->objs[i]->names);
    }
    out->inspection_rules = p->ninsp;
    out->validation_overrides = p->novr;
    out->security_rules = p->nsec;
}
