#!/bin/bash
# icap-instructions.sh: user-space instructions per ICAP request, srv_echo against srv_inspect,
# counted by callgrind in one c-icap child that runs both services (deterministic, unlike
# timings on a busy machine), plus the functions where srv_inspect spends more.
#
#   bench/icap-instructions.sh [reqmod|respmod] [SECONDS]     (build tree, after make check)
#   POLICY=a|b|FILE bench/icap-instructions.sh ...   icap-bench's policy (a) (the default) or
#                 (b) (1M names + 500 rules), or a policy file (its lists/ folder is copied too)
#   TOP_FUNCS=N: list N functions (default 15)
#
# c-icap runs under valgrind --tool=callgrind; bench/icap_load drives echo, then inspect, and
# callgrind_control -d cuts a profile after each phase. Needs valgrind. 127.0.0.1 only.
set -eu
MODE=${1:-reqmod}
SECS=${2:-6}
TOP=$(cd "$(dirname "$0")/.." && pwd)
LOAD=$TOP/bench/icap_load
MOD=$TOP/icap_service/.libs/srv_inspect.so
for f in "$LOAD" "$MOD"; do
    [ -e "$f" ] || { echo "icap-instructions: $f missing: run make check first" >&2; exit 1; }
done
command -v callgrind_control >/dev/null || { echo "icap-instructions: needs valgrind" >&2; exit 1; }
D=$(mktemp -d "${TMPDIR:-/tmp}/icap-instr.XXXXXX")
VG=
cleanup() {
    [ -n "$VG" ] && kill "$VG" 2>/dev/null && sleep 2
    rm -rf "$D"
}
trap cleanup EXIT
mkdir -p "$D/run" "$D/log" "$D/tmp"
case "${POLICY:-a}" in   # icap-bench's policies (a) and (b) (bench/icap-policies.py), or a file
    a) python3 "$TOP/bench/icap-policies.py" "$D" ;;
    b) python3 "$TOP/bench/icap-policies.py" "$D" --1m && mv "$D/policy1m.xml" "$D/policy10.xml" ;;
    *) cp "$POLICY" "$D/policy10.xml"
       if [ -d "$(dirname "$POLICY")/lists" ]; then cp -r "$(dirname "$POLICY")/lists" "$D/"; fi ;;
esac
PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
cat > "$D/c-icap.conf" <<EOF
PidFile $D/run/c-icap.pid
CommandsSocket $D/run/c-icap.ctl
Port 127.0.0.1:$PORT
StartServers 1
MaxServers 1
MinSpareThreads 1
MaxSpareThreads 16
ThreadsPerChild 16
MaxRequestsPerChild 0
KeepAliveTimeout 600
MaxKeepAliveRequests 0
TmpDir $D/tmp
ServerLog $D/log/server.log
AccessLog $D/log/access.log
ModulesDir $(c-icap-config --modulesdir)
ServicesDir $(c-icap-config --modulesdir)
Service echo srv_echo.so
Service inspect $MOD
inspect.PolicyFile $D/policy10.xml
inspect.LogAllowed off
EOF
valgrind --tool=callgrind --trace-children=yes --compress-strings=no --compress-pos=no \
    --callgrind-out-file="$D/cg.%p" c-icap -N -f "$D/c-icap.conf" > "$D/log/valgrind.log" 2>&1 &
VG=$!
for _ in $(seq 1 120); do
    c-icap-client -i 127.0.0.1 -p "$PORT" -s inspect >/dev/null 2>&1 && break
    sleep 0.5
done
CHILD=$(pgrep -P "$VG" | head -n1)
[ -n "$CHILD" ] || { echo "icap-instructions: c-icap did not start" >&2; exit 1; }
body=(); [ "$MODE" = respmod ] && body=(-b 4096)
reqs() { sed -n 's/.* requests=\([0-9]*\).*/\1/p'; }
"$LOAD" -p "$PORT" -s inspect -m "$MODE" "${body[@]}" -t 2 -d 2 >/dev/null   # warm-up
callgrind_control -d "$CHILD" >/dev/null 2>&1
NE=$("$LOAD" -p "$PORT" -s echo -m "$MODE" "${body[@]}" -t 2 -d "$SECS" | reqs)
callgrind_control -d "$CHILD" >/dev/null 2>&1
NI=$("$LOAD" -p "$PORT" -s inspect -m "$MODE" "${body[@]}" -t 2 -d "$SECS" | reqs)
callgrind_control -d "$CHILD" >/dev/null 2>&1
python3 - "$D/cg.$CHILD.2" "$NE" "$D/cg.$CHILD.3" "$NI" "$MODE" <<'PY'
import collections, os, sys

def self_costs(path):
    """Self cost (Ir) per function of one callgrind part (uncompressed names)."""
    cost, fn, obj, call_line = collections.Counter(), None, "", False
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith("ob="):
            obj = line[3:].rsplit("/", 1)[-1]
        elif line.startswith("fn="):
            fn = "%s [%s]" % (line[3:], obj)
        elif line.startswith("calls="):
            call_line = True
        elif line[:1].isdigit() or line[:1] in "+-*":
            if call_line:  # the inclusive cost of a call, not this function's own
                call_line = False
            elif fn:
                parts = line.split()
                if len(parts) >= 2:
                    cost[fn] += int(parts[1])
    return cost

echo, ne, insp, ni, mode = self_costs(sys.argv[1]), int(sys.argv[2]), self_costs(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
te, ti = sum(echo.values()) / ne, sum(insp.values()) / ni
print("%s: echo %d requests, inspect %d requests" % (mode, ne, ni))
print("user-space instructions per request: echo %.0f, inspect %.0f (echo/inspect %.2f)" % (te, ti, te / ti))
print("functions where inspect spends more per request (echo, inspect, difference):")
for k in sorted(set(echo) | set(insp), key=lambda k: -(insp[k] / ni - echo[k] / ne))[:int(os.environ.get("TOP_FUNCS", "15"))]:
    print("  %7.0f %7.0f %+7.0f  %s" % (echo[k] / ne, insp[k] / ni, insp[k] / ni - echo[k] / ne, k))
PY
