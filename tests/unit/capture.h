/*
 * capture.h: run an inspect-ctl sub-command's main function in the test process with one of
 * its output streams captured (shared by the inspect-ctl unit tests).
 * Ownership: *out is malloc'd, the caller frees it. Thread-safety: none (redirects a fd).
 */
#ifndef TEST_CAPTURE_H
#define TEST_CAPTURE_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Runs f(argc, argv) with the output fd (STDOUT_FILENO or STDERR_FILENO) captured; returns
 * the exit status, *out = what it wrote there. */
static int run_capturing(int (*f)(int, char **), int argc, char **argv, int outfd, char **out)
{
    char tmpl[] = "/tmp/test_ctl_out.XXXXXX";
    int fd = mkstemp(tmpl), saved = dup(outfd), rc;
    FILE *fp;
    long n;

    cr_assert_geq(fd, 0);
    fflush(stdout);
    fflush(stderr);
    dup2(fd, outfd);
    rc = f(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(saved, outfd);
    close(saved);
    fp = fdopen(fd, "r");
    fseek(fp, 0, SEEK_END);
    n = ftell(fp);
    rewind(fp);
    *out = calloc(1, (size_t)n + 1);
    cr_assert_eq(fread(*out, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    unlink(tmpl);
    return rc;
}

#endif
