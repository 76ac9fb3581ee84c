/*
 * cidr.h: IPv4/IPv6 addresses and CIDR lists for network conditions.
 *
 * IPv4-mapped IPv6 addresses (::ffff:10.1.2.3), as a dual-stack Squid may report them, are
 * treated as the IPv4 address. A bare address in a list means /32 or /128.
 *
 * Ownership: si_cidr_list_parse() returns a list the caller frees with si_cidr_list_free()
 * (accepts NULL). Thread-safety: lists are immutable after parsing; matching is reentrant.
 */
#ifndef SI_CIDR_H
#define SI_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct si_addr {
    int family; /* 4 or 6; 0 = not an address */
    uint8_t bytes[16];
};

struct si_cidr {
    struct si_addr net;
    unsigned prefix;
};

struct si_cidr_list {
    size_t n;
    struct si_cidr *items;
};

/* Parses "10.1.2.3", "fd00::1", "::ffff:10.1.2.3", optionally "[...]". Returns 0 or -1. */
int si_addr_parse(const char *text, struct si_addr *out);

/*
 * Parses whitespace- or comma-separated CIDRs into a new list (appends when *list is not NULL).
 * On error returns -1 and copies the offending word into bad.
 */
int si_cidr_list_parse(struct si_cidr_list **list, const char *text, char *bad, size_t badsize);

/* Loads one CIDR per line, '#' comments. On error returns -1 with "path:line: reason" in err. */
int si_cidr_list_load_file(struct si_cidr_list **list, const char *path, char *err, size_t errsize);

bool si_cidr_list_match(const struct si_cidr_list *list, const struct si_addr *addr);
void si_cidr_list_free(struct si_cidr_list *list);

#endif
