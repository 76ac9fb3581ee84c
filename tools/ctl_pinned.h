/*
 * ctl_pinned.h: `inspect-ctl pinned-report`: server names whose bumped connections repeatedly
 * fail right after the TLS handshake with the client (the client rejected the forged
 * certificate: pinned applications, updaters). Reads access logs in the squid-inspect `inspect`
 * logformat and proposes bypass rules for an administrator to review; it changes nothing.
 *
 * Ownership: a report owns its entries; ctl_pinned_free() releases everything.
 * Thread-safety: none (one report per thread).
 */
#ifndef CTL_PINNED_H
#define CTL_PINNED_H

#include <stddef.h>
#include <stdio.h>

struct ctl_pinned;

struct ctl_pinned *ctl_pinned_new(void);
void ctl_pinned_free(struct ctl_pinned *p);
/* Feeds one access-log line (without the LF); lines of other formats are counted and skipped. */
void ctl_pinned_add_line(struct ctl_pinned *p, const char *line);
/* Prints names with at least min_failures failed handshakes making up at least min_ratio of
 * their bumped connections, most failures first. Returns how many names were reported. */
size_t ctl_pinned_print(struct ctl_pinned *p, FILE *out, unsigned min_failures, double min_ratio);

int ctl_pinned_main(int argc, char **argv);

#endif
