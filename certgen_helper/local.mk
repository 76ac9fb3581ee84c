# certgen_helper/: inspect-certgen, Squid's sslcrtd_program.
# The request-body parser lives in lib/ (the fuzzers call it directly).

CERTGEN_CORE = \
	certgen_helper/forge.c certgen_helper/forge.h \
	certgen_helper/leafkeys.c certgen_helper/leafkeys.h \
	certgen_helper/cache.c certgen_helper/cache.h \
	certgen_helper/service.c certgen_helper/service.h

pkglibexec_PROGRAMS += certgen_helper/inspect-certgen
certgen_helper_inspect_certgen_SOURCES = certgen_helper/main.c $(CERTGEN_CORE)
certgen_helper_inspect_certgen_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(LMDB_CFLAGS)
certgen_helper_inspect_certgen_LDADD = lib/libinspect.la $(OPENSSL_LIBS) $(LMDB_LIBS)

dist_man8_MANS = certgen_helper/inspect-certgen.8

# Unit tests: the parser (lib/), the forging rules, the leaf keys and the LMDB cache.
check_PROGRAMS += tests/unit/test_crtd_request tests/unit/test_forge tests/unit/test_certgen_store \
	tests/unit/test_certgen_helper
tests_unit_test_crtd_request_SOURCES = tests/unit/test_crtd_request.c tests/unit/certgen_fixture.c tests/unit/certgen_fixture.h
tests_unit_test_crtd_request_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/certgen_helper
tests_unit_test_crtd_request_LDADD = $(UNIT_LDADD) $(OPENSSL_LIBS)
tests_unit_test_forge_SOURCES = tests/unit/test_forge.c tests/unit/certgen_fixture.c tests/unit/certgen_fixture.h $(CERTGEN_CORE)
tests_unit_test_forge_CFLAGS = $(UNIT_CFLAGS) $(LMDB_CFLAGS) -I$(top_srcdir)/certgen_helper
tests_unit_test_forge_LDADD = $(UNIT_LDADD) $(OPENSSL_LIBS) $(LMDB_LIBS)
tests_unit_test_certgen_store_SOURCES = tests/unit/test_certgen_store.c tests/unit/certgen_fixture.c tests/unit/certgen_fixture.h $(CERTGEN_CORE)
tests_unit_test_certgen_store_CFLAGS = $(UNIT_CFLAGS) $(LMDB_CFLAGS) -I$(top_srcdir)/certgen_helper
tests_unit_test_certgen_store_LDADD = $(UNIT_LDADD) $(OPENSSL_LIBS) $(LMDB_LIBS)
tests_unit_test_certgen_helper_SOURCES = tests/unit/test_certgen_helper.c tests/unit/certgen_fixture.c tests/unit/certgen_fixture.h
tests_unit_test_certgen_helper_CFLAGS = $(UNIT_CFLAGS) -DCERTGEN_BIN='"$(abs_top_builddir)/certgen_helper/inspect-certgen"'
tests_unit_test_certgen_helper_LDADD = $(UNIT_LDADD) $(OPENSSL_LIBS)
EXTRA_tests_unit_test_certgen_helper_DEPENDENCIES = certgen_helper/inspect-certgen
TESTS += tests/unit/test_crtd_request tests/unit/test_forge tests/unit/test_certgen_store \
	tests/unit/test_certgen_helper
# End-to-end through Squid (lab of tests/e2e/lib; tests/e2e/lib/certgen-checks.sh is theirs).
CERTGEN_E2E = tests/e2e/t_certgen.sh tests/e2e/t_certgen_smp.sh tests/e2e/t_certgen_error_page.sh
TESTS += $(CERTGEN_E2E)
EXTRA_DIST += $(CERTGEN_E2E) tests/e2e/lib/certgen-checks.sh
