#!/bin/bash
# bench/hold-size.sh [BUILDDIR]: the largest response body srv_inspect can hold until its verdict
# through the Squid on this machine (or in a root: see bench/README), without Squid stalling.
# For each size (1 MB, 10 MB, 100 MB) the lab's origin serves a body whose last bytes are the
# blocked marker, then the same size without it, through Squid's RESPMOD to srv_inspect with
# the hold limit raised to the policy's inspection-limit (inspect.MaxResponseHoldSize 0,
# inspection-limit 200M). Each fetch prints one line:
#   squid=VERSION scheme=https|http size=N body=marker|clean result=blocked|200|stalled|... \
#       code=C bytes=B seconds=S
#   blocked   403 with the block page;  200  the whole body, intact (sha256 checked)
#   stalled   no complete answer within BENCH_T seconds (curl timed out)
#   truncated a 200 whose body is shorter than the origin's
# Needs `make check` first (staged install). Environment: BENCH_SIZES (bytes, default
# "1048576 10485760 104857600"), BENCH_T (seconds per fetch, default 60), BENCH_SCHEME (https:
# bumped, the default; http: plain; both: each), BENCH_HOLD (inspect.MaxResponseHoldSize,
# default 0 = the inspection-limit; 60K shows the 5.7 default).
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC}" && pwd)
SIZES=${BENCH_SIZES:-1048576 10485760 104857600}
T=${BENCH_T:-60}
SCHEMES=${BENCH_SCHEME:-https}
[ "$SCHEMES" != both ] || SCHEMES='https http'
HOLD=${BENCH_HOLD:-0}
: "${E2E_PREFIX:=$BUILD/tests/e2e/_stage/usr/local}"
export E2E_PREFIX
[ -f "$E2E_PREFIX/lib/c_icap/srv_inspect.so" ] ||
    { echo "hold-size: no staged install under $E2E_PREFIX: run make check first" >&2; exit 2; }
# shellcheck source=../tests/e2e/lib/lab.sh
. "$SRC/tests/e2e/lib/lab.sh"
MARKER=HOLD-SIZE-MARKER-7f3a9c

lab_init hold-size >/dev/null || exit 1
cat > "$LAB_DIR/policy.xml" <<XML
<policy xmlns="urn:squid-inspect:policy:1">
  <settings><inspection-limit size="200M" action="allow"/></settings>
  <security-policy>
    <rule id="marker" action="block" reason="marker found"><response><body-match kind="keyword">$MARKER</body-match></response></rule>
  </security-policy>
</policy>
XML
export LAB_POLICY=$LAB_DIR/policy.xml
export LAB_CICAP_EXTRA="inspect.MaxResponseHoldSize $HOLD
inspect.MaxHeldMemory 0"
lab_start_all >"$LAB_LOGS/start.out" 2>&1 || { echo "hold-size: the lab did not start (see $LAB_DIR)" >&2; LAB_KEEP=1; exit 1; }

# fetch SCHEME SIZE marker|clean: one line as above
fetch() {
    local scheme=$1 n=$2 kind=$3 path url out code bytes secs want got result
    path="/bytes?n=$n&seed=3"
    [ "$kind" = clean ] || path="$path&tail=$MARKER"
    if [ "$scheme" = https ]; then url=$(lab_url good.test "$path"); else url=$(lab_plain_url good.test "$path"); fi
    want=$(lab_curl_direct -D - -o /dev/null "$url" | tr -d '\r' | sed -n 's/^X-Body-SHA256: //Ip')
    : > "$LAB_DIR/body"
    out=$(LAB_CURL_MAXTIME=$T lab_curl -o "$LAB_DIR/body" -w '%{http_code} %{size_download} %{time_total}' "$url" 2>/dev/null)
    read -r code bytes secs <<<"$out"
    got=$(sha256sum < "$LAB_DIR/body" | cut -d' ' -f1)
    if [ "$code" = 403 ] && grep -qi "marker found\|blocked" "$LAB_DIR/body"; then result=blocked
    elif [ "$code" = 200 ] && [ "$got" = "$want" ]; then result=200
    elif [ "$code" = 200 ] && [ "${bytes:-0}" -lt "$n" ]; then
        if [ "${secs%.*}" -ge "$T" ]; then result=stalled; else result=truncated; fi
    elif [ "$code" = 000 ] || [ -z "$code" ]; then result=stalled
    else result=other
    fi
    echo "squid=$LAB_SQUID_VERSION scheme=$scheme size=$n body=$kind result=$result code=${code:-000} bytes=${bytes:-0} seconds=${secs:-?}"
    rm -f "$LAB_DIR/body"
}

echo "# hold-size: Squid $LAB_SQUID_VERSION, $(openssl version | cut -d' ' -f1-2), inspect.MaxResponseHoldSize $HOLD, BENCH_T=$T, $(uptime | sed 's/.*load/load/')"
for scheme in $SCHEMES; do
    for n in $SIZES; do
        fetch "$scheme" "$n" marker
        fetch "$scheme" "$n" clean
    done
done
