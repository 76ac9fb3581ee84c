# schema/ and the policy modules of lib/ (owner: policy).
# The RELAX NG schema is installed for xmllint; lib/local.mk compiles the same file into
# libinspect (lib/policy_rng.c).
dist_pkgdata_DATA += schema/policy.rng schema/POLICY.md
schemaexamplesdir = $(pkgdatadir)/examples
dist_schemaexamples_DATA = schema/examples/policy.xml schema/examples/block.html \
	schema/examples/categories.xml
schemaexampleslistsdir = $(pkgdatadir)/examples/lists
dist_schemaexampleslists_DATA = schema/examples/lists/finance.txt schema/examples/lists/payroll.txt
# a miniature UT1 / squidGuard category tree for examples/categories.xml
ut1exdir = $(pkgdatadir)/examples/lists/ut1
ut1exbankdir = $(ut1exdir)/bank
dist_ut1exbank_DATA = schema/examples/lists/ut1/bank/domains schema/examples/lists/ut1/bank/urls
ut1exhealthdir = $(ut1exdir)/health
dist_ut1exhealth_DATA = schema/examples/lists/ut1/health/domains
ut1exgovernmentdir = $(ut1exdir)/government
dist_ut1exgovernment_DATA = schema/examples/lists/ut1/government/domains
ut1exadultdir = $(ut1exdir)/adult
dist_ut1exadult_DATA = schema/examples/lists/ut1/adult/domains schema/examples/lists/ut1/adult/urls
ut1exnewsdir = $(ut1exdir)/news
dist_ut1exnews_DATA = schema/examples/lists/ut1/news/domains

# Unit tests of the policy modules.
check_PROGRAMS += tests/unit/test_policy_load tests/unit/test_policy_query tests/unit/test_nameset \
	tests/unit/test_security tests/unit/test_bodyscan tests/unit/test_policy_service \
	tests/unit/test_policy_categories
tests_unit_test_policy_load_SOURCES = tests/unit/test_policy_load.c tests/unit/policy_fixture.h
tests_unit_test_policy_load_CFLAGS = $(UNIT_CFLAGS) -DSRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_policy_load_LDADD = $(UNIT_LDADD)
tests_unit_test_policy_query_SOURCES = tests/unit/test_policy_query.c tests/unit/policy_fixture.h
tests_unit_test_policy_query_CFLAGS = $(UNIT_CFLAGS) -DSRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_policy_query_LDADD = $(UNIT_LDADD)
tests_unit_test_policy_categories_SOURCES = tests/unit/test_policy_categories.c tests/unit/policy_fixture.h
tests_unit_test_policy_categories_CFLAGS = $(UNIT_CFLAGS) -DSRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_policy_categories_LDADD = $(UNIT_LDADD)
tests_unit_test_nameset_SOURCES = tests/unit/test_nameset.c
tests_unit_test_nameset_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_nameset_LDADD = $(UNIT_LDADD)
tests_unit_test_security_SOURCES = tests/unit/test_security.c tests/unit/policy_fixture.h
tests_unit_test_security_CFLAGS = $(UNIT_CFLAGS) -DSRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_security_LDADD = $(UNIT_LDADD)
tests_unit_test_bodyscan_SOURCES = tests/unit/test_bodyscan.c
tests_unit_test_bodyscan_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_bodyscan_LDADD = $(UNIT_LDADD)
tests_unit_test_policy_service_SOURCES = tests/unit/test_policy_service.c
tests_unit_test_policy_service_CFLAGS = $(UNIT_CFLAGS) $(ZLIB_CFLAGS)
tests_unit_test_policy_service_LDADD = $(UNIT_LDADD) $(ZLIB_LIBS)
TESTS += tests/unit/test_policy_service tests/unit/test_policy_load tests/unit/test_policy_query tests/unit/test_nameset \
	tests/unit/test_security tests/unit/test_bodyscan tests/unit/test_policy_categories
