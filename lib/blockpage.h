/*
 * blockpage.h: the body a client sees when a request is blocked.
 *
 * HTML for browsers (Accept names text/html) from a template with {{RULE}}, {{REASON}}, {{URL}},
 * {{HOST}} and {{REF}} placeholders, every value HTML-escaped; JSON for clients that accept
 * application/json; a short plain text otherwise.
 *
 * Ownership: si_block_render() returns a malloc'd body (free()). Thread-safety: pure functions.
 */
#ifndef SI_BLOCKPAGE_H
#define SI_BLOCKPAGE_H

#include <stddef.h>

enum si_block_format { SI_BLOCK_HTML, SI_BLOCK_JSON, SI_BLOCK_TEXT };

struct si_block_info {
    const char *rule_id; /* the rule that blocked */
    const char *reason;  /* the rule's message, or what matched */
    const char *url;
    const char *host;
    const char *ref;     /* transaction reference, also in the service's log line */
};

enum si_block_format si_block_format_for(const char *accept);
const char *si_block_content_type(enum si_block_format f);

/* tmpl: HTML template text, NULL for the built-in page. Returns the body, its length in *len. */
char *si_block_render(const char *tmpl, enum si_block_format f, const struct si_block_info *info,
                      size_t *len);

/* Escapes s for HTML text and attribute values into a new string (free()). */
char *si_html_escape(const char *s);

#endif
