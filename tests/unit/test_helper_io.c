/* Unit tests for lib/helper_io: Squid SslBump helper framing, including the traps. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "helper_io.h"

/* Returns a reader over a pipe that already holds `input` and is closed for writing. */
static struct si_helper_reader *reader_over(const char *input, size_t len, size_t max_body)
{
    int fds[2];

    cr_assert_eq(pipe(fds), 0);
    cr_assert_eq(write(fds[1], input, len), (ssize_t)len);
    close(fds[1]);
    return si_helper_reader_new(fds[0], max_body);
}

/* Runs f(fd) against a pipe and returns what was written to it. */
static size_t capture(int (*f)(int fd), char *out, size_t outsize)
{
    int fds[2];
    ssize_t n;

    cr_assert_eq(pipe(fds), 0);
    cr_assert_eq(f(fds[1]), 0);
    close(fds[1]);
    n = read(fds[0], out, outsize);
    close(fds[0]);
    cr_assert_geq(n, 0);
    return (size_t)n;
}

Test(helper_io, request_without_id)
{
    static const char in[] = "new_certificate 11 host=a.test\nX\n";
    struct si_helper_reader *r = reader_over(in, sizeof(in) - 1, 1024);
    struct si_helper_request req;
    char err[128];

    cr_assert_eq(si_helper_read(r, &req, err, sizeof(err)), SI_READ_OK, "%s", err);
    cr_assert_not(req.has_id);
    cr_assert_str_eq(req.code, "new_certificate");
    cr_assert_eq(req.body_len, 11);
    cr_assert_str_eq(req.body, "host=a.test");
    si_helper_request_clear(&req);
    /* The body's own LF and the next byte: the reader counts bytes, it does not read lines. */
    cr_assert_eq(si_helper_read(r, &req, err, sizeof(err)), SI_READ_BAD);
    si_helper_request_clear(&req);
    cr_assert_eq(si_helper_read(r, &req, err, sizeof(err)), SI_READ_EOF);
    si_helper_reader_free(r);
}

Test(helper_io, multiline_body_with_id_then_next_request)
{
    static const char in[] = "7 cert_validate 11 host=x\nab=c\n8 cert_validate 0 \n";
    struct si_helper_reader *r = reader_over(in, sizeof(in) - 1, 1024);
    struct si_helper_request req;
    char err[128];

    cr_assert_eq(si_helper_read(r, &req, err, sizeof(err)), SI_READ_OK, "%s", err);
    cr_assert(req.has_id);
    cr_assert_str_eq(req.id, "7");
    cr_assert_str_eq(req.body, "host=x\nab=c");
    si_helper_request_clear(&req);
    cr_assert_eq(si_helper_read(r, &req, err, sizeof(err)), SI_READ_OK, "%s", err);
    cr_assert_str_eq(req.id, "8");
    cr_assert_eq(req.body_len, 0);
    si_helper_request_clear(&req);
    cr_assert_eq(si_helper_read(r, &req, err, sizeof(err)), SI_READ_EOF);
    si_helper_reader_free(r);
}

Test(helper_io, truncated_body_is_bad_then_eof)
{
    static const char in[] = "3 new_certificate 500 host=short\n";
    struct si_helper_reader *r = reader_over(in, sizeof(in) - 1, 1024);
    struct si_helper_request req;
    char err[128];

    cr_assert_eq(si_helper_read(r, &req, err, sizeof(err)), SI_READ_BAD);
    cr_assert_str_eq(req.id, "3", "the ID is known so the helper can answer it");
    cr_assert(strstr(err, "truncated"), "%s", err);
    si_helper_request_clear(&req);
    cr_assert_eq(si_helper_read(r, &req, err, sizeof(err)), SI_READ_EOF);
    si_helper_reader_free(r);
}

