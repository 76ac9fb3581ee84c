#!/bin/bash
# valgrind_helpers.sh: both helpers under `valgrind --leak-check=full` over a test stream, in
# Squid's framing on stdin, until EOF (as when Squid stops them):
#   inspect-certgen: forged certificates for the lab's leaves (mimicked), repeats (cache hits),
#                    with and without channel IDs, and malformed requests (BH/ERR expected);
#   inspect-ocsp:    cert_validate for good, revoked, CRL-only, dead-responder, expired and
#                    untrusted chains against the lab's live OCSP responder and CRL server,
#                    plus malformed bodies.
# Clean means: valgrind reports 0 errors and no definitely/indirectly lost bytes ("possibly
# lost" is listed, not counted: OpenSSL's and glibc's thread caches show up there).
#   bench/valgrind_helpers.sh [ROUNDS=3]      (needs a staged, unsanitized build: make check)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${1:-3}
: "${E2E_PREFIX:=$top/tests/e2e/_stage/usr/local}"
export E2E_PREFIX
libexec=$E2E_PREFIX/libexec/squid-inspect
for h in inspect-certgen inspect-ocsp; do
    [ -x "$libexec/$h" ] || { echo "valgrind_helpers: $libexec/$h missing (run make check)" >&2; exit 2; }
    if ldd "$libexec/$h" | grep -q libasan; then
        echo "valgrind_helpers: $h is built with ASan; valgrind needs the plain build" >&2; exit 2
    fi
done
command -v valgrind >/dev/null || { echo "valgrind_helpers: apt-get install valgrind" >&2; exit 2; }
. "$top/tests/e2e/lib/lab.sh"
lab_init valgrind >/dev/null
lab_pki && lab_start_ocsp && lab_start_crl_http || { echo "lab did not start" >&2; exit 1; }
P=$LAB_PKI
frame() { # ID CODE BODY-FILE
    printf '%s%s %d ' "${1:+$1 }" "$2" "$(stat -c %s "$3")"; cat "$3"; printf '\n'
}

# --- certgen stream ---
s=$LAB_DIR/certgen.stream; : > "$s"
i=0
for r in $(seq 1 "$ROUNDS"); do
    for leaf in good wild expired untrusted crlonly selfsigned; do
        b=$LAB_DIR/b.$i
        { printf 'host=%s.test\nSign=signTrusted\nSignHash=sha256\n' "$leaf"
          cat "$P/inspect/ca.pem" "$P/inspect/ca.key"; printf ' '
          openssl x509 -in "$P/leaf/$leaf.crt"; } > "$b"
        if [ $((i % 2)) -eq 0 ]; then frame "" new_certificate "$b" >> "$s"; else frame "$i" new_certificate "$b" >> "$s"; fi
        i=$((i + 1))
    done
done
printf 'new_certificate 12 host=a.test\n\n' >> "$s"                          # no PEM part
printf 'new_certificate 40 host=a.test\n-----BEGIN CERTIFICATE-----\n' >> "$s" # truncated PEM
printf 'new_certificate 5 ab\n' >> "$s"                                     # length beyond the body
printf 'new_certificate 3 abc\n' >> "$s"

# --- validator stream ---
v=$LAB_DIR/ocsp.stream; : > "$v"
vbody() { # NAME LEAF [ERROR]
    { printf 'host=%s\nproto_version=TLSv1.3\ncipher=TLS_AES_128_GCM_SHA256\n' "$1"
      printf 'cert_0='; openssl x509 -in "$P/leaf/$2.crt"
      printf 'cert_1='; openssl x509 -in "$P/int/ca.crt"
      [ -z "${3:-}" ] || printf 'error_name_0=%s\nerror_cert_0=cert_0\n' "$3"; } > "$LAB_DIR/vb"
}
j=0
for r in $(seq 1 "$ROUNDS"); do
    for pair in good.test:good revoked.test:revoked crlonly.test:crlonly deadocsp.test:deadocsp \
                expired.test:expired:X509_V_ERR_CERT_HAS_EXPIRED untrusted.test:untrusted:X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY; do
        IFS=: read -r name leaf err <<<"$pair"
        vbody "$name" "$leaf" "$err"
        frame "$j" cert_validate "$LAB_DIR/vb" >> "$v"
        j=$((j + 1))
    done
done
printf '%s cert_validate 9 host=x\nzz\n' "$j" >> "$v"
printf '%s cert_validate 5 ab\n' "$((j + 1))" >> "$v"
printf 'garbage without framing\n' >> "$v"

db=$LAB_DIR/ssl_db
"$libexec/inspect-certgen" -c -s "$db" -M 4MB >/dev/null 2>&1
status=0
run() { # NAME CMD...
    local name=$1; shift
    local log=$LAB_DIR/$name.valgrind
    valgrind --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect \
        --error-exitcode=99 --log-file="$log" "$@" > "$LAB_DIR/$name.out" 2> "$LAB_DIR/$name.err"
    local rc=$?
    local replies errs def ind pos
    replies=$(tr -cd '\001' < "$LAB_DIR/$name.out" | wc -c)
    errs=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$log" | tail -n 1)
    def=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$log" | tail -n 1)
    ind=$(sed -n 's/.*indirectly lost: \([0-9,]*\) bytes.*/\1/p' "$log" | tail -n 1)
    pos=$(sed -n 's/.*possibly lost: \([0-9,]*\) bytes.*/\1/p' "$log" | tail -n 1)
    echo "$name: exit $rc, $replies replies, valgrind errors ${errs:-?}, definitely lost ${def:-0} B, indirectly lost ${ind:-0} B, possibly lost ${pos:-0} B"
    if [ "$rc" -ne 0 ] || [ "${errs:-1}" != 0 ]; then
        status=1
        sed -n '/lost in loss record/,/^==[0-9]*== $/p; /Invalid\|uninitialised/,/^==[0-9]*== $/p' "$log" | head -60
    fi
}
run certgen "$libexec/inspect-certgen" -s "$db" -M 4MB < "$s"
run ocsp "$libexec/inspect-ocsp" --no-policy --ca-file="$LAB_ORIGIN_ROOT" --ocsp-timeout=2s --crl-timeout=3s < "$v"
echo "streams: $i certgen requests + 4 malformed; $j validator requests + 3 malformed"
exit $status
