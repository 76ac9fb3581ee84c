#!/bin/bash
# t_inspect_policy.sh: the <https-inspection> rules of the XML policy drive Squid through
# inspect-bump: bypass by SNI (from a 100,000-name list), by client network, by user (proxy
# authentication), inspect by default, terminate, verify-name against a lying SNI, a policy
# edit picked up without restarting Squid or dropping a tunnel, an invalid edit rejected, and
# the access-log lines naming the rule of every decision, and --on-name-mismatch terminate
# refusing the lying SNI.
. "$(dirname "$0")/lib/lab.sh"
lab_require_lab
[ -x "${E2E_PKGLIBEXECDIR:-/nonexistent}/inspect-bump" ] || lab_skip "inspect-bump is not installed"
lab_init inspect_policy

P=$LAB_DIR/policy
mkdir -p "$P" && chmod 755 "$P"
# 100,000 names in the bypass list, bypass.test among them.
awk 'BEGIN { for (i = 0; i < 99999; i++) printf "host%d.bulk%d.example\n", i, i % 97; print "bypass.test" }' \
    > "$P/bypass-bulk.txt"
write_policy() { # $1: extra rules placed first
    cat > "$P/policy.xml.tmp" <<EOF
<policy xmlns="urn:squid-inspect:policy:1">
  <objects>
    <network id="direct-net" cidr="127.0.0.2/32"/>
    <users id="vip" names="alice"/>
    <domains id="bulk" file="bypass-bulk.txt"/>
  </objects>
  <https-inspection default="inspect">
    $1
    <rule id="kill" action="terminate"><server-name>terminate.test</server-name></rule>
    <rule id="net-direct" action="bypass"><source network="direct-net"/></rule>
    <rule id="vip-users" action="bypass"><user list="vip"/></rule>
    <rule id="pinned-app" action="bypass" verify-name="true"><server-name>www.good.test</server-name></rule>
    <rule id="bulk-bypass" action="bypass"><server-name list="bulk"/></rule>
  </https-inspection>
</policy>
EOF
    chmod 644 "$P/policy.xml.tmp" && mv "$P/policy.xml.tmp" "$P/policy.xml"
}
write_policy ""
LAB_POLICY=$P/policy.xml

# Proxy authentication for clients from 127.0.0.3 only (alice:secret).
printf 'alice:%s\n' "$("$OPENSSL" passwd -apr1 secret)" > "$LAB_DIR/htpasswd"
chmod 644 "$LAB_DIR/htpasswd"
LIAR_PORT=$(lab_free_port) UNTRUSTED_PORT=$(lab_free_port) HOLE_PORT=$(lab_free_port)
LAB_BUMP_OPTIONS="--probe-timeout 1500"
LAB_SQUID_EXTRA="auth_param basic program /usr/lib/squid/basic_ncsa_auth $LAB_DIR/htpasswd
acl lab_authsrc src 127.0.0.3
acl lab_authed proxy_auth REQUIRED
acl lab_direct_src src 127.0.0.2
acl lab_liar_port port $LIAR_PORT $UNTRUSTED_PORT $HOLE_PORT
http_access deny lab_authsrc !lab_authed
http_access allow lab_authsrc
http_access allow lab_direct_src
http_access allow CONNECT lab_liar_port localhost"
lab_start_all || lab_fatal "the lab did not start"
squid_pid=$(cat "$LAB_RUN/squid.pid")

# A TLS server that lies: it serves bypass.test's certificate whatever SNI it is asked for.
lab_spawn liar "$LAB_LOGS/liar.log" "$OPENSSL" s_server -quiet -www -accept "127.0.0.1:$LIAR_PORT" \
    -cert "$LAB_PKI/leaf/bypass.crt" -key "$LAB_PKI/leaf/bypass.key" -cert_chain "$LAB_PKI/int/ca.crt"
lab_wait_port "$LIAR_PORT" 20 "$LAB_PID" || lab_fatal "the lying TLS server did not start"
# One presenting a certificate for the right name from a CA nobody trusts, one that never answers.
lab_spawn untrusted "$LAB_LOGS/untrusted.log" "$OPENSSL" s_server -quiet -www \
    -accept "127.0.0.1:$UNTRUSTED_PORT" -cert "$LAB_PKI/leaf/untrusted.crt" -key "$LAB_PKI/leaf/untrusted.key"
