#!/bin/sh
# ocsp_fixtures.sh DIR: makes a throw-away test PKI, OCSP responses and CRLs in DIR with the openssl
# command-line tool (nothing is committed; run by tests/unit/test_ocsp_verify at test time).
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
export OCSP_PORT CRL_PORT DEAD_PORT
rm -rf "$D"
mkdir -p "$D"
cd "$D"
cat > pki.cnf <<'EOF'
[ ca ]
default_ca = CA_default
[ CA_default ]
dir              = $ENV::CADIR
database         = $dir/index.txt
new_certs_dir    = $dir/newcerts
serial           = $dir/serial
crlnumber        = $dir/crlnumber
default_md       = sha256
default_days     = 30
default_crl_days = 7
policy           = policy_any
unique_subject   = no
copy_extensions  = none
[ policy_any ]
commonName = supplied
[ v3_root ]
basicConstraints       = critical,CA:TRUE
keyUsage               = critical,keyCertSign,cRLSign
subjectKeyIdentifier   = hash
[ v3_int ]
basicConstraints       = critical,CA:TRUE,pathlen:0
keyUsage               = critical,keyCertSign,cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
[ v3_leaf ]
basicConstraints       = critical,CA:FALSE
keyUsage               = critical,digitalSignature
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
subjectAltName         = $ENV::SAN
authorityInfoAccess    = OCSP;URI:http://127.0.0.1:$ENV::OCSP_PORT/ocsp
crlDistributionPoints  = URI:http://127.0.0.1:$ENV::CRL_PORT/int.crl
[ v3_crlonly ]
basicConstraints       = critical,CA:FALSE
keyUsage               = critical,digitalSignature
extendedKeyUsage       = serverAuth
subjectAltName         = $ENV::SAN
crlDistributionPoints  = URI:http://127.0.0.1:$ENV::CRL_PORT/int.crl
[ v3_deadocsp ]
basicConstraints       = critical,CA:FALSE
keyUsage               = critical,digitalSignature
extendedKeyUsage       = serverAuth
subjectAltName         = $ENV::SAN
authorityInfoAccess    = OCSP;URI:http://127.0.0.1:$ENV::DEAD_PORT/ocsp
crlDistributionPoints  = URI:http://127.0.0.1:$ENV::CRL_PORT/int.crl
[ v3_nothing ]
basicConstraints       = critical,CA:FALSE
keyUsage               = critical,digitalSignature
extendedKeyUsage       = serverAuth
subjectAltName         = $ENV::SAN
[ v3_staple ]
basicConstraints       = critical,CA:FALSE
keyUsage               = critical,digitalSignature
extendedKeyUsage       = serverAuth
subjectAltName         = $ENV::SAN
tlsfeature             = status_request
[ v3_ocsp ]
basicConstraints       = critical,CA:FALSE
keyUsage               = critical,digitalSignature
extendedKeyUsage       = critical,OCSPSigning
noCheck                = ignored
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
EOF
export SAN=DNS:unused
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
cadir() { mkdir -p "$1/newcerts"; : > "$1/index.txt"; echo 1000 > "$1/crlnumber"; openssl rand -hex 8 > "$1/serial"; }
selfsigned() { # dir CN
    cadir "$1"; key "$1/ca.key"
    CADIR=$1 openssl req -new -x509 -config pki.cnf -extensions v3_root -key "$1/ca.key" \
        -days 365 -subj "/CN=$2" -out "$1/ca.crt"
}
issue() { # cadir name ext san [subject-dir]
    key "$1/$2.key"
    openssl req -new -key "$1/$2.key" -subj "/CN=$2.test" -out "$1/$2.csr"
    SAN=$4 CADIR=$1 openssl ca -batch -config pki.cnf -extensions "$3" -cert "$1/ca.crt" \
        -keyfile "$1/ca.key" -in "$1/$2.csr" -out "$1/$2.crt" -notext 2>/dev/null
}
selfsigned root "Test Root CA"
cadir int; key int/ca.key
openssl req -new -key int/ca.key -subj "/CN=Test Intermediate CA" -out int/ca.csr
CADIR=root openssl ca -batch -config pki.cnf -extensions v3_int -cert root/ca.crt \
    -keyfile root/ca.key -in int/ca.csr -out int/ca.crt -notext 2>/dev/null
issue int good v3_leaf DNS:good.test
issue int revoked v3_leaf DNS:revoked.test
issue int staple v3_staple DNS:staple.test
issue int ocsp v3_ocsp DNS:ocsp.test
issue int crlonly v3_crlonly DNS:crlonly.test
issue int crlrev v3_crlonly DNS:crlrev.test
issue int deadocsp v3_deadocsp DNS:deadocsp.test
issue int nothing v3_nothing DNS:nothing.test
CADIR=int openssl ca -config pki.cnf -revoke int/crlrev.crt -crl_reason keyCompromise \
    -cert int/ca.crt -keyfile int/ca.key 2>/dev/null
CADIR=int openssl ca -config pki.cnf -revoke int/revoked.crt -crl_reason keyCompromise \
    -cert int/ca.crt -keyfile int/ca.key 2>/dev/null
# A leaf the responder has never heard of: signed by int, not in its index.
key int/unknown.key
openssl req -new -key int/unknown.key -subj "/CN=unknown.test" -out int/unknown.csr
openssl x509 -req -in int/unknown.csr -CA int/ca.crt -CAkey int/ca.key -set_serial 0x1234 \
    -days 30 -out int/unknown.crt 2>/dev/null
# Another root with its own delegated responder; and an impostor with int's name but another key.
selfsigned evil "Evil Root CA"
issue evil ocsp v3_ocsp DNS:evil-ocsp.test
selfsigned imp "Test Intermediate CA"

req() { # out cert [nonce]
    if [ "${3:-}" = nonce ]; then n=-nonce; else n=-no_nonce; fi
    openssl ocsp -issuer int/ca.crt -cert "$2" $n -reqout "$1" >/dev/null
}
resp() { # req out signer-cert signer-key [extra...]
    r=$1 o=$2 c=$3 k=$4; shift 4
    openssl ocsp -index int/index.txt -CA int/ca.crt -rsigner "$c" -rkey "$k" -reqin "$r" \
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
openssl rand 300 > resp_garbage.der
# CRLs: current (revoked listed), expired, and signed by the impostor.
crl() { # cadir out [extra...]
    c=$1 o=$2; shift 2
    CADIR=$c openssl ca -config pki.cnf -gencrl -cert "$c/ca.crt" -keyfile "$c/ca.key" \
        -out "$o.pem" "$@" 2>/dev/null
    openssl crl -in "$o.pem" -outform DER -out "$o"
}
crl int int.crl
crl int int_expired.crl -crl_lastupdate 20200101000000Z -crl_nextupdate 20200108000000Z
crl imp imp.crl
echo ok > done
