#!/bin/sh
# run-fuzz.sh: builds the libFuzzer targets of tests/fuzz with clang (ASan+UBSan+libFuzzer,
# independent of how the tree was configured) and runs each one for FUZZ_SECONDS.
# Called by `make fuzz` (tests/fuzz/local.mk), which passes the variables below.
#
#   SRCDIR BUILDDIR     source and build trees; output goes to BUILDDIR/tests/fuzz/
#   FUZZ_CC             clang (default: clang, then clang-14)
#   DEP_CFLAGS DEP_LIBS the configure'd flags of OpenSSL, libxml2, PCRE2, zlib
#   FUZZ_SECONDS        per target (default 30); FUZZ_TARGETS: names to run (default: all)
#   FUZZ_JOBS           parallel fuzzers (default 2)
#
# Per target: BUILDDIR/tests/fuzz/NAME.log (libFuzzer's output), NAME.trs (PASS/FAIL for
# tools/run-tests' count), crashes in BUILDDIR/tests/fuzz/findings/NAME/, and one summary line
#   fuzz NAME: N executions in S s, corpus C, findings F
# Seeds: SRCDIR/tests/fuzz/seeds/NAME/ (committed, no key material) plus seeds made now from
# the tests' generators (ocsp_fixtures.sh, openssl: anything with a private key is made here).
set -eu
: "${SRCDIR:?}" "${BUILDDIR:?}"
SRCDIR=$(cd "$SRCDIR" && pwd)
BUILDDIR=$(cd "$BUILDDIR" && pwd)
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
FUZZ_JOBS=${FUZZ_JOBS:-2}
if [ -z "${FUZZ_CC:-}" ]; then
    for c in clang clang-14; do command -v "$c" >/dev/null 2>&1 && FUZZ_CC=$c && break; done
fi
[ -n "${FUZZ_CC:-}" ] || { echo "run-fuzz: clang not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
out=$BUILDDIR/tests/fuzz
obj=$out/obj
mkdir -p "$obj" "$out/bin" "$out/findings"
ALL="helper_io extacl crtd_request crtvd_request ocsp_response crl policy httpreq decode blockpage"
TARGETS=${FUZZ_TARGETS:-$ALL}

san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
cflags="-std=c11 -g -O1 -D_GNU_SOURCE -I$SRCDIR/lib -I$SRCDIR/ocsp_helper -I$SRCDIR/bump_helper -I$BUILDDIR $san ${DEP_CFLAGS:-}"

# The code under test: libinspect's sources, the generated schema, the OCSP/CRL judge.
echo "run-fuzz: building with $FUZZ_CC in $out"
objs=""
# lib/policy_rng.c is generated in the build tree (in an in-tree build it also matches lib/*.c)
libsrcs=""
for src in "$SRCDIR"/lib/*.c; do
    [ "$(basename "$src")" = policy_rng.c ] || libsrcs="$libsrcs $src"
done
# shellcheck disable=SC2086
for src in $libsrcs "$BUILDDIR/lib/policy_rng.c" "$SRCDIR/ocsp_helper/ocsp_verify.c" \
           "$SRCDIR/tests/fuzz/fuzz_pki.c" "$SRCDIR/bump_helper/extacl_io.c"; do
    o=$obj/$(basename "$src" .c).o
    if [ ! -f "$o" ] || [ "$src" -nt "$o" ]; then
        # shellcheck disable=SC2086
        "$FUZZ_CC" $cflags -fsanitize=fuzzer-no-link -c "$src" -o "$o"
    fi
    objs="$objs $o"
done
for t in $TARGETS; do
    # shellcheck disable=SC2086
    "$FUZZ_CC" $cflags -fsanitize=fuzzer "$SRCDIR/tests/fuzz/fuzz_$t.c" $objs ${DEP_LIBS:-} \
        -lpthread -o "$out/bin/fuzz_$t"
done

# Seeds made at run time (keys never leave this directory).
gen=$out/gen
rm -rf "$gen" && mkdir -p "$gen"
sh "$SRCDIR/tests/fuzz/make-seeds.sh" "$SRCDIR" "$gen" >"$out/make-seeds.log" 2>&1 ||
    { echo "run-fuzz: make-seeds.sh failed, see $out/make-seeds.log" >&2; exit 1; }

run_one() { # NAME
    t=$1 corpus=$out/corpus/$1 log=$out/$1.log
    rm -rf "$out/findings/$t"    # a finding fails this run only; its input is kept as a seed
    mkdir -p "$corpus" "$out/findings/$t"
    for d in "$SRCDIR/tests/fuzz/seeds/$t" "$gen/$t"; do
        [ -d "$d" ] && cp -f "$d"/* "$corpus"/ 2>/dev/null || true
    done
    pki=""
    case $t in ocsp_response|crl) pki=$gen/pki ;; esac
    set +e
    FUZZ_PKI_DIR=$pki "$out/bin/fuzz_$t" -max_total_time="$FUZZ_SECONDS" -timeout=10 \
        -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="$out/findings/$t/" "$corpus" >"$log" 2>&1
    rc=$?
    set -e
    runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
    secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
    findings=$(find "$out/findings/$t" -type f | wc -l)
    ncorpus=$(find "$corpus" -type f | wc -l)
    if [ "$rc" -eq 0 ] && [ "$findings" -eq 0 ]; then res=PASS; else res=FAIL; fi
    printf ':test-result: %s\n' "$res" > "$out/$t.trs"
    echo "fuzz $t: ${runs:-?} executions in ${secs:-?} s, corpus $ncorpus, findings $findings ($res)"
    if [ "$res" = FAIL ]; then grep -m 5 -E 'ERROR|runtime error|SUMMARY' "$log" || true; fi
}

status=0
running=0
for t in $TARGETS; do
    run_one "$t" > "$out/$t.summary" &
    running=$((running + 1))
    if [ "$running" -ge "$FUZZ_JOBS" ]; then wait; running=0; fi
done
wait
for t in $TARGETS; do
    cat "$out/$t.summary"
    grep -q PASS "$out/$t.trs" || status=1
done
exit $status
