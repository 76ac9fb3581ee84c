# lab-services.sh: c-icap and Squid for the lab (sourced by lab.sh; see lab.sh for the model).
# Functions return non-zero with a "lab: ..." message on failure; they never exit.

# lab__proxy_path FILE: print a path to FILE that the Squid user can execute. When run as root
# with FILE somewhere "proxy" cannot reach (a build tree under /root), copy it into the lab.
lab__proxy_path() {
    local f=$1
    if [ -z "$LAB_SQUID_USER" ] || runuser -u "$LAB_SQUID_USER" -- test -x "$f" 2>/dev/null; then
        echo "$f"; return 0
    fi
    mkdir -p "$LAB_DIR/bin" && chmod 755 "$LAB_DIR/bin" &&
        cp "$f" "$LAB_DIR/bin/" && chmod 755 "$LAB_DIR/bin/$(basename "$f")" || return 1
    echo "$LAB_DIR/bin/$(basename "$f")"
}

# lab__render ARGS...: run the project's render-squid-conf (installed copy first, else the
# source tree's template through the source script, with defaults that need no install), for
# the lab's Squid (SQUID_VERSION, unless ARGS give one).
lab__render() {
    local r="${E2E_PKGDATADIR:-}/render-squid-conf"
    if [ -n "${E2E_PKGDATADIR:-}" ] && [ -x "$r" ]; then
        "$r" SQUID_VERSION="$LAB_SQUID_VERSION" "$@"
    else
        sh "$LAB_LIB/../../../squid_conf/render-squid-conf.in" SQUID_VERSION="$LAB_SQUID_VERSION" "$@"
    fi
}

# lab_start_cicap: c-icap on $LAB_ICAP_PORT. Runs srv_inspect.so (service "inspect", lines from
# the project's c-icap-inspect.conf, policy $LAB_POLICY if set) when $E2E_CICAPMODDIR has it,
# else c-icap's srv_echo (service "echo"). Sets LAB_ICAP_SERVICE to the service name.
lab_start_cicap() {
    local d=$LAB_DIR/cicap conf mods tmpl
    LAB_ICAP_PORT=$(lab_free_port) || return 1
    mkdir -p "$d/tmp" "$d/templates"
    conf=$d/c-icap.conf
    mods=$(c-icap-config --modulesdir 2>/dev/null) || mods=/usr/lib/x86_64-linux-gnu/c_icap
    tmpl=$d/templates
    [ -n "${E2E_PKGDATADIR:-}" ] && [ -d "$E2E_PKGDATADIR/templates" ] && tmpl=$E2E_PKGDATADIR/templates
    cat > "$conf" <<EOF
# c-icap.conf written by lab.sh for $LAB_DIR
PidFile $d/c-icap.pid
CommandsSocket $d/c-icap.ctl
Port 127.0.0.1:$LAB_ICAP_PORT
Timeout 60
MaxKeepAliveRequests 100
KeepAliveTimeout 60
StartServers 1
MaxServers 2
MinSpareThreads 2
MaxSpareThreads 8
ThreadsPerChild 8
MaxRequestsPerChild 0
TmpDir $d/tmp
MaxMemObject 131072
DebugLevel 3
ServerLog $LAB_LOGS/cicap-server.log
AccessLog $LAB_LOGS/cicap-access.log
ModulesDir $mods
ServicesDir $mods
TemplateDir $tmpl
TemplateDefaultLanguage en
LoadMagicFile /etc/c-icap/c-icap.magic
Service echo srv_echo.so
EOF
    LAB_ICAP_SERVICE=echo
    if [ -n "${E2E_CICAPMODDIR:-}" ] && [ -f "$E2E_CICAPMODDIR/srv_inspect.so" ]; then
        lab__state_dir || return 1
        lab__render --cicap CICAP_MODULE="$E2E_CICAPMODDIR/srv_inspect.so" \
            POLICY_FILE="${LAB_POLICY:-}" ICAP_PORT="$LAB_ICAP_PORT" STATE_DIR="$LAB_STATE_DIR" \
            -o "$d/inspect.conf" || return 1
        echo "Include $d/inspect.conf" >> "$conf"
        LAB_ICAP_SERVICE=inspect
    fi
    [ -n "${LAB_CICAP_EXTRA:-}" ] && printf '%s\n' "$LAB_CICAP_EXTRA" >> "$conf"
    # A sanitized srv_inspect.so in an unsanitized c-icap: the ASan runtime must come first.
    # c-icap's own allocations at exit are not ours to judge: no leak check in that process.
    local preload='' asan
    if [ "$LAB_ICAP_SERVICE" = inspect ]; then
        asan=$(ldd "$E2E_CICAPMODDIR/srv_inspect.so" 2>/dev/null | awk '/libasan/ {print $3}')
        [ -n "$asan" ] && preload=$asan
    fi
    if [ -n "$preload" ]; then
        # (stdbuf works through LD_PRELOAD too: ASan goes in front of its library)
        lab_spawn cicap "$LAB_LOGS/cicap-stdout.log" env ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" \
            stdbuf -oL sh -c 'LD_PRELOAD="$0${LD_PRELOAD:+:$LD_PRELOAD}" exec "$@"' "$preload" \
            "$CICAP" -N -D -d 3 -f "$conf"
    else
        lab_spawn cicap "$LAB_LOGS/cicap-stdout.log" stdbuf -oL "$CICAP" -N -D -d 3 -f "$conf"
    fi
    lab_wait_port "$LAB_ICAP_PORT" 20 "$LAB_PID" || return 1
    lab_env_save
}

