#!/bin/bash
# t_inspect_groups.sh: <group> conditions work at ssl_bump step 2 and in ICAP, with the groups
# an operator's own group source gives, wired as squid-inspect.conf documents it: a yes/no
# external ACL group helper plus annotate_client (client 127.0.0.2 is in "finance": its
# connection is spliced by the group rule, the client sees the origin's own certificate), an
# external ACL helper answering with si_group_= notes (127.0.0.3 is in "staff" and "auditors":
# bumped, and the ICAP service blocks a page for auditors on the decrypted request), and a
# client in no group (127.0.0.1: bumped, nothing blocked), and proxy users whose groups come
# from the authentication helper (group=), copied onto the connection (127.0.0.4: fiona in
# finance is spliced, bob is bumped). The wiring sits before the include line, so the
# fragment's CONNECT check sees the groups too: a group-conditioned terminate rule refuses the
# finance client's CONNECT with the page. Access-log lines name the rules.
. "$(dirname "$0")/lib/lab.sh"
lab_require_lab
[ -x "${E2E_PKGLIBEXECDIR:-/nonexistent}/inspect-bump" ] || lab_skip "inspect-bump is not installed"
lab_init inspect_groups

P=$LAB_DIR/policy
mkdir -p "$P" "$LAB_DIR/bin" && chmod 755 "$P" "$LAB_DIR/bin"
cat > "$P/policy.xml" <<'EOF'
<policy xmlns="urn:squid-inspect:policy:1">
  <objects><groups id="direct-groups" names="finance"/></objects>
  <https-inspection default="inspect">
    <rule id="kill" action="terminate"><server-name>terminate.test</server-name></rule>
    <rule id="finance-no-wild" action="terminate"><group list="direct-groups"/><server-name>a.wild.test</server-name></rule>
    <rule id="finance-direct" action="bypass"><group list="direct-groups"/><server-name>good.test</server-name></rule>
  </https-inspection>
  <security-policy default="allow">
    <rule id="auditors-no-page" action="block"><group names="auditors"/><path glob="/page.html"/></rule>
  </security-policy>
</policy>
EOF
chmod 644 "$P/policy.xml"
LAB_POLICY=$P/policy.xml

# A yes/no group helper, like ext_ldap_group_acl: "CLIENT GROUP" -> OK when CLIENT is in GROUP.
cat > "$LAB_DIR/bin/group-yesno" <<'EOF'
#!/bin/bash
while read -r client group rest; do
    case "$client $group" in
    "127.0.0.2 finance") echo OK ;;
    *) echo ERR ;;
    esac
done
EOF
# A helper that answers with the client's groups as notes.
cat > "$LAB_DIR/bin/group-notes" <<'EOF'
#!/bin/bash
while read -r client rest; do
    case $client in
    127.0.0.3) echo "OK si_group_=staff si_group_=auditors" ;;
    *) echo ERR ;;
    esac
done
EOF
# A basic-auth helper that, like some authentication helpers, returns the user's groups as
# group= kv-pairs (fiona is in finance, bob in none; any password).
cat > "$LAB_DIR/bin/auth-groups" <<'EOF'
#!/bin/bash
while read -r user pass; do
    case $user in
    fiona) echo "OK group=finance group=staff" ;;
    *) echo OK ;;
    esac
