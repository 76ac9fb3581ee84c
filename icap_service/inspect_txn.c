/*
 * inspect_txn.c: the life of one REQMOD/RESPMOD transaction in srv_inspect (inspect_txn.h).
 *
 * Modes: BUFFER (data locked, body collected up to the inspection limit for body rules),
 * ECHO (data unlocked, body passed through a FIFO), PAGE (a block page or redirect replaces the
 * message; input is read and discarded). c-icap 0.5.10 traps handled here: preview bytes are
 * not replayed into io (they are copied into the FIFO), 204 only when the client allows it and
 * nothing was sent, io never returns 0 bytes after end-of-data (CI_EOF instead).
 */
#include "inspect_txn.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "body.h"
#include "debug.h"
#include "header.h"
#include "service.h"
#include "simple_api.h"

#include "decode.h"
#include "httpreq.h"
#include "inspect_apply.h"
#include "security.h"

struct sv_conf sv_conf = {.log_allowed = true, .max_hold_response = 60 * 1024};

static atomic_ulong txn_counter;
static atomic_uint child_pid;

void sv_txn_set_child_pid(unsigned pid)
{
    atomic_store(&child_pid, pid);
}

/* Body bytes held back for inspection by all transactions of this process (BUFFER mode),
 * against sv_conf.max_held_memory: a burst of large uploads cannot take the memory of
 * the c-icap child. */
static atomic_ullong held_total;

static bool hold_more(struct sv_txn *t, size_t n)
{
    unsigned long long cap = sv_conf.max_held_memory;
    unsigned long long now = atomic_fetch_add(&held_total, n) + n;

    if (cap && now > cap) {
        atomic_fetch_sub(&held_total, n);
        return false;
    }
    t->held += n;
    return true;
}

static void release_held(struct sv_txn *t)
{
    if (t->held)
        atomic_fetch_sub(&held_total, t->held);
    t->held = 0;
}

/* ---------------- facts ---------------- */

static const char *get_header(void *ctx, bool response, const char *name)
{
    ci_request_t *req = ctx;

    return response ? ci_http_response_get_header(req, name) : ci_http_request_get_header(req, name);
}

static void copy_icap_header(ci_request_t *req, const char *name, char *out, size_t size,
                             bool base64)
{
    const char *v = name ? ci_headers_value(req->request_header, name) : NULL;

    out[0] = '\0';
    if (!v)
        return;
    if (base64) {
        char tmp[512];
        int n = ci_base64_decode(v, tmp, (int)sizeof(tmp) - 1);
        if (n <= 0)
            return;
        tmp[n < (int)sizeof(tmp) ? n : (int)sizeof(tmp) - 1] = '\0';
        size_t copy = strnlen(tmp, size - 1);
        memcpy(out, tmp, copy);
        out[copy] = '\0';
    } else {
        size_t n = strnlen(v, size - 1); /* per request, several times: no formatting */
        memcpy(out, v, n);
        out[n] = '\0';
    }
}

/* X-Inspect-Tls, from Squid's adaptation_meta: the connection's inspection decision
 * (ACTION:RULE:CODE of inspect-bump), logged as tls= so that a transaction can be followed from
 * Squid's log line to the service's. Kept only when it is a short token of safe characters. */
static void copy_tls_decision(ci_request_t *req, char *out, size_t size)
{
    size_t n = 0;

    copy_icap_header(req, "X-Inspect-Tls", out, size, false);
    /* a loop, not strspn(): glibc builds a 256-byte table per strspn call, on every request */
    while ((out[n] >= 'a' && out[n] <= 'z') || (out[n] >= 'A' && out[n] <= 'Z') ||
           (out[n] >= '0' && out[n] <= '9') || (out[n] && strchr("._:-", out[n])))
        n++;
    if (out[n] != '\0' || n >= size - 1)
        out[0] = '\0';
}

