/* cidr.c: address and CIDR parsing and matching; see cidr.h. */
#include "cidr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

int si_addr_parse(const char *text, struct si_addr *out)
{
    char buf[64];
    size_t len = text ? strlen(text) : 0;

    memset(out, 0, sizeof(*out));
    if (len >= 2 && text[0] == '[' && text[len - 1] == ']') {
        text++;
        len -= 2;
    }
    if (len == 0 || len >= sizeof(buf))
        return -1;
    memcpy(buf, text, len);
    buf[len] = '\0';
    if (inet_pton(AF_INET, buf, out->bytes) == 1) {
        out->family = 4;
        return 0;
    }
    if (inet_pton(AF_INET6, buf, out->bytes) == 1) {
        out->family = 6;
        if (memcmp(out->bytes, v4mapped, 12) == 0) {
            memmove(out->bytes, out->bytes + 12, 4);
            memset(out->bytes + 4, 0, 12);
            out->family = 4;
        }
        return 0;
    }
    return -1;
}

static int parse_one(const char *w, size_t len, struct si_cidr *out)
{
    char buf[80];
    char *slash, *end;
    unsigned max;

    if (len >= sizeof(buf))
        return -1;
    memcpy(buf, w, len);
    buf[len] = '\0';
    slash = strchr(buf, '/');
    if (slash)
        *slash = '\0';
    if (si_addr_parse(buf, &out->net) < 0)
        return -1;
    max = out->net.family == 4 ? 32 : 128;
    out->prefix = max;
    if (slash) {
        errno = 0;
        unsigned long p = strtoul(slash + 1, &end, 10);
        if (errno || end == slash + 1 || *end || p > max)
            return -1;
        out->prefix = (unsigned)p;
    }
    /* clear host bits so that 10.1.2.3/16 means 10.1.0.0/16 */
    for (unsigned bit = out->prefix; bit < 128; bit++)
        out->net.bytes[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
    return 0;
}

static int append(struct si_cidr_list **list, const struct si_cidr *c)
{
    struct si_cidr_list *l = *list;

    if (!l) {
        l = calloc(1, sizeof(*l));
        if (!l)
            return -1;
        *list = l;
    }
    struct si_cidr *ni = realloc(l->items, (l->n + 1) * sizeof(*ni));
    if (!ni)
        return -1;
    l->items = ni;
    l->items[l->n++] = *c;
    return 0;
}

int si_cidr_list_parse(struct si_cidr_list **list, const char *text, char *bad, size_t badsize)
{
    const char *p = text ? text : "";

    for (;;) {
        while (*p && (isspace((unsigned char)*p) || *p == ','))
            p++;
        if (!*p)
            break;
        const char *w = p;
        while (*p && !isspace((unsigned char)*p) && *p != ',')
            p++;
        struct si_cidr c;
        if (parse_one(w, (size_t)(p - w), &c) < 0 || append(list, &c) < 0) {
            size_t wl = (size_t)(p - w);
            snprintf(bad, badsize, "%.*s", (int)(wl > 80 ? 80 : wl), w);
            return -1;
        }
    }
    if (!*list) /* an empty list is valid and matches nothing */
        *list = calloc(1, sizeof(**list));
    return *list ? 0 : -1;
}

int si_cidr_list_load_file(struct si_cidr_list **list, const char *path, char *err, size_t errsize)
{
    FILE *f = fopen(path, "r");
    char line[256], bad[96];
    long lineno = 0;

    if (!f) {
        snprintf(err, errsize, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        if (si_cidr_list_parse(list, line, bad, sizeof(bad)) < 0) {
            snprintf(err, errsize, "%s:%ld: not a valid address or CIDR: '%s'", path, lineno, bad);
            fclose(f);
            return -1;
        }
    }
    fclose(f);
    if (!*list)
        *list = calloc(1, sizeof(**list));
    return *list ? 0 : -1;
}

static bool in_cidr(const struct si_cidr *c, const struct si_addr *a)
{
    unsigned full = c->prefix / 8, rest = c->prefix % 8;

    if (c->net.family != a->family)
        return false;
    if (memcmp(c->net.bytes, a->bytes, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xffu << (8 - rest));
    return (c->net.bytes[full] & mask) == (a->bytes[full] & mask);
}

bool si_cidr_list_match(const struct si_cidr_list *list, const struct si_addr *addr)
{
    if (!list || !addr || addr->family == 0)
        return false;
    for (size_t i = 0; i < list->n; i++)
        if (in_cidr(&list->items[i], addr))
            return true;
    return false;
}

void si_cidr_list_free(struct si_cidr_list *list)
{
    if (!list)
        return;
    free(list->items);
    free(list);
}
