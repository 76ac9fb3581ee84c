/*
 * fuzz_extacl.c: libFuzzer target for inspect-bump's external ACL protocol (bump_helper/
 * extacl_io: line framing, channel IDs, %XX unescaping, reply key=value quoting). Input goes
 * through a memfd as Squid's stdin would; replies go to another memfd.
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

#include "extacl_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int in = memfd_create("fuzz-in", 0), out = memfd_create("fuzz-out", 0);
    if (in < 0 || out < 0)
        abort();
    if (size && write(in, data, size) != (ssize_t)size)
        abort();
    lseek(in, 0, SEEK_SET);
    struct bp_extacl_reader *r = bp_extacl_reader_new(in);
    struct bp_extacl_request *req = malloc(sizeof *req);
    if (!r || !req)
        abort();
    char err[256];
    for (int n = 0; n < 10000; n++) {
        int rc = bp_extacl_read(r, req, err, sizeof err);
        if (rc == 0)
            break;
        if (rc < 0) {
            bp_extacl_reply(out, req, "BH", NULL);
            continue;
        }
        if (req->nfields > BP_EXTACL_FIELDS_MAX)
            abort();
        char kv[512] = "";
        for (size_t i = 0; i < req->nfields; i++) {
            if (req->field[i])
                bp_extacl_kv_append(kv, sizeof kv, "f", req->field[i]);
        }
        if (strchr(kv, '\n'))
            abort(); /* a reply line with LF in it would split in two */
        bp_extacl_reply(out, req, "OK", kv[0] ? kv + 1 : NULL);
    }
    free(req);
    bp_extacl_reader_free(r);
    close(in);
    close(out);
    return 0;
}
