#!/bin/bash
# t_icap_policy_paths.sh: srv_inspect paths t_icap_inspect.sh does not take, driven by
# c-icap-client: encoded response bodies decided from the headers (gzip over the hold limit,
# br), a preview 204 for a POST body no rule needs, the inspection-limit action "block",
# set-header/remove-header on the response, a base64 user header, logs free of cookies,
# credentials and query strings, and reload through the inspect:reload control command alone
# (the file watcher is off: inspect.ReloadCheckInterval 0).
. "$(dirname "$0")/lib/lab.sh"
lab_require_lab
lab_require c-icap-client gzip base64
[ -f "${E2E_CICAPMODDIR:-/nonexistent}/srv_inspect.so" ] || lab_skip "srv_inspect.so is not staged"
lab_init icap_policy_paths
D=$LAB_DIR

# write_policy LIMIT_ACTION [EXTRA_RULE]: the policy of this test, into $D/policy.xml
write_policy() {
    cat > "$D/policy.xml" <<XML
<policy xmlns="urn:squid-inspect:policy:1">
  <settings><user-header name="X-Authenticated-User" encoding="base64"/>
    <inspection-limit size="4M" action="$1"/></settings>
  <security-policy>
    <rule id="pilot-user" action="block"><user names="carol"/><host>user.test</host></rule>
    <rule id="bad" action="block"><host>blocked.test</host></rule>
    ${2:-}
    <rule id="hdr" action="modify"><host>hdr.test</host>
      <set-header on="response" name="X-Frame-Options" value="DENY"/>
      <remove-header on="response" name="Server"/></rule>
    <rule id="marker" action="block"><host>scan.test</host>
      <response><body-match kind="keyword">EICAR-TEST-MARKER</body-match></response></rule>
    <rule id="cards" action="block"><host>shop.test</host>
      <request><body-match kind="payment-card" min="1"/></request></rule>
  </security-policy>
</policy>
XML
}
write_policy allow
LAB_POLICY=$D/policy.xml
# The response hold limit rendered for Squid 5 (60K) whatever Squid is here: the tests of
# the limit below need a body over it.
LAB_CICAP_EXTRA="inspect.ReloadCheckInterval 0
inspect.MaxResponseHoldSize 60K
LogFormat inspectBytes \"%im %{inspect:ref}Sa %is %I\"
AccessLog $D/bytes.log inspectBytes"
lab_start_cicap || lab_fatal "c-icap did not start"
SRV_LOG=$LAB_LOGS/cicap-server.log
ACC_LOG=$LAB_LOGS/cicap-access.log
lab_assert_log "policy loaded" "$SRV_LOG" 'inspect: policy .*policy.xml loaded \(digest '
C=(c-icap-client -i 127.0.0.1 -p "$LAB_ICAP_PORT" -s inspect)
# exchange CLIENT-ARGS...: one c-icap-client exchange with -v, its output in $out
exchange() { out=$(timeout 20 "${C[@]}" "$@" -v 2>&1 | tr -d '\000'); }
# expect DESC ERE CLIENT-ARGS...: an exchange whose output matches ERE
expect() {
    local desc=$1 re=$2
    shift 2
    exchange "$@"
    lab_assert_match "$desc" "$re" "$out"
}

# encoded responses no rule needs the body of: answered from the headers (preview 204), never
# held, so never "not inspected" however large; LIMIT names the inspection-limit action
head -c 150000 /dev/urandom | gzip -c > "$D/big.gz"
head -c 3000 /dev/urandom > "$D/x.br"
encoded_from_headers() {
    local limit=$1 out
    expect "[$limit] gzip body over the hold limit, no rule needs it: 204" 'ICAP/1.0 204' \
        -resp "http://dl.test/$limit/big.gz" -f "$D/big.gz" -rhx 'Content-Encoding: gzip'
    expect "[$limit] br body, no rule needs it: 204" 'ICAP/1.0 204' \
        -resp "http://dl.test/$limit/x.br" -f "$D/x.br" -rhx 'Content-Encoding: br'
    lab_assert_log "[$limit] the gzip response is logged allowed" "$SRV_LOG" \
        "path=/$limit/big.gz rule=default action=allowed reason="
    lab_assert_no_log "[$limit] no 'not inspected' for the encoded bodies" "$SRV_LOG" \
        "path=/$limit/(big.gz|x.br) .*not inspected"
}
encoded_from_headers allow
(head -c 100000 /dev/zero; echo EICAR-TEST-MARKER) | gzip -c > "$D/marker.gz"
expect "a body rule still decodes gzip" 'HTTP/1.1 403 Forbidden' \
    -resp http://scan.test/m.html -f "$D/marker.gz" -rhx 'Content-Encoding: gzip'
