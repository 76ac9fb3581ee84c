#!/bin/bash
# t_error_pages.sh: the pages users get when inspection refuses something, at the HTTP level:
# markup in a URL and in a host name shows up as text (block page, terminate page, Squid's
# access-denied page, ICAP-failure page), the block page answers non-browser clients with
# JSON or plain text carrying the same facts, the hard-mode "revocation undetermined" page,
# the ICAP fail-closed page, and each page's reference found in the matching log line.
. "$(dirname "$0")/lib/lab.sh"
lab_require_lab
[ -x "${E2E_PKGLIBEXECDIR:-/nonexistent}/inspect-ocsp" ] || lab_skip "inspect-ocsp not installed in the staged prefix"
[ -f "${E2E_CICAPMODDIR:-/nonexistent}/srv_inspect.so" ] || lab_skip "srv_inspect.so not installed in the staged prefix"
lab_init error_pages

LAB_POLICY=$LAB_DIR/policy.xml
cat > "$LAB_POLICY" <<'EOF'
<policy xmlns="urn:squid-inspect:policy:1">
  <https-inspection default="inspect">
    <rule id="lab-terminate" action="terminate"><server-name>terminate.test</server-name></rule>
    <rule id="lab-bypass" action="bypass"><server-name>bypass.test</server-name></rule>
  </https-inspection>
  <security-policy default="allow">
    <rule id="no-blocked" action="block" reason="Blocked area"><path glob="/blocked*"/></rule>
  </security-policy>
</policy>
EOF
LAB_CICAP_EXTRA='inspect.AdminContact Help <i>desk</i> & co'
MARKUP_HOST='<b>x<b>.test'          # no "/": it stays one host name for Squid
LAB_TERMINATE_NAMES="terminate.test"
lab_start_all ADMIN_CONTACT=helpdesk@corp.test || lab_fatal "the lab did not start"

# raw PORT [AUTHORITY SNI]: send stdin through Squid (after CONNECT AUTHORITY and TLS with SNI
# when given, trusting the inspection CA), print the whole response.
cat > "$LAB_DIR/raw.py" <<'EOF'
import socket, ssl, sys
port = int(sys.argv[1]); req = sys.stdin.buffer.read()
s = socket.create_connection(('127.0.0.1', port), timeout=30)
if len(sys.argv) > 3:
    a = sys.argv[2].encode()
    s.sendall(b'CONNECT ' + a + b' HTTP/1.1\r\nHost: ' + a + b'\r\n\r\n')
    buf = b''
    while b'\r\n\r\n' not in buf:
        d = s.recv(4096)
        if not d:
            break
        buf += d
    if b' 200 ' not in buf.split(b'\r\n', 1)[0]:
        sys.stdout.buffer.write(buf)
        sys.exit(0)
    ctx = ssl.create_default_context(cafile=sys.argv[4])
    ctx.check_hostname = False
    s = ctx.wrap_socket(s, server_hostname=sys.argv[3])
s.sendall(req)
out = b''
while True:
    try:
        d = s.recv(65536)
    except (OSError, ssl.SSLError):
        break
    if not d:
        break
    out += d
sys.stdout.buffer.write(out)
EOF
raw() { timeout 60 "$PYTHON3" "$LAB_DIR/raw.py" "$LAB_SQUID_PORT" "$@"; }
# no_markup DESC FILE: the page contains none of the injected elements as markup.
no_markup() {
    if grep -Eq '<(b|i|script)>' "$2"; then lab_fail "$1: markup rendered: $(grep -Eo '.{0,40}<(b|i|script)>.{0,40}' "$2" | head -n1)"
    else lab_pass "$1: no injected markup"; fi
}
ref_of() { grep -o "$1" "$2" | head -n1; }
O=$LAB_DIR/out; mkdir -p "$O"
TLS_URL_BASE="https://good.test:$LAB_ORIGIN_PORT"

