#!/bin/bash
# t_ocsp_chain.sh: origins that send their leaf without its intermediate. Squid 5.7 fetches the
# intermediate itself (AIA caIssuers) and then sends the validator the leaf alone, without
# errors; inspect-ocsp completes the chain itself (caIssuers from the lab's HTTP server) and
# checks revocation as for any other chain:
# - aia.test (good) is served in hard mode (it used to be refused: "chain not verified here");
# - aiarevoked.test (revoked) is refused in soft mode, the page naming the revocation (it used
#   to pass unchecked as "undetermined").
. "$(dirname "$0")/lib/lab.sh"
. "$(dirname "$0")/ocsp_lab.sh"
lab_require_lab
lab_init ocsp_chain
lab_pki || lab_fatal "no lab PKI"
ocsp_use_validator '<?xml version="1.0"?>
<policy xmlns="urn:squid-inspect:policy:1">
  <certificate-validation revocation="hard" ocsp-timeout="3s" crl="fallback">
    <override server-name="aiarevoked.test" revocation="soft"/>
  </certificate-validation>
</policy>' || lab_fatal "validator wrapper"
ocsp_start_rest || lab_fatal "the lab did not start"

fetch() { # NAME -> http code; body in $LAB_DIR/NAME.body
    lab_curl -o "$LAB_DIR/$1.body" -w '%{http_code}' "$(lab_url "$1" /page.html)" 2>/dev/null
}

# --- aia.test: good, leaf alone, hard mode ---
lab_assert_eq "hard: aia.test (leaf sent alone) served" 200 "$(fetch aia.test)"
lab_assert_match "validator: aia.test judged in hard mode, OCSP good, OK" \
    'mode=hard .*source=ocsp result=good .* verdict=OK' "$(ocsp_wait_line aia.test)"
lab_assert_log "the validator completed the chain from the lab's caIssuers URL" "$LAB_CACHE_LOG" \
    "inspect-ocsp.*chain completed: issuer from caIssuers http://127\\.0\\.0\\.1:$LAB_CRL_PORT/int\\.der"
lab_assert_log "... fetched by the validator (HTTP/1.0 GET)" "$LAB_LOGS/crl-http.log" \
    '"GET /int\.der HTTP/1\.0" 200'
lab_assert_log "aia.test's access-log line says rev=good" "$LAB_ACCESS_LOG" \
    'GET https://aia\.test:[0-9]+/page\.html .*cert_errors="-" rev=good .* fail=- '

# --- aiarevoked.test: revoked, leaf alone, soft mode ---
lab_assert_eq "soft: aiarevoked.test (leaf sent alone, revoked) refused" 503 "$(fetch aiarevoked.test)"
lab_assert_match "the page names the revocation" 'X509_V_ERR_CERT_REVOKED|[Rr]evoked' \
    "$(tr -d '\r' < "$LAB_DIR/aiarevoked.test.body")"
lab_assert_match "validator: aiarevoked.test revoked by OCSP in soft mode" \
    'mode=soft .*source=(ocsp|cache) result=revoked reason="OCSP: revoked \(keyCompromise\)' \
    "$(ocsp_wait_line aiarevoked.test)"
lab_assert_log "aiarevoked.test's access-log line: refused for revocation" "$LAB_ACCESS_LOG" \
    'GET https://aiarevoked\.test:[0-9]+/page\.html .*cert_errors="X509_V_ERR_CERT_REVOKED@depth=0" rev=revoked .* fail=failed-closed:origin-tls '
lab_assert_no_log "no helper failure or unparsable reply in Squid's log" "$LAB_CACHE_LOG" \
    'Reply from ssl_crtvd.*incorrect|cert validator response parse error|unexpected reply on channel'
lab_done