lab_wait_port "$UNTRUSTED_PORT" 20 "$LAB_PID" || lab_fatal "the untrusted TLS server did not start"
lab_spawn hole "$LAB_LOGS/hole.log" "$PYTHON3" -c "import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $HOLE_PORT)); s.listen(64); time.sleep(300)"
lab_wait_port "$HOLE_PORT" 20 "$LAB_PID" || lab_fatal "the silent server did not start"

# leaf_via_ip SNI PORT [SRC]: leaf certificate seen through the proxy when the client CONNECTs
# to 127.0.0.1:PORT and sends SNI (so inspect-bump probes that very address).
leaf_via_ip() {
    timeout 30 "$OPENSSL" s_client -servername "$1" -proxy "127.0.0.1:$LAB_SQUID_PORT" \
        -connect "127.0.0.1:$2" </dev/null 2>/dev/null | "$OPENSSL" x509 2>/dev/null
}
inspect_issuer=$(lab_cert_subject < "$LAB_INSPECT_CA")
origin_fp() { lab_cert_fp < <(lab_origin_cert "$1"); }
is_bumped() { [ "$(lab_cert_issuer)" = "$inspect_issuer" ]; }
log=$LAB_ACCESS_LOG

# --- bypass by server name, from the 100,000-name list ---
fp=$(lab_cert_fp < <(lab_proxy_cert bypass.test))
lab_assert_eq "bypass.test (in a 100,000-name list) is spliced: the origin's own certificate" "$(origin_fp bypass.test)" "$fp"
lab_assert_log "access log: bypass.test tunnel names rule bulk-bypass" "$log" \
    'CONNECT bypass\.test:[0-9]+ .* bump=splice sni="bypass\.test" tls=bypass:bulk-bypass:matched '

# --- inspect (default) ---
code=$(lab_curl -o /dev/null -w '%{http_code}' "$(lab_url good.test /page.html)")
lab_assert_eq "good.test is inspected by default and served (200)" 200 "$code"
if lab_proxy_cert good.test | is_bumped; then lab_pass "good.test certificate forged by the inspection CA"
else lab_fail "good.test certificate not forged by the inspection CA"; fi
lab_assert_log "access log: decrypted request names the default decision" "$log" \
    'GET https://good\.test:[0-9]+/page\.html .* bump=bump sni="good\.test" tls=inspect:default:default .* fail=- '

# --- terminate ---
# A CONNECT to a terminated host is refused at http_access (inspect-bump's connect mode) with
# the terminate page; the same name only in the SNI is cut at step 2, without a page.
code=$(lab_curl -o /dev/null -w '%{http_code}' "$(lab_url terminate.test /)")
lab_assert_eq "terminate.test: refused at CONNECT with the terminate page (403)" 403 "$code"
lab_assert_log "access log: CONNECT terminate.test refused by rule kill" "$log" \
    'TCP_DENIED/[0-9]+ [0-9]+ CONNECT terminate\.test:[0-9]+ .* connect=kill .* err=ERR_INSPECT_TERMINATE/'
cert=$(lab__sclient terminate.test -proxy "127.0.0.1:$LAB_SQUID_PORT" -connect "good.test:$LAB_ORIGIN_PORT")
lab_assert_eq "SNI terminate.test inside CONNECT good.test: the TLS handshake fails" "" "$cert"
lab_assert_log "access log: SNI terminate.test terminated by rule kill" "$log" \
    'CONNECT good\.test:[0-9]+ .* bump=terminate sni="terminate\.test" tls=terminate:kill:matched '

# --- bypass by client network (source 127.0.0.2) ---
code=$(lab_curl --interface 127.0.0.2 --cacert "$LAB_ORIGIN_ROOT" -o /dev/null -w '%{http_code}' \
    "$(lab_url good.test /page.html)")