# --- the block page: URL and host with markup; contact with markup --------------------------
lab_curl -H 'Accept: text/html' -o "$O/block-url.html" "$TLS_URL_BASE/blocked/<script>alert(1)</script>"
lab_assert_match "block page: URL shown as text" '&lt;script&gt;alert\(1\)&lt;/script&gt;' "$(cat "$O/block-url.html")"
lab_assert_match "block page: contact shown as text" 'Help &lt;i&gt;desk&lt;/i&gt; &amp; co' "$(cat "$O/block-url.html")"
no_markup "block page (URL)" "$O/block-url.html"
printf 'GET http://%s:%s/blocked HTTP/1.1\r\nHost: %s\r\nAccept: text/html\r\nConnection: close\r\n\r\n' \
    "$MARKUP_HOST" "$LAB_ORIGIN_PLAIN_PORT" "$MARKUP_HOST" | raw > "$O/block-host.html"
lab_assert_match "block page: status" '^HTTP/1.1 403' "$(head -n1 "$O/block-host.html")"
lab_assert_match "block page: host shown as text" '<strong>&lt;b&gt;x&lt;b&gt;\.test</strong>' "$(cat "$O/block-host.html")"
no_markup "block page (host)" "$O/block-host.html"
ref=$(ref_of 'si-[0-9a-f]*-[0-9a-f]*-[0-9]*' "$O/block-host.html")
lab_assert_log "block page: its reference is in the service's log" "$LAB_LOGS/cicap-server.log" "inspect: ref=$ref .*action=blocked"

# --- the block page for non-browser clients: same facts, JSON or plain text ------------------
lab_curl -H 'Accept: application/json' -D "$O/json.h" -o "$O/block.json" "$TLS_URL_BASE/blocked/api?q=<x>"
lab_assert_match "JSON: content type" '^Content-Type: application/json' "$(tr -d '\r' < "$O/json.h" | grep -i '^content-type')"
if "$PYTHON3" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["blocked"] and d["rule"]=="no-blocked" and d["reason"]=="Blocked area" and d["ref"].startswith("si-") and d["time"].endswith(" GMT") and d["contact"]=="Help <i>desk</i> & co" and d["url"].endswith("/blocked/api?q=<x>")' "$O/block.json"; then
    lab_pass "JSON: rule, reason, URL, reference, time and contact"
else lab_fail "JSON body: $(cat "$O/block.json")"; fi
lab_assert_no_log "JSON: no raw markup characters" "$O/block.json" '[<>]'
lab_curl -H 'Accept: */*' -D "$O/text.h" -o "$O/block.txt" "$TLS_URL_BASE/blocked/tool"
lab_assert_match "text: content type" '^Content-Type: text/plain' "$(tr -d '\r' < "$O/text.h" | grep -i '^content-type')"
lab_assert_match "text: rule and reason" 'Blocked by policy rule no-blocked: Blocked area' "$(cat "$O/block.txt")"
lab_assert_match "text: time" 'Time: [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT' "$(cat "$O/block.txt")"
lab_assert_match "text: reference and contact" 'Reference: si-.*Contact: Help <i>desk</i> & co' "$(tr '\n' ' ' < "$O/block.txt")"

# --- Squid's access-denied page: host and URL with markup ----------------------------------
# A plain request to a port outside Safe_ports (443 here) is denied on every version.
printf 'GET http://%s:443/x HTTP/1.1\r\nHost: %s:443\r\nAccept: text/html\r\nConnection: close\r\n\r\n' \
    "$MARKUP_HOST" "$MARKUP_HOST" | raw > "$O/denied-get.html"
