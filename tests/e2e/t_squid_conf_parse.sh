#!/bin/bash
# t_squid_conf_parse.sh: the rendered squid-inspect.conf fragment, included in an admin's
# squid.conf, passes `squid -k parse` with no error or warning: with the lab's keys, with and
# without a validator, and with only the keys an admin passes (installed defaults); that
# admin render carries every security-relevant line; render-squid-conf refuses unknown and
# retired keys; the c-icap lines render.
. "$(dirname "$0")/lib/lab.sh"
lab_require "$SQUID" "$OPENSSL" "$PYTHON3"
lab_init squid_conf_parse
lab_pki || lab_fatal "PKI generation failed"
# No process is started: ports only need to be numbers here.
LAB_ORIGIN_PORT=$(lab_free_port) LAB_ORIGIN_PLAIN_PORT=$(lab_free_port) LAB_ICAP_PORT=$(lab_free_port)

# parse_clean DESC: `squid -k parse` of the lab's squid.conf exits 0 and says nothing alarming.
# Squid 5.7 echoes every directive it reads ("Processing: acl inspect_err_origin squid_error
# ERR_..."), so those lines are left out; everything else it prints (certificate loading,
# "Initializing ... TLS contexts", "Startup: ...") contains none of these words in any case.
parse_clean() {
    local desc=$1 out rc bad
    out=$(lab_squid_parse); rc=$?
    printf '%s\n' "$out" > "$LAB_LOGS/parse-$LAB_PASSES.log"
    lab_assert_eq "$desc: squid -k parse exit status" 0 "$rc"
    bad=$(printf '%s\n' "$out" | grep -v '| Processing: ' |
          grep -Ei 'error|fatal|warning|bungled|upgrade|unknown|obsolete|deprecated' | head -n3)
    lab_assert_eq "$desc: no error or warning from squid -k parse" "" "$bad"
}
check_parse() { # DESC KEY=VALUE...
    local desc=$1; shift
    lab_squid_conf "$@" || { lab_fail "$desc: could not write the configuration"; return; }
    parse_clean "$desc"
}

certgen=/usr/lib/squid/security_file_certgen
check_parse "with a validator" CERTGEN_PROGRAM=$certgen VALIDATOR_PROGRAM=$certgen
lab_assert_match "validator line present, ttl= and cache= before the program" \
    "^sslcrtvalidator_program ttl=[0-9]+ cache=[0-9]+ $certgen --policy ${LAB_POLICY_USED//./\\.} --state-dir=[^ ]+ --add-ca-file=${LAB_ORIGIN_ROOT//./\\.}\$" \
    "$(cat "$LAB_SQUID_FRAGMENT")"
lab_assert_match "ssl_bump: peek at step 1 (an intercepted one without the mark), then the policy helper's splice/bump/terminate, else terminate" \
    'peek inspect_step1 inspect_mark_allowed peek inspect_step1 !inspect_connect splice inspect_step2 inspect_decide inspect_splice inspect_mark_spliced bump inspect_step2 inspect_bump terminate inspect_step2 inspect_terminate terminate all' \
    "$(awk '$1 == "ssl_bump" {for (i = 2; i <= NF; i++) printf "%s ", $i}' "$LAB_SQUID_FRAGMENT")"
lab_assert_match "the policy helper: no result caching, concurrency, a queue" \
    '^external_acl_type inspect_bump ttl=0 negative_ttl=0 .*concurrency=[0-9]+ queue-size=[0-9]+ %>a %un %ssl::>sni %>rd %>rP %note\{si_group_\} [^ ]*/inspect-bump --policy ' \
    "$(cat "$LAB_SQUID_FRAGMENT")"
lab_assert_match "an undecided (helper-less) splice is refused" \
    '^http_access deny inspect_connect inspect_step2 !inspect_decided$' "$(cat "$LAB_SQUID_FRAGMENT")"
lab_assert_match "the access log names the inspection rule and failures" \
    '^logformat inspect .* tls=%note\{clt_conn_tag\} .* fail=%note\{si_fail\} ' "$(cat "$LAB_SQUID_FRAGMENT")"
lab_assert_match "certgen children fail per request on persistent overload" \
    '^sslcrtd_children .*queue-size=[0-9]+ on-persistent-overload=ERR' "$(cat "$LAB_SQUID_FRAGMENT")"

lab_assert_match "the groups go to ICAP under the policy's default header, only when there are any" \
    '^adaptation_meta X-Authenticated-Groups "%note\{si_group_\}" inspect_has_groups$' \
    "$(cat "$LAB_SQUID_FRAGMENT")"

