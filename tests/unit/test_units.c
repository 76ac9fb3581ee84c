/* test_units.c: lib/units.c, the one size grammar and the one duration grammar. */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>

#include "units.h"

static unsigned long long size_of(const char *s)
{
    unsigned long long v = 12345;

    cr_assert_eq(si_parse_size(s, &v), 0, "'%s' should be a size", s);
    return v;
}

static void not_size(const char *s)
{
    unsigned long long v = 12345;

    cr_assert_eq(si_parse_size(s, &v), -1, "'%s' should not be a size", s);
    cr_assert_eq(v, 12345, "'%s': the result is untouched on error", s);
}

Test(units, size_accepts_every_unit)
{
    cr_assert_eq(size_of("0"), 0);
    cr_assert_eq(size_of("4096"), 4096);
    cr_assert_eq(size_of("60K"), 60 * 1024);
    cr_assert_eq(size_of("60k"), 60 * 1024);
    cr_assert_eq(size_of("1M"), 1ull << 20);
    cr_assert_eq(size_of("64MB"), 64ull << 20);
    cr_assert_eq(size_of("64mb"), 64ull << 20);
    cr_assert_eq(size_of("2g"), 2ull << 30);
    cr_assert_eq(size_of("2GB"), 2ull << 30);
    cr_assert_eq(size_of("10KB"), 10 * 1024);
    cr_assert_eq(size_of("512B"), 512);
    cr_assert_eq(size_of("512b"), 512);
    cr_assert_eq(size_of("18446744073709551615"), ULLONG_MAX);
    cr_assert_eq(size_of("17179869183G"), 17179869183ull << 30);
}

Test(units, size_rejects_overflow)
{
    not_size("18446744073709551616");
    not_size("99999999999999999999999");
    not_size("17179869184G");
    not_size("18014398509481984K");
}

Test(units, size_rejects_junk_and_negative)
{
    not_size(NULL);
    not_size("");
    not_size("K");
    not_size("MB");
    not_size("-1");
    not_size("-1K");
    not_size("+5");
    not_size(" 5");
    not_size("5 ");
    not_size("5 K");
    not_size("1.5M");
    not_size("5T");
    not_size("5KK");
    not_size("5BB");
    not_size("5KiB");
    not_size("0x10");
}

static long ms_of(const char *s)
{
    long v = 12345;

    cr_assert_eq(si_parse_duration_ms(s, &v), 0, "'%s' should be a duration", s);
    return v;
}

static void not_duration(const char *s)
{
    long v = 12345;

    cr_assert_eq(si_parse_duration_ms(s, &v), -1, "'%s' should not be a duration", s);
    cr_assert_eq(v, 12345, "'%s': the result is untouched on error", s);
}

Test(units, duration_accepts_every_unit)
{
    cr_assert_eq(ms_of("0"), 0);
    cr_assert_eq(ms_of("2"), 2000);
    cr_assert_eq(ms_of("3s"), 3000);
    cr_assert_eq(ms_of("1500ms"), 1500);
    cr_assert_eq(ms_of("10m"), 600000);
    cr_assert_eq(ms_of("0ms"), 0);
}

Test(units, duration_rejects_overflow)
{
    char big[64];

    not_duration("99999999999999999999999");
    snprintf(big, sizeof(big), "%ldm", LONG_MAX / 60000 + 1);
    not_duration(big);
    snprintf(big, sizeof(big), "%lds", LONG_MAX / 1000 + 1);
    not_duration(big);
    snprintf(big, sizeof(big), "%ldms", LONG_MAX);
    cr_assert_eq(ms_of(big), LONG_MAX);
}

Test(units, duration_rejects_junk_and_negative)
{
    not_duration(NULL);
    not_duration("");
    not_duration("s");
    not_duration("ms");
    not_duration("-1");
    not_duration("-1s");
    not_duration("+3s");
    not_duration(" 3s");
    not_duration("3s ");
    not_duration("3 hours");
    not_duration("3h");
    not_duration("3S");
    not_duration("3MS");
    not_duration("1.5s");
    not_duration("3sms");
    not_duration("3mss");
}
