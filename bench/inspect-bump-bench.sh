#!/bin/bash
# bench/inspect-bump-bench.sh [BUILDDIR]: figures for inspect-bump (ssl_bump decisions from the
# XML policy), side by side with Squid's stock way of splicing by name (an ssl::server_name ACL
# reading the same 100,000-name list), on the end-to-end lab's PKI and origin (127.0.0.1 only).
#
#   1. decisions/s of one inspect-bump process fed from a pipe (no Squid), 200,000 requests
#      against a 100,000-name policy, and the policy load time;
#   2. spliced TLS connections/s through Squid 5.7 (CONNECT + TLS handshake with the origin,
#      4 clients in parallel, BENCH_N connections): stock ACL vs inspect-bump, as a ratio;
#   3. Squid start-up time (until its port accepts) with each configuration.
# Needs a built tree (make). Bounded: about two minutes. Environment: BENCH_N (default 2000).
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC}" && pwd)
HELPER=$BUILD/bump_helper/inspect-bump
N=${BENCH_N:-2000}
[ -x "$HELPER" ] || { echo "inspect-bump-bench: $HELPER missing: run make first" >&2; exit 2; }
# shellcheck source=../tests/e2e/lib/lab.sh
. "${LAB_SH:-$SRC/tests/e2e/lib/lab.sh}"
lab_init inspect-bump-bench
lab_pki && lab_start_origin || exit 1
B=$LAB_DIR/bench
mkdir -p "$B" && chmod 755 "$B"
HELPER=$(lab__proxy_path "$HELPER") || exit 1
echo "# inspect-bump benchmark, $(date -u +%FT%TZ), $(nproc) cores, $("$SQUID" -v | head -1)"

awk 'BEGIN { for (i = 0; i < 99999; i++) printf "host%d.bulk%d.example\n", i, i % 97; print "bypass.test" }' > "$B/names.txt"
cat > "$B/policy.xml" <<EOF
<policy xmlns="urn:squid-inspect:policy:1">
  <objects><domains id="bulk" file="names.txt"/></objects>
  <https-inspection default="inspect">
    <rule id="bulk-bypass" action="bypass"><server-name list="bulk"/></rule>
  </https-inspection>
