#!/bin/bash
# t_browser.sh: a real browser (Debian's chromium, headless) behind the lab's Squid sees what a
# user sees: an allowed page, the security policy's block page, the certificate page of a
# revoked site, the terminate page and a bypassed site. Asserts on the rendered DOM and checks
# that each page's reference is in the matching log line (Squid's access log, c-icap's log).
# Screenshots and DOM dumps: $LAB_DIR/artifacts and ${E2E_ARTIFACTS:-tests/e2e/artifacts}/t_browser.
# The browser talks only to Squid on 127.0.0.1 (--proxy-server; every other name resolution is
# mapped to "not found"), from a temp HOME whose NSS database trusts the lab's CAs.
. "$(dirname "$0")/lib/lab.sh"
: "${CHROMIUM:=chromium}" "${CERTUTIL:=certutil}"
lab_require_lab
lab_require "$CHROMIUM" "$CERTUTIL"
[ -x "${E2E_PKGLIBEXECDIR:-/nonexistent}/inspect-ocsp" ] || lab_skip "inspect-ocsp not installed in the staged prefix"
[ -f "${E2E_CICAPMODDIR:-/nonexistent}/srv_inspect.so" ] || lab_skip "srv_inspect.so not installed in the staged prefix"
lab_init browser

CONTACT='IT help desk (ext. 4444)'
LAB_POLICY=$LAB_DIR/policy.xml
cat > "$LAB_POLICY" <<'EOF'
<policy xmlns="urn:squid-inspect:policy:1">
  <https-inspection default="inspect">
    <rule id="lab-terminate" action="terminate"><server-name>terminate.test</server-name></rule>
    <rule id="lab-bypass" action="bypass"><server-name>bypass.test</server-name></rule>
  </https-inspection>
  <security-policy default="allow">
    <rule id="no-downloads-area" action="block" reason="Downloads from this area are not allowed">
      <path glob="/blocked*"/>
    </rule>
  </security-policy>
</policy>
EOF
LAB_CICAP_EXTRA="inspect.AdminContact $CONTACT"
lab_start_all ADMIN_CONTACT=helpdesk@corp.test || lab_fatal "the lab did not start"

ART=$LAB_DIR/artifacts
B=$LAB_DIR/browser
mkdir -p "$ART" "$B/home/.pki/nssdb" "$B/profile"
"$CERTUTIL" -N -d "sql:$B/home/.pki/nssdb" --empty-password &&
    "$CERTUTIL" -A -d "sql:$B/home/.pki/nssdb" -n lab-inspection-ca -t C,, -i "$LAB_INSPECT_CA" &&
    "$CERTUTIL" -A -d "sql:$B/home/.pki/nssdb" -n lab-origin-root -t C,, -i "$LAB_ORIGIN_ROOT" ||
    lab_fatal "cannot build the browser's NSS database"

# browse NAME URL: DOM to $ART/NAME.html, screenshot to $ART/NAME.png, text to $ART/NAME.txt.
browse() {
    local name=$1 url=$2 flags
    flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
           --disable-background-networking --disable-component-update --disable-sync
           --no-default-browser-check --disable-default-apps --disable-extensions
           --disable-features=NetworkTimeServiceQuerying,OptimizationHints,Translate,MediaRouter
           --user-data-dir="$B/profile" --proxy-server="http://127.0.0.1:$LAB_SQUID_PORT"
           --host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
           --window-size=1000,900 --hide-scrollbars)
    HOME=$B/home timeout 90 "$CHROMIUM" "${flags[@]}" --dump-dom "$url" \
        > "$ART/$name.html" 2>> "$B/chromium.log"
    HOME=$B/home timeout 90 "$CHROMIUM" "${flags[@]}" --screenshot="$ART/$name.png" "$url" \
        >> "$B/chromium.log" 2>&1
    sed -e 's/<[^>]*>/ /g' -e 's/[[:space:]]\+/ /g' "$ART/$name.html" > "$ART/$name.txt"
    [ -s "$ART/$name.png" ] && lab_pass "$name: screenshot taken" || lab_fail "$name: no screenshot"
}
text() { cat "$ART/$1.txt"; }

# --- allowed: decrypted, inspected, passed -------------------------------------------------
browse allowed "$(lab_url good.test /page.html)"
lab_assert_match "allowed: the origin's page is rendered" 'Hello from the origin' "$(text allowed)"
lab_assert_log "allowed: access log shows the inspected GET" "$LAB_ACCESS_LOG" \
    'GET https://good\.test:[0-9]+/page\.html .* verdict="allowed; '

