/*
 * clamd.h: a streaming client for clamd's INSTREAM command (ClamAV's scanner daemon).
 *
 * A session is one connection and one stream: si_clamd_open() connects and sends
 * "zINSTREAM", si_clamd_feed() sends body bytes as they arrive (framed as clamd wants: a 4-byte
 * big-endian length, then the bytes), si_clamd_finish() sends the zero-length terminator and
 * reads clamd's one reply. Replies follow clamd's grammar for INSTREAM with the 'z' prefix (each
 * reply ends with a NUL byte):
 *   "stream: OK"                          -> SI_CLAMD_CLEAN
 *   "stream: NAME FOUND"                  -> SI_CLAMD_INFECTED, signature NAME (an extended
 *                                            "(hash:size)" suffix is dropped)
 *   "INSTREAM size limit exceeded. ERROR" -> SI_CLAMD_ERROR, SI_CLAMD_E_TOO_LONG (clamd sends it
 *                                            as soon as a chunk would pass its StreamMaxLength,
 *                                            then closes)
 *   "... ERROR"                           -> SI_CLAMD_ERROR, SI_CLAMD_E_SCANNER
 *   anything else, or over SI_CLAMD_REPLY_MAX bytes -> SI_CLAMD_ERROR, SI_CLAMD_E_REPLY
 *
 * Addresses: a Unix socket path, or TCP to a numeric loopback address (127.0.0.0/8 or ::1);
 * si_clamd_addr_parse() refuses every other address, and names (no resolver is consulted).
 *
 * Deadlines: the socket is non-blocking and every wait is a poll() with a deadline of
 * timeout_ms: connecting plus sending the command, each si_clamd_feed() call (all its bytes),
 * and si_clamd_finish() (terminator plus reply). Waiting for the caller's next chunk is not
 * counted (clamd's own ReadTimeout bounds that on its side). Nothing blocks longer than
 * timeout_ms. Signals: writes use MSG_NOSIGNAL, so a closed connection never raises SIGPIPE.
 *
 * clamd answers only after the terminator, except to refuse: each feed and the finish first look
 * (poll, no wait) for anything clamd already sent, so an early reply is never taken for the
 * verdict ("replied before the end of the stream", or the size-limit refusal). Once a session
 * has failed (or clamd answered early), later feeds do nothing and return -1, and
 * si_clamd_finish() reports that first result. The result's words (si_clamd_error_word) are
 * the fail reasons of the logs: scanner-down, scanner-timeout, scanner-too-long, scanner-error,
 * scanner-bad-reply.
 *
 * Ownership: a session is the caller's until si_clamd_close() (which accepts NULL). Results are
 * plain structs filled in place. Thread-safety: no global state; different sessions may be used
 * from different threads at once; one session must not be used by two threads at once.
 */
#ifndef SI_CLAMD_H
#define SI_CLAMD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#define SI_CLAMD_REPLY_MAX 1024 /* longest reply accepted, terminator included */

struct si_clamd_addr {
    int family; /* AF_UNIX, AF_INET or AF_INET6 */
    struct sockaddr_storage sa;
    socklen_t salen;
    /* for logs: "unix:PATH", "IP:PORT", "[IP6]:PORT" */
    char text[sizeof(((struct sockaddr_un *)0)->sun_path) + 8];
};

/*
 * spec: "unix:/PATH" or "/PATH" (a Unix socket), "tcp:ADDR:PORT", "ADDR:PORT" or "[V6]:PORT"
 * with ADDR a numeric loopback address. 0, or -1 with a sentence in err.
 */
int si_clamd_addr_parse(const char *spec, struct si_clamd_addr *out, char *err, size_t errsize);

enum si_clamd_verdict { SI_CLAMD_CLEAN = 0, SI_CLAMD_INFECTED, SI_CLAMD_ERROR };

enum si_clamd_error {
    SI_CLAMD_E_NONE = 0,
    SI_CLAMD_E_DOWN,     /* connect refused, no socket, connection lost mid-stream */
    SI_CLAMD_E_TIMEOUT,  /* a deadline passed */
    SI_CLAMD_E_TOO_LONG, /* clamd: INSTREAM size limit exceeded */
    SI_CLAMD_E_SCANNER,  /* clamd replied "... ERROR" */
    SI_CLAMD_E_REPLY,    /* a reply outside clamd's grammar, or too long */
};

struct si_clamd_result {
    enum si_clamd_verdict verdict;
    enum si_clamd_error error;
    char signature[256]; /* SI_CLAMD_INFECTED: the name clamd reported (log-safe characters) */
    char message[256];   /* SI_CLAMD_ERROR: a sentence for the log */
};

/* "scanner-down", "scanner-timeout", ... ("" for SI_CLAMD_E_NONE). */
const char *si_clamd_error_word(enum si_clamd_error e);

struct si_clamd_session;

/*
 * Connects to addr and starts an INSTREAM. On failure returns NULL and fills res (verdict
 * SI_CLAMD_ERROR, reason SI_CLAMD_E_DOWN, _TIMEOUT, or _DOWN for out of memory).
 */
struct si_clamd_session *si_clamd_open(const struct si_clamd_addr *addr, int timeout_ms,
                                       struct si_clamd_result *res);

/* Sends len bytes (any size; len 0 sends nothing). 0, or -1 once the session has failed. */
int si_clamd_feed(struct si_clamd_session *s, const void *data, size_t len);

/* Ends the stream and reads the verdict into res. The session is then spent (close it). */
void si_clamd_finish(struct si_clamd_session *s, struct si_clamd_result *res);

/* Closes the connection and frees the session (NULL accepted). */
void si_clamd_close(struct si_clamd_session *s);

/* One whole scan of a buffer: open, feed, finish, close. */
void si_clamd_scan(const struct si_clamd_addr *addr, int timeout_ms, const void *data,
                   size_t len, struct si_clamd_result *res);

#endif
