#!/bin/bash
# t_fault_revocation.sh: inspect-ocsp under revocation-source faults, through Squid. An OCSP
# responder that is slow (under the deadline) or returns garbage, a CRL server that is slow
# (beyond the deadline) or serves a 64 MiB "CRL": every request is answered in bounded time,
# soft mode serves the site and logs "undetermined", hard mode refuses it (failed-closed),
# garbage never counts as an answer, and the validator survives all of it.
# (Black-holed and refused OCSP responders: t_ocsp_deadline.sh.)
. "$(dirname "$0")/lib/lab.sh"
. "$(dirname "$0")/ocsp_lab.sh"
. "$(dirname "$0")/fault_lab.sh"
lab_require_lab
lab_init fault_revocation
lab_pki || lab_fatal "no lab PKI"
# fault_section BASE NEW PORT: a copy of pki.cnf's [BASE] whose CRL distribution point is on
# PORT (each CRL fault gets its own server, so that one case's backoff or cache is not another's)
fault_section() {
    awk -v base="[ $1 ]" -v new="[ $2 ]" -v port="$3" '
        $0 == base { on = 1; print new; next }
        on && /^\[/ { on = 0 }
        on && /^crlDistributionPoints/ { print "crlDistributionPoints = URI:http://127.0.0.1:" port "/int.crl"; next }
        on { print }' "$LAB_PKI/pki.cnf" >> "$LAB_PKI/pki.cnf.new" &&
    cat "$LAB_PKI/pki.cnf.new" >> "$LAB_PKI/pki.cnf" && rm -f "$LAB_PKI/pki.cnf.new"
}
CRL_BLACKHOLE_PORT=$(lab_free_port) && CRL_SLOW_PORT=$(lab_free_port) &&
    CRL_HUGE_PORT=$(lab_free_port) || lab_fatal "ports"
fault_section v3_leaf v3_fault_bh "$CRL_BLACKHOLE_PORT" &&
    fault_section v3_leaf_crlonly v3_fault_slow "$CRL_SLOW_PORT" &&
    fault_section v3_leaf_crlonly v3_fault_huge "$CRL_HUGE_PORT" || lab_fatal "pki.cnf sections"
ocsp_add_leaf oslow v3_leaf DNS:oslow.test && ocsp_add_leaf ogarb v3_leaf DNS:ogarb.test &&
    ocsp_add_leaf ogarbsoft v3_fault_bh DNS:ogarbsoft.test &&
    ocsp_add_leaf ogarbhard v3_fault_bh DNS:ogarbhard.test &&
    ocsp_add_leaf cslow v3_fault_slow DNS:cslow.test &&
    ocsp_add_leaf chuge v3_fault_huge DNS:chuge.test || lab_fatal "extra leaves"
ocsp_use_validator '<?xml version="1.0"?>
<policy xmlns="urn:squid-inspect:policy:1">
  <certificate-validation revocation="soft" ocsp-timeout="2s" crl="fallback">
    <override server-name="ogarbhard.test" revocation="hard"/>
  </certificate-validation>
</policy>' || lab_fatal "validator wrapper"
ocsp_start_rest || lab_fatal "the lab did not start"
LAB_CURL_MAXTIME=40

# outcome NAME CODE: the fault-matrix word (fault_lab.sh) for what happened to NAME (from the validator's line)
outcome() {
    local line result
    line=$(ocsp_wait_line "$1")
    result=$(sed -n 's/.* result=\([a-z-]*\).*/\1/p' <<<"$line")
    echo "validator: ${line#*validation }" >&2
    case "$2:$result" in
    200:good) echo inspected ;;
    200:undetermined) echo undetermined ;;
    503:undetermined-refused|503:revoked) echo failed-closed ;;
    *) echo "unexpected($2:$result)" ;;
    esac
}
bounded() { # CASE MS LIMIT
    if [ "$2" -le "$3" ]; then lab_pass "$1: answered in $2 ms (limit $3)"
    else lab_fail "$1: took $2 ms (limit $3)"; fi
}

