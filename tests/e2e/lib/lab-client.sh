# lab-client.sh: talking to the lab (curl, certificates) and test assertions (sourced by lab.sh).
#
# Client side: lab_url, lab_plain_url, lab_curl (through Squid), lab_curl_direct (straight to
# the origin), lab_proxy_cert / lab_origin_cert (PEM of the leaf presented), lab_cert_fp,
# lab_cert_issuer, lab_cert_subject (read a PEM on stdin).
# Tests: lab_pass, lab_fail, lab_assert_eq/ne/match, lab_assert_log/no_log, lab_require,
# lab_skip (77, or a failure when CI=true), lab_fatal, lab_done (exit 0 when nothing failed).

# lab_url NAME [PATH]: https URL of the origin for NAME (a .test name or 127.0.0.1).
lab_url() { echo "https://$1:$LAB_ORIGIN_PORT${2:-/}"; }
# lab_plain_url NAME [PATH]: plain-HTTP URL of the origin for NAME.
lab_plain_url() { echo "http://$1:$LAB_ORIGIN_PLAIN_PORT${2:-/}"; }

# lab_curl CURL-ARGS...: curl through Squid, trusting only the inspection CA (add
# --cacert "$LAB_ORIGIN_ROOT" after it for spliced names: curl uses the last --cacert).
# Names are resolved by Squid (its hosts_file), never locally.
lab_curl() {
    "$CURL" -sS --max-time "${LAB_CURL_MAXTIME:-60}" --proxy "http://127.0.0.1:$LAB_SQUID_PORT" \
        --cacert "$LAB_INSPECT_CA" "$@"
}

# lab_curl_direct CURL-ARGS...: curl straight to the origin (no proxy), trusting the origin
# root; every NAME of a URL argument is pinned to 127.0.0.1 with --resolve.
lab_curl_direct() {
    local a host res=()
    for a in "$@"; do
        case $a in http://*|https://*)
            host=${a#*://}; host=${host%%/*}; host=${host%:*}
            res+=(--resolve "$host:$LAB_ORIGIN_PORT:127.0.0.1" --resolve "$host:$LAB_ORIGIN_PLAIN_PORT:127.0.0.1") ;;
        esac
    done
    "$CURL" -sS --max-time "${LAB_CURL_MAXTIME:-60}" --noproxy '*' --cacert "$LAB_ORIGIN_ROOT" \
        "${res[@]}" "$@"
}

# lab__sclient NAME ARGS...: first certificate (PEM) of a TLS handshake for NAME.
lab__sclient() {
    local name=$1 sni=(-servername "$1"); shift
    case $name in *[!0-9.]*) ;; *) sni=(-noservername) ;; esac
    timeout 30 "$OPENSSL" s_client "${sni[@]}" "$@" </dev/null 2>/dev/null |
        "$OPENSSL" x509 2>/dev/null
}

# lab_proxy_cert NAME: the leaf certificate a client gets for NAME through Squid (PEM).
lab_proxy_cert() {
    lab__sclient "$1" -proxy "127.0.0.1:$LAB_SQUID_PORT" -connect "$1:$LAB_ORIGIN_PORT"
}
# lab_origin_cert NAME: the leaf certificate the origin itself serves for NAME (PEM).
lab_origin_cert() { lab__sclient "$1" -connect "127.0.0.1:$LAB_ORIGIN_PORT"; }

# lab_cert_fp / lab_cert_issuer / lab_cert_subject < PEM: SHA-256 fingerprint (AA:BB:..),
# issuer and subject (RFC 2253). Print nothing when stdin holds no certificate.
lab_cert_fp() { "$OPENSSL" x509 -noout -fingerprint -sha256 2>/dev/null | sed 's/^.*=//'; }
lab_cert_issuer() { "$OPENSSL" x509 -noout -issuer -nameopt RFC2253 2>/dev/null | sed 's/^issuer=//'; }
lab_cert_subject() { "$OPENSSL" x509 -noout -subject -nameopt RFC2253 2>/dev/null | sed 's/^subject=//'; }

# ---- assertions -------------------------------------------------------------------------------

lab_pass() { LAB_PASSES=$((LAB_PASSES + 1)); echo "PASS: $*"; }
lab_fail() { LAB_FAILS=$((LAB_FAILS + 1)); echo "FAIL: $*"; }

