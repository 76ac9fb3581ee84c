/*
 * policy_watch.h: the policy a long-running helper answers with, on lib/policy_holder (which
 * loads, polls, reloads, logs and publishes the status file). The first bp_watch_get() loads
 * the file; later ones check it at most every `interval` seconds (and at once after
 * bp_watch_request_reload(), e.g. from SIGHUP): a changed file, or a changed list, category
 * file or template it read, is loaded and, if valid, replaces the current policy. An invalid
 * file keeps the previous policy and is logged (file:line) once per change.
 *
 * Ownership: the watch owns its holder. bp_watch_get() returns a borrowed pointer valid until
 * the next bp_watch_get() or bp_watch_free().
 * Thread-safety: one thread only (the helper's main loop); bp_watch_request_reload() is
 * async-signal-safe.
 */
#ifndef BUMP_POLICY_WATCH_H
#define BUMP_POLICY_WATCH_H

#include <stddef.h>
#include <time.h>

#include "policy.h"

struct bp_watch;

/* state_dir: where the holder publishes its status file (NULL or "": none). */
struct bp_watch *bp_watch_new(const char *path, unsigned interval, const char *state_dir);
void bp_watch_free(struct bp_watch *w);
/* The current policy (NULL when no valid policy was ever loaded: then *err says why). */
struct si_policy *bp_watch_get(struct bp_watch *w, char *err, size_t errsize);
void bp_watch_request_reload(void);

#endif
