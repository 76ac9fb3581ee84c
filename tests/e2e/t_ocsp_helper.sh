#!/bin/bash
# t_ocsp_helper.sh: inspect-ocsp driven directly in Squid's framing (no Squid), with the lab's
# OCSP responder and CRL server and a black-holed responder on deadocsp.test's OCSP port:
# - with IDs, 190 validations of good.test are all answered before the 2 s OCSP deadline of
#   the 10 deadocsp.test validations sent among them (a dead responder delays nobody else);
#   soft mode answers those 10 with the revocation state squid-inspect.conf waives, hard mode
#   refuses them;
# - oversized, wrong-content-type and undecodable OCSP answers are refused (hard mode);
# - without IDs (concurrency=0) replies come back in request order;
# - a leaf sent alone is completed from --intermediates (and refused in hard mode without it);
# - garbage, a wrong request code and a malformed body get BH/ERR and the helper keeps serving.
. "$(dirname "$0")/lib/lab.sh"
lab_require "$OPENSSL" "$PYTHON3" setsid
HELPER=${E2E_PKGLIBEXECDIR:-/nonexistent}/inspect-ocsp
DRIVE=$(pwd)/bench/ocsp_drive
[ -x "$HELPER" ] && [ -x "$DRIVE" ] || lab_skip "inspect-ocsp or bench/ocsp_drive not built (run through make check)"
lab_init ocsp_helper
lab_pki && lab_start_ocsp && lab_start_crl_http || lab_fatal "the lab did not start"
lab_spawn blackhole "$LAB_LOGS/blackhole.log" "$PYTHON3" -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(256)
held = []
while True:
    held.append(s.accept()[0])      # accept, never answer
' "$LAB_DEAD_PORT"
lab_wait_port "$LAB_DEAD_PORT" 10 "$LAB_PID" || lab_fatal "black hole did not start"
P=$LAB_PKI
chain() { echo "$P/leaf/$1.crt,$P/int/ca.crt,$P/root/ca.crt"; }
H=("$HELPER" --no-policy --ca-file "$P/root/ca.crt" --ocsp-timeout 2s --crl off)
body() { # NAME LEAF -> cert_validate body
    printf 'host=%s\nproto_version=TLSv1.3\ncipher=TLS_AES_128_GCM_SHA256\ncert_0=%s\ncert_1=%s\ncert_2=%s' \
        "$1" "$(cat "$P/leaf/$2.crt")" "$(cat "$P/int/ca.crt")" "$(cat "$P/root/ca.crt")"
}
frame() { local b; b=$(body "$2" "$3"); printf '%scert_validate %d %s\n' "$1" "${#b}" "$b"; }
stat() { sed -n "s/^class=$1 .*$2=\([0-9.]*\).*/\1/p" <<<"$3" | cut -d. -f1; }

# --- concurrency: one dead responder, 190 others ---
for mode in soft hard; do
    out=$("$DRIVE" -c 200 -w 1 -C "good:190:good.test:$(chain good)" \
        -C "dead:10:deadocsp.test:$(chain deadocsp)" -- "${H[@]}" --revocation=$mode 2>"$LAB_LOGS/drive-$mode.log")
    echo "$out" > "$LAB_LOGS/drive-$mode.out"
    lab_assert_eq "$mode: all 190 good.test validations OK" 190 "$(stat good ok "$out")"
    max=$(stat good max_ms "$out")
    if [ -n "$max" ] && [ "$max" -lt 2000 ]; then
        lab_pass "$mode: every good.test answer came before the dead responder's deadline (max ${max} ms)"
    else
        lab_fail "$mode: a good.test answer waited for the dead responder (max ${max:-?} ms)"
    fi
    dmin=$(stat dead mean_ms "$out")
    if [ -n "$dmin" ] && [ "$dmin" -ge 1900 ] && [ "$dmin" -lt 3500 ]; then
        lab_pass "$mode: deadocsp.test answered at the 2 s deadline (mean ${dmin} ms)"
    else
        lab_fail "$mode: deadocsp.test answered after ${dmin:-?} ms, not at the 2 s deadline"
    fi
done
# soft: an ERR whose only error is the revocation state the fragment waives (rev= in the log)
lab_assert_eq "soft: the 10 deadocsp.test validations answered with the waivable state" 10 \
    "$(stat dead err "$(cat "$LAB_LOGS/drive-soft.out")")"
