#!/bin/bash
# t_certgen.sh: through Squid (sslcrtd_children without concurrency=), inspect-certgen forges
# certificates with the properties of certgen_helper/forge.h for a normal name, an IP literal, a wildcard
# origin certificate, an untrusted origin ("Not trusted by" chain: the client fails) and a
# self-signed origin, and serves a repeated request from its cache; the access log marks a
# waived certificate error fail=failed-open:cert-error-waived.
. "$(dirname "$0")/lib/lab.sh"
lab_require_lab
lab_init certgen
. "$(dirname "$0")/lib/certgen-checks.sh"
# The admin waives certificate errors for two names (a per-name exception), so Squid bumps
# them and asks for signUntrusted and signSelf certificates instead of an error page.
certgen_waive_errors untrusted.test selfsigned.test
lab_start_all || lab_fatal "the lab did not start"
case $LAB_CERTGEN_USED in
    */inspect-certgen) lab_pass "Squid runs inspect-certgen ($LAB_CERTGEN_USED)" ;;
    *) lab_fatal "Squid runs $LAB_CERTGEN_USED, not inspect-certgen" ;;
esac

ca_subject=$(lab_cert_subject < "$LAB_INSPECT_CA")

# --- a normal name: mimicked subject and SAN, our extensions, the inspection CA ---
certgen_check_forged good.test "-verify_hostname good.test"
certgen_check_mimics good.test
lab_assert_eq "good.test: issued by the inspection CA" "$ca_subject" \
    "$(lab_cert_issuer < "$LAB_DIR/good.test.proxy.pem")"
lab_assert_match "good.test: SAN copied" 'DNS:good\.test, DNS:www\.good\.test' \
    "$(certgen_ext good.test.proxy 'Subject Alternative Name')"
certgen_check_not_copied good.test

# --- an IP literal: IP SAN, hostname check by IP ---
certgen_check_forged 127.0.0.1 "-verify_ip 127.0.0.1"
lab_assert_match "127.0.0.1: SAN is an IP entry" '^ *IP Address:127\.0\.0\.1 *$' \
    "$(certgen_ext 127.0.0.1.proxy 'Subject Alternative Name')"

# --- a wildcard origin certificate ---
certgen_check_forged a.wild.test "-verify_hostname a.wild.test"
lab_assert_match "a.wild.test: wildcard SAN copied" 'DNS:\*\.wild\.test' \
    "$(certgen_ext a.wild.test.proxy 'Subject Alternative Name')"

# --- an untrusted origin: Squid asks for signUntrusted, the client must fail ---
lab_proxy_cert untrusted.test > "$LAB_DIR/untrusted.proxy.pem"
lab_assert_match "untrusted.test: issuer is Squid's 'Not trusted by' CA" \
    'Not trusted by' "$(lab_cert_issuer < "$LAB_DIR/untrusted.proxy.pem")"
if "$OPENSSL" verify -CAfile "$LAB_INSPECT_CA" "$LAB_DIR/untrusted.proxy.pem" >/dev/null 2>&1; then
    lab_fail "untrusted.test: the forged certificate verifies against the inspection CA"
else
    lab_pass "untrusted.test: the forged certificate does not verify against the inspection CA"
fi
lab_curl -o /dev/null "$(lab_url untrusted.test /)" 2>/dev/null
lab_assert_eq "untrusted.test: a client trusting the inspection CA fails (curl exit 60)" 60 "$?"
certgen_check_leaf_key untrusted.test

# --- a self-signed origin: signSelf, self-signed by the leaf key ---
lab_proxy_cert selfsigned.test > "$LAB_DIR/selfsigned.proxy.pem"
lab_assert_eq "selfsigned.test: issuer = subject (signSelf)" \
    "$(lab_cert_subject < "$LAB_DIR/selfsigned.proxy.pem")" \
    "$(lab_cert_issuer < "$LAB_DIR/selfsigned.proxy.pem")"
if "$OPENSSL" verify -CAfile "$LAB_DIR/selfsigned.proxy.pem" -partial_chain \
        "$LAB_DIR/selfsigned.proxy.pem" >/dev/null 2>&1; then
    lab_pass "selfsigned.test: signed by its own key"
else
    lab_fail "selfsigned.test: not signed by its own key"
fi

# --- the waived error is logged; a refused one is not called waived ---
code=$(lab_curl -k -o /dev/null -w '%{http_code}' "$(lab_url selfsigned.test /page.html)")
lab_assert_eq "selfsigned.test: a client accepting any certificate gets the page (error waived)" 200 "$code"
lab_assert_log "access log: the waived error is marked on the decrypted request" "$LAB_ACCESS_LOG" \
    'GET https://selfsigned\.test:[0-9]+/page\.html .* cert_errors="X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT@depth=0[^"]*" .* fail=failed-open:cert-error-waived '
lab_assert_log "access log: ... and on its CONNECT line" "$LAB_ACCESS_LOG" \
    'CONNECT selfsigned\.test:[0-9]+ .* bump=bump .* fail=failed-open:cert-error-waived '
code=$(lab_curl -k -o /dev/null -w '%{http_code}' "$(lab_url expired.test /page.html)")
lab_assert_eq "expired.test (not waived): refused with 503" 503 "$code"
lab_assert_log "access log: the refused error stays failed-closed:origin-tls" "$LAB_ACCESS_LOG" \
    'GET https://expired\.test:[0-9]+/page\.html .* cert_errors="X509_V_ERR_CERT_HAS_EXPIRED@depth=0[^"]*" .* fail=failed-closed:origin-tls '
lab_assert_no_log "access log: a good certificate or a refused error is never called waived" "$LAB_ACCESS_LOG" \
    '(good|expired)\.test:[0-9]+.* fail=failed-open:cert-error-waived'

# --- a repeated request is served from the cache (random serials: same bytes = cached) ---
lab_assert_eq "good.test twice: the same certificate (cache hit)" \
    "$(lab_cert_fp < "$LAB_DIR/good.test.proxy.pem")" "$(lab_cert_fp < <(lab_proxy_cert good.test))"

# --- the cache directory ---
lab_assert_eq "leaf keys are mode 600" "600 600" \
    "$(stat -c %a "$LAB_CERTGEN_DB/leaf-rsa.pem" "$LAB_CERTGEN_DB/leaf-ec.pem" | tr '\n' ' ' | sed 's/ $//')"
lab_assert_no_log "cache.log: no inspect-certgen error" "$LAB_CACHE_LOG" 'inspect-certgen\[[0-9]+\] (ERROR|WARNING)'
lab_done
