#!/bin/bash
# mkpki.sh: a fresh test PKI for the end-to-end lab (never committed; made at every lab start).
#
#   mkpki.sh DIR OCSP_PORT CRL_PORT DEAD_PORT
#
# The ports are baked into the certificates: OCSP_PORT is the responder (lab_start_ocsp),
# CRL_PORT the plain HTTP server for CRLs and AIA caIssuers (lab_start_crl_http), DEAD_PORT
# a port nothing listens on (deadocsp.test's OCSP URL). EC P-256 keys keep it fast (< 1 s).
# Layout (all under DIR; tests/e2e/README describes every name):
#   root/ca.crt           origin root CA (what Squid trusts for origins)
#   int/ca.crt            origin intermediate CA; int/index.txt is the OCSP responder's database
#   leaf/NAME.crt .key    leaf certificates; leaf/NAME.chain.pem = what the origin sends
#   untrusted/ca.crt      a root nobody trusts (signs untrusted.test)
#   ocsp/ocsp.crt .key    OCSP signing certificate (EKU OCSPSigning, issued by int)
#   www/                  int.crl root.crl (DER), int.der (AIA caIssuers), served over HTTP
#   inspect/ca.pem .key   demo inspection CA (key mode 0600)
#   origin.map            "server-name leaf" lines for origin.py ("-" = no SNI)
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: $0 DIR OCSP_PORT CRL_PORT DEAD_PORT" >&2; exit 2; }
D=$1 OCSP_PORT=$2 CRL_PORT=$3 DEAD_PORT=$4
OPENSSL=${OPENSSL:-openssl}
mkdir -p "$D" && cd "$D"
umask 022
AIA_OCSP="OCSP;URI:http://127.0.0.1:$OCSP_PORT/"
CA_ISSUERS="caIssuers;URI:http://127.0.0.1:$CRL_PORT/int.der"
CRLDP="URI:http://127.0.0.1:$CRL_PORT/int.crl"
cat > pki.cnf <<CNF
[ ca ]
default_ca = CA_default
[ CA_default ]
dir              = \$ENV::CADIR
database         = \$dir/index.txt
new_certs_dir    = \$dir/newcerts
serial           = \$dir/serial
crlnumber        = \$dir/crlnumber
default_md       = sha256
default_days     = 90
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
crlDistributionPoints  = URI:http://127.0.0.1:$CRL_PORT/root.crl
[ v3_leaf ]
basicConstraints       = critical,CA:FALSE
keyUsage               = critical,digitalSignature
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
subjectAltName         = \$ENV::SAN
authorityInfoAccess    = $AIA_OCSP,$CA_ISSUERS
crlDistributionPoints  = $CRLDP
[ v3_leaf_crlonly ]
basicConstraints       = critical,CA:FALSE
keyUsage               = critical,digitalSignature
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
subjectAltName         = \$ENV::SAN
crlDistributionPoints  = $CRLDP
[ v3_leaf_deadocsp ]
basicConstraints       = critical,CA:FALSE
keyUsage               = critical,digitalSignature
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
subjectAltName         = \$ENV::SAN
authorityInfoAccess    = OCSP;URI:http://127.0.0.1:$DEAD_PORT/,$CA_ISSUERS
crlDistributionPoints  = $CRLDP
[ v3_leaf_plain ]
basicConstraints       = critical,CA:FALSE
keyUsage               = critical,digitalSignature
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
subjectAltName         = \$ENV::SAN
[ v3_ocsp ]
basicConstraints       = critical,CA:FALSE
keyUsage               = critical,digitalSignature
extendedKeyUsage       = critical,OCSPSigning
noCheck                = ignored
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
[ v3_inspect ]
basicConstraints       = critical,CA:TRUE
keyUsage               = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier   = hash
CNF
export SAN=DNS:unused            # every "openssl ca" expands \$ENV::SAN, even when unused
key() { (umask 077; "$OPENSSL" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null); }
newca() { mkdir -p "$1/newcerts"; : > "$1/index.txt"; echo 1000 > "$1/crlnumber"
          "$OPENSSL" rand -hex 16 > "$1/serial"; key "$1/ca.key"; }
selfsign() { # DIR SUBJECT
    CADIR=$1 "$OPENSSL" req -new -x509 -config pki.cnf -extensions v3_root -key "$1/ca.key" \
        -days 3650 -subj "$2" -out "$1/ca.crt"; }
# issue CADIR NAME EXT SAN [extra openssl ca args]: leaf/NAME.{key,crt}
issue() { local cadir=$1 name=$2 ext=$3 san=$4; shift 4
    key "leaf/$name.key"
    "$OPENSSL" req -new -key "leaf/$name.key" -subj "/CN=${san#*:}" -out "leaf/$name.csr"
    SAN=$san CADIR=$cadir "$OPENSSL" ca -batch -notext -config pki.cnf -extensions "$ext" \
        -cert "$cadir/ca.crt" -keyfile "$cadir/ca.key" -in "leaf/$name.csr" \
        -out "leaf/$name.crt" "$@" 2>/dev/null
    rm -f "leaf/$name.csr"; }