(head -c 100000 /dev/urandom; echo EICAR-TEST-MARKER) > "$D/late.bin"
exchange -resp http://scan.test/allow/late.bin -f "$D/late.bin"
lab_assert_eq "[allow] a body over the hold limit passes (no 403)" 0 "$(grep -c '403 Forbidden' <<<"$out")"
lab_assert_log "[allow] logged as not inspected, allowed" "$SRV_LOG" \
    'path=/allow/late.bin rule=inspection-limit action=allowed \(not inspected\) reason="not inspected: too large'

# a POST body no rule can match is answered 204 from the preview: c-icap reads only the
# preview (bytes.log counts the bytes received per transaction ref), while a body rule's host
# has the body held whole
received() { # received REF: bytes c-icap read for that transaction
    awk -v r="$1" '$2 == r {print $4}' "$D/bytes.log"
}
ref_of() { sed -n 's/.*X-Inspect-Verdict: .*ref=\(si-[0-9a-f-]*\).*/\1/p' <<<"$1" | head -1; }
head -c 200000 /dev/urandom | base64 -w0 > "$D/post.txt"
expect "POST no body rule can match: 204" 'ICAP/1.0 204' \
    -req http://plain.test/up -method POST -f "$D/post.txt"
ref_plain=$(ref_of "$out")
expect "POST to a body rule's host without cards: 204 after the body" 'ICAP/1.0 204' \
    -req http://shop.test/up -method POST -f "$D/post.txt"
ref_shop=$(ref_of "$out")
lab_wait_log "$D/bytes.log" "^REQMOD $ref_shop " 5
bytes_plain=$(received "$ref_plain")
bytes_shop=$(received "$ref_shop")
if [[ $bytes_plain =~ ^[0-9]+$ && $bytes_shop =~ ^[0-9]+$ ]] && [ "$bytes_plain" -lt 20000 ] &&
    [ "$bytes_shop" -gt 200000 ]; then
    lab_pass "preview 204: c-icap read $bytes_plain bytes for plain.test, $bytes_shop for shop.test"
else
    lab_fail "preview 204: c-icap read '$bytes_plain' bytes for plain.test (< 20000 expected), '$bytes_shop' for shop.test (> 200000 expected)"
fi

# set-header on="response" replaces the header (exactly once, new value); remove-header removes
printf '<p>page</p>\n' > "$D/p.html"
exchange -resp http://hdr.test/p.html -f "$D/p.html" -rhx 'X-Frame-Options: SAMEORIGIN' \
    -rhx 'Server: Apache/2.4 lab'
lab_assert_eq "set-header on the response: X-Frame-Options exactly once" 1 "$(grep -ci 'X-Frame-Options:' <<<"$out")"
lab_assert_match "set-header on the response: the new value" 'X-Frame-Options: DENY$' "$out"
lab_assert_eq "remove-header on the response: Server gone" 0 "$(grep -c 'Apache/2.4 lab' <<<"$out")"
lab_assert_log "response modification logged" "$SRV_LOG" 'RESPMOD .*host=hdr.test path=/p.html rule=hdr action=modified'

# the user header of the policy, base64 (<user-header name="X-Authenticated-User" encoding="base64"/>)
expect "base64 user in the configured header matches the user rule" 'rule=pilot-user' \
    -req http://user.test/ -x "X-Authenticated-User: $(printf carol | base64)"
lab_assert_log "the decoded user is logged" "$SRV_LOG" 'user=carol method=GET host=user.test .*rule=pilot-user action=blocked'
expect "another base64 user is not matched" 'ICAP/1.0 204' \
    -req http://user.test/ -x "X-Authenticated-User: $(printf dave | base64)"
