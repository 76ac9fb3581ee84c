/* decide.c: one ssl_bump step-2 request -> inspection decision -> reply notes (decide.h). */
#include "decide.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *bp_squid_action(enum si_inspect_action a)
{
    switch (a) {
    case SI_INSPECT_BYPASS: return "splice";
    case SI_INSPECT_INSPECT: return "bump";
    case SI_INSPECT_TERMINATE: return "terminate";
    }
    return "terminate";
}

static int parse_port(const char *s)
{
    char *end;
    long v;

    if (!s)
        return 0;
    v = strtol(s, &end, 10);
    return (*end || v <= 0 || v > 65535) ? -1 : (int)v;
}

/* Rule ids are XML ids; anything else is replaced so the tag stays one token. */
static void copy_token(char *dst, size_t dstsize, const char *src)
{
    size_t i = 0;

    for (; src && src[i] && i + 1 < dstsize; i++) {
        char c = src[i];
        dst[i] = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.') ? c : '_';
    }
    dst[i] = '\0';
}

void bp_request_extras(const struct bp_extacl_request *req, const char **groups,
                         const char **data)
{
    *groups = *data = NULL;
    if (req->nfields >= BF_COUNT + 2) {
        *groups = req->field[BF_GROUPS];
        *data = req->field[BF_GROUPS + 1];
    } else if (req->nfields == BF_COUNT + 1) {
        *data = req->field[BF_COUNT];
    }
}

int bp_decide(const struct si_policy *p, const struct bp_extacl_request *req,
                struct bp_decision *d, char *err, size_t errsize)
{
    const char *sni, *host, *groups, *data;
    struct si_inspect_facts facts = {0};
    struct si_inspect_result res;
    int port;

    memset(d, 0, sizeof(*d));
    if (req->nfields < BF_COUNT) {
        snprintf(err, errsize, "request has %zu fields, expected at least %d (%%>a %%un "
                 "%%ssl::>sni %%>rd %%>rP [%%note{GROUPS}])", req->nfields, BF_COUNT);
        return -1;
    }
    port = parse_port(req->field[BF_PORT]);
    if (port < 0) {
        snprintf(err, errsize, "bad destination port '%s'", req->field[BF_PORT]);
        return -1;
    }
    sni = req->field[BF_SNI];
    host = req->field[BF_HOST];
    facts.client_ip = req->field[BF_CLIENT];
    facts.user = req->field[BF_USER];
    bp_request_extras(req, &groups, &data);
    facts.groups = groups;
    facts.server_name = sni ? sni : host;
    facts.port = port;
    snprintf(d->client, sizeof(d->client), "%s", facts.client_ip ? facts.client_ip : "-");
    snprintf(d->user, sizeof(d->user), "%s", facts.user ? facts.user : "-");
    snprintf(d->server, sizeof(d->server), "%s", facts.server_name ? facts.server_name : "-");
    si_log_sanitize(d->groups, sizeof(d->groups), groups ? groups : "-");
    si_policy_inspection_decide(p, &facts, &res);
    d->action = res.action;
    copy_token(d->rule, sizeof(d->rule), res.rule_id ? res.rule_id : "default");
    snprintf(d->code, sizeof(d->code), "%s", res.is_default ? "default" : "matched");
    snprintf(d->reason, sizeof(d->reason), "%s", res.reason);
    d->connect_mode = data && strcmp(data, "connect") == 0;
    if (res.action == SI_INSPECT_BYPASS && res.verify_name && !d->connect_mode) {
        d->need_probe = true;
        snprintf(d->probe_name, sizeof(d->probe_name), "%s", facts.server_name ? facts.server_name : "");
        snprintf(d->probe_host, sizeof(d->probe_host), "%s", host ? host : (sni ? sni : ""));
        d->probe_port = port;
    }
    return 0;
}

void bp_apply_probe(struct bp_decision *d, enum bp_probe_status st, const char *detail,
                      enum si_inspect_action on_mismatch)
{
    size_t used = strlen(d->reason);

    d->need_probe = false;
    snprintf(d->code, sizeof(d->code), "%s", bp_probe_status_name(st));
    if (st != BP_PROBE_VERIFIED)
        d->action = on_mismatch;
    snprintf(d->reason + used, sizeof(d->reason) - used, "%sverify-name %s: %s",
             used ? "; " : "", d->probe_name, detail ? detail : "");
}

void bp_format_reply(const struct bp_decision *d, char *kv, size_t kvsize)
{
    int n;

    if (d->connect_mode) {
        snprintf(kv, kvsize, "si_connect_=%s si_connect_rule_=%s", bp_squid_action(d->action),
                 d->rule);
        return;
    }
    n = snprintf(kv, kvsize, "clt_conn_tag=%s:%s:%s si_action_=%s si_rule_=%s",
                     si_inspect_action_name(d->action), d->rule, d->code,
                     bp_squid_action(d->action), d->rule);

    if (n > 0 && (size_t)n < kvsize)
        bp_extacl_kv_append(kv, kvsize, "si_reason_", d->reason);
}
