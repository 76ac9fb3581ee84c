/*
 * helper_io.h: the wire framing Squid 5.7/6.x uses for its SslBump helpers
 * (sslcrtd_program and sslcrtvalidator_program).
 *
 *   request: [ID SP] code SP len SP body LF    len counts the body only; the body has LFs in it
 *   reply:   [ID SP] RESULT SP len SP body 0x01  nothing, not even LF, may follow the 0x01
 *            [ID SP] OK SP 0 SP 0x01             an empty reply keeps the space after the 0
 *            [ID SP] BH SP message="..." 0x01
 *
 * The ID is present when the helper's children setting has concurrency=N (N >= 1); it is echoed
 * verbatim in front of the reply.
 *
 * Ownership: a reader owns its input buffer. Each request returned by si_helper_read() owns a
 * malloc'd copy of its body, released by si_helper_request_clear(); the request may be handed to
 * another thread.
 *
 * Thread-safety: one reader is used by one thread. si_helper_reply*() may be called from any
 * thread: writes to the same fd are serialised by an internal mutex and each reply is written
 * whole.
 */
#ifndef SI_HELPER_IO_H
#define SI_HELPER_IO_H

#include <stdbool.h>
#include <stddef.h>

#define SI_HELPER_ID_MAX 20   /* a 64-bit decimal counter */
#define SI_HELPER_CODE_MAX 31 /* "new_certificate", "cert_validate" */

struct si_helper_request {
    bool has_id;
    char id[SI_HELPER_ID_MAX + 1];
    char code[SI_HELPER_CODE_MAX + 1];
    size_t body_len;
    char *body; /* NUL-terminated, body_len bytes before the NUL; NULL when cleared */
};

enum si_read_status {
    SI_READ_EOF = 0,  /* stdin closed: the helper should exit 0 */
    SI_READ_OK = 1,   /* *req holds a request */
    SI_READ_BAD = -1, /* framing error: err says why; req->id is set when it could be read.
                         The reader has already resynchronised; keep reading. */
};

struct si_helper_reader;

/* max_body: requests with a larger body are skipped (without buffering them) and reported BAD. */
struct si_helper_reader *si_helper_reader_new(int fd, size_t max_body);
void si_helper_reader_free(struct si_helper_reader *reader);

enum si_read_status si_helper_read(struct si_helper_reader *reader, struct si_helper_request *req,
                                   char *err, size_t errsize);
void si_helper_request_clear(struct si_helper_request *req);

/*
 * Writes "[ID ]result len body\x01" (body may be NULL when len is 0, which gives "result 0 ").
 * result is "OK" or "ERR". The body must not contain 0x01. Returns 0, or -1 on a write error
 * (errno set) or a body with 0x01 in it (errno EINVAL, nothing written).
 */
int si_helper_reply(int fd, const struct si_helper_request *req, const char *result,
                    const char *body, size_t len);

/* True when s[0..n) is a non-empty run of ASCII digits (channel IDs, lengths: the tokens of
 * Squid's helper protocols). */
bool si_all_digits(const char *s, size_t n);

/* Writes "[ID ]BH message=\"...\"\x01"; the message is made safe (no quotes, 0x01 or LFs). */
int si_helper_reply_bh(int fd, const struct si_helper_request *req, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
