/*
 * blockpage.h: the body a client sees when a request is blocked.
 *
 * HTML for browsers (Accept names text/html) from a template with {{RULE}}, {{REASON}}, {{URL}},
 * {{HOST}}, {{REF}}, {{TIME}} and {{CONTACT}} placeholders, every value HTML-escaped; JSON for
 * clients that accept application/json; a short plain text otherwise, with the same facts.
 * The built-in page is generated from the design shared with Squid's error pages
 * (squid_conf/errors/: page.html.in, inspect.css, pages.txt; see mkpages.sh).
 *
 * Ownership: si_block_render() returns a malloc'd body (free()). Thread-safety: pure functions.
 */
#ifndef SI_BLOCKPAGE_H
#define SI_BLOCKPAGE_H

#include <stddef.h>
#include <time.h>

enum si_block_format { SI_BLOCK_HTML, SI_BLOCK_JSON, SI_BLOCK_TEXT };

struct si_block_info {
    const char *rule_id; /* the rule that blocked */
    const char *reason;  /* the rule's message, or what matched */
    const char *url;
    const char *host;
    const char *ref;     /* transaction reference, also in the service's log line */
    const char *time;    /* when it was blocked (si_block_time), NULL = not shown */
    const char *contact; /* the administrator to contact (configuration), NULL = generic words */
};

/* Writes t as an RFC 1123 date ("Sat, 21 Nov 2026 12:00:23 GMT", as on Squid's pages) into buf.
 * Returns buf ("-" when it does not fit). */
char *si_block_time(time_t t, char *buf, size_t size);

enum si_block_format si_block_format_for(const char *accept);
const char *si_block_content_type(enum si_block_format f);

/* tmpl: HTML template text, NULL for the built-in page. Returns the body, its length in *len. */
char *si_block_render(const char *tmpl, enum si_block_format f, const struct si_block_info *info,
                      size_t *len);

/* Escapes s for HTML text and attribute values into a new string (free()). */
char *si_html_escape(const char *s);

#endif
