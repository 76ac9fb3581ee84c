/*
 * test_blockpage.c: the block page (lib/blockpage.c) and the Squid error templates generated
 * from the same design (squid_conf/errors/mkpages.sh): placeholders, escaping, time, contact,
 * non-HTML bodies, self-contained pages carrying every fact an admin needs.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blockpage.h"
#include "httpreq.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0;

    cr_assert_not_null(f, "cannot open %s", path);
    buf = calloc(1, 1 << 20);
    cr_assert_not_null(buf);
    n = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void assert_self_contained(const char *page, const char *what)
{
    static const char *const external[] = {"<link", "<script", "src=", "@import", "url(",
                                           "http://", "https://", "<iframe", "<img"};
    for (size_t i = 0; i < sizeof(external) / sizeof(external[0]); i++)
        cr_assert_null(strstr(page, external[i]), "%s loads something: %s", what, external[i]);
    cr_assert(strstr(page, "<html lang=\"en\">"), "%s: no language", what);
    cr_assert(strstr(page, "<title>"), "%s: no title", what);
    cr_assert(strstr(page, "<h1 id=\"si-title\">"), "%s: no heading", what);
    cr_assert(strstr(page, "name=\"viewport\""), "%s: no viewport", what);
    cr_assert(strstr(page, "<style>"), "%s: no inline style", what);
}

Test(blockpage, builtin_has_every_fact_and_the_shared_style)
{
    struct si_block_info i = {"no-exe", "Executables are not allowed", "https://dl.test/a.exe",
                              "dl.test", "si-1-2-3", "Sat, 21 Nov 2026 12:00:23 GMT",
                              "helpdesk@corp.test"};
    size_t n;
    char *page = si_block_render(NULL, SI_BLOCK_HTML, &i, &n);
    char *css = slurp(SRCDIR "/squid_conf/errors/inspect.css");

    cr_assert_not_null(page);
    cr_assert(strstr(page, css), "the built-in page does not carry inspect.css verbatim");
    struct si_block_info plain = {"r", "why", "h/", "h", "ref", NULL, NULL};
    size_t m;
    char *bare = si_block_render(NULL, SI_BLOCK_HTML, &plain, &m);
    assert_self_contained(bare, "block page");
    free(bare);
    cr_assert(strstr(page, "<code>no-exe</code>"));
    cr_assert(strstr(page, "Executables are not allowed"));
    cr_assert(strstr(page, "https://dl.test/a.exe"));
    cr_assert(strstr(page, "<strong>dl.test</strong>"));
    cr_assert(strstr(page, "Sat, 21 Nov 2026 12:00:23 GMT"));
    cr_assert(strstr(page, "<strong>helpdesk@corp.test</strong>"));
    cr_assert(strstr(strstr(page, "si-ref"), "si-1-2-3"));
    cr_assert_null(strstr(page, "{{"), "a placeholder was left: %s", strstr(page, "{{"));
    free(page);
    free(css);
}

Test(blockpage, markup_in_every_value_is_text)
{
    struct si_block_info i = {"r<i>", "<b>why</b>", "https://x.test/<script>alert(1)</script>",
                              "<img src=x onerror=alert(2)>.test", "ref\"<", "<t>", "<c>&"};
    size_t n;
    char *page = si_block_render(NULL, SI_BLOCK_HTML, &i, &n);

    cr_assert_null(strstr(page, "<script>alert"));
    cr_assert_null(strstr(page, "<img"));
    cr_assert_null(strstr(page, "<b>why"));
    cr_assert_null(strstr(page, "<t>"));
    cr_assert_null(strstr(page, "<c>"));
    cr_assert(strstr(page, "&lt;img src=x onerror=alert(2)&gt;.test"));
    cr_assert(strstr(page, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    cr_assert(strstr(page, "&lt;c&gt;&amp;"));
    cr_assert(strstr(page, "ref&quot;&lt;"));
    free(page);
    page = si_block_render("{{TIME}}|{{CONTACT}}|{{HOST}}", SI_BLOCK_HTML, &i, &n);
    cr_assert_str_eq(page, "&lt;t&gt;|&lt;c&gt;&amp;|&lt;img src=x onerror=alert(2)&gt;.test");
    free(page);
}

Test(blockpage, unset_time_and_contact)
{
    struct si_block_info i = {"r", "why", "https://h/", "h", "ref", NULL, NULL};
    size_t n;
    char *page = si_block_render("[{{TIME}}][{{CONTACT}}]", SI_BLOCK_HTML, &i, &n);

    cr_assert_str_eq(page, "[-][your IT help desk]");
    free(page);
    page = si_block_render(NULL, SI_BLOCK_JSON, &i, &n);
    cr_assert_null(strstr(page, "\"time\""));
    cr_assert_null(strstr(page, "\"contact\""));
    free(page);
}

Test(blockpage, json_and_text_carry_the_same_facts)
{
    struct si_block_info i = {"no-exe", "bad\r\nX-Injected: 1", "https://h/a?<x>", "h", "si-9",
                              "Sat, 21 Nov 2026 12:00:23 GMT", "Help \"desk\"\n<4444>"};
    size_t n;
    char *page = si_block_render(NULL, SI_BLOCK_JSON, &i, &n);

    cr_assert_str_eq(page, "{\"blocked\":true,\"rule\":\"no-exe\",\"reason\":\"bad\\u000d\\u000aX-"
                           "Injected: 1\",\"url\":\"https://h/a?\\u003cx\\u003e\",\"ref\":\"si-9\","
                           "\"time\":\"Sat, 21 Nov 2026 12:00:23 GMT\",\"contact\":\"Help "
                           "\\\"desk\\\"\\u000a\\u003c4444\\u003e\"}\n");
    free(page);
    page = si_block_render(NULL, SI_BLOCK_TEXT, &i, &n);
    cr_assert_str_eq(page, "Blocked by policy rule no-exe: bad  X-Injected: 1\n"
                           "URL: https://h/a?<x>\nReference: si-9\n"
                           "Time: Sat, 21 Nov 2026 12:00:23 GMT\n"
                           "Contact: Help \"desk\" <4444> (quote the reference)\n");
    free(page);
}

/* The URL on the page is the one the client asked for, with its non-default port, in every
 * variant (the service builds it with si_req_url from the request line or the Host header). */