static void extract_facts(struct sv_txn *t)
{
    ci_request_t *req = t->req;
    const struct si_policy_settings *s = si_policy_settings(t->policy);
    struct si_sec_facts *f = &t->facts;

    copy_icap_header(req, "X-Client-IP", t->client_ip, sizeof(t->client_ip), false);
    copy_icap_header(req, s->user_header, t->user, sizeof(t->user), s->user_header_base64);
    copy_icap_header(req, s->groups_header, t->groups, sizeof(t->groups), false);
    copy_tls_decision(req, t->tls, sizeof(t->tls));
    int rc = si_req_parse(ci_http_request(req), NULL, &t->parts);
    if (t->parts.origin_form) /* Host is looked up only when the target does not name one */
        si_req_parts_set_host(&t->parts, ci_http_request_get_header(req, "Host"));
    if (rc < 0)
        t->parts.path = NULL;
    memset(f, 0, sizeof(*f));
    f->client_ip = t->client_ip[0] ? t->client_ip : NULL;
    f->user = t->user[0] ? t->user : NULL;
    f->groups = t->groups[0] ? t->groups : NULL;
    f->method = t->parts.method[0] ? t->parts.method : NULL;
    f->host = t->parts.host[0] ? t->parts.host : NULL;
    f->path = t->parts.path;
    f->query = t->parts.query;
    f->header = get_header;
    f->header_ctx = req;
    f->req_body_size = -1;
    f->resp_body_size = -1;
    if (t->phase == SI_PHASE_RESPONSE) {
        ci_headers_list_t *rh = ci_http_response_headers(req);
        f->status = rh ? si_status_parse(ci_headers_first_line(rh)) : 0;
        f->content_type = ci_http_response_get_header(req, "Content-Type");
        f->resp_body_size = ci_req_hasbody(req) ? (long long)ci_http_content_length(req) : 0;
        if (f->resp_body_size < 0)
            f->resp_body_size = -1;
        t->encoding = si_encoding_parse(ci_http_response_get_header(req, "Content-Encoding"));
    } else {
        f->req_body_size = ci_req_hasbody(req) ? (long long)ci_http_content_length(req) : 0;
        if (f->req_body_size < 0)
            f->req_body_size = -1;
        if (ci_req_hasbody(req)) /* most requests have none: skip the header scan */
            t->encoding = si_encoding_parse(ci_http_request_get_header(req, "Content-Encoding"));
    }
}

