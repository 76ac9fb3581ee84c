/*
 * clamd_scan.c: times lib/clamd's INSTREAM against clamdscan --stream on the same clamd and the
 * same files (run by bench/clamd-scan.sh, see bench/README).
 *
 *   clamd_scan SOCKET CLAMD_PID CLAMDSCAN_CONF RUNS FILE...
 *
 * For each file and each client: RUNS scans one after another; wall time per scan (median and
 * mean), clamd's CPU per scan (utime+stime of /proc/CLAMD_PID/stat), and the client's CPU per
 * scan (ours: /proc/self/stat; clamdscan: the waited-for children's cutime+cstime in
 * /proc/self/stat). Our client feeds 64 KiB at a time, as a c-icap service gets a body.
 * Every scan must come back clean; anything else stops the run.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clamd.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* utime+stime (self) or cutime+cstime (children) of a /proc/PID/stat, in clock ticks. */
static long long cpu_ticks(const char *statpath, int children)
{
    char buf[1024];
    FILE *f = fopen(statpath, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    if (!p)
        return -1;
    long long v[4];
    /* fields after ')': state(3) ... utime(14) stime(15) cutime(16) cstime(17) */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lld %lld %lld %lld",
               &v[0], &v[1], &v[2], &v[3]) != 4)
        return -1;
    return children ? v[2] + v[3] : v[0] + v[1];
}

static unsigned char *slurp(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        perror(path);
        exit(1);
    }
    unsigned char *b = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    ssize_t n;
    while (b && (n = read(fd, b + got, (size_t)st.st_size - got)) > 0)
        got += (size_t)n;
    close(fd);
    *len = got;
    return b;
}

static int ours(const struct si_clamd_addr *a, const unsigned char *b, size_t len)
{
    struct si_clamd_result r;
    struct si_clamd_session *s = si_clamd_open(a, 60000, &r);
    if (s) {
        for (size_t off = 0; off < len; off += 65536)
            if (si_clamd_feed(s, b + off, len - off > 65536 ? 65536 : len - off) < 0)
                break;
        si_clamd_finish(s, &r);
        si_clamd_close(s);
    }
    if (r.verdict != SI_CLAMD_CLEAN)
        fprintf(stderr, "clamd_scan: lib/clamd: %s %s\n", si_clamd_error_word(r.error), r.message);
    return r.verdict == SI_CLAMD_CLEAN ? 0 : -1;
}

static int clamdscan(const char *conf, const char *file)
{
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        execlp("clamdscan", "clamdscan", "--no-summary", "--stream", "-c", conf, file,
               (char *)NULL);
        _exit(127);
    }
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "clamd_scan: clamdscan --stream %s did not report it clean\n", file);
        return -1;
    }
    return 0;
}

static int cmp(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

struct run {
    const char *who;
    const struct si_clamd_addr *addr;
    const char *conf, *file, *clamd_stat;
    const unsigned char *body;
    size_t len;
    int runs;
};

static int measure(const struct run *r)
{
    double *t = calloc((size_t)r->runs, sizeof(double)), sum = 0;
    long tck = sysconf(_SC_CLK_TCK);
    int child = r->addr == NULL;
    long long c0 = cpu_ticks(r->clamd_stat, 0), s0 = cpu_ticks("/proc/self/stat", child);
    for (int i = 0; i < r->runs; i++) {
        double t0 = now_s();
        int rc = child ? clamdscan(r->conf, r->file) : ours(r->addr, r->body, r->len);
        t[i] = now_s() - t0;
        sum += t[i];
        if (rc < 0)
            return -1;
    }
    long long c1 = cpu_ticks(r->clamd_stat, 0), s1 = cpu_ticks("/proc/self/stat", child);
    qsort(t, (size_t)r->runs, sizeof(double), cmp);
    printf("%-10s %-10s %9zu %5d %10.2f %10.2f %12.2f %12.2f\n", r->who,
           strrchr(r->file, '/') ? strrchr(r->file, '/') + 1 : r->file, r->len, r->runs,
           t[r->runs / 2] * 1e3, sum / r->runs * 1e3,
           (double)(c1 - c0) * 1e3 / tck / r->runs, (double)(s1 - s0) * 1e3 / tck / r->runs);
    free(t);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: clamd_scan SOCKET CLAMD_PID CLAMDSCAN_CONF RUNS FILE...\n");
        return 2;
    }
    struct si_clamd_addr a;
    char err[256], clamd_stat[64];
    if (si_clamd_addr_parse(argv[1], &a, err, sizeof(err)) < 0) {
        fprintf(stderr, "clamd_scan: %s\n", err);
        return 2;
    }
    snprintf(clamd_stat, sizeof(clamd_stat), "/proc/%s/stat", argv[2]);
    int runs = atoi(argv[4]);
    if (runs < 1 || cpu_ticks(clamd_stat, 0) < 0) {
        fprintf(stderr, "clamd_scan: RUNS must be >= 1 and %s readable\n", clamd_stat);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("%-10s %-10s %9s %5s %10s %10s %12s %12s\n", "client", "file", "bytes", "runs",
           "p50_ms", "mean_ms", "clamd_cpu_ms", "client_cpu_ms");
    for (int i = 5; i < argc; i++) {
        size_t len;
        unsigned char *b = slurp(argv[i], &len);
        struct run ours_run = {"lib/clamd", &a, argv[3], argv[i], clamd_stat, b, len, runs};
        struct run ref_run = {"clamdscan", NULL, argv[3], argv[i], clamd_stat, b, len, runs};
        if (measure(&ref_run) < 0 || measure(&ours_run) < 0)
            return 1;
        free(b);
    }
    return 0;
}
