#!/bin/bash
# t_fault_icap.sh: c-icap killed (SIGKILL, whole process group) in the middle of a load of
# bumped requests, once with the ICAP services at bypass=on and once at bypass=off. Every
# request ends (no hang), Squid keeps running, and what follows the kill is what the
# fragment's ICAP_BYPASS promises (squid_conf/README.md): bypass=on serves un-inspected (failed-open), bypass=off refuses
# (failed-closed); the access log shows no ICAP verdict for them, never an "allowed" one.
. "$(dirname "$0")/lib/lab.sh"
. "$(dirname "$0")/fault_lab.sh"
lab_require_lab
lab_init fault_icap
for step in lab_pki lab_start_ocsp lab_start_crl_http lab_start_origin; do
    "$step" || lab_fatal "$step failed"
done
LAB_CURL_MAXTIME=30
CLIENTS=4 PER_CLIENT=25

# load TAG: CLIENTS loops of PER_CLIENT fetches; one "CODE" per line in $LAB_DIR/TAG.codes
load() {
    local tag=$1 c i
    LOAD_PIDS=''
    : > "$LAB_DIR/$tag.codes"
    for c in $(seq 1 $CLIENTS); do
        ( for i in $(seq 1 $PER_CLIENT); do
              lab_curl -o /dev/null -w '%{http_code}\n' "$(lab_url good.test "/echo?c=$c&i=$i")" \
                  2>/dev/null >> "$LAB_DIR/$tag.codes.$c" || echo 000 >> "$LAB_DIR/$tag.codes.$c"
          done ) &
        LOAD_PIDS="$LOAD_PIDS $!"
    done
}

run_case() { # on|off EXPECTED-AFTER
    local bypass=$1 expected=$2 pid t0 n after codes
    lab_start_cicap || lab_fatal "c-icap did not start"
    lab_start_squid ICAP_BYPASS="$bypass" || lab_fatal "squid did not start (bypass=$bypass)"
    [ "$LAB_ICAP_SERVICE" = inspect ] || lab_log "note: c-icap runs $LAB_ICAP_SERVICE, not inspect"
    code=$(lab_curl -o /dev/null -w '%{http_code}' "$(lab_url good.test /echo?warm)")
    lab_assert_eq "bypass=$bypass: served before the fault" 200 "$code"
    load "b$bypass"
    # kill once 8 requests have been answered (the rest of the load is still to come)
    t0=$(lab__now_ms)
    while [ "$(cat "$LAB_DIR/b$bypass".codes.* 2>/dev/null | wc -l)" -lt 8 ] &&
          [ $(( $(lab__now_ms) - t0 )) -lt 30000 ]; do sleep 0.05; done
    pid=$(cat "$LAB_RUN/cicap.pid")
    kill -KILL -- "-$pid" 2>/dev/null
    rm -f "$LAB_RUN/cicap.pid"
    # shellcheck disable=SC2086
    wait $LOAD_PIDS 2>/dev/null
    cat "$LAB_DIR/b$bypass".codes.* > "$LAB_DIR/b$bypass.codes"
    n=$(wc -l < "$LAB_DIR/b$bypass.codes")
    lab_assert_eq "bypass=$bypass: all $((CLIENTS * PER_CLIENT)) requests ended (none hung)" \
        $((CLIENTS * PER_CLIENT)) "$n"
    codes=$(sort "$LAB_DIR/b$bypass.codes" | uniq -c | awk '{printf "%s x%s ", $2, $1}')
    lab_assert_no_log "bypass=$bypass: no request left without an answer (000)" \
        "$LAB_DIR/b$bypass.codes" '^000$'
    # after the kill: a fresh request, c-icap is gone for good
    after=$(lab_curl -o "$LAB_DIR/after.body" -w '%{http_code}' "$(lab_url www.good.test /page.html)")
    case "$after" in
    200) obs=failed-open ;;
    500|502|503) obs=failed-closed ;;
    *) obs="unexpected($after)" ;;
    esac
    fault_outcome "c-icap killed mid-load, bypass=$bypass" "$expected" "$obs" \
        "after the kill: HTTP $after; during the load: $codes"
    lab_assert_log "bypass=$bypass: the post-kill request is logged without an ICAP verdict" \
        "$LAB_ACCESS_LOG" 'GET https://www\.good\.test:[0-9]+/page\.html .* verdict="-"'
    lab_assert_no_log "bypass=$bypass: nothing after the kill is logged as allowed by the policy" \
        "$LAB_ACCESS_LOG" 'www\.good\.test:[0-9]+/page\.html .* verdict="allowed; '
    lab_assert_log "bypass=$bypass: and logged as $expected, in words" \
        "$LAB_ACCESS_LOG" "GET https://www\\.good\\.test:[0-9]+/page\\.html .* fail=$expected:icap"
    if fault_squid_alive; then lab_pass "bypass=$bypass: Squid still runs"; else lab_fail "bypass=$bypass: Squid is gone"; fi
    lab_stop squid
    : > "$LAB_ACCESS_LOG"       # the next case starts with an empty access log
}

run_case on failed-open
run_case off failed-closed
lab_done
