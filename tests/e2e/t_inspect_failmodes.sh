#!/bin/bash
# t_inspect_failmodes.sh: every failure is logged as exactly what it was, never as "inspected":
# a client rejecting the forged certificate (and inspect-ctl pinned-report finding it), an
# origin with an invalid certificate, the ICAP service down with bypass=on (failed open), and
# the decision helper unable to answer (failed closed, not spliced).
. "$(dirname "$0")/lib/lab.sh"
lab_require_lab
[ -x "${E2E_PKGLIBEXECDIR:-/nonexistent}/inspect-bump" ] || lab_skip "inspect-bump is not installed"
CTL=${E2E_BINDIR:-/nonexistent}/inspect-ctl
[ -x "$CTL" ] || lab_skip "inspect-ctl is not installed"
lab_init inspect_failmodes
lab_start_all ICAP_BYPASS=on || lab_fatal "the lab did not start"
log=$LAB_ACCESS_LOG

# --- a normal inspected request: ICAP applied, no failure word ---
code=$(lab_curl -o /dev/null -w '%{http_code}' "$(lab_url good.test /page.html)")
lab_assert_eq "good.test through ICAP: 200" 200 "$code"
lab_assert_log "access log: inspected request with ICAP, fail=-" "$log" \
    'GET https://good\.test:[0-9]+/page\.html .* tls=inspect:default:default .* fail=- .*icap="[0-9]'

# --- clients that reject the forged certificate (pinned application) ---
# openssl s_client -verify_return_error rejects it inside the handshake (alert unknown_ca).
# (Not curl: curl 8.x of Debian testing completes the handshake and checks the certificate
# afterwards, then resets the connection; Squid then sees a handshake closed before any request.)
for i in 1 2 3; do
    timeout 20 "$OPENSSL" s_client -verify_return_error -CAfile "$LAB_ORIGIN_ROOT" \
        -servername www.good.test -proxy "127.0.0.1:$LAB_SQUID_PORT" \
        -connect "www.good.test:$LAB_ORIGIN_PORT" </dev/null >/dev/null 2>&1
done
lab_assert_log "access log: rejected handshake logged client-rejected-cert" "$log" \
    'CONNECT www\.good\.test:[0-9]+ .* bump=bump .* fail=client-rejected-cert err=ERR_SECURE_ACCEPT_FAIL/'
for i in 1 2; do # handshake completed, then closed without a request
    timeout 20 "$OPENSSL" s_client -servername a.wild.test -proxy "127.0.0.1:$LAB_SQUID_PORT" \
        -connect "a.wild.test:$LAB_ORIGIN_PORT" </dev/null >/dev/null 2>&1
done
sleep 1
report=$("$CTL" pinned-report --min-failures 2 "$log")
printf '%s\n' "$report" > "$LAB_LOGS/pinned-report.txt"
lab_assert_match "pinned-report names www.good.test with its 3 rejections" \
    '^www\.good\.test bumped=3 rejected=3 .*alert-unknown-ca=3' "$report"
lab_assert_match "pinned-report proposes a verify-name bypass rule for review" \
    '<rule id="pinned-www-good-test" action="bypass" verify-name="true"><server-name>www\.good\.test</server-name></rule>' "$report"
lab_assert_match "pinned-report counts handshakes closed before any request" \
    '^a\.wild\.test bumped=2 rejected=2 .*closed-before-request=2' "$report"
if printf '%s\n' "$report" | grep -q '^good\.test '; then
    lab_fail "pinned-report blamed good.test, whose client sent requests"
else
    lab_pass "pinned-report leaves good.test (requests followed the handshake) alone"
fi

# --- an origin certificate Squid refuses ---
lab_curl -o /dev/null "$(lab_url expired.test /)" 2>/dev/null
lab_assert_log "access log: expired origin certificate logged failed-closed:origin-tls" "$log" \
    'expired\.test.* fail=failed-closed:origin-tls err=ERR_SECURE_CONNECT_FAIL/'

# --- the ICAP service down, bypass=on: the request passes uninspected and says so ---
lab_stop cicap
code=$(lab_curl -o /dev/null -w '%{http_code}' "$(lab_url good.test /echo)")
lab_assert_eq "with c-icap down and bypass=on, good.test still answers 200" 200 "$code"
lab_assert_log "access log: that request is logged failed-open (ICAP error or not applied)" "$log" \
    'TCP_MISS/200 [0-9]+ GET https://good\.test:[0-9]+/echo .* fail=failed-open:icap-(error|not-applied) '
code=$(lab_curl -o /dev/null -w '%{http_code}' "$(lab_url good.test /page.html)")
lab_assert_log "access log: a second request while ICAP is down is logged failed-open too" "$log" \
    'TCP_MISS/200 [0-9]+ GET https://good\.test:[0-9]+/page\.html .* fail=failed-open:icap-(error|not-applied) '

# --- the decision helper cannot answer: Squid 5.7 would splice; we refuse ---
lab_stop squid
LAB_POLICY=$LAB_DIR/no-such-policy.xml
lab_start_squid ICAP_BYPASS=on || lab_fatal "squid did not restart"
lab_curl --cacert "$LAB_ORIGIN_ROOT" -o /dev/null "$(lab_url bypass.test /)" 2>/dev/null
lab_assert_ne "without a decision the connection fails (not spliced)" 0 "$?"
lab_assert_log "access log: refused, logged failed-closed:no-decision" "$log" \
    'TCP_DENIED/[0-9]+ [0-9]+ CONNECT bypass\.test:[0-9]+ .* tls=- .* fail=failed-closed:no-decision '
lab_assert_no_log "access log: nothing tunnelled without a decision" "$log" \
    'TCP_TUNNEL/[0-9]+ [0-9]+ CONNECT .* tls=- '
lab_assert_log "cache.log: inspect-bump says it has no policy" "$LAB_CACHE_LOG" \
    'inspect-bump.*no decision \(answered BH'
cp "$log" "$LAB_LOGS/access-failmodes.log"
lab_done
