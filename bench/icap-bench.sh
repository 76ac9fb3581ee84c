#!/bin/bash
# icap-bench.sh: srv_inspect against c-icap's stock srv_echo, side by side in one c-icap
# instance on 127.0.0.1, with bench/icap_load (persistent connections, several threads).
#
#   [ROUNDS=3] bench/icap-bench.sh [SECONDS_PER_RUN] [THREADS]   (build tree, after make check)
#
# Scenarios: (a) a policy of 10 security rules; (b) a one-million-name domain list plus 500
# rules. Each runs REQMOD (headers only) and RESPMOD (4 KB body, 1024-byte preview, like Squid)
# against "echo" and "inspect" and prints inspect/echo throughput ratios. Also prints the
# policy load time and peak RSS for the million names (bench/policy_load).
# inspect.LogAllowed is off for the throughput runs (decision lines for blocks etc. stay on);
# one extra run with it on shows the logging cost.
set -eu
SECS=${1:-5}
THREADS=${2:-4}
ROUNDS=${ROUNDS:-3}
TOP=$(cd "$(dirname "$0")/.." && pwd)
LOAD=$TOP/bench/icap_load
PLOAD=$TOP/bench/policy_load
MOD=$TOP/icap_service/.libs/srv_inspect.so
CICAP=${CICAP:-c-icap}
for f in "$LOAD" "$PLOAD" "$MOD"; do
    [ -x "$f" ] || [ -f "$f" ] || { echo "icap-bench: $f missing: run make check first" >&2; exit 1; }
done
D=$(mktemp -d "${TMPDIR:-/tmp}/icap-bench.XXXXXX")
PID=
cleanup() {
    if [ -n "$PID" ] && [ -f "$D/run/c-icap.pid" ]; then kill "$(cat "$D/run/c-icap.pid")" 2>/dev/null || true; fi
    sleep 1
    rm -rf "$D"
}
trap cleanup EXIT
mkdir -p "$D/run" "$D/log" "$D/tmp" "$D/lists"

# --- policies ---
cat > "$D/policy10.xml" <<'XML'
<policy xmlns="urn:squid-inspect:policy:1">
  <objects><domains id="bad">.malware.test .phish.test</domains><network id="lab" cidr="192.168.0.0/16"/></objects>
  <security-policy>
    <rule id="r1" action="block"><host list="bad"/></rule>
    <rule id="r2" action="block"><source network="lab"/><method>PUT DELETE</method></rule>
    <rule id="r3" action="block"><path glob="/admin/*"/></rule>
    <rule id="r4" action="block"><query regex="(^|&amp;)debug=1"/></rule>
    <rule id="r5" action="modify"><host>login.microsoftonline.com</host><add-header name="Restrict-Access-To-Tenants" value="example.com"/></rule>
    <rule id="r6" action="modify"><host>.youtube.com</host><add-header name="YouTube-Restrict" value="Moderate"/></rule>
    <rule id="r7" action="block"><request><header name="User-Agent" glob="*sqlmap*"/></request></rule>
    <rule id="r8" action="redirect" location="https://new.test/"><host>old.test</host></rule>
    <rule id="r9" action="block"><response><status>5xx</status><content-type>application/x-bad</content-type></response></rule>
    <rule id="r10" action="block"><response><content-type>application/x-msdownload</content-type></response></rule>
  </security-policy>
</policy>
XML
python3 - "$D" <<'PY'
import random, sys
d = sys.argv[1]
random.seed(42)
with open(d + '/lists/big.txt', 'w') as f:
    for i in range(1000000):
        f.write(('.' if i % 3 == 0 else '') + 'site%d-%06x.example%d.com\n' % (i, random.getrandbits(24), i % 997))
rules = []
for i in range(499):
    k = i % 5
    if k == 0:
        rules.append('<rule id="h%d" action="block"><host>host%d.rules.test .sub%d.rules.test</host></rule>' % (i, i, i))
    elif k == 1:
        rules.append('<rule id="p%d" action="block"><host>host%d.rules.test</host><path glob="/p%d/*"/></rule>' % (i, i, i))
    elif k == 2:
        rules.append('<rule id="m%d" action="block"><method>PUT</method><host>m%d.rules.test</host></rule>' % (i, i))
    elif k == 3:
        rules.append('<rule id="q%d" action="block"><host>q%d.rules.test</host><query regex="x=%d"/></rule>' % (i, i, i))
    else:
        rules.append('<rule id="r%d" action="modify"><host>r%d.rules.test</host><add-header name="X-R" value="%d"/></rule>' % (i, i, i))
rules.append('<rule id="big-list" action="block"><host list="big"/></rule>')
with open(d + '/policy1m.xml', 'w') as f:
    f.write('<policy xmlns="urn:squid-inspect:policy:1">\n<objects><domains id="big" file="lists/big.txt"/></objects>\n')
    f.write('<https-inspection><rule id="bypass-big" action="bypass"><server-name list="big"/></rule></https-inspection>\n')
    f.write('<security-policy>\n' + '\n'.join(rules) + '\n</security-policy>\n</policy>\n')
PY

echo "== policy load (1M names + 500 rules): bench/policy_load"
"$PLOAD" "$D/policy1m.xml" site3-000000.example3.com a.b.site0-$(sed -n 1p "$D/lists/big.txt" | sed 's/^\.site0-//') not-listed.example

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

