/*
 * units.h: the one grammar for sizes and the one for durations that every configuration
 * surface of squid-inspect accepts (policy attributes, helper options, c-icap directives).
 *
 * Size: decimal digits, then an optional unit K, M or G (1024-based, either case), optionally
 * followed by B; a B alone means bytes. "0", "60K", "64MB", "4096b", "1g".
 * Duration: decimal digits, then an optional unit ms, s or m; no unit means seconds.
 * "3s", "1500ms", "10m", "2".
 * Both reject an empty string, signs, spaces, any other suffix and values that overflow the
 * result type; range limits beyond that are the caller's.
 *
 * Ownership: nothing is allocated. Thread-safety: reentrant, no state.
 */
#ifndef SI_UNITS_H
#define SI_UNITS_H

/* Returns 0 and stores the size in bytes in *out, or -1 (*out unchanged). */
int si_parse_size(const char *s, unsigned long long *out);

/* Returns 0 and stores the duration in milliseconds in *out, or -1 (*out unchanged). */
int si_parse_duration_ms(const char *s, long *out);

#endif
