/*
 * test_clamd.c: lib/clamd against a real clamd (clamd_fixture.h) for the scanner's own answers
 * and failures, and against small fake listeners on 127.0.0.1 for what clamd never does on
 * purpose (silence, garbage).
 */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clamd.h"
#include "clamd_fixture.h"

#define TIMEOUT_MS 10000

static struct fx_clamd clamd;

static void start(void)
{
    fx_clamd_start(&clamd, "1M");
}

static void stop(void)
{
    fx_clamd_stop(&clamd);
}

static struct si_clamd_addr addr_of(const char *spec)
{
    struct si_clamd_addr a;
    char err[256];
    cr_assert_eq(si_clamd_addr_parse(spec, &a, err, sizeof(err)), 0, "%s: %s", spec, err);
    return a;
}

static struct si_clamd_addr unix_addr(void)
{
    return addr_of(clamd.sock);
}

/* A body of len bytes of filler with text (if any) at offset. Caller frees. */
static char *body(size_t len, const char *text, size_t offset)
{
    char *b = malloc(len);
    cr_assert(b);
    for (size_t i = 0; i < len; i++)
        b[i] = (char)('a' + i % 23);
    if (text)
        memcpy(b + offset, text, strlen(text));
    return b;
}

/* Ends the stream, closes the session, returns the verdict. */
static struct si_clamd_result finish(struct si_clamd_session *s)
{
    struct si_clamd_result r;
    si_clamd_finish(s, &r);
    si_clamd_close(s);
    return r;
}

TestSuite(clamd, .init = start, .fini = stop, .timeout = 60);

Test(clamd, clean_body_is_clean)
{
    struct si_clamd_addr a = unix_addr();
    struct si_clamd_result r;
    char *b = body(100000, NULL, 0);
    si_clamd_scan(&a, TIMEOUT_MS, b, 100000, &r);
    free(b);
    cr_assert_eq(r.verdict, SI_CLAMD_CLEAN, "%s", r.message);
    cr_assert_eq(r.error, SI_CLAMD_E_NONE);
}

Test(clamd, eicar_is_infected_with_its_name)
{
    struct si_clamd_addr a = unix_addr();
    struct si_clamd_result r;
    si_clamd_scan(&a, TIMEOUT_MS, FX_EICAR, strlen(FX_EICAR), &r);
    cr_assert_eq(r.verdict, SI_CLAMD_INFECTED, "%s", r.message);
    cr_assert_str_eq(r.signature, FX_EICAR_SIG);
}

Test(clamd, eicar_in_one_byte_chunks)
{
    struct si_clamd_addr a = unix_addr();
    struct si_clamd_result r;
    struct si_clamd_session *s = si_clamd_open(&a, TIMEOUT_MS, &r);
    cr_assert(s, "%s", r.message);
    for (const char *p = FX_EICAR; *p; p++)
        cr_assert_eq(si_clamd_feed(s, p, 1), 0);
    cr_assert_eq(si_clamd_feed(s, "", 0), 0);
    r = finish(s);
    cr_assert_eq(r.verdict, SI_CLAMD_INFECTED, "%s", r.message);
    cr_assert_str_eq(r.signature, FX_EICAR_SIG);
}

Test(clamd, marker_over_tcp_split_across_chunks)
{
    char spec[64];
    snprintf(spec, sizeof(spec), "127.0.0.1:%d", clamd.port);
    struct si_clamd_addr a = addr_of(spec);
    struct si_clamd_result r;
    size_t len = 300000;
    char *b = body(len, FX_MARKER, 150000);
    struct si_clamd_session *s = si_clamd_open(&a, TIMEOUT_MS, &r);
    cr_assert(s, "%s", r.message);
    /* 7-byte chunks around the marker, 4 KB elsewhere: the marker straddles many frames */
    for (size_t off = 0; off < len;) {
        size_t n = (off >= 149000 && off < 151000) ? 7 : 4096;
        if (n > len - off)
            n = len - off;
        cr_assert_eq(si_clamd_feed(s, b + off, n), 0, "feed at %zu", off);
        off += n;
    }
    r = finish(s);
    free(b);
    cr_assert_eq(r.verdict, SI_CLAMD_INFECTED, "%s", r.message);
    cr_assert_str_eq(r.signature, FX_MARKER_SIG);
}

