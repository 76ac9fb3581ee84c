#!/bin/bash
# t_origin_strict.sh: the upstream handshake is as strict as a current browser's, whatever the
# platform's OpenSSL defaults. The fragment's tls_outgoing_options (cipher list, @SECLEVEL=2)
# and the validator refuse:
#   sha1.test     leaf signed with SHA-1          -> X509_V_ERR_CA_MD_TOO_WEAK
#   rsa1024.test  RSA-1024 leaf key               -> X509_V_ERR_EE_KEY_TOO_SMALL
#   dhe.test      TLS 1.2, DHE-1024 suites only   -> handshake refused (no shared cipher)
#   cnonly.test   CN, no subjectAltName           -> X509_V_ERR_HOSTNAME_MISMATCH from inspect-ocsp
# each with its reason on the page and in the access log; good.test still passes.
# Control: the same Squid with one more line after the fragment, "tls_outgoing_options
# cipher=DEFAULT:@SECLEVEL=1" (what a platform at security level 1 amounts to), serves the
# RSA-1024 and DHE-1024 origins: the level the fragment pins is what refuses them (SHA-1 stays
# refused: OpenSSL 3 rates it below level 1). (Squid
# 5.7 does not take the level from a system-wide OPENSSL_CONF here: such a file lowering it to 1
# left Squid at Debian's built-in 2. When Squid peeks, it also replaces the cipher list by the
# one the client offered, but the security level stays.)
. "$(dirname "$0")/lib/lab.sh"
. "$(dirname "$0")/ocsp_lab.sh"
lab_require_lab
lab_init origin_strict
lab_pki || lab_fatal "no lab PKI"
P=$LAB_PKI
# The weak origins: openssl s_server at security level 0 (origin.py's Python cannot load them).
(cd "$P" && . "$LAB_LIB/pki.sh" &&
    pki_issue int leaf/sha1 v3_leaf DNS:sha1.test /CN=sha1.test -md sha1 &&
    (umask 077; "$OPENSSL" genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out leaf/rsa1024.key 2>/dev/null) &&
    "$OPENSSL" req -new -key leaf/rsa1024.key -subj /CN=rsa1024.test -out leaf/rsa1024.csr &&
    SAN=DNS:rsa1024.test CADIR=int "$OPENSSL" ca -batch -notext -config pki.cnf -extensions v3_leaf \
        -cert int/ca.crt -keyfile int/ca.key -in leaf/rsa1024.csr -out leaf/rsa1024.crt 2>/dev/null &&
    (umask 077; "$OPENSSL" genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out leaf/dhe.key 2>/dev/null) &&
    "$OPENSSL" req -new -key leaf/dhe.key -subj /CN=dhe.test -out leaf/dhe.csr &&
    SAN=DNS:dhe.test CADIR=int "$OPENSSL" ca -batch -notext -config pki.cnf -extensions v3_leaf \
        -cert int/ca.crt -keyfile int/ca.key -in leaf/dhe.csr -out leaf/dhe.crt 2>/dev/null &&
    "$OPENSSL" dhparam -out dh1024.pem 1024 2>/dev/null) >> "$LAB_LOGS/mkpki.log" 2>&1 ||
    lab_fatal "cannot make the weak origins' certificates"
lab_assert_match "the lab's sha1.test leaf is signed with SHA-1" 'sha1WithRSAEncryption|ecdsa-with-SHA1' \
    "$("$OPENSSL" x509 -in "$P/leaf/sha1.crt" -noout -text)"
lab_assert_match "the lab's dhe.test parameters are 1024 bits" '1024 bit' \
    "$("$OPENSSL" dhparam -in "$P/dh1024.pem" -noout -text 2>&1 | head -1)"
weak() { # NAME EXTRA-S_SERVER-ARGS... -> sets PORT_NAME
    local name=$1 port; shift
    port=$(lab_free_port) || return 1
    lab_spawn "weak-$name" "$LAB_LOGS/weak-$name.log" "$OPENSSL" s_server -www \
        -accept "127.0.0.1:$port" -cert "$P/leaf/$name.crt" -key "$P/leaf/$name.key" \
        -cert_chain "$P/int/ca.crt" "$@"
    lab_wait_port "$port" 20 "$LAB_PID" || return 1
    printf -v "PORT_${name}" '%s' "$port"
}
weak sha1 -cipher 'DEFAULT:@SECLEVEL=0' && weak rsa1024 -cipher 'DEFAULT:@SECLEVEL=0' &&
    weak dhe -no_tls1_3 -cipher 'DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:@SECLEVEL=0' \
        -dhparam "$P/dh1024.pem" || lab_fatal "the weak origins did not start"
lab_assert_match "dhe.test's origin works for a client that accepts DHE-1024 (TLS 1.2)" \
    '(Server|Peer) Temp Key: DH, 1024 bits' \
    "$("$OPENSSL" s_client -connect "127.0.0.1:$PORT_dhe" -tls1_2 -cipher 'DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0' </dev/null 2>&1)"
ports="$PORT_sha1 $PORT_rsa1024 $PORT_dhe"
export LAB_EXTRA_HOSTS="sha1.test rsa1024.test dhe.test"
export LAB_SQUID_PRE="acl SSL_ports port $ports
acl Safe_ports port $ports"
ocsp_use_validator '<?xml version="1.0"?>
<policy xmlns="urn:squid-inspect:policy:1">
  <certificate-validation revocation="soft" ocsp-timeout="3s" crl="fallback"/>