lab_assert_match "a CONNECT that passed http_access is marked allowed (intercepted ones too)" \
    '^adapted_http_access deny inspect_connect inspect_mark_allowed !all$' "$(cat "$LAB_SQUID_FRAGMENT")"
lab_assert_no_log "no intercept port unless asked for" "$LAB_SQUID_FRAGMENT" \
    '^https?_port .*intercept'

# --- gateway mode: the intercept ports ---
check_parse "intercept ports" CERTGEN_PROGRAM=$certgen INTERCEPT_HTTP_PORT=127.0.0.1:$(lab_free_port) \
    INTERCEPT_HTTPS_PORT=$(lab_free_port)
lab_assert_match "INTERCEPT_HTTP_PORT renders an intercept http_port" \
    '^http_port 127\.0\.0\.1:[0-9]+ intercept$' "$(cat "$LAB_SQUID_FRAGMENT")"
lab_assert_match "INTERCEPT_HTTPS_PORT renders an intercept ssl-bump https_port with the inspection CA" \
    "^https_port [0-9]+ intercept ssl-bump tls-cert=${LAB_INSPECT_CA//./\\.} tls-key=${LAB_INSPECT_KEY//./\\.} generate-host-certificates=on dynamic_cert_mem_cache_size=[0-9]+MB\$" \
    "$(cat "$LAB_SQUID_FRAGMENT")"
for bad in 'x:3129' '70000' '3129 ssl-bump' 'foo'; do
    if lab__render INTERCEPT_HTTPS_PORT="$bad" >/dev/null 2>&1; then
        lab_fail "render-squid-conf accepted INTERCEPT_HTTPS_PORT='$bad'"
    else
        lab_pass "render-squid-conf refuses INTERCEPT_HTTPS_PORT='$bad'"
    fi
done

check_parse "groups from the note group, no groups header" CERTGEN_PROGRAM=$certgen GROUPS_NOTE=group \
    GROUPS_HEADER=
lab_assert_match "GROUPS_NOTE names the note inspect-bump gets" ' %>rP %note\{group\} ' \
    "$(grep '^external_acl_type inspect_bump' "$LAB_SQUID_FRAGMENT")"
lab_assert_no_log "no groups header when GROUPS_HEADER is empty" "$LAB_SQUID_FRAGMENT" \
    '^adaptation_meta .*%note\{group\}'

check_parse "without a validator" CERTGEN_PROGRAM=$certgen VALIDATOR_PROGRAM=
lab_assert_no_log "no validator line when VALIDATOR_PROGRAM is empty" "$LAB_SQUID_FRAGMENT" \
    '^sslcrtvalidator'
lab_assert_no_log "no token left unrendered" "$LAB_SQUID_FRAGMENT" '@[A-Z_]+@'
lab_assert_match "non-TLS bytes after CONNECT are refused by default, and marked for the log" \
    '^on_unsupported_protocol respond inspect_not_tls inspect_step1 inspect_allowed inspect_mark_unsupported$' \
    "$(cat "$LAB_SQUID_FRAGMENT")"

check_parse "non-TLS bytes tunnelled" CERTGEN_PROGRAM=$certgen UNSUPPORTED_PROTOCOL=tunnel
lab_assert_match "UNSUPPORTED_PROTOCOL=tunnel tunnels them for allowed CONNECTs only" \
    '^on_unsupported_protocol tunnel inspect_not_tls inspect_step1 inspect_allowed inspect_mark_unsupported$' \
    "$(cat "$LAB_SQUID_FRAGMENT")"
lab_assert_match "Squid's tunnel requests never go to REQMOD" \
    '^adaptation_access inspect_req deny inspect_tunnel_request$' "$(cat "$LAB_SQUID_FRAGMENT")"

check_parse "HTTPS responses cacheable" CERTGEN_PROGRAM=$certgen CACHE_BUMPED=on
lab_assert_no_log "CACHE_BUMPED=on: no cache deny line" "$LAB_SQUID_FRAGMENT" '^cache '
lab_assert_match "CACHE_BUMPED=on: hits are marked for the log" \
    '^note si_fail failed-open:cache-hit inspect_tls_fetched inspect_copy_cache_code inspect_cache_hit$' \
    "$(cat "$LAB_SQUID_FRAGMENT")"