lab_assert_match "denied page (GET): status" '^HTTP/1.1 403' "$(head -n1 "$O/denied-get.html")"
lab_assert_match "denied page (GET): host shown as text" '<strong>&lt;b&gt;x&lt;b&gt;\.test</strong>' "$(cat "$O/denied-get.html")"
no_markup "denied page (GET host)" "$O/denied-get.html"
ref=$(ref_of 'sq-[0-9.]*-[0-9]*' "$O/denied-get.html")
lab_assert_log "denied page (GET): its reference is in the access log" "$LAB_ACCESS_LOG" "TCP_DENIED/403 [0-9]+ GET .* ref=${ref//./\\.}\$"
# A CONNECT to such a host: Squid 5 and 6 deny it (CONNECT to 443, outside SSL_ports) with
# the access-denied page; Squid 7 refuses the host name itself (400 ERR_INVALID_URL: it checks
# the characters of a CONNECT's host) before any access check, and logs the host URL-encoded.
printf 'GET /x HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\nConnection: close\r\n\r\n' | raw "$MARKUP_HOST:443" x.test "$LAB_INSPECT_CA" > "$O/denied.html"
no_markup "denied page (CONNECT host)" "$O/denied.html"
ref=$(ref_of 'sq-[0-9.]*-[0-9]*' "$O/denied.html")
case $LAB_SQUID_MAJOR in
5|6)
    lab_assert_match "denied page (CONNECT): status" '^HTTP/1.1 403' "$(head -n1 "$O/denied.html")"
    lab_assert_match "denied page (CONNECT): host shown as text" '<strong>&lt;b&gt;x&lt;b&gt;\.test</strong>' "$(cat "$O/denied.html")"
    lab_assert_log "denied page (CONNECT): its reference is in the access log" "$LAB_ACCESS_LOG" \
        "TCP_DENIED/.* CONNECT .* ref=${ref//./\\.}\$" ;;
*)
    lab_assert_match "invalid-URL page (CONNECT): status" '^HTTP/1.1 400' "$(head -n1 "$O/denied.html")"
    lab_assert_match "invalid-URL page (CONNECT): ERR_INVALID_URL" '^X-Squid-Error: ERR_INVALID_URL ' "$(cat "$O/denied.html")"
    # no transaction id yet: the log has "-" after the time, the page nothing
    lab_assert_log "invalid-URL page (CONNECT): its reference is in the access log" "$LAB_ACCESS_LOG" \
        "NONE_NONE/400 .* %3Cb%3Ex%3Cb%3E\\.test:443 .* err=ERR_INVALID_URL/.* ref=${ref//./\\.}-?\$" ;;
esac

# --- terminate page ------------------------------------------------------------------------
lab_curl -H 'Accept: text/html' -o "$O/terminate.html" -w '%{http_code}' "https://terminate.test:$LAB_ORIGIN_PORT/<i>p</i>" > "$O/terminate.code"
lab_assert_eq "terminate page: 403" 403 "$(cat "$O/terminate.code")"
lab_assert_match "terminate page: words and host" 'Connections to this site are not allowed.*terminate\.test' "$(tr '\n' ' ' < "$O/terminate.html")"
no_markup "terminate page" "$O/terminate.html"
ref=$(ref_of 'sq-[0-9.]*-[0-9]*' "$O/terminate.html")
lab_assert_log "terminate page: its reference is on the CONNECT line" "$LAB_ACCESS_LOG" \
    "TCP_DENIED/[0-9]+ .*CONNECT terminate\\.test:[0-9]+ .* ref=${ref//./\\.}\$"

# text_page NAME URL ERE-OF-FIRST-LINE: a client without text/html in Accept gets plain text.
text_page() {
    lab_curl -k -H 'Accept: application/json, */*' -D "$O/$1.h" -o "$O/$1.txt" "$2"
    local t; t=$(cat "$O/$1.txt")
    lab_assert_match "$1 (API client): text/plain" '^Content-Type: text/plain' "$(tr -d '\r' < "$O/$1.h" | grep -i '^content-type')"
    lab_assert_match "$1 (API client): what and why" "^Refused by the HTTPS inspection proxy: $3" "$t"
    lab_assert_match "$1 (API client): time" 'Time: [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT' "$t"
    lab_assert_match "$1 (API client): contact" 'Contact: helpdesk@corp\.test' "$t"
    lab_assert_no_log "$1 (API client): no HTML" "$O/$1.txt" '<'
    local r; r=$(ref_of 'sq-[0-9.]*-[0-9]*' "$O/$1.txt")
    lab_assert_log "$1 (API client): its reference is on the refused request's line" "$LAB_ACCESS_LOG" \
        "TCP_DENIED_REPLY/[0-9]+ .* ref=${r//./\\.}\$"
}
text_page terminate-text "https://terminate.test:$LAB_ORIGIN_PORT/api/<i>x</i>" 'connections to this site are not allowed'
lab_assert_match "terminate (API client): URL escaped" 'Address: https://terminate\.test:[0-9]+/api/&lt;i&gt;x&lt;/i&gt;' "$(cat "$O/terminate-text.txt")"
text_page revoked-text "https://revoked.test:$LAB_ORIGIN_PORT/api" "the site's certificate was not accepted"
lab_assert_match "revoked (API client): certificate error" 'Certificate error: X509_V_ERR_CERT_REVOKED' "$(cat "$O/revoked-text.txt")"