</policy>
EOF
chmod 644 "$B"/*

echo "## 1. inspect-bump alone: 200000 requests through a pipe, 100,000-name policy"
"$PYTHON3" -c "
import random
random.seed(1)
for i in range(200000):
    h = 'host%d.bulk%d.example' % (random.randint(0, 150000), random.randint(0, 96))
    print('%d 10.1.%d.%d - %s %s 443' % (i % 100, i % 250, i % 200, h, h))" > "$B/req.txt"
t0=$(date +%s%N); "$HELPER" --policy "$B/policy.xml" -q < /dev/null 2>/dev/null; t1=$(date +%s%N)
"$HELPER" --policy "$B/policy.xml" -q < "$B/req.txt" > "$B/out.txt" 2>/dev/null; t2=$(date +%s%N)
load_ms=$(( (t1 - t0) / 1000000 )); run_ms=$(( (t2 - t1) / 1000000 ))
echo "\$ inspect-bump --policy policy.xml -q < req.txt   ($(wc -l < "$B/out.txt") replies)"
echo "policy load (start + exit): ${load_ms} ms; 200000 decisions incl. load: ${run_ms} ms;" \
     "$(awk -v n=200000 -v ms="$run_ms" -v l="$load_ms" 'BEGIN {printf "%.0f", n / ((ms - l) / 1000)}') decisions/s"

# squid_conf NAME PORT DECISION-LINES: a minimal bumping Squid on PORT.
squid_conf() {
    cat > "$B/$1.conf" <<EOF
${LAB_SQUID_USER:+cache_effective_user $LAB_SQUID_USER}
pid_filename $B/$1.pid
cache_log $B/$1-cache.log
access_log none
netdb_filename none
pinger_enable off
shutdown_lifetime 1 second
cache deny all
hosts_file $B/hosts
dns_nameservers 127.0.0.1
http_port 127.0.0.1:$2 ssl-bump tls-cert=$LAB_INSPECT_CA tls-key=$LAB_INSPECT_KEY generate-host-certificates=on
sslcrtd_program /usr/lib/squid/security_file_certgen -s $B/$1-db -M 4MB
tls_outgoing_options cafile=$LAB_ORIGIN_ROOT
acl step1 at_step SslBump1
acl step2 at_step SslBump2
$3
http_access allow localhost
http_access deny all
EOF
    rm -rf "$B/$1-db"; /usr/lib/squid/security_file_certgen -c -s "$B/$1-db" -M 4MB >/dev/null
    [ -z "$LAB_SQUID_USER" ] || chown -R "$LAB_SQUID_USER:" "$B"
}
echo "127.0.0.1 bypass.test" > "$B/hosts"
P1=$(lab_free_port) P2=$(lab_free_port)
squid_conf stock "$P1" "acl bulk ssl::server_name \"$B/names.txt\"
ssl_bump peek step1
ssl_bump splice bulk
ssl_bump bump all"
squid_conf policy "$P2" "external_acl_type inspect_bump ttl=0 negative_ttl=0 children-max=4 children-startup=1 children-idle=1 concurrency=100 queue-size=400 %>a %un %ssl::>sni %>rd %>rP $HELPER --policy $B/policy.xml -q
acl decide external inspect_bump
acl do_splice note si_action_ splice
acl do_bump note si_action_ bump
acl do_terminate note si_action_ terminate
ssl_bump peek step1
ssl_bump splice step2 decide do_splice
ssl_bump bump step2 do_bump
ssl_bump terminate step2 do_terminate
ssl_bump terminate all
acl decided note clt_conn_tag
acl CONNECT method CONNECT
http_access deny CONNECT step2 !decided"

echo "## 3. Squid start-up until the port accepts (same 100,000 names)"
declare -A start rate
for c in stock policy; do
    port=$P1; [ $c = policy ] && port=$P2
    t0=$(date +%s%N)
    lab_spawn "squid-$c" "$B/$c-stdout.log" "$SQUID" -f "$B/$c.conf" -n "bench$c$$" --foreground
    lab_wait_port "$port" 60 "$LAB_PID" || { echo "squid ($c) did not start"; exit 1; }
    start[$c]=$(( ($(date +%s%N) - t0) / 1000000 ))
    echo "$c: ${start[$c]} ms"
done

echo "## 2. spliced connections/s through Squid (CONNECT bypass.test + TLS handshake, 4 clients, $N connections)"
for c in stock policy stock policy stock policy; do
    port=$P1; [ $c = policy ] && port=$P2
    out=$("$PYTHON3" - "$port" "$LAB_ORIGIN_PORT" "$N" "$LAB_ORIGIN_ROOT" <<'PY'
import socket, ssl, sys, threading, time
proxy, origin, n, ca = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ctx = ssl.create_default_context(cafile=ca)
lock = threading.Lock(); left = [n]; bad = [0]
def one():
    s = socket.create_connection(('127.0.0.1', proxy), timeout=10)
    s.sendall(b'CONNECT bypass.test:%d HTTP/1.1\r\nHost: bypass.test\r\n\r\n' % origin)
    buf = b''
    while b'\r\n\r\n' not in buf:
        d = s.recv(4096)
        if not d: raise OSError('closed')
        buf += d
    t = ctx.wrap_socket(s, server_hostname='bypass.test')   # verifies the ORIGIN's certificate
    t.close()
def worker():
    while True:
        with lock:
            if left[0] == 0: return
            left[0] -= 1
        try: one()
        except Exception: bad[0] += 1
t0 = time.time(); th = [threading.Thread(target=worker) for _ in range(4)]
[x.start() for x in th]; [x.join() for x in th]
dt = time.time() - t0
print('%.1f %d' % (n / dt, bad[0]))
PY
)
    echo "$c: $(echo "$out" | cut -d' ' -f1) connections/s ($(echo "$out" | cut -d' ' -f2) failed)"
    rate[$c]="${rate[$c]:-} $(echo "$out" | cut -d' ' -f1)"
done
med() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ms=$(echo "${rate[stock]}" | med) mp=$(echo "${rate[policy]}" | med)
echo "medians of 3 alternating runs: stock $ms, inspect-bump $mp connections/s;" \
     "ratio inspect-bump / stock: $(awk -v a="$mp" -v b="$ms" 'BEGIN {printf "%.2f", a / b}')"
lab_stop squid-stock; lab_stop squid-policy
