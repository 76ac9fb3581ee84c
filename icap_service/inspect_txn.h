/*
 * inspect_txn.h: one ICAP REQMOD/RESPMOD transaction of srv_inspect: facts extraction, the
 * preview decision, body buffering/streaming and applying the security-policy verdict.
 *
 * Ownership: a txn is created by init_request_data and freed by release_request_data; it holds
 * one policy reference for its whole life, so a reload never changes the rules mid-request.
 * Thread-safety: a txn is used by the single worker thread that handles its request; the
 * service configuration (struct sv_conf) is read-only while requests run.
 */
#ifndef INSPECT_TXN_H
#define INSPECT_TXN_H

#include <stdbool.h>
#include <stddef.h>

#include "c-icap.h"
#include "body.h"
#include "request.h"

#include "decode.h"
#include "httpreq.h"
#include "policy.h"
#include "security.h"

struct sv_conf {
    bool log_allowed; /* one log line for allowed transactions too (default on) */
    /* Most body bytes held back before answering, per direction (inspect.MaxRequestHoldSize,
     * inspect.MaxResponseHoldSize; 0 = no cap). The effective inspection limit is
     * min(policy inspection-limit, this). Requests: Squid feeds a held upload through its
     * buffer without trouble (a 10 MB POST was held and blocked in the lab). Responses:
     * Debian 12's Squid 5.7 never resumes reading from the origin once its 64 KB buffer is
     * full while the service holds its answer, so the response default stays below that
     * (srv_inspect.c explains). */
    unsigned long long max_hold_request;
    unsigned long long max_hold_response;
    /* Most body bytes all transactions of a c-icap child may hold at once
     * (inspect.MaxHeldMemory, 0 = no cap); beyond it a body gets the inspection-limit action,
     * logged "not inspected". */
    unsigned long long max_held_memory;
    const char *admin_contact; /* inspect.AdminContact, shown on block pages; NULL = not set */
};
extern struct sv_conf sv_conf;

#define ECHO_HIGH_WATER (256 * 1024)

enum sv_txn_mode { MODE_NONE, MODE_BUFFER, MODE_ECHO, MODE_PAGE };

/* The state of one transaction, shared by inspect_txn.c and inspect_apply.c. */
struct sv_txn {
    ci_request_t *req;
    struct si_policy *policy;
    enum si_sec_phase phase;
    enum sv_txn_mode mode;
    struct si_sec_facts facts;
    enum si_encoding encoding;
    unsigned long long limit, total;
    unsigned char *buf; /* FIFO of body bytes: [rpos, len) */
    size_t len, cap, rpos;
    ci_membuf_t *page;
    bool decided, eod, not_inspected, body_replaced;
    unsigned long long held; /* bytes counted against inspect.MaxHeldMemory */
    /* Large members from here on (about 3 KB): sv_txn_new zeroes only what is read before it is
     * written (every request allocates one, and clearing all of it was a third of the
     * service's per-request instructions). Everything above is zeroed. */
    char client_ip[64], user[128], groups[256], ref[48];
    char tls[64]; /* X-Inspect-Tls (Squid's inspection decision), "" when absent or unsafe */
    struct si_req_parts parts;
    struct si_sec_verdict verdict;
};

/* The c-icap child's pid, for transaction references (one getpid() per child, not per
 * request). Called when a child starts; until then sv_txn_new asks getpid(). */
void sv_txn_set_child_pid(unsigned pid);
struct sv_txn *sv_txn_new(ci_request_t *req, struct si_policy *policy);
void sv_txn_free(struct sv_txn *t);
int sv_txn_preview(struct sv_txn *t, char *data, int len);
int sv_txn_end_of_data(struct sv_txn *t);
int sv_txn_io(struct sv_txn *t, char *wbuf, int *wlen, char *rbuf, int *rlen, int iseof);

#endif
