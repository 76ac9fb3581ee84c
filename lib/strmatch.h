/*
 * strmatch.h: one string pattern, either a glob (* any run, ? one byte, no other specials;
 * anchored at both ends) or a PCRE2 regular expression (unanchored, UTF-8 not assumed).
 *
 * Ownership: si_strmatch_new() returns an object freed by si_strmatch_free() (accepts NULL).
 * Thread-safety: immutable after creation; si_strmatch_test() may run concurrently from many
 * threads (it allocates its PCRE2 match data per call).
 */
#ifndef SI_STRMATCH_H
#define SI_STRMATCH_H

#include <stdbool.h>
#include <stddef.h>

enum si_strmatch_kind { SI_MATCH_GLOB = 0, SI_MATCH_REGEX = 1 };

struct si_strmatch;

/* icase: case-insensitive. On a bad regex returns NULL with "offset N: message" in err. */
struct si_strmatch *si_strmatch_new(enum si_strmatch_kind kind, const char *pattern, bool icase,
                                    char *err, size_t errsize);
void si_strmatch_free(struct si_strmatch *m);
bool si_strmatch_test(const struct si_strmatch *m, const char *subject, size_t len);
const char *si_strmatch_pattern(const struct si_strmatch *m);
enum si_strmatch_kind si_strmatch_kind(const struct si_strmatch *m);

/* Glob matching on its own (anchored; * and ?). */
bool si_glob_match(const char *pattern, const char *s, size_t len, bool icase);

/* Number of regex matches in subject (non-overlapping), stopping at limit. */
unsigned si_strmatch_count(const struct si_strmatch *m, const char *subject, size_t len,
                           unsigned limit);

#endif
