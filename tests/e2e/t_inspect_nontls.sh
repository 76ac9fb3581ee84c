#!/bin/bash
# t_inspect_nontls.sh: bytes after CONNECT that are not TLS (plain HTTP, binary, a TLS record
# header followed by garbage) follow the configured fail mode and are logged as exactly that:
# refused (UNSUPPORTED_PROTOCOL=respond, the default) with fail=refused:not-tls, or relayed to
# the origin (UNSUPPORTED_PROTOCOL=tunnel) with fail=failed-open:not-tls on the CONNECT line and
# on the tunnel's line. The bytes of a CONNECT that http_access denied are never tunnelled, and
# TLS connections (bumped, spliced, origin certificate refused) never get these words.
. "$(dirname "$0")/lib/lab.sh"
lab_require_lab
[ -x "${E2E_PKGLIBEXECDIR:-/nonexistent}/inspect-bump" ] || lab_skip "inspect-bump is not installed"
lab_init inspect_nontls
for step in lab_pki lab_start_ocsp lab_start_crl_http lab_start_origin lab_start_cicap; do
    "$step" || lab_fatal "$step failed"
done
# The plain origin port is allowed for CONNECT (as SSL_ports), so that bytes tunnelled there get
# an HTTP answer; the CRL server's port is in Safe_ports only: the lab's http_access denies a
# CONNECT to it.
LAB_SQUID_EXTRA="acl SSL_ports port $LAB_ORIGIN_PLAIN_PORT"
lab_start_squid || lab_fatal "squid did not start"
log=$LAB_ACCESS_LOG

client=$LAB_DIR/nontls-client.py
cat > "$client" <<'PY'
# nontls-client.py PROXY_PORT HOST:PORT http|binary|badtls TAG: CONNECT, then bytes that are
# not a TLS ClientHello; prints cport=, reply= (CONNECT status line), got= (bytes received
# after it), head= (their first 8 bytes, hex) and text= (their first line).
import socket, sys
port, target, mode, tag = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
s = socket.create_connection(("127.0.0.1", port), timeout=10)
print("cport=%d" % s.getsockname()[1])
s.sendall(("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target, target)).encode())
buf = b""
while b"\r\n\r\n" not in buf:
    d = s.recv(4096)
    if not d:
        break
    buf += d
head, _, rest = buf.partition(b"\r\n\r\n")
print("reply=" + head.split(b"\r\n")[0].decode("latin-1"))
if mode == "http":
    data = ("GET /page.html?nontls=%s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
            % (tag, target.split(":")[0])).encode()
elif mode == "binary":
    data = bytes(range(1, 128)) * 2
else:  # a TLS handshake record header, then a body that is no ClientHello
    body = b"\x00\xff" * 100
    data = b"\x16\x03\x01" + len(body).to_bytes(2, "big") + body
s.sendall(data)
got = rest
try:
    while len(got) < 1 << 20:
        d = s.recv(65536)
        if not d:
            break
        got += d
except OSError as e:
    print("error=%s" % e.__class__.__name__)
print("got=%d" % len(got))
print("head=" + got[:8].hex())
print("text=" + got.split(b"\r\n")[0][:80].decode("latin-1"))
PY

# send HOST:PORT MODE TAG: run the client; sets cport, reply, got, head, text.
send() {
    local out
    out=$(timeout 30 "$PYTHON3" "$client" "$LAB_SQUID_PORT" "$1" "$2" "$3" 2>&1)
    printf '%s\n' "--- $*" "$out" >> "$LAB_LOGS/nontls-client.log"
    cport=$(printf '%s\n' "$out" | sed -n 's/^cport=//p')
    reply=$(printf '%s\n' "$out" | sed -n 's/^reply=//p')
    got=$(printf '%s\n' "$out" | sed -n 's/^got=//p')
    head=$(printf '%s\n' "$out" | sed -n 's/^head=//p')
    text=$(printf '%s\n' "$out" | sed -n 's/^text=//p')
}
plain=good.test:$LAB_ORIGIN_PLAIN_PORT
tls=good.test:$LAB_ORIGIN_PORT
denied=good.test:$LAB_CRL_PORT
re_plain="good\\.test:$LAB_ORIGIN_PLAIN_PORT"
re_tls="good\\.test:$LAB_ORIGIN_PORT"
re_denied="good\\.test:$LAB_CRL_PORT"
# The method of Squid's own tunnel request (on_unsupported_protocol tunnel) in the access log:
# none ("-") on Squid 5, CONNECT on 6 and 7. Every tunnel check below names it, so a check
# that nothing was tunnelled looks for the line a tunnel really makes on this version (the
# tunnel-mode checks show that such lines match).
case $LAB_SQUID_MAJOR in
5) tm='-' ;;
6|7) tm='CONNECT' ;;
*) lab_fatal "no tunnel request method known for Squid '$LAB_SQUID_VERSION'" ;;
esac

