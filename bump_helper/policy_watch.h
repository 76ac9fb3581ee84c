/*
 * policy_watch.h: the policy a long-running helper answers with, reloaded when the file
 * changes (lib/policy_holder). At most every `interval` seconds (and at once after
 * bump_watch_request_reload(), e.g. from SIGHUP) the file's device, inode, size and mtime are
 * compared with those of the loaded copy; a changed file is loaded and, if valid, replaces the current policy. An invalid
 * file keeps the previous policy and logs the file:line errors once per change.
 * Lists a policy refers to are read at load time: after editing only a list, touch the policy
 * file or send SIGHUP.
 *
 * Ownership: the watch owns one reference to the current policy. bump_watch_get() returns a
 * borrowed pointer valid until the next bump_watch_get() or bump_watch_free().
 * Thread-safety: one thread only (the helper's main loop); bump_watch_request_reload() is
 * async-signal-safe.
 */
#ifndef BUMP_POLICY_WATCH_H
#define BUMP_POLICY_WATCH_H

#include <stddef.h>
#include <time.h>

#include "policy.h"

struct bump_watch;

struct bump_watch *bump_watch_new(const char *path, unsigned interval);
void bump_watch_free(struct bump_watch *w);
/* The current policy (NULL when no valid policy was ever loaded: then *err says why). */
struct si_policy *bump_watch_get(struct bump_watch *w, char *err, size_t errsize);
void bump_watch_request_reload(void);

#endif
