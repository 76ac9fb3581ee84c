/*
 * httpreq.h: splitting an HTTP request line into the facts the security policy matches on.
 *
 * "GET https://Www.Example.com:8443/a/b?x=1#f HTTP/1.1" -> method GET, host www.example.com,
 * port 8443, path /a/b, query x=1. Origin-form targets ("/a?x") take the host from the Host
 * header; CONNECT targets are "host:port". IPv6 literals keep no brackets.
 *
 * Ownership: the parts own their strings (scheme, path and query in one block, plus a query
 * set by si_req_parts_set_query); si_req_parts_clear() frees them. A zeroed struct is empty.
 * Thread-safety: reentrant.
 */
#ifndef SI_HTTPREQ_H
#define SI_HTTPREQ_H

#include <stddef.h>

struct si_req_parts {
    char method[32];
    char host[256]; /* lower-case, no port */
    int port;       /* 0 if absent */
    char *scheme;   /* "https", "http", or NULL for origin-form */
    char *path;     /* never NULL after success ("/" at least, "" for CONNECT) */
    char *query;    /* NULL when there is no '?' */
    int origin_form; /* the target is origin-form ("/a?x"): the host is the Host header's */
    char *mem;       /* owns scheme, path and query */
    char *query_set; /* owns a query set by si_req_parts_set_query */
};

/* Every field empty, without clearing the whole struct (its host buffer is large): for parts
 * that si_req_parts_clear may see before any si_req_parse. */
void si_req_parts_init(struct si_req_parts *p);
/* Returns 0, or -1 when the line is not "METHOD SP target [SP version]". host_header may be
 * NULL, and given afterwards to si_req_parts_set_host when out->origin_form is set (so that
 * a caller looks the header up only for origin-form targets). */
int si_req_parse(const char *request_line, const char *host_header, struct si_req_parts *out);
/* The host (and port) of an origin-form target, from the Host header's value (NULL: none). */
void si_req_parts_set_host(struct si_req_parts *p, const char *host_header);
/* Replaces the query by query (malloc'd, NULL for none), which the parts then own. */
void si_req_parts_set_query(struct si_req_parts *p, char *query);
void si_req_parts_clear(struct si_req_parts *p);

/* The URL of the request as the client asked for it, for the block page: scheme, host (IPv6
 * in brackets), a port that is not the scheme's default, path and query. Written into buf
 * (truncated to size); returns buf. */
char *si_req_url(const struct si_req_parts *p, char *buf, size_t size);

/* Status code from "HTTP/1.1 404 Not Found", 0 if malformed. */
int si_status_parse(const char *status_line);

#endif
