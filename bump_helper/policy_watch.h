/*
 * policy_watch.h: the policy a long-running helper answers with, on lib/policy_holder (which
 * loads, polls, reloads, logs and publishes the status file). The first bump_watch_get() loads
 * the file; later ones check it at most every `interval` seconds (and at once after
 * bump_watch_request_reload(), e.g. from SIGHUP): a changed file, or a changed list, category
 * file or template it read, is loaded and, if valid, replaces the current policy. An invalid
 * file keeps the previous policy and is logged (file:line) once per change.
 *
 * Ownership: the watch owns its holder. bump_watch_get() returns a borrowed pointer valid until
 * the next bump_watch_get() or bump_watch_free().
 * Thread-safety: one thread only (the helper's main loop); bump_watch_request_reload() is
 * async-signal-safe.
 */
#ifndef BUMP_POLICY_WATCH_H
#define BUMP_POLICY_WATCH_H

#include <stddef.h>
#include <time.h>

#include "policy.h"

struct bump_watch;

/* state_dir: where the holder publishes its status file (NULL or "": none). */
struct bump_watch *bump_watch_new(const char *path, unsigned interval, const char *state_dir);
void bump_watch_free(struct bump_watch *w);
/* The current policy (NULL when no valid policy was ever loaded: then *err says why). */
struct si_policy *bump_watch_get(struct bump_watch *w, char *err, size_t errsize);
void bump_watch_request_reload(void);

#endif
