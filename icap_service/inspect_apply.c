/*
 * inspect_apply.c: turns a security-policy verdict into ICAP/HTTP changes (block page,
 * redirect, header/query/body modifications) and writes the one log line per decision.
 * Logs never contain bodies, cookies, query strings or credentials.
 */
#include "inspect_apply.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "debug.h"
#include "header.h"
#include "simple_api.h"

#include "blockpage.h"
#include "bodyscan.h"
#include "log.h"
#include "inspect_txn.h"

bool sv_verdict_has_body_mods(const struct si_sec_verdict *v)
{
    for (size_t i = 0; i < v->nmods; i++)
        if (v->mods[i].type == SI_MOD_REPLACE_BODY)
            return true;
    return false;
}

static const char *hdr_get(struct sv_txn *t, const char *name)
{
    return t->phase == SI_PHASE_RESPONSE ? ci_http_response_get_header(t->req, name)
                                         : ci_http_request_get_header(t->req, name);
}

static void hdr_remove_all(struct sv_txn *t, bool response, const char *name)
{
    for (int i = 0; i < 32; i++)
        if (!(response ? ci_http_response_remove_header(t->req, name)
                       : ci_http_request_remove_header(t->req, name)))
            break;
}

static void hdr_add(struct sv_txn *t, bool response, const char *name, const char *value)
{
    char line[1024];

    snprintf(line, sizeof(line), "%s: %s", name, value ? value : "");
    if (response)
        ci_http_response_add_header(t->req, line);
    else
        ci_http_request_add_header(t->req, line);
}

/* Appends s to line (capacity cap, *used bytes so far), truncating; keeps line terminated. */
static void append(char *line, size_t cap, size_t *used, const char *s)
{
    size_t n = strlen(s);

    if (n > cap - 1 - *used)
        n = cap - 1 - *used;
    memcpy(line + *used, s, n);
    *used += n;
    line[*used] = '\0';
}

/* The word srv_inspect logs for what a verdict did ("blocked"...), from the policy's action. */
/* Sent on every answer (Squid logs it as verdict= and req_verdict=), plain copies:
 *   X-Inspect-Verdict: OUTCOME; rule=RULE; ref=REF[; monitor=OUTCOME:RULE[,...]]; phase=reqmod|respmod
 * monitor= lists the monitor-mode rules that matched (what they would have done). */
static void add_xheader(struct sv_txn *t, const char *action)
{
    const struct si_sec_verdict *v = &t->verdict;
    char line[768], rule[96];
    size_t used = 0;

    append(line, sizeof(line), &used, "X-Inspect-Verdict: ");
    append(line, sizeof(line), &used, action);
    append(line, sizeof(line), &used, "; rule=");
    append(line, sizeof(line), &used, si_log_sanitize(rule, sizeof(rule), v->rule_id ? v->rule_id : "-"));
    append(line, sizeof(line), &used, "; ref=");
    append(line, sizeof(line), &used, t->ref);
    for (size_t i = 0; i < v->nmonitor; i++) {
        append(line, sizeof(line), &used, i ? "," : "; monitor=");
        append(line, sizeof(line), &used, si_sec_action_past(v->monitor[i].action));
        append(line, sizeof(line), &used, ":");
        append(line, sizeof(line), &used, si_log_sanitize(rule, sizeof(rule), v->monitor[i].rule_id));
    }
    append(line, sizeof(line), &used,
           t->phase == SI_PHASE_RESPONSE ? "; phase=respmod" : "; phase=reqmod");
    ci_icap_add_xheader(t->req, line);
}

