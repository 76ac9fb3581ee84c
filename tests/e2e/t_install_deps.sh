#!/bin/bash
# t_install_deps.sh: tools/install-deps installs sets: --runtime is what a production proxy
# needs (no compiler, test tools or browser), --build and --test add the rest, no option is
# everything (what tools/demo and tools/run-tests run). --list prints a set and installs
# nothing; apt-get and id are replaced by stubs, so nothing is ever installed here.
. "$(dirname "$0")/lib/lab.sh"
lab_init install_deps
deps=$LAB_LIB/../../../tools/install-deps
stub=$LAB_DIR/stub
mkdir -p "$stub"
printf '#!/bin/sh\necho "apt-get $*" >> %s/apt.log\n' "$LAB_DIR" > "$stub/apt-get"
printf '#!/bin/sh\necho 1000\n' > "$stub/id"
chmod +x "$stub/apt-get" "$stub/id"
list() { PATH=$stub:$PATH sh "$deps" --list "$@" 2>&1; }
has() { grep -qx "$2" <<<"$1"; }

all=$(list)
for p in squid-openssl c-icap libssl-dev libicapapi-dev libcriterion-dev clang valgrind chromium; do
    if has "$all" "$p"; then lab_pass "no option: $p"; else lab_fail "no option lacks $p: $all"; fi
done
runtime=$(list --runtime)
for p in squid-openssl c-icap libssl3 libxml2 libicapapi5 ca-certificates; do
    if has "$runtime" "$p"; then lab_pass "--runtime: $p"; else lab_fail "--runtime lacks $p: $runtime"; fi
done
lab_assert_eq "--runtime: no compiler, headers, test tool or browser" "" \
    "$(grep -E -- '-dev$|^(build-essential|clang|valgrind|chromium|gcc|libcriterion)' <<<"$runtime")"
build=$(list --build)
if has "$build" libicapapi-dev && ! has "$build" chromium; then lab_pass "--build: headers, no browser"
else lab_fail "--build: $build"; fi
both=$(list --runtime --test)
if has "$both" c-icap && has "$both" libcriterion-dev && ! has "$both" libssl-dev; then
    lab_pass "--runtime --test combine"
else lab_fail "--runtime --test: $both"; fi
root=$(PATH=$stub:$PATH sh "$deps" --root-list 2>&1)
if has "$root" squid-openssl && has "$root" libcriterion-dev && has "$root" libicapapi-dev &&
    ! has "$root" clang && ! has "$root" libssl3; then
    lab_pass "--root-list: names common to every suite, no host-only tool"
else lab_fail "--root-list: $root"; fi
help=$(sh "$deps" --help 2>&1)
for o in --runtime --build --test --list --root-list; do
    if grep -q -- "^$o " <<<"$help"; then lab_pass "--help: $o"; else lab_fail "--help lacks $o: $help"; fi
done
PATH=$stub:$PATH sh "$deps" --bogus >/dev/null 2>&1
lab_assert_eq "an unknown option is a usage error" 2 "$?"
lab_assert_eq "--list installs nothing" "" "$(cat "$LAB_DIR/apt.log" 2>/dev/null)"
lab_done