/* "si-<time hex>-<pid hex>-<counter>", written by hand: this runs for every request. */
static void format_ref(char *out, size_t size, unsigned long when, unsigned pid,
                       unsigned long seq)
{
    char tmp[64], *p = tmp + sizeof(tmp);
    static const char hex[] = "0123456789abcdef";

    *--p = '\0';
    do
        *--p = (char)('0' + seq % 10);
    while (seq /= 10);
    *--p = '-';
    do
        *--p = hex[pid & 15];
    while (pid >>= 4);
    *--p = '-';
    do
        *--p = hex[when & 15];
    while (when >>= 4);
    *--p = '-', *--p = 'i', *--p = 's';
    size_t n = (size_t)(tmp + sizeof(tmp) - 1 - p);
    if (n >= size)
        n = size - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

struct sv_txn *sv_txn_new(ci_request_t *req, struct si_policy *policy)
{
    struct sv_txn *t = malloc(sizeof(*t));

    if (!t)
        return NULL;
    memset(t, 0, offsetof(struct sv_txn, client_ip));
    t->client_ip[0] = t->user[0] = t->groups[0] = t->tls[0] = '\0';
    si_req_parts_init(&t->parts);
    memset(&t->verdict, 0, offsetof(struct si_sec_verdict, reason));
    t->verdict.reason[0] = '\0';
    t->verdict.nmonitor = 0; /* the monitor hits are read only up to nmonitor */
    t->req = req;
    t->policy = policy;
    t->phase = ci_req_type(req) == ICAP_RESPMOD ? SI_PHASE_RESPONSE : SI_PHASE_REQUEST;
    t->limit = si_policy_settings(policy)->inspection_limit;
    unsigned long long hold = t->phase == SI_PHASE_RESPONSE ? sv_conf.max_hold_response
                                                            : sv_conf.max_hold_request;
    if (hold && hold < t->limit)
        t->limit = hold;
    unsigned pid = atomic_load(&child_pid);
    format_ref(t->ref, sizeof(t->ref), (unsigned long)time(NULL), pid ? pid : (unsigned)getpid(),
               (unsigned long)atomic_fetch_add(&txn_counter, 1) + 1);
    return t;
}

void sv_txn_free(struct sv_txn *t)
{
    if (!t)
        return;
    release_held(t);
    si_req_parts_clear(&t->parts);
    free(t->buf);
    if (t->page)
        ci_membuf_free(t->page);
    si_policy_unref(t->policy);
    free(t);
}

/* ---------------- FIFO ---------------- */

static int fifo_append(struct sv_txn *t, const char *data, size_t n)
{
    if (t->rpos > 0 && t->rpos == t->len)
        t->rpos = t->len = 0;
    if (t->len + n > t->cap) {
        if (t->rpos > 0) { /* compact before growing */
            memmove(t->buf, t->buf + t->rpos, t->len - t->rpos);
            t->len -= t->rpos;
            t->rpos = 0;
        }
        if (t->len + n > t->cap) {
            size_t ncap = t->cap ? t->cap : 65536;
            while (ncap < t->len + n)
                ncap *= 2;
            unsigned char *nb = realloc(t->buf, ncap);
            if (!nb)
                return -1;
            t->buf = nb;
            t->cap = ncap;
        }
    }
    memcpy(t->buf + t->len, data, n);
    t->len += n;
    return 0;
}

/* ---------------- decisions ---------------- */

/* Decodes the complete encoded body b into *dec (caller frees) and points b at it. Returns
 * false, with *undecodable set, when the encoding is unsupported or the result too large. */
static bool decode_held(struct sv_txn *t, struct si_sec_body *b, unsigned char **dec,
                        const char **undecodable)
{
    /* the decoded body may be larger than what is held: cap it by the policy's limit */
    size_t cap = (size_t)si_policy_settings(t->policy)->inspection_limit;
    size_t declen = 0;
    enum si_decode_rc drc = t->encoding == SI_ENC_UNSUPPORTED
                                ? SI_DECODE_ERROR
                                : si_decode(t->encoding, b->data, b->len, cap, dec, &declen);

    if (drc != SI_DECODE_OK) {
        *undecodable = drc == SI_DECODE_TOO_LARGE ? "too large once decoded (inspection-limit)"
                                                  : "cannot decode the body's Content-Encoding";
        return false;
    }
    b->data = *dec;
    b->len = declen;
    return true;
}

/* Encoded bytes mean nothing to the rules: decide from the headers alone when no rule that may
 * still match needs the body (then nothing is held or decoded). True when decided so. A
 * whole-body change on a complete body still needs the decoded body. */
static bool decided_without_body(struct sv_txn *t, bool complete)
{
    if (si_security_evaluate(t->policy, t->phase, &t->facts, NULL, &t->verdict) != SI_SEC_DECIDED)
        return false;
    return !(complete && t->verdict.action == SI_SEC_MODIFY &&
             sv_verdict_has_body_mods(&t->verdict));
}

/* Evaluates with the buffered body (complete or a prefix); decodes gzip/deflate if needed.
 * Returns the evaluation result; *undecodable is set when the body could not be decoded. */
static enum si_sec_eval evaluate_body(struct sv_txn *t, bool complete, const char **undecodable)
{
    struct si_sec_body b = {t->buf ? t->buf + t->rpos : (const unsigned char *)"",
                            t->len - t->rpos, complete};
    unsigned char *dec = NULL;
    enum si_sec_eval rc;

    *undecodable = NULL;
    if (t->encoding != SI_ENC_IDENTITY && b.len > 0) {
        if (decided_without_body(t, complete))
            return SI_SEC_DECIDED;
        if (!complete || !decode_held(t, &b, &dec, undecodable))
            return SI_SEC_NEED_BODY;
    }
    rc = si_security_evaluate(t->policy, t->phase, &t->facts, &b, &t->verdict);
    if (rc == SI_SEC_DECIDED && complete && t->verdict.action == SI_SEC_MODIFY)
        sv_apply_body_mods(t, b.data, b.len, dec != NULL);
    free(dec);
    return rc;
}

/* The configured action for a body that could not be inspected (too large, undecodable). */
static void not_inspected(struct sv_txn *t, const char *why)
{
    const struct si_policy_settings *s = si_policy_settings(t->policy);

    memset(&t->verdict, 0, sizeof(t->verdict));
    t->verdict.rule_id = "inspection-limit";
    t->verdict.action = s->too_large_block ? SI_SEC_BLOCK : SI_SEC_ALLOW;
    snprintf(t->verdict.reason, sizeof(t->verdict.reason), "not inspected: %s", why);
    t->not_inspected = true;
}

/* Applies t->verdict now. Returns the CI_MOD_* code for the calling handler: in_preview for
 * the preview handler, may_204 when the caller can return a 204 (not from inside io). */
static int apply_verdict(struct sv_txn *t, bool in_preview, bool may_204)
{
    const struct si_sec_verdict *v = &t->verdict;

    t->decided = true;
    release_held(t); /* what is held now drains to the client or is discarded */
    if (v->action == SI_SEC_BLOCK || v->action == SI_SEC_REDIRECT) {
        sv_apply_page(t);
        sv_log_decision(t);
        return in_preview ? CI_MOD_CONTINUE : CI_MOD_DONE;
    }
    if (v->action == SI_SEC_MODIFY)
        sv_apply_header_mods(t);
    sv_log_decision(t);
    if (v->action == SI_SEC_ALLOW && !t->body_replaced && may_204) {
        if (in_preview)
            return CI_MOD_ALLOW204;
        if (ci_req_allow204(t->req) && !ci_req_sent_data(t->req))
            return CI_MOD_ALLOW204;
    }
    t->mode = MODE_ECHO;
    ci_req_unlock_data(t->req);
    return in_preview ? CI_MOD_CONTINUE : CI_MOD_DONE;
}

int sv_txn_preview(struct sv_txn *t, char *data, int len)
{
    ci_request_t *req = t->req;
    bool all = !ci_req_hasbody(req) || ci_req_hasalldata(req);
    const char *undecodable = NULL;
    enum si_sec_eval rc;

    extract_facts(t);
    if (!si_security_phase_has_rules(t->policy, t->phase)) {
        t->verdict.rule_id = "default";
        t->verdict.is_default = true;
        snprintf(t->verdict.reason, sizeof(t->verdict.reason), "no %s rules",
                 t->phase == SI_PHASE_REQUEST ? "request" : "response");
        return apply_verdict(t, true, true);
    }
    if (data && len > 0 && fifo_append(t, data, (size_t)len) < 0)
        return CI_MOD_ERROR;
    t->total = len > 0 ? (unsigned long long)len : 0;
    if (t->len > 0 || all)
        rc = evaluate_body(t, all, &undecodable);
    else
        rc = si_security_evaluate(t->policy, t->phase, &t->facts, NULL, &t->verdict);
    if (rc == SI_SEC_NEED_BODY && undecodable)
        not_inspected(t, undecodable);
    else if (rc == SI_SEC_NEED_BODY) {
        t->mode = MODE_BUFFER;
        return CI_MOD_CONTINUE;
    }
    /* decided from headers (or preview): a whole-body change needs the rest of the body */
    if (t->verdict.action == SI_SEC_MODIFY && !all && sv_verdict_has_body_mods(&t->verdict)) {
        t->mode = MODE_BUFFER;
        return CI_MOD_CONTINUE;
    }
    return apply_verdict(t, true, true);
}

/* The body cannot be held any longer: it outgrew the inspection limit (budget_full false) or
 * the process's held-body budget. Decides on what is held, else "not inspected". */
static void overflow(struct sv_txn *t, bool budget_full)
{
    const char *undecodable;
    char why[128];

    if (evaluate_body(t, false, &undecodable) != SI_SEC_DECIDED) {
        if (budget_full)
            snprintf(why, sizeof(why), "held bodies reached inspect.MaxHeldMemory (%llu bytes)",
                     sv_conf.max_held_memory);
        else
            snprintf(why, sizeof(why), "too large (more than %llu bytes)", t->limit);
        not_inspected(t, why);
    }
    if (t->verdict.action == SI_SEC_MODIFY && sv_verdict_has_body_mods(&t->verdict)) {
        snprintf(why, sizeof(why), "too large to modify (more than %llu bytes)", t->limit);
        not_inspected(t, why);
    }
    apply_verdict(t, false, false); /* inside io: stream, a 204 cannot be returned */
}

int sv_txn_end_of_data(struct sv_txn *t)
{
    const char *undecodable;

    t->eod = true;
    if (t->mode != MODE_BUFFER || t->decided)
        return CI_MOD_DONE;
    if (evaluate_body(t, true, &undecodable) != SI_SEC_DECIDED)
        not_inspected(t, undecodable ? undecodable : "the body was not available");
    return apply_verdict(t, false, true);
}

/* Output side of io: the page, or the FIFO once data flows. Returns bytes produced (>= 0). */
static int produce(struct sv_txn *t, char *wbuf, int *wlen)
{
    if (!wbuf || !wlen)
        return 0;
    if (t->mode == MODE_PAGE) {
        int n = t->page ? ci_membuf_read(t->page, wbuf, *wlen) : CI_EOF;
        *wlen = n > 0 ? n : CI_EOF;
        return n > 0 ? n : 0;
    }
    size_t avail = t->len - t->rpos;
    if (avail == 0 || t->mode == MODE_BUFFER || *wlen <= 0) {
        *wlen = t->eod && avail == 0 ? CI_EOF : 0;
        return 0;
    }
    size_t n = avail < (size_t)*wlen ? avail : (size_t)*wlen;
    memcpy(wbuf, t->buf + t->rpos, n);
    t->rpos += n;
    *wlen = (int)n;
    return (int)n;
}

int sv_txn_io(struct sv_txn *t, char *wbuf, int *wlen, char *rbuf, int *rlen, int iseof)
{
    (void)iseof;
    int produced = produce(t, wbuf, wlen);

    if (!rbuf || !rlen || *rlen <= 0)
        return CI_OK;
    if (t->mode == MODE_PAGE)
        return CI_OK; /* discard: *rlen stays, all consumed */
    if (t->mode == MODE_BUFFER && !t->decided) {
        if (hold_more(t, (size_t)*rlen)) {
            if (fifo_append(t, rbuf, (size_t)*rlen) < 0)
                return CI_ERROR;
            t->total += (unsigned long long)*rlen;
            if (t->total > t->limit)
                overflow(t, false);
            return CI_OK;
        }
        overflow(t, true); /* decided now: this input goes on as below */
        if (t->mode == MODE_PAGE)
            return CI_OK;
    }
    /* streaming: once the FIFO is full enough, take no more input while c-icap has output
     * to send (produced now, or still pending from an earlier call): c-icap then waits until
     * the client can take that output instead of reading more, so memory stays bounded even
     * for a client that sends faster than it reads. Without pending output, refusing input
     * would leave c-icap with nothing to wait for (it fails the request), so the input is
     * taken. */
    bool cicap_has_output = produced > 0 || t->req->remain_send_block_bytes > 0;
    if (cicap_has_output && t->len - t->rpos >= ECHO_HIGH_WATER)
        *rlen = 0;
    else if (fifo_append(t, rbuf, (size_t)*rlen) < 0)
        return CI_ERROR;
    return CI_OK;
}