void sv_apply_page(struct sv_txn *t)
{
    const struct si_sec_verdict *v = &t->verdict;
    const char *accept = ci_http_request_get_header(t->req, "Accept");
    enum si_block_format fmt = si_block_format_for(accept);
    char url[2048], len_hdr[64], when[64];
    size_t n = 0;
    char *body;

    si_req_url(&t->parts, url, sizeof(url));
    struct si_block_info info = {v->rule_id, v->message ? v->message : v->reason, url,
                                 t->parts.host, t->ref, si_block_time(time(NULL), when, sizeof(when)),
                                 sv_conf.admin_contact};
    if (v->action == SI_SEC_REDIRECT) {
        body = strdup("Redirected by policy.\n");
        n = body ? strlen(body) : 0;
        fmt = SI_BLOCK_TEXT;
    } else {
        body = si_block_render(si_policy_block_html(t->policy), fmt, &info, &n);
    }
    ci_http_response_create(t->req, 1, 1);
    ci_http_response_add_header(t->req, v->action == SI_SEC_REDIRECT ? "HTTP/1.1 302 Found"
                                                                     : "HTTP/1.1 403 Forbidden");
    if (v->action == SI_SEC_REDIRECT)
        hdr_add(t, true, "Location", v->location);
    hdr_add(t, true, "Content-Type", si_block_content_type(fmt));
    snprintf(len_hdr, sizeof(len_hdr), "Content-Length: %zu", n);
    ci_http_response_add_header(t->req, len_hdr);
    ci_http_response_add_header(t->req, "Cache-Control: no-store");
    hdr_add(t, true, "X-Inspect-Ref", t->ref);
    t->page = ci_membuf_new_sized((int)n + 1);
    if (t->page)
        ci_membuf_write(t->page, body ? body : "", (int)n, 1);
    free(body);
    t->mode = MODE_PAGE;
    ci_req_unlock_data(t->req);
}

/* Rewrites the request line's query parameter (REQMOD) by rebuilding the header list. */
static void set_query(struct sv_txn *t, const struct si_sec_mod *m)
{
    ci_headers_list_t *h = ci_http_request_headers(t->req);
    char *nq = si_query_set_param(t->parts.query, m->name, m->value ? m->value : "");
    const char *line = h ? ci_headers_first_line(h) : NULL;

    if (!nq || !line || (t->parts.query && strcmp(nq, t->parts.query) == 0)) {
        free(nq);
        return;
    }
    /* METHOD SP target SP version: replace the target's query (before any '#') */
    const char *tstart = strchr(line, ' ');
    const char *tend = tstart ? tstart + 1 + strcspn(tstart + 1, " \r\n") : NULL;
    if (!tstart || !tend) {
        free(nq);
        return;
    }
    tstart++;
    const char *q = memchr(tstart, '?', (size_t)(tend - tstart));
    const char *frag = memchr(tstart, '#', (size_t)(tend - tstart));
    const char *qend = frag ? frag : tend;
    const char *keep_end = q ? q : qend;
    size_t size = strlen(line) + strlen(nq) + 4;
    char *nl = malloc(size);
    int used = h ? h->used : 0;
    char **copies = calloc((size_t)used + 1, sizeof(*copies));
    if (nl && copies) {
        snprintf(nl, size, "%.*s?%s%s", (int)(keep_end - line), line, nq, qend);
        for (int i = 1; i < used; i++)
            copies[i] = strdup(h->headers[i]);
        ci_headers_reset(h);
        ci_headers_add(h, nl);
        for (int i = 1; i < used; i++)
            if (copies[i])
                ci_headers_add(h, copies[i]);
        si_req_parts_set_query(&t->parts, nq);
        nq = NULL;
    }
    for (int i = 0; copies && i < used; i++)
        free(copies[i]);
    free(copies);
    free(nl);
    free(nq);
}

void sv_apply_header_mods(struct sv_txn *t)
{
    const struct si_sec_verdict *v = &t->verdict;
    bool resp_phase = t->phase == SI_PHASE_RESPONSE;

    for (size_t i = 0; i < v->nmods; i++) {
        const struct si_sec_mod *m = &v->mods[i];
        if (m->type == SI_MOD_REPLACE_BODY || m->on_response != resp_phase)
            continue;
        switch (m->type) {
        case SI_MOD_SET_HEADER:
            hdr_remove_all(t, resp_phase, m->name);
            /* fall through */
        case SI_MOD_ADD_HEADER:
            hdr_add(t, resp_phase, m->name, m->value);
            break;
        case SI_MOD_REMOVE_HEADER:
            hdr_remove_all(t, resp_phase, m->name);
            break;
        case SI_MOD_SET_QUERY:
            if (!resp_phase)
                set_query(t, m);
            break;
        default:
            break;
        }
    }
}

