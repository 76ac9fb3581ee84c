/*
 * fuzz_helper_io.c: libFuzzer target for lib/helper_io's request framing (si_helper_read).
 * The input is fed through a memfd as if it were Squid writing to the helper's stdin; every
 * request read is checked to own a body of the announced length, and replies are rendered
 * into a second memfd (never the process's stdout).
 * Ownership: none kept between runs. Thread-safety: single-threaded (libFuzzer).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "helper_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int in = memfd_create("fuzz-in", 0), out = memfd_create("fuzz-out", 0);
    if (in < 0 || out < 0)
        abort();
    if (size && write(in, data, size) != (ssize_t)size)
        abort();
    lseek(in, 0, SEEK_SET);
    struct si_helper_reader *r = si_helper_reader_new(in, 4096);
    if (!r)
        abort();
    char err[256];
    for (int n = 0; n < 10000; n++) {
        struct si_helper_request req;
        memset(&req, 0, sizeof req);
        enum si_read_status st = si_helper_read(r, &req, err, sizeof err);
        if (st == SI_READ_EOF)
            break;
        if (st == SI_READ_OK) {
            /* touch every body byte and the NUL: a short allocation shows up under ASan */
            volatile unsigned sum = 0;
            for (size_t i = 0; i <= req.body_len; i++)
                sum += (unsigned char)req.body[i];
            si_helper_reply(out, &req, "OK", NULL, 0);
        } else {
            si_helper_reply_bh(out, &req, "fuzz: %s", err);
        }
        si_helper_request_clear(&req);
    }
    si_helper_reader_free(r);
    close(in);
    close(out);
    return 0;
}
