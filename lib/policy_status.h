/*
 * policy_status.h: the status file a running program writes after each policy load or refusal,
 * so that `inspect-ctl status` can show which file and digest every component enforces.
 *
 * One file per process, DIR/PROGRAM.PID, written atomically (temporary file, then rename), mode
 * 0644, one "key=value" per line:
 *   program=inspect-ocsp
 *   pid=1234
 *   policy=/etc/squid-inspect/policy.xml      (the configured file, "-" when none)
 *   source=/etc/squid-inspect/policy.xml      (what is enforced: the file or a built-in name)
 *   digest=0123456789abcdef                   ("-" when nothing is enforced)
 *   state=loaded|refused-kept|refused-builtin|refused-none|builtin
 *   time=2026-12-04T18:00:00Z                 (of the last outcome)
 *   error=policy.xml:3: ...                   (the last refusal, "" after a success)
 * The holder removes its file when it is freed; a process that dies leaves it behind, so
 * readers tell live processes by their pid.
 *
 * Ownership: plain structs, no allocation. Thread-safety: reentrant.
 */
#ifndef SI_POLICY_STATUS_H
#define SI_POLICY_STATUS_H

#include <stddef.h>

struct si_policy_status {
    char program[64];
    long pid;
    char policy[1024];
    char source[1024];
    char digest[24];
    char state[32];
    char time[32];
    char error[1024];
};

/* Writes st to dir/program.pid. -1 with err on failure. */
int si_policy_status_write(const char *dir, const struct si_policy_status *st, char *err,
                           size_t errsize);

/* Reads one status file. -1 with err when it cannot be read or has no program/pid. */
int si_policy_status_read(const char *path, struct si_policy_status *out, char *err,
                          size_t errsize);

#endif
