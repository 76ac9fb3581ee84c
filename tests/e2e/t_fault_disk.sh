#!/bin/bash
# t_fault_disk.sh (root only, not in make check's list: it mounts tmpfs file systems inside its
# own temp dir; run it by name, on the host and in the roots of tools/squid-root):
# the disk holding Squid's access log fills up, then the one holding inspect-certgen's cache.
#   access log: on a 1 MiB tmpfs, filled to the last byte while traffic flows:
#     - the fragment's line (ACCESS_LOG=stdio:FILE: "access_log stdio:FILE logformat=inspect
#       on-error=drop"): the worker stays alive and keeps serving, unlogged (served-unlogged),
#       on Squid 5.7, 6 and 7 alike;
#     - the same line without on-error=drop (Squid's default, on-error=die), and the daemon:
#       module (log_file_daemon): the worker fails, saying why in cache.log
#       (failed-closed-logged). Whether the log ends in a partial line is noted, not asserted.
#   certgen cache: the cache directory on a 256 KiB tmpfs, filled: forging goes on.
# Run: sudo make check TESTS=tests/e2e/t_fault_disk.sh   (or E2E_PREFIX=... bash t_fault_disk.sh)
#      TESTS=tests/e2e/t_fault_disk.sh tools/squid-root check 6|7
. "$(dirname "$0")/lib/lab.sh"
. "$(dirname "$0")/fault_lab.sh"
lab_require_lab
[ "$(id -u)" -eq 0 ] || lab_skip "needs root to mount a small tmpfs"
lab_init fault_disk
MOUNTS=''
# tmpfs_mount DIR SIZE / tmpfs_umount DIR: mount(8) when there is one, else the system calls
# through python3 (Debian testing's minimal root has no mount package).
tmpfs_mount() {
    if command -v mount >/dev/null 2>&1; then
        mount -t tmpfs -o "size=$2,mode=0777" tmpfs "$1"
    else
        "$PYTHON3" -c 'import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.mount(b"tmpfs", sys.argv[1].encode(), b"tmpfs", 0, ("size=%s,mode=0777" % sys.argv[2]).encode()):
    sys.exit("mount: " + os.strerror(ctypes.get_errno()))' "$1" "$2"
    fi
}
tmpfs_umount() {
    if command -v umount >/dev/null 2>&1; then
        umount -l "$1"
    else
        "$PYTHON3" -c 'import ctypes, sys; sys.exit(ctypes.CDLL(None).umount2(sys.argv[1].encode(), 2) != 0)' "$1"
    fi
}
umount_all() { local m; for m in $MOUNTS; do tmpfs_umount "$m" 2>/dev/null; done; }
trap 'rc=$?; umount_all; (exit $rc); lab__on_exit' EXIT
small_fs() { # DIR SIZE
    mkdir -p "$1" && tmpfs_mount "$1" "$2" ||
        lab_skip "cannot mount tmpfs on $1"
    MOUNTS="$MOUNTS $1"
}
fill() { dd if=/dev/zero of="$1/filler" bs=4k 2>/dev/null; sync; }
for step in lab_pki lab_start_ocsp lab_start_crl_http lab_start_origin lab_start_cicap; do
    "$step" || lab_fatal "$step failed"
done

burst() { # N NAME: N fetches, prints the codes histogram
    local i; for i in $(seq 1 "$1"); do fault_fetch "$2" | cut -d' ' -f1; done | sort | uniq -c |
        awk '{printf "%s x%s ", $2, $1}'
}

