# bench/: side-by-side benchmarks against the stock components (see bench/README).
# Built by `make check` so that they keep compiling; run by hand (they take minutes).

# certgen: inspect-certgen vs /usr/lib/squid/security_file_certgen
check_PROGRAMS += bench/certgen_load
bench_certgen_load_SOURCES = bench/certgen_load.c
bench_certgen_load_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
bench_certgen_load_LDADD = $(OPENSSL_LIBS)
dist_noinst_SCRIPTS += bench/certgen-bench.sh
EXTRA_DIST += bench/README

# srv_inspect vs c-icap's srv_echo (owner: policy): an ICAP load client and a policy loader.
check_PROGRAMS += bench/icap_load bench/policy_load
bench_icap_load_SOURCES = bench/icap_load.c
bench_icap_load_LDADD = -lpthread
bench_policy_load_SOURCES = bench/policy_load.c
bench_policy_load_LDADD = lib/libinspect.la
dist_noinst_SCRIPTS += bench/icap-bench.sh bench/icap-policies.py bench/reload-stress.sh bench/categories-bench.sh \
	bench/icap-instructions.sh
# load and soak through the full stack (see bench/README): run by hand
dist_noinst_SCRIPTS += bench/load_soak.sh bench/https_load.py bench/valgrind_helpers.sh

# lib/clamd vs clamdscan --stream on one clamd (see bench/README): run by hand.
check_PROGRAMS += bench/clamd_scan
bench_clamd_scan_SOURCES = bench/clamd_scan.c
bench_clamd_scan_LDADD = lib/libinspect.la
dist_noinst_SCRIPTS += bench/clamd-scan.sh
