# ocsp_helper/: inspect-ocsp, the Squid sslcrtvalidator_program (OCSP + CRL revocation).
OCSP_CORE = \
	ocsp_helper/settings.c ocsp_helper/settings.h \
	ocsp_helper/cli_policy.c ocsp_helper/cli_policy.h \
	ocsp_helper/fetch.c ocsp_helper/fetch.h \
	ocsp_helper/ocsp_verify.c ocsp_helper/ocsp_verify.h \
	ocsp_helper/cache.c ocsp_helper/cache.h \
	ocsp_helper/chain_cache.c ocsp_helper/chain_cache.h \
	ocsp_helper/chain_complete.c ocsp_helper/chain_complete.h \
	ocsp_helper/revocation.c ocsp_helper/revocation.h \
	ocsp_helper/validate.c ocsp_helper/validate.h

pkglibexec_PROGRAMS += ocsp_helper/inspect-ocsp
ocsp_helper_inspect_ocsp_SOURCES = ocsp_helper/main.c $(OCSP_CORE)
ocsp_helper_inspect_ocsp_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) \
	-DSI_DEFAULT_POLICY='"$(inspectconfdir)/policy.xml"'
ocsp_helper_inspect_ocsp_LDADD = lib/libinspect.la $(OPENSSL_LIBS) -lpthread
dist_man8_MANS += ocsp_helper/inspect-ocsp.8

check_PROGRAMS += tests/unit/test_crtvd_request tests/unit/test_ocsp_verify
tests_unit_test_crtvd_request_SOURCES = tests/unit/test_crtvd_request.c
tests_unit_test_crtvd_request_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_crtvd_request_LDADD = $(UNIT_LDADD)

tests_unit_test_ocsp_verify_SOURCES = tests/unit/test_ocsp_verify.c $(OCSP_CORE)
tests_unit_test_ocsp_verify_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/ocsp_helper \
	-DOCSP_FIXTURE_SCRIPT='"$(abs_top_srcdir)/tests/unit/ocsp_fixtures.sh"'
tests_unit_test_ocsp_verify_LDADD = $(UNIT_LDADD) $(OPENSSL_LIBS) -lpthread

TESTS += tests/unit/test_crtvd_request tests/unit/test_ocsp_verify
EXTRA_DIST += tests/unit/ocsp_fixtures.sh

# End-to-end tests through Squid on the lab (tests/e2e/lib).
TESTS += tests/e2e/t_ocsp_helper.sh tests/e2e/t_ocsp_revocation.sh tests/e2e/t_ocsp_deadline.sh \
	tests/e2e/t_ocsp_chain.sh tests/e2e/t_origin_strict.sh
EXTRA_DIST += tests/e2e/t_ocsp_helper.sh tests/e2e/t_ocsp_revocation.sh tests/e2e/t_ocsp_deadline.sh \
	tests/e2e/t_ocsp_chain.sh tests/e2e/t_origin_strict.sh tests/e2e/ocsp_lab.sh
# One policy file at a non-default path for every component (the fragments' POLICY_FILE).
TESTS += tests/e2e/t_policy_path.sh
EXTRA_DIST += tests/e2e/t_policy_path.sh

# The OCSP/CRL fixtures test_ocsp_verify makes at test time (see tests/e2e/local.mk's hook note).
clean-local: clean-local-ocsp
clean-local-ocsp:
	-rm -rf tests/unit/_ocsp_fix tests/unit/_ocsp_fix.lock
.PHONY: clean-local-ocsp