Test(clamd, stream_over_stream_max_length)
{
    struct si_clamd_addr a = unix_addr();
    struct si_clamd_result r;
    size_t len = 3u << 20; /* clamd's StreamMaxLength is 1M here */
    char *b = body(len, NULL, 0);
    struct si_clamd_session *s = si_clamd_open(&a, TIMEOUT_MS, &r);
    cr_assert(s, "%s", r.message);
    int rc = 0;
    for (size_t off = 0; off < len && rc == 0; off += 65536)
        rc = si_clamd_feed(s, b + off, 65536);
    cr_assert_eq(rc, -1, "clamd took 3 MB past a 1 MB StreamMaxLength");
    r = finish(s);
    free(b);
    cr_assert_eq(r.verdict, SI_CLAMD_ERROR);
    cr_assert_eq(r.error, SI_CLAMD_E_TOO_LONG, "%s (%s)", r.message,
                 si_clamd_error_word(r.error));
    cr_assert_str_eq(si_clamd_error_word(r.error), "scanner-too-long");
    cr_assert(strstr(r.message, "INSTREAM size limit exceeded"), "%s", r.message);
}

Test(clamd, one_big_feed_over_the_limit)
{
    struct si_clamd_addr a = unix_addr();
    struct si_clamd_result r;
    size_t len = 4u << 20;
    char *b = body(len, NULL, 0);
    si_clamd_scan(&a, TIMEOUT_MS, b, len, &r);
    free(b);
    cr_assert_eq(r.error, SI_CLAMD_E_TOO_LONG, "%s", r.message);
}

Test(clamd, killed_mid_stream_is_an_error_not_a_hang)
{
    struct si_clamd_addr a = unix_addr();
    struct si_clamd_result r;
    char *b = body(65536, NULL, 0);
    struct si_clamd_session *s = si_clamd_open(&a, TIMEOUT_MS, &r);
    cr_assert(s, "%s", r.message);
    cr_assert_eq(si_clamd_feed(s, b, 65536), 0);
    fx_clamd_kill(&clamd);
    int rc = 0;
    for (int i = 0; i < 8 && rc == 0; i++)
        rc = si_clamd_feed(s, b, 65536);
    r = finish(s);
    free(b);
    cr_assert_eq(r.verdict, SI_CLAMD_ERROR);
    cr_assert_eq(r.error, SI_CLAMD_E_DOWN, "%s", r.message);
    cr_assert_str_eq(si_clamd_error_word(r.error), "scanner-down");
}

Test(clamd, sessions_do_not_disturb_each_other)
{
    struct si_clamd_addr a = unix_addr();
    struct si_clamd_result r1, r2;
    struct si_clamd_session *s1 = si_clamd_open(&a, TIMEOUT_MS, &r1);
    struct si_clamd_session *s2 = si_clamd_open(&a, TIMEOUT_MS, &r2);
    cr_assert(s1 && s2);
    cr_assert_eq(si_clamd_feed(s1, "X5O!P%@AP[4\\PZX54(P^)7CC)", 25), 0);
    cr_assert_eq(si_clamd_feed(s2, "harmless ", 9), 0);
    cr_assert_eq(si_clamd_feed(s1, FX_EICAR + 25, strlen(FX_EICAR) - 25), 0);
    cr_assert_eq(si_clamd_feed(s2, "text", 4), 0);
    r2 = finish(s2);
    r1 = finish(s1);
    cr_assert_eq(r1.verdict, SI_CLAMD_INFECTED, "%s", r1.message);
    cr_assert_eq(r2.verdict, SI_CLAMD_CLEAN, "%s", r2.message);
}

/* One thread's share of concurrent_scans: every third body carries the marker. */
struct worker {
    struct si_clamd_addr addr;
    int index, wrong;
};

