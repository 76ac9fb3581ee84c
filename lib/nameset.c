/* nameset.c: open-addressing hash set of names; see nameset.h. */
#include "nameset.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 253
#define FLAG_EXACT 1u
#define FLAG_DOMAIN 2u

struct slot {
    uint32_t hash;
    uint32_t off; /* 0 = empty; else arena offset of the flag byte */
};

struct si_nameset {
    struct slot *slots;
    size_t mask;  /* capacity - 1, capacity a power of two */
    size_t count;
    char *arena;  /* [flags][name][NUL] ... ; byte 0 is a dummy so offset 0 means empty */
    size_t used;
    size_t cap;
};

static uint32_t hash_name(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ull;

    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return (uint32_t)(h ^ (h >> 32));
}

struct si_nameset *si_nameset_new(size_t expected)
{
    struct si_nameset *set = calloc(1, sizeof(*set));
    size_t cap = 16;

    if (!set)
        return NULL;
    while (cap < expected * 2)
        cap <<= 1;
    set->slots = calloc(cap, sizeof(*set->slots));
    set->cap = 64 + expected * 24;
    set->arena = malloc(set->cap);
    if (!set->slots || !set->arena) {
        si_nameset_free(set);
        return NULL;
    }
    set->mask = cap - 1;
    set->used = 1;
    set->arena[0] = 0;
    return set;
}

void si_nameset_free(struct si_nameset *set)
{
    if (!set)
        return;
    free(set->slots);
    free(set->arena);
    free(set);
}

size_t si_nameset_count(const struct si_nameset *set)
{
    return set ? set->count : 0;
}

/* Returns the slot holding name, or the empty slot where it would go. */
static struct slot *find_slot(struct slot *slots, size_t mask, const char *arena, const char *name,
                              size_t len, uint32_t h)
{
    size_t i = h & mask;

    for (;;) {
        struct slot *s = &slots[i];
        if (s->off == 0)
            return s;
        if (s->hash == h) {
            const char *cand = arena + s->off + 1;
            if (strncmp(cand, name, len) == 0 && cand[len] == '\0')
                return s;
        }
        i = (i + 1) & mask;
    }
}

static int grow_table(struct si_nameset *set)
{
    size_t ncap = (set->mask + 1) * 2;
    struct slot *ns = calloc(ncap, sizeof(*ns));

    if (!ns)
        return -1;
    for (size_t i = 0; i <= set->mask; i++) {
        struct slot *o = &set->slots[i];
        if (o->off == 0)
            continue;
        size_t j = o->hash & (ncap - 1);
        while (ns[j].off)
            j = (j + 1) & (ncap - 1);
        ns[j] = *o;
    }
    free(set->slots);
    set->slots = ns;
    set->mask = ncap - 1;
    return 0;
}

static int arena_reserve(struct si_nameset *set, size_t more)
{
    if (set->used + more <= set->cap)
        return 0;
    size_t ncap = set->cap * 2;
    while (ncap < set->used + more)
        ncap *= 2;
    if (ncap > UINT32_MAX)
        return -1;
    char *na = realloc(set->arena, ncap);
    if (!na)
        return -1;
    set->arena = na;
    set->cap = ncap;
    return 0;
}

/* Lower-cases name into out (NAME_MAX_LEN+1), strips one trailing dot. Returns length or -1. */
static long normalize(const char *name, size_t len, char *out)
{
    if (len > 0 && name[len - 1] == '.')
        len--;
    if (len == 0 || len > NAME_MAX_LEN)
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c <= 0x20 || c == 0x7f)
            return -1;
        /* ASCII inline (what tolower() does in the C locale: nothing calls setlocale); a
         * tolower() call per byte was a third of every lookup */
        out[i] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c < 0x80 ? c : tolower(c));
    }
    out[len] = '\0';
    return (long)len;
}

/* Adds name with flag (FLAG_EXACT, or FLAG_DOMAIN for a name and its subdomains); a leading
 * '.' always means FLAG_DOMAIN. */
static int add_flagged(struct si_nameset *set, const char *name, size_t len, unsigned flag)
{
    char norm[NAME_MAX_LEN + 1];
    long n;

    if (len > 0 && name[0] == '.') {
        flag = FLAG_DOMAIN;
        name++;
        len--;
    }
    n = normalize(name, len, norm);
    if (n < 0)
        return -1;
    if ((set->count + 1) * 2 > set->mask + 1 && grow_table(set) < 0)
        return -1;
    uint32_t h = hash_name(norm, (size_t)n);
    struct slot *s = find_slot(set->slots, set->mask, set->arena, norm, (size_t)n, h);
    if (s->off) {
        set->arena[s->off] |= (char)flag;
        return 0;
    }
    if (arena_reserve(set, (size_t)n + 2) < 0)
        return -1;
    s->hash = h;
    s->off = (uint32_t)set->used;
    set->arena[set->used] = (char)flag;
    memcpy(set->arena + set->used + 1, norm, (size_t)n + 1);
    set->used += (size_t)n + 2;
    set->count++;
    return 0;
}