# TLS connections never carry the non-TLS words (run in both modes).
tls_cases() { # MODE
    local code
    code=$(lab_curl -o /dev/null -w '%{http_code}' "$(lab_url good.test /page.html)")
    lab_assert_eq "$1: good.test bumped and answered" 200 "$code"
    lab_assert_log "$1: the bumped request went through ICAP, fail=-" "$log" \
        "GET https://$re_tls/page\\.html .* tls=inspect:default:default .* fail=- .*icap=\"[0-9]"
    code=$(lab_curl --cacert "$LAB_ORIGIN_ROOT" -o /dev/null -w '%{http_code}' "$(lab_url bypass.test /)")
    lab_assert_eq "$1: bypass.test spliced and answered" 200 "$code"
    lab_assert_log "$1: the spliced tunnel says fail=-" "$log" \
        'TCP_TUNNEL/[0-9]+ [0-9]+ CONNECT bypass\.test:[0-9]+ .* bump=splice .* fail=- '
    lab_curl -o /dev/null "$(lab_url expired.test /)" 2>/dev/null
    lab_assert_log "$1: an expired origin certificate is still failed-closed:origin-tls" "$log" \
        'CONNECT expired\.test:[0-9]+ .* fail=failed-closed:origin-tls err=ERR_SECURE_CONNECT_FAIL/'
    lab_assert_no_log "$1: no TLS connection (one with an SNI) is logged with a not-tls word" "$log" \
        'sni="[^"-][^"]*" .* fail=[a-z:-]*not-tls'
}

# ---- UNSUPPORTED_PROTOCOL=respond (the default): refused ----
send "$plain" http a1
lab_assert_eq "respond: the CONNECT itself is accepted" "HTTP/1.1 200 Connection established" "$reply"
lab_assert_eq "respond: plain HTTP after CONNECT gets nothing back (connection closed)" 0 "$got"
lab_assert_log "respond: plain HTTP logged refused:not-tls, naming the client and its port" "$log" \
    "^[0-9.]+ +[0-9]+ 127\\.0\\.0\\.1 NONE_NONE/200 0 CONNECT $re_plain - bump=peek .* fail=refused:not-tls err=ERR_PROTOCOL_UNKNOWN/[^ ]* cport=$cport "
send "$tls" binary a2
lab_assert_eq "respond: binary bytes get nothing back" 0 "$got"
lab_assert_log "respond: binary bytes logged refused:not-tls" "$log" \
    "CONNECT $re_tls - bump=peek .* fail=refused:not-tls err=ERR_PROTOCOL_UNKNOWN/[^ ]* cport=$cport "
send "$tls" badtls a3
lab_assert_eq "respond: a TLS record of garbage gets nothing back" 0 "$got"
lab_assert_log "respond: a TLS record of garbage logged refused:not-tls" "$log" \
    "CONNECT $re_tls - bump=peek .* fail=refused:not-tls err=ERR_PROTOCOL_UNKNOWN/[^ ]* cport=$cport "