# lab_assert_eq DESC EXPECTED ACTUAL
lab_assert_eq() {
    if [ "$2" = "$3" ]; then lab_pass "$1"; else lab_fail "$1: expected '$2', got '$3'"; fi
}
# lab_assert_ne DESC UNEXPECTED ACTUAL
lab_assert_ne() {
    if [ "$2" != "$3" ]; then lab_pass "$1"; else lab_fail "$1: got '$3', which it must not be"; fi
}
# lab_assert_match DESC ERE STRING
lab_assert_match() {
    if printf '%s\n' "$3" | grep -Eq -- "$2"; then lab_pass "$1"
    else lab_fail "$1: '$(printf '%s' "$3" | head -c 300)' does not match /$2/"; fi
}
# lab_assert_log DESC FILE ERE [SECONDS=10]: a line of FILE matches ERE (waits for it).
lab_assert_log() {
    if lab_wait_log "$2" "$3" "${4:-10}"; then lab_pass "$1"
    else lab_fail "$1: no line matching /$3/ in $2"; fi
}
# lab_assert_no_log DESC FILE ERE: no line of FILE matches ERE (checked now).
lab_assert_no_log() {
    local hit
    hit=$(grep -E -m1 -- "$3" "$2" 2>/dev/null)
    if [ -z "$hit" ]; then lab_pass "$1"; else lab_fail "$1: unexpected line in $2: $hit"; fi
}

# lab_assert_squid_log_clean DESC [EXPECTED_ERE]: Squid's cache.log has no WARNING or ERROR of
# Squid's own and no helper annotation it does not know, except lines matching EXPECTED_ERE (what
# the test provoked on purpose). The helpers' lines ("inspect-NAME[PID] LEVEL: ...") are left to
# each test. Every offending line is printed.
lab_assert_squid_log_clean() {
    local hits
    hits=$(grep -E 'WARNING|ERROR|Unsupported or unexpected from-helper annotation|Bungled|FATAL' \
        "$LAB_CACHE_LOG" 2>/dev/null | grep -Ev '^[0-9-]+T[0-9:.]+Z [a-z_-]+\[[0-9]+\] ' |
        grep -Ev -- "${2:-^\$}" |
        sed 's/^[0-9\/]* [0-9:.]* \(kid[0-9]*| \)\{0,1\}//' | sort | uniq -c | head -n 20)
    if [ -z "$hits" ]; then lab_pass "$1"; else lab_fail "$1: $(printf '\n%s' "$hits")"; fi
}

# lab_skip REASON: exit 77 (SKIP), except under CI=true where nothing may be skipped (FAIL).
lab_skip() {
    if [ "${CI:-}" = true ]; then echo "FAIL: $* (CI=true: tests may not skip)"; exit 1; fi
    echo "SKIP: $*"; exit 77
}
# lab_require PROGRAM...: skip (or fail under CI) when one is missing.
lab_require() {
    local p
    for p in "$@"; do
        command -v "$p" >/dev/null 2>&1 || [ -x "$p" ] || lab_skip "required program '$p' not found"
    done
}
# lab_require_lab: the programs every lab needs.
lab_require_lab() {
    lab_require "$SQUID" "$CICAP" "$OPENSSL" "$PYTHON3" "$CURL" setsid stdbuf timeout c-icap-config
    [ "$(id -u)" -ne 0 ] || lab_require runuser
    [ -f /usr/lib/squid/security_file_certgen ] || [ -n "${LAB_CERTGEN:-}" ] ||
        [ -x "${E2E_PKGLIBEXECDIR:-/nonexistent}/inspect-certgen" ] ||
        lab_skip "no certificate generator (install squid-openssl)"
}
# lab_fatal MSG: the test cannot go on: FAIL and exit 1 (the trap prints the log tails).
lab_fatal() { lab_fail "$*"; exit 1; }
# lab_done: summary; exit 0 if nothing failed (and something was checked), else 1.
lab_done() {
    echo "$LAB_PASSES passed, $LAB_FAILS failed"
    [ "$LAB_FAILS" -eq 0 ] && [ "$LAB_PASSES" -gt 0 ] && exit 0
    exit 1
}
