# lab.sh: the end-to-end lab of squid-inspect (bash library; source it, do not run it).
#
# A lab is one directory ($LAB_DIR) holding a fresh test PKI, the configurations, the logs and
# the pid files of the processes it runs on 127.0.0.1 free ports: a TLS origin (origin.py), an
# OCSP responder (ocspd.py around `openssl ocsp`), an HTTP server for CRLs and AIA issuers,
# c-icap (srv_inspect.so when installed in the prefix, else srv_echo) and Squid 5.7 with the
# project's rendered squid-inspect.conf fragment. tests/e2e/README is the user's guide.
#
#   . tests/e2e/lib/lab.sh
#   lab_init mytest          # temp dir; teardown trap on EXIT/INT/TERM (lab_init -n: no trap)
#   lab_start_all            # pki, ocsp, crl http, origin, c-icap, squid; returns 1 on failure
#   lab_curl "$(lab_url good.test /echo)"
#   lab_stop_all             # also done by the trap
#
# Start/stop functions never exit: they print "lab: ..." on stderr and return non-zero. The
# assertion helpers (lab_pass, lab_fail, lab_assert_*, lab_require, lab_done) are for tests.
# After every start, $LAB_DIR/lab.env holds every LAB_* variable: `. $LAB_DIR/lab.env` in
# another shell, then `lab_stop_all` stops a lab started elsewhere (e.g. with lab_init -n).
#
# Inputs (environment; make check sets the E2E_* ones):
#   E2E_PREFIX        staged install prefix; E2E_PKGLIBEXECDIR, E2E_PKGDATADIR, E2E_CICAPMODDIR
#                     default to its libexec/squid-inspect, share/squid-inspect, lib/c_icap
#   SQUID CICAP OPENSSL PYTHON3 CURL   programs (defaults: squid, c-icap, openssl,
#                     /usr/bin/python3, curl)
#   LAB_CERTGEN       certificate generator (default: installed inspect-certgen, else Squid's
#                     security_file_certgen);  LAB_VALIDATOR  validator ("none" = no validator;
#                     default: installed inspect-ocsp if present, else none)
#   LAB_BYPASS_NAMES LAB_TERMINATE_NAMES  the splice / terminate lists (server names)
#   LAB_SQUID_LISTEN_PORT  Squid's port (default: a free one)
#   LAB_SQUID_WORKERS (default 1)   LAB_SQUID_EXTRA / LAB_CICAP_EXTRA  extra config lines
#   LAB_SQUID_PRE     squid.conf lines placed before the include of the fragment
#   LAB_EXTRA_HOSTS   more names Squid resolves to 127.0.0.1 (origins a test starts itself)
#   LAB_KEEP=1        keep the lab directory even when everything passed
# Thread-safety: none needed; one lab per shell, any number of labs per machine.

LAB_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Squid lives in /usr/sbin, often not in a normal user's PATH.
[ -n "${SQUID:-}" ] || SQUID=$(command -v squid 2>/dev/null || echo /usr/sbin/squid)
# Its version (MAJOR.MINOR, from squid -v) and major number: what differs between Squid 5, 6
# and 7 (method of a tunnel request, error pages) is asserted per version from these.
LAB_SQUID_VERSION=$("$SQUID" -v 2>/dev/null | sed -n 's/^Squid Cache: Version \([0-9][0-9.]*\).*/\1/p')
LAB_SQUID_MAJOR=${LAB_SQUID_VERSION%%.*}
: "${CICAP:=c-icap}" "${OPENSSL:=openssl}" "${PYTHON3:=/usr/bin/python3}" "${CURL:=curl}"
if [ -n "${E2E_PREFIX:-}" ]; then
    : "${E2E_PKGLIBEXECDIR:=$E2E_PREFIX/libexec/squid-inspect}"
    : "${E2E_PKGDATADIR:=$E2E_PREFIX/share/squid-inspect}"
    : "${E2E_CICAPMODDIR:=$E2E_PREFIX/lib/c_icap}"