Test(blockpage, url_keeps_a_non_default_port)
{
    static const struct {
        const char *line, *host_header, *url;
    } cases[] = {
        {"GET https://Host.test:8443/p?q=1 HTTP/1.1", NULL, "https://host.test:8443/p?q=1"},
        {"GET http://host.test:8080/p HTTP/1.1", NULL, "http://host.test:8080/p"},
        {"GET https://host.test:443/p HTTP/1.1", NULL, "https://host.test/p"},
        {"GET http://[::1]:8443/p HTTP/1.1", NULL, "http://[::1]:8443/p"},
        {"GET /p HTTP/1.1", "host.test:8443", "host.test:8443/p"},
    };
    static const enum si_block_format fmts[] = {SI_BLOCK_HTML, SI_BLOCK_JSON, SI_BLOCK_TEXT};

    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        struct si_req_parts parts;
        char url[512];

        si_req_parts_init(&parts);
        cr_assert_eq(si_req_parse(cases[c].line, cases[c].host_header, &parts), 0);
        if (parts.origin_form)
            si_req_parts_set_host(&parts, cases[c].host_header);
        cr_assert_str_eq(si_req_url(&parts, url, sizeof(url)), cases[c].url);
        struct si_block_info i = {"r", "why", url, parts.host, "si-1", NULL, NULL};
        for (size_t f = 0; f < 3; f++) {
            size_t n;
            char *page = si_block_render(NULL, fmts[f], &i, &n);
            cr_assert(strstr(page, cases[c].url), "format %zu of %s lacks the URL %s: %s", f,
                      cases[c].line, cases[c].url, page);
            free(page);
        }
        si_req_parts_clear(&parts);
    }
}

Test(blockpage, time_format)
{
    char buf[64], small[8];

    cr_assert_str_eq(si_block_time(0, buf, sizeof(buf)), "Thu, 01 Jan 1970 00:00:00 GMT");
    cr_assert_str_eq(si_block_time(1795262423, buf, sizeof(buf)), "Sat, 21 Nov 2026 12:00:23 GMT");
    cr_assert_str_eq(si_block_time(951782400, buf, sizeof(buf)), "Tue, 29 Feb 2000 00:00:00 GMT");
    cr_assert_str_eq(si_block_time(0, small, sizeof(small)), "-");
}

