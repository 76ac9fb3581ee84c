/*
 * errbuf.h: the caller-supplied error buffer convention of lib/ and the helpers
 * (char *err, size_t errsize: a sentence an operator can read).
 *
 * Thread-safety: si_fail() touches only err and the calling thread's OpenSSL error queue.
 */
#ifndef SI_ERRBUF_H
#define SI_ERRBUF_H

#include <stddef.h>

/*
 * Writes the formatted message into err (errsize bytes; err may be NULL or errsize 0), clears
 * the calling thread's OpenSSL error queue so that a stale entry cannot be blamed for a later
 * failure, and returns -1, so that a function can end with `return si_fail(err, es, ...);`.
 */
int si_fail(char *err, size_t errsize, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