fi
LAB_FAILS=0
LAB_PASSES=0

lab_log() { echo "lab: $*" >&2; }

# ---- directory, environment, teardown -------------------------------------------------------

# lab_init [-n] [-d DIR] [NAME]: create $LAB_DIR (a new temp dir, or DIR, which must not
# exist or be empty); without -n, tear everything down on EXIT/INT/TERM.
lab_init() {
    local trap=1 dir=''
    while [ $# -gt 0 ]; do
        case $1 in
        -n) trap=0; shift ;;
        -d) dir=$2; shift 2 ;;
        *) break ;;
        esac
    done
    local name=${1:-lab}
    if [ -n "$dir" ]; then
        mkdir -p "$dir" && [ -z "$(ls -A "$dir")" ] || { lab_log "$dir is not an empty directory"; return 1; }
        LAB_DIR=$(cd "$dir" && pwd)
    else
        LAB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/e2e-$name.XXXXXX") || return 1
    fi
    chmod 755 "$LAB_DIR"       # Squid runs as "proxy" when started by root: it must get in
    LAB_LOGS=$LAB_DIR/logs
    LAB_RUN=$LAB_DIR/run
    mkdir -p "$LAB_LOGS" "$LAB_RUN" && chmod 755 "$LAB_LOGS" "$LAB_RUN"
    LAB_NAME=$name
    lab__sanitizer_env
    unset LAB_SQUID_PORT        # may be inherited from another lab's lab.env
    if [ "$(id -u)" -eq 0 ]; then LAB_SQUID_USER=proxy; else LAB_SQUID_USER=''; fi
    if [ $trap -eq 1 ]; then
        trap 'lab__on_exit' EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
    fi
    lab_env_save
    lab_log "lab directory $LAB_DIR"
}

# lab__sanitizer_env: a sanitized build (./configure --enable-sanitizers) reports into
# $LAB_DIR/sanitizer/ (world-writable: Squid runs helpers as "proxy"), one file per process
# that found something; lab_done and the teardown fail the test when a report is there.
# Squid hands its environment to the helpers, so they inherit these options.
lab__sanitizer_env() {
    LAB_SANITIZER_DIR=$LAB_DIR/sanitizer
    mkdir -p "$LAB_SANITIZER_DIR" && chmod 1777 "$LAB_SANITIZER_DIR"
    export ASAN_OPTIONS="log_path=$LAB_SANITIZER_DIR/asan:detect_leaks=1:abort_on_error=0${LAB_ASAN_EXTRA:+:$LAB_ASAN_EXTRA}"
    export UBSAN_OPTIONS="log_path=$LAB_SANITIZER_DIR/ubsan:print_stacktrace=1:halt_on_error=1"
}

