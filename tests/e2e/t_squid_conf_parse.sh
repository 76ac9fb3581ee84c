#!/bin/bash
# t_squid_conf_parse.sh: the rendered squid-inspect.conf fragment, included in an admin's
# squid.conf, passes `squid -k parse` with no error or warning, with and without a validator;
# render-squid-conf refuses unknown keys; the c-icap lines render.
. "$(dirname "$0")/lib/lab.sh"
lab_require "$SQUID" "$OPENSSL" "$PYTHON3"
lab_init squid_conf_parse
lab_pki || lab_fatal "PKI generation failed"
# No process is started: ports only need to be numbers here.
LAB_ORIGIN_PORT=$(lab_free_port) LAB_ORIGIN_PLAIN_PORT=$(lab_free_port) LAB_ICAP_PORT=$(lab_free_port)

check_parse() { # DESC KEY=VALUE...
    local desc=$1 out rc bad; shift
    lab_squid_conf "$@" || { lab_fail "$desc: could not write the configuration"; return; }
    out=$(lab_squid_parse); rc=$?
    printf '%s\n' "$out" > "$LAB_LOGS/parse-$LAB_PASSES.log"
    lab_assert_eq "$desc: squid -k parse exit status" 0 "$rc"
    bad=$(printf '%s\n' "$out" | grep -E 'ERROR|FATAL|WARNING|Bungled|UPGRADE' | head -n3)
    lab_assert_eq "$desc: no error or warning from squid -k parse" "" "$bad"
}

certgen=/usr/lib/squid/security_file_certgen
check_parse "with a validator" CERTGEN_PROGRAM=$certgen VALIDATOR_PROGRAM=$certgen
lab_assert_match "validator line present, ttl= and cache= before the program" \
    "^sslcrtvalidator_program ttl=[0-9]+ cache=[0-9]+ $certgen\$" "$(cat "$LAB_SQUID_FRAGMENT")"
lab_assert_match "ssl_bump: peek at step 1, then the policy helper's splice/bump/terminate, else terminate" \
    'peek inspect_step1 inspect_mark_allowed splice inspect_step2 inspect_decide inspect_splice bump inspect_step2 inspect_bump terminate inspect_step2 inspect_terminate terminate all' \
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

if lab__render NO_SUCH_KEY=1 >/dev/null 2>&1; then
    lab_fail "render-squid-conf accepted an unknown key"
else
    lab_pass "render-squid-conf refuses an unknown key"
fi
cicap=$(lab__render --cicap CICAP_MODULE=/x/srv_inspect.so POLICY_FILE=/x/policy.xml)
lab_assert_match "c-icap lines load the service" '^Service inspect /x/srv_inspect\.so$' "$cicap"
lab_assert_match "c-icap lines set the policy file" '^inspect\.PolicyFile /x/policy\.xml$' "$cicap"
lab_done
