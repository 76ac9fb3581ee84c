# tests/unit: Criterion unit tests, no network (loopback only: test_clamd's clamd and listeners).
# One binary per lib/ module or component.
UNIT_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) $(OPENSSL_CFLAGS) $(LIBXML2_CFLAGS)
UNIT_LDADD = lib/libinspect.la $(CRITERION_LIBS)

check_PROGRAMS += tests/unit/test_helper_io
tests_unit_test_helper_io_SOURCES = tests/unit/test_helper_io.c
tests_unit_test_helper_io_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_helper_io_LDADD = $(UNIT_LDADD)

TESTS += tests/unit/test_helper_io

check_PROGRAMS += tests/unit/test_ttlmap
tests_unit_test_ttlmap_SOURCES = tests/unit/test_ttlmap.c
tests_unit_test_ttlmap_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ttlmap_LDADD = $(UNIT_LDADD) -lpthread

TESTS += tests/unit/test_ttlmap

# lib/clamd against a real clamd (package clamav-daemon), started by the test itself.
check_PROGRAMS += tests/unit/test_clamd
tests_unit_test_clamd_SOURCES = tests/unit/test_clamd.c tests/unit/clamd_fixture.c \
	tests/unit/clamd_fixture.h
tests_unit_test_clamd_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_clamd_LDADD = $(UNIT_LDADD) -lpthread

TESTS += tests/unit/test_clamd
