#!/bin/bash
# t_gateway.sh: gateway mode (transparent interception) in network namespaces this test creates
# and always removes. A client namespace, with no proxy setting, routes through a gateway
# namespace (Squid with the rendered fragment's intercept ports, the helpers, c-icap, nftables
# redirecting TCP 80/443 to the intercept ports and dropping UDP 443) to an "internet"
# namespace (the lab's origin on 203.0.113.10 and .11, ports 443 and 80; the OCSP responder
# and CRL server on 203.0.113.53). Only documentation ranges are used: client 192.0.2.0/24, gateway to
# internet 198.51.100.0/24, origins 203.0.113.0/24; no namespace has a route out, and Squid
# resolves names from its hosts file only (dns_nameservers 127.0.0.1 of the gateway namespace).
# Cases: intercepted TLS with SNI reaches inspect-bump's decision and is bumped (forged
# certificate, 200, through ICAP); bypass by SNI (the origin's own certificate, by
# fingerprint); terminate; clients without SNI decided on the destination IP; an OCSP-revoked
# origin refused; plain HTTP on port 80 through REQMOD; UDP 443 dropped while other UDP passes;
# bytes that are not TLS on port 443 refused (UNSUPPORTED_PROTOCOL=respond) or, with tunnel,
# relayed (the intercepted connection carries the si_allowed_ mark the guard needs).
# Needs root, ip (iproute2) with veth and nft (nftables): without them it is skipped, which
# under CI=true is a failure naming what is missing.
. "$(dirname "$0")/lib/lab.sh"

# ---- outside: create the namespaces, run the test inside the gateway one, remove them ----
if [ "${1:-}" != --inside ]; then
    lab_require_lab
    [ "$(id -u)" -eq 0 ] || lab_skip "network namespaces need root"
    lab_require ip nft
    [ -x "${E2E_PKGLIBEXECDIR:-/nonexistent}/inspect-bump" ] || lab_skip "inspect-bump is not installed"
    GW_C=si-gw-c-$$ GW_G=si-gw-g-$$ GW_I=si-gw-i-$$
    gw_remove_ns() {
        local n
        for n in "$GW_C" "$GW_G" "$GW_I"; do
            [ -e "/run/netns/$n" ] && ip netns del "$n"
        done
        return 0
    }
    trap gw_remove_ns EXIT
    trap 'exit 1' INT TERM
    for n in "$GW_C" "$GW_G" "$GW_I"; do
        ip netns add "$n" || lab_fatal "cannot create network namespace $n (ip netns add)"
        ip -n "$n" link set lo up || lab_fatal "cannot bring lo up in $n"
    done
    # The veth pairs are created inside the namespaces: the host never has them.
    ip -n "$GW_C" link add c0 type veth peer name g0 netns "$GW_G" &&
        ip -n "$GW_G" link add g1 type veth peer name i0 netns "$GW_I" ||
        lab_fatal "cannot create veth pairs (kernel without veth?)"
    set -e
    ip -n "$GW_C" addr add 192.0.2.10/24 dev c0
    ip -n "$GW_C" link set c0 up
    ip -n "$GW_C" route add default via 192.0.2.1
    ip -n "$GW_G" addr add 192.0.2.1/24 dev g0
    ip -n "$GW_G" addr add 198.51.100.1/24 dev g1
    ip -n "$GW_G" link set g0 up
    ip -n "$GW_G" link set g1 up
    ip -n "$GW_G" route add 203.0.113.0/24 via 198.51.100.2
    ip netns exec "$GW_G" sysctl -qw net.ipv4.ip_forward=1
    ip -n "$GW_I" addr add 198.51.100.2/24 dev i0
    ip -n "$GW_I" link set i0 up
    ip -n "$GW_I" addr add 203.0.113.10/32 dev lo
    ip -n "$GW_I" addr add 203.0.113.11/32 dev lo
    ip -n "$GW_I" addr add 203.0.113.53/32 dev lo
    ip -n "$GW_I" route add 192.0.2.0/24 via 198.51.100.1
    set +e
    export GW_C GW_G GW_I
    ip netns exec "$GW_G" "$BASH" "$0" --inside
    exit $?
fi

# ---- inside the gateway namespace ----
lab_init gateway
in_c() { ip netns exec "$GW_C" "$@"; }
ORIGIN=203.0.113.10 ORIGIN_NOSNI_BYPASS=203.0.113.11
LAB_ORIGIN_PORT=443 LAB_ORIGIN_PLAIN_PORT=80
# The OCSP responder and the CRL/AIA server live in the internet namespace, on the address
# the certificates name.
LAB_PKI_HOST=203.0.113.53
for step in lab_pki lab_start_cicap; do
    "$step" || lab_fatal "$step failed"