int si_nameset_add(struct si_nameset *set, const char *name, size_t len)
{
    return add_flagged(set, name, len, FLAG_EXACT);
}

long si_nameset_add_words(struct si_nameset *set, const char *text, char *bad, size_t badsize)
{
    long added = 0;
    const char *p = text ? text : "";

    for (;;) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            return added;
        const char *w = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        if (si_nameset_add(set, w, (size_t)(p - w)) < 0) {
            snprintf(bad, badsize, "%.*s", (int)((size_t)(p - w) > 80 ? 80 : (size_t)(p - w)), w);
            return -1;
        }
        added++;
    }
}

static int load_file(struct si_nameset *set, const char *path, unsigned flag, char *err,
                     size_t errsize)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t lcap = 0;
    ssize_t n;
    long lineno = 0;
    int rc = 0;

    if (!f) {
        snprintf(err, errsize, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    while ((n = getline(&line, &lcap, f)) >= 0) {
        lineno++;
        char *hash = memchr(line, '#', (size_t)n);
        size_t len = hash ? (size_t)(hash - line) : (size_t)n;
        size_t start = 0;
        while (start < len && isspace((unsigned char)line[start]))
            start++;
        while (len > start && isspace((unsigned char)line[len - 1]))
            len--;
        if (len == start)
            continue;
        if (add_flagged(set, line + start, len - start, flag) < 0) {
            snprintf(err, errsize, "%s:%ld: not a valid name: '%.*s'", path, lineno,
                     (int)((len - start) > 80 ? 80 : (len - start)), line + start);
            rc = -1;
            break;
        }
    }
    free(line);
    fclose(f);
    return rc;
}

int si_nameset_load_file(struct si_nameset *set, const char *path, char *err, size_t errsize)
{
    return load_file(set, path, FLAG_EXACT, err, errsize);
}

int si_nameset_load_domains_file(struct si_nameset *set, const char *path, char *err,
                                 size_t errsize)
{
    return load_file(set, path, FLAG_DOMAIN, err, errsize);
}

static unsigned lookup_flags(const struct si_nameset *set, const char *norm, size_t len)
{
    uint32_t h = hash_name(norm, len);
    const struct slot *s = find_slot(set->slots, set->mask, set->arena, norm, len, h);

    return s->off ? (unsigned char)set->arena[s->off] : 0;
}

bool si_nameset_contains(const struct si_nameset *set, const char *name)
{
    char norm[NAME_MAX_LEN + 1];
    long n;

    if (!set || !name || set->count == 0)
        return false;
    n = normalize(name, strlen(name), norm);
    return n > 0 && lookup_flags(set, norm, (size_t)n) != 0;
}

bool si_nameset_match(const struct si_nameset *set, const char *host)
{
    char norm[NAME_MAX_LEN + 1];
    long n;

    if (!set || !host || set->count == 0)
        return false;
    n = normalize(host, strlen(host), norm);
    if (n <= 0)
        return false;
    if (lookup_flags(set, norm, (size_t)n))
        return true;
    for (long i = 0; i < n; i++) {
        if (norm[i] != '.')
            continue;
        const char *suffix = norm + i + 1;
        size_t slen = (size_t)(n - i - 1);
        if (slen && (lookup_flags(set, suffix, slen) & FLAG_DOMAIN))
            return true;
    }
    return false;
}

int si_nameset_foreach(const struct si_nameset *set,
                       int (*fn)(void *ctx, const char *name, bool domain), void *ctx)
{
    for (size_t i = 0; set && i <= set->mask; i++) {
        const struct slot *s = &set->slots[i];
        if (!s->off)
            continue;
        unsigned flags = (unsigned char)set->arena[s->off];
        const char *name = set->arena + s->off + 1;
        int rc;
        if ((flags & FLAG_EXACT) && (rc = fn(ctx, name, false)) != 0)
            return rc;
        if ((flags & FLAG_DOMAIN) && (rc = fn(ctx, name, true)) != 0)
            return rc;
    }
    return 0;
}
