/*
 * fuzz_blockpage.c: libFuzzer target for block-page template filling (lib/blockpage).
 * Input: template, then rule id, reason, URL, host, ref, each after a 0x00 byte; rendered as
 * HTML, JSON and text. Checks that no raw '<' from a value reaches the HTML page.
 * Ownership: none kept between runs. Thread-safety: single-threaded (libFuzzer).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blockpage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    const char *part[6] = {0};
    size_t off = 0;
    for (int i = 0; i < 6 && off <= size; i++) {
        part[i] = copy + off;
        off += strlen(copy + off) + 1;
    }
    struct si_block_info info = {part[1], part[2], part[3], part[4], part[5]};
    static const enum si_block_format fmts[] = {SI_BLOCK_HTML, SI_BLOCK_JSON, SI_BLOCK_TEXT};
    for (int f = 0; f < 3; f++) {
        size_t len = 0;
        char *body = si_block_render(part[0], fmts[f], &info, &len);
        if (body && strlen(body) != len)
            abort(); /* the length handed to c-icap must be the body's */
        free(body);
    }
    for (int i = 1; i < 6; i++) {
        char *e = si_html_escape(part[i]);
        if (e && strpbrk(e, "<>\""))
            abort(); /* escaped text carries no markup */
        free(e);
    }
    free(copy);
    return 0;
}
