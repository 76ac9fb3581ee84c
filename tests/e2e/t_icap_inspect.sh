#!/bin/bash
# t_icap_inspect.sh: srv_inspect under a real c-icap, driven by c-icap-client: allow (204),
# block page (escaped), header add/remove, safe-search query rewrite, redirect, payment cards
# (3 blocked, 2 allowed with a monitor line), Squid's X-Inspect-Tls logged as tls=, .exe by
# magic bytes in RESPMOD, a 50 MB body streamed intact past the inspection limit, bounded
# streaming memory against a client that does not read (tests/e2e/lib/icap_slow_reader.py),
# and a broken policy on reload keeping the old one.
. "$(dirname "$0")/lib/lab.sh"
lab_require_lab
lab_require c-icap-client sha256sum
[ -f "${E2E_CICAPMODDIR:-/nonexistent}/srv_inspect.so" ] || lab_skip "srv_inspect.so is not staged"
lab_init icap_inspect

cat > "$LAB_DIR/policy.xml" <<'XML'
<policy xmlns="urn:squid-inspect:policy:1">
  <settings><inspection-limit size="4M" action="allow"/><block-page template="block.html"/></settings>
  <objects><domains id="bad">.blocked.test</domains></objects>
  <security-policy>
    <rule id="alice-only" action="block"><user names="alice"/><host>user.test</host></rule>
    <rule id="lab-net" action="block"><source cidr="10.9.0.0/16"/><host>net.test</host></rule>
    <rule id="bad-sites" action="block" reason="Listed &lt;bad&gt; site"><host list="bad"/></rule>
    <rule id="cards" action="block"><request><body-match kind="payment-card" min="3"/></request></rule>
    <rule id="cards-watch" action="block" mode="monitor"><request><body-match kind="payment-card"/></request></rule>
    <rule id="tenant" action="modify"><host>login.test</host>
      <add-header name="Restrict-Access-To-Tenants" value="example.com"/><remove-header name="Cookie"/></rule>
    <rule id="safe" action="modify"><host>search.test</host><set-query-param name="safe" value="active"/></rule>
    <rule id="moved" action="redirect" location="https://new.test/"><host>old.test</host></rule>
    <rule id="no-exe" action="block"><response><file-type>exe</file-type></response></rule>
    <rule id="eicar" action="block"><response><body-match kind="keyword">EICAR-TEST-MARKER</body-match></response></rule>
  </security-policy>
</policy>
XML
printf '<html><body><p>Custom page of the lab</p><table><tr><td>{{RULE}}</td></tr>\n<tr><td>{{URL}}</td></tr><tr><td>{{REASON}}</td></tr><tr><td>{{REF}}</td></tr></table></body></html>\n' \
    > "$LAB_DIR/block.html"
LAB_POLICY=$LAB_DIR/policy.xml
LAB_CICAP_EXTRA="inspect.ReloadCheckInterval 1
inspect.MaxHoldSize 0"
lab_start_cicap || lab_fatal "c-icap did not start"
lab_assert_eq "the lab runs the inspect service" inspect "$LAB_ICAP_SERVICE"
SRV_LOG=$LAB_LOGS/cicap-server.log
lab_assert_log "policy loaded and logged" "$SRV_LOG" 'inspect: policy .*policy.xml loaded \(digest [0-9a-f]{16}\)'
C=(c-icap-client -i 127.0.0.1 -p "$LAB_ICAP_PORT" -s inspect)
D=$LAB_DIR

out=$(timeout 20 "${C[@]}" -v 2>&1)
lab_assert_match "OPTIONS ISTag carries the policy digest" 'ISTag: "CI0001policy-[0-9a-f]{16}"' "$out"

