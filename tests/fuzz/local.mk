# tests/fuzz: libFuzzer targets (clang) for every parser that reads untrusted bytes: helper
# framing and both helper request bodies, OCSP responses and CRLs, the policy loader, the ICAP
# side's HTTP header/body handling, block-page filling. See tests/fuzz/README.
#   make fuzz [FUZZ_SECONDS=30] [FUZZ_TARGETS="policy crl"] [FUZZ_JOBS=2]
# builds them with clang (ASan+UBSan+libFuzzer, whatever CC configure chose) and runs each for
# FUZZ_SECONDS. Not part of `make check`; tools/run-tests runs it with FUZZ_SECONDS=20.
FUZZ_SECONDS = 30
FUZZ_JOBS = 2
FUZZ_TARGETS =
EXTRA_DIST += tests/fuzz/README tests/fuzz/run-fuzz.sh tests/fuzz/make-seeds.sh \
	tests/fuzz/fuzz_pki.c tests/fuzz/fuzz_pki.h \
	tests/fuzz/fuzz_helper_io.c tests/fuzz/fuzz_extacl.c tests/fuzz/fuzz_crtd_request.c tests/fuzz/fuzz_crtvd_request.c \
	tests/fuzz/fuzz_ocsp_response.c tests/fuzz/fuzz_crl.c tests/fuzz/fuzz_policy.c \
	tests/fuzz/fuzz_httpreq.c tests/fuzz/fuzz_decode.c tests/fuzz/fuzz_blockpage.c

fuzz: lib/policy_rng.c config.h
	SRCDIR='$(abs_top_srcdir)' BUILDDIR='$(abs_top_builddir)' \
	FUZZ_SECONDS='$(FUZZ_SECONDS)' FUZZ_JOBS='$(FUZZ_JOBS)' FUZZ_TARGETS='$(FUZZ_TARGETS)' \
	PYTHON3='$(PYTHON3)' \
	DEP_CFLAGS='$(OPENSSL_CFLAGS) $(LIBXML2_CFLAGS) $(PCRE2_CFLAGS) $(ZLIB_CFLAGS)' \
	DEP_LIBS='$(OPENSSL_LIBS) $(LIBXML2_LIBS) $(PCRE2_LIBS) $(ZLIB_LIBS)' \
	sh '$(top_srcdir)/tests/fuzz/run-fuzz.sh'
.PHONY: fuzz

clean-local: clean-local-fuzz
clean-local-fuzz:
	-rm -rf tests/fuzz/obj tests/fuzz/gen tests/fuzz/corpus tests/fuzz/findings \
		tests/fuzz/bin tests/fuzz/*.summary tests/fuzz/*.trs
.PHONY: clean-local-fuzz

# Regression tests for the fuzzers' findings (run by make check like every unit test).
check_PROGRAMS += tests/unit/test_robust
tests_unit_test_robust_SOURCES = tests/unit/test_robust.c
tests_unit_test_robust_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_robust_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_robust

# Fault injection in the lab (tests/e2e/t_fault_*.sh, helpers in tests/e2e/fault_lab.sh and
# tests/e2e/lib/faultd.py). Each case prints a "FAULT-MATRIX:" line in fault_lab.sh's words.
FAULT_TESTS = \
	tests/e2e/t_fault_revocation.sh \
	tests/e2e/t_fault_icap.sh \
	tests/e2e/t_fault_helpers.sh \
	tests/e2e/t_fault_certgen_cache.sh \
	tests/e2e/t_fault_policy.sh
TESTS += $(FAULT_TESTS)
EXTRA_DIST += $(FAULT_TESTS) tests/e2e/fault_lab.sh tests/e2e/lib/faultd.py
# root only (mounts tmpfs), never under CI: sudo make check TESTS=tests/e2e/t_fault_disk.sh
EXTRA_DIST += tests/e2e/t_fault_disk.sh
