# certgen-checks.sh: assertions on certificates forged by inspect-certgen, for the t_certgen*
# tests (sourced after lab.sh, with a started lab). Files go to $LAB_DIR/NAME.{proxy,origin}.pem.

# certgen_ext BASE EXTENSION: the text of one extension of $LAB_DIR/BASE.pem (the line after
# its name in `openssl x509 -text`), or nothing.
certgen_ext() {
    "$OPENSSL" x509 -in "$LAB_DIR/$1.pem" -noout -text 2>/dev/null |
        awk -v ext="$2" 'found { print; exit } index($0, ext) { found = 1 }'
}

# certgen_check_leaf_key NAME: the forged certificate's key is not the inspection CA's key.
certgen_check_leaf_key() {
    local pem=$LAB_DIR/$1.proxy.pem
    [ -s "$pem" ] || lab_proxy_cert "$1" > "$pem"
    lab_assert_ne "$1: the leaf key is not the CA key" \
        "$("$OPENSSL" pkey -in "$LAB_INSPECT_KEY" -pubout 2>/dev/null)" \
        "$("$OPENSSL" x509 -in "$pem" -noout -pubkey 2>/dev/null)"
}

# certgen_check_forged NAME "VERIFY-OPTIONS": what every trusted forged certificate must be.
certgen_check_forged() {
    local name=$1 opts=$2 pem=$LAB_DIR/$1.proxy.pem text serial
    lab_proxy_cert "$name" > "$pem"
    lab_origin_cert "$name" > "$LAB_DIR/$name.origin.pem"
    [ -s "$pem" ] || { lab_fail "$name: no certificate through the proxy"; return; }
    # shellcheck disable=SC2086
    if "$OPENSSL" verify -x509_strict -purpose sslserver $opts -CAfile "$LAB_INSPECT_CA" \
            "$pem" >/dev/null 2>&1; then
        lab_pass "$name: verifies (strict, sslserver, name) against the inspection CA"
    else
        lab_fail "$name: does not verify: $("$OPENSSL" verify -x509_strict -purpose sslserver \
            $opts -CAfile "$LAB_INSPECT_CA" "$pem" 2>&1 | tr '\n' ' ')"
    fi
    text=$("$OPENSSL" x509 -in "$pem" -noout -text)
    lab_assert_match "$name: basicConstraints critical CA:FALSE" \
        'Basic Constraints: critical' "$text"
    lab_assert_match "$name: CA:FALSE" 'CA:FALSE' "$text"
    lab_assert_match "$name: keyUsage critical" 'Key Usage: critical' "$text"
    lab_assert_match "$name: EKU serverAuth" 'TLS Web Server Authentication' "$text"
    lab_assert_match "$name: SKI present" 'Subject Key Identifier' "$text"
    lab_assert_match "$name: AKI present" 'Authority Key Identifier' "$text"
    serial=$("$OPENSSL" x509 -in "$pem" -noout -serial | sed 's/^serial=//')
    lab_assert_eq "$name: 16-byte serial" 32 "${#serial}"
    if "$OPENSSL" x509 -in "$pem" -noout -checkend $((91 * 86400)) >/dev/null; then
        lab_fail "$name: valid for more than 90 days from now"
    else
        lab_pass "$name: expires within 90 days"
    fi
    if "$OPENSSL" x509 -in "$pem" -noout -checkend 0 >/dev/null; then
        lab_pass "$name: valid now"
    else
        lab_fail "$name: not valid now"
    fi
    certgen_check_leaf_key "$name"
}

# certgen_check_mimics NAME: subject and SAN equal the origin's.
certgen_check_mimics() {
    local name=$1
    lab_assert_eq "$name: subject copied from the origin" \
        "$(lab_cert_subject < "$LAB_DIR/$name.origin.pem")" \
        "$(lab_cert_subject < "$LAB_DIR/$name.proxy.pem")"
    lab_assert_eq "$name: subjectAltName copied from the origin" \
        "$(certgen_ext "$name.origin" 'Subject Alternative Name')" \
        "$(certgen_ext "$name.proxy" 'Subject Alternative Name')"
}

# certgen_check_not_copied NAME: the origin's AIA and CRL DP (present there) are not copied.
certgen_check_not_copied() {
    local name=$1 origin proxy
    origin=$("$OPENSSL" x509 -in "$LAB_DIR/$name.origin.pem" -noout -text)
    proxy=$("$OPENSSL" x509 -in "$LAB_DIR/$name.proxy.pem" -noout -text)
    lab_assert_match "$name: the origin has AIA (meaningful check)" 'Authority Information Access' "$origin"
    lab_assert_match "$name: the origin has a CRL DP (meaningful check)" 'CRL Distribution Points' "$origin"
    case $proxy in
        *'Authority Information Access'*) lab_fail "$name: AIA copied to the forged certificate" ;;
        *) lab_pass "$name: AIA not copied" ;;
    esac
    case $proxy in
        *'CRL Distribution Points'*) lab_fail "$name: CRL DP copied to the forged certificate" ;;
        *) lab_pass "$name: CRL DP not copied" ;;
    esac
}

# certgen_waive_errors NAME...: before lab_start_squid/lab_start_all, make the rendered
# fragment allow certificate errors for these server names (ahead of its "deny all").
certgen_waive_errors() {
    CERTGEN_WAIVE_NAMES="$*"
    eval "$(declare -f lab__render | sed '1s/^lab__render/certgen__lab_render/')"
    lab__render() {
        certgen__lab_render "$@" || return 1
        if [ -n "${LAB_SQUID_FRAGMENT:-}" ] && [ -f "$LAB_SQUID_FRAGMENT" ]; then
            sed -i "s/^sslproxy_cert_error deny all\$/acl certgen_waive ssl::server_name $CERTGEN_WAIVE_NAMES\\nsslproxy_cert_error allow certgen_waive\\n&/" \
                "$LAB_SQUID_FRAGMENT"
        fi
    }
}