static bool is_text_type(const char *ct)
{
    if (!ct)
        return false;
    while (isspace((unsigned char)*ct))
        ct++;
    return strncasecmp(ct, "text/", 5) == 0 || strncasecmp(ct, "application/json", 16) == 0 ||
           strncasecmp(ct, "application/javascript", 22) == 0 ||
           strncasecmp(ct, "application/xhtml+xml", 21) == 0 ||
           strncasecmp(ct, "application/xml", 15) == 0;
}

void sv_apply_body_mods(struct sv_txn *t, const unsigned char *data, size_t len, bool was_decoded)
{
    const struct si_sec_verdict *v = &t->verdict;
    bool resp = t->phase == SI_PHASE_RESPONSE;
    char cl[64];
    size_t outlen = 0;

    if (!sv_verdict_has_body_mods(v) || !resp || !is_text_type(hdr_get(t, "Content-Type")))
        return;
    unsigned char *out = si_body_replace(data, len, v->mods, v->nmods, &outlen);
    if (!out)
        return;
    free(t->buf);
    t->buf = out;
    t->len = t->cap = outlen;
    t->rpos = 0;
    t->body_replaced = true;
    if (was_decoded)
        hdr_remove_all(t, true, "Content-Encoding");
    hdr_remove_all(t, true, "Content-Length");
    snprintf(cl, sizeof(cl), "%zu", outlen);
    hdr_add(t, true, "Content-Length", cl);
}

static const char *outcome(const struct sv_txn *t)
{
    return si_sec_action_past(t->verdict.action);
}

void sv_log_decision(struct sv_txn *t)
{
    const struct si_sec_verdict *v = &t->verdict;
    char ip[64], user[96], host[160], path[200], rule[96], reason[SI_POLICY_REASON_MAX], mon[400];
    size_t used = 0;

    mon[0] = '\0';
    for (size_t i = 0; i < v->nmonitor && used < sizeof(mon); i++) {
        char r[96];
        int n = snprintf(mon + used, sizeof(mon) - used, " monitor=\"would have %s by rule %s\"",
                         si_sec_action_past(v->monitor[i].action),
                         si_log_sanitize(r, sizeof(r), v->monitor[i].rule_id));
        used += n > 0 ? (size_t)n : 0;
    }
    ci_request_set_str_attribute(t->req, "inspect:action", outcome(t));
    ci_request_set_str_attribute(t->req, "inspect:rule", v->rule_id ? v->rule_id : "-");
    ci_request_set_str_attribute(t->req, "inspect:ref", t->ref);
    add_xheader(t, outcome(t));
    if (!sv_conf.log_allowed && v->action == SI_SEC_ALLOW && !v->nmonitor && !t->not_inspected)
        return;
    ci_debug_printf(1, "inspect: ref=%s %s client=%s user=%s method=%s host=%s path=%s rule=%s "
                       "action=%s%s reason=\"%s\"%s policy=%s%s%s\n",
                    t->ref, t->phase == SI_PHASE_RESPONSE ? "RESPMOD" : "REQMOD",
                    si_log_sanitize(ip, sizeof(ip), t->client_ip[0] ? t->client_ip : "-"),
                    si_log_sanitize(user, sizeof(user), t->user[0] ? t->user : "-"),
                    t->parts.method[0] ? t->parts.method : "-",
                    si_log_sanitize(host, sizeof(host), t->parts.host[0] ? t->parts.host : "-"),
                    si_log_sanitize(path, sizeof(path), t->parts.path ? t->parts.path : "-"),
                    si_log_sanitize(rule, sizeof(rule), v->rule_id ? v->rule_id : "-"),
                    outcome(t), t->not_inspected ? " (not inspected)" : "",
                    si_log_sanitize(reason, sizeof(reason), v->reason), mon,
                    si_policy_digest(t->policy), t->tls[0] ? " tls=" : "", t->tls);
}