done
EOF
chmod 755 "$LAB_DIR/bin/group-yesno" "$LAB_DIR/bin/group-notes" "$LAB_DIR/bin/auth-groups"
# A second access log: what Squid sent to ICAP as X-Authenticated-Groups (%note shows the
# adaptation_meta headers a transaction sent).
GROUPS_LOG=$LAB_LOGS/groups-access.log
touch "$GROUPS_LOG"
[ -z "$LAB_SQUID_USER" ] || chown "$LAB_SQUID_USER:" "$GROUPS_LOG"
# The group wiring as squid-inspect.conf documents it, before the include line (so the
# fragment's CONNECT check sees the groups too).
LAB_SQUID_PRE="auth_param basic program $LAB_DIR/bin/auth-groups
acl lab_auth_src src 127.0.0.4
acl lab_authed proxy_auth REQUIRED
http_access deny lab_auth_src !lab_authed
acl lab_auth_has_groups note group
acl lab_auth_copy_groups annotate_client -m si_group_=\"%note{group}\"
http_access deny CONNECT lab_auth_src lab_authed lab_auth_has_groups lab_auth_copy_groups !all
external_acl_type lab_group_yesno ttl=60 %>a $LAB_DIR/bin/group-yesno
external_acl_type lab_group_notes ttl=60 %>a $LAB_DIR/bin/group-notes
acl lab_finance external lab_group_yesno finance
acl lab_mark_finance annotate_client si_group_+=finance
acl lab_groups_lookup external lab_group_notes
http_access deny CONNECT lab_finance lab_mark_finance !all
http_access deny lab_groups_lookup !all"
LAB_SQUID_EXTRA="acl lab_group_src src 127.0.0.2 127.0.0.3 127.0.0.4
http_access allow lab_group_src
logformat lab_groups %>a %rm %ru icap_groups=%note{X-Authenticated-Groups}
access_log stdio:$GROUPS_LOG lab_groups"
lab_start_all || lab_fatal "the lab did not start"
log=$LAB_ACCESS_LOG
inspect_issuer=$(lab_cert_subject < "$LAB_INSPECT_CA")
cat "$LAB_ORIGIN_ROOT" "$LAB_INSPECT_CA" > "$LAB_DIR/both-cas.pem"
# leaf_from SRC NAME [CURL-ARGS]: the leaf certificate a client at SRC gets for NAME through
# Squid (PEM).
leaf_from() {
    local src=$1 name=$2; shift 2
    lab_curl --interface "$src" --cacert "$LAB_DIR/both-cas.pem" -o /dev/null "$@" \
        -w '%{certs}' "$(lab_url "$name" /page.html)" 2>/dev/null |
        sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/{p;/-----END/q}'
}

# --- 127.0.0.2, in finance through the yes/no helper + annotate_client: spliced ---
origin_fp=$(lab_cert_fp < <(lab_origin_cert good.test))
lab_assert_ne "the origin's own certificate for good.test is known" "" "$origin_fp"
lab_assert_eq "finance client: spliced by the group rule, the origin's own certificate" \
    "$origin_fp" "$(leaf_from 127.0.0.2 good.test | lab_cert_fp)"
lab_assert_log "access log: the finance client's tunnel names rule finance-direct" "$log" \
    ' 127\.0\.0\.2 TCP_TUNNEL/[0-9]+ [0-9]+ CONNECT good\.test:[0-9]+ .* bump=splice .* tls=bypass:finance-direct:matched '
lab_assert_log "cache.log: inspect-bump got the group and says why" "$LAB_CACHE_LOG" \
    'inspect-bump.*decision client=127\.0\.0\.2 user=- groups=finance server=good\.test action=bypass rule=finance-direct .*group finance in'

# --- the CONNECT check sees the groups too: a group-conditioned terminate gets its page ---
code=$(lab_curl --interface 127.0.0.2 -o /dev/null -w '%{http_code}' "$(lab_url a.wild.test /)")
lab_assert_eq "finance client: CONNECT a.wild.test refused at http_access with the page (403)" 403 "$code"
lab_assert_log "access log: refused by the group rule finance-no-wild at CONNECT" "$log" \
    ' 127\.0\.0\.2 TCP_DENIED/[0-9]+ [0-9]+ CONNECT a\.wild\.test:[0-9]+ .* connect=finance-no-wild .* err=ERR_INSPECT_TERMINATE/'
code=$(lab_curl -o /dev/null -w '%{http_code}' "$(lab_url a.wild.test /)")
lab_assert_eq "a client in no group reaches a.wild.test (200)" 200 "$code"

# --- 127.0.0.3, staff + auditors from helper notes: bumped; ICAP sees the same groups ---
if leaf_from 127.0.0.3 good.test | lab_cert_issuer | grep -qxF "$inspect_issuer"; then
    lab_pass "staff/auditors client: bumped (certificate forged by the inspection CA)"
else
    lab_fail "staff/auditors client was not bumped"
fi
lab_assert_log "cache.log: inspect-bump got both groups of the helper's notes" "$LAB_CACHE_LOG" \
    'inspect-bump.*decision client=127\.0\.0\.3 user=- groups=staff,auditors server=good\.test action=inspect rule=default'
code=$(lab_curl --interface 127.0.0.3 -o /dev/null -w '%{http_code}' "$(lab_url good.test /page.html)")
lab_assert_eq "auditors: /page.html blocked by the ICAP service's group rule (403)" 403 "$code"
code=$(lab_curl --interface 127.0.0.3 -o /dev/null -w '%{http_code}' "$(lab_url good.test /echo)")
lab_assert_eq "auditors: another page passes (200)" 200 "$code"
lab_assert_log "access log: the decrypted request, inspected, names the security rule" "$log" \
    ' 127\.0\.0\.3 [A-Z_]+/403 [0-9]+ GET https://good\.test:[0-9]+/page\.html .* tls=inspect:default:default .* verdict="blocked; rule=auditors-no-page;'
