#!/bin/bash
# t_ocsp_deadline.sh: through Squid with inspect-ocsp, a black-holed OCSP responder (the lab's
# responder told to answer 30 s late) and a refused one (deadocsp.test) are answered within the
# policy's 2 s deadline: soft mode lets the site through and logs "undetermined", a hard-mode
# override refuses it; once a responder has failed, later checks skip it at once (backoff).
# CRL fallback is off here so that nothing but OCSP decides. The policy file is then changed
# to hard for everyone and the running helper picks that up without a Squid restart.
# Every access-log line says what became of the revocation check (rev=): undetermined:timeout
# for the black-holed responder, undetermined:no-answer for the refused one, undetermined-refused
# in hard mode, and inspect-ctl coverage counts the connections whose status was not confirmed.
. "$(dirname "$0")/lib/lab.sh"
. "$(dirname "$0")/ocsp_lab.sh"
lab_require_lab
CTL=${E2E_BINDIR:-/nonexistent}/inspect-ctl
[ -x "$CTL" ] || lab_skip "inspect-ctl is not staged (run through make check)"
lab_init ocsp_deadline
lab_pki || lab_fatal "no lab PKI"
ocsp_use_validator '<?xml version="1.0"?>
<policy xmlns="urn:squid-inspect:policy:1">
  <certificate-validation revocation="soft" ocsp-timeout="2s" crl="off">
    <override server-name="www.good.test" revocation="hard"/>
  </certificate-validation>
</policy>' || lab_fatal "validator wrapper"
ocsp_start_rest || lab_fatal "the lab did not start"
echo 30 > "$LAB_DIR/ocsp.delay"          # the responder accepts, then says nothing for 30 s

fetch() { # NAME -> http code
    lab_curl -o "$LAB_DIR/$1.body" -w '%{http_code}' "$(lab_url "$1" /page.html)" 2>/dev/null
}
DEADLINE_MS=5000    # 2 s OCSP deadline + Squid, TLS and curl on a loaded 2-core machine
timed_fetch() { local t0; t0=$(lab__now_ms); CODE=$(fetch "$1"); ELAPSED=$(( $(lab__now_ms) - t0 )); }
within_deadline() {
    if [ "$ELAPSED" -lt $DEADLINE_MS ]; then lab_pass "$1 answered within the deadline (${ELAPSED} ms)"
    else lab_fail "$1 took ${ELAPSED} ms (limit $DEADLINE_MS)"; fi
}

# --- soft: black-holed responder ---
timed_fetch good.test
lab_assert_eq "soft: good.test served although the responder black-holes" 200 "$CODE"
within_deadline "soft:"
line=$(ocsp_wait_line good.test)
lab_assert_match "soft: logged as undetermined with the timeout as reason" \
    'mode=soft .*result=undetermined reason="OCSP 127\.0\.0\.1:[0-9]+: HTTP exchange timed out" verdict=ERR errors=1 ' "$line"
lab_assert_match "soft: the validation itself took about 2 s" 'latency_ms=(19[0-9][0-9]|20[0-9][0-9]|21[0-9][0-9])$' "$line"

lab_assert_log "soft: the access-log line of the request says rev=undetermined:timeout, nothing failed" \
    "$LAB_ACCESS_LOG" \
    'GET https://good\.test:[0-9]+/page\.html .*cert_errors="X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD@depth=0" rev=undetermined:timeout .* fail=- '
lab_assert_log "soft: ... and so does the CONNECT line" "$LAB_ACCESS_LOG" \
    'CONNECT good\.test:[0-9]+ .* rev=undetermined:timeout .* fail=- '

# --- hard (override for www.good.test): the same responder, now in backoff ---
timed_fetch www.good.test
lab_assert_eq "hard: www.good.test refused (503)" 503 "$CODE"
within_deadline "hard:"
line=$(ocsp_wait_line www.good.test)
# The same helper process usually takes this request and skips the responder it saw fail
# (backoff); a sibling process would time out on its own: both are refusals in time.
lab_assert_match "hard: refused for the failing responder (backoff or timeout)" \
    'mode=hard settings="policy override line 4 \(www\.good\.test\)".*result=undetermined-refused reason="OCSP [0-9.:]+: (failed recently, retried in [0-9]+s|HTTP exchange timed out)" verdict=ERR' "$line"
lab_assert_log "hard: Squid refused with the validator's OCSP error" "$LAB_ACCESS_LOG" \
    'GET https://www\.good\.test:[0-9]+/page\.html .*cert_errors="X509_V_ERR_OCSP_VERIFY_NEEDED@depth=0" rev=undetermined-refused .* fail=failed-closed:origin-tls '

# --- soft: refused responder (deadocsp.test's OCSP port has nobody listening) ---
timed_fetch deadocsp.test
lab_assert_eq "soft: deadocsp.test served although its responder refuses" 200 "$CODE"
within_deadline "soft: refused responder"
lab_assert_match "soft: deadocsp.test logged undetermined (connection refused)" \
    'result=undetermined reason="OCSP 127\.0\.0\.1:[0-9]+: connect: Connection refused"' \
    "$(ocsp_wait_line deadocsp.test)"
lab_assert_log "soft: deadocsp.test's line says rev=undetermined:no-answer" "$LAB_ACCESS_LOG" \
    'GET https://deadocsp\.test:[0-9]+/page\.html .* rev=undetermined:no-answer .* fail=- '

# --- inspect-ctl coverage counts the connections whose status was not confirmed ---
cov=$("$CTL" coverage "$LAB_ACCESS_LOG" 2>&1)
echo "$cov" > "$LAB_LOGS/coverage.out"
lab_assert_match "coverage: 3 of 3 bumped connections not confirmed (2 let through, 1 refused)" \
    'revocation status was not confirmed \(rev=undetermined\.\.\.\): 3 of 3' "$cov"
lab_assert_match "coverage: undetermined:timeout counted" '  1 +[0-9.]+%  undetermined:timeout' "$cov"
lab_assert_match "coverage: undetermined:no-answer counted" '  1 +[0-9.]+%  undetermined:no-answer' "$cov"
lab_assert_match "coverage: undetermined-refused counted" '  1 +[0-9.]+%  undetermined-refused' "$cov"

# --- the policy changes to hard: picked up by the running helper ---
sleep 1.1
sed -i 's/revocation="soft"/revocation="hard"/' "$LAB_DIR/ocsp-policy.xml"
sleep 1.1
lab_assert_eq "after the policy change, wild names with the dead responder are refused" 503 \
    "$(fetch a.wild.test)"
lab_assert_log "the helper reloaded the policy" "$LAB_CACHE_LOG" \
    'inspect-ocsp.*policy .*ocsp-policy\.xml loaded \(digest [0-9a-f]{16}\)'
lab_assert_match "a.wild.test judged in hard mode" 'mode=hard .*result=undetermined-refused' \
    "$(ocsp_wait_line a.wild.test)"
lab_assert_no_log "no helper failure or unparsable reply in Squid's log" "$LAB_CACHE_LOG" \
    'Reply from ssl_crtvd.*incorrect|cert validator response parse error|unexpected reply on channel'
lab_done