expect "the default user header is not read any more" 'ICAP/1.0 204' \
    -req http://user.test/ -x 'X-Client-Username: carol'

# log hygiene: no cookie, credential or query string in c-icap's logs; client= from X-Client-IP
secret_hdrs=(-hx 'Cookie: sid=secretCookieValue42' -hx 'Authorization: Basic dXNlcjpTM2NyZXRQYXNz')
expect "blocked with secrets in the request" 'HTTP/1.1 403 Forbidden' \
    -req 'http://blocked.test/p?token=QuerySecret77' "${secret_hdrs[@]}" -x 'X-Client-IP: 192.0.2.77'
exchange -req 'http://hdr.test/q?token=QuerySecret77' "${secret_hdrs[@]}" -x 'X-Client-IP: 192.0.2.78'
lab_assert_log "client= carries X-Client-IP on the block line" "$SRV_LOG" \
    'REQMOD client=192\.0\.2\.77 user=- method=GET host=blocked.test path=/p rule=bad action=blocked'
lab_assert_log "client= carries X-Client-IP on the allow line" "$SRV_LOG" \
    'REQMOD client=192\.0\.2\.78 .*host=hdr.test path=/q rule=default action=allowed'
for f in "$SRV_LOG" "$ACC_LOG"; do
    lab_assert_no_log "no cookie value in $(basename "$f")" "$f" 'secretCookieValue42'
    lab_assert_no_log "no Authorization value in $(basename "$f")" "$f" 'dXNlcjpTM2NyZXRQYXNz|S3cretPass'
    lab_assert_no_log "no query string in $(basename "$f")" "$f" 'QuerySecret77'
done

# reload through the control command alone: with the watcher off a changed file is not used...
LOADED='inspect: policy .*policy.xml loaded \(digest '
n_loaded=$(grep -c -E "$LOADED" "$SRV_LOG")
write_policy block '<rule id="newly" action="block"><host>new.test</host></rule>'
sleep 4 # twice the watcher's default interval
expect "watcher off: the changed file is not in force before the command" 'ICAP/1.0 204' \
    -req http://new.test/
lab_assert_eq "watcher off: no reload logged before the command" "$n_loaded" \
    "$(grep -c -E "$LOADED" "$SRV_LOG")"
# ...until inspect:reload is sent on the control socket: the monitor and the child both reload
echo -n "inspect:reload" > "$D/cicap/c-icap.ctl"
lab_wait_count "$SRV_LOG" "$LOADED" $((n_loaded + 2)) &&
    lab_pass "the command reloads the policy (monitor and child: two more lines)" ||
    lab_fail "the command did not reload the policy in the monitor and the child"
expect "after the command the new rule blocks" 'rule=newly' -req http://new.test/

# the new policy's inspection-limit action="block": encoded bodies still decided from headers,
# a plain body over the limit that a body rule needs is blocked, logged as not inspected
encoded_from_headers block
expect "[block] a body over the limit gets the block page" 'HTTP/1.1 403 Forbidden' \
    -resp http://scan.test/block/late.bin -f "$D/late.bin"
lab_assert_match "[block] the page names the inspection limit" 'inspection-limit' "$out"
lab_assert_log "[block] logged as blocked, not inspected" "$SRV_LOG" \
    'path=/block/late.bin rule=inspection-limit action=blocked \(not inspected\) reason="not inspected: too large \(more than 61440 bytes\)"'

# a broken file sent through the command keeps the policy in force, reported with file:line
printf '<policy xmlns="urn:squid-inspect:policy:1">\n<security-policy>\n<rule id="x" action="nope"/>\n</security-policy>\n</policy>\n' \
    > "$D/policy.xml"
echo -n "inspect:reload" > "$D/cicap/c-icap.ctl"
lab_assert_log "broken file via the command: reported with file:line" "$SRV_LOG" \
    'policy .*policy.xml refused, keeping the previous one \(digest [0-9a-f]{16}\): .*policy.xml:3: '
expect "broken file via the command: the previous policy still blocks" 'rule=newly' -req http://new.test/
lab_done
