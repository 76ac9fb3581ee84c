#!/bin/sh
# ocsp_fixtures.sh DIR: makes a throw-away test PKI, OCSP responses and CRLs in DIR with the openssl
# command-line tool (nothing is committed; run by tests/unit/test_ocsp_verify at test time, and by
# tests/fuzz/make-seeds.sh). The PKI is made with the lab's functions, tests/e2e/lib/pki.sh.
#
#   root/ca.crt  Test Root CA            int/ca.crt  Test Intermediate CA (issues the leaves)
#   int/good.crt int/revoked.crt (revoked, keyCompromise)  int/unknown.crt (not in the index)
#   int/ocsp.crt delegated responder with OCSPSigning EKU
#   evil/        another root and responder (wrong signer); imp/ same name as int, other key
#   req_*.der    OCSP requests; resp_*.der responses; *.crl DER CRLs (see the list at the end)
# Environment: OCSP_PORT, CRL_PORT, DEAD_PORT (127.0.0.1 ports written into the leaves' AIA/CDP;
# default 9, where nothing answers). Extra leaves for live tests: crlonly (CDP only), deadocsp
# (AIA pointing at DEAD_PORT, CDP normal), nothing (neither pointer).
set -eu
D=$1
OCSP_PORT=${OCSP_PORT:-9} CRL_PORT=${CRL_PORT:-9} DEAD_PORT=${DEAD_PORT:-9}
. "$(cd "$(dirname "$0")/../e2e/lib" && pwd)/pki.sh"
rm -rf "$D"
mkdir -p "$D"
cd "$D"
CDP="crlDistributionPoints  = URI:http://127.0.0.1:$CRL_PORT/int.crl"
pki_cnf 30
pki_leaf_ext v3_leaf "authorityInfoAccess    = OCSP;URI:http://127.0.0.1:$OCSP_PORT/ocsp" "$CDP"
pki_leaf_ext v3_crlonly "$CDP"
pki_leaf_ext v3_deadocsp "authorityInfoAccess    = OCSP;URI:http://127.0.0.1:$DEAD_PORT/ocsp" "$CDP"
pki_leaf_ext v3_nothing
pki_leaf_ext v3_staple "tlsfeature             = status_request"
issue() { pki_issue "$1" "$1/$2" "$3" "$4" "/CN=$2.test"; } # cadir name ext san
pki_newca root
pki_selfsign root "/CN=Test Root CA"
pki_intermediate root int "/CN=Test Intermediate CA"
issue int good v3_leaf DNS:good.test
issue int revoked v3_leaf DNS:revoked.test
issue int staple v3_staple DNS:staple.test
issue int ocsp v3_ocsp DNS:ocsp.test
issue int crlonly v3_crlonly DNS:crlonly.test
issue int crlrev v3_crlonly DNS:crlrev.test
issue int deadocsp v3_deadocsp DNS:deadocsp.test
issue int nothing v3_nothing DNS:nothing.test
pki_revoke int int/crlrev.crt
pki_revoke int int/revoked.crt
# A leaf the responder has never heard of: signed by int, not in its index.
pki_key int/unknown.key
"$OPENSSL" req -new -key int/unknown.key -subj "/CN=unknown.test" -out int/unknown.csr
"$OPENSSL" x509 -req -in int/unknown.csr -CA int/ca.crt -CAkey int/ca.key -set_serial 0x1234 \
    -days 30 -out int/unknown.crt 2>/dev/null
# Another root with its own delegated responder; and an impostor with int's name but another key.
pki_newca evil
pki_selfsign evil "/CN=Evil Root CA"
issue evil ocsp v3_ocsp DNS:evil-ocsp.test
pki_newca imp
pki_selfsign imp "/CN=Test Intermediate CA"

req() { # out cert [nonce]
    if [ "${3:-}" = nonce ]; then n=-nonce; else n=-no_nonce; fi
    "$OPENSSL" ocsp -issuer int/ca.crt -cert "$2" $n -reqout "$1" >/dev/null
}
resp() { # req out signer-cert signer-key [extra...]
    r=$1 o=$2 c=$3 k=$4; shift 4
    "$OPENSSL" ocsp -index int/index.txt -CA int/ca.crt -rsigner "$c" -rkey "$k" -reqin "$r" \
        -respout "$o" "$@" >/dev/null 2>&1
}
req req_good.der int/good.crt
req req_revoked.der int/revoked.crt
req req_unknown.der int/unknown.crt
req req_nonce_a.der int/good.crt nonce
req req_nonce_b.der int/good.crt nonce
resp req_good.der resp_good.der int/ocsp.crt int/ocsp.key -nmin 60
resp req_revoked.der resp_revoked.der int/ocsp.crt int/ocsp.key -nmin 60
resp req_unknown.der resp_unknown.der int/ocsp.crt int/ocsp.key -nmin 60
resp req_good.der resp_wrong_signer.der evil/ocsp.crt evil/ocsp.key -nmin 60
resp req_good.der resp_no_eku.der int/good.crt int/good.key -nmin 60
resp req_good.der resp_by_ca_no_next.der int/ca.crt int/ca.key
resp req_nonce_b.der resp_nonce_b.der int/ocsp.crt int/ocsp.key -nmin 60
head -c 200 resp_good.der > resp_truncated.der
"$OPENSSL" rand 300 > resp_garbage.der
# CRLs: current (revoked listed), expired, and signed by the impostor.
pki_crl int int.crl.pem int.crl
pki_crl int int_expired.crl.pem int_expired.crl -crl_lastupdate 20200101000000Z \
    -crl_nextupdate 20200108000000Z
pki_crl imp imp.crl.pem imp.crl
echo ok > done