static void *scan_worker(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 6; i++) {
        bool infected = (w->index + i) % 3 == 0;
        size_t len = 20000 + (size_t)(w->index * 997 + i * 131);
        char *b = body(len, infected ? FX_MARKER : NULL, len / 2);
        struct si_clamd_result r;
        struct si_clamd_session *s = si_clamd_open(&w->addr, TIMEOUT_MS, &r);
        for (size_t off = 0; s && off < len; off += 1500)
            si_clamd_feed(s, b + off, len - off > 1500 ? 1500 : len - off);
        if (s)
            r = finish(s);
        free(b);
        if (r.verdict != (infected ? SI_CLAMD_INFECTED : SI_CLAMD_CLEAN))
            w->wrong++;
    }
    return NULL;
}

Test(clamd, concurrent_scans_from_threads)
{
    enum { N = 8 };
    struct worker w[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        w[i] = (struct worker){.addr = unix_addr(), .index = i};
        cr_assert_eq(pthread_create(&th[i], NULL, scan_worker, &w[i]), 0);
    }
    int wrong = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        wrong += w[i].wrong;
    }
    cr_assert_eq(wrong, 0, "%d of %d scans from %d threads got the wrong verdict", wrong, N * 6,
                 N);
}

/* ---- without clamd: addresses, refusals, silence, garbage ---- */

TestSuite(clamd_faults, .timeout = 60);

