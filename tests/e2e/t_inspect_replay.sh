#!/bin/bash
# t_inspect_replay.sh: both ICAP phases on Squid's access-log line, and `inspect-ctl replay`
# of that log. A policy with a REQMOD modify rule (add-header), a RESPMOD block rule (file
# type exe) and a monitor rule serves real traffic; each decrypted request's line carries the
# REQMOD verdict (req_verdict=, monitor hits included) and the RESPMOD one (verdict=), each
# with its phase. Replaying the log under the same policy reports no change in either phase;
# under a policy whose modify rule blocks instead, exactly that change.
. "$(dirname "$0")/lib/lab.sh"
lab_require_lab
[ -f "${E2E_CICAPMODDIR:-/nonexistent}/srv_inspect.so" ] || lab_skip "srv_inspect.so is not staged"
CTL=${E2E_BINDIR:-/nonexistent}/inspect-ctl
[ -x "$CTL" ] || lab_skip "inspect-ctl is not installed"
lab_init inspect_replay

P=$LAB_DIR/policy
mkdir -p "$P" && chmod 755 "$P"
# write_policy FILE TAG_ACTION: the test's policy; TAG_ACTION is the action of rule tag-requests.
write_policy() {
    local extra=''
    [ "$2" = modify ] && extra='<add-header name="X-Lab-Tag" value="tagged"/>'
    cat > "$1" <<EOF
<policy xmlns="urn:squid-inspect:policy:1">
  <security-policy default="allow">
    <rule id="tag-requests" action="$2"><path glob="/echo"/>$extra</rule>
    <rule id="watch-page" action="block" mode="monitor"><path glob="/page.html"/></rule>
    <rule id="no-exe" action="block"><response><file-type>exe</file-type></response></rule>
  </security-policy>
</policy>
EOF
    chmod 644 "$1"
}
write_policy "$P/policy.xml" modify
write_policy "$P/policy-block.xml" block
LAB_POLICY=$P/policy.xml
lab_start_all || lab_fatal "the lab did not start"
log=$LAB_ACCESS_LOG
url_re() { printf 'GET https://good\\.test:[0-9]+%s ' "$1"; }

# ---- traffic: modify (REQMOD), monitor (REQMOD), block (RESPMOD) ----
lab_curl -o "$LAB_DIR/echo.txt" "$(lab_url good.test /echo)"
lab_assert_match "REQMOD added the header the origin echoes" 'X-Lab-Tag: tagged' "$(cat "$LAB_DIR/echo.txt")"
lab_assert_eq "/page.html passes (the monitor rule only watches)" 200 \
    "$(lab_curl -o /dev/null -w '%{http_code}' "$(lab_url good.test /page.html)")"
lab_assert_eq "/exe is blocked in RESPMOD" 403 \
    "$(lab_curl -o /dev/null -w '%{http_code}' "$(lab_url good.test /exe)")"

# ---- the access log carries both phases ----
lab_assert_log "/echo: REQMOD modify in req_verdict=, RESPMOD allow in verdict=" "$log" \
    "$(url_re /echo).*verdict=\"allowed; rule=default; ref=[^\";]+; phase=respmod\" req_verdict=\"modified; rule=tag-requests; ref=[^\";]+; phase=reqmod\""
lab_assert_log "/page.html: the monitor hit is on the line (REQMOD)" "$log" \
    "$(url_re /page\\.html).*req_verdict=\"allowed; rule=default; ref=[^\";]+; monitor=blocked:watch-page; phase=reqmod\""
lab_assert_log "/exe: RESPMOD block in verdict=, REQMOD allow in req_verdict=" "$log" \
    "/403 .*$(url_re /exe).*verdict=\"blocked; rule=no-exe; ref=[^\";]+; phase=respmod\" req_verdict=\"allowed; rule=default; ref=[^\";]+; phase=reqmod\""

# ---- replay under the same policy: no change in either phase ----
cp "$log" "$LAB_DIR/replayed.log"
out=$("$CTL" replay "$P/policy.xml" "$LAB_DIR/replayed.log"); rc=$?
printf '%s\n' "$out" > "$LAB_LOGS/replay-same.txt"
lab_assert_eq "replay (same policy) exits 0" 0 "$rc"
lab_assert_match "replay read the three requests and their three RESPMOD answers" \
    ': [0-9]+ TLS connections, 3 requests, 3 with a logged response phase' "$out"
lab_assert_match "replay (same policy): request phase unchanged" \
    'security-policy changes, request phase \(before -> after\):
  none' "$out"
lab_assert_match "replay (same policy): response phase unchanged" \
    'security-policy changes, response phase \(before -> after\):
  none' "$out"
lab_assert_match "replay (same policy): the modify rule is re-evaluated as in the log" \
    '1  modify:tag-requests' "$out"
lab_assert_match "replay: the exe rule needs the response the log does not have" \
    'undecided-without-response:no-exe' "$out"
lab_assert_eq "replay (same policy): no change line at all" 0 "$(grep -cE -- '^ +[0-9]+  .* -> ' <<<"$out")"

# ---- replay under a changed policy: the one change, in the request phase ----
out=$("$CTL" replay "$P/policy-block.xml" "$LAB_DIR/replayed.log"); rc=$?
printf '%s\n' "$out" > "$LAB_LOGS/replay-changed.txt"
lab_assert_eq "replay (changed policy) exits 0" 0 "$rc"
lab_assert_match "replay (changed policy): modify -> block for /echo" \
    '1  modify:tag-requests -> block:tag-requests' "$out"
lab_assert_eq "replay (changed policy): nothing else changed" 1 "$(grep -cE -- '^ +[0-9]+  .* -> ' <<<"$out")"
lab_done
