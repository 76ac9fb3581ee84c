/*
 * inspect_apply.h: the transaction state shared by inspect_txn.c and inspect_apply.c (private to
 * srv_inspect), and the functions that turn a verdict into ICAP/HTTP changes and a log line.
 * Thread-safety: as inspect_txn.h (one worker thread per txn).
 */
#ifndef INSPECT_APPLY_H
#define INSPECT_APPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "c-icap.h"
#include "body.h"
#include "request.h"

#include "decode.h"
#include "httpreq.h"
#include "policy.h"
#include "security.h"

#define ECHO_HIGH_WATER (256 * 1024)

enum txn_mode { MODE_NONE, MODE_BUFFER, MODE_ECHO, MODE_PAGE };

struct txn {
    ci_request_t *req;
    struct si_policy *policy;
    enum si_sec_phase phase;
    enum txn_mode mode;
    struct si_sec_facts facts;
    enum si_encoding encoding;
    unsigned long long limit, total;
    unsigned char *buf; /* FIFO of body bytes: [rpos, len) */
    size_t len, cap, rpos;
    ci_membuf_t *page;
    bool decided, eod, not_inspected, body_replaced;
    unsigned long long held; /* bytes counted against inspect.MaxHeldMemory */
    /* Large members from here on (about 3 KB): txn_new zeroes only what is read before it is
     * written (every request allocates one, and clearing all of it was a third of the
     * service's per-request instructions). Everything above is zeroed. */
    char client_ip[64], user[128], groups[256], ref[48];
    char tls[64]; /* X-Inspect-Tls (Squid's inspection decision), "" when absent or unsafe */
    struct si_req_parts parts;
    struct si_sec_verdict verdict;
};

bool verdict_has_body_mods(const struct si_sec_verdict *v);
void apply_page(struct txn *t);
void apply_header_mods(struct txn *t);
/* data/len: the (decoded when was_decoded) complete body the verdict was taken on. */
void apply_body_mods(struct txn *t, const unsigned char *data, size_t len, bool was_decoded);
void log_decision(struct txn *t);

#endif
