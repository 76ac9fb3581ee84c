#!/bin/bash
# t_certgen_smp.sh: two Squid workers, sslcrtd_children with concurrency=4: requests carry
# channel IDs, forged certificates keep their properties, and every helper process of both
# workers shares one cache (one forge for good.test, the same certificate everywhere).
. "$(dirname "$0")/lib/lab.sh"
lab_require_lab
lab_require ps
lab_init certgen_smp
. "$(dirname "$0")/lib/certgen-checks.sh"
export LAB_SQUID_WORKERS=2
# -d (after -M's value): one debug line per request, with the helper's pid, in cache.log.
lab_start_all CERTGEN_CHILDREN="4 concurrency=4" CERTGEN_CACHE_SIZE="4MB -d" ||
    lab_fatal "the lab did not start"
case $LAB_CERTGEN_USED in
    */inspect-certgen) lab_pass "Squid runs inspect-certgen" ;;
    *) lab_fatal "Squid runs $LAB_CERTGEN_USED, not inspect-certgen" ;;
esac
lab_assert_log "fragment: sslcrtd_children with concurrency=4" "$LAB_SQUID_FRAGMENT" \
    '^sslcrtd_children 4 concurrency=4 '

certgen_check_forged good.test "-verify_hostname good.test"
certgen_check_forged 127.0.0.1 "-verify_ip 127.0.0.1"
lab_assert_log "requests carried concurrency channel IDs" "$LAB_CACHE_LOG" \
    'inspect-certgen\[[0-9]+\] DEBUG: replied id=[0-9]+ \(done\)' 10
first_fp=$(lab_cert_fp < "$LAB_DIR/good.test.proxy.pem")

# Parallel connections until helpers of both workers have answered for good.test (bounded).
workers=0
for round in 1 2 3 4 5 6; do
    bg=()
    for i in 1 2 3 4 5 6; do
        lab_proxy_cert good.test > "$LAB_DIR/par.$round.$i.pem" &
        bg+=($!)
    done
    wait "${bg[@]}"    # only these: the lab's services are background jobs of this shell too
    pids=$(sed -n 's/.*inspect-certgen\[\([0-9]*\)\] DEBUG: .*host=good\.test.*/\1/p' \
        "$LAB_CACHE_LOG" | sort -u)
    workers=$(for p in $pids; do ps -o ppid= -p "$p" 2>/dev/null; done | sort -u | grep -c .)
    [ "$workers" -ge 2 ] && break
done
lab_assert_eq "helpers of both workers answered for good.test (after $round rounds)" 2 "$workers"
lab_assert_match "several helper processes answered" '[0-9]+.*[[:space:]][0-9]+' "$(echo $pids)"
distinct=$(cat "$LAB_DIR"/par.*.pem "$LAB_DIR/good.test.proxy.pem" | awk '
    /BEGIN CERT/ { c = "" } { c = c $0 } /END CERT/ { print c }' | sort -u | wc -l)
lab_assert_eq "every connection got the same good.test certificate" 1 "$distinct"
lab_assert_eq "that certificate is the first one" "$first_fp" \
    "$(lab_cert_fp < "$LAB_DIR/par.1.1.pem")"
lab_assert_eq "good.test was forged once for both workers (the other answers are cache hits)" 1 \
    "$(grep -c 'DEBUG: forged certificate host=good\.test' "$LAB_CACHE_LOG")"
lab_assert_no_log "cache.log: no inspect-certgen error" "$LAB_CACHE_LOG" \
    'inspect-certgen\[[0-9]+\] (ERROR|WARNING)'
lab_done