</policy>' || lab_fatal "validator wrapper"
for step in lab_start_ocsp lab_start_crl_http lab_start_origin lab_start_cicap; do
    "$step" || lab_fatal "$step failed"
done
lab_start_squid || lab_fatal "squid did not start"

fetch() { # NAME URL -> http code; body (the HTML page) in $LAB_DIR/NAME.body
    lab_curl -H 'Accept: text/html' -o "$LAB_DIR/$1.body" -w '%{http_code}' "$2" 2>/dev/null
}
page() { tr -d '\r' < "$LAB_DIR/$1.body"; }

lab_assert_eq "good.test still served" 200 "$(fetch good.test "$(lab_url good.test /page.html)")"

# --- SHA-1-signed leaf ---
lab_assert_eq "sha1.test (SHA-1-signed leaf) refused" 503 "$(fetch sha1.test "https://sha1.test:$PORT_sha1/")"
lab_assert_match "sha1.test: the page names the weak signature" 'X509_V_ERR_CA_MD_TOO_WEAK' "$(page sha1.test)"
lab_assert_log "sha1.test: the access log names it" "$LAB_ACCESS_LOG" \
    'GET https://sha1\.test:[0-9]+/ .*cert_errors="[^"]*X509_V_ERR_CA_MD_TOO_WEAK@depth=0[^"]*" .* fail=failed-closed:origin-tls '

# --- RSA-1024 leaf ---
lab_assert_eq "rsa1024.test (RSA-1024 leaf) refused" 503 "$(fetch rsa1024.test "https://rsa1024.test:$PORT_rsa1024/")"
lab_assert_match "rsa1024.test: the page names the small key" 'X509_V_ERR_EE_KEY_TOO_SMALL|[Kk]ey too small' "$(page rsa1024.test)"
lab_assert_log "rsa1024.test: the access log names it" "$LAB_ACCESS_LOG" \
    'GET https://rsa1024\.test:[0-9]+/ .*(cert_errors="[^"]*X509_V_ERR_EE_KEY_TOO_SMALL@depth=0|err=ERR_SECURE_CONNECT_FAIL/[^ ]*(KEY_TOO_SMALL|key too small)).* fail=failed-closed:origin-tls '

# --- DHE-1024 only (TLS 1.2) ---
lab_assert_eq "dhe.test (DHE-1024 suites only) refused" 503 "$(fetch dhe.test "https://dhe.test:$PORT_dhe/")"
lab_assert_match "dhe.test: the page says the TLS handshake failed" \
    'SQUID_TLS_ERR_CONNECT|SQUID_ERR_SSL_HANDSHAKE|handshake failure' "$(page dhe.test)"
lab_assert_log "dhe.test: the access log says the origin's TLS handshake failed" "$LAB_ACCESS_LOG" \
    'GET https://dhe\.test:[0-9]+/ .* fail=failed-closed:origin-tls err=ERR_SECURE_CONNECT_FAIL/(SQUID_TLS_ERR_CONNECT|SQUID_ERR_SSL_HANDSHAKE)\+TLS_LIB_ERR='
lab_assert_log "dhe.test: the origin saw no cipher it could share" "$LAB_LOGS/weak-dhe.log" \
    'no shared cipher|handshake failure'

# --- CN-only leaf ---
lab_assert_eq "cnonly.test (no subjectAltName) refused" 503 "$(fetch cnonly.test "$(lab_url cnonly.test /page.html)")"
lab_assert_match "cnonly.test: the page names the error and says why" \
    'X509_V_ERR_HOSTNAME_MISMATCH' "$(page cnonly.test)"
lab_assert_match "cnonly.test: ... in words" 'subjectAltName' "$(page cnonly.test)"
lab_assert_log "cnonly.test: the access log names it" "$LAB_ACCESS_LOG" \
    'GET https://cnonly\.test:[0-9]+/page\.html .*cert_errors="X509_V_ERR_HOSTNAME_MISMATCH@depth=0" .* fail=failed-closed:origin-tls '
lab_assert_log "cnonly.test: cache.log says why" "$LAB_CACHE_LOG" \
    'inspect-ocsp.*refused host=cnonly\.test: certificate without subjectAltName'

# --- control: security level 1 after the fragment lets the weak origins through ---
lab_stop squid
LAB_SQUID_EXTRA='tls_outgoing_options cipher=DEFAULT:@SECLEVEL=1' lab_start_squid ||
    lab_fatal "squid (control) did not start"
# OpenSSL 3 rates SHA-1 signatures at 63 bits: refused at level 1 too (it takes level 0).
lab_assert_eq "control, level 1: sha1.test still refused (SHA-1 needs level 0 in OpenSSL 3)" 503 \
    "$(fetch sha1-l1 "https://sha1.test:$PORT_sha1/")"
lab_assert_eq "control, level 1: rsa1024.test served" 200 "$(fetch rsa1024-l1 "https://rsa1024.test:$PORT_rsa1024/")"
lab_assert_eq "control, level 1: dhe.test served" 200 "$(fetch dhe-l1 "https://dhe.test:$PORT_dhe/")"
lab_done
