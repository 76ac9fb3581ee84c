#!/bin/bash
# t_origin_pq.sh: post-quantum key exchange (the hybrid group X25519MLKEM768) on the upstream
# side, where the OpenSSL Squid links has it (3.5 and later: Debian 13's 3.5, testing's 3.6;
# not Debian 12's 3.0).
# Squid 5, 6 and 7 have no tls_outgoing_options setting for groups ("Unknown TLS option
# 'groups=...'"): the fragment leaves the list to OpenSSL, whose 3.5 default offers
# X25519MLKEM768 first. The origins are openssl s_server -www (its page shows the groups the
# client offered, "Supported groups", and those both accept, "Shared groups"):
#   pq.test       accepts X25519MLKEM768 only (a client offering only X25519 is refused):
#                 OpenSSL 3.5+: Squid's fetch succeeds, the only shared group is X25519MLKEM768;
#                 OpenSSL 3.0: such an origin cannot be made (s_server refuses the group name).
#   classic.test  accepts X25519 only: served on every version (the fallback), and Squid's
#                 offer names X25519MLKEM768 exactly when its OpenSSL has it.
# Squid 5 is expected with OpenSSL 3.0 (no group), 6 and 7 with 3.5 or later (the group).
. "$(dirname "$0")/lib/lab.sh"
lab_require_lab
lab_init origin_pq
lab_pki || lab_fatal "no lab PKI"
P=$LAB_PKI
G=X25519MLKEM768

# The OpenSSL Squid links is the one of the openssl program here.
lib_of() { ldd "$1" 2>/dev/null | awk '/libssl\.so/ {print $3}'; }
lab_assert_eq "Squid links the libssl of $OPENSSL ($("$OPENSSL" version))" \
    "$(readlink -f "$(lib_of "$(command -v "$OPENSSL")")")" "$(readlink -f "$(lib_of "$SQUID")")"
if "$OPENSSL" list -tls-groups 2>/dev/null | tr ':' '\n' | grep -qx "$G"; then have=yes; else have=no; fi
want=yes
[ "$LAB_SQUID_MAJOR" -ge 6 ] || want=no
lab_assert_eq "Squid $LAB_SQUID_VERSION's OpenSSL has $G: $want" "$want" "$have"

(cd "$P" && . "$LAB_LIB/pki.sh" &&
    pki_issue int leaf/pq v3_leaf DNS:pq.test /CN=pq.test &&
    pki_issue int leaf/classic v3_leaf DNS:classic.test /CN=classic.test) >> "$LAB_LOGS/mkpki.log" 2>&1 ||
    lab_fatal "cannot make the origins' certificates"
origin() { # NAME GROUPS -> sets PORT_NAME; returns 1 when s_server does not start
    local name=$1 port
    port=$(lab_free_port) || return 1
    lab_spawn "origin-$name" "$LAB_LOGS/origin-$name.log" "$OPENSSL" s_server -www \
        -accept "127.0.0.1:$port" -cert "$P/leaf/$name.crt" -key "$P/leaf/$name.key" \
        -cert_chain "$P/int/ca.crt" -groups "$2"
    lab_wait_port "$port" 20 "$LAB_PID" || return 1
    printf -v "PORT_${name}" '%s' "$port"
}
origin classic X25519 || lab_fatal "classic.test's origin did not start"
ports=$PORT_classic
if [ "$have" = yes ]; then
    origin pq "$G" || lab_fatal "pq.test's origin did not start"
    ports="$ports $PORT_pq"
    lab_assert_match "pq.test accepts only $G: a client offering only X25519 is refused" \
        'handshake failure|alert number 40' \
        "$("$OPENSSL" s_client -groups X25519 -connect "127.0.0.1:$PORT_pq" </dev/null 2>&1)"
else
    if origin pq "$G" 2>/dev/null; then
        lab_fail "OpenSSL $("$OPENSSL" version) started an origin with $G"
    else
        lab_pass "OpenSSL here cannot make an origin that accepts only $G (s_server refuses it)"
    fi
    lab_assert_log "... saying the group cannot be set" "$LAB_LOGS/origin-pq.log" "group '$G' cannot be set|-groups"
    lab_stop origin-pq
fi

export LAB_VALIDATOR=none LAB_EXTRA_HOSTS="pq.test classic.test"
export LAB_SQUID_PRE="acl SSL_ports port $ports
acl Safe_ports port $ports"
for step in lab_start_ocsp lab_start_crl_http lab_start_origin lab_start_cicap; do "$step" || lab_fatal "$step failed"; done
lab_start_squid || lab_fatal "squid did not start"
lab_assert_no_log "the fragment sets no group list (Squid has no such option)" "$LAB_SQUID_FRAGMENT" \
    '^tls_outgoing_options .*(groups|curves)='

fetch() { # NAME PORT -> http code; the page in $LAB_DIR/NAME.page
    lab_curl -o "$LAB_DIR/$1.page" -w '%{http_code}' "https://$1:$2/" 2>/dev/null
}
groups_line() { tr -d '\r' < "$LAB_DIR/$1.page" | grep -i "^$2 groups:"; }

code=$(fetch classic.test "$PORT_classic")
lab_assert_eq "classic.test (X25519 only) is served through Squid $LAB_SQUID_VERSION" 200 "$code"
echo "classic.test's page: $(groups_line classic.test Supported)"
lab_assert_match "classic.test: the shared group is X25519 (the fallback)" '^Shared groups: x25519$' \
    "$(groups_line classic.test Shared)"
if [ "$have" = yes ]; then
    lab_assert_match "Squid offers $G to origins, first" "^Supported groups: $G:" \
        "$(groups_line classic.test Supported)"
    code=$(fetch pq.test "$PORT_pq")
    lab_assert_eq "pq.test ($G only) is served through Squid $LAB_SQUID_VERSION" 200 "$code"
    echo "pq.test's page: $(groups_line pq.test Supported); $(groups_line pq.test Shared)"
    lab_assert_match "pq.test: $G was negotiated (the only shared group)" "^Shared groups: $G\$" \
        "$(groups_line pq.test Shared)"
    lab_assert_log "pq.test: the access log shows the bumped request served" "$LAB_ACCESS_LOG" \
        "TCP_MISS/200 .* GET https://pq\\.test:$PORT_pq/ .*bump=bump"
else
    lab_assert_match "Squid offers groups to origins" '^Supported groups: ' "$(groups_line classic.test Supported)"
    lab_assert_no_log "Squid does not offer $G (its OpenSSL has no such group)" "$LAB_DIR/classic.test.page" \
        "$G"
fi
lab_done
