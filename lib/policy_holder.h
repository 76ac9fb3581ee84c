/*
 * policy_holder.h: the "current policy" of a long-running process, swapped atomically.
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
 * Ownership: the holder owns one reference to the current policy.
 * Thread-safety: all functions may be called from any thread; the swap and get are protected by
 * a mutex held only for a pointer copy and a reference count increment; loads run outside it and
 * concurrent loads are serialised by a second mutex.
 */
#ifndef SI_POLICY_HOLDER_H
#define SI_POLICY_HOLDER_H

#include <stddef.h>

#include "policy.h"

struct si_policy_holder;

struct si_policy_holder *si_policy_holder_new(const char *path);
void si_policy_holder_free(struct si_policy_holder *h); /* accepts NULL */

/* Returns 0 (loaded and swapped) or -1 (current policy kept, reason in err). */
int si_policy_holder_load(struct si_policy_holder *h, char *err, size_t errsize);

/* 1: changed and reloaded; 0: unchanged (or the file vanished: kept); -1: changed, load failed. */
int si_policy_holder_reload_if_changed(struct si_policy_holder *h, char *err, size_t errsize);

/* Makes p (the caller's reference is taken over) the current policy, e.g. a built-in one. */
void si_policy_holder_install(struct si_policy_holder *h, struct si_policy *p);

/* A new reference to the current policy, or NULL if none was ever loaded. */
struct si_policy *si_policy_holder_get(struct si_policy_holder *h);

/* Number of successful loads so far (a generation counter for logs and tests). */
unsigned long si_policy_holder_generation(struct si_policy_holder *h);

#endif
