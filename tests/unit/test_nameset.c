/* Unit tests for lib/nameset (domain hash set) and lib/cidr. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cidr.h"
#include "nameset.h"

Test(nameset, exact_and_subdomains)
{
    struct si_nameset *s = si_nameset_new(4);
    char bad[32];

    cr_assert_eq(si_nameset_add_words(s, "www.Example.com .corp.example .", bad, sizeof(bad)), -1);
    cr_assert_str_eq(bad, ".");
    cr_assert(si_nameset_match(s, "WWW.example.com."));
    cr_assert_not(si_nameset_match(s, "example.com"));
    cr_assert_not(si_nameset_match(s, "a.www.example.com"));
    cr_assert(si_nameset_match(s, "corp.example"));
    cr_assert(si_nameset_match(s, "a.b.corp.example"));
    cr_assert_not(si_nameset_match(s, "xcorp.example"));
    cr_assert_not(si_nameset_match(s, ""));
    cr_assert_not(si_nameset_match(s, NULL));
    cr_assert(si_nameset_contains(s, "corp.example"));
    cr_assert_not(si_nameset_contains(s, "a.corp.example"));
    cr_assert_eq(si_nameset_count(s), 2);
    si_nameset_free(s);
}

Test(nameset, duplicates_merge_flags_and_growth)
{
    struct si_nameset *s = si_nameset_new(1);
    char name[64];

    cr_assert_eq(si_nameset_add(s, "a.example", 9), 0);
    cr_assert_eq(si_nameset_add(s, ".a.example", 10), 0);
    cr_assert_eq(si_nameset_count(s), 1);
    cr_assert(si_nameset_match(s, "x.a.example"));
    for (int i = 0; i < 50000; i++) {
        int n = snprintf(name, sizeof(name), "host%d.example.net", i);
        cr_assert_eq(si_nameset_add(s, name, (size_t)n), 0);
    }
    cr_assert_eq(si_nameset_count(s), 50001);
    cr_assert(si_nameset_match(s, "host49999.example.net"));
    cr_assert_not(si_nameset_match(s, "host50000.example.net"));
    cr_assert_eq(si_nameset_add(s, "bad name", 8), -1);
    si_nameset_free(s);
}

Test(nameset, load_file_reports_line)
{
    char path[] = "/tmp/nsXXXXXX", err[256];
    int fd = mkstemp(path);
    const char *text = "# comment\n.bank.example\r\n\n  pay.example.net  # trailing\nbad\x01name\n";
    struct si_nameset *s = si_nameset_new(4);

    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    cr_assert_eq(si_nameset_load_file(s, path, err, sizeof(err)), -1);
    cr_assert(strstr(err, ":5: not a valid name"), "%s", err);
    cr_assert(si_nameset_match(s, "www.bank.example"));
    cr_assert(si_nameset_match(s, "pay.example.net"));
    unlink(path);
    cr_assert_eq(si_nameset_load_file(s, path, err, sizeof(err)), -1);
    cr_assert(strstr(err, "cannot open"), "%s", err);
    si_nameset_free(s);
}

Test(cidr, v4_v6_and_mapped)
{
    struct si_cidr_list *l = NULL;
    struct si_addr a;
    char bad[64];

    cr_assert_eq(si_cidr_list_parse(&l, "10.1.2.3/16, fd00:1::/48 192.0.2.7", bad, sizeof(bad)), 0);
    cr_assert_eq(si_addr_parse("10.1.255.1", &a), 0);
    cr_assert(si_cidr_list_match(l, &a));
    cr_assert_eq(si_addr_parse("::ffff:10.1.0.9", &a), 0);
    cr_assert_eq(a.family, 4);
    cr_assert(si_cidr_list_match(l, &a));
    cr_assert_eq(si_addr_parse("10.2.0.1", &a), 0);
    cr_assert_not(si_cidr_list_match(l, &a));
    cr_assert_eq(si_addr_parse("[fd00:1:0:5::1]", &a), 0);
    cr_assert(si_cidr_list_match(l, &a));
    cr_assert_eq(si_addr_parse("fd00:2::1", &a), 0);
    cr_assert_not(si_cidr_list_match(l, &a));
    cr_assert_eq(si_addr_parse("192.0.2.7", &a), 0);
    cr_assert(si_cidr_list_match(l, &a));
    cr_assert_eq(si_addr_parse("not-an-ip", &a), -1);
    cr_assert_not(si_cidr_list_match(l, &a));
    cr_assert_eq(si_cidr_list_parse(&l, "10.0.0.0/33", bad, sizeof(bad)), -1);
    cr_assert_str_eq(bad, "10.0.0.0/33");
    si_cidr_list_free(l);
}

Test(nameset, domains_file_names_match_their_subdomains)
{
    char path[] = "/tmp/test_nameset_domains.XXXXXX", err[256];
    int fd = mkstemp(path);
    const char text[] = "# UT1 style\nbank.example\r\n.already.example\n\n  pay.Example  \n";
    struct si_nameset *s = si_nameset_new(2);

    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
    close(fd);
    cr_assert_eq(si_nameset_load_domains_file(s, path, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(si_nameset_count(s), 3);
    cr_assert(si_nameset_match(s, "bank.example"));
    cr_assert(si_nameset_match(s, "www.bank.example"));
    cr_assert(si_nameset_match(s, "a.b.already.example"));
    cr_assert(si_nameset_match(s, "x.pay.example"));
    cr_assert_not(si_nameset_match(s, "xbank.example"));
    cr_assert_not(si_nameset_match(s, "example"));
    si_nameset_free(s);
    /* the plain loader keeps bare names exact */
    s = si_nameset_new(2);
    cr_assert_eq(si_nameset_load_file(s, path, err, sizeof(err)), 0, "%s", err);
    cr_assert(si_nameset_match(s, "bank.example"));
    cr_assert_not(si_nameset_match(s, "www.bank.example"));
    si_nameset_free(s);
    unlink(path);
}