start_cicap() { # POLICY LOGALLOWED
    PORT=$(free_port)
    cat > "$D/c-icap.conf" <<EOF
PidFile $D/run/c-icap.pid
CommandsSocket $D/run/c-icap.ctl
Port 127.0.0.1:$PORT
Timeout 60
MaxKeepAliveRequests 0
KeepAliveTimeout 600
StartServers 1
MaxServers 1
MinSpareThreads 1
MaxSpareThreads 16
ThreadsPerChild 16
MaxRequestsPerChild 0
TmpDir $D/tmp
DebugLevel 1
ServerLog $D/log/server.log
AccessLog $D/log/access.log
ModulesDir $(c-icap-config --modulesdir)
ServicesDir $(c-icap-config --modulesdir)
Service echo srv_echo.so
Service inspect $MOD
inspect.PolicyFile $1
inspect.LogAllowed $2
EOF
    "$CICAP" -N -f "$D/c-icap.conf" > "$D/log/stdout.log" 2>&1 &
    PID=$!
    for _ in $(seq 1 300); do
        if c-icap-client -i 127.0.0.1 -p "$PORT" -s inspect >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    echo "c-icap did not start" >&2; cat "$D/log/server.log" >&2; exit 1
}
stop_cicap() {
    kill "$(cat "$D/run/c-icap.pid")" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    PID=
}

rps_of() { sed -n 's/.* rps=\([0-9]*\).*/\1/p'; }
reqs_of() { sed -n 's/.* requests=\([0-9]*\).*/\1/p'; }
# CPU ticks (user+system) of the c-icap monitor and its child (MaxServers 1: no child comes or
# goes during a run). Per request, this is what the service costs whatever else the machine
# does (the load client shares the 2 cores), so it separates small differences that the noisy
# requests/s figures cannot.
cicap_ticks() {
    local p t=0
    for p in $PID $(pgrep -P "$PID" 2>/dev/null); do
        t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
    done
    echo "$t"
}
# run_load SERVICE MODE [args]: one icap_load run; prints its line plus cpu_us_per_req=
run_load() {
    local svc=$1 mode=$2 t0 t1 line n; shift 2
    t0=$(cicap_ticks)
    line=$("$LOAD" -p "$PORT" -s "$svc" -m "$mode" -t "$THREADS" -d "$SECS" "$@")
    t1=$(cicap_ticks)
    n=$(echo "$line" | reqs_of)
    awk -v l="$line" -v d="$((t1 - t0))" -v n="${n:-0}" -v hz="$(getconf CLK_TCK)" \
        'BEGIN { printf "%s cpu_us_per_req=%.2f\n", l, (n > 0 ? d * 1e6 / hz / n : 0) }'
}
cpu_of() { sed -n 's/.* cpu_us_per_req=\([0-9.]*\).*/\1/p'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# compare LABEL MODE [icap_load args]: ROUNDS alternating runs of echo and inspect (other work on
# the machine hits both alike); prints every run and the ratio of the medians.
compare() {
    local label=$1 mode=$2; shift 2
    local e i r es="" is="" ec="" ic=""
    for r in $(seq 1 "$ROUNDS"); do
        e=$(run_load echo "$mode" "$@")
        i=$(run_load inspect "$mode" "$@")
        echo "  $e"
        echo "  $i"
        es="$es $(echo "$e" | rps_of)"
        is="$is $(echo "$i" | rps_of)"
        ec="$ec $(echo "$e" | cpu_of)"
        ic="$ic $(echo "$i" | cpu_of)"
    done
    awk -v l="$label" -v a="$(echo $is | tr ' ' '\n' | median)" -v b="$(echo $es | tr ' ' '\n' | median)" \
        'BEGIN { printf "  %s: median rps inspect %d / echo %d = %.2f\n", l, a, b, (b > 0 ? a / b : 0) }'
    # Capacity ratio when c-icap is CPU-bound: echo's CPU per request over inspect's.
    awk -v l="$label" -v a="$(echo $ic | tr ' ' '\n' | median)" -v b="$(echo $ec | tr ' ' '\n' | median)" \
        'BEGIN { printf "  %s: median c-icap CPU per request inspect %.2f us / echo %.2f us: capacity ratio %.2f\n", l, a, b, (a > 0 ? b / a : 0) }'
}

echo "== (a) 10 rules, inspect.LogAllowed off"
start_cicap "$D/policy10.xml" off
compare "(a) REQMOD" reqmod
compare "(a) RESPMOD 4KB" respmod -b 4096
stop_cicap
echo "== (a') 10 rules, inspect.LogAllowed on (one log line per request)"
start_cicap "$D/policy10.xml" on
compare "(a') REQMOD" reqmod
stop_cicap
echo "== (b) 1M domain list + 500 rules, inspect.LogAllowed off"
start_cicap "$D/policy1m.xml" off
ps -o rss=,args= -p "$(pgrep -d, -P "$PID" 2>/dev/null || echo "$PID")" 2>/dev/null | sed 's/^/  rss_kb: /' | cut -c1-60 || true
compare "(b) REQMOD" reqmod
compare "(b) RESPMOD 4KB" respmod -b 4096
stop_cicap
