#!/bin/bash
# bench/ocsp_bench.sh [BUILDDIR]: figures for inspect-ocsp, on the end-to-end lab's PKI, OCSP
# responder (tests/e2e/lib/ocspd.py around `openssl ocsp`) and CRL server, all on 127.0.0.1.
#
#   1. validations/s from the helper's caches (32 in flight), side by side with the same helper
#      doing no revocation at all (--revocation=off: Squid's errors passed through only);
#   2. cold validation latency (fresh helper, empty caches) against the responder's own round
#      trip (curl POST of the same OCSP request);
#   3. 200 concurrent validations, 10 of them for a certificate whose responder black-holes
#      (accepts, never answers): p99 of the other 190 against a no-fault run of 200;
#   4. with BENCH_SQUID=1: bumped HTTPS requests/s through Squid with inspect-ocsp against Squid
#      without a validator (warm caches), as a ratio.
# Needs a built tree (make check builds bench/ocsp_drive). Bounded: about a minute.
# Environment: BENCH_N (cache run size, default 20000), OCSP_TIMEOUT (default 2s).
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC}" && pwd)
HELPER=$BUILD/ocsp_helper/inspect-ocsp
DRIVE=$BUILD/bench/ocsp_drive
N=${BENCH_N:-20000}
TIMEOUT=${OCSP_TIMEOUT:-2s}
for f in "$HELPER" "$DRIVE"; do
    [ -x "$f" ] || { echo "ocsp_bench: $f missing: run make check first" >&2; exit 2; }
done
# shellcheck source=../tests/e2e/lib/lab.sh
. "${LAB_SH:-$SRC/tests/e2e/lib/lab.sh}"
lab_init ocsp-bench
lab_pki && lab_start_ocsp && lab_start_crl_http || exit 1
P=$LAB_PKI
chain() { echo "$P/leaf/$1.crt,$P/int/ca.crt,$P/root/ca.crt"; }
H=("$HELPER" --ca-file "$P/root/ca.crt" --quiet --ocsp-timeout "$TIMEOUT")
field() { sed -n "s/.*class=$1 .*$2=\([0-9.]*\).*/\1/p"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : "nan")}'; }
echo "# inspect-ocsp benchmark, $(date -u +%FT%TZ), $(nproc) cores, OpenSSL $(openssl version | cut -d' ' -f2)"

declare -A rate
echo "## 1. validations/s from cache (good.test, $N requests, 32 in flight)"
for mode in soft off; do
    cmd=("$DRIVE" -c 32 -w 1 -C "good:$N:good.test:$(chain good)" -- "${H[@]}" --revocation=$mode)
    echo "\$ ${cmd[*]}"
    out=$("${cmd[@]}") || { echo "$out"; exit 1; }
    echo "$out"
    rate[$mode]=$(echo "$out" | sed -n 's/.*rate_per_s=\([0-9.]*\).*/\1/p')
done 2>&1
echo "ratio cached-revocation / no-revocation: $(awk -v a="${rate[soft]:-0}" -v b="${rate[off]:-1}" 'BEGIN {printf "%.2f", a / b}')"

echo "## 2. cold validation latency vs responder round trip (15 runs each, medians)"
"$OPENSSL" ocsp -issuer "$P/int/ca.crt" -cert "$P/leaf/good.crt" -no_nonce \
    -reqout "$LAB_DIR/req.der" >/dev/null 2>&1
cold=$(for i in $(seq 15); do
    "$DRIVE" -c 1 -w 1 -C "warm:0:untrusted.test:$P/leaf/untrusted.crt,$P/untrusted/ca.crt" \
        -C "good:1:good.test:$(chain good)" -- "${H[@]}" | field good mean_ms
done | median)
rtt=$(for i in $(seq 15); do
    "$CURL" -s -o /dev/null -w '%{time_total}\n' -H 'Content-Type: application/ocsp-request' \
        --data-binary @"$LAB_DIR/req.der" "http://127.0.0.1:$LAB_OCSP_PORT/" |
        awk '{printf "%.3f\n", $1 * 1000}'
done | median)
echo "cold validation: ${cold} ms; responder round trip (curl POST): ${rtt} ms;" \
     "overhead: $(awk -v a="$cold" -v b="$rtt" 'BEGIN {printf "%.3f", a - b}') ms"

echo "## 3. 200 concurrent validations, one black-holed responder (3 runs each)"
lab_spawn blackhole "$LAB_LOGS/blackhole.log" "$PYTHON3" -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(512)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)   # accept and never answer
' "$LAB_DEAD_PORT"
lab_wait_port "$LAB_DEAD_PORT" 10 "$LAB_PID" || exit 1
for run in 1 2 3; do
    a=$("$DRIVE" -c 200 -w 1 -C "good:200:good.test:$(chain good)" -- "${H[@]}")
    b=$("$DRIVE" -c 200 -w 1 -C "good:190:good.test:$(chain good)" \
        -C "dead:10:deadocsp.test:$(chain deadocsp)" -- "${H[@]}")
    echo "run $run no-fault: $(echo "$a" | grep class=good)"
    echo "run $run fault:    $(echo "$b" | grep class=good)"
    echo "run $run fault:    $(echo "$b" | grep class=dead)"
done
echo "command: $DRIVE -c 200 -w 1 -C good:190:good.test:CHAIN -C dead:10:deadocsp.test:CHAIN -- ${H[*]}"

if [ "${BENCH_SQUID:-0}" = 1 ]; then
    echo "## 4. end to end through Squid: see bench/ocsp_squid_bench.sh"
fi
lab_stop_all
