#!/bin/bash
# categories-bench.sh: loading categories from a UT1-sized category tree, side by side with
# Squid 5.7 loading the same names as dstdomain ACLs (squid -k parse), in one run.
#
#   bench/categories-bench.sh            # ~3,000,000 names in 100 categories (generated)
#   TOTAL=1000000 bench/categories-bench.sh
#
# The tree is generated locally (nothing is downloaded): DIR/<category>/domains, one name per
# line, UT1 layout. Category "adult" holds 40% of the names (as UT1's does), 9 "large" ones
# 3% each, 90 small ones the rest (bank, health and government among them). Policies:
#   few    https-inspection bypass on bank health government (what most sites do)
#   adult  a security rule on the largest category
#   all    one rule naming all 100 categories
# For each: bench/policy_load's load time and peak RSS (the whole process); for few and adult
# also `squid -k parse` with the same names as dstdomain ACLs (".name" lines) and, to subtract,
# with an empty ACL file. Needs `make check` first (builds bench/policy_load).
set -eu
cd "$(dirname "$0")/.."
TOTAL=${TOTAL:-3000000}
SQUID=${SQUID:-/usr/sbin/squid}
LOADER=bench/policy_load
[ -x "$LOADER" ] || { echo "build first: make check (bench/policy_load)" >&2; exit 2; }
W=$(mktemp -d "${TMPDIR:-/tmp}/catbench.XXXXXX")
trap 'rm -rf "$W"' EXIT
T=$W/ut1

echo "generating $TOTAL names in 100 categories under $T"
awk -v total="$TOTAL" -v dir="$T" 'BEGIN {
    n = 0
    cats[n++] = "adult"; share["adult"] = 0.40
    for (i = 1; i <= 9; i++) { c = sprintf("large%d", i); cats[n++] = c; share[c] = 0.03 }
    small[0] = "bank"; small[1] = "health"; small[2] = "government"
    for (i = 3; i < 90; i++) small[i] = sprintf("small%02d", i)
    for (i = 0; i < 90; i++) { cats[n++] = small[i]; share[small[i]] = 0.33 / 90 }
    id = 0
    for (k = 0; k < n; k++) {
        c = cats[k]; system("mkdir -p " dir "/" c); f = dir "/" c "/domains"
        m = int(total * share[c])
        for (j = 0; j < m; j++) { printf "site%d-%x.%s%d.example\n", id, id * 2654435761 % 65521, c, j % 977 > f; id++ }
        close(f)
    }
}'
du -sh "$T" | sed 's/^/tree size: /'
for c in bank health government adult; do
    sed 's/^/./' "$T/$c/domains" > "$W/$c.squid"
done
: > "$W/empty.squid"
allcats=$(ls "$T" | tr '\n' ' ')

policy() { # $1 name, $2 inspection rule body, $3 security rule body
    cat > "$W/$1.xml" <<EOF
<policy xmlns="urn:squid-inspect:policy:1">
  <objects><categories id="ut1" dir="ut1"/></objects>
  <https-inspection default="inspect">$2</https-inspection>
  <security-policy default="allow">$3</security-policy>
</policy>
EOF
}
policy few '<rule id="privacy" action="bypass"><server-name category="bank health government"/></rule>' ''
policy adult '' '<rule id="no-adult" action="block"><host category="adult"/></rule>'
policy all "<rule id=\"every\" action=\"bypass\"><server-name category=\"${allcats% }\"/></rule>" ''

squid_parse() { # $@: ACL files; prints seconds and peak RSS in MB
    { echo "http_port 127.0.0.1:1"
      i=0; for f in "$@"; do i=$((i + 1)); echo "acl c$i dstdomain \"$f\""; echo "http_access deny c$i"; done
      echo "http_access deny all"
      echo "cache_log $W/cache.log"
      echo "pid_filename $W/squid.pid"; } > "$W/squid.conf"
    /usr/bin/time -f "%e %M" -o "$W/time" "$SQUID" -k parse -f "$W/squid.conf" >/dev/null 2>&1 || true
    awk '{ printf "seconds=%.3f peak_rss_mb=%.1f", $1, $2 / 1024 }' "$W/time"
}

echo "uptime: $(uptime)"
for p in few adult all; do
    echo "policy $p: $("$LOADER" "$W/$p.xml")"
done
[ -n "${NO_SQUID:-}" ] || echo "squid -k parse, empty dstdomain file:           $(squid_parse "$W/empty.squid")"
[ -n "${NO_SQUID:-}" ] || echo "squid -k parse, bank health government (few):   $(squid_parse "$W/bank.squid" "$W/health.squid" "$W/government.squid")"
[ -n "${NO_SQUID:-}" ] || echo "squid -k parse, adult:                           $(squid_parse "$W/adult.squid")"
