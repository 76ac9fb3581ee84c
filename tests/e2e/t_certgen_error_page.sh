#!/bin/bash
# t_certgen_error_page.sh: when the origin's certificate is refused, Squid serves its error
# page over a certificate from inspect-certgen made without an origin to mimic. The client must
# get that forged leaf, never the inspection CA certificate itself (regression: a leaf whose key
# type differs from the CA's left the CA certificate in the TLS session's other key slot, and
# clients preferring ECDSA were served the CA; see cg_forge_key_type in certgen_helper/forge.c).
. "$(dirname "$0")/lib/lab.sh"
lab_require_lab
lab_init certgen_error_page
lab_start_all || lab_fatal "the lab did not start"

inspect_subject=$(lab_cert_subject < "$LAB_INSPECT_CA")
for name in expired.test wronghost.test; do
    lab_proxy_cert "$name" > "$LAB_DIR/$name.pem"
    lab_assert_eq "$name: the client is served a leaf for the name, not the CA" \
        "CN=$name" "$(lab_cert_subject < "$LAB_DIR/$name.pem")"
    lab_assert_eq "$name: the leaf is issued by the inspection CA" \
        "$inspect_subject" "$(lab_cert_issuer < "$LAB_DIR/$name.pem")"
    code=$(lab_curl -o "$LAB_DIR/$name.body" -w '%{http_code}' "$(lab_url "$name" /)")
    lab_assert_eq "$name: Squid's error page (503) reaches a client that trusts the inspection CA" \
        503 "$code"
done
lab_done
