#!/bin/bash
# t_inspect_squid.sh: the security policy through Squid on bumped HTTPS: a blocked URL shows the
# block page over the bumped connection, an added header reaches the origin, a POST with three
# card numbers is blocked and one with two passes, a .exe served as text/plain is blocked by its
# magic bytes, a monitor rule passes and logs, response text is replaced, a keyword inside a gzip
# body is found, uploads are held whole up to the inspection-limit (cards after 1 MB are found;
# 3 MB passes intact, logged "not inspected: too large"), a 50 MB download passes intact (logged
# "not inspected: too large": over the 2M inspection-limit, and on 5.7 over the 60K response hold
# limit, see t_inspect_fullbody.sh), and a broken policy on reload keeps the old one.
. "$(dirname "$0")/lib/lab.sh"
lab_require_lab
[ -f "${E2E_CICAPMODDIR:-/nonexistent}/srv_inspect.so" ] || lab_skip "srv_inspect.so is not staged"
lab_require sha256sum
lab_init inspect_squid

cat > "$LAB_DIR/policy.xml" <<'XML'
<policy xmlns="urn:squid-inspect:policy:1">
  <settings><inspection-limit size="2M" action="allow"/></settings>
  <security-policy>
    <rule id="no-admin" action="block" reason="Admin pages are blocked"><host>good.test</host><path glob="/admin*"/></rule>
    <rule id="tenant" action="modify"><host>good.test</host><path glob="/echo"/>
      <add-header name="Restrict-Access-To-Tenants" value="example.com"/></rule>
    <rule id="cards" action="block"><method>POST PUT</method><request><body-match kind="payment-card" min="3"/></request></rule>
    <rule id="watch" action="block" mode="monitor"><method>POST</method><request><body-match kind="keyword">monitor-me</body-match></request></rule>
    <rule id="no-exe" action="block" reason="Executables are not allowed"><response><file-type>exe msi</file-type></response></rule>
    <rule id="rewrite" action="modify"><host>good.test</host><path glob="/page.html"/>
      <replace-body find="Hello from the origin" replace="Rewritten by policy"/></rule>
    <rule id="gz" action="block"><response><body-match kind="keyword">Hello (gzip)</body-match></response></rule>
    <rule id="marker" action="block"><response><body-match kind="keyword">NEVER-IN-RANDOM-BYTES-1234567890</body-match></response></rule>
  </security-policy>
</policy>
XML
export LAB_POLICY=$LAB_DIR/policy.xml
lab_start_all || lab_fatal "the lab did not start"
lab_assert_eq "the lab runs the inspect service" inspect "$LAB_ICAP_SERVICE"
SRV_LOG=$LAB_LOGS/cicap-server.log
D=$LAB_DIR

code=$(lab_curl -H 'Accept: text/html' -o "$D/admin.html" -w '%{http_code}' "$(lab_url good.test /admin/users)")
lab_assert_eq "blocked HTTPS URL answers 403 through the bumped connection" 403 "$code"
lab_assert_match "the block page shows the rule" '<dt>Rule</dt><dd><code>no-admin</code></dd>' "$(cat "$D/admin.html")"
lab_assert_match "the block page shows the reason" 'Admin pages are blocked' "$(cat "$D/admin.html")"
lab_assert_match "the block page has a reference" '<code class="si-ref">si-[0-9a-f]+-[0-9a-f]+-[0-9]+</code>' "$(cat "$D/admin.html")"
ref=$(grep -o 'si-[0-9a-f]*-[0-9a-f]*-[0-9]*' "$D/admin.html" | head -n1)
lab_assert_log "the service log has the same reference" "$SRV_LOG" "ref=$ref REQMOD .*rule=no-admin action=blocked"
lab_assert_log "Squid's access log carries the verdict" "$LAB_ACCESS_LOG" 'verdict="blocked; rule=no-admin; ref=si-' 10

code=$(lab_curl -o "$D/echo.txt" -w '%{http_code}' "$(lab_url good.test /echo)")
lab_assert_eq "modified request answers 200" 200 "$code"
lab_assert_match "the added header arrives at the origin" 'Restrict-Access-To-Tenants: example.com' "$(cat "$D/echo.txt")"

printf 'a=4111 1111 1111 1111&b=5500-0000-0000-0004&c=340000000000009' > "$D/c3.txt"
printf 'a=4111111111111111&b=5500000000000004 monitor-me' > "$D/c2.txt"
code=$(lab_curl -o /dev/null -w '%{http_code}' --data-binary @"$D/c3.txt" "$(lab_url good.test /post)")
lab_assert_eq "POST with three card numbers is blocked" 403 "$code"
code=$(lab_curl -o "$D/post2.txt" -w '%{http_code}' --data-binary @"$D/c2.txt" "$(lab_url good.test /post)")
lab_assert_eq "POST with two card numbers passes" 200 "$code"
lab_assert_match "the origin got the whole POST body" "length=$(wc -c < "$D/c2.txt")" "$(cat "$D/post2.txt")"
lab_assert_log "monitor rule passes and logs" "$SRV_LOG" \
    'method=POST host=good.test path=/post rule=default action=allowed .*monitor="would have blocked by rule watch"'

