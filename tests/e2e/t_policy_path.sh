#!/bin/bash
# t_policy_path.sh: one policy file, at a path that is not the compiled-in default, given to
# every component by the rendered fragments (POLICY_FILE): inspect-ocsp enforces its
# <certificate-validation revocation="hard"> (an origin whose OCSP responder never answers is
# refused, the good origin is served); inspect-bump, inspect-ocsp and srv_inspect each log at
# start-up that they enforce that file with its digest, and `inspect-ctl status` shows all three
# on it. Editing only a domain list the policy reads changes the digest, and every component
# picks the new one up.
. "$(dirname "$0")/lib/lab.sh"
. "$(dirname "$0")/ocsp_lab.sh"
lab_require_lab
lab_init policy_path
lab_pki || lab_fatal "no lab PKI"
CTL=${E2E_BINDIR:-/nonexistent}/inspect-ctl
[ -x "$CTL" ] || lab_skip "inspect-ctl is not staged (run through make check)"
[ -f "${E2E_CICAPMODDIR:-/nonexistent}/srv_inspect.so" ] || lab_skip "srv_inspect.so not staged"

ALT=$LAB_DIR/site-conf/inspect
mkdir -p "$ALT/lists" && chmod -R 755 "$LAB_DIR/site-conf"
echo terminate.test > "$ALT/lists/refused.txt" && chmod 644 "$ALT/lists/refused.txt"
LAB_POLICY=$ALT/site-policy.xml
ocsp_use_validator '<?xml version="1.0"?>
<policy xmlns="urn:squid-inspect:policy:1">
  <objects><domains id="refused" file="lists/refused.txt"/></objects>
  <https-inspection default="inspect">
    <rule id="refused-sites" action="terminate"><server-name list="refused"/></rule>
  </https-inspection>
  <certificate-validation revocation="hard" ocsp-timeout="2s" crl="off"/>
</policy>' || lab_fatal "validator wrapper"
lab_assert_eq "the policy is not at the compiled-in default path" 1 \
    "$([ "$LAB_POLICY" != "$E2E_PREFIX/etc/squid-inspect/policy.xml" ] && echo 1)"
DIGEST=$("$CTL" validate "$LAB_POLICY" | sed -n 's/.*valid (digest \([0-9a-f]*\)).*/\1/p')
lab_assert_match "inspect-ctl validate gives the policy's digest" '^[0-9a-f]{16}$' "$DIGEST"
ocsp_start_rest || lab_fatal "the lab did not start"
lab_assert_log "the rendered validator line passes the policy file" "$LAB_SQUID_FRAGMENT" \
    "^sslcrtvalidator_program .* --policy ${LAB_POLICY//./\\.} "

fetch() { # NAME -> http code
    lab_curl -o "$LAB_DIR/$1.body" -w '%{http_code}' "$(lab_url "$1" /page.html)" 2>/dev/null
}

# --- hard mode from the file at the non-default path ---
lab_assert_eq "hard: deadocsp.test (its OCSP responder never answers) refused" 503 \
    "$(fetch deadocsp.test)"
lab_assert_match "hard: the validator judged it in hard mode, from the policy" \
    'mode=hard settings="policy defaults" .*result=undetermined-refused reason="OCSP 127\.0\.0\.1:[0-9]+: [^"]*" verdict=ERR' \
    "$(ocsp_wait_line deadocsp.test)"
lab_assert_log "hard: Squid refused with the validator's OCSP error" "$LAB_ACCESS_LOG" \
    'GET https://deadocsp\.test:[0-9]+/page\.html .*cert_errors="X509_V_ERR_OCSP_VERIFY_NEEDED@depth=0"'
lab_assert_eq "the good origin is still served" 200 "$(fetch good.test)"
lab_assert_match "good.test: OCSP good in hard mode" 'mode=hard .*result=good .*verdict=OK' \
    "$(ocsp_wait_line good.test)"
lab_assert_eq "the list the policy reads terminates terminate.test (ERR_INSPECT_TERMINATE)" 403 \
    "$(fetch terminate.test)"
lab_assert_log "terminate.test: refused by the rule of the file" "$LAB_ACCESS_LOG" \
    'CONNECT terminate\.test:[0-9]+ .* connect=refused-sites .*err=ERR_INSPECT_TERMINATE'
