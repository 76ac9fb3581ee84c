# tests/e2e: end-to-end tests on the lab of tests/e2e/lib (real Squid, c-icap, openssl, a TLS
# origin, all on 127.0.0.1). Before they run, `make check` stages an install of the whole
# project under tests/e2e/_stage (check_DATA), which the tests use through E2E_* variables.
# A test is tests/e2e/t_NAME.sh: exit 0 pass, 1 fail, 77 skip (never under CI=true).
E2E_STAGE = $(abs_builddir)/tests/e2e/_stage
E2E_TESTS = \
	tests/e2e/t_lab_selftest.sh \
	tests/e2e/t_squid_conf_parse.sh \
	tests/e2e/t_bump_and_splice.sh \
	tests/e2e/t_certgen_error_page.sh \
	tests/e2e/t_certgen.sh \
	tests/e2e/t_certgen_smp.sh \
	tests/e2e/t_icap_inspect.sh \
	tests/e2e/t_icap_startup_policy.sh \
	tests/e2e/t_inspect_squid.sh \
	tests/e2e/t_inspect_nontls.sh
# <group> conditions at ssl_bump step 2 and in ICAP (squid_conf's groups wiring).
E2E_TESTS += tests/e2e/t_inspect_groups.sh
# category conditions (a UT1-style tree) at ssl_bump step 2 and in ICAP.
E2E_TESTS += tests/e2e/t_inspect_categories.sh
# srv_inspect paths beyond t_icap_inspect.sh: encoded bodies, inspection-limit block, command reload.
E2E_TESTS += tests/e2e/t_icap_policy_paths.sh
# decrypted responses and Squid's cache (the fragment's CACHE_BUMPED).
E2E_TESTS += tests/e2e/t_inspect_cache.sh
# gateway mode: transparent interception in network namespaces (root, ip, nft).
E2E_TESTS += tests/e2e/t_gateway.sh

TESTS += $(E2E_TESTS)
TEST_EXTENSIONS = .sh
SH_LOG_COMPILER = bash
AM_TESTS_ENVIRONMENT = \
	E2E_PREFIX='$(E2E_STAGE)$(prefix)'; \
	E2E_PKGLIBEXECDIR='$(E2E_STAGE)$(pkglibexecdir)'; \
	E2E_PKGDATADIR='$(E2E_STAGE)$(pkgdatadir)'; \
	E2E_CICAPMODDIR='$(E2E_STAGE)$(cicapmoddir)'; \
	E2E_BINDIR='$(E2E_STAGE)$(bindir)'; \
	E2E_SRCDIR='$(abs_top_srcdir)'; \
	SQUID='$(SQUID)'; CICAP='$(CICAP)'; OPENSSL='$(OPENSSL_BIN)'; PYTHON3='$(PYTHON3)'; \
	export E2E_PREFIX E2E_PKGLIBEXECDIR E2E_PKGDATADIR E2E_CICAPMODDIR E2E_BINDIR E2E_SRCDIR; \
	[ -n "$$SQUID" ] && export SQUID || unset SQUID; \
	[ -n "$$CICAP" ] && export CICAP || unset CICAP; \
	[ -n "$$OPENSSL" ] && export OPENSSL || unset OPENSSL; \
	[ -n "$$PYTHON3" ] && export PYTHON3 || unset PYTHON3;

# Restaged whenever anything `make install` installs (automake's PROGRAMS, LTLIBRARIES,
# SCRIPTS, DATA) or the Makefile changed, so the tests never see a stale install.
check_DATA += tests/e2e/_stage.stamp
tests/e2e/_stage.stamp: $(PROGRAMS) $(LTLIBRARIES) $(SCRIPTS) $(DATA) Makefile
	$(AM_V_GEN)rm -rf '$(E2E_STAGE)' && \
	$(MAKE) $(AM_MAKEFLAGS) install DESTDIR='$(E2E_STAGE)' >/dev/null && \
	touch $@
CLEANFILES += tests/e2e/_stage.stamp

EXTRA_DIST += $(E2E_TESTS) tests/e2e/README \
	tests/e2e/lib/lab.sh tests/e2e/lib/lab-services.sh tests/e2e/lib/lab-client.sh \
	tests/e2e/lib/mkpki.sh tests/e2e/lib/pki.sh tests/e2e/lib/origin.py tests/e2e/lib/ocspd.py \
	tests/e2e/lib/faultd.py tests/e2e/lib/certgen-checks.sh tests/e2e/lib/icap_slow_reader.py

# Other folders may hook clean-local the same way (prerequisite only, no recipe).
clean-local: clean-local-e2e
clean-local-e2e:
	-rm -rf '$(E2E_STAGE)'
.PHONY: clean-local-e2e
