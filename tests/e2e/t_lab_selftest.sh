#!/bin/bash
# t_lab_selftest.sh: the lab itself keeps its promises (tests/e2e/README), without Squid:
# every name gets the intended certificate from the origin, the OCSP responder and the CRLs
# know revoked.test, the special leaves have the extensions they claim, and the origin's
# endpoints return what they say.
. "$(dirname "$0")/lib/lab.sh"
lab_require "$OPENSSL" "$PYTHON3" "$CURL" setsid timeout
lab_init lab_selftest
for step in lab_pki lab_start_ocsp lab_start_crl_http lab_start_origin; do
    "$step" || lab_fatal "$step failed"
done
P=$LAB_PKI

# --- certificates as served, verified by curl against the origin root ---
for n in good.test www.good.test bypass.test a.wild.test 127.0.0.1 crlonly.test deadocsp.test revoked.test; do
    code=$(lab_curl_direct -o /dev/null -w '%{http_code}' "$(lab_url "$n" /)" 2>/dev/null)
    lab_assert_eq "$n: valid chain from the origin" 200 "$code"
done
for n in expired.test wronghost.test selfsigned.test untrusted.test aia.test; do
    lab_curl_direct -o /dev/null "$(lab_url "$n" /)" 2>/dev/null
    lab_assert_eq "$n: rejected by a client trusting the origin root (curl exit 60)" 60 "$?"
done
lab_assert_match "wronghost.test is served the other-name.test leaf" 'DNS:other-name\.test' \
    "$(lab_origin_cert wronghost.test | "$OPENSSL" x509 -noout -ext subjectAltName)"
lab_assert_match "expired.test's leaf expired in 2020" 'notAfter=.*2020' \
    "$(lab_origin_cert expired.test | "$OPENSSL" x509 -noout -enddate)"
lab_assert_eq "untrusted.test is issued by the untrusted root" "$(lab_cert_subject < "$P/untrusted/ca.crt")" \
    "$(lab_origin_cert untrusted.test | lab_cert_issuer)"
lab_assert_eq "127.0.0.1 (no SNI) gets the IP leaf" "$(lab_cert_fp < "$P/leaf/ip.crt")" \
    "$(lab_origin_cert 127.0.0.1 | lab_cert_fp)"

# --- revocation infrastructure ---
ocsp() { "$OPENSSL" ocsp -issuer "$P/int/ca.crt" -cert "$P/leaf/$1.crt" -url "http://127.0.0.1:$LAB_OCSP_PORT/" \
    -CAfile "$LAB_ORIGIN_ROOT" -timeout 10 2>&1; }
lab_assert_match "OCSP: good.test is good (signed response verified)" "good\.crt: good" "$(ocsp good)"
lab_assert_match "OCSP: revoked.test is revoked" "revoked\.crt: revoked" "$(ocsp revoked)"
lab_assert_match "OCSP signer has the OCSPSigning EKU" 'OCSP Signing' \
    "$("$OPENSSL" x509 -in "$P/ocsp/ocsp.crt" -noout -ext extendedKeyUsage)"
lab_assert_eq "good.test's OCSP URL is the lab responder" "http://127.0.0.1:$LAB_OCSP_PORT/" \
    "$("$OPENSSL" x509 -in "$P/leaf/good.crt" -noout -ocsp_uri)"
lab_assert_eq "crlonly.test has no OCSP URL" "" "$("$OPENSSL" x509 -in "$P/leaf/crlonly.crt" -noout -ocsp_uri)"
lab_assert_match "crlonly.test has a CRL distribution point" "127\.0\.0\.1:$LAB_CRL_PORT/int\.crl" \
    "$("$OPENSSL" x509 -in "$P/leaf/crlonly.crt" -noout -ext crlDistributionPoints)"
lab_assert_eq "deadocsp.test's OCSP URL is the dead port" "http://127.0.0.1:$LAB_DEAD_PORT/" \
    "$("$OPENSSL" x509 -in "$P/leaf/deadocsp.crt" -noout -ocsp_uri)"
if (exec 3<>"/dev/tcp/127.0.0.1/$LAB_DEAD_PORT") 2>/dev/null; then
    lab_fail "something listens on the dead port $LAB_DEAD_PORT"
else lab_pass "nothing listens on the dead port"; fi
crl() { "$OPENSSL" verify -CAfile "$LAB_ORIGIN_ROOT" -untrusted "$P/int/ca.crt" -crl_check -crl_download \
    "$P/leaf/$1.crt" 2>&1; }
lab_assert_match "CRL (downloaded from the CRLDP): revoked.test is revoked" 'certificate revoked' "$(crl revoked)"
lab_assert_match "CRL (downloaded from the CRLDP): crlonly.test is fine" ': OK$' "$(crl crlonly)"
lab_assert_eq "AIA caIssuers serves the intermediate (DER)" "$(lab_cert_fp < "$P/int/ca.crt")" \
    "$("$CURL" -sS --noproxy '*' "http://127.0.0.1:$LAB_CRL_PORT/int.der" | "$OPENSSL" x509 -inform DER | lab_cert_fp)"
lab_assert_eq "inspection CA key is mode 600" 600 "$(stat -c %a "$LAB_INSPECT_KEY")"

# --- origin endpoints ---
U=$(lab_url good.test)
lab_assert_match "/echo returns the request headers it got" '^X-Lab-Probe: 42' \
    "$(lab_curl_direct -H 'X-Lab-Probe: 42' "${U}echo" | tr -d '\r')"
n=3000001
want=$(lab_curl_direct "${U}bytes-sha256?n=$n&seed=7")
lab_assert_eq "/bytes matches /bytes-sha256" "$want" \
    "$(lab_curl_direct "${U}bytes?n=$n&seed=7" | sha256sum | cut -d' ' -f1)"
lab_assert_match "/bytes sends X-Body-SHA256" "X-Body-SHA256: $want" \
    "$(lab_curl_direct -I "${U}bytes?n=$n&seed=7" | tr -d '\r')"
head -c 1000000 /dev/urandom > "$LAB_DIR/upload"
lab_assert_eq "/post returns the sha256 of the body" \
    "sha256=$(sha256sum < "$LAB_DIR/upload" | cut -d' ' -f1) length=1000000" \
    "$(lab_curl_direct --data-binary @"$LAB_DIR/upload" "${U}post")"
lab_assert_eq "/exe starts with MZ" MZ "$(lab_curl_direct "${U}exe" | head -c 2)"
lab_assert_match "/exe is labelled text/plain" '^Content-Type: text/plain' \
    "$(lab_curl_direct -D- -o /dev/null "${U}exe" | tr -d '\r')"
lab_assert_match "/gzip.html is gzip-encoded" '^Content-Encoding: gzip' \
    "$(lab_curl_direct -D- -o /dev/null "${U}gzip.html" | tr -d '\r')"
lab_assert_match "/gzip.html decodes to HTML" '<html>' "$(lab_curl_direct --compressed "${U}gzip.html")"
lab_assert_eq "plain-HTTP port serves the same endpoints" 404 \
    "$(lab_curl_direct -o /dev/null -w '%{http_code}' "$(lab_plain_url good.test /status/404)")"
lab_done
