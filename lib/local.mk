# lib/: libinspect, the code every helper, the c-icap service and the tools share.
# No c-icap dependency here: it is unit-tested on its own. Every source of libinspect is listed
# here (the components' local.mk files only link it).
noinst_LTLIBRARIES += lib/libinspect.la
lib_libinspect_la_SOURCES = \
	lib/log.c lib/log.h \
	lib/errbuf.c lib/errbuf.h \
	lib/helper_io.c lib/helper_io.h \
	lib/ttlmap.c lib/ttlmap.h \
	lib/units.c lib/units.h
# helper request bodies: Squid's sslcrtd (inspect-certgen) and sslcrtvalidator (inspect-ocsp)
lib_libinspect_la_SOURCES += \
	lib/crtd_request.c lib/crtd_request.h \
	lib/crtvd_request.c lib/crtvd_request.h
# the policy (schema/policy.rng): loading, queries, security rules, the ICAP side's helpers
lib_libinspect_la_SOURCES += \
	lib/nameset.c lib/nameset.h \
	lib/cidr.c lib/cidr.h \
	lib/strmatch.c lib/strmatch.h \
	lib/filetype.c lib/filetype.h \
	lib/policy.h lib/security.h lib/policy_internal.h \
	lib/policy_loadctx.c lib/policy_loadctx.h \
	lib/policy_load.c lib/policy_hint.c lib/policy_objects.c lib/policy_rules.c lib/policy_secrules.c \
	lib/policy_check.c lib/policy_query.c lib/policy_categories.c \
	lib/security.c lib/bodyscan.c lib/bodyscan.h lib/blockpage.c lib/blockpage.h \
	lib/policy_holder.c lib/policy_holder.h lib/policy_status.c lib/policy_status.h \
	lib/decode.c lib/decode.h lib/httpreq.c lib/httpreq.h \
	lib/policy_trace.c lib/policy_trace.h
lib_libinspect_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(LIBXML2_CFLAGS) $(PCRE2_CFLAGS) $(ZLIB_CFLAGS)
lib_libinspect_la_LIBADD = $(OPENSSL_LIBS) $(LIBXML2_LIBS) $(PCRE2_LIBS) $(ZLIB_LIBS) -lpthread

# The RELAX NG schema compiled into libinspect (lib/policy_load.c validates against the same
# bytes schema/local.mk installs), so the installed file and the loader never disagree.
nodist_lib_libinspect_la_SOURCES = lib/policy_rng.c
CLEANFILES += lib/policy_rng.c
lib/policy_rng.c: $(srcdir)/schema/policy.rng
	@$(MKDIR_P) lib
	$(AM_V_GEN){ echo '/* generated from schema/policy.rng by lib/local.mk: do not edit */'; \
	  echo 'const char si_policy_rng[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $(srcdir)/schema/policy.rng; \
	  echo ';'; \
	  echo 'extern const unsigned long si_policy_rng_len;'; \
	  echo 'const unsigned long si_policy_rng_len = sizeof(si_policy_rng) - 1;'; \
	} > $@-t && mv $@-t $@
