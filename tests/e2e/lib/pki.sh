# pki.sh: shell functions the test PKIs are made with (sourced, for sh and bash). Used by
# tests/e2e/lib/mkpki.sh (the lab's PKI), tests/e2e/ocsp_lab.sh (extra lab leaves) and
# tests/unit/ocsp_fixtures.sh (the unit tests' OCSP/CRL fixtures). Nothing here is committed
# output: every PKI is made fresh with the openssl tool ($OPENSSL, default openssl).
#
# All run in the PKI's directory, after pki_cnf (every "openssl ca" reads ./pki.cnf).
#   pki_cnf DAYS [V3_INT_LINE]   writes pki.cnf: "openssl ca" settings (certificates valid DAYS
#                                days, CRLs 7), sections v3_root, v3_int (+ the line), v3_ocsp
#   pki_leaf_ext NAME [LINE...]  appends leaf section NAME (serverAuth, subjectAltName $SAN,
#                                key identifiers) with the LINEs (AIA, CDP, tlsfeature...)
#   pki_key FILE                 new EC P-256 key (mode 0600)
#   pki_newca DIR                empty CA directory DIR with its key DIR/ca.key
#   pki_selfsign DIR SUBJECT     DIR/ca.crt: a root for DIR/ca.key (10 years)
#   pki_intermediate PARENT DIR SUBJECT [ca args]   CA DIR, DIR/ca.crt issued by PARENT
#   pki_issue CADIR OUT EXT SAN SUBJECT [ca args]   OUT.key, OUT.crt issued by CADIR
#   pki_revoke CADIR CERT        CERT revoked (keyCompromise) in CADIR/index.txt
#   pki_crl CADIR PEM DER [ca args]                 CADIR's CRL, as PEM and DER
# Every "openssl ca" expands $ENV::SAN even when unused, so the script exports SAN=DNS:unused.

: "${OPENSSL:=openssl}"
SAN=${SAN:-DNS:unused}
export SAN

pki_cnf() {
    cat > pki.cnf <<CNF
[ ca ]
default_ca = CA_default
[ CA_default ]
dir              = \$ENV::CADIR
database         = \$dir/index.txt
new_certs_dir    = \$dir/newcerts
serial           = \$dir/serial
crlnumber        = \$dir/crlnumber
default_md       = sha256
default_days     = $1
default_crl_days = 7
policy           = policy_any
unique_subject   = no
copy_extensions  = none
[ policy_any ]
commonName = supplied
[ v3_root ]
basicConstraints       = critical,CA:TRUE
keyUsage               = critical,keyCertSign,cRLSign
subjectKeyIdentifier   = hash
[ v3_int ]
basicConstraints       = critical,CA:TRUE,pathlen:0
keyUsage               = critical,keyCertSign,cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
${2:-}
[ v3_ocsp ]
basicConstraints       = critical,CA:FALSE
keyUsage               = critical,digitalSignature
extendedKeyUsage       = critical,OCSPSigning
noCheck                = ignored
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
CNF
}

pki_leaf_ext() {
    printf '[ %s ]\n' "$1"
    shift
    printf '%s\n' "basicConstraints       = critical,CA:FALSE" \
        "keyUsage               = critical,digitalSignature" \
        "extendedKeyUsage       = serverAuth" \
        "subjectKeyIdentifier   = hash" \
        "authorityKeyIdentifier = keyid" \
        "subjectAltName         = \$ENV::SAN" "$@"
} >> pki.cnf

pki_key() {
    (umask 077; "$OPENSSL" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null)
}

pki_newca() {
    mkdir -p "$1/newcerts" && : > "$1/index.txt" && echo 1000 > "$1/crlnumber" &&
        "$OPENSSL" rand -hex 16 > "$1/serial" && pki_key "$1/ca.key"
}

pki_selfsign() {
    CADIR=$1 "$OPENSSL" req -new -x509 -config pki.cnf -extensions v3_root -key "$1/ca.key" \
        -days 3650 -subj "$2" -out "$1/ca.crt"
}

pki_intermediate() {
    local parent="$1" dir="$2" subject="$3"
    shift 3
    pki_newca "$dir" &&
        "$OPENSSL" req -new -key "$dir/ca.key" -subj "$subject" -out "$dir/ca.csr" &&
        CADIR=$parent "$OPENSSL" ca -batch -notext -config pki.cnf -extensions v3_int \
            -cert "$parent/ca.crt" -keyfile "$parent/ca.key" -in "$dir/ca.csr" \
            -out "$dir/ca.crt" "$@" 2>/dev/null &&
        rm -f "$dir/ca.csr"
}

pki_issue() {
    local cadir="$1" out="$2" ext="$3" san="$4" subject="$5"
    shift 5
    pki_key "$out.key" &&
        "$OPENSSL" req -new -key "$out.key" -subj "$subject" -out "$out.csr" &&
        SAN=$san CADIR=$cadir "$OPENSSL" ca -batch -notext -config pki.cnf -extensions "$ext" \
            -cert "$cadir/ca.crt" -keyfile "$cadir/ca.key" -in "$out.csr" -out "$out.crt" \
            "$@" 2>/dev/null &&
        rm -f "$out.csr"
}

pki_revoke() {
    CADIR=$1 "$OPENSSL" ca -config pki.cnf -revoke "$2" -crl_reason keyCompromise \
        -cert "$1/ca.crt" -keyfile "$1/ca.key" 2>/dev/null
}

pki_crl() {
    local cadir="$1" pem="$2" der="$3"
    shift 3
    CADIR=$cadir "$OPENSSL" ca -config pki.cnf -gencrl -cert "$cadir/ca.crt" \
        -keyfile "$cadir/ca.key" -out "$pem" "$@" 2>/dev/null &&
        "$OPENSSL" crl -in "$pem" -outform DER -out "$der"
}