Test(clamd_faults, addresses)
{
    struct si_clamd_addr a;
    char err[256];
    a = addr_of("unix:/run/clamav/clamd.ctl");
    cr_assert_eq(a.family, AF_UNIX);
    cr_assert_str_eq(a.text, "unix:/run/clamav/clamd.ctl");
    cr_assert_eq(addr_of("/tmp/c.sock").family, AF_UNIX);
    a = addr_of("127.0.0.1:3310");
    cr_assert_eq(a.family, AF_INET);
    cr_assert_str_eq(a.text, "127.0.0.1:3310");
    cr_assert_eq(addr_of("tcp:127.5.6.7:1").family, AF_INET);
    a = addr_of("[::1]:3310");
    cr_assert_eq(a.family, AF_INET6);
    cr_assert_str_eq(a.text, "[::1]:3310");
    static const struct { const char *spec, *why; } bad[] = {
        {"10.0.0.1:3310", "not a loopback address"},
        {"192.168.1.1:3310", "not a loopback address"},
        {"8.8.8.8:53", "not a loopback address"},
        {"[2001:db8::1]:3310", "not a loopback address"},
        {"[::ffff:127.0.0.1]:3310", "not a loopback address"},
        {"localhost:3310", "not a numeric IP address"},
        {"127.0.0.1", "expected ADDRESS:PORT"},
        {"127.0.0.1:0", "not a port"},
        {"127.0.0.1:70000", "not a port"},
        {"127.0.0.1:33x", "not a port"},
        {"clamd.sock", "expected ADDRESS:PORT"},
        {"unix:run/clamd.sock", "must be absolute"},
        {"", "empty"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        cr_assert_eq(si_clamd_addr_parse(bad[i].spec, &a, err, sizeof(err)), -1, "%s accepted",
                     bad[i].spec);
        cr_assert(strstr(err, bad[i].why), "%s: %s", bad[i].spec, err);
    }
}

Test(clamd_faults, connect_refused)
{
    char spec[64];
    snprintf(spec, sizeof(spec), "127.0.0.1:%d", fx_free_port());
    struct si_clamd_addr a = addr_of(spec);
    struct si_clamd_result r;
    cr_assert_null(si_clamd_open(&a, TIMEOUT_MS, &r));
    cr_assert_eq(r.verdict, SI_CLAMD_ERROR);
    cr_assert_eq(r.error, SI_CLAMD_E_DOWN);
    cr_assert(strstr(r.message, "refused"), "%s", r.message);
    a = addr_of("/nonexistent-dir-of-squid-inspect/clamd.sock");
    si_clamd_scan(&a, TIMEOUT_MS, "x", 1, &r);
    cr_assert_eq(r.error, SI_CLAMD_E_DOWN, "%s", r.message);
    cr_assert_str_eq(si_clamd_error_word(r.error), "scanner-down");
}

/* A listener on 127.0.0.1. reply NULL: never accepts (connections wait in the backlog). */
struct fake {
    int lfd;
    int port;
    const char *reply;
    size_t replylen;
    bool early; /* reply right after the command (then post replied), read until the client
                   closes */
    sem_t replied;
    pthread_t th;
};

static bool read_exact(int fd, void *buf, size_t n)
{
    for (size_t got = 0; got < n;) {
        ssize_t k = recv(fd, (char *)buf + got, n - got, 0);
        if (k <= 0)
            return false;
        got += (size_t)k;
    }
    return true;
}

/* Reads "zINSTREAM\0" and frames up to the terminator, then sends the canned reply. */
static void *fake_serve(void *arg)
{
    struct fake *f = arg;
    int fd = accept(f->lfd, NULL, NULL);
    if (fd < 0)
        return NULL;
    char cmd[10], buf[4096];
    uint32_t be;
    if (f->early && read_exact(fd, cmd, sizeof(cmd))) {
        send(fd, f->reply, f->replylen, MSG_NOSIGNAL);
        sem_post(&f->replied);
        while (recv(fd, buf, sizeof(buf), 0) > 0)
            ;
    } else if (read_exact(fd, cmd, sizeof(cmd))) {
        while (read_exact(fd, &be, 4) && ntohl(be) > 0)
            for (uint32_t left = ntohl(be); left > 0;) {
                uint32_t n = left > sizeof(buf) ? sizeof(buf) : left;
                if (!read_exact(fd, buf, n))
                    goto out;
                left -= n;
            }
        send(fd, f->reply, f->replylen, MSG_NOSIGNAL);
    }
out:
    close(fd);
    return NULL;
}

static struct si_clamd_addr fake_start(struct fake *f, const char *reply, size_t replylen,
                                       bool early)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    f->lfd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(f->lfd >= 0);
    cr_assert_eq(bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    cr_assert_eq(listen(f->lfd, 8), 0);
    cr_assert_eq(getsockname(f->lfd, (struct sockaddr *)&sa, &len), 0);
    f->port = ntohs(sa.sin_port);
    f->reply = reply;
    f->replylen = replylen;
    f->early = early;
    cr_assert_eq(sem_init(&f->replied, 0, 0), 0);
    if (reply)
        cr_assert_eq(pthread_create(&f->th, NULL, fake_serve, f), 0);
    char spec[64];
    snprintf(spec, sizeof(spec), "127.0.0.1:%d", f->port);
    return addr_of(spec);
}

static void fake_stop(struct fake *f)
{
    if (f->reply)
        pthread_join(f->th, NULL);
    close(f->lfd);
    sem_destroy(&f->replied);
}

/* Scans a small body against a fake that answers reply (replylen bytes). */
static struct si_clamd_result fake_scan(const char *reply, size_t replylen)
{
    struct fake f;
    struct si_clamd_addr a = fake_start(&f, reply, replylen, false);
    struct si_clamd_result r;
    si_clamd_scan(&a, TIMEOUT_MS, "some body bytes", 15, &r);
    fake_stop(&f);
    return r;
}

Test(clamd_faults, silent_listener_times_out)
{
    struct fake f;
    struct si_clamd_addr a = fake_start(&f, NULL, 0, false);
    struct si_clamd_result r;
    si_clamd_scan(&a, 300, "body", 4, &r);
    fake_stop(&f);
    cr_assert_eq(r.verdict, SI_CLAMD_ERROR);
    cr_assert_eq(r.error, SI_CLAMD_E_TIMEOUT, "%s", r.message);
    cr_assert_str_eq(si_clamd_error_word(r.error), "scanner-timeout");
}

Test(clamd_faults, garbage_replies)
{
    static const char *const garbage[] = {
        "hello there",          /* no grammar */
        "stream: OK but more",  /* almost OK */
        "stream:  FOUND",       /* no name */
        "stream: two words FOUND",
        "stream: FOUND",
    };
    for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
        struct si_clamd_result r = fake_scan(garbage[i], strlen(garbage[i]) + 1);
        cr_assert_eq(r.verdict, SI_CLAMD_ERROR, "'%s' gave %d", garbage[i], r.verdict);
        cr_assert_eq(r.error, SI_CLAMD_E_REPLY, "'%s': %s", garbage[i], r.message);
    }
    /* no terminator, then EOF */
    struct si_clamd_result r = fake_scan("stream: OK", 10);
    cr_assert_eq(r.error, SI_CLAMD_E_REPLY, "%s", r.message);
    /* longer than any reply clamd sends */
    char *big = body(SI_CLAMD_REPLY_MAX * 3, NULL, 0);
    r = fake_scan(big, SI_CLAMD_REPLY_MAX * 3);
    free(big);
    cr_assert_eq(r.error, SI_CLAMD_E_REPLY, "%s", r.message);
    cr_assert_str_eq(si_clamd_error_word(r.error), "scanner-bad-reply");
    /* control bytes never reach the message */
    r = fake_scan("\x1b[31mevil\r\n", 11);
    cr_assert_eq(r.error, SI_CLAMD_E_REPLY);
    cr_assert_null(strchr(r.message, '\x1b'), "%s", r.message);
}