Test(helper_io, oversized_body_is_skipped_and_reader_resyncs)
{
    char in[400];
    struct si_helper_reader *r;
    struct si_helper_request req;
    char err[128];
    int n;

    memset(in, 'A', sizeof(in));
    n = snprintf(in, sizeof(in), "1 new_certificate 200 ");
    memset(in + n, 'B', 200);
    n += 200;
    n += snprintf(in + n, sizeof(in) - (size_t)n, "\n2 new_certificate 3 abc\n");
    r = reader_over(in, (size_t)n, 100);
    cr_assert_eq(si_helper_read(r, &req, err, sizeof(err)), SI_READ_BAD);
    cr_assert(strstr(err, "exceeds"), "%s", err);
    si_helper_request_clear(&req);
    cr_assert_eq(si_helper_read(r, &req, err, sizeof(err)), SI_READ_OK, "%s", err);
    cr_assert_str_eq(req.id, "2");
    cr_assert_str_eq(req.body, "abc");
    si_helper_request_clear(&req);
    si_helper_reader_free(r);
}

Test(helper_io, garbage_header_and_non_numeric_length)
{
    static const char in[] = "hello world\nnew_certificate abc def\n5 cert_validate 2 ok\n";
    struct si_helper_reader *r = reader_over(in, sizeof(in) - 1, 1024);
    struct si_helper_request req;
    char err[128];

    cr_assert_eq(si_helper_read(r, &req, err, sizeof(err)), SI_READ_BAD);
    si_helper_request_clear(&req);
    cr_assert_eq(si_helper_read(r, &req, err, sizeof(err)), SI_READ_BAD);
    cr_assert(strstr(err, "length"), "%s", err);
    si_helper_request_clear(&req);
    cr_assert_eq(si_helper_read(r, &req, err, sizeof(err)), SI_READ_OK, "%s", err);
    cr_assert_str_eq(req.body, "ok");
    si_helper_request_clear(&req);
    si_helper_reader_free(r);
}

Test(helper_io, nul_in_body_is_rejected)
{
    static const char in[] = "cert_validate 3 a\0b\n";
    struct si_helper_reader *r = reader_over(in, sizeof(in) - 1, 1024);
    struct si_helper_request req;
    char err[128];

    cr_assert_eq(si_helper_read(r, &req, err, sizeof(err)), SI_READ_BAD);
    cr_assert(strstr(err, "NUL"), "%s", err);
    si_helper_request_clear(&req);
    cr_assert_eq(si_helper_read(r, &req, err, sizeof(err)), SI_READ_EOF);
    si_helper_reader_free(r);
}

static int reply_empty_ok_with_id(int fd)
{
    struct si_helper_request req = {.has_id = true, .id = "42"};

    return si_helper_reply(fd, &req, "OK", NULL, 0);
}

Test(helper_io, empty_ok_keeps_the_space_and_ends_with_0x01_only)
{
    char out[64];
    size_t n = capture(reply_empty_ok_with_id, out, sizeof(out));

    cr_assert_eq(n, 9);
    cr_assert_eq(memcmp(out, "42 OK 0 \x01", 9), 0);
}

static int reply_err_body(int fd)
{
    static const char body[] = "error_name_0=X509_V_ERR_CERT_REVOKED\n";

    return si_helper_reply(fd, NULL, "ERR", body, sizeof(body) - 1);
}

Test(helper_io, err_reply_counts_body_bytes)
{
    char out[128];
    size_t n = capture(reply_err_body, out, sizeof(out));
    static const char want[] = "ERR 37 error_name_0=X509_V_ERR_CERT_REVOKED\n\x01";

    cr_assert_eq(n, sizeof(want) - 1);
    cr_assert_eq(memcmp(out, want, n), 0);
}

static int reply_bh_hostile(int fd)
{
    struct si_helper_request req = {.has_id = true, .id = "9"};

    return si_helper_reply_bh(fd, &req, "bad \"input\"\nwith\x01 bytes");
}

Test(helper_io, bh_message_is_made_safe)
{
    char out[128];
    size_t n = capture(reply_bh_hostile, out, sizeof(out));
    static const char want[] = "9 BH message=\"bad 'input' with  bytes\"\x01";

    cr_assert_eq(n, sizeof(want) - 1);
    cr_assert_eq(memcmp(out, want, n), 0);
}

static int reply_body_with_eom(int fd)
{
    return si_helper_reply(fd, NULL, "OK", "a\x01", 2) == -1 ? 0 : 1;
}

Test(helper_io, body_containing_eom_is_refused)
{
    char out[16];

    cr_assert_eq(capture(reply_body_with_eom, out, sizeof(out)), 0);
}
