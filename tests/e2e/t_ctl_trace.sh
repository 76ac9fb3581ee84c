#!/bin/bash
# t_ctl_trace.sh: `inspect-ctl trace REF` on the logs of a real lab (Squid, inspect-bump,
# inspect-ocsp, c-icap with srv_inspect): a blocked request traced by the si- reference of its
# block page, a revoked origin by the sq- reference of Squid's error page, and a bypassed
# connection by the sq- reference of its access-log line. Asserts the printed log lines, the
# summary's outcome and rule, and the exit codes for an unknown and a malformed reference.
. "$(dirname "$0")/lib/lab.sh"
lab_require_lab
CTL=${E2E_BINDIR:-/nonexistent}/inspect-ctl
[ -x "$CTL" ] || lab_skip "inspect-ctl is not installed"
[ -x "${E2E_PKGLIBEXECDIR:-/nonexistent}/inspect-ocsp" ] || lab_skip "inspect-ocsp not installed in the staged prefix"
[ -f "${E2E_CICAPMODDIR:-/nonexistent}/srv_inspect.so" ] || lab_skip "srv_inspect.so not installed in the staged prefix"
lab_init ctl_trace

LAB_POLICY=$LAB_DIR/policy.xml
cat > "$LAB_POLICY" <<'XML'
<policy xmlns="urn:squid-inspect:policy:1">
  <https-inspection default="inspect">
    <rule id="lab-bypass" action="bypass"><server-name>bypass.test</server-name></rule>
  </https-inspection>
  <security-policy default="allow">
    <rule id="no-downloads-area" action="block" reason="Downloads from this area are not allowed">
      <path glob="/blocked*"/>
    </rule>
  </security-policy>
</policy>
XML
lab_start_all || lab_fatal "the lab did not start"
O=$LAB_DIR/out; mkdir -p "$O"
trace() {
    "$CTL" trace --access-log "$LAB_ACCESS_LOG" --cache-log "$LAB_CACHE_LOG" \
        --icap-log "$LAB_LOGS/cicap-server.log" "$@"
}

# --- blocked: the si- reference of the block page -------------------------------------------
lab_curl -H 'Accept: text/plain' -o "$O/blocked.txt" "$(lab_url good.test /blocked/setup.exe)"
ref=$(grep -o 'si-[0-9a-f]*-[0-9a-f]*-[0-9]*' "$O/blocked.txt" | head -n1)
lab_assert_match "blocked: the page has a reference" '^si-' "$ref"
lab_wait_log "$LAB_ACCESS_LOG" "ref=$ref;" 10 || lab_fail "blocked: no access-log line with $ref"
trace "$ref" > "$O/blocked.trace"; rc=$?
t=$(cat "$O/blocked.trace")
lab_assert_eq "blocked: exit 0" 0 "$rc"
lab_assert_log "blocked: the CONNECT line of its connection" "$O/blocked.trace" \
    '^  [0-9.]+ +[0-9]+ 127\.0\.0\.1 [A-Z_]+/200 0 CONNECT good\.test:[0-9]+ .*bump=bump'
lab_assert_eq "blocked: one CONNECT line" 1 "$(grep -c ' CONNECT ' "$O/blocked.trace")"
lab_assert_match "blocked: its own line, marked" \
    "> [0-9.]+ +[0-9]+ 127\\.0\\.0\\.1 [A-Z_]+/403 [0-9]+ GET https://good\\.test:[0-9]+/blocked/setup\\.exe .*ref=$ref;" "$t"
lab_assert_match "blocked: inspect-bump's decision" \
    'inspect-bump\[[0-9]+\] INFO: decision client=127\.0\.0\.1 .*server=good\.test action=inspect rule=default' "$t"
lab_assert_match "blocked: srv_inspect's decision" \
    "inspect: ref=$ref REQMOD .*rule=no-downloads-area action=blocked" "$t"
lab_assert_match "blocked: summary" \
    '^Summary: outcome=blocked rule=no-downloads-area\. GET https://good\.test:[0-9]+/blocked/setup\.exe .*path matches /blocked\*' \
    "$(grep '^Summary:' "$O/blocked.trace")"

# --- revoked origin: the sq- reference of Squid's error page ---------------------------------
lab_curl -H 'Accept: */*' -o "$O/revoked.txt" "$(lab_url revoked.test /api)"
ref=$(grep -o 'sq-[0-9.]*-[0-9]*' "$O/revoked.txt" | head -n1)
lab_assert_match "revoked: the page has a reference" '^sq-[0-9]+\.[0-9]{3}-[0-9]+$' "$ref"
lab_wait_log "$LAB_ACCESS_LOG" "ref=${ref//./\\.}\$" 10 || lab_fail "revoked: no access-log line with $ref"
trace "$ref" > "$O/revoked.trace"; rc=$?
t=$(cat "$O/revoked.trace")
lab_assert_eq "revoked: exit 0" 0 "$rc"
lab_assert_log "revoked: the access-log line of the reference" "$O/revoked.trace" \
    "^> .*revoked\\.test.* rev=revoked .*ref=${ref//./\\.}\$"
lab_assert_match "revoked: inspect-ocsp's validation" \
    'inspect-ocsp\[[0-9]+\] INFO: validation host=revoked\.test .*result=revoked' "$t"
lab_assert_match "revoked: summary" \
    '^Summary: outcome=refused-revoked rule=default\. .*X509_V_ERR_CERT_REVOKED' \
    "$(grep '^Summary:' "$O/revoked.trace")"

# --- bypassed: the sq- reference of its CONNECT line -----------------------------------------
lab_curl --cacert "$LAB_ORIGIN_ROOT" -o "$O/bypass.html" "$(lab_url bypass.test /page.html)"
lab_wait_log "$LAB_ACCESS_LOG" 'CONNECT bypass\.test' 10 || lab_fail "bypassed: no CONNECT line"
ref=$(grep 'CONNECT bypass\.test' "$LAB_ACCESS_LOG" | grep -o 'ref=sq-[0-9.]*-[0-9]*' | head -n1)
ref=${ref#ref=}
trace "$ref" > "$O/bypass.trace"; rc=$?
t=$(cat "$O/bypass.trace")
lab_assert_eq "bypassed: exit 0" 0 "$rc"
lab_assert_match "bypassed: the spliced CONNECT" "> .*CONNECT bypass\\.test:[0-9]+ .*bump=splice" "$t"
lab_assert_match "bypassed: inspect-bump's decision" \
    'inspect-bump\[[0-9]+\] INFO: decision .*server=bypass\.test action=bypass rule=lab-bypass' "$t"
lab_assert_match "bypassed: summary" '^Summary: outcome=bypassed rule=lab-bypass\. .*spliced, never decrypted' \
    "$(grep '^Summary:' "$O/bypass.trace")"

# --- errors -----------------------------------------------------------------------------------
trace sq-1000000000.000-1 > /dev/null 2>&1; lab_assert_eq "unknown reference: exit 1" 1 $?
trace 'si-<script>' > /dev/null 2> "$O/bad.err"; lab_assert_eq "malformed reference: exit 2" 2 $?
lab_assert_log "malformed reference: said" "$O/bad.err" 'malformed reference'
"$CTL" trace --cache-log "$LAB_DIR/none.log" --access-log "$LAB_ACCESS_LOG" \
    --icap-log "$LAB_LOGS/cicap-server.log" "$ref" > /dev/null 2>&1
lab_assert_eq "missing cache.log: exit 3" 3 $?
lab_done
