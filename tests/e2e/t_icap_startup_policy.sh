#!/bin/bash
# t_icap_startup_policy.sh: c-icap started with a broken policy file. srv_inspect must say so
# (file:line), answer every request 500 (never allow uninspected traffic on its own: Squid's
# bypass= setting decides), and pick up the file once it is fixed, without a c-icap restart.
. "$(dirname "$0")/lib/lab.sh"
lab_require_lab
lab_require c-icap-client
[ -f "${E2E_CICAPMODDIR:-/nonexistent}/srv_inspect.so" ] || lab_skip "srv_inspect.so is not staged"
lab_init icap_startup_policy

printf '<policy xmlns="urn:squid-inspect:policy:1">\n  <security-policy>\n    <rule id="x" action="explode"/>\n' \
    > "$LAB_DIR/policy.xml"
LAB_POLICY=$LAB_DIR/policy.xml
LAB_CICAP_EXTRA="inspect.ReloadCheckInterval 1"
lab_start_cicap || lab_fatal "c-icap did not start"
SRV_LOG=$LAB_LOGS/cicap-server.log
C=(c-icap-client -i 127.0.0.1 -p "$LAB_ICAP_PORT" -s inspect)

lab_assert_log "the broken policy is reported with file:line" "$SRV_LOG" \
    'inspect: policy .*policy\.xml refused, no policy in force: .*policy\.xml:[0-9]+' 10
# c-icap closes the connection after a 500 and c-icap-client does not always print its status
# line, so c-icap's own access log is the witness.
timeout 20 "${C[@]}" -req http://blocked.test/ >/dev/null 2>&1
lab_assert_log "without a policy a request is answered 500 (c-icap's access log)" \
    "$LAB_LOGS/cicap-access.log" 'REQMOD inspect 500' 10
lab_assert_no_log "nothing was allowed while the policy was broken" \
    "$LAB_LOGS/cicap-access.log" 'REQMOD inspect (200|204)'

cat > "$LAB_DIR/policy.new" <<'XML'
<policy xmlns="urn:squid-inspect:policy:1">
  <security-policy>
    <rule id="no-blocked" action="block"><host>blocked.test</host></rule>
  </security-policy>
</policy>
XML
mv "$LAB_DIR/policy.new" "$LAB_DIR/policy.xml"
lab_assert_log "the fixed file is loaded by the running service" "$SRV_LOG" \
    'inspect: policy .*policy\.xml loaded \(digest [0-9a-f]{16}\)' 15
out=$(timeout 20 "${C[@]}" -req http://blocked.test/ -v 2>&1)
lab_assert_match "the fixed policy applies without a restart" 'HTTP/1.1 403 Forbidden' "$out"
out=$(timeout 20 "${C[@]}" -req http://ok.test/ -v 2>&1)
lab_assert_match "and allows the rest (204)" 'ICAP/1.0 204' "$out"
lab_done
