/* policy_status.c: per-process policy status files (see policy_status.h). */
#include "policy_status.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes "key=value\n" with line breaks in value turned into spaces. */
static void put(FILE *f, const char *key, const char *value)
{
    fprintf(f, "%s=", key);
    for (const char *c = value; *c; c++)
        fputc(*c == '\n' || *c == '\r' ? ' ' : *c, f);
    fputc('\n', f);
}

int si_policy_status_write(const char *dir, const struct si_policy_status *st, char *err,
                           size_t errsize)
{
    char path[4096], tmp[4200], pid[32];
    FILE *f;
    int ok;

    snprintf(path, sizeof(path), "%s/%s.%ld", dir, st->program, st->pid);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if (!(f = fopen(tmp, "w"))) {
        snprintf(err, errsize, "cannot write %s: %s", tmp, strerror(errno));
        return -1;
    }
    snprintf(pid, sizeof(pid), "%ld", st->pid);
    put(f, "program", st->program);
    put(f, "pid", pid);
    put(f, "policy", st->policy);
    put(f, "source", st->source);
    put(f, "digest", st->digest);
    put(f, "state", st->state);
    put(f, "time", st->time);
    put(f, "error", st->error);
    ok = fchmod(fileno(f), 0644) == 0;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) < 0) {
        snprintf(err, errsize, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

static void set(char *dst, size_t size, const char *v)
{
    snprintf(dst, size, "%s", v);
}

int si_policy_status_read(const char *path, struct si_policy_status *out, char *err,
                          size_t errsize)
{
    FILE *f = fopen(path, "r");
    char line[4096];

    memset(out, 0, sizeof(*out));
    if (!f) {
        snprintf(err, errsize, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        char *eq = strchr(line, '='), *v;

        line[strcspn(line, "\n")] = '\0';
        if (!eq)
            continue;
        *eq = '\0';
        v = eq + 1;
        if (!strcmp(line, "program")) set(out->program, sizeof(out->program), v);
        else if (!strcmp(line, "pid")) out->pid = strtol(v, NULL, 10);
        else if (!strcmp(line, "policy")) set(out->policy, sizeof(out->policy), v);
        else if (!strcmp(line, "source")) set(out->source, sizeof(out->source), v);
        else if (!strcmp(line, "digest")) set(out->digest, sizeof(out->digest), v);
        else if (!strcmp(line, "state")) set(out->state, sizeof(out->state), v);
        else if (!strcmp(line, "time")) set(out->time, sizeof(out->time), v);
        else if (!strcmp(line, "error")) set(out->error, sizeof(out->error), v);
    }
    fclose(f);
    if (!out->program[0] || out->pid <= 0) {
        snprintf(err, errsize, "%s is not a policy status file", path);
        return -1;
    }
    return 0;
}
