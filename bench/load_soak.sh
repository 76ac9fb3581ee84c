#!/bin/bash
# load_soak.sh: bounded load and soak through the full stack on loopback: Squid (ssl_bump)
# with inspect-certgen and inspect-ocsp, c-icap with srv_inspect.so, the lab's TLS origin,
# OCSP responder and CRL server (tests/e2e/lib). Many concurrent HTTPS clients
# (bench/https_load.py) for a fixed time, mixing bypassed, inspected, blocked and modified
# traffic. Prints requests/s, errors (target 0), p50/p99 latency and the RSS of every process
# of Squid and c-icap (helpers included) after warm-up and at the end.
#
#   bench/load_soak.sh [--seconds 90] [--clients 16] [--stock] [--rss-bound-kb 32768]
#
# --stock also runs the same load against the stock components (security_file_certgen, no
# validator, c-icap's echo service) and prints the ratio of requests/s. Needs a staged
# install: run `make check` once (or `make tests/e2e/_stage.stamp`). Exit 1 when there were
# errors, a client hung, or a process grew by more than --rss-bound-kb.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_RUN=90 CLIENTS=16 STOCK=0 RSS_BOUND_KB=32768
while [ $# -gt 0 ]; do
    case $1 in
    --seconds) SECONDS_RUN=$2; shift 2 ;;
    --clients) CLIENTS=$2; shift 2 ;;
    --stock) STOCK=1; shift ;;
    --rss-bound-kb) RSS_BOUND_KB=$2; shift 2 ;;
    *) echo "load_soak: unknown option $1" >&2; exit 2 ;;
    esac
done
: "${E2E_PREFIX:=$top/tests/e2e/_stage/usr/local}"
export E2E_PREFIX
[ -x "$E2E_PREFIX/libexec/squid-inspect/inspect-certgen" ] ||
    { echo "load_soak: no staged install under $E2E_PREFIX (run make check first)" >&2; exit 2; }
. "$top/tests/e2e/lib/lab.sh"
. "$top/tests/e2e/ocsp_lab.sh"
: "${PYTHON3:=python3}"

POLICY='<?xml version="1.0"?>
<policy xmlns="urn:squid-inspect:policy:1">
  <certificate-validation revocation="soft" ocsp-timeout="3s" crl="fallback"/>
  <security-policy default="allow">
    <rule id="bench-block" action="block" reason="bench"><host>www.good.test</host></rule>
    <rule id="bench-modify" action="modify"><host>a.wild.test</host>
      <add-header name="X-Bench-Modified" value="1"/></rule>
  </security-policy>
</policy>'

# rss_table: "name pid rss_kb" for every process of the lab's Squid and c-icap sessions
rss_table() {
    local n sid
    for n in squid cicap; do
        sid=$(cat "$LAB_RUN/$n.pid" 2>/dev/null) || continue
        ps -o pid=,rss=,args= -s "$sid" 2>/dev/null |
            awk -v who="$n" '{ split($3, a, "/"); name = a[length(a)];
                               if (name == "stdbuf" || name == "sh") next;
                               print who ":" name, $1, $2 }'
    done
}

# run_round LABEL EXTRA-ARGS...: one lab, warm-up, RSS, load, RSS; prints figures
run_round() {
    local label=$1; shift
    lab_init "bench-$label" >/dev/null 2>&1 || return 1
    lab_pki || return 1
    if [ "$label" = inspect ]; then
        ocsp_use_validator "$POLICY" || return 1
        LAB_POLICY=$LAB_DIR/ocsp-policy.xml
    else
        export LAB_CERTGEN=/usr/lib/squid/security_file_certgen LAB_VALIDATOR=none
        E2E_CICAPMODDIR=/nonexistent
    fi
    ocsp_start_rest >/dev/null 2>&1 || { lab_log "the lab did not start"; lab_tail_logs; return 1; }
    echo "== $label: certgen=$(basename "$LAB_CERTGEN_USED") validator=$(basename "${LAB_VALIDATOR_USED:-none}") icap=$LAB_ICAP_SERVICE clients=$CLIENTS seconds=$SECONDS_RUN"
    local args=(--proxy-port "$LAB_SQUID_PORT" --origin-port "$LAB_ORIGIN_PORT"
                --inspect-ca "$LAB_INSPECT_CA" --origin-ca "$LAB_ORIGIN_ROOT" --clients "$CLIENTS" "$@")
    "$PYTHON3" "$top/bench/https_load.py" "${args[@]}" --seconds 5 > "$LAB_DIR/warmup.json" ||
        return 1
    rss_table > "$LAB_DIR/rss.start"
    "$PYTHON3" "$top/bench/https_load.py" "${args[@]}" --seconds "$SECONDS_RUN" > "$LAB_DIR/load.json" ||
        return 1
    rss_table > "$LAB_DIR/rss.end"
    "$PYTHON3" - "$LAB_DIR/load.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("requests %(requests)d in %(seconds)s s: %(requests_per_s)s req/s, errors %(errors)d, "
      "p50 %(p50_ms)s ms, p99 %(p99_ms)s ms, max %(max_ms)s ms, hung clients %(hung_clients)d, "
      "retried on a closed keep-alive %(retried_on_closed_keepalive)d" % r)
for k, v in sorted(r['per_class'].items()):
    print("  %-10s %6d requests, %d errors %s" % (k, v['requests'], v['errors'], v['first_error']))
PY
    echo "  RSS (kB) after warm-up -> end, per process:"
    join -j 2 -a 1 -a 2 -o '1.1,0,1.3,2.1,2.3' -e - \
        <(awk '{print $1, $2, $3}' "$LAB_DIR/rss.start" | sort -k2,2) \
        <(awk '{print $1, $2, $3}' "$LAB_DIR/rss.end" | sort -k2,2) |
        awk -v bound="$RSS_BOUND_KB" '{ name = ($1 == "-") ? $4 : $1;
              g = ($3 == "-" || $5 == "-") ? "-" : $5 - $3;
              flag = (g != "-" && g > bound) ? "  OVER BOUND" : "";
              printf "    %-32s pid %-7s %8s -> %8s  (%s)%s\n", name, $2, $3, $5, g, flag }' |
        tee "$LAB_DIR/rss.report"
    cp "$LAB_DIR/load.json" "$top/bench/last-$label.json"
    local errors hung over
    errors=$(sed -n 's/.*"errors": \([0-9]*\).*/\1/p' "$LAB_DIR/load.json" | tail -n 1)
    hung=$(sed -n 's/.*"hung_clients": \([0-9]*\).*/\1/p' "$LAB_DIR/load.json")
    over=$(grep -c 'OVER BOUND' "$LAB_DIR/rss.report")
    lab_stop_all
    rm -rf "$LAB_DIR"
    trap - EXIT
    [ "${errors:-1}" -eq 0 ] && [ "${hung:-1}" -eq 0 ] && [ "$over" -eq 0 ]
}

status=0
run_round inspect || status=1
if [ "$STOCK" = 1 ]; then
    run_round stock --expect-stock || echo "load_soak: the stock round had errors (not counted in the exit status)"
    "$PYTHON3" - "$top/bench/last-inspect.json" "$top/bench/last-stock.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
print("ratio squid-inspect / stock: requests/s %.2f, p99 %.2f" %
      (a['requests_per_s'] / b['requests_per_s'], a['p99_ms'] / b['p99_ms'] if b['p99_ms'] else 0))
PY
fi
exit $status
