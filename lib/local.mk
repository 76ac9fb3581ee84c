# lib/: libinspect, the code every helper, the c-icap service and the tools share.
# No c-icap dependency here: it is unit-tested on its own.
noinst_LTLIBRARIES += lib/libinspect.la
lib_libinspect_la_SOURCES = \
	lib/log.c lib/log.h \
	lib/errbuf.c lib/errbuf.h \
	lib/helper_io.c lib/helper_io.h \
	lib/ttlmap.c lib/ttlmap.h \
	lib/clamd.c lib/clamd.h
lib_libinspect_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(LIBXML2_CFLAGS)
lib_libinspect_la_LIBADD = $(OPENSSL_LIBS) $(LIBXML2_LIBS) -lpthread