# --- revocation undetermined, hard mode (OCSP refused, CRL server stopped) -------------------
lab_stop squid
sed -i 's|^  <security-policy |  <certificate-validation revocation="hard"/>\n&|' "$LAB_POLICY"
lab_start_squid ADMIN_CONTACT=helpdesk@corp.test ||
    lab_fatal "squid did not restart with revocation=\"hard\" in the policy"
lab_stop crl
lab_curl -k -H 'Accept: text/html' -o "$O/hard.html" "https://deadocsp.test:$LAB_ORIGIN_PORT/"
t=$(tr '\n' ' ' < "$O/hard.html")
lab_assert_match "hard mode: certificate page" "The site's certificate was not accepted" "$t"
lab_assert_match "hard mode: reason in words" 'could not be confirmed that the site.s certificate \(/CN=deadocsp\.test\) has not been revoked' "$t"
lab_assert_match "hard mode: error code" 'X509_V_ERR_(OCSP_VERIFY_NEEDED|UNABLE_TO_GET_CRL)' "$t"
lab_assert_match "hard mode: contact" 'helpdesk@corp\.test' "$t"
ref=$(ref_of 'sq-[0-9.]*-[0-9]*' "$O/hard.html")
lab_assert_log "hard mode: its reference is on the CONNECT line" "$LAB_ACCESS_LOG" \
    "CONNECT deadocsp\\.test:[0-9]+ .* ref=${ref//./\\.}\$"

# --- ICAP service down, bypass=off: the fail-closed page --------------------------------------
lab_stop cicap
printf 'GET /<i>p</i> HTTP/1.1\r\nHost: good.test:%s\r\nAccept: text/html\r\nConnection: close\r\n\r\n' "$LAB_ORIGIN_PORT" |
    raw "good.test:$LAB_ORIGIN_PORT" good.test "$LAB_INSPECT_CA" > "$O/icap.html"
t=$(tr '\n' ' ' < "$O/icap.html")
lab_assert_match "ICAP down: 500" '^HTTP/1.1 500' "$t"
text_page icap-text "https://good.test:$LAB_ORIGIN_PORT/api" 'the security check is not available'
lab_assert_match "ICAP down (API client): error" 'Error: ERR_ICAP_FAILURE' "$(cat "$O/icap-text.txt")"
lab_assert_match "ICAP down: words" 'The security check is not available' "$t"
lab_assert_match "ICAP down: URL shown as text" "good\\.test:$LAB_ORIGIN_PORT/&lt;i&gt;p&lt;/i&gt;" "$t"
no_markup "ICAP-failure page (URL)" "$O/icap.html"
ref=$(ref_of 'sq-[0-9.]*-[0-9]*' "$O/icap.html")
lab_assert_log "ICAP down: its reference is on the GET line" "$LAB_ACCESS_LOG" \
    "NONE_NONE/500 .* GET https://good\\.test:[0-9]+/<i>p</i> .* ref=${ref//./\\.}\$"
printf 'GET http://%s:%s/x HTTP/1.1\r\nHost: %s\r\nAccept: text/html\r\nConnection: close\r\n\r\n' \
    "$MARKUP_HOST" "$LAB_ORIGIN_PLAIN_PORT" "$MARKUP_HOST" | raw > "$O/icap-host.html"
lab_assert_match "ICAP down: host shown as text" '<strong>&lt;b&gt;x&lt;b&gt;\.test</strong>' "$(cat "$O/icap-host.html")"
no_markup "ICAP-failure page (host)" "$O/icap-host.html"
lab_done