# Uploads are held whole up to the inspection-limit (2M here), far beyond Squid's 64 KB buffer.
head -c 750000 /dev/urandom | base64 -w 76 > "$D/upload.txt"      # 1 MB, no digit runs
code=$(lab_curl -o "$D/upload.out" -w '%{http_code}' --data-binary @"$D/upload.txt" "$(lab_url good.test /post)")
lab_assert_eq "a 1 MB upload passes" 200 "$code"
lab_assert_match "the origin got all of it" "sha256=$(sha256sum < "$D/upload.txt" | cut -d' ' -f1) length=$(wc -c < "$D/upload.txt")" "$(cat "$D/upload.out")"
lab_assert_log "the 1 MB upload was inspected whole (rule default, not 'not inspected')" "$SRV_LOG" \
    'REQMOD .*method=POST host=good.test path=/post rule=default action=allowed reason="no security-policy rule matched'
{ cat "$D/upload.txt"; cat "$D/c3.txt"; } > "$D/upload-cards.txt"
code=$(lab_curl -o /dev/null -w '%{http_code}' --data-binary @"$D/upload-cards.txt" "$(lab_url good.test /post)")
lab_assert_eq "three card numbers after 1 MB of upload are found: blocked" 403 "$code"
lab_assert_log "that block is logged with the cards rule" "$SRV_LOG" \
    'REQMOD .*method=POST host=good.test path=/post rule=cards action=blocked'
head -c 2400000 /dev/urandom | base64 -w 76 > "$D/upload3.txt"     # 3.2 MB > inspection-limit
code=$(lab_curl -o "$D/upload3.out" -w '%{http_code}' --data-binary @"$D/upload3.txt" "$(lab_url good.test /post)")
lab_assert_eq "a 3 MB upload (over the 2M inspection-limit) passes" 200 "$code"
lab_assert_match "the origin got all of the 3 MB" "sha256=$(sha256sum < "$D/upload3.txt" | cut -d' ' -f1) length=$(wc -c < "$D/upload3.txt")" "$(cat "$D/upload3.out")"
lab_assert_log "the 3 MB upload is logged as not inspected, not as inspected" "$SRV_LOG" \
    'REQMOD .*method=POST host=good.test path=/post rule=inspection-limit action=allowed \(not inspected\) reason="not inspected: too large \(more than 2097152 bytes\)'

code=$(lab_curl -o "$D/exe.out" -w '%{http_code}' "$(lab_url good.test /exe)")
lab_assert_eq "a .exe served as text/plain is blocked (magic bytes)" 403 "$code"
lab_assert_log "exe block logged" "$SRV_LOG" 'RESPMOD .*path=/exe rule=no-exe action=blocked reason="file type exe'

code=$(lab_curl -o "$D/page.html" -w '%{http_code}' "$(lab_url good.test /page.html)")
lab_assert_eq "rewritten page answers 200" 200 "$code"
lab_assert_match "the response body text was replaced" 'Rewritten by policy' "$(cat "$D/page.html")"
code=$(lab_curl -o /dev/null -w '%{http_code}' "$(lab_url good.test /gzip.html)")
lab_assert_eq "a keyword inside a gzip-encoded response is found (blocked)" 403 "$code"

n=52428800
want=$(lab_curl_direct "$(lab_url good.test "/bytes-sha256?n=$n&seed=7")" | tr -d '[:space:]')
got=$(lab_curl "$(lab_url good.test "/bytes?n=$n&seed=7")" | sha256sum | cut -d' ' -f1)
lab_assert_match "expected digest fetched" '^[0-9a-f]{64}$' "$want"
lab_assert_eq "50 MB download passes through intact" "$want" "$got"
lab_assert_log "the big body is logged as not inspected" "$SRV_LOG" \
    'path=/bytes rule=inspection-limit action=allowed \(not inspected\) reason="not inspected: too large'

printf '<policy xmlns="urn:squid-inspect:policy:1">\n<objects>\n<network id="x" cidr="10.0.0.0/33"/>\n</objects>\n</policy>\n' > "$LAB_POLICY"
echo -n "inspect:reload" > "$LAB_DIR/cicap/c-icap.ctl"
lab_assert_log "broken policy on reload: file:line logged" "$SRV_LOG" \
    'policy .*policy.xml refused, keeping the previous one \(digest [0-9a-f]{16}\): .*policy.xml:3: network .x.'
code=$(lab_curl -o /dev/null -w '%{http_code}' "$(lab_url good.test /admin/)")
lab_assert_eq "the old policy still applies after the failed reload" 403 "$code"
lab_assert_squid_log_clean "cache.log: no warning or error from Squid, no unknown helper annotation"
lab_done
