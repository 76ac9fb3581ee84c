/*
 * policy_holder.h: the "current policy" of a long-running process: loaded, polled, reloaded
 * and reported in one place, so that every program (inspect-bump, inspect-ocsp, srv_inspect)
 * gets its policy the same way and says so in the same words.
 *
 * A holder knows the policy file's path. si_policy_holder_load() parses it; on success the new
 * policy replaces the current one, on failure the current one stays and err says file:line.
 * Readers call si_policy_holder_get() for a reference (si_policy_unref() when done), so a
 * reload never frees a policy that a request is still using.
 * si_policy_holder_reload_if_changed() reloads only when the file's identity (device, inode,
 * size, modification time) differs from the last load attempt, or when a file the current
 * policy read (a domain or network list, a category's domains file, the block-page template:
 * si_policy_inputs_signature) changed since it was read; a broken file is reported once, not on
 * every check.
 *
 * The reporting layer (si_policy_holder_poll, _reload) logs every outcome with one wording:
 *   policy FILE loaded (digest D)
 *   policy FILE refused, keeping the previous one (digest D): file:line: reason[; ...]
 *   policy FILE refused, enforcing SOURCE (digest D): file:line: reason
 *   policy FILE refused, no policy in force: file:line: reason
 *   no policy file: enforcing SOURCE (digest D)
 * (SOURCE is a built-in policy's name, si_policy_source()), and, when a state directory is
 * configured, writes the status file policy_status.h describes after every outcome.
 *
 * Ownership: the holder owns one reference to the current policy and one to the built-in one.
 * Thread-safety: all functions may be called from any thread; the swap and get are protected by
 * a mutex held only for a pointer copy and a reference count increment; loads, reports and
 * status writes run outside it and are serialised by a second mutex.
 * si_policy_holder_set_builtin() runs before the first poll; si_policy_holder_configure() may
 * run again later (a forked c-icap child turns its status file on).
 */
#ifndef SI_POLICY_HOLDER_H
#define SI_POLICY_HOLDER_H

#include <stddef.h>

#include "log.h"
#include "policy.h"

struct si_policy_holder;

/* path "" or NULL: no file (only a built-in policy, see si_policy_holder_set_builtin). */
struct si_policy_holder *si_policy_holder_new(const char *path);
void si_policy_holder_free(struct si_policy_holder *h); /* accepts NULL */

/* Returns 0 (loaded and swapped) or -1 (current policy kept, reason in err). Logs nothing. */
int si_policy_holder_load(struct si_policy_holder *h, char *err, size_t errsize);

/* 1: changed and reloaded; 0: unchanged (or the file vanished: kept); -1: changed, load failed.
 * Logs nothing. */
int si_policy_holder_reload_if_changed(struct si_policy_holder *h, char *err, size_t errsize);

/* Makes p (the caller's reference is taken over) the current policy. Logs nothing. */
void si_policy_holder_install(struct si_policy_holder *h, struct si_policy *p);

/* A new reference to the current policy, or NULL if none was ever loaded. */
struct si_policy *si_policy_holder_get(struct si_policy_holder *h);

/* Number of policies made current so far (a generation counter for logs and tests). */
unsigned long si_policy_holder_generation(struct si_policy_holder *h);

/* ---- the reporting layer ---- */

/* Receives each report line (no newline); NULL: lib/log.h. */
typedef void si_policy_log_fn(enum si_log_level level, const char *line);

/*
 * program names the status file (program.PID); state_dir (NULL: none) is where it is written;
 * log receives the report lines. Strings are copied.
 */
void si_policy_holder_configure(struct si_policy_holder *h, const char *program,
                                const char *state_dir, si_policy_log_fn *log);

/*
 * The policy enforced when there is no file, or when the file cannot be loaded at the first
 * poll (the caller's reference is taken over). Its si_policy_source() names it in the logs.
 */
void si_policy_holder_set_builtin(struct si_policy_holder *h, struct si_policy *p);

/*
 * The first call loads the file (or installs the built-in policy when there is no file) and
 * reports; later calls, at most every interval_s seconds (0: every call), reload when the file
 * or one of its inputs changed and report the outcome. Returns 1 when a new policy became
 * current, 0 when nothing changed, -1 when a file was refused.
 */
int si_policy_holder_poll(struct si_policy_holder *h, unsigned interval_s);

/* Loads the file now whatever its identity (a reload command, SIGHUP) and reports. Same
 * return values. */
int si_policy_holder_reload(struct si_policy_holder *h);

/* Rewrites this process's status file (after a fork: the child's own pid). */
void si_policy_holder_publish(struct si_policy_holder *h);

/* The last refusal (one line), or "" when the last attempt succeeded. */
void si_policy_holder_last_error(struct si_policy_holder *h, char *buf, size_t size);

#endif
