#!/bin/bash
# t_inspect_fullbody.sh: how much of a response srv_inspect holds until its verdict follows the
# Squid in front, through the c-icap lines render-squid-conf writes for that Squid (no override):
#   6.13 and 7.x: a 10 MB bumped HTTPS response whose blocked marker is in its last kilobyte is
#     blocked: the client gets the block page (403), not a truncated body; the same 10 MB without
#     the marker arrives whole; c-icap logs the hold limit as the policy's inspection-limit.
#   5.7: responses are held up to 60K (Squid bug 5352 stalls a download held longer): the same
#     10 MB response with the marker arrives whole, logged "not inspected: too large (more than
#     61440 bytes)", and c-icap logs 61440 response bytes.
# On every version a 30 KB response with the marker at its end is blocked.
. "$(dirname "$0")/lib/lab.sh"
lab_require_lab
[ -f "${E2E_CICAPMODDIR:-/nonexistent}/srv_inspect.so" ] || lab_skip "srv_inspect.so is not staged"
lab_require sha256sum
lab_init inspect_fullbody
MARKER=FULLBODY-MARKER-5e1d
cat > "$LAB_DIR/policy.xml" <<XML
<policy xmlns="urn:squid-inspect:policy:1">
  <settings><inspection-limit size="16M" action="allow"/></settings>
  <security-policy>
    <rule id="marker" action="block" reason="Marked content"><response><body-match kind="keyword">$MARKER</body-match></response></rule>
  </security-policy>
</policy>
XML
export LAB_POLICY=$LAB_DIR/policy.xml
lab_start_all || lab_fatal "the lab did not start"
lab_assert_eq "the lab runs the inspect service" inspect "$LAB_ICAP_SERVICE"
SRV_LOG=$LAB_LOGS/cicap-server.log
D=$LAB_DIR
case $LAB_SQUID_MAJOR in
5) hold=61440 ;;
*) hold=0 ;;
esac
lab_assert_log "Squid $LAB_SQUID_VERSION: c-icap holds responses up to $hold bytes (0: the inspection-limit)" \
    "$SRV_LOG" "bodies are held for inspection up to [0-9]+ request bytes and $hold response bytes"

# fetch NAME N [TAIL]: straight from the origin into NAME.direct (want: its sha256), then
# through Squid into NAME; sets code, bytes, sum (of the body received through Squid)
fetch() {
    local path="/bytes?n=$2&seed=5${3:+&tail=$3}" out
    lab_curl_direct -o "$D/$1.direct" "$(lab_url good.test "$path")"
    want=$(sha256sum < "$D/$1.direct" | cut -d' ' -f1)
    : > "$D/$1"
    out=$(LAB_CURL_MAXTIME=120 lab_curl -o "$D/$1" -w '%{http_code} %{size_download}' \
          "$(lab_url good.test "$path")" 2>/dev/null)
    read -r code bytes <<<"$out"
    sum=$(sha256sum < "$D/$1" | cut -d' ' -f1)
}

fetch small 30000 "$MARKER"
lab_assert_eq "30 KB with the marker at its end: blocked (403)" 403 "$code"
lab_assert_match "... the client gets the block page" 'Marked content' "$(cat "$D/small")"

n=10485760
fetch big $n "$MARKER"
lab_assert_eq "the origin's body is 10 MB" $n "$(stat -c %s "$D/big.direct")"
lab_assert_match "... with the marker in its last kilobyte" "$MARKER" "$(tail -c 1024 "$D/big.direct" | tr -c 'A-Za-z0-9-' .)"
lab_assert_eq "... once" 1 "$(grep -a -o "$MARKER" "$D/big.direct" | wc -l)"
if [ "$LAB_SQUID_MAJOR" -ge 6 ]; then
    lab_assert_eq "Squid $LAB_SQUID_VERSION: 10 MB with the marker in its last KB is blocked (403)" 403 "$code"
    lab_assert_match "... the client gets the block page, not a truncated body" 'Marked content' \
        "$(head -c 100000 "$D/big")"
    lab_assert_log "... logged blocked by the marker rule" "$SRV_LOG" \
        'RESPMOD .*path=/bytes rule=marker action=blocked'
    fetch clean $n
    lab_assert_eq "Squid $LAB_SQUID_VERSION: 10 MB without the marker: 200" 200 "$code"
    lab_assert_eq "... arrives whole (sha256)" "$want" "$sum"
else
    lab_assert_eq "Squid 5.7: 10 MB with the marker in its last KB is not held: 200" 200 "$code"
    lab_assert_eq "... arrives whole (sha256), marker included" "$want" "$sum"
    lab_assert_log "... logged not inspected: too large, past the 60K hold" "$SRV_LOG" \
        'RESPMOD .*path=/bytes rule=inspection-limit action=allowed \(not inspected\) reason="not inspected: too large \(more than 61440 bytes\)"'
fi
lab_done
