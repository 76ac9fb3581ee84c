/*
 * clamd_fixture.h: a real clamd (Debian's clamav-daemon) started by a test in a temporary
 * directory with its own clamd.conf and a signature database the fixture writes: an .hdb hash of
 * the EICAR test file and an .ndb body marker. No official database, no freshclam, no network:
 * clamd listens on a Unix socket in the directory and on a free port of 127.0.0.1.
 *
 * Readiness is clamd answering PING with PONG on its Unix socket (not a sleep).
 * The clamd program is $CLAMD, else /usr/sbin/clamd. When it is missing, fx_clamd_start()
 * skips the test, or fails it under CI=true (where nothing may be skipped).
 *
 * Ownership: the struct is the caller's; fx_clamd_stop() stops clamd and removes the directory.
 * Thread-safety: none needed (one fixture per test process).
 */
#ifndef CLAMD_FIXTURE_H
#define CLAMD_FIXTURE_H

#include <stddef.h>
#include <sys/types.h>

#define FX_EICAR "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
#define FX_EICAR_SIG "SquidInspect.Test.EICAR.UNOFFICIAL"  /* clamd marks custom names */
#define FX_MARKER "SQUID-INSPECT-MALWARE-TEST-MARKER"
#define FX_MARKER_SIG "SquidInspect.Test.Marker.UNOFFICIAL"

struct fx_clamd {
    char dir[64];
    char sock[100];     /* the Unix socket's path (fits sun_path) */
    int port;           /* clamd's TCP port on 127.0.0.1 */
    pid_t pid;
};

/* Starts clamd with StreamMaxLength stream_max (e.g. "1M"). 0, or fails/skips the test. */
int fx_clamd_start(struct fx_clamd *c, const char *stream_max);
/* SIGKILL now, and reap (for the killed-mid-stream case). */
void fx_clamd_kill(struct fx_clamd *c);
/* Stops clamd (if still running) and removes the directory. */
void fx_clamd_stop(struct fx_clamd *c);
/* A free TCP port on 127.0.0.1 (bound and released). */
int fx_free_port(void);

#endif
