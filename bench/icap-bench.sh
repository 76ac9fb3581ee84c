#!/bin/bash
# icap-bench.sh: srv_inspect against c-icap's stock srv_echo, side by side: two c-icap
# instances on 127.0.0.1 (one per service, same settings) loaded at the same time by two
# bench/icap_load clients (persistent connections, several threads each).
#
#   [ROUNDS=5] bench/icap-bench.sh [SECONDS_PER_RUN] [THREADS]   (build tree, after make check)
#
# Scenarios: (a) a policy of 10 security rules; (b) a one-million-name domain list plus 500
# rules. Each runs REQMOD (headers only) and RESPMOD (4 KB body, 1024-byte preview, like Squid)
# and prints, per run and as medians, inspect/echo requests and echo/inspect c-icap CPU per
# request (the capacity ratio when c-icap is the bottleneck). Also prints the policy load time
# and peak RSS for the million names (bench/policy_load). PIN=0 lets the scheduler place the
# four processes (instances and clients) on the cores; by default each pair has its own core.
# inspect.LogAllowed is off for the throughput runs (decision lines for blocks etc. stay on);
# one extra run with it on shows the logging cost.
set -eu
SECS=${1:-5}
THREADS=${2:-4}
ROUNDS=${ROUNDS:-5}
TOP=$(cd "$(dirname "$0")/.." && pwd)
LOAD=$TOP/bench/icap_load
PLOAD=$TOP/bench/policy_load
MOD=$TOP/icap_service/.libs/srv_inspect.so
CICAP=${CICAP:-c-icap}
for f in "$LOAD" "$PLOAD" "$MOD"; do
    [ -x "$f" ] || [ -f "$f" ] || { echo "icap-bench: $f missing: run make check first" >&2; exit 1; }
done
D=$(mktemp -d "${TMPDIR:-/tmp}/icap-bench.XXXXXX")
declare -A PID PORT
cleanup() {
    stop_pair 2>/dev/null || true
    rm -rf "$D"
}
trap cleanup EXIT
mkdir -p "$D/run" "$D/log" "$D/tmp" "$D/lists"

# --- policies ---
python3 "$TOP/bench/icap-policies.py" "$D" --1m   # (a) policy10.xml, (b) policy1m.xml

echo "== policy load (1M names + 500 rules): bench/policy_load"
"$PLOAD" "$D/policy1m.xml" site3-000000.example3.com a.b.site0-$(sed -n 1p "$D/lists/big.txt" | sed 's/^\.site0-//') not-listed.example

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

# Two c-icap instances, one per service, each with one child of 16 threads: "echo" runs only
# srv_echo, "inspect" only srv_inspect. They are loaded AT THE SAME TIME (side by side in one
# run), so whatever else the machine does hits both alike; the earlier design (one instance,
# echo and inspect runs alternating) let a build starting between two runs swing the ratio by
# 0.3. With both saturating the 2 cores, the scheduler shares the CPU fairly, so the
# requests/s ratio is the capacity ratio; the CPU per request of each instance (from /proc)
# says the same from the other side.
start_cicap() { # NAME SERVICE-LINES...
    local name=$1 dir=$D/$1; shift
    mkdir -p "$dir/run" "$dir/log" "$dir/tmp"
    PORT[$name]=$(free_port)
    {
        cat <<EOF
PidFile $dir/run/c-icap.pid
CommandsSocket $dir/run/c-icap.ctl
Port 127.0.0.1:${PORT[$name]}
Timeout 60
MaxKeepAliveRequests 0
KeepAliveTimeout 600
StartServers 1
MaxServers 1
MinSpareThreads 1
MaxSpareThreads 16
ThreadsPerChild 16
MaxRequestsPerChild 0
TmpDir $dir/tmp
DebugLevel 1
ServerLog $dir/log/server.log
AccessLog $dir/log/access.log
ModulesDir $(c-icap-config --modulesdir)
ServicesDir $(c-icap-config --modulesdir)
EOF
        printf '%s\n' "$@"
    } > "$dir/c-icap.conf"
    "$CICAP" -N -f "$dir/c-icap.conf" > "$dir/log/stdout.log" 2>&1 &
    PID[$name]=$!
    for _ in $(seq 1 300); do
        if c-icap-client -i 127.0.0.1 -p "${PORT[$name]}" -s "$name" >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    echo "c-icap ($name) did not start" >&2; cat "$dir/log/server.log" >&2; exit 1
}
stop_cicap() { # NAME
    local name=$1
    [ -n "${PID[$name]:-}" ] || return 0
    kill "${PID[$name]}" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "${PID[$name]}" 2>/dev/null || break; sleep 0.1; done
    PID[$name]=
}
# start_pair POLICY LOGALLOWED: both instances, srv_inspect with the given policy
start_pair() {
    start_cicap echo "Service echo srv_echo.so"
    start_cicap inspect "Service inspect $MOD" "inspect.PolicyFile $1" "inspect.LogAllowed $2"
}
stop_pair() { stop_cicap echo; stop_cicap inspect; }