/* Every generated Squid template: self-contained, same style, every fact as a Squid code. */
Test(squid_pages, every_template_has_the_facts)
{
    DIR *d = opendir(BUILDDIR "/squid_conf/errors/en");
    char *css = slurp(SRCDIR "/squid_conf/errors/inspect.css");
    struct dirent *e;
    int count = 0;

    cr_assert_not_null(d, "generated templates missing (make builds them)");
    while ((e = readdir(d))) {
        char path[1024];
        size_t len = strlen(e->d_name);
        if (strncmp(e->d_name, "ERR_", 4) != 0 || (len > 5 && strcmp(e->d_name + len - 5, "_TEXT") == 0))
            continue;
        snprintf(path, sizeof(path), "%s/squid_conf/errors/en/%s", BUILDDIR, e->d_name);
        char *page = slurp(path);
        assert_self_contained(page, e->d_name);
        cr_assert(strstr(page, css), "%s lacks the shared style", e->d_name);
        cr_assert(strstr(page, "<code>%U</code>"), "%s: no URL", e->d_name);
        cr_assert(strstr(page, "<dd>%T</dd>"), "%s: no time", e->d_name);
        cr_assert(strstr(page, "<strong>%w</strong>"), "%s: no contact", e->d_name);
        cr_assert(strstr(page, "sq-@Squid{%tS}-@Squid{%master_xaction}"), "%s: no ref", e->d_name);
        cr_assert_null(strstr(page, "@CSS@"), "%s: unfilled", e->d_name);
        free(page);
        count++;
    }
    closedir(d);
    cr_assert_geq(count, 43, "only %d templates", count);
    char *cert = slurp(BUILDDIR "/squid_conf/errors/en/ERR_SECURE_CONNECT_FAIL");
    cr_assert(strstr(cert, "<code>%x</code>"), "the certificate error code is not shown");
    cr_assert(strstr(cert, "%D"), "the certificate error detail is not shown");
    free(cert);
    free(css);
}

/* The plain-text variants: no HTML at all, every fact, the same reference as the HTML pages. */
Test(squid_pages, text_variants_carry_the_facts)
{
    static const char *const names[] = {"ERR_INSPECT_CERT_TEXT", "ERR_INSPECT_ICAP_TEXT",
                                        "ERR_INSPECT_TERMINATE_TEXT"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/squid_conf/errors/en/%s", BUILDDIR, names[i]);
        char *page = slurp(path);
        cr_assert_null(strchr(page, '<'), "%s contains markup", names[i]);
        cr_assert(strstr(page, "Refused by the HTTPS inspection proxy: "), "%s: no headline", names[i]);
        cr_assert(strstr(page, "\nReason: "), "%s: no reason", names[i]);
        cr_assert(strstr(page, "\nAddress: %U\n"), "%s: no URL", names[i]);
        cr_assert(strstr(page, "\nTime: %T\n"), "%s: no time", names[i]);
        cr_assert(strstr(page, "\nReference: sq-@Squid{%tS}-@Squid{%master_xaction}\n"), "%s", names[i]);
        cr_assert(strstr(page, "\nContact: %w "), "%s: no contact", names[i]);
        free(page);
    }
}

/* Squid HTML-escapes the legacy codes it fills; the templates use only those (plus %D, whose
 * certificate names Squid escapes, %g, Squid's own FTP listing, and %l, never used). */
Test(squid_pages, only_escaped_codes)
{
    DIR *d = opendir(BUILDDIR "/squid_conf/errors/en");
    struct dirent *e;

    cr_assert_not_null(d);
    while ((e = readdir(d))) {
        char path[1024];
        if (strncmp(e->d_name, "ERR_", 4) != 0)
            continue;
        snprintf(path, sizeof(path), "%s/squid_conf/errors/en/%s", BUILDDIR, e->d_name);
        char *page = slurp(path);
        for (const char *p = strchr(page, '%'); p; p = strchr(p + 1, '%')) {
            if (p > page && p[-1] == '{')
                continue; /* @Squid{%code}: logformat, numbers and error names only */
            cr_assert(strchr("UHTwcxDzEFZhg", p[1]), "%s uses %%%c", e->d_name, p[1]);
        }
        for (const char *p = strstr(page, "@Squid{"); p; p = strstr(p + 1, "@Squid{")) {
            cr_assert(strncmp(p, "@Squid{%tS}", 11) == 0 || strncmp(p, "@Squid{%master_xaction}", 23) == 0 ||
                          strncmp(p, "@Squid{%err_code}", 17) == 0 || strncmp(p, "@Squid{%err_detail}", 19) == 0,
                      "%s: unexpected logformat code %.30s", e->d_name, p);
        }
        free(page);
    }
    closedir(d);
}
