/*
 * nameset.h: a hash set of DNS names (or user/group names) with O(1) lookups.
 *
 * Entries are either exact ("www.example.com") or domain-and-subdomains (".example.com", which
 * matches example.com and every name under it, as Squid's dstdomain does). A lookup of a host
 * with k labels costs at most k+1 hash probes, independent of the number of entries, so a list
 * of a million names matches as fast as a list of ten. Names are compared case-insensitively
 * and a trailing dot is ignored.
 *
 * Memory: one open-addressing table (8 bytes a slot, load <= 1/2) plus one string arena; about
 * 40 bytes per name for typical host names.
 *
 * Ownership: the set owns copies of every name added. si_nameset_free() accepts NULL.
 * Thread-safety: building (add/load) is single-threaded; once built, any number of threads may
 * call the lookup functions concurrently (they do not modify the set).
 */
#ifndef SI_NAMESET_H
#define SI_NAMESET_H

#include <stdbool.h>
#include <stddef.h>

struct si_nameset;

struct si_nameset *si_nameset_new(size_t expected);
void si_nameset_free(struct si_nameset *set);

/*
 * Adds name (len bytes, need not be NUL-terminated). A leading '.' marks a domain entry.
 * Returns 0, or -1 when the name is empty, longer than 253 bytes, or contains whitespace or
 * control characters.
 */
int si_nameset_add(struct si_nameset *set, const char *name, size_t len);

/*
 * Adds every whitespace-separated word of text. Stops at the first invalid word, copies it
 * (truncated) into bad, and returns -1; returns the number of words added otherwise.
 */
long si_nameset_add_words(struct si_nameset *set, const char *text, char *bad, size_t badsize);

/*
 * Loads a list file: one name per line, '#' starts a comment, blank lines ignored, CRLF
 * accepted. On error returns -1 and writes "path:line: reason" into err.
 */
int si_nameset_load_file(struct si_nameset *set, const char *path, char *err, size_t errsize);

/*
 * Same, for a squidGuard / UT1 `domains` file: every name matches itself and its subdomains
 * ("bank.example" is read as ".bank.example").
 */
int si_nameset_load_domains_file(struct si_nameset *set, const char *path, char *err,
                                 size_t errsize);

/* Host matching: exact entry for host, or a domain entry for host or one of its parents. */
bool si_nameset_match(const struct si_nameset *set, const char *host);

/* Exact, case-insensitive membership (domain entries only match their own name). */
bool si_nameset_contains(const struct si_nameset *set, const char *name);

size_t si_nameset_count(const struct si_nameset *set);

/* Calls fn for every entry: the normalised name and whether it is a domain (".x") entry
 * (an entry can be both exact and domain: fn is then called twice). Stops when fn returns
 * non-zero and returns that value. */
int si_nameset_foreach(const struct si_nameset *set,
                       int (*fn)(void *ctx, const char *name, bool domain), void *ctx);

#endif