lab_assert_eq "good.test from 127.0.0.2 is spliced (origin root trusted only): 200" 200 "$code"
lab_assert_log "access log: client 127.0.0.2 spliced by rule net-direct" "$log" \
    ' 127\.0\.0\.2 TCP_TUNNEL/[0-9]+ [0-9]+ CONNECT good\.test:[0-9]+ .* bump=splice .* tls=bypass:net-direct:matched '

# --- bypass by user (proxy authentication from 127.0.0.3) ---
code=$(lab_curl --interface 127.0.0.3 --proxy-user alice:secret --cacert "$LAB_ORIGIN_ROOT" \
    -o /dev/null -w '%{http_code}' "$(lab_url good.test /page.html)")
lab_assert_eq "alice's connection to good.test is spliced (rule vip-users): 200" 200 "$code"
lab_assert_log "access log: alice spliced by rule vip-users" "$log" \
    ' 127\.0\.0\.3 TCP_TUNNEL/[0-9]+ [0-9]+ CONNECT good\.test:[0-9]+ alice bump=splice .* tls=bypass:vip-users:matched '

# --- verify-name: honest server, then a lying SNI ---
fp=$(lab_cert_fp < <(leaf_via_ip www.good.test "$LAB_ORIGIN_PORT"))
lab_assert_eq "www.good.test on the real origin: name verified, spliced (origin's certificate)" \
    "$(origin_fp www.good.test)" "$fp"
lab_assert_log "access log: verify-name bypass logged name-verified" "$log" \
    'sni="www\.good\.test" tls=bypass:pinned-app:name-verified '
if leaf_via_ip www.good.test "$LIAR_PORT" | is_bumped; then
    lab_pass "lying SNI www.good.test to a server without that name: inspected, not spliced"
else
    lab_fail "lying SNI www.good.test was not inspected"
fi
lab_assert_log "access log: the lie is logged as name-mismatch under rule pinned-app" "$log" \
    "CONNECT 127\\.0\\.0\\.1:$LIAR_PORT .* bump=bump sni=\"www\\.good\\.test\" tls=inspect:pinned-app:name-mismatch "
lab_assert_log "cache.log: inspect-bump says why" "$LAB_CACHE_LOG" \
    'inspect-bump.*server=www\.good\.test action=inspect rule=pinned-app code=name-mismatch'

# a trusted-looking name from an untrusted CA, and a server that never completes the handshake
leaf_via_ip www.good.test "$UNTRUSTED_PORT" > /dev/null
lab_assert_log "cache.log: an untrusted certificate does not earn the bypass (cert-untrusted)" \
    "$LAB_CACHE_LOG" 'inspect-bump.*server=www\.good\.test action=inspect rule=pinned-app code=cert-untrusted'
t0=$(date +%s)
LAB_CURL_MAXTIME=5 lab_curl --connect-to "www.good.test:$HOLE_PORT:127.0.0.1:$HOLE_PORT" -o /dev/null \
    "https://www.good.test:$HOLE_PORT/" 2>/dev/null
lab_assert_log "cache.log: a silent server is a failed probe (probe-failed, timeout)" \
    "$LAB_CACHE_LOG" 'inspect-bump.*server=www\.good\.test action=inspect rule=pinned-app code=probe-failed .*timeout'
lab_assert_eq "the probe gave up within its 1.5 s bound (client waited at most its 5 s)" yes \
    "$([ $(( $(date +%s) - t0 )) -le 6 ] && echo yes || echo no)"

# --- nothing but Squid touched the bypassed connections (before bypass.test gets inspected) ---
if grep -rqs 'bypass\.test' "$LAB_CERTGEN_DB"; then
    lab_fail "the certificate generator saw bypass.test"
else
    lab_pass "no certificate was generated for bypassed bypass.test"
fi
lab_assert_no_log "c-icap never saw bypass.test" <(cat "$LAB_LOGS"/cicap*.log 2>/dev/null) 'bypass\.test'
lab_assert_no_log "no ICAP transaction on a spliced line" "$log" 'bump=splice .* icap="[0-9]'

