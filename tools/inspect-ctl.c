/*
 * inspect-ctl: the operator's tool for squid-inspect. One sub-command per job:
 *   validate, explain, replay (the policy), status (what the running components enforce),
 *   pinned-report, coverage, trace (logs), ca init (the CA).
 * Each sub-command lives in its own tools/ctl_*.c module; this file only dispatches.
 * Exit status: 0 success, 1 the job failed (invalid policy, I/O error), 2 usage error.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "ctl_ca.h"
#include "ctl_pinned.h"
#include "ctl_policy.h"
#include "ctl_status.h"
#include "ctl_trace.h"

static const char usage[] =
    "usage: inspect-ctl COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  validate POLICY                 check a policy file; errors as file:line, exit 1 if any\n"
    "  status [--state-dir DIR] [POLICY]\n"
    "                                  which policy file and digest each running inspect-bump,\n"
    "                                  inspect-ocsp and srv_inspect process enforces; exit 1\n"
    "                                  if they differ (or differ from POLICY on disk)\n"
    "  explain POLICY --client IP [--user U] [--group G]... [--port N] URL-or-host\n"
    "                                  which inspection and security rule fire, and why\n"
    "  replay POLICY [--baseline OLD] [--examples N] ACCESS_LOG\n"
    "                                  decisions for a real access log; with a baseline,\n"
    "                                  what would change (counts and examples)\n"
    "  coverage ACCESS_LOG...          share of connections inspected / bypassed / failed,\n"
    "                                  by rule, and every failure word\n"
    "  pinned-report [--min-failures N] [--min-ratio R] ACCESS_LOG...\n"
    "                                  server names whose clients reject the forged certificate\n"
    "  trace [--access-log F] [--cache-log F] [--icap-log F] REF\n"
    "                                  every log line of one reference from a block or error\n"
    "                                  page (si-... or sq-...), then what happened and why\n"
    "  ca init [--dir DIR] [options]   create the inspection CA and print the squid.conf lines\n"
    "  help COMMAND                    options of one command\n"
    "\n"
    "Access logs are read in the squid-inspect `inspect` logformat (squid_conf/).\n"
    "See inspect-ctl(1).\n";

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : NULL;

    if (!cmd || !strcmp(cmd, "--help") || !strcmp(cmd, "-h") ||
        (!strcmp(cmd, "help") && argc == 2)) {
        fputs(usage, cmd ? stdout : stderr);
        return cmd ? 0 : 2;
    }
    if (!strcmp(cmd, "--version")) {
        printf("inspect-ctl (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "help")) {
        char *hv[] = {argv[2], "--help", NULL};
        if (!strcmp(argv[2], "ca")) {
            char *cv[] = {"ca", "init", "--help", NULL};
            return ctl_ca_main(3, cv);
        }
        return main(3, (char *[]){argv[0], hv[0], hv[1], NULL});
    }
    if (!strcmp(cmd, "ca"))
        return ctl_ca_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "pinned-report"))
        return ctl_pinned_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "validate"))
        return ctl_validate_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "status"))
        return ctl_status_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "explain"))
        return ctl_explain_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "coverage"))
        return ctl_coverage_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "trace"))
        return ctl_trace_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "replay"))
        return ctl_replay_main(argc - 1, argv + 1);
    fprintf(stderr, "inspect-ctl: unknown command '%s'\n%s", cmd, usage);
    return 2;
}
