/*
 * fuzz_policy.c: libFuzzer target for the policy loader (lib/policy_load: XML, schema,
 * compilation). Relative list files resolve in an empty directory made at start-up, so the
 * fuzzer reads no file of the machine.
 * Ownership: the policy is released every run. Thread-safety: single-threaded (libFuzzer).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char base_dir[] = "/tmp/fuzz-policy.XXXXXX";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (!mkdtemp(base_dir))
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[1024];
    err[0] = '\0';
    struct si_policy *p = si_policy_load_mem((const char *)data, size, "fuzz.xml", base_dir, err,
                                             sizeof err);
    if (p) {
        struct si_policy_stats st;
        si_policy_get_stats(p, &st);
        if (!si_policy_digest(p))
            abort();
        si_policy_unref(p);
    } else if (err[0] == '\0') {
        abort(); /* a refused policy always says why */
    }
    return 0;
}