done
lab_spawn ocsp "$LAB_LOGS/ocsp.log" ip netns exec "$GW_I" "$PYTHON3" -u "$LAB_LIB/ocspd.py" \
    --pki "$LAB_PKI" --port "$LAB_OCSP_PORT" --bind "$LAB_PKI_HOST" --openssl "$OPENSSL"
lab_wait_log "$LAB_LOGS/ocsp.log" '^ocspd: ready' 20 || lab_fatal "the OCSP responder did not start"
lab_spawn crl "$LAB_LOGS/crl-http.log" ip netns exec "$GW_I" "$PYTHON3" -u -m http.server \
    --bind "$LAB_PKI_HOST" --directory "$LAB_PKI/www" "$LAB_CRL_PORT"
lab_wait_log "$LAB_LOGS/crl-http.log" '^Serving HTTP' 20 || lab_fatal "the CRL server did not start"
lab_spawn origin "$LAB_LOGS/origin.log" ip netns exec "$GW_I" "$PYTHON3" -u "$LAB_LIB/origin.py" \
    --pki "$LAB_PKI" --port 443 --plain-port 80 --bind 0.0.0.0
lab_wait_log "$LAB_LOGS/origin.log" '^origin: ready' 20 || lab_fatal "the origin did not start"

# nftables of the gateway namespace: the documented rules (squid_conf/README.md).
HTTP_PORT=$(lab_free_port) HTTPS_PORT=$(lab_free_port)
nft -f - <<EOF || lab_fatal "nft could not load the gateway rules (kernel without nf_tables?)"
table inet si_gateway {
    chain prerouting {
        type nat hook prerouting priority dstnat; policy accept;
        iifname "g0" tcp dport 80 redirect to :$HTTP_PORT
        iifname "g0" tcp dport 443 redirect to :$HTTPS_PORT
    }
    chain forward {
        type filter hook forward priority filter; policy accept;
        iifname "g0" udp dport 443 counter drop
    }
}
EOF

# Squid: names resolve to the origin from its own hosts file only; the no-SNI bypass is the
# destination IP .11 (the made-up CONNECT's host).
printf '%s good.test www.good.test bypass.test terminate.test\n' "$ORIGIN" > "$LAB_DIR/gw-hosts"
LAB_BYPASS_NAMES="bypass.test $ORIGIN_NOSNI_BYPASS"
LAB_SQUID_EXTRA="hosts_file $LAB_DIR/gw-hosts
acl gw_clients src 192.0.2.0/24
acl SSL_ports port 443
acl Safe_ports port 80 443
http_access allow gw_clients
logformat gw_marks %>a %rm %ru allowed=%note{si_allowed_}
access_log stdio:$LAB_LOGS/marks.log gw_marks"
touch "$LAB_LOGS/marks.log"
[ -z "$LAB_SQUID_USER" ] || chown "$LAB_SQUID_USER:" "$LAB_LOGS/marks.log"
lab_start_squid INTERCEPT_HTTP_PORT="192.0.2.1:$HTTP_PORT" \
    INTERCEPT_HTTPS_PORT="192.0.2.1:$HTTPS_PORT" || lab_fatal "squid did not start"
log=$LAB_ACCESS_LOG

# c_curl ARGS...: curl in the client namespace, no proxy, names pinned to the origin IP.
c_curl() {
    in_c "$CURL" -sS --max-time 30 --noproxy '*' --cacert "$LAB_INSPECT_CA" \
        --resolve "good.test:443:$ORIGIN" --resolve "bypass.test:443:$ORIGIN" \
        --resolve "terminate.test:443:$ORIGIN" --resolve "good.test:80:$ORIGIN" "$@"
}
# c_cert SNI|- IP: the leaf certificate the client namespace gets from IP:443 (PEM).
c_cert() {
    local sni=(-servername "$1")
    [ "$1" = - ] && sni=(-noservername)
    in_c timeout 30 "$OPENSSL" s_client "${sni[@]}" -connect "$2:443" </dev/null 2>/dev/null |
        "$OPENSSL" x509 2>/dev/null
}
# o_cert SNI|- IP: the same, asked by the gateway itself (not redirected): the origin's own.
o_cert() {
    local sni=(-servername "$1")
    [ "$1" = - ] && sni=(-noservername)
    timeout 30 "$OPENSSL" s_client "${sni[@]}" -connect "$2:443" </dev/null 2>/dev/null |
        "$OPENSSL" x509 2>/dev/null
}
fp_re='^([0-9A-F]{2}:){31}[0-9A-F]{2}$'

