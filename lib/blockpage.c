/* blockpage.c: block page rendering with escaping; see blockpage.h. */
#include "blockpage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char builtin_html[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<title>Access blocked</title></head>\n<body>\n<h1>Access blocked by policy</h1>\n"
    "<p>The request to <b>{{HOST}}</b> was blocked.</p>\n"
    "<table>\n<tr><th>URL</th><td>{{URL}}</td></tr>\n<tr><th>Rule</th><td>{{RULE}}</td></tr>\n"
    "<tr><th>Reason</th><td>{{REASON}}</td></tr>\n<tr><th>Reference</th><td>{{REF}}</td></tr>\n"
    "</table>\n<p>Quote the reference when you contact the help desk.</p>\n</body></html>\n";

enum si_block_format si_block_format_for(const char *accept)
{
    if (accept && strstr(accept, "text/html"))
        return SI_BLOCK_HTML;
    if (accept && strstr(accept, "application/json"))
        return SI_BLOCK_JSON;
    return SI_BLOCK_TEXT;
}

const char *si_block_content_type(enum si_block_format f)
{
    return f == SI_BLOCK_HTML ? "text/html; charset=utf-8"
           : f == SI_BLOCK_JSON ? "application/json" : "text/plain; charset=utf-8";
}

static void html_escape_to(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc(*s, out);
        }
    }
}

char *si_html_escape(const char *s)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *out = open_memstream(&buf, &n);

    if (!out)
        return NULL;
    html_escape_to(out, s);
    if (fclose(out) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static void json_escape_to(FILE *out, const char *s)
{
    fputc('"', out);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            fprintf(out, "\\u%04x", c);
        else if (c == '<' || c == '>' || c == '&')
            fprintf(out, "\\u%04x", c); /* safe even if rendered as HTML */
        else
            fputc(c, out);
    }
    fputc('"', out);
}

/* Plain text: control characters (including CR/LF inside values) become spaces. */
static void text_to(FILE *out, const char *s)
{
    for (; s && *s; s++)
        fputc((unsigned char)*s < 0x20 ? ' ' : *s, out);
}

static void render_html(FILE *out, const char *tmpl, const struct si_block_info *i)
{
    static const char *const keys[] = {"{{RULE}}", "{{REASON}}", "{{URL}}", "{{HOST}}", "{{REF}}"};
    const char *vals[] = {i->rule_id, i->reason, i->url, i->host, i->ref};
    const char *p = tmpl;

    while (*p) {
        size_t k;
        for (k = 0; k < 5; k++)
            if (strncmp(p, keys[k], strlen(keys[k])) == 0)
                break;
        if (k < 5) {
            html_escape_to(out, vals[k] ? vals[k] : "-");
            p += strlen(keys[k]);
        } else {
            fputc(*p++, out);
        }
    }
}

char *si_block_render(const char *tmpl, enum si_block_format f, const struct si_block_info *i,
                      size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *out = open_memstream(&buf, &n);

    if (!out)
        return NULL;
    if (f == SI_BLOCK_HTML) {
        render_html(out, tmpl ? tmpl : builtin_html, i);
    } else if (f == SI_BLOCK_JSON) {
        fputs("{\"blocked\":true,\"rule\":", out);
        json_escape_to(out, i->rule_id);
        fputs(",\"reason\":", out);
        json_escape_to(out, i->reason);
        fputs(",\"url\":", out);
        json_escape_to(out, i->url);
        fputs(",\"ref\":", out);
        json_escape_to(out, i->ref);
        fputs("}\n", out);
    } else {
        fputs("Blocked by policy rule ", out);
        text_to(out, i->rule_id);
        fputs(": ", out);
        text_to(out, i->reason);
        fputs("\nURL: ", out);
        text_to(out, i->url);
        fputs("\nReference: ", out);
        text_to(out, i->ref);
        fputc('\n', out);
    }
    if (fclose(out) != 0) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}