# mode: drop = the fragment's own line (rendered ACCESS_LOG, on-error=drop); die = the same
# line without on-error=drop; daemon = the daemon: module. The lab's own access log goes to the
# full disk in the first case, a second log does in the others.
for mode in drop die daemon; do
    full=$LAB_DIR/full-$mode
    small_fs "$full" 1m
    args=()
    case $mode in
    drop)   unset LAB_SQUID_EXTRA; args=(ACCESS_LOG="stdio:$full/access.log") ;;
    die)    LAB_SQUID_EXTRA="access_log stdio:$full/access.log logformat=inspect" ;;
    daemon) LAB_SQUID_EXTRA="access_log daemon:$full/access.log logformat=inspect" ;;
    esac
    : > "$LAB_CACHE_LOG"; : > "$LAB_LOGS/squid-stdout.log"
    lab_start_squid "${args[@]}" || lab_fatal "squid ($mode)"
    [ "$mode" != drop ] || lab_assert_log "access_log $mode: the fragment's line writes to the small disk" \
        "$LAB_SQUID_FRAGMENT" "^access_log stdio:$full/access.log logformat=inspect on-error=drop\$"
    read -r code _ < <(fault_fetch good.test)
    lab_assert_eq "access_log $mode: served before the disk is full" 200 "$code"
    lab_assert_log "access_log $mode: the first request is logged on the small disk" \
        "$full/access.log" 'good\.test'

    fill "$full"
    hist=$(burst 20 good.test)
    sleep 1
    if fault_squid_alive; then alive=yes; else alive=no; fi
    if [ "$alive:$hist" = "yes:200 x20 " ]; then
        obs=served-unlogged
    elif grep -q -i 'No space left\|write failure\|logfile' "$LAB_CACHE_LOG" "$LAB_LOGS/squid-stdout.log" 2>/dev/null; then
        obs=failed-closed-logged     # the worker stops, saying why
    else
        obs="unexplained"
    fi
    exp=failed-closed-logged
    [ "$mode" != drop ] || exp=served-unlogged
    fault_outcome "disk full for the access log, Squid $LAB_SQUID_VERSION, access_log $mode:" "$exp" "$obs" \
        "Squid still running: $alive; 20 requests after the disk filled: $hist"
    if [ "$mode" = drop ]; then
        # the worker that served those 20 is the one that served before the disk filled
        read -r code _ < <(fault_fetch good.test)
        lab_assert_eq "access_log drop: still serving after the burst" 200 "$code"
        lab_assert_no_log "access_log drop: no worker died (no FATAL in cache.log)" "$LAB_CACHE_LOG" 'FATAL'
        echo "FAULT-MATRIX-NOTE: access_log drop: cache.log says: $(grep -i -m1 'space\|fail' "$LAB_CACHE_LOG" | cut -c1-160)"
    fi
    # no half-written line: every line of the log on the full disk ends with a newline
    # (Squid's own stdio logger: a write cut by ENOSPC leaves a partial last line; reported)
    if [ -s "$full/access.log" ] && [ "$(tail -c 1 "$full/access.log" | od -An -c | tr -d ' ')" != '\n' ]; then
        echo "FAULT-MATRIX-NOTE: access_log $mode: Squid's access log on the full disk ends in a partial line"
    else
        echo "FAULT-MATRIX-NOTE: access_log $mode: the access log on the full disk ends with a whole line"
    fi
    lab_stop squid
    rm -f "$full/filler"
done
unset LAB_SQUID_EXTRA

# certgen cache on a full disk
case $LAB_CERTGEN_USED in *inspect-certgen*)
    lab_start_squid || lab_fatal "squid (cache)"
    lab_stop squid
    cache_fs=$LAB_DIR/cachefs
    small_fs "$cache_fs" 256k
    cp -a "$LAB_CERTGEN_DB" "$cache_fs/db" 2>/dev/null
    chown -R "${LAB_SQUID_USER:-$(id -un)}:" "$cache_fs/db"
    fill "$cache_fs"
    sed -i "s| -s $LAB_CERTGEN_DB | -s $cache_fs/db |" "$LAB_SQUID_FRAGMENT"
    fault_restart_squid || lab_fatal "squid restart (cache full)"
    hist=$(for n in good.test www.good.test a.wild.test b.wild.test www.wild.test crlonly.test; do
               fault_fetch "$n" | cut -d' ' -f1; done | sort | uniq -c | awk '{printf "%s x%s ", $2, $1}')
    obs=$([ "$hist" = "200 x6 " ] && echo degraded || echo "failed($hist)")
    fault_outcome "certgen cache on a full disk" degraded "$obs" "6 new names: $hist"
    if fault_squid_alive; then lab_pass "Squid still runs"; else lab_fail "Squid is gone"; fi
    ;;
*) lab_log "the stock certgen runs: the cache case needs inspect-certgen" ;;
esac
lab_done