mkdir -p leaf www ocsp inspect
newca root; selfsign root "/O=squid-inspect lab/CN=Lab Origin Root CA"
newca int
"$OPENSSL" req -new -key int/ca.key -subj "/O=squid-inspect lab/CN=Lab Origin Intermediate CA" -out int/ca.csr
CADIR=root "$OPENSSL" ca -batch -notext -config pki.cnf -extensions v3_int -days 1825 \
    -cert root/ca.crt -keyfile root/ca.key -in int/ca.csr -out int/ca.crt 2>/dev/null
newca untrusted; selfsign untrusted "/O=squid-inspect lab/CN=Lab Untrusted Root CA"

issue int good       v3_leaf          "DNS:good.test,DNS:www.good.test"
issue int bypass     v3_leaf          "DNS:bypass.test"
issue int revoked    v3_leaf          "DNS:revoked.test"
issue int expired    v3_leaf          "DNS:expired.test" -startdate 20200101000000Z -enddate 20200201000000Z
issue int wronghost  v3_leaf          "DNS:other-name.test"
issue int crlonly    v3_leaf_crlonly  "DNS:crlonly.test"
issue int deadocsp   v3_leaf_deadocsp "DNS:deadocsp.test"
issue int wild       v3_leaf          "DNS:*.wild.test"
issue int ip         v3_leaf          "IP:127.0.0.1"
issue int aia        v3_leaf          "DNS:aia.test"
issue untrusted untrusted v3_leaf_plain "DNS:untrusted.test"
key leaf/selfsigned.key
"$OPENSSL" req -new -x509 -key leaf/selfsigned.key -days 90 -subj "/CN=selfsigned.test" \
    -addext "subjectAltName=DNS:selfsigned.test" -addext "basicConstraints=critical,CA:FALSE" \
    -addext "extendedKeyUsage=serverAuth" -out leaf/selfsigned.crt

# OCSP signer (delegated responder certificate, issued by the intermediate).
key ocsp/ocsp.key
"$OPENSSL" req -new -key ocsp/ocsp.key -subj "/CN=Lab OCSP Responder" -out ocsp/ocsp.csr
CADIR=int "$OPENSSL" ca -batch -notext -config pki.cnf -extensions v3_ocsp \
    -cert int/ca.crt -keyfile int/ca.key -in ocsp/ocsp.csr -out ocsp/ocsp.crt 2>/dev/null
rm -f ocsp/ocsp.csr int/ca.csr

# revoked.test: revoked in the intermediate's index.txt (OCSP) and in its CRL.
CADIR=int "$OPENSSL" ca -config pki.cnf -revoke leaf/revoked.crt -crl_reason keyCompromise \
    -cert int/ca.crt -keyfile int/ca.key 2>/dev/null
CADIR=int  "$OPENSSL" ca -config pki.cnf -gencrl -cert int/ca.crt  -keyfile int/ca.key  -out int/ca.crl.pem 2>/dev/null
CADIR=root "$OPENSSL" ca -config pki.cnf -gencrl -cert root/ca.crt -keyfile root/ca.key -out root/ca.crl.pem 2>/dev/null
"$OPENSSL" crl  -in int/ca.crl.pem  -outform DER -out www/int.crl
"$OPENSSL" crl  -in root/ca.crl.pem -outform DER -out www/root.crl
"$OPENSSL" x509 -in int/ca.crt      -outform DER -out www/int.der
cat int/ca.crt root/ca.crt > chain.pem

# What the origin sends: leaf + intermediate; aia.test sends its leaf alone (the client must
# fetch the intermediate via AIA caIssuers); untrusted.test sends leaf + its untrusted root.
for c in leaf/*.crt; do n=$(basename "$c" .crt); cat "$c" int/ca.crt > "leaf/$n.chain.pem"; done
cp leaf/aia.crt leaf/aia.chain.pem
cat leaf/untrusted.crt untrusted/ca.crt > leaf/untrusted.chain.pem
cp leaf/selfsigned.crt leaf/selfsigned.chain.pem

# Demo inspection CA: what Squid forges with and what clients are told to trust.
key inspect/ca.key
CADIR=inspect "$OPENSSL" req -new -x509 -config pki.cnf -extensions v3_inspect -key inspect/ca.key -days 365 \
    -subj "/O=squid-inspect lab/CN=Lab Inspection CA" -out inspect/ca.pem 2>/dev/null
chmod 600 inspect/ca.key

cat > origin.map <<MAP
good.test good
www.good.test good
bypass.test bypass
revoked.test revoked
expired.test expired
wronghost.test wronghost
selfsigned.test selfsigned
untrusted.test untrusted
crlonly.test crlonly
deadocsp.test deadocsp
*.wild.test wild
aia.test aia
- ip
MAP
