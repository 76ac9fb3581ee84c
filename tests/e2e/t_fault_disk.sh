#!/bin/bash
# t_fault_disk.sh (root only, not run by make check or CI: it mounts tmpfs file systems):
# the disk holding Squid's access log fills up, then the one holding inspect-certgen's cache.
#   access log: a second access_log (the fragment's format) on a 1 MiB tmpfs, filled to the
#     last byte while traffic flows; once with the stdio: module (the fragment's) and once
#     with daemon: (log_file_daemon). Squid 5.7 has no on-error=drop (Squid 6 has): what is
#     asserted is what 5.7 does, failing closed with the reason in cache.log, recorded
#     with whether Squid survived (stdio: the worker dies at each write, the master gives
#     up: Squid stops). Whether the log ends in a partial line is noted, not asserted.
#   certgen cache: the cache directory on a 256 KiB tmpfs, filled: forging goes on.
# Run: sudo make check TESTS=tests/e2e/t_fault_disk.sh   (or E2E_PREFIX=... bash t_fault_disk.sh)
. "$(dirname "$0")/lib/lab.sh"
. "$(dirname "$0")/fault_lab.sh"
lab_require_lab
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root to mount a small tmpfs"; exit 77; }
[ "${CI:-}" != true ] || { echo "t_fault_disk: not run under CI (mounts file systems)"; exit 77; }
lab_init fault_disk
MOUNTS=''
umount_all() { local m; for m in $MOUNTS; do umount -l "$m" 2>/dev/null; done; }
trap 'rc=$?; umount_all; (exit $rc); lab__on_exit' EXIT
small_fs() { # DIR SIZE
    mkdir -p "$1" && mount -t tmpfs -o "size=$2,mode=0777" tmpfs "$1" ||
        { echo "SKIP: cannot mount tmpfs on $1"; exit 77; }
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

# Squid 5.7 has no access_log on-error=drop (6.x): stdio (the fragment's default) and the
# daemon: module (log_file_daemon, writes in a helper process) are compared.
for mode in stdio daemon; do
    full=$LAB_DIR/full-$mode
    small_fs "$full" 1m
    LAB_SQUID_EXTRA="access_log $mode:$full/access.log inspect"
    : > "$LAB_CACHE_LOG"; : > "$LAB_LOGS/squid-stdout.log"
    lab_start_squid || lab_fatal "squid ($mode)"
    read -r code _ < <(fault_fetch good.test)
    lab_assert_eq "access_log $mode: served before the disk is full" 200 "$code"
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
    fault_outcome "disk full for the access log, access_log $mode:" "$exp" "$obs" \
        "Squid still running: $alive; 20 requests after the disk filled: $hist"
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
