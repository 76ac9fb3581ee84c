# bench/: side-by-side benchmarks against the stock components (see bench/README).
# Built by `make check` so that they keep compiling; run by hand (they take minutes).

# certgen: inspect-certgen vs /usr/lib/squid/security_file_certgen
check_PROGRAMS += bench/certgen_load
bench_certgen_load_SOURCES = bench/certgen_load.c
bench_certgen_load_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
bench_certgen_load_LDADD = $(OPENSSL_LIBS)
dist_noinst_SCRIPTS += bench/certgen-bench.sh
EXTRA_DIST += bench/README
