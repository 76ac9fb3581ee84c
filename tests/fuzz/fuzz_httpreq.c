/*
 * fuzz_httpreq.c: libFuzzer target for the ICAP side's HTTP header handling: the request line
 * and Host header split (lib/httpreq), the status line, Content-Encoding and Accept parsing.
 * Input: request line, LF, Host header value, LF, status line, LF, Content-Encoding, LF, Accept.
 * Ownership: none kept between runs. Thread-safety: single-threaded (libFuzzer).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blockpage.h"
#include "decode.h"
#include "httpreq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 1), *field[5] = {0};
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    char *p = copy;
    for (int i = 0; i < 5; i++) {
        field[i] = p;
        char *nl = p ? strchr(p, '\n') : NULL;
        if (nl)
            *nl = '\0';
        p = nl ? nl + 1 : NULL;
    }
    struct si_req_parts parts;
    memset(&parts, 0, sizeof parts);
    if (si_req_parse(field[0], field[1], &parts) == 0) {
        if (!parts.path || strlen(parts.host) >= sizeof parts.host)
            abort();
        if (parts.port < 0 || parts.port > 65535)
            abort();
    }
    si_req_parts_clear(&parts);
    int st = si_status_parse(field[2] ? field[2] : "");
    if (st < 0 || st > 999)
        abort();
    (void)si_encoding_parse(field[3]);
    (void)si_block_content_type(si_block_format_for(field[4]));
    free(copy);
    return 0;
}