# --- bumped with SNI ---
code=$(c_curl -o "$LAB_DIR/good.body" -w '%{http_code}' "https://good.test/echo")
lab_assert_eq "intercepted good.test (no proxy setting) answers 200" 200 "$code"
lab_assert_match "the origin got the decrypted request" '^GET /echo HTTP/1.1' \
    "$(head -n1 "$LAB_DIR/good.body" 2>/dev/null)"
lab_assert_eq "intercepted good.test: certificate issued by the inspection CA" \
    "$("$OPENSSL" x509 -noout -subject -nameopt RFC2253 -in "$LAB_INSPECT_CA" | sed 's/^subject=//')" \
    "$(c_cert good.test "$ORIGIN" | lab_cert_issuer)"
lab_assert_log "inspect-bump decided the intercepted connection (step 2, by SNI)" "$LAB_CACHE_LOG" \
    'inspect-bump\[[0-9]+\] INFO: decision client=192\.0\.2\.10 .*server=good\.test action=inspect '
lab_assert_log "inspect-bump judged the made-up CONNECT on the destination IP" "$LAB_CACHE_LOG" \
    "decision \\(CONNECT check\\) client=192\\.0\\.2\\.10 .*server=${ORIGIN//./\\.} action=inspect "
lab_assert_log "access log: intercepted good.test bumped, request through ICAP" "$log" \
    "GET https://good\\.test/echo .* bump=bump sni=\"good\\.test\" tls=inspect:[^ ]* .*icap=\"[^\"-][^\"]*\""
lab_assert_log "access log: the made-up CONNECT names the original destination IP" "$log" \
    "CONNECT ${ORIGIN//./\\.}:443 .* sni=\"good\\.test\""

lab_assert_log "the intercepted connection is marked allowed once its CONNECT passed http_access" \
    "$LAB_LOGS/marks.log" "^192\\.0\\.2\\.10 CONNECT ${ORIGIN//./\\.}:443 allowed=yes\$"

