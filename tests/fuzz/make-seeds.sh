#!/bin/sh
# make-seeds.sh SRCDIR OUT: seed inputs for the fuzz targets, made from the tests' own
# generators at run time (OUT/NAME/ per target). Anything holding a private key (a certgen
# request carries the CA key) is made here, never committed. OUT/pki is the OCSP/CRL fixture
# PKI of tests/unit/ocsp_fixtures.sh (the revocation fuzzers judge for its int/good.crt).
set -eu
SRC=$1 OUT=$2
mkdir -p "$OUT"
cd "$OUT"
mkdir -p helper_io extacl crtd_request crtvd_request ocsp_response crl policy httpreq decode blockpage

sh "$SRC/tests/unit/ocsp_fixtures.sh" "$OUT/pki" >/dev/null
cp pki/resp_*.der ocsp_response/
cp pki/*.crl crl/
openssl x509 -in pki/int/good.crt -outform DER -out crl/good_cert.der

# helper framing: with and without channel IDs, a multi-line body, a bad length, trailing junk
printf 'new_certificate 5 hello\n' > helper_io/plain
printf '0 cert_validate 11 host=a\nb=c\n1 cert_validate 3 xyz\n' > helper_io/ids
printf '7 new_certificate 99999999999 x\n' > helper_io/badlen
printf '3 cert_validate 2 ab\n\001\n' > helper_io/junk

# external ACL lines (inspect-bump): with and without channel IDs, escapes, unknown "-"
printf '0 10.0.0.1 good.test 443 alice -\n1 ::1 b%%C3%%A9.test 8443 - grp%%20a\n' > extacl/ids
printf '10.0.0.1 %%zz bad\n\n%%00\n' > extacl/bad

# certgen request: a throw-away CA made now, the mimicked origin certificate
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=SeedCA \
    -days 2 -keyout ca.key -out ca.crt 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=origin.test \
    -days 2 -keyout origin.key -out origin.crt 2>/dev/null
{ printf 'host=origin.test\nSign=signTrusted\nSignHash=sha256\n'; cat ca.crt ca.key; } > crtd_request/ca_only
{ printf 'host=origin.test\nsetCommonName=origin.test\nSign=signUntrusted\n'; cat ca.crt ca.key
  printf ' '; cat origin.crt; } > crtd_request/mimic
rm -f ca.key origin.key

# validator request: the fixture chain with one error
{ printf 'host=good.test\nproto_version=TLSv1.3\ncipher=TLS_AES_128_GCM_SHA256\n'
  printf 'cert_0='; openssl x509 -in pki/int/good.crt; printf 'cert_1='; openssl x509 -in pki/int/ca.crt
  printf 'error_name_0=X509_V_ERR_CERT_UNTRUSTED\nerror_cert_0=cert_0\n'; } > crtvd_request/chain
printf 'host=\n' > crtvd_request/empty_host

cp "$SRC"/schema/examples/*.xml policy/ 2>/dev/null || true
cat > policy/minimal.xml <<'XML'
<policy xmlns="urn:squid-inspect:policy:1">
  <https-inspection default="inspect">
    <rule id="b" action="bypass"><server-name>.bank.test</server-name></rule>
  </https-inspection>
  <security-policy default="allow">
    <rule id="x" action="block"><host>bad.test</host></rule>
  </security-policy>
</policy>
XML

printf 'GET https://Www.Example.com:8443/a/b?x=1#f HTTP/1.1\n\nHTTP/1.1 200 OK\ngzip\ntext/html\n' > httpreq/abs
printf 'GET /a?x HTTP/1.1\nhost.test:80\nHTTP/1.0 404 Not Found\ndeflate\napplication/json\n' > httpreq/origin
printf 'CONNECT [::1]:443 HTTP/1.1\n[::1]\nHTTP/1.1 999\nidentity\n*/*\n' > httpreq/connect

{ printf '\000'; printf '<html>4111 1111 1111 1111</html>' | gzip -c; } > decode/gzip
"${PYTHON3:-python3}" -c 'import sys,zlib; sys.stdout.buffer.write(b"\x01"+zlib.compress(b"x"*5000))' > decode/deflate
printf '\002plain 5500 0000 0000 0004 text' > decode/identity

printf '<p>{{RULE}} {{REASON}} {{URL}} {{HOST}} {{REF}} {{X}}</p>\000r1\000a <b>reason</b>\000https://h/?a="1"\000h\000ref-1' > blockpage/full
printf '\000rule\000\000\000\000' > blockpage/builtin
echo ok
