/* strmatch.c: glob and PCRE2 patterns; see strmatch.h. Regex matching uses one PCRE2
 * match-data block per thread (thread-specific data), so it allocates nothing per match. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "strmatch.h"

#include <ctype.h>
#include <pcre2.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The shape of a glob, found when it is compiled: a glob whose only specials are leading
 * and/or trailing stars is a literal compare (equal, prefix, suffix, substring), without the
 * backtracking matcher. */
enum glob_shape { SHAPE_GENERAL, SHAPE_EXACT, SHAPE_PREFIX, SHAPE_SUFFIX, SHAPE_CONTAINS };

struct si_strmatch {
    enum si_strmatch_kind kind;
    bool icase;
    char *pattern;
    pcre2_code *re;
    enum glob_shape shape;
    char *lit; /* the literal of a shaped glob, case-folded when icase */
    size_t litlen;
};

/* tolower() of every byte (case-blind literal compares, no call per byte), taken from the
 * locale in force when the first case-blind glob is compiled, as si_glob_match's tolower()
 * calls would see it (nothing here changes the locale afterwards). */
static unsigned char fold[256];
static pthread_once_t fold_once = PTHREAD_ONCE_INIT;

static void fold_init(void)
{
    for (int c = 0; c < 256; c++)
        fold[c] = (unsigned char)tolower(c);
}

/* Sets m->shape (and m->lit) for a glob; SHAPE_GENERAL when ? or an inner * is present. */
static int glob_shape(struct si_strmatch *m)
{
    const char *p = m->pattern, *end = p + strlen(p);
    size_t lead = strspn(p, "*"), trail = 0;

    while (end - trail > p + lead && end[-1 - (ptrdiff_t)trail] == '*')
        trail++;
    m->litlen = (size_t)(end - trail - (p + lead));
    if (memchr(p + lead, '*', m->litlen) || memchr(p + lead, '?', m->litlen))
        return 0;
    if (!(m->lit = strndup(p + lead, m->litlen)))
        return -1;
    if (m->icase) {
        pthread_once(&fold_once, fold_init);
        for (size_t i = 0; i < m->litlen; i++)
            m->lit[i] = (char)fold[(unsigned char)m->lit[i]];
    }
    m->shape = lead ? (trail ? SHAPE_CONTAINS : SHAPE_SUFFIX) : (trail ? SHAPE_PREFIX : SHAPE_EXACT);
    return 0;
}

struct si_strmatch *si_strmatch_new(enum si_strmatch_kind kind, const char *pattern, bool icase,
                                    char *err, size_t errsize)
{
    struct si_strmatch *m = calloc(1, sizeof(*m));

    if (!m || !(m->pattern = strdup(pattern))) {
        snprintf(err, errsize, "out of memory");
        free(m);
        return NULL;
    }
    m->kind = kind;
    m->icase = icase;
    if (kind == SI_MATCH_GLOB && glob_shape(m) < 0) {
        snprintf(err, errsize, "out of memory");
        si_strmatch_free(m);
        return NULL;
    }
    if (kind == SI_MATCH_REGEX) {
        int ec;
        PCRE2_SIZE off;
        m->re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                              icase ? PCRE2_CASELESS : 0, &ec, &off, NULL);
        if (!m->re) {
            PCRE2_UCHAR msg[160];
            pcre2_get_error_message(ec, msg, sizeof(msg));
            snprintf(err, errsize, "offset %zu: %s", (size_t)off, (char *)msg);
            si_strmatch_free(m);
            return NULL;
        }
        pcre2_jit_compile(m->re, PCRE2_JIT_COMPLETE); /* best effort */
    }
    return m;
}

void si_strmatch_free(struct si_strmatch *m)
{
    if (!m)
        return;
    pcre2_code_free(m->re);
    free(m->lit);
    free(m->pattern);
    free(m);
}

const char *si_strmatch_pattern(const struct si_strmatch *m)
{
    return m->pattern;
}

enum si_strmatch_kind si_strmatch_kind(const struct si_strmatch *m)
{
    return m->kind;
}

static bool eqc(char a, char b, bool icase)
{
    return icase ? tolower((unsigned char)a) == tolower((unsigned char)b) : a == b;
}

