# squid_conf/errors/: one design for the pages users see when inspection refuses something
# (owner: pages). mkpages.sh builds, from page.html.in + inspect.css + pages.txt:
#  - Squid 5.7 error templates for error_directory $(pkgdatadir)/errors (every ERR_* page
#    Squid may load, ERR_INSPECT_TERMINATE and the ERR_INSPECT_*_TEXT plain-text variants
#    for deny_info) and our error-details.txt;
#  - the security policy's block page: lib/blockpage_page.h (built into lib/blockpage.c) and
#    $(pkgdatadir)/block-page.html (a starting point for <block-page template="...">).
SI_PAGES_SRC = $(srcdir)/squid_conf/errors/page.html.in $(srcdir)/squid_conf/errors/page.txt.in \
	$(srcdir)/squid_conf/errors/inspect.css \
	$(srcdir)/squid_conf/errors/pages.txt $(srcdir)/squid_conf/errors/mkpages.sh
SI_ERR_PAGES = \
	squid_conf/errors/en/ERR_ACCESS_DENIED \
	squid_conf/errors/en/ERR_ACL_TIME_QUOTA_EXCEEDED \
	squid_conf/errors/en/ERR_AGENT_CONFIGURE \
	squid_conf/errors/en/ERR_AGENT_WPAD \
	squid_conf/errors/en/ERR_CACHE_ACCESS_DENIED \
	squid_conf/errors/en/ERR_CACHE_MGR_ACCESS_DENIED \
	squid_conf/errors/en/ERR_CANNOT_FORWARD \
	squid_conf/errors/en/ERR_CONFLICT_HOST \
	squid_conf/errors/en/ERR_CONNECT_FAIL \
	squid_conf/errors/en/ERR_DIR_LISTING \
	squid_conf/errors/en/ERR_DNS_FAIL \
	squid_conf/errors/en/ERR_ESI \
	squid_conf/errors/en/ERR_FORWARDING_DENIED \
	squid_conf/errors/en/ERR_FTP_DISABLED \
	squid_conf/errors/en/ERR_FTP_FAILURE \
	squid_conf/errors/en/ERR_FTP_FORBIDDEN \
	squid_conf/errors/en/ERR_FTP_NOT_FOUND \
	squid_conf/errors/en/ERR_FTP_PUT_CREATED \
	squid_conf/errors/en/ERR_FTP_PUT_ERROR \
	squid_conf/errors/en/ERR_FTP_PUT_MODIFIED \
	squid_conf/errors/en/ERR_FTP_UNAVAILABLE \
	squid_conf/errors/en/ERR_GATEWAY_FAILURE \
	squid_conf/errors/en/ERR_ICAP_FAILURE \
	squid_conf/errors/en/ERR_INVALID_REQ \
	squid_conf/errors/en/ERR_INVALID_RESP \
	squid_conf/errors/en/ERR_INVALID_URL \
	squid_conf/errors/en/ERR_LIFETIME_EXP \
	squid_conf/errors/en/ERR_NO_RELAY \
	squid_conf/errors/en/ERR_ONLY_IF_CACHED_MISS \
	squid_conf/errors/en/ERR_PRECONDITION_FAILED \
	squid_conf/errors/en/ERR_PROTOCOL_UNKNOWN \
	squid_conf/errors/en/ERR_READ_ERROR \
	squid_conf/errors/en/ERR_READ_TIMEOUT \
	squid_conf/errors/en/ERR_SECURE_CONNECT_FAIL \
	squid_conf/errors/en/ERR_SHUTTING_DOWN \
	squid_conf/errors/en/ERR_SOCKET_FAILURE \
	squid_conf/errors/en/ERR_TOO_BIG \
	squid_conf/errors/en/ERR_UNSUP_HTTPVERSION \
	squid_conf/errors/en/ERR_UNSUP_REQ \
	squid_conf/errors/en/ERR_URN_RESOLVE \
	squid_conf/errors/en/ERR_WRITE_ERROR \
	squid_conf/errors/en/ERR_ZERO_SIZE_OBJECT \
	squid_conf/errors/en/ERR_INSPECT_TERMINATE \
	squid_conf/errors/en/ERR_INSPECT_CERT_TEXT \
	squid_conf/errors/en/ERR_INSPECT_ICAP_TEXT \
	squid_conf/errors/en/ERR_INSPECT_TERMINATE_TEXT
sierrorsdir = $(pkgdatadir)/errors
nodist_sierrors_DATA = $(SI_ERR_PAGES)
dist_sierrors_DATA = squid_conf/errors/error-details.txt
nodist_pkgdata_DATA = squid_conf/errors/block-page.html
BUILT_SOURCES = lib/blockpage_page.h
EXTRA_DIST += squid_conf/errors/page.html.in squid_conf/errors/page.txt.in squid_conf/errors/inspect.css \
	squid_conf/errors/pages.txt squid_conf/errors/mkpages.sh squid_conf/errors/README.md
CLEANFILES += $(SI_ERR_PAGES) squid_conf/errors/pages.stamp squid_conf/errors/block-page.html \
	lib/blockpage_page.h

squid_conf/errors/pages.stamp: $(SI_PAGES_SRC)
	$(AM_V_GEN)rm -rf squid_conf/errors/en.tmp && \
	sh $(srcdir)/squid_conf/errors/mkpages.sh squid $(srcdir)/squid_conf/errors squid_conf/errors/en.tmp && \
	rm -rf squid_conf/errors/en && mv squid_conf/errors/en.tmp squid_conf/errors/en && touch $@
$(SI_ERR_PAGES): squid_conf/errors/pages.stamp
squid_conf/errors/block-page.html: $(SI_PAGES_SRC)
	$(AM_V_GEN)$(MKDIR_P) squid_conf/errors && \
	sh $(srcdir)/squid_conf/errors/mkpages.sh block $(srcdir)/squid_conf/errors $@.tmp && mv $@.tmp $@
lib/blockpage_page.h: $(SI_PAGES_SRC)
	$(AM_V_GEN)$(MKDIR_P) lib && \
	sh $(srcdir)/squid_conf/errors/mkpages.sh cheader $(srcdir)/squid_conf/errors $@.tmp && mv $@.tmp $@

check_PROGRAMS += tests/unit/test_blockpage
tests_unit_test_blockpage_SOURCES = tests/unit/test_blockpage.c
tests_unit_test_blockpage_CPPFLAGS = $(AM_CPPFLAGS) -DSRCDIR='"$(abs_top_srcdir)"' \
	-DBUILDDIR='"$(abs_top_builddir)"'
tests_unit_test_blockpage_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_blockpage_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_blockpage

# End-to-end: the pages in a real browser (chromium) and with markup in URL and host (curl).
TESTS += tests/e2e/t_browser.sh tests/e2e/t_error_pages.sh
EXTRA_DIST += tests/e2e/t_browser.sh tests/e2e/t_error_pages.sh
clean-local: clean-si-artifacts
clean-si-artifacts:
	rm -rf tests/e2e/artifacts
