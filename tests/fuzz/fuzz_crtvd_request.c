/*
 * fuzz_crtvd_request.c: libFuzzer target for the validator request body parser and reply
 * builder (lib/crtvd_request).
 * Ownership: none kept between runs. Thread-safety: single-threaded (libFuzzer).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crtvd_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct si_crtvd_request req;
    char err[256];
    memset(&req, 0, sizeof req);
    if (si_crtvd_parse((const char *)data, size, &req, err, sizeof err) != 0) {
        if (err[0] == '\0')
            abort();
        return 0;
    }
    struct si_crtvd_reply reply;
    memset(&reply, 0, sizeof reply);
    for (size_t i = 0; i < req.nerrors; i++) {
        const char *name = req.errors[i].name;
        if (si_crtvd_error_known(name))
            si_crtvd_reply_add(&reply, name, req.host, req.errors[i].cert);
    }
    if (reply.buf && memchr(reply.buf, 1, reply.len))
        abort(); /* a reply body with 0x01 would end the frame early */
    si_crtvd_reply_free(&reply);
    si_crtvd_request_free(&req);
    return 0;
}
