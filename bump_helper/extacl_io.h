/*
 * extacl_io.h: Squid's external ACL helper protocol (external_acl_type), used by inspect-bump.
 *
 *   request: [channel-ID SP] value SP value ... LF     values URL-escaped, "-" when unknown
 *   reply:   [channel-ID SP] OK|ERR|BH [SP key=value ...] LF
 *
 * Unlike the SslBump helpers (helper_io.h), requests and replies are single lines ending in LF.
 * The channel ID is present when external_acl_type has concurrency=N (N >= 1); it is the first
 * token and is all digits (a client address never is).
 *
 * Ownership: a reader owns its buffer; a request returned by bp_extacl_read() points into a
 * struct the caller owns (fields are NUL-terminated copies inside it) and stays valid until the
 * caller reuses or frees the struct.
 * Thread-safety: one reader per thread. bp_extacl_reply() may be called from any thread:
 * replies are serialised by an internal mutex and written whole.
 */
#ifndef BP_EXTACL_IO_H
#define BP_EXTACL_IO_H

#include <stdbool.h>
#include <stddef.h>

/* Long enough for a user in a thousand groups (the groups field, decide.h). */
#define BP_EXTACL_LINE_MAX 32768
#define BP_EXTACL_FIELDS_MAX 16

struct bp_extacl_request {
    bool has_id;
    char id[24];
    size_t nfields;
    char *field[BP_EXTACL_FIELDS_MAX]; /* decoded; NULL for "-" (unknown) */
    char buf[BP_EXTACL_LINE_MAX + 1];  /* storage for the decoded fields */
};

struct bp_extacl_reader;

struct bp_extacl_reader *bp_extacl_reader_new(int fd);
void bp_extacl_reader_free(struct bp_extacl_reader *r);

/* 1: *req filled; 0: EOF; -1: a bad line (too long, NUL byte): err says why, req->id is set
 * when it could be read, and the reader has skipped to the next line. */
int bp_extacl_read(struct bp_extacl_reader *r, struct bp_extacl_request *req, char *err,
                   size_t errsize);

/* Parses one line (without LF) into req. Returns 0, or -1 with err filled. */
int bp_extacl_parse(const char *line, size_t len, struct bp_extacl_request *req, char *err,
                    size_t errsize);

/* Decodes %XX escapes in place; returns false on a malformed escape or an embedded NUL. */
bool bp_extacl_unescape(char *s);

/*
 * Writes "[ID ]result[ kv]\n" in one write. kv is pre-formatted "key=value ..." text (may be
 * NULL); it must not contain LF. Returns 0 or -1 (errno set).
 */
int bp_extacl_reply(int fd, const struct bp_extacl_request *req, const char *result,
                    const char *kv);
/* The same for a request known only by its channel ID (id is used when has_id). */
int bp_extacl_reply_to(int fd, bool has_id, const char *id, const char *result, const char *kv);

/* Appends ` key="value"` to dst (size dstsize), quoting per Squid's rules (\" and \\), with
 * control characters replaced by '?'. Returns false when it did not fit (dst unchanged). */
bool bp_extacl_kv_append(char *dst, size_t dstsize, const char *key, const char *value);

#endif
