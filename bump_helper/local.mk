# bump_helper/: inspect-bump, the external ACL helper behind the ssl_bump decisions
# (included from tools/local.mk: it belongs to the tools/squid_conf component).
pkglibexec_PROGRAMS += bump_helper/inspect-bump
BUMP_SOURCES = \
	bump_helper/extacl_io.c bump_helper/extacl_io.h \
	bump_helper/probe.c bump_helper/probe.h \
	bump_helper/decide.c bump_helper/decide.h \
	bump_helper/policy_watch.c bump_helper/policy_watch.h
bump_helper_inspect_bump_SOURCES = bump_helper/inspect-bump.c $(BUMP_SOURCES)
bump_helper_inspect_bump_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(LIBXML2_CFLAGS)
bump_helper_inspect_bump_LDADD = lib/libinspect.la $(OPENSSL_LIBS) $(LIBXML2_LIBS) -lpthread
