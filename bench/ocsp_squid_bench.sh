#!/bin/bash
# bench/ocsp_squid_bench.sh [BUILDDIR]: bumped HTTPS connections per second through Squid 5.7
# on the lab, without a validator and with inspect-ocsp, side by side, as ratios:
#   none        no sslcrtvalidator_program (stock Squid: no revocation checking at all)
#   ocsp        inspect-ocsp, Squid's validator cache on (ttl=300, the fragment's default)
#   ocsp-ttl0   inspect-ocsp, Squid's validator cache off (ttl=0): every connection asks the
#               helper, whose own caches are warm
# Each run: a fresh lab, 20 warm-up requests, then N requests to good.test (one new client
# connection each, curl, P in parallel). Needs `make check` first (staged install).
# Environment: BENCH_N (default 400), BENCH_P (default 8), BENCH_R rounds (default 3; the
# configurations alternate within each round and medians are compared).
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC}" && pwd)
N=${BENCH_N:-400}
PAR=${BENCH_P:-8}
R=${BENCH_R:-3}
: "${E2E_PREFIX:=$BUILD/tests/e2e/_stage/usr/local}"
export E2E_PREFIX
[ -x "$E2E_PREFIX/libexec/squid-inspect/inspect-ocsp" ] ||
    { echo "ocsp_squid_bench: no staged install under $E2E_PREFIX: run make check first" >&2; exit 2; }
# shellcheck source=../tests/e2e/lib/lab.sh
. "$SRC/tests/e2e/lib/lab.sh"

# cpu_ticks squid|inspect-ocsp: user+system clock ticks of this lab's Squid worker (kid) or of
# its inspect-ocsp helpers, found from the lab's Squid pid (never by name across the machine).
cpu_ticks() {
    local master kids pids p t=0
    master=$(cat "$LAB_RUN/squid.pid" 2>/dev/null) || { echo 0; return; }
    kids=$(ps -o pid= --ppid "$master" 2>/dev/null)
    if [ "$1" = squid ]; then pids=$kids
    else pids=$(for k in $kids; do ps -o pid=,comm= --ppid "$k"; done | awk '$2 ~ /^inspect-ocsp/ {print $1}')
    fi
    for p in $pids; do
        t=$(( t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0) ))
    done
    echo "$t"
}
per_conn() { awk -v t="$1" -v n="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.3f", n ? t * 1000 / hz / n : 0}'; }

run() { # NAME VALIDATOR TTL -> prints "NAME rate"
    local name=$1 validator=$2 ttl=$3 url t0 t1
    (
        lab_init "ocsp-sq-$name" >/dev/null 2>&1
        export LAB_VALIDATOR=$validator
        if [ "$validator" != none ]; then
            mkdir -p "$LAB_DIR/bin" && chmod 755 "$LAB_DIR/bin"
            cp "$E2E_PREFIX/libexec/squid-inspect/inspect-ocsp" "$LAB_DIR/bin/" &&
                chmod 755 "$LAB_DIR/bin/inspect-ocsp"
            printf '#!/bin/sh\nexec %q --no-policy "$@"\n' "$LAB_DIR/bin/inspect-ocsp" \
                > "$LAB_DIR/bin/inspect-ocsp-lab"
            chmod 755 "$LAB_DIR/bin/inspect-ocsp-lab"
            export LAB_VALIDATOR=$LAB_DIR/bin/inspect-ocsp-lab
        fi
        for step in lab_pki lab_start_ocsp lab_start_crl_http lab_start_origin lab_start_cicap; do
            "$step" >/dev/null 2>&1 || { echo "$name: $step failed" >&2; exit 1; }
        done
        lab_start_squid VALIDATOR_TTL="$ttl" >/dev/null 2>&1 || { echo "$name: squid failed" >&2; exit 1; }
        url=$(lab_url good.test /page.html)
        export CURL LAB_SQUID_PORT LAB_INSPECT_CA url
        load() { seq "$1" | xargs -P "$PAR" -n 1 sh -c \
            '"$CURL" -s -o /dev/null -w "%{http_code}\n" --proxy "http://127.0.0.1:$LAB_SQUID_PORT" --cacert "$LAB_INSPECT_CA" "$url"'; }
        load 20 > /dev/null
        c0=$(cpu_ticks squid) h0=$(cpu_ticks inspect-ocsp)
        t0=$(date +%s%N)
        ok=$(load "$N" | grep -c '^200$')
        t1=$(date +%s%N)
        c1=$(cpu_ticks squid) h1=$(cpu_ticks inspect-ocsp)
        asked=$(grep -c "inspect-ocsp.*validation host=" "$LAB_CACHE_LOG" 2>/dev/null)
        echo "$name ok=$ok/$N elapsed_ms=$(( (t1 - t0) / 1000000 )) rate_per_s=$(awk -v n="$ok" -v ns=$((t1 - t0)) 'BEGIN {printf "%.1f", n / (ns / 1e9)}') validations_logged=$asked" \
            "squid_cpu_ms_per_conn=$(per_conn $((c1 - c0)) "$ok") validator_cpu_ms_per_conn=$(per_conn $((h1 - h0)) "$ok")"
        lab_stop_all
    )
}

echo "# Squid end to end, $(date -u +%FT%TZ), $(nproc) cores, N=$N, $PAR in parallel, $R rounds"
declare -A rates
for round in $(seq "$R"); do          # interleaved rounds: load from other processes hits all
    for spec in "none none 300" "ocsp inspect-ocsp 300" "ocsp-ttl0 inspect-ocsp 0"; do
        set -- $spec
        line=$(run "$1" "$2" "$3")
        echo "round $round: $line"
        rates[$1]="${rates[$1]:-} $(sed -n 's/.*rate_per_s=\([0-9.]*\).*/\1/p' <<<"$line")"
    done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : 0)}'; }
for k in none ocsp ocsp-ttl0; do
    echo "median $k: $(median <<<"${rates[$k]}") connections/s"
done
echo "(CPU per connection is the steadier figure on a shared machine: see the rounds above)"
for k in ocsp ocsp-ttl0; do
    echo "ratio $k/none (medians): $(awk -v a="$(median <<<"${rates[$k]}")" -v b="$(median <<<"${rates[none]}")" 'BEGIN {if (b > 0) printf "%.3f", a / b; else print "n/a"}')"
done
