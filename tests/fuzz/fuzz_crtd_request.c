/*
 * fuzz_crtd_request.c: libFuzzer target for the certgen request body parser (lib/crtd_request:
 * key=value lines, CA certificate and key, origin certificate, all PEM).
 * Ownership: none kept between runs. Thread-safety: single-threaded (libFuzzer).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crtd_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct si_crtd_request req;
    char err[256];
    memset(&req, 0, sizeof req);
    if (si_crtd_parse((const char *)data, size, &req, err, sizeof err) == 0) {
        if (!req.ca_cert || !req.ca_key)
            abort(); /* a successful parse always yields the CA pair */
        (void)si_crtd_sign_name(req.sign);
    } else if (err[0] == '\0') {
        abort(); /* a failure always says why */
    }
    si_crtd_request_clear(&req);
    return 0;
}
