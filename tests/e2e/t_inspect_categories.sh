#!/bin/bash
# t_inspect_categories.sh: categories from a UT1 / squidGuard-style tree drive the decisions:
# a bypass rule on category "bank" splices (the client sees the origin's own certificate, no
# certificate forged, ICAP never sees it), subdomains included; a site in an unreferenced
# category is inspected; a security rule on category "gambling" blocks an inspected site and
# c-icap's log names the category; `inspect-ctl explain` names the category; a policy edit
# naming one more category, and an update of a category's domains file, are picked up without
# restarting Squid.
. "$(dirname "$0")/lib/lab.sh"
lab_require_lab
[ -x "${E2E_PKGLIBEXECDIR:-/nonexistent}/inspect-bump" ] || lab_skip "inspect-bump is not installed"
CTL=${E2E_BINDIR:-/nonexistent}/inspect-ctl
[ -x "$CTL" ] || lab_skip "inspect-ctl is not installed"
lab_init inspect_categories

P=$LAB_DIR/policy
mkdir -p "$P/ut1/bank" "$P/ut1/gambling" "$P/ut1/news"
# UT1 layout: one directory per category, a domains file, names match their subdomains.
printf 'bypass.test\nwild.test\n' > "$P/ut1/bank/domains"
printf 'bypass.test/login\n' > "$P/ut1/bank/urls"           # urls files are not used
printf 'www.good.test\n' > "$P/ut1/gambling/domains"
printf 'good.test\n' > "$P/ut1/news/domains"                 # not named by the first policy
chmod -R a+rX "$P"
write_policy() { # $1: categories of the bypass rule
    cat > "$P/policy.xml.tmp" <<EOF
<policy xmlns="urn:squid-inspect:policy:1">
  <objects>
    <categories id="ut1" dir="ut1"/>
  </objects>
  <https-inspection default="inspect">
    <rule id="no-banking" action="bypass"><server-name category="$1"/></rule>
  </https-inspection>
  <security-policy default="allow">
    <rule id="no-gambling" action="block"><host category="ut1:gambling"/></rule>
  </security-policy>
</policy>
EOF
    chmod 644 "$P/policy.xml.tmp" && mv "$P/policy.xml.tmp" "$P/policy.xml"
}
write_policy bank
LAB_POLICY=$P/policy.xml
lab_start_all || lab_fatal "the lab did not start"
squid_pid=$(cat "$LAB_RUN/squid.pid")
log=$LAB_ACCESS_LOG
inspect_issuer=$(lab_cert_subject < "$LAB_INSPECT_CA")
origin_fp() { lab_cert_fp < <(lab_origin_cert "$1"); }
is_bumped() { [ "$(lab_cert_issuer)" = "$inspect_issuer" ]; }

# --- bypass by category: bypass.test (in bank) and a.wild.test (subdomain of wild.test) ---
fp=$(lab_cert_fp < <(lab_proxy_cert bypass.test))
lab_assert_eq "bypass.test (category bank) is spliced: the origin's own certificate" \
    "$(origin_fp bypass.test)" "$fp"
lab_assert_log "access log: bypass.test spliced by rule no-banking" "$log" \
    'CONNECT bypass\.test:[0-9]+ .* bump=splice sni="bypass\.test" tls=bypass:no-banking:matched '
fp=$(lab_cert_fp < <(lab_proxy_cert a.wild.test))
lab_assert_eq "a.wild.test (subdomain of wild.test in bank) is spliced" "$(origin_fp a.wild.test)" "$fp"
code=$(lab_curl --cacert "$LAB_ORIGIN_ROOT" -o /dev/null -w '%{http_code}' "$(lab_url bypass.test /page.html)")
lab_assert_eq "a request to bypass.test through the tunnel is served by the origin (200)" 200 "$code"
lab_assert_log "cache.log: inspect-bump names the category" "$LAB_CACHE_LOG" \
    'inspect-bump.*server=bypass\.test action=bypass rule=no-banking .*category bank \(ut1\)'

# --- a site in a category no rule names is inspected ---
if lab_proxy_cert good.test | is_bumped; then lab_pass "good.test (category news, not named) is inspected"
else lab_fail "good.test was not inspected"; fi

# --- security rule on a category: www.good.test is inspected, then blocked ---
code=$(lab_curl -o /dev/null -w '%{http_code}' "$(lab_url www.good.test /page.html)")
lab_assert_eq "www.good.test (category gambling) is blocked by the security policy (403)" 403 "$code"
lab_assert_log "c-icap log: rule no-gambling names the category" "$LAB_LOGS/cicap-server.log" \
    'host=www\.good\.test .*rule=no-gambling action=blocked reason="host www\.good\.test in category gambling \(ut1\)"'

# --- nothing but Squid touched the spliced connections ---
if grep -rqs 'bypass\.test' "$LAB_CERTGEN_DB"; then lab_fail "a certificate was generated for bypass.test"
else lab_pass "no certificate was generated for bypass.test"; fi
lab_assert_no_log "c-icap never saw bypass.test" <(cat "$LAB_LOGS"/cicap*.log 2>/dev/null) 'bypass\.test'

# --- inspect-ctl explain names the category ---
out=$("$CTL" explain "$P/policy.xml" --client 127.0.0.1 www.bypass.test 2>&1)
lab_assert_match "explain: bypass by rule no-banking" 'https-inspection: bypass by rule no-banking' "$out"
lab_assert_match "explain: the matched category is named" \
    'matched: server-name www\.bypass\.test in category bank \(ut1\)' "$out"
out=$("$CTL" explain "$P/policy.xml" --client 127.0.0.1 https://www.good.test/x 2>&1)
lab_assert_match "explain: block by no-gambling, category named" \
    'block by rule no-gambling' "$out"
lab_assert_match "explain: ... and the category is named" \
    'host www\.good\.test in category gambling \(ut1\)' "$out"

# --- naming one more category in the policy: picked up without restarting Squid ---
write_policy "bank news"
sleep 2
fp=$(lab_cert_fp < <(lab_proxy_cert good.test))
lab_assert_eq "after the edit good.test (category news) is spliced" "$(origin_fp good.test)" "$fp"
lab_assert_log "access log: good.test spliced by rule no-banking" "$log" \
    'CONNECT good\.test:[0-9]+ .* bump=splice sni="good\.test" tls=bypass:no-banking:matched '

# --- the database itself is updated (as rsync does: new file, rename), the policy untouched ---
printf 'wild.test\n' > "$P/ut1/bank/domains.tmp" && chmod 644 "$P/ut1/bank/domains.tmp" &&
    mv "$P/ut1/bank/domains.tmp" "$P/ut1/bank/domains"
sleep 2
if lab_proxy_cert bypass.test | is_bumped; then
    lab_pass "bypass.test, removed from category bank, is inspected (no policy edit, no restart)"
else
    lab_fail "the category update was not picked up"
fi
lab_assert_log "access log: bypass.test now inspected by default" "$log" \
    'sni="bypass\.test" tls=inspect:default:default'
lab_assert_eq "Squid was not restarted" "$squid_pid" "$(cat "$LAB_RUN/squid.pid" 2>/dev/null)"
lab_done