# --- the admin's render: installed defaults, only the keys an operator passes ---
# No cafile for origins (system store), a daemon access log, Squid's own error pages, ICAP
# optional. The lab's squid.conf includes this fragment instead of the lab's own.
admin_log=daemon:$LAB_LOGS/admin-access.log
if lab_squid_conf && lab__render OUTGOING_CAFILE= ACCESS_LOG="$admin_log" ERROR_DIRECTORY= \
        ICAP_BYPASS=on -o "$LAB_SQUID_FRAGMENT"; then
    parse_clean "admin defaults"
else
    lab_fail "admin defaults: could not render the fragment"
fi
frag=$(cat "$LAB_SQUID_FRAGMENT")
has() { lab_assert_match "admin defaults: $1" "$2" "$frag"; }
lab_assert_no_log "admin defaults: no token left unrendered" "$LAB_SQUID_FRAGMENT" '@[A-Z_]+@'
has "origins need TLS 1.2+, browser-grade ciphers, security level 2, CAs from the system store (no cafile=)" \
    '^tls_outgoing_options options=NO_SSLv3,NO_TLSv1,NO_TLSv1_1 cipher=ECDHE\+AESGCM:[^ ]*:!kDHE:[^ ]*:@SECLEVEL=2$'
has "revocation states of soft mode are waived (the validator runs)" \
    '^sslproxy_cert_error allow inspect_rev_state$'
has "no other certificate error is waived" '^sslproxy_cert_error deny all$'
has "untrusted origins are mimicked with an untrusted issuer" \
    '^sslproxy_cert_sign signUntrusted ssl::certUntrusted$'
has "self-signed origins are mimicked self-signed" '^sslproxy_cert_sign signSelf ssl::certSelfSigned$'
has "everything else is signed by the inspection CA" '^sslproxy_cert_sign signTrusted all$'
lab_assert_eq "admin defaults: sslproxy_cert_sign rules in order (signTrusted all last)" \
    "signUntrusted signSelf signTrusted " \
    "$(awk '$1 == "sslproxy_cert_sign" {printf "%s ", $2}' "$LAB_SQUID_FRAGMENT")"
has "forged certificates are signed with SHA-256" '^sslproxy_cert_sign_hash sha256$'
has "the validator runs (installed inspect-ocsp) on the policy file, ttl= and cache= before its path" \
    '^sslcrtvalidator_program ttl=[0-9]+ cache=[0-9]+ /[^ ]*/inspect-ocsp --policy /[^ ]*/squid-inspect/policy\.xml --state-dir=/[^ ]*/lib/squid-inspect/status$'
lab_assert_eq "admin defaults: inspect-bump and inspect-ocsp get the same policy file" 1 \
    "$(printf '%s\n' "$frag" | grep -v '^#' | grep -oE -- '--policy [^ ]+' | sort -u | wc -l)"
has "validator: concurrent, a queue, overload fails single requests" \
    '^sslcrtvalidator_children [0-9]+ startup=0 idle=1 concurrency=[1-9][0-9]* queue-size=[0-9]+ on-persistent-overload=ERR$'
has "certgen: installed inspect-certgen with its db and cache size" \
    '^sslcrtd_program /[^ ]*/inspect-certgen -s /[^ ]*/ssl_db -M [0-9]+MB$'
# The documented Debian layout, whatever the install prefix: CA and policy in /etc/squid-inspect,
# the certificate cache in /var/lib/squid-inspect/ssl_db (configure's --with-confdir/--with-statedir).
has "default policy: /etc/squid-inspect/policy.xml" \
    '^external_acl_type inspect_bump .* --policy /etc/squid-inspect/policy\.xml( |$)'
has "default certificate cache: /var/lib/squid-inspect/ssl_db" \
    '^sslcrtd_program /[^ ]*/inspect-certgen -s /var/lib/squid-inspect/ssl_db '
has "the http_port comment names /etc/squid-inspect/ca.pem and ca.key" \
    'tls-cert=/etc/squid-inspect/ca\.pem tls-key=/etc/squid-inspect/ca\.key'
lab_assert_match "the c-icap lines read /etc/squid-inspect/policy.xml" \
    '^inspect\.PolicyFile /etc/squid-inspect/policy\.xml$' "$(lab__render --cicap)"
lab_assert_match "inspect-ocsp's own default policy is /etc/squid-inspect/policy.xml" \
    '\(default /etc/squid-inspect/policy\.xml when it exists\)' \
    "$("${E2E_PKGLIBEXECDIR:-/nonexistent}/inspect-ocsp" --help 2>&1)"
