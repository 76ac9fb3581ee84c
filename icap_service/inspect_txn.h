/*
 * inspect_txn.h: one ICAP REQMOD/RESPMOD transaction of srv_inspect: facts extraction, the
 * preview decision, body buffering/streaming and applying the security-policy verdict.
 *
 * Ownership: a txn is created by init_request_data and freed by release_request_data; it holds
 * one policy reference for its whole life, so a reload never changes the rules mid-request.
 * Thread-safety: a txn is used by the single worker thread that handles its request; the
 * service configuration (struct inspect_conf) is read-only while requests run.
 */
#ifndef INSPECT_TXN_H
#define INSPECT_TXN_H

#include <stdbool.h>

#include "c-icap.h"
#include "request.h"

#include "policy.h"

struct inspect_conf {
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
extern struct inspect_conf inspect_conf;

struct txn;

/* The c-icap child's pid, for transaction references (one getpid() per child, not per
 * request). Called when a child starts; until then txn_new asks getpid(). */
void txn_set_child_pid(unsigned pid);
struct txn *txn_new(ci_request_t *req, struct si_policy *policy);
void txn_free(struct txn *t);
int txn_preview(struct txn *t, char *data, int len);
int txn_end_of_data(struct txn *t);
int txn_io(struct txn *t, char *wbuf, int *wlen, char *rbuf, int *rlen, int iseof);

#endif
