#!/bin/bash
# reload-stress.sh: srv_inspect keeps answering while its policy is reloaded under load.
# Swaps between two good policies and a broken one 20 times (control command, plus the file
# watcher) while bench/icap_load runs 4 threads for 12 s; fails on any ICAP error.
# For a sanitizer run: build with --enable-sanitizers and set CICAP to a wrapper that
# LD_PRELOADs libasan (c-icap itself is not instrumented).
#   bench/reload-stress.sh            (from the build tree, after make check)
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
CICAP=${CICAP:-c-icap}
D=$(mktemp -d "${TMPDIR:-/tmp}/reload-stress.XXXXXX")
[ -n "$D" ] && [ -d "$D" ] || { echo "reload-stress: mktemp failed" >&2; exit 1; }
cleanup() {
    if [ -f "$D/run/c-icap.pid" ]; then kill "$(cat "$D/run/c-icap.pid")" 2>/dev/null || true; fi
    sleep 1
    rm -rf "$D"
}
trap cleanup EXIT
mkdir -p "$D/run" "$D/log" "$D/tmp"

printf '%s\n' '<policy xmlns="urn:squid-inspect:policy:1"><security-policy>' \
    '<rule id="one" action="block"><host>h1.bench.test</host></rule>' \
    '<rule id="re" action="block"><query regex="zz=[0-9]+"/></rule>' \
    '</security-policy></policy>' > "$D/good1.xml"
sed 's/id="one"/id="two"/; s/h1.bench/h2.bench/' "$D/good1.xml" > "$D/good2.xml"
printf '%s\n' '<policy xmlns="urn:squid-inspect:policy:1"><security-policy>' \
    '<rule id="x" action="nope"/></security-policy></policy>' > "$D/bad.xml"
cp "$D/good1.xml" "$D/policy.xml"

PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
{
    echo "PidFile $D/run/c-icap.pid"
    echo "CommandsSocket $D/run/c-icap.ctl"
    echo "Port 127.0.0.1:$PORT"
    echo "StartServers 1"
    echo "MaxServers 1"
    echo "ThreadsPerChild 8"
    echo "MaxKeepAliveRequests 0"
    echo "TmpDir $D/tmp"
    echo "DebugLevel 1"
    echo "ServerLog $D/log/server.log"
    echo "ModulesDir $(c-icap-config --modulesdir)"
    echo "ServicesDir $TOP/icap_service/.libs"
    echo "Service inspect srv_inspect.so"
    echo "inspect.PolicyFile $D/policy.xml"
    echo "inspect.ReloadCheckInterval 1"
    echo "inspect.LogAllowed off"
} > "$D/c.conf"

"$CICAP" -N -f "$D/c.conf" > "$D/log/out" 2>&1 &
for _ in $(seq 1 100); do
    c-icap-client -i 127.0.0.1 -p "$PORT" -s inspect >/dev/null 2>&1 && break
    sleep 0.1
done
"$TOP/bench/icap_load" -p "$PORT" -s inspect -t 4 -d 12 -H 4 > "$D/load.txt" &
LOADPID=$!
for i in $(seq 1 20); do
    case $((i % 3)) in
        0) cp "$D/bad.xml" "$D/policy.xml" ;;
        1) cp "$D/good2.xml" "$D/policy.xml" ;;
        2) cp "$D/good1.xml" "$D/policy.xml" ;;
    esac
    echo -n inspect:reload > "$D/run/c-icap.ctl"
    sleep 0.5
done
rc=0
wait "$LOADPID" || rc=$?
cat "$D/load.txt"
echo "reload lines: $(grep -c 'reloaded' "$D/log/server.log") done," \
     "$(grep -c 'refused, keeping the previous one' "$D/log/server.log") refused (broken file, previous policy kept)"
if grep -q ' errors=0 ' "$D/load.txt" && [ "$rc" -eq 0 ]; then
    echo "reload-stress: OK"
else
    echo "reload-stress: FAILED"
    exit 1
fi
