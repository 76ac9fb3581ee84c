/*
 * fuzz_crl.c: libFuzzer target for the validator's CRL handling (ocsp_helper/ocsp_verify:
 * oc_rev_eval_crl) on whatever DER a CRL server might send, plus the AIA/CRLDP URL readers.
 * Ownership: none kept between runs. Thread-safety: single-threaded (libFuzzer).
 */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_pki.h"
#include "ocsp_verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct fuzz_pki pki;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_pki_init(&pki);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const unsigned char *p = data;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)size);
    if (crl) {
        struct oc_rev_limits lim = {300, 86400, 3600, 86400};
        struct oc_rev_answer ans;
        oc_rev_eval_crl(crl, pki.leaf, pki.chain, pki.store, time(NULL), &lim, &ans);
        /* only the in-memory CA can sign a usable CRL, and the fuzzer has no access to it */
        if (!pki.signable && (ans.status == REV_GOOD || ans.status == REV_REVOKED))
            abort();
        X509_CRL_free(crl);
    }
    /* the same bytes as a certificate: the URL readers on hostile extensions */
    p = data;
    X509 *x = d2i_X509(NULL, &p, (long)size);
    if (x) {
        free(oc_rev_ocsp_url(x));
        free(oc_rev_crl_url(x));
        (void)oc_rev_must_staple(x);
        X509_free(x);
    }
    return 0;
}