lab_assert_no_log "other-name.test is not on the list yet" "$LAB_ACCESS_LOG" 'other-name'

# --- each component names the file and its digest at start-up ---
P=${LAB_POLICY//./\\.}
lab_assert_log "inspect-ocsp: policy file and digest at start-up" "$LAB_CACHE_LOG" \
    "inspect-ocsp\[[0-9]+\] INFO: policy $P loaded \(digest $DIGEST\)"
lab_assert_log "inspect-ocsp: started, enforcing that file" "$LAB_CACHE_LOG" \
    "inspect-ocsp\[[0-9]+\] INFO: started: .*enforcing $P \(digest $DIGEST\): revocation=hard"
lab_assert_log "inspect-bump: policy file and digest at start-up" "$LAB_CACHE_LOG" \
    "inspect-bump\[[0-9]+\] INFO: policy $P loaded \(digest $DIGEST\)"
lab_assert_log "srv_inspect: policy file and digest at start-up" "$LAB_LOGS/cicap-server.log" \
    "inspect: policy $P loaded \(digest $DIGEST\)"
lab_assert_no_log "no component on another policy" "$LAB_CACHE_LOG" \
    'settings from|enforcing built-in|no policy file'

# --- inspect-ctl status: every running component on that file and digest ---
status=$("$CTL" status --state-dir "$LAB_STATE_DIR" "$LAB_POLICY"); rc=$?
printf '%s\n' "$status" >&2
lab_assert_eq "inspect-ctl status: all agree (exit 0)" 0 "$rc"
for prog in inspect-bump inspect-ocsp srv_inspect; do
    lab_assert_match "inspect-ctl status lists $prog on the file and digest" \
        "$prog +pid [0-9]+ +$P \(digest $DIGEST\) loaded" "$status"
done

# --- a list edit changes the digest; every component reloads it ---
sleep 1.1 # inspect-bump looks at the files at most once a second
echo other-name.test >> "$ALT/lists/refused.txt"
DIGEST2=$("$CTL" validate "$LAB_POLICY" | sed -n 's/.*valid (digest \([0-9a-f]*\)).*/\1/p')
lab_assert_eq "the digest changed with the list" 1 "$([ -n "$DIGEST2" ] && [ "$DIGEST2" != "$DIGEST" ] && echo 1)"
lab_assert_eq "other-name.test now terminated (inspect-bump reloaded the list)" 403 \
    "$(fetch other-name.test)"
lab_assert_log "other-name.test: refused by the rule of the file" "$LAB_ACCESS_LOG" \
    'CONNECT other-name\.test:[0-9]+ .* connect=refused-sites .*err=ERR_INSPECT_TERMINATE'
fetch a.wild.test > /dev/null # a certificate the validator has not seen: it looks at the files
lab_assert_log "inspect-bump: reloaded, new digest" "$LAB_CACHE_LOG" \
    "inspect-bump\[[0-9]+\] INFO: policy $P loaded \(digest $DIGEST2\)" 15
lab_assert_log "inspect-ocsp: reloaded, new digest" "$LAB_CACHE_LOG" \
    "inspect-ocsp\[[0-9]+\] INFO: policy $P loaded \(digest $DIGEST2\)" 15
lab_assert_log "srv_inspect: reloaded, new digest" "$LAB_LOGS/cicap-server.log" \
    "inspect: policy $P loaded \(digest $DIGEST2\)" 15
# (an idle helper process would show the digest it last used until its next request: only the
# processes that just answered are checked)
status=$("$CTL" status --state-dir "$LAB_STATE_DIR" "$LAB_POLICY")
printf '%s\n' "$status" >&2
for prog in inspect-bump inspect-ocsp srv_inspect; do
    lab_assert_match "inspect-ctl status after the list edit: $prog on the new digest" \
        "$prog +pid [0-9]+ +$P \(digest $DIGEST2\) loaded" "$status"
done
lab_assert_no_log "no unparsable validator reply" "$LAB_CACHE_LOG" \
    'Reply from ssl_crtvd.*incorrect|cert validator response parse error'
lab_done
