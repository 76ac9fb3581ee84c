#!/bin/bash
# mkpki.sh: a fresh test PKI for the end-to-end lab (never committed; made at every lab start).
#
#   mkpki.sh DIR OCSP_PORT CRL_PORT DEAD_PORT [HOST]
#
# The ports are baked into the certificates: OCSP_PORT is the responder (lab_start_ocsp),
# CRL_PORT the plain HTTP server for CRLs and AIA caIssuers (lab_start_crl_http), DEAD_PORT
# a port nothing listens on (deadocsp.test's OCSP URL), all on HOST (default 127.0.0.1). EC P-256 keys keep it fast (< 1 s).
# Layout (all under DIR; tests/e2e/README describes every name):
#   root/ca.crt           origin root CA (what Squid trusts for origins)
#   int/ca.crt            origin intermediate CA; int/index.txt is the OCSP responder's database
#   leaf/NAME.crt .key    leaf certificates; leaf/NAME.chain.pem = what the origin sends
#   untrusted/ca.crt      a root nobody trusts (signs untrusted.test)
#   ocsp/ocsp.crt .key    OCSP signing certificate (EKU OCSPSigning, issued by int)
#   www/                  int.crl root.crl (DER), int.der int.pem (AIA caIssuers), served over HTTP
#   inspect/ca.pem .key   demo inspection CA (key mode 0600)
#   origin.map            "server-name leaf" lines for origin.py ("-" = no SNI)
set -euo pipefail
[ $# -eq 4 ] || [ $# -eq 5 ] || { echo "usage: $0 DIR OCSP_PORT CRL_PORT DEAD_PORT [HOST]" >&2; exit 2; }
D=$1 OCSP_PORT=$2 CRL_PORT=$3 DEAD_PORT=$4 H=${5:-127.0.0.1}
OPENSSL=${OPENSSL:-openssl}
. "$(cd "$(dirname "$0")" && pwd)/pki.sh"
mkdir -p "$D" && cd "$D"
umask 022
AIA_OCSP="OCSP;URI:http://$H:$OCSP_PORT/"
CA_ISSUERS="caIssuers;URI:http://$H:$CRL_PORT/int.der"
CRLDP="crlDistributionPoints  = URI:http://$H:$CRL_PORT/int.crl"
pki_cnf 90 "crlDistributionPoints  = URI:http://$H:$CRL_PORT/root.crl"
pki_leaf_ext v3_leaf "authorityInfoAccess    = $AIA_OCSP,$CA_ISSUERS" "$CRLDP"
pki_leaf_ext v3_leaf_crlonly "$CRLDP"
pki_leaf_ext v3_leaf_deadocsp \
    "authorityInfoAccess    = OCSP;URI:http://$H:$DEAD_PORT/,$CA_ISSUERS" "$CRLDP"
pki_leaf_ext v3_leaf_plain
pki_leaf_ext v3_leaf_aiapem \
    "authorityInfoAccess    = $AIA_OCSP,caIssuers;URI:http://$H:$CRL_PORT/int.pem" "$CRLDP"
cat >> pki.cnf <<CNF
[ v3_leaf_nosan ]
basicConstraints       = critical,CA:FALSE
keyUsage               = critical,digitalSignature
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
authorityInfoAccess    = $AIA_OCSP,$CA_ISSUERS
$CRLDP
CNF
cat >> pki.cnf <<'CNF'
[ v3_inspect ]
basicConstraints       = critical,CA:TRUE
keyUsage               = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier   = hash
CNF
# issue CADIR NAME EXT SAN [extra openssl ca args]: leaf/NAME.{key,crt}
issue() { local cadir=$1 name=$2 ext=$3 san=$4; shift 4
    pki_issue "$cadir" "leaf/$name" "$ext" "$san" "/CN=${san#*:}" "$@"; }
mkdir -p leaf www ocsp inspect
pki_newca root; pki_selfsign root "/O=squid-inspect lab/CN=Lab Origin Root CA"
pki_intermediate root int "/O=squid-inspect lab/CN=Lab Origin Intermediate CA" -days 1825
pki_newca untrusted; pki_selfsign untrusted "/O=squid-inspect lab/CN=Lab Untrusted Root CA"

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
issue int aiarevoked v3_leaf          "DNS:aiarevoked.test"
issue int cnonly     v3_leaf_nosan    "DNS:cnonly.test"
issue int aiapem     v3_leaf_aiapem   "DNS:aiapem.test"
issue untrusted untrusted v3_leaf_plain "DNS:untrusted.test"
pki_key leaf/selfsigned.key
"$OPENSSL" req -new -x509 -key leaf/selfsigned.key -days 90 -subj "/CN=selfsigned.test" \
    -addext "subjectAltName=DNS:selfsigned.test" -addext "basicConstraints=critical,CA:FALSE" \
    -addext "extendedKeyUsage=serverAuth" -out leaf/selfsigned.crt

# OCSP signer (delegated responder certificate, issued by the intermediate).
pki_issue int ocsp/ocsp v3_ocsp DNS:unused "/CN=Lab OCSP Responder"

# revoked.test: revoked in the intermediate's index.txt (OCSP) and in its CRL.
pki_revoke int leaf/revoked.crt
pki_revoke int leaf/aiarevoked.crt
pki_crl int int/ca.crl.pem www/int.crl
pki_crl root root/ca.crl.pem www/root.crl
"$OPENSSL" x509 -in int/ca.crt -outform DER -out www/int.der
cp int/ca.crt www/int.pem
cat int/ca.crt root/ca.crt > chain.pem

# What the origin sends: leaf + intermediate; aia.test and aiarevoked.test send their leaf alone
# (the client must fetch the intermediate via AIA caIssuers); untrusted.test sends leaf + its
# untrusted root.
for c in leaf/*.crt; do n=$(basename "$c" .crt); cat "$c" int/ca.crt > "leaf/$n.chain.pem"; done
cp leaf/aia.crt leaf/aia.chain.pem
cp leaf/aiarevoked.crt leaf/aiarevoked.chain.pem
cat leaf/untrusted.crt untrusted/ca.crt > leaf/untrusted.chain.pem
cp leaf/selfsigned.crt leaf/selfsigned.chain.pem

# Demo inspection CA: what Squid forges with and what clients are told to trust.
pki_key inspect/ca.key
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
aiarevoked.test aiarevoked
cnonly.test cnonly
- ip
MAP