lab_assert_log "soft: ... undetermined, one error only" "$LAB_LOGS/drive-soft.log" \
    'host=deadocsp\.test .*result=undetermined reason="OCSP 127\.0\.0\.1:[0-9]+: HTTP exchange timed out.* verdict=ERR errors=1 '
frame '1 ' deadocsp.test deadocsp | timeout 20 "${H[@]}" --revocation=soft 2>"$LAB_LOGS/soft-one.log" |
    tr '\001' '\n' > "$LAB_DIR/soft-one.out"
lab_assert_match "soft: the state is X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD (undetermined:timeout), with the reason" \
    '^1 ERR [0-9]+ error_name_0=X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD.error_reason_0=OCSP 127\.0\.0\.1:[0-9]+: HTTP exchange timed out' \
    "$(tr '\n' '.' < "$LAB_DIR/soft-one.out")"
lab_assert_eq "hard: the 10 deadocsp.test validations are refused" 10 "$(stat dead err "$(cat "$LAB_LOGS/drive-hard.out")")"
lab_assert_log "hard: the refusal names the timeout" "$LAB_LOGS/drive-hard.log" \
    'host=deadocsp\.test .*result=undetermined-refused reason="OCSP 127\.0\.0\.1:[0-9]+: HTTP exchange timed out'

# --- responders that answer wrongly: oversized, wrong content type, garbage body ---
# One fresh helper per answer: a failed responder is skipped for 60 s afterwards (backoff).
lab_stop blackhole
lab_spawn badocsp "$LAB_LOGS/badocsp.log" "$PYTHON3" -c '
import http.server, os, sys
kinds = ["big", "ctype", "garbage"]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        kind = kinds.pop(0) if kinds else "garbage"
        body = os.urandom(100000) if kind == "big" else os.urandom(300)
        self.send_response(200)
        self.send_header("Content-Type", "text/html" if kind == "ctype" else "application/ocsp-response")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
' "$LAB_DEAD_PORT"
lab_wait_port "$LAB_DEAD_PORT" 10 "$LAB_PID" || lab_fatal "bad responder did not start"
for kind in big ctype garbage; do
    frame "1 " deadocsp.test deadocsp | "${H[@]}" --revocation hard 2>>"$LAB_LOGS/badocsp-helper.log" |
        tr '\001' '\n' | grep -c '^1 ERR .*error_name_0=X509_V_ERR_OCSP' >> "$LAB_DIR/badocsp.out"
done
lab_assert_eq "hard mode refuses on each wrong answer" "1 1 1" "$(tr '\n' ' ' < "$LAB_DIR/badocsp.out" | sed 's/ $//')"
lab_assert_log "oversized answer stopped by the size cap" "$LAB_LOGS/badocsp-helper.log" \
    'reason="OCSP 127\.0\.0\.1:[0-9]+: HTTP exchange failed: .*(max|length|exceed)'
lab_assert_log "wrong content type refused" "$LAB_LOGS/badocsp-helper.log" \
    'reason="OCSP 127\.0\.0\.1:[0-9]+: HTTP exchange failed: .*content.type'
lab_assert_log "undecodable answer refused" "$LAB_LOGS/badocsp-helper.log" \
    'result=undetermined-refused reason="OCSP 127\.0\.0\.1:[0-9]+: HTTP exchange failed: .*(asn1|ASN1|decod|nested|header|tag)'

# --- no IDs: answers in request order ---
{ frame '' revoked.test revoked; frame '' good.test good; frame '' crlonly.test crlonly; } |
    "${H[@]}" --crl fallback 2>"$LAB_LOGS/noid.log" | tr '\001' '\n' | grep -Eo '^(OK|ERR|BH)' |
    tr '\n' ' ' > "$LAB_DIR/noid.out"
lab_assert_eq "without IDs the replies follow the request order" "ERR OK OK " "$(cat "$LAB_DIR/noid.out")"

# --- a leaf sent alone without caIssuers (crlonly.test): completed from --intermediates ---
leaf_alone() { local b
    b=$(printf 'host=crlonly.test\nproto_version=TLSv1.3\ncipher=TLS_AES_128_GCM_SHA256\ncert_0=%s' \
        "$(cat "$P/leaf/crlonly.crt")")
    printf '1 cert_validate %d %s\n' "${#b}" "$b"; }
leaf_alone | "${H[@]}" --revocation=hard --crl fallback 2>"$LAB_LOGS/alone.log" |
    tr '\001' '\n' > "$LAB_DIR/alone.out"
