/*
 * crtvd_request.h: the body of a Squid sslcrtvalidator_program exchange (Squid 5.7 / 6.x).
 *
 *   request body:  host=NAME LF proto_version=V LF cipher=C LF
 *                  cert_0=-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE----- LF
 *                  cert_1=... LF error_name_0=X509_V_ERR_... LF error_cert_0=cert_K ...
 *   reply body:    error_name_J=NAME LF error_reason_J=TEXT LF error_cert_J=cert_K LF
 *                  error_depth_J=D LF ...
 *
 * The framing around the body (IDs, byte counts, 0x01) is lib/helper_io.h. This module only parses
 * and builds bodies, so it can be fuzzed and unit-tested without a process around it.
 *
 * Ownership: si_crtvd_parse() fills a caller-owned struct whose strings are malloc'd copies;
 * si_crtvd_request_free() releases them (the struct itself is not freed). si_crtvd_reply_*
 * builds a malloc'd body owned by the struct si_crtvd_reply, released by si_crtvd_reply_free().
 *
 * Thread-safety: no shared state; distinct structs may be used from distinct threads.
 */
#ifndef SI_CRTVD_REQUEST_H
#define SI_CRTVD_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#define SI_CRTVD_MAX_CERTS 16   /* a chain longer than this is refused as malformed */
#define SI_CRTVD_MAX_ERRORS 64  /* Squid reports at most a few per certificate */
#define SI_CRTVD_NAME_MAX 64    /* longest error name we keep */

struct si_crtvd_error {
    char name[SI_CRTVD_NAME_MAX + 1]; /* as Squid sent it (may be a decimal number) */
    int cert;                         /* index into certs[], or 0 when Squid named none */
};

struct si_crtvd_request {
    char *host;          /* may be "" (intercepted connection without SNI) */
    char *proto_version; /* may be NULL when absent */
    char *cipher;        /* may be NULL when absent */
    size_t ncerts;       /* certs[0 .. ncerts-1] are all present (contiguous from cert_0) */
    char *certs[SI_CRTVD_MAX_CERTS]; /* PEM text, BEGIN..END lines, NUL-terminated */
    size_t nerrors;
    struct si_crtvd_error errors[SI_CRTVD_MAX_ERRORS];
};

/*
 * Parses a cert_validate body of len bytes (need not be NUL-terminated). Returns 0, or -1 with a
 * sentence in err (out is then empty and needs no free). Unknown keys are ignored so that a newer
 * Squid does not break the helper; duplicates, holes in cert_N numbering, a cert_N without an END
 * line, an error_cert_J without its error_name_J and NUL bytes are errors.
 */
int si_crtvd_parse(const char *body, size_t len, struct si_crtvd_request *out, char *err,
                   size_t errsize);
void si_crtvd_request_free(struct si_crtvd_request *req);

/* True when Squid 5.7 accepts NAME as an error_name_J in a validator reply. */
bool si_crtvd_error_known(const char *name);

/* A reply body under construction. */
struct si_crtvd_reply {
    char *buf;
    size_t len, cap;
    unsigned count; /* errors added so far (the next J) */
    bool failed;    /* out of memory: the body is incomplete, do not send it */
};

/*
 * Appends error_name_J/error_reason_J/error_cert_J/error_depth_J for the next J. name must be a
 * known name (else -1 and nothing is added). reason may be NULL; it is cut to one line, control
 * bytes replaced. cert < 0 omits error_cert_J and error_depth_J. Returns 0 or -1.
 */
int si_crtvd_reply_add(struct si_crtvd_reply *reply, const char *name, const char *reason,
                       int cert);
void si_crtvd_reply_free(struct si_crtvd_reply *reply);

#endif
