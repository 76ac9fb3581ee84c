/*
 * fuzz_ocsp_response.c: libFuzzer target for the validator's OCSP response handling
 * (ocsp_helper/ocsp_verify: oc_rev_eval_ocsp) on whatever DER a responder might send.
 * The certificate asked about is a leaf of a CA made in memory at start-up (fuzz_pki).
 * Ownership: none kept between runs. Thread-safety: single-threaded (libFuzzer).
 */
#include <stdint.h>
#include <stdlib.h>

#include <openssl/ocsp.h>

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
    OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)size);
    if (!resp)
        return 0;
    OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), pki.leaf, pki.ca);
    struct oc_rev_limits lim = {300, 86400, 3600, 86400};
    struct oc_rev_answer ans;
    oc_rev_eval_ocsp(resp, id, NULL, pki.chain, pki.store, time(NULL), &lim, &ans);
    if (ans.status > REV_FAILED || !oc_rev_status_name(ans.status))
        abort();
    /* nothing unsigned by a trusted signer may come out as good or revoked */
    if (!pki.signable && (ans.status == REV_GOOD || ans.status == REV_REVOKED))
        abort();
    OCSP_CERTID_free(id);
    OCSP_RESPONSE_free(resp);
    return 0;
}
