#!/bin/bash
# t_ocsp_anchors.sh: the validator trusts what Squid trusts, and rev=good means a certificate
# was checked.
# - aia.test: a server of a private CA (the lab's, whose root is in no system store) that sends
#   its leaf alone. Squid fetches the intermediate (AIA caIssuers), verifies the chain with
#   OUTGOING_CAFILE, and sends the validator the leaf alone. The validator is run exactly as the
#   rendered fragment runs it (no --ca-file of its own): it completes the chain from the same
#   caIssuers URL and must trust the root from OUTGOING_CAFILE (--add-ca-file on its line), or
#   hard mode refuses the server as "chain not completed" (rev=undetermined:chain).
# - close.test: a server that reads the ClientHello and closes: no certificate was received, so
#   its lines never say rev=good.
. "$(dirname "$0")/lib/lab.sh"
. "$(dirname "$0")/ocsp_lab.sh"
lab_require_lab
lab_init ocsp_anchors
lab_pki || lab_fatal "no lab PKI"

close_port=$(lab_free_port) || lab_fatal "no port"
lab_spawn close "$LAB_LOGS/close.log" "$PYTHON3" -u "$LAB_LIB/faultd.py" --port "$close_port" --mode close
lab_wait_port "$close_port" 20 "$LAB_PID" || lab_fatal "the closing server did not start"
export LAB_EXTRA_HOSTS="close.test"
export LAB_SQUID_PRE="acl SSL_ports port $close_port
acl Safe_ports port $close_port"

ocsp_use_validator '<?xml version="1.0"?>
<policy xmlns="urn:squid-inspect:policy:1">
  <certificate-validation revocation="hard" ocsp-timeout="3s" crl="fallback"/>
</policy>' || lab_fatal "validator wrapper"
# The wrapper without the lab's --ca-file: only what the fragment's line gives it.
sed -i 's/ --ca-file [^ ]*//' "$LAB_VALIDATOR" || lab_fatal "validator wrapper"
lab_assert_no_log "the validator gets no --ca-file from the lab" "$LAB_VALIDATOR" 'ca-file'
for step in lab_start_ocsp lab_start_crl_http lab_start_origin lab_start_cicap; do
    "$step" || lab_fatal "$step failed"
done
lab_start_squid OUTGOING_CAFILE="$LAB_ORIGIN_ROOT" || lab_fatal "squid did not start"
lab_assert_log "the fragment gives the validator OUTGOING_CAFILE" "$LAB_SQUID_FRAGMENT" \
    "^sslcrtvalidator_program .* --add-ca-file=${LAB_ORIGIN_ROOT//./\\.}\$"

# --- aia.test: private CA, leaf alone, hard mode ---
code=$(lab_curl -o "$LAB_DIR/aia.body" -w '%{http_code}' "$(lab_url aia.test /page.html)" 2>/dev/null)
lab_assert_eq "hard: aia.test (private CA, leaf sent alone) served" 200 "$code"
lab_assert_match "validator: aia.test judged in hard mode, OCSP good" \
    'mode=hard .*source=ocsp result=good .* verdict=OK' "$(ocsp_wait_line aia.test)"
lab_assert_log "aia.test's access-log line says rev=good" "$LAB_ACCESS_LOG" \
    'GET https://aia\.test:[0-9]+/page\.html .*cert_errors="-" rev=good .* fail=- '
lab_assert_no_log "no 'chain not completed' in the validator's log" "$LAB_CACHE_LOG" \
    'inspect-ocsp.*chain not completed'

# --- close.test: no certificate, no rev=good ---
code=$(lab_curl -o /dev/null -w '%{http_code}' "https://close.test:$close_port/" 2>/dev/null)
lab_assert_match "close.test: refused with a proxy error" '^5[0-9][0-9]$' "$code"
lab_assert_log "close.test: the server saw the connection" "$LAB_LOGS/close.log" 'faultd: close'
lab_wait_log "$LAB_ACCESS_LOG" "close\\.test:$close_port" 10
lab_assert_no_log "close.test: no line says rev=good" "$LAB_ACCESS_LOG" "close\\.test:$close_port.* rev=good "
lab_assert_log "close.test: its lines say rev=- and why it failed" "$LAB_ACCESS_LOG" \
    "close\\.test:$close_port.* rev=- .* fail=failed-closed:"
lab_done
