# icap_service/: srv_inspect.so, the c-icap 0.5.x service "inspect" (owner: policy).
# A libtool module linked with libinspect; c-icap's own cflags (visibility, _FILE_OFFSET_BITS).
cicapmod_LTLIBRARIES = icap_service/srv_inspect.la
icap_service_srv_inspect_la_SOURCES = \
	icap_service/srv_inspect.c \
	icap_service/inspect_txn.c icap_service/inspect_txn.h \
	icap_service/inspect_apply.c icap_service/inspect_apply.h
icap_service_srv_inspect_la_CFLAGS = $(AM_CFLAGS) $(CICAP_CFLAGS)
icap_service_srv_inspect_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared
icap_service_srv_inspect_la_LIBADD = lib/libinspect.la $(CICAP_LIBS)

# c-icap loads <name>.so: the libtool archive is not needed next to it.
install-data-hook: install-srv-inspect-hook
install-srv-inspect-hook:
	rm -f '$(DESTDIR)$(cicapmoddir)/srv_inspect.la'
uninstall-hook: uninstall-srv-inspect-hook
uninstall-srv-inspect-hook:
	rm -f '$(DESTDIR)$(cicapmoddir)/srv_inspect.so'
