# squid_conf/: the Squid include fragment, the c-icap.conf lines and the script that renders
# both from KEY=VALUE arguments with this build's installed paths as defaults (the CA and the
# policy in $(inspectconfdir), the certificate cache in $(inspectstatedir)/ssl_db: configure's
# --with-confdir and --with-statedir, /etc/squid-inspect and /var/lib/squid-inspect by default).
dist_pkgdata_DATA += squid_conf/squid-inspect.conf.in squid_conf/c-icap-inspect.conf.in
pkgdata_SCRIPTS = squid_conf/render-squid-conf
EXTRA_DIST += squid_conf/render-squid-conf.in squid_conf/README.md
CLEANFILES += squid_conf/render-squid-conf

# Paths are substituted at make time so that "make prefix=..." and DESTDIR behave.
squid_conf/render-squid-conf: $(srcdir)/squid_conf/render-squid-conf.in Makefile
	$(AM_V_GEN)$(MKDIR_P) squid_conf && rm -f $@ $@.tmp && \
	sed -e 's|@pkgdatadir[@]|$(pkgdatadir)|g' \
	    -e 's|@pkglibexecdir[@]|$(pkglibexecdir)|g' \
	    -e 's|@inspectconfdir[@]|$(inspectconfdir)|g' \
	    -e 's|@inspectstatedir[@]|$(inspectstatedir)|g' \
	    -e 's|@cicapmoddir[@]|$(cicapmoddir)|g' \
	    $(srcdir)/squid_conf/render-squid-conf.in > $@.tmp && \
	chmod +x $@.tmp && mv $@.tmp $@
# The error pages and the block page design (owner: pages).
include squid_conf/errors/local.mk

# The state directory (render-squid-conf's STATE_DIR default) where inspect-bump, inspect-ocsp
# and srv_inspect write their policy status files: the Squid user and c-icap's both write there.
install-data-hook: install-state-dir-hook
install-state-dir-hook:
	$(MKDIR_P) '$(DESTDIR)$(inspectstatedir)/status'
	chmod 1777 '$(DESTDIR)$(inspectstatedir)/status'
# make uninstall removes them again when empty (status files of running processes, or the
# certificate cache in ssl_db, keep them).
uninstall-hook: uninstall-state-dir-hook
uninstall-state-dir-hook:
	-rmdir '$(DESTDIR)$(inspectstatedir)/status' 2>/dev/null
	-rmdir '$(DESTDIR)$(inspectstatedir)' 2>/dev/null