has "certgen children: startup=0, idle=1, a queue, overload fails single requests" \
    '^sslcrtd_children [0-9]+ startup=0 idle=1 queue-size=[0-9]+ on-persistent-overload=ERR$'
has "certificate fetching (AIA) is recognised" \
    '^acl inspect_cert_fetch transaction_initiator certificate-fetching$'
has "... and allowed through http_access" '^http_access allow inspect_cert_fetch$'
has "ICAP REQMOD is optional (ICAP_BYPASS=on)" '^icap_service inspect_req reqmod_precache icap://[^ ]+ bypass=on$'
has "ICAP RESPMOD is optional (ICAP_BYPASS=on)" '^icap_service inspect_resp respmod_precache icap://[^ ]+ bypass=on$'
for m in 'X-Squid-SNI "%ssl::>sni" all' 'X-Squid-Bump-Mode "%ssl::bump_mode" all' \
         'X-Squid-Server-Cert-Subject "%ssl::<cert_subject" all' \
         'X-Squid-Server-Cert-Issuer "%ssl::<cert_issuer" all' \
         'X-Squid-Cert-Errors "%ssl::<cert_errors" all' 'X-Inspect-Tls "%note\{clt_conn_tag\}" all' \
         'X-Authenticated-Groups "%note\{si_group_\}" inspect_has_groups'; do
    has "ICAP gets adaptation_meta ${m%% *}" "^adaptation_meta $m\$"
done
logfmt=$(grep '^logformat inspect ' "$LAB_SQUID_FRAGMENT")
for f in 'bump=%ssl::bump_mode' 'tls=%note\{clt_conn_tag\}' 'sni="%ssl::>sni"' \
         'cert_errors="%ssl::<cert_errors"' 'verdict="%adapt::<last_h\{X-Inspect-Verdict\}"' \
         'req_verdict="%note\{X-Inspect-Req-Verdict\}"' 'fail=%note\{si_fail\}' 'rev=%note\{si_rev\}'; do
    lab_assert_match "admin defaults: logformat inspect has ${f%%=*}=" " $f( |\$)" "$logfmt"
done
has "waived certificate errors are copied into a note at log time" \
    '^acl inspect_copy_cert_errors annotate_transaction si_cert_errors_="%ssl::<cert_errors"$'
has "... and marked failed-open:cert-error-waived when there are any" \
    '^note si_fail failed-open:cert-error-waived inspect_copy_cert_errors !inspect_no_cert_errors !inspect_rev_state_only$'
has "HTTPS responses are not cached (CACHE_BUMPED=off)" '^cache deny inspect_tls_fetched$'
has "the REQMOD verdict goes along with RESPMOD, for the log" \
    '^adaptation_meta X-Inspect-Req-Verdict "%'"'"'adapt::<last_h\{X-Inspect-Verdict\}" inspect_resp_phase$'
has "the revocation state is read from the copied errors" \
    '^note si_rev revoked inspect_copy_cert_errors inspect_rev_revoked$'
has "the daemon access log in the inspect format" "^access_log $admin_log inspect\$"
lab_assert_no_log "admin defaults: Squid's own error pages (no error_directory)" "$LAB_SQUID_FRAGMENT" \
    '^(error_directory|deny_info [0-9]*:?ERR_INSPECT_)'

if lab__render NO_SUCH_KEY=1 >/dev/null 2>&1; then
    lab_fail "render-squid-conf accepted an unknown key"
else
    lab_pass "render-squid-conf refuses an unknown key"
fi
if lab__render CACHE_BUMPED=yes >/dev/null 2>&1; then
    lab_fail "render-squid-conf accepted CACHE_BUMPED=yes"
else
    lab_pass "render-squid-conf refuses a CACHE_BUMPED other than off or on"
fi
if lab__render BYPASS_LIST=/x TERMINATE_LIST=/y >/dev/null 2>&1; then
    lab_fail "render-squid-conf still accepts the retired BYPASS_LIST/TERMINATE_LIST keys"
else
    lab_pass "render-squid-conf refuses the retired BYPASS_LIST/TERMINATE_LIST keys"
fi
cicap=$(lab__render --cicap CICAP_MODULE=/x/srv_inspect.so POLICY_FILE=/x/policy.xml)
lab_assert_match "c-icap lines load the service" '^Service inspect /x/srv_inspect\.so$' "$cicap"
lab_assert_match "c-icap lines set the policy file" '^inspect\.PolicyFile /x/policy\.xml$' "$cicap"
lab_done