# --- a policy edit without restart; an established tunnel survives it ---
lab_curl --cacert "$LAB_ORIGIN_ROOT" --limit-rate 200k -o "$LAB_DIR/slow.bin" -D "$LAB_DIR/slow.hdr" \
    "$(lab_url bypass.test '/bytes?n=600000')" &
slow=$!
sleep 1
write_policy '<rule id="now-inspected" action="inspect"><server-name>bypass.test</server-name></rule>'
sleep 2
if lab_proxy_cert bypass.test | is_bumped; then lab_pass "after the edit, bypass.test is inspected (no restart)"
else lab_fail "the policy edit was not picked up"; fi
lab_assert_log "access log: new rule id now-inspected on bypass.test" "$log" \
    'sni="bypass\.test" tls=inspect:now-inspected:matched '
wait "$slow"
lab_assert_eq "the tunnel opened before the edit completed (curl exit 0)" 0 "$?"
lab_assert_eq "... with all 600000 bytes" 600000 "$(stat -c %s "$LAB_DIR/slow.bin" 2>/dev/null)"
lab_assert_eq "Squid was not restarted" "$squid_pid" "$(cat "$LAB_RUN/squid.pid" 2>/dev/null)"

# --- an invalid edit is refused and the previous policy stays ---
printf '<policy xmlns="urn:squid-inspect:policy:1"><https-inspection default="bypass">\n<rule id="x" action="nonsense"/></https-inspection></policy>\n' \
    > "$P/policy.xml.tmp" && chmod 644 "$P/policy.xml.tmp" && mv "$P/policy.xml.tmp" "$P/policy.xml"
sleep 2
if lab_proxy_cert bypass.test | is_bumped; then lab_pass "after an invalid edit the previous policy still applies"
else lab_fail "an invalid policy changed the decisions"; fi
lab_assert_log "cache.log: the invalid policy is reported with file:line" "$LAB_CACHE_LOG" \
    "inspect-bump.*policy $P/policy\\.xml refused, keeping the previous one \\(digest [0-9a-f]{16}\\): .*policy\\.xml:[0-9]+"

# --- --on-name-mismatch terminate: the lying SNI is refused instead of inspected ---
# Squid restarted (same port) with the helper option; the honest server still earns its bypass.
write_policy ""
lab_stop squid
LAB_BUMP_OPTIONS="--probe-timeout 1500 --on-name-mismatch terminate"
lab_start_squid || lab_fatal "Squid did not restart with --on-name-mismatch terminate"
lab_assert_match "the helper runs with --on-name-mismatch terminate" \
    '^external_acl_type inspect_bump .* --on-name-mismatch terminate' "$(cat "$LAB_SQUID_FRAGMENT")"
fp=$(lab_cert_fp < <(leaf_via_ip www.good.test "$LAB_ORIGIN_PORT"))
lab_assert_eq "terminate mode: www.good.test on the real origin is still spliced (name verified)" \
    "$(origin_fp www.good.test)" "$fp"
code=$(LAB_CURL_MAXTIME=20 lab_curl --connect-to "www.good.test:$LIAR_PORT:127.0.0.1:$LIAR_PORT" \
    -o /dev/null -w '%{http_code}' "https://www.good.test:$LIAR_PORT/" 2>/dev/null); rc=$?
lab_assert_ne "terminate mode: curl with the lying SNI www.good.test fails (exit status)" 0 "$rc"
lab_assert_ne "terminate mode: ... and gets no 200" 200 "$code"
lab_assert_eq "terminate mode: no certificate at all for the lying SNI (handshake cut)" "" \
    "$(leaf_via_ip www.good.test "$LIAR_PORT")"
lab_assert_log "access log: the lie is terminated under rule pinned-app, code name-mismatch" "$log" \
    "CONNECT 127\\.0\\.0\\.1:$LIAR_PORT .* bump=terminate sni=\"www\\.good\\.test\" tls=terminate:pinned-app:name-mismatch "
lab_assert_log "cache.log: inspect-bump says it terminated the mismatch" "$LAB_CACHE_LOG" \
    'inspect-bump.*server=www\.good\.test action=terminate rule=pinned-app code=name-mismatch'
lab_done