# lab_sanitizer_reports: print the sanitizer reports of this lab (none: nothing, status 1).
lab_sanitizer_reports() {
    local f found=1
    for f in "${LAB_SANITIZER_DIR:-/nonexistent}"/*; do
        [ -s "$f" ] || continue
        echo "----- sanitizer report $f" >&2
        head -n 60 "$f" >&2
        found=0
    done
    return $found
}

# lab_env_save: write every LAB_* variable to $LAB_DIR/lab.env (sourceable).
lab_env_save() {
    local v
    { echo "# lab.env: source this, then lab.sh functions work on this lab"
      echo ". $(printf %q "$LAB_LIB/lab.sh")"
      for v in $(compgen -v LAB_) E2E_PREFIX E2E_PKGLIBEXECDIR E2E_PKGDATADIR E2E_CICAPMODDIR; do
          case $v in LAB_FAILS|LAB_PASSES|LAB_LIB) continue ;; esac
          if [ -n "${!v+x}" ]; then printf 'export %s=%q\n' "$v" "${!v}"; fi
      done; } > "$LAB_DIR/lab.env"
}

# lab_tail_logs [LINES]: print the tail of every log of the lab (for failures).
lab_tail_logs() {
    local f n=${1:-25}
    for f in "$LAB_LOGS"/*.log; do
        [ -s "$f" ] || continue
        echo "----- tail -$n $f" >&2
        tail -n "$n" "$f" >&2
    done
}

lab__on_exit() {
    local rc=$?
    trap - EXIT INT TERM
    [ -n "${LAB_DIR:-}" ] && [ -d "$LAB_DIR" ] || exit $rc
    lab_stop_all
    if [ $rc -ne 77 ] && lab_sanitizer_reports; then
        echo "FAIL: a sanitizer reported an error (above)"
        [ $rc -eq 0 ] && rc=1
    fi
    if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
        lab_tail_logs 30
        lab_log "FAILED (exit $rc); lab directory kept: $LAB_DIR"
    elif [ "${LAB_KEEP:-0}" = 1 ]; then
        lab_log "lab directory kept (LAB_KEEP=1): $LAB_DIR"
    else
        rm -rf "$LAB_DIR"
    fi
    exit $rc
}

# ---- ports and readiness --------------------------------------------------------------------

# lab_free_port: print a TCP port free on 127.0.0.1, never twice in one lab (works in $(...)
# too: the ports handed out are remembered in $LAB_DIR/ports). Chosen at random below the
# kernel's ephemeral range, so that client connections (which take ephemeral ports) cannot
# grab it before the service binds it. Labs running at the same time (make -j check) reserve
# their ports in one registry file under an exclusive lock, so no two labs pick the same port
# between one's choice and its bind; a reservation ends when the shell that made it exits.
lab_free_port() {
    local p
    p=$("$PYTHON3" - "$LAB_DIR/ports" "$$" "${TMPDIR:-/tmp}/squid-inspect-lab-ports" <<'PY'
import fcntl, os, random, socket, sys
mine_file, owner, registry = sys.argv[1], int(sys.argv[2]), sys.argv[3]
try:
    lo = int(open('/proc/sys/net/ipv4/ip_local_port_range').read().split()[0])
except (OSError, ValueError, IndexError):
    lo = 32768
try:
    mine = set(open(mine_file).read().split())
except OSError:
    mine = set()

def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except PermissionError:
        return True
    except OSError:
        return False

try:
    fd = os.open(registry, os.O_RDWR | os.O_CREAT, 0o666)
    os.fchmod(fd, 0o666) if os.fstat(fd).st_uid == os.getuid() else None
except OSError:
    fd = -1                      # no shared registry: still correct within this lab
held = {}
if fd >= 0:
    fcntl.flock(fd, fcntl.LOCK_EX)
    for line in os.read(fd, 1 << 20).decode(errors='replace').splitlines():
        f = line.split()
        if len(f) == 2 and f[0].isdigit() and f[1].isdigit() and alive(int(f[1])):
            held[f[0]] = f[1]
port = None
for _ in range(500):
    cand = random.randint(10000, lo - 1) if lo > 11000 else 0
    if str(cand) in held or str(cand) in mine:
        continue
    s = socket.socket()
    try:
        s.bind(('127.0.0.1', cand))
        port = s.getsockname()[1]
        break
    except OSError:
        pass
    finally:
        s.close()
if port is None:
    sys.exit(1)
if fd >= 0:
    held[str(port)] = str(owner)
    os.lseek(fd, 0, os.SEEK_SET)
    os.ftruncate(fd, 0)
    os.write(fd, ''.join('%s %s\n' % kv for kv in held.items()).encode())
    os.close(fd)                 # releases the lock
print(port)
PY
) || return 1
    [ -n "$p" ] || return 1
    echo "$p" >> "$LAB_DIR/ports"
    echo "$p"
}

# lab__now_ms: monotonic-enough milliseconds for deadlines.
lab__now_ms() { local t; t=$(date +%s%N); echo $((t / 1000000)); }

# lab_wait_port PORT [SECONDS=30] [PID]: poll until 127.0.0.1:PORT accepts connections.
# Fails early when PID is given and that process has died.
lab_wait_port() {
    local port=$1 secs=${2:-30} pid=${3:-} end
    end=$(( $(lab__now_ms) + secs * 1000 ))
    while [ "$(lab__now_ms)" -lt $end ]; do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            lab_log "process $pid died before listening on port $port"; return 1
        fi
        sleep 0.1
    done
    lab_log "nothing listening on 127.0.0.1:$port after ${secs}s"; return 1
}

# lab_wait_log FILE REGEX [SECONDS=10]: poll until an extended regex matches a line of FILE.
lab_wait_log() {
    local file=$1 re=$2 secs=${3:-10} end
    end=$(( $(lab__now_ms) + secs * 1000 ))
    while [ "$(lab__now_ms)" -lt $end ]; do
        grep -Eq -- "$re" "$file" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# lab_wait_count FILE REGEX N [SECONDS=15]: poll until at least N lines of FILE match.
lab_wait_count() {
    local file=$1 re=$2 n=$3 secs=${4:-15} end
    end=$(( $(lab__now_ms) + secs * 1000 ))
    while [ "$(grep -Ec -- "$re" "$file" 2>/dev/null)" -lt "$n" ]; do
        [ "$(lab__now_ms)" -lt $end ] || return 1
        sleep 0.1
    done
}

# ---- processes --------------------------------------------------------------------------------

# lab_spawn NAME LOGFILE CMD...: start CMD in its own session (process group) in the
# background, output to LOGFILE, pid in $LAB_RUN/NAME.pid; sets LAB_PID.
lab_spawn() {
    local name=$1 log=$2 jobctl=0; shift 2
    # With job control on (an interactive shell), a background job leads its own process
    # group and setsid would fork, leaving $! dead: turn it off for the spawn.
    case $- in *m*) jobctl=1; set +m ;; esac
    setsid "$@" </dev/null >>"$log" 2>&1 &
    LAB_PID=$!
    [ $jobctl -eq 0 ] || set -m
    echo "$LAB_PID" > "$LAB_RUN/$name.pid"
}

# lab__alive PID: the process exists and is not a zombie. A lab started by a shell that has
# exited (tools/demo) leaves its processes to PID 1, which may never reap them.
lab__alive() {
    local state
    state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
    case $state in Z*) return 1 ;; esac
    return 0
}

# lab_stop NAME [SECONDS=10]: TERM the process, wait for it, then KILL whatever is left of
# its process group (Squid's kids and helpers, c-icap's children).
lab_stop() {
    local name=$1 secs=${2:-10} pidf="$LAB_RUN/$1.pid" pid end
    [ -f "$pidf" ] || return 0
    pid=$(cat "$pidf")
    rm -f "$pidf"
    case $pid in ''|*[!0-9]*) return 0 ;; esac
    kill -TERM "$pid" 2>/dev/null || { kill -KILL -- "-$pid" 2>/dev/null; return 0; }
    end=$(( $(lab__now_ms) + secs * 1000 ))
    while lab__alive "$pid" && [ "$(lab__now_ms)" -lt $end ]; do sleep 0.1; done
    if lab__alive "$pid"; then lab_log "$name ($pid) ignored TERM for ${secs}s: KILL"; fi
    kill -KILL -- "-$pid" 2>/dev/null
    wait "$pid" 2>/dev/null || true
    return 0
}

# lab_stop_all: stop every process of the lab, most dependent first.
lab_stop_all() {
    local n f
    [ -n "${LAB_RUN:-}" ] && [ -d "$LAB_RUN" ] || return 0
    for n in squid cicap origin ocsp crl; do lab_stop "$n"; done
    for f in "$LAB_RUN"/*.pid; do [ -f "$f" ] && lab_stop "$(basename "$f" .pid)"; done
    return 0
}

# ---- PKI and the small servers ----------------------------------------------------------------

# lab_pki: fresh PKI in $LAB_DIR/pki (ports for OCSP, CRL/AIA and a dead port are chosen now,
# they are inside the certificates, with the host LAB_PKI_HOST, default 127.0.0.1).
lab_pki() {
    LAB_PKI=$LAB_DIR/pki
    LAB_OCSP_PORT=$(lab_free_port) && LAB_CRL_PORT=$(lab_free_port) &&
        LAB_DEAD_PORT=$(lab_free_port) || return 1
    OPENSSL=$OPENSSL "$LAB_LIB/mkpki.sh" "$LAB_PKI" "$LAB_OCSP_PORT" "$LAB_CRL_PORT" \
        "$LAB_DEAD_PORT" ${LAB_PKI_HOST:+"$LAB_PKI_HOST"} > "$LAB_LOGS/mkpki.log" 2>&1 || { lab_log "mkpki.sh failed"; return 1; }
    LAB_ORIGIN_ROOT=$LAB_PKI/root/ca.crt            # what Squid trusts for origins
    LAB_INSPECT_CA=$LAB_PKI/inspect/ca.pem          # what clients trust (forged certificates)
    LAB_INSPECT_KEY=$LAB_PKI/inspect/ca.key
    lab_env_save
}

# lab_start_ocsp: OCSP responder for the intermediate's certificates on $LAB_OCSP_PORT.
# `echo 5 > $LAB_DIR/ocsp.delay` makes it answer 5 s late (timeout tests).
lab_start_ocsp() {
    lab_spawn ocsp "$LAB_LOGS/ocsp.log" "$PYTHON3" -u "$LAB_LIB/ocspd.py" --pki "$LAB_PKI" \
        --port "$LAB_OCSP_PORT" --delay-file "$LAB_DIR/ocsp.delay" --openssl "$OPENSSL"
    lab_wait_port "$LAB_OCSP_PORT" 20 "$LAB_PID" || return 1
    lab_env_save
}

# lab_start_crl_http: plain HTTP on $LAB_CRL_PORT serving $LAB_PKI/www (int.crl root.crl int.der).
lab_start_crl_http() {
    lab_spawn crl "$LAB_LOGS/crl-http.log" "$PYTHON3" -u -m http.server --bind 127.0.0.1 \
        --directory "$LAB_PKI/www" "$LAB_CRL_PORT"
    lab_wait_port "$LAB_CRL_PORT" 20 "$LAB_PID" || return 1
    lab_env_save
}

# lab_start_origin: the TLS origin on $LAB_ORIGIN_PORT (all names by SNI) and the same
# endpoints over plain HTTP on $LAB_ORIGIN_PLAIN_PORT.
lab_start_origin() {
    LAB_ORIGIN_PORT=$(lab_free_port) && LAB_ORIGIN_PLAIN_PORT=$(lab_free_port) || return 1
    lab_spawn origin "$LAB_LOGS/origin.log" "$PYTHON3" -u "$LAB_LIB/origin.py" --pki "$LAB_PKI" \
        --port "$LAB_ORIGIN_PORT" --plain-port "$LAB_ORIGIN_PLAIN_PORT"
    lab_wait_port "$LAB_ORIGIN_PORT" 20 "$LAB_PID" &&
        lab_wait_port "$LAB_ORIGIN_PLAIN_PORT" 20 "$LAB_PID" || return 1
    lab_env_save
}

# shellcheck source=lab-services.sh
. "$LAB_LIB/lab-services.sh"
# shellcheck source=lab-client.sh
. "$LAB_LIB/lab-client.sh"

# lab_start_all [KEY=VALUE...]: the whole lab; arguments go to lab_start_squid.
lab_start_all() {
    local step
    for step in lab_pki lab_start_ocsp lab_start_crl_http lab_start_origin lab_start_cicap; do
        "$step" || { lab_log "$step failed"; return 1; }
    done
    lab_start_squid "$@" || { lab_log "lab_start_squid failed"; return 1; }
    lab_log "lab ready: squid 127.0.0.1:$LAB_SQUID_PORT, origin 127.0.0.1:$LAB_ORIGIN_PORT, env in $LAB_DIR/lab.env"
}
