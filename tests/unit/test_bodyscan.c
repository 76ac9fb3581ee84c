/* Unit tests for lib/bodyscan (cards, query rewrite, body replace) and lib/blockpage. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "blockpage.h"
#include "filetype.h"
#include "bodyscan.h"

static unsigned cards(const char *s)
{
    return si_count_payment_cards((const unsigned char *)s, strlen(s), 100);
}

Test(cards, luhn)
{
    cr_assert(si_luhn_valid("4111111111111111", 16));
    cr_assert_not(si_luhn_valid("4111111111111112", 16));
    cr_assert(si_luhn_valid("79927398713", 11));
    cr_assert_not(si_luhn_valid("12a4", 4));
}

Test(cards, detection)
{
    cr_assert_eq(cards("4111111111111111"), 1);
    cr_assert_eq(cards("card: 4111 1111 1111 1111, exp"), 1);
    cr_assert_eq(cards("4111-1111-1111-1111"), 1);
    cr_assert_eq(cards("n=4111+1111+1111+1111"), 1);
    cr_assert_eq(cards("4111111111111112"), 0);            /* Luhn fails */
    cr_assert_eq(cards("41111111111111110000"), 0);        /* 20 digits */
    cr_assert_eq(cards("id41111111111111111"), 0);         /* glued to a word */
    cr_assert_eq(cards("4111111111111111x"), 0);
    cr_assert_eq(cards("0000000000000000"), 0);            /* no card starts with 0 */
    cr_assert_eq(cards("4111  1111 1111 1111"), 0);        /* double space splits it */
    cr_assert_eq(cards("4111111111111111 5500000000000004 340000000000009"), 3);
    cr_assert_eq(si_count_payment_cards((const unsigned char *)"4111111111111111 4111111111111111",
                                        33, 1), 1);         /* stops at limit */
    cr_assert_eq(si_count_payment_cards(NULL, 0, 5), 0);
}

Test(query, set_param)
{
    char *q = si_query_set_param("q=x&safe=off&b=1&safe=images", "safe", "active");
    cr_assert_str_eq(q, "q=x&safe=active&b=1");
    free(q);
    q = si_query_set_param(NULL, "safe", "a b&c");
    cr_assert_str_eq(q, "safe=a%20b%26c");
    free(q);
    q = si_query_set_param("safer=1", "safe", "active");
    cr_assert_str_eq(q, "safer=1&safe=active");
    free(q);
}

Test(blockpage, html_escaped)
{
    struct si_block_info i = {"r<1>", "bad \"stuff\" & more", "https://h/<script>alert(1)</script>",
                              "h", "ref-1", NULL, NULL};
    size_t n;
    char *page = si_block_render(NULL, SI_BLOCK_HTML, &i, &n);

    cr_assert_not_null(page);
    cr_assert_eq(n, strlen(page));
    cr_assert_null(strstr(page, "<script>"));
    cr_assert(strstr(page, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    cr_assert(strstr(page, "r&lt;1&gt;"));
    cr_assert(strstr(page, "bad &quot;stuff&quot; &amp; more"));
    cr_assert(strstr(page, "ref-1"));
    free(page);
    page = si_block_render("<p>{{RULE}}|{{REF}}|{{UNKNOWN}}</p>", SI_BLOCK_HTML, &i, &n);
    cr_assert_str_eq(page, "<p>r&lt;1&gt;|ref-1|{{UNKNOWN}}</p>");
    free(page);
}

Test(blockpage, json_and_text)
{
    struct si_block_info i = {"r1", "line\r\nX-Injected: 1 \"q\"", "https://h/a", "h", "ref", NULL, NULL};
    size_t n;
    char *page = si_block_render(NULL, SI_BLOCK_JSON, &i, &n);

    cr_assert_str_eq(page, "{\"blocked\":true,\"rule\":\"r1\",\"reason\":\"line\\u000d\\u000aX-"
                           "Injected: 1 \\\"q\\\"\",\"url\":\"https://h/a\",\"ref\":\"ref\"}\n");
    free(page);
    page = si_block_render(NULL, SI_BLOCK_TEXT, &i, &n);
    cr_assert_null(strchr(strchr(page, ':'), '\r'));
    cr_assert(strstr(page, "Blocked by policy rule r1: line  X-Injected"), "%s", page);
    free(page);
    cr_assert_eq(si_block_format_for("text/html,application/xhtml+xml"), SI_BLOCK_HTML);
    cr_assert_eq(si_block_format_for("application/json"), SI_BLOCK_JSON);
    cr_assert_eq(si_block_format_for("*/*"), SI_BLOCK_TEXT);
    cr_assert_eq(si_block_format_for(NULL), SI_BLOCK_TEXT);
}

Test(filetype, magic)
{
    cr_assert_eq(si_filetype_detect((const unsigned char *)"MZ\x90", 3),
                 si_filetype_from_name("exe", 3));
    cr_assert_eq(si_filetype_detect((const unsigned char *)"%PDF-1.7", 8),
                 si_filetype_from_name("pdf", 3));
    cr_assert_eq(si_filetype_detect((const unsigned char *)"hello", 5), 0);
    cr_assert_str_eq(si_filetype_name(si_filetype_from_name("zip", 3)), "zip");
    cr_assert_eq(si_filetype_from_name("doc", 3), 0);
}
