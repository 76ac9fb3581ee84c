# schema/ and the policy modules of lib/ (owner: policy).
# The RELAX NG schema is installed for xmllint and compiled into libinspect (lib/policy_load.c
# validates against the same bytes), so the installed file and the loader never disagree.
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

lib_libinspect_la_SOURCES += \
	lib/nameset.c lib/nameset.h \
	lib/cidr.c lib/cidr.h \
	lib/strmatch.c lib/strmatch.h \
	lib/filetype.c lib/filetype.h \
	lib/policy.h lib/security.h lib/policy_internal.h \
	lib/policy_load.c lib/policy_hint.c lib/policy_objects.c lib/policy_rules.c lib/policy_secrules.c \
	lib/policy_check.c lib/policy_query.c lib/policy_categories.c \
	lib/security.c lib/bodyscan.c lib/blockpage.c lib/blockpage.h \
	lib/policy_holder.c lib/policy_holder.h lib/policy_status.c lib/policy_status.h lib/decode.c lib/decode.h lib/httpreq.c lib/httpreq.h
nodist_lib_libinspect_la_SOURCES = schema/policy_rng.c
lib_libinspect_la_CFLAGS += $(PCRE2_CFLAGS) $(ZLIB_CFLAGS)
lib_libinspect_la_LIBADD += $(PCRE2_LIBS) $(ZLIB_LIBS)
CLEANFILES += schema/policy_rng.c

schema/policy_rng.c: $(srcdir)/schema/policy.rng
	@$(MKDIR_P) schema
	$(AM_V_GEN){ echo '/* generated from schema/policy.rng by schema/local.mk: do not edit */'; \
	  echo 'const char si_policy_rng[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $(srcdir)/schema/policy.rng; \
	  echo ';'; \
	  echo 'extern const unsigned long si_policy_rng_len;'; \
	  echo 'const unsigned long si_policy_rng_len = sizeof(si_policy_rng) - 1;'; \
	} > $@-t && mv $@-t $@

# Unit tests of the policy modules.
check_PROGRAMS += tests/unit/test_policy_load tests/unit/test_policy_query tests/unit/test_nameset \
	tests/unit/test_security tests/unit/test_bodyscan tests/unit/test_policy_service \
	tests/unit/test_policy_categories tests/unit/test_policy_malware
tests_unit_test_policy_load_SOURCES = tests/unit/test_policy_load.c tests/unit/policy_fixture.h
tests_unit_test_policy_load_CFLAGS = $(UNIT_CFLAGS) -DSRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_policy_load_LDADD = $(UNIT_LDADD)
tests_unit_test_policy_query_SOURCES = tests/unit/test_policy_query.c tests/unit/policy_fixture.h
tests_unit_test_policy_query_CFLAGS = $(UNIT_CFLAGS) -DSRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_policy_query_LDADD = $(UNIT_LDADD)
tests_unit_test_policy_categories_SOURCES = tests/unit/test_policy_categories.c tests/unit/policy_fixture.h
tests_unit_test_policy_categories_CFLAGS = $(UNIT_CFLAGS) -DSRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_policy_categories_LDADD = $(UNIT_LDADD)
tests_unit_test_policy_malware_SOURCES = tests/unit/test_policy_malware.c tests/unit/policy_fixture.h
tests_unit_test_policy_malware_CFLAGS = $(UNIT_CFLAGS) -DSRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_policy_malware_LDADD = $(UNIT_LDADD)
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
	tests/unit/test_security tests/unit/test_bodyscan tests/unit/test_policy_categories \
	tests/unit/test_policy_malware