lab_assert_match "hard: a leaf alone without caIssuers and no intermediates file is refused" \
    '^1 ERR ' "$(cat "$LAB_DIR/alone.out")"
lab_assert_log "... the chain could not be completed" "$LAB_LOGS/alone.log" \
    'chain not completed: issuer of /CN=[^:]*: no issuer in the intermediates file and no http caIssuers URL'
leaf_alone | "${H[@]}" --revocation=hard --crl fallback --intermediates="$P/int/ca.crt" \
    2>"$LAB_LOGS/alone-int.log" | tr '\001' '\n' > "$LAB_DIR/alone-int.out"
lab_assert_eq "hard: with --intermediates the same leaf is completed and passes (CRL good)" \
    "1 OK 0 " "$(cat "$LAB_DIR/alone-int.out")"
lab_assert_log "... completed from the intermediates file" "$LAB_LOGS/alone-int.log" \
    'chain completed: issuer from the intermediates file'
# aiapem.test's caIssuers URL serves the intermediate as PEM (int.der, the DER form, is what the
# Squid tests use)
b=$(printf 'host=aiapem.test\nproto_version=TLSv1.3\ncipher=TLS_AES_128_GCM_SHA256\ncert_0=%s' \
    "$(cat "$P/leaf/aiapem.crt")")
printf '1 cert_validate %d %s\n' "${#b}" "$b" | "${H[@]}" --revocation=hard 2>"$LAB_LOGS/aiapem.log" |
    tr '\001' '\n' > "$LAB_DIR/aiapem.out"
lab_assert_eq "hard: a leaf alone whose caIssuers answers PEM is completed and passes (OCSP good)" \
    "1 OK 0 " "$(cat "$LAB_DIR/aiapem.out")"
lab_assert_log "... from that URL" "$LAB_LOGS/aiapem.log" \
    "chain completed: issuer from caIssuers http://127\\.0\\.0\\.1:$LAB_CRL_PORT/int\\.pem"
# the same leaf against another trust anchor: the intermediate is found, the root is not; the
# log names both levels instead of only the last one's "no caIssuers URL"
printf '1 cert_validate %d %s\n' "${#b}" "$b" |
    "$HELPER" --no-policy --ca-file "$P/leaf/good.crt" --ocsp-timeout 2s --crl off --revocation=hard \
    2>"$LAB_LOGS/aiapem-noroot.log" >/dev/null
lab_assert_log "a chain completed one level but not trusted: the log says which level stopped" \
    "$LAB_LOGS/aiapem-noroot.log" \
    "chain not completed: issuer from caIssuers http://127\\.0\\.0\\.1:$LAB_CRL_PORT/int\\.pem; issuer of /[^:]+: no issuer in the intermediates file and no http caIssuers URL"
"${H[@]}" --intermediates=/nonexistent/int.pem </dev/null 2>"$LAB_LOGS/int-missing.log"
lab_assert_eq "an unreadable intermediates file stops the helper at start-up" 1 "$?"
lab_assert_log "... saying so" "$LAB_LOGS/int-missing.log" \
    'cannot start: cannot read PEM certificates from the intermediates file /nonexistent/int\.pem'

# --- bad input: answered, helper keeps going ---
{ head -c 3000 /dev/urandom | tr -d '\000\n'; printf '\n'
  printf '5 new_certificate 3 abc\n'
  printf '6 cert_validate 12 host=x\nnoeq\n'
  frame '7 ' good.test good; } |
    "${H[@]}" 2>"$LAB_LOGS/bad.log" | tr '\001' '\n' > "$LAB_DIR/bad.out"
lab_assert_match "wrong request code: BH with a reason" '^5 BH message="unknown request code' "$(grep '^5 ' "$LAB_DIR/bad.out")"
lab_assert_match "malformed body: ERR naming the problem" \
    '^6 ERR [0-9]+ error_name_0=X509_V_ERR_APPLICATION_VERIFICATION' "$(grep '^6 ' "$LAB_DIR/bad.out")"
lab_assert_eq "a valid request after the garbage is answered OK" "7 OK 0 " "$(grep '^7 ' "$LAB_DIR/bad.out")"
lab_assert_no_log "the helper never crashed" "$LAB_LOGS/bad.log" 'AddressSanitizer|Segmentation|Aborted'
lab_done
