# tools/: inspect-ctl, the operator's command-line tool (installed in $(bindir)).
bin_PROGRAMS += tools/inspect-ctl
CTL_SOURCES = \
	tools/ctl_ca.c tools/ctl_ca.h \
	tools/ctl_pinned.c tools/ctl_pinned.h \
	tools/ctl_accesslog.c tools/ctl_accesslog.h \
	tools/ctl_policy.c tools/ctl_policy.h \
	tools/ctl_replay.c \
	tools/ctl_target.c tools/ctl_target.h
tools_inspect_ctl_SOURCES = tools/inspect-ctl.c $(CTL_SOURCES)
tools_inspect_ctl_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(LIBXML2_CFLAGS)
tools_inspect_ctl_LDADD = lib/libinspect.la $(OPENSSL_LIBS) $(LIBXML2_LIBS)
dist_man_MANS = tools/inspect-ctl.1
EXTRA_DIST += tools/install-deps
include $(top_srcdir)/bump_helper/local.mk

# End-to-end tests of the inspection decisions (they run on the lab of tests/e2e/lib).
INSPECT_E2E = tests/e2e/t_inspect_policy.sh tests/e2e/t_inspect_failmodes.sh
TESTS += $(INSPECT_E2E)
EXTRA_DIST += $(INSPECT_E2E)
