/*
 * Unit tests for `inspect-ctl status`: the status files the components write (lib/policy_status)
 * read back, live processes listed, exited ones skipped, a process on another digest flagged.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture.h"
#include "ctl_status.h"
#include "policy.h"
#include "policy_status.h"

#ifndef FIXTURES
#define FIXTURES "tests/unit/fixtures/inspect"
#endif

/* Runs ctl_status_main with stdout captured into *out; returns its exit status. */
static int run_status(char **argv, int argc, char **out)
{
    return run_capturing(ctl_status_main, argc, argv, STDOUT_FILENO, out);
}

static void put(const char *dir, const char *program, long pid, const char *source,
                const char *digest)
{
    struct si_policy_status st = {.pid = pid};
    char err[256];

    snprintf(st.program, sizeof(st.program), "%s", program);
    snprintf(st.policy, sizeof(st.policy), "%s", source);
    snprintf(st.source, sizeof(st.source), "%s", source);
    snprintf(st.digest, sizeof(st.digest), "%s", digest);
    snprintf(st.state, sizeof(st.state), "loaded");
    snprintf(st.time, sizeof(st.time), "2026-12-04T18:00:00Z");
    cr_assert_eq(si_policy_status_write(dir, &st, err, sizeof(err)), 0, "%s", err);
}

/* A pid that no process has any more. */
static long dead_pid(void)
{
    pid_t p = fork();

    if (p == 0)
        _exit(0);
    cr_assert_gt(p, 0);
    waitpid(p, NULL, 0);
    return (long)p;
}

Test(status_cmd, lists_live_processes_and_flags_a_different_digest)
{
    char dir[] = "/tmp/test_status.XXXXXX", err[512], path[256], *out;
    const char *policy = FIXTURES "/policy.xml";
    struct si_policy *p = si_policy_load(policy, err, sizeof(err));
    char *argv[] = {"status", "--state-dir", dir, (char *)policy, NULL};
    char digest[24];

    cr_assert_not_null(p, "%s", err);
    snprintf(digest, sizeof(digest), "%s", si_policy_digest(p));
    si_policy_unref(p);
    cr_assert_not_null(mkdtemp(dir));
    put(dir, "inspect-bump", (long)getpid(), policy, digest);
    put(dir, "srv_inspect", dead_pid(), "/elsewhere/policy.xml", "0000000000000000");
    put(dir, "inspect-ocsp", (long)getppid(), policy, "ffffffffffffffff");

    cr_assert_eq(run_status(argv, 4, &out), 1, "a process on another digest: exit 1\n%s", out);
    cr_assert(strstr(out, "inspect-bump pid ") && strstr(out, digest), "%s", out);
    cr_assert(strstr(out, "(digest ffffffffffffffff) loaded since 2026-12-04T18:00:00Z   <-- DIFFERS"),
              "%s", out);
    cr_assert_null(strstr(out, "srv_inspect"), "an exited process is skipped: %s", out);
    cr_assert(strstr(out, "MISMATCH: 1 of 2 processes"), "%s", out);
    free(out);

    snprintf(path, sizeof(path), "%s/inspect-ocsp.%ld", dir, (long)getppid());
    cr_assert_eq(unlink(path), 0);
    cr_assert_eq(run_status(argv, 4, &out), 0, "%s", out);
    cr_assert(strstr(out, "all 1 processes enforce "), "%s", out);
    free(out);

    snprintf(path, sizeof(path), "%s/inspect-bump.%ld", dir, (long)getpid());
    unlink(path);
    cr_assert_eq(run_status(argv, 4, &out), 1, "no live process: exit 1");
    cr_assert(strstr(out, "no running component"), "%s", out);
    free(out);
    snprintf(path, sizeof(path), "rm -rf '%s'", dir);
    cr_assert_eq(system(path), 0);
}
