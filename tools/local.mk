# tools/: inspect-ctl, the operator's command-line tool (installed in $(bindir)).
bin_PROGRAMS += tools/inspect-ctl
CTL_SOURCES = \
	tools/ctl_ca.c tools/ctl_ca.h tools/ctl_ca_perms.c \
	tools/ctl_pinned.c tools/ctl_pinned.h \
	tools/ctl_accesslog.c tools/ctl_accesslog.h \
	tools/ctl_policy.c tools/ctl_policy.h \
	tools/ctl_replay.c tools/ctl_coverage.c \
	tools/ctl_status.c tools/ctl_status.h \
	tools/ctl_target.c tools/ctl_target.h
# ca init's default --dir: where render-squid-conf's defaults look for the CA.
CTL_PATHS = -DSI_CONFDIR='"$(inspectconfdir)"'
tools_inspect_ctl_SOURCES = tools/inspect-ctl.c $(CTL_SOURCES)
tools_inspect_ctl_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(LIBXML2_CFLAGS) $(CTL_PATHS) \
	-DSI_STATE_DIR='"$(inspectstatedir)/status"'
tools_inspect_ctl_LDADD = lib/libinspect.la $(OPENSSL_LIBS) $(LIBXML2_LIBS)
dist_man_MANS = tools/inspect-ctl.1
EXTRA_DIST += tools/install-deps
# install-deps' package sets (--runtime, --build, --test, --list), with apt-get stubbed out.
TESTS += tests/e2e/t_install_deps.sh
EXTRA_DIST += tests/e2e/t_install_deps.sh

# End-to-end tests of the failure logging and of `inspect-ctl replay` (lab of tests/e2e/lib).
INSPECT_E2E = tests/e2e/t_inspect_failmodes.sh tests/e2e/t_inspect_replay.sh
TESTS += $(INSPECT_E2E)
EXTRA_DIST += $(INSPECT_E2E)

# Unit tests (Criterion; fixtures in tests/unit/fixtures/inspect).
INSPECT_UNIT_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/tools \
	-DFIXTURES='"$(abs_top_srcdir)/tests/unit/fixtures/inspect"' \
	-DINSPECT_CTL='"$(abs_top_builddir)/tools/inspect-ctl"' $(CTL_PATHS)
check_PROGRAMS += tests/unit/test_inspect_ctl
tests_unit_test_inspect_ctl_SOURCES = tests/unit/test_inspect_ctl.c tests/unit/capture.h $(CTL_SOURCES)
tests_unit_test_inspect_ctl_CFLAGS = $(INSPECT_UNIT_CFLAGS) -DSI_STATE_DIR='"/nonexistent"'
tests_unit_test_inspect_ctl_LDADD = $(UNIT_LDADD) $(OPENSSL_LIBS) $(LIBXML2_LIBS)
TESTS += tests/unit/test_inspect_ctl
check_PROGRAMS += tests/unit/test_ctl_status
tests_unit_test_ctl_status_SOURCES = tests/unit/test_ctl_status.c tests/unit/capture.h \
	tools/ctl_status.c tools/ctl_status.h
tests_unit_test_ctl_status_CFLAGS = $(INSPECT_UNIT_CFLAGS) -DSI_STATE_DIR='"/nonexistent"'
tests_unit_test_ctl_status_LDADD = $(UNIT_LDADD) $(OPENSSL_LIBS) $(LIBXML2_LIBS)
TESTS += tests/unit/test_ctl_status
EXTRA_DIST += tests/unit/fixtures/inspect/policy.xml tests/unit/fixtures/inspect/policy-old.xml \
	tests/unit/fixtures/inspect/invalid.xml tests/unit/fixtures/inspect/bypass-bulk.txt \
	tests/unit/fixtures/inspect/access-failmodes.log tests/unit/fixtures/inspect/access-policy.log \
	tests/unit/fixtures/inspect/access-nontls.log tests/unit/fixtures/inspect/access-rev.log \
	tests/unit/fixtures/inspect/access-native.log
