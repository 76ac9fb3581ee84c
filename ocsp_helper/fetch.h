/*
 * fetch.h: one HTTP exchange (OCSP POST or CRL GET) under a hard deadline that includes DNS.
 *
 * - Only http:// URLs. No proxy: nothing is taken from http_proxy/HTTP_PROXY (the connection is
 *   made here, directly, then handed to OSSL_HTTP_REQ_CTX over a socket BIO).
 * - DNS runs getaddrinfo() on a short-lived detached thread; the caller waits for it on a
 *   condition variable until the deadline, so a hung resolver costs at most the deadline.
 *   Numeric addresses skip the thread.
 * - The connect and the exchange are non-blocking and polled against the same deadline
 *   (milliseconds, CLOCK_MONOTONIC). The response size is capped; a bigger answer fails.
 *
 * Ownership: on success *out (oc_fetch_asn1) holds a new ASN.1 value of type rsp_item, and *body
 * (oc_fetch_bytes) a malloc'd buffer; both are the caller's.
 * Thread-safety: reentrant; any number of threads may fetch at once.
 */
#ifndef OCSP_FETCH_H
#define OCSP_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/asn1.h>

enum oc_fetch_status {
    FETCH_OK = 0,
    FETCH_TIMEOUT,  /* deadline reached (DNS, connect or exchange) */
    FETCH_NETWORK,  /* DNS failure, connection refused or reset */
    FETCH_PROTOCOL, /* HTTP status, content type, size cap, undecodable body */
    FETCH_BADURL,   /* not an http:// URL we can use */
};

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t oc_fetch_now_ms(void);

/*
 * Sends req (POST with req_ctype) or a GET when req is NULL, to url, and decodes the DER answer as
 * rsp_item. expect_ctype may be NULL (any content type). deadline_ms is absolute (oc_fetch_now_ms).
 * err gets a sentence on failure.
 */
enum oc_fetch_status oc_fetch_asn1(const char *url, const ASN1_ITEM *req_item, const ASN1_VALUE *req,
                             const char *req_ctype, const char *expect_ctype,
                             const ASN1_ITEM *rsp_item, size_t max_bytes, int64_t deadline_ms,
                             ASN1_VALUE **out, char *err, size_t errsize);

/*
 * A plain GET of url (HTTP/1.0, the server closes): on FETCH_OK *body holds the response body
 * (malloc'd, NUL-terminated after len bytes, the caller frees it). Only status 200 is accepted;
 * a response (headers not counted) above max_bytes fails, as does the deadline.
 */
enum oc_fetch_status oc_fetch_bytes(const char *url, size_t max_bytes, int64_t deadline_ms,
                              unsigned char **body, size_t *len, char *err, size_t errsize);

/* Splits an http URL into host and port ("host:port" into hostport); -1 when not http://. */
int oc_fetch_url_hostport(const char *url, char *hostport, size_t size);

#endif
