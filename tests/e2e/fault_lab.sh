# fault_lab.sh: what the fault-injection tests (t_fault_*.sh) add to the lab (sourced after
# lib/lab.sh). Every case ends in one line, also appended to $FAULT_MATRIX when set:
#   FAULT-MATRIX: <case> | expected <outcome> | observed <outcome> | <detail>
# with outcomes in the words of the logs and README.md: inspected, bypassed, blocked, failed-open,
# failed-closed, undetermined (revocation unknown, soft: allowed), refused, kept-old-policy,
# degraded (served without a cache), recovered.
#
#   fault_outcome CASE EXPECTED OBSERVED DETAIL   assert EXPECTED == OBSERVED and record it
#   fault_server NAME PORT MODE [faultd args]     faultd.py on PORT (after lab_stop of whatever
#                                                 listened there)
#   fault_fetch NAME [PATH]                       curl through Squid: prints "CODE ELAPSED_MS"
#   fault_squid_alive                             Squid's master still runs and answers
#   fault_pids_of PATTERN                         pids of processes of this lab (Squid's helpers
#                                                 and c-icap children) whose command line matches

fault_outcome() {
    local case=$1 exp=$2 obs=$3 detail=${4:-}
    local line="FAULT-MATRIX: $case | expected $exp | observed $obs | $detail"
    echo "$line"
    [ -z "${FAULT_MATRIX:-}" ] || echo "$line" >> "$FAULT_MATRIX"
    lab_assert_eq "$case: $exp" "$exp" "$obs"
}

fault_server() {
    local name=$1 port=$2 mode=$3; shift 3
    lab_stop "$name"
    lab_spawn "$name" "$LAB_LOGS/$name.log" "$PYTHON3" -u "$LAB_LIB/faultd.py" --port "$port" \
        --mode "$mode" "$@"
    lab_wait_port "$port" 20 "$LAB_PID"
}

fault_fetch() {
    local t0 code
    t0=$(lab__now_ms)
    code=$(lab_curl -o /dev/null -w '%{http_code}' "$(lab_url "$1" "${2:-/page.html}")" 2>/dev/null)
    echo "${code:-000} $(( $(lab__now_ms) - t0 ))"
}

fault_squid_alive() {
    local pid
    pid=$(cat "$LAB_RUN/squid.pid" 2>/dev/null) && lab__alive "$pid" || return 1
    lab_wait_port "$LAB_SQUID_PORT" 5 "$pid"
}

# Processes descending from the lab's Squid or c-icap (by session: lab_spawn uses setsid).
fault_pids_of() {
    local sid n
    for n in squid cicap; do
        sid=$(cat "$LAB_RUN/$n.pid" 2>/dev/null) || continue
        ps -o pid=,args= -s "$sid" 2>/dev/null | grep -E -- "$1" | grep -v grep | awk '{print $1}'
    done
}

# fault_restart_squid: stop Squid and start it again on the same configuration and the same
# certificate db (lab_start_squid would re-initialise the db: a fault put there would vanish).
fault_restart_squid() {
    lab_stop squid
    lab_spawn squid "$LAB_LOGS/squid-stdout.log" "$SQUID" -f "$LAB_SQUID_CONF" \
        -n "$LAB_SQUID_SERVICE" --foreground
    lab_wait_port "$LAB_SQUID_PORT" 60 "$LAB_PID"
}