lab_assert_log "ICAP got the groups once, in Squid's order" "$GROUPS_LOG" \
    '^127\.0\.0\.3 GET https://good\.test:[0-9]+/page\.html icap_groups=staff,auditors$'
lab_assert_log "access log: the decrypted request's line carries the groups (for inspect-ctl replay)" "$log" \
    ' 127\.0\.0\.3 [A-Z_]+/403 [0-9]+ GET https://good\.test:[0-9]+/page\.html .* groups="staff,auditors" ref=sq-[0-9.]+-[0-9]+$'

# --- 127.0.0.1, in no group: bumped, nothing blocked, no groups header ---
code=$(lab_curl -o /dev/null -w '%{http_code}' "$(lab_url good.test /page.html)")
lab_assert_eq "client in no group: /page.html served (200)" 200 "$code"
lab_assert_log "access log: inspected by default" "$log" \
    ' 127\.0\.0\.1 [A-Z_]+/200 [0-9]+ GET https://good\.test:[0-9]+/page\.html .* bump=bump .* tls=inspect:default:default '
lab_assert_log "access log: no groups for it (groups=\"-\")" "$log" \
    ' 127\.0\.0\.1 [A-Z_]+/200 [0-9]+ GET https://good\.test:[0-9]+/page\.html .* groups="-" ref=sq-[0-9.]+-[0-9]+$'
lab_assert_log "cache.log: no groups for that client" "$LAB_CACHE_LOG" \
    'inspect-bump.*decision client=127\.0\.0\.1 user=- groups=- server=good\.test action=inspect'
lab_assert_log "no groups header sent to ICAP for it" "$GROUPS_LOG" \
    '^127\.0\.0\.1 GET https://good\.test:[0-9]+/page\.html icap_groups=-$'

# --- annotate_client: set once on the CONNECT, inherited by each decrypted request ---
# (www.good.test is not in the finance rule: the finance client is bumped there)
lab_curl --interface 127.0.0.2 -o /dev/null -o /dev/null "$(lab_url www.good.test /echo)" \
    "$(lab_url www.good.test /page.html)"
lab_assert_log "finance client on another name: bumped by default" "$log" \
    ' 127\.0\.0\.2 [A-Z_]+/200 [0-9]+ GET https://www\.good\.test:[0-9]+/page\.html .* bump=bump .* tls=inspect:default:default '
lab_assert_log "its first decrypted request sends the connection's group to ICAP" "$GROUPS_LOG" \
    '^127\.0\.0\.2 GET https://www\.good\.test:[0-9]+/echo icap_groups=finance$'
lab_assert_log "... and the second request on the same connection sends it once, not twice" \
    "$GROUPS_LOG" '^127\.0\.0\.2 GET https://www\.good\.test:[0-9]+/page\.html icap_groups=finance$'
# --- proxy users: groups from the authentication helper, copied onto the connection ---
lab_assert_eq "fiona (finance, from the auth helper): spliced, the origin's own certificate" \
    "$origin_fp" "$(leaf_from 127.0.0.4 good.test --proxy-user fiona:pw | lab_cert_fp)"
lab_assert_log "access log: fiona's tunnel names rule finance-direct" "$log" \
    ' 127\.0\.0\.4 TCP_TUNNEL/[0-9]+ [0-9]+ CONNECT good\.test:[0-9]+ fiona bump=splice .* tls=bypass:finance-direct:matched '
code=$(lab_curl --interface 127.0.0.4 --proxy-user bob:pw -o /dev/null -w '%{http_code}' \
    "$(lab_url good.test /page.html)")
lab_assert_eq "bob (no group) from the same address: bumped and served (200)" 200 "$code"
lab_assert_log "access log: bob inspected by default" "$log" \
    ' 127\.0\.0\.4 [A-Z_]+/200 [0-9]+ GET https://good\.test:[0-9]+/page\.html bob bump=bump .* tls=inspect:default:default '
lab_curl --interface 127.0.0.4 --proxy-user fiona:pw -o /dev/null "$(lab_url www.good.test /page.html)"
lab_assert_log "fiona's decrypted request (another name) sends her groups to ICAP" "$GROUPS_LOG" \
    '^127\.0\.0\.4 GET https://www\.good\.test:[0-9]+/page\.html icap_groups=finance,staff$'
lab_done
