/*
 * clamd_fixture.c: see clamd_fixture.h.
 */
#include "clamd_fixture.h"

#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define START_DEADLINE_MS 60000 /* a loaded CI machine; clamd needs well under a second here */

int fx_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    cr_assert(fd >= 0);
    cr_assert(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
    cr_assert(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
    close(fd);
    return ntohs(a.sin_port);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert(f, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

static void write_database(const struct fx_clamd *c)
{
    char db[128], line[256];
    snprintf(db, sizeof(db), "%s/db", c->dir);
    cr_assert(mkdir(db, 0700) == 0);
    /* MD5:size:name of the 68-byte EICAR test file (FX_EICAR, no newline) */
    write_file(db, "test.hdb", "44d88612fea8a8f36de82e1278abb02f:68:SquidInspect.Test.EICAR\n");
    /* name:target(any):offset(anywhere):hex bytes */
    int n = snprintf(line, sizeof(line), "SquidInspect.Test.Marker:0:*:");
    for (const char *p = FX_MARKER; *p; p++)
        n += snprintf(line + n, sizeof(line) - (size_t)n, "%02x", (unsigned char)*p);
    snprintf(line + n, sizeof(line) - (size_t)n, "\n");
    write_file(db, "test.ndb", line);
}

static void write_conf(const struct fx_clamd *c, const char *stream_max)
{
    char conf[1024], tmp[128];
    snprintf(tmp, sizeof(tmp), "%s/tmp", c->dir);
    cr_assert(mkdir(tmp, 0700) == 0);
    snprintf(conf, sizeof(conf),
             "Foreground yes\n"
             "LocalSocket %s\n"
             "TCPSocket %d\n"
             "TCPAddr 127.0.0.1\n"
             "DatabaseDirectory %s/db\n"
             "TemporaryDirectory %s\n"
             "LogFile %s/clamd.log\n"
             "PidFile %s/clamd.pid\n"
             "StreamMaxLength %s\n"
             "SelfCheck 0\n"
             "Bytecode no\n",
             c->sock, c->port, c->dir, tmp, c->dir, c->dir, stream_max);
    write_file(c->dir, "clamd.conf", conf);
}

/* One PING: true when clamd answered PONG. */
static bool ping(const char *sock)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool ok = false;
    char buf[16] = {0};
    struct timeval tv = {.tv_sec = 2};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        send(fd, "zPING", 6, MSG_NOSIGNAL) == 6) {
        size_t got = 0;
        ssize_t n;
        while (got < sizeof(buf) - 1 && (n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0)) > 0)
            got += (size_t)n;
        ok = got >= 5 && memcmp(buf, "PONG", 5) == 0;
    }
    if (fd >= 0)
        close(fd);
    return ok;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void spawn(struct fx_clamd *c, const char *clamd)
{
    char conf[128], log[128];
    snprintf(conf, sizeof(conf), "%s/clamd.conf", c->dir);
    snprintf(log, sizeof(log), "%s/clamd.stderr", c->dir);
    c->pid = fork();
    cr_assert(c->pid >= 0);
    if (c->pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execl(clamd, clamd, "-c", conf, (char *)NULL);
        _exit(127);
    }
}

static void wait_ready(struct fx_clamd *c)
{
    long long deadline = now_ms() + START_DEADLINE_MS;
    while (!ping(c->sock)) {
        int st;
        if (waitpid(c->pid, &st, WNOHANG) == c->pid) {
            c->pid = 0;
            cr_assert_fail("clamd exited before it was ready (status %d); see %s/clamd.log", st,
                           c->dir);
            return;
        }
        cr_assert(now_ms() < deadline, "clamd not ready after %d ms; see %s/clamd.log",
                  START_DEADLINE_MS, c->dir);
        poll(NULL, 0, 20); /* between readiness probes */
    }
}

int fx_clamd_start(struct fx_clamd *c, const char *stream_max)
{
    memset(c, 0, sizeof(*c));
    const char *clamd = getenv("CLAMD");
    if (!clamd || !*clamd)
        clamd = "/usr/sbin/clamd";
    if (access(clamd, X_OK) != 0) {
        const char *ci = getenv("CI");
        if (ci && strcmp(ci, "true") == 0)
            cr_assert_fail("%s not found (package clamav-daemon; CI=true: tests may not skip)",
                           clamd);
        else
            cr_skip_test("%s not found (package clamav-daemon)", clamd);
        return -1;
    }
    snprintf(c->dir, sizeof(c->dir), "/tmp/si-clamd-XXXXXX");
    cr_assert(mkdtemp(c->dir));
    snprintf(c->sock, sizeof(c->sock), "%s/clamd.sock", c->dir);
    c->port = fx_free_port();
    write_database(c);
    write_conf(c, stream_max);
    spawn(c, clamd);
    wait_ready(c);
    return 0;
}

void fx_clamd_kill(struct fx_clamd *c)
{
    if (c->pid > 0) {
        kill(c->pid, SIGKILL);
        waitpid(c->pid, NULL, 0);
        c->pid = 0;
    }
}

void fx_clamd_stop(struct fx_clamd *c)
{
    if (c->pid > 0) {
        kill(c->pid, SIGTERM);
        long long deadline = now_ms() + 10000;
        while (waitpid(c->pid, NULL, WNOHANG) == 0) {
            if (now_ms() > deadline) {
                fx_clamd_kill(c);
                break;
            }
            poll(NULL, 0, 20); /* reaping a stopping clamd */
        }
        c->pid = 0;
    }
    if (c->dir[0]) {
        char cmd[160];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", c->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "clamd fixture: could not remove %s\n", c->dir);
        c->dir[0] = '\0';
    }
}