send "$denied" http a4
lab_assert_eq "respond: a denied CONNECT with plain HTTP gets nothing back" 0 "$got"
lab_assert_log "respond: the denied CONNECT says TCP_DENIED, refused:not-tls, ERR_ACCESS_DENIED" "$log" \
    "TCP_DENIED/200 0 CONNECT $re_denied - .* fail=refused:not-tls err=ERR_ACCESS_DENIED/[^ ]* cport=$cport "
lab_assert_no_log "respond: nothing reached the origin" "$LAB_LOGS/origin.log" 'nontls=a'
lab_assert_no_log "respond: nothing reached the denied port" "$LAB_LOGS/crl-http.log" 'nontls='
lab_assert_no_log "respond: nothing was tunnelled" "$log" "TCP_TUNNEL/[0-9]+ [0-9]+ $tm good\\.test:"
tls_cases respond
lab_assert_no_log "respond: no ACL evaluated without a request (cache.log)" "$LAB_CACHE_LOG" \
    'ACL is used in context without an HTTP request'
cp "$log" "$LAB_LOGS/access-respond.log"

# ---- UNSUPPORTED_PROTOCOL=tunnel: failed open, relayed uninspected ----
lab_stop squid
: > "$log"
lab_start_squid UNSUPPORTED_PROTOCOL=tunnel || lab_fatal "squid did not restart in tunnel mode"
send "$plain" http b1
lab_assert_match "tunnel: plain HTTP after CONNECT reaches the origin and gets its answer" \
    '^HTTP/1\.[01] 200 ' "$text"
lab_assert_log "tunnel: the origin got the request" "$LAB_LOGS/origin.log" \
    '"GET /page\.html\?nontls=b1 HTTP/1\.1" 200'
lab_assert_log "tunnel: the CONNECT line says failed-open:not-tls" "$log" \
    "^[0-9.]+ +[0-9]+ 127\\.0\\.0\\.1 NONE_NONE/200 0 CONNECT $re_plain - bump=peek .* fail=failed-open:not-tls err=ERR_PROTOCOL_UNKNOWN/[^ ]* cport=$cport "
lab_assert_log "tunnel: the tunnel's own line says failed-open:not-tls (no ICAP)" "$log" \
    "^[0-9.]+ +[0-9]+ 127\\.0\\.0\\.1 TCP_TUNNEL/[0-9]+ [1-9][0-9]* $tm $re_plain - .* fail=failed-open:not-tls err=-/- cport=$cport icap=\"-\""
send "$tls" badtls b2
lab_assert_match "tunnel: a TLS record of garbage is relayed (the origin's TLS alert comes back)" \
    '^1503' "$head"
lab_assert_log "tunnel: its CONNECT line says failed-open:not-tls" "$log" \
    "CONNECT $re_tls - bump=peek .* fail=failed-open:not-tls err=ERR_PROTOCOL_UNKNOWN/[^ ]* cport=$cport "
lab_assert_log "tunnel: its tunnel line says failed-open:not-tls" "$log" \
    "TCP_TUNNEL/[0-9]+ [0-9]+ $tm $re_tls - .* fail=failed-open:not-tls .* cport=$cport "
send "$denied" http b3
lab_assert_eq "tunnel: a denied CONNECT with plain HTTP still gets nothing back" 0 "$got"
lab_assert_log "tunnel: the denied CONNECT says refused:not-tls" "$log" \
    "TCP_DENIED/200 0 CONNECT $re_denied - .* fail=refused:not-tls err=ERR_ACCESS_DENIED/[^ ]* cport=$cport "
lab_assert_no_log "tunnel: the denied CONNECT's bytes reached nobody" "$LAB_LOGS/crl-http.log" 'nontls='
lab_assert_no_log "tunnel: no tunnel to the denied port" "$log" "TCP_TUNNEL/[0-9]+ [0-9]+ $tm $re_denied "
tls_cases tunnel
lab_assert_no_log "tunnel: no ACL evaluated without a request (cache.log)" "$LAB_CACHE_LOG" \
    'ACL is used in context without an HTTP request'
cp "$log" "$LAB_LOGS/access-tunnel.log"
lab_done
