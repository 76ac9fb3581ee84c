#!/bin/bash
# t_ocsp_revocation.sh: through Squid with inspect-ocsp (soft mode, from the policy file):
# a good certificate is served (OCSP good); a certificate revoked at the OCSP responder gets
# Squid's error page naming the revocation; a certificate with only a CRL pointer is checked
# against the CRL (good served, revoked refused); Squid's own chain errors (untrusted root,
# expired, wrong host) are passed back and still refused.
. "$(dirname "$0")/lib/lab.sh"
. "$(dirname "$0")/ocsp_lab.sh"
lab_require_lab
lab_init ocsp_revocation
lab_pki || lab_fatal "no lab PKI"
ocsp_add_leaf crlrevoked v3_leaf_crlonly DNS:crlrevoked.test revoke || lab_fatal "extra leaf"
ocsp_use_validator '<?xml version="1.0"?>
<policy xmlns="urn:squid-inspect:policy:1">
  <certificate-validation revocation="soft" ocsp-timeout="3s" crl="fallback"/>
</policy>' || lab_fatal "validator wrapper"
ocsp_start_rest || lab_fatal "the lab did not start"

fetch() { # NAME -> http code; body in $LAB_DIR/NAME.body
    lab_curl -o "$LAB_DIR/$1.body" -w '%{http_code}' "$(lab_url "$1" /page.html)" 2>/dev/null
}

# --- good.test: OCSP says good ---
lab_assert_eq "good.test served through Squid with the validator" 200 "$(fetch good.test)"
line=$(ocsp_wait_line good.test)
lab_assert_match "validator: good.test checked by OCSP, good, OK" \
    'source=ocsp result=good .* verdict=OK' "$line"
lab_assert_match "validator log line names the leaf subject and serial" \
    'subject="/CN=good\.test[^"]*" serial=[0-9A-F]+ ' "$line"
lab_assert_log "the lab's responder was asked" "$LAB_LOGS/ocsp.log" 'ocspd: .*POST .* 200'
lab_assert_log "good.test's access-log line says rev=good, no error, nothing failed" "$LAB_ACCESS_LOG" \
    'GET https://good\.test:[0-9]+/page\.html .*cert_errors="-" rev=good .* fail=- '

# --- revoked.test: revoked at the responder ---
lab_assert_eq "revoked.test refused (503)" 503 "$(fetch revoked.test)"
lab_assert_match "Squid's error page names the revocation" \
    'X509_V_ERR_CERT_REVOKED|[Rr]evoked' "$(tr -d '\r' < "$LAB_DIR/revoked.test.body")"
lab_assert_match "validator: revoked.test revoked by OCSP" \
    'source=ocsp result=revoked reason="OCSP: revoked \(keyCompromise\)' "$(ocsp_wait_line revoked.test)"
lab_assert_log "Squid's access log carries the validator's error" "$LAB_ACCESS_LOG" \
    'GET https://revoked\.test:[0-9]+/page\.html .*cert_errors="X509_V_ERR_CERT_REVOKED@depth=0" rev=revoked '

# --- crlonly.test: no OCSP URL, CRL says good ---
lab_assert_eq "crlonly.test served (CRL: not listed)" 200 "$(fetch crlonly.test)"
lab_assert_match "validator: crlonly.test checked by CRL, good" \
    'source=(crl|cache) result=good reason="CRL: not listed"' "$(ocsp_wait_line crlonly.test)"
lab_assert_log "the CRL was downloaded from the lab's CRL server" "$LAB_LOGS/crl-http.log" \
    '"GET /int\.crl HTTP/1\.[01]" 200'

# --- crlrevoked.test: no OCSP URL, revoked in the CRL ---
lab_assert_eq "crlrevoked.test refused (503)" 503 "$(fetch crlrevoked.test)"
lab_assert_match "validator: crlrevoked.test revoked by the CRL" \
    'result=revoked reason="CRL: revoked \(keyCompromise\)' "$(ocsp_wait_line crlrevoked.test)"

# --- Squid's own errors are passed back, not wiped out by an OK ---
lab_assert_eq "untrusted.test (untrusted root) still refused" 503 "$(fetch untrusted.test)"
lab_assert_match "validator: untrusted.test answered ERR" 'verdict=ERR errors=[1-9]' \
    "$(ocsp_wait_line untrusted.test)"
lab_assert_eq "expired.test still refused" 503 "$(fetch expired.test)"
lab_assert_match "validator: expired.test answered ERR" 'verdict=ERR errors=[1-9]' \
    "$(ocsp_wait_line expired.test)"
lab_assert_eq "wronghost.test (name mismatch) still refused" 503 "$(fetch wronghost.test)"
lab_assert_match "validator: wronghost.test answered ERR" 'verdict=ERR errors=[1-9]' \
    "$(ocsp_wait_line wronghost.test)"
lab_assert_no_log "no helper failure or unparsable reply in Squid's log" "$LAB_CACHE_LOG" \
    'Reply from ssl_crtvd.*incorrect|cert validator response parse error|unexpected reply on channel'
lab_done
