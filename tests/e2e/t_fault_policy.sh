#!/bin/bash
# t_fault_policy.sh: the policy file replaced, while everything runs, by a broken one (cut in
# the middle of an element; then well-formed XML that breaks the schema). srv_inspect (c-icap)
# and inspect-ocsp keep enforcing the previous policy and log the error with file:line; a
# valid file afterwards is picked up (squid_conf/README.md: an invalid file is refused with
# file:line and the previous policy stays in force).
. "$(dirname "$0")/lib/lab.sh"
. "$(dirname "$0")/ocsp_lab.sh"
. "$(dirname "$0")/fault_lab.sh"
lab_require_lab
lab_init fault_policy
lab_pki || lab_fatal "no lab PKI"
policy() { # BLOCKED-HOSTS
    cat <<XML
<?xml version="1.0"?>
<policy xmlns="urn:squid-inspect:policy:1">
  <certificate-validation revocation="soft" ocsp-timeout="2s" crl="fallback"/>
  <security-policy default="allow">
    <rule id="fault-block" action="block" reason="blocked by the fault test"><host>$1</host></rule>
  </security-policy>
</policy>
XML
}
ocsp_use_validator "$(policy www.good.test)" || lab_fatal "validator wrapper"
LAB_POLICY=$LAB_DIR/ocsp-policy.xml        # one file for c-icap and the validator
LAB_CICAP_EXTRA="inspect.ReloadCheckInterval 1"
ocsp_start_rest || lab_fatal "the lab did not start"
[ "$LAB_ICAP_SERVICE" = inspect ] || lab_skip "srv_inspect.so is not staged"

code() { fault_fetch "$1" | cut -d' ' -f1; }
verdict() { # NAME [PATH]: blocked / allowed / failed(CODE)
    local c; c=$(code "$1")
    case $c in 403) echo blocked ;; 200) echo allowed ;; *) echo "failed($c)" ;; esac
}
replace() { # replace the policy file atomically with stdin (as an editor or config management would)
    cat > "$LAB_POLICY.new" && chmod 644 "$LAB_POLICY.new" && touch -d '+2 seconds' "$LAB_POLICY.new" &&
        mv "$LAB_POLICY.new" "$LAB_POLICY"
}
lab_assert_eq "www.good.test blocked by the first policy" blocked "$(verdict www.good.test)"
lab_assert_eq "good.test allowed by the first policy" allowed "$(verdict good.test)"

# 1. cut in the middle of an element
policy www.good.test | head -c 200 | replace
lab_assert_log "c-icap: reload failed, old policy kept, error with file:line" "$LAB_LOGS/cicap-server.log" \
    'policy .*ocsp-policy\.xml refused, keeping the previous one \(digest [0-9a-f]{16}\)' 15
lab_assert_log "c-icap: the error names file:line" "$LAB_LOGS/cicap-server.log" 'ocsp-policy\.xml:[0-9]+' 5
fault_outcome "policy replaced by a truncated file" kept-old-policy \
    "$([ "$(verdict www.good.test)" = blocked ] && [ "$(verdict a.wild.test)" = allowed ] && echo kept-old-policy || echo lost-policy)" \
    "www.good.test still blocked, a.wild.test still allowed"
# The validator looks at the file when it validates a certificate it has not seen (and not
# more often than its own check interval): poke it with new names until it reports.
POKE="deadocsp.test aia.test crlonly.test expired.test untrusted.test selfsigned.test wronghost.test"
poke_until() { # ERE N: until more than N validator lines match (each poke: one new name)
    local n
    for n in $POKE; do
        POKE=${POKE#"$n"}; POKE=${POKE# }
        [ "$(grep -c -E "$1" "$LAB_CACHE_LOG")" -gt "$2" ] && return 0
        code "$n" >/dev/null
        sleep 1
    done
    [ "$(grep -c -E "$1" "$LAB_CACHE_LOG")" -gt "$2" ]
}
VAL_ERR='inspect-ocsp.*policy .*ocsp-policy\.xml refused, keeping the previous one \(digest [0-9a-f]{16}\): .*ocsp-policy\.xml:[0-9]+'
poke_until "$VAL_ERR" 0 && lab_pass "validator: keeps its settings and names file:line" ||
    lab_fail "validator: no 'refused, keeping the previous one' line"

# 2. well-formed, schema-invalid (an unknown action)
count() { grep -c -E "$2" "$1" 2>/dev/null || true; }
wait_more() { # FILE ERE N: until more than N lines match (15 s)
    local end=$(( $(lab__now_ms) + 15000 ))
    while [ "$(count "$1" "$2")" -le "$3" ] && [ "$(lab__now_ms)" -lt $end ]; do sleep 0.1; done
    [ "$(count "$1" "$2")" -gt "$3" ]
}
n_icap=$(count "$LAB_LOGS/cicap-server.log" 'refused, keeping the previous one')
n_val=$(count "$LAB_CACHE_LOG" "$VAL_ERR")
policy good.test | sed 's/action="block"/action="explode"/' | replace
wait_more "$LAB_LOGS/cicap-server.log" 'refused, keeping the previous one' "$n_icap" &&
    lab_pass "c-icap refused the schema-invalid file" || lab_fail "c-icap did not report the schema-invalid file"
poke_until "$VAL_ERR" "$n_val" &&
    lab_pass "the validator refused the schema-invalid file" || lab_fail "the validator did not report it"
fault_outcome "policy replaced by a schema-invalid file" kept-old-policy \
    "$([ "$(verdict www.good.test)" = blocked ] && [ "$(verdict good.test)" = allowed ] && echo kept-old-policy || echo lost-policy)" \
    "the old rule still decides"
lab_assert_no_log "c-icap never loaded a broken policy" "$LAB_LOGS/cicap-server.log" 'explode.*loaded'

# 3. a valid policy again: taken at once
policy good.test | replace
end=$(( $(lab__now_ms) + 15000 ))
until [ "$(verdict good.test)" = blocked ] || [ "$(lab__now_ms)" -gt $end ]; do sleep 0.2; done
fault_outcome "a valid policy after the broken ones" recovered \
    "$([ "$(verdict b.wild.test)" = allowed ] && [ "$(verdict good.test)" = blocked ] && echo recovered || echo not-recovered)" \
    "good.test now blocked"
if fault_squid_alive; then lab_pass "Squid still runs"; else lab_fail "Squid is gone"; fi
lab_done
