#!/bin/bash
# t_inspect_cache.sh: decrypted responses and Squid's cache (a memory cache, LAB_SQUID_CACHE).
# By default (CACHE_BUMPED=off) a cacheable response on a bumped connection is never stored:
# every fetch reaches the origin and RESPMOD, so a response rule added later blocks the next
# fetch (403) and no bumped line is a TCP_*HIT. With CACHE_BUMPED=on a repeated fetch is a
# memory hit, logged fail=failed-open:cache-hit with only the REQMOD verdict, and a response
# rule added later does not reach it (the trade-off the fragment documents) while a URL not
# yet cached is blocked.
. "$(dirname "$0")/lib/lab.sh"
lab_require_lab
[ -f "${E2E_CICAPMODDIR:-/nonexistent}/srv_inspect.so" ] || lab_skip "srv_inspect.so is not staged"
CTL=${E2E_BINDIR:-/nonexistent}/inspect-ctl
[ -x "$CTL" ] || lab_skip "inspect-ctl is not installed"
lab_init inspect_cache

P=$LAB_DIR/policy
mkdir -p "$P" && chmod 755 "$P"
BLOCK_RULE='<rule id="no-cacheable" action="block"><path glob="/cacheable*"/>
      <response><content-type>text/html</content-type></response></rule>'
# write_policy [RULE]: the security policy, with RULE (a response rule) when given.
write_policy() {
    cat > "$P/policy.xml.tmp" <<EOF
<policy xmlns="urn:squid-inspect:policy:1">
  <security-policy default="allow">
    <rule id="never" action="block"><host>never.test</host>
      <response><content-type>text/*</content-type></response></rule>
    ${1:-}
  </security-policy>
</policy>
EOF
    chmod 644 "$P/policy.xml.tmp" && mv "$P/policy.xml.tmp" "$P/policy.xml"
}
# reload: srv_inspect re-reads the policy (control command) and a child logs the new digest.
reload() {
    local digest
    digest=$("$CTL" validate "$P/policy.xml" | sed -n 's/.*(digest \([0-9a-f]*\)).*/\1/p')
    echo -n inspect:reload > "$LAB_DIR/cicap/c-icap.ctl"
    lab_wait_log "$LAB_LOGS/cicap-server.log" \
        "[0-9]+/[0-9]+, inspect: policy .* loaded \(digest $digest\)" 20 ||
        lab_fatal "srv_inspect did not reload the policy (digest $digest)"
}
fetch() { # PATH: prints the HTTP status of a fetch of good.test PATH through the proxy
    lab_curl -o "$LAB_DIR/body" -w '%{http_code}' "$(lab_url good.test "$1")"
}
origin_count() { grep -c "\"GET $1 HTTP" "$LAB_LOGS/origin.log"; }
# count_lines ERE N: the access-log lines matching ERE, once there are N (or after 10 s).
count_lines() {
    local end=$((SECONDS + 10))
    until [ "$(grep -cE "$1" "$LAB_ACCESS_LOG")" -ge "$2" ] || [ $SECONDS -ge $end ]; do sleep 0.2; done
    grep -cE "$1" "$LAB_ACCESS_LOG"
}
line_re() { printf 'GET https://good\\.test:[0-9]+%s ' "$1"; }

write_policy
LAB_POLICY=$P/policy.xml
LAB_SQUID_CACHE=1
LAB_CICAP_EXTRA="inspect.ReloadCheckInterval 0"
lab_start_all || lab_fatal "the lab did not start"
log=$LAB_ACCESS_LOG

# ---- CACHE_BUMPED=off (the default): never stored, every fetch inspected ----
lab_assert_eq "first fetch of the cacheable page: 200" 200 "$(fetch /cacheable)"
lab_assert_log "first fetch logged" "$log" "$(line_re /cacheable)"
lab_assert_eq "second fetch: 200" 200 "$(fetch /cacheable)"
lab_assert_log "second fetch logged, a miss that went through RESPMOD" "$log" \
    "TCP_MISS/200 .*$(line_re /cacheable).*verdict=\"allowed; rule=default; ref=[^\";]+; phase=respmod\""
lab_assert_eq "both fetches reached the origin (nothing served from the cache)" 2 \
    "$(origin_count /cacheable)"
write_policy "$BLOCK_RULE"
reload
lab_assert_eq "after a response rule is added, the same URL is blocked (403)" 403 "$(fetch /cacheable)"
lab_assert_log "the block is logged with the new rule (RESPMOD)" "$log" \
    "/403 .*$(line_re /cacheable).*verdict=\"blocked; rule=no-cacheable; ref=[^\";]+; phase=respmod\""
lab_assert_no_log "no bumped line is a cache hit" "$log" 'TCP_[A-Z_]*HIT/.* bump=bump '
lab_assert_no_log "no line says failed-open:cache-hit" "$log" 'fail=failed-open:cache-hit'

# ---- CACHE_BUMPED=on: hits, marked on the log; the later rule does not reach them ----
write_policy
reload
lab_stop squid
lab_start_squid CACHE_BUMPED=on || lab_fatal "squid did not restart with CACHE_BUMPED=on"
lab_assert_eq "[on] first fetch: 200" 200 "$(fetch /cacheable/2)"
lab_assert_log "[on] first fetch is a miss through RESPMOD" "$log" \
    "TCP_MISS/200 .*$(line_re /cacheable/2).*phase=respmod.* fail=- "
lab_assert_eq "[on] second fetch: 200" 200 "$(fetch /cacheable/2)"
lab_assert_log "[on] second fetch is a hit, logged failed-open:cache-hit with the REQMOD verdict only" \
    "$log" "TCP_[A-Z_]*HIT/200 .*$(line_re /cacheable/2).*bump=bump .*verdict=\"allowed; rule=default; ref=[^\";]+; phase=reqmod\" req_verdict=\"-\" fail=failed-open:cache-hit "
lab_assert_eq "[on] the origin saw one fetch" 1 "$(origin_count /cacheable/2)"
write_policy "$BLOCK_RULE"
reload
lab_assert_eq "[on] the cached page is still served after the new rule (the documented trade-off)" \
    200 "$(fetch /cacheable/2)"
lab_assert_eq "[on] ... from the cache" 2 \
    "$(count_lines "TCP_[A-Z_]*HIT/200 .*$(line_re /cacheable/2).*fail=failed-open:cache-hit " 2)"
lab_assert_eq "[on] a URL not yet cached is blocked by the new rule" 403 "$(fetch /cacheable/3)"
lab_done
