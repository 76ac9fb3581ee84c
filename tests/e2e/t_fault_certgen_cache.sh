#!/bin/bash
# t_fault_certgen_cache.sh: inspect-certgen's cache directory made unwritable, then its LMDB
# file overwritten with garbage, each time under a restarted Squid. Bumping goes on (the
# helper forges without the shared cache, or sets the broken file aside and starts a new
# one), the reason is in cache.log, and nothing is half-written into a file Squid relies on.
# (A full disk under the cache: t_fault_disk.sh, root only.)
. "$(dirname "$0")/lib/lab.sh"
. "$(dirname "$0")/fault_lab.sh"
lab_require_lab
lab_init fault_certgen_cache
lab_start_all >/dev/null || lab_fatal "the lab did not start"
case $LAB_CERTGEN_USED in *inspect-certgen*) ;; *) lab_skip "inspect-certgen is not staged" ;; esac
db=$LAB_CERTGEN_DB
read -r code _ < <(fault_fetch good.test)
lab_assert_eq "bumped before any fault" 200 "$code"
lab_assert_eq "the cache file exists" yes "$([ -s "$db/certs.lmdb" ] && echo yes || echo no)"

# 1. unwritable: directory and files read-only for the helpers' user
chmod -R a-w "$db"
fault_restart_squid || lab_fatal "squid restart (unwritable)"
read -r code ms < <(fault_fetch www.good.test)
obs=$([ "$code" = 200 ] && echo degraded || echo "failed($code)")
fault_outcome "certgen cache dir unwritable" degraded "$obs" "HTTP $code in $ms ms; forged without the shared cache"
lab_assert_log "the helper says why it runs without the cache" "$LAB_CACHE_LOG" \
    'inspect-certgen.*(WITHOUT the shared cache|without the shared cache)' 10
chmod -R u+w "$db"

# 2. corrupted: the LMDB file overwritten with random bytes (same size)
lab_stop squid
size=$(stat -c %s "$db/certs.lmdb")
head -c "$size" /dev/urandom > "$db/certs.lmdb.tmp" && mv "$db/certs.lmdb.tmp" "$db/certs.lmdb"
[ -z "$LAB_SQUID_USER" ] || chown -R "$LAB_SQUID_USER:" "$db"
: > "$LAB_CACHE_LOG.before"; cp "$LAB_CACHE_LOG" "$LAB_CACHE_LOG.before"
fault_restart_squid || lab_fatal "squid restart (corrupted)"
read -r code ms < <(fault_fetch a.wild.test)
if [ "$code" = 200 ]; then obs=recovered; else obs="failed($code)"; fi
fault_outcome "certgen cache file corrupted" recovered "$obs" "HTTP $code in $ms ms"
read -r code _ < <(fault_fetch b.wild.test)
lab_assert_eq "and the next name too" 200 "$code"
if [ -e "$db/certs.lmdb.broken" ]; then
    lab_pass "the corrupted file was set aside as certs.lmdb.broken"
elif grep -q 'inspect-certgen.*without the shared cache' "$LAB_CACHE_LOG"; then
    lab_pass "the corrupted cache was refused (running without the shared cache)"
else
    lab_fail "no trace of the corrupted cache: neither set aside nor refused"
fi
lab_assert_no_log "no helper crash" "$LAB_CACHE_LOG" 'WARNING: sslcrtd_program .*exited|crashing too rapidly|returned <NULL> reply'
if fault_squid_alive; then lab_pass "Squid still runs"; else lab_fail "Squid is gone"; fi
lab_done
