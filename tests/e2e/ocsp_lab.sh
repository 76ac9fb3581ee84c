# ocsp_lab.sh: what the inspect-ocsp end-to-end tests add to the lab (sourced after lib/lab.sh).
#
#   ocsp_add_leaf NAME EXT SAN [revoke]   extra origin leaf in the lab PKI (after lab_pki, before
#                                         lab_start_origin); "revoke" also revokes it and
#                                         re-signs the intermediate's CRL
#   ocsp_use_validator POLICY_XML [ARGS]  Squid runs the staged inspect-ocsp; POLICY_XML becomes
#                                         $LAB_POLICY, the policy of every component (sets
#                                         LAB_VALIDATOR and LAB_POLICY)
#   ocsp_start_rest                       the rest of the lab: ocsp, crl, origin, c-icap, squid
#   ocsp_log_line NAME                    the validator's last log line for server NAME

# ocsp_add_leaf NAME EXT SAN [revoke]
ocsp_add_leaf() {
    local name=$1 ext=$2 san=$3 p=$LAB_PKI
    (cd "$p" && . "$LAB_LIB/pki.sh" &&
        pki_issue int "leaf/$name" "$ext" "$san" "/CN=${san#*:}" &&
        cat "leaf/$name.crt" int/ca.crt > "leaf/$name.chain.pem" &&
        echo "${san#*:} $name" >> origin.map) >> "$LAB_LOGS/mkpki.log" 2>&1 ||
        { lab_log "cannot issue $name"; return 1; }
    [ "${4:-}" = revoke ] || return 0
    (cd "$p" && . "$LAB_LIB/pki.sh" && pki_revoke int "leaf/$name.crt" &&
        pki_crl int int/ca.crl.pem www/int.crl) >> "$LAB_LOGS/mkpki.log" 2>&1 ||
        { lab_log "cannot revoke $name"; return 1; }
}

# ocsp_use_validator POLICY_XML [EXTRA ARGS...]: a wrapper Squid can run (as "proxy" when root).
# The policy goes to $LAB_POLICY (default $LAB_DIR/ocsp-policy.xml), the one file the rendered
# fragment gives every component: the validator gets it from its sslcrtvalidator_program line
# (--policy), not from the wrapper.
ocsp_use_validator() {
    local policy=$1 bin=$LAB_DIR/bin; shift
    [ -x "${E2E_PKGLIBEXECDIR:-/nonexistent}/inspect-ocsp" ] ||
        lab_skip "inspect-ocsp is not staged (run through make check)"
    mkdir -p "$bin" && chmod 755 "$bin" && cp "$E2E_PKGLIBEXECDIR/inspect-ocsp" "$bin/" &&
        chmod 755 "$bin/inspect-ocsp" || return 1
    : "${LAB_POLICY:=$LAB_DIR/ocsp-policy.xml}"
    export LAB_POLICY
    printf '%s\n' "$policy" > "$LAB_POLICY" && chmod 644 "$LAB_POLICY"
    {
        echo '#!/bin/sh'
        printf 'exec %q --ca-file %q' "$bin/inspect-ocsp" "$LAB_ORIGIN_ROOT"
        [ $# -eq 0 ] || printf ' %q' "$@"
        echo ' "$@"'
    } > "$bin/inspect-ocsp-lab"
    chmod 755 "$bin/inspect-ocsp-lab"
    export LAB_VALIDATOR=$bin/inspect-ocsp-lab
}

ocsp_start_rest() {
    local step
    for step in lab_start_ocsp lab_start_crl_http lab_start_origin lab_start_cicap lab_start_squid; do
        "$step" || { lab_log "$step failed"; return 1; }
    done
}

# ocsp_log_line NAME: last "validation host=NAME " line of the validator in Squid's cache.log.
ocsp_log_line() {
    grep -F "inspect-ocsp" "$LAB_CACHE_LOG" | grep -F "validation host=$1 " | tail -n 1
}

# ocsp_wait_line NAME: wait (10 s max) until the validator logged NAME, then print the line.
ocsp_wait_line() {
    lab_wait_log "$LAB_CACHE_LOG" "validation host=${1//./\\.} " 10
    ocsp_log_line "$1"
}