# --- blocked by the security policy (srv_inspect's block page) -----------------------------
browse blocked "$(lab_url good.test /blocked/setup.exe)"
t=$(text blocked)
lab_assert_match "blocked: headline" 'This page was blocked' "$t"
lab_assert_match "blocked: reason in words" 'Downloads from this area are not allowed' "$t"
lab_assert_match "blocked: rule id" 'Rule no-downloads-area' "$t"
lab_assert_match "blocked: address, with the origin's non-default port" \
    "https://good\\.test:$LAB_ORIGIN_PORT/blocked/setup\\.exe" "$t"
lab_assert_match "blocked: time" 'Time [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} 20[0-9]{2} [0-9:]{8} GMT' "$t"
lab_assert_match "blocked: admin contact from c-icap.conf" 'IT help desk \(ext\. 4444\)' "$t"
ref=$(grep -o 'si-[0-9a-f]*-[0-9a-f]*-[0-9]*' "$ART/blocked.txt" | head -n1)
lab_assert_match "blocked: a reference is shown" '^si-' "$ref"
lab_assert_log "blocked: the reference is in the service's log line" "$LAB_LOGS/cicap-server.log" \
    "inspect: ref=$ref .*rule=no-downloads-area action=blocked"
lab_assert_log "blocked: the reference is in Squid's access log line" "$LAB_ACCESS_LOG" \
    "GET https://good\\.test:[0-9]+/blocked/setup\\.exe .*rule=no-downloads-area; ref=$ref"

# --- revoked certificate (Squid's ERR_SECURE_CONNECT_FAIL, our template) -------------------
browse revoked "$(lab_url revoked.test /)"
t=$(text revoked)
lab_assert_match "revoked: headline" "The site's certificate was not accepted" "$t"
lab_assert_match "revoked: reason in words" 'has been revoked' "$t"
lab_assert_match "revoked: certificate error" 'X509_V_ERR_CERT_REVOKED' "$t"
lab_assert_match "revoked: admin contact (cache_mgr)" 'helpdesk@corp\.test' "$t"
lab_assert_match "revoked: time" 'Time [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} 20[0-9]{2} [0-9:]{8} GMT' "$t"
ref=$(grep -o 'sq-[0-9.]*-[0-9]*' "$ART/revoked.txt" | head -n1)
lab_assert_match "revoked: a reference is shown" '^sq-[0-9]+\.[0-9]{3}-[0-9]+$' "$ref"
lab_assert_log "revoked: the reference is in Squid's access log line (the CONNECT)" "$LAB_ACCESS_LOG" \
    "CONNECT revoked\\.test:[0-9]+ .*cert_errors=\"X509_V_ERR_CERT_REVOKED.* ref=${ref//./\\.}\$"

# --- terminate rule (ERR_INSPECT_TERMINATE) --------------------------------------------------
browse terminate "$(lab_url terminate.test /)"
t=$(text terminate)
lab_assert_match "terminate: headline" 'Connections to this site are not allowed' "$t"
lab_assert_match "terminate: host" 'terminate\.test' "$t"
ref=$(grep -o 'sq-[0-9.]*-[0-9]*' "$ART/terminate.txt" | head -n1)
lab_assert_log "terminate: the reference is in Squid's access log line" "$LAB_ACCESS_LOG" \
    "TCP_DENIED/[0-9]+ .*CONNECT terminate\\.test:[0-9]+ .* ref=${ref//./\\.}\$"
lab_assert_no_log "terminate: nothing was sent to terminate.test" "$LAB_LOGS/origin.log" 'sni=terminate\.test'

# --- bypassed: spliced, the browser sees the origin's own certificate ----------------------
browse bypassed "$(lab_url bypass.test /page.html)"
lab_assert_match "bypassed: the origin's page is rendered" 'Hello from the origin' "$(text bypassed)"
lab_assert_log "bypassed: access log shows a splice" "$LAB_ACCESS_LOG" 'CONNECT bypass\.test:[0-9]+ .*bump=splice'
lab_assert_no_log "bypassed: never decrypted" "$LAB_ACCESS_LOG" 'https://bypass\.test'

# The browser talked only to the lab proxy; whatever it asked for outside the lab's names
# (background requests that survive the flags above) was refused there, never forwarded.
leaked=$(awk '$7 ~ /^(CONNECT|GET|POST|HEAD)$/ && $8 !~ /^(https?:\/\/)?([a-z0-9.-]+\.test|127\.0\.0\.1)[:\/]/ &&
              $4 !~ /^TCP_DENIED\// && $4 !~ /\/(403|503)$/' "$LAB_ACCESS_LOG")
lab_assert_eq "requests for non-lab names were all refused by the proxy" "" "$leaked"

out=${E2E_ARTIFACTS:-tests/e2e/artifacts}/t_browser
rm -rf "$out" && mkdir -p "$out" && cp "$ART"/* "$out"/ && echo "artifacts: $out"
lab_done