# --- bytes that are not TLS on intercepted port 443: refused (UNSUPPORTED_PROTOCOL=respond) ---
got=$(in_c "$PYTHON3" -c "import socket
s = socket.create_connection(('$ORIGIN', 443), timeout=10)
s.sendall(b'GET / HTTP/1.1\\r\\nHost: good.test\\r\\n\\r\\n')
print(len(s.recv(4096)))" 2>&1)
lab_assert_eq "plain HTTP to intercepted port 443: closed without a byte" 0 "$got"
lab_assert_log "access log: the intercepted non-TLS connection refused:not-tls" "$log" \
    "CONNECT ${ORIGIN//./\\.}:443 .* fail=refused:not-tls "

# --- bypass by SNI ---
origin_fp=$(o_cert bypass.test "$ORIGIN" | lab_cert_fp)
lab_assert_match "origin's bypass.test fingerprint was read" "$fp_re" "$origin_fp"
lab_assert_eq "intercepted bypass.test: the origin's own certificate (fingerprint)" \
    "$origin_fp" "$(c_cert bypass.test "$ORIGIN" | lab_cert_fp)"
code=$(in_c "$CURL" -sS --max-time 30 --noproxy '*' --cacert "$LAB_ORIGIN_ROOT" \
    --resolve "bypass.test:443:$ORIGIN" -o /dev/null -w '%{http_code}' https://bypass.test/)
lab_assert_eq "intercepted bypass.test answers 200 trusting only the origin root" 200 "$code"
lab_assert_log "access log: bypass.test spliced" "$log" \
    "CONNECT ${ORIGIN//./\\.}:443 .* bump=splice sni=\"bypass\\.test\" tls=bypass:lab-bypass:"
lab_assert_no_log "bypass.test never decrypted" "$log" 'https://bypass\.test'

# --- terminate ---
code=$(c_curl -o /dev/null -w '%{http_code}' "https://terminate.test/")
lab_assert_eq "intercepted terminate.test: no HTTP answer" 000 "$code"
lab_assert_log "access log: terminate.test terminated" "$log" \
    'bump=terminate sni="terminate\.test"'
lab_assert_no_log "terminate.test never reached the origin" "$LAB_LOGS/origin.log" 'sni=terminate\.test'

# --- clients without SNI: decided on the destination IP ---
lab_assert_eq "no SNI to $ORIGIN: bumped (certificate of the inspection CA)" \
    "$("$OPENSSL" x509 -noout -subject -nameopt RFC2253 -in "$LAB_INSPECT_CA" | sed 's/^subject=//')" \
    "$(c_cert - "$ORIGIN" | lab_cert_issuer)"
origin_fp=$(o_cert - "$ORIGIN_NOSNI_BYPASS" | lab_cert_fp)
lab_assert_match "origin's no-SNI fingerprint was read" "$fp_re" "$origin_fp"
lab_assert_eq "no SNI to $ORIGIN_NOSNI_BYPASS (a bypass rule names the IP): the origin's own certificate" \
    "$origin_fp" "$(c_cert - "$ORIGIN_NOSNI_BYPASS" | lab_cert_fp)"
lab_assert_log "access log: the no-SNI connection to $ORIGIN_NOSNI_BYPASS spliced, sni=-" "$log" \
    "CONNECT ${ORIGIN_NOSNI_BYPASS//./\\.}:443 .* bump=splice sni=\"-\" tls=bypass:lab-bypass:.* connect=lab-bypass "

# --- OCSP-revoked origin refused ---
code=$(c_curl --resolve "revoked.test:443:$ORIGIN" -o /dev/null -w '%{http_code}' "https://revoked.test/")
lab_assert_ne "intercepted revoked.test is not served" 200 "$code"
lab_assert_log "access log: revoked.test refused as revoked" "$log" 'sni="revoked\.test" .*rev=revoked '
lab_assert_log "the OCSP responder in the internet namespace was asked by the gateway" "$LAB_LOGS/ocsp.log" \
    '^ocspd: client=198\.51\.100\.1 '
lab_assert_no_log "revoked.test: no request reached the origin" "$LAB_LOGS/origin.log" \
    'sni=revoked\.test .*"GET '

# --- plain HTTP on port 80 through REQMOD ---
code=$(c_curl -o "$LAB_DIR/plain.body" -w '%{http_code}' "http://good.test/echo")
lab_assert_eq "intercepted plain http://good.test/echo answers 200" 200 "$code"
lab_assert_log "access log: plain HTTP request through ICAP" "$log" \
    "GET http://good\\.test/echo .*icap=\"[^\"-][^\"]*\""

# --- UDP 443 (QUIC) dropped, other UDP forwarded ---
lab_spawn udp "$LAB_LOGS/udp.log" ip netns exec "$GW_I" "$PYTHON3" -u -c '
import socket, sys
socks = []
for p in (443, 4433):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", p)); socks.append(s)
print("udp: ready", flush=True)
import select
while True:
    r, _, _ = select.select(socks, [], [])
    for s in r:
        d, a = s.recvfrom(2048)
        print("udp: got port=%d from=%s" % (s.getsockname()[1], a[0]), flush=True)
'
lab_wait_log "$LAB_LOGS/udp.log" '^udp: ready' 10 || lab_fail "UDP listener did not start"
for p in 443 4433; do
    in_c "$PYTHON3" -c "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(3): s.sendto(b'quic?', ('$ORIGIN', $p))"
done
lab_assert_log "UDP to port 4433 crosses the gateway" "$LAB_LOGS/udp.log" '^udp: got port=4433 ' 10
lab_assert_no_log "UDP to port 443 (QUIC) never reaches the internet" "$LAB_LOGS/udp.log" \
    '^udp: got port=443 '
lab_assert_match "the gateway's UDP 443 drop rule counted the packets" 'counter packets [1-9]' \
    "$(nft list chain inet si_gateway forward)"

# --- UNSUPPORTED_PROTOCOL=tunnel: the guard lets an allowed intercepted connection through ---
lab_stop squid
lab_start_squid INTERCEPT_HTTP_PORT="192.0.2.1:$HTTP_PORT" INTERCEPT_HTTPS_PORT="192.0.2.1:$HTTPS_PORT" \
    UNSUPPORTED_PROTOCOL=tunnel || lab_fatal "squid did not restart with UNSUPPORTED_PROTOCOL=tunnel"
in_c "$PYTHON3" -c "import socket
s = socket.create_connection(('$ORIGIN_NOSNI_BYPASS', 443), timeout=10)
s.sendall(b'GET / HTTP/1.1\\r\\nHost: good.test\\r\\n\\r\\n')
s.recv(4096)" >/dev/null 2>&1
lab_assert_log "non-TLS bytes on an allowed intercepted connection tunnelled (fail=failed-open:not-tls)" \
    "$log" "CONNECT ${ORIGIN_NOSNI_BYPASS//./\\.}:443 .* fail=failed-open:not-tls "

# --- no DNS anywhere but the gateway's own loopback ---
lab_assert_log "Squid's only name server is the gateway namespace's 127.0.0.1" "$LAB_CACHE_LOG" \
    'Adding nameserver 127\.0\.0\.1 '
lab_assert_no_log "Squid never added another name server" "$LAB_CACHE_LOG" \
    'Adding nameserver ([^1]|1[^2]|12[^7])'
lab_assert_squid_log_clean "cache.log: no warning or error from Squid" \
    'ERROR: failure while accepting a TLS connection'
lab_done