/* Iterative glob with single-star backtracking: O(len * pattern) worst case, no recursion. */
bool si_glob_match(const char *p, const char *s, size_t len, bool icase)
{
    size_t si = 0;
    const char *star = NULL;
    size_t star_si = 0;

    while (si < len) {
        if (*p == '*') {
            star = ++p;
            star_si = si;
        } else if (*p && (*p == '?' || eqc(*p, s[si], icase))) {
            p++;
            si++;
        } else if (star) {
            p = star;
            si = ++star_si;
        } else {
            return false;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

/* n bytes of s equal the literal lit (folded when icase)? */
static bool lit_eq(const struct si_strmatch *m, const char *s, const char *lit, size_t n)
{
    if (!m->icase)
        return memcmp(s, lit, n) == 0;
    for (size_t i = 0; i < n; i++)
        if (fold[(unsigned char)s[i]] != (unsigned char)lit[i])
            return false;
    return true;
}

static bool lit_contains(const struct si_strmatch *m, const char *s, size_t len)
{
    size_t n = m->litlen;

    if (n == 0)
        return true;
    if (n > len)
        return false;
    if (!m->icase)
        return memmem(s, len, m->lit, n) != NULL;
    unsigned char first = (unsigned char)m->lit[0];
    for (size_t i = 0; i + n <= len; i++)
        if (fold[(unsigned char)s[i]] == first && lit_eq(m, s + i + 1, m->lit + 1, n - 1))
            return true;
    return false;
}

/* si_glob_match() of m's pattern, by a literal compare when the glob has a shape. */
static bool glob_test(const struct si_strmatch *m, const char *s, size_t len)
{
    switch (m->shape) {
    case SHAPE_EXACT: return len == m->litlen && lit_eq(m, s, m->lit, len);
    case SHAPE_PREFIX: return len >= m->litlen && lit_eq(m, s, m->lit, m->litlen);
    case SHAPE_SUFFIX:
        return len >= m->litlen && lit_eq(m, s + len - m->litlen, m->lit, m->litlen);
    case SHAPE_CONTAINS: return lit_contains(m, s, len);
    default: return si_glob_match(m->pattern, s, len, m->icase);
    }
}

static int run_re(const struct si_strmatch *m, const char *s, size_t len, size_t start,
                  pcre2_match_data *md)
{
    return pcre2_match(m->re, (PCRE2_SPTR)s, len, start, 0, md, NULL);
}

/* One match-data block per thread, reused by every pattern: only ovector[0..1] is read, so its
 * size does not depend on the pattern (PCRE2 truncates captures that do not fit). Freed at
 * thread exit. */
static pthread_key_t md_key;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_free(void *md)
{
    pcre2_match_data_free(md);
}

static void md_init(void)
{
    pthread_key_create(&md_key, md_free);
}

static pcre2_match_data *thread_md(void)
{
    pcre2_match_data *md;

    pthread_once(&md_once, md_init);
    md = pthread_getspecific(md_key);
    if (!md && (md = pcre2_match_data_create(1, NULL)) != NULL &&
        pthread_setspecific(md_key, md) != 0) {
        pcre2_match_data_free(md);
        md = NULL;
    }
    return md;
}

bool si_strmatch_test(const struct si_strmatch *m, const char *subject, size_t len)
{
    if (!m || !subject)
        return false;
    if (m->kind == SI_MATCH_GLOB)
        return glob_test(m, subject, len);
    pcre2_match_data *md = thread_md();
    if (!md)
        return false;
    return run_re(m, subject, len, 0, md) >= 0;
}

unsigned si_strmatch_count(const struct si_strmatch *m, const char *subject, size_t len,
                           unsigned limit)
{
    unsigned n = 0;
    size_t start = 0;

    if (!m || !subject)
        return 0;
    if (m->kind == SI_MATCH_GLOB)
        return glob_test(m, subject, len) ? 1 : 0;
    pcre2_match_data *md = thread_md();
    if (!md)
        return 0;
    while (n < limit && start <= len && run_re(m, subject, len, start, md) >= 0) {
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        n++;
        start = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
    }
    return n;
}
