/*
 * fuzz_decode.c: libFuzzer target for response body handling: Content-Encoding decoding with
 * its output cap (lib/decode) and the payment-card body scan (lib/bodyscan via security.h).
 * The first input byte picks gzip, deflate or identity; the rest is the body.
 * Ownership: none kept between runs. Thread-safety: single-threaded (libFuzzer).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "decode.h"
#include "bodyscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_OUT (256 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const enum si_encoding encs[] = {SI_ENC_GZIP, SI_ENC_DEFLATE, SI_ENC_IDENTITY};
    enum si_encoding enc = encs[data[0] % 3];
    unsigned char *out = NULL;
    size_t outlen = 0;
    enum si_decode_rc rc = si_decode(enc, data + 1, size - 1, FUZZ_MAX_OUT, &out, &outlen);
    if (rc == SI_DECODE_OK) {
        if (outlen > FUZZ_MAX_OUT || (outlen && !out))
            abort();
        (void)si_count_payment_cards(out, outlen, 10);
    }
    free(out);
    (void)si_count_payment_cards(data + 1, size - 1, 10);
    return 0;
}