# lab_squid_conf [KEY=VALUE...]: write $LAB_DIR/squid/squid.conf (the admin's part) and the
# rendered fragment it includes, without starting anything. KEY=VALUE go to render-squid-conf
# after the lab's own (so they win). Sets LAB_SQUID_CONF, LAB_SQUID_PORT, LAB_ACCESS_LOG...
# LAB_EXTRA_HOSTS: more names Squid resolves to 127.0.0.1 (origins a test starts itself).
lab_squid_conf() {
    local d=$LAB_DIR/squid certgen validator bump n
    mkdir -p "$d" && chmod 755 "$d"
    : "${LAB_SQUID_PORT:=${LAB_SQUID_LISTEN_PORT:-$(lab_free_port)}}"
    LAB_SQUID_CONF=$d/squid.conf
    LAB_SQUID_FRAGMENT=$d/squid-inspect.conf
    LAB_ACCESS_LOG=$LAB_LOGS/squid-access.log
    LAB_CACHE_LOG=$LAB_LOGS/squid-cache.log
    LAB_SQUID_SERVICE=lab$$$(printf '%05d' $((RANDOM)))
    LAB_CERTGEN_DB=$d/ssl_db
    # helpers: ours when installed in the staged prefix, else Squid's own / none
    certgen=${LAB_CERTGEN:-}
    if [ -z "$certgen" ]; then
        certgen=/usr/lib/squid/security_file_certgen
        [ -x "${E2E_PKGLIBEXECDIR:-/nonexistent}/inspect-certgen" ] && certgen=$E2E_PKGLIBEXECDIR/inspect-certgen
    fi
    validator=${LAB_VALIDATOR:-}
    if [ -z "$validator" ] && [ -x "${E2E_PKGLIBEXECDIR:-/nonexistent}/inspect-ocsp" ]; then
        validator=$E2E_PKGLIBEXECDIR/inspect-ocsp
    fi
    [ "$validator" = none ] && validator=''
    certgen=$(lab__proxy_path "$certgen") || return 1
    if [ -n "$validator" ]; then validator=$(lab__proxy_path "$validator") || return 1; fi
    LAB_CERTGEN_USED=$certgen LAB_VALIDATOR_USED=$validator
    # The policy decides bump/splice/terminate (inspect-bump): $LAB_POLICY, else one made
    # from LAB_BYPASS_NAMES and LAB_TERMINATE_NAMES (lab__names_policy).
    LAB_POLICY_USED=${LAB_POLICY:-$d/policy.xml}
    [ -n "${LAB_POLICY:-}" ] || lab__names_policy > "$d/policy.xml" || return 1
    bump=${LAB_BUMP:-${E2E_PKGLIBEXECDIR:-/nonexistent}/inspect-bump}
    bump=$(lab__proxy_path "$bump") || return 1
    { printf '127.0.0.1'
      for n in $(awk '$1 != "-" && $1 !~ /^\*/ {print $1}' "$LAB_PKI/origin.map") \
               other-name.test terminate.test a.wild.test b.wild.test www.wild.test \
               ${LAB_EXTRA_HOSTS:-}; do
          printf ' %s' "$n"; done
      echo; } > "$d/hosts"
    lab__state_dir || return 1
    lab__render POLICY_FILE="$LAB_POLICY_USED" STATE_DIR="$LAB_STATE_DIR" BUMP_PROGRAM="$bump" \
        BUMP_OPTIONS="--ca-file $LAB_ORIGIN_ROOT ${LAB_BUMP_OPTIONS:-}" \
        CA_CERT="$LAB_INSPECT_CA" CA_KEY="$LAB_INSPECT_KEY" \
        CERTGEN_PROGRAM="$certgen" CERTGEN_DIR="$LAB_CERTGEN_DB" CERTGEN_CHILDREN=4 \
        VALIDATOR_PROGRAM="$validator" OUTGOING_CAFILE="$LAB_ORIGIN_ROOT" \
        ICAP_PORT="${LAB_ICAP_PORT:-1344}" ICAP_REQMOD_PATH="${LAB_ICAP_SERVICE:-echo}" \
        ICAP_RESPMOD_PATH="${LAB_ICAP_SERVICE:-echo}" ERROR_DIRECTORY="$(lab__error_dir)" \
        ACCESS_LOG="stdio:$LAB_ACCESS_LOG" "$@" -o "$LAB_SQUID_FRAGMENT" || return 1
    cat > "$LAB_SQUID_CONF" <<EOF
# squid.conf written by lab.sh: the "admin's" part; the inspection part is the include.
${LAB_SQUID_USER:+cache_effective_user $LAB_SQUID_USER}
workers ${LAB_SQUID_WORKERS:-1}
visible_hostname lab-proxy.test
pid_filename $d/squid.pid
coredump_dir $d
cache_log $LAB_CACHE_LOG
netdb_filename none
pinger_enable off
hosts_file $d/hosts
dns_nameservers 127.0.0.1
shutdown_lifetime 1 second
$(if [ -n "${LAB_SQUID_CACHE:-}" ]; then echo 'cache_mem 16 MB'; else echo 'cache deny all'; fi)
http_port 127.0.0.1:$LAB_SQUID_PORT ssl-bump tls-cert=$LAB_INSPECT_CA tls-key=$LAB_INSPECT_KEY generate-host-certificates=on dynamic_cert_mem_cache_size=4MB
acl SSL_ports port $LAB_ORIGIN_PORT
acl Safe_ports port $LAB_ORIGIN_PORT $LAB_ORIGIN_PLAIN_PORT $LAB_CRL_PORT $LAB_OCSP_PORT
acl CONNECT method CONNECT
${LAB_SQUID_PRE:-}
include $LAB_SQUID_FRAGMENT
${LAB_SQUID_EXTRA:-}
http_access deny !Safe_ports
http_access deny CONNECT !SSL_ports
http_access allow localhost
http_access deny all
EOF
    lab_env_save
}

