#!/bin/bash
# t_fault_helpers.sh: a helper SIGKILLed while it holds a request from Squid. The validator
# (inspect-ocsp) is killed while it waits on a black-holed OCSP responder; inspect-certgen is
# killed while Squid's request sits unread in its stdin (the process was stopped first). The
# request in flight ends (no hang) without being served unchecked, Squid keeps running, starts
# a new helper, and the next request is served (recovered).
. "$(dirname "$0")/lib/lab.sh"
. "$(dirname "$0")/ocsp_lab.sh"
. "$(dirname "$0")/fault_lab.sh"
lab_require_lab
lab_init fault_helpers
lab_pki || lab_fatal "no lab PKI"
ocsp_use_validator '<?xml version="1.0"?>
<policy xmlns="urn:squid-inspect:policy:1">
  <certificate-validation revocation="soft" ocsp-timeout="20s" crl="off"/>
</policy>' || lab_fatal "validator wrapper"
LAB_SQUID_EXTRA="request_timeout 15 seconds"
ocsp_start_rest || lab_fatal "the lab did not start"
LAB_CURL_MAXTIME=40

# pipe_pending PID: bytes waiting unread on the process's stdin (Squid talks to helpers over
# a socketpair: ss shows its Recv-Q)
pipe_pending() {
    local q
    q=$(ss -xpn 2>/dev/null | grep -F "pid=$1,fd=0)" | awk '{print $3}' | sort -n | tail -n 1)
    echo "${q:-0}"
}
poll() { # SECONDS CMD...: until CMD succeeds
    local end=$(( $(lab__now_ms) + $1 * 1000 )); shift
    until "$@"; do [ "$(lab__now_ms)" -lt $end ] || return 1; sleep 0.05; done
}
outcome_of() { # CODE -> word
    case $1 in 200) echo served ;; 000) echo hung ;; *) echo failed-closed ;; esac
}

# --- validator killed while waiting on the responder ---
echo 30 > "$LAB_DIR/ocsp.delay"
lab_curl -o /dev/null -w '%{http_code}' "$(lab_url good.test /page.html)" > "$LAB_DIR/v.code" 2>/dev/null &
client=$!
ocsp_waiting() { ss -tn state established "( dport = :$LAB_OCSP_PORT )" 2>/dev/null | grep -q 127.0.0.1; }
poll 20 ocsp_waiting || lab_fail "the validator never reached the responder"
vpids=$(fault_pids_of 'inspect-ocsp')
lab_assert_ne "a validator process is running" "" "$vpids"
# shellcheck disable=SC2086
kill -KILL $vpids 2>/dev/null
wait "$client"
code=$(cat "$LAB_DIR/v.code")
fault_outcome "validator killed mid-request (waiting on OCSP)" failed-closed "$(outcome_of "$code")" \
    "the request in flight got HTTP $code"
rm -f "$LAB_DIR/ocsp.delay"
code=$(lab_curl -o /dev/null -w '%{http_code}' "$(lab_url www.good.test /page.html)")
fault_outcome "next request after the validator was killed" recovered \
    "$([ "$code" = 200 ] && echo recovered || echo "not-recovered($code)")" "HTTP $code"
new=$(fault_pids_of 'inspect-ocsp')
lab_assert_ne "Squid started a new validator" "" "$new"

# --- certgen killed with Squid's request unread in its stdin ---
cpids=$(fault_pids_of 'inspect-certgen')
lab_assert_ne "certgen processes are running" "" "$cpids"
# shellcheck disable=SC2086
kill -STOP $cpids
t0=$(lab__now_ms)
{ lab_curl -o /dev/null -w '%{http_code}' "$(lab_url a.wild.test /page.html)" > "$LAB_DIR/c.code" \
      2>"$LAB_DIR/c.err"; echo $? > "$LAB_DIR/c.rc"; } &
client=$!
victim=''
find_victim() {
    local p
    for p in $cpids; do
        if [ "$(pipe_pending "$p")" -gt 0 ]; then victim=$p; return 0; fi
    done
    return 1
}
poll 20 find_victim || lab_fail "no certgen process received the request"
# shellcheck disable=SC2086
kill -KILL ${victim:-$cpids} 2>/dev/null
# shellcheck disable=SC2086
kill -CONT $cpids 2>/dev/null
wait "$client"
cms=$(( $(lab__now_ms) - t0 ))
code=$(cat "$LAB_DIR/c.code")
echo "certgen case: curl said: $(head -c 200 "$LAB_DIR/c.err") after $cms ms"
rc=$(cat "$LAB_DIR/c.rc")
# Squid 5.7 answers a failed certgen request in peek-then-bump mode by leaving the client's TLS
# handshake unanswered until request_timeout (5 min by default, 15 s here) closes it: curl
# then fails the handshake (exit 35). A curl timeout (28) would be a hang.
case "$code:$rc" in
200:0) obs=recovered ;;
*:28) obs=hung ;;
*) obs=failed-closed ;;
esac
fault_outcome "certgen killed mid-request" failed-closed "$obs" \
    "the request in flight: HTTP $code, curl exit $rc after $cms ms (request_timeout 15 s)"
code=$(lab_curl -o /dev/null -w '%{http_code}' "$(lab_url b.wild.test /page.html)")
fault_outcome "next request after certgen was killed" recovered \
    "$([ "$code" = 200 ] && echo recovered || echo "not-recovered($code)")" "HTTP $code"

# --- inspect-bump (external ACL): a fresh replacement killed before its first reply ---
# (with children-startup=1, Squid 5.7 exits the worker here: "crashing too rapidly")
if [ -x "${E2E_PKGLIBEXECDIR:-/nonexistent}/inspect-bump" ]; then
    fault_restart_squid || lab_fatal "squid restart"
    code=$(lab_curl -o /dev/null -w '%{http_code}' "$(lab_url good.test /page.html)" 2>/dev/null)
    lab_assert_eq "inspect-bump answered once" 200 "$code"
    first=$(fault_pids_of 'inspect-bump')
    # shellcheck disable=SC2086
    [ -z "$first" ] || kill -KILL $first 2>/dev/null
    fresh=''
    fresh_bump() { fresh=$(fault_pids_of 'inspect-bump'); [ -n "$fresh" ]; }
    poll 10 fresh_bump || lab_log "Squid started no replacement before the next request"
    # shellcheck disable=SC2086
    [ -z "$fresh" ] || kill -KILL $fresh 2>/dev/null
    code=$(lab_curl -o /dev/null -w '%{http_code}' "$(lab_url www.wild.test /page.html)" 2>/dev/null)
    fault_outcome "inspect-bump killed, its fresh replacement too" recovered \
        "$([ "$code" = 200 ] && echo recovered || echo "not-recovered($code)")" \
        "killed: ${first:-none} then ${fresh:-none}; next request HTTP $code"
fi

if fault_squid_alive; then lab_pass "Squid still runs"; else lab_fail "Squid is gone"; fi
lab_assert_no_log "no 'crashing too rapidly' from Squid" "$LAB_CACHE_LOG" 'crashing too rapidly'
lab_done
