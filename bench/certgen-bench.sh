#!/bin/sh
# Side-by-side benchmark of the certificate generators, one run, same request stream:
#   Squid's /usr/lib/squid/security_file_certgen  vs  inspect-certgen.
# Usage (from a built tree):  bench/certgen-bench.sh
# Knobs (environment):  N=1000 distinct origins for cold/warm, S=1000 requests per sample,
#   FILLS=10000,100000 cache sizes for inspect-certgen, REF_FILLS=10000 for the reference
#   (its index is re-read on every request: 100k entries would take hours), T=120 seconds
#   per phase at most, fills 6T (a phase cut short says partial=time-limit).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-1000}
S=${S:-1000}
FILLS=${FILLS:-10000,100000}
REF_FILLS=${REF_FILLS:-10000}
T=${T:-120}
REF=${REF:-/usr/lib/squid/security_file_certgen}
OURS=${OURS:-$top/certgen_helper/inspect-certgen}
LOAD=${LOAD:-$top/bench/certgen_load}

for p in "$REF" "$OURS" "$LOAD"; do
    [ -x "$p" ] || { echo "certgen-bench: $p missing (run make check first)" >&2; exit 1; }
done
work=$(mktemp -d /tmp/certgen-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM

echo "# certgen benchmark $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) cores; N=$N S=$S T=${T}s"
echo "# reference: $REF -s DIR -M 2GB   (FILLS=$REF_FILLS)"
"$REF" -c -s "$work/ref_db" -M 2GB >/dev/null 2>&1
"$LOAD" -n "$N" -f "$REF_FILLS" -s "$S" -t "$T" -- "$REF" -s "$work/ref_db" -M 2GB \
    2>"$work/ref.err" | tee "$work/ref.txt" | sed -u "s/^/ref   /"
echo "# ours: $OURS -s DIR -M 1GB   (FILLS=$FILLS)"
"$OURS" -c -s "$work/our_db" -M 1GB >/dev/null 2>&1   # like the reference: leaf keys made here
"$LOAD" -n "$N" -f "$FILLS" -s "$S" -t "$T" -- "$OURS" -s "$work/our_db" -M 1GB \
    2>"$work/ours.err" | tee "$work/ours.txt" | sed -u "s/^/ours  /"

echo "# ratio (inspect-certgen / security_file_certgen), same phase"
awk '
    function field(line, key,   i, n, kv) {
        n = split(line, kv, " ")
        for (i = 1; i <= n; i++) if (index(kv[i], key "=") == 1) return substr(kv[i], length(key) + 2)
        return ""
    }
    FNR == NR { ph = field($0, "phase"); ref_rps[ph] = field($0, "rps"); ref_p50[ph] = field($0, "p50_us"); next }
    {
        ph = field($0, "phase")
        if (ph in ref_rps && ref_rps[ph] > 0)
            printf "%-12s rps %8s vs %8s  x%.1f   p50 %6s us vs %6s us\n", ph, field($0, "rps"), ref_rps[ph], field($0, "rps") / ref_rps[ph], field($0, "p50_us"), ref_p50[ph]
        else
            printf "%-12s rps %8s (no reference figure)  p50 %6s us\n", ph, field($0, "rps"), field($0, "p50_us")
    }' "$work/ref.txt" "$work/ours.txt"