# 1. OCSP slow but under the deadline: the answer still counts.
echo 1 > "$LAB_DIR/ocsp.delay"
read -r code ms < <(fault_fetch oslow.test)
fault_outcome "OCSP responder slow (1 s, deadline 2 s)" inspected "$(outcome oslow.test "$code")" "HTTP $code in $ms ms"
rm -f "$LAB_DIR/ocsp.delay"

# 2. OCSP garbage (random bytes, 200 application/ocsp-response): CRL fallback decides.
fault_server ocsp "$LAB_OCSP_PORT" garbage || lab_fatal "faultd garbage"
read -r code ms < <(fault_fetch ogarb.test)
fault_outcome "OCSP responder returns garbage, CRL reachable" inspected "$(outcome ogarb.test "$code")" "HTTP $code in $ms ms; CRL fallback"
lab_assert_log "garbage logged as such, not as an answer" "$LAB_CACHE_LOG" \
    'validation host=ogarb\.test .*source=crl result=good reason="CRL: not listed; OCSP [0-9.:]+: HTTP exchange failed' 5

# 3. OCSP garbage and the CRL server black-holed: soft serves (undetermined), hard refuses.
fault_server crlbh "$CRL_BLACKHOLE_PORT" blackhole --delay 60 || lab_fatal "faultd blackhole"
read -r code ms < <(fault_fetch ogarbsoft.test)
fault_outcome "OCSP garbage + CRL black-holed, soft" undetermined "$(outcome ogarbsoft.test "$code")" "HTTP $code in $ms ms"
bounded "OCSP garbage + CRL black-holed, soft" "$ms" 15000
read -r code ms < <(fault_fetch ogarbhard.test)
fault_outcome "OCSP garbage + CRL black-holed, hard" failed-closed "$(outcome ogarbhard.test "$code")" "HTTP $code in $ms ms"
bounded "OCSP garbage + CRL black-holed, hard" "$ms" 15000

# 4. CRL server slow (20 s, beyond the 5 s CRL deadline); cslow has no OCSP URL.
fault_server crlslow "$CRL_SLOW_PORT" slow --delay 20 --file "$LAB_PKI/www/int.crl" || lab_fatal "faultd slow"
read -r code ms < <(fault_fetch cslow.test)
fault_outcome "CRL server slow (20 s, deadline 5 s), soft" undetermined "$(outcome cslow.test "$code")" "HTTP $code in $ms ms"
bounded "CRL server slow" "$ms" 15000

# 5. CRL server streams a 64 MiB "CRL" (limit 8 MiB): refused early, nothing held in memory.
fault_server crlhuge "$CRL_HUGE_PORT" huge --size $((64 << 20)) || lab_fatal "faultd huge"
read -r code ms < <(fault_fetch chuge.test)
fault_outcome "CRL server serves 64 MiB, soft" undetermined "$(outcome chuge.test "$code")" "HTTP $code in $ms ms"
bounded "CRL 64 MiB" "$ms" 15000
lab_assert_log "the huge CRL was cut off, not read to the end" "$LAB_LOGS/crlhuge.log" \
    'faultd: huge .* [0-9]+$' 10
sent=$(sed -n 's/^faultd: huge .* \([0-9]*\)$/\1/p' "$LAB_LOGS/crlhuge.log" | tail -n 1)
if [ -n "$sent" ] && [ "$sent" -lt $((64 << 20)) ]; then
    lab_pass "the validator stopped reading after $sent bytes of 64 MiB"
else
    lab_fail "the validator read ${sent:-?} bytes of the 64 MiB CRL"
fi

# Whatever happened, the validator still answers and Squid still runs.
lab_stop ocsp && lab_start_ocsp || lab_fatal "ocsp restart"
read -r code ms < <(fault_fetch good.test)
fault_outcome "after all revocation faults (OCSP in backoff: CRL)" inspected "$(outcome good.test "$code")" "HTTP $code in $ms ms"
fault_squid_alive && lab_pass "Squid still runs" || lab_fail "Squid is gone"
lab_assert_no_log "no validator crash or unparsable reply" "$LAB_CACHE_LOG" \
    'ssl_crtvd.*(exited|crashing)|cert validator response parse error|unexpected reply'
lab_done
