# bump_helper/: inspect-bump, the external ACL helper behind the ssl_bump decisions.
pkglibexec_PROGRAMS += bump_helper/inspect-bump
BUMP_SOURCES = \
	bump_helper/extacl_io.c bump_helper/extacl_io.h \
	bump_helper/probe.c bump_helper/probe.h \
	bump_helper/decide.c bump_helper/decide.h \
	bump_helper/policy_watch.c bump_helper/policy_watch.h
bump_helper_inspect_bump_SOURCES = bump_helper/inspect-bump.c $(BUMP_SOURCES)
bump_helper_inspect_bump_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(LIBXML2_CFLAGS)
bump_helper_inspect_bump_LDADD = lib/libinspect.la $(OPENSSL_LIBS) $(LIBXML2_LIBS) -lpthread

# Unit test (Criterion; fixtures in tests/unit/fixtures/inspect, shipped by tools/local.mk).
check_PROGRAMS += tests/unit/test_inspect_bump
tests_unit_test_inspect_bump_SOURCES = tests/unit/test_inspect_bump.c $(BUMP_SOURCES)
tests_unit_test_inspect_bump_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/bump_helper \
	-DFIXTURES='"$(abs_top_srcdir)/tests/unit/fixtures/inspect"'
tests_unit_test_inspect_bump_LDADD = $(UNIT_LDADD) $(OPENSSL_LIBS) $(LIBXML2_LIBS) -lpthread
TESTS += tests/unit/test_inspect_bump

# End-to-end: the <https-inspection> rules deciding through Squid (lab of tests/e2e/lib).
TESTS += tests/e2e/t_inspect_policy.sh
EXTRA_DIST += tests/e2e/t_inspect_policy.sh