# lab__state_dir: $LAB_STATE_DIR, where every component writes its policy status file (written
# by the Squid user and by c-icap's, as the installed one is).
lab__state_dir() {
    LAB_STATE_DIR=$LAB_DIR/state
    mkdir -p "$LAB_STATE_DIR" && chmod 1777 "$LAB_STATE_DIR"
}

# lab__names_policy: a policy equivalent to the lab's name lists (terminate, then bypass),
# with $LAB_VALIDATION (a <certificate-validation> element) when set.
lab__names_policy() {
    echo '<policy xmlns="urn:squid-inspect:policy:1"><https-inspection default="inspect">'
    echo "<rule id=\"lab-terminate\" action=\"terminate\"><server-name>${LAB_TERMINATE_NAMES:-terminate.test}</server-name></rule>"
    echo "<rule id=\"lab-bypass\" action=\"bypass\"><server-name>${LAB_BYPASS_NAMES:-bypass.test}</server-name></rule>"
    echo '</https-inspection>'
    printf '%s\n' "${LAB_VALIDATION:-}"
    echo '</policy>'
}

# lab__error_dir: the staged install's error pages (empty = Squid's own when not installed).
lab__error_dir() {
    [ -f "${E2E_PKGDATADIR:-/nonexistent}/errors/ERR_ACCESS_DENIED" ] && echo "$E2E_PKGDATADIR/errors"
    return 0
}

# lab_start_squid [KEY=VALUE...]: lab_squid_conf, initialise the certificate db, start Squid
# (--foreground, own -n service name) and wait for its port. Needs lab_pki, lab_start_origin,
# (lab_start_ocsp, lab_start_crl_http for ports) and lab_start_cicap before.
lab_start_squid() {
    local d=$LAB_DIR/squid
    lab_squid_conf "$@" || return 1
    rm -rf "$LAB_CERTGEN_DB"
    "$LAB_CERTGEN_USED" -c -s "$LAB_CERTGEN_DB" -M 4MB > "$LAB_LOGS/certgen-init.log" 2>&1 ||
        { lab_log "certificate db init failed: $LAB_CERTGEN_USED -c -s $LAB_CERTGEN_DB"; return 1; }
    touch "$LAB_ACCESS_LOG" "$LAB_CACHE_LOG"
    if [ -n "$LAB_SQUID_USER" ]; then
        chown -R "$LAB_SQUID_USER:" "$d" "$LAB_ACCESS_LOG" "$LAB_CACHE_LOG" || return 1
    fi
    lab_spawn squid "$LAB_LOGS/squid-stdout.log" "$SQUID" -f "$LAB_SQUID_CONF" \
        -n "$LAB_SQUID_SERVICE" --foreground
    lab_wait_port "$LAB_SQUID_PORT" 60 "$LAB_PID" || { lab_log "squid did not start"; return 1; }
    lab_env_save
}

# lab_squid_parse [CONF]: squid -k parse; prints its output; non-zero on error.
lab_squid_parse() {
    "$SQUID" -k parse -f "${1:-$LAB_SQUID_CONF}" -n "lab$$parse" 2>&1
}