Test(clamd_faults, a_verdict_before_the_end_of_the_stream_is_refused)
{
    static const char ok[] = "stream: OK";
    struct fake f = {0};
    struct si_clamd_addr a = fake_start(&f, ok, sizeof(ok), true);
    struct si_clamd_result r;
    size_t len = 1u << 20;
    char *b = body(len, NULL, 0);
    struct si_clamd_session *s = si_clamd_open(&a, TIMEOUT_MS, &r);
    cr_assert(s, "%s", r.message);
    sem_wait(&f.replied); /* "stream: OK" is on its way before any body byte */
    si_clamd_feed(s, b, len);
    r = finish(s);
    fake_stop(&f);
    free(b);
    cr_assert_eq(r.verdict, SI_CLAMD_ERROR);
    cr_assert_eq(r.error, SI_CLAMD_E_REPLY, "%s", r.message);
    cr_assert(strstr(r.message, "before the end of the stream"), "%s", r.message);
}

Test(clamd_faults, grammar_of_good_replies)
{
    static const char ok[] = "stream: OK";
    struct si_clamd_result r = fake_scan(ok, sizeof(ok));
    cr_assert_eq(r.verdict, SI_CLAMD_CLEAN, "%s", r.message);
    static const char found[] = "stream: Win.Test.EICAR_HDB-1 FOUND";
    r = fake_scan(found, sizeof(found));
    cr_assert_eq(r.verdict, SI_CLAMD_INFECTED, "%s", r.message);
    cr_assert_str_eq(r.signature, "Win.Test.EICAR_HDB-1");
    /* ExtendedDetectionInfo adds (hash:size) */
    static const char ext[] = "stream: Eicar-Signature(44d88612fea8a8f36de82e1278abb02f:68) FOUND";
    r = fake_scan(ext, sizeof(ext));
    cr_assert_eq(r.verdict, SI_CLAMD_INFECTED, "%s", r.message);
    cr_assert_str_eq(r.signature, "Eicar-Signature");
    static const char nl[] = "stream: OK\n"; /* newline-terminated (the 'n' prefix's form) */
    r = fake_scan(nl, sizeof(nl) - 1);
    cr_assert_eq(r.verdict, SI_CLAMD_CLEAN, "%s", r.message);
    static const char err[] = "stream: Can't allocate memory ERROR";
    r = fake_scan(err, sizeof(err));
    cr_assert_eq(r.error, SI_CLAMD_E_SCANNER, "%s", r.message);
    cr_assert(strstr(r.message, "Can't allocate memory"), "%s", r.message);
    static const char lim[] = "INSTREAM size limit exceeded. ERROR";
    r = fake_scan(lim, sizeof(lim));
    cr_assert_eq(r.error, SI_CLAMD_E_TOO_LONG, "%s", r.message);
}