out=$(timeout 20 "${C[@]}" -req http://ok.test/x -v 2>&1)
lab_assert_match "unmatched request: 204" 'ICAP/1.0 204' "$out"

out=$(timeout 20 "${C[@]}" -req 'http://www.blocked.test/p?q=<script>' -hx 'Accept: text/html' -v 2>&1)
lab_assert_match "blocked host: 403 replacement response" 'HTTP/1.1 403 Forbidden' "$out"
lab_assert_match "block page comes from the policy's template" 'Custom page of the lab' "$out"
lab_assert_match "block page names the rule" '<td>bad-sites</td>' "$out"
lab_assert_match "block page escapes the URL" 'q=&lt;script&gt;' "$out"
lab_assert_match "block page escapes the reason" 'Listed &lt;bad&gt; site' "$out"
lab_assert_eq "no raw <script> in the page" 0 "$(grep -c '<script>' <<<"$out")"
out=$(timeout 20 "${C[@]}" -req 'http://www.blocked.test/' -hx 'Accept: application/json' -v 2>&1)
lab_assert_match "JSON block body for API clients" '\{"blocked":true,"rule":"bad-sites"' "$out"
# The URL on every variant of the page keeps a non-default port.
out=$(timeout 20 "${C[@]}" -req 'https://www.blocked.test:8443/p' -hx 'Accept: text/html' -v 2>&1)
lab_assert_match "HTML block page: the URL keeps its port" '<td>https://www\.blocked\.test:8443/p</td>' "$out"
out=$(timeout 20 "${C[@]}" -req 'https://www.blocked.test:8443/p' -hx 'Accept: application/json' -v 2>&1)
lab_assert_match "JSON block body: the URL keeps its port" '"url":"https://www\.blocked\.test:8443/p"' "$out"
out=$(timeout 20 "${C[@]}" -req 'https://www.blocked.test:8443/p' -v 2>&1)
lab_assert_match "text block body: the URL keeps its port" 'URL: https://www\.blocked\.test:8443/p' "$out"

out=$(timeout 20 "${C[@]}" -req http://user.test/ -x 'X-Client-Username: alice' -v 2>&1)
lab_assert_match "user condition from Squid's X-Client-Username header" 'rule=alice-only' "$out"
lab_assert_log "the user is in the log line" "$SRV_LOG" 'user=alice method=GET host=user.test .*rule=alice-only action=blocked'
out=$(timeout 20 "${C[@]}" -req http://user.test/ -x 'X-Client-Username: bob' -v 2>&1)
lab_assert_match "another user is not matched" 'ICAP/1.0 204' "$out"
# Squid's inspection decision (adaptation_meta X-Inspect-Tls) is logged as tls=, when safe
out=$(timeout 20 "${C[@]}" -req http://tls.test/a -x 'X-Inspect-Tls: inspect:default:default' -v 2>&1)
lab_assert_match "X-Inspect-Tls request answered" 'ICAP/1.0 204' "$out"
lab_assert_log "Squid's inspection decision on the decision line as tls=" "$SRV_LOG" \
    'host=tls.test path=/a rule=default action=allowed .* tls=inspect:default:default$'
timeout 20 "${C[@]}" -req http://tls.test/b -x 'X-Inspect-Tls: x" injected="1' >/dev/null 2>&1
lab_assert_log "a decision line for an unsafe X-Inspect-Tls" "$SRV_LOG" 'host=tls.test path=/b rule=default'
lab_assert_no_log "an unsafe X-Inspect-Tls is left out" "$SRV_LOG" 'path=/b .*(tls=|injected)'
out=$(timeout 20 "${C[@]}" -req http://net.test/ -x 'X-Client-IP: 10.9.3.4' -v 2>&1)
lab_assert_match "client network condition from X-Client-IP" 'rule=lab-net' "$out"
out=$(timeout 20 "${C[@]}" -req http://net.test/ -x 'X-Client-IP: 10.8.3.4' -v 2>&1)
lab_assert_match "a client outside the network is not matched" 'ICAP/1.0 204' "$out"

out=$(timeout 20 "${C[@]}" -req http://login.test/ -hx 'Cookie: sid=secret' -v 2>&1)
lab_assert_match "tenant header added" 'Restrict-Access-To-Tenants: example.com' "$out"
lab_assert_eq "cookie removed" 0 "$(grep -c 'Cookie: sid' <<<"$out")"

out=$(timeout 20 "${C[@]}" -req 'http://search.test/s?q=x&safe=off' -v 2>&1)
lab_assert_match "safe-search parameter rewritten" 'GET http://search.test/s\?q=x&safe=active HTTP' "$out"

out=$(timeout 20 "${C[@]}" -req http://old.test/a -v 2>&1)
lab_assert_match "redirect: 302 with Location" 'Location: https://new.test/' "$out"

printf 'a=4111 1111 1111 1111&b=5500-0000-0000-0004&c=340000000000009' > "$D/c3.txt"
printf 'a=4111111111111111&b=5500000000000004&c=4111111111111112' > "$D/c2.txt"
out=$(timeout 20 "${C[@]}" -req http://shop.test/pay -method POST -f "$D/c3.txt" -v 2>&1)
lab_assert_match "POST with three card numbers: blocked" 'HTTP/1.1 403 Forbidden' "$out"
out=$(timeout 20 "${C[@]}" -req http://shop.test/pay -method POST -f "$D/c2.txt" -v 2>&1)
lab_assert_match "POST with two card numbers: allowed" 'ICAP/1.0 204' "$out"
lab_assert_log "monitor rule logged, traffic passed" "$SRV_LOG" \
    'rule=default action=allowed .*monitor="would have blocked by rule cards-watch"'
lab_assert_log "card block logged with rule and reason" "$SRV_LOG" \
    'REQMOD client=.* method=POST host=shop.test path=/pay rule=cards action=blocked reason="body: 3 payment card'
lab_assert_no_log "no card number in the log" "$SRV_LOG" '4111|5500'

printf 'MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8\x00\x00\x00 not really a program' > "$D/fake.txt"
out=$(timeout 20 "${C[@]}" -resp http://dl.test/readme.txt -f "$D/fake.txt" -rhx 'Content-Type: text/plain' -v 2>&1)
lab_assert_match "a .exe served as text/plain is blocked by its magic bytes" 'HTTP/1.1 403 Forbidden' "$out"
lab_assert_log "exe block logged" "$SRV_LOG" 'rule=no-exe action=blocked reason="file type exe'

(head -c 200000 /dev/zero; echo EICAR-TEST-MARKER) | gzip -c > "$D/marker.gz"
out=$(timeout 20 "${C[@]}" -resp http://dl.test/m.html -f "$D/marker.gz" -rhx 'Content-Encoding: gzip' -v 2>&1)
lab_assert_match "gzip-encoded body decoded for a body rule" 'HTTP/1.1 403 Forbidden' "$out"

(head -c 3000000 /dev/urandom; echo EICAR-TEST-MARKER) > "$D/late.bin"
out=$(timeout 60 "${C[@]}" -resp http://dl.test/late.bin -f "$D/late.bin" -v 2>&1)
lab_assert_match "a marker after 3 MB is found (whole body held, MaxHoldSize 0)" 'HTTP/1.1 403 Forbidden' "$out"

head -c 52428800 /dev/urandom > "$D/big.bin"
rm -f "$D/big.out"
timeout 120 "${C[@]}" -resp http://dl.test/big.bin -f "$D/big.bin" -o "$D/big.out" >/dev/null 2>&1
lab_assert_eq "50 MB body passes byte-identical" "$(sha256sum < "$D/big.bin")" "$(sha256sum < "$D/big.out" 2>/dev/null)"
lab_assert_log "too-large body logged as not inspected" "$SRV_LOG" \
    'path=/big.bin rule=inspection-limit action=allowed \(not inspected\) reason="not inspected: too large'
rm -f "$D/big.bin" "$D/big.out"

# Streaming memory is bounded: a client that sends 40 MB before reading anything is stopped by
# TCP backpressure once the service's FIFO is full, instead of the service buffering it all.
out=$(timeout 90 "$PYTHON3" "$LAB_LIB/icap_slow_reader.py" "$LAB_ICAP_PORT" inspect 40 2>&1)
printf '%s\n' "$out" > "$D/slow-reader.txt"
stalled=$(sed -n 's/^stalled_at=//p' <<<"$out")
lab_assert_match "a client that does not read is stalled (service took no more input)" '^[0-9]+$' "$stalled"
if [[ $stalled =~ ^[0-9]+$ ]] && [ "$stalled" -lt $((16 << 20)) ]; then
    lab_pass "it stalled after $stalled of 41943040 bytes (4 MB held + 256 KB FIFO + socket buffers)"
else
    lab_fail "the service kept reading while nobody read its output (stalled_at=$stalled)"
fi
lab_assert_match "then the whole 40 MB arrives intact" \
    '^received=41943040 sha256=([0-9a-f]{64}) sent_sha256=\1$' "$(tail -n1 <<<"$out")"

# the same decisions whatever the client allows (no preview, no 204: c-icap's other paths)
for flags in -nopreview -no204 "-nopreview -no204"; do
    out=$(timeout 20 "${C[@]}" $flags -req 'http://www.blocked.test/' -v 2>&1)
    lab_assert_match "[$flags] block" 'HTTP/1.1 403 Forbidden' "$out"
    out=$(timeout 20 "${C[@]}" $flags -req http://shop.test/pay -method POST -f "$D/c3.txt" -v 2>&1)
    lab_assert_match "[$flags] three cards blocked" 'HTTP/1.1 403 Forbidden' "$out"
    out=$(timeout 20 "${C[@]}" $flags -req http://login.test/ -v 2>&1)
    lab_assert_match "[$flags] header added" 'Restrict-Access-To-Tenants: example.com' "$out"
    head -c 200000 /dev/urandom > "$D/r.bin"
    rm -f "$D/r.out"
    timeout 20 "${C[@]}" $flags -resp http://dl.test/r.bin -f "$D/r.bin" -o "$D/r.out" >/dev/null 2>&1
    if [ -f "$D/r.out" ]; then
        lab_assert_eq "[$flags] 200 KB body echoed intact" "$(sha256sum < "$D/r.bin")" "$(sha256sum < "$D/r.out")"
    else
        out=$(timeout 20 "${C[@]}" $flags -resp http://dl.test/r.bin -f "$D/r.bin" -v 2>&1)
        lab_assert_match "[$flags] 200 KB body allowed unmodified (204)" 'ICAP/1.0 204' "$out"
    fi
done

# all held bodies of a c-icap child together are capped (inspect.MaxHeldMemory): past the cap
# a body gets the inspection-limit action, logged as such, and the next one is inspected again
lab_stop cicap
LAB_CICAP_EXTRA="$LAB_CICAP_EXTRA
inspect.MaxHeldMemory 1M"
lab_start_cicap || lab_fatal "c-icap did not restart"
C=(c-icap-client -i 127.0.0.1 -p "$LAB_ICAP_PORT" -s inspect) # (a new port)
out=$(timeout 60 "${C[@]}" -resp http://dl.test/late.bin -f "$D/late.bin" -v 2>&1)
lab_assert_match "over MaxHeldMemory: an answer comes" 'ICAP/1.0 200 OK' "$out"
lab_assert_eq "over MaxHeldMemory: the late marker is not reached, the body passes (no 403)" 0 \
    "$(grep -c '403 Forbidden' <<<"$out")"
lab_assert_log "logged as not inspected because of MaxHeldMemory" "$SRV_LOG" \
    'path=/late.bin rule=inspection-limit action=allowed \(not inspected\) reason="not inspected: held bodies reached inspect.MaxHeldMemory \(1048576 bytes\)"'
out=$(timeout 20 "${C[@]}" -req http://shop.test/pay -method POST -f "$D/c3.txt" -v 2>&1)
lab_assert_match "the budget is given back: three cards in a small body blocked again" 'HTTP/1.1 403 Forbidden' "$out"
(head -c 600000 /dev/urandom; echo EICAR-TEST-MARKER) > "$D/late600k.bin"
out=$(timeout 60 "${C[@]}" -resp http://dl.test/late600k.bin -f "$D/late600k.bin" -v 2>&1)
lab_assert_match "a 600 KB body within the budget is held whole: marker found" 'HTTP/1.1 403 Forbidden' "$out"

# reload: a broken file keeps the old policy (logged with file:line), a fixed one is used
cp "$LAB_POLICY" "$D/policy.good"
printf '<policy xmlns="urn:squid-inspect:policy:1">\n<security-policy>\n<rule id="x" action="nope"/>\n</security-policy>\n</policy>\n' > "$LAB_POLICY"
echo -n "inspect:reload" > "$LAB_DIR/cicap/c-icap.ctl"
lab_assert_log "broken policy reported with file:line" "$SRV_LOG" \
    'policy .*policy.xml refused, keeping the previous one \(digest [0-9a-f]{16}\): .*policy.xml:3: '
out=$(timeout 20 "${C[@]}" -req http://www.blocked.test/ -v 2>&1)
lab_assert_match "old policy still blocks after the failed reload" 'rule=bad-sites' "$out"
LOADED='inspect: policy .*policy.xml loaded \(digest [0-9a-f]{16}\)'
n_loaded=$(grep -c -E "$LOADED" "$SRV_LOG")
sed 's|<host list="bad"/>|<host>only.blocked.test</host>|' \
    "$D/policy.good" > "$LAB_POLICY"
lab_wait_count "$SRV_LOG" "$LOADED" $((n_loaded + 1)) &&
    lab_pass "changed file reloaded by the watcher" || lab_fail "changed file not reloaded by the watcher"
out=$(timeout 20 "${C[@]}" -req http://www.blocked.test/ -v 2>&1)
lab_assert_match "new policy in force: www.blocked.test no longer listed" 'ICAP/1.0 204' "$out"
lab_done
