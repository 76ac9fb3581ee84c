/* ctl_status.c: inspect-ctl status (see ctl_status.h). */
#include "ctl_status.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "policy_status.h"

static const char usage[] =
    "usage: inspect-ctl status [--state-dir DIR] [POLICY]\n"
    "  lists the running inspect-bump, inspect-ocsp and srv_inspect processes with the policy\n"
    "  file and digest each enforces (from the status files in DIR, default " SI_STATE_DIR ").\n"
    "  Exit 1 when they differ from each other, or from POLICY as it is now on disk, or when\n"
    "  a process runs on a built-in policy or on none.\n";

static bool alive(long pid)
{
    return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

struct expect {
    char source[1024], digest[24];
    bool set;
};

/* Prints one process and returns true when it enforces what is expected (the first process
 * sets the expectation when no POLICY was given). */
static bool show(const struct si_policy_status *st, struct expect *want)
{
    bool ok = !strcmp(st->state, "loaded") || !strcmp(st->state, "refused-kept");

    if (!want->set) {
        snprintf(want->source, sizeof(want->source), "%s", st->source);
        snprintf(want->digest, sizeof(want->digest), "%s", st->digest);
        want->set = true;
    }
    ok = ok && !strcmp(st->source, want->source) && !strcmp(st->digest, want->digest);
    printf("%-12s pid %-7ld %s (digest %s) %s since %s%s%s\n", st->program, st->pid,
           st->source, st->digest, st->state, st->time, ok ? "" : "   <-- DIFFERS",
           !ok && !strcmp(st->source, want->source)
               ? " (a helper re-reads the file before its next request: an idle one shows the "
                 "digest it last used)"
               : "");
    if (st->error[0])
        printf("%-12s             last refusal: %s\n", "", st->error);
    return ok;
}

/* Status files of live processes in dir, each shown; counts in *n and *bad. */
static int scan(const char *dir, struct expect *want, int *n, int *bad)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (!d) {
        fprintf(stderr, "inspect-ctl: cannot read the state directory %s: %s\n", dir,
                strerror(errno));
        return -1;
    }
    while ((e = readdir(d))) {
        char path[4096], err[512];
        struct si_policy_status st;
        size_t len = strlen(e->d_name);

        if (e->d_name[0] == '.' || (len > 4 && !strcmp(e->d_name + len - 4, ".tmp")))
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (si_policy_status_read(path, &st, err, sizeof(err)) < 0 || !alive(st.pid))
            continue; /* not ours, or a process that has exited */
        (*n)++;
        *bad += !show(&st, want);
    }
    closedir(d);
    return 0;
}

int ctl_status_main(int argc, char **argv)
{
    static const struct option lo[] = {{"state-dir", required_argument, NULL, 's'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    const char *dir = SI_STATE_DIR;
    struct expect want = {.set = false};
    int c, n = 0, bad = 0;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        if (c == 's')
            dir = optarg;
        else {
            fputs(usage, c == 'h' ? stdout : stderr);
            return c == 'h' ? 0 : 2;
        }
    }
    if (argc - optind > 1) {
        fputs(usage, stderr);
        return 2;
    }
    if (optind < argc) {
        char err[2048];
        struct si_policy *p = si_policy_load(argv[optind], err, sizeof(err));

        if (!p) {
            fprintf(stderr, "inspect-ctl: %s\n", err);
            return 1;
        }
        snprintf(want.source, sizeof(want.source), "%s", argv[optind]);
        snprintf(want.digest, sizeof(want.digest), "%s", si_policy_digest(p));
        want.set = true;
        printf("%s on disk: digest %s\n", argv[optind], want.digest);
        si_policy_unref(p);
    }
    if (scan(dir, &want, &n, &bad) < 0)
        return 1;
    if (n == 0) {
        printf("no running component has written a status into %s\n", dir);
        return 1;
    }
    if (bad)
        printf("MISMATCH: %d of %d processes do not enforce %s (digest %s)\n", bad, n,
               want.source, want.digest);
    else
        printf("all %d processes enforce %s (digest %s)\n", n, want.source, want.digest);
    return bad ? 1 : 0;
}
