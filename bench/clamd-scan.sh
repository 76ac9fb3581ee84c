#!/bin/sh
# lib/clamd's INSTREAM client against clamdscan --stream, on one clamd and the same files.
# Starts its own clamd (clamav-daemon) in a temp dir with a one-signature database it writes
# (no official database, no freshclam, no network: a Unix socket only), makes the files, and runs
# bench/clamd_scan (built by `make check`). See bench/README.
#
#   bench/clamd-scan.sh                      # 1 MB and 20 MB, RUNS=30
#   SIZES="1 20 50" RUNS=10 bench/clamd-scan.sh
set -eu
cd "$(dirname "$0")/.."
CLAMD=${CLAMD:-/usr/sbin/clamd}
DRIVER=${DRIVER:-bench/clamd_scan}
SIZES=${SIZES:-1 20}
RUNS=${RUNS:-30}
[ -x "$DRIVER" ] || { echo "clamd-scan: $DRIVER missing: run make check first" >&2; exit 1; }
command -v clamdscan >/dev/null || { echo "clamd-scan: clamdscan missing (tools/install-deps --test)" >&2; exit 1; }

dir=$(mktemp -d /tmp/si-clamd-bench-XXXXXX)
pid=''
cleanup() {
    [ -z "$pid" ] || { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; }
    rm -rf "$dir"
}
trap cleanup EXIT INT TERM
mkdir "$dir/db" "$dir/tmp"
# a body marker that the files below never contain: clamd loads one signature and scans fully
printf 'SquidInspect.Bench.Marker:0:*:%s\n' "$(printf 'SQUID-INSPECT-BENCH-MARKER' | od -An -tx1 | tr -d ' \n')" \
    > "$dir/db/bench.ndb"
cat > "$dir/clamd.conf" <<EOF
Foreground yes
LocalSocket $dir/clamd.sock
DatabaseDirectory $dir/db
TemporaryDirectory $dir/tmp
LogFile $dir/clamd.log
StreamMaxLength 200M
MaxScanSize 400M
MaxFileSize 200M
SelfCheck 0
Bytecode no
EOF
"$CLAMD" -c "$dir/clamd.conf" >"$dir/clamd.stderr" 2>&1 &
pid=$!
# readiness: clamd answers PING (clamdscan retries every second, 60 times at most)
clamdscan -c "$dir/clamd.conf" --ping 60:1 >/dev/null 2>&1 || { cat "$dir/clamd.log" >&2; exit 1; }
files=''
for s in $SIZES; do
    head -c "$((s * 1048576))" /dev/urandom > "$dir/${s}MB"
    files="$files $dir/${s}MB"
done
echo "clamd-scan: $("$CLAMD" --version), clamd pid $pid, $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
# shellcheck disable=SC2086
"$DRIVER" "$dir/clamd.sock" "$pid" "$dir/clamd.conf" "$RUNS" $files