reqs_of() { sed -n 's/.* requests=\([0-9]*\).*/\1/p'; }
# CPU ticks (user+system) of a c-icap instance: its monitor and its child (MaxServers 1).
cicap_ticks() {
    local p t=0
    for p in $1 $(pgrep -P "$1" 2>/dev/null); do
        t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
    done
    echo "$t"
}
# PIN=1 (the default on 2 or more cores): each instance and its load client get a core of their
# own, the two cores swapped every run, so the scheduler's placement does not move the ratio.
PIN=${PIN:-$([ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null && echo 1 || echo 0)}
pin_cmd() { [ "$PIN" = 1 ] && echo "taskset -c $1"; }
pin_instance() { # NAME CORE: every thread of the c-icap monitor and of its child
    local p
    [ "$PIN" = 1 ] || return 0
    for p in ${PID[$1]} $(pgrep -P "${PID[$1]}" 2>/dev/null); do
        taskset -a -p -c "$2" "$p" >/dev/null 2>&1 || true
    done
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# compare LABEL MODE [icap_load args]: ROUNDS runs; in each, one icap_load against each instance
# at the same time. Prints every run and the medians of the per-run ratios.
compare() {
    local label=$1 mode=$2; shift 2
    local r e0 i0 e1 i1 le li ne ni lp ratios rr="" cr=""
    local ce_core ci_core
    for r in $(seq 1 "$ROUNDS"); do
        ce_core=$((r % 2)); ci_core=$(((r + 1) % 2))
        pin_instance echo "$ce_core"; pin_instance inspect "$ci_core"
        e0=$(cicap_ticks "${PID[echo]}"); i0=$(cicap_ticks "${PID[inspect]}")
        $(pin_cmd "$ce_core") "$LOAD" -p "${PORT[echo]}" -s echo -m "$mode" -t "$THREADS" -d "$SECS" "$@" > "$D/load-echo.txt" &
        lp=$!
        li=$($(pin_cmd "$ci_core") "$LOAD" -p "${PORT[inspect]}" -s inspect -m "$mode" -t "$THREADS" -d "$SECS" "$@")
        wait "$lp"
        le=$(cat "$D/load-echo.txt")
        e1=$(cicap_ticks "${PID[echo]}"); i1=$(cicap_ticks "${PID[inspect]}")
        ne=$(echo "$le" | reqs_of); ni=$(echo "$li" | reqs_of)
        echo "  $le"
        echo "  $li"
        # requests ratio, CPU-per-request ratio, echo us/req, inspect us/req
        ratios=$(awk -v ne="${ne:-0}" -v ni="${ni:-0}" -v de=$((e1 - e0)) -v di=$((i1 - i0)) \
            -v hz="$(getconf CLK_TCK)" 'BEGIN {
                ce = ne > 0 ? de * 1e6 / hz / ne : 0; ci = ni > 0 ? di * 1e6 / hz / ni : 0
                printf "%.3f %.3f %.2f %.2f", (ne > 0 ? ni / ne : 0), (ci > 0 ? ce / ci : 0), ce, ci }')
        read -r rq cq ce ci <<<"$ratios"
        echo "    run $r: requests inspect/echo $rq; c-icap CPU per request echo $ce us, inspect $ci us: echo/inspect $cq"
        rr="$rr $rq"
        cr="$cr $cq"
    done
    echo "  $label: median requests ratio inspect/echo $(echo $rr | tr ' ' '\n' | median)," \
         "median CPU-per-request ratio echo/inspect $(echo $cr | tr ' ' '\n' | median) ($ROUNDS runs)"
}

echo "== (a) 10 rules, inspect.LogAllowed off"
start_pair "$D/policy10.xml" off
compare "(a) REQMOD" reqmod
compare "(a) RESPMOD 4KB" respmod -b 4096
stop_pair
echo "== (a') 10 rules, inspect.LogAllowed on (one log line per request)"
start_pair "$D/policy10.xml" on
compare "(a') REQMOD" reqmod
stop_pair
echo "== (b) 1M domain list + 500 rules, inspect.LogAllowed off"
start_pair "$D/policy1m.xml" off
ps -o rss=,args= -p "$(pgrep -d, -P "${PID[inspect]}" 2>/dev/null || echo "${PID[inspect]}")" 2>/dev/null | sed 's/^/  rss_kb: /' | cut -c1-60 || true
compare "(b) REQMOD" reqmod
compare "(b) RESPMOD 4KB" respmod -b 4096
stop_pair
